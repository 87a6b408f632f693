//! The enforcer's error type: why a token is invalid (a denial is not an error).

use scitokens_format::{Fault, FormatError, Untrusted};
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
            EnforceError::Validation(e) => e.kind(),
            EnforceError::NoScope => "no_scope",
            EnforceError::Http { .. } => "http",
            EnforceError::InvalidOperation { .. } => "invalid_operation",
        }
    }

    /// Who the error is about, decided once here for every front end: the token is invalid
    /// (CLI exit 1, HTTP 401), the request cannot be tested (HTTP 400), or the server could
    /// not judge the token (keys unavailable, configuration: CLI exit 2, HTTP 503).
    ///
    /// ```
    /// use scitokens_enforce::EnforceError;
    /// use scitokens_format::Fault;
    /// assert_eq!(EnforceError::NoScope.fault(), Fault::Token);
    /// ```
    pub fn fault(&self) -> Fault {
        match self {
            EnforceError::Format(e) => e.fault(),
            EnforceError::Validation(e) => e.fault(),
            EnforceError::NoScope => Fault::Token,
            EnforceError::Http { .. } | EnforceError::InvalidOperation { .. } => Fault::Request,
        }
    }
}
