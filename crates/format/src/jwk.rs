//! JWK and JWK sets (RFC 7517, RFC 7518 §6): parse strictly, emit canonically.
//!
//! EC keys are P-256 with 32-byte coordinates (no shortened or padded forms) that lie on the
//! curve; RSA keys have a modulus of 2048 to 8192 bits. A JWK whose `alg` or `use` does not fit
//! is refused, and so is one carrying private members. In a set, a key that cannot be used is
//! skipped with a note and the others stay usable.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{FormatError, Result};
use crate::json;
use crate::key::{Algorithm, VerifyingKey};
use crate::public::PublicMaterial;
use crate::text::Untrusted;

/// Largest public exponent accepted, in bits: bounds verification cost.
const MAX_RSA_EXPONENT_BITS: usize = 64;
/// JWK members that only a private key has.
const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

impl VerifyingKey {
    /// Parses one JWK given as a JSON object.
    ///
    /// ```
    /// use scitokens_format::{Algorithm, SigningKey, VerifyingKey};
    /// let key = SigningKey::generate(Algorithm::Es256).unwrap();
    /// let jwk = key.verifying_key().to_jwk().unwrap();
    /// let back = VerifyingKey::from_jwk(&jwk).unwrap();
    /// assert_eq!(back.kid(), Some(key.kid()));
    /// assert_eq!(jwk["crv"], "P-256");
    /// ```
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self> {
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(other) => {
                return Err(FormatError::key(format!(
                    "JWK kid is {}, not a string",
                    json::kind_of(other)
                )))
            }
        };
        if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
            return Err(FormatError::key(format!(
                "JWK carries private member \"{member}\"; a key set must hold public keys only"
            )));
        }
        if let Some(usage) = jwk.get("use") {
            if usage != "sig" {
                return Err(FormatError::key(format!(
                    "JWK use is {}, not \"sig\"",
                    Untrusted::json(usage)
                )));
            }
        }
        let kty = string_member(jwk, "kty")?;
        let material = match kty {
            "EC" => ec_from_jwk(jwk)?,
            "RSA" => rsa_from_jwk(jwk)?,
            other => {
                return Err(FormatError::key(format!(
                    "JWK kty {} is not supported (EC or RSA)",
                    Untrusted::new(other)
                )))
            }
        };
        let key = VerifyingKey::from_material(material, kid)?;
        if let Some(alg) = jwk.get("alg") {
            if alg != key.alg().as_str() {
                return Err(FormatError::key(format!(
                    "JWK alg {} does not fit a {kty} key (expected {})",
                    Untrusted::json(alg),
                    key.alg()
                )));
            }
        }
        Ok(key)
    }

    /// The key as a JWK object: `kty`, `crv`/`x`/`y` or `n`/`e`, `alg`, `use`, and `kid` if set.
    pub fn to_jwk(&self) -> Result<Map<String, Value>> {
        let mut jwk = Map::new();
        match self.material() {
            PublicMaterial::Ec(point) => {
                let (x, y) = point[1..].split_at(32);
                jwk.insert("kty".into(), "EC".into());
                jwk.insert("crv".into(), "P-256".into());
                jwk.insert("x".into(), b64::encode(x).into());
                jwk.insert("y".into(), b64::encode(y).into());
            }
            PublicMaterial::Rsa { n, e } => {
                jwk.insert("kty".into(), "RSA".into());
                jwk.insert("n".into(), b64::encode(n).into());
                jwk.insert("e".into(), b64::encode(e).into());
            }
        }
        jwk.insert("alg".into(), self.alg().as_str().into());
        jwk.insert("use".into(), "sig".into());
        if let Some(kid) = self.kid() {
            jwk.insert("kid".into(), kid.into());
        }
        Ok(jwk)
    }
}

fn string_member<'a>(jwk: &'a Map<String, Value>, name: &'static str) -> Result<&'a str> {
    match jwk.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(FormatError::key(format!(
            "JWK {name} is {}, not a string",
            json::kind_of(other)
        ))),
        None => Err(FormatError::key(format!("JWK has no \"{name}\""))),
    }
}

