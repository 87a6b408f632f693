//! The byte-level helpers every crate of the workspace shares: percent-decoding and SHA-256.
//! One of each, so a fix lands everywhere.

use aws_lc_rs::digest;

/// What a `+` means in percent-encoded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    /// A literal `+` (paths: RFC 3986).
    Literal,
    /// A space (query strings and forms: `application/x-www-form-urlencoded`).
    Space,
}

/// Decodes `%XX` escapes (exactly two hex digits each) and, with [`Plus::Space`], `+`. The
/// result must be UTF-8. The error is a reason to put in a message.
///
/// ```
/// use scitokens_format::{percent_decode, Plus};
/// assert_eq!(percent_decode("a%20b+c", Plus::Literal).unwrap(), "a b+c");
/// assert_eq!(percent_decode("a%20b+c", Plus::Space).unwrap(), "a b c");
/// assert!(percent_decode("%+1", Plus::Literal).is_err()); // "+1" is not two hex digits
/// assert!(percent_decode("%c0", Plus::Literal).is_err()); // not UTF-8
/// ```
pub fn percent_decode(text: &str, plus: Plus) -> Result<String, &'static str> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let value = match bytes.get(i + 1..i + 3) {
                    Some(&[hi, lo]) => hex(hi).zip(hex(lo)).map(|(hi, lo)| hi << 4 | lo),
                    _ => None,
                };
                out.push(value.ok_or("\"%\" is not followed by two hex digits")?);
                i += 3;
            }
            b'+' if plus == Plus::Space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "percent escapes do not decode to UTF-8")
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// SHA-256 of `parts`, hashed one after the other (aws-lc's implementation).
///
/// ```
/// use scitokens_format::sha256;
/// assert_eq!(sha256(&[b"ab", b"c"]), sha256(&[b"abc"]));
/// assert_eq!(sha256(&[b"abc"])[..4], [0xba, 0x78, 0x16, 0xbf]);
/// ```
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finish()
}

/// [`sha256`] fed piece by piece, for inputs built on the fly (no buffer to collect them).
///
/// ```
/// use scitokens_format::{sha256, Sha256};
/// let mut h = Sha256::new();
/// h.update(b"ab");
/// h.update(b"c");
/// assert_eq!(h.finish(), sha256(&[b"abc"]));
/// ```
pub struct Sha256(digest::Context);

impl Sha256 {
    /// An empty hash.
    #[allow(clippy::new_without_default)] // a hash state, not a value with a natural default
    pub fn new() -> Self {
        crate::crypto::init_crypto();
        Sha256(digest::Context::new(&digest::SHA256))
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        let mut out = [0; 32];
        out.copy_from_slice(self.0.finish().as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_need_two_hex_digits() {
        for bad in ["%", "%2", "%+1", "%-1", "% 1", "%1g", "%%41", "a%"] {
            assert!(percent_decode(bad, Plus::Space).is_err(), "{bad}");
        }
        assert_eq!(percent_decode("%2e%2E%41", Plus::Literal).unwrap(), "..A");
        assert_eq!(
            percent_decode("%e2%80%ae", Plus::Literal).unwrap(),
            "\u{202e}"
        );
    }
}
