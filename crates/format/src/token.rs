//! Compact JWS decoding (semantics.md §1): [`UnverifiedToken`] for inspection, [`VerifiedToken`]
//! only from a successful signature check.

use crate::b64;
use crate::claims::Claims;
use crate::error::{FormatError, Part, Result};
use crate::header::Header;
use crate::jwk::KeySet;
use crate::key::{Algorithm, VerifyingKey, ES256_SIGNATURE_LEN, MAX_RSA_BITS, MIN_RSA_BITS};

/// Default maximum length of a serialized token: 64 KiB.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 64 * 1024;

/// A token whose structure, header and claims have been checked but whose signature has not.
///
/// Safe to show to a person; never a basis for an authorization decision.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    raw: String,
    decoded: Decoded,
    signature: Vec<u8>,
}

/// What decoding a token gives besides the token itself (and its signature, which a
/// [`TokenRef`] decodes only when it checks it).
#[derive(Debug, Clone)]
struct Decoded {
    signing_input_len: usize,
    header: Header,
    claims: Claims,
}

/// The longest signature accepted: an RSA signature is as long as the modulus.
const MAX_SIGNATURE_LEN: usize = (MAX_RSA_BITS / 8) as usize;

impl UnverifiedToken {
    /// Decodes a compact JWS with the default size limit.
    ///
    /// The checks run cheapest first: size, segment count, strict base64url, header JSON with
    /// `alg` on the allow-list and no `crit`, the signature length for ES256, then payload JSON.
    /// Duplicate JSON member names are refused everywhere.
    ///
    /// ```
    /// use scitokens_format::UnverifiedToken;
    /// let err = UnverifiedToken::parse("a.b").unwrap_err();
    /// assert_eq!(err.to_string(), "token has 2 segment(s); a compact JWS has exactly 3");
    /// // {"alg":"none"} . {} . (empty)
    /// let err = UnverifiedToken::parse("eyJhbGciOiJub25lIn0.e30.").unwrap_err();
    /// assert_eq!(err.kind(), "alg_not_allowed");
    /// ```
    pub fn parse(token: &str) -> Result<Self> {
        Self::parse_with_limit(token, DEFAULT_MAX_TOKEN_LEN)
    }

    /// Decodes a compact JWS refusing anything longer than `max_len` bytes.
    pub fn parse_with_limit(token: &str, max_len: usize) -> Result<Self> {
        TokenRef::parse_with_limit(token, max_len).map(TokenRef::into_owned)
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.decoded.header
    }

    /// The claims, unverified.
    pub fn claims(&self) -> &Claims {
        &self.decoded.claims
    }

    /// The serialized token.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Checks the signature with the key of `keys` that the header's `kid` names (or the only
    /// key, if the token has no `kid`).
    pub fn verify(self, keys: &KeySet) -> Result<VerifiedToken> {
        let key = keys.select(self.header().kid())?;
        self.verify_with_key(key)
    }

    /// Checks the signature with a key the caller chose; the token's `kid` is not consulted.
    pub fn verify_with_key(self, key: &VerifyingKey) -> Result<VerifiedToken> {
        self.decoded.check(&self.raw, key, &self.signature)?;
        Ok(self.into_verified())
    }

    pub(crate) fn into_verified(self) -> VerifiedToken {
        VerifiedToken {
            raw: self.raw,
            claims: VerifiedClaims {
                header: self.decoded.header,
                claims: self.decoded.claims,
            },
        }
    }
}

/// A token decoded in place: what [`UnverifiedToken`] holds, without its copy of the
/// serialized token. For a caller that verifies a token and then needs only its header and
/// claims (an enforcer answering a request), which then costs no copy of the token.
///
/// ```
/// use scitokens_format::{Algorithm, KeySet, Profile, SigningKey, TokenBuilder, TokenRef};
/// let key = SigningKey::generate(Algorithm::Es256)?;
/// let token = TokenBuilder::new(Profile::Wlcg, "https://issuer.example")
///     .scope("storage.read:/data")
///     .audience("https://storage.example")
///     .sign(&key, 1_700_000_000)?;
/// let keys = KeySet::new(vec![key.verifying_key().clone()]);
/// let decoded = TokenRef::parse_with_limit(&token, 64 * 1024)?;
/// assert_eq!(decoded.claims().iss().require("iss")?, "https://issuer.example");
/// let verified = decoded.verify(&keys)?;
/// assert_eq!(verified.claims().scope().require("scope")?, "storage.read:/data");
/// # Ok::<(), scitokens_format::FormatError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TokenRef<'a> {
    raw: &'a str,
    decoded: Decoded,
}

