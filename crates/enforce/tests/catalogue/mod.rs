//! The hostile-input catalogue, `testdata/hostile/*.json`: loading a case, building its input,
//! running it. Shared by the `hostile` test and the `hostile` bench.
//!
//! A case is a JSON object:
//!
//! - `description`: what it is and why it must be refused;
//! - `input`: `token` (default), `jwks`, `cache_row` or `authorization`;
//! - for tokens, either `token` (the compact token, verbatim) or `build`, from which the
//!   runner makes it: `header` / `claims` merged over the defaults below (`null` removes a
//!   member) or `header_raw` / `claims_raw` as JSON text; then the signature: `sign`
//!   (`es`, `rs`, `other-es`, `none`, `hs256:FILE`, `hs512:FILE` with FILE under
//!   `testdata/keys/`), `signature_hex`, `signature_b64` (the third segment verbatim) or
//!   `signature_of` (the third segment of another built token); `pad_to` pads the token with
//!   `A` to that many bytes;
//! - `config`: enforcer settings over the defaults (`issuers`, `audiences`, `profiles`,
//!   `max_token_len`, `exp_leeway_s`);
//! - `request`: `[operation, path]`, default `["read", "/data/file"]`;
//! - `document` (jwks), `row` (cache_row) or `value` (authorization): the input text;
//! - `expect`: an error kind (`EnforceError::kind`, `FormatError::kind`), or `deny`, `allow`,
//!   `usable:N` (a key set with N usable keys), `invalid` (a cache row refused), `ok`.
//!
//! Any string in a case may be given as `{"$repeat": TEXT, "times": N}` or
//! `{"$join": [PARTS...]}`, so a 1 MB scope or a 10,000-deep nesting stays a short file.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // shared by a test and a bench, each using a part

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_lc_rs::hmac::{self, HMAC_SHA256, HMAC_SHA512};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use scitokens_enforce::{token_from_authorization, Decision, Enforcer, EnforcerConfig, Operation};
use scitokens_format::{FixedClock, KeySet, Profile, SigningKey, VerifyingKey};
use scitokens_keycache::{CachedRow, KeySource, StaticKeys};
use serde_json::{json, Map, Value};

pub const ISSUER: &str = "https://issuer.example";
pub const AUDIENCE: &str = "https://storage.example";
/// Tokens are issued at T and checked at T + 100.
pub const T: i64 = 1_700_000_000;

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every case file, sorted by name.
pub fn cases() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("hostile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let case = serde_json::from_slice(&std::fs::read(&p).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, case)
        })
        .collect()
}

/// Expands `$repeat` and `$join` anywhere in a value.
pub fn expand(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.contains_key("$repeat") => {
            let text = expand(&map["$repeat"]);
            let times = map["times"].as_u64().unwrap() as usize;
            Value::String(text.as_str().unwrap().repeat(times))
        }
        Value::Object(map) if map.contains_key("$join") => Value::String(
            map["$join"]
                .as_array()
                .unwrap()
                .iter()
                .map(|part| expand(part).as_str().unwrap().to_owned())
                .collect(),
        ),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), expand(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        other => other.clone(),
    }
}

fn text(value: &Value) -> String {
    match expand(value) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn merged(defaults: Value, over: Option<&Value>) -> String {
    let Value::Object(mut map) = defaults else {
        unreachable!()
    };
    if let Some(Value::Object(over)) = over.map(expand) {
        for (name, value) in over {
            if value.is_null() {
                map.remove(&name);
            } else {
                map.insert(name, value);
            }
        }
    }
    Value::Object(map).to_string()
}

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(dir().join("keys").join(name)).unwrap()
}

fn hmac(algorithm: hmac::Algorithm, secret: &[u8], input: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(algorithm, secret);
    hmac::sign(&key, input).as_ref().to_vec()
}

/// The token a `build` spec describes.
pub fn build(spec: &Value) -> String {
    let header = match spec.get("header_raw") {
        Some(raw) => text(raw),
        None => merged(
            json!({"alg": "ES256", "typ": "JWT", "kid": "es"}),
            spec.get("header"),
        ),
    };
    let claims = match spec.get("claims_raw") {
        Some(raw) => text(raw),
        None => merged(
            json!({
                "iss": ISSUER, "sub": "hostile", "aud": AUDIENCE, "ver": "scitoken:2.0",
                "scope": "read:/data", "iat": T, "nbf": T, "exp": T + 600, "jti": "hostile",
            }),
            spec.get("claims"),
        ),
    };
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = if let Some(b64) = spec.get("signature_b64") {
        text(b64)
    } else if let Some(other) = spec.get("signature_of") {
        build(other).rsplit('.').next().unwrap().to_owned()
    } else {
        let bytes = if let Some(hex) = spec.get("signature_hex") {
            let hex = text(hex);
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        } else {
            let how = spec.get("sign").and_then(Value::as_str).unwrap_or("es");
            let pem = |name: &str| SigningKey::from_pem(&key_file(name)).unwrap();
            match how.split_once(':') {
                Some(("hs256", file)) => hmac(HMAC_SHA256, &key_file(file), input.as_bytes()),
                Some(("hs512", file)) => hmac(HMAC_SHA512, &key_file(file), input.as_bytes()),
                _ => match how {
                    "es" => pem("es256-private.pem").sign(input.as_bytes()).unwrap(),
                    "rs" => pem("rs256-private.pem").sign(input.as_bytes()).unwrap(),
                    "other-es" => pem("es256-other-private.pem")
                        .sign(input.as_bytes())
                        .unwrap(),
                    "none" => Vec::new(),
                    other => panic!("unknown sign {other:?}"),
                },
            }
        };
        URL_SAFE_NO_PAD.encode(bytes)
    };
    let mut token = format!("{input}.{signature}");
    if let Some(n) = spec.get("pad_to").and_then(Value::as_u64) {
        while token.len() < n as usize {
            token.push('A');
        }
    }
    token
}

