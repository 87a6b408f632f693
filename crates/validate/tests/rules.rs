//! Every built-in rule of semantics.md §2-§5, with fixed times.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use scitokens_format::{Claims, Header, Profile};
use scitokens_validate::{UnknownClaims, Validator, ValidatorBuilder};
use serde_json::{json, Value};
use std::time::Duration;

const ISS: &str = "https://issuer.example";
const AUD: &str = "https://storage.example";
const NOW: i64 = 1_700_000_000;
const WLCG_ANY: &str = "https://wlcg.cern.ch/jwt/v1/any";

fn base() -> ValidatorBuilder {
    Validator::builder().issuer(ISS).audience(AUD)
}

fn header(typ: Option<&str>) -> Header {
    let mut h = json!({"alg": "ES256"});
    if let Some(typ) = typ {
        h["typ"] = typ.into();
    }
    Header::from_json(h.to_string().as_bytes()).unwrap()
}

/// Claims of a valid token of `profile`, with `changes` applied (`null` removes a claim).
fn claims(profile: Profile, changes: Value) -> Claims {
    let mut c = json!({"iss": ISS, "exp": NOW + 600, "iat": NOW, "nbf": NOW, "aud": AUD,
                       "sub": "alice", "scope": "read:/"});
    match profile {
        Profile::SciTokens1 => {}
        Profile::SciTokens2 => c["ver"] = "scitoken:2.0".into(),
        Profile::Wlcg => c["wlcg.ver"] = "1.0".into(),
        Profile::AccessToken => {}
    }
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    Claims::from_json(c.to_string().as_bytes()).unwrap()
}

fn typ(profile: Profile) -> Option<&'static str> {
    (profile == Profile::AccessToken).then_some("at+jwt")
}

fn outcome(
    v: &Validator,
    profile: Profile,
    changes: Value,
    now: i64,
) -> Result<Profile, (String, String)> {
    v.validate(&header(typ(profile)), &claims(profile, changes), now)
        .map_err(|e| (e.kind().to_owned(), e.to_string()))
}

fn kind(v: &Validator, profile: Profile, changes: Value, now: i64) -> String {
    match outcome(v, profile, changes, now) {
        Ok(p) => format!("ok:{p}"),
        Err((kind, _)) => kind,
    }
}

const ALL: [Profile; 4] = [
    Profile::SciTokens1,
    Profile::SciTokens2,
    Profile::Wlcg,
    Profile::AccessToken,
];

#[test]
fn valid_tokens_of_every_profile() {
    let v = base().build().unwrap();
    for p in ALL {
        assert_eq!(outcome(&v, p, json!({}), NOW), Ok(p));
    }
}

#[test]
fn issuer_is_exact_and_checked_first() {
    let v = base().build().unwrap();
    for p in ALL {
        let (kind, msg) = outcome(
            &v,
            p,
            json!({"iss": "https://issuer.example/", "exp": "x"}),
            NOW,
        )
        .unwrap_err();
        assert_eq!(kind, "untrusted_issuer", "{p}");
        assert_eq!(msg, "issuer \"https://issuer.example/\" is not trusted");
        assert_eq!(kind_of(&v, p, json!({"iss": null})), "missing_claim");
        assert_eq!(kind_of(&v, p, json!({"iss": 5})), "malformed_claim");
    }
}

fn kind_of(v: &Validator, p: Profile, changes: Value) -> String {
    kind(v, p, changes, NOW)
}

#[test]
fn expiry_with_and_without_leeway() {
    let v = base().build().unwrap();
    for p in ALL {
        assert_eq!(kind(&v, p, json!({"exp": NOW + 1}), NOW), format!("ok:{p}"));
        let (k, msg) = outcome(&v, p, json!({"exp": NOW}), NOW).unwrap_err();
        assert_eq!(k, "expired");
        assert_eq!(
            msg,
            format!("token expired: exp {NOW} is before now {NOW} (leeway 0 s)")
        );
        assert_eq!(
            kind_of(&v, p, json!({"exp": null})),
            "missing_claim",
            "exp is required everywhere"
        );
        assert_eq!(
            kind_of(&v, p, json!({"exp": "1700000600"})),
            "malformed_claim"
        );
        assert_eq!(
            kind_of(&v, p, json!({"exp": NOW as f64 + 0.9})),
            "expired",
            "fractions are floored"
        );
    }
    let lenient = base().exp_leeway(Duration::from_secs(30)).build().unwrap();
    assert_eq!(
        kind(&lenient, Profile::Wlcg, json!({"exp": NOW - 29}), NOW),
        "ok:wlcg"
    );
    assert_eq!(
        kind(&lenient, Profile::Wlcg, json!({"exp": NOW - 30}), NOW),
        "expired"
    );
}

