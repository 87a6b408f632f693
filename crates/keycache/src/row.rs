//! One row of the `keycache` table: `{"jwks": {...}, "expires": N, "next_update": N}`, the
//! format scitokens-cpp writes, so the two can share a file.

use serde_json::{Map, Value};

use scitokens_format::UnixTime;

use crate::error::KeyCacheError;

fn unusable(reason: impl Into<String>) -> KeyCacheError {
    KeyCacheError::UnusableRow {
        reason: reason.into(),
    }
}

/// The decoded `keys` column of one issuer's row.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedRow {
    /// The issuer's JWK set document, as fetched.
    pub jwks: Map<String, Value>,
    /// Unix time after which the keys must not be used.
    pub expires: UnixTime,
    /// Unix time after which the keys should be refreshed.
    pub next_update: UnixTime,
}

impl CachedRow {
    /// Decodes a row. Anything that is not this shape is an error (the caller then treats the
    /// row as absent and replaces it); it never panics.
    ///
    /// ```
    /// use scitokens_keycache::CachedRow;
    /// let row = CachedRow::decode(r#"{"expires":20,"jwks":{"keys":[]},"next_update":10}"#).unwrap();
    /// assert_eq!((row.expires.as_secs(), row.next_update.as_secs()), (20, 10));
    /// let err = CachedRow::decode(r#"{"expires":"soon","jwks":{"keys":[]}}"#).unwrap_err();
    /// assert_eq!(err.to_string(), "unusable key cache row: \"expires\" is not an integer");
    /// assert_eq!(CachedRow::decode(&row.encode()).unwrap(), row);
    /// ```
    pub fn decode(text: &str) -> Result<Self, KeyCacheError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| unusable(format!("row is not JSON: {e}")))?;
        let Value::Object(mut map) = value else {
            return Err(unusable("row is not a JSON object"));
        };
        let jwks = match map.remove("jwks") {
            Some(Value::Object(jwks)) => jwks,
            Some(_) => return Err(unusable("\"jwks\" is not an object")),
            None => return Err(unusable("no \"jwks\" member")),
        };
        let time = |name: &str| match map.get(name) {
            Some(v) => v
                .as_i64()
                .ok_or_else(|| unusable(format!("\"{name}\" is not an integer"))),
            None => Err(unusable(format!("no \"{name}\" member"))),
        };
        let expires = time("expires")?;
        // Rows written by old scitokens-cpp versions have no next_update: refresh them at once.
        let next_update = match map.get("next_update") {
            None => expires.min(0),
            Some(_) => time("next_update")?,
        };
        Ok(CachedRow {
            jwks,
            expires: UnixTime::from_secs(expires),
            next_update: UnixTime::from_secs(next_update),
        })
    }

    /// Encodes the row as scitokens-cpp does.
    pub fn encode(&self) -> String {
        let mut map = Map::new();
        map.insert("expires".into(), self.expires.into());
        map.insert("jwks".into(), Value::Object(self.jwks.clone()));
        map.insert("next_update".into(), self.next_update.into());
        Value::Object(map).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_errors_not_panics() {
        for bad in [
            "",
            "{",
            "[]",
            "null",
            r#"{"jwks":[],"expires":1}"#,
            r#"{"jwks":{},"expires":1.5}"#,
            r#"{"jwks":{}}"#,
            r#"{"jwks":{},"expires":1,"next_update":"x"}"#,
            "\u{0}\u{1}",
        ] {
            assert!(CachedRow::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn row_without_next_update_is_due_now() {
        let row = CachedRow::decode(r#"{"jwks":{"keys":[]},"expires":1000}"#).unwrap();
        assert!(row.next_update <= UnixTime::from_secs(0));
    }
}
