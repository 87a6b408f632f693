//! Shared set-up for the key-cache tests: a temp directory, a live HTTPS issuer, a cache.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // helpers shared by several test binaries, each using a part

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use scitokens_format::{Algorithm, KeySet, ManualClock, SigningKey};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_testkit::https::{self, LocalIssuer};

/// Noon, 2023-11-14: tests run on a manual clock.
pub const T0: i64 = 1_700_000_000;

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "scitokens-keycache-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn file(&self) -> PathBuf {
        self.0.join("scitokens").join("scitokens_cpp.sqllite")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn key_set(keys: &[&SigningKey]) -> String {
    KeySet::new(keys.iter().map(|k| k.verifying_key().clone()).collect())
        .to_json()
        .unwrap()
}

/// An issuer serving one fresh ES256 key.
pub struct Setup {
    pub server: LocalIssuer,
    pub key: SigningKey,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

impl Setup {
    pub fn new(tag: &str) -> Self {
        let server = https::start();
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        server.set_jwks(&key_set(&[&key]));
        Setup {
            server,
            key,
            clock: Arc::new(ManualClock::new(T0)),
            dir: TempDir::new(tag),
        }
    }

    pub fn config(&self) -> KeyCacheConfig {
        KeyCacheConfig {
            location: CacheLocation::CacheHome(self.dir.0.clone()),
            tls_ca_file: Some(self.server.ca_file().clone()),
            request_timeout: Duration::from_secs(2),
            admin_timeout: Duration::from_secs(2),
            ..KeyCacheConfig::default()
        }
    }

    pub fn cache(&self) -> KeyCache {
        self.cache_with(self.config())
    }

    pub fn cache_with(&self, config: KeyCacheConfig) -> KeyCache {
        KeyCache::open_with_clock(config, self.clock.clone()).unwrap()
    }

    pub fn metadata_hits(&self) -> usize {
        self.server.hits("/.well-known/openid-configuration")
    }

    pub fn jwks_hits(&self) -> usize {
        self.server.hits("/jwks")
    }
}
