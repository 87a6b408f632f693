//! JWK and JWKS parsing. Properties: every usable key re-encodes to a JWK that parses back to
//! the same key (same SPKI, algorithm and kid); the emitted set re-parses to the same set.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scitokens_format::{KeySet, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    let Ok(set) = KeySet::from_json(data) else {
        return;
    };
    for key in set.keys() {
        let jwk = key.to_jwk().expect("a parsed key encodes");
        let again = VerifyingKey::from_jwk(&jwk).expect("an emitted JWK parses");
        assert_eq!(again.alg(), key.alg());
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.to_spki_der().unwrap(), key.to_spki_der().unwrap());
        if let Some(kid) = key.kid() {
            assert!(set.contains_kid(kid));
        }
    }
    let emitted = set.to_json().expect("a parsed set encodes");
    let again = KeySet::from_json(emitted.as_bytes()).expect("an emitted set parses");
    assert_eq!(again.len(), set.len());
    assert!(again.skipped().is_empty(), "we emit only usable keys");
    for (a, b) in again.keys().iter().zip(set.keys()) {
        assert_eq!(a.to_spki_der().unwrap(), b.to_spki_der().unwrap());
        assert_eq!(a.kid(), b.kid());
    }
});
