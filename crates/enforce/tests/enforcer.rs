//! Properties of the enforcer the incumbents get wrong: time read per call, no state between
//! tokens, the issuer allow-list before any key lookup; and the two ACL forms.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use scitokens_enforce::{Acl, AclForm, Decision, Enforcer, EnforcerConfig, Operation};
use scitokens_format::{Algorithm, KeySet, ManualClock, Profile, SigningKey, TokenBuilder};
use scitokens_keycache::{KeySource, StaticKeys};

const ISS: &str = "https://issuer.example";
const AUD: &str = "https://storage.example";
const T: i64 = 1_700_000_000;

struct Counting(StaticKeys, AtomicUsize);

impl KeySource for Counting {
    fn keys(&self, issuer: &str, kid: Option<&str>) -> scitokens_format::Result<Arc<KeySet>> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.keys(issuer, kid)
    }
}

fn setup(compat: bool) -> (Enforcer, SigningKey, Arc<ManualClock>, Arc<Counting>) {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let source = Arc::new(Counting(
        StaticKeys::new().with_issuer(ISS, KeySet::new(vec![key.verifying_key().clone()])),
        AtomicUsize::new(0),
    ));
    let clock = Arc::new(ManualClock::new(T));
    let enforcer = Enforcer::with_clock(
        EnforcerConfig {
            issuers: vec![ISS.into()],
            audiences: vec![AUD.into()],
            acl_form: if compat {
                AclForm::Compat
            } else {
                AclForm::Native
            },
            ..EnforcerConfig::default()
        },
        source.clone(),
        clock.clone(),
    )
    .unwrap();
    (enforcer, key, clock, source)
}

fn token(key: &SigningKey, profile: Profile, scope: &str, issuer: &str) -> String {
    TokenBuilder::new(profile, issuer)
        .scope(scope)
        .audience(AUD)
        .sign(key, T)
        .unwrap()
}

#[test]
fn a_long_lived_enforcer_refuses_a_token_once_it_expires() {
    let (enforcer, key, clock, _) = setup(false);
    let t = token(&key, Profile::Wlcg, "storage.read:/", ISS);
    assert!(enforcer
        .authorize(&t, &Operation::Read, "/x")
        .unwrap()
        .is_allowed());
    clock.advance(600);
    let err = enforcer.authorize(&t, &Operation::Read, "/x").unwrap_err();
    assert_eq!(err.kind(), "expired");
}

#[test]
fn answers_do_not_depend_on_earlier_tokens() {
    let (enforcer, key, _, _) = setup(false);
    let narrow = token(&key, Profile::Wlcg, "storage.read:/a", ISS);
    let wide = token(&key, Profile::Wlcg, "storage.read:/ storage.modify:/", ISS);
    let bad = token(
        &key,
        Profile::Wlcg,
        "storage.read:/",
        "https://evil.example",
    );
    let first = enforcer.authorize(&narrow, &Operation::Read, "/b").unwrap();
    for _ in 0..3 {
        enforcer.authorize(&wide, &Operation::Modify, "/b").unwrap();
        enforcer
            .authorize(&bad, &Operation::Read, "/b")
            .unwrap_err();
        assert_eq!(
            enforcer.authorize(&narrow, &Operation::Read, "/b").unwrap(),
            first
        );
    }
    assert!(!first.is_allowed());
}

#[test]
fn untrusted_issuers_cost_no_key_lookup() {
    let (enforcer, key, _, source) = setup(false);
    let bad = token(
        &key,
        Profile::Wlcg,
        "storage.read:/",
        "https://evil.example",
    );
    assert_eq!(
        enforcer
            .authorize(&bad, &Operation::Read, "/")
            .unwrap_err()
            .kind(),
        "untrusted_issuer"
    );
    assert_eq!(source.1.load(Ordering::SeqCst), 0);
    let good = token(&key, Profile::Wlcg, "storage.read:/", ISS);
    enforcer.authorize(&good, &Operation::Read, "/").unwrap();
    assert_eq!(source.1.load(Ordering::SeqCst), 1);
}

