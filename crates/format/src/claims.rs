//! Token claims: order-preserving, with registered claims read as parsed, malformed or absent.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::clock::UnixTime;
use crate::error::{FormatError, Result};
use crate::object::{Found, Object, Vocabulary};
use crate::text::Untrusted;

/// Registered and SciTokens claim names.
pub mod names {
    /// Issuer.
    pub const ISS: &str = "iss";
    /// Subject.
    pub const SUB: &str = "sub";
    /// Audience.
    pub const AUD: &str = "aud";
    /// Expiry time.
    pub const EXP: &str = "exp";
    /// Not-before time.
    pub const NBF: &str = "nbf";
    /// Issued-at time.
    pub const IAT: &str = "iat";
    /// Token identifier.
    pub const JTI: &str = "jti";
    /// Capabilities.
    pub const SCOPE: &str = "scope";
    /// SciTokens version marker.
    pub const VER: &str = "ver";
    /// WLCG profile version marker.
    pub const WLCG_VER: &str = "wlcg.ver";
    /// WLCG group memberships.
    pub const WLCG_GROUPS: &str = "wlcg.groups";
    /// SciTokens 1.0 optional-claims marker.
    pub const OPT: &str = "opt";
}

/// A registered claim read from a token: present and well-formed, present with the wrong type
/// or form, or absent. "Missing" and "malformed" cannot be confused.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimValue<T> {
    /// Present and well-formed.
    Present(T),
    /// Present, but not of the required type or form; the reason says why.
    Malformed(String),
    /// Not in the token.
    Absent,
}

impl<T> ClaimValue<T> {
    /// The value, or an error naming the claim if it is absent or malformed.
    pub fn require(self, claim: &str) -> Result<T> {
        match self {
            ClaimValue::Present(v) => Ok(v),
            ClaimValue::Malformed(reason) => Err(FormatError::malformed(claim, reason)),
            ClaimValue::Absent => Err(FormatError::MissingClaim {
                claim: claim.to_owned(),
            }),
        }
    }

    /// The value if present, `None` if absent, an error naming the claim if malformed.
    pub fn optional(self, claim: &str) -> Result<Option<T>> {
        match self {
            ClaimValue::Present(v) => Ok(Some(v)),
            ClaimValue::Malformed(reason) => Err(FormatError::malformed(claim, reason)),
            ClaimValue::Absent => Ok(None),
        }
    }

    /// Whether the claim is absent.
    pub fn is_absent(&self) -> bool {
        matches!(self, ClaimValue::Absent)
    }
}

/// The `aud` claim: one string or a non-empty array of strings, borrowed from the claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience<'a>(AudienceValues<'a>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AudienceValues<'a> {
    One(&'a str),
    /// Checked to be strings when the claim was read.
    Many(&'a [Value]),
}

impl<'a> Audience<'a> {
    /// The audiences, in token order.
    pub fn values(&self) -> impl Iterator<Item = &'a str> {
        let (one, many) = match self.0 {
            AudienceValues::One(s) => (Some(s), &[][..]),
            AudienceValues::Many(items) => (None, items),
        };
        one.into_iter().chain(many.iter().filter_map(Value::as_str))
    }

    /// Whether `aud` equals `value` exactly (case-sensitive).
    pub fn contains(&self, value: &str) -> bool {
        self.values().any(|a| a == value)
    }
}

/// Room for the claims of a typical token (registered claims, scope, markers).
const TYPICAL_CLAIMS: usize = 12;

/// The claim names read on every token, each with a slot (see `object.rs`).
pub(crate) struct ClaimNames;

impl Vocabulary for ClaimNames {
    const NAMES: &'static [&'static str] = &[
        names::ISS,
        names::SUB,
        names::AUD,
        names::EXP,
        names::NBF,
        names::IAT,
        names::JTI,
        names::SCOPE,
        names::VER,
        names::WLCG_VER,
        names::WLCG_GROUPS,
        names::OPT,
    ];
}

const SLOT_ISS: usize = 0;
const SLOT_SUB: usize = 1;
const SLOT_AUD: usize = 2;
const SLOT_EXP: usize = 3;
const SLOT_NBF: usize = 4;
const SLOT_IAT: usize = 5;
const SLOT_JTI: usize = 6;
const SLOT_SCOPE: usize = 7;

/// The claims of a token, in token order. Serializes as the JSON object it was read from.
///
/// ```
/// use scitokens_format::{Claims, ClaimValue, UnixTime};
/// let claims = Claims::from_json(br#"{"iss":"https://i.example","exp":1.9,"aud":["a","b"]}"#).unwrap();
/// assert_eq!(claims.exp(), ClaimValue::Present(UnixTime::from_secs(1)));
/// assert_eq!(claims.iss(), ClaimValue::Present("https://i.example"));
/// assert!(claims.nbf().is_absent());
/// assert!(claims.aud().require("aud").unwrap().contains("b"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Claims(Object<ClaimNames>);

impl Default for Claims {
    fn default() -> Self {
        Claims(Object::with_capacity(0))
    }
}

