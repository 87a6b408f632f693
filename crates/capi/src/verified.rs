//! Tokens that deserialized recently, so a repeated token costs a hash and a lookup instead of
//! a signature check (scitokens-cpp has no such cache; XRootD and HTCondor keep their own, but
//! not every consumer does).
//!
//! Keyed by SHA-256 over the token, the allowed-issuer list and the profile (a token accepted
//! under one list must not be accepted under another); bounded and LRU; each hit re-checks
//! `exp` against now, and an entry older than the key cache's update interval is dropped, so a
//! withdrawn key stops validating its tokens when the key cache would notice. The cache is the
//! enforce crate's `TokenCache`, as in `Enforcer`; only the key differs.

use std::sync::{Arc, LazyLock};

use scitokens_enforce::{TokenCache, DEFAULT_TOKEN_CACHE_CAPACITY, DEFAULT_TOKEN_CACHE_MAX_AGE};
use scitokens_format::{Sha256, UnixTime, VerifiedToken};

/// The enforce crate's verified-token cache, with its default size and age limit.
static CACHE: LazyLock<Option<TokenCache<Arc<VerifiedToken>>>> =
    LazyLock::new(|| TokenCache::new(DEFAULT_TOKEN_CACHE_CAPACITY, DEFAULT_TOKEN_CACHE_MAX_AGE));

/// The cache key of a token accepted under `issuers` and `profile`: every part
/// length-prefixed, so no two lists hash the same input. Hashed as it goes: no allocation on
/// the deserialize path.
pub(crate) fn key(token: &str, issuers: Option<&[String]>, profile: u8) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(&(token.len() as u64).to_le_bytes());
    hash.update(token.as_bytes());
    match issuers {
        None => hash.update(b"\x00any"),
        Some(list) => {
            for issuer in list {
                hash.update(&(issuer.len() as u64).to_le_bytes());
                hash.update(issuer.as_bytes());
            }
        }
    }
    hash.update(&[profile]);
    hash.finish()
}

/// The cached token, if present, not expired at `now` and young enough.
pub(crate) fn get(key: &[u8; 32], now: UnixTime) -> Option<Arc<VerifiedToken>> {
    CACHE.as_ref()?.get(key, now)
}

/// Remembers a token that verified and validated at `now`, until its `exp`.
pub(crate) fn put(key: [u8; 32], token: Arc<VerifiedToken>, exp: UnixTime, now: UnixTime) {
    if let Some(cache) = CACHE.as_ref() {
        cache.put(key, token, exp, now);
    }
}
