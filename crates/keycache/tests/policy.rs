//! The cache policy, rule by rule, on a manual clock against a real HTTPS issuer.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{key_set, Setup, TempDir, T0};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_testkit::https::Reply;

#[test]
fn fresh_entries_are_not_refetched() {
    let s = Setup::new("fresh");
    let cache = s.cache();
    cache.keys(&s.server.url(), None).unwrap();
    s.clock.advance(599);
    cache.keys(&s.server.url(), None).unwrap();
    cache.join_background();
    assert_eq!(s.jwks_hits(), 1);
}

#[test]
fn stale_entries_serve_and_refresh_in_the_background() {
    let s = Setup::new("stale");
    let cache = s.cache();
    let url = s.server.url();
    cache.keys(&url, None).unwrap();
    s.clock.advance(601);
    cache.keys(&url, None).unwrap();
    cache.join_background();
    assert_eq!(s.jwks_hits(), 2);
    let row = cache.get(&url).unwrap().unwrap().unwrap();
    assert_eq!(
        row.next_update.as_secs(),
        T0 + 601 + 600,
        "the refresh rewrote the row"
    );
    assert_eq!(cache.metrics()[&url].stale_used, 1);
}

#[test]
fn a_down_issuer_does_not_fail_cached_keys() {
    let s = Setup::new("down");
    let cache = s.cache();
    let url = s.server.url();
    cache.keys(&url, None).unwrap();
    s.server.set("/jwks", Reply::status(503));

    // Stale: served; the failed refresh backs off for 60 s.
    s.clock.advance(700);
    for _ in 0..5 {
        cache.keys(&url, None).unwrap();
        cache.join_background();
    }
    assert_eq!(s.jwks_hits(), 2, "one refresh attempt, then back-off");
    s.clock.advance(61);
    cache.keys(&url, None).unwrap();
    cache.join_background();
    assert_eq!(s.jwks_hits(), 3, "retried after the back-off");
    assert_eq!(cache.metrics()[&url].fetch_failed, 2);

    // Expired: now the failure shows.
    s.clock.advance(4 * 24 * 3600);
    let err = cache.keys(&url, None).unwrap_err();
    assert_eq!(err.kind(), "fetch_failed");
    assert!(err.to_string().contains("HTTP status 503"), "{err}");
}

#[test]
fn offline_caches_serve_cached_keys_and_never_fetch() {
    let s = Setup::new("offline");
    let url = s.server.url();
    s.cache().keys(&url, None).unwrap();
    assert_eq!(s.jwks_hits(), 1);

    let offline = s.cache_with(KeyCacheConfig {
        offline: true,
        ..s.config()
    });
    offline.keys(&url, None).unwrap();
    // Stale: still served, and no background refresh.
    s.clock.advance(700);
    offline.keys(&url, None).unwrap();
    offline.join_background();
    // Unknown kid: no forced refresh.
    let err = offline.keys(&url, Some("nope")).unwrap_err();
    assert_eq!(err.kind(), "unknown_kid", "{err}");
    // Expired, and an issuer never seen: refused, not fetched.
    s.clock.advance(4 * 24 * 3600);
    let err = offline.keys(&url, None).unwrap_err();
    assert_eq!(err.kind(), "offline", "{err}");
    assert!(err.to_string().contains("offline"), "{err}");
    assert_eq!(offline.refresh(&url).unwrap_err().kind(), "offline");
    assert_eq!(s.jwks_hits(), 1, "an offline cache never fetched");
    assert_eq!(s.metadata_hits(), 1);
}

#[test]
fn failures_for_absent_issuers_are_remembered() {
    let s = Setup::new("negative");
    let cache = s.cache();
    let url = s.server.url();
    s.server.set("/jwks", Reply::status(404));
    let first = cache.keys(&url, None).unwrap_err().to_string();
    assert!(first.contains("failed 0 s ago"), "{first}");
    assert_eq!(s.jwks_hits(), 1);

    s.clock.advance(20);
    let second = cache.keys(&url, None).unwrap_err().to_string();
    assert_eq!(
        second,
        format!(
            "key fetch for \"{url}\" failed 20 s ago: fetching \"{url}/jwks\": HTTP status 404; next try in 40 s (negative cache)"
        )
    );
    assert_eq!(s.jwks_hits(), 1, "negative cache: no fetch");
    assert_eq!(cache.metrics()[&url].negative_cache_hits, 1);

    s.clock.advance(40);
    s.server.set_jwks(&key_set(&[&s.key]));
    cache.keys(&url, None).unwrap();
    assert_eq!(s.jwks_hits(), 2);
}

