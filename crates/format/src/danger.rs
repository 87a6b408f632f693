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
