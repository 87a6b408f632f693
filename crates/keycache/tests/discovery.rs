//! Key discovery against a real HTTPS issuer on 127.0.0.1 (test CA made by rcgen).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

mod common;

use std::time::Duration;

use common::{key_set, Setup};
use scitokens_format::{Algorithm, SigningKey};
use scitokens_keycache::{KeyCacheConfig, USER_AGENT};
use scitokens_testkit::https::Reply;
use serde_json::json;

#[test]
fn discovers_and_serves_from_memory() {
    let s = Setup::new("discover");
    let cache = s.cache();
    let keys = cache.keys(&s.server.url(), Some(s.key.kid())).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((s.metadata_hits(), s.jwks_hits()), (1, 1));
    assert_eq!(s.server.last_user_agent().as_deref(), Some(USER_AGENT));
    for _ in 0..100 {
        cache.keys(&s.server.url(), Some(s.key.kid())).unwrap();
    }
    assert_eq!(
        (s.metadata_hits(), s.jwks_hits()),
        (1, 1),
        "no network once known"
    );
    let row = cache.get(&s.server.url()).unwrap().unwrap().unwrap();
    assert_eq!(row.next_update.as_secs(), common::T0 + 600);
    assert_eq!(row.expires.as_secs(), common::T0 + 4 * 24 * 3600);
}

#[test]
fn falls_back_to_rfc8414_metadata() {
    let s = Setup::new("rfc8414");
    let issuer = format!("{}/realm/sci", s.server.url());
    s.server.set(
        "/.well-known/oauth-authorization-server/realm/sci",
        Reply::json(&json!({"issuer": issuer, "jwks_uri": format!("{}/jwks", s.server.url())})),
    );
    let keys = s.cache().keys(&issuer, None).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        s.server.hits("/realm/sci/.well-known/openid-configuration"),
        1
    );
}

fn fetch_error(s: &Setup) -> String {
    let err = s.cache().keys(&s.server.url(), None).unwrap_err();
    assert_eq!(err.kind(), "fetch_failed", "{err}");
    err.to_string()
}

#[test]
fn refuses_bad_metadata_and_bad_responses() {
    let s = Setup::new("bad");
    let url = s.server.url();
    let meta = "/.well-known/openid-configuration";

    s.server.set(
        meta,
        Reply::json(&json!({"issuer": "https://other.example", "jwks_uri": format!("{url}/jwks")})),
    );
    assert!(fetch_error(&s).contains("names issuer \"https://other.example\""));

    s.server.set(meta, Reply::json(&json!({"issuer": url, "jwks_uri": format!("http://127.0.0.1:{}/jwks", s.server.port())})));
    assert!(fetch_error(&s).contains("is not https"));

    s.server.set(meta, Reply::json(&json!({"issuer": url})));
    assert!(fetch_error(&s).contains("no \"jwks_uri\""));

    s.server
        .set(meta, Reply::Body(200, b"{\"issuer\": ".to_vec()));
    assert!(fetch_error(&s).contains("not a JSON object"));

    s.server.serve_metadata(&url, &format!("{url}/jwks"));
    s.server.set("/jwks", Reply::Body(200, vec![b' '; 2 << 20]));
    assert!(fetch_error(&s).contains("larger than 1048576 bytes"));

    s.server.set("/jwks", Reply::status(500));
    assert!(fetch_error(&s).contains("HTTP status 500"));

    s.server.set(
        "/jwks",
        Reply::json(&json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})),
    );
    assert!(fetch_error(&s).contains("no usable key"));

    s.server.remove(meta);
    let err = fetch_error(&s);
    assert!(err.contains("HTTP status 404 (and 404 from"), "{err}");
}