#[test]
fn floods_of_made_up_issuers_are_bounded_in_memory_and_in_fetches() {
    let s = Setup::new("flood");
    let cache = s.cache_with(KeyCacheConfig {
        max_issuers: 10,
        new_issuer_fetches_per_minute: 3,
        ..s.config()
    });
    let url = s.server.url();
    cache.keys(&url, None).unwrap();
    s.clock.advance(60); // that fetch counted in the previous minute's budget
    let before = s.server.total_hits();
    let mut kinds = Vec::new();
    for i in 0..100 {
        let err = cache.keys(&format!("{url}/made-up-{i}"), None).unwrap_err();
        kinds.push(err.kind());
    }
    assert!(kinds[..3].iter().all(|k| *k == "fetch_failed"), "{kinds:?}");
    assert!(
        kinds[3..].iter().all(|k| *k == "fetch_rate_limited"),
        "{kinds:?}"
    );
    let hits = s.server.total_hits() - before;
    assert!(
        (3..=6).contains(&hits),
        "3 discoveries (and fallbacks), not 100: {hits}"
    );
    assert_eq!(cache.metrics().len(), 10, "LRU-bounded state");
    let limited = cache
        .keys(&format!("{url}/made-up-100"), None)
        .unwrap_err()
        .to_string();
    assert!(
        limited.contains("over 3 fetches per minute for new issuers"),
        "{limited}"
    );

    // The issuer with keys is served from memory throughout.
    cache.keys(&url, None).unwrap();
    // A new minute, a new budget.
    s.clock.advance(60);
    assert_eq!(
        cache
            .keys(&format!("{url}/made-up-101"), None)
            .unwrap_err()
            .kind(),
        "fetch_failed"
    );

    // Absurdly long issuers are refused before any state exists for them.
    let long = format!("{url}/{}", "x".repeat(scitokens_keycache::MAX_ISSUER_LEN));
    let err = cache.keys(&long, None).unwrap_err();
    assert_eq!(err.kind(), "invalid_issuer");
    assert!(err.to_string().contains("over the limit of 1024"), "{err}");
    assert!(!cache.metrics().contains_key(&long));
}

#[test]
fn keys_of_more_issuers_than_memory_holds_are_read_back_from_the_file() {
    let s = Setup::new("many-issuers");
    let cache = s.cache_with(KeyCacheConfig {
        max_issuers: 4,
        ..s.config()
    });
    let jwks = key_set(&[&s.key]);
    let issuers: Vec<String> = (0..12)
        .map(|i| format!("https://issuer-{i}.example"))
        .collect();
    for issuer in &issuers {
        cache.set_jwks(issuer, jwks.as_bytes()).unwrap();
    }
    for issuer in &issuers {
        assert_eq!(cache.keys(issuer, None).unwrap().len(), 1, "{issuer}");
    }
    assert_eq!(s.server.total_hits(), 0, "all from memory or the file");
    assert!(cache.metrics().len() <= 4);
}

#[test]
fn issuers_publishing_padded_base64_members_are_usable() {
    let s = Setup::new("padded");
    let mut doc: serde_json::Value = serde_json::from_str(&key_set(&[&s.key])).unwrap();
    for name in ["x", "y"] {
        let text = doc["keys"][0][name].as_str().unwrap().to_owned();
        doc["keys"][0][name] = format!("{text}{}", "=".repeat((4 - text.len() % 4) % 4)).into();
    }
    assert!(
        doc.to_string().contains("=\""),
        "the document has padding: {doc}"
    );
    s.server.set_jwks(&doc.to_string());
    let cache = s.cache();
    let keys = cache.keys(&s.server.url(), None).unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys.skipped().is_empty());
}

#[test]
fn concurrent_misses_make_one_fetch() {
    let s = Setup::new("single-flight");
    s.server.set(
        "/jwks",
        Reply::Delay(
            Duration::from_millis(300),
            Box::new(Reply::Body(200, key_set(&[&s.key]).into_bytes())),
        ),
    );
    let cache = s.cache();
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let cache = cache.clone();
            let barrier = Arc::clone(&barrier);
            let url = s.server.url();
            std::thread::spawn(move || {
                barrier.wait();
                cache.keys(&url, None).map(|k| k.len())
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().unwrap(), 1);
    }
    assert_eq!((s.metadata_hits(), s.jwks_hits()), (1, 1));
}