/// A base64url member of a JWK. `=` padding is accepted here (several issuers publish it,
/// and scitokens-cpp reads it; `docs/semantics.md` §1), only where it is well placed: the
/// padded text is a multiple of 4 long. The token itself stays strictly unpadded.
fn bytes_member(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>> {
    let text = string_member(jwk, name)?;
    let unpadded = text.trim_end_matches('=');
    let padding = text.len() - unpadded.len();
    let well_padded = padding == 0 || (padding <= 2 && text.len() % 4 == 0);
    well_padded
        .then(|| b64::decode(unpadded))
        .flatten()
        .ok_or_else(|| {
            FormatError::key(format!(
                "JWK {name} is not base64url (alphabet A-Z a-z 0-9 - _, optional = padding)"
            ))
        })
}

fn ec_from_jwk(jwk: &Map<String, Value>) -> Result<PublicMaterial> {
    // scitokens-cpp writes EC keys without `crv` into its key cache (seen with 0.7.3); when
    // `alg` is ES256 the curve is fixed by it, so a missing `crv` is accepted then and only then.
    let crv = match jwk.get("crv") {
        None if jwk.get("alg").and_then(Value::as_str) == Some("ES256") => "P-256",
        _ => string_member(jwk, "crv")?,
    };
    if crv != "P-256" {
        return Err(FormatError::key(format!(
            "EC curve {} is not supported (ES256 needs P-256)",
            Untrusted::new(crv)
        )));
    }
    let x = bytes_member(jwk, "x")?;
    let y = bytes_member(jwk, "y")?;
    if x.len() != 32 || y.len() != 32 {
        return Err(FormatError::key(format!(
            "P-256 coordinates must be 32 bytes each, found x {} and y {}",
            x.len(),
            y.len()
        )));
    }
    // aws-lc checks that the point is on the curve (the point at infinity has no affine form).
    PublicMaterial::ec_point(&[&[0x04][..], &x, &y].concat())
}

fn rsa_from_jwk(jwk: &Map<String, Value>) -> Result<PublicMaterial> {
    let n = bytes_member(jwk, "n")?;
    let e = bytes_member(jwk, "e")?;
    if n.first() == Some(&0) || e.first() == Some(&0) {
        return Err(FormatError::key(
            "RSA n and e must not have leading zero bytes",
        ));
    }
    let odd = e.last().is_some_and(|b| b & 1 == 1);
    let at_least_3 = e.len() > 1 || e.first().is_some_and(|&b| b >= 3);
    if e.len() * 8 > MAX_RSA_EXPONENT_BITS || !odd || !at_least_3 {
        return Err(FormatError::key(
            "RSA public exponent must be odd, at least 3 and at most 64 bits",
        ));
    }
    PublicMaterial::rsa(&n, &e)
}

/// A key of a set that could not be used, and why.
#[derive(Debug, Clone)]
pub struct SkippedKey {
    /// Position in the set's `keys` array.
    pub index: usize,
    /// The key's `kid`, if it had a string one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// Most keys in one key set document; a larger set is refused before any key is parsed.
pub const MAX_KEY_SET_KEYS: usize = 4096;

/// Up to this many keys, [`KeySet`] finds a `kid` by comparing it with each key's.
const SCAN_KEYS: usize = 8;

/// An issuer's public keys, parsed once, looked up by `kid`.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
    by_kid: HashMap<String, Vec<usize>>,
    skipped: Vec<SkippedKey>,
}

impl KeySet {
    /// A set of the given keys.
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        let mut set = KeySet::default();
        for key in keys {
            set.push(key);
        }
        set
    }

    fn push(&mut self, key: VerifyingKey) {
        if let Some(kid) = key.kid() {
            self.by_kid
                .entry(kid.to_owned())
                .or_default()
                .push(self.keys.len());
        }
        self.keys.push(key);
    }

    /// Parses a JWK set document (`{"keys": [...]}`), refusing duplicate member names.
    /// Keys that cannot be used are skipped and listed in [`skipped`](Self::skipped).
    ///
    /// ```
    /// use scitokens_format::KeySet;
    /// let set = KeySet::from_json(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).unwrap();
    /// assert!(set.is_empty());
    /// assert!(set.skipped()[0].reason.contains("oct"));
    /// ```
    pub fn from_json(document: &[u8]) -> Result<Self> {
        let map =
            json::parse_object(document).map_err(|reason| FormatError::InvalidKeySet { reason })?;
        Self::from_map(&map)
    }

    /// Like [`from_json`](Self::from_json), from an already parsed object.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self> {
        let entries = match map.get("keys") {
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                return Err(FormatError::InvalidKeySet {
                    reason: format!("\"keys\" is {}, not an array", json::kind_of(other)),
                })
            }
            None => {
                return Err(FormatError::InvalidKeySet {
                    reason: "no \"keys\" member".into(),
                })
            }
        };
        if entries.len() > MAX_KEY_SET_KEYS {
            return Err(FormatError::InvalidKeySet {
                reason: format!(
                    "{} keys, over the limit of {MAX_KEY_SET_KEYS}",
                    entries.len()
                ),
            });
        }
        let mut set = KeySet::default();
        for (index, entry) in entries.iter().enumerate() {
            let parsed = match entry {
                Value::Object(jwk) => VerifyingKey::from_jwk(jwk),
                other => Err(FormatError::key(format!(
                    "entry is {}, not an object",
                    json::kind_of(other)
                ))),
            };
            match parsed {
                Ok(key) => set.push(key),
                Err(err) => set.skipped.push(SkippedKey {
                    index,
                    kid: entry.get("kid").and_then(Value::as_str).map(str::to_owned),
                    reason: err.to_string(),
                }),
            }
        }
        Ok(set)
    }

    /// The set as a JWK set document.
    pub fn to_json(&self) -> Result<String> {
        let keys = self
            .keys
            .iter()
            .map(|k| k.to_jwk().map(Value::Object))
            .collect::<Result<Vec<_>>>()?;
        let mut doc = Map::new();
        doc.insert("keys".into(), Value::Array(keys));
        Ok(Value::Object(doc).to_string())
    }

    /// Chooses the key for a token: by `kid` if the token has one, else the only key.
    pub fn select(&self, kid: Option<&str>) -> Result<&VerifyingKey> {
        match kid {
            Some(kid) => match self.with_kid(kid) {
                (Some(key), 1) => Ok(key),
                (Some(_), count) => Err(FormatError::DuplicateKid {
                    kid: Untrusted::new(kid),
                    count,
                }),
                (None, _) => Err(FormatError::UnknownKid {
                    kid: Untrusted::new(kid),
                }),
            },
            None => match self.keys.as_slice() {
                [only] => Ok(only),
                keys => Err(FormatError::AmbiguousKey { count: keys.len() }),
            },
        }
    }

    /// Whether some usable key in the set has this `kid`.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.with_kid(kid).0.is_some()
    }

    /// The first key with this `kid` and how many have it. An issuer publishes a few keys,
    /// which are compared one by one (cheaper than hashing the `kid`); the index serves
    /// larger sets.
    fn with_kid(&self, kid: &str) -> (Option<&VerifyingKey>, usize) {
        if self.keys.len() <= SCAN_KEYS {
            let mut matching = self.keys.iter().filter(|key| key.kid() == Some(kid));
            let first = matching.next();
            return (first, first.map_or(0, |_| 1 + matching.count()));
        }
        match self.by_kid.get(kid).map(Vec::as_slice) {
            Some(indices @ [first, ..]) => (self.keys.get(*first), indices.len()),
            _ => (None, 0),
        }
    }

    /// The usable keys, in set order.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// Keys of the document that were skipped, with reasons.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The algorithms the usable keys serve.
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.keys.iter().map(VerifyingKey::alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;

    fn jwk(text: &str) -> Map<String, Value> {
        json::parse_object(text.as_bytes()).unwrap()
    }

    fn padded(text: &str) -> String {
        format!("{text}{}", "=".repeat((4 - text.len() % 4) % 4))
    }

    #[test]
    fn padded_members_are_accepted_misplaced_padding_is_not() {
        for alg in [Algorithm::Es256, Algorithm::Rs256] {
            let key = SigningKey::generate(alg).unwrap();
            let mut map = key.verifying_key().to_jwk().unwrap();
            for name in ["x", "y", "n", "e"] {
                if let Some(Value::String(text)) = map.get(name).cloned() {
                    map.insert(name.into(), padded(&text).into());
                }
            }
            assert!(
                map.values()
                    .any(|v| v.as_str().is_some_and(|s| s.ends_with('='))),
                "{alg}: the fixture has padding to test"
            );
            let parsed = VerifyingKey::from_jwk(&map).unwrap();
            assert_eq!(
                parsed.to_jwk().unwrap(),
                key.verifying_key().to_jwk().unwrap()
            );
        }
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        let good = key.verifying_key().to_jwk().unwrap();
        let x = good["x"].as_str().unwrap().to_owned();
        for bad in [
            format!("{x}==="),
            format!("={x}"),
            format!("{}={}", &x[..4], &x[4..]),
            format!("{x}=="),
        ] {
            let mut map = good.clone();
            map.insert("x".into(), bad.clone().into());
            let err = VerifyingKey::from_jwk(&map).unwrap_err().to_string();
            assert!(err.contains("JWK x is not base64url"), "{bad}: {err}");
        }
    }

    #[test]
    fn roundtrip_both_algorithms() {
        for key in [
            SigningKey::generate(Algorithm::Es256).unwrap(),
            SigningKey::generate(Algorithm::Rs256).unwrap(),
        ] {
            let set = KeySet::new(vec![key.verifying_key().clone()]);
            let again = KeySet::from_json(set.to_json().unwrap().as_bytes()).unwrap();
            assert_eq!(again.len(), 1);
            let sig = key.sign(b"m").unwrap();
            again
                .select(Some(key.kid()))
                .unwrap()
                .verify(key.alg(), b"m", &sig)
                .unwrap();
        }
    }

    #[test]
    fn refuses_misfit_keys() {
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        let mut good = key.verifying_key().to_jwk().unwrap();
        good.insert("alg".into(), "RS256".into());
        assert!(VerifyingKey::from_jwk(&good)
            .unwrap_err()
            .to_string()
            .contains("does not fit"));
        let p384 = jwk(r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#);
        assert!(VerifyingKey::from_jwk(&p384)
            .unwrap_err()
            .to_string()
            .contains("P-384"));
        let short = jwk(r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}"#);
        assert!(VerifyingKey::from_jwk(&short)
            .unwrap_err()
            .to_string()
            .contains("32 bytes"));
        let zero = format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{0}","y":"{0}"}}"#,
            b64::encode(&[0u8; 32])
        );
        assert!(VerifyingKey::from_jwk(&jwk(&zero))
            .unwrap_err()
            .to_string()
            .contains("not on P-256"));
        let mut private = key.verifying_key().to_jwk().unwrap();
        private.insert("d".into(), "AAAA".into());
        assert!(VerifyingKey::from_jwk(&private)
            .unwrap_err()
            .to_string()
            .contains("private"));
    }

    #[test]
    fn missing_crv_only_with_es256_alg() {
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        let mut jwk = key.verifying_key().to_jwk().unwrap();
        jwk.remove("crv");
        // As scitokens-cpp writes them into its cache: alg ES256, no crv.
        let back = VerifyingKey::from_jwk(&jwk).unwrap();
        assert_eq!(
            back.to_spki_der().unwrap(),
            key.verifying_key().to_spki_der().unwrap()
        );
        jwk.remove("alg");
        let err = VerifyingKey::from_jwk(&jwk).unwrap_err().to_string();
        assert!(err.contains("crv"), "{err}");
    }

    #[test]
    fn selection_rules() {
        let a = SigningKey::generate(Algorithm::Es256).unwrap();
        let b = SigningKey::generate(Algorithm::Es256).unwrap();
        let set = KeySet::new(vec![a.verifying_key().clone(), b.verifying_key().clone()]);
        assert_eq!(set.select(None).unwrap_err().kind(), "ambiguous_key");
        assert_eq!(set.select(Some("nope")).unwrap_err().kind(), "unknown_kid");
        assert_eq!(set.select(Some(b.kid())).unwrap().kid(), Some(b.kid()));
        let dup = KeySet::new(vec![a.verifying_key().clone(), a.verifying_key().clone()]);
        assert_eq!(
            dup.select(Some(a.kid())).unwrap_err().kind(),
            "duplicate_kid"
        );
    }

    /// Small sets are scanned, larger ones use the index: both answer alike.
    #[test]
    fn selection_is_the_same_scanned_and_indexed() {
        let keys: Vec<SigningKey> = (0..SCAN_KEYS + 2)
            .map(|_| SigningKey::generate(Algorithm::Es256).unwrap())
            .collect();
        for n in [1, SCAN_KEYS, SCAN_KEYS + 1, SCAN_KEYS + 2] {
            let mut public: Vec<VerifyingKey> = keys[..n]
                .iter()
                .map(|k| k.verifying_key().clone())
                .collect();
            let set = KeySet::new(public.clone());
            for key in &keys[..n] {
                assert_eq!(set.select(Some(key.kid())).unwrap().kid(), Some(key.kid()));
                assert!(set.contains_kid(key.kid()));
            }
            assert_eq!(set.select(Some("nope")).unwrap_err().kind(), "unknown_kid");
            assert!(!set.contains_kid("nope"));
            public.push(keys[n - 1].verifying_key().clone());
            let dup = KeySet::new(public);
            let err = dup.select(Some(keys[n - 1].kid())).unwrap_err();
            assert_eq!(err.kind(), "duplicate_kid", "{n} keys");
            assert!(dup.contains_kid(keys[n - 1].kid()));
        }
    }
}
