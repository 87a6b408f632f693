//! Signing and verifying keys: generation, PEM and DER, default `kid`, algorithm binding.
//!
//! A [`VerifyingKey`] is parsed once; [`VerifyingKey::verify`] does no PEM, DER or JWK work,
//! only the signature check, so a key kept in a cache costs nothing per token.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use josekit::jws::{JwsSigner, ES256, RS256};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::rsa::Rsa;

use crate::error::{FormatError, Result};
use crate::text::Untrusted;
use crate::verifier::Verifier;

/// Smallest RSA modulus accepted, in bits (semantics.md §1).
pub const MIN_RSA_BITS: u32 = 2048;
/// Largest RSA modulus accepted, in bits: bounds the cost of one verification.
pub const MAX_RSA_BITS: u32 = 16384;
/// RSA modulus size used when none is asked for.
pub const DEFAULT_RSA_BITS: u32 = 2048;
/// Length of an ES256 signature: `r || s`, 32 bytes each.
pub const ES256_SIGNATURE_LEN: usize = 64;

/// The only signature algorithms a SciToken may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA over P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl Algorithm {
    /// The JOSE name, `ES256` or `RS256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = FormatError;

    /// Exactly `ES256` or `RS256` (case-sensitive, as JOSE names are); anything else, `none`
    /// and every HMAC algorithm included, is refused.
    ///
    /// ```
    /// use scitokens_format::Algorithm;
    /// assert_eq!("ES256".parse::<Algorithm>().unwrap(), Algorithm::Es256);
    /// assert!("none".parse::<Algorithm>().is_err());
    /// assert!("HS256".parse::<Algorithm>().is_err());
    /// assert!("es256".parse::<Algorithm>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ES256" => Ok(Algorithm::Es256),
            "RS256" => Ok(Algorithm::Rs256),
            other => Err(FormatError::AlgNotAllowed {
                alg: Untrusted::new(other),
            }),
        }
    }
}

/// A public key bound to one algorithm, parsed once and ready to verify.
#[derive(Clone)]
pub struct VerifyingKey {
    alg: Algorithm,
    kid: Option<String>,
    pkey: PKey<Public>,
    verifier: Verifier,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Wraps an OpenSSL public key after checking that it fits ES256 (P-256) or RS256
    /// (2048 to 16384 bits). The algorithm follows from the key.
    pub(crate) fn from_pkey(pkey: PKey<Public>, kid: Option<String>) -> Result<Self> {
        let alg = algorithm_for(&pkey)?;
        let verifier = Verifier::new(&pkey)?;
        Ok(VerifyingKey {
            alg,
            kid,
            pkey,
            verifier,
        })
    }

    /// Reads a public key from PEM: SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1
    /// (`RSA PUBLIC KEY`). The key has no `kid` until [`with_kid`](Self::with_kid) or
    /// [`with_default_kid`](Self::with_default_kid).
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let pkey = PKey::public_key_from_pem(pem)
            .or_else(|_| Rsa::public_key_from_pem_pkcs1(pem).and_then(PKey::from_rsa))
            .map_err(|_| {
                FormatError::key("not a PEM public key (SubjectPublicKeyInfo or PKCS#1)")
            })?;
        Self::from_pkey(pkey, None)
    }

    /// Reads a public key from DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let pkey = PKey::public_key_from_der(der)
            .map_err(|_| FormatError::key("not a DER SubjectPublicKeyInfo"))?;
        Self::from_pkey(pkey, None)
    }

    /// Sets the key identifier.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    #[cfg(fuzzing)]
    pub(crate) fn accepting_any_signature(mut self) -> Self {
        self.verifier = Verifier::AcceptAny;
        self
    }

    /// Sets the key identifier to [`default_kid`](Self::default_kid).
    pub fn with_default_kid(self) -> Result<Self> {
        let kid = self.default_kid()?;
        Ok(self.with_kid(kid))
    }

    /// The algorithm this key verifies.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key identifier, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The RSA modulus size or the EC field size, in bits.
    pub fn bits(&self) -> u32 {
        self.pkey.bits()
    }

    /// The underlying OpenSSL key, for emitting it in other forms.
    pub(crate) fn pkey(&self) -> &PKey<Public> {
        &self.pkey
    }

    /// The key as DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        self.pkey.public_key_to_der().map_err(FormatError::crypto)
    }

    /// The key as PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_spki_pem(&self) -> Result<String> {
        let pem = self.pkey.public_key_to_pem().map_err(FormatError::crypto)?;
        String::from_utf8(pem).map_err(FormatError::crypto)
    }

    /// The default `kid`: the first 4 bytes, in hex, of SHA-256 over the DER
    /// SubjectPublicKeyInfo (what scitokens-cpp's `scitokens-generate-jwks` writes).
    pub fn default_kid(&self) -> Result<String> {
        let digest = crate::encoding::sha256(&[&self.to_spki_der()?]);
        Ok(digest[..4].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Checks `signature` over `message` for a token whose header names `alg`.
    ///
    /// Refuses a key of another algorithm (no key confusion), a signature of the wrong length
    /// (a DER-encoded ES256 signature among them), and a signature that does not verify.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<()> {
        if alg != self.alg {
            return Err(FormatError::KeyAlgMismatch {
                kid: self.kid_for_messages(),
                key: self.alg,
                token: alg,
            });
        }
        let expected = match alg {
            Algorithm::Es256 => ES256_SIGNATURE_LEN,
            Algorithm::Rs256 => self.pkey.size(),
        };
        if signature.len() != expected {
            return Err(FormatError::SignatureLength {
                alg,
                expected,
                found: signature.len(),
            });
        }
        if self.verifier.verify(message, signature) {
            Ok(())
        } else {
            Err(FormatError::BadSignature {
                kid: self.kid_for_messages(),
            })
        }
    }

    fn kid_for_messages(&self) -> Untrusted {
        Untrusted::new(self.kid.as_deref().unwrap_or("(no kid)"))
    }
}

