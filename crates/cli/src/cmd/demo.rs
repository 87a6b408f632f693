//! `scitoken demo`: the whole round trip with a local issuer, explained.
//!
//! Every step uses the real parts: `scitokens-issuer` run in-process over HTTPS on 127.0.0.1
//! with its own test CA (state in a temporary directory), a client that gets a token by
//! `client_credentials`, OIDC discovery, a SQLite key cache in a temporary directory, the
//! enforcer. Each expected outcome is checked, so the demo fails (exit 2) if the toolkit
//! misbehaves.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use scitokens_enforce::{AclForm, Decision, Enforcer, EnforcerConfig, Operation};
use scitokens_format::{Clock, SystemClock, UnverifiedToken};
use scitokens_issuer::store::Store;
use scitokens_issuer::{Config, InitOptions};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use serde_json::{json, Value};

use crate::error::{CliError, Result};
use crate::output::{relative, Printer, BAD, DIM, GOOD, HEAD};

const SCOPE: &str = "read:/data write:/data/out";
const AUDIENCE: &str = "https://storage.demo.example";
const CLIENT: &str = "demo";

/// The demo client's policy, as it would be written in `issuer.toml`.
const POLICY: &str = r#"
[clients.demo]
grants = ["client_credentials"]
profile = "scitokens2"
scopes = ["read:/data", "write:/data/out"]
audiences = ["https://storage.demo.example"]
lifetime_secs = 600
"#;

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

/// A port free on 127.0.0.1 right now (the issuer URL must name it before the issuer starts).
fn free_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).map_err(demo_error)?;
    Ok(listener.local_addr().map_err(demo_error)?.port())
}

/// `POST /token` with `client_credentials`, as any OAuth client would; the access token.
fn request_token(url: &str, ca: &std::path::Path, secret: &str) -> Result<String> {
    let pem = std::fs::read(ca).map_err(demo_error)?;
    let certs = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect::<Vec<_>>();
    scitokens_format::init_crypto();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .unversioned_rustls_crypto_provider(Arc::new(
                    rustls::crypto::aws_lc_rs::default_provider(),
                ))
                .build(),
        )
        .build()
        .into();
    let mut response = agent
        .post(format!("{url}/token"))
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", secret),
            ("scope", SCOPE),
            ("audience", AUDIENCE),
        ])
        .map_err(demo_error)?;
    let text = response.body_mut().read_to_string().map_err(demo_error)?;
    let body: Value = serde_json::from_str(&text).map_err(demo_error)?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| demo_error(format!("the issuer refused: {body}")))
}

pub(crate) fn demo(out: &mut Printer) -> Result<()> {
    // 1. The issuer: scitokens-issuer, in this process.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(demo_error)?;
    let state = tempfile::tempdir().map_err(demo_error)?;
    let port = free_port()?;
    let url = format!("https://127.0.0.1:{port}");
    let made = runtime
        .block_on(scitokens_issuer::init(
            state.path(),
            &InitOptions {
                issuer: url.clone(),
                listen: std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port)),
                self_signed_tls: true,
                clients: POLICY.to_owned(),
            },
        ))
        .map_err(demo_error)?;
    let ca = made
        .ca
        .clone()
        .ok_or_else(|| demo_error("init made no CA"))?;
    let config = Config::load(&made.config).map_err(demo_error)?;
    let secret = runtime
        .block_on(async {
            let store = Store::open(&config.database).await?;
            scitokens_issuer::clients::register(&store, CLIENT, SystemClock.now()).await
        })
        .map_err(demo_error)?;
    let running = runtime
        .block_on(scitokens_issuer::start(config))
        .map_err(demo_error)?;
    step(
        out,
        1,
        "An issuer",
        "scitokens-issuer on 127.0.0.1 over HTTPS with its own test CA; it publishes its public \
         key through /.well-known/openid-configuration -> jwks_uri, and issues tokens to the \
         clients its policy names",
    )?;
    out.line(format!("   issuer   {url}"))?;
    out.line(format!("   key      ES256, kid {}", made.kid))?;
    out.line(format!(
        "   client   {CLIENT} (its secret is stored only as an argon2id hash)"
    ))?;

    // 2. Get a token.
    let token = request_token(&url, &ca, &secret)?;
    step(
        out,
        2,
        "Get a token",
        "the client authenticates with its secret (client_credentials); the issuer gives the \
         scopes its policy covers, as a SciTokens 2.0 JWT signed with its private key",
    )?;
    out.line(format!("   scope    {SCOPE}"))?;
    out.line(format!("   aud      {AUDIENCE}"))?;
    out.line(format!(
        "   token    {}... ({} bytes)",
        token.get(..40).unwrap_or(&token),
        token.len()
    ))?;
    let now = SystemClock.now();

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
        tls_ca_file: Some(ca.clone()),
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
    let metrics = running.issuer().metrics();
    let hits = metrics.discovery_requests();
    let second = KeyCache::open(cache.config().clone())?;
    Enforcer::new(config, Arc::new(second))
        .and_then(|e| e.grants(&token))
        .map_err(demo_error)?;
    let network = metrics.discovery_requests() - hits;
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
    runtime.block_on(running.stop());
    out.line("Next: `scitoken --help`, docs/cli.md for a walkthrough with your own keys, and")?;
    out.line("docs/issuer.md to run scitokens-issuer for real.")?;

    out.document(&json!({
        "issuer": url,
        "kid": made.kid,
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
