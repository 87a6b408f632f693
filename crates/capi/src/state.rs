//! The process-wide state the C API implies: configuration (from `SCITOKEN_CONFIG_*` when
//! first used, then `scitoken_config_set_*`), the key cache it opens, the background
//! refresher, and monitoring counters. scitokens-cpp's API has no handle for these, so they
//! live here, behind one lock, and nowhere else.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lru::LruCache;
use scitokens_format::{Clock, SystemClock, UnixTime};
use scitokens_keycache::{KeyCache, KeyCacheConfig, Refresher};
use serde_json::{json, Map, Value};

use crate::error::Result;

/// Most issuers tracked under `failed_issuer_lookups` (scitokens-cpp's bound).
const MAX_FAILED_ISSUERS: usize = 100;
/// Most issuers with validation counters, and most issuers in the monitoring document:
/// `iss` is read before the signature is checked, so without a bound anyone could grow the
/// map with made-up issuers. The least recently seen issuer makes room.
const MAX_MONITORED_ISSUERS: NonZeroUsize = NonZeroUsize::new(1000).expect("non-zero");
/// Default seconds between monitoring file writes.
const DEFAULT_MONITORING_INTERVAL: Duration = Duration::from_secs(60);

pub(crate) struct Global {
    pub(crate) config: KeyCacheConfig,
    config_error: Option<String>,
    cache: Option<KeyCache>,
    pub(crate) refresher: Option<Refresher>,
    pub(crate) monitoring: Monitoring,
    pub(crate) monitoring_file: Option<PathBuf>,
    pub(crate) monitoring_interval: Duration,
    last_monitoring_write: Option<UnixTime>,
}

#[derive(Default)]
pub(crate) struct IssuerStats {
    successful_validations: u64,
    unsuccessful_validations: u64,
    expired_tokens: u64,
    sync_validations_started: u64,
    async_validations_started: u64,
    sync_total_time_s: f64,
    async_total_time_s: f64,
}

pub(crate) struct Monitoring {
    issuers: LruCache<String, IssuerStats>,
    failed_issuers: BTreeMap<String, (u64, f64)>,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            issuers: LruCache::new(MAX_MONITORED_ISSUERS),
            failed_issuers: BTreeMap::new(),
        }
    }
}

static GLOBAL: LazyLock<Mutex<Global>> = LazyLock::new(|| {
    let (config, config_error) = match KeyCacheConfig::from_env() {
        Ok(config) => (config, None),
        Err(e) => (KeyCacheConfig::default(), Some(e.to_string())),
    };
    Mutex::new(Global {
        config: KeyCacheConfig {
            allow_in_memory: true,
            ..config
        },
        config_error,
        cache: None,
        refresher: None,
        monitoring: Monitoring::default(),
        monitoring_file: std::env::var_os("SCITOKEN_CONFIG_MONITORING_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        monitoring_interval: DEFAULT_MONITORING_INTERVAL,
        last_monitoring_write: None,
    })
});

/// Initialises the global state (reading the environment) if it is not yet.
pub(crate) fn load() {
    LazyLock::force(&GLOBAL);
}

/// The global state, locked. A panic while it was held leaves it consistent enough to go on.
pub(crate) fn global() -> MutexGuard<'static, Global> {
    GLOBAL.lock().unwrap_or_else(|p| p.into_inner())
}

impl Global {
    /// The key cache for the current configuration, opened on first use.
    pub(crate) fn cache(&mut self) -> Result<KeyCache> {
        if let Some(error) = &self.config_error {
            log::warn!("SCITOKEN_CONFIG_*: {error}; using the defaults");
            self.config_error = None;
        }
        if let Some(cache) = &self.cache {
            return Ok(cache.clone());
        }
        let cache = KeyCache::open(effective(&self.config))?;
        self.cache = Some(cache.clone());
        Ok(cache)
    }

    /// A configuration change: the next use opens the cache again with it.
    pub(crate) fn reconfigured(&mut self) {
        self.cache = None;
        if self.refresher.take().is_some() {
            // Restarted on the new cache at the next keycache_set_background_refresh.
            log::info!("configuration changed: background key refresh stopped");
        }
    }
}

/// The configuration the key cache is opened with. C sets one value at a time and
/// scitokens-cpp relates none of them, so an update interval longer than the expiration
/// interval means "refresh when the keys expire" rather than a configuration error.
pub(crate) fn effective(config: &KeyCacheConfig) -> KeyCacheConfig {
    KeyCacheConfig {
        update_interval: config.update_interval.min(config.expiration_interval),
        ..config.clone()
    }
}

/// The key cache, without holding the global lock during the lookup that follows.
pub(crate) fn cache() -> Result<KeyCache> {
    global().cache()
}

/// How a validation went, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Valid,
    Expired,
    Invalid,
    /// No keys could be had for the issuer.
    NoKeys,
}

