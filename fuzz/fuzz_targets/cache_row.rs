//! The key-cache row decoder (rows may be written by another program: scitokens-cpp, an
//! older version, a tampering user). Properties: no panic; a decoded row re-encodes to an
//! equal row; its key set parses or is refused with an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scitokens_format::KeySet;
use scitokens_keycache::CachedRow;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(row) = CachedRow::decode(text) else {
        return;
    };
    let again = CachedRow::decode(&row.encode()).expect("an encoded row decodes");
    assert_eq!(again, row);
    let _ = KeySet::from_map(&row.jwks);
});
