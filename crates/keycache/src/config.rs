//! Configuration: a plain struct with documented defaults, and scitokens-cpp's environment
//! variables.

use std::path::PathBuf;
use std::time::Duration;

use scitokens_format::Untrusted;

use crate::error::{KeyCacheError, Result};

/// Time after a fetch before keys are refreshed (scitokens-cpp's default, 600 s).
pub const DEFAULT_UPDATE_INTERVAL: Duration = Duration::from_secs(600);
/// Seconds after a fetch before keys may no longer be used (scitokens-cpp's default: 4 days).
pub const DEFAULT_EXPIRATION_INTERVAL: Duration = Duration::from_secs(4 * 24 * 3600);
/// Back-off after a failed fetch, and how long a failure is remembered (negative cache).
pub const DEFAULT_FAILURE_RETRY: Duration = Duration::from_secs(60);
/// Minimum seconds between two refreshes forced by an unknown `kid`, per issuer.
pub const DEFAULT_UNKNOWN_KID_REFRESH: Duration = Duration::from_secs(60);
/// Background refresher period (scitokens-cpp's `keycache.refresh_interval_ms` default).
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// The background refresher refreshes entries due within this many milliseconds.
pub const DEFAULT_REFRESH_THRESHOLD: Duration = Duration::from_secs(600);
/// Timeout of one HTTP request made while serving a token.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(4);
/// Timeout of one HTTP request made by an administrative or background refresh.
pub const DEFAULT_ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest discovery or JWKS response read.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1 << 20;
/// Issuers the cache keeps state for in memory (keys, counters, failures), least recently
/// used first out: a flood of made-up issuers cannot grow memory without bound.
pub const DEFAULT_MAX_ISSUERS: usize = 1_000;
/// Fetches for issuers the cache has never seen, at most, per minute (the rest are refused
/// without touching the network until the minute ends).
pub const DEFAULT_NEW_ISSUER_FETCHES_PER_MINUTE: u32 = 60;
/// Longest issuer the cache will look up, in bytes; longer ones are refused before any state
/// is created (real issuer URLs are well under 200 bytes).
pub const MAX_ISSUER_LEN: usize = 1_024;
/// The cache file's name inside `CACHE_HOME/scitokens/`, shared with scitokens-cpp.
pub const CACHE_FILE_NAME: &str = "scitokens_cpp.sqllite";

/// Where the SQLite cache lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CacheLocation {
    /// `CACHE_HOME/scitokens/scitokens_cpp.sqllite`, where `CACHE_HOME` is
    /// `$XDG_CACHE_HOME`, else the effective user's home directory's `.cache`.
    #[default]
    Default,
    /// This directory used as `CACHE_HOME` (scitokens-cpp's `keycache.cache_home`).
    CacheHome(PathBuf),
    /// Exactly this file.
    File(PathBuf),
    /// No file: an in-memory SQLite database, private to this cache value.
    InMemory,
}

/// The settings of a [`KeyCacheConfig`] that weaken it; all off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DangerousKeyCacheConfig {
    /// Allow `http://` issuers and `jwks_uri`s on loopback addresses (127.0.0.0/8, `[::1]`,
    /// `localhost`). For tests only; never set it in production.
    pub allow_http_loopback: bool,
}

