//! Scope paths: percent-decoded, normalized, and refused if they could ever widen a grant
//! (semantics.md §6); and [`ScopePath::covers`] on segment boundaries (semantics.md §7).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::request::RequestPath;
use crate::encoding::{percent_decode, Plus};
use crate::error::FormatError;
use crate::text::Untrusted;

/// How many rounds of percent-decoding a scope path segment gets before a remaining escape
/// makes it invalid.
pub const MAX_DECODE_PASSES: usize = 4;

/// A byte the plain shortcut takes as it is: printable ASCII other than `%` and `\\`.
fn plain_byte(b: u8) -> bool {
    super::is_printable_ascii(b) && b != b'%' && b != b'\\'
}

/// The error for an invalid scope path.
fn invalid(text: &str, reason: String) -> FormatError {
    FormatError::InvalidScope {
        entry: Untrusted::new(text),
        reason,
    }
}

/// A normalized scope path: absolute, decoded, with no `.`, `..` or empty segment.
///
/// The only constructor is [`ScopePath::parse`], so a value of this type never holds a
/// traversal. A trailing `/` marks a directory: `/foo/` covers `/foo/` and everything below,
/// not the file `/foo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopePath {
    /// `/` or `/seg/seg`, decoded, without trailing slash. Shared: a decision names the
    /// scope that granted it, and cloning a scope is then a reference count, not a copy.
    path: Arc<str>,
    dir: bool,
}

impl ScopePath {
    /// The root, `/`, which covers every path.
    pub fn root() -> Self {
        ScopePath {
            path: "/".into(),
            dir: false,
        }
    }

    /// Parses a scope path; the error ([`FormatError::InvalidScope`]) names the path and says
    /// what is wrong.
    ///
    /// ```
    /// use scitokens_format::scope::ScopePath;
    /// assert_eq!(
    ///     ScopePath::parse("/a/../b").unwrap_err().to_string(),
    ///     "invalid scope \"/a/../b\": path segment \"..\" is not allowed"
    /// );
    /// assert_eq!(ScopePath::parse("/a/./b//c").unwrap().as_str(), "/a/b/c");
    /// assert_eq!(ScopePath::parse("/a%20b").unwrap().as_str(), "/a b");
    /// assert!(ScopePath::parse("/foo/%252e%252e/bar").is_err());
    /// assert!(ScopePath::parse("/foo%2Fbar").is_err());
    /// assert!(ScopePath::parse("foo").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        match Self::parse_plain(text) {
            Some(plain) => Ok(plain),
            None => Self::parse_full(text).map_err(|reason| invalid(text, reason)),
        }
    }

    /// Checks a scope path as [`parse`](Self::parse) does, with the same errors, without
    /// building it when it is plain.
    pub(crate) fn check(text: &str) -> Result<(), FormatError> {
        if super::plain_path(text, plain_byte).is_some() {
            return Ok(());
        }
        Self::parse_full(text)
            .map(drop)
            .map_err(|reason| invalid(text, reason))
    }

    /// Fuzzing builds only: the full parser without the shortcut, for the `paths` target to
    /// check that both agree on every input.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn parse_without_shortcut(text: &str) -> Result<Self, FormatError> {
        Self::parse_full(text).map_err(|reason| invalid(text, reason))
    }

    /// Decodes and normalizes segment by segment.
    fn parse_full(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| "a path must start with /".to_owned())?;
        let mut path = String::with_capacity(text.len());
        for raw in rest.split('/') {
            let segment = decode_segment(raw)?;
            if segment.is_empty() || segment.as_ref() == "." {
                continue;
            }
            path.push('/');
            path.push_str(&segment);
        }
        if path.is_empty() {
            return Ok(ScopePath::root());
        }
        Ok(ScopePath {
            path: path.into(),
            dir: text.ends_with('/'),
        })
    }

    /// The common case without decoding: printable ASCII, no `%` or `\\`, no empty, `.` or
    /// `..` segment (a trailing `/` aside), so the text is already normalized. `None` sends
    /// everything else to the full parser (a test checks both agree).
    fn parse_plain(text: &str) -> Option<Self> {
        let (path, dir) = super::plain_path(text, plain_byte)?;
        Some(ScopePath {
            path: path.into(),
            dir,
        })
    }

    /// The decoded path without a trailing slash: `/` or `/a/b`.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Whether the scope names a directory (it was written with a trailing `/`).
    pub fn is_dir(&self) -> bool {
        self.dir
    }

    /// Whether this is the root, which covers every path.
    pub fn is_root(&self) -> bool {
        &*self.path == "/"
    }

    /// The decoded segments.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| !s.is_empty())
    }

    /// Whether this scope path grants `request`: the root covers everything; otherwise the
    /// request must be this path or lie below it, on a segment boundary. A directory scope
    /// does not cover the bare name.
    ///
    /// ```
    /// use scitokens_format::scope::{RequestPath, ScopePath};
    /// let john = ScopePath::parse("/john").unwrap();
    /// let covers = |r: &str| john.covers(&RequestPath::parse(r).unwrap());
    /// assert!(covers("/john") && covers("/john/file") && covers("/x/../john/"));
    /// assert!(!covers("/johnathan") && !covers("/") && !covers("/john/../etc"));
    /// ```
    pub fn covers(&self, request: &RequestPath) -> bool {
        if self.is_root() {
            return true;
        }
        let r = request.as_str();
        match r.strip_prefix(&*self.path) {
            Some("") => !self.dir || request.is_dir(),
            Some(below) => below.starts_with('/'),
            None => false,
        }
    }

    /// Whether every request `other` covers is covered by `self`: the root includes every
    /// path; otherwise `other` is this path (a directory scope includes only the directory
    /// form) or lies below it, on a segment boundary.
    ///
    /// ```
    /// use scitokens_format::scope::ScopePath;
    /// let p = |s: &str| ScopePath::parse(s).unwrap();
    /// assert!(p("/data").includes(&p("/data/")) && p("/data").includes(&p("/data/x")));
    /// assert!(!p("/data/").includes(&p("/data")) && !p("/data").includes(&p("/database")));
    /// assert!(p("/").includes(&p("/anything")) && !p("/data").includes(&p("/")));
    /// ```
    pub fn includes(&self, other: &ScopePath) -> bool {
        if self.is_root() {
            return true;
        }
        match other.path.strip_prefix(&*self.path) {
            Some("") => !self.dir || other.dir,
            Some(below) => below.starts_with('/'),
            None => false,
        }
    }
}