/// A key source that counts its lookups, to show which refusals come before any key work.
pub struct Counting {
    inner: StaticKeys,
    pub lookups: AtomicUsize,
}

impl KeySource for Counting {
    fn keys(&self, issuer: &str, kid: Option<&str>) -> scitokens_format::Result<Arc<KeySet>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.keys(issuer, kid)
    }
}

/// The enforcer a case runs against: the fixture keys (ES256 `es`, RS256 `rs`) for
/// [`ISSUER`], the clock at T + 100, the case's `config` over the defaults; and its key
/// source's lookup counter.
pub fn enforcer(config: Option<&Value>) -> (Enforcer, Arc<Counting>) {
    let key = |file: &str, kid: &str| {
        VerifyingKey::from_pem(&key_file(file))
            .unwrap()
            .with_kid(kid)
    };
    let keys = KeySet::new(vec![
        key("es256-public.pem", "es"),
        key("rs256-public.pem", "rs"),
    ]);
    let mut settings = EnforcerConfig {
        issuers: vec![ISSUER.into()],
        audiences: vec![AUDIENCE.into()],
        ..EnforcerConfig::default()
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    if let Some(Value::Object(config)) = config {
        for (name, value) in config {
            match name.as_str() {
                "issuers" => settings.issuers = strings(value),
                "audiences" => settings.audiences = strings(value),
                "profiles" => {
                    settings.profiles = Some(
                        strings(value)
                            .iter()
                            .map(|p| p.parse::<Profile>().unwrap())
                            .collect(),
                    )
                }
                "max_token_len" => settings.max_token_len = value.as_u64().unwrap() as usize,
                "exp_leeway_s" => {
                    settings.exp_leeway = std::time::Duration::from_secs(value.as_u64().unwrap())
                }
                other => panic!("unknown config {other}"),
            }
        }
    }
    let source = Arc::new(Counting {
        inner: StaticKeys::new().with_issuer(ISSUER, keys),
        lookups: AtomicUsize::new(0),
    });
    let enforcer = Enforcer::with_clock(
        settings,
        Arc::clone(&source) as Arc<dyn KeySource>,
        Arc::new(FixedClock(T + 100)),
    )
    .unwrap();
    (enforcer, source)
}

/// A case made ready to run: its input built once.
pub struct Prepared {
    pub name: String,
    pub expect: String,
    pub run: Box<dyn Fn() -> (String, String) + Send + Sync>,
    /// Key lookups made so far (token cases only).
    pub keys: Option<Arc<Counting>>,
}

/// Builds a case's input and enforcer; `run` returns (outcome, message).
pub fn prepare(name: &str, case: &Value) -> Prepared {
    let expect = case["expect"].as_str().unwrap().to_owned();
    let input = case.get("input").and_then(Value::as_str).unwrap_or("token");
    let mut keys = None;
    let run: Box<dyn Fn() -> (String, String) + Send + Sync> = match input {
        "token" => {
            let token = match (case.get("token"), case.get("build")) {
                (Some(token), None) => text(token),
                (None, Some(spec)) => build(spec),
                _ => panic!("{name}: give token or build"),
            };
            let (enforcer, source) = enforcer(case.get("config"));
            keys = Some(source);
            let (op, path) = match case.get("request") {
                Some(Value::Array(r)) => (text(&r[0]), text(&r[1])),
                _ => ("read".to_owned(), "/data/file".to_owned()),
            };
            let operation: Operation = op.parse().unwrap();
            Box::new(
                move || match enforcer.authorize(&token, &operation, &path) {
                    Ok(Decision::Allowed { by }) => ("allow".into(), format!("by {by:?}")),
                    Ok(Decision::Denied(denial)) => ("deny".into(), denial.to_string()),
                    Err(e) => (e.kind().into(), e.to_string()),
                },
            )
        }
        "jwks" => {
            let document = text(&case["document"]);
            Box::new(move || match KeySet::from_json(document.as_bytes()) {
                Ok(set) => (
                    format!("usable:{}", set.len()),
                    format!("skipped {:?}", set.skipped()),
                ),
                Err(e) => (e.kind().into(), e.to_string()),
            })
        }
        "cache_row" => {
            let row = text(&case["row"]);
            Box::new(move || match CachedRow::decode(&row) {
                Ok(row) => match KeySet::from_map(&row.jwks) {
                    Ok(set) => (format!("usable:{}", set.len()), String::new()),
                    Err(e) => (e.kind().into(), e.to_string()),
                },
                Err(e) => ("invalid".into(), e.to_string()),
            })
        }
        "authorization" => {
            let value = text(&case["value"]);
            Box::new(move || match token_from_authorization(&value) {
                Ok(_) => ("ok".into(), String::new()),
                Err(e) => (e.kind().into(), e.to_string()),
            })
        }
        other => panic!("{name}: unknown input {other}"),
    };
    Prepared {
        name: name.to_owned(),
        expect,
        run,
        keys,
    }
}

/// The cases' names and descriptions (for listing).
pub fn describe(case: &Map<String, Value>) -> &str {
    case.get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
}
