//! The verified-token cache: a repeated token costs a hash and a lookup instead of a
//! signature check. Used by [`crate::Enforcer`] for its grants and by the C ABI for the tokens
//! `scitoken_deserialize` verified.
//!
//! Keyed by SHA-256 (a collision would hand one token's grants to another, so the hash must be
//! collision-resistant) of whatever decides the answer: the token, and for the C ABI the issuer
//! list and profile too. Bounded: 16 LRU shards, so threads rarely contend. An entry is
//! served only until the token expires, and for at most `max_age` (the key cache's refresh
//! interval), so a key the issuer withdrew stops validating its tokens as soon as the key
//! cache would notice. Only tokens that verified and validated are put in.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::Duration;

use lru::LruCache;
use scitokens_format::UnixTime;

const SHARDS: usize = 16;

struct Entry<V> {
    value: V,
    valid_until: UnixTime,
    cached_at: UnixTime,
}

/// What [`TokenCache::lookup`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cached<V> {
    /// A fresh entry.
    Hit(V),
    /// An entry for a token that is no longer valid: `now` is at or past its `valid_until`.
    /// Refuse the token without checking it again.
    Expired {
        /// The `valid_until` it was put with.
        valid_until: UnixTime,
    },
    /// No usable entry (none, or older than the age limit).
    Miss,
}

/// A bounded, sharded LRU of verified tokens (or what they grant), keyed by a SHA-256.
///
/// ```
/// use scitokens_enforce::{Cached, TokenCache};
/// use scitokens_format::UnixTime;
/// let cache = TokenCache::new(100, std::time::Duration::from_secs(600)).unwrap();
/// let key = TokenCache::<u8>::key(&[b"a.b.c"]);
/// let t = UnixTime::from_secs;
/// cache.put(key, 7u8, t(1_000), t(500));
/// assert_eq!(cache.get(&key, t(600)), Some(7));
/// assert_eq!(cache.get(&key, t(1_000)), None, "expired");
/// assert_eq!(cache.lookup(&key, t(1_000)), Cached::Expired { valid_until: t(1_000) });
/// assert_eq!(cache.lookup(&key, t(1_100)), Cached::Miss, "max_age (600 s) reached: dropped");
/// assert!(TokenCache::<u8>::new(0, std::time::Duration::from_secs(600)).is_none(), "capacity 0: no cache");
/// ```
pub struct TokenCache<V> {
    shards: Vec<Mutex<LruCache<[u8; 32], Entry<V>>>>,
    max_age: Duration,
}

impl<V: Clone> TokenCache<V> {
    /// A cache of about `capacity` entries, each served for at most `max_age` (in whole
    /// seconds); `None` when `capacity` is 0 (caching disabled).
    pub fn new(capacity: usize, max_age: Duration) -> Option<Self> {
        let per_shard = NonZeroUsize::new(capacity.div_ceil(SHARDS))?;
        Some(TokenCache {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
            max_age,
        })
    }

    /// The key for an entry: SHA-256 of `parts`, one after the other. Include everything
    /// the cached answer depends on (length-prefix parts that could run into each other).
    pub fn key(parts: &[&[u8]]) -> [u8; 32] {
        scitokens_format::sha256(parts)
    }

    fn shard(&self, key: &[u8; 32]) -> &Mutex<LruCache<[u8; 32], Entry<V>>> {
        &self.shards[usize::from(key[0]) % SHARDS]
    }

    /// The cached value, if present, `now` is before its `valid_until`, and it is younger than
    /// `max_age`.
    pub fn get(&self, key: &[u8; 32], now: UnixTime) -> Option<V> {
        match self.lookup(key, now) {
            Cached::Hit(value) => Some(value),
            Cached::Expired { .. } | Cached::Miss => None,
        }
    }

    /// Like [`get`](Self::get), telling an expired token apart from a miss, so a repeated
    /// expired token is refused without a key lookup or signature check. An entry older than
    /// `max_age` (or from the future) is dropped.
    pub fn lookup(&self, key: &[u8; 32], now: UnixTime) -> Cached<V> {
        let mut shard = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = shard.get(key) else {
            return Cached::Miss;
        };
        if now < entry.cached_at || now >= entry.cached_at.saturating_add(self.max_age) {
            shard.pop(key);
            return Cached::Miss;
        }
        if now >= entry.valid_until {
            return Cached::Expired {
                valid_until: entry.valid_until,
            };
        }
        Cached::Hit(entry.value.clone())
    }

    /// Remembers `value` (for a token that verified and validated at `now`) until
    /// `valid_until` (its `exp`, plus any leeway).
    pub fn put(&self, key: [u8; 32], value: V, valid_until: UnixTime, now: UnixTime) {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|p| p.into_inner());
        shard.put(
            key,
            Entry {
                value,
                valid_until,
                cached_at: now,
            },
        );
    }
}
