//! The scope grammar. Properties: one bad entry refuses the list; every parsed scope
//! round-trips through Display/FromStr, and its display is a fixed point; `check_list` (what
//! minting uses) accepts and refuses exactly as `parse_list`, with the same error.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use scitokens_format::scope::Scope;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let list = Scope::parse_list(text);
    assert_eq!(
        Scope::check_list(text).map_err(|e| e.to_string()),
        list.as_ref().map(drop).map_err(ToString::to_string),
        "check_list and parse_list agree"
    );
    let entries: Vec<&str> = text.split(' ').filter(|e| !e.is_empty()).collect();
    let singles: Vec<_> = entries.iter().map(|e| Scope::parse(e)).collect();
    match &list {
        Ok(scopes) => {
            assert_eq!(scopes.len(), entries.len());
            for (scope, single) in scopes.iter().zip(&singles) {
                assert_eq!(
                    Some(scope),
                    single.as_ref().ok(),
                    "list and single parse agree"
                );
            }
        }
        Err(_) => assert!(
            singles.iter().any(Result::is_err),
            "a list is refused only for a bad entry"
        ),
    }
    for scope in singles.into_iter().flatten() {
        let shown = scope.to_string();
        let again = Scope::from_str(&shown).expect("a displayed scope parses");
        assert_eq!(again, scope, "round trip of {shown:?}");
        assert_eq!(again.to_string(), shown, "display is a fixed point");
    }
});
