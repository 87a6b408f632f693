//! The Rust side of `bench/compare.sh`: what a storage server pays per request through the
//! Rust API, and how that cost grows. Prints one JSON object per line.
//!
//! ```text
//! compare authorize ALG TOKENS_FILE CACHE_FILE ISSUER AUDIENCE RUNS   # new and repeated tokens,
//!                                                                     # and the limit, interleaved
//! compare threads   ALG TOKENS_FILE CACHE_FILE ISSUER AUDIENCE RUNS   # 1 and 2 threads, one enforcer
//! compare scopes    RUNS                                                # Grants::test vs scope count
//! compare memory    COUNT                                               # RSS of COUNT cached tokens
//! compare discovery RUNS                                                # first request, new issuer
//! compare mint      RUNS                                                # minting vs the raw signature
//! compare profile   WHAT ALG TOKENS_FILE CACHE_FILE ISSUER AUDIENCE PASSES
//!                   # one workload alone, for a profiler: WHAT is authorize (new tokens),
//!                   # limit (the primitive) or mint
//! ```
//!
//! Keys come from the SQLite key cache file (filled beforehand; no network) except for
//! `discovery`, which fetches them from a local HTTPS issuer.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)] // a benchmark driver prints; setup failures abort it

use std::sync::Arc;
use std::time::{Duration, Instant};

use scitokens_enforce::{Enforcer, EnforcerConfig, Grants, Operation};
use scitokens_format::scope::{RequestTarget, Scope};
use scitokens_format::{
    Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder, UnverifiedToken,
    VerifyingKey,
};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig, StaticKeys};
use scitokens_localissuer::LocalIssuer;
use serde_json::json;

use aws_lc_rs::digest::{digest, Digest, SHA256};
use aws_lc_rs::signature::{
    ParsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
};

fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mid = xs.len() / 2;
    let m = if xs.len().is_multiple_of(2) {
        (xs[mid - 1] + xs[mid]) / 2.0
    } else {
        xs[mid]
    };
    (m, xs[0], xs[xs.len() - 1])
}

fn enforcer(cache_file: &str, issuer: &str, audience: &str, token_cache: usize) -> Enforcer {
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::File(cache_file.into()),
        offline: true,
        ..KeyCacheConfig::default()
    })
    .unwrap();
    Enforcer::new(
        EnforcerConfig {
            issuers: vec![issuer.into()],
            audiences: vec![audience.into()],
            token_cache_capacity: token_cache,
            ..EnforcerConfig::default()
        },
        Arc::new(cache),
    )
    .unwrap()
}

fn tokens(file: &str) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Calls per block when [`interleaved`] alternates workloads.
const BLOCK: usize = 25;

/// Microseconds per call of each of `workloads` over calls `0..n`, the workloads taking turns
/// in blocks of [`BLOCK`] calls, so that all see the same moment of the machine: a VM's speed
/// drifts over milliseconds, and timing whole passes one after the other let that drift into
/// the ratios (a spread of several percent between processes, against under one percent).
///
/// At each turn the workloads take blocks far apart (workload `k` the block `k / W` of the
/// way round from the first): had they taken the same block one after the other, the later
/// ones would verify signatures the branch predictor had just seen, which reads ES256 (a
/// data-dependent verification) 5% faster than a first sight.
fn interleaved<const W: usize>(n: usize, workloads: [&dyn Fn(usize); W]) -> [f64; W] {
    let blocks = n.div_ceil(BLOCK);
    let mut totals = [Duration::ZERO; W];
    for turn in 0..blocks {
        for (k, (total, f)) in totals.iter_mut().zip(&workloads).enumerate() {
            let start = (turn + k * blocks / W) % blocks * BLOCK;
            let begin = Instant::now();
            (start..(start + BLOCK).min(n)).for_each(f);
            *total += begin.elapsed();
        }
    }
    totals.map(|t| t.as_secs_f64() * 1e6 / n as f64)
}

