//! The protected header: `alg` checked first, `crit` refused, `kid` and `typ` typed.

use serde_json::{Map, Value};

use crate::error::{FormatError, Part, Result};
use crate::json;
use crate::key::Algorithm;
use crate::text::Untrusted;

/// `typ` written into SciTokens and WLCG tokens.
pub const TYP_JWT: &str = "JWT";
/// `typ` written into access tokens (RFC 9068).
pub const TYP_AT_JWT: &str = "at+jwt";

/// Room for a typical header's members (`alg`, `typ`, `kid`).
const TYPICAL_HEADER: usize = 4;

/// A parsed protected header.
///
/// The key-locating parameters `jku`, `x5u`, `x5c` and `jwk` are kept in [`raw`](Self::raw) for
/// inspection but never used to find keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    alg: Algorithm,
    kid: Option<String>,
    typ: Option<String>,
    raw: Map<String, Value>,
}

impl Header {
    /// A header for minting: `alg`, `typ`, `kid`, in that order.
    pub fn new(alg: Algorithm, typ: &str, kid: &str) -> Self {
        let mut raw = Map::new();
        raw.insert("alg".into(), alg.as_str().into());
        raw.insert("typ".into(), typ.into());
        raw.insert("kid".into(), kid.into());
        Header {
            alg,
            kid: Some(kid.to_owned()),
            typ: Some(typ.to_owned()),
            raw,
        }
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
        let raw = json::parse_object_sized(bytes, TYPICAL_HEADER).map_err(|reason| {
            FormatError::Json {
                part: Part::Header,
                reason,
            }
        })?;
        let alg = match raw.get("alg") {
            None => return Err(FormatError::MissingAlg),
            Some(Value::String(alg)) => alg.parse::<Algorithm>()?,
            Some(other) => {
                return Err(FormatError::AlgNotAllowed {
                    alg: Untrusted::json(other),
                })
            }
        };
        if raw.contains_key("crit") {
            return Err(FormatError::Header {
                field: "crit",
                reason: "is not supported (no JWS extensions are implemented)".into(),
            });
        }
        let kid = optional_string(&raw, "kid")?;
        let typ = optional_string(&raw, "typ")?;
        Ok(Header { alg, kid, typ, raw })
    }

    /// The signature algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key identifier, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The media type, if any.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// Whether `typ` marks an RFC 9068 access token (`at+jwt` or `application/at+jwt`,
    /// compared without regard to ASCII case as media types are).
    pub fn is_access_token_typ(&self) -> bool {
        self.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case(TYP_AT_JWT) || t.eq_ignore_ascii_case("application/at+jwt")
        })
    }

    /// Every header parameter, in token order.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    pub(crate) fn to_json(&self) -> String {
        Value::Object(self.raw.clone()).to_string()
    }
}

fn optional_string(raw: &Map<String, Value>, field: &'static str) -> Result<Option<String>> {
    match raw.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
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