impl Claims {
    /// The claims of a JSON object, in its order.
    pub fn new(map: Map<String, Value>) -> Self {
        Claims(Object::from_map(map))
    }

    /// Parses a JSON object strictly (duplicate names refused at any depth).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_decoded(bytes.to_vec())
    }

    /// [`from_json`](Self::from_json), keeping `bytes` as the claims' text (no copy): plain
    /// string claims are read from it in place.
    pub(crate) fn from_decoded(bytes: Vec<u8>) -> Result<Self> {
        Object::parse(bytes, TYPICAL_CLAIMS)
            .map(Claims)
            .map_err(|reason| FormatError::Json {
                part: crate::error::Part::Payload,
                reason,
            })
    }

    /// Fuzzing builds only: the general parser without the fast path (`members.rs`), for the
    /// `claims` target to check that both agree on every input.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn from_json_without_shortcut(bytes: &[u8]) -> Result<Self> {
        let json_error = |reason| FormatError::Json {
            part: crate::error::Part::Payload,
            reason,
        };
        let text = std::str::from_utf8(bytes).map_err(|e| json_error(format!("not UTF-8: {e}")))?;
        Object::parse_general(text, TYPICAL_CLAIMS)
            .map(Claims)
            .map_err(json_error)
    }

    /// The raw value of a claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// All claims in token order.
    ///
    /// ```
    /// use scitokens_format::Claims;
    /// let claims = Claims::from_json(br#"{"sub":"a","x":1}"#).unwrap();
    /// assert_eq!(claims.iter().map(|(name, _)| name).collect::<Vec<_>>(), ["sub", "x"]);
    /// assert_eq!(claims.len(), 2);
    /// assert_eq!(serde_json::to_string(&claims).unwrap(), r#"{"sub":"a","x":1}"#);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter()
    }

    /// How many claims.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no claims.
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// The claims as a JSON object (a copy), in token order.
    pub fn to_map(&self) -> Map<String, Value> {
        self.0.to_map()
    }

    /// The claims as a JSON object, in token order.
    pub fn into_map(self) -> Map<String, Value> {
        self.0.into_map()
    }

    /// Whether the token has this claim.
    pub fn contains(&self, name: &str) -> bool {
        self.0.get_found(name).is_some()
    }

    /// A string claim.
    pub fn string(&self, name: &str) -> ClaimValue<&str> {
        string_claim(self.0.get_found(name))
    }

    /// A time claim: a JSON number of seconds since the epoch, fractions floored.
    pub fn time(&self, name: &str) -> ClaimValue<UnixTime> {
        time_claim(self.0.get_found(name))
    }

    /// `iss`.
    pub fn iss(&self) -> ClaimValue<&str> {
        string_claim(self.0.known_found(SLOT_ISS))
    }

    /// `sub`.
    pub fn sub(&self) -> ClaimValue<&str> {
        string_claim(self.0.known_found(SLOT_SUB))
    }

    /// `jti`.
    pub fn jti(&self) -> ClaimValue<&str> {
        string_claim(self.0.known_found(SLOT_JTI))
    }

    /// `scope`, which must be a string (not an array).
    pub fn scope(&self) -> ClaimValue<&str> {
        string_claim(self.0.known_found(SLOT_SCOPE))
    }

    /// `exp`.
    pub fn exp(&self) -> ClaimValue<UnixTime> {
        time_claim(self.0.known_found(SLOT_EXP))
    }

    /// `nbf`.
    pub fn nbf(&self) -> ClaimValue<UnixTime> {
        time_claim(self.0.known_found(SLOT_NBF))
    }

    /// `iat`.
    pub fn iat(&self) -> ClaimValue<UnixTime> {
        time_claim(self.0.known_found(SLOT_IAT))
    }

    /// `aud`: a string, or a non-empty array of strings.
    pub fn aud(&self) -> ClaimValue<Audience<'_>> {
        match self.0.known_found(SLOT_AUD) {
            None => ClaimValue::Absent,
            Some(Found::Str(s)) => ClaimValue::Present(Audience(AudienceValues::One(s))),
            Some(Found::Other(Value::Array(items))) if !items.is_empty() => {
                if items.iter().all(Value::is_string) {
                    ClaimValue::Present(Audience(AudienceValues::Many(items)))
                } else {
                    ClaimValue::Malformed(format!(
                        "expected an array of strings, found {}",
                        Untrusted::json(&Value::Array(items.clone()))
                    ))
                }
            }
            Some(Found::Other(Value::Array(_))) => {
                ClaimValue::Malformed("empty audience array".into())
            }
            Some(other) => ClaimValue::Malformed(format!(
                "expected a string or an array of strings, found {}",
                other.describe()
            )),
        }
    }

    /// Sets a claim: an existing one keeps its place, a new one goes last.
    ///
    /// ```
    /// use scitokens_format::Claims;
    /// let mut claims = Claims::from_json(br#"{"sub":"a","x":1}"#).unwrap();
    /// claims.insert("sub", "b".into());
    /// claims.insert("aud", "s".into());
    /// assert_eq!(serde_json::to_string(&claims).unwrap(), r#"{"sub":"b","x":1,"aud":"s"}"#);
    /// assert_eq!(claims.sub().require("sub").unwrap(), "b");
    /// ```
    pub fn insert(&mut self, name: &str, value: Value) {
        self.0.insert(name, value);
    }
}

