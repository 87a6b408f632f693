//! Per-issuer counters, readable as JSON.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

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

    pub(crate) fn to_json(&self) -> Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        json!({
            "fetch_ok": get(&self.fetch_ok),
            "fetch_failed": get(&self.fetch_failed),
            "stale_used": get(&self.stale_used),
            "negative_cache_hits": get(&self.negative_hits),
            "background_refreshes": get(&self.background_refreshes),
            "background_ok": get(&self.background_ok),
            "background_failed": get(&self.background_failed),
            "expired_keys": get(&self.expired_keys),
            "unknown_kid_refreshes": get(&self.unknown_kid_refreshes),
            "loaded_from_file": get(&self.loaded_from_file),
        })
    }
}
