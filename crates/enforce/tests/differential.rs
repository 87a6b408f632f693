//! Differential tests: the same tokens and requests through this enforcer, the Python
//! reference `Enforcer.test`, and scitokens-cpp's `scitokens-test-access`, on the cases where
//! docs/semantics.md says we agree. The intended differences are listed in `docs/profiles.md`
//! (for example scitokens-cpp 0.7.3 lets `read:/john` read `/johnathan`; we do not).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use std::sync::Arc;

use scitokens_enforce::{Enforcer, EnforcerConfig, Operation};
use scitokens_format::{Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig, StaticKeys};
use scitokens_testkit::{read_testdata, testdata, Reference};

const ISS: &str = "https://issuer.example";
const AUD: &str = "https://storage.example";

/// (scope claim, request authz, path, allowed?) — SciTokens 2.0 tokens.
const AGREED: &[(&str, &str, &str, bool)] = &[
    ("read:/john", "read", "/john", true),
    ("read:/john", "read", "/john/file", true),
    ("read:/john", "read", "/", false),
    ("read:/john", "write", "/john/file", false),
    ("read:/", "read", "/anything/at/all", true),
    ("write:/out", "write", "/out/x", true),
    ("write:/out", "read", "/out/x", false),
    ("read:/john", "read", "/john/../etc", false),
    ("read:/john write:/out", "read", "/john/./f", true),
    ("read:/a read:/b", "read", "/b/c", true),
    ("read:/a read:/b", "read", "/c", false),
];

/// Sibling paths: Python agrees with us (denied); scitokens-cpp 0.7.3 allows them, the
/// prefix bug semantics.md §7 rules out.
const SIBLINGS: &[(&str, &str, &str)] = &[
    ("read:/john", "read", "/johnathan"),
    ("write:/out", "write", "/outside"),
];

fn key() -> SigningKey {
    SigningKey::from_pem(&read_testdata("keys/es256-private.pem"))
        .unwrap()
        .with_kid("diff-kid")
}

fn token(scope: &str) -> String {
    TokenBuilder::new(Profile::SciTokens2, ISS)
        .scope(scope)
        .audience(AUD)
        .sign(&key(), SystemClock.now())
        .unwrap()
}

fn ours(scope: &str, authz: &str, path: &str) -> bool {
    let keys = StaticKeys::new().with_issuer(ISS, KeySet::new(vec![key().verifying_key().clone()]));
    let enforcer = Enforcer::new(
        EnforcerConfig {
            issuers: vec![ISS.into()],
            audiences: vec![AUD.into()],
            ..EnforcerConfig::default()
        },
        Arc::new(keys),
    )
    .unwrap();
    let op: Operation = authz.parse().unwrap();
    enforcer
        .authorize(&token(scope), &op, path)
        .unwrap()
        .is_allowed()
}

#[test]
fn our_answers_are_the_agreed_ones() {
    for &(scope, authz, path, allowed) in AGREED {
        assert_eq!(ours(scope, authz, path), allowed, "{scope} {authz} {path}");
    }
    for &(scope, authz, path) in SIBLINGS {
        assert!(!ours(scope, authz, path), "{scope} {authz} {path}");
    }
}

#[test]
fn python_reference_agrees() {
    let Some(python) = Reference::python() else {
        return;
    };
    let public = testdata()
        .join("keys/es256-public.pem")
        .display()
        .to_string();
    let siblings = SIBLINGS.iter().map(|&(s, a, p)| (s, a, p, false));
    for (scope, authz, path, allowed) in AGREED.iter().copied().chain(siblings) {
        let request = format!("{authz}:{path}");
        let out = python.run(
            &["enforce", &public, ISS, AUD, &token(scope), &request],
            &[],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let answer = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            answer.trim() == "allow",
            allowed,
            "Python on {scope} {authz} {path}"
        );
    }
}

#[test]
fn scitokens_cpp_agrees() {
    let Some(cpp) = Reference::cpp() else { return };
    let home = std::env::temp_dir().join(format!("scitokens-differential-{}", std::process::id()));
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(home.clone()),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    let jwks = KeySet::new(vec![key().verifying_key().clone()])
        .to_json()
        .unwrap();
    cache.set_jwks(ISS, jwks.as_bytes()).unwrap();
    // Whether scitokens-test-access allows the request (after checking it did verify).
    let cpp_allows = |scope: &str, authz: &str, path: &str| {
        let token = token(scope);
        let out = cpp.run(
            &["scitokens-test-access", &token, ISS, AUD, authz, path],
            &[("XDG_CACHE_HOME", &home)],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Token deserialization successful"), "{text}");
        out.status.success()
    };
    for &(scope, authz, path, allowed) in AGREED {
        assert_eq!(
            cpp_allows(scope, authz, path),
            allowed,
            "scitokens-cpp on {scope} {authz} {path}"
        );
    }
    // The known difference, kept visible: if this fails, scitokens-cpp fixed its sibling-path
    // bug and docs/profiles.md should say so.
    for &(scope, authz, path) in SIBLINGS {
        assert!(
            cpp_allows(scope, authz, path),
            "scitokens-cpp now denies {scope} {authz} {path}"
        );
    }
    std::fs::remove_dir_all(home).ok();
}