impl Serialize for Claims {
    /// As the JSON object, claims in token order.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

fn string_claim(value: Option<Found<'_>>) -> ClaimValue<&str> {
    match value {
        None => ClaimValue::Absent,
        Some(Found::Str(s)) => ClaimValue::Present(s),
        Some(other) => {
            ClaimValue::Malformed(format!("expected a string, found {}", other.describe()))
        }
    }
}

fn time_claim(value: Option<Found<'_>>) -> ClaimValue<UnixTime> {
    match value {
        None => ClaimValue::Absent,
        Some(Found::Number(n)) => match n.as_i64() {
            Some(t) => ClaimValue::Present(UnixTime::from_secs(t)),
            None => match n.as_f64().map(f64::floor) {
                // Within ±2^53 a float floors to an exact integer.
                Some(t) if t.abs() <= 9_007_199_254_740_992.0 => {
                    ClaimValue::Present(UnixTime::from_secs(t as i64))
                }
                _ => ClaimValue::Malformed(format!("time {n} is out of range")),
            },
        },
        Some(other) => ClaimValue::Malformed(format!(
            "expected a number of seconds, found {}",
            other.describe()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `claims` fuzz target: without serde_json's `float_roundtrip`, a float
    /// claim re-encoded and decoded again came back as a different number.
    #[test]
    fn float_claims_round_trip_exactly() {
        let text = br#"{"nbf":17000922337203685471.507600,"x":0.1,"y":-2.2250738585072014e-308}"#;
        let claims = Claims::from_json(text).unwrap_or_default();
        assert_eq!(claims.len(), 3);
        let encoded = serde_json::to_vec(&claims).unwrap_or_default();
        let again = Claims::from_json(&encoded).unwrap_or_default();
        assert_eq!(again, claims);
    }

    /// The slot constants name the right claims, and the vocabulary fits the slot table.
    #[test]
    fn slots_match_the_vocabulary() {
        let vocabulary = ClaimNames::NAMES;
        assert!(vocabulary.len() <= 16);
        for (i, name) in vocabulary.iter().enumerate() {
            assert_eq!(ClaimNames::slot(name), Some(i), "{name} listed once");
        }
        for (slot, name) in [
            (SLOT_ISS, names::ISS),
            (SLOT_SUB, names::SUB),
            (SLOT_AUD, names::AUD),
            (SLOT_EXP, names::EXP),
            (SLOT_NBF, names::NBF),
            (SLOT_IAT, names::IAT),
            (SLOT_JTI, names::JTI),
            (SLOT_SCOPE, names::SCOPE),
        ] {
            assert_eq!(vocabulary[slot], name);
        }
    }

    #[test]
    fn malformed_is_not_absent() {
        let c = Claims::from_json(br#"{"exp":"1700000000","aud":[],"sub":7,"nbf":-5}"#).unwrap();
        let err = c.exp().require("exp").unwrap_err();
        assert_eq!(err.kind(), "malformed_claim");
        assert!(err.to_string().contains("\"1700000000\""), "{err}");
        assert!(matches!(c.aud(), ClaimValue::Malformed(_)));
        assert!(matches!(c.sub(), ClaimValue::Malformed(_)));
        assert_eq!(c.nbf(), ClaimValue::Present(UnixTime::from_secs(-5)));
        assert_eq!(c.iat().require("iat").unwrap_err().kind(), "missing_claim");
        assert_eq!(c.iat().optional("iat").unwrap(), None);
    }

    #[test]
    fn wrong_types_are_described_once() {
        let c = Claims::from_json(br#"{"sub":null,"exp":true,"aud":7,"jti":["x"]}"#).unwrap();
        let reason = |e: FormatError| match e {
            FormatError::MalformedClaim { reason, .. } => reason,
            other => other.to_string(),
        };
        assert_eq!(
            reason(c.sub().require("sub").unwrap_err()),
            "expected a string, found null"
        );
        assert_eq!(
            reason(c.exp().require("exp").unwrap_err()),
            "expected a number of seconds, found the boolean true"
        );
        assert_eq!(
            reason(c.aud().require("aud").unwrap_err()),
            "expected a string or an array of strings, found the number 7"
        );
        assert_eq!(
            reason(c.jti().require("jti").unwrap_err()),
            "expected a string, found an array [\"x\"]"
        );
    }

    #[test]
    fn times_floor_and_bound() {
        let c = Claims::from_json(br#"{"a":-1.5,"b":1e300,"c":17.99}"#).unwrap();
        assert_eq!(c.time("a"), ClaimValue::Present(UnixTime::from_secs(-2)));
        assert!(matches!(c.time("b"), ClaimValue::Malformed(_)));
        assert_eq!(c.time("c"), ClaimValue::Present(UnixTime::from_secs(17)));
    }
}
