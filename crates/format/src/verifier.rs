//! The signature check itself, on OpenSSL's primitive operations.
//!
//! josekit's verifiers go through `EVP_DigestVerify*`, which in OpenSSL 3 fetches the algorithm
//! implementation from the provider on every call; measured here that added about 20% to an
//! RS256 verification (see `docs/performance.md`). This module keeps the parsed key and calls
//! what `openssl speed` measures:
//!
//! - ES256: SHA-256 of the signing input, then `ECDSA_do_verify` on `(r, s)` taken from the
//!   64-byte JOSE signature. OpenSSL refuses `r` or `s` outside `[1, n-1]`.
//! - RS256: `RSA_public_decrypt` with PKCS#1 v1.5 type 1 padding checked by OpenSSL (a
//!   signature not below the modulus is refused there), then the recovered block compared in
//!   full with the expected `DigestInfo(SHA-256, H(m))` encoding. Comparing the whole encoding,
//!   never parsing it, is the RFC 8017 §8.2.2 method and is immune to the Bleichenbacher-style
//!   forgeries that lenient ASN.1 parsing allowed.

use crate::encoding::sha256;
use openssl::bn::BigNum;
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::{Padding, Rsa};

use crate::error::{FormatError, Result};

/// DER prefix of `DigestInfo { sha256, OCTET STRING(32) }` (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Bytes of a recovered RSA block kept on the stack (a 4096-bit modulus).
const STACK_BLOCK: usize = 512;

/// A parsed public key ready for the primitive check.
#[derive(Clone)]
pub(crate) enum Verifier {
    Es256(EcKey<Public>),
    Rs256(Rsa<Public>),
    /// Fuzzing builds only: every signature (of the right length) verifies, so the fuzzer
    /// reaches the validator and the enforcer. See `danger::accept_any_signature`.
    #[cfg(fuzzing)]
    AcceptAny,
}

impl Verifier {
    pub(crate) fn new(pkey: &PKey<Public>) -> Result<Self> {
        match pkey.id() {
            Id::EC => Ok(Verifier::Es256(pkey.ec_key().map_err(FormatError::crypto)?)),
            Id::RSA => Ok(Verifier::Rs256(pkey.rsa().map_err(FormatError::crypto)?)),
            other => Err(FormatError::key(format!(
                "key type {other:?} fits neither ES256 nor RS256"
            ))),
        }
    }

    /// `true` when `signature` is valid over `message`. The caller has checked the algorithm
    /// binding and the signature length.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = sha256(&[message]);
        match self {
            Verifier::Es256(key) => {
                let (r, s) = signature.split_at(signature.len() / 2);
                let sig = match (BigNum::from_slice(r), BigNum::from_slice(s)) {
                    (Ok(r), Ok(s)) => EcdsaSig::from_private_components(r, s),
                    _ => return false,
                };
                sig.and_then(|sig| sig.verify(&digest, key))
                    .unwrap_or(false)
            }
            Verifier::Rs256(key) => {
                // Keys up to 4096 bits recover into a stack buffer; larger ones into the heap.
                let size = key.size() as usize;
                let mut stack = [0u8; STACK_BLOCK];
                let mut heap = Vec::new();
                let block: &mut [u8] = if size <= STACK_BLOCK {
                    &mut stack[..size]
                } else {
                    heap.resize(size, 0);
                    &mut heap
                };
                let Ok(n) = key.public_decrypt(signature, block, Padding::PKCS1) else {
                    return false;
                };
                let recovered = &block[..n];
                recovered.len() == SHA256_DIGEST_INFO_PREFIX.len() + digest.len()
                    && recovered[..SHA256_DIGEST_INFO_PREFIX.len()] == SHA256_DIGEST_INFO_PREFIX
                    && recovered[SHA256_DIGEST_INFO_PREFIX.len()..] == digest
            }
            #[cfg(fuzzing)]
            Verifier::AcceptAny => true,
        }
    }
}