/// A private key bound to one algorithm, with its `kid`, ready to sign.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    pkey: PKey<Private>,
    signer: Arc<dyn JwsSigner>,
    public: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print private material.
        f.debug_struct("SigningKey")
            .field("alg", &self.public.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a new P-256 key for ES256, with the default `kid`.
    ///
    /// ```
    /// use scitokens_format::{Algorithm, SigningKey};
    /// let key = SigningKey::generate(Algorithm::Es256).unwrap();
    /// assert_eq!(key.alg(), Algorithm::Es256);
    /// assert_eq!(key.kid().len(), 8);
    /// ```
    pub fn generate(alg: Algorithm) -> Result<Self> {
        match alg {
            Algorithm::Es256 => {
                let group = p256_group()?;
                let ec = EcKey::generate(&group).map_err(FormatError::crypto)?;
                Self::from_pkey(PKey::from_ec_key(ec).map_err(FormatError::crypto)?, None)
            }
            Algorithm::Rs256 => Self::generate_rsa(DEFAULT_RSA_BITS),
        }
    }

    /// Generates an RSA key for RS256 of 2048, 3072 or 4096 bits, with the default `kid`.
    pub fn generate_rsa(bits: u32) -> Result<Self> {
        if ![2048, 3072, 4096].contains(&bits) {
            return Err(FormatError::key(format!(
                "RSA keys are generated with 2048, 3072 or 4096 bits, not {bits}"
            )));
        }
        let rsa = Rsa::generate(bits).map_err(FormatError::crypto)?;
        Self::from_pkey(PKey::from_rsa(rsa).map_err(FormatError::crypto)?, None)
    }

    /// Reads a private key from PEM: PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or
    /// PKCS#1 (`RSA PRIVATE KEY`). Encrypted keys are refused. The `kid` is the default one.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let pkey = PKey::private_key_from_pem_callback(pem, |_| Ok(0)).map_err(|_| {
            FormatError::key("not an unencrypted PEM private key (PKCS#8, SEC1 or PKCS#1)")
        })?;
        Self::from_pkey(pkey, None)
    }

    fn from_pkey(pkey: PKey<Private>, kid: Option<String>) -> Result<Self> {
        let public_der = pkey.public_key_to_der().map_err(FormatError::crypto)?;
        let public = VerifyingKey::from_spki_der(&public_der)?;
        let kid = match kid {
            Some(kid) => kid,
            None => public.default_kid()?,
        };
        let public = public.with_kid(kid.clone());
        let pkcs8 = pkey.private_key_to_pkcs8().map_err(FormatError::crypto)?;
        let signer: Arc<dyn JwsSigner> = match public.alg() {
            Algorithm::Es256 => {
                Arc::new(ES256.signer_from_der(&pkcs8).map_err(FormatError::crypto)?)
            }
            Algorithm::Rs256 => {
                Arc::new(RS256.signer_from_der(&pkcs8).map_err(FormatError::crypto)?)
            }
        };
        Ok(SigningKey {
            kid,
            pkey,
            signer,
            public,
        })
    }

    /// Replaces the key identifier.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self.public = self.public.with_kid(self.kid.clone());
        self
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Algorithm {
        self.public.alg()
    }

    /// The key identifier written into tokens.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half, with the same `kid`.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pkcs8_pem(&self) -> Result<String> {
        let pem = self
            .pkey
            .private_key_to_pem_pkcs8()
            .map_err(FormatError::crypto)?;
        String::from_utf8(pem).map_err(FormatError::crypto)
    }

    /// Signs `message`: 64-byte `r || s` for ES256, a modulus-sized block for RS256.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.signer.sign(message).map_err(FormatError::crypto)
    }
}

