//! The verified-token cache inside `authorize`: a repeated token costs a hash and a lookup.
//!
//! Keyed by SHA-256 of the token string (a collision would hand one token's grants to another,
//! so the hash must be collision-resistant). Bounded: 16 LRU shards, so threads rarely contend.
//! Each hit re-checks `exp` against now; an entry is dropped once it is older than `max_age_s`
//! (the key cache's refresh interval), so a key the issuer withdrew stops validating its tokens
//! as soon as the key cache would notice. Only tokens that verified and validated are cached.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::grants::Grants;

const SHARDS: usize = 16;

struct Entry {
    grants: Arc<Grants>,
    cached_at: i64,
}

pub(crate) struct TokenCache {
    shards: Vec<Mutex<LruCache<[u8; 32], Entry>>>,
    max_age_s: i64,
}

impl TokenCache {
    /// `None` when `capacity` is 0 (caching disabled).
    pub(crate) fn new(capacity: usize, max_age_s: i64) -> Option<Self> {
        let per_shard = NonZeroUsize::new(capacity.div_ceil(SHARDS))?;
        Some(TokenCache {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
            max_age_s,
        })
    }

    pub(crate) fn key(token: &str) -> [u8; 32] {
        scitokens_format::sha256(&[token.as_bytes()])
    }

    fn shard(&self, key: &[u8; 32]) -> &Mutex<LruCache<[u8; 32], Entry>> {
        &self.shards[usize::from(key[0]) % SHARDS]
    }

    /// The cached grants, if present and younger than `max_age_s`. The caller re-checks `exp`.
    pub(crate) fn get(&self, key: &[u8; 32], now: i64) -> Option<Arc<Grants>> {
        let mut shard = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        match shard.get(key) {
            Some(entry) if now - entry.cached_at < self.max_age_s && now >= entry.cached_at => {
                Some(Arc::clone(&entry.grants))
            }
            Some(_) => {
                shard.pop(key);
                None
            }
            None => None,
        }
    }

    pub(crate) fn put(&self, key: [u8; 32], grants: Arc<Grants>, now: i64) {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|p| p.into_inner());
        shard.put(
            key,
            Entry {
                grants,
                cached_at: now,
            },
        );
    }
}
