//! The validator's error type.

use std::time::Duration;

use scitokens_format::{Fault, FormatError, Profile, UnixTime, Untrusted};
use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = ValidationError> = std::result::Result<T, E>;

/// Why a token's claims are not acceptable, or why a validator cannot be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// `iss` is not on the allow-list.
    #[error("issuer {iss} is not trusted")]
    UntrustedIssuer {
        /// The token's issuer.
        iss: Untrusted,
    },
    /// `exp` has passed.
    #[error("token expired: exp {exp} is before now {now} (leeway {} s)", .leeway.as_secs())]
    Expired {
        /// The token's `exp`.
        exp: UnixTime,
        /// The validation time.
        now: UnixTime,
        /// The configured expiry leeway.
        leeway: Duration,
    },
    /// `nbf` or `iat` is further in the future than the allowed skew.
    #[error(
        "token not valid yet: {claim} {value} is after now {now} (future skew {} s)",
        .skew.as_secs()
    )]
    NotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// Its value.
        value: UnixTime,
        /// The validation time.
        now: UnixTime,
        /// The configured future skew.
        skew: Duration,
    },
    /// No audience of the token is one of ours, and it carries no wildcard of its profile.
    #[error("token audience {found} is not for this service (expected one of {expected})")]
    WrongAudience {
        /// The token's audiences, JSON-escaped and cut.
        found: Untrusted,
        /// The configured audiences and the profile's wildcard.
        expected: String,
    },
    /// The token's profile is not among those accepted.
    #[error("token profile {profile} is not accepted here (accepted: {accepted})")]
    ProfileNotAccepted {
        /// The detected profile.
        profile: Profile,
        /// The accepted profiles.
        accepted: String,
    },
    /// A SciTokens 1.0 token carries a claim no rule or callback accepts (semantics.md §3).
    #[error("claim {claim} is not accepted (SciTokens 1.0 tokens may carry only known claims)")]
    UnknownClaim {
        /// The claim name.
        claim: Untrusted,
    },
    /// A registered callback rejected a claim.
    #[error("claim {claim} rejected: {reason}")]
    Rejected {
        /// The claim name.
        claim: Untrusted,
        /// The callback's reason.
        reason: String,
    },
    /// The validator's configuration is invalid.
    #[error("validator configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// A claim is absent or malformed, or the profile markers are invalid.
    #[error(transparent)]
    Format(#[from] FormatError),
}

impl ValidationError {
    /// A stable, short name for the error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use scitokens_format::UnixTime;
    /// use scitokens_validate::ValidationError;
    /// let err = ValidationError::Expired {
    ///     exp: UnixTime::from_secs(1_700_000_000),
    ///     now: UnixTime::from_secs(1_700_000_100),
    ///     leeway: Duration::ZERO,
    /// };
    /// assert_eq!(err.kind(), "expired");
    /// assert_eq!(
    ///     err.to_string(),
    ///     "token expired: exp 1700000000 is before now 1700000100 (leeway 0 s)"
    /// );
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            ValidationError::UntrustedIssuer { .. } => "untrusted_issuer",
            ValidationError::Expired { .. } => "expired",
            ValidationError::NotYetValid { .. } => "not_yet_valid",
            ValidationError::WrongAudience { .. } => "wrong_audience",
            ValidationError::ProfileNotAccepted { .. } => "profile_not_accepted",
            ValidationError::UnknownClaim { .. } => "unknown_claim",
            ValidationError::Rejected { .. } => "rejected",
            ValidationError::Config { .. } => "config",
            ValidationError::Format(inner) => inner.kind(),
        }
    }

    /// Who the error is about: a configuration error is the server's, the rest the token's.
    pub fn fault(&self) -> Fault {
        match self {
            ValidationError::Config { .. } => Fault::Server,
            ValidationError::Format(inner) => inner.fault(),
            ValidationError::UntrustedIssuer { .. }
            | ValidationError::Expired { .. }
            | ValidationError::NotYetValid { .. }
            | ValidationError::WrongAudience { .. }
            | ValidationError::ProfileNotAccepted { .. }
            | ValidationError::UnknownClaim { .. }
            | ValidationError::Rejected { .. } => Fault::Token,
        }
    }
}
