//! SciTokens enforcement: does this bearer token allow this request?
//!
//! Goals:
//! - an [`Enforcer`] built once from an [`EnforcerConfig`], then immutable and
//!   `Send + Sync`; it reads the clock on every call and keeps nothing from one token to the
//!   next (the two bugs of the incumbents' enforcers);
//! - one front door: [`Enforcer::authorize`] (decode, issuer allow-list before any key
//!   lookup, signature, claims, scopes, request, in one call) and [`Enforcer::grants`] (the
//!   same without the request, to test several or list ACLs); the half-steps exist only
//!   behind [`Enforcer::dangerous`];
//! - errors that say once who is at fault ([`EnforceError::fault`]): the token, the request,
//!   or the server that could not judge it;
//! - keys from any [`scitokens_format::KeySource`]: no dependency on the key cache;
//! - grants tested order-independently; one invalid scope refuses the token; a denial lists
//!   the scopes considered and is not an error;
//! - ACLs in the token's own names, or scitokens-cpp's form for C ABI consumers.
//!
//! Non-goals: finding keys (`scitokens-keycache`), claim rules (`scitokens-validate`, reached
//! through [`EnforcerConfig::claim_rules`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod enforcer;
mod error;
mod grants;
mod http;
mod operation;
mod token_cache;

pub use enforcer::{
    DangerousEnforcer, DangerousEnforcerConfig, Enforcer, EnforcerConfig,
    DEFAULT_TOKEN_CACHE_CAPACITY, DEFAULT_TOKEN_CACHE_MAX_AGE,
};
pub use error::{EnforceError, Result};
pub use grants::{Acl, AclForm, Decision, Denial, Grants};
pub use http::{
    method_needs, token_from_authorization, token_from_query, Existence, MethodNeeds,
    OAUTH_BASIC_PASSWORD,
};
pub use operation::Operation;
pub use token_cache::{Cached, TokenCache};
