//! The fast path for a token's two JSON objects (header and claims): the members of an object
//! read in place, plain values by hand, every other value through the strict parser.
//!
//! A token's header and claims are small objects whose members are nearly always plain: names
//! and strings without escapes, non-negative integers, `true`, `false`, `null`. Read through
//! serde_json's visitors they cost about 700 instructions a member (callgrind,
//! docs/performance.md). This reader takes those plain forms itself and hands any other value
//! (an array, an object, a string with an escape, a negative or fractional number) to
//! serde_json through the strict seed, one value at a time.
//!
//! It never decides that a text is wrong. On anything it does not take (a syntax error, a name
//! with an escape, a repeated name, nesting near the limit) it answers `None`, and the caller
//! parses the whole text again the general way, which gives the canonical value or error
//! message. The fast path can therefore only be faster, never different: unit tests, a
//! property test and the `claims` fuzz target hold it equal to the general parser.

use serde_json::Value;

use crate::json;

/// A member value as read. Small (32 bytes): it is returned and moved once per member, and
/// an inline [`Value`] (80 bytes) made each of those moves a stall.
pub(crate) enum Raw<'a> {
    /// A string without escapes, borrowed from the text, and where it starts in the text.
    Str(&'a str, usize),
    /// A non-negative integer below 2^64 (the times).
    Uint(u64),
    /// Any other value (rare in tokens: arrays, escaped strings, literals).
    Json(Box<Value>),
}

impl Raw<'_> {
    /// The value as JSON.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Raw::Str(s, _) => Value::String(s.to_owned()),
            Raw::Uint(n) => Value::from(n),
            Raw::Json(value) => *value,
        }
    }
}