impl fmt::Display for ScopePath {
    /// The path as it would be written in a scope: spaces and `%` escaped, a directory with
    /// its trailing `/`. Parsing the output gives the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.path.chars() {
            match c {
                ' ' => f.write_str("%20")?,
                '%' => f.write_str("%25")?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        if self.dir && !self.is_root() {
            f.write_str("/")?;
        }
        Ok(())
    }
}

/// Decodes one segment up to [`MAX_DECODE_PASSES`] times, refusing traversal and separators
/// at every stage.
fn decode_segment(raw: &str) -> Result<Cow<'_, str>, String> {
    let mut current = Cow::Borrowed(raw);
    for pass in 0..=MAX_DECODE_PASSES {
        if current == ".." {
            return Err(if pass == 0 {
                "path segment \"..\" is not allowed".to_owned()
            } else {
                format!("path segment decodes to \"..\" after {pass} pass(es)")
            });
        }
        if let Some(c) = current
            .chars()
            .find(|&c| c == '/' || c == '\\' || c.is_control())
        {
            return Err(format!(
                "path segment {}contains {}",
                if pass == 0 {
                    ""
                } else {
                    "decodes to something that "
                },
                describe(c)
            ));
        }
        if !current.contains('%') {
            return Ok(current);
        }
        if pass == MAX_DECODE_PASSES {
            break;
        }
        current = Cow::Owned(percent_decode(&current, Plus::Literal).map_err(str::to_owned)?);
    }
    Err(format!(
        "path segment still holds a percent escape after {MAX_DECODE_PASSES} decoding passes"
    ))
}

fn describe(c: char) -> String {
    match c {
        '/' => "an encoded \"/\"".into(),
        '\\' => "a backslash".into(),
        c => format!("control character U+{:04X}", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_in_every_spelling_is_refused() {
        for bad in [
            "/home/user1/..",
            "/foo/%2e%2e/bar",
            "/foo/%2E%2e/bar",
            "/foo/.%2e/bar",
            "/foo/%252e%252e/bar",
            "/foo/%25252e%25252e",
            "/foo/%c0%ae%c0%ae",
            "/foo%2Fbar",
            "/foo%5c..",
            "/foo\\bar",
            "/a%00b",
            "/a%",
            "/a%2",
            "/a%zz",
            "/a%2525252525",
            "/100%25",
        ] {
            assert!(ScopePath::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn normalization_and_display_roundtrip() {
        let cases = [
            ("/", "/", false),
            ("//", "/", false),
            ("/foo/", "/foo", true),
            ("/a/%2e/b", "/a/b", false),
            ("/a%2520b", "/a b", false),
        ];
        for (input, path, dir) in cases {
            let p = ScopePath::parse(input).unwrap();
            assert_eq!((p.as_str(), p.is_dir()), (path, dir), "{input}");
            assert_eq!(ScopePath::parse(&p.to_string()).unwrap(), p);
        }
    }

    /// The plain-text shortcut and the full parser agree wherever the shortcut answers.
    #[test]
    fn shortcut_agrees_with_the_full_parser() {
        let mut checked = 0;
        for text in super::super::sample_paths() {
            if let Some(plain) = ScopePath::parse_plain(&text) {
                assert_eq!(ScopePath::parse_full(&text), Ok(plain), "{text}");
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// A scope path includes another exactly when it covers that path as a request: the
    /// widest request the narrower scope grants is its own path.
    #[test]
    fn includes_agrees_with_covers() {
        let paths: Vec<ScopePath> = super::super::sample_paths()
            .iter()
            .chain(["/".to_owned(), "/a/".to_owned(), "/ab".to_owned()].iter())
            .filter_map(|t| ScopePath::parse(t).ok())
            .collect();
        let mut included = 0;
        for wide in &paths {
            for narrow in &paths {
                let slash = if narrow.is_dir() && !narrow.is_root() {
                    "/"
                } else {
                    ""
                };
                let request = RequestPath::parse(&format!("{}{slash}", narrow.as_str())).unwrap();
                assert_eq!(
                    wide.includes(narrow),
                    wide.covers(&request),
                    "{wide} / {narrow}"
                );
                included += usize::from(wide.includes(narrow));
            }
        }
        assert!(included > paths.len(), "{included}");
    }

    #[test]
    fn directory_scope_does_not_cover_the_file() {
        let dir = ScopePath::parse("/foo/").unwrap();
        let req = |r: &str| RequestPath::parse(r).unwrap();
        assert!(!dir.covers(&req("/foo")));
        assert!(dir.covers(&req("/foo/")));
        assert!(dir.covers(&req("/foo/x")));
        assert!(!dir.covers(&req("/foobar")));
    }
}