/// Microseconds per call of `f` over `n` calls.
fn per_call(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn print(kind: &str, detail: serde_json::Value, samples: Vec<f64>) {
    let (m, lo, hi) = median(samples);
    println!(
        "{}",
        json!({"kind": kind, "detail": detail, "us": m, "min_us": lo, "max_us": hi})
    );
}

/// What the primitive is given for each token.
#[derive(Clone, Copy, PartialEq)]
enum Primitive {
    /// The verification limit: a JWS signature check done the fastest way aws-lc offers, the
    /// one-shot SHA-256 of the signing input and the check of that digest. The issue that set
    /// the targets measured the primitive so (`ParsedPublicKey` verify, hashing included).
    Limit,
    /// The public-key operation alone: the digest computed beforehand.
    Bare,
}

/// The fastest primitive on this machine (aws-lc's, which `docs/performance.md` measured
/// against OpenSSL's and ring's), in this process, on the same tokens `authorize` sees, with
/// what is not the primitive done beforehand: the key parsed, each signature decoded, and for
/// [`Primitive::Bare`] each signing input hashed. Distinct signatures matter: verifying one
/// signature over and over trains the branch predictor on the variable-time verification and
/// reads 10% faster for ES256 than any real traffic can.
/// Returns a closure verifying token `i`.
fn primitive(
    what: Primitive,
    alg: &str,
    tokens: &[String],
    key: &VerifyingKey,
) -> Box<dyn Fn(usize)> {
    let algorithm: &'static dyn VerificationAlgorithm = match alg {
        "ES256" => &ECDSA_P256_SHA256_FIXED,
        _ => &RSA_PKCS1_2048_8192_SHA256,
    };
    scitokens_format::init_crypto();
    let public = ParsedPublicKey::new(algorithm, key.to_spki_der().unwrap()).unwrap();
    let inputs: Vec<(Vec<u8>, Digest, Vec<u8>)> = tokens
        .iter()
        .map(|token| {
            let (signing_input, _) = token.rsplit_once('.').unwrap();
            let signature = UnverifiedToken::parse(token).unwrap().signature().to_vec();
            let digest = digest(&SHA256, signing_input.as_bytes());
            (signing_input.as_bytes().to_vec(), digest, signature)
        })
        .collect();
    Box::new(move |i| {
        let (signing_input, precomputed, signature) = &inputs[i];
        match what {
            Primitive::Limit => {
                let digest = digest(&SHA256, signing_input);
                public.verify_digest_sig(&digest, signature).unwrap()
            }
            Primitive::Bare => public.verify_digest_sig(precomputed, signature).unwrap(),
        }
    })
}

/// The key that verifies `token`, from the key cache file.
fn cached_key(cache: &str, iss: &str, token: &str) -> VerifyingKey {
    KeyCache::open(KeyCacheConfig {
        location: CacheLocation::File(cache.into()),
        offline: true,
        ..KeyCacheConfig::default()
    })
    .unwrap()
    .keys(iss, UnverifiedToken::parse(token).unwrap().header().kid())
    .unwrap()
    .keys()[0]
        .clone()
}

fn authorize(args: &[String]) {
    let [alg, file, cache, iss, aud, runs] = args else {
        panic!("authorize ALG TOKENS CACHE ISS AUD RUNS")
    };
    let runs: usize = runs.parse().unwrap();
    let all = tokens(file);
    let op = Operation::Read;
    // New tokens: an enforcer without a token cache sees each token once per run, interleaved
    // with the primitive (the limit) on the same tokens.
    let e = enforcer(cache, iss, aud, 0);
    e.authorize(&all[0], &op, "/data/x").unwrap();
    let key = cached_key(cache, iss, &all[0]);
    let limit = primitive(Primitive::Limit, alg, &all, &key);
    let bare = primitive(Primitive::Bare, alg, &all, &key);
    let mut samples: [Vec<f64>; 5] = Default::default();
    for _ in 0..runs {
        let [l, b, n] = interleaved(
            all.len(),
            [&limit, &bare, &|i| {
                assert!(e.authorize(&all[i], &op, "/data/1/x").is_ok())
            }],
        );
        for (series, value) in samples.iter_mut().zip([l, b, n, n / l, n / b]) {
            series.push(value);
        }
    }
    let [limit, bare, new, vs_limit, vs_bare] = samples;
    print("limit", json!({"alg": alg}), limit);
    print("limit_bare", json!({"alg": alg}), bare);
    print("rust_authorize", json!({"alg": alg, "mode": "new"}), new);
    print("rust_vs_limit", json!({"alg": alg}), vs_limit);
    print("rust_vs_bare", json!({"alg": alg}), vs_bare);
    // Repeated: the same token, the verified-token cache on.
    let e = enforcer(cache, iss, aud, 10_000);
    e.authorize(&all[0], &op, "/data/1/x").unwrap();
    let repeated: Vec<f64> = (0..runs)
        .map(|_| {
            per_call(100_000, |_| {
                assert!(e.authorize(&all[0], &op, "/data/1/x").unwrap().is_allowed())
            })
        })
        .collect();
    print(
        "rust_authorize",
        json!({"alg": alg, "mode": "repeated"}),
        repeated,
    );
}

