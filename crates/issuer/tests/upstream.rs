//! Login through an upstream OpenID provider (npm oidc-provider, started by the test): the
//! device flow where the person logs in upstream by authorization code + PKCE; the issuer
//! verifies the ID token through its key cache, maps preferred_username and groups through
//! the login rules, and the device gets the person's scopes. A login refused upstream, and a
//! callback whose state does not match, give no login.

#![allow(clippy::unwrap_used)]

mod common;

use common::{claims, Browser, Client, Setup};
use scitokens_testkit::oidc_provider::{OidcProvider, RP_SECRET};

const POLICY: &str = r#"
[clients.cli]
public = true
grants = ["device_code"]
audiences = ["https://storage.example"]
"#;

/// An issuer whose only login is the provider; returns it with the provider.
fn setup() -> Option<(Setup, OidcProvider)> {
    let setup = Setup::new(&[], &format!("{POLICY}\n[device]\ninterval_secs = 1\n"));
    let provider = OidcProvider::start(&format!("{}/login/callback", setup.url))?;
    std::fs::write(setup.dir.path().join("upstream.secret"), RP_SECRET).unwrap();
    let login = format!(
        r#"
[login]

[login.upstream]
issuer = "{}"
client_id = "scitokens-issuer"
client_secret_file = "upstream.secret"
ca_file = "{}"
display_name = "Test IdP"

[[login.rules]]
scopes = ["storage.read:/home/{{username}}"]

[[login.rules]]
groups = ["cms"]
scopes = ["storage.read:/cms"]
"#,
        provider.url,
        provider.ca.display()
    );
    let mut text = std::fs::read_to_string(&setup.config).unwrap();
    let tls = text.find("[tls]").unwrap();
    text.insert_str(tls, &login);
    std::fs::write(&setup.config, text).unwrap();
    Some((setup, provider))
}

/// Starts a device authorization; returns (device_code, link).
fn start(c: &Client, scope: &str) -> (String, String) {
    let a = c
        .post(
            "/device_authorization",
            &[("client_id", "cli"), ("scope", scope)],
            None,
        )
        .json();
    (
        a["device_code"].as_str().unwrap().to_owned(),
        a["verification_uri_complete"].as_str().unwrap().to_owned(),
    )
}

/// The person enters the code and presses "Log in with Test IdP"; returns where the upstream
/// provider's login form is, and the page.
fn to_upstream(b: &Browser, link: &str) -> (String, common::Page) {
    let page = b.get(link);
    let next = b.submit(link, &page, &[]);
    let (login_url, login) = b.follow(link.to_owned(), next);
    assert!(login_url.ends_with("/login"), "{login_url}");
    assert!(login.body.contains("Log in with Test IdP"));
    let away = b.submit(&login_url, &login, &[]);
    assert_eq!(away.status, 303);
    let authorize = away.location.clone().unwrap();
    assert!(
        authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="),
        "{authorize}"
    );
    b.follow(login_url, away)
}

#[test]
fn a_person_logs_in_upstream_and_their_groups_become_scopes() {
    let Some((setup, provider)) = setup() else {
        return;
    };
    let _node = setup.serve();
    let c = Client::new(&setup.url, &setup.ca);
    let (device_code, link) = start(&c, "storage.read:/home/alice storage.read:/cms/2026");
    let b = Browser::trusting(&[&setup.ca, &provider.ca]);
    let (url, page) = to_upstream(&b, &link);
    assert!(url.starts_with(&provider.url), "{url}");
    // oidc-provider's own pages: login (any password), then consent; then back to the issuer.
    let b_up = &b;
    let after_login = b_up.submit(&url, &page, &[("login", "alice"), ("password", "whatever")]);
    let (url, consent_upstream) = b_up.follow(url, after_login);
    let after_consent = b_up.submit(&url, &consent_upstream, &[]);
    let (url, ours) = b.follow(url, after_consent);
    assert!(url.ends_with("/device/consent"), "{url}: {}", ours.body);
    assert!(
        ours.body.contains(&provider.url),
        "the page says where alice logged in"
    );
    assert!(
        ours.body.contains("storage.read:/cms/2026"),
        "the cms group's scope is offered"
    );
    let done = b.submit(&url, &ours, &[("decision", "approve")]);
    assert!(done.body.contains("Device approved"), "{}", done.body);

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let answer = c.post(
        "/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", "cli"),
            ("device_code", &device_code),
        ],
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let cl = claims(answer.json()["access_token"].as_str().unwrap());
    assert_eq!(cl["sub"], "alice");
    assert_eq!(
        cl["scope"],
        "storage.read:/home/alice storage.read:/cms/2026"
    );
}

#[test]
fn refused_or_forged_callbacks_log_no_one_in() {
    let Some((setup, provider)) = setup() else {
        return;
    };
    let _node = setup.serve();
    let c = Client::new(&setup.url, &setup.ca);

    // The person cancels at the provider: it sends them back with error=access_denied.
    let (_, link) = start(&c, "storage.read:/home/bob");
    let b = Browser::trusting(&[&setup.ca, &provider.ca]);
    let (url, _login) = to_upstream(&b, &link);
    let abort = b.get(&format!("{url}/abort"));
    let (back, page) = b.follow(url, abort);
    assert!(
        back.starts_with(&format!("{}/login/callback", setup.url)),
        "{back}"
    );
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("did not log you in") && page.body.contains("access_denied"),
        "{}",
        page.body
    );

    // A callback whose state is not the session's is refused before the code is used.
    let (_, link) = start(&c, "storage.read:/home/bob");
    let b = Browser::trusting(&[&setup.ca, &provider.ca]);
    let (_url, _login) = to_upstream(&b, &link);
    let forged = b.get(&format!(
        "{}/login/callback?code=stolen&state=guessed",
        setup.url
    ));
    assert_eq!(forged.status, 403);
    // And one with no session at all.
    let stranger = Browser::trusting(&[&setup.ca, &provider.ca]);
    let forged = stranger.get(&format!("{}/login/callback?code=stolen&state=x", setup.url));
    assert_eq!(forged.status, 403);
    drop(provider);
}
