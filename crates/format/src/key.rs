//! Signing and verifying keys: generation, PEM and DER, default `kid`, algorithm binding.
//!
//! A [`VerifyingKey`] is parsed once; [`VerifyingKey::verify`] does no PEM, DER or JWK work,
//! only the signature check, so a key kept in a cache costs nothing per token.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::error::KeyRejected;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair, RsaKeyPair, ECDSA_P256K1_SHA256_FIXED_SIGNING,
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    ECDSA_P521_SHA512_FIXED_SIGNING, RSA_PKCS1_SHA256,
};

use crate::error::{FormatError, Result};
use crate::public::PublicMaterial;
use crate::text::Untrusted;
use crate::verifier::Verifier;

/// Smallest RSA modulus accepted, in bits (semantics.md §1).
pub const MIN_RSA_BITS: u32 = 2048;
/// Largest RSA modulus accepted, in bits: bounds the cost of one verification (and is the
/// largest aws-lc verifies with `RSA_PKCS1_2048_8192_SHA256`).
pub const MAX_RSA_BITS: u32 = 8192;
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
    kid: Option<String>,
    material: Arc<PublicMaterial>,
    verifier: Verifier,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg())
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Wraps checked key material (it fits ES256 or RS256; the algorithm follows from it).
    pub(crate) fn from_material(material: PublicMaterial, kid: Option<String>) -> Result<Self> {
        let verifier = Verifier::new(&material)?;
        Ok(VerifyingKey {
            kid,
            material: Arc::new(material),
            verifier,
        })
    }

    /// Reads a public key from PEM: SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1
    /// (`RSA PUBLIC KEY`). The key has no `kid` until [`with_kid`](Self::with_kid) or
    /// [`with_default_kid`](Self::with_default_kid).
    ///
    /// ```
    /// use scitokens_format::{Algorithm, VerifyingKey};
    /// let pem = include_bytes!("../../../testdata/keys/es256-public.pem");
    /// let key = VerifyingKey::from_pem(pem).unwrap();
    /// assert_eq!((key.alg(), key.bits()), (Algorithm::Es256, 256));
    /// assert_eq!(key.to_spki_pem().unwrap().as_bytes(), pem);
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let refused = || FormatError::key("not a PEM public key (SubjectPublicKeyInfo or PKCS#1)");
        let block = pem_block(pem, &["PUBLIC KEY", "RSA PUBLIC KEY"]).ok_or_else(refused)?;
        Self::from_material(PublicMaterial::from_der(block.contents())?, None)
    }

    /// Reads a public key from DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        Self::from_material(PublicMaterial::from_der(der)?, None)
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
        self.material.alg()
    }

    /// The key identifier, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The RSA modulus size or the EC field size, in bits.
    pub fn bits(&self) -> u32 {
        self.material.bits()
    }

    /// The key material, for emitting it in other forms.
    pub(crate) fn material(&self) -> &PublicMaterial {
        &self.material
    }

    /// The key as DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        self.material.to_spki_der()
    }

    /// The key as PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_spki_pem(&self) -> Result<String> {
        Ok(pem_text("PUBLIC KEY", self.to_spki_der()?))
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
        if alg != self.alg() {
            return Err(FormatError::KeyAlgMismatch {
                kid: self.kid_for_messages(),
                key: self.alg(),
                token: alg,
            });
        }
        let expected = self.material.signature_len();
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

