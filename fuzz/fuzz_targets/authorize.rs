//! A whole `authorize` call, reaching claim validation and the enforcer through a key source
//! whose keys accept any signature (`danger::accept_any_signature`, compiled only under
//! `cfg(fuzzing)`). The input is `OP\nPATH\nHEADER_JSON\nCLAIMS_JSON`; the target encodes the
//! token itself and appends a signature of the right length for the header's `alg`.
//!
//! Properties: no panic; no allowed path lies outside a granting scope's path; the cached
//! and uncached paths agree; `test` on the grants agrees with grants rebuilt from `acls`.

#![no_main]

use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use scitokens_enforce::{AclForm, Decision, Enforcer, EnforcerConfig, Grants, Operation};
use scitokens_format::scope::{RequestTarget, Resource, Scope};
use scitokens_format::{danger, FixedClock, KeySet, VerifyingKey};
use scitokens_keycache::StaticKeys;

const ISSUER: &str = "https://issuer.example";
const NOW: i64 = 1_700_000_100;
const ES256_PUBLIC: &[u8] = include_bytes!("../../testdata/keys/es256-public.pem");
const RS256_PUBLIC: &[u8] = include_bytes!("../../testdata/keys/rs256-public.pem");

static ENFORCER: LazyLock<Enforcer> = LazyLock::new(|| {
    let key = |pem: &[u8], kid: &str| {
        danger::accept_any_signature(VerifyingKey::from_pem(pem).unwrap().with_kid(kid))
    };
    let keys = KeySet::new(vec![key(ES256_PUBLIC, "es"), key(RS256_PUBLIC, "rs")]);
    Enforcer::with_clock(
        EnforcerConfig {
            issuers: vec![ISSUER.into()],
            audiences: vec!["https://storage.example".into()],
            ..EnforcerConfig::default()
        },
        Arc::new(StaticKeys::new().with_issuer(ISSUER, keys)),
        Arc::new(FixedClock(NOW)),
    )
    .unwrap()
});

fn within(scope: &str, request: &str) -> bool {
    scope == "/" || request == scope || request.starts_with(&format!("{scope}/"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(4, '\n');
    let (Some(op), Some(path), Some(header), Some(claims)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let Ok(operation) = Operation::from_str(op) else {
        return;
    };
    let signature = vec![0x5a; if header.contains("RS256") { 256 } else { 64 }];
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(signature)
    );
    let enforcer = &*ENFORCER;
    let first = enforcer.authorize(&token, &operation, path);
    let second = enforcer.authorize(&token, &operation, path);
    match (&first, &second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the token cache changes nothing"),
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        _ => panic!("cached and uncached disagree: {first:?} / {second:?}"),
    }
    let Ok(decision) = first else { return };
    let target = RequestTarget::parse(path).expect("authorize parsed it");
    if let (Decision::Allowed { by }, RequestTarget::Path(request)) = (&decision, &target) {
        for scope in by {
            if let Resource::Path(p) = scope.resource() {
                if scope.authz().resource_rule() != scitokens_format::scope::ResourceRule::Ignored {
                    assert!(
                        within(p.as_str(), request.as_str()),
                        "{scope} allowed {request}"
                    );
                }
            }
        }
    }
    let grants = enforcer.grants(&token).expect("authorize accepted it");
    let acls: Vec<String> = grants.acls(AclForm::Native).iter().map(ToString::to_string).collect();
    if let Ok(scopes) = Scope::parse_list(&acls.join(" ")) {
        let rebuilt = Grants::new(grants.profile(), scopes, grants.expires());
        assert_eq!(
            rebuilt.test(&operation, &target).is_allowed(),
            decision.is_allowed(),
            "test() agrees with acls() for {op} {path}: {acls:?}"
        );
    }
});
