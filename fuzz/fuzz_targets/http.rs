//! The HTTP helpers: `Authorization` header values, `authz` query strings, methods. The input
//! is split at the first newline into a header value and a query string. Properties: a token
//! found is non-empty and has no white space or control character; a header naming the token found (as Bearer)
//! yields the same token.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scitokens_enforce::{method_needs, token_from_authorization, token_from_query, Existence};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (header, query) = text.split_once('\n').unwrap_or((text, ""));
    for found in [
        token_from_authorization(header).ok(),
        token_from_query(query).ok().flatten(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(!found.is_empty());
        assert!(
            !found.contains(|c: char| c.is_whitespace() || c.is_control()),
            "{found:?}"
        );
        assert_eq!(
            token_from_authorization(&format!("Bearer {found}"))
                .expect("a found token is a bearer token"),
            found
        );
    }
    let method = header.split_whitespace().next().unwrap_or("");
    for (a, b) in [(Existence::Absent, Existence::Absent), (Existence::Exists, Existence::Exists)] {
        let _ = method_needs(method, a, b);
    }
});
