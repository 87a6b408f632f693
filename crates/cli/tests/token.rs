//! `scitoken token` against scitokens-issuer, started in this process over HTTPS with a test
//! CA: the device flow approved by a cookie-keeping HTTPS client on the issuer's pages, refresh
//! with rotation, exchange, revocation, `run` keeping a command's token fresh and passing
//! signals on, and client credentials from a secret file.

#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Env, Issuer};
use scitokens_testkit::browser::Browser;
use serde_json::Value;

const STORAGE: &str = "https://storage.example";

const POLICY: &str = r#"
[clients.cli]
public = true
grants = ["device_code", "refresh_token", "token_exchange"]
audiences = ["https://storage.example"]
lifetime_secs = 8

[clients.svc]
grants = ["client_credentials"]
scopes = ["storage.read:/data"]
audiences = ["https://storage.example"]

[login]
accounts_file = "accounts.toml"

[[login.rules]]
scopes = ["storage.read:/home/{username}", "storage.create:/home/{username}"]

[device]
interval_secs = 1
"#;

fn issuer() -> Issuer {
    common::start_issuer(common::free_port(), POLICY)
}

/// The person: opens the link, logs in as alice, approves.
fn approve(ca: &Path, link: &str) {
    let b = Browser::new(ca);
    let page = b.get(link);
    assert_eq!(page.status, 200, "{}", page.body);
    let code = link.split("user_code=").nth(1).unwrap();
    let to_login = b.post(
        link.split('?').next().unwrap(),
        &[("csrf", &page.csrf()), ("user_code", code)],
    );
    let login_url = to_login.location.unwrap();
    let login = b.get(&login_url);
    let to_consent = b.post(
        &login_url,
        &[
            ("csrf", &login.csrf()),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    );
    let consent_url = to_consent.location.unwrap();
    let consent = b.get(&consent_url);
    let done = b.post(
        &consent_url,
        &[("csrf", &consent.csrf()), ("decision", "approve")],
    );
    assert!(done.body.contains("Device approved"), "{}", done.body);
}

fn claims(token: &str) -> Value {
    let t = scitokens_format::UnverifiedToken::parse(token.trim()).unwrap();
    Value::Object(t.claims().to_map())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn token_file(env: &Env) -> PathBuf {
    env.path("run")
        .join(format!("bt_u{}", nix::unistd::geteuid().as_raw()))
}

fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.process().args(args).output().unwrap()
}

#[test]
fn device_flow_then_refresh_exchange_run_and_revoke() {
    let iss = issuer();
    let env = Env::new();
    let ca = iss.ca.to_str().unwrap();
    let (child, link, _, _) = common::start_device_flow(
        &env,
        &[
            "token",
            "get",
            "--issuer",
            &iss.url,
            "--client-id",
            "cli",
            "--ca-file",
            ca,
            "--scope",
            "storage.read:/home/alice storage.create:/home/alice/out",
        ],
    );
    assert!(
        link.starts_with(&format!("{}/device?user_code=", iss.url)),
        "{link}"
    );
    approve(&iss.ca, &link);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = token_file(&env);
    assert!(
        stdout.contains(&format!("token written to {}", path.display())),
        "{stdout}"
    );

    // The token: where discovery looks, 0600, alice's; the grant kept 0600.
    assert_eq!(mode(&path), 0o600);
    let first = std::fs::read_to_string(&path).unwrap();
    let c = claims(&first);
    assert_eq!(
        (c["sub"].as_str(), c["aud"].as_str()),
        (Some("alice"), Some(STORAGE))
    );
    assert_eq!(
        c["scope"],
        "storage.read:/home/alice storage.create:/home/alice/out"
    );
    let grants: Vec<_> = std::fs::read_dir(env.path("config/scitokens"))
        .unwrap()
        .collect();
    assert_eq!(grants.len(), 1);
    let grant_file = grants[0].as_ref().unwrap().path();
    assert_eq!(mode(&grant_file), 0o600);
    let kept =
        |f: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap() };
    let refresh1 = kept(&grant_file)["refresh_token"].clone();

    // `scitoken verify` finds it by discovery and checks it through the issuer's keys.
    let verified = run(
        &env,
        &[
            "verify",
            "--issuer",
            &iss.url,
            "--aud",
            STORAGE,
            "--ca-file",
            ca,
        ],
    );
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // Refresh: a new token, the refresh token rotated.
    let refreshed = run(&env, &["token", "refresh"]);
    assert!(
        refreshed.status.success(),
        "{}",
        String::from_utf8_lossy(&refreshed.stderr)
    );
    let second = std::fs::read_to_string(&path).unwrap();
    assert_ne!(first, second);
    assert_ne!(kept(&grant_file)["refresh_token"], refresh1);

    // Exchange: a narrower token on stdout, the kept one untouched.
    let exchanged = run(
        &env,
        &[
            "token",
            "exchange",
            "--scope",
            "storage.read:/home/alice/papers",
        ],
    );
    assert!(
        exchanged.status.success(),
        "{}",
        String::from_utf8_lossy(&exchanged.stderr)
    );
    let narrow = claims(&String::from_utf8(exchanged.stdout).unwrap());
    assert_eq!(narrow["scope"], "storage.read:/home/alice/papers");
    assert_eq!(narrow["act"]["sub"], "cli");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), second);
    let wider = run(
        &env,
        &["token", "exchange", "--scope", "storage.read:/home"],
    );
    assert_eq!(wider.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wider.stderr).contains("invalid_scope"));

    // run: the command sees BEARER_TOKEN_FILE; the token is refreshed while it runs (8 s
    // tokens, refreshed with under 6 s left); its exit status comes back.
    let script = r#"a=$(cat "$BEARER_TOKEN_FILE"); sleep 4; b=$(cat "$BEARER_TOKEN_FILE"); [ "$a" != "$b" ] && [ -n "$b" ] && exit 7; exit 1"#;
    let ran = run(
        &env,
        &[
            "token",
            "run",
            "--min-remaining",
            "6",
            "--",
            "sh",
            "-c",
            script,
        ],
    );
    assert_eq!(
        ran.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );

    // run passes signals on and exits as the command did.
    let mut child = env
        .process()
        .args([
            "token",
            "run",
            "--",
            "sh",
            "-c",
            "trap 'exit 42' TERM; while :; do sleep 0.1; done",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(42));

    // Revoke: both files go, and the issuer refuses the refresh token.
    let refresh_token = kept(&grant_file)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = run(&env, &["token", "revoke"]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert!(!path.exists() && !grant_file.exists());
    let again = run(&env, &["token", "refresh"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no kept grant"));
    let agent =
        scitokens_keycache::http_agent(Some(&iss.ca), Duration::from_secs(10), false).unwrap();
    let answer = agent
        .post(format!("{}/token", iss.url))
        .send_form([
            ("grant_type", "refresh_token"),
            ("client_id", "cli"),
            ("refresh_token", &refresh_token),
        ])
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(answer.contains("invalid_grant"), "{answer}");
}

#[test]
fn client_credentials_from_a_secret_file_and_its_refresh() {
    let iss = issuer();
    let env = Env::new();
    let secret = env.path("svc.secret");
    std::fs::write(&secret, format!("{}\n", iss.svc_secret)).unwrap();
    let out_file = env.path("svc.token");
    let got = run(
        &env,
        &[
            "--json",
            "token",
            "get",
            "--issuer",
            &iss.url,
            "--client-id",
            "svc",
            "--client-secret-file",
            secret.to_str().unwrap(),
            "--ca-file",
            iss.ca.to_str().unwrap(),
            "--aud",
            STORAGE,
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    let report: Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(report["scope"], "storage.read:/data");
    assert_eq!(report["token_file"], out_file.to_str().unwrap());
    let first = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(claims(&first)["sub"], "svc");
    std::thread::sleep(Duration::from_millis(1100)); // a new iat, so a new token
    let again = run(
        &env,
        &[
            "token",
            "refresh",
            "--issuer",
            &iss.url,
            "--client-id",
            "svc",
        ],
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_ne!(std::fs::read_to_string(&out_file).unwrap(), first);

    // A wrong secret: the issuer's error, exit 2; no device flow for a missing client id.
    std::fs::write(&secret, "wrong").unwrap();
    let bad = run(
        &env,
        &[
            "token",
            "get",
            "--issuer",
            &iss.url,
            "--client-id",
            "svc",
            "--client-secret-file",
            secret.to_str().unwrap(),
            "--ca-file",
            iss.ca.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid_client"));
    let no_id = run(&env, &["token", "get", "--issuer", &iss.url]);
    assert!(String::from_utf8_lossy(&no_id.stderr).contains("--client-id"));
}
