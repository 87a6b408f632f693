//! Compact-token decoding: size limit, segment split, strict base64url, header and payload
//! JSON. Properties: whatever decodes has an allowed `alg` and re-encodes to equal JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scitokens_format::{Algorithm, Claims, Header, UnverifiedToken};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(token) = UnverifiedToken::parse(text) else {
        return;
    };
    assert!(matches!(
        token.header().alg(),
        Algorithm::Es256 | Algorithm::Rs256
    ));
    assert_eq!(token.as_str(), text.trim(), "the token is kept as given");
    let expected_len = match token.header().alg() {
        Algorithm::Es256 => 64,
        Algorithm::Rs256 => token.signature().len(),
    };
    assert_eq!(token.signature().len(), expected_len);
    let header = serde_json::to_vec(&token.header().to_map()).unwrap();
    let again = Header::from_json(&header).expect("a decoded header re-decodes");
    assert_eq!(again, *token.header());
    let claims = serde_json::to_vec(token.claims()).unwrap();
    let again = Claims::from_json(&claims).expect("decoded claims re-decode");
    assert_eq!(again, *token.claims());
});