/// Records one deserialization (`asynchronous` for the *_start API).
pub(crate) fn record(issuer: Option<&str>, started: Instant, asynchronous: bool, outcome: Outcome) {
    let seconds = started.elapsed().as_secs_f64();
    let mut g = global();
    let Some(issuer) = issuer else { return };
    if let Outcome::NoKeys = outcome {
        let known = g.monitoring.failed_issuers.contains_key(issuer);
        if known || g.monitoring.failed_issuers.len() < MAX_FAILED_ISSUERS {
            let entry = g
                .monitoring
                .failed_issuers
                .entry(issuer.to_owned())
                .or_default();
            entry.0 += 1;
            entry.1 += seconds;
        }
    }
    // Look up before inserting: the issuer's name is copied once, not on every token.
    if !g.monitoring.issuers.contains(issuer) {
        g.monitoring
            .issuers
            .put(issuer.to_owned(), IssuerStats::default());
    }
    let Some(stats) = g.monitoring.issuers.get_mut(issuer) else {
        return;
    };
    if asynchronous {
        stats.async_validations_started += 1;
        stats.async_total_time_s += seconds;
    } else {
        stats.sync_validations_started += 1;
        stats.sync_total_time_s += seconds;
    }
    match outcome {
        Outcome::Valid => stats.successful_validations += 1,
        Outcome::Expired => {
            stats.expired_tokens += 1;
            stats.unsuccessful_validations += 1;
        }
        Outcome::Invalid | Outcome::NoKeys => stats.unsuccessful_validations += 1,
    }
    g.write_monitoring_file_if_due();
}

impl Global {
    /// The monitoring document: per-issuer validation counters merged with the key cache's
    /// per-issuer fetch counters, and failed issuer lookups.
    pub(crate) fn monitoring_json(&mut self) -> Value {
        let key_metrics = self
            .cache
            .as_ref()
            .map(KeyCache::metrics)
            .unwrap_or_default();
        let mut issuers = Map::new();
        // Issuers with validations first, then those the key cache alone knows, up to the
        // bound: the document stays small whatever the traffic.
        let mut names: Vec<String> = self
            .monitoring
            .issuers
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        for name in key_metrics.keys() {
            if names.len() >= MAX_MONITORED_ISSUERS.get() {
                break;
            }
            if !self.monitoring.issuers.contains(name) {
                names.push(name.clone());
            }
        }
        names.sort();
        for name in names {
            let s = self.monitoring.issuers.peek(&name);
            let m = key_metrics.get(&name).copied().unwrap_or_default();
            let (sync_s, async_s) =
                s.map_or((0.0, 0.0), |s| (s.sync_total_time_s, s.async_total_time_s));
            issuers.insert(
                name.clone(),
                json!({
                    "successful_validations": s.map_or(0, |s| s.successful_validations),
                    "unsuccessful_validations": s.map_or(0, |s| s.unsuccessful_validations),
                    "expired_tokens": s.map_or(0, |s| s.expired_tokens),
                    "sync_validations_started": s.map_or(0, |s| s.sync_validations_started),
                    "async_validations_started": s.map_or(0, |s| s.async_validations_started),
                    "sync_total_time_s": sync_s,
                    "async_total_time_s": async_s,
                    "total_validation_time_s": sync_s + async_s,
                    "successful_key_lookups": m.fetch_ok,
                    "failed_key_lookups": m.fetch_failed,
                    "background_refreshes": m.background_refreshes,
                    "background_successful_refreshes": m.background_ok,
                    "background_failed_refreshes": m.background_failed,
                    "expired_keys": m.expired_keys,
                    "unknown_kid_refreshes": m.unknown_kid_refreshes,
                    "stale_key_uses": m.stale_used,
                    "negative_cache_hits": m.negative_cache_hits,
                    "loaded_from_file": m.loaded_from_file,
                }),
            );
        }
        let failed: Map<String, Value> = self
            .monitoring
            .failed_issuers
            .iter()
            .map(|(name, (count, time))| {
                (
                    name.clone(),
                    json!({ "count": count, "total_time_s": time }),
                )
            })
            .collect();
        json!({ "issuers": issuers, "failed_issuer_lookups": failed })
    }

    pub(crate) fn reset_monitoring(&mut self) {
        self.monitoring = Monitoring::default();
    }

    /// Writes the monitoring document to `monitoring.file` (atomically: a temporary file
    /// renamed) at most once per `monitoring.file_interval_s`.
    fn write_monitoring_file_if_due(&mut self) {
        let Some(path) = self.monitoring_file.clone() else {
            return;
        };
        let now = SystemClock.now();
        if self
            .last_monitoring_write
            .is_some_and(|at| at <= now && now < at.saturating_add(self.monitoring_interval))
        {
            return;
        }
        self.last_monitoring_write = Some(now);
        let text = self.monitoring_json().to_string();
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            log::warn!("monitoring file {}: {e}", path.display());
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_issuers_do_not_grow_the_counters_without_bound() {
        let started = Instant::now();
        for i in 0..MAX_MONITORED_ISSUERS.get() + 50 {
            let issuer = format!("https://made-up-{i}.example");
            record(Some(&issuer), started, false, Outcome::Invalid);
            record(Some(&issuer), started, false, Outcome::NoKeys);
        }
        record(
            Some("https://made-up-0.example"),
            started,
            true,
            Outcome::Valid,
        );
        let mut g = global();
        assert_eq!(g.monitoring.issuers.len(), MAX_MONITORED_ISSUERS.get());
        assert_eq!(g.monitoring.failed_issuers.len(), MAX_FAILED_ISSUERS);
        // The least recently seen issuers made room; the one seen last is there afresh.
        assert!(g
            .monitoring
            .issuers
            .peek("https://made-up-1.example")
            .is_none());
        let first = g
            .monitoring
            .issuers
            .peek("https://made-up-0.example")
            .expect("seen last");
        assert_eq!(
            (first.unsuccessful_validations, first.successful_validations),
            (0, 1)
        );
        let json = g.monitoring_json().to_string();
        assert!(json.len() < 1 << 20, "{} bytes", json.len());
        g.reset_monitoring();
        assert!(g.monitoring.issuers.is_empty());
    }
}
