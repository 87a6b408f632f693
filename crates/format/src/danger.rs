//! Operations that skip the signature check. Reach for these on purpose only: for replaying
//! recorded tokens in tests, for fuzzing the layers above signature verification, and never
//! in an authorization path.

use crate::token::{UnverifiedToken, VerifiedToken};

/// Treats a decoded token as verified without checking its signature.
///
/// ```
/// use scitokens_format::{danger, UnverifiedToken};
/// # let token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2kuZXhhbXBsZSJ9.".to_owned() + &"A".repeat(86);
/// let unverified = UnverifiedToken::parse(&token).unwrap();
/// let trusted = danger::assume_verified(unverified);
/// assert_eq!(trusted.claims().iss().require("iss").unwrap(), "https://i.example");
/// ```
pub fn assume_verified(token: UnverifiedToken) -> VerifiedToken {
    token.into_verified()
}

/// Fuzzing builds only (`--cfg fuzzing`, set by cargo-fuzz): the same key (algorithm, `kid`,
/// key type, so key selection and the key/algorithm binding stay real) but every signature of
/// the right length verifies. A key source holding such keys lets a fuzzer reach claim
/// validation and the enforcer with tokens it wrote itself. It does not exist in any other
/// build.
#[cfg(fuzzing)]
pub fn accept_any_signature(key: crate::VerifyingKey) -> crate::VerifyingKey {
    key.accepting_any_signature()
}
