//! The top-level JSON object of a token's claims: members in token order, duplicate names
//! refused, and the names every token is asked for found without hashing. (The header reads
//! its few parameters in place, with the same name reader and duplicate check.)
//!
//! A token's claims are a small object read a dozen times per verification. A
//! `serde_json::Map` (an `IndexMap` with SipHash) hashed each name on insert and on every
//! lookup and allocated every name; measured on the RS256 request path that was about 0.5 µs
//! of 16 (`docs/performance.md`). Here the well-known names of a [`Vocabulary`] are stored as
//! `&'static str` and located through a fixed table filled while parsing; other names are
//! owned and found by a scan. Duplicate detection stays exact: known names through the table,
//! others by a scan up to [`SCAN_LIMIT`] and a hash set beyond it, so a hostile object with
//! thousands of members is still linear.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Number, Value};

use crate::json;
use crate::members::{self, Raw};
use crate::text::Untrusted;

/// Most names a vocabulary may hold.
const MAX_KNOWN: usize = 16;
/// Slot value for a known name the object does not have.
const ABSENT: u32 = u32::MAX;
/// Up to this many other names, a new name is checked for duplicates by a scan.
const SCAN_LIMIT: usize = 32;

/// The member names a kind of object is read by, each with a fixed slot.
pub(crate) trait Vocabulary {
    /// The names; at most 16, each distinct.
    const NAMES: &'static [&'static str];

    /// The slot of `name`, if it is one of [`NAMES`](Self::NAMES).
    fn slot(name: &str) -> Option<usize> {
        // Length and first byte first: most names are told apart without a `memcmp` call.
        let first = name.as_bytes().first()?;
        Self::NAMES.iter().position(|known| {
            known.len() == name.len() && known.as_bytes().first() == Some(first) && *known == name
        })
    }
}

/// A member name: one of the vocabulary's (no allocation) or another, owned.
type Name = Cow<'static, str>;

/// A member's value: a plain string left in the object's text, a number, or another JSON
/// value. Kept small (40 bytes): a typical token's dozen members then fit one small
/// allocation, where an inline [`Value`] (80 bytes with `preserve_order`) made each member
/// 120 bytes and the claims a large one (`docs/performance.md`).
#[derive(Clone)]
enum Member {
    /// A string without escapes: bytes `start..end` of the object's text. Its [`Value`] is
    /// made only when asked for ([`Object::get`], [`Object::iter`]); the typed readers take
    /// the `&str` ([`Object::known_found`]), so decoding a token allocates no claim strings.
    Plain {
        start: u32,
        end: u32,
        value: OnceLock<Box<Value>>,
    },
    /// A number (the times), read by the typed readers as it is; its [`Value`] made only
    /// when asked for.
    Number {
        number: Number,
        value: OnceLock<Box<Value>>,
    },
    /// Any other value.
    Value(Box<Value>),
}

impl Member {
    /// `value` as a member.
    fn of(value: Value) -> Member {
        match value {
            Value::Number(number) => Member::number(number),
            other => Member::Value(Box::new(other)),
        }
    }

    /// `value` as a member, kept in its box unless it is a number.
    fn of_boxed(value: Box<Value>) -> Member {
        match value.as_ref() {
            Value::Number(number) => Member::number(number.clone()),
            _ => Member::Value(value),
        }
    }

    fn number(number: Number) -> Member {
        Member::Number {
            number,
            value: OnceLock::new(),
        }
    }
}

