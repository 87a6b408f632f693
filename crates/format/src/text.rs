//! Echoing untrusted text safely in messages.

use std::fmt;

/// How many characters of untrusted text a message may echo (semantics.md §9).
pub const MAX_ECHO_CHARS: usize = 256;

/// Untrusted text as it may appear in an error message: JSON-escaped, quoted, and cut to
/// [`MAX_ECHO_CHARS`] characters (an ellipsis marks a cut).
///
/// ```
/// use scitokens_format::Untrusted;
/// assert_eq!(Untrusted::new("a\"b\n").to_string(), r#""a\"b\n""#);
/// let long = "x".repeat(1000);
/// assert_eq!(Untrusted::new(&long).to_string().chars().count(), 256 + 3);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Untrusted {
    text: String,
    /// Already JSON (a rendered non-string value): shown as is, not quoted again.
    json: bool,
}

impl Untrusted {
    /// Keeps at most [`MAX_ECHO_CHARS`] characters of `text`.
    pub fn new(text: &str) -> Self {
        Untrusted {
            text: cut(text),
            json: false,
        }
    }

    /// A JSON value from untrusted input: a string is shown like [`Untrusted::new`], any other
    /// value as compact JSON (its strings escaped), cut to [`MAX_ECHO_CHARS`] characters.
    ///
    /// ```
    /// use scitokens_format::Untrusted;
    /// assert_eq!(Untrusted::json(&serde_json::json!("7")).to_string(), r#""7""#);
    /// assert_eq!(Untrusted::json(&serde_json::json!([7, "a"])).to_string(), r#"[7,"a"]"#);
    /// ```
    pub fn json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::String(s) => Untrusted::new(s),
            // A value from a parsed token is bounded by the token size limit: rendering is cheap.
            other => Untrusted {
                text: cut(&other.to_string()),
                json: true,
            },
        }
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.json {
            return f.write_str(&self.text);
        }
        // serde_json escapes quotes, backslashes and control characters.
        let quoted = serde_json::Value::String(self.text.clone()).to_string();
        f.write_str(&quoted)
    }
}

impl fmt::Debug for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<&str> for Untrusted {
    fn from(text: &str) -> Self {
        Untrusted::new(text)
    }
}

impl From<&String> for Untrusted {
    fn from(text: &String) -> Self {
        Untrusted::new(text)
    }
}
