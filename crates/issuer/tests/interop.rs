//! The issuer's tokens in the incumbents' hands: Python `scitokens` discovers the issuer's keys
//! over HTTPS with urllib (trusting the test CA through `SSL_CERT_FILE`) and enforces; Debian's
//! scitokens-cpp discovers them itself too (its libcurl reads only the system CA bundle, so it
//! runs in a private mount namespace where that file also holds the test CA), and verifies with
//! the key cache it shares with this workspace's. An independent
//! OAuth client library (Authlib, from PyPI) drives every grant and the revocation endpoint.

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
fn scitokens_cpp_discovers_the_keys_itself() {
    let Some(cpp) = Reference::cpp() else {
        return;
    };
    let Reference::Cpp(tools) = &cpp else {
        return;
    };
    let system = std::path::Path::new("/etc/ssl/certs/ca-certificates.crt");
    let setup = Setup::new(&[], POLICY);
    let secret = setup.add_client("svc");
    let node = setup.serve();
    let token = node.client.token(("svc", &secret), &[]).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The system bundle plus the test CA, seen only inside the namespace.
    let bundle = setup.dir.path().join("bundle.pem");
    let mut pem = std::fs::read(system).unwrap_or_default();
    pem.extend(std::fs::read(&setup.ca).unwrap());
    std::fs::write(&bundle, pem).unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = |token: &str| {
        Command::new("unshare")
            .args(["--mount", "sh", "-c"])
            .arg(r#"mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && exec "$2" "$3""#)
            .arg("sh")
            .arg(&bundle)
            .arg(tools.join("scitokens-verify"))
            .arg(token)
            .env("XDG_CACHE_HOME", home.path())
            .output()
            .unwrap()
    };
    let probe = Command::new("unshare")
        .args(["--mount", "sh", "-c"])
        .arg(r#"mount --bind "$1" /etc/ssl/certs/ca-certificates.crt"#)
        .arg("sh")
        .arg(&bundle)
        .output();
    if !system.is_file() || !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            !scitokens_testkit::interop_required(),
            "cannot make a private mount namespace (needs root) for scitokens-cpp's CA bundle"
        );
        return;
    }
    let out = run(&token);
    assert!(
        out.status.success(),
        "scitokens-verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = node.log();
    assert!(log.contains("jwks"), "scitokens-cpp fetched no JWKS: {log}");
    // Its own cache now holds the issuer's keys: the file our key cache shares.
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(home.path().to_owned()),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    assert!(
        cache.get(&setup.url).unwrap().is_some(),
        "no row written by scitokens-cpp"
    );
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

const OAUTH_POLICY: &str = r#"
[clients.svc]
grants = ["client_credentials", "refresh_token"]
scopes = ["storage.read:/data"]
audiences = ["https://storage.example"]

[clients.broker]
grants = ["token_exchange"]
audiences = ["https://storage.example"]
"#;

#[test]
fn an_independent_oauth_client_library_drives_every_grant() {
    let Some(Reference::Python(python)) = Reference::python() else {
        return;
    };
    let has_authlib = Command::new(&python)
        .args(["-c", "import authlib, requests"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_authlib {
        assert!(
            !scitokens_testkit::interop_required(),
            "Authlib is missing from the reference virtualenv (.ci/setup installs it)"
        );
        return;
    }
    let setup = Setup::new(&[], OAUTH_POLICY);
    let secrets = setup.dir.path();
    for id in ["svc", "broker"] {
        let file = secrets.join(format!("{id}.secret"));
        let out = setup.run(&[
            "clients",
            "add",
            id,
            "--secret-file",
            file.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let node = setup.serve();
    let out = Command::new(&python)
        .arg(scitokens_testkit::testdata().join("interop/oauth_client.py"))
        .arg(&setup.url)
        .args(["svc", secrets.join("svc.secret").to_str().unwrap()])
        .args(["broker", secrets.join("broker.secret").to_str().unwrap()])
        .env("REQUESTS_CA_BUNDLE", &setup.ca)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        node.log()
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["client_credentials"]["token_type"], "Bearer");
    assert_eq!(seen["client_credentials"]["scope"], "storage.read:/data");
    assert_eq!(seen["refresh_rotated"], true);
    assert_eq!(seen["replay_error"], "invalid_grant");
    assert_eq!(seen["exchange"]["scope"], "storage.read:/data/sub");
    assert_eq!(seen["widen_error"], "invalid_scope");
    assert_eq!(seen["revoke_status"], 200);
    assert_eq!(seen["revoked_error"], "invalid_grant");
    assert_eq!(seen["wrong_secret_error"], "invalid_client");
    let exchanged = seen["exchanged_token"].as_str().unwrap();
    assert_eq!(common::claims(exchanged)["act"]["sub"], "broker");
}
