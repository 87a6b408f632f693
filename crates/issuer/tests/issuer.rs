//! The issuer end to end: the real binary over TLS on 127.0.0.1, driven over HTTPS; its tokens
//! verified through discovery by this workspace's key cache and enforcer.

#![allow(clippy::unwrap_used)]

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use common::{claims, enforcer, kid, Setup, STORAGE, WLCG_ANY};
use scitokens_enforce::{Enforcer, Operation};

const SVC: &str = r#"
[clients.svc]
grants = ["client_credentials", "refresh_token"]
scopes = ["storage.read:/data", "storage.create:/data/{client_id}/"]
audiences = ["https://storage.example", "https://wlcg.cern.ch/jwt/v1/any"]
lifetime_secs = 300

[clients.broker]
grants = ["token_exchange"]
audiences = ["https://storage.example"]

[clients.other]
grants = ["client_credentials", "refresh_token"]
scopes = ["storage.read:/data"]
audiences = ["https://storage.example"]

[clients.narrow]
grants = ["client_credentials"]
profile = "scitokens2"
scopes = ["read:/public"]
audiences = ["https://storage.example"]
"#;

fn allowed(enforcer: &Enforcer, token: &str, op: &str, path: &str) -> bool {
    enforcer
        .authorize(token, &Operation::from_str(op).unwrap(), path)
        .unwrap()
        .is_allowed()
}

#[test]
fn client_credentials_tokens_verify_through_discovery() {
    let setup = Setup::new(&[], SVC);
    let secret = setup.add_client("svc");
    let node = setup.serve();
    let c = &node.client;

    // Discovery at both well-known paths, and a cacheable JWKS.
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let meta = c.get(path).json();
        assert_eq!(meta["issuer"], setup.url.as_str());
        assert_eq!(meta["token_endpoint"], format!("{}/token", setup.url));
    }
    let jwks = c.get("/jwks");
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.cache_control.as_deref(), Some("public, max-age=300"));

    let answer = c.token(
        ("svc", &secret),
        &[
            (
                "scope",
                "storage.read:/data/run1 storage.create:/data/svc/out/ storage.read:/etc",
            ),
            ("audience", STORAGE),
        ],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.cache_control.as_deref(), Some("no-store"));
    let body = answer.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    // The covered part, never more: /etc is dropped.
    assert_eq!(
        body["scope"],
        "storage.read:/data/run1 storage.create:/data/svc/out/"
    );
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let c_claims = claims(token);
    assert_eq!(c_claims["iss"], setup.url.as_str());
    assert_eq!(c_claims["sub"], "svc");
    assert_eq!(c_claims["aud"], STORAGE);
    assert_eq!(c_claims["wlcg.ver"], "1.0");
    assert_eq!(c_claims["client_id"], "svc");

    let home = tempfile::tempdir().unwrap();
    let enforcer = enforcer(&setup, home.path());
    assert!(allowed(&enforcer, token, "read", "/data/run1/file"));
    assert!(!allowed(&enforcer, token, "read", "/data/run10"));
    assert!(allowed(&enforcer, token, "create", "/data/svc/out/f"));
    assert!(!allowed(&enforcer, token, "create", "/data/svc/other"));

    // A SciTokens 2.0 client, client_secret_post, no scope asked: the whole policy.
    let narrow = setup.add_client("narrow");
    let answer = c.post(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "narrow"),
            ("client_secret", &narrow),
        ],
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&token)["ver"], "scitoken:2.0");
    assert_eq!(claims(&token)["scope"], "read:/public");
    assert!(allowed(&enforcer, &token, "read", "/public/x"));

    // Counted (the enforcer's discovery included), and nothing secret in the log.
    let metrics = c.get("/metrics").body;
    assert!(
        !metrics.contains("scitokens_issuer_discovery_requests_total 0\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("scitokens_issuer_tokens_issued_total{grant=\"client_credentials\"} 2"),
        "{metrics}"
    );
    let log = node.log();
    assert!(log.contains("request"), "{log}");
    for secret in [secret.as_str(), narrow.as_str(), &token[..40]] {
        assert!(!log.contains(secret), "the log holds a secret or token");
    }
}

