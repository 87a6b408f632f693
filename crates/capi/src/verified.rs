//! Tokens that deserialized recently, so a repeated token costs a hash and a lookup instead of
//! a signature check (scitokens-cpp has no such cache; XRootD and HTCondor keep their own, but
//! not every consumer does).
//!
//! Keyed by SHA-256 over the token, the allowed-issuer list and the profile (a token accepted
//! under one list must not be accepted under another); bounded and LRU; each hit re-checks
//! `exp` against now, and an entry older than the key cache's update interval is dropped, so a
//! withdrawn key stops validating its tokens when the key cache would notice.

use std::num::NonZeroUsize;
use std::sync::{Arc, LazyLock, Mutex};

use lru::LruCache;
use scitokens_format::VerifiedToken;

/// Entries kept.
const CAPACITY: usize = 10_000;
/// Most seconds an entry is trusted (scitokens-cpp's default key update interval).
const MAX_AGE_S: i64 = 600;

struct Entry {
    token: Arc<VerifiedToken>,
    exp: i64,
    cached_at: i64,
}

static CACHE: LazyLock<Mutex<LruCache<[u8; 32], Entry>>> = LazyLock::new(|| {
    Mutex::new(LruCache::new(
        NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
    ))
});

/// The cache key of a token accepted under `issuers` and `profile`.
pub(crate) fn key(token: &str, issuers: Option<&[String]>, profile: u8) -> [u8; 32] {
    let token_len = (token.len() as u64).to_le_bytes();
    let lens: Vec<[u8; 8]> = issuers
        .unwrap_or_default()
        .iter()
        .map(|issuer| (issuer.len() as u64).to_le_bytes())
        .collect();
    let mut parts: Vec<&[u8]> = vec![&token_len, token.as_bytes()];
    match issuers {
        None => parts.push(b"\x00any"),
        Some(list) => {
            for (issuer, len) in list.iter().zip(&lens) {
                parts.push(len);
                parts.push(issuer.as_bytes());
            }
        }
    }
    let profile = [profile];
    parts.push(&profile);
    scitokens_format::sha256(&parts)
}

/// The cached token, if present, not expired at `now` and young enough.
pub(crate) fn get(key: &[u8; 32], now: i64) -> Option<Arc<VerifiedToken>> {
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let fresh = cache
        .get(key)
        .map(|e| now < e.exp && now - e.cached_at < MAX_AGE_S && now >= e.cached_at)?;
    if !fresh {
        cache.pop(key);
        return None;
    }
    cache.get(key).map(|e| Arc::clone(&e.token))
}

/// Remembers a token that verified and validated at `now`.
pub(crate) fn put(key: [u8; 32], token: Arc<VerifiedToken>, exp: i64, now: i64) {
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache.put(
        key,
        Entry {
            token,
            exp,
            cached_at: now,
        },
    );
}