impl<'a> TokenRef<'a> {
    /// Decodes a compact JWS refusing anything longer than `max_len` bytes, with the checks
    /// of [`UnverifiedToken::parse`].
    pub fn parse_with_limit(token: &'a str, max_len: usize) -> Result<Self> {
        if token.len() > max_len {
            return Err(FormatError::TooLong {
                len: token.len(),
                max: max_len,
            });
        }
        // Three segments, even with one empty (`h.p.` is how `alg: none` is written): the
        // decoding steps name the part at fault. The dots are found with `memchr` (vectorized:
        // a token is mostly its long signature segment, which must hold no dot).
        let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
        let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
            return Err(segment_error(token));
        };
        let (header_b64, payload_b64, signature_b64) = (
            &token[..first],
            &token[first + 1..second],
            &token[second + 1..],
        );
        let header_json =
            b64::decode(header_b64).ok_or(FormatError::Base64 { part: Part::Header })?;
        let header = Header::from_decoded(header_json)?;
        // Checked here, decoded when verified (onto the stack: no allocation).
        let signature_len = b64::decoded_len(signature_b64).ok_or(FormatError::Base64 {
            part: Part::Signature,
        })?;
        check_signature_length(header.alg(), signature_len)?;
        let payload_json = b64::decode(payload_b64).ok_or(FormatError::Base64 {
            part: Part::Payload,
        })?;
        let claims = Claims::from_decoded(payload_json)?;
        Ok(TokenRef {
            raw: token,
            decoded: Decoded {
                signing_input_len: second,
                header,
                claims,
            },
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.decoded.header
    }

    /// The claims, unverified.
    pub fn claims(&self) -> &Claims {
        &self.decoded.claims
    }

    /// Checks the signature with the key of `keys` that the header's `kid` names (or the only
    /// key, if the token has no `kid`); the header and claims it covers, if it holds.
    pub fn verify(self, keys: &KeySet) -> Result<VerifiedClaims> {
        let key = keys.select(self.header().kid())?;
        let mut buffer = [0u8; MAX_SIGNATURE_LEN];
        let signature = b64::decode_into(self.signature_b64(), &mut buffer).unwrap_or_default();
        self.decoded.check(self.raw, key, signature)?;
        Ok(VerifiedClaims {
            header: self.decoded.header,
            claims: self.decoded.claims,
        })
    }

    /// The same token, with its own copy of the serialized token.
    pub fn into_owned(self) -> UnverifiedToken {
        UnverifiedToken {
            raw: self.raw.to_owned(),
            signature: b64::decode(self.signature_b64()).unwrap_or_default(),
            decoded: self.decoded,
        }
    }

    /// The signature segment, checked when the token was decoded.
    fn signature_b64(&self) -> &str {
        self.raw
            .get(self.decoded.signing_input_len + 1..)
            .unwrap_or_default()
    }
}

impl Decoded {
    /// Checks `signature` over the signing input of `raw`, the token this was decoded from.
    /// (A signature that did not decode is empty, and fails.)
    fn check(&self, raw: &str, key: &VerifyingKey, signature: &[u8]) -> Result<()> {
        // The length was measured on `raw`; were it not, the check would fail, never pass.
        let signing_input = raw
            .as_bytes()
            .get(..self.signing_input_len)
            .unwrap_or_default();
        key.verify(self.header.alg(), signing_input, signature)
    }
}

/// The header and claims of a token whose signature verified (the serialized token not kept).
/// Claims are not yet validated (that is the validator's job).
#[derive(Debug, Clone)]
pub struct VerifiedClaims {
    header: Header,
    claims: Claims,
}

impl VerifiedClaims {
    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The claims, covered by the verified signature.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

/// Refuses impossible signature lengths before any key is looked up.
fn check_signature_length(alg: Algorithm, len: usize) -> Result<()> {
    let (ok, expected) = match alg {
        Algorithm::Es256 => (len == ES256_SIGNATURE_LEN, ES256_SIGNATURE_LEN),
        Algorithm::Rs256 => {
            let min = (MIN_RSA_BITS / 8) as usize;
            (len >= min && len <= (MAX_RSA_BITS / 8) as usize, min)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(FormatError::SignatureLength {
            alg,
            expected,
            found: len,
        })
    }
}

/// A token whose signature verified. Claims are not yet validated (that is the validator's job).
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    raw: String,
    claims: VerifiedClaims,
}

impl VerifiedToken {
    /// The header.
    pub fn header(&self) -> &Header {
        &self.claims.header
    }

    /// The claims, covered by the verified signature.
    pub fn claims(&self) -> &Claims {
        &self.claims.claims
    }

    /// The header and claims.
    pub fn verified_claims(&self) -> &VerifiedClaims {
        &self.claims
    }

    /// The serialized token.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// Why `token` is not three segments: a stray `.` (the first empty segment), else the count.
/// Only called on the error path, so it may walk the input again.
fn segment_error(token: &str) -> FormatError {
    let found = token.split('.').count();
    if found > 1 {
        if let Some(position) = token.split('.').position(str::is_empty) {
            return FormatError::EmptySegment {
                position: position + 1,
                found,
            };
        }
    }
    match found {
        4 => FormatError::TokenWithKey,
        found => FormatError::SegmentCount { found },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_segments_is_token_with_key_five_is_count() {
        assert_eq!(
            UnverifiedToken::parse("a.b.c.d").unwrap_err().kind(),
            "token_with_key"
        );
        assert_eq!(
            UnverifiedToken::parse("a.b.c.d.e").unwrap_err().to_string(),
            "token has 5 segment(s); a compact JWS has exactly 3"
        );
        assert_eq!(
            UnverifiedToken::parse("").unwrap_err().kind(),
            "segment_count"
        );
    }

    #[test]
    fn a_stray_dot_is_an_empty_segment_not_a_token_with_key() {
        for (input, position, found) in [
            (".h.p.s", 1, 4),
            ("h.p.s.", 4, 4),
            ("h..p.s", 2, 4),
            ("...", 1, 4),
        ] {
            let err = UnverifiedToken::parse(input).unwrap_err();
            assert_eq!(err.kind(), "empty_segment", "{input}");
            assert_eq!(
                err.to_string(),
                format!(
                    "token segment {position} of {found} is empty (a stray '.'); \
                     a compact JWS has exactly 3 segments"
                ),
                "{input}"
            );
        }
    }

    #[test]
    fn size_limit_before_anything() {
        let long = "a".repeat(DEFAULT_MAX_TOKEN_LEN + 1);
        assert_eq!(
            UnverifiedToken::parse(&long).unwrap_err().kind(),
            "too_long"
        );
    }
}