#[test]
fn a_hanging_issuer_times_out() {
    let s = Setup::new("hang");
    s.server.set(
        "/jwks",
        Reply::Delay(
            Duration::from_secs(5),
            Box::new(Reply::Body(200, key_set(&[&s.key]).into_bytes())),
        ),
    );
    let config = KeyCacheConfig {
        request_timeout: Duration::from_millis(500),
        ..s.config()
    };
    let started = std::time::Instant::now();
    let err = s
        .cache_with(config)
        .keys(&s.server.url(), None)
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn untrusted_certificate_and_plain_http_are_refused() {
    let s = Setup::new("tls");
    let config = KeyCacheConfig {
        tls_ca_file: None, // web PKI roots: the test CA is not among them
        ..s.config()
    };
    let err = s
        .cache_with(config)
        .keys(&s.server.url(), None)
        .unwrap_err();
    assert_eq!(err.kind(), "fetch_failed");
    assert_eq!(s.metadata_hits(), 0);

    let http = format!("http://127.0.0.1:{}", s.server.port());
    let err = s.cache().keys(&http, None).unwrap_err();
    assert!(err.to_string().contains("https only"), "{err}");
}

#[test]
fn key_rotation_forces_one_refresh_per_minute() {
    let s = Setup::new("rotate");
    let cache = s.cache();
    let url = s.server.url();
    cache.keys(&url, Some(s.key.kid())).unwrap();

    // The issuer rotates: a token signed by the new key arrives.
    let new_key = SigningKey::generate(Algorithm::Rs256).unwrap();
    s.server.set_jwks(&key_set(&[&s.key, &new_key]));
    let keys = cache.keys(&url, Some(new_key.kid())).unwrap();
    assert!(keys.contains_kid(new_key.kid()));
    assert_eq!(s.jwks_hits(), 2);

    // An unknown kid right after: no second forced refresh within the minute.
    let err = cache.keys(&url, Some("nobody")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("kid \"nobody\" not published by \"{url}\"")
    );
    assert_eq!(s.jwks_hits(), 2);
    s.clock.advance(61);
    cache.keys(&url, Some("nobody")).unwrap_err();
    assert_eq!(s.jwks_hits(), 3, "one forced refresh per 60 s");
    assert_eq!(cache.metrics()[&url].unknown_kid_refreshes, 2);
}

#[test]
fn issuers_off_the_allow_list_are_never_fetched() {
    let s = Setup::new("allow");
    let url = s.server.url();
    let cache = s.cache_with(KeyCacheConfig {
        fetch_allow_list: Some(vec!["https://trusted.example".into()]),
        ..s.config()
    });
    let err = cache.keys(&url, None).unwrap_err();
    assert_eq!(err.kind(), "issuer_not_allowed");
    assert_eq!(
        cache.refresh(&url).unwrap_err().kind(),
        "issuer_not_allowed"
    );
    assert_eq!(s.server.total_hits(), 0);
}

#[test]
fn the_in_memory_source_never_touches_the_file_or_the_network() {
    use scitokens_format::KeySource;
    let s = Setup::new("in-memory");
    let url = s.server.url();
    let cache = s.cache();
    let memory = cache.in_memory();
    // Nothing loaded yet: the in-memory source refuses rather than fetch.
    let err = memory.keys(&url, Some(s.key.kid())).unwrap_err();
    assert_eq!(err.kind(), scitokens_keycache::NOT_IN_MEMORY, "{err}");
    assert_eq!(s.jwks_hits(), 0);
    // Loaded by the blocking path, then answered from memory.
    cache.keys(&url, Some(s.key.kid())).unwrap();
    assert_eq!(memory.keys(&url, Some(s.key.kid())).unwrap().len(), 1);
    // An unknown kid would need a refetch: refused, and nothing fetched.
    let err = memory.keys(&url, Some("other")).unwrap_err();
    assert_eq!(err.kind(), scitokens_keycache::NOT_IN_MEMORY);
    assert_eq!((s.metadata_hits(), s.jwks_hits()), (1, 1));
    // A second cache on the same file has it on disk, not in memory.
    let second = s.cache();
    assert!(second.keys_in_memory(&url, None).is_none());
}