fn threads(args: &[String]) {
    let [alg, file, cache, iss, aud, runs] = args else {
        panic!("threads ALG TOKENS CACHE ISS AUD RUNS")
    };
    let runs: usize = runs.parse().unwrap();
    let all = Arc::new(tokens(file));
    let hot = Arc::new(vec![all[0].clone(); all.len()]);
    // New tokens (no token cache); many repeated tokens (all cached); one hot token that every
    // thread asks about (one cache entry, one `Arc`).
    for (workload, token_cache, list) in [
        ("new", 0, Arc::clone(&all)),
        ("repeated", 10_000, Arc::clone(&all)),
        ("hot token", 10_000, hot),
    ] {
        let e = enforcer(cache, iss, aud, token_cache);
        for token in list.iter() {
            e.authorize(token, &Operation::Read, "/data/x").unwrap();
        }
        thread_scaling(alg, workload, &e, &list, runs);
    }
}

/// 1 and 2 threads sharing `e` over `all`, alternating, paired speedups.
fn thread_scaling(alg: &str, workload: &str, e: &Enforcer, all: &Arc<Vec<String>>, runs: usize) {
    // Microseconds per request with `n` threads, over `passes` passes of the token list.
    let sample = |n: usize, passes: usize| {
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..n {
                let (e, all) = (e.clone(), Arc::clone(all));
                s.spawn(move || {
                    for _ in 0..passes {
                        for token in all.iter().skip(t).step_by(n) {
                            assert!(e.authorize(token, &Operation::Read, "/data/1/x").is_ok());
                        }
                    }
                });
            }
        });
        start.elapsed().as_secs_f64() * 1e6 / (all.len() * passes) as f64
    };
    // Samples of at least 0.3 s, 1 and 2 threads alternating, so a hiccup of the VM (a
    // stolen core for a few milliseconds) cannot decide the ratio.
    let passes = (0.3e6 / (sample(1, 1) * all.len() as f64)).ceil().max(1.0) as usize;
    let (mut one, mut two, mut speedup) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (a, b) = (sample(1, passes), sample(2, passes));
        one.push(a);
        two.push(b);
        speedup.push(a / b);
    }
    let detail = |threads: usize| json!({"alg": alg, "workload": workload, "threads": threads});
    print("rust_threads", detail(1), one);
    print("rust_threads", detail(2), two);
    print(
        "rust_threads_speedup",
        json!({"alg": alg, "workload": workload}),
        speedup,
    );
}

fn scopes(args: &[String]) {
    let runs: usize = args[0].parse().unwrap();
    for count in [1usize, 10, 100, 1000] {
        let claim: Vec<String> = (0..count).map(|i| format!("read:/data/{i}")).collect();
        let grants = Grants::new(
            Profile::Wlcg,
            Scope::parse_list(&claim.join(" ")).unwrap(),
            scitokens_format::UnixTime::MAX,
        );
        let target = RequestTarget::parse(&format!("/data/{}/file", count - 1)).unwrap();
        let samples: Vec<f64> = (0..runs)
            .map(|_| {
                per_call(200_000, |_| {
                    assert!(grants.test(&Operation::Read, &target).is_allowed())
                })
            })
            .collect();
        print("rust_scopes", json!({"scopes": count}), samples);
    }
}

fn rss_kib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn memory(args: &[String]) {
    let count: usize = args[0].parse().unwrap();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let iss = "https://issuer.memory.example";
    let aud = "https://storage.memory.example";
    let keys = StaticKeys::new().with_issuer(iss, KeySet::new(vec![key.verifying_key().clone()]));
    let e = Enforcer::new(
        EnforcerConfig {
            issuers: vec![iss.into()],
            audiences: vec![aud.into()],
            token_cache_capacity: count,
            ..EnforcerConfig::default()
        },
        Arc::new(keys),
    )
    .unwrap();
    let now = SystemClock.now();
    let all: Vec<String> = (0..count)
        .map(|i| {
            TokenBuilder::new(Profile::Wlcg, iss)
                .audience(aud)
                .subject(format!("user{i}"))
                .scope(format!(
                    "storage.read:/data/{i} storage.create:/data/{i}/out"
                ))
                .sign(&key, now)
                .unwrap()
        })
        .collect();
    let token_bytes: usize = all.iter().map(String::len).sum();
    let before = rss_kib();
    for t in &all {
        e.authorize(t, &Operation::Read, "/data/0").unwrap();
    }
    let after = rss_kib();
    println!(
        "{}",
        json!({"kind": "rust_memory", "detail": {"tokens": count, "token_bytes": token_bytes},
               "kib": after - before, "bytes_per_token": (after - before) * 1024.0 / count as f64})
    );
}

