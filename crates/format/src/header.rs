//! The protected header: `alg` checked first, `crit` refused, `kid` and `typ` typed.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{FormatError, Part, Result};
use crate::json;
use crate::key::Algorithm;
use crate::members::{self, Raw};
use crate::object::{duplicate, Key, KeySeed, NameSet, Vocabulary};
use crate::text::Untrusted;

/// `typ` written into SciTokens and WLCG tokens.
pub const TYP_JWT: &str = "JWT";
/// `typ` written into access tokens (RFC 9068).
pub const TYP_AT_JWT: &str = "at+jwt";

/// The header parameters this crate reads.
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
/// `alg`, `kid` and `typ` are kept typed; every parameter (including the key-locating `jku`,
/// `x5u`, `x5c` and `jwk`, which are never used to find keys) is in [`to_map`](Self::to_map),
/// read again from the header's JSON text when asked for. Decoding a token therefore builds
/// no JSON values and copies no strings: `alg` and `typ` are read in place, and `kid` is a
/// range of the header's text (copied only if it was written with escapes).
#[derive(Debug, Clone)]
pub struct Header {
    alg: Algorithm,
    kid: Option<Kid>,
    typ: Option<Cow<'static, str>>,
    /// The header as decoded (or as written, for a minted one): a JSON object.
    json: String,
}

impl PartialEq for Header {
    /// The same parameters with the same values, in the same order (white space aside).
    fn eq(&self, other: &Self) -> bool {
        self.alg == other.alg
            && self.kid() == other.kid()
            && self.typ == other.typ
            && (self.json == other.json || self.to_map() == other.to_map())
    }
}

impl Header {
    /// A header for minting: `alg`, `typ`, and `kid` when there is one, in that order.
    ///
    /// ```
    /// use scitokens_format::{Algorithm, Header};
    /// assert_eq!(Header::new(Algorithm::Es256, "JWT", Some("k")).kid(), Some("k"));
    /// assert_eq!(Header::new(Algorithm::Es256, "JWT", None).kid(), None);
    /// ```
    pub fn new(alg: Algorithm, typ: &str, kid: Option<&str>) -> Self {
        // Written directly (a JSON map would cost a hash table per token minted); strings
        // escaped by serde_json.
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut json = String::with_capacity(40 + typ.len() + kid.map_or(0, str::len));
        json.push_str("{\"alg\":\"");
        json.push_str(alg.as_str());
        json.push_str("\",\"typ\":");
        json.push_str(&quoted(typ));
        let kid = kid.map(|kid| {
            json.push_str(",\"kid\":");
            let start = json.len() + 1;
            json.push_str(&quoted(kid));
            Kid::of(&json, kid, start)
        });
        json.push('}');
        Header {
            alg,
            kid,
            typ: Some(intern_typ(Cow::Borrowed(typ))),
            json,
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
    /// assert_eq!(Header::from_json(br#"{"alg":"ES256","kid":7}"#).unwrap_err().kind(), "header");
    /// assert_eq!(Header::from_json(br#"{"alg":"ES256","x":1,"x":2}"#).unwrap_err().kind(), "json");
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_decoded(bytes.to_vec())
    }

    /// Fuzzing builds only: [`from_json`](Self::from_json) without the fast path
    /// (`members.rs`), for the `claims` target to check that both agree on every input.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn from_json_without_shortcut(bytes: &[u8]) -> Result<Self> {
        Self::from_text(bytes.to_vec(), read_fields_general)
    }

    /// [`from_json`](Self::from_json), keeping `bytes` as the header's text (no copy).
    pub(crate) fn from_decoded(bytes: Vec<u8>) -> Result<Self> {
        Self::from_text(bytes, read_fields)
    }