/// Key cache settings. `KeyCacheConfig::default()` is scitokens-cpp's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCacheConfig {
    /// Seconds after a fetch before keys are refreshed (`next_update`).
    pub update_interval: Duration,
    /// Seconds after a fetch before keys expire (`expires`).
    pub expiration_interval: Duration,
    /// Back-off after a failed fetch; also how long a failure for an issuer without usable
    /// keys is remembered and reported instead of fetching again.
    pub failure_retry: Duration,
    /// Minimum seconds between refreshes forced by an unknown `kid`, per issuer.
    pub unknown_kid_refresh: Duration,
    /// Background refresher period, milliseconds.
    pub refresh_interval: Duration,
    /// The background refresher refreshes entries whose `next_update` is within this many
    /// milliseconds.
    pub refresh_threshold: Duration,
    /// Where the cache file is.
    pub location: CacheLocation,
    /// Fall back to an in-memory cache (with a warning) when the location cannot be used.
    pub allow_in_memory: bool,
    /// PEM file of CA certificates that replaces the built-in web PKI roots.
    pub tls_ca_file: Option<PathBuf>,
    /// Timeout of one HTTP request while serving a token.
    pub request_timeout: Duration,
    /// Timeout of one HTTP request in an administrative or background refresh.
    pub admin_timeout: Duration,
    /// Largest response body read.
    pub max_response_bytes: u64,
    /// Issuers this cache may fetch keys for; `None` allows any issuer the caller asks about.
    /// Callers check their own allow-list before asking (the enforcer does); this is the
    /// same rule enforced a second time, at the only place that touches the network.
    pub fetch_allow_list: Option<Vec<String>>,
    /// Settings that weaken the cache's checks, kept apart so that setting one is a visible
    /// choice.
    pub dangerous: DangerousKeyCacheConfig,
    /// Issuers kept in memory (keys, counters, failure state), least recently used out.
    pub max_issuers: usize,
    /// Fetches per minute for issuers the cache has never seen (no cached keys, no earlier
    /// attempt); past it, [`KeyCacheError::FetchRateLimited`] without touching the network.
    pub new_issuer_fetches_per_minute: u32,
    /// Never touch the network: keys come from memory and the cache file only (stale keys are
    /// still used until they expire, without a refresh); anything else is
    /// [`KeyCacheError::Offline`]. `scitoken verify --offline` sets it.
    pub offline: bool,
}

impl Default for KeyCacheConfig {
    fn default() -> Self {
        KeyCacheConfig {
            update_interval: DEFAULT_UPDATE_INTERVAL,
            expiration_interval: DEFAULT_EXPIRATION_INTERVAL,
            failure_retry: DEFAULT_FAILURE_RETRY,
            unknown_kid_refresh: DEFAULT_UNKNOWN_KID_REFRESH,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            refresh_threshold: DEFAULT_REFRESH_THRESHOLD,
            location: CacheLocation::Default,
            allow_in_memory: false,
            tls_ca_file: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            admin_timeout: DEFAULT_ADMIN_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            fetch_allow_list: None,
            dangerous: DangerousKeyCacheConfig::default(),
            max_issuers: DEFAULT_MAX_ISSUERS,
            new_issuer_fetches_per_minute: DEFAULT_NEW_ISSUER_FETCHES_PER_MINUTE,
            offline: false,
        }
    }
}

/// Environment variables read by [`KeyCacheConfig::from_env`] (scitokens-cpp's names).
pub mod env {
    /// `keycache.update_interval_s`.
    pub const UPDATE_INTERVAL_S: &str = "SCITOKEN_CONFIG_KEYCACHE_UPDATE_INTERVAL_S";
    /// `keycache.expiration_interval_s`.
    pub const EXPIRATION_INTERVAL_S: &str = "SCITOKEN_CONFIG_KEYCACHE_EXPIRATION_INTERVAL_S";
    /// `keycache.cache_home`.
    pub const CACHE_HOME: &str = "SCITOKEN_CONFIG_KEYCACHE_CACHE_HOME";
    /// `keycache.refresh_interval_ms`.
    pub const REFRESH_INTERVAL_MS: &str = "SCITOKEN_CONFIG_KEYCACHE_REFRESH_INTERVAL_MS";
    /// `keycache.refresh_threshold_ms`.
    pub const REFRESH_THRESHOLD_MS: &str = "SCITOKEN_CONFIG_KEYCACHE_REFRESH_THRESHOLD_MS";
    /// `keycache.allow_in_memory` (`0`/`1`, `true`/`false`).
    pub const ALLOW_IN_MEMORY: &str = "SCITOKEN_CONFIG_KEYCACHE_ALLOW_IN_MEMORY";
    /// `tls.ca_file`.
    pub const TLS_CA_FILE: &str = "SCITOKEN_CONFIG_TLS_CA_FILE";
}

