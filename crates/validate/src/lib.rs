//! SciTokens claim validation (semantics.md §2-§5): is this verified token acceptable here?
//!
//! Goals:
//! - a [`Validator`] built once from plain settings, then immutable and `Send + Sync`;
//! - the time passed to every call, never captured at construction;
//! - built-in rules for `iss` (allow-list, checked before any key lookup), `exp`, `nbf`,
//!   `iat` (with the two leeways), `aud` (with each profile's wildcard), `sub`, `jti`,
//!   `ver`/`wlcg.ver` (profile detection and restriction);
//! - callbacks per claim ([`ClaimCheck`]) returning a reason, and critical claims;
//! - SciTokens 1.0 strictness: every claim must be known or have a callback.
//!
//! Non-goals: signatures (`scitokens-format`), scopes and requests (`scitokens-enforce`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
mod error;
mod validator;

pub use check::{ClaimCheck, ClaimRules, Rejection};
pub use error::{Result, ValidationError};
pub use validator::{
    DangerousValidatorBuilder, UnknownClaims, Validator, ValidatorBuilder, DEFAULT_EXP_LEEWAY,
    DEFAULT_FUTURE_SKEW,
};
