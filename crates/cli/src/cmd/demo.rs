//! `scitoken demo`: the whole round trip with a throwaway local issuer, explained.
//!
//! Every step uses the real parts: an HTTPS issuer on 127.0.0.1 with its own CA, OIDC
//! discovery, a SQLite key cache in a temporary directory, the enforcer. Each expected
//! outcome is checked, so the demo fails (exit 2) if the toolkit misbehaves.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use scitokens_enforce::{AclForm, Decision, Enforcer, EnforcerConfig, Operation};
use scitokens_format::{
    Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder, UnverifiedToken,
};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_localissuer::LocalIssuer;
use serde_json::{json, Value};

use crate::error::{CliError, Result};
use crate::output::{relative, Printer, BAD, DIM, GOOD, HEAD};

const SCOPE: &str = "read:/data write:/data/out";
const AUDIENCE: &str = "https://storage.demo.example";

/// The requests tested, and whether each must be allowed.
const REQUESTS: [(&str, &str, bool, &str); 6] = [
    ("read", "/data/run1/events.root", true, "inside read:/data"),
    (
        "read",
        "/database/dump",
        false,
        "/data never covers its sibling /database",
    ),
    (
        "write",
        "/data/out/result.h5",
        true,
        "inside write:/data/out",
    ),
    (
        "write",
        "/data/run1/events.root",
        false,
        "read:/data does not allow writing",
    ),
    (
        "read",
        "/data/../etc/passwd",
        false,
        "`..` is resolved first: this is /etc/passwd",
    ),
    ("create", "/data/out/new/file", true, "write grants create"),
];

fn demo_error(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("demo: {e}"))
}

fn step(out: &mut Printer, n: u8, title: &str, why: &str) -> Result<()> {
    if n > 1 {
        out.line("")?;
    }
    out.styled(HEAD, &format!("{n}. {title}"), "")?;
    out.styled(DIM, &format!("   {why}"), "")
}

pub(crate) fn demo(out: &mut Printer) -> Result<()> {
    // 1. The issuer.
    let issuer = LocalIssuer::start().map_err(demo_error)?;
    let key = SigningKey::generate(Algorithm::Es256).map_err(demo_error)?;
    let jwks = KeySet::new(vec![key.verifying_key().clone()])
        .to_json()
        .map_err(demo_error)?;
    issuer.set_jwks(&jwks);
    let url = issuer.url();
    step(
        out,
        1,
        "An issuer",
        "a throwaway HTTPS server on 127.0.0.1 with its own CA; it publishes its public key \
         through /.well-known/openid-configuration -> jwks_uri",
    )?;
    out.line(format!("   issuer   {url}"))?;
    out.line(format!("   key      ES256, kid {}", key.kid()))?;

    // 2. Mint.
    let now = SystemClock.now();
    let token = TokenBuilder::new(Profile::SciTokens2, &url)
        .scope(SCOPE)
        .audience(AUDIENCE)
        .subject("demo-user")
        .lifetime(Duration::from_secs(600))
        .sign(&key, now)
        .map_err(demo_error)?;
    step(
        out,
        2,
        "Mint a token",
        "a SciTokens 2.0 JWT signed with the issuer's private key",
    )?;
    out.line(format!("   scope    {SCOPE}"))?;
    out.line(format!("   aud      {AUDIENCE}"))?;
    out.line(format!(
        "   token    {}... ({} bytes)",
        &token[..40],
        token.len()
    ))?;

    // 3. Inspect.
    let unverified = UnverifiedToken::parse(&token).map_err(demo_error)?;
    let exp = unverified
        .claims()
        .exp()
        .require("exp")
        .map_err(demo_error)?;
    step(
        out,
        3,
        "Inspect it",
        "decoding alone proves nothing: anyone can write these claims",
    )?;
    out.line(format!(
        "   claims   {}",
        Value::Object(unverified.claims().to_map())
    ))?;
    out.line(format!("   expires  {}", relative(exp, now)))?;

    // 4. Verify, as a storage server does.
    let home = tempfile::tempdir().map_err(demo_error)?;
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(home.path().to_owned()),
        tls_ca_file: Some(issuer.ca_file().clone()),
        fetch_allow_list: Some(vec![url.clone()]),
        ..KeyCacheConfig::default()
    })?;
    let config = EnforcerConfig {
        issuers: vec![url.clone()],
        audiences: vec![AUDIENCE.to_owned()],
        ..EnforcerConfig::default()
    };
    let enforcer = Enforcer::new(config.clone(), Arc::new(cache.clone())).map_err(demo_error)?;
    let grants = enforcer.grants(&token).map_err(demo_error)?;
    let cache_file = cache
        .location()
        .map_or_else(|| "(memory)".to_owned(), |p| p.display().to_string());
    step(
        out,
        4,
        "Verify it",
        "the server trusts only this issuer and answers only to its own audience; it \
         discovered the key over HTTPS, checked the signature, exp, nbf, iat, aud and ver",
    )?;
    out.styled(
        GOOD,
        "   valid",
        &format!("    profile {}", grants.profile()),
    )?;
    out.line(format!("   keys     cached in {cache_file}"))?;

    // 5. ACLs.
    let acls = grants.acls(AclForm::Native);
    step(
        out,
        5,
        "List its ACLs",
        "what the scopes grant, one authorization and path each",
    )?;
    for acl in &acls {
        out.line(format!("   {acl}"))?;
    }

    // 6. Requests.
    step(
        out,
        6,
        "Test requests",
        "paths match on segment boundaries, and `..` never widens a grant",
    )?;
    let mut results = Vec::new();
    for (op, path, expected, why) in REQUESTS {
        let operation = Operation::from_str(op).map_err(demo_error)?;
        let decision = enforcer
            .authorize(&token, &operation, path)
            .map_err(demo_error)?;
        let allowed = decision.is_allowed();
        let label = format!("   {op:<6} {path:<26}");
        match &decision {
            Decision::Allowed { .. } => out.styled(GOOD, &label, &format!(" allowed  ({why})"))?,
            Decision::Denied(_) => out.styled(BAD, &label, &format!(" denied   ({why})"))?,
        }
        if allowed != expected {
            return Err(demo_error(format!(
                "{op} {path} was {}, expected {}",
                if allowed { "allowed" } else { "denied" },
                if expected { "allowed" } else { "denied" }
            )));
        }
        results.push(json!({ "op": op, "path": path, "allowed": allowed, "why": why }));
    }

    // 7. A second server process would start from the file: no network.
    let hits = issuer.total_hits();
    let second = KeyCache::open(cache.config().clone())?;
    Enforcer::new(config, Arc::new(second))
        .and_then(|e| e.grants(&token))
        .map_err(demo_error)?;
    let network = issuer.total_hits() - hits;
    step(
        out,
        7,
        "Restart the server",
        "a new key cache on the same SQLite file verifies without touching the network",
    )?;
    out.line(format!("   requests to the issuer: {network}"))?;
    if network != 0 {
        return Err(demo_error("the restarted cache fetched keys again"));
    }
    out.line("")?;
    out.line("Next: `scitoken --help`, and docs/cli.md for a walkthrough with your own keys.")?;

    out.document(&json!({
        "issuer": url,
        "kid": key.kid(),
        "token": token,
        "claims": unverified.claims(),
        "valid": true,
        "profile": grants.profile().as_str(),
        "cache": cache_file,
        "acls": acls.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "requests": results,
        "restart_fetches": network,
    }))
}