/// The private half, as aws-lc holds it.
enum Signer {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

/// A private key bound to one algorithm, with its `kid`, ready to sign.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    signer: Arc<Signer>,
    public: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print private material.
        f.debug_struct("SigningKey")
            .field("alg", &self.public.alg())
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
        crate::crypto::init_crypto();
        match alg {
            Algorithm::Es256 => {
                let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(FormatError::crypto)?;
                Self::from_signer(Signer::Es256(pair))
            }
            Algorithm::Rs256 => Self::generate_rsa(DEFAULT_RSA_BITS),
        }
    }

    /// Generates an RSA key for RS256 of 2048, 3072 or 4096 bits, with the default `kid`.
    pub fn generate_rsa(bits: u32) -> Result<Self> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => {
                return Err(FormatError::key(format!(
                    "RSA keys are generated with 2048, 3072 or 4096 bits, not {bits}"
                )))
            }
        };
        crate::crypto::init_crypto();
        let pair = RsaKeyPair::generate(size).map_err(FormatError::crypto)?;
        Self::from_signer(Signer::Rs256(pair))
    }

    /// Reads a private key from PEM: PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or
    /// PKCS#1 (`RSA PRIVATE KEY`). Encrypted keys are refused. The `kid` is the default one.
    ///
    /// ```
    /// use scitokens_format::{Algorithm, SigningKey};
    /// let pem = include_bytes!("../../../testdata/keys/rs256-private-pkcs1.pem");
    /// let key = SigningKey::from_pem(pem).unwrap();
    /// assert_eq!((key.alg(), key.kid()), (Algorithm::Rs256, "fb1f167b"));
    /// let err = SigningKey::from_pem(b"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n");
    /// assert!(err.unwrap_err().to_string().contains("not an unencrypted PEM private key"));
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let refused =
            || FormatError::key("not an unencrypted PEM private key (PKCS#8, SEC1 or PKCS#1)");
        let tags = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"];
        let block = pem_block(pem, &tags).ok_or_else(refused)?;
        if block.headers().get("Proc-Type").is_some() {
            return Err(refused());
        }
        let der = block.contents();
        crate::crypto::init_crypto();
        let signer = match block.tag() {
            "PRIVATE KEY" => {
                match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
                    Ok(pair) => Signer::Es256(pair),
                    Err(_) => match RsaKeyPair::from_pkcs8(der) {
                        Ok(pair) => Signer::Rs256(pair),
                        Err(rsa) => {
                            return Err(other_curve(|alg| EcdsaKeyPair::from_pkcs8(alg, der))
                                .unwrap_or_else(|| rsa_refusal(&rsa)))
                        }
                    },
                }
            }
            "EC PRIVATE KEY" => {
                match EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
                    Ok(pair) => Signer::Es256(pair),
                    Err(_) => {
                        return Err(
                            other_curve(|alg| EcdsaKeyPair::from_private_key_der(alg, der))
                                .unwrap_or_else(|| {
                                    FormatError::key("not a usable SEC1 EC private key")
                                }),
                        )
                    }
                }
            }
            "RSA PRIVATE KEY" => {
                Signer::Rs256(RsaKeyPair::from_der(der).map_err(|e| rsa_refusal(&e))?)
            }
            _ => return Err(refused()),
        };
        Self::from_signer(signer)
    }

    fn from_signer(signer: Signer) -> Result<Self> {
        crate::crypto::init_crypto();
        let material = match &signer {
            Signer::Es256(pair) => PublicMaterial::ec_point(pair.public_key().as_ref())?,
            Signer::Rs256(pair) => {
                let public = pair.public_key();
                PublicMaterial::rsa(
                    public.modulus().big_endian_without_leading_zero(),
                    public.exponent().big_endian_without_leading_zero(),
                )?
            }
        };
        let public = VerifyingKey::from_material(material, None)?.with_default_kid()?;
        Ok(SigningKey {
            kid: public.kid().unwrap_or_default().to_owned(),
            signer: Arc::new(signer),
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
        let der = match self.signer.as_ref() {
            Signer::Es256(pair) => pair
                .to_pkcs8v1()
                .map_err(FormatError::crypto)?
                .as_ref()
                .to_vec(),
            Signer::Rs256(pair) => AsDer::<Pkcs8V1Der>::as_der(pair)
                .map_err(FormatError::crypto)?
                .as_ref()
                .to_vec(),
        };
        Ok(pem_text("PRIVATE KEY", der))
    }

    /// Signs `message`: 64-byte `r || s` for ES256, a modulus-sized block for RS256.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let rng = SystemRandom::new();
        match self.signer.as_ref() {
            Signer::Es256(pair) => Ok(pair
                .sign(&rng, message)
                .map_err(FormatError::crypto)?
                .as_ref()
                .to_vec()),
            Signer::Rs256(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(FormatError::crypto)?;
                Ok(signature)
            }
        }
    }
}

