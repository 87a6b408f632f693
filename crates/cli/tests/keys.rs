//! `scitoken keys` and key discovery: a real SQLite cache file and a real HTTPS issuer on
//! 127.0.0.1 with a test CA.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;

use common::{one_error_line, Env, AUD, ISS};
use scitokens_testkit::https::{self, Reply};

#[test]
fn add_list_show_remove_location() {
    let env = Env::new();
    let kid = env.keygen("es", "ES256");
    let (code, stdout, _) = env.run(&["keys", "location"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        env.path("cache/scitokens/scitokens_cpp.sqllite")
            .display()
            .to_string(),
        "scitokens-cpp's file by default"
    );
    let (code, doc) = env.json(&["keys", "location", "--cache", "mine.db"]);
    assert_eq!(code, 0);
    assert_eq!(doc["path"], env.arg("mine.db"));

    let (code, stdout, _) = env.run(&["keys", "list"]);
    assert_eq!((code, stdout.trim()), (0, "(the key cache is empty)"));
    let (code, stdout, stderr) = env.run(&["keys", "add", ISS, "--jwks", "es.jwks"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), format!("added 1 key(s) for {ISS}"));
    let (code, doc) = env.json(&["keys", "list"]);
    assert_eq!(code, 0);
    assert_eq!(doc[0]["issuer"], ISS);
    assert_eq!(doc[0]["kids"], serde_json::json!([kid]));
    assert!(
        doc[0]["next_update"]["relative"]
            .as_str()
            .unwrap()
            .starts_with("in "),
        "{doc}"
    );
    let (code, doc) = env.json(&["keys", "show", ISS]);
    assert_eq!(code, 0);
    assert_eq!(doc["jwks"]["keys"][0]["kid"], kid.as_str());
    let (code, stdout, _) = env.run(&["keys", "show", ISS]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("next update") && stdout.contains("\"keys\""),
        "{stdout}"
    );

    // Keys added by hand serve verification, also offline.
    let token = env.mint("es", &["--aud", AUD, "--scope", "read:/"]);
    let (code, _, stderr) =
        env.run(&["verify", "--offline", "--issuer", ISS, "--aud", AUD, &token]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = env.run(&[
        "test",
        "--offline",
        "--issuer",
        ISS,
        "--aud",
        AUD,
        "--op",
        "read",
        "--path",
        "/x",
        &token,
    ]);
    assert_eq!((code, stdout.as_str()), (0, "allowed\n"));

    let (code, stdout, _) = env.run(&["keys", "remove", ISS]);
    assert_eq!(
        (code, stdout.trim()),
        (0, format!("removed {ISS}").as_str())
    );
    for args in [vec!["keys", "remove", ISS], vec!["keys", "show", ISS]] {
        let (code, _, stderr) = env.run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            one_error_line(&stderr).contains("is not in the key cache"),
            "{stderr}"
        );
    }
    // Offline with nothing cached: cannot verify (exit 2), not "invalid".
    let (code, doc) = env.json(&["verify", "--offline", "--issuer", ISS, "--aud", AUD, &token]);
    assert_eq!(code, 2);
    assert_eq!(doc["error"]["kind"], "offline");

    // Unusable input: exit 2.
    std::fs::write(env.path("empty.jwks"), r#"{"keys":[]}"#).unwrap();
    let (code, _, stderr) = env.run(&["keys", "add", ISS, "--jwks", "empty.jwks"]);
    assert_eq!(code, 2);
    one_error_line(&stderr);
    let (code, _, stderr) = env.run(&["keys", "add", ISS, "--jwks", "absent.jwks"]);
    assert_eq!(code, 2);
    assert!(one_error_line(&stderr).contains("absent.jwks"), "{stderr}");
}

#[test]
fn discovery_refresh_and_offline_against_a_local_https_issuer() {
    let env = Env::new();
    let issuer = https::start();
    let url = issuer.url();
    let ca = issuer.ca_file().display().to_string();
    env.keygen("es", "ES256");
    issuer.set_jwks(&std::fs::read_to_string(env.path("es.jwks")).unwrap());
    let token = {
        let (code, stdout, stderr) = env.run(&[
            "mint",
            "--key",
            "es.pem",
            "--issuer",
            &url,
            "--aud",
            AUD,
            "--scope",
            "read:/data",
        ]);
        assert_eq!(code, 0, "{stderr}");
        stdout.trim().to_owned()
    };

    // Without the test CA, the issuer's certificate is not trusted: cannot verify (exit 2).
    let (code, doc) = env.json(&["verify", "--issuer", &url, "--aud", AUD, &token]);
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["error"]["kind"], "fetch_failed");

    // With it: discovery, fetch, cache. The failure above is remembered for 60 s in-process
    // only; this is a new process.
    let (code, stdout, stderr) = env.run(&[
        "acls",
        "-v",
        "--ca-file",
        &ca,
        "--issuer",
        &url,
        "--aud",
        AUD,
        &token,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "read:/data\n");
    assert!(
        stderr.contains("scitoken: info scitokens_keycache"),
        "-v shows the fetch: {stderr}"
    );
    assert!(stderr.contains("fetched 1 key(s)"), "{stderr}");
    assert_eq!(issuer.hits("/jwks"), 1);
    // Cached: no network, also when offline.
    let (code, _, stderr) = env.run(&["-vv", "verify", "--issuer", &url, "--aud", AUD, &token]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("read from the cache file"),
        "-vv shows debug: {stderr}"
    );
    let (code, _, _) = env.run(&[
        "verify",
        "--offline",
        "--issuer",
        &url,
        "--aud",
        AUD,
        &token,
    ]);
    assert_eq!(code, 0);
    assert_eq!(issuer.hits("/jwks"), 1, "served from the cache file");

    // Refresh: one issuer, every issuer; failures are exit 2 and say which.
    let (code, stdout, stderr) = env.run(&["keys", "refresh", &url, "--ca-file", &ca]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(&format!("refreshed {url}: 1 key(s)")),
        "{stdout}"
    );
    assert_eq!(issuer.hits("/jwks"), 2);
    let (code, doc) = env.json(&["keys", "refresh", "--ca-file", &ca]);
    assert_eq!(code, 0);
    assert_eq!(doc[0]["ok"], true);
    issuer.set("/jwks", Reply::status(503));
    let (code, stdout, _) = env.run(&["keys", "refresh", "--ca-file", &ca]);
    assert_eq!(code, 2);
    assert!(
        stdout.contains("failed") && stdout.contains("503"),
        "{stdout}"
    );
    // The issuer is down, but its keys are cached and valid: tokens still verify.
    let (code, _, stderr) = env.run(&[
        "verify",
        "--ca-file",
        &ca,
        "--issuer",
        &url,
        "--aud",
        AUD,
        &token,
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn offline_never_says_fetching() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let (code, _, stderr) = env.run(&["keys", "add", ISS, "--jwks", "es.jwks"]);
    assert_eq!(code, 0, "{stderr}");
    // Spoil the row as another program might, then verify offline with logs on.
    let db = rusqlite::Connection::open(env.path("cache/scitokens/scitokens_cpp.sqllite")).unwrap();
    db.execute(
        "UPDATE keycache SET keys = '{\"jwks\": null}' WHERE issuer = ?1",
        [ISS],
    )
    .unwrap();
    drop(db);
    let token = env.mint("es", &["--aud", AUD, "--scope", "read:/"]);
    let (code, _, stderr) = env.run(&[
        "-v",
        "verify",
        "--offline",
        "--issuer",
        ISS,
        "--aud",
        AUD,
        &token,
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("unusable"),
        "the spoiled row is reported: {stderr}"
    );
    assert!(stderr.contains("offline"), "{stderr}");
    assert!(!stderr.contains("fetching"), "{stderr}");
}
