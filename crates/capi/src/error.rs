//! The C ABI's error type. Functions return it inside the library; the panic boundary
//! (`ffi::guard`) turns it into the `err_msg` string C callers read, so the classification
//! (for monitoring) is decided on the type, and the text only once, at the edge.

use scitokens_enforce::{Denial, EnforceError};
use scitokens_format::{FormatError, Untrusted};
use scitokens_keycache::KeyCacheError;
use scitokens_validate::ValidationError;
use thiserror::Error;

use crate::state::Outcome;

/// Result alias for this crate.
pub(crate) type Result<T, E = CError> = std::result::Result<T, E>;

/// Why a C ABI call failed.
#[derive(Debug, Error)]
pub(crate) enum CError {
    /// A required pointer argument was NULL.
    #[error("{what} must not be NULL")]
    Null {
        /// The argument's name in `scitokens.h`.
        what: &'static str,
    },
    /// A string argument is not UTF-8.
    #[error("{what} is not valid UTF-8")]
    NotUtf8 {
        /// The argument's name in `scitokens.h`.
        what: &'static str,
    },
    /// The call cannot be done as asked: an unknown configuration key, a claim that is not
    /// set or not of the asked type, a key of the wrong kind, an unknown status object.
    #[error("{0}")]
    Usage(String),
    /// The token's issuer is not one this call may consider (off the caller's allow-list, or
    /// absurdly long); refused before any key work, so it leaves no monitoring trace.
    #[error("{0}")]
    IssuerRefused(String),
    /// The background key refresher's thread could not start.
    #[error("background key refresh could not start: {0}")]
    RefresherStart(#[source] std::io::Error),
    /// A configuration the library builds itself failed (a bug, reported rather than panicking).
    #[error("internal error in libSciTokens: {0}")]
    Internal(String),
    /// The request is not allowed by the token.
    #[error(transparent)]
    Denied(#[from] Denial),
    /// Decoding, signature, key or scope parsing.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The claims are not acceptable.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The key cache could not give keys (or could not be opened or changed).
    #[error(transparent)]
    KeyCache(#[from] KeyCacheError),
    /// The enforcer refused the token or the request.
    #[error(transparent)]
    Enforce(#[from] EnforceError),
}

impl CError {
    /// How a failed deserialization counts in the monitoring document: `None` when the
    /// issuer was refused before any key work (semantics.md §5).
    pub(crate) fn outcome(&self) -> Option<Outcome> {
        match self {
            CError::IssuerRefused(_) => None,
            CError::Validation(ValidationError::Expired { .. }) => Some(Outcome::Expired),
            CError::KeyCache(_) => Some(Outcome::NoKeys),
            CError::Null { .. }
            | CError::NotUtf8 { .. }
            | CError::Usage(_)
            | CError::RefresherStart(_)
            | CError::Internal(_)
            | CError::Denied(_)
            | CError::Format(_)
            | CError::Validation(_)
            | CError::Enforce(_) => Some(Outcome::Invalid),
        }
    }

    /// A usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CError::Usage(message.into())
    }

    /// The issuer refusal scitokens-cpp consumers match on (its phrase is kept).
    pub(crate) fn not_allowed(issuer: &str) -> Self {
        CError::IssuerRefused(format!(
            "token issuer {} is not in list of allowed issuers",
            Untrusted::new(issuer)
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use scitokens_format::UnixTime;

    use super::*;

    #[test]
    fn monitoring_counts_failures_by_variant() {
        let expired = CError::from(ValidationError::Expired {
            exp: UnixTime::from_secs(1),
            now: UnixTime::from_secs(2),
            leeway: Duration::ZERO,
        });
        assert_eq!(expired.outcome(), Some(Outcome::Expired));
        let no_keys = CError::from(KeyCacheError::UnusableRow { reason: "x".into() });
        assert_eq!(no_keys.outcome(), Some(Outcome::NoKeys));
        assert_eq!(CError::not_allowed("https://evil").outcome(), None);
        let bad = CError::from(FormatError::EmptySegment {
            position: 4,
            found: 4,
        });
        assert_eq!(bad.outcome(), Some(Outcome::Invalid));
        assert_eq!(
            CError::not_allowed("https://evil\n").to_string(),
            "token issuer \"https://evil\\n\" is not in list of allowed issuers"
        );
        assert_eq!(
            CError::Null { what: "value" }.to_string(),
            "value must not be NULL"
        );
    }
}