impl KeyCacheConfig {
    /// The defaults, overridden by the `SCITOKEN_CONFIG_*` environment variables that are set.
    /// A variable that is set to an invalid value is an error, not ignored.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// ```
    /// use scitokens_keycache::{CacheLocation, KeyCacheConfig};
    /// let config = KeyCacheConfig::from_lookup(|name| match name {
    ///     "SCITOKEN_CONFIG_KEYCACHE_UPDATE_INTERVAL_S" => Some("30".into()),
    ///     "SCITOKEN_CONFIG_KEYCACHE_CACHE_HOME" => Some("/var/cache/xrootd".into()),
    ///     _ => None,
    /// }).unwrap();
    /// assert_eq!(config.update_interval, std::time::Duration::from_secs(30));
    /// assert_eq!(config.location, CacheLocation::CacheHome("/var/cache/xrootd".into()));
    ///
    /// let err = KeyCacheConfig::from_lookup(|name| {
    ///     (name == "SCITOKEN_CONFIG_KEYCACHE_UPDATE_INTERVAL_S").then(|| "ten".into())
    /// }).unwrap_err();
    /// assert_eq!(err.kind(), "config");
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut config = KeyCacheConfig::default();
        if let Some(v) = lookup(env::UPDATE_INTERVAL_S) {
            config.update_interval = seconds(env::UPDATE_INTERVAL_S, &v)?;
        }
        if let Some(v) = lookup(env::EXPIRATION_INTERVAL_S) {
            config.expiration_interval = seconds(env::EXPIRATION_INTERVAL_S, &v)?;
        }
        if let Some(v) = lookup(env::REFRESH_INTERVAL_MS) {
            config.refresh_interval = millis(env::REFRESH_INTERVAL_MS, &v)?;
        }
        if let Some(v) = lookup(env::REFRESH_THRESHOLD_MS) {
            config.refresh_threshold = millis(env::REFRESH_THRESHOLD_MS, &v)?;
        }
        if let Some(v) = lookup(env::CACHE_HOME) {
            if v.is_empty() {
                return Err(invalid(env::CACHE_HOME, &v, "is empty"));
            }
            config.location = CacheLocation::CacheHome(PathBuf::from(v));
        }
        if let Some(v) = lookup(env::ALLOW_IN_MEMORY) {
            config.allow_in_memory = match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => return Err(invalid(env::ALLOW_IN_MEMORY, &v, "expected 0 or 1")),
            };
        }
        if let Some(v) = lookup(env::TLS_CA_FILE) {
            if v.is_empty() {
                return Err(invalid(env::TLS_CA_FILE, &v, "is empty"));
            }
            config.tls_ca_file = Some(PathBuf::from(v));
        }
        config.check()?;
        Ok(config)
    }

    /// Checks the settings: the retry back-off and the refresher period not zero, refresh no
    /// later than expiry. Zero update and expiration intervals are meaningful, as in
    /// scitokens-cpp: refresh on every use, or keep no usable keys between uses.
    pub fn check(&self) -> Result<()> {
        let positive = [
            ("failure_retry", self.failure_retry),
            ("refresh_interval", self.refresh_interval),
        ];
        for (name, value) in positive {
            if value.is_zero() {
                return Err(invalid(name, "0", "must be positive"));
            }
        }
        if self.max_issuers == 0 {
            return Err(invalid("max_issuers", "0", "must be positive"));
        }
        if self.update_interval > self.expiration_interval {
            return Err(invalid(
                "update_interval",
                &format!("{:?}", self.update_interval),
                &format!(
                    "is longer than expiration_interval ({:?}): keys would expire before their refresh",
                    self.expiration_interval
                ),
            ));
        }
        Ok(())
    }

    /// The cache file this configuration names, or `None` for an in-memory cache.
    ///
    /// The default is resolved when called: `$XDG_CACHE_HOME`, else the effective user's home
    /// directory (from the password database, else `$HOME`) followed by `.cache`.
    pub fn cache_file(&self) -> Result<Option<PathBuf>> {
        let home = match &self.location {
            CacheLocation::InMemory => return Ok(None),
            CacheLocation::File(file) => return Ok(Some(file.clone())),
            CacheLocation::CacheHome(dir) => dir.clone(),
            CacheLocation::Default => default_cache_home()?,
        };
        Ok(Some(home.join("scitokens").join(CACHE_FILE_NAME)))
    }
}

