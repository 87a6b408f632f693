//! `scitoken` as a binary: every command, its exit codes, its `--json` documents.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{one_error_line, Env, AUD, ISS};
use scitokens_format::{Algorithm, Profile, SigningKey, TokenBuilder, VerifyingKey};

#[test]
fn keygen_writes_private_public_and_jwks() {
    let env = Env::new();
    let kid = env.keygen("es", "ES256");
    let private = std::fs::read(env.path("es.pem")).unwrap();
    assert!(String::from_utf8_lossy(&private).starts_with("-----BEGIN PRIVATE KEY-----"));
    let mode = std::fs::metadata(env.path("es.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "private key mode {mode:o}");
    let key = SigningKey::from_pem(&private).unwrap();
    assert_eq!(key.kid(), kid, "default kid is the format crate's");
    let public = VerifyingKey::from_pem(&std::fs::read(env.path("es.pub")).unwrap()).unwrap();
    assert_eq!(public.default_kid().unwrap(), kid);
    let jwks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("es.jwks")).unwrap()).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
    assert_eq!(jwks["keys"][0]["alg"], "ES256");

    let (code, doc) = env.json(&[
        "keygen",
        "--alg",
        "RS256",
        "--bits",
        "3072",
        "--kid",
        "rsa-1",
        "--private",
        "rs.pem",
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["kid"], "rsa-1");
    assert_eq!(doc["alg"], "RS256");
    let rsa = SigningKey::from_pem(&std::fs::read(env.path("rs.pem")).unwrap()).unwrap();
    assert_eq!(rsa.verifying_key().bits(), 3072);

    let (code, _, stderr) = env.run(&[
        "keygen",
        "--alg",
        "RS256",
        "--bits",
        "1024",
        "--private",
        "weak.pem",
    ]);
    assert_eq!(code, 2);
    assert!(one_error_line(&stderr).contains("1024"), "{stderr}");
    assert!(!env.path("weak.pem").exists());
}

#[test]
fn keygen_refuses_to_overwrite_without_force() {
    let env = Env::new();
    std::fs::write(env.path("taken.jwks"), "precious").unwrap();
    let (code, _, stderr) = env.run(&["keygen", "--private", "new.pem", "--jwks", "taken.jwks"]);
    assert_eq!(code, 2);
    assert!(
        one_error_line(&stderr).contains("taken.jwks exists; pass --force"),
        "{stderr}"
    );
    assert!(
        !env.path("new.pem").exists(),
        "nothing written when one output exists"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("taken.jwks")).unwrap(),
        "precious"
    );

    let first = env.keygen("k", "ES256");
    let (code, _, _) = env.run(&["keygen", "--private", "k.pem"]);
    assert_eq!(code, 2);
    assert_eq!(
        env.keygen_kid_of("k.pem"),
        first,
        "the key was not replaced"
    );
    let (code, stdout, _) = env.run(&["keygen", "--force", "--private", "k.pem"]);
    assert_eq!(code, 0);
    assert_ne!(stdout.trim(), first, "--force replaced the key");
    let mode = std::fs::metadata(env.path("k.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

trait KidOf {
    fn keygen_kid_of(&self, file: &str) -> String;
}

impl KidOf for Env {
    fn keygen_kid_of(&self, file: &str) -> String {
        SigningKey::from_pem(&std::fs::read(self.path(file)).unwrap())
            .unwrap()
            .kid()
            .to_owned()
    }
}

#[test]
fn jwks_prints_a_key_set_for_a_public_key() {
    let env = Env::new();
    let kid = env.keygen("es", "ES256");
    let (code, doc) = env.json(&["jwks", "--public", "es.pub"]);
    assert_eq!(code, 0);
    assert_eq!(doc["keys"][0]["kid"], kid.as_str());
    assert_eq!(doc["keys"][0]["crv"], "P-256");
    let (code, stdout, _) = env.run(&["jwks", "--public", "es.pub", "--kid", "mine"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["keys"][0]["kid"], "mine");
    let (code, _, stderr) = env.run(&["jwks", "--public", "es.pub", "--alg", "RS256"]);
    assert_eq!(code, 2);
    assert!(one_error_line(&stderr).contains("not RS256"), "{stderr}");
    let (code, _, stderr) = env.run(&["jwks", "--public", "es.pem"]);
    assert_eq!(code, 2, "a private key is not a public key: {stderr}");
    let (code, _, stderr) = env.run(&["jwks", "--public", "absent.pub"]);
    assert_eq!(code, 2);
    assert!(one_error_line(&stderr).contains("absent.pub"), "{stderr}");
}

#[test]
fn mint_follows_the_profile_and_the_claims_asked_for() {
    let env = Env::new();
    let kid = env.keygen("es", "ES256");
    let token = env.mint(
        "es",
        &[
            "--scope",
            "read:/data write:/data/out",
            "--aud",
            AUD,
            "--aud",
            "https://second",
            "--sub",
            "alice",
            "--lifetime",
            "120",
            "--claim",
            "group=cms",
            "--claim-json",
            "wlcg.groups=[\"/cms\"]",
        ],
    );
    let (code, doc) = env.json(&["inspect", &token]);
    assert_eq!(code, 0);
    let claims = &doc["claims"];
    assert_eq!(claims["iss"], ISS);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], serde_json::json!([AUD, "https://second"]));
    assert_eq!(
        claims["ver"], "scitoken:2.0",
        "scitokens2 is the default profile"
    );
    assert_eq!(claims["group"], "cms");
    assert_eq!(claims["wlcg.groups"], serde_json::json!(["/cms"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );
    assert_eq!(doc["header"]["kid"], kid.as_str());
    assert_eq!(doc["profile"], "scitokens2");

    let wlcg = env.mint(
        "es",
        &[
            "--profile",
            "wlcg",
            "--aud",
            AUD,
            "--scope",
            "storage.read:/",
            "--kid",
            "k2",
        ],
    );
    let (_, doc) = env.json(&["inspect", &wlcg]);
    assert_eq!(doc["claims"]["wlcg.ver"], "1.0");
    assert_eq!(doc["header"]["kid"], "k2");
    let at = env.mint("es", &["--profile", "atjwt", "--aud", AUD]);
    let (_, doc) = env.json(&["inspect", &at]);
    assert_eq!(doc["header"]["typ"], "at+jwt");
    assert_eq!(doc["profile"], "atjwt");

    for (args, fragment) in [
        (vec!["--aud", AUD, "--scope", "read:/a/../b"], "scope"),
        (vec!["--aud", AUD, "--lifetime", "0"], "lifetime"),
        (vec!["--scope", "read:/"], "requires an audience"),
        (vec!["--aud", AUD, "--claim", "iss=https://evil"], "iss"),
        (vec!["--aud", AUD, "--claim-json", "n={"], "not JSON"),
        (vec!["--aud", AUD, "--claim", "novalue"], "NAME=VALUE"),
    ] {
        let (code, _, stderr) = env.run(
            &[
                &["mint", "--key", "es.pem", "--issuer", ISS],
                args.as_slice(),
            ]
            .concat(),
        );
        assert_eq!(code, 2, "{args:?}");
        assert!(
            one_error_line(&stderr).contains(fragment),
            "{args:?}: {stderr}"
        );
    }
    let (code, _, stderr) = env.run(&["mint", "--key", "es.pub", "--issuer", ISS, "--aud", AUD]);
    assert_eq!(code, 2);
    assert!(one_error_line(&stderr).contains("--key"), "{stderr}");
}

#[test]
fn inspect_says_it_did_not_verify_and_shows_dates() {
    let env = Env::new();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let expired = TokenBuilder::new(Profile::Wlcg, ISS)
        .audience(AUD)
        .scope("storage.read:/")
        .sign(&key, 1_700_000_000)
        .unwrap();
    let (code, stdout, _) = env.run(&["inspect", &expired]);
    assert_eq!(code, 0, "inspect decodes even an expired token");
    assert!(stdout.starts_with("NOT VERIFIED"), "{stdout}");
    assert!(stdout.contains("2023-11-14T22:23:20Z"), "{stdout}");
    assert!(stdout.contains("(expired "), "{stdout}");
    assert!(stdout.contains(" ago)"), "{stdout}");
    let (code, doc) = env.json(&["inspect", &expired]);
    assert_eq!(code, 0);
    assert_eq!(doc["verified"], false);
    assert_eq!(doc["times"]["exp"]["unix"], 1_700_000_600);
    assert_eq!(doc["times"]["exp"]["utc"], "2023-11-14T22:23:20Z");
    assert_eq!(doc["profile"], "wlcg");

    let (code, _, stderr) = env.run(&["inspect", "not.a-token"]);
    assert_eq!(code, 1);
    assert!(
        one_error_line(&stderr).starts_with("scitoken: invalid token: "),
        "{stderr}"
    );
    let (code, doc) = env.json(&["inspect", "a.b"]);
    assert_eq!(code, 1);
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["error"]["kind"], "segment_count");
}

#[test]
fn verify_with_a_key_set_file() {
    let env = Env::new();
    env.keygen("es", "ES256");
    env.keygen("other", "ES256");
    let token = env.mint(
        "es",
        &["--aud", AUD, "--scope", "read:/data", "--sub", "alice"],
    );

    let (code, stdout, stderr) = env.run(&[
        "verify", "--jwks", "es.jwks", "--issuer", ISS, "--aud", AUD, &token,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("valid\n"), "{stdout}");
    assert!(stdout.contains("scopes    read:/data"), "{stdout}");
    assert!(!stdout.contains("trusted because"), "pinned: {stdout}");
    let (code, doc) = env.json(&["verify", "--jwks", "es.jwks", "--aud", AUD, &token]);
    assert_eq!(code, 0);
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["issuer_pinned"], false, "no --issuer: the token's own");
    assert_eq!(doc["profile"], "scitokens2");
    assert_eq!(doc["subject"], "alice");
    assert_eq!(doc["scopes"], serde_json::json!(["read:/data"]));

    let invalid = [
        (vec!["--jwks", "other.jwks", "--aud", AUD], "unknown_kid"),
        (
            vec!["--jwks", "es.jwks", "--aud", "https://elsewhere"],
            "wrong_audience",
        ),
        (vec!["--jwks", "es.jwks"], "wrong_audience"),
        (
            vec![
                "--jwks",
                "es.jwks",
                "--aud",
                AUD,
                "--issuer",
                "https://other",
            ],
            "untrusted_issuer",
        ),
        (
            vec!["--jwks", "es.jwks", "--aud", AUD, "--profile", "wlcg"],
            "profile_not_accepted",
        ),
    ];
    for (args, kind) in invalid {
        let (code, doc) = env.json(&[&["verify"], args.as_slice(), &[token.as_str()]].concat());
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(doc["valid"], false);
        assert_eq!(doc["error"]["kind"], kind, "{args:?}: {doc}");
        let (code, stdout, stderr) =
            env.run(&[&["verify"], args.as_slice(), &[token.as_str()]].concat());
        assert_eq!(code, 1);
        assert!(stdout.is_empty());
        assert!(
            one_error_line(&stderr).starts_with("scitoken: invalid token: "),
            "{stderr}"
        );
    }

    // A forged signature: the payload of another token.
    let forged = {
        let other = env.mint("es", &["--aud", AUD, "--scope", "write:/"]);
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = other.split('.').nth(1).unwrap();
        parts.join(".")
    };
    let (code, doc) = env.json(&["verify", "--jwks", "es.jwks", "--aud", AUD, &forged]);
    assert_eq!(
        (code, doc["error"]["kind"].as_str()),
        (1, Some("bad_signature"))
    );

    // Expired.
    let key = SigningKey::from_pem(&std::fs::read(env.path("es.pem")).unwrap()).unwrap();
    let old = TokenBuilder::new(Profile::SciTokens2, ISS)
        .audience(AUD)
        .scope("read:/")
        .sign(&key, 1_700_000_000)
        .unwrap();
    let (code, _, stderr) = env.run(&["verify", "--jwks", "es.jwks", "--aud", AUD, &old]);
    assert_eq!(code, 1);
    assert!(
        one_error_line(&stderr).contains("token expired: exp 1700000600"),
        "{stderr}"
    );

    // A token without scope is valid, and said to be useless to an enforcer.
    let bare = env.mint("es", &["--aud", AUD]);
    let (code, stdout, _) = env.run(&["verify", "--jwks", "es.jwks", "--aud", AUD, &bare]);
    assert_eq!(code, 0);
    assert!(stdout.contains("no scope claim"), "{stdout}");

    // Configuration errors are exit 2.
    let (code, _, stderr) = env.run(&["verify", "--jwks", "es.jwks", "--aud", "ANY", &token]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = env.run(&["verify", "--jwks", "es.pub", &token]);
    assert_eq!(code, 2, "{stderr}");
    assert!(one_error_line(&stderr).contains("--jwks"), "{stderr}");
}

#[test]
fn acls_native_and_compat() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let token = env.mint(
        "es",
        &[
            "--profile",
            "wlcg",
            "--aud",
            AUD,
            "--scope",
            "storage.read:/data storage.modify:/data/out compute.read",
        ],
    );
    let base = ["acls", "--issuer", ISS, "--aud", AUD, "--jwks", "es.jwks"];
    let (code, stdout, stderr) = env.run(&[&base[..], &[token.as_str()]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "storage.read:/data\nstorage.modify:/data/out\ncompute.read:/\n"
    );
    let (code, stdout, _) = env.run(&[&base[..], &["--compat", token.as_str()]].concat());
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "read:/data\nwrite:/data/out\nmodify:/data/out\ncondor:/READ\n"
    );
    let (code, doc) = env.json(&[&base[..], &["--compat", token.as_str()]].concat());
    assert_eq!(code, 0);
    assert_eq!(
        doc["acls"][0],
        serde_json::json!({"authz": "read", "resource": "/data"})
    );

    // --issuer is required.
    let (code, _, stderr) = env.run(&["acls", "--jwks", "es.jwks", &token]);
    assert_eq!(code, 2);
    one_error_line(&stderr);
    // No scope claim: invalid for an enforcer.
    let bare = env.mint("es", &["--aud", AUD]);
    let (code, doc) = env.json(&[&base[..], &[bare.as_str()]].concat());
    assert_eq!((code, doc["error"]["kind"].as_str()), (1, Some("no_scope")));
    // One bad scope refuses the token.
    let key = SigningKey::from_pem(&std::fs::read(env.path("es.pem")).unwrap()).unwrap();
    let mut claims = TokenBuilder::new(Profile::SciTokens2, ISS)
        .audience(AUD)
        .claims(scitokens_format::Clock::now(&scitokens_format::SystemClock))
        .unwrap()
        .into_map();
    claims.insert("scope".into(), "read:/ok read:/x/../../etc".into());
    let header = scitokens_format::Header::new(key.alg(), "JWT", Some(key.kid()));
    let bad = scitokens_format::sign_parts(&header, &scitokens_format::Claims::new(claims), &key)
        .unwrap();
    let (code, doc) = env.json(&[&base[..], &[bad.as_str()]].concat());
    assert_eq!(
        (code, doc["error"]["kind"].as_str()),
        (1, Some("invalid_scope")),
        "{doc}"
    );
}

#[test]
fn test_allowed_denied_invalid() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let token = env.mint(
        "es",
        &["--aud", AUD, "--scope", "read:/john storage.create:/out"],
    );
    let run = |op: &str, path: &str| {
        env.run(&[
            "test", "--issuer", ISS, "--aud", AUD, "--jwks", "es.jwks", "--op", op, "--path", path,
            &token,
        ])
    };
    let (code, stdout, stderr) = run("read", "/john/file");
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "allowed\n", "")
    );
    for (op, path) in [
        ("read", "/johnathan"),
        ("read", "/john/../etc/passwd"),
        ("write", "/out/f"),
        ("storage.modify", "/out/f"),
        ("create", "/john/x"),
    ] {
        let (code, stdout, stderr) = run(op, path);
        assert_eq!(code, 1, "{op} {path}");
        assert!(
            stdout.starts_with("denied: no scope grants"),
            "{op} {path}: {stdout}"
        );
        assert!(stderr.is_empty(), "a denial is not an error: {stderr}");
    }
    let (code, stdout, _) = run("storage.create", "/out/new");
    assert_eq!((code, stdout.as_str()), (0, "allowed\n"));

    let (code, doc) = env.json(&[
        "test",
        "--issuer",
        ISS,
        "--aud",
        AUD,
        "--jwks",
        "es.jwks",
        "--op",
        "read",
        "--path",
        "/johnathan",
        &token,
    ]);
    assert_eq!(code, 1);
    assert_eq!(doc["allowed"], false);
    assert_eq!(doc["path"], "/johnathan");
    assert_eq!(
        doc["considered"],
        serde_json::json!(["read:/john", "storage.create:/out"])
    );
    let (code, doc) = env.json(&[
        "test",
        "--issuer",
        ISS,
        "--aud",
        AUD,
        "--jwks",
        "es.jwks",
        "--op",
        "read",
        "--path",
        "/john/a/./b",
        &token,
    ]);
    assert_eq!(code, 0);
    assert_eq!(doc["allowed"], true);
    assert_eq!(doc["by"], serde_json::json!(["read:/john"]));

    // An invalid token is exit 1, reported as invalid, not as a denial.
    let (code, stdout, stderr) = env.run(&[
        "test",
        "--issuer",
        "https://other",
        "--aud",
        AUD,
        "--jwks",
        "es.jwks",
        "--op",
        "read",
        "--path",
        "/john",
        &token,
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        one_error_line(&stderr).starts_with("scitoken: invalid token: issuer"),
        "{stderr}"
    );
    // Bad requests are usage errors.
    for (op, path) in [
        ("read", "relative"),
        ("read", "/a\u{1}b"),
        ("bad op", "/john"),
    ] {
        let (code, _, stderr) = run(op, path);
        assert_eq!(code, 2, "{op:?} {path:?}");
        one_error_line(&stderr);
    }
}

#[test]
fn token_sources_argument_stdin_and_discovery() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let token = env.mint("es", &["--aud", AUD, "--scope", "read:/"]);
    let other = env.mint("es", &["--aud", AUD, "--scope", "read:/other"]);
    let scope_of = |cmd: &mut assert_cmd::Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["claims"]["scope"].as_str().unwrap().to_owned()
    };
    // Argument with white space; stdin.
    assert_eq!(
        scope_of(
            env.cmd()
                .args(["--json", "inspect", &format!("  {token}\n")])
        ),
        "read:/"
    );
    assert_eq!(
        scope_of(
            env.cmd()
                .args(["--json", "inspect", "-"])
                .write_stdin(format!("\n{other}\n\n"))
        ),
        "read:/other"
    );
    // Discovery: $BEARER_TOKEN first, then $BEARER_TOKEN_FILE, then $XDG_RUNTIME_DIR/bt_u$UID.
    let uid = nix::unistd::geteuid().as_raw();
    let runtime = env.path("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::write(runtime.join(format!("bt_u{uid}")), format!("{token}\n")).unwrap();
    std::fs::write(env.path("token-file"), format!("{other}\n")).unwrap();
    let inspect = || {
        let mut cmd = env.cmd();
        cmd.args(["--json", "inspect"])
            .env("XDG_RUNTIME_DIR", &runtime);
        cmd
    };
    assert_eq!(
        scope_of(
            inspect()
                .env("BEARER_TOKEN", &other)
                .env("BEARER_TOKEN_FILE", env.path("absent"))
        ),
        "read:/other"
    );
    assert_eq!(
        scope_of(
            inspect()
                .env("BEARER_TOKEN", " ")
                .env("BEARER_TOKEN_FILE", env.path("token-file"))
        ),
        "read:/other"
    );
    assert_eq!(
        scope_of(
            inspect()
                .env("BEARER_TOKEN", "")
                .env("BEARER_TOKEN_FILE", env.path("absent"))
        ),
        "read:/"
    );
    std::fs::write(env.path("token-file"), "  \n").unwrap();
    assert_eq!(
        scope_of(inspect().env("BEARER_TOKEN_FILE", env.path("token-file"))),
        "read:/",
        "an empty file falls through"
    );

    // Nothing anywhere: the error says where it looked (unless this machine has /tmp/bt_u$UID).
    if !std::path::Path::new(&format!("/tmp/bt_u{uid}")).exists() {
        let (code, _, stderr) = env.run(&["inspect"]);
        assert_eq!(code, 2);
        let line = one_error_line(&stderr);
        for place in [
            "$BEARER_TOKEN (unset)",
            "$BEARER_TOKEN_FILE (unset)",
            "$XDG_RUNTIME_DIR (unset)",
            &format!("/tmp/bt_u{uid}"),
        ] {
            assert!(line.contains(place), "{place}: {line}");
        }
    }
    let (code, _, stderr) = env.run(&["inspect", "   "]);
    assert_eq!(code, 2);
    assert!(one_error_line(&stderr).contains("empty"), "{stderr}");
}