#[test]
fn future_iat_and_nbf_within_the_skew() {
    let v = base().build().unwrap();
    for p in ALL {
        assert_eq!(
            kind(&v, p, json!({"iat": NOW + 60, "nbf": NOW + 60}), NOW),
            format!("ok:{p}")
        );
        let (k, msg) = outcome(&v, p, json!({"nbf": NOW + 61}), NOW).unwrap_err();
        assert_eq!(k, "not_yet_valid");
        assert!(
            msg.contains("nbf 1700000061 is after now 1700000000 (future skew 60 s)"),
            "{msg}"
        );
        assert_eq!(kind_of(&v, p, json!({"iat": NOW + 61})), "not_yet_valid");
        assert_eq!(kind_of(&v, p, json!({"nbf": null})), format!("ok:{p}"));
    }
    for p in [Profile::Wlcg, Profile::AccessToken] {
        assert_eq!(
            kind_of(&v, p, json!({"iat": null})),
            "missing_claim",
            "{p}: iat required"
        );
    }
    for p in [Profile::SciTokens1, Profile::SciTokens2] {
        assert_eq!(kind_of(&v, p, json!({"iat": null})), format!("ok:{p}"));
    }
    let strict = base().future_skew(Duration::ZERO).build().unwrap();
    assert_eq!(
        kind(&strict, Profile::Wlcg, json!({"iat": NOW + 1}), NOW),
        "not_yet_valid"
    );
}

#[test]
fn audience_rules_in_every_profile() {
    let v = base().build().unwrap();
    for p in ALL {
        let ok = format!("ok:{p}");
        assert_eq!(kind_of(&v, p, json!({"aud": [ "other", AUD ]})), ok);
        assert_eq!(
            kind_of(&v, p, json!({"aud": "https://STORAGE.example"})),
            "wrong_audience",
            "case-sensitive"
        );
        assert_eq!(kind_of(&v, p, json!({"aud": 7})), "malformed_claim");
        assert_eq!(kind_of(&v, p, json!({"aud": {}})), "malformed_claim");
        assert_eq!(kind_of(&v, p, json!({"aud": []})), "malformed_claim");
    }
    // Each profile's wildcard, and only its own.
    for (p, own, other) in [
        (Profile::SciTokens1, "ANY", WLCG_ANY),
        (Profile::SciTokens2, "ANY", WLCG_ANY),
        (Profile::Wlcg, WLCG_ANY, "ANY"),
    ] {
        assert_eq!(kind_of(&v, p, json!({"aud": own})), format!("ok:{p}"));
        assert_eq!(
            kind_of(&v, p, json!({"aud": other})),
            "wrong_audience",
            "{p}"
        );
    }
    assert_eq!(
        kind_of(&v, Profile::AccessToken, json!({"aud": "ANY"})),
        "wrong_audience"
    );
    assert_eq!(
        kind_of(&v, Profile::AccessToken, json!({"aud": WLCG_ANY})),
        "wrong_audience"
    );
    // With an audience configured, aud is required in every profile, SciTokens 1.0 included
    // (semantics.md §5): an unbound token must not pass where the service names itself.
    for p in Profile::ALL {
        assert_eq!(kind_of(&v, p, json!({"aud": null})), "missing_claim", "{p}");
        let (_, msg) = outcome(&v, p, json!({"aud": null}), NOW).unwrap_err();
        assert_eq!(msg, "missing claim \"aud\"");
    }
    let (_, msg) = outcome(&v, Profile::Wlcg, json!({"aud": ["x", "y"]}), NOW).unwrap_err();
    assert_eq!(
        msg,
        format!("token audience [\"x\",\"y\"] is not for this service (expected one of {AUD}, {WLCG_ANY})")
    );
}