#[test]
fn bad_requests_get_rfc_6749_errors_and_store_nothing() {
    let setup = Setup::new(&[], SVC);
    let secret = setup.add_client("svc");
    let broker = setup.add_client("broker");
    let node = setup.serve();
    let c = &node.client;
    let form = "application/x-www-form-urlencoded";

    let wrong = c.token(("svc", "not-the-secret"), &[]);
    assert_eq!(
        (wrong.status, wrong.error().as_str()),
        (401, "invalid_client")
    );
    assert!(wrong.www_authenticate.unwrap().starts_with("Basic"));
    let unknown = c.token(("nobody", &secret), &[]);
    assert_eq!(
        unknown.body, wrong.body,
        "unknown ids and wrong secrets look alike"
    );

    let cases: Vec<(common::Answer, u16, &str, &str)> = vec![
        (
            c.post(
                "/token",
                &[("grant_type", "password")],
                Some(("svc", &secret)),
            ),
            400,
            "unsupported_grant_type",
            "grant_type \"password\"",
        ),
        (
            c.post("/token", &[], Some(("svc", &secret))),
            400,
            "invalid_request",
            "grant_type is required",
        ),
        (
            c.post_raw("/token", "application/json", b"{}"),
            400,
            "invalid_request",
            "Content-Type",
        ),
        (
            c.post_raw(
                "/token",
                form,
                b"grant_type=client_credentials&grant_type=client_credentials",
            ),
            400,
            "invalid_request",
            "more than once",
        ),
        (
            c.post_raw("/token", form, b"grant_type=client_credentials"),
            401,
            "invalid_client",
            "authentication is required",
        ),
        (
            c.token(("svc", &secret), &[("scope", "storage.modify:/data")]),
            400,
            "invalid_scope",
            "none of the requested",
        ),
        (
            c.token(("svc", &secret), &[("scope", "storage.read:/data/../etc")]),
            400,
            "invalid_scope",
            "\"..\"",
        ),
        (
            c.token(("svc", &secret), &[("audience", "https://evil.example")]),
            400,
            "invalid_target",
            "evil.example",
        ),
        (
            c.token(("broker", &broker), &[]),
            400,
            "unauthorized_client",
            "client_credentials",
        ),
        (
            c.post(
                "/token",
                &[("grant_type", "refresh_token"), ("refresh_token", "forged")],
                Some(("svc", &secret)),
            ),
            400,
            "invalid_grant",
            "unknown",
        ),
        (
            c.post(
                "/token",
                &[(
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                )],
                Some(("svc", &secret)),
            ),
            400,
            "unauthorized_client",
            "token_exchange",
        ),
    ];
    for (answer, status, error, detail) in cases {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.error(), error, "{}", answer.body);
        let description = answer.json()["error_description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(description.contains(detail), "{description} lacks {detail}");
        assert_eq!(answer.cache_control.as_deref(), Some("no-store"));
    }
    // A body over the limit is refused from its Content-Length, before it is read. The
    // client may still be sending when the server answers and closes: it then sees a reset
    // instead of the 413, so the server's log is the witness.
    // (Its own client: the connection it breaks must not go back into `c`'s pool.)
    let huge = vec![b'a'; 64 * 1024];
    let answer = common::Client::new(&setup.url, &setup.ca).post_raw("/token", form, &huge);
    assert!(matches!(answer.status, 413 | 0), "{answer:?}");
    assert!(node.log().contains("status=413"), "{}", node.log());

    let db = setup.db();
    let count = |table: &str| -> i64 {
        db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        count("refresh_tokens") + count("refresh_families") + count("revoked_jtis"),
        0
    );
    let health = node.client.get("/healthz");
    assert_eq!(health.status, 200, "still serving: {health:?}");
}