/// A member value as the typed readers see it: a string, or any other JSON value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Found<'a> {
    /// A string (plain or not).
    Str(&'a str),
    /// A number.
    Number(&'a Number),
    /// Anything but a string or a number.
    Other(&'a Value),
}

impl Found<'_> {
    /// What the value is, for an error message: `the number 7`, `an array [...]`.
    pub(crate) fn describe(self) -> String {
        match self {
            Found::Str(s) => json::describe(&Value::String(s.to_owned())),
            Found::Number(n) => json::describe(&Value::Number(n.clone())),
            Found::Other(other) => json::describe(other),
        }
    }
}

/// A JSON object in member order with O(1) access to the names of `V`.
pub(crate) struct Object<V> {
    /// The JSON text read, which plain string members point into (empty if none do).
    text: String,
    members: Vec<(Name, Member)>,
    known: [u32; MAX_KNOWN],
    names: PhantomData<V>,
}

impl<V: Vocabulary> Object<V> {
    /// An empty object with room for `capacity` members.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        debug_assert!(V::NAMES.len() <= MAX_KNOWN);
        Object {
            text: String::new(),
            members: Vec::with_capacity(capacity),
            known: [ABSENT; MAX_KNOWN],
            names: PhantomData,
        }
    }

    /// Parses a JSON object strictly: duplicate names refused at any depth, nesting bounded.
    /// The error says what was wrong (never echoing more than a bounded excerpt). The object
    /// keeps `bytes` as its text.
    pub(crate) fn parse(bytes: Vec<u8>, capacity: usize) -> Result<Self, String> {
        let text =
            String::from_utf8(bytes).map_err(|e| format!("not UTF-8: {}", e.utf8_error()))?;
        match Self::read_plain(&text, capacity) {
            Some(members) => Ok(Object { text, ..members }),
            None => Self::parse_general(&text, capacity),
        }
    }

    /// The fast path (`members.rs`): `None` for anything it does not take, a repeated name
    /// included, and the general parser then gives the canonical result. Plain strings are
    /// recorded as ranges of `text` (the caller stores `text` in the object).
    fn read_plain(text: &str, capacity: usize) -> Option<Self> {
        let mut object = Object::<V>::with_capacity(capacity);
        let mut others = NameSet::default();
        members::read_object(text, |name, raw| {
            let member = match raw {
                Raw::Str(s, start) => {
                    match (u32::try_from(start), u32::try_from(start + s.len())) {
                        (Ok(start), Ok(end)) => Member::Plain {
                            start,
                            end,
                            value: OnceLock::new(),
                        },
                        _ => Member::of(Value::String(s.to_owned())),
                    }
                }
                Raw::Uint(n) => Member::number(n.into()),
                Raw::Json(value) => Member::of_boxed(value),
            };
            object
                .push_new(&mut others, Key::of::<V>(name), member)
                .ok()
        })?;
        Some(object)
    }

    /// The general parser, through serde_json: every value and every error.
    pub(crate) fn parse_general(text: &str, capacity: usize) -> Result<Self, String> {
        if !text.trim_start().starts_with('{') {
            // Not an object: let the general parser name what it is (or what is wrong).
            let value = json::parse_with_capacity(text.as_bytes(), 0)?;
            return Err(format!(
                "expected a JSON object, found {}",
                json::kind_of(&value)
            ));
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let object = de
            .deserialize_map(ObjectVisitor::<V> {
                capacity,
                names: PhantomData,
            })
            .map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())?;
        Ok(object)
    }

    /// The object holding the members of `map`, in its order. A map's names are distinct, so
    /// each is appended without a search (linear in the size of the map).
    pub(crate) fn from_map(map: Map<String, Value>) -> Self {
        let mut object = Object::with_capacity(map.len());
        for (name, value) in map {
            match V::slot(&name) {
                Some(slot) => object.insert_known(slot, value),
                None => object.members.push((Cow::Owned(name), Member::of(value))),
            }
        }
        object
    }

    /// Appends a member read from a text, `others` holding the other names read so far;
    /// `Err` with the name if the object already has it.
    fn push_new(
        &mut self,
        others: &mut NameSet,
        key: Key,
        member: Member,
    ) -> Result<(), Cow<'static, str>> {
        let name = match key {
            Key::Known(slot) => {
                if self.known[slot] != ABSENT {
                    return Err(Cow::Borrowed(V::NAMES[slot]));
                }
                self.known[slot] = self.members.len() as u32;
                Cow::Borrowed(V::NAMES[slot])
            }
            Key::Other(name) => {
                if !others.insert(&name) {
                    return Err(Cow::Owned(name));
                }
                Cow::Owned(name)
            }
        };
        self.members.push((name, member));
        Ok(())
    }

    /// The value of the known name in `slot`, as the typed readers see it (no allocation).
    pub(crate) fn known_found(&self, slot: usize) -> Option<Found<'_>> {
        match self.known[slot] {
            ABSENT => None,
            i => self.members.get(i as usize).map(|(_, m)| self.found(m)),
        }
    }

    /// The value of `name`, as the typed readers see it (no allocation).
    pub(crate) fn get_found(&self, name: &str) -> Option<Found<'_>> {
        self.member(name).map(|m| self.found(m))
    }

    /// The value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.member(name).map(|m| self.value(m))
    }

    fn member(&self, name: &str) -> Option<&Member> {
        let index = match V::slot(name) {
            Some(slot) => match self.known[slot] {
                ABSENT => return None,
                i => i as usize,
            },
            None => self.members.iter().position(|(n, _)| n == name)?,
        };
        self.members.get(index).map(|(_, m)| m)
    }

    fn plain(&self, start: u32, end: u32) -> &str {
        // The range was found in this text when it was read; `get` keeps a mistake from
        // becoming a panic.
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn found<'a>(&'a self, member: &'a Member) -> Found<'a> {
        match member {
            Member::Plain { start, end, .. } => Found::Str(self.plain(*start, *end)),
            Member::Number { number, .. } => Found::Number(number),
            Member::Value(value) => match value.as_ref() {
                Value::String(s) => Found::Str(s),
                other => Found::Other(other),
            },
        }
    }

    fn value<'a>(&'a self, member: &'a Member) -> &'a Value {
        match member {
            Member::Plain { start, end, value } => {
                value.get_or_init(|| Box::new(Value::String(self.plain(*start, *end).to_owned())))
            }
            Member::Number { number, value } => {
                value.get_or_init(|| Box::new(Value::Number(number.clone())))
            }
            Member::Value(value) => value,
        }
    }

    /// Sets `name` to `value`, replacing an existing member in place.
    pub(crate) fn insert(&mut self, name: &str, value: Value) {
        match V::slot(name) {
            Some(slot) => self.insert_known(slot, value),
            None => match self.members.iter_mut().find(|(n, _)| n == name) {
                Some((_, existing)) => *existing = Member::of(value),
                None => self
                    .members
                    .push((Cow::Owned(name.to_owned()), Member::of(value))),
            },
        }
    }

    fn insert_known(&mut self, slot: usize, value: Value) {
        match self.known[slot] {
            ABSENT => {
                self.known[slot] = self.members.len() as u32;
                self.members
                    .push((Cow::Borrowed(V::NAMES[slot]), Member::of(value)));
            }
            i => self.members[i as usize].1 = Member::of(value),
        }
    }

    /// The members in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members
            .iter()
            .map(|(n, m)| (n.as_ref(), self.value(m)))
    }

    /// How many members.
    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    /// The members as a `serde_json` map, in order.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(n, v)| (n.to_owned(), v.clone()))
            .collect()
    }

    /// The members as a `serde_json` map, in order, without copying the values already made.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        let Object { text, members, .. } = self;
        members
            .into_iter()
            .map(|(n, m)| {
                let value = match m {
                    Member::Plain { start, end, value } => value.into_inner().map_or_else(
                        || {
                            Value::String(
                                text.get(start as usize..end as usize)
                                    .unwrap_or_default()
                                    .to_owned(),
                            )
                        },
                        |made| *made,
                    ),
                    Member::Number { number, .. } => Value::Number(number),
                    Member::Value(value) => *value,
                };
                (n.into_owned(), value)
            })
            .collect()
    }
}