#[test]
fn without_a_configured_audience() {
    let v = Validator::builder().issuer(ISS).build().unwrap();
    assert_eq!(
        kind_of(&v, Profile::SciTokens1, json!({"aud": null})),
        "ok:scitokens1"
    );
    assert_eq!(
        kind_of(&v, Profile::SciTokens2, json!({"aud": "ANY"})),
        "ok:scitokens2"
    );
    assert_eq!(
        kind_of(&v, Profile::Wlcg, json!({"aud": WLCG_ANY})),
        "ok:wlcg"
    );
    assert_eq!(
        kind_of(&v, Profile::SciTokens2, json!({})),
        "wrong_audience"
    );
    assert_eq!(
        kind_of(&v, Profile::AccessToken, json!({})),
        "wrong_audience",
        "never accepted"
    );
}

#[test]
fn configuration_errors() {
    let err = |b: ValidatorBuilder| b.build().unwrap_err().to_string();
    assert!(err(Validator::builder()).contains("no issuer"));
    assert!(err(Validator::builder().issuer("http://issuer.example")).contains("not an https URL"));
    assert!(err(base().audience("ANY")).contains("wildcard"));
    assert!(err(base().audience(WLCG_ANY)).contains("wildcard"));
    assert!(err(base().profiles([])).contains("no profile"));
    assert!(Validator::builder()
        .issuer("http://127.0.0.1:8080")
        .dangerous()
        .allow_http_loopback_issuers()
        .done()
        .build()
        .is_ok());
    assert!(err(Validator::builder()
        .issuer("http://10.0.0.1")
        .dangerous()
        .allow_http_loopback_issuers()
        .done())
    .contains("https"));
}

#[test]
fn profiles_can_be_restricted_and_markers_are_checked() {
    let v = base().profiles([Profile::Wlcg]).build().unwrap();
    assert_eq!(kind_of(&v, Profile::Wlcg, json!({})), "ok:wlcg");
    let (k, msg) = outcome(&v, Profile::SciTokens2, json!({}), NOW).unwrap_err();
    assert_eq!(k, "profile_not_accepted");
    assert_eq!(
        msg,
        "token profile scitokens2 is not accepted here (accepted: wlcg)"
    );
    let all = base().build().unwrap();
    assert_eq!(
        kind_of(&all, Profile::Wlcg, json!({"wlcg.ver": "2.0"})),
        "profile"
    );
    assert_eq!(
        kind_of(&all, Profile::Wlcg, json!({"wlcg.ver": 1.0})),
        "profile"
    );
    assert_eq!(
        kind_of(&all, Profile::Wlcg, json!({"ver": "scitoken:2.0"})),
        "profile"
    );
    assert_eq!(
        kind_of(&all, Profile::SciTokens2, json!({"ver": "scitoken:3.0"})),
        "profile"
    );
    assert_eq!(
        kind_of(&all, Profile::Wlcg, json!({"wlcg.ver": "1.7"})),
        "ok:wlcg"
    );
    assert_eq!(
        kind_of(&all, Profile::SciTokens1, json!({"ver": 1})),
        "ok:scitokens1"
    );
}

#[test]
fn scitokens1_refuses_unknown_claims_unless_a_callback_accepts_them() {
    let v = base().build().unwrap();
    let (k, msg) = outcome(&v, Profile::SciTokens1, json!({"group": "cms"}), NOW).unwrap_err();
    assert_eq!(k, "unknown_claim");
    assert!(msg.starts_with("claim \"group\" is not accepted"), "{msg}");
    for p in [Profile::SciTokens2, Profile::Wlcg, Profile::AccessToken] {
        assert_eq!(
            kind_of(&v, p, json!({"group": "cms"})),
            format!("ok:{p}"),
            "ignored"
        );
    }
    let with_cb = base().check("group", |_: &Value| Ok(())).build().unwrap();
    assert_eq!(
        kind_of(&with_cb, Profile::SciTokens1, json!({"group": "cms"})),
        "ok:scitokens1"
    );
    assert_eq!(
        kind_of(&v, Profile::SciTokens1, json!({"opt": {"x": 1}})),
        "ok:scitokens1"
    );
    // scitokens-cpp's deserialize and enforcer ignore them (the C ABI asks for that).
    let lenient = base()
        .unknown_claims(UnknownClaims::Ignore)
        .build()
        .unwrap();
    assert_eq!(
        kind_of(&lenient, Profile::SciTokens1, json!({"group": "cms"})),
        "ok:scitokens1"
    );
    // Other rules still hold.
    assert_eq!(
        kind_of(
            &lenient,
            Profile::SciTokens1,
            json!({"group": "cms", "sub": 7})
        ),
        "malformed_claim"
    );
}

