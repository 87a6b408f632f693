//! The conformance suite: `testdata/conformance/cases.json`, one test for all cases.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use std::sync::Arc;

use scitokens_enforce::{Decision, Enforcer, EnforcerConfig, Operation};
use scitokens_format::{sign_parts, Claims, FixedClock, Header, KeySet, Profile, SigningKey};
use scitokens_keycache::StaticKeys;
use serde_json::{json, Map, Value};

const ISS: &str = "https://issuer.example";
const AUD: &str = "https://storage.example";
const T: i64 = 1_700_000_000;

fn fixture_key() -> SigningKey {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/keys/es256-private.pem"
    ))
    .unwrap();
    SigningKey::from_pem(&pem).unwrap()
}

fn mint(case: &Value, key: &SigningKey) -> String {
    let profile = case["profile"].as_str().unwrap();
    let mut claims =
        json!({"iss": ISS, "aud": AUD, "iat": T, "nbf": T, "exp": T + 600, "sub": "alice"});
    match profile {
        "scitokens2" => claims["ver"] = "scitoken:2.0".into(),
        "wlcg" => claims["wlcg.ver"] = "1.0".into(),
        "scitokens1" | "atjwt" => {}
        other => panic!("unknown profile {other}"),
    }
    if !case["scope"].is_null() {
        claims["scope"] = case["scope"].clone();
    }
    if let Some(changes) = case.get("claims").and_then(Value::as_object) {
        for (name, value) in changes {
            let map = claims.as_object_mut().unwrap();
            match value {
                Value::Null => {
                    map.remove(name);
                }
                Value::String(s) if s.starts_with('+') => {
                    map.insert(name.clone(), (T + s[1..].parse::<i64>().unwrap()).into());
                }
                v => {
                    map.insert(name.clone(), v.clone());
                }
            }
        }
    }
    let typ = if profile == "atjwt" { "at+jwt" } else { "JWT" };
    let header = json!({"alg": "ES256", "typ": typ, "kid": key.kid()});
    let header = Header::from_json(header.to_string().as_bytes()).unwrap();
    let claims = Claims::new(claims.as_object().unwrap().clone());
    sign_parts(&header, &claims, key).unwrap()
}

fn enforcer(case: &Value, key: &SigningKey) -> Enforcer {
    let mut config = EnforcerConfig {
        issuers: vec![ISS.into()],
        audiences: vec![AUD.into()],
        ..EnforcerConfig::default()
    };
    let empty = Map::new();
    let overrides = case
        .get("config")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if let Some(issuers) = overrides.get("issuers") {
        config.issuers = serde_json::from_value(issuers.clone()).unwrap();
    }
    if let Some(audiences) = overrides.get("audiences") {
        config.audiences = serde_json::from_value(audiences.clone()).unwrap();
    }
    if let Some(leeway) = overrides.get("exp_leeway_s") {
        config.exp_leeway = std::time::Duration::from_secs(leeway.as_u64().unwrap());
    }
    if let Some(profiles) = overrides.get("profiles") {
        config.profiles = Some(
            profiles
                .as_array()
                .unwrap()
                .iter()
                .map(|p| match p.as_str().unwrap() {
                    "wlcg" => Profile::Wlcg,
                    "scitokens1" => Profile::SciTokens1,
                    "scitokens2" => Profile::SciTokens2,
                    _ => Profile::AccessToken,
                })
                .collect(),
        );
    }
    let keys = StaticKeys::new().with_issuer(ISS, KeySet::new(vec![key.verifying_key().clone()]));
    let now = T + case.get("now_offset").and_then(Value::as_i64).unwrap_or(0);
    Enforcer::with_clock(config, Arc::new(keys), Arc::new(FixedClock(now))).unwrap()
}

#[test]
fn conformance_cases() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/conformance/cases.json"
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let key = fixture_key();
    let mut failures = Vec::new();
    let cases = doc["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let token = mint(case, &key);
        let op: Operation = case["op"].as_str().unwrap().parse().unwrap();
        let got = match enforcer(case, &key).authorize(&token, &op, case["path"].as_str().unwrap())
        {
            Ok(Decision::Allowed { .. }) => "allow".to_owned(),
            Ok(Decision::Denied(_)) => "deny".to_owned(),
            Err(e) => format!("invalid:{}", e.kind()),
        };
        let want = case["expect"].as_str().unwrap();
        if got != want {
            failures.push(format!("{name}: expected {want}, got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
