//! The untrusted inputs of the issuer's pages: a typed user code, a session cookie value and a
//! username from a login. The input is `USER_CODE\nCOOKIE\nUSERNAME`.
//!
//! Properties: no panic; a normalized user code is 8 letters of the alphabet and normalizes
//! back from its shown form; no cookie value that this key did not seal opens; a username the
//! check accepts puts exactly one segment under `/home` (no `..`, no `/`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use scitokens_format::UnixTime;
use scitokens_issuer::grants::{normalize_user_code, show_user_code, USER_CODE_ALPHABET};
use scitokens_issuer::login::{check_username, Person, Rules};
use scitokens_issuer::web::session::Sealer;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let (typed, cookie, username) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );

    if let Some(code) = normalize_user_code(typed) {
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
        assert_eq!(normalize_user_code(&show_user_code(&code)), Some(code));
    }

    let sealer = Sealer::new(&[42; 32]);
    assert!(sealer.open("s", cookie, UnixTime::from_secs(0)).is_none());

    if check_username(username).is_ok() {
        let rules = Rules::parse_for_tests(&[(None, &["storage.read:/home/{username}"])]).unwrap();
        let person = Person {
            username: username.to_owned(),
            groups: vec![],
            via: "local".into(),
        };
        for scope in rules.entitlement(&person) {
            let written = scope.to_string();
            let path = written.strip_prefix("storage.read:/home/").unwrap();
            assert!(!path.is_empty() && !path.contains('/') && path != ".." && path != ".");
        }
    }
});