#[test]
fn denials_list_the_scopes_considered() {
    let (enforcer, key, _, _) = setup(false);
    let t = token(
        &key,
        Profile::Wlcg,
        "storage.read:/data storage.create:/out",
        ISS,
    );
    match enforcer
        .authorize(&t, &Operation::Modify, "/out/file")
        .unwrap()
    {
        Decision::Denied(denial) => assert_eq!(
            denial.to_string(),
            "no scope grants modify on /out/file (scopes: storage.read:/data storage.create:/out)"
        ),
        other => panic!("{other:?}"),
    }
}

fn acls(compat: bool, profile: Profile, scope: &str) -> Vec<String> {
    let (enforcer, key, _, _) = setup(compat);
    let t = token(&key, profile, scope, ISS);
    enforcer
        .acls(&t)
        .unwrap()
        .iter()
        .map(Acl::to_string)
        .collect()
}

#[test]
fn acls_native_and_compatible() {
    let scope = "storage.read:/data storage.create:/out/ storage.modify:/m compute.create compute.modify compute.cancel compute.read openid";
    assert_eq!(
        acls(false, Profile::Wlcg, scope),
        [
            "storage.read:/data",
            "storage.create:/out/",
            "storage.modify:/m",
            "compute.create:/",
            "compute.modify:/",
            "compute.cancel:/",
            "compute.read:/",
            "openid:/"
        ]
    );
    assert_eq!(
        acls(true, Profile::Wlcg, scope),
        [
            "read:/data",
            "write:/out/",
            "create:/out/",
            "write:/m",
            "modify:/m",
            "compute.create:/",
            "compute.modify:/",
            "compute.cancel:/",
            "condor:/READ",
            "openid:/",
            "condor:/WRITE"
        ]
    );
    // Two of the three compute writes: no condor:/WRITE.
    assert!(!acls(true, Profile::Wlcg, "compute.create compute.modify")
        .contains(&"condor:/WRITE".to_owned()));
    // SciTokens tokens are not translated.
    assert_eq!(
        acls(true, Profile::SciTokens2, "read:/a write:/b"),
        ["read:/a", "write:/b"]
    );
}

#[test]
fn enforcer_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Enforcer>();
    let (enforcer, key, _, _) = setup(false);
    let enforcer = Arc::new(enforcer);
    let t = Arc::new(token(&key, Profile::Wlcg, "storage.read:/a", ISS));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (e, t) = (Arc::clone(&enforcer), Arc::clone(&t));
            std::thread::spawn(move || {
                let path = if i % 2 == 0 { "/a/x" } else { "/b" };
                e.authorize(&t, &Operation::Read, path)
                    .unwrap()
                    .is_allowed()
            })
        })
        .collect();
    let answers: Vec<bool> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(answers, [true, false, true, false]);
}

#[test]
fn repeated_tokens_come_from_the_token_cache_with_exp_rechecked() {
    let (enforcer, key, clock, source) = setup(false);
    let lookups = || source.1.load(Ordering::SeqCst);
    let t = TokenBuilder::new(Profile::Wlcg, ISS)
        .scope("storage.read:/a")
        .audience(AUD)
        .lifetime(Duration::from_secs(300))
        .sign(&key, T)
        .unwrap();
    for _ in 0..5 {
        assert!(enforcer
            .authorize(&t, &Operation::Read, "/a/x")
            .unwrap()
            .is_allowed());
        assert!(!enforcer
            .authorize(&t, &Operation::Read, "/b")
            .unwrap()
            .is_allowed());
    }
    assert_eq!(lookups(), 1, "one signature check for ten requests");

    // Within the max age (600 s) but past exp: refused although cached.
    clock.advance(300);
    assert_eq!(
        enforcer
            .authorize(&t, &Operation::Read, "/a/x")
            .unwrap_err()
            .kind(),
        "expired"
    );
    assert_eq!(lookups(), 1);

    // A token living longer than the max age is re-verified once the entry is too old.
    clock.set(T);
    let long = TokenBuilder::new(Profile::Wlcg, ISS)
        .scope("storage.read:/a")
        .audience(AUD)
        .lifetime(Duration::from_secs(3600))
        .sign(&key, T)
        .unwrap();
    enforcer.authorize(&long, &Operation::Read, "/a").unwrap();
    assert_eq!(lookups(), 2);
    clock.advance(599);
    enforcer.authorize(&long, &Operation::Read, "/a").unwrap();
    assert_eq!(lookups(), 2);
    clock.advance(1);
    enforcer.authorize(&long, &Operation::Read, "/a").unwrap();
    assert_eq!(
        lookups(),
        3,
        "entries never outlive the key refresh interval"
    );

    // Invalid tokens are not cached: each attempt is checked again.
    let impostor = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid(key.kid());
    let forged = token(&impostor, Profile::Wlcg, "storage.read:/", ISS);
    clock.set(T);
    for _ in 0..2 {
        let err = enforcer
            .authorize(&forged, &Operation::Read, "/a")
            .unwrap_err();
        assert_eq!(err.kind(), "bad_signature");
    }
    assert_eq!(lookups(), 5);
}

