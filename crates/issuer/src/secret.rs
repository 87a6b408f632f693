//! Secrets: client secrets (argon2id at rest, a keyed digest of verified ones in memory),
//! refresh tokens (256 random bits, SHA-256 at rest), and random identifiers.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use scitokens_format::sha256;

use crate::error::{IssuerError, Result};

/// Bytes of randomness in a client secret or refresh token: 256 bits.
pub const SECRET_BYTES: usize = 32;

/// `n` random bytes from the operating system's generator, through aws-lc.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| IssuerError::Hash("the random generator failed".into()))?;
    Ok(bytes)
}

/// A new secret: 256 random bits, base64url (43 characters).
pub fn new_secret() -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<SECRET_BYTES>()?))
}

/// The argon2id hash (PHC string) of a client secret, with a random salt and the argon2
/// crate's default cost (RFC 9106's second recommended option: m = 19 MiB, t = 2, p = 1).
pub fn hash_secret(secret: &str) -> Result<String> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| IssuerError::Hash(e.to_string()))
}

/// Whether `secret` matches the argon2id `phc` string (false for a malformed hash).
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(secret.as_bytes(), phc)
        .is_ok()
}

/// How a refresh token is stored: its SHA-256 (the token has 256 bits of entropy, so no salt
/// or slow hash is needed; a database leak gives no usable token).
pub fn token_digest(token: &str) -> [u8; 32] {
    sha256(&[token.as_bytes()])
}

/// Client secrets already verified against their argon2id hash, remembered as a digest keyed
/// with a per-process random key, so that a client's next requests cost a hash instead of an
/// argon2id run (tens of milliseconds). An entry holds only while the stored hash is the one
/// it was verified against; nothing here leaves the process.
pub struct VerifiedSecrets {
    key: [u8; 32],
    entries: Mutex<HashMap<String, (String, [u8; 32])>>,
}

/// Most clients remembered; past it the map is emptied (clients re-verify once).
const MAX_REMEMBERED: usize = 10_000;

impl VerifiedSecrets {
    /// An empty cache with a fresh key.
    pub fn new() -> Result<Self> {
        Ok(VerifiedSecrets {
            key: random_bytes()?,
            entries: Mutex::new(HashMap::new()),
        })
    }

    fn digest(&self, secret: &str) -> [u8; 32] {
        sha256(&[&self.key, secret.as_bytes()])
    }

    /// Whether `secret` was verified for `client` against this same `phc` hash.
    pub fn known(&self, client: &str, phc: &str, secret: &str) -> bool {
        let digest = self.digest(secret);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(client) {
            Some((hash, remembered)) if hash == phc => {
                aws_lc_rs::constant_time::verify_slices_are_equal(remembered, &digest).is_ok()
            }
            _ => false,
        }
    }

    /// Remembers that `secret` matched `phc` for `client`.
    pub fn remember(&self, client: &str, phc: &str, secret: &str) {
        let digest = self.digest(secret);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_REMEMBERED && !entries.contains_key(client) {
            entries.clear();
        }
        entries.insert(client.to_owned(), (phc.to_owned(), digest));
    }

    /// Forgets `client` (removed, or its secret replaced).
    pub fn forget(&self, client: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.len(), 43);
        let phc = hash_secret(&secret).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_secret(&secret, &phc));
        assert!(!verify_secret("wrong", &phc));
        assert!(!verify_secret(&secret, "not a hash"));
    }

    #[test]
    fn remembered_only_for_the_same_hash_and_secret() {
        let cache = VerifiedSecrets::new().unwrap();
        cache.remember("c", "$h1", "s");
        assert!(cache.known("c", "$h1", "s"));
        assert!(!cache.known("c", "$h1", "t"));
        assert!(
            !cache.known("c", "$h2", "s"),
            "a replaced secret must be verified again"
        );
        assert!(!cache.known("d", "$h1", "s"));
        cache.forget("c");
        assert!(!cache.known("c", "$h1", "s"));
    }
}
