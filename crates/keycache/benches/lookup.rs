//! Key lookup on the hot path, and a whole verification with the key from the cache.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use scitokens_format::{
    Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder, UnverifiedToken,
};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};

const ISSUER: &str = "https://issuer.example.org/wlcg";

fn lookup(c: &mut Criterion) {
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::InMemory,
        ..KeyCacheConfig::default()
    })
    .expect("cache");
    // A realistic population: 50 issuers, 3 keys each.
    let mut target = None;
    for i in 0..50 {
        let keys: Vec<SigningKey> = (0..3)
            .map(|_| SigningKey::generate(Algorithm::Es256).expect("key"))
            .collect();
        let issuer = if i == 25 {
            ISSUER.to_owned()
        } else {
            format!("https://issuer{i}.example")
        };
        let set = KeySet::new(keys.iter().map(|k| k.verifying_key().clone()).collect());
        cache
            .set_jwks(&issuer, set.to_json().expect("jwks").as_bytes())
            .expect("set");
        if i == 25 {
            target = Some(keys[1].clone());
        }
    }
    let key = target.expect("target key");
    let token = TokenBuilder::new(Profile::Wlcg, ISSUER)
        .scope("storage.read:/data/experiment storage.create:/data/experiment/user/alice")
        .audience("https://storage.example.org")
        .subject("alice")
        .sign(&key, SystemClock.now())
        .expect("mint");
    let in_hand = KeySet::new(vec![key.verifying_key().clone()]);

    c.bench_function("keycache/lookup fresh", |b| {
        b.iter(|| {
            cache
                .keys(black_box(ISSUER), black_box(Some(key.kid())))
                .expect("keys")
        })
    });
    c.bench_function("keycache/verify, key in hand", |b| {
        b.iter(|| {
            UnverifiedToken::parse(black_box(&token))
                .and_then(|t| t.verify(&in_hand))
                .expect("verify")
        })
    });
    c.bench_function("keycache/verify, key from cache", |b| {
        b.iter(|| {
            let parsed = UnverifiedToken::parse(black_box(&token)).expect("parse");
            let keys = cache.keys(ISSUER, parsed.header().kid()).expect("keys");
            parsed.verify(&keys).expect("verify")
        })
    });
}

criterion_group!(benches, lookup);
criterion_main!(benches);
