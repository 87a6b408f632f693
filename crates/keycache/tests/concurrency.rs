//! 8 threads and 4 processes hammering one cache file: reads, writes and refreshes.
//! No operation may fail, and every row must decode at the end.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{key_set, TempDir};
use scitokens_format::{Algorithm, SigningKey};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_testkit::https;

const ROUNDS: usize = 60;
const ISSUERS: usize = 5;
const WORKER_FILE: &str = "SCITOKENS_KEYCACHE_WORKER_FILE";
const WORKER_ISSUER: &str = "SCITOKENS_KEYCACHE_WORKER_ISSUER";
const WORKER_CA: &str = "SCITOKENS_KEYCACHE_WORKER_CA";

fn issuer(i: usize) -> String {
    format!("https://issuer{i}.example")
}

/// One worker: its own `KeyCache` on the shared file, so every operation goes to SQLite.
fn work(file: &Path, live_issuer: &str, ca: &Path, id: &str) {
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::File(file.to_owned()),
        tls_ca_file: Some(ca.to_owned()),
        admin_timeout: Duration::from_secs(10),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    let key = SigningKey::generate(Algorithm::Es256).unwrap().with_kid(id);
    let jwks = key_set(&[&key]);
    for round in 0..ROUNDS {
        let name = issuer(round % ISSUERS);
        match round % 4 {
            0 => {
                cache.set_jwks(&name, jwks.as_bytes()).unwrap();
                // What we just wrote, or what another worker wrote since: either is a whole row.
                assert!(cache.keys(&name, None).is_ok());
            }
            1 => {
                if let Some(row) = cache.get(&name).unwrap() {
                    row.unwrap();
                }
            }
            2 => {
                for info in cache.list().unwrap() {
                    info.row.unwrap();
                }
            }
            _ => {
                cache.refresh(live_issuer).unwrap();
            }
        }
    }
}

/// Entry point of the worker processes; does nothing in a normal test run.
#[test]
fn worker_process_entry() {
    let (Some(file), Some(issuer), Some(ca)) = (
        std::env::var_os(WORKER_FILE),
        std::env::var(WORKER_ISSUER).ok(),
        std::env::var_os(WORKER_CA),
    ) else {
        return;
    };
    work(
        Path::new(&file),
        &issuer,
        Path::new(&ca),
        &format!("p{}", std::process::id()),
    );
}

#[test]
fn threads_and_processes_share_one_file() {
    let server = https::start();
    server.set_jwks(&key_set(
        &[&SigningKey::generate(Algorithm::Rs256).unwrap()],
    ));
    let dir = TempDir::new("concurrency");
    let file: PathBuf = dir.file();
    KeyCache::open(KeyCacheConfig {
        location: CacheLocation::File(file.clone()),
        ..KeyCacheConfig::default()
    })
    .unwrap();

    let exe = std::env::current_exe().unwrap();
    let processes: Vec<_> = (0..4)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "worker_process_entry",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(WORKER_FILE, &file)
                .env(WORKER_ISSUER, server.url())
                .env(WORKER_CA, server.ca_file())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let file = file.clone();
            let url = server.url();
            let ca = server.ca_file().clone();
            std::thread::spawn(move || work(&file, &url, &ca, &format!("t{t}")))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for mut p in processes {
        assert!(p.wait().unwrap().success(), "a worker process failed");
    }

    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::File(file),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    let rows = cache.list().unwrap();
    assert_eq!(rows.len(), ISSUERS + 1, "no row lost");
    for info in rows {
        let row = info.row.unwrap();
        assert!(
            !row.jwks["keys"].as_array().unwrap().is_empty(),
            "{}",
            info.issuer
        );
    }
    assert_eq!(server.hits("/jwks"), 12 * (ROUNDS / 4));
}
