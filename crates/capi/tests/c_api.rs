//! The C API from C: tests/c/api_test.c against our library (also under valgrind), and the
//! same source, restricted to what scitokens-cpp 0.7.3 has and does alike, against Debian's
//! libscitokens0, so the test checks the ABI rather than our reading of it.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;

use common::*;

fn keys() -> String {
    key_dir().display().to_string()
}

#[test]
fn the_whole_api_from_c() {
    let lib = LibDir::new(&our_lib());
    let include = format!("-I{}", include_dir().display());
    let exe = lib.compile(&c_source("api_test.c"), "api_test", &[&include]);
    let stdout = assert_success(&lib.run(&exe, &[&keys()], &[]), "api_test");
    assert!(stdout.contains(" checks, 0 failures"), "{stdout}");
}

/// The library carries its crypto (aws-lc, with prefixed symbols) and needs no system
/// OpenSSL: a host that loads its own (XRootD, see tests/xrootd.rs) gets no second copy and
/// no symbol clash.
#[test]
fn needs_no_system_openssl() {
    let lib = our_lib();
    let ldd = std::process::Command::new("ldd")
        .arg(&lib)
        .output()
        .unwrap();
    assert!(ldd.status.success(), "ldd {}", lib.display());
    let needed = String::from_utf8_lossy(&ldd.stdout);
    assert!(
        needed.contains("libc.so"),
        "ldd output looks wrong:\n{needed}"
    );
    for openssl in ["libssl", "libcrypto"] {
        assert!(
            !needed.contains(openssl),
            "libSciTokens.so loads {openssl}:\n{needed}"
        );
    }
    let nm = std::process::Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .unwrap();
    let exported = String::from_utf8_lossy(&nm.stdout);
    for symbol in [
        "EVP_DigestVerify",
        "ECDSA_do_verify",
        "SSL_new",
        "RSA_verify",
    ] {
        let clash = exported
            .lines()
            .any(|line| line.split_whitespace().last() == Some(symbol));
        assert!(!clash, "libSciTokens.so exports OpenSSL's {symbol}");
    }
}

#[test]
fn no_leak_and_no_invalid_access_under_valgrind() {
    if std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(!scitokens_testkit::interop_required(), "valgrind not found");
        return;
    }
    let lib = LibDir::new(&our_lib());
    let include = format!("-I{}", include_dir().display());
    let exe = lib.compile(&c_source("api_test.c"), "api_test", &[&include]);
    let out = lib.run(
        &exe,
        &[&keys()],
        &[
            "valgrind",
            "-q",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ],
    );
    let stdout = assert_success(&out, "api_test under valgrind");
    assert!(stdout.contains(" checks, 0 failures"), "{stdout}");
}

#[test]
fn the_same_program_against_debian_libscitokens0() {
    let Some(debian) = debian_lib() else { return };
    // Debian's header and library: the reference behaviour.
    let theirs = LibDir::new(&debian);
    let exe = theirs.compile(
        &c_source("api_test.c"),
        "api_test_07",
        &["-DSCITOKENS_CPP_0_7"],
    );
    let stdout = assert_success(
        &theirs.run(&exe, &[&keys()], &[]),
        "api_test against Debian's library",
    );
    assert!(stdout.contains(" checks, 0 failures"), "{stdout}");
    // Built against Debian's header, run on ours: a 0.7.3 consumer works unchanged.
    let ours = LibDir::new(&our_lib());
    let exe = ours.compile(
        &c_source("api_test.c"),
        "api_test_07",
        &["-DSCITOKENS_CPP_0_7"],
    );
    let stdout = assert_success(
        &ours.run(&exe, &[&keys()], &[]),
        "a 0.7.3 consumer on our library",
    );
    assert!(stdout.contains(" checks, 0 failures"), "{stdout}");
}

#[test]
fn loaded_with_dlopen_as_htcondor_does() {
    let lib = LibDir::new(&our_lib());
    let exe = lib.compile(&c_source("dlopen_test.c"), "dlopen_test", &[]);
    let header = std::fs::read_to_string(include_dir().join("scitokens/scitokens.h")).unwrap();
    let names = declared_functions(&header);
    let mut args: Vec<&str> = vec!["libSciTokens.so.0"];
    args.extend(names.iter().map(String::as_str));
    let stdout = assert_success(&lib.run(&exe, &args, &[]), "dlopen_test");
    assert!(
        stdout.contains(&format!("{} symbols resolved", names.len())),
        "{stdout}"
    );
}

#[test]
fn configuration_comes_from_the_environment_when_the_library_loads() {
    let lib = LibDir::new(&our_lib());
    let exe = lib.compile(&c_source("dlopen_test.c"), "dlopen_test", &[]);
    let out = lib.run_with(
        &exe,
        &["libSciTokens.so.0", "scitoken_config_get_int"],
        &[],
        &[
            ("SCITOKEN_CONFIG_KEYCACHE_UPDATE_INTERVAL_S", "42"),
            ("EXPECT_UPDATE_INTERVAL", "42"),
        ],
    );
    assert_success(
        &out,
        "dlopen_test with SCITOKEN_CONFIG_KEYCACHE_UPDATE_INTERVAL_S=42",
    );
}

#[test]
fn scitokens_cpp_behaviours_and_bounds_from_c() {
    let lib = LibDir::new(&our_lib());
    let include = format!("-I{}", include_dir().display());
    let exe = lib.compile(&c_source("fidelity_test.c"), "fidelity_test", &[&include]);
    let stdout = assert_success(&lib.run(&exe, &[&keys()], &[]), "fidelity_test");
    assert!(stdout.contains(" checks, 0 failures"), "{stdout}");
    // Key id "none" serializes a header without `kid`.
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("NOKID "))
        .expect("the NOKID line");
    let parsed = scitokens_format::UnverifiedToken::parse(token).unwrap();
    assert_eq!(parsed.header().kid(), None, "{token}");
}
