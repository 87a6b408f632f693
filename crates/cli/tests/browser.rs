//! The device flow in headless Chromium, end to end: `scitoken token get` prints a link and a
//! code; the browser opens the link on scitokens-issuer, logs in at the upstream provider (npm
//! oidc-provider's own pages), consents there and on the issuer's page; the command receives a
//! token that `scitoken verify` and scitokens-cpp both accept. Also a denied consent (local
//! account) and an expired code. Each page is saved as a PNG in `$SCITOKENS_SCREENSHOTS`
//! (docs/screenshots/ holds the last run's) or a temporary directory.

#![allow(clippy::unwrap_used)]

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::JoinHandle;

use common::{Env, Issuer};
use scitokens_testkit::oidc_provider::{OidcProvider, RP_SECRET};
use scitokens_testkit::webdriver::Chrome;
use scitokens_testkit::Reference;

const STORAGE: &str = "https://storage.example";

fn policy(provider: &OidcProvider, code_lifetime: u64) -> String {
    format!(
        r#"
[clients.cli]
public = true
grants = ["device_code", "refresh_token"]
audiences = ["https://storage.example"]

[login]
accounts_file = "accounts.toml"

[login.upstream]
issuer = "{}"
client_id = "scitokens-issuer"
client_secret_file = "upstream.secret"
ca_file = "{}"
display_name = "Test IdP"

[[login.rules]]
scopes = ["storage.read:/home/{{username}}", "storage.create:/home/{{username}}"]

[[login.rules]]
groups = ["cms"]
scopes = ["storage.read:/cms"]

[device]
interval_secs = 1
code_lifetime_secs = {code_lifetime}
"#,
        provider.url,
        provider.ca.display()
    )
}

/// The provider, and our issuer using it for logins.
fn setup(code_lifetime: u64) -> Option<(OidcProvider, Issuer)> {
    let port = common::free_port();
    let provider = OidcProvider::start(&format!("https://127.0.0.1:{port}/login/callback"))?;
    // The secret file is read when the configuration loads: it goes beside it first.
    let issuer = common::start_issuer_with(
        port,
        &policy(&provider, code_lifetime),
        &[("upstream.secret", RP_SECRET)],
    );
    Some((provider, issuer))
}

/// Where screenshots go.
fn shots() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("SCITOKENS_SCREENSHOTS") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            (PathBuf::from(dir), None)
        }
        None => {
            let tmp = tempfile::tempdir().unwrap();
            (tmp.path().to_owned(), Some(tmp))
        }
    }
}

fn shoot(chrome: &Chrome, dir: &Path, name: &str) {
    let png = chrome.screenshot(&dir.join(format!("{name}.png")));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 2000,
        "{name}: not a picture"
    );
}

/// `scitoken token get` running for the `cli` client with `scope`.
fn get(env: &Env, issuer: &Issuer, scope: &str) -> (Child, String, String, JoinHandle<String>) {
    let args = [
        "token",
        "get",
        "--issuer",
        &issuer.url,
        "--client-id",
        "cli",
        "--scope",
        scope,
        "--ca-file",
    ];
    let mut args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    args.push(issuer.ca.as_os_str());
    common::start_device_flow(env, &args)
}

#[test]
fn the_device_flow_in_chromium_with_an_upstream_login() {
    let Some(chrome) = Chrome::start() else {
        return;
    };
    let Some((provider, issuer)) = setup(600) else {
        return;
    };
    let (dir, _tmp) = shots();
    let env = Env::new();
    let (child, link, code, _) = get(
        &env,
        &issuer,
        "storage.read:/home/alice storage.read:/cms offline_access",
    );

    // The link fills the code in; the person checks it and continues.
    chrome.goto(&link);
    chrome.wait_for_text("Connect a device");
    assert_eq!(chrome.value("#user_code"), code);
    shoot(&chrome, &dir, "01-enter-code");
    chrome.click("button[type=submit]");

    // Two ways to log in; the upstream provider.
    chrome.wait_for_text("Log in with Test IdP");
    shoot(&chrome, &dir, "02-login-choices");
    chrome.click("#upstream");

    // npm oidc-provider's development login and consent pages.
    chrome.wait_for("the provider's login page", |c| {
        c.url().starts_with(&provider.url)
    });
    chrome.fill("input[name=login]", "alice");
    chrome.fill("input[name=password]", "any password");
    shoot(&chrome, &dir, "03-upstream-login");
    chrome.click("button[type=submit]");
    chrome.wait_for_text("Authorize");
    shoot(&chrome, &dir, "04-upstream-consent");
    chrome.click("button[type=submit]");

    // Back on the issuer: what the token will carry.
    chrome.wait_for_text("Approve this device?");
    let page = chrome.source();
    for shown in [
        "alice",
        "storage.read:/home/alice",
        "storage.read:/cms",
        STORAGE,
        "refresh token",
    ] {
        assert!(page.contains(shown), "the consent page lacks {shown}");
    }
    shoot(&chrome, &dir, "05-consent");
    chrome.click("#approve");
    chrome.wait_for_text("Device approved");
    shoot(&chrome, &dir, "06-approved");

    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The token verifies with scitoken verify (which fills the key cache) and with
    // scitokens-cpp, reading the same cache file.
    let verified = env
        .process()
        .args([
            "verify",
            "--issuer",
            &issuer.url,
            "--aud",
            STORAGE,
            "--ca-file",
        ])
        .arg(&issuer.ca)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let token_file = env
        .path("run")
        .join(format!("bt_u{}", nix::unistd::geteuid().as_raw()));
    let token = std::fs::read_to_string(token_file).unwrap();
    if let Some(cpp) = Reference::cpp() {
        let out = cpp.run(
            &["scitokens-verify", token.trim()],
            &[("XDG_CACHE_HOME", &env.path("cache"))],
        );
        assert!(
            out.status.success(),
            "scitokens-verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The workbench explains the same token.
    chrome.goto(&format!("{}/workbench", issuer.url));
    chrome.fill("#token", token.trim());
    chrome.fill("#audience", STORAGE);
    chrome.fill("#operation", "storage.read");
    chrome.fill("#path", "/cms/2026/run.root");
    chrome.click("#analyse");
    chrome.wait_for_text("Allowed");
    chrome.resize(1100, 1750);
    shoot(&chrome, &dir, "09-workbench");
}

#[test]
fn a_denied_consent_and_an_expired_code_in_chromium() {
    let Some(chrome) = Chrome::start() else {
        return;
    };
    let Some((_provider, issuer)) = setup(6) else {
        return;
    };
    let (dir, _tmp) = shots();
    let env = Env::new();

    // Denied, after a local-account login.
    let (child, link, _, stderr) = get(&env, &issuer, "storage.read:/home/alice");
    chrome.goto(&link);
    chrome.click("button[type=submit]");
    chrome.fill("#username", "alice");
    chrome.fill("#password", "alice-password");
    chrome.click("form[action$='/login'] button[type=submit]");
    chrome.wait_for_text("Approve this device?");
    chrome.click("#deny");
    chrome.wait_for_text("Request denied");
    shoot(&chrome, &dir, "07-denied");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "access_denied exits 1");
    let said = stderr.join().unwrap();
    assert!(said.contains("access_denied"), "{said}");

    // Expired: the command gives up, and the page refuses the code.
    let (child, link, _, stderr) = get(&env, &issuer, "storage.read:/home/alice");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = stderr.join().unwrap();
    assert!(said.contains("expired"), "{said}");
    chrome.goto(&link);
    chrome.click("button[type=submit]");
    chrome.wait_for_text("not valid");
    shoot(&chrome, &dir, "08-expired-code");
}