fn discovery(args: &[String]) {
    let runs: usize = args[0].parse().unwrap();
    let issuer = LocalIssuer::start().unwrap();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    issuer.set_jwks(
        &KeySet::new(vec![key.verifying_key().clone()])
            .to_json()
            .unwrap(),
    );
    let aud = "https://storage.discovery.example";
    let token = TokenBuilder::new(Profile::Wlcg, issuer.url())
        .audience(aud)
        .subject("alice")
        .scope("storage.read:/")
        .sign(&key, SystemClock.now())
        .unwrap();
    let samples: Vec<f64> = (0..runs)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let cache = KeyCache::open(KeyCacheConfig {
                location: CacheLocation::CacheHome(dir.path().to_owned()),
                tls_ca_file: Some(issuer.ca_file().clone()),
                request_timeout: Duration::from_secs(10),
                ..KeyCacheConfig::default()
            })
            .unwrap();
            let e = Enforcer::new(
                EnforcerConfig {
                    issuers: vec![issuer.url()],
                    audiences: vec![aud.into()],
                    ..EnforcerConfig::default()
                },
                Arc::new(cache),
            )
            .unwrap();
            let start = Instant::now();
            assert!(e
                .authorize(&token, &Operation::Read, "/x")
                .unwrap()
                .is_allowed());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    print(
        "rust_discovery",
        json!({"what": "first request for a new issuer: discovery + JWKS over HTTPS + SQLite write + verify"}),
        samples,
    );
}

/// The token `mint` and `profile mint` sign: WLCG, two scopes, an audience and a subject.
fn mint_builder() -> TokenBuilder {
    TokenBuilder::new(Profile::Wlcg, "https://issuer.bench.example")
        .scope("storage.read:/data/experiment storage.create:/data/experiment/user/alice")
        .audience("https://storage.bench.example")
        .subject("alice")
}

/// Minting against its floor, the raw signature over the same signing input: each run of
/// `TokenBuilder::sign` (claims checked and built, `jti`, JSON, base64, signature) is
/// interleaved with `SigningKey::sign` alone, as `authorize` is with the verify limit.
fn mint(args: &[String]) {
    let [runs] = args else { panic!("mint RUNS") };
    let runs: usize = runs.parse().unwrap();
    for alg in [Algorithm::Es256, Algorithm::Rs256] {
        let key = SigningKey::generate(alg).unwrap();
        let builder = mint_builder();
        let now = SystemClock.now();
        let token = builder.sign(&key, now).unwrap();
        let (signing_input, _) = token.rsplit_once('.').unwrap();
        let n = if alg == Algorithm::Es256 { 2_000 } else { 200 };
        let (mut mint, mut sign, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let [s, m] = interleaved(
                n,
                [
                    &|_| {
                        std::hint::black_box(key.sign(signing_input.as_bytes()).unwrap());
                    },
                    &|_| {
                        std::hint::black_box(builder.sign(&key, now).unwrap());
                    },
                ],
            );
            sign.push(s);
            mint.push(m);
            ratios.push(m / s);
        }
        print("sign", json!({"alg": alg.as_str()}), sign);
        print("mint", json!({"alg": alg.as_str()}), mint);
        print("mint_vs_sign", json!({"alg": alg.as_str()}), ratios);
    }
}

/// One workload alone, so that a profiler (`perf record`, `valgrind --tool=callgrind`) sees
/// nothing else: `authorize` on new tokens, the `limit` primitive on the same tokens, or
/// `mint` (the WLCG token of `mint`, signed with a key generated here).
fn profile(args: &[String]) {
    let [what, alg, file, cache, iss, aud, passes] = args else {
        panic!("profile authorize|limit|mint ALG TOKENS CACHE ISS AUD PASSES")
    };
    let passes: usize = passes.parse().unwrap();
    let all = tokens(file);
    let e = enforcer(cache, iss, aud, 0);
    let op = Operation::Read;
    let mut run: Box<dyn FnMut(usize)> = match what.as_str() {
        "authorize" => Box::new(|i| assert!(e.authorize(&all[i], &op, "/data/1/x").is_ok())),
        "limit" => primitive(
            Primitive::Limit,
            alg,
            &all,
            &cached_key(cache, iss, &all[0]),
        ),
        "mint" => {
            let alg = if alg == "ES256" {
                Algorithm::Es256
            } else {
                Algorithm::Rs256
            };
            let key = SigningKey::generate(alg).unwrap();
            let builder = mint_builder();
            let now = SystemClock.now();
            Box::new(move |_| {
                std::hint::black_box(builder.sign(&key, now).unwrap());
            })
        }
        other => panic!("profile: unknown workload {other}"),
    };
    let us = per_call(passes * all.len(), |i| run(i % all.len()));
    print("profile", json!({"what": what, "alg": alg}), vec![us]);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("authorize") => authorize(&args[1..]),
        Some("threads") => threads(&args[1..]),
        Some("scopes") => scopes(&args[1..]),
        Some("memory") => memory(&args[1..]),
        Some("discovery") => discovery(&args[1..]),
        Some("mint") => mint(&args[1..]),
        Some("profile") => profile(&args[1..]),
        _ => {
            eprintln!("usage: compare authorize|threads|scopes|memory|discovery|mint|profile ...");
            std::process::exit(2);
        }
    }
}
