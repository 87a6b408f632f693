//! The device flow end to end (RFC 8628): the real binary over TLS; a client polls the token
//! endpoint while a cookie-keeping HTTPS client plays the person's browser on the pages (code,
//! local login, consent). Headless Chromium drives the same pages in `browser.rs`.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use common::{claims, enforcer, Browser, Client, Setup, STORAGE};
use scitokens_enforce::Operation;

const POLICY: &str = r#"
[clients.cli]
public = true
grants = ["device_code", "refresh_token", "token_exchange"]
audiences = ["https://storage.example"]
lifetime_secs = 300

[clients.svc]
grants = ["client_credentials"]
scopes = ["storage.read:/data"]
audiences = ["https://storage.example"]

[login]
accounts_file = "accounts.toml"

[[login.rules]]
scopes = ["storage.read:/home/{username}", "storage.create:/home/{username}"]

[[login.rules]]
groups = ["cms"]
scopes = ["storage.read:/cms"]
"#;

/// An issuer with the `cli` device client, accounts alice (cms) and bob (no groups), and
/// `[device]` settings.
fn setup(device: &str) -> Setup {
    let setup = Setup::new(&[], &format!("{POLICY}\n[device]\n{device}\n"));
    let mut accounts = String::new();
    for (name, groups) in [("alice", "['cms']"), ("bob", "[]")] {
        let mut child = Command::new(common::bin())
            .arg("hash-password")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{name}-password\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let hash = String::from_utf8(out.stdout).unwrap();
        accounts.push_str(&format!(
            "[accounts.{name}]\npassword_hash = '{}'\ngroups = {groups}\n",
            hash.trim()
        ));
    }
    std::fs::write(setup.dir.path().join("accounts.toml"), accounts).unwrap();
    setup
}

fn start(c: &Client, scope: &str) -> serde_json::Value {
    let a = c.post(
        "/device_authorization",
        &[("client_id", "cli"), ("scope", scope)],
        None,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.cache_control.as_deref(), Some("no-store"));
    a.json()
}

fn poll(c: &Client, device_code: &str) -> common::Answer {
    c.post(
        "/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", "cli"),
            ("device_code", device_code),
        ],
        None,
    )
}

