//! The signature check itself: aws-lc's primitive on a key parsed once.
//!
//! - ES256: `ECDSA_P256_SHA256_FIXED`, the 64-byte `r || s` JOSE form; aws-lc refuses `r` or
//!   `s` outside `[1, n-1]`.
//! - RS256: `RSA_PKCS1_2048_8192_SHA256`: PKCS#1 v1.5, the recovered block compared in full
//!   with the expected `DigestInfo(SHA-256, H(m))` encoding (RFC 8017 §8.2.2), never parsed,
//!   so the lenient-ASN.1 forgeries of old do not apply.
//!
//! The key is parsed when the `VerifyingKey` is made (aws-lc's `ParsedPublicKey`), so a check
//! costs one hash and one public-key operation. `docs/performance.md` measures it against the
//! bare primitive.

use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::signature::ParsedPublicKey;

use crate::error::Result;
use crate::public::PublicMaterial;

/// A parsed public key ready for the primitive check. Cloning shares the parsed key.
#[derive(Clone)]
pub(crate) enum Verifier {
    Parsed(Arc<ParsedPublicKey>),
    /// Fuzzing builds only: every signature (of the right length) verifies, so the fuzzer
    /// reaches the validator and the enforcer. See `danger::accept_any_signature`.
    #[cfg(fuzzing)]
    AcceptAny,
}

impl Verifier {
    pub(crate) fn new(material: &PublicMaterial) -> Result<Self> {
        crate::crypto::init_crypto();
        Ok(Verifier::Parsed(Arc::new(material.parse()?)))
    }

    /// `true` when `signature` is valid over `message`. The caller has checked the algorithm
    /// binding and the signature length.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Verifier::Parsed(key) => {
                // The one-shot SHA-256 and a verification of the digest: `verify_sig` goes
                // through `EVP_DigestVerify`, whose digest context costs four more
                // allocations per check (docs/performance.md).
                let digest = digest::digest(&digest::SHA256, message);
                key.verify_digest_sig(&digest, signature).is_ok()
            }
            #[cfg(fuzzing)]
            Verifier::AcceptAny => true,
        }
    }
}
