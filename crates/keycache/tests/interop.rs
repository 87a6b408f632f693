//! One cache file shared with scitokens-cpp (Debian libscitokens0): rows it writes are read
//! here, rows written here are used by its `scitokens-verify`.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{key_set, TempDir};
use scitokens_format::{Clock, Profile, SigningKey, SystemClock, TokenBuilder, UnverifiedToken};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_testkit::{interop_required, read_testdata, testdata, Reference};

/// An issuer nobody listens on: any network fetch would fail.
const ISSUER: &str = "https://127.0.0.1:9/interop";

/// Compiles the C helper against libSciTokens, or `None` (skip) without header or compiler.
fn cpp_store_key_tool(dir: &Path) -> Option<PathBuf> {
    let header = Path::new("/usr/include/scitokens/scitokens.h");
    let exe = dir.join("cpp_store_key");
    let built = header.is_file()
        && Command::new("cc")
            .arg(testdata().join("interop/cpp_store_key.c"))
            .args(["-o"])
            .arg(&exe)
            .arg("-lSciTokens")
            .status()
            .is_ok_and(|s| s.success());
    if !built {
        assert!(
            !interop_required(),
            "cannot build the C helper against libscitokens-dev"
        );
        return None;
    }
    Some(exe)
}

fn cache_at(home: &Path) -> KeyCache {
    KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(home.to_owned()),
        ..KeyCacheConfig::default()
    })
    .unwrap()
}

#[test]
fn rows_written_by_scitokens_cpp_are_read_here() {
    let dir = TempDir::new("cpp-writes");
    let Some(tool) = cpp_store_key_tool(&dir.0) else {
        return;
    };
    let status = Command::new(&tool)
        .args([ISSUER, "cpp-kid"])
        .arg(testdata().join("keys/es256-public.pem"))
        .env("XDG_CACHE_HOME", &dir.0)
        .status()
        .unwrap();
    assert!(status.success());

    let cache = cache_at(&dir.0);
    let row = cache.get(ISSUER).unwrap().unwrap().unwrap();
    assert!(row.next_update > SystemClock.now());
    let keys = cache.keys(ISSUER, Some("cpp-kid")).unwrap();

    let signer = SigningKey::from_pem(&read_testdata("keys/es256-private.pem"))
        .unwrap()
        .with_kid("cpp-kid");
    let token = TokenBuilder::new(Profile::SciTokens2, ISSUER)
        .scope("read:/")
        .audience("https://storage.example")
        .sign(&signer, SystemClock.now())
        .unwrap();
    UnverifiedToken::parse(&token)
        .unwrap()
        .verify(&keys)
        .unwrap();
}

#[test]
fn rows_written_here_are_used_by_scitokens_verify() {
    let Some(cpp) = Reference::cpp() else { return };
    let dir = TempDir::new("rs-writes");
    let signer = SigningKey::from_pem(&read_testdata("keys/es256-private.pem"))
        .unwrap()
        .with_kid("rs-kid");
    cache_at(&dir.0)
        .set_jwks(ISSUER, key_set(&[&signer]).as_bytes())
        .unwrap();
    let token = TokenBuilder::new(Profile::SciTokens2, ISSUER)
        .scope("read:/")
        .audience("https://storage.example")
        .sign(&signer, SystemClock.now())
        .unwrap();
    let out = cpp.run(&["scitokens-verify", &token], &[("XDG_CACHE_HOME", &dir.0)]);
    assert!(
        out.status.success(),
        "scitokens-verify with our cache: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // And it really used the cache: with another key in the row, it refuses the token.
    let other = SigningKey::from_pem(&read_testdata("keys/es256-other-private.pem"))
        .unwrap()
        .with_kid("rs-kid");
    cache_at(&dir.0)
        .set_jwks(ISSUER, key_set(&[&other]).as_bytes())
        .unwrap();
    let out = cpp.run(&["scitokens-verify", &token], &[("XDG_CACHE_HOME", &dir.0)]);
    assert!(!out.status.success());
}
