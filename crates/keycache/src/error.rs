//! The key cache's error type.

use std::path::PathBuf;
use std::time::Duration;

use scitokens_format::{Fault, FormatError, Untrusted};
use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = KeyCacheError> = std::result::Result<T, E>;

/// Why keys for an issuer could not be had.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyCacheError {
    /// The issuer is not a URL this cache will fetch from (not https, has a query, ...).
    #[error("issuer {issuer} cannot be fetched from: {reason}")]
    InvalidIssuer {
        /// The issuer, as given.
        issuer: Untrusted,
        /// What is wrong with it.
        reason: String,
    },
    /// The issuer is not on the cache's fetch allow-list; nothing was fetched.
    #[error("issuer {issuer} is not on the key cache's allow-list; its keys are not fetched")]
    IssuerNotAllowed {
        /// The issuer.
        issuer: Untrusted,
    },
    /// The cache is offline ([`crate::KeyCacheConfig::offline`]) and holds no usable keys
    /// for this issuer; nothing was fetched.
    #[error("no usable cached keys for issuer {issuer}, and the key cache is offline")]
    Offline {
        /// The issuer.
        issuer: Untrusted,
    },
    /// One HTTP step of discovery failed.
    #[error("fetching {url}: {reason}")]
    Http {
        /// The URL fetched.
        url: Untrusted,
        /// Transport error, status, size or timeout.
        reason: String,
    },
    /// The discovery metadata is unusable.
    #[error("discovery metadata at {url}: {reason}")]
    Metadata {
        /// The metadata URL.
        url: Untrusted,
        /// What is wrong (no `jwks_uri`, `issuer` differs, http `jwks_uri`, ...).
        reason: String,
    },
    /// The last fetch for an issuer with no usable cached keys failed; it is not retried
    /// before the back-off ends (negative cache).
    #[error(
        "key fetch for {issuer} failed {} s ago: {reason}; next try in {} s (negative cache)",
        .ago.as_secs(),
        .retry_in.as_secs()
    )]
    FetchFailed {
        /// The issuer.
        issuer: Untrusted,
        /// Time since the failure.
        ago: Duration,
        /// Why it failed.
        reason: String,
        /// Time until the next attempt.
        retry_in: Duration,
    },
    /// Too many issuers never seen before asked for keys this minute; nothing was fetched.
    #[error("key fetch for {issuer} refused: over {per_minute} fetches per minute for new issuers; retry later")]
    FetchRateLimited {
        /// The issuer.
        issuer: Untrusted,
        /// The limit in force.
        per_minute: u32,
    },
    /// The issuer's current key set has no key with this `kid`, even after a refresh.
    #[error("kid {kid} not published by {issuer}")]
    UnknownKid {
        /// The key identifier from the token.
        kid: Untrusted,
        /// The issuer.
        issuer: Untrusted,
    },
    /// A row of the cache file is not a key set scitokens-cpp or we wrote; it is treated as
    /// absent and replaced by the next fetch.
    #[error("unusable key cache row: {reason}")]
    UnusableRow {
        /// What is wrong with it.
        reason: String,
    },
    /// The SQLite cache file could not be opened, read or written.
    #[error("key cache {}: {reason}", path.display())]
    Storage {
        /// The cache file (`:memory:` for an in-memory cache).
        path: PathBuf,
        /// The SQLite or file-system error.
        reason: String,
    },
    /// A configuration value is invalid.
    #[error("configuration {name}={value}: {reason}")]
    Config {
        /// The setting or environment variable.
        name: String,
        /// The value given.
        value: Untrusted,
        /// Why it is refused.
        reason: String,
    },
    /// Asked through [`crate::InMemory`]: the keys are not in memory (or lack the `kid`), and
    /// getting them would read the file or the network. The caller retries where it may block.
    #[error("the keys of issuer {issuer} are not in memory")]
    NotInMemory {
        /// The issuer.
        issuer: Untrusted,
    },
    /// A key set or key could not be parsed.
    #[error(transparent)]
    Format(#[from] FormatError),
}

impl KeyCacheError {
    /// A stable, short name for the error, for tests, logs and the C ABI.
    ///
    /// ```
    /// use scitokens_keycache::KeyCacheError;
    /// use scitokens_format::Untrusted;
    /// let err = KeyCacheError::Offline { issuer: Untrusted::new("https://x") };
    /// assert_eq!(err.kind(), "offline");
    /// assert_eq!(
    ///     err.to_string(),
    ///     "no usable cached keys for issuer \"https://x\", and the key cache is offline"
    /// );
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            KeyCacheError::InvalidIssuer { .. } => "invalid_issuer",
            KeyCacheError::IssuerNotAllowed { .. } => "issuer_not_allowed",
            KeyCacheError::Offline { .. } => "offline",
            KeyCacheError::Http { .. } => "http",
            KeyCacheError::Metadata { .. } => "metadata",
            KeyCacheError::FetchFailed { .. } => "fetch_failed",
            KeyCacheError::FetchRateLimited { .. } => "fetch_rate_limited",
            KeyCacheError::UnknownKid { .. } => "unknown_kid",
            KeyCacheError::UnusableRow { .. } => "unusable_row",
            KeyCacheError::Storage { .. } => "storage",
            KeyCacheError::Config { .. } => "config",
            KeyCacheError::NotInMemory { .. } => NOT_IN_MEMORY,
            KeyCacheError::Format(inner) => inner.kind(),
        }
    }

    /// Who the error is about: an issuer the cache will not fetch from, or a `kid` it does
    /// not publish, is the token's; anything else is the cache's (it could not answer).
    ///
    /// ```
    /// use scitokens_format::{Fault, Untrusted};
    /// use scitokens_keycache::KeyCacheError;
    /// let offline = KeyCacheError::Offline { issuer: Untrusted::new("https://x") };
    /// assert_eq!(offline.fault(), Fault::Server);
    /// ```
    pub fn fault(&self) -> Fault {
        match self {
            KeyCacheError::InvalidIssuer { .. }
            | KeyCacheError::IssuerNotAllowed { .. }
            | KeyCacheError::UnknownKid { .. } => Fault::Token,
            KeyCacheError::Format(inner) => inner.fault(),
            KeyCacheError::Offline { .. }
            | KeyCacheError::Http { .. }
            | KeyCacheError::Metadata { .. }
            | KeyCacheError::FetchFailed { .. }
            | KeyCacheError::FetchRateLimited { .. }
            | KeyCacheError::UnusableRow { .. }
            | KeyCacheError::Storage { .. }
            | KeyCacheError::Config { .. }
            | KeyCacheError::NotInMemory { .. } => Fault::Server,
        }
    }

    pub(crate) fn storage(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        KeyCacheError::Storage {
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// The [`KeyCacheError::kind`] of [`KeyCacheError::NotInMemory`]: what an async server checks
/// to retry a request on a blocking thread.
pub const NOT_IN_MEMORY: &str = "not_in_memory";
