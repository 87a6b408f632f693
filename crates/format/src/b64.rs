//! Strict base64url (RFC 4648 §5): URL-safe alphabet, no padding, canonical trailing bits.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Decodes strict base64url; `None` on any character outside `A-Z a-z 0-9 - _`, padding,
/// an impossible length, or non-zero trailing bits.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    STRICT.decode(text).ok()
}

/// Encodes as base64url without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STRICT.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_padding_standard_alphabet_and_whitespace() {
        assert_eq!(decode("YQ").as_deref(), Some(&b"a"[..]));
        assert!(decode("YQ==").is_none());
        assert!(decode("+/8").is_none());
        assert!(decode("Y Q").is_none());
        assert!(decode("YR").is_none(), "non-canonical trailing bits");
        assert!(decode("Y").is_none(), "impossible length");
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }
}