    fn from_text(
        bytes: Vec<u8>,
        read: fn(&str) -> std::result::Result<Fields<'_>, String>,
    ) -> Result<Self> {
        let json_error = |reason: String| FormatError::Json {
            part: Part::Header,
            reason,
        };
        let json = String::from_utf8(bytes)
            .map_err(|e| json_error(format!("not UTF-8: {}", e.utf8_error())))?;
        let (alg, kid, typ) = {
            let fields = read(&json).map_err(json_error)?;
            let alg = match fields.alg {
                None => return Err(FormatError::MissingAlg),
                Some(Text::Str(alg)) => alg.parse::<Algorithm>()?,
                Some(Text::Other(other)) => {
                    return Err(FormatError::AlgNotAllowed {
                        alg: Untrusted::json(&other),
                    })
                }
            };
            if fields.crit {
                return Err(FormatError::Header {
                    field: "crit",
                    reason: "is not supported (no JWS extensions are implemented)".into(),
                });
            }
            let kid = string_field(fields.kid, SLOT_KID)?.map(|kid| match kid {
                Cow::Borrowed(s) => Kid::of(&json, s, offset_in(&json, s)),
                Cow::Owned(s) => Kid::Owned(s),
            });
            let typ = string_field(fields.typ, SLOT_TYP)?.map(|t| intern_typ(t));
            (alg, kid, typ)
        };
        Ok(Header {
            alg,
            kid,
            typ,
            json,
        })
    }

    /// The signature algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key identifier, if any.
    pub fn kid(&self) -> Option<&str> {
        match self.kid.as_ref()? {
            // The range was found in this text; `get` keeps a mistake from becoming a panic.
            Kid::InText { start, end } => Some(
                self.json
                    .get(*start as usize..*end as usize)
                    .unwrap_or_default(),
            ),
            Kid::Owned(kid) => Some(kid),
        }
    }

    /// The media type, if any.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// Whether `typ` marks an RFC 9068 access token (`at+jwt` or `application/at+jwt`,
    /// compared without regard to ASCII case as media types are).
    pub fn is_access_token_typ(&self) -> bool {
        self.typ().is_some_and(|t| {
            t.eq_ignore_ascii_case(TYP_AT_JWT) || t.eq_ignore_ascii_case("application/at+jwt")
        })
    }

    /// Every header parameter as a JSON object, in token order.
    ///
    /// ```
    /// use scitokens_format::Header;
    /// let h = Header::from_json(br#"{"kid":"k","alg":"RS256","x5u":"https://x"}"#).unwrap();
    /// let map = h.to_map();
    /// assert_eq!(map.keys().collect::<Vec<_>>(), ["kid", "alg", "x5u"]);
    /// assert_eq!(map["x5u"], "https://x");
    /// ```
    pub fn to_map(&self) -> Map<String, Value> {
        // The text parsed strictly when the header was made, so it parses again.
        json::parse_object(self.json.as_bytes()).unwrap_or_default()
    }

    pub(crate) fn to_json(&self) -> String {
        self.json.clone()
    }
}

/// Where a header's `kid` is: a range of its text (written without escapes), or its own copy.
#[derive(Debug, Clone)]
enum Kid {
    InText { start: u32, end: u32 },
    Owned(String),
}

impl Kid {
    /// `kid`, which `json` holds at `start` if it was written there as it is; a copy
    /// otherwise.
    fn of(json: &str, kid: &str, start: usize) -> Kid {
        let end = start.saturating_add(kid.len());
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) if json.get(start..end) == Some(kid) => Kid::InText { start: s, end: e },
            _ => Kid::Owned(kid.to_owned()),
        }
    }
}

/// Where `inner`, a slice of `outer`, starts in it (`usize::MAX` if it is not a slice of it,
/// which [`Kid::of`] then copies).
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize)
        .checked_sub(outer.as_ptr() as usize)
        .filter(|start| {
            start
                .checked_add(inner.len())
                .is_some_and(|end| end <= outer.len())
        })
        .unwrap_or(usize::MAX)
}