fn refresh(c: &common::Client, secret: &str, token: &str, scope: Option<&str>) -> common::Answer {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    c.post("/token", &form, Some(("svc", secret)))
}

#[test]
fn refresh_tokens_rotate_and_a_replay_revokes_the_family() {
    let setup = Setup::new(&[], SVC);
    let secret = setup.add_client("svc");
    let node = setup.serve();
    let c = &node.client;

    let first = c.token(
        ("svc", &secret),
        &[("scope", "storage.read:/data offline_access")],
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let r1 = first.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(r1.len(), 43, "256 bits, base64url");
    // Stored only as a digest.
    let stored: Vec<u8> = setup
        .db()
        .query_row("SELECT digest FROM refresh_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!std::fs::read(setup.dir.path().join("issuer.db"))
        .unwrap()
        .windows(43)
        .any(|w| w == r1.as_bytes()));

    // Widening is refused and does not spend the token.
    let wide = refresh(c, &secret, &r1, Some("storage.read:/"));
    assert_eq!(wide.error(), "invalid_scope");
    // Narrowing is allowed; the token rotates.
    let second = refresh(c, &secret, &r1, Some("storage.read:/data/sub"));
    assert_eq!(second.status, 200, "{}", second.body);
    let second = second.json();
    assert_eq!(second["scope"], "storage.read:/data/sub");
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    assert_eq!(
        claims(second["access_token"].as_str().unwrap())["sub"],
        "svc"
    );

    // Another client, even one allowed refresh tokens, cannot use it (nor spend it).
    let other = setup.add_client("other");
    let theft = c.post(
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
        Some(("other", &other)),
    );
    assert_eq!(theft.error(), "invalid_grant", "{}", theft.body);
    assert!(theft.body.contains("another client"), "{}", theft.body);

    // Presenting the spent r1 again revokes the family: r2 dies with it.
    let replay = refresh(c, &secret, &r1, None);
    assert_eq!(replay.error(), "invalid_grant");
    assert!(replay.body.contains("already used"), "{}", replay.body);
    let after = refresh(c, &secret, &r2, None);
    assert_eq!(after.error(), "invalid_grant");
    assert!(after.body.contains("revoked"), "{}", after.body);
    assert!(c
        .get("/metrics")
        .body
        .contains("scitokens_issuer_refresh_replays_total 1"));

    // Revocation (RFC 7009) of a fresh family.
    let fresh = c
        .token(("svc", &secret), &[("scope", "offline_access")])
        .json();
    let r3 = fresh["refresh_token"].as_str().unwrap();
    let revoked = c.post(
        "/revoke",
        &[("token", r3), ("token_type_hint", "refresh_token")],
        Some(("svc", &secret)),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(refresh(c, &secret, r3, None).error(), "invalid_grant");
    // Unknown tokens: 200, as the RFC asks.
    assert_eq!(
        c.post("/revoke", &[("token", "nothing")], Some(("svc", &secret)))
            .status,
        200
    );
}

fn exchange(
    c: &common::Client,
    broker: &str,
    subject: &str,
    extra: &[(&str, &str)],
) -> common::Answer {
    let mut form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", subject),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
    ];
    form.extend_from_slice(extra);
    c.post("/token", &form, Some(("broker", broker)))
}

#[test]
fn token_exchange_only_attenuates() {
    let setup = Setup::new(&[], SVC);
    let secret = setup.add_client("svc");
    let broker = setup.add_client("broker");
    let node = setup.serve();
    let c = &node.client;

    let subject = c.token(("svc", &secret), &[("audience", WLCG_ANY)]).json();
    let subject = subject["access_token"].as_str().unwrap().to_owned();
    let subject_claims = claims(&subject);

    let narrowed = exchange(
        c,
        &broker,
        &subject,
        &[("scope", "storage.read:/data/sub"), ("audience", STORAGE)],
    );
    assert_eq!(narrowed.status, 200, "{}", narrowed.body);
    let body = narrowed.json();
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    let token = body["access_token"].as_str().unwrap();
    let got = claims(token);
    assert_eq!(got["scope"], "storage.read:/data/sub");
    assert_eq!(got["aud"], STORAGE);
    assert_eq!(got["sub"], "svc");
    assert_eq!(got["act"]["sub"], "broker");
    assert!(got["exp"].as_i64() <= subject_claims["exp"].as_i64());
    let home = tempfile::tempdir().unwrap();
    let enforcer = enforcer(&setup, home.path());
    assert!(allowed(&enforcer, token, "read", "/data/sub/f"));
    assert!(!allowed(&enforcer, token, "read", "/data/other"));

    // Exchanging the exchanged token nests the actors.
    let again = exchange(c, &broker, token, &[]).json();
    assert_eq!(
        claims(again["access_token"].as_str().unwrap())["act"]["act"]["sub"],
        "broker"
    );

    let cases = [
        (
            vec![("scope", "storage.read:/")],
            "invalid_scope",
            "not within",
        ),
        (
            vec![("scope", "storage.modify:/data")],
            "invalid_scope",
            "not within",
        ),
        (
            vec![("scope", "storage.read:/database")],
            "invalid_scope",
            "not within",
        ),
        (
            vec![("scope", "offline_access")],
            "invalid_scope",
            "access tokens only",
        ),
    ];
    for (extra, error, detail) in cases {
        let answer = exchange(c, &broker, &subject, &extra);
        assert_eq!(answer.error(), error, "{}", answer.body);
        assert!(answer.body.contains(detail), "{}", answer.body);
    }
    // The narrowed token cannot be widened back: its audience is fixed now.
    let wider = exchange(c, &broker, token, &[("audience", "https://other.example")]);
    assert_eq!(wider.error(), "invalid_target", "{}", wider.body);

    // Tampered, foreign, malformed subject tokens.
    let mut tampered = subject.clone().into_bytes();
    let i = tampered.iter().position(|&b| b == b'.').unwrap() + 3;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let foreign = scitokens_format::TokenBuilder::new(scitokens_format::Profile::Wlcg, &setup.url)
        .scope("storage.read:/data")
        .audience(STORAGE)
        .sign(
            &scitokens_format::SigningKey::generate(scitokens_format::Algorithm::Es256).unwrap(),
            scitokens_format::Clock::now(&scitokens_format::SystemClock),
        )
        .unwrap();
    for bad in [
        String::from_utf8(tampered).unwrap(),
        foreign,
        "garbage".to_owned(),
    ] {
        let answer = exchange(c, &broker, &bad, &[]);
        assert_eq!(answer.error(), "invalid_grant", "{}", answer.body);
        assert!(answer.body.contains("subject_token: "), "{}", answer.body);
    }

    // Revoked by its client: it can no longer be exchanged.
    let revoked = c.post("/revoke", &[("token", &subject)], Some(("svc", &secret)));
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let answer = exchange(c, &broker, &subject, &[]);
    assert_eq!(answer.error(), "invalid_grant");
    assert!(answer.body.contains("revoked"), "{}", answer.body);
    // Another client may not revoke it.
    let other = c.post("/revoke", &[("token", token)], Some(("svc", &secret)));
    assert_eq!(other.error(), "unauthorized_client", "{}", other.body);
}

#[test]
fn key_rotation_publishes_before_signing_and_verifiers_follow() {
    let setup = Setup::new(
        &[
            ("prepublish_secs = 3600", "prepublish_secs = 4"),
            ("jwks_max_age_secs = 300", "jwks_max_age_secs = 1"),
            ("reload_secs = 30", "reload_secs = 1"),
        ],
        SVC,
    );
    let secret = setup.add_client("svc");
    let node = setup.serve();
    let c = &node.client;
    let home = tempfile::tempdir().unwrap();
    let enforcer = enforcer(&setup, home.path());

    let token = |c: &common::Client| {
        c.token(("svc", &secret), &[]).json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = token(c);
    let old = kid(&before);
    assert!(allowed(&enforcer, &before, "read", "/data/x"));

    let rotated = setup.run(&["keys", "rotate"]);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let new = String::from_utf8(rotated.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    assert_ne!(new, old);

    // Published (after one reload) while the old key still signs.
    let started = Instant::now();
    while !c.get("/jwks").body.contains(&new) {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the new key was not published"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        kid(&token(c)),
        old,
        "a key must not sign before its pre-publication ends"
    );

    // Then it signs; the old key stays published for the tokens it signed.
    while kid(&token(c)) != new {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the new key never signed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let jwks = c.get("/jwks").body;
    assert!(jwks.contains(&old) && jwks.contains(&new), "{jwks}");
    let after = token(c);
    // Our key cache, which knew only the old key, picks up the new kid.
    assert!(allowed(&enforcer, &after, "read", "/data/x"));
    assert!(allowed(&enforcer, &before, "read", "/data/x"));
    let listed = String::from_utf8(setup.run(&["keys", "list"]).stdout).unwrap();
    assert!(
        listed.contains(&format!("{old}  ")) && listed.contains("retired from signing"),
        "{listed}"
    );
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let setup = Setup::new(
        &[
            ("per_address_per_second = 200", "per_address_per_second = 1"),
            ("per_address_burst = 400", "per_address_burst = 5"),
        ],
        SVC,
    );
    let node = setup.serve();
    let c = &node.client;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(c.get("/jwks"));
    }
    let limited = statuses
        .iter()
        .find(|a| a.status == 429)
        .expect("no 429 in 10 quick requests");
    assert!(limited
        .retry_after
        .as_deref()
        .is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    assert_eq!(limited.error(), "temporarily_unavailable");
}

#[test]
fn clients_are_managed_from_the_command_line() {
    let setup = Setup::new(&[], SVC);
    let secret = setup.add_client("svc");
    let stored: String = setup
        .db()
        .query_row(
            "SELECT secret_hash FROM clients WHERE id = 'svc'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(&secret));
    let again = setup.run(&["clients", "add", "svc"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"));
    let bad = setup.run(&["clients", "add", "../x"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("client id"));
    let orphan = setup.run(&["clients", "add", "orphan"]);
    assert!(String::from_utf8_lossy(&orphan.stderr).contains("no [clients.orphan] section"));
    let list = String::from_utf8(setup.run(&["clients", "list"]).stdout).unwrap();
    assert!(
        list.contains("svc ") && list.contains("orphan ") && list.contains("no policy"),
        "{list}"
    );

    let node = setup.serve();
    assert_eq!(node.client.token(("svc", &secret), &[]).status, 200);
    let removed = setup.run(&["clients", "remove", "svc"]);
    assert!(removed.status.success());
    // A removed client is refused once the issuer rereads its clients (reload_secs = 30 by
    // default; a fresh process sees it at once).
    drop(node);
    let node = setup.serve();
    assert_eq!(
        node.client.token(("svc", &secret), &[]).error(),
        "invalid_client"
    );
    assert!(!setup.run(&["clients", "remove", "svc"]).status.success());
}

#[test]
fn a_burst_of_first_requests_runs_argon2id_at_most_once_per_core() {
    let setup = Setup::new(&[], SVC);
    let secret = setup.add_client("svc");
    let node = setup.serve();
    let barrier = std::sync::Barrier::new(30);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                let (barrier, secret, setup) = (&barrier, &secret, &setup);
                s.spawn(move || {
                    let client = common::Client::new(&setup.url, &setup.ca);
                    barrier.wait();
                    client.token(("svc", secret), &[]).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    let metrics = node.client.get("/metrics").body;
    let runs: u64 = metrics
        .lines()
        .find(|l| l.starts_with("scitokens_issuer_secret_verifications_total "))
        .and_then(|l| l.split(' ').nth(1)?.parse().ok())
        .unwrap();
    let permits = scitokens_issuer::clients::argon2_permits() as u64;
    assert!(
        (1..=permits).contains(&runs),
        "{runs} argon2id runs for 30 first requests ({permits} permits)"
    );
}
