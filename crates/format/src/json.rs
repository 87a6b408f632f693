//! JSON objects parsed strictly: duplicate member names anywhere are refused (RFC 7515 §5.2).
//!
//! serde_json keeps the last of two equal names; two implementations could then read two
//! different tokens from the same bytes. This visitor builds an ordinary
//! [`serde_json::Value`] (member order preserved) and fails on the first repeated name.
//! Nesting depth is bounded by serde_json's recursion limit (128), so a deeply nested
//! document is an error, never a stack overflow.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};
use std::fmt;

use crate::text::Untrusted;

/// Parses `bytes` as one JSON value, refusing duplicate member names at any depth,
/// pre-sizing the top-level object for `capacity` members (nested objects
/// start empty): one allocation for a token's claims instead of several regrowths.
pub(crate) fn parse_with_capacity(bytes: &[u8], capacity: usize) -> Result<Value, String> {
    // One UTF-8 check of the whole document (vectorized) rather than one per string.
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictSeed { capacity }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Parses `bytes` as a JSON object, refusing duplicate member names at any depth and nesting
/// deeper than 128; the error says what was wrong. Member order is preserved.
///
/// ```
/// use scitokens_format::parse_json_object;
/// assert_eq!(parse_json_object(br#"{"b":1,"a":2}"#).unwrap().keys().next().unwrap(), "b");
/// assert!(parse_json_object(br#"{"a":1,"a":2}"#).unwrap_err().contains("duplicate"));
/// assert!(parse_json_object(b"[1]").is_err());
/// ```
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    parse_object_sized(bytes, 0)
}

/// [`parse_object`] with the object pre-sized for `capacity` members.
pub(crate) fn parse_object_sized(
    bytes: &[u8],
    capacity: usize,
) -> Result<Map<String, Value>, String> {
    match parse_with_capacity(bytes, capacity)? {
        Value::Object(map) => Ok(map),
        other => Err(format!("expected a JSON object, found {}", kind_of(&other))),
    }
}

/// A short name for the JSON type of `value`, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value for a message: its kind and, where that says more, the value itself (cut and
/// escaped): `null`, `the boolean true`, `the number 7`, `an array [1,2]`. Never "null null".
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        other => format!("{} {}", kind_of(other), crate::text::Untrusted::json(other)),
    }
}

/// A strict value whose (top-level) object map starts with room for `capacity` members.
#[derive(Clone, Copy)]
pub(crate) struct StrictSeed {
    capacity: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor {
            capacity: self.capacity,
        })
    }
}

pub(crate) const NESTED: StrictSeed = StrictSeed { capacity: 0 };

/// A value read with the strict seed, for readers that take a `Deserialize` type (a
/// `StreamDeserializer` reading one value out of a longer text).
pub(crate) struct Strict(pub(crate) Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        NESTED.deserialize(deserializer).map(Strict)
    }
}

pub(crate) struct StrictVisitor {
    pub(crate) capacity: usize,
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NESTED)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        // Hash each name once; the caller sizes the top-level map.
        let mut map = Map::with_capacity(self.capacity);
        while let Some(name) = access.next_key::<String>()? {
            let value = access.next_value_seed(NESTED)?;
            match map.entry(name) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(existing) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate member name {}",
                        Untrusted::new(existing.key())
                    )));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_refused_at_any_depth() {
        assert!(parse_object(br#"{"a":1,"b":{"c":1}}"#).is_ok());
        let err = parse_object(br#"{"exp":1,"exp":2}"#).unwrap_err();
        assert!(err.contains("duplicate member name \"exp\""), "{err}");
        assert!(parse_object(br#"{"a":[{"x":1,"x":1}]}"#).is_err());
    }

    #[test]
    fn order_is_preserved_and_non_objects_named() {
        let map = parse_object(br#"{"z":1,"a":2}"#).unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["z", "a"]);
        assert_eq!(
            parse_object(b"[1]").unwrap_err(),
            "expected a JSON object, found an array"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_with_capacity(deep.as_bytes(), 0).is_err());
        assert!(parse_with_capacity(b"1e400", 0).is_err());
    }
}
