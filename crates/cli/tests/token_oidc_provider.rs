//! `scitoken token` against an issuer that is not ours: npm oidc-provider, started by the test
//! over HTTPS with its own test CA. Client credentials, and the device flow approved on the
//! provider's own pages (its development login and consent), then refresh and revocation;
//! every token verified by `scitoken verify` through the provider's discovery.

#![allow(clippy::unwrap_used)]

mod common;

use std::ffi::OsStr;

use common::Env;
use scitokens_testkit::browser::Browser;
use scitokens_testkit::oidc_provider::{OidcProvider, SVC_SECRET};
use serde_json::Value;

const RESOURCE: &str = "https://storage.example";

fn claims(token: &str) -> Value {
    let t = scitokens_format::UnverifiedToken::parse(token.trim()).unwrap();
    Value::Object(t.claims().to_map())
}

fn verify(
    env: &Env,
    provider: &OidcProvider,
    token_file: &std::path::Path,
) -> std::process::Output {
    env.process()
        .env("BEARER_TOKEN_FILE", token_file)
        .args([
            "verify",
            "--issuer",
            &provider.url,
            "--aud",
            RESOURCE,
            "--ca-file",
        ])
        .arg(&provider.ca)
        .output()
        .unwrap()
}

#[test]
fn client_credentials_at_oidc_provider() {
    let Some(provider) = OidcProvider::start("https://127.0.0.1:9/unused") else {
        return;
    };
    let env = Env::new();
    let secret = env.path("svc.secret");
    std::fs::write(&secret, SVC_SECRET).unwrap();
    let out = env
        .process()
        .args([
            "token",
            "get",
            "--issuer",
            &provider.url,
            "--client-id",
            "svc",
            "--resource",
            RESOURCE,
        ])
        .args(["--scope", "storage.read:/data", "--client-secret-file"])
        .arg(&secret)
        .arg("--ca-file")
        .arg(&provider.ca)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = env
        .path("run")
        .join(format!("bt_u{}", nix::unistd::geteuid().as_raw()));
    let c = claims(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(
        (c["sub"].as_str(), c["scope"].as_str()),
        (Some("svc"), Some("storage.read:/data"))
    );
    let verified = verify(&env, &provider, &file);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[test]
fn device_flow_refresh_and_revoke_at_oidc_provider() {
    let Some(provider) = OidcProvider::start("https://127.0.0.1:9/unused") else {
        return;
    };
    let env = Env::new();
    let args = [
        "token",
        "get",
        "--issuer",
        &provider.url,
        "--client-id",
        "cli",
        "--resource",
        RESOURCE,
        "--scope",
        "openid storage.read:/data",
        "--ca-file",
    ];
    let mut args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    args.push(provider.ca.as_os_str());
    let (child, link, _, _) = common::start_device_flow(&env, &args);

    // The provider's pages: the code (sent by a script there; submitted here), its
    // confirmation, the development login, the consent.
    let b = Browser::new(&provider.ca);
    let mut url = link.clone();
    let mut page = b.get(&url);
    for step in 0..8 {
        if page.body.contains("Sign-in Success") {
            break;
        }
        let next = b.submit(&url, &page, &[("login", "alice"), ("password", "any")]);
        (url, page) = b.follow(url.clone(), next);
        assert!(step < 7, "the device flow did not finish: {}", page.body);
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let file = env
        .path("run")
        .join(format!("bt_u{}", nix::unistd::geteuid().as_raw()));
    let first = std::fs::read_to_string(&file).unwrap();
    let c = claims(&first);
    assert_eq!(
        (c["sub"].as_str(), c["client_id"].as_str()),
        (Some("alice"), Some("cli"))
    );
    assert!(verify(&env, &provider, &file).status.success());

    // The kept refresh token gives a new access token; revocation ends the grant.
    let refreshed = env.process().args(["token", "refresh"]).output().unwrap();
    assert!(
        refreshed.status.success(),
        "{}",
        String::from_utf8_lossy(&refreshed.stderr)
    );
    assert_ne!(std::fs::read_to_string(&file).unwrap(), first);
    let revoked = env.process().args(["token", "revoke"]).output().unwrap();
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert!(!file.exists());
}
