//! `authorize` on new and repeated tokens, and `Grants::test` against many scopes.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use scitokens_enforce::{Enforcer, EnforcerConfig, Operation};
use scitokens_format::scope::RequestTarget;
use scitokens_format::{Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder};
use scitokens_keycache::StaticKeys;

const ISS: &str = "https://issuer.example.org/wlcg";
const AUD: &str = "https://storage.example.org";

fn setup(cache: usize) -> (Enforcer, SigningKey) {
    setup_alg(cache, Algorithm::Es256)
}

fn setup_alg(cache: usize, alg: Algorithm) -> (Enforcer, SigningKey) {
    let key = SigningKey::generate(alg).expect("key");
    let keys = StaticKeys::new().with_issuer(ISS, KeySet::new(vec![key.verifying_key().clone()]));
    let enforcer = Enforcer::new(
        EnforcerConfig {
            issuers: vec![ISS.into()],
            audiences: vec![AUD.into()],
            token_cache_capacity: cache,
            ..EnforcerConfig::default()
        },
        Arc::new(keys),
    )
    .expect("enforcer");
    (enforcer, key)
}

fn token(key: &SigningKey, scope: &str) -> String {
    TokenBuilder::new(Profile::Wlcg, ISS)
        .scope(scope)
        .audience(AUD)
        .subject("alice")
        .sign(key, SystemClock.now())
        .expect("mint")
}

fn authorize(c: &mut Criterion) {
    let scope = "storage.read:/data/experiment storage.create:/data/experiment/user/alice";
    let (uncached, key) = setup(0);
    let t = token(&key, scope);
    c.bench_function("authorize/new token (ES256)", |b| {
        b.iter(|| {
            uncached
                .authorize(black_box(&t), &Operation::Read, "/data/experiment/f")
                .expect("ok")
        })
    });
    let (uncached_rs, key_rs) = setup_alg(0, Algorithm::Rs256);
    let t_rs = token(&key_rs, scope);
    c.bench_function("authorize/new token (RS256)", |b| {
        b.iter(|| {
            uncached_rs
                .authorize(black_box(&t_rs), &Operation::Read, "/data/experiment/f")
                .expect("ok")
        })
    });
    c.bench_function(
        "authorize parts/verify_signature (decode, issuer, key, signature)",
        |b| {
            b.iter(|| {
                uncached_rs
                    .dangerous()
                    .verify_signature(black_box(&t_rs))
                    .expect("verified")
            })
        },
    );
    // The parts of a new token's cost after the signature check.
    let parts = uncached_rs.dangerous();
    let verified = parts.verify_signature(&t_rs).expect("verified");
    c.bench_function(
        "authorize parts/grants (validate claims, parse scopes)",
        |b| {
            b.iter(|| {
                parts
                    .grants_of_verified(black_box(&verified))
                    .expect("grants")
            })
        },
    );
    let grants = parts.grants_of_verified(&verified).expect("grants");
    c.bench_function("authorize parts/request target + test", |b| {
        b.iter(|| {
            let target = RequestTarget::parse(black_box("/data/experiment/f")).expect("target");
            grants.test(&Operation::Read, &target)
        })
    });
    let (cached, key) = setup(10_000);
    let t = token(&key, scope);
    c.bench_function("authorize/repeated token", |b| {
        b.iter(|| {
            cached
                .authorize(black_box(&t), &Operation::Read, "/data/experiment/f")
                .expect("ok")
        })
    });
    // Throughput with threads sharing one enforcer: time per request over all threads.
    let (shared, shared_key) = setup(0);
    let shared = Arc::new(shared);
    let t_new = Arc::new(token(&shared_key, scope));
    for threads in [1usize, 2] {
        c.bench_function(
            &format!("authorize/new token, {threads} thread(s) sharing one enforcer"),
            |b| {
                b.iter_custom(|iters| {
                    let per_thread = iters.div_ceil(threads as u64);
                    let start = std::time::Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..threads {
                            let (e, t) = (Arc::clone(&shared), Arc::clone(&t_new));
                            s.spawn(move || {
                                for _ in 0..per_thread {
                                    e.authorize(&t, &Operation::Read, "/data/experiment/f")
                                        .expect("ok");
                                }
                            });
                        }
                    });
                    // Wall time for `iters` requests in all: perfect scaling halves it with 2 threads.
                    start.elapsed()
                })
            },
        );
    }
    let many: Vec<String> = (0..1000)
        .map(|i| format!("storage.read:/data/d{i}"))
        .collect();
    let grants = cached
        .grants(&token(&key, &many.join(" ")))
        .expect("grants");
    let target = RequestTarget::parse("/data/d999/file").expect("target");
    c.bench_function("grants/test, 1000 scopes, last matches", |b| {
        b.iter(|| grants.test(&Operation::Read, black_box(&target)))
    });
}

criterion_group!(benches, authorize);
criterion_main!(benches);