/// `typ` as a shared constant for the two values tokens carry, else owned.
fn intern_typ(typ: Cow<'_, str>) -> Cow<'static, str> {
    match typ.as_ref() {
        TYP_JWT => Cow::Borrowed(TYP_JWT),
        TYP_AT_JWT => Cow::Borrowed(TYP_AT_JWT),
        _ => Cow::Owned(typ.into_owned()),
    }
}

/// A `kid` or `typ` that must be a string if present.
fn string_field<'a>(field: Option<Text<'a>>, slot: usize) -> Result<Option<Cow<'a, str>>> {
    match field {
        None => Ok(None),
        Some(Text::Str(s)) => Ok(Some(s)),
        Some(Text::Other(other)) => Err(FormatError::Header {
            field: HeaderNames::NAMES[slot],
            reason: format!("is {}, not a string", json::describe(&other)),
        }),
    }
}

/// A parameter value: a string read in place (copied only if it had escapes), or any other
/// JSON value (for the error message).
#[derive(Debug, PartialEq)]
enum Text<'de> {
    Str(Cow<'de, str>),
    Other(Value),
}

/// What the header says about the parameters this crate reads.
#[derive(Debug, Default, PartialEq)]
struct Fields<'de> {
    alg: Option<Text<'de>>,
    kid: Option<Text<'de>>,
    typ: Option<Text<'de>>,
    crit: bool,
}

impl<'de> Fields<'de> {
    /// Records a parameter read from the header, `others` holding the other names read so
    /// far; `Err` with the name if the header already had it. `text` is asked for only for
    /// `alg`, `kid` and `typ`, the parameters kept.
    fn set(
        &mut self,
        others: &mut NameSet,
        key: Key,
        text: impl FnOnce() -> Text<'de>,
    ) -> std::result::Result<(), Cow<'static, str>> {
        let slot = match key {
            Key::Known(SLOT_CRIT) if self.crit => return Err(Cow::Borrowed("crit")),
            Key::Known(SLOT_CRIT) => {
                self.crit = true;
                return Ok(());
            }
            Key::Known(slot) => slot,
            Key::Other(name) if others.insert(&name) => return Ok(()),
            Key::Other(name) => return Err(Cow::Owned(name)),
        };
        let target = match slot {
            SLOT_ALG => &mut self.alg,
            SLOT_KID => &mut self.kid,
            _ => &mut self.typ,
        };
        if target.is_some() {
            return Err(Cow::Borrowed(HeaderNames::NAMES[slot]));
        }
        *target = Some(text());
        Ok(())
    }
}

/// Reads the header object strictly (duplicate names refused at any depth, nesting bounded),
/// keeping only `alg`, `kid`, `typ` and whether `crit` is present.
fn read_fields(json: &str) -> std::result::Result<Fields<'_>, String> {
    match read_plain_fields(json) {
        Some(fields) => Ok(fields),
        None => read_fields_general(json),
    }
}

/// The fast path (`members.rs`); `None` for anything it does not take, a repeated name
/// included, and the general reader then gives the canonical result.
fn read_plain_fields(json: &str) -> Option<Fields<'_>> {
    let mut fields = Fields::default();
    let mut others = NameSet::default();
    members::read_object(json, |name, raw| {
        let text = || match raw {
            Raw::Str(s, _) => Text::Str(Cow::Borrowed(s)),
            raw => match raw.into_value() {
                // A string with escapes, read by serde_json.
                Value::String(s) => Text::Str(Cow::Owned(s)),
                value => Text::Other(value),
            },
        };
        fields
            .set(&mut others, Key::of::<HeaderNames>(name), text)
            .ok()
    })?;
    Some(fields)
}

