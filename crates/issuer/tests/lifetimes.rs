//! Time limits, end to end: refresh tokens idle out and families end at their absolute
//! lifetime; an expired subject token is refused by token exchange; a plain-http issuer (loopback
//! only, by opt-in) drops a client that never finishes its request headers.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Client, Setup};

const POLICY: &str = r#"
[clients.short]
grants = ["client_credentials", "refresh_token"]
scopes = ["storage.read:/data"]
audiences = ["https://storage.example"]
lifetime_secs = 1

[clients.broker]
grants = ["token_exchange"]
audiences = ["https://storage.example"]
"#;

fn refresh(c: &Client, secret: &str, token: &str) -> common::Answer {
    c.post(
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
        Some(("short", secret)),
    )
}

fn refresh_token(answer: &common::Answer) -> String {
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["refresh_token"].as_str().unwrap().to_owned()
}

#[test]
fn refresh_tokens_idle_out_and_families_end() {
    let setup = Setup::new(
        &[
            ("refresh_idle_secs = 1209600", "refresh_idle_secs = 3"),
            (
                "refresh_absolute_secs = 7776000",
                "refresh_absolute_secs = 5",
            ),
        ],
        POLICY,
    );
    let secret = setup.add_client("short");
    let broker = setup.add_client("broker");
    let node = setup.serve();
    let c = &node.client;
    let grant = || c.token(("short", &secret), &[("scope", "offline_access")]);

    // Absolute: used every 2 s (within the idle limit), the family still ends at 5 s.
    let started = Instant::now();
    let mut token = refresh_token(&grant());
    let at = |secs: f64| {
        let wait = Duration::from_secs_f64(secs).saturating_sub(started.elapsed());
        std::thread::sleep(wait);
    };
    let idle = refresh_token(&grant());
    let subject = grant().json()["access_token"].as_str().unwrap().to_owned();
    at(2.0);
    token = refresh_token(&refresh(c, &secret, &token));
    at(4.0);
    token = refresh_token(&refresh(c, &secret, &token));

    // Idle: the second family, unused for over 3 s, is over; so is the 1 s access token.
    let idled = refresh(c, &secret, &idle);
    assert_eq!(idled.error(), "invalid_grant");
    assert!(idled.body.contains("expired"), "{}", idled.body);
    let exchanged = c.post(
        "/token",
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", &subject),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
        ],
        Some(("broker", &broker)),
    );
    assert_eq!(exchanged.error(), "invalid_grant", "{}", exchanged.body);
    assert!(
        exchanged.body.contains("subject_token: "),
        "{}",
        exchanged.body
    );

    at(6.5);
    let ended = refresh(c, &secret, &token);
    assert_eq!(ended.error(), "invalid_grant");
    assert!(ended.body.contains("expired"), "{}", ended.body);
}

#[test]
fn plain_http_on_loopback_drops_a_client_that_never_finishes_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let out = Command::new(common::bin())
        .args(["init", dir.path().to_str().unwrap(), "--issuer", &url])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("issuer.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("plain_http_on_loopback = true"), "{text}");
    std::fs::write(
        &config,
        text.replace("request_timeout_secs = 10", "request_timeout_secs = 1"),
    )
    .unwrap();
    let mut child = Command::new(common::bin())
        .args(["serve", "--config"])
        .arg(&config)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let connect = || {
        let started = Instant::now();
        loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                return s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the issuer did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // A whole request is answered in plain http.
    let mut ok = connect();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Headers that never end: dropped after the 1 s header timeout, not held open.
    let mut slow = connect();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        waited < Duration::from_secs(5),
        "the connection was held {waited:?}"
    );
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
        "{rest}"
    );
}
