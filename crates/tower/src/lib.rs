//! SciTokens for Rust web services: a [tower](https://docs.rs/tower) layer that authorizes
//! every request before the service sees it, and an [axum](https://docs.rs/axum) extractor for
//! what it found.
//!
//! - The token comes from `Authorization` (`Bearer TOKEN`, or `Basic` with the token as user
//!   and `x-oauth-basic` or nothing as password), else the `authz` query parameter.
//! - The path comes from the URI, percent-decoded once, normalized (`..` resolved, never above
//!   the root), relative to an optional base path; the same for `Destination`.
//! - What a request needs follows the WebDAV method table ([`ScitokensLayer::webdav`]), or one
//!   fixed scope for a whole route ([`ScitokensLayer::require`]).
//! - Refusals follow RFC 6750: 401 with `WWW-Authenticate: Bearer` (and
//!   `error="invalid_token"` when a token was given but is bad), 403 with
//!   `error="insufficient_scope"` naming the scope that would allow the request; 400 for a
//!   malformed path, 404 outside the base path, 405 for a method with no operation, 503 when
//!   the issuer's keys cannot be had.
//! - Key fetches never block the async runtime: the grants are computed on the request's
//!   thread when the keys are in memory, on a blocking thread when they must be read or
//!   fetched ([`Authorizer`]).
//!
//! On success the request carries [`Authorized`] (grants, claims, the authorized paths), which
//! handlers take as an extractor.
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{routing::get, Router};
//! use scitokens_enforce::EnforcerConfig;
//! use scitokens_keycache::{KeyCache, KeyCacheConfig};
//! use scitokens_tower::{Authorized, Authorizer, ScitokensLayer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = EnforcerConfig {
//!     issuers: vec!["https://issuer.example".into()],
//!     audiences: vec!["https://storage.example".into()],
//!     ..EnforcerConfig::default()
//! };
//! let authorizer = Arc::new(Authorizer::new(config, KeyCache::open(KeyCacheConfig::default())?)?);
//! let app: Router = Router::new()
//!     .route("/{*path}", get(|auth: Authorized| async move { format!("you may read {}", auth.path()) }))
//!     .layer(ScitokensLayer::webdav(authorizer));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod authorizer;
mod error;
mod extract;
mod layer;
mod request;
pub mod server;

pub use authorizer::Authorizer;
pub use error::{Refusal, REALM};
pub use extract::Authorized;
pub use layer::{ExistenceCheck, ScitokensLayer, ScitokensService};
pub use request::{bearer_token, destination_path, scope_path};
