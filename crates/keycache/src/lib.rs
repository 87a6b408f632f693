//! Issuer keys for SciTokens: OIDC discovery over HTTPS, a SQLite cache shared with other
//! processes and with scitokens-cpp, and an in-memory hot path.
//!
//! Goals:
//! - `iss` + `kid` → parsed verifying key in well under a microsecond once known
//!   ([`KeyCache`] behind the [`KeySource`] trait), with no SQLite, lock across I/O or network;
//! - survive the issuer being down: stale keys keep serving until they expire, failures are
//!   remembered and reported with their age;
//! - one cache file shared safely by many processes, in scitokens-cpp's format.
//!
//! Non-goals: deciding which issuers to trust (the caller's allow-list, checked before asking
//! a [`KeySource`]), validating tokens (`scitokens-validate`).
//!
//! ```
//! use scitokens_format::{Algorithm, SigningKey, KeySet};
//! use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig, KeySource};
//!
//! let cache = KeyCache::open(KeyCacheConfig {
//!     location: CacheLocation::InMemory,
//!     ..KeyCacheConfig::default()
//! })?;
//! let key = SigningKey::generate(Algorithm::Es256)?;
//! let jwks = KeySet::new(vec![key.verifying_key().clone()]).to_json()?;
//! cache.set_jwks("https://issuer.example", jwks.as_bytes())?;
//! let keys = cache.keys("https://issuer.example", Some(key.kid()))?;
//! assert_eq!(keys.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cache;
mod config;
mod discovery;
mod error;
mod metrics;
mod refresher;
mod row;
mod store;

pub use cache::{InMemory, IssuerInfo, KeyCache};
pub use config::{
    env, CacheLocation, DangerousKeyCacheConfig, KeyCacheConfig, CACHE_FILE_NAME,
    DEFAULT_ADMIN_TIMEOUT, DEFAULT_EXPIRATION_INTERVAL, DEFAULT_FAILURE_RETRY, DEFAULT_MAX_ISSUERS,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_NEW_ISSUER_FETCHES_PER_MINUTE, DEFAULT_REFRESH_INTERVAL,
    DEFAULT_REFRESH_THRESHOLD, DEFAULT_REQUEST_TIMEOUT, DEFAULT_UNKNOWN_KID_REFRESH,
    DEFAULT_UPDATE_INTERVAL, MAX_ISSUER_LEN,
};
pub use discovery::{http_agent, USER_AGENT};
pub use error::{KeyCacheError, Result, NOT_IN_MEMORY};
pub use metrics::IssuerMetrics;
pub use refresher::{Refresher, REFRESHER_STOP_WAIT};
pub use row::CachedRow;
/// The key-source trait and the static source live in `scitokens-format` (the bottom of the
/// stack); re-exported here for callers that use the cache.
pub use scitokens_format::{KeySource, StaticKeys};
