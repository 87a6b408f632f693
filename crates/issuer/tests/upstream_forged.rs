//! The upstream login's ID-token checks against a provider that lies: a local HTTPS server
//! (scitokens-localissuer) answers discovery, JWKS and the token endpoint with whatever the
//! test says. A well-formed answer logs the person in; each broken or forged one is refused,
//! and the reason names what is wrong.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use scitokens_format::{
    Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder, UnixTime,
};
use scitokens_issuer::login::upstream::{PendingLogin, Upstream, UpstreamConfig};
use scitokens_testkit::https::{self, Reply};

const CLIENT: &str = "scitokens-issuer";

struct Fake {
    server: scitokens_testkit::https::LocalIssuer,
    key: SigningKey,
    upstream: Upstream,
    pending: PendingLogin,
}

fn fake() -> Fake {
    let server = https::start();
    let iss = server.url();
    server.set(
        "/.well-known/openid-configuration",
        Reply::json(&json!({
            "issuer": iss,
            "jwks_uri": format!("{iss}/jwks"),
            "authorization_endpoint": format!("{iss}/auth"),
            "token_endpoint": format!("{iss}/token"),
        })),
    );
    let key = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("k1");
    server.set_jwks(
        &KeySet::new(vec![key.verifying_key().clone()])
            .to_json()
            .unwrap(),
    );
    let upstream = Upstream::new(
        UpstreamConfig {
            issuer: iss.clone(),
            client_id: CLIENT.into(),
            client_secret: Some("s".into()),
            username_claim: "preferred_username".into(),
            groups_claim: "groups".into(),
            display_name: "fake".into(),
            ca_file: Some(server.ca_file().clone()),
            scopes: "openid".into(),
            plain_http_on_loopback: false,
        },
        Arc::new(SystemClock),
    )
    .unwrap();
    Fake {
        server,
        key,
        upstream,
        pending: PendingLogin {
            state: "st".into(),
            nonce: "the-nonce".into(),
            verifier: "v".repeat(43),
        },
    }
}

/// What an ID token says; [`Claims::good`] is what the provider should send.
struct Claims {
    nonce: &'static str,
    username: &'static str,
    audiences: Vec<&'static str>,
}

impl Claims {
    fn good() -> Claims {
        Claims {
            nonce: "the-nonce",
            username: "alice",
            audiences: vec![CLIENT],
        }
    }
}

/// An ID token signed by `key` at `now`.
fn id_token(f: &Fake, c: Claims, key: &SigningKey, now: UnixTime) -> String {
    let mut builder = TokenBuilder::new(Profile::SciTokens1, f.server.url())
        .subject("u-123")
        .lifetime(Duration::from_secs(300))
        .claim("nonce", json!(c.nonce))
        .claim("preferred_username", json!(c.username))
        .claim("groups", json!(["cms", "atlas"]));
    for aud in c.audiences {
        builder = builder.audience(aud);
    }
    builder.sign(key, now).unwrap()
}

fn answer(f: &Fake, body: serde_json::Value) -> Result<String, String> {
    f.server.set("/token", Reply::json(&body));
    f.upstream
        .finish("code", &f.pending, "https://rp.example/login/callback")
        .map(|p| format!("{} {:?}", p.username, p.groups))
        .map_err(|e| e.to_string())
}

fn with_token(f: &Fake, token: &str) -> Result<String, String> {
    answer(
        f,
        json!({ "access_token": "at", "token_type": "Bearer", "id_token": token }),
    )
}

#[test]
fn a_good_id_token_logs_in_and_every_forgery_is_refused() {
    let f = fake();
    let now = SystemClock.now();
    let good = id_token(&f, Claims::good(), &f.key, now);
    assert_eq!(with_token(&f, &good).unwrap(), "alice [\"cms\", \"atlas\"]");

    let other_key = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("k1");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong nonce",
            id_token(
                &f,
                Claims {
                    nonce: "x",
                    ..Claims::good()
                },
                &f.key,
                now,
            ),
            "nonce",
        ),
        (
            "another audience too, without azp",
            id_token(
                &f,
                Claims {
                    audiences: vec![CLIENT, "someone-else"],
                    ..Claims::good()
                },
                &f.key,
                now,
            ),
            "azp",
        ),
        (
            "only another audience",
            id_token(
                &f,
                Claims {
                    audiences: vec!["someone-else"],
                    ..Claims::good()
                },
                &f.key,
                now,
            ),
            "aud does not name",
        ),
        (
            "another issuer",
            TokenBuilder::new(Profile::SciTokens1, "https://evil.example")
                .audience(CLIENT)
                .claim("nonce", json!("the-nonce"))
                .claim("preferred_username", json!("alice"))
                .sign(&f.key, now)
                .unwrap(),
            "iss",
        ),
        (
            "expired",
            id_token(
                &f,
                Claims::good(),
                &f.key,
                UnixTime::from_secs(now.as_secs() - 3600),
            ),
            "expired",
        ),
        (
            "signed by another key",
            id_token(&f, Claims::good(), &other_key, now),
            "signature",
        ),
        (
            "a username that is not one path segment",
            id_token(
                &f,
                Claims {
                    username: "../root",
                    ..Claims::good()
                },
                &f.key,
                now,
            ),
            "username",
        ),
        ("not a JWT", "not.a.jwt".to_owned(), "id_token"),
    ];
    for (what, token, expected) in cases {
        let err = with_token(&f, &token).expect_err(what);
        assert!(err.contains(expected), "{what}: {err} lacks {expected}");
    }

    // alg none and HMAC, with the payload of the good token.
    let payload = good.split('.').nth(1).unwrap();
    for header in [
        r#"{"alg":"none","kid":"k1"}"#,
        r#"{"alg":"HS256","kid":"k1"}"#,
    ] {
        use base64::Engine;
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header);
        let err = with_token(&f, &format!("{h}.{payload}.c2ln")).unwrap_err();
        assert!(err.contains("id_token"), "{header}: {err}");
    }

    // The token endpoint's own refusal and an answer without an ID token.
    f.server.set(
        "/token",
        Reply::Body(400, br#"{"error":"invalid_grant"}"#.to_vec()),
    );
    let err = f
        .upstream
        .finish("code", &f.pending, "https://rp.example/cb")
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid_grant"), "{err}");
    let err = answer(&f, json!({ "access_token": "at", "token_type": "Bearer" })).unwrap_err();
    assert!(err.contains("no id_token"), "{err}");

    // Discovery that names another issuer is refused before anything is sent.
    f.server.set(
        "/.well-known/openid-configuration",
        Reply::json(&json!({
            "issuer": "https://evil.example",
            "authorization_endpoint": "https://evil.example/auth",
            "token_endpoint": "https://evil.example/token",
        })),
    );
    let err = f
        .upstream
        .begin("https://rp.example/cb")
        .unwrap_err()
        .to_string();
    assert!(err.contains("names issuer"), "{err}");
}
