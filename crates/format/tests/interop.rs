//! Interop with the incumbents: tokens they mint verify here, tokens minted here verify there.
//!
//! The Python `scitokens` library and the scitokens-cpp tools are located by
//! `scitokens-testkit`; a missing one skips its tests unless `SCITOKENS_INTEROP_REQUIRED=1`.

#![allow(clippy::unwrap_used)] // helpers of a test: a panic is a failed test

use std::path::Path;

use scitokens_format::{
    Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder, UnverifiedToken,
    VerifyingKey,
};
use scitokens_testkit::{read_testdata, stdout_of, testdata, Reference};
use serde_json::Value;

const ISSUER: &str = "https://issuer.interop.example";

fn key_path(rel: &str) -> String {
    testdata().join("keys").join(rel).display().to_string()
}

fn public_key(rel: &str, kid: &str) -> KeySet {
    KeySet::new(vec![VerifyingKey::from_pem(&read_testdata(&format!(
        "keys/{rel}"
    )))
    .unwrap()
    .with_kid(kid)])
}

#[test]
fn python_minted_tokens_verify_here() {
    let Some(python) = Reference::python() else {
        return;
    };
    for (alg, private, public) in [
        ("ES256", "es256-private.pem", "es256-public.pem"),
        ("RS256", "rs256-private.pem", "rs256-public.pem"),
    ] {
        let token = stdout_of(python.run(
            &[
                "mint",
                &key_path(private),
                alg,
                "py-kid",
                ISSUER,
                "read:/store write:/store/out",
                "https://storage.example",
            ],
            &[],
        ));
        let verified = UnverifiedToken::parse(&token)
            .and_then(|t| t.verify(&public_key(public, "py-kid")))
            .unwrap_or_else(|e| panic!("{alg} token from Python: {e}"));
        let claims = verified.claims();
        assert_eq!(verified.header().alg(), alg.parse::<Algorithm>().unwrap());
        assert_eq!(claims.iss().require("iss").unwrap(), ISSUER);
        assert_eq!(
            claims.scope().require("scope").unwrap(),
            "read:/store write:/store/out"
        );
        assert_eq!(
            Profile::detect(verified.header(), claims).unwrap(),
            Profile::SciTokens2
        );

        // The same token under a different key must not verify.
        let wrong = public_key("es256-other-public.pem", "py-kid");
        assert!(
            UnverifiedToken::parse(&token)
                .unwrap()
                .verify(&wrong)
                .is_err(),
            "{alg}"
        );
    }
}

#[test]
fn tokens_minted_here_verify_in_python() {
    let Some(python) = Reference::python() else {
        return;
    };
    for (alg, private, public) in [
        ("ES256", "es256-private.pem", "es256-public.pem"),
        ("RS256", "rs256-private.pem", "rs256-public.pem"),
    ] {
        let key = SigningKey::from_pem(&read_testdata(&format!("keys/{private}"))).unwrap();
        for profile in [
            Profile::SciTokens1,
            Profile::SciTokens2,
            Profile::Wlcg,
            Profile::AccessToken,
        ] {
            let token = TokenBuilder::new(profile, ISSUER)
                .scope(if profile == Profile::Wlcg {
                    "storage.read:/data"
                } else {
                    "read:/data"
                })
                .audience("https://storage.example")
                .subject("alice")
                .sign(&key, SystemClock.now())
                .unwrap();
            let claims: Value = serde_json::from_str(&stdout_of(
                python.run(&["verify", &key_path(public), &token], &[]),
            ))
            .unwrap_or_else(|e| panic!("{alg} {profile:?}: {e}"));
            assert_eq!(claims["iss"], ISSUER, "{alg} {profile:?}");
            assert_eq!(claims["sub"], "alice", "{alg} {profile:?}");
        }

        // A tampered token must fail there too: the Python check is real.
        let token = TokenBuilder::new(Profile::SciTokens2, ISSUER)
            .scope("read:/data")
            .audience("https://storage.example")
            .sign(&key, SystemClock.now())
            .unwrap();
        let tampered = token.replacen(".ey", ".eX", 1);
        let out = python.run(&["verify", &key_path(public), &tampered], &[]);
        assert!(
            !out.status.success(),
            "{alg}: Python accepted a tampered token"
        );
    }
}

#[test]
fn cpp_created_tokens_verify_here() {
    let Some(cpp) = Reference::cpp() else { return };
    let token = stdout_of(cpp.run(
        &[
            "scitokens-create",
            "--cred",
            &key_path("es256-public.pem"),
            "--key",
            &key_path("es256-private.pem"),
            "--keyid",
            "cpp-kid",
            "--issuer",
            ISSUER,
            "--claim",
            "scope=read:/store/a",
            "--claim",
            "aud=https://storage.example",
            "--claim",
            "ver=scitoken:2.0",
        ],
        &[],
    ));
    let verified = UnverifiedToken::parse(&token)
        .and_then(|t| t.verify(&public_key("es256-public.pem", "cpp-kid")))
        .unwrap_or_else(|e| panic!("token from scitokens-create: {e}"));
    assert_eq!(
        verified.claims().scope().require("scope").unwrap(),
        "read:/store/a"
    );
    assert_eq!(verified.claims().iss().require("iss").unwrap(), ISSUER);
}

#[test]
fn tokens_minted_here_verify_in_cpp() {
    let Some(cpp) = Reference::cpp() else { return };
    let cache = std::env::temp_dir().join(format!("scitokens-interop-{}", std::process::id()));
    std::fs::create_dir_all(&cache).unwrap();
    let key = SigningKey::from_pem(&read_testdata("keys/es256-private.pem"))
        .unwrap()
        .with_kid("rs-kid");
    let token = TokenBuilder::new(Profile::SciTokens2, ISSUER)
        .scope("read:/store")
        .audience("https://storage.example")
        .sign(&key, SystemClock.now())
        .unwrap();
    let verify = |token: &str| {
        cpp.run(
            &[
                "scitokens-verify",
                "--cred",
                &key_path("es256-public.pem"),
                "--issuer",
                ISSUER,
                "--keyid",
                "rs-kid",
                token,
            ],
            &[("XDG_CACHE_HOME", Path::new(&cache))],
        )
    };
    stdout_of(verify(&token));
    let tampered = token.replacen(".ey", ".eX", 1);
    assert!(
        !verify(&tampered).status.success(),
        "scitokens-verify accepted a tampered token"
    );
    std::fs::remove_dir_all(&cache).ok();
}