/// The person's part: open the link, log in, see the consent page. Returns the consent page.
fn log_in_and_see_consent(b: &Browser, link: &str, who: &str) -> common::Page {
    let code_page = b.get(link);
    assert_eq!(code_page.status, 200, "{}", code_page.body);
    let url = link.split('?').next().unwrap();
    let user_code = link.split("user_code=").nth(1).unwrap();
    let next = b.post(
        url,
        &[
            ("csrf", &code_page.csrf()),
            ("user_code", &user_code.to_lowercase()),
        ],
    );
    assert_eq!(next.status, 303, "{}", next.body);
    let login_url = next.location.unwrap();
    assert!(login_url.ends_with("/login"), "{login_url}");
    let login = b.get(&login_url);
    let done = b.post(
        &login_url,
        &[
            ("csrf", &login.csrf()),
            ("username", who),
            ("password", &format!("{who}-password")),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let consent_url = done.location.unwrap();
    assert!(consent_url.ends_with("/device/consent"));
    let consent = b.get(&consent_url);
    assert_eq!(consent.status, 200, "{}", consent.body);
    consent
}

fn decide(b: &Browser, consent: &common::Page, url: &str, decision: &str) -> common::Page {
    b.post(
        &format!("{url}/device/consent"),
        &[("csrf", &consent.csrf()), ("decision", decision)],
    )
}

#[test]
fn a_person_approves_and_the_device_gets_their_scopes() {
    let setup = setup("interval_secs = 1");
    let _node = setup.serve();
    let c = Client::new(&setup.url, &setup.ca);

    let meta = c.get("/.well-known/openid-configuration").json();
    assert_eq!(
        meta["device_authorization_endpoint"],
        format!("{}/device_authorization", setup.url)
    );
    let device_grant = serde_json::json!("urn:ietf:params:oauth:grant-type:device_code");
    assert!(meta["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&device_grant));
    assert!(meta["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("none")));
    let started = start(
        &c,
        "storage.read:/home/alice storage.read:/cms/run1 offline_access",
    );
    let user_code = started["user_code"].as_str().unwrap();
    assert!(
        user_code.len() == 9
            && user_code.as_bytes()[4] == b'-'
            && user_code
                .bytes()
                .filter(|b| *b != b'-')
                .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b)),
        "{user_code}"
    );
    assert_eq!(started["verification_uri"], format!("{}/device", setup.url));
    assert_eq!(started["interval"], 1);
    let device_code = started["device_code"].as_str().unwrap();

    // Before the person decides: pending, then slow_down when polled again at once.
    assert_eq!(poll(&c, device_code).error(), "authorization_pending");
    assert_eq!(poll(&c, device_code).error(), "slow_down");

    let b = Browser::new(&setup.ca);
    let link = started["verification_uri_complete"].as_str().unwrap();
    let first = b.get(link);
    let cookie = first.set_cookie.clone().unwrap();
    for attribute in [
        "__Host-scitokens-session=",
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Path=/",
    ] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let csp = first.csp.clone().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(first.body.contains(user_code), "the link fills in the code");

    // A form without the session's CSRF token is refused; a wrong code is refused.
    let url = format!("{}/device", setup.url);
    assert_eq!(b.post(&url, &[("user_code", user_code)]).status, 403);
    assert_eq!(
        b.post(&url, &[("csrf", "forged"), ("user_code", user_code)])
            .status,
        403
    );
    let wrong = b.post(&url, &[("csrf", &first.csrf()), ("user_code", "BBBB-BBBB")]);
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("not valid"));

    // A wrong password, then the right one.
    let next = b.post(&url, &[("csrf", &first.csrf()), ("user_code", user_code)]);
    let login_url = next.location.unwrap();
    let login = b.get(&login_url);
    let bad = b.post(
        &login_url,
        &[
            ("csrf", &login.csrf()),
            ("username", "alice"),
            ("password", "nope"),
        ],
    );
    assert_eq!(bad.status, 401);
    assert!(bad.body.contains("Unknown username or wrong password"));
    let ok = b.post(
        &login_url,
        &[
            ("csrf", &login.csrf()),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let consent = b.get(&ok.location.unwrap());
    for shown in [
        "storage.read:/home/alice",
        "storage.read:/cms/run1",
        STORAGE,
        "5 minutes",
        "refresh token",
    ] {
        assert!(
            consent.body.contains(shown),
            "the consent page lacks {shown}"
        );
    }
    let approved = decide(&b, &consent, &setup.url, "approve");
    assert_eq!(approved.status, 200);
    assert!(approved.body.contains("Device approved"));

    std::thread::sleep(Duration::from_millis(6200)); // the interval grew by 5 s with slow_down
    let answer = poll(&c, device_code);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let token = answer.json();
    let access = token["access_token"].as_str().unwrap();
    let cl = claims(access);
    assert_eq!(cl["sub"], "alice");
    assert_eq!(cl["client_id"], "cli");
    assert_eq!(
        cl["scope"],
        "storage.read:/home/alice storage.read:/cms/run1"
    );
    assert_eq!(cl["aud"], STORAGE);
    let refresh = token["refresh_token"].as_str().unwrap().to_owned();

    // The token verifies through discovery and allows exactly what was approved.
    let home = tempfile::tempdir().unwrap();
    let e = enforcer(&setup, home.path());
    let allowed = |op: &str, path: &str| {
        e.authorize(access, &Operation::from_str(op).unwrap(), path)
            .unwrap()
            .is_allowed()
    };
    assert!(allowed("storage.read", "/home/alice/notes"));
    assert!(allowed("storage.read", "/cms/run1/f.root"));
    assert!(!allowed("storage.read", "/cms/run2"));
    assert!(
        !allowed("storage.create", "/home/alice/x"),
        "not asked for, not given"
    );
    assert!(!allowed("storage.read", "/home/alicea"));

    // The device code is spent; the public client refreshes with its id alone.
    assert_eq!(poll(&c, device_code).error(), "invalid_grant");
    let refreshed = c.post(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "cli"),
            ("refresh_token", &refresh),
        ],
        None,
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(
        claims(refreshed.json()["access_token"].as_str().unwrap())["sub"],
        "alice"
    );

    // A public client that sends a secret, or a confidential one that sends none, is refused.
    let with_secret = c.post(
        "/device_authorization",
        &[("client_id", "cli"), ("client_secret", "x")],
        None,
    );
    assert_eq!(with_secret.error(), "invalid_client");
    let svc = c.post("/device_authorization", &[("client_id", "svc")], None);
    assert_eq!(svc.error(), "invalid_client");

    // Without test mode the workbench mints nothing.
    let bench = format!("{}/workbench", setup.url);
    let page = b.get(&bench);
    assert!(
        !page.body.contains("sample"),
        "no sample button outside test mode"
    );
    let refused = b.post(&format!("{bench}/sample"), &[("csrf", &page.csrf())]);
    assert_eq!(refused.status, 404);
    assert!(!refused.body.contains("eyJ"), "no token on the page");
}

#[test]
fn denied_expired_and_unentitled_requests_give_no_token() {
    let setup = setup("interval_secs = 1\ncode_lifetime_secs = 5\nattempts_per_minute = 6");
    let _node = setup.serve();
    let c = Client::new(&setup.url, &setup.ca);

    // Denied.
    let started = start(&c, "storage.read:/home/bob");
    let b = Browser::new(&setup.ca);
    let consent = log_in_and_see_consent(
        &b,
        started["verification_uri_complete"].as_str().unwrap(),
        "bob",
    );
    let denied = decide(&b, &consent, &setup.url, "deny");
    assert!(denied.body.contains("Request denied"));
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        poll(&c, started["device_code"].as_str().unwrap()).error(),
        "access_denied"
    );

    // Bob asks for alice's home: nothing to approve, only Deny is offered.
    let started = start(&c, "storage.read:/home/alice");
    let b = Browser::new(&setup.ca);
    let consent = log_in_and_see_consent(
        &b,
        started["verification_uri_complete"].as_str().unwrap(),
        "bob",
    );
    assert!(consent.body.contains("not entitled"));
    assert!(!consent.body.contains("id=\"approve\""));
    let forced = decide(&b, &consent, &setup.url, "approve");
    assert!(
        forced.body.contains("Request denied"),
        "an approval of nothing is a denial"
    );

    // Expired: the code is refused on the page and the client hears expired_token.
    let started = start(&c, "storage.read:/home/bob");
    std::thread::sleep(Duration::from_millis(5200));
    assert_eq!(
        poll(&c, started["device_code"].as_str().unwrap()).error(),
        "expired_token"
    );
    let b = Browser::new(&setup.ca);
    let link = started["verification_uri_complete"].as_str().unwrap();
    let page = b.get(link);
    let code = link.split("user_code=").nth(1).unwrap();
    let tried = b.post(
        link.split('?').next().unwrap(),
        &[("csrf", &page.csrf()), ("user_code", code)],
    );
    assert_eq!(tried.status, 400);

    // Attempts are limited per address (6 a minute here, 3 used above by this address's
    // logins and codes at least): guessing soon answers 429.
    let statuses: Vec<u16> = (0..8)
        .map(|_| {
            b.post(
                link.split('?').next().unwrap(),
                &[("csrf", &page.csrf()), ("user_code", "BBBB-BBBB")],
            )
            .status
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn the_workbench_explains_a_token() {
    let setup = Setup::new(
        &[],
        "[clients.svc]\ngrants = [\"client_credentials\"]\nscopes = [\"storage.read:/data\"]\naudiences = [\"https://storage.example\"]\n\n[workbench]\ntest_mode = true\n",
    );
    let secret = setup.add_client("svc");
    let _node = setup.serve();
    let c = Client::new(&setup.url, &setup.ca);
    // Without [login] there is no device flow, and without a public client no "none".
    let meta = c.get("/.well-known/openid-configuration").json();
    assert!(meta.get("device_authorization_endpoint").is_none());
    let listed = meta.to_string();
    assert!(
        !listed.contains("device_code") && !listed.contains("\"none\""),
        "{listed}"
    );
    let token = c.token(("svc", &secret), &[]).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = Browser::new(&setup.ca);
    let url = format!("{}/workbench", setup.url);
    let page = b.get(&url);
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let analyse = |token: &str, op: &str, path: &str| {
        b.post(
            &url,
            &[
                ("csrf", &csrf),
                ("token", token),
                ("operation", op),
                ("path", path),
            ],
        )
        .body
    };
    let good = analyse(&token, "storage.read", "/data/x");
    for shown in [
        "Valid",
        "storage.read:/data",
        "Allowed",
        "&quot;sub&quot;: &quot;svc&quot;",
    ] {
        assert!(good.contains(shown), "the analysis lacks {shown}");
    }
    assert!(analyse(&token, "storage.read", "/database").contains("Denied: no scope grants"));
    assert!(analyse("garbage", "", "").contains("Not a token"));
    let at = token.rfind('.').unwrap() + 5;
    let flipped = if &token[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &token[..at], &token[at + 1..]);
    assert!(analyse(&forged, "", "").contains("Not valid here"));
    // Test mode: a sample token, analysed at once.
    let sample = b.post(&format!("{url}/sample"), &[("csrf", &csrf)]);
    assert!(sample.body.contains("storage.create:/sample/out") && sample.body.contains("Allowed"));
}