#[test]
fn usage_errors_help_version_completions_man() {
    let env = Env::new();
    let (code, _, stderr) = env.run(&["verify", "--no-such-flag"]);
    assert_eq!(code, 2);
    assert!(
        one_error_line(&stderr).contains("--no-such-flag"),
        "{stderr}"
    );
    let (code, _, stderr) = env.run(&[]);
    assert_eq!(code, 2, "{stderr}");
    one_error_line(&stderr);
    let (code, stdout, _) = env.run(&["--version"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("scitoken "), "{stdout}");
    for command in [
        "keygen", "jwks", "mint", "inspect", "verify", "acls", "test", "keys", "demo",
    ] {
        let (code, stdout, _) = env.run(&[command, "--help"]);
        assert_eq!(code, 0, "{command}");
        assert!(stdout.contains("Usage: scitoken"), "{command}: {stdout}");
        assert!(
            stdout.contains("Example"),
            "{command} --help has examples: {stdout}"
        );
    }
    let (_, stdout, _) = env.run(&["mint", "--help"]);
    assert!(stdout.contains("Examples:"), "{stdout}");
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef scitoken"),
        ("fish", "complete -c scitoken"),
    ] {
        let (code, stdout, _) = env.run(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(stdout.contains(marker), "{shell}");
        assert!(stdout.contains("keygen"), "{shell}");
    }
    let (code, stdout, _) = env.run(&["man"]);
    assert_eq!(code, 0);
    assert!(stdout.contains(".TH scitoken"), "{stdout}");
    assert!(stdout.contains("inspect"), "{stdout}");
}

/// A reader that went away (`scitoken ... | head -c0`) ends the command quietly: exit 0,
/// nothing on stderr, no panic. The pipe's read end is closed before the command starts, so
/// its first write fails with EPIPE whatever the timing.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let token = env.mint("es", &["--aud", AUD, "--scope", "read:/"]);
    let verify = ["verify", "--jwks", "es.jwks", "--aud", AUD, token.as_str()];
    let inspect = ["inspect", token.as_str()];
    for args in [&["completions", "bash"][..], &inspect[..], &verify[..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        // A plain `std` command: assert_cmd's captures stdout.
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("scitoken"))
            .current_dir(env.path(""))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let token = env.mint("es", &["--aud", AUD, "--scope", "read:/"]);
    let args = ["verify", "--jwks", "es.jwks", "--aud", AUD, token.as_str()];
    let out = env.cmd().args(args).output().unwrap();
    assert!(!out.stdout.contains(&0x1b), "not a terminal: no colour");
    let out = env
        .cmd()
        .args(args)
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(out.stdout.contains(&0x1b), "forced colour");
    let out = env
        .cmd()
        .args(args)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&0x1b), "NO_COLOR wins");
    assert!(out.status.success());
}

