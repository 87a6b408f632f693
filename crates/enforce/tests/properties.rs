//! Properties: no allowed path escapes its scope, `test` agrees with `acls`, request-path
//! normalization is idempotent.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use proptest::prelude::*;
use scitokens_enforce::{AclForm, Decision, Grants, Operation};
use scitokens_format::scope::{RequestPath, RequestTarget, Resource, Scope};
use scitokens_format::{Profile, UnixTime};

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("ab".to_owned()),
        Just("b".to_owned()),
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("a%2Fb".to_owned()),
        Just("%61".to_owned()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    (proptest::collection::vec(segment(), 0..5), any::<bool>())
        .prop_map(|(segs, slash)| format!("/{}{}", segs.join("/"), if slash { "/" } else { "" }))
}

fn grants(entries: &[(usize, String)]) -> Option<Grants> {
    const AUTHZ: [&str; 5] = [
        "storage.read",
        "storage.create",
        "storage.modify",
        "read",
        "write",
    ];
    let claim: Vec<String> = entries
        .iter()
        .map(|(a, p)| format!("{}:{p}", AUTHZ[a % 5]))
        .collect();
    Scope::parse_list(&claim.join(" "))
        .ok()
        .map(|s| Grants::new(Profile::Wlcg, s, UnixTime::default()))
}

const OPS: [Operation; 4] = [
    Operation::Read,
    Operation::Create,
    Operation::Modify,
    Operation::Write,
];

/// `request` is `scope` or below it, on segment boundaries.
fn within(scope: &str, request: &str) -> bool {
    scope == "/" || request == scope || request.starts_with(&format!("{scope}/"))
}

proptest! {
    #[test]
    fn no_allowed_path_escapes_its_scope(
        entries in proptest::collection::vec((0usize..5, path()), 1..5),
        request in path(),
        op in 0usize..4,
    ) {
        let Some(grants) = grants(&entries) else { return Ok(()) };
        let Ok(target) = RequestTarget::parse(&request) else { return Ok(()) };
        let RequestTarget::Path(normalized) = &target else { unreachable!() };
        if let Decision::Allowed { by } = grants.test(&OPS[op], &target) {
            for scope in by {
                let Resource::Path(p) = scope.resource() else { continue };
                prop_assert!(within(p.as_str(), normalized.as_str()),
                    "{} allowed {} (from {request})", scope, normalized.as_str());
            }
        }
    }

    #[test]
    fn test_agrees_with_acls(
        entries in proptest::collection::vec((0usize..5, path()), 1..5),
        request in path(),
        op in 0usize..3,
    ) {
        let Some(grants) = grants(&entries) else { return Ok(()) };
        let Ok(target) = RequestTarget::parse(&request) else { return Ok(()) };
        let op = &OPS[op];
        // Rebuild grants from the ACL list alone: same answers.
        let acls: Vec<String> = grants.acls(AclForm::Native).iter().map(ToString::to_string).collect();
        let from_acls = Grants::new(Profile::Wlcg, Scope::parse_list(&acls.join(" ")).unwrap(), UnixTime::default());
        prop_assert_eq!(grants.test(op, &target).is_allowed(), from_acls.test(op, &target).is_allowed());
    }

    #[test]
    fn request_normalization_is_idempotent(request in path()) {
        if let Ok(once) = RequestPath::parse(&request) {
            let text = if once.is_dir() { format!("{}/", once.as_str()) } else { once.as_str().to_owned() };
            let twice = RequestPath::parse(&text).unwrap();
            prop_assert_eq!(once.as_str(), twice.as_str());
            prop_assert!(!twice.as_str().contains("/../") && !twice.as_str().ends_with("/.."));
        }
    }
}
