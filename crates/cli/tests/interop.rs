//! The command against the incumbents: tokens from Python's `scitokens-admin-create-token`
//! and scitokens-cpp's `scitokens-create` pass `scitoken verify --jwks`; tokens from
//! `scitoken mint` pass Python's `SciToken.deserialize` and scitokens-cpp's `scitokens-verify`
//! (reading keys that `scitoken keys add` put in the shared cache file).

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;

use common::{Env, AUD, ISS};
use scitokens_testkit::{stdout_of, testdata, Reference};

fn key(name: &str) -> String {
    testdata().join("keys").join(name).display().to_string()
}

/// `scitoken jwks` for a fixture public key under `kid`, into `NAME.jwks`.
fn jwks(env: &Env, public: &str, kid: &str, name: &str) {
    let (code, stdout, stderr) = env.run(&["jwks", "--public", &key(public), "--kid", kid]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(env.path(&format!("{name}.jwks")), stdout).unwrap();
}

#[test]
fn python_admin_create_token_verifies_here() {
    let Some(python) = Reference::python() else {
        return;
    };
    let env = Env::new();
    for (private, public) in [
        ("es256-private.pem", "es256-public.pem"),
        ("rs256-private.pem", "rs256-public.pem"),
    ] {
        jwks(&env, public, "py-admin", "py");
        let token = stdout_of(python.python_tool(
            "admin_create_token",
            &[
                "--keyfile",
                &key(private),
                "--key_id",
                "py-admin",
                "--issuer",
                ISS,
                &format!("aud={AUD}"),
                "scope=read:/store write:/store/out",
                "ver=scitoken:2.0",
            ],
        ));
        let (code, stdout, stderr) = env.run(&[
            "verify", "--jwks", "py.jwks", "--issuer", ISS, "--aud", AUD, &token,
        ]);
        assert_eq!(code, 0, "{private}: {stderr}");
        assert!(
            stdout.contains("scopes    read:/store write:/store/out"),
            "{stdout}"
        );
        let (code, stdout, _) = env.run(&[
            "test",
            "--jwks",
            "py.jwks",
            "--issuer",
            ISS,
            "--aud",
            AUD,
            "--op",
            "write",
            "--path",
            "/store/out/f",
            &token,
        ]);
        assert_eq!((code, stdout.as_str()), (0, "allowed\n"));
    }
}

#[test]
fn cpp_scitokens_create_verifies_here() {
    let Some(cpp) = Reference::cpp() else { return };
    let env = Env::new();
    jwks(&env, "es256-public.pem", "cpp-kid", "cpp");
    let token = stdout_of(cpp.run(
        &[
            "scitokens-create",
            "--cred",
            &key("es256-public.pem"),
            "--key",
            &key("es256-private.pem"),
            "--keyid",
            "cpp-kid",
            "--issuer",
            ISS,
            "--claim",
            &format!("aud={AUD}"),
            "--claim",
            "scope=storage.read:/store",
            "--claim",
            "wlcg.ver=1.0",
        ],
        &[],
    ));
    let (code, stdout, stderr) = env.run(&[
        "acls", "--jwks", "cpp.jwks", "--issuer", ISS, "--aud", AUD, &token,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "storage.read:/store\n");
}

#[test]
fn scitoken_mint_verifies_in_python() {
    let Some(python) = Reference::python() else {
        return;
    };
    let env = Env::new();
    for (private, public) in [
        ("es256-private.pem", "es256-public.pem"),
        ("rs256-private.pem", "rs256-public.pem"),
    ] {
        for profile in ["scitokens1", "scitokens2", "wlcg"] {
            let (code, token, stderr) = env.run(&[
                "mint",
                "--key",
                &key(private),
                "--issuer",
                ISS,
                "--profile",
                profile,
                "--aud",
                AUD,
                "--scope",
                "read:/store",
                "--sub",
                "cli",
            ]);
            assert_eq!(code, 0, "{stderr}");
            let claims = stdout_of(python.run(&["verify", &key(public), token.trim()], &[]));
            let claims: serde_json::Value = serde_json::from_str(&claims).unwrap();
            assert_eq!(claims["sub"], "cli", "{private} {profile}");
            assert_eq!(claims["scope"], "read:/store");
        }
    }
}

#[test]
fn scitoken_mint_verifies_in_cpp_through_the_shared_cache() {
    let Some(cpp) = Reference::cpp() else { return };
    let env = Env::new();
    for (private, public, kid) in [
        ("es256-private.pem", "es256-public.pem", "es-kid"),
        ("rs256-private.pem", "rs256-public.pem", "rs-kid"),
    ] {
        jwks(&env, public, kid, kid);
        let issuer = format!("{ISS}/{kid}");
        let (code, _, stderr) =
            env.run(&["keys", "add", &issuer, "--jwks", &format!("{kid}.jwks")]);
        assert_eq!(code, 0, "{stderr}");
        let (code, token, stderr) = env.run(&[
            "mint",
            "--key",
            &key(private),
            "--kid",
            kid,
            "--issuer",
            &issuer,
            "--aud",
            AUD,
            "--scope",
            "read:/store",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let cache = env.path("cache");
        let verified = cpp.run(
            &["scitokens-verify", token.trim()],
            &[("XDG_CACHE_HOME", cache.as_path())],
        );
        stdout_of(verified);
        let allowed = cpp.run(
            &[
                "scitokens-test-access",
                token.trim(),
                &issuer,
                AUD,
                "read",
                "/store/file",
            ],
            &[("XDG_CACHE_HOME", cache.as_path())],
        );
        stdout_of(allowed);
    }
}