pub(crate) fn p256_group() -> Result<EcGroup> {
    EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(FormatError::crypto)
}

/// Which algorithm a key may serve; refuses every other key type, curve or size.
fn algorithm_for<T: openssl::pkey::HasPublic>(pkey: &PKey<T>) -> Result<Algorithm> {
    match pkey.id() {
        Id::EC => {
            let ec = pkey.ec_key().map_err(FormatError::crypto)?;
            match ec.group().curve_name() {
                Some(Nid::X9_62_PRIME256V1) => Ok(Algorithm::Es256),
                Some(nid) => Err(FormatError::key(format!(
                    "EC key on curve {} does not fit ES256 (P-256 only)",
                    nid.short_name().unwrap_or("unknown")
                ))),
                None => Err(FormatError::key(
                    "EC key with explicit curve parameters is not accepted",
                )),
            }
        }
        Id::RSA => {
            let bits = pkey.bits();
            if bits < MIN_RSA_BITS {
                Err(FormatError::key(format!(
                    "RSA key of {bits} bits is too small (at least {MIN_RSA_BITS})"
                )))
            } else if bits > MAX_RSA_BITS {
                Err(FormatError::key(format!(
                    "RSA key of {bits} bits is too large (at most {MAX_RSA_BITS})"
                )))
            } else {
                Ok(Algorithm::Rs256)
            }
        }
        other => Err(FormatError::key(format!(
            "key type {other:?} fits neither ES256 nor RS256"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_roundtrip_and_alg_binding() {
        let es = SigningKey::generate(Algorithm::Es256).unwrap();
        let sig = es.sign(b"msg").unwrap();
        assert_eq!(sig.len(), ES256_SIGNATURE_LEN);
        es.verifying_key()
            .verify(Algorithm::Es256, b"msg", &sig)
            .unwrap();
        let err = es
            .verifying_key()
            .verify(Algorithm::Es256, b"other", &sig)
            .unwrap_err();
        assert_eq!(err.kind(), "bad_signature");
        let err = es
            .verifying_key()
            .verify(Algorithm::Rs256, b"msg", &sig)
            .unwrap_err();
        assert_eq!(err.kind(), "key_alg_mismatch");
    }

    /// 2048 bits recover into the verifier's stack buffer, 4608 into the heap: both verify,
    /// and a tampered message fails with either.
    #[test]
    fn rsa_verifies_below_and_above_the_stack_buffer() {
        for (bits, pem) in [
            (
                2048,
                &include_bytes!("../../../testdata/keys/rs256-private.pem")[..],
            ),
            (
                4608,
                &include_bytes!("../../../testdata/keys/rs4608-private.pem")[..],
            ),
        ] {
            let rsa = SigningKey::from_pem(pem).unwrap();
            let sig = rsa.sign(b"msg").unwrap();
            assert_eq!(sig.len() * 8, bits as usize);
            let key = rsa.verifying_key();
            key.verify(Algorithm::Rs256, b"msg", &sig).unwrap();
            let err = key.verify(Algorithm::Rs256, b"msh", &sig).unwrap_err();
            assert_eq!(err.kind(), "bad_signature", "{bits} bits");
        }
    }

    #[test]
    fn pem_roundtrip_keeps_default_kid() {
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        let again = SigningKey::from_pem(key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
        assert_eq!(again.kid(), key.kid());
        let public = VerifyingKey::from_pem(key.verifying_key().to_spki_pem().unwrap().as_bytes())
            .unwrap()
            .with_default_kid()
            .unwrap();
        assert_eq!(public.kid(), Some(key.kid()));
    }

    #[test]
    fn refuses_small_rsa_and_other_curves() {
        let rsa = Rsa::generate(1024).unwrap();
        let pem = rsa.private_key_to_pem().unwrap();
        assert!(SigningKey::from_pem(&pem)
            .unwrap_err()
            .to_string()
            .contains("too small"));
        let group = EcGroup::from_curve_name(Nid::SECP384R1).unwrap();
        let ec = EcKey::generate(&group).unwrap();
        let pem = ec.private_key_to_pem().unwrap();
        let err = SigningKey::from_pem(&pem).unwrap_err().to_string();
        assert!(err.contains("secp384r1"), "{err}");
        assert!(SigningKey::generate_rsa(1024).is_err());
    }
}