/// Reads the object that `text` must consist of (JSON white space around it allowed), calling
/// `member` with each name and value in order. `None` when the text is not an object this
/// reader takes (see the module documentation) or when `member` answers `None`.
pub(crate) fn read_object<'a>(
    text: &'a str,
    mut member: impl FnMut(&'a str, Raw<'a>) -> Option<()>,
) -> Option<()> {
    let mut r = Reader { text, pos: 0 };
    r.skip_ws();
    r.eat(b'{')?;
    r.skip_ws();
    if r.peek() == Some(b'}') {
        r.pos += 1;
    } else {
        loop {
            r.eat(b'"')?;
            let name = r.plain_string()?;
            r.skip_ws();
            r.eat(b':')?;
            r.skip_ws();
            let value = r.value()?;
            member(name, value)?;
            r.skip_ws();
            match r.next()? {
                b',' => r.skip_ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    r.skip_ws();
    (r.pos == text.len()).then_some(())
}

/// Nesting a value handed to serde_json may have: serde_json refuses a 128th level, and the
/// general parser spends one level on the enclosing object.
const MAX_VALUE_DEPTH: usize = 126;

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    #[inline(always)]
    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// JSON white space (RFC 8259 §2): space, tab, line feed, carriage return.
    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The rest of a string whose opening quote was read, if it has no escape and no control
    /// character (which JSON forbids unescaped). The text is UTF-8 already, and a quote is
    /// ASCII, so the slice ends on a character boundary.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<&'a str> {
        let rest = self.text.as_bytes().get(self.pos..)?;
        let len = string_end(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        let s = self.text.get(self.pos..self.pos + len)?;
        self.pos += len + 1;
        Some(s)
    }

    /// A non-negative integer of at most 19 digits (below 2^64, so no overflow) with no
    /// fraction or exponent, as serde_json reads it: a `u64`.
    #[inline(always)]
    fn plain_integer(&mut self) -> Option<u64> {
        let rest = self.text.as_bytes().get(self.pos..)?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 19 || (digits > 1 && rest[0] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = rest.get(digits) {
            return None;
        }
        let n = rest[..digits]
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        self.pos += digits;
        Some(n)
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> bool {
        let found = self.text.as_bytes().get(self.pos..self.pos + word.len()) == Some(word);
        if found {
            self.pos += word.len();
        }
        found
    }

    #[inline(always)]
    fn value(&mut self) -> Option<Raw<'a>> {
        let start = self.pos;
        let plain = match self.peek()? {
            b'"' => {
                self.pos += 1;
                self.plain_string().map(|s| Raw::Str(s, start + 1))
            }
            b'0'..=b'9' => self.plain_integer().map(Raw::Uint),
            b't' => self
                .literal(b"true")
                .then(|| Raw::Json(Box::new(Value::Bool(true)))),
            b'f' => self
                .literal(b"false")
                .then(|| Raw::Json(Box::new(Value::Bool(false)))),
            b'n' => self
                .literal(b"null")
                .then(|| Raw::Json(Box::new(Value::Null))),
            _ => None,
        };
        if plain.is_some() {
            return plain;
        }
        self.pos = start;
        self.general().map(|value| Raw::Json(Box::new(value)))
    }

    /// One value through serde_json and the strict seed (duplicate names refused at any
    /// depth), continuing after it.
    fn general(&mut self) -> Option<Value> {
        let mut values = serde_json::Deserializer::from_str(self.text.get(self.pos..)?)
            .into_iter::<json::Strict>();
        let value = values.next()?.ok()?.0;
        if depth(&value) > MAX_VALUE_DEPTH {
            return None;
        }
        self.pos += values.byte_offset();
        Some(value)
    }
}

/// The index of the first quote, backslash or control character in `bytes`, eight bytes at a
/// time: a byte-by-byte loop was most of this reader's cost.
pub(crate) fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // High bit set in each byte of `w` that is zero (exact for the lowest such byte, which is
    // the one this function reports; bytes above it may be flagged falsely).
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut start = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        let found =
            zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\'))) | control;
        if found != 0 {
            return Some(start + found.trailing_zeros() as usize / 8);
        }
        start += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| start + i)
}

/// How deeply arrays and objects nest in `value` (0 for a scalar).
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_as_read_stays_small() {
        assert!(std::mem::size_of::<Raw<'_>>() <= 32);
    }

    fn members(text: &str) -> Option<Vec<(String, Value)>> {
        let mut out = Vec::new();
        read_object(text, |name, raw| {
            if let Raw::Str(s, at) = raw {
                assert_eq!(text.get(at..at + s.len()), Some(s));
            }
            let value = raw.into_value();
            out.push((name.to_owned(), value));
            Some(())
        })?;
        Some(out)
    }

    fn general(text: &str) -> Option<Vec<(String, Value)>> {
        json::parse_object(text.as_bytes())
            .ok()
            .map(|map| map.into_iter().collect())
    }

    #[test]
    fn plain_and_general_values_read_as_the_general_parser_reads_them() {
        for text in [
            "{}",
            " \t\r\n{ } \n",
            r#"{"iss":"https://i.example","exp":1796316379,"ok":true,"no":false,"n":null}"#,
            r#"{ "a" : "x" , "b" : 0 }"#,
            r#"{"aud":["a","b"],"o":{"k":[1,{"z":null}]},"neg":-3,"f":1.5,"e":2e3,"E":1E2}"#,
            r#"{"esc":"a\"b\\c\u00e9\ud83d\ude00","big":18446744073709551615,"bigger":18446744073709551616}"#,
            r#"{"u":"été ✓ 😀","z":0,"zz":-0,"max19":9999999999999999999}"#,
        ] {
            let fast = members(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, general(text), "{text}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_general_parser() {
        for text in [
            "",
            "[]",
            "{",
            r#"{"a":1"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":1x}"#,
            r#"{"a":truex}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"\u0061":1}"#,
            r#"{"a":1} x"#,
            "\u{a0}{}",
            r#"{"a":[1,}"#,
            r#"{"a":{"k":1,"k":2}}"#,
        ] {
            assert_eq!(members(text), None, "{text:?}");
        }
    }

    #[test]
    fn string_end_finds_the_first_quote_backslash_or_control_character() {
        let slow = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        };
        let mut text: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz0123456789 \xc3\xa9\x7f~!".to_vec();
        assert_eq!(string_end(&text), None);
        for at in 0..text.len() {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let saved = text[at];
                text[at] = special;
                // A second special byte after the first must not be reported instead.
                let last = text.len() - 1;
                let saved_last = text[last];
                text[last] = b'"';
                assert_eq!(string_end(&text), slow(&text), "{special} at {at}");
                assert_eq!(string_end(&text[..at + 1]), Some(at));
                text[last] = saved_last;
                text[at] = saved;
            }
        }
    }

    #[test]
    fn nesting_is_bounded_exactly_as_the_general_parser_bounds_it() {
        let nested =
            |levels: usize| format!("{{\"a\":{}{}}}", "[".repeat(levels), "]".repeat(levels));
        let deepest = nested(MAX_VALUE_DEPTH);
        assert!(general(&deepest).is_some());
        assert_eq!(members(&deepest), general(&deepest));
        let too_deep = nested(MAX_VALUE_DEPTH + 1);
        assert!(general(&too_deep).is_none());
        assert_eq!(members(&too_deep), None);
    }
}