/// The general reader, through serde_json.
fn read_fields_general(json: &str) -> std::result::Result<Fields<'_>, String> {
    if !json.trim_start().starts_with('{') {
        let value = json::parse_with_capacity(json.as_bytes(), 0)?;
        return Err(format!(
            "expected a JSON object, found {}",
            json::kind_of(&value)
        ));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let fields = de
        .deserialize_map(FieldsVisitor)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(fields)
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut access: A,
    ) -> std::result::Result<Fields<'de>, A::Error> {
        let mut fields = Fields::default();
        let mut others = NameSet::default();
        while let Some(key) = access.next_key_seed(KeySeed::<HeaderNames>(PhantomData))? {
            let text = match key {
                Key::Known(SLOT_ALG | SLOT_KID | SLOT_TYP) => access.next_value_seed(TextSeed)?,
                _ => Text::Other(access.next_value_seed(json::NESTED)?),
            };
            fields
                .set(&mut others, key, || text)
                .map_err(|name| duplicate(&name))?;
        }
        Ok(fields)
    }
}

struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Text<'de>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Text<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TextSeed {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Text<'de>, E> {
        Ok(Text::Other(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Text<'de>, E> {
        Ok(Text::Other(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Text<'de>, E> {
        Ok(Text::Other(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Text<'de>, E> {
        json::StrictVisitor { capacity: 0 }
            .visit_f64(v)
            .map(Text::Other)
    }

    fn visit_unit<E>(self) -> std::result::Result<Text<'de>, E> {
        Ok(Text::Other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Text<'de>, A::Error> {
        json::StrictVisitor { capacity: 0 }
            .visit_seq(seq)
            .map(Text::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Text<'de>, A::Error> {
        json::StrictVisitor { capacity: 0 }
            .visit_map(map)
            .map(Text::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kid` is read where it is written, and copied when it was written with escapes, by
    /// the reader and by the minting constructor alike.
    #[test]
    fn kid_in_place_or_copied() {
        for kid in ["k1", "", "k\"1", "é/\\", "\u{1}"] {
            let minted = Header::new(Algorithm::Rs256, TYP_JWT, Some(kid));
            assert_eq!(minted.kid(), Some(kid));
            let read = Header::from_json(minted.json.as_bytes()).unwrap();
            assert_eq!(read.kid(), Some(kid));
            assert_eq!(read, minted);
            let escaped = matches!(read.kid, Some(Kid::Owned(_)));
            assert_eq!(
                escaped,
                serde_json::to_string(kid).unwrap().len() != kid.len() + 2
            );
        }
        let h = Header::from_json(br#"{"kid":"a\u0062c","alg":"ES256"}"#).unwrap();
        assert_eq!(h.kid(), Some("abc"));
        assert_eq!(Header::new(Algorithm::Es256, TYP_JWT, None).kid(), None);
    }

    /// The fast path reads what the general reader reads, or leaves the text to it.
    #[test]
    fn fast_path_agrees_with_the_general_reader() {
        let mut taken = 0;
        for text in [
            r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#,
            r#" { "kid" : "k" , "alg" : "ES256" } "#,
            r#"{"alg":"ES256","kid":"es\u0000\u0001\n"}"#,
            r#"{"alg":"ES\u0032\u0035\u0036","typ":"at+jwt"}"#,
            r#"{"alg":"ES256","kid":7,"typ":null}"#,
            r#"{"alg":["ES256"],"x5c":["a","b"],"jwk":{"kty":"EC"}}"#,
            r#"{"alg":"ES256","crit":["b64"],"b64":false}"#,
            r#"{"alg":"ES256","crit":1,"crit":2}"#,
            r#"{"alg":"ES256","alg":"RS256"}"#,
            r#"{"alg":"ES256","x":1,"x":2}"#,
            r#"{"alg":"ES256","x":{"y":1,"y":2}}"#,
            r#"{"alg":"ES256",}"#,
            r#"{"alg":"ES256"} x"#,
            r#"["alg"]"#,
            "",
        ] {
            let general = read_fields_general(text);
            match read_plain_fields(text) {
                Some(fast) => {
                    assert_eq!(Ok(fast), general, "{text}");
                    taken += 1;
                }
                None => assert!(general.is_err() || text.contains("\\u"), "{text}"),
            }
        }
        assert!(taken >= 5, "{taken}");
    }
}
