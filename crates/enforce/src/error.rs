//! The enforcer's error type: why a token is invalid (a denial is not an error).

use scitokens_format::{FormatError, Untrusted};
use scitokens_keycache::KeyCacheError;
use scitokens_validate::ValidationError;
use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = EnforceError> = std::result::Result<T, E>;

/// Why a token could not be judged: it is invalid, or the request or configuration is.
/// A valid token that does not cover a request is a [`crate::Decision::Denied`], not an error.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EnforceError {
    /// The token does not decode, or a scope or requested path is invalid.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// No key for the token could be had.
    #[error(transparent)]
    Keys(#[from] KeyCacheError),
    /// The claims are not acceptable here.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The token has no `scope` claim (semantics.md §3).
    #[error("no scope claim")]
    NoScope,
    /// An HTTP header, query parameter or method could not be used.
    #[error("{part}: {reason}")]
    Http {
        /// The header, parameter or method at fault.
        part: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The operation name is not one we know or can carry.
    #[error("invalid operation {operation}")]
    InvalidOperation {
        /// The name given.
        operation: Untrusted,
    },
}

impl EnforceError {
    /// A stable, short name for the error (the inner error's kind where there is one).
    pub fn kind(&self) -> &'static str {
        match self {
            EnforceError::Format(e) => e.kind(),
            EnforceError::Keys(e) => e.kind(),
            EnforceError::Validation(e) => e.kind(),
            EnforceError::NoScope => "no_scope",
            EnforceError::Http { .. } => "http",
            EnforceError::InvalidOperation { .. } => "invalid_operation",
        }
    }
}
