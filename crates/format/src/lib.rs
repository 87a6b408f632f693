//! The SciTokens wire format: keys, JWK sets, claims, compact JWS, minting, scopes and paths.
//!
//! This crate reads, writes, signs and verifies tokens. It does not decide whether a token is
//! acceptable (that is `scitokens-validate`) nor whether it allows a request (that is
//! `scitokens-enforce`); it gives them typed values to decide with.
//!
//! Goals:
//! - every rule of semantics.md §1 enforced while decoding, cheapest check first: size, segment
//!   count, strict base64url, `alg` on the allow-list (ES256, RS256) before any key work, no
//!   `crit`, duplicate JSON member names refused;
//! - keys parsed once; [`VerifyingKey::verify`] is only the signature check;
//! - [`UnverifiedToken`] for inspection, [`VerifiedToken`] only from a signature check;
//!   the unchecked path lives in [`danger`];
//! - scopes and paths as types whose constructors refuse anything that could widen a grant.
//!
//! Non-goals: encryption (JWE), algorithms other than ES256 and RS256, key discovery (that is
//! `scitokens-keycache`; the [`KeySource`] trait it implements lives here).
//!
//! ```
//! use scitokens_format::{Algorithm, KeySet, Profile, SigningKey, TokenBuilder, UnverifiedToken};
//!
//! let key = SigningKey::generate(Algorithm::Es256)?;
//! let token = TokenBuilder::new(Profile::Wlcg, "https://issuer.example")
//!     .scope("storage.read:/data")
//!     .audience("https://wlcg.cern.ch/jwt/v1/any")
//!     .sign(&key, 1_700_000_000)?;
//!
//! let keys = KeySet::from_json(KeySet::new(vec![key.verifying_key().clone()]).to_json()?.as_bytes())?;
//! let verified = UnverifiedToken::parse(&token)?.verify(&keys)?;
//! assert_eq!(verified.claims().scope().require("scope")?, "storage.read:/data");
//!
//! // Flip one character of the payload: the signature no longer holds.
//! let mut tampered = token.into_bytes();
//! let i = tampered.iter().position(|&b| b == b'.').unwrap() + 5;
//! tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
//! let tampered = String::from_utf8(tampered).unwrap();
//! assert!(UnverifiedToken::parse(&tampered).and_then(|t| t.verify(&keys)).is_err());
//! # Ok::<(), scitokens_format::FormatError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod b64;
mod claims;
mod clock;
mod crypto;
pub mod danger;
mod encoding;
mod error;
mod header;
mod json;
mod jwk;
mod key;
mod loopback;
mod members;
mod mint;
mod object;
mod profile;
mod public;
pub mod scope;
mod source;
mod text;
mod token;
mod verifier;

pub use claims::{names, Audience, ClaimValue, Claims};
pub use clock::{whole_seconds, Clock, FixedClock, ManualClock, SystemClock, UnixTime};
pub use crypto::{fips_mode, init_crypto};
pub use encoding::{percent_decode, sha256, Plus, Sha256};
pub use error::{Fault, FormatError, Part, Result};
pub use header::{Header, TYP_AT_JWT, TYP_JWT};
pub use json::parse_object as parse_json_object;
pub use jwk::{KeySet, SkippedKey, MAX_KEY_SET_KEYS};
pub use key::{
    Algorithm, SigningKey, VerifyingKey, DEFAULT_RSA_BITS, ES256_SIGNATURE_LEN, MAX_RSA_BITS,
    MIN_RSA_BITS,
};
pub use loopback::is_loopback_http;
pub use mint::{new_jti, sign_parts, TokenBuilder, DEFAULT_LIFETIME};
pub use profile::{Profile, VER_SCITOKENS_2, WLCG_VER_1_0};
pub use source::{KeySource, StaticKeys};
pub use text::{Untrusted, MAX_ECHO_CHARS};
pub use token::{TokenRef, UnverifiedToken, VerifiedClaims, VerifiedToken, DEFAULT_MAX_TOKEN_LEN};