#[test]
fn another_process_fetch_is_read_from_the_file() {
    let s = Setup::new("shared");
    let url = s.server.url();
    s.cache().keys(&url, None).unwrap();
    // A second cache on the same file (as another process would be) with the issuer down.
    s.server.set("/jwks", Reply::status(503));
    let other = s.cache();
    assert_eq!(other.keys(&url, Some(s.key.kid())).unwrap().len(), 1);
    assert_eq!(s.jwks_hits(), 1);
    assert_eq!(other.metrics()[&url].loaded_from_file, 1);
}

fn write_raw_row(file: &std::path::Path, issuer: &str, keys: rusqlite::types::Value) {
    let conn = rusqlite::Connection::open(file).unwrap();
    conn.execute(
        "INSERT OR REPLACE INTO keycache (issuer, keys) VALUES (?1, ?2)",
        rusqlite::params![issuer, keys],
    )
    .unwrap();
}

#[test]
fn unparsable_rows_are_replaced_not_fatal() {
    let s = Setup::new("bad-rows");
    let url = s.server.url();
    s.cache().list().unwrap(); // creates the file
    let bad_rows = [
        rusqlite::types::Value::Text("{\"jwks\": ".into()),
        rusqlite::types::Value::Text("[]".into()),
        rusqlite::types::Value::Text(
            r#"{"jwks":{"keys":[{"kty":"EC"}]},"expires":9999999999,"next_update":9999999999}"#
                .into(),
        ),
        rusqlite::types::Value::Blob(vec![0xff, 0xfe, 0x00, 0x80]),
        rusqlite::types::Value::Integer(7),
    ];
    for (i, bad) in bad_rows.into_iter().enumerate() {
        write_raw_row(&s.dir.file(), &url, bad);
        let cache = s.cache();
        assert_eq!(cache.keys(&url, None).unwrap().len(), 1, "row {i}");
        let row = cache.get(&url).unwrap().unwrap();
        assert!(row.is_ok(), "row {i} was replaced: {row:?}");
        assert_eq!(s.jwks_hits(), i + 1);
    }
}

#[test]
fn a_file_that_is_not_a_database_is_moved_aside() {
    let dir = TempDir::new("notadb");
    let file = dir.file();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, vec![b'x'; 4096]).unwrap();
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::File(file.clone()),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    assert!(cache.list().unwrap().is_empty());
    let aside: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
}

#[test]
fn directories_are_private_and_unwritable_locations_are_clear_errors() {
    let dir = TempDir::new("perms");
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(dir.0.join("a/b")),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    let made = cache.location().unwrap().parent().unwrap();
    assert_eq!(
        std::fs::metadata(made).unwrap().permissions().mode() & 0o777,
        0o700
    );

    // A regular file where the directory should be: no root privilege can write through it.
    let blocker = dir.0.join("blocker");
    std::fs::write(&blocker, b"").unwrap();
    let config = KeyCacheConfig {
        location: CacheLocation::CacheHome(blocker.clone()),
        ..KeyCacheConfig::default()
    };
    let err = KeyCache::open(config.clone()).err().unwrap();
    assert_eq!(err.kind(), "storage");
    assert!(err.to_string().contains("blocker"), "{err}");

    let cache = KeyCache::open(KeyCacheConfig {
        allow_in_memory: true,
        ..config
    })
    .unwrap();
    assert_eq!(cache.location(), None);
    cache
        .set_jwks(
            "https://issuer.example",
            key_set(&[
                &scitokens_format::SigningKey::generate(scitokens_format::Algorithm::Es256)
                    .unwrap(),
            ])
            .as_bytes(),
        )
        .unwrap();
    assert_eq!(cache.list().unwrap().len(), 1);
}

#[test]
fn background_refresher_refreshes_due_entries() {
    let s = Setup::new("refresher");
    let cache = s.cache_with(KeyCacheConfig {
        refresh_interval: Duration::from_millis(20),
        refresh_threshold: Duration::from_secs(60),
        ..s.config()
    });
    let url = s.server.url();
    cache.keys(&url, None).unwrap();
    let refresher = cache.start_refresher().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        s.jwks_hits(),
        1,
        "600 s from next_update: not due within 60 s"
    );
    s.clock.advance(590);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.jwks_hits() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    refresher.stop();
    assert!(s.jwks_hits() >= 2);
    assert!(cache.metrics()[&url].background_refreshes >= 1);
    let row = cache.get(&url).unwrap().unwrap().unwrap();
    assert_eq!(row.next_update.as_secs(), T0 + 590 + 600);
    assert!(cache.metrics()[&url].background_ok >= 1);
}

