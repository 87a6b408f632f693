//! Per-issuer counters, read as [`IssuerMetrics`].

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// What happened for one issuer since the cache was opened (or since its state was last
/// evicted from memory).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IssuerMetrics {
    /// Fetches that brought usable keys.
    pub fetch_ok: u64,
    /// Fetches that failed.
    pub fetch_failed: u64,
    /// Lookups served with stale keys (a background refresh was started).
    pub stale_used: u64,
    /// Lookups answered from the negative cache, without a fetch.
    pub negative_cache_hits: u64,
    /// Refreshes the background refresher started.
    pub background_refreshes: u64,
    /// Background refreshes that succeeded.
    pub background_ok: u64,
    /// Background refreshes that failed.
    pub background_failed: u64,
    /// Lookups that found the keys in memory expired.
    pub expired_keys: u64,
    /// Refreshes forced by an unknown `kid`.
    pub unknown_kid_refreshes: u64,
    /// Key sets read from the cache file (another process fetched them, or a restart).
    pub loaded_from_file: u64,
}

/// What happened for one issuer since the cache was opened.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) fetch_ok: AtomicU64,
    pub(crate) fetch_failed: AtomicU64,
    pub(crate) stale_used: AtomicU64,
    pub(crate) negative_hits: AtomicU64,
    pub(crate) background_refreshes: AtomicU64,
    pub(crate) background_ok: AtomicU64,
    pub(crate) background_failed: AtomicU64,
    pub(crate) expired_keys: AtomicU64,
    pub(crate) unknown_kid_refreshes: AtomicU64,
    pub(crate) loaded_from_file: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a fetch was ever tried for this issuer (by this state).
    pub(crate) fn attempted(&self) -> bool {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        get(&self.fetch_ok) + get(&self.fetch_failed) > 0
    }

    pub(crate) fn snapshot(&self) -> IssuerMetrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        IssuerMetrics {
            fetch_ok: get(&self.fetch_ok),
            fetch_failed: get(&self.fetch_failed),
            stale_used: get(&self.stale_used),
            negative_cache_hits: get(&self.negative_hits),
            background_refreshes: get(&self.background_refreshes),
            background_ok: get(&self.background_ok),
            background_failed: get(&self.background_failed),
            expired_keys: get(&self.expired_keys),
            unknown_kid_refreshes: get(&self.unknown_kid_refreshes),
            loaded_from_file: get(&self.loaded_from_file),
        }
    }
}
