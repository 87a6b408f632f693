//! Public key material: what a verifying key is, independent of how it was written (PEM, DER,
//! JWK), and the checks that bind it to ES256 or RS256 (semantics.md §1).
//!
//! An EC key is its uncompressed P-256 point, an RSA key its modulus and exponent. Everything
//! else is derived: the DER SubjectPublicKeyInfo (for PEM and the default `kid`), the JWK
//! members, and the parsed key the signature check uses. Parsing is aws-lc's (point on the
//! curve, RSA structure); this module only tells the key types apart and names what does not
//! fit.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{PublicKey as RsaPublicKey, PublicKeyComponents};
use aws_lc_rs::signature::{self, ParsedPublicKey};

use crate::error::{FormatError, Result};
use crate::key::{Algorithm, MAX_RSA_BITS, MIN_RSA_BITS};

/// Length of an uncompressed P-256 point: `0x04 || x || y`.
pub(crate) const P256_POINT_LEN: usize = 65;

/// The DER SubjectPublicKeyInfo of a P-256 key up to its point: `SEQUENCE { SEQUENCE {
/// id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes, no unused bits) }` (RFC 5480).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Curves a key might be on that ES256 does not use: named in the refusal.
const OTHER_CURVES: [(&signature::EcdsaVerificationAlgorithm, &str); 3] = [
    (&signature::ECDSA_P384_SHA384_FIXED, "secp384r1 (P-384)"),
    (&signature::ECDSA_P521_SHA512_FIXED, "secp521r1 (P-521)"),
    (&signature::ECDSA_P256K1_SHA256_FIXED, "secp256k1"),
];

/// A public key's material, checked to fit ES256 or RS256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicMaterial {
    /// A P-256 point, uncompressed.
    Ec([u8; P256_POINT_LEN]),
    /// An RSA key: modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

impl PublicMaterial {
    /// Reads a DER SubjectPublicKeyInfo; for RSA, a PKCS#1 `RSAPublicKey` too.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self> {
        crate::crypto::init_crypto();
        if let Some(point) = der.strip_prefix(&P256_SPKI_PREFIX[..]) {
            return Self::ec_point(point);
        }
        if let Ok(rsa) = RsaPublicKey::from_der(der) {
            return Self::rsa(
                rsa.modulus().big_endian_without_leading_zero(),
                rsa.exponent().big_endian_without_leading_zero(),
            );
        }
        if ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, der).is_ok() {
            return Err(FormatError::key(
                "P-256 key with a compressed point (or a bare point): write it as a \
                 SubjectPublicKeyInfo with the uncompressed point",
            ));
        }
        for (alg, curve) in OTHER_CURVES {
            if ParsedPublicKey::new(alg, der).is_ok() {
                return Err(FormatError::key(format!(
                    "EC key on curve {curve} does not fit ES256 (P-256 only)"
                )));
            }
        }
        Err(FormatError::key(
            "not a DER SubjectPublicKeyInfo of a P-256 EC or an RSA key",
        ))
    }

    /// A P-256 point given as `0x04 || x || y`; aws-lc checks that it is on the curve.
    pub(crate) fn ec_point(point: &[u8]) -> Result<Self> {
        crate::crypto::init_crypto();
        let point: [u8; P256_POINT_LEN] = point
            .try_into()
            .ok()
            .filter(|p: &[u8; P256_POINT_LEN]| p[0] == 0x04)
            .ok_or_else(|| FormatError::key("P-256 point is not 65 bytes, uncompressed"))?;
        ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            .map_err(|_| FormatError::key("EC point is not on P-256"))?;
        Ok(PublicMaterial::Ec(point))
    }

    /// An RSA key from its modulus and exponent (big-endian), checked for size.
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<Self> {
        if n.first() == Some(&0) || e.first() == Some(&0) || n.is_empty() || e.is_empty() {
            return Err(FormatError::key(
                "RSA n and e must be non-empty without leading zero bytes",
            ));
        }
        let bits = bit_length(n);
        if bits < MIN_RSA_BITS {
            return Err(FormatError::key(format!(
                "RSA key of {bits} bits is too small (at least {MIN_RSA_BITS})"
            )));
        }
        if bits > MAX_RSA_BITS {
            return Err(FormatError::key(format!(
                "RSA key of {bits} bits is too large (at most {MAX_RSA_BITS})"
            )));
        }
        Ok(PublicMaterial::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// The algorithm this key serves.
    pub(crate) fn alg(&self) -> Algorithm {
        match self {
            PublicMaterial::Ec(_) => Algorithm::Es256,
            PublicMaterial::Rsa { .. } => Algorithm::Rs256,
        }
    }

    /// The RSA modulus size or the EC field size, in bits.
    pub(crate) fn bits(&self) -> u32 {
        match self {
            PublicMaterial::Ec(_) => 256,
            PublicMaterial::Rsa { n, .. } => bit_length(n),
        }
    }

    /// The length of a signature by this key.
    pub(crate) fn signature_len(&self) -> usize {
        match self {
            PublicMaterial::Ec(_) => crate::key::ES256_SIGNATURE_LEN,
            PublicMaterial::Rsa { n, .. } => n.len(),
        }
    }

    /// The key parsed for signature checks.
    pub(crate) fn parse(&self) -> Result<ParsedPublicKey> {
        match self {
            PublicMaterial::Ec(point) => {
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            }
            PublicMaterial::Rsa { n, e } => PublicKeyComponents { n, e }
                .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256),
        }
        .map_err(|e| FormatError::key(format!("key rejected by aws-lc: {e}")))
    }

    /// The DER SubjectPublicKeyInfo.
    pub(crate) fn to_spki_der(&self) -> Result<Vec<u8>> {
        match self {
            PublicMaterial::Ec(point) => Ok([&P256_SPKI_PREFIX[..], point].concat()),
            PublicMaterial::Rsa { .. } => {
                let der = self.parse()?.as_der().map_err(FormatError::crypto)?;
                Ok(der.as_ref().to_vec())
            }
        }
    }
}

/// Bits of a big-endian number without leading zero bytes.
fn bit_length(n: &[u8]) -> u32 {
    match n.first() {
        None => 0,
        Some(&top) => {
            let bytes = u32::try_from(n.len()).unwrap_or(u32::MAX / 8);
            bytes.saturating_mul(8) - top.leading_zeros()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f, 0]), 15);
    }

    #[test]
    fn malformed_der_is_an_error() {
        for der in [&[][..], &[0x30], &[0x30, 0x59], &P256_SPKI_PREFIX[..]] {
            assert_eq!(
                PublicMaterial::from_der(der).unwrap_err().kind(),
                "invalid_key"
            );
        }
        let mut off_curve = P256_SPKI_PREFIX.to_vec();
        off_curve.push(4);
        off_curve.extend([1u8; 64]);
        let err = PublicMaterial::from_der(&off_curve).unwrap_err();
        assert!(err.to_string().contains("not on P-256"), "{err}");
    }
}