/// The first PEM block with one of `tags`, skipping others, as OpenSSL's readers do (`openssl
/// ecparam -genkey` writes an `EC PARAMETERS` block before the key).
fn pem_block(text: &[u8], tags: &[&str]) -> Option<pem::Pem> {
    pem::parse_many(text)
        .ok()?
        .into_iter()
        .find(|block| tags.contains(&block.tag()))
}

/// PEM text with Unix line endings, as OpenSSL writes it.
fn pem_text(tag: &str, der: Vec<u8>) -> String {
    pem::encode_config(
        &pem::Pem::new(tag, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// Why aws-lc refused an RSA private key, in our words.
fn rsa_refusal(rejected: &KeyRejected) -> FormatError {
    FormatError::key(match rejected.description_() {
        "TooSmall" => format!("RSA key is too small (at least {MIN_RSA_BITS} bits)"),
        "TooLarge" => format!("RSA key is too large (at most {MAX_RSA_BITS} bits)"),
        other => format!("not a usable private key (aws-lc: {other})"),
    })
}

/// The refusal for an EC private key on a curve ES256 does not use, if `parse` accepts the key
/// on one of them.
fn other_curve<T, E>(
    parse: impl Fn(&'static EcdsaSigningAlgorithm) -> std::result::Result<T, E>,
) -> Option<FormatError> {
    [
        (&ECDSA_P384_SHA384_FIXED_SIGNING, "secp384r1 (P-384)"),
        (&ECDSA_P521_SHA512_FIXED_SIGNING, "secp521r1 (P-521)"),
        (&ECDSA_P256K1_SHA256_FIXED_SIGNING, "secp256k1"),
    ]
    .into_iter()
    .find(|(alg, _)| parse(alg).is_ok())
    .map(|(_, curve)| {
        FormatError::key(format!(
            "EC key on curve {curve} does not fit ES256 (P-256 only)"
        ))
    })
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
        let pem = include_bytes!("../../../testdata/keys/rsa1024-private.pem");
        let err = SigningKey::from_pem(pem).unwrap_err().to_string();
        assert!(err.contains("too small"), "{err}");
        let pem = include_bytes!("../../../testdata/keys/p384-private.pem");
        let err = SigningKey::from_pem(pem).unwrap_err().to_string();
        assert!(err.contains("secp384r1"), "{err}");
        assert!(SigningKey::generate_rsa(1024).is_err());
    }

    /// Every fixture form reads, and the forms of one key agree on its `kid`.
    #[test]
    fn every_pem_form_reads() {
        let keys = |name: &str| {
            std::fs::read(format!(
                "{}/../../testdata/keys/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        for (private, other_form, public) in [
            (
                "es256-private.pem",
                "es256-private-sec1.pem",
                "es256-public.pem",
            ),
            (
                "rs256-private.pem",
                "rs256-private-pkcs1.pem",
                "rs256-public.pem",
            ),
        ] {
            let a = SigningKey::from_pem(&keys(private)).unwrap();
            let b = SigningKey::from_pem(&keys(other_form)).unwrap();
            let p = VerifyingKey::from_pem(&keys(public))
                .unwrap()
                .with_default_kid()
                .unwrap();
            assert_eq!((a.kid(), b.kid()), (p.kid().unwrap(), p.kid().unwrap()));
            let sig = b.sign(b"m").unwrap();
            p.verify(a.alg(), b"m", &sig).unwrap();
            assert_eq!(p.to_spki_pem().unwrap().into_bytes(), keys(public));
        }
        let encrypted =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(SigningKey::from_pem(encrypted).is_err());
        // `openssl ecparam -name prime256v1 -genkey` output: parameters first, then the key.
        let with_params = [
            &b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"[..],
            &keys("es256-private-sec1.pem"),
        ]
        .concat();
        let key = SigningKey::from_pem(&with_params).unwrap();
        assert_eq!(
            key.kid(),
            SigningKey::from_pem(&keys("es256-private.pem"))
                .unwrap()
                .kid()
        );
    }
}