fn default_cache_home() -> Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg));
    }
    let euid = nix::unistd::geteuid();
    let home = nix::unistd::User::from_uid(euid)
        .ok()
        .flatten()
        .map(|user| user.dir)
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
        .filter(|dir| dir.is_absolute());
    match home {
        Some(home) => Ok(home.join(".cache")),
        None => Err(KeyCacheError::Config {
            name: "cache location".into(),
            value: Untrusted::new(&euid.to_string()),
            reason: "no XDG_CACHE_HOME and no home directory for the effective user".into(),
        }),
    }
}

fn invalid(name: &str, value: &str, reason: &str) -> KeyCacheError {
    KeyCacheError::Config {
        name: name.into(),
        value: Untrusted::new(value),
        reason: reason.into(),
    }
}

/// A number of seconds (0 allowed: see [`KeyCacheConfig::check`]).
fn seconds(name: &str, value: &str) -> Result<Duration> {
    match value.trim().parse::<i64>() {
        Ok(v) => u64::try_from(v)
            .map(Duration::from_secs)
            .map_err(|_| invalid(name, value, "must not be a negative number of seconds")),
        Err(_) => Err(invalid(name, value, "not an integer")),
    }
}

/// A number of milliseconds.
fn millis(name: &str, value: &str) -> Result<Duration> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| invalid(name, value, "not a non-negative integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, value: &'static str) -> Result<KeyCacheConfig> {
        KeyCacheConfig::from_lookup(move |n| (n == name).then(|| value.to_owned()))
    }

    #[test]
    fn every_variable_is_read_and_bad_values_reported() {
        assert_eq!(
            with(env::EXPIRATION_INTERVAL_S, "7200")
                .unwrap()
                .expiration_interval,
            Duration::from_secs(7200)
        );
        assert_eq!(
            with(env::REFRESH_INTERVAL_MS, "1000")
                .unwrap()
                .refresh_interval,
            Duration::from_secs(1)
        );
        assert_eq!(
            with(env::REFRESH_THRESHOLD_MS, "5")
                .unwrap()
                .refresh_threshold,
            Duration::from_millis(5)
        );
        assert!(with(env::ALLOW_IN_MEMORY, "1").unwrap().allow_in_memory);
        assert!(!with(env::ALLOW_IN_MEMORY, "false").unwrap().allow_in_memory);
        assert_eq!(
            with(env::TLS_CA_FILE, "/etc/ca.pem").unwrap().tls_ca_file,
            Some(PathBuf::from("/etc/ca.pem"))
        );
        for (name, value, why) in [
            (env::UPDATE_INTERVAL_S, "-5", "negative"),
            (env::UPDATE_INTERVAL_S, "1e3", "not an integer"),
            (
                env::EXPIRATION_INTERVAL_S,
                "60",
                "expire before their refresh",
            ),
            (env::REFRESH_INTERVAL_MS, "0", "positive"),
            (env::ALLOW_IN_MEMORY, "maybe", "expected 0 or 1"),
            (env::CACHE_HOME, "", "empty"),
            (env::TLS_CA_FILE, "", "empty"),
        ] {
            let err = with(name, value).unwrap_err();
            assert_eq!(err.kind(), "config");
            assert!(err.to_string().contains(why), "{name}={value}: {err}");
        }
    }

    #[test]
    fn file_locations() {
        let home = KeyCacheConfig {
            location: CacheLocation::CacheHome("/var/cache/x".into()),
            ..KeyCacheConfig::default()
        };
        assert_eq!(
            home.cache_file().unwrap(),
            Some(PathBuf::from(
                "/var/cache/x/scitokens/scitokens_cpp.sqllite"
            ))
        );
        let memory = KeyCacheConfig {
            location: CacheLocation::InMemory,
            ..KeyCacheConfig::default()
        };
        assert_eq!(memory.cache_file().unwrap(), None);
        let default = KeyCacheConfig::default().cache_file().unwrap().unwrap();
        assert!(
            default.ends_with("scitokens/scitokens_cpp.sqllite"),
            "{default:?}"
        );
    }
}
