//! The issuer's tokens in the incumbents' hands: Python `scitokens` discovers the issuer's keys
//! over HTTPS with urllib (trusting the test CA through `SSL_CERT_FILE`) and enforces; Debian's
//! scitokens-cpp verifies with the key cache it shares with this workspace's, which discovered
//! the keys (scitokens-cpp 0.7 cannot be given a CA file for its own fetches).

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{Setup, STORAGE};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_testkit::Reference;

const POLICY: &str = r#"
[clients.svc]
grants = ["client_credentials"]
profile = "scitokens2"
scopes = ["read:/public", "write:/public/{client_id}"]
audiences = ["https://storage.example"]
"#;

const PY_ENFORCE: &str = r#"
import sys, scitokens
token, issuer, aud = sys.argv[1:4]
parsed = scitokens.SciToken.deserialize(token, audience=aud)
enforcer = scitokens.Enforcer(issuer, audience=aud)
for request in sys.argv[4:]:
    authz, path = request.split(":", 1)
    print("allow" if enforcer.test(parsed, authz, path) else "deny")
"#;

#[test]
fn python_scitokens_discovers_the_keys_and_enforces() {
    let Some(Reference::Python(python)) = Reference::python() else {
        return;
    };
    let setup = Setup::new(&[], POLICY);
    let secret = setup.add_client("svc");
    let node = setup.serve();
    let answer = node.client.token(("svc", &secret), &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(python)
        .args(["-c", PY_ENFORCE, &token, &setup.url, STORAGE])
        .args([
            "read:/public/a",
            "read:/private",
            "write:/public/svc/x",
            "write:/public/other",
        ])
        .env("SSL_CERT_FILE", &setup.ca)
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.split_whitespace().collect::<Vec<_>>(),
        ["allow", "deny", "allow", "deny"]
    );
    let log = node.log();
    assert!(log.contains("jwks"), "Python fetched no JWKS: {log}");
}

#[test]
fn scitokens_cpp_verifies_with_the_shared_key_cache() {
    let Some(cpp) = Reference::cpp() else {
        return;
    };
    let setup = Setup::new(&[], POLICY);
    let secret = setup.add_client("svc");
    let node = setup.serve();
    let token = node.client.token(("svc", &secret), &[]).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = tempfile::tempdir().unwrap();
    // Our cache discovers the issuer over HTTPS and writes the row scitokens-cpp reads.
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(home.path().to_owned()),
        tls_ca_file: Some(setup.ca.clone()),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    cache.refresh(&setup.url).unwrap();
    let out = cpp.run(
        &["scitokens-verify", &token],
        &[("XDG_CACHE_HOME", home.path())],
    );
    assert!(
        out.status.success(),
        "scitokens-verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A token signed by a key the issuer never published is refused.
    let forged =
        scitokens_format::TokenBuilder::new(scitokens_format::Profile::SciTokens2, &setup.url)
            .scope("read:/public")
            .audience(STORAGE)
            .sign(
                &scitokens_format::SigningKey::generate(scitokens_format::Algorithm::Es256)
                    .unwrap()
                    .with_kid(common::kid(&token)),
                scitokens_format::Clock::now(&scitokens_format::SystemClock),
            )
            .unwrap();
    let out = cpp.run(
        &["scitokens-verify", &forged],
        &[("XDG_CACHE_HOME", home.path())],
    );
    assert!(
        !out.status.success(),
        "scitokens-cpp accepted a forged token"
    );
}
