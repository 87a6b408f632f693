//! The whole round trip with a local issuer: mint → discover and cache keys → verify →
//! ACLs → access tests.
//!
//! `cargo run -p scitokens --example roundtrip`
//!
//! A real HTTPS issuer starts on 127.0.0.1 with a throw-away CA; its keys are discovered
//! through `/.well-known/openid-configuration` and kept in a SQLite key cache in a temporary
//! directory, exactly as a storage server would.

#![allow(clippy::print_stdout)] // an example prints what it shows

use std::sync::Arc;

use scitokens::enforce::{Decision, Enforcer, EnforcerConfig, Operation};
use scitokens::format::{Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder};
use scitokens::keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_localissuer::LocalIssuer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. An issuer: a signing key, its public key set served over HTTPS.
    let issuer = LocalIssuer::start()?;
    let key = SigningKey::generate(Algorithm::Es256)?;
    issuer.set_jwks(&KeySet::new(vec![key.verifying_key().clone()]).to_json()?);
    println!("issuer      {} (key {})", issuer.url(), key.kid());

    // 2. Mint a WLCG token.
    let token = TokenBuilder::new(Profile::Wlcg, issuer.url())
        .scope("storage.read:/data storage.create:/data/out")
        .audience("https://storage.example")
        .subject("alice")
        .lifetime(std::time::Duration::from_secs(600))
        .sign(&key, SystemClock.now())?;
    println!(
        "token       {}...{} ({} bytes)",
        &token[..24],
        &token[token.len() - 12..],
        token.len()
    );

    // 3. A storage server: a key cache in a SQLite file, an enforcer trusting the issuer.
    let home = std::env::temp_dir().join(format!("scitokens-roundtrip-{}", std::process::id()));
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(home.clone()),
        tls_ca_file: Some(issuer.ca_file().clone()),
        ..KeyCacheConfig::default()
    })?;
    let enforcer = Enforcer::new(
        EnforcerConfig {
            issuers: vec![issuer.url()],
            audiences: vec!["https://storage.example".into()],
            ..EnforcerConfig::default()
        },
        Arc::new(cache.clone()),
    )?;

    // 4. Verify, and list the token's ACLs.
    let grants = enforcer.grants(&token)?;
    println!(
        "verified    profile {}, keys cached in {}",
        grants.profile(),
        cache
            .location()
            .map_or("memory".into(), |p| p.display().to_string())
    );
    for acl in enforcer.acls(&token)? {
        println!("acl         {acl}");
    }

    // 5. Access tests, as a server does per request.
    let requests = [
        (Operation::Read, "/data/run1/file"),
        (Operation::Read, "/database"),
        (Operation::Read, "/data/../etc/passwd"),
        (Operation::Create, "/data/out/new"),
        (Operation::Modify, "/data/out/new"),
    ];
    for (op, path) in requests {
        match enforcer.authorize(&token, &op, path)? {
            Decision::Allowed { by } => println!("allowed     {op} {path} (by {})", by[0]),
            Decision::Denied(denial) => println!("denied      {op} {path}: {denial}"),
        }
    }
    std::fs::remove_dir_all(home).ok();
    Ok(())
}
