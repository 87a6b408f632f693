//! Verification and minting cost of a typical token, against the bare aws-lc primitives.
//!
//! `parse+verify` is what a verify call costs once the key is parsed: decode the compact JWS
//! (base64, strict JSON, header rules) and check the signature. `signature only` is the
//! aws-lc check alone (hash included), the floor. `mint` builds the claims, serializes and
//! signs; `sign only` is the aws-lc signature over the same signing input, its floor.
//! Results and how to read them: `docs/performance.md`.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use criterion::{criterion_group, criterion_main, Criterion};
use scitokens_format::{Algorithm, KeySet, Profile, SigningKey, TokenBuilder, UnverifiedToken};
use std::hint::black_box;

const NOW: i64 = 1_700_000_000;

fn typical_token(key: &SigningKey) -> String {
    TokenBuilder::new(Profile::Wlcg, "https://issuer.example.org/wlcg")
        .scope("storage.read:/data/experiment storage.create:/data/experiment/user/alice")
        .audience("https://storage.example.org")
        .subject("alice")
        .lifetime(std::time::Duration::from_secs(1200))
        .sign(key, NOW)
        .expect("mint")
}

fn bench_alg(c: &mut Criterion, alg: Algorithm) {
    let key = SigningKey::generate(alg).expect("key");
    let keys = KeySet::new(vec![key.verifying_key().clone()]);
    let token = typical_token(&key);
    let (signing_input, _) = token.rsplit_once('.').expect("three segments");
    let signature = UnverifiedToken::parse(&token)
        .expect("parse")
        .signature()
        .to_vec();

    let mut group = c.benchmark_group(alg.as_str());
    group.bench_function("parse", |b| {
        b.iter(|| UnverifiedToken::parse(black_box(&token)).expect("parse"))
    });
    group.bench_function("parse+verify", |b| {
        b.iter(|| {
            UnverifiedToken::parse(black_box(&token))
                .and_then(|t| t.verify(&keys))
                .expect("verify")
        })
    });
    group.bench_function("signature only", |b| {
        b.iter(|| {
            key.verifying_key()
                .verify(
                    alg,
                    black_box(signing_input.as_bytes()),
                    black_box(&signature),
                )
                .expect("verify")
        })
    });
    group.bench_function("mint", |b| b.iter(|| typical_token(black_box(&key))));
    group.bench_function("sign only", |b| {
        b.iter(|| key.sign(black_box(signing_input.as_bytes())).expect("sign"))
    });
    group.finish();
}

fn verify(c: &mut Criterion) {
    bench_alg(c, Algorithm::Es256);
    bench_alg(c, Algorithm::Rs256);
}

criterion_group!(benches, verify);
criterion_main!(benches);
