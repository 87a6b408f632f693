//! Replicas: two issuer processes on one database, PostgreSQL (a real server from Debian's
//! package) and a shared SQLite file. A refresh token presented to both at once is redeemed
//! exactly once; a revocation on one holds on the other; each verifies the other's tokens; a
//! device flow started on one is approved on pages served by both and polled on the other.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Barrier};

use common::{claims, Browser, Client, Node, Postgres, Setup};

const POLICY: &str = r#"
[clients.svc]
grants = ["client_credentials", "refresh_token"]
scopes = ["storage.read:/data"]
audiences = ["https://storage.example"]

[clients.broker]
grants = ["token_exchange"]
audiences = ["https://storage.example"]

[clients.cli]
public = true
grants = ["device_code"]
audiences = ["https://storage.example"]

[login]
accounts_file = "accounts.toml"

[[login.rules]]
scopes = ["storage.read:/home/{username}"]

[device]
interval_secs = 1
"#;

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const ROUNDS: usize = 20;

fn refresh(c: &Client, secret: &str, token: &str) -> common::Answer {
    c.post(
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
        Some(("svc", secret)),
    )
}

fn exchange(c: &Client, broker: &str, subject: &str) -> common::Answer {
    c.post(
        "/token",
        &[
            ("grant_type", EXCHANGE),
            ("subject_token", subject),
            ("subject_token_type", ACCESS),
        ],
        Some(("broker", broker)),
    )
}

/// The whole replica scenario on a database setting (`sqlite:...` or `postgres://...`).
fn two_replicas(database: &str, empty_database: bool) {
    let setup = Setup::new(
        &[(
            "database = \"sqlite:issuer.db\"",
            &format!("database = \"{database}\""),
        )],
        POLICY,
    );
    if empty_database {
        let out = setup.run(&["keys", "rotate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let secret = setup.add_client("svc");
    let broker = setup.add_client("broker");
    let hash = scitokens_issuer::secret::hash_secret("alice-password").unwrap();
    std::fs::write(
        setup.dir.path().join("accounts.toml"),
        format!("[accounts.alice]\npassword_hash = '{hash}'\n"),
    )
    .unwrap();
    let a = setup.serve();
    let (replica, replica_url) = setup.replica();
    let b: Node = setup.serve_with(&replica, &replica_url);

    // One refresh token to both at once: exactly one rotation each round.
    for round in 0..ROUNDS {
        let first = a
            .client
            .token(("svc", &secret), &[("scope", "offline_access")]);
        assert_eq!(first.status, 200, "{}", first.body);
        let token = first.json()["refresh_token"].as_str().unwrap().to_owned();
        let barrier = Arc::new(Barrier::new(2));
        let answers: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = [&a.client, &b.client]
                .into_iter()
                .map(|client| {
                    let (barrier, token, secret) = (Arc::clone(&barrier), &token, &secret);
                    s.spawn(move || {
                        barrier.wait();
                        refresh(client, secret, token).status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = answers.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 400], "round {round}: {answers:?}");
    }
    // Each round's losing request was a replay: every family is revoked.
    let replays = |n: &Node| -> u64 {
        n.client
            .get("/metrics")
            .body
            .lines()
            .find(|l| l.starts_with("scitokens_issuer_refresh_replays_total "))
            .and_then(|l| l.split(' ').nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    assert_eq!(replays(&a) + replays(&b), ROUNDS as u64);

    // A revocation on one replica holds on the other.
    let family = b
        .client
        .token(("svc", &secret), &[("scope", "offline_access")])
        .json();
    let r = family["refresh_token"].as_str().unwrap();
    assert_eq!(
        a.client
            .post("/revoke", &[("token", r)], Some(("svc", &secret)))
            .status,
        200
    );
    let refused = refresh(&b.client, &secret, r);
    assert_eq!(refused.error(), "invalid_grant");
    assert!(refused.body.contains("revoked"), "{}", refused.body);

    // Keys are shared: a token from A is exchanged at B; revoked at B, refused at A.
    let access = a.client.token(("svc", &secret), &[]).json();
    let access = access["access_token"].as_str().unwrap();
    let exchanged = exchange(&b.client, &broker, access);
    assert_eq!(exchanged.status, 200, "{}", exchanged.body);
    assert_eq!(
        b.client
            .post("/revoke", &[("token", access)], Some(("svc", &secret)))
            .status,
        200
    );
    let refused = exchange(&a.client, &broker, access);
    assert_eq!(refused.error(), "invalid_grant");
    assert!(refused.body.contains("revoked"), "{}", refused.body);

    // The device flow across replicas: started at A; the code page served by B, whose form
    // posts to the issuer URL (A): A opens the session cookie B sealed (the key is in the
    // database); the login and consent at A; the token polled at B.
    let started = a
        .client
        .post(
            "/device_authorization",
            &[("client_id", "cli"), ("scope", "storage.read:/home/alice")],
            None,
        )
        .json();
    let link = started["verification_uri_complete"].as_str().unwrap();
    let at_b = link.replace(&setup.url, &replica_url);
    let person = Browser::new(&setup.ca);
    let page = person.get(&at_b);
    let next = person.submit(&at_b, &page, &[]);
    assert_eq!(next.status, 303, "A refused B's session: {}", next.body);
    let (url, login) = person.follow(at_b, next);
    assert!(
        url.starts_with(&setup.url) && url.ends_with("/login"),
        "{url}"
    );
    let next = person.submit(
        &url,
        &login,
        &[("username", "alice"), ("password", "alice-password")],
    );
    let (url, consent) = person.follow(url, next);
    let done = person.submit(&url, &consent, &[("decision", "approve")]);
    assert!(done.body.contains("Device approved"), "{}", done.body);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let answer = b.client.post(
        "/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", "cli"),
            ("device_code", started["device_code"].as_str().unwrap()),
        ],
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        claims(answer.json()["access_token"].as_str().unwrap())["sub"],
        "alice"
    );
}

#[test]
fn two_replicas_on_postgresql() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    two_replicas(&pg.url, true);
}

#[test]
fn two_processes_on_one_sqlite_file() {
    two_replicas("sqlite:issuer.db", false);
}