impl<V> Clone for Object<V> {
    fn clone(&self) -> Self {
        Object {
            text: self.text.clone(),
            members: self.members.clone(),
            known: self.known,
            names: PhantomData,
        }
    }
}

impl<V: Vocabulary> PartialEq for Object<V> {
    /// Same members with the same values in the same order (the slots follow from the
    /// members; a plain string equals the same string read the general way).
    fn eq(&self, other: &Self) -> bool {
        self.members.len() == other.members.len()
            && self
                .members
                .iter()
                .zip(&other.members)
                .all(|((n, a), (m, b))| n == m && self.found(a) == other.found(b))
    }
}

impl<V: Vocabulary> fmt::Debug for Object<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Vocabulary> Serialize for Object<V> {
    /// As a JSON object, members in order.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.members.len()))?;
        for (name, member) in &self.members {
            match self.found(member) {
                Found::Str(s) => map.serialize_entry(name.as_ref(), s)?,
                Found::Number(n) => map.serialize_entry(name.as_ref(), n)?,
                Found::Other(value) => map.serialize_entry(name.as_ref(), value)?,
            }
        }
        map.end()
    }
}

/// Names outside a vocabulary seen so far in one object, for exact duplicate detection:
/// a scan up to [`SCAN_LIMIT`] names, a hash set beyond, so a hostile object with thousands of
/// members stays linear.
#[derive(Default)]
pub(crate) struct NameSet {
    scan: Vec<String>,
    hashed: Option<HashSet<String>>,
}

impl NameSet {
    /// Adds `name`; `false` if it was already there.
    pub(crate) fn insert(&mut self, name: &str) -> bool {
        if let Some(set) = &mut self.hashed {
            return set.insert(name.to_owned());
        }
        if self.scan.iter().any(|seen| seen == name) {
            return false;
        }
        self.scan.push(name.to_owned());
        if self.scan.len() > SCAN_LIMIT {
            self.hashed = Some(std::mem::take(&mut self.scan).into_iter().collect());
        }
        true
    }
}

/// A member name as read: a known slot, or another name (owned).
pub(crate) enum Key {
    Known(usize),
    Other(String),
}

impl Key {
    /// `name` as a key of vocabulary `V`.
    pub(crate) fn of<V: Vocabulary>(name: &str) -> Key {
        match V::slot(name) {
            Some(slot) => Key::Known(slot),
            None => Key::Other(name.to_owned()),
        }
    }
}