#[test]
fn library_logs_show_on_stderr() {
    let env = Env::new();
    std::fs::write(env.path("garbage.db"), vec![0x42; 4096]).unwrap();
    let (code, _, stderr) = env.run(&["keys", "list", "--cache", "garbage.db"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("scitoken: warn scitokens_keycache"),
        "{stderr}"
    );
    let (_, _, quiet) = env.run(&["keys", "list", "--cache", "garbage.db"]);
    assert!(
        quiet.is_empty(),
        "the file was replaced; nothing to warn about: {quiet}"
    );
    let out = env
        .cmd()
        .args(["keys", "list", "--cache", "garbage.db"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(out.stderr.is_empty());
}

#[test]
fn demo_runs_the_round_trip() {
    let env = Env::new();
    let (code, stdout, stderr) = env.run(&["demo"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for step in [
        "1. An issuer",
        "4. Verify it",
        "5. List its ACLs",
        "6. Test requests",
        "7. Restart",
    ] {
        assert!(stdout.contains(step), "{step}: {stdout}");
    }
    let (code, doc) = env.json(&["demo"]);
    assert_eq!(code, 0);
    assert_eq!(doc["valid"], true);
    assert_eq!(
        doc["acls"],
        serde_json::json!(["read:/data", "write:/data/out"])
    );
    assert_eq!(doc["restart_fetches"], 0);
    assert_eq!(doc["requests"].as_array().unwrap().len(), 6);
    assert!(
        !env.path("cache").exists(),
        "the demo leaves the user's key cache alone"
    );
}

/// Characters that must never reach a terminal from a token (docs/semantics.md §9).
fn has_unsafe(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    })
}

#[test]
fn untrusted_strings_cannot_forge_lines_or_reach_the_terminal() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let forged_sub = "alice\n  scopes    write:/\u{1b}]0;owned\u{7}\u{1b}[2J";
    let forged_aud = format!("{AUD}\u{202e}\u{2028}\u{9b}x\u{7f}");
    let token = env.mint(
        "es",
        &[
            "--aud",
            &forged_aud,
            "--aud",
            AUD,
            "--sub",
            forged_sub,
            "--scope",
            "read:/data",
            "--claim",
            "note=\u{2066}evil\r",
        ],
    );
    let (code, stdout, stderr) = env.run(&["verify", "--jwks", "es.jwks", "--aud", AUD, &token]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!has_unsafe(&stdout), "{stdout:?}");
    let scope_lines = stdout.lines().filter(|l| l.starts_with("  scopes")).count();
    assert_eq!(scope_lines, 1, "no forged line: {stdout}");
    assert!(
        stdout.contains("alice\\u{a}  scopes    write:/\\u{1b}]0;owned\\u{7}"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\\u{202e}\\u{2028}\\u{9b}x\\u{7f}"),
        "{stdout}"
    );
    // inspect shows every claim, each line escaped on its own.
    let (code, stdout, _) = env.run(&["inspect", &token]);
    assert_eq!(code, 0);
    assert!(!has_unsafe(&stdout), "{stdout:?}");
    assert!(stdout.contains("\\u{2066}evil"), "{stdout}");
    // Error messages on stderr too: a refused audience echoes the token's values.
    let (code, _, stderr) = env.run(&[
        "verify",
        "--jwks",
        "es.jwks",
        "--aud",
        "https://other",
        &token,
    ]);
    assert_eq!(code, 1);
    assert!(!has_unsafe(stderr.trim_end()), "{stderr:?}");
    one_error_line(&stderr);
    // JSON output keeps the values exactly (JSON escapes what it must).
    let (_, doc) = env.json(&["verify", "--jwks", "es.jwks", "--aud", AUD, &token]);
    assert_eq!(doc["subject"], forged_sub);
}

#[test]
fn a_key_set_with_no_usable_key_makes_the_token_invalid_and_says_why() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let token = env.mint("es", &["--aud", AUD, "--scope", "read:/"]);
    std::fs::write(
        env.path("useless.jwks"),
        r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}, {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}]}"#,
    )
    .unwrap();
    let (code, _, stderr) = env.run(&["verify", "--jwks", "useless.jwks", "--aud", AUD, &token]);
    assert_eq!(code, 1, "{stderr}");
    let line = one_error_line(&stderr);
    assert!(line.contains("no usable ES256 or RS256 key"), "{line}");
    assert!(line.contains("key 0 (kid \"hmac\"): "), "{line}");
    assert!(line.contains("oct"), "{line}");
    assert!(line.contains("key 1: ") && line.contains("P-384"), "{line}");
    assert!(!line.contains("null"), "{line}");
    let (code, doc) = env.json(&["verify", "--jwks", "useless.jwks", "--aud", AUD, &token]);
    assert_eq!((code, doc["valid"].as_bool()), (1, Some(false)));
    assert_eq!(doc["error"]["kind"], "invalid_key_set");
}

