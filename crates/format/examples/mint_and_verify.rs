//! Mint a token, verify it, read its scopes and test requests against them.
//!
//! `cargo run -p scitokens-format --example mint_and_verify`

#![allow(clippy::print_stdout)] // an example prints what it shows

use scitokens_format::scope::{RequestTarget, Scope};
use scitokens_format::{
    Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder, UnverifiedToken,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = SigningKey::generate(Algorithm::Es256)?;
    let jwks = KeySet::new(vec![key.verifying_key().clone()]).to_json()?;
    println!("issuer key set:\n{jwks}\n");

    let token = TokenBuilder::new(Profile::Wlcg, "https://issuer.example")
        .scope("storage.read:/data storage.create:/data/out")
        .audience("https://storage.example")
        .subject("alice")
        .sign(&key, SystemClock.now())?;
    println!("token: {token}\n");

    let verified = UnverifiedToken::parse(&token)?.verify(&KeySet::from_json(jwks.as_bytes())?)?;
    let scopes = Scope::parse_list(verified.claims().scope().require("scope")?)?;
    println!("verified; scopes:");
    for scope in &scopes {
        println!("  {scope}");
    }
    for path in [
        "/data/run1/file",
        "/database",
        "/data/../etc/passwd",
        "/data/out/new",
    ] {
        let target = RequestTarget::parse(path)?;
        let granted: Vec<String> = scopes
            .iter()
            .filter(|s| s.resource().covers(&target))
            .map(|s| s.authz().to_string())
            .collect();
        println!("{path:24} -> {granted:?}");
    }
    Ok(())
}