#[test]
fn the_token_cache_can_be_disabled() {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let source = Arc::new(Counting(
        StaticKeys::new().with_issuer(ISS, KeySet::new(vec![key.verifying_key().clone()])),
        AtomicUsize::new(0),
    ));
    let enforcer = Enforcer::with_clock(
        EnforcerConfig {
            issuers: vec![ISS.into()],
            audiences: vec![AUD.into()],
            token_cache_capacity: 0,
            ..EnforcerConfig::default()
        },
        source.clone(),
        Arc::new(ManualClock::new(T)),
    )
    .unwrap();
    let t = token(&key, Profile::Wlcg, "storage.read:/", ISS);
    for _ in 0..3 {
        enforcer.authorize(&t, &Operation::Read, "/").unwrap();
    }
    assert_eq!(source.1.load(Ordering::SeqCst), 3);
}

#[test]
fn claim_callbacks_and_critical_claims_come_through_the_config() {
    use scitokens_validate::ClaimRules;
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let keys = StaticKeys::new().with_issuer(ISS, KeySet::new(vec![key.verifying_key().clone()]));
    let enforcer = Enforcer::with_clock(
        EnforcerConfig {
            issuers: vec![ISS.into()],
            audiences: vec![AUD.into()],
            claim_rules: ClaimRules::new()
                .check("group", |v: &serde_json::Value| {
                    if v == "cms" {
                        Ok(())
                    } else {
                        Err(format!("{v} is not cms").into())
                    }
                })
                .critical("group"),
            ..EnforcerConfig::default()
        },
        Arc::new(keys),
        Arc::new(ManualClock::new(T)),
    )
    .unwrap();
    let with_group = |group: Option<&str>| {
        let mut builder = TokenBuilder::new(Profile::Wlcg, ISS)
            .scope("storage.read:/")
            .audience(AUD);
        if let Some(g) = group {
            builder = builder.claim("group", g.into());
        }
        builder.sign(&key, T).unwrap()
    };
    let read = |t: &str| enforcer.authorize(t, &Operation::Read, "/x");
    assert!(read(&with_group(Some("cms"))).unwrap().is_allowed());
    let err = read(&with_group(Some("atlas"))).unwrap_err();
    assert_eq!(err.kind(), "rejected");
    assert_eq!(
        err.to_string(),
        "claim \"group\" rejected: \"atlas\" is not cms"
    );
    assert_eq!(read(&with_group(None)).unwrap_err().kind(), "missing_claim");
}

#[test]
fn the_half_steps_are_behind_dangerous_and_agree_with_the_front_door() {
    let (enforcer, key, clock, _) = setup(false);
    let t = token(&key, Profile::Wlcg, "storage.read:/a", ISS);
    let parts = enforcer.dangerous();
    let verified = parts.verify_signature(&t).unwrap();
    let split = parts.grants_of_verified(&verified).unwrap();
    assert_eq!(&split, enforcer.grants(&t).unwrap().as_ref());
    // The signature check alone does not validate: an expired token still verifies, and
    // only the validation step refuses it.
    clock.advance(600);
    let verified = parts.verify_signature(&t).unwrap();
    assert_eq!(
        parts.grants_of_verified(&verified).unwrap_err().kind(),
        "expired"
    );
}

#[test]
fn cached_tokens_live_no_longer_than_the_key_cache_trusts_keys() {
    // A withdrawn key must stop validating cached tokens when the key cache would notice.
    assert_eq!(
        scitokens_enforce::DEFAULT_TOKEN_CACHE_MAX_AGE,
        scitokens_keycache::DEFAULT_UPDATE_INTERVAL
    );
}