/// Reads a member name as a [`Key`] of vocabulary `V`.
pub(crate) struct KeySeed<V>(pub(crate) PhantomData<V>);

impl<'de, V: Vocabulary> DeserializeSeed<'de> for KeySeed<V> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<V: Vocabulary> Visitor<'_> for KeySeed<V> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Key, E> {
        Ok(Key::of::<V>(name))
    }

    fn visit_string<E>(self, name: String) -> Result<Key, E> {
        Ok(match V::slot(&name) {
            Some(slot) => Key::Known(slot),
            None => Key::Other(name),
        })
    }
}

struct ObjectVisitor<V> {
    capacity: usize,
    names: PhantomData<V>,
}

impl<'de, V: Vocabulary> Visitor<'de> for ObjectVisitor<V> {
    type Value = Object<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Object<V>, A::Error> {
        let mut object = Object::<V>::with_capacity(self.capacity);
        let mut others = NameSet::default();
        while let Some(key) = access.next_key_seed(KeySeed::<V>(PhantomData))? {
            let value = access.next_value_seed(json::NESTED)?;
            object
                .push_new(&mut others, key, Member::of(value))
                .map_err(|name| duplicate(&name))?;
        }
        Ok(object)
    }
}

/// The error for a repeated member name.
pub(crate) fn duplicate<E: de::Error>(name: &str) -> E {
    E::custom(format_args!(
        "duplicate member name {}",
        Untrusted::new(name)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_stays_small() {
        // Twelve members (a typical token's claims) in one allocation glibc serves from its
        // per-thread cache (chunks up to 1032 bytes).
        assert!(std::mem::size_of::<(Name, Member)>() * 12 <= 1032);
    }

    struct Abc;
    impl Vocabulary for Abc {
        const NAMES: &'static [&'static str] = &["a", "b", "c"];
    }

    fn parse(text: &str) -> Result<Object<Abc>, String> {
        Object::<Abc>::parse(text.as_bytes().to_vec(), 4)
    }

    #[test]
    fn known_and_other_names_in_order() {
        let o = parse(r#"{"x":1,"b":2,"a":{"n":[1]},"y":"s"}"#).unwrap();
        let names: Vec<_> = o.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["x", "b", "a", "y"]);
        assert_eq!(o.known_found(1), Some(Found::Number(&Number::from(2))));
        assert_eq!(o.known_found(2), None);
        assert_eq!(o.get_found("y"), Some(Found::Str("s")));
        assert_eq!(o.get("y"), Some(&Value::from("s")));
        assert_eq!(o.get("c"), None);
        assert_eq!(
            o.to_map(),
            json::parse_object(o_text(&o).as_bytes()).unwrap()
        );
        assert_eq!(Object::<Abc>::from_map(o.to_map()), o);
    }

    fn o_text(o: &Object<Abc>) -> String {
        serde_json::to_string(o).unwrap()
    }

    #[test]
    fn duplicates_refused_known_other_nested_and_many() {
        for bad in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":1,"x":2}"#,
            r#"{"x":{"n":1,"n":2}}"#,
            r#"{"\u0061":1,"a":2}"#,
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("duplicate member name"), "{bad}: {err}");
        }
        // Past the scan limit, the hash set takes over; the first repeat is still found.
        let mut many: Vec<String> = (0..100).map(|i| format!("\"m{i}\":{i}")).collect();
        assert!(parse(&format!("{{{}}}", many.join(","))).is_ok());
        many.push("\"m7\":0".into());
        let err = parse(&format!("{{{}}}", many.join(","))).unwrap_err();
        assert!(err.contains("duplicate member name \"m7\""), "{err}");
        many.insert(10, "\"m3\":0".into());
        let err = parse(&format!("{{{}}}", many.join(","))).unwrap_err();
        assert!(err.contains("duplicate member name \"m3\""), "{err}");
    }

    #[test]
    fn non_objects_are_named_and_insert_replaces() {
        assert_eq!(
            parse("[1]").unwrap_err(),
            "expected a JSON object, found an array"
        );
        assert_eq!(
            parse(" \"long string\"").unwrap_err(),
            "expected a JSON object, found a string"
        );
        assert!(parse("{").is_err());
        assert!(parse("{} x").is_err());
        let mut o = parse(r#"{"a":1,"x":2}"#).unwrap();
        o.insert("a", 3.into());
        o.insert("x", 4.into());
        o.insert("c", 5.into());
        o.insert("z", 6.into());
        assert_eq!(o_text(&o), r#"{"a":3,"x":4,"c":5,"z":6}"#);
        assert_eq!(o.len(), 4);
        assert_eq!(o.known_found(2), Some(Found::Number(&Number::from(5))));
    }
}
