//! Known-answer vectors in `testdata/vectors/`, run by one data-driven test.
//!
//! Each vector is a JSON file: a token, the key set to verify it with (a file under
//! `testdata/keys/`), and the expected outcome (claims, or an error kind with a message
//! fragment). The generator below rebuilds them from the fixture keys:
//!
//! ```text
//! SCITOKENS_REGENERATE=1 cargo test -p scitokens-format --test vectors
//! ```
//!
//! Without that variable, `generator_matches_committed_vectors` checks that the committed files
//! are what the generator makes (ES256 signatures are randomized, so for them the header and
//! payload must match and the stored signature must still verify).

#![allow(clippy::unwrap_used)] // helpers of a test: a panic is a failed test

use std::fs;
use std::path::{Path, PathBuf};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use scitokens_format::{KeySet, SigningKey, UnverifiedToken};
use serde_json::{json, Map, Value};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn read(rel: &str) -> Vec<u8> {
    fs::read(testdata().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn signing_key(rel: &str) -> SigningKey {
    SigningKey::from_pem(&read(rel)).unwrap()
}

/// How the third segment is made.
enum Sig {
    /// Signed with a fixture private key (through the library's signer).
    Key(&'static str),
    /// DER ECDSA signature straight from OpenSSL (not the JOSE r||s form).
    Der(&'static str),
    /// HMAC-SHA256 with the given secret.
    Hmac(Vec<u8>),
    /// ECDSA P-384 (ES384) with a fixture key, r||s.
    Es384(&'static str),
    /// These exact bytes.
    Raw(Vec<u8>),
}

impl Sig {
    fn deterministic(&self) -> bool {
        !matches!(self, Sig::Key(k) | Sig::Der(k) | Sig::Es384(k) if k.starts_with("keys/es") || k.starts_with("keys/p384"))
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        match self {
            Sig::Key(rel) => signing_key(rel).sign(input).unwrap(),
            Sig::Der(rel) => ec_pair(rel, &ECDSA_P256_SHA256_ASN1_SIGNING)
                .sign(&SystemRandom::new(), input)
                .unwrap()
                .as_ref()
                .to_vec(),
            Sig::Hmac(secret) => {
                let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
                hmac::sign(&key, input).as_ref().to_vec()
            }
            Sig::Es384(rel) => ec_pair(rel, &ECDSA_P384_SHA384_FIXED_SIGNING)
                .sign(&SystemRandom::new(), input)
                .unwrap()
                .as_ref()
                .to_vec(),
            Sig::Raw(bytes) => bytes.clone(),
        }
    }
}

struct Case {
    name: &'static str,
    description: &'static str,
    header: String,
    payload: String,
    sig: Sig,
    /// Applied to the finished token (tampering, re-segmenting).
    mutate: fn(String) -> String,
    jwks: &'static str,
    expect: Value,
}

fn kid(rel: &str) -> String {
    signing_key(rel).kid().to_owned()
}

const ES: &str = "keys/es256-private.pem";
const ES_OTHER: &str = "keys/es256-other-private.pem";
const RS: &str = "keys/rs256-private.pem";

fn payload_scitokens2() -> String {
    r#"{"iss":"https://issuer.example","sub":"alice","aud":"https://storage.example","ver":"scitoken:2.0","scope":"read:/data write:/data/out","iat":1700000000,"nbf":1700000000,"exp":1700000600,"jti":"3f1c6b0e-1a4e-4c4e-9d0b-6f2a0c1d2e3f"}"#.into()
}

fn ok(payload: &str) -> Value {
    json!({"claims": serde_json::from_str::<Value>(payload).unwrap()})
}

fn err(kind: &str, contains: &str) -> Value {
    json!({"error": kind, "message_contains": contains})
}

fn same(t: String) -> String {
    t
}

fn case(
    name: &'static str,
    description: &'static str,
    header: String,
    payload: String,
    sig: Sig,
    jwks: &'static str,
    expect: Value,
) -> Case {
    Case {
        name,
        description,
        header,
        payload,
        sig,
        mutate: same,
        jwks,
        expect,
    }
}

fn cases() -> Vec<Case> {
    let es_header = format!(r#"{{"alg":"ES256","typ":"JWT","kid":"{}"}}"#, kid(ES));
    let rs_header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, kid(RS));
    let p = payload_scitokens2();
    let wlcg = r#"{"wlcg.ver":"1.0","sub":"bob","aud":"https://wlcg.cern.ch/jwt/v1/any","scope":"storage.read:/ storage.modify:/out","iss":"https://issuer.example","exp":1700000600,"iat":1700000000,"jti":"a","wlcg.groups":["/cms"]}"#.to_owned();
    let rsa_public_pem = read("keys/rs256-public.pem");
    let mut out = vec![
        case(
            "es256-scitokens2",
            "a typical SciTokens 2.0 token, ES256",
            es_header.clone(),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            ok(&p),
        ),
        case(
            "rs256-wlcg",
            "a WLCG token, RS256; claim order preserved",
            rs_header.clone(),
            wlcg.clone(),
            Sig::Key(RS),
            "keys/issuer.jwks",
            ok(&wlcg),
        ),
        case(
            "es256-no-kid-one-key",
            "no kid and a key set of exactly one key",
            r#"{"alg":"ES256","typ":"JWT"}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/es256-only-nokid.jwks",
            ok(&p),
        ),
        case(
            "no-kid-two-keys",
            "no kid and a key set of two keys",
            r#"{"alg":"ES256"}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("ambiguous_key", "holds 2 keys"),
        ),
        case(
            "unknown-kid",
            "kid not in the key set",
            r#"{"alg":"ES256","kid":"nope"}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("unknown_kid", "\"nope\""),
        ),
        case(
            "alg-none",
            "alg none with an empty signature",
            r#"{"alg":"none"}"#.into(),
            p.clone(),
            Sig::Raw(vec![]),
            "keys/issuer.jwks",
            err("alg_not_allowed", "\"none\""),
        ),
        case(
            "alg-hs256-rsa-public-key-as-secret",
            "HS256 keyed with the issuer's RSA public key PEM (key confusion)",
            format!(r#"{{"alg":"HS256","kid":"{}"}}"#, kid(RS)),
            p.clone(),
            Sig::Hmac(rsa_public_pem),
            "keys/issuer.jwks",
            err("alg_not_allowed", "\"HS256\""),
        ),
        case(
            "alg-es384",
            "ES384 signed with a P-384 key",
            r#"{"alg":"ES384","kid":"p384"}"#.into(),
            p.clone(),
            Sig::Es384("keys/p384-private.pem"),
            "keys/unsupported.jwks",
            err("alg_not_allowed", "\"ES384\""),
        ),
        case(
            "alg-missing",
            "header without alg",
            r#"{"typ":"JWT"}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("missing_alg", "alg"),
        ),
        case(
            "alg-not-a-string",
            "alg is a number",
            r#"{"alg":256}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("alg_not_allowed", "256"),
        ),
        case(
            "crit",
            "a crit header parameter",
            format!(
                r#"{{"alg":"ES256","kid":"{}","crit":["exp"],"exp":1}}"#,
                kid(ES)
            ),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("header", "crit"),
        ),
        case(
            "kid-not-a-string",
            "kid is a number",
            r#"{"alg":"ES256","kid":7}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("header", "\"kid\" is the number 7, not a string"),
        ),
        case(
            "es256-header-rsa-key",
            "ES256 header whose kid names the RSA key",
            format!(r#"{{"alg":"ES256","kid":"{}"}}"#, kid(RS)),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err(
                "key_alg_mismatch",
                "RS256 key but the token header says ES256",
            ),
        ),
        case(
            "rs256-header-ec-key",
            "RS256 header whose kid names the EC key",
            format!(r#"{{"alg":"RS256","kid":"{}"}}"#, kid(ES)),
            p.clone(),
            Sig::Key(RS),
            "keys/issuer.jwks",
            err(
                "key_alg_mismatch",
                "ES256 key but the token header says RS256",
            ),
        ),
        case(
            "es256-der-signature",
            "ES256 signature in DER instead of r||s",
            es_header.clone(),
            p.clone(),
            Sig::Der(ES),
            "keys/issuer.jwks",
            err("signature_length", "expected 64"),
        ),
        case(
            "es256-empty-signature",
            "ES256 with an empty signature",
            es_header.clone(),
            p.clone(),
            Sig::Raw(vec![]),
            "keys/issuer.jwks",
            err("signature_length", "0 bytes"),
        ),
        case(
            "es256-r-zero",
            "ES256 signature with r = 0",
            es_header.clone(),
            p.clone(),
            Sig::Raw([vec![0u8; 32], vec![1u8; 32]].concat()),
            "keys/issuer.jwks",
            err("bad_signature", "does not verify"),
        ),
        case(
            "es256-s-above-order",
            "ES256 signature with s above the group order",
            es_header.clone(),
            p.clone(),
            Sig::Raw([vec![1u8; 32], vec![0xffu8; 32]].concat()),
            "keys/issuer.jwks",
            err("bad_signature", "does not verify"),
        ),
        case(
            "rs256-truncated-signature",
            "RS256 signature cut to 255 bytes",
            rs_header.clone(),
            p.clone(),
            Sig::Raw(vec![7u8; 255]),
            "keys/issuer.jwks",
            err("signature_length", "255 bytes"),
        ),
        case(
            "other-key-same-kid",
            "signed by another EC key that claims the issuer's kid",
            es_header.clone(),
            p.clone(),
            Sig::Key(ES_OTHER),
            "keys/issuer.jwks",
            err("bad_signature", "does not verify"),
        ),
        case(
            "duplicate-exp",
            "payload with exp twice",
            es_header.clone(),
            r#"{"iss":"https://issuer.example","exp":1,"exp":9999999999}"#.into(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("json", "duplicate member name \"exp\""),
        ),
        case(
            "duplicate-alg",
            "header with alg twice",
            r#"{"alg":"RS256","alg":"ES256"}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("json", "duplicate member name \"alg\""),
        ),
        case(
            "payload-array",
            "payload is a JSON array",
            es_header.clone(),
            r#"[{"iss":"https://issuer.example"}]"#.into(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("json", "found an array"),
        ),
        case(
            "payload-not-json",
            "payload is not JSON",
            es_header.clone(),
            "iss=x".into(),
            Sig::Key(ES),
            "keys/issuer.jwks",
            err("json", "payload"),
        ),
        case(
            "p384-key-in-set",
            "an ES256 token whose kid names a P-384 key, skipped from the set",
            r#"{"alg":"ES256","kid":"p384"}"#.into(),
            p.clone(),
            Sig::Key(ES),
            "keys/unsupported.jwks",
            err("unknown_kid", "p384"),
        ),
        case(
            "rsa1024-key-in-set",
            "an RS256 token whose kid names a 1024-bit key, skipped from the set",
            r#"{"alg":"RS256","kid":"rsa1024"}"#.into(),
            p.clone(),
            Sig::Raw(vec![1u8; 256]),
            "keys/unsupported.jwks",
            err("unknown_kid", "rsa1024"),
        ),
        case(
            "unsupported-keys-skipped-others-used",
            "a set with unusable keys still serves its good key",
            es_header.clone(),
            p.clone(),
            Sig::Key(ES),
            "keys/unsupported.jwks",
            ok(&p),
        ),
    ];
    let mut mutated =
        |name, description, header: &String, sig, mutate: fn(String) -> String, expect| {
            out.push(Case {
                name,
                description,
                header: header.clone(),
                payload: payload_scitokens2(),
                sig,
                mutate,
                jwks: "keys/issuer.jwks",
                expect,
            });
        };
    mutated(
        "tampered-payload",
        "one payload character changed after signing",
        &es_header,
        Sig::Key(ES),
        |t| {
            let (h, rest) = t.split_once('.').unwrap();
            let (body, sig) = rest.split_once('.').unwrap();
            let claims: Value = serde_json::from_slice(&B64.decode(body).unwrap()).unwrap();
            let mut claims = claims.as_object().unwrap().clone();
            claims.insert("scope".into(), "read:/ write:/".into());
            format!(
                "{h}.{}.{sig}",
                B64.encode(Value::Object(claims).to_string())
            )
        },
        err("bad_signature", "does not verify"),
    );
    mutated(
        "base64-padding",
        "header segment with = padding",
        &es_header,
        Sig::Key(ES),
        |t| {
            let (h, rest) = t.split_once('.').unwrap();
            format!("{h}==.{rest}")
        },
        err("base64", "header"),
    );
    mutated(
        "base64-standard-alphabet",
        "payload with + and / (standard alphabet)",
        &es_header,
        Sig::Key(ES),
        |t| {
            let (h, rest) = t.split_once('.').unwrap();
            format!("{h}.+/{}", &rest[2..])
        },
        err("base64", "payload"),
    );
    mutated(
        "two-segments",
        "header and payload only",
        &es_header,
        Sig::Key(ES),
        |t| t.rsplit_once('.').unwrap().0.to_owned(),
        err("segment_count", "2 segment"),
    );
    mutated(
        "four-segments",
        "a fourth segment (token with key)",
        &es_header,
        Sig::Key(ES),
        |t| format!("{t}.e30"),
        err("token_with_key", "4 segments"),
    );
    mutated(
        "trailing-dot",
        "a stray '.' after a valid token: an empty segment, not a token with key",
        &es_header,
        Sig::Key(ES),
        |t| format!("{t}."),
        err("empty_segment", "segment 4 of 4 is empty"),
    );
    mutated(
        "too-long-100k",
        "a 100 KB token",
        &es_header,
        Sig::Key(ES),
        |t| {
            let (h, rest) = t.split_once('.').unwrap();
            format!("{h}.{}{rest}", "A".repeat(100 * 1024))
        },
        err("too_long", "over the limit of 65536"),
    );
    mutated(
        "whitespace",
        "a space inside the token",
        &es_header,
        Sig::Key(ES),
        |t| t.replacen('.', ". ", 1),
        err("base64", "payload"),
    );
    out
}

fn build(case: &Case) -> String {
    let signing_input = format!("{}.{}", B64.encode(&case.header), B64.encode(&case.payload));
    let sig = case.sig.sign(signing_input.as_bytes());
    (case.mutate)(format!("{signing_input}.{}", B64.encode(sig)))
}

fn vector_json(case: &Case, token: &str) -> Value {
    json!({
        "description": case.description,
        "token": token,
        "jwks": case.jwks,
        "expect": case.expect,
    })
}

/// An EC key pair of a PKCS#8 PEM fixture, for `alg`.
fn ec_pair(rel: &str, alg: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm) -> EcdsaKeyPair {
    let der = pem::parse(read(rel)).unwrap().into_contents();
    EcdsaKeyPair::from_pkcs8(alg, &der).unwrap()
}

/// JWK for a key this library refuses (P-384, RSA 1024), written by hand: the EC key from its
/// private PEM, the RSA key from its public PEM (aws-lc will not load a 1024-bit private key).
fn foreign_jwk(rel: &str, kid: &str) -> Value {
    if rel.contains("p384") {
        let pair = ec_pair(rel, &ECDSA_P384_SHA384_FIXED_SIGNING);
        let (x, y) = pair.public_key().as_ref()[1..].split_at(48);
        json!({"kty":"EC","crv":"P-384","kid":kid,"x":B64.encode(x),"y":B64.encode(y)})
    } else {
        let der = pem::parse(read(&rel.replace("private", "public")))
            .unwrap()
            .into_contents();
        let rsa = aws_lc_rs::rsa::PublicKey::from_der(&der).unwrap();
        let n = rsa.modulus().big_endian_without_leading_zero().to_vec();
        let e = rsa.exponent().big_endian_without_leading_zero().to_vec();
        json!({"kty":"RSA","kid":kid,"n":B64.encode(n),"e":B64.encode(e)})
    }
}

fn jwk(rel: &str) -> Value {
    Value::Object(signing_key(rel).verifying_key().to_jwk().unwrap())
}

fn key_sets() -> Vec<(&'static str, Value)> {
    let mut nokid = jwk(ES);
    nokid.as_object_mut().unwrap().remove("kid");
    vec![
        ("keys/issuer.jwks", json!({"keys": [jwk(ES), jwk(RS)]})),
        ("keys/es256-only-nokid.jwks", json!({"keys": [nokid]})),
        (
            "keys/unsupported.jwks",
            json!({"keys": [foreign_jwk("keys/p384-private.pem", "p384"), foreign_jwk("keys/rsa1024-private.pem", "rsa1024"), {"kty":"oct","k":"c2VjcmV0","kid":"hmac"}, jwk(ES)]}),
        ),
    ]
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

#[test]
fn generator_matches_committed_vectors() {
    let regenerate = std::env::var_os("SCITOKENS_REGENERATE").is_some();
    for (rel, set) in key_sets() {
        let path = testdata().join(rel);
        if regenerate {
            fs::write(&path, pretty(&set)).unwrap();
        }
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            pretty(&set),
            "{rel} is stale: regenerate"
        );
    }
    for case in cases() {
        let path = testdata().join(format!("vectors/{}.json", case.name));
        if regenerate {
            fs::write(&path, pretty(&vector_json(&case, &build(&case)))).unwrap();
        }
        let stored: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let fresh = build(&case);
        let stored_token = stored["token"].as_str().unwrap();
        if case.sig.deterministic() {
            assert_eq!(
                stored_token, fresh,
                "{}: token differs: regenerate",
                case.name
            );
        } else {
            // Everything but the (randomized) signature segment must match.
            let unsigned = |t: &str| {
                let mut segments: Vec<&str> = t.split('.').collect();
                if segments.len() > 2 {
                    segments[2] = "";
                }
                segments.join(".")
            };
            assert_eq!(
                unsigned(stored_token),
                unsigned(&fresh),
                "{}: header or payload differs",
                case.name
            );
        }
        assert_eq!(
            stored,
            vector_json(&case, stored_token),
            "{}: description or expectation differs",
            case.name
        );
    }
}

#[test]
fn every_vector_gives_its_expected_outcome() {
    let mut count = 0;
    for entry in fs::read_dir(testdata().join("vectors")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let vector: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let keys = KeySet::from_json(&read(vector["jwks"].as_str().unwrap())).unwrap();
        let token = vector["token"].as_str().unwrap();
        let outcome = UnverifiedToken::parse(token).and_then(|t| t.verify(&keys));
        let expect = &vector["expect"];
        match (outcome, expect.get("error")) {
            (Ok(verified), None) => {
                let expected: &Map<String, Value> = expect["claims"].as_object().unwrap();
                assert_eq!(&verified.claims().to_map(), expected, "{name}");
                let order: Vec<_> = verified.claims().iter().map(|(k, _)| k).collect();
                assert_eq!(
                    order,
                    expected.keys().collect::<Vec<_>>(),
                    "{name}: claim order"
                );
            }
            (Err(e), Some(kind)) => {
                assert_eq!(e.kind(), kind.as_str().unwrap(), "{name}: {e}");
                let fragment = expect["message_contains"].as_str().unwrap();
                assert!(
                    e.to_string().contains(fragment),
                    "{name}: {e:?} lacks {fragment:?}"
                );
            }
            (Ok(_), Some(kind)) => panic!("{name}: verified, expected {kind}"),
            (Err(e), None) => panic!("{name}: expected success, got {e}"),
        }
        count += 1;
    }
    assert!(count >= 30, "only {count} vectors found");
}

#[test]
fn unsupported_keys_are_skipped_with_reasons() {
    let keys = KeySet::from_json(&read("keys/unsupported.jwks")).unwrap();
    assert_eq!(keys.len(), 1);
    let reasons: Vec<_> = keys
        .skipped()
        .iter()
        .map(|s| (s.kid.clone().unwrap(), s.reason.clone()))
        .collect();
    assert!(reasons[0].1.contains("P-384"), "{reasons:?}");
    assert!(
        reasons[1].1.contains("1024 bits is too small"),
        "{reasons:?}"
    );
    assert!(reasons[2].1.contains("kty \"oct\""), "{reasons:?}");
}
