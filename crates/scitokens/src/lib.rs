//! SciTokens for Rust: one dependency for the whole toolkit.
//!
//! This crate only re-exports; each part lives in its own crate:
//! - [`format`](mod@format) (`scitokens-format`): keys, key sets, compact JWS decoding and verification,
//!   claims, profiles, minting, scopes and paths;
//! - [`keycache`] (`scitokens-keycache`): issuer keys from OIDC discovery, cached in SQLite
//!   (shared with scitokens-cpp) and served from memory;
//! - [`validate`] (`scitokens-validate`): claim validation with an injected time and callbacks;
//! - [`enforce`] (`scitokens-enforce`): the enforcer, "does this token allow this request?".
//!
//! ```
//! use scitokens::format::{Algorithm, KeySet, Profile, SigningKey, TokenBuilder, UnverifiedToken};
//!
//! let key = SigningKey::generate(Algorithm::Es256)?;
//! let token = TokenBuilder::new(Profile::SciTokens2, "https://issuer.example")
//!     .scope("read:/store")
//!     .audience("https://storage.example")
//!     .sign(&key, 1_700_000_000)?;
//! let keys = KeySet::new(vec![key.verifying_key().clone()]);
//! let verified = UnverifiedToken::parse(&token)?.verify(&keys)?;
//! assert_eq!(verified.claims().iss().require("iss")?, "https://issuer.example");
//! # Ok::<(), scitokens::format::FormatError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use scitokens_enforce as enforce;
pub use scitokens_format as format;
pub use scitokens_keycache as keycache;
pub use scitokens_validate as validate;