#[test]
fn callbacks_and_critical_claims() {
    let v = base()
        .check("group", |g: &Value| {
            if g == "cms" {
                Ok(())
            } else {
                Err(format!("group {g} is not cms").into())
            }
        })
        .check("group", |g: &Value| {
            if g.is_string() {
                Ok(())
            } else {
                Err("not a string".into())
            }
        })
        .critical("group")
        .build()
        .unwrap();
    for p in ALL {
        if p == Profile::SciTokens1 {
            continue;
        }
        assert_eq!(kind_of(&v, p, json!({"group": "cms"})), format!("ok:{p}"));
        let (k, msg) = outcome(&v, p, json!({"group": "atlas"}), NOW).unwrap_err();
        assert_eq!(k, "rejected");
        assert_eq!(msg, "claim \"group\" rejected: group \"atlas\" is not cms");
        assert_eq!(kind_of(&v, p, json!({"group": null})), "missing_claim");
    }
}

#[test]
fn typed_claims_and_a_stable_error_order() {
    let v = base().build().unwrap();
    assert_eq!(
        kind_of(&v, Profile::Wlcg, json!({"sub": 1})),
        "malformed_claim"
    );
    assert_eq!(
        kind_of(&v, Profile::Wlcg, json!({"jti": ["a"]})),
        "malformed_claim"
    );
    assert_eq!(
        kind_of(&v, Profile::Wlcg, json!({"scope": ["read:/"]})),
        "malformed_claim"
    );
    // Several faults: the report is the first in the documented order, whatever the claim order.
    let many = json!({"sub": 1, "aud": "nope", "nbf": NOW + 999, "exp": NOW - 1});
    assert_eq!(kind_of(&v, Profile::Wlcg, many), "expired");
}

#[test]
fn validator_is_send_sync_and_uses_the_time_given() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Validator>();
    let v = base().build().unwrap();
    let c = claims(Profile::Wlcg, json!({}));
    let h = header(None);
    assert!(v.validate(&h, &c, NOW + 599).is_ok());
    assert!(
        v.validate(&h, &c, NOW + 600).is_err(),
        "the same validator, later: expired"
    );
    assert!(v.validate(&h, &c, NOW).is_ok());
}

#[test]
fn any_issuer_and_skip_audience_are_explicit_opt_ins() {
    assert_eq!(
        Validator::builder().build().unwrap_err().kind(),
        "config",
        "no issuer, no opt-in: a configuration error"
    );
    let lenient = Validator::builder()
        .dangerous()
        .any_issuer()
        .skip_audience()
        .done()
        .build()
        .unwrap();
    let elsewhere = claims(
        Profile::Wlcg,
        json!({"iss": "https://elsewhere.example", "aud": "https://other.example"}),
    );
    assert!(lenient.validate(&header(None), &elsewhere, NOW).is_ok());
    // Everything else still applies.
    let expired = claims(Profile::Wlcg, json!({"exp": NOW - 1}));
    assert_eq!(
        lenient
            .validate(&header(None), &expired, NOW)
            .unwrap_err()
            .kind(),
        "expired"
    );
    let no_iss = claims(Profile::Wlcg, json!({"iss": null}));
    assert!(lenient.validate(&header(None), &no_iss, NOW).is_err());
    // The default validator still checks both.
    let strict = base().build().unwrap();
    assert_eq!(
        strict
            .validate(&header(None), &elsewhere, NOW)
            .unwrap_err()
            .kind(),
        "untrusted_issuer"
    );
}