#[test]
fn stopping_the_refresher_does_not_wait_for_a_hung_issuer() {
    // An "issuer" that accepts connections and never answers: a refresh hangs until the
    // admin timeout (30 s here), as behind a stuck keep-alive connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    // Detached: it holds the connection longer than the bound below, then ends by itself.
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(20));
        drop(held);
    });
    let s = Setup::new("refresher-hung");
    let cache = s.cache_with(KeyCacheConfig {
        refresh_interval: Duration::from_millis(10),
        refresh_threshold: Duration::from_secs(60),
        admin_timeout: Duration::from_secs(30),
        ..s.config()
    });
    cache
        .set_jwks(&hung, key_set(&[&s.key]).as_bytes())
        .unwrap();
    s.clock.advance(590);
    let refresher = cache.start_refresher().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while cache.metrics()[&hung].background_refreshes != 1 {
        assert!(std::time::Instant::now() < deadline, "no refresh started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = std::time::Instant::now();
    refresher.stop();
    // REFRESHER_STOP_WAIT is 0.5 s; the bound leaves room for a loaded machine and is far
    // below the 30 s the hung request would take.
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "stop waited {waited:?}");
}

#[test]
fn admin_operations() {
    let s = Setup::new("admin");
    let cache = s.cache();
    let url = s.server.url();
    // SQL metacharacters in the issuer are data, nothing more.
    let odd = "https://x.example/'; DROP TABLE keycache; --";
    cache.set_jwks(odd, key_set(&[&s.key]).as_bytes()).unwrap();
    cache.refresh(&url).unwrap();
    let listed: Vec<String> = cache
        .list()
        .unwrap()
        .into_iter()
        .map(|i| i.issuer)
        .collect();
    assert_eq!(listed, vec![url.clone(), odd.to_owned()]);
    assert!(cache.keys(odd, Some(s.key.kid())).is_ok());
    assert!(cache.delete(odd).unwrap());
    assert!(!cache.delete(odd).unwrap());
    assert_eq!(cache.keys(odd, None).unwrap_err().kind(), "invalid_issuer");
    let refreshed = cache.refresh_all().unwrap();
    assert_eq!(refreshed.len(), 1);
    assert!(refreshed[0].1.is_ok());

    // A set with no usable key is refused and changes nothing.
    let err = cache
        .set_jwks(&url, br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#)
        .unwrap_err();
    assert!(err.to_string().contains("no usable key"), "{err}");
    assert!(cache.keys(&url, Some(s.key.kid())).is_ok());
}

#[test]
fn large_key_sets_and_odd_kids() {
    let dir = TempDir::new("big");
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(dir.0.clone()),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    let key = scitokens_format::SigningKey::generate(scitokens_format::Algorithm::Es256).unwrap();
    let jwk = serde_json::Value::Object(key.verifying_key().to_jwk().unwrap());
    let mut keys: Vec<serde_json::Value> = (0..scitokens_format::MAX_KEY_SET_KEYS)
        .map(|i| {
            let mut k = jwk.clone();
            k["kid"] = format!("k{i}").into();
            k
        })
        .collect();
    keys[1]["kid"] = "../../etc/passwd' OR 1=1 --".into();
    keys[2] = serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"});
    let doc = serde_json::json!({ "keys": keys }).to_string();
    let started = std::time::Instant::now();
    cache
        .set_jwks("https://big.example", doc.as_bytes())
        .unwrap();
    let last = format!("k{}", scitokens_format::MAX_KEY_SET_KEYS - 1);
    let set = cache.keys("https://big.example", Some(&last)).unwrap();
    assert_eq!(
        set.len(),
        scitokens_format::MAX_KEY_SET_KEYS - 1,
        "the oct key is skipped, the others used"
    );
    assert!(set.skipped()[0].reason.contains("oct"));
    assert!(cache
        .keys("https://big.example", Some("../../etc/passwd' OR 1=1 --"))
        .is_ok());
    assert!(started.elapsed() < Duration::from_secs(30));
    // One more key than the limit: refused before any key is parsed.
    keys.push(jwk);
    let doc = serde_json::json!({ "keys": keys }).to_string();
    let err = cache
        .set_jwks("https://bigger.example", doc.as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("over the limit of 4096"), "{err}");
}
