//! The protected header: `alg` checked first, `crit` refused, `kid` and `typ` typed.

use serde_json::{Map, Value};

use crate::error::{FormatError, Part, Result};
use crate::json;
use crate::key::Algorithm;
use crate::object::{Object, Vocabulary};
use crate::text::Untrusted;

/// `typ` written into SciTokens and WLCG tokens.
pub const TYP_JWT: &str = "JWT";
/// `typ` written into access tokens (RFC 9068).
pub const TYP_AT_JWT: &str = "at+jwt";

/// Room for a typical header's members (`alg`, `typ`, `kid`).
const TYPICAL_HEADER: usize = 4;

/// The header parameters read on every token.
struct HeaderNames;

impl Vocabulary for HeaderNames {
    const NAMES: &'static [&'static str] = &["alg", "kid", "typ", "crit"];
}

const SLOT_ALG: usize = 0;
const SLOT_KID: usize = 1;
const SLOT_TYP: usize = 2;
const SLOT_CRIT: usize = 3;

/// A parsed protected header.
///
/// The key-locating parameters `jku`, `x5u`, `x5c` and `jwk` are kept among the
/// [`parameters`](Self::parameters) for inspection but never used to find keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    alg: Algorithm,
    raw: Object<HeaderNames>,
}

impl Header {
    /// A header for minting: `alg`, `typ`, `kid`, in that order.
    pub fn new(alg: Algorithm, typ: &str, kid: &str) -> Self {
        let mut raw = Object::with_capacity(3);
        raw.insert("alg", alg.as_str().into());
        raw.insert("typ", typ.into());
        raw.insert("kid", kid.into());
        Header { alg, raw }
    }

    /// Parses header JSON. `alg` is checked before anything else, so a token with a refused
    /// algorithm costs no key work.
    ///
    /// ```
    /// use scitokens_format::Header;
    /// assert_eq!(Header::from_json(br#"{"alg":"none"}"#).unwrap_err().kind(), "alg_not_allowed");
    /// assert_eq!(Header::from_json(br#"{"alg":"ES256","crit":["b64"]}"#).unwrap_err().kind(), "header");
    /// assert_eq!(Header::from_json(br#"{"alg":"ES256","kid":"k"}"#).unwrap().kid(), Some("k"));
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let raw = Object::<HeaderNames>::parse(bytes, TYPICAL_HEADER).map_err(|reason| {
            FormatError::Json {
                part: Part::Header,
                reason,
            }
        })?;
        let alg = match raw.known(SLOT_ALG) {
            None => return Err(FormatError::MissingAlg),
            Some(Value::String(alg)) => alg.parse::<Algorithm>()?,
            Some(other) => {
                return Err(FormatError::AlgNotAllowed {
                    alg: Untrusted::json(other),
                })
            }
        };
        if raw.known(SLOT_CRIT).is_some() {
            return Err(FormatError::Header {
                field: "crit",
                reason: "is not supported (no JWS extensions are implemented)".into(),
            });
        }
        optional_string(&raw, SLOT_KID)?;
        optional_string(&raw, SLOT_TYP)?;
        Ok(Header { alg, raw })
    }

    /// The signature algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key identifier, if any.
    pub fn kid(&self) -> Option<&str> {
        self.raw.known(SLOT_KID).and_then(Value::as_str)
    }

    /// The media type, if any.
    pub fn typ(&self) -> Option<&str> {
        self.raw.known(SLOT_TYP).and_then(Value::as_str)
    }

    /// Whether `typ` marks an RFC 9068 access token (`at+jwt` or `application/at+jwt`,
    /// compared without regard to ASCII case as media types are).
    pub fn is_access_token_typ(&self) -> bool {
        self.typ().is_some_and(|t| {
            t.eq_ignore_ascii_case(TYP_AT_JWT) || t.eq_ignore_ascii_case("application/at+jwt")
        })
    }

    /// Every header parameter, in token order.
    ///
    /// ```
    /// use scitokens_format::Header;
    /// let h = Header::from_json(br#"{"kid":"k","alg":"RS256","x5u":"https://x"}"#).unwrap();
    /// let names: Vec<_> = h.parameters().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["kid", "alg", "x5u"]);
    /// assert_eq!(h.to_map().len(), 3);
    /// ```
    pub fn parameters(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.raw.iter()
    }

    /// Every header parameter as a JSON object (a copy), in token order.
    pub fn to_map(&self) -> Map<String, Value> {
        self.raw.to_map()
    }

    pub(crate) fn to_json(&self) -> String {
        // A map of JSON values with string keys always serializes.
        serde_json::to_string(&self.raw).unwrap_or_default()
    }
}

/// Refuses a `kid` or `typ` that is present but not a string.
fn optional_string(raw: &Object<HeaderNames>, slot: usize) -> Result<()> {
    let field = HeaderNames::NAMES[slot];
    match raw.known(slot) {
        None | Some(Value::String(_)) => Ok(()),
        Some(other) => Err(FormatError::Header {
            field,
            reason: format!(
                "is {} {}, not a string",
                json::kind_of(other),
                Untrusted::json(other)
            ),
        }),
    }
}