#[test]
fn with_an_audience_a_token_without_aud_is_invalid_in_every_profile() {
    let env = Env::new();
    env.keygen("es", "ES256");
    let mut verified = Vec::new();
    for profile in ["scitokens1", "scitokens2", "wlcg", "atjwt"] {
        let scope = if profile == "wlcg" {
            "storage.read:/"
        } else {
            "read:/"
        };
        let (code, stdout, stderr) = env.run(&[
            "mint",
            "--key",
            "es.pem",
            "--issuer",
            ISS,
            "--profile",
            profile,
            "--scope",
            scope,
        ]);
        if code != 0 {
            // Minting refuses a token without aud in profiles that require one.
            assert!(
                one_error_line(&stderr).contains("aud"),
                "{profile}: {stderr}"
            );
            continue;
        }
        let token = stdout.trim();
        let (code, doc) = env.json(&["verify", "--jwks", "es.jwks", "--aud", AUD, token]);
        assert_eq!(code, 1, "{profile}: {doc}");
        assert_eq!(doc["error"]["kind"], "missing_claim", "{profile}");
        assert!(doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"aud\""));
        verified.push(profile);
    }
    assert!(verified.contains(&"scitokens1"), "{verified:?}");
    // Without --aud, a SciTokens 1.0 token without aud is accepted (semantics.md §5).
    let token = env.mint("es", &["--profile", "scitokens1", "--scope", "read:/"]);
    let (code, _, stderr) = env.run(&["verify", "--jwks", "es.jwks", &token]);
    assert_eq!(code, 0, "{stderr}");
}
