//! `scitoken verify`, `acls` and `test`: an enforcer built from the command line, over keys
//! from a JWKS file or the key cache.

use std::str::FromStr;
use std::sync::Arc;

use scitokens_enforce::{AclForm, Decision, EnforceError, Enforcer, EnforcerConfig, Operation};
use scitokens_format::scope::{RequestTarget, Scope};
use scitokens_format::{
    names, FormatError, KeySet, Profile, Untrusted, UnverifiedToken, VerifiedToken,
};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig, KeySource, StaticKeys};
use serde_json::{json, Value};

use crate::cli::{AclsArgs, ClaimOpts, KeyOpts, TestArgs, VerifyArgs};
use crate::error::{CliError, Result, EXIT_INVALID};
use crate::input;
use crate::output::{relative, time_json, utc, Printer, BAD, GOOD, WARN};

/// The key cache configuration: the environment (`SCITOKEN_CONFIG_*`), then the options.
pub(crate) fn cache_config(
    cache: Option<&std::path::Path>,
    ca_file: Option<&std::path::Path>,
) -> Result<KeyCacheConfig> {
    let mut config = KeyCacheConfig::from_env()?;
    if let Some(file) = cache {
        let file = std::path::absolute(file).map_err(CliError::file(file))?;
        config.location = CacheLocation::File(file);
    }
    if let Some(ca) = ca_file {
        config.tls_ca_file = Some(ca.to_owned());
    }
    Ok(config)
}

/// Keys for `issuers`: the `--jwks` file for each, or the key cache (fetching only for them).
fn key_source(opts: &KeyOpts, issuers: &[String]) -> Result<Arc<dyn KeySource>> {
    if let Some(path) = &opts.jwks {
        let document = std::fs::read(path).map_err(CliError::file(path))?;
        let what = format!("--jwks {}", path.display());
        let keys = KeySet::from_json(&document).map_err(CliError::input(what.clone()))?;
        if keys.is_empty() {
            // Nothing can verify the token: it is not valid here (exit 1), and each skipped
            // key says why.
            let skipped: Vec<String> = keys
                .skipped()
                .iter()
                .map(|s| match &s.kid {
                    Some(kid) => format!(
                        "key {} (kid {}): {}",
                        s.index,
                        Untrusted::new(kid),
                        s.reason
                    ),
                    None => format!("key {}: {}", s.index, s.reason),
                })
                .collect();
            let reason = if skipped.is_empty() {
                format!("{what} holds no key")
            } else {
                format!(
                    "{what} has no usable ES256 or RS256 key; skipped {}",
                    skipped.join("; ")
                )
            };
            return Err(CliError::InvalidToken(EnforceError::Format(
                FormatError::InvalidKeySet { reason },
            )));
        }
        let source = issuers.iter().fold(StaticKeys::new(), |source, issuer| {
            source.with_issuer(issuer.clone(), keys.clone())
        });
        return Ok(Arc::new(source));
    }
    let mut config = cache_config(opts.cache.as_deref(), opts.ca_file.as_deref())?;
    config.offline = opts.offline;
    config.fetch_allow_list = Some(issuers.to_vec());
    Ok(Arc::new(KeyCache::open(config)?))
}

/// The enforcer the options describe.
fn enforcer(
    issuers: Vec<String>,
    claims: &ClaimOpts,
    keys: &KeyOpts,
    acl_form: AclForm,
) -> Result<Enforcer> {
    let source = key_source(keys, &issuers)?;
    let profiles = (!claims.profile.is_empty())
        .then(|| claims.profile.iter().map(|&p| Profile::from(p)).collect());
    Enforcer::new(
        EnforcerConfig {
            issuers,
            audiences: claims.aud.clone(),
            profiles,
            acl_form,
            token_cache_capacity: 0,
            ..EnforcerConfig::default()
        },
        source,
    )
    .map_err(|e| CliError::Usage(e.to_string()))
}

fn verification(e: EnforceError) -> CliError {
    CliError::from_verification(e)
}

pub(crate) fn verify(args: &VerifyArgs, out: &mut Printer) -> Result<u8> {
    let token = input::token(args.token.as_deref())?;
    let pinned = !args.issuer.is_empty();
    let issuers = if pinned {
        args.issuer.clone()
    } else {
        let unverified = UnverifiedToken::parse(&token).map_err(|e| verification(e.into()))?;
        let iss = unverified
            .claims()
            .iss()
            .require(names::ISS)
            .map_err(|e| verification(e.into()))?;
        vec![iss.to_owned()]
    };
    let enforcer = enforcer(issuers, &args.claims, &args.keys, AclForm::Native)?;
    // Shown, not acted on: a token without scopes is still reported valid.
    let verified = enforcer
        .dangerous()
        .verify_signature(&token)
        .map_err(verification)?;
    let profile = enforcer
        .validator()
        .validate(verified.header(), verified.claims(), enforcer.now())
        .map_err(|e| verification(e.into()))?;
    // A scope claim must parse too: an enforcer would refuse the token otherwise.
    let scopes = match verified.claims().scope().optional(names::SCOPE) {
        Ok(Some(scope)) => Some(Scope::parse_list(scope).map_err(|e| verification(e.into()))?),
        Ok(None) => None,
        Err(e) => return Err(verification(e.into())),
    };
    summary(
        out,
        &enforcer,
        &verified,
        profile,
        scopes.as_deref(),
        pinned,
    )?;
    Ok(0)
}

fn summary(
    out: &mut Printer,
    enforcer: &Enforcer,
    token: &VerifiedToken,
    profile: Profile,
    scopes: Option<&[Scope]>,
    pinned: bool,
) -> Result<()> {
    let claims = token.claims();
    let now = enforcer.now();
    let iss = claims
        .iss()
        .optional(names::ISS)
        .ok()
        .flatten()
        .unwrap_or("");
    let exp = claims.exp().optional(names::EXP).ok().flatten();
    let audience: Vec<String> = claims
        .aud()
        .optional(names::AUD)
        .ok()
        .flatten()
        .map(|a| a.values().map(str::to_owned).collect())
        .unwrap_or_default();
    let scope_list: Option<Vec<String>> =
        scopes.map(|s| s.iter().map(ToString::to_string).collect());
    out.document(&json!({
        "valid": true,
        "issuer": iss,
        "issuer_pinned": pinned,
        "profile": profile.as_str(),
        "subject": claims.sub().optional(names::SUB).ok().flatten(),
        "audience": audience,
        "scopes": scope_list,
        "exp": exp.map(|t| time_json(t, now)),
        "kid": token.header().kid(),
        "alg": token.header().alg().as_str(),
        "header": token.header().to_map(),
        "claims": claims,
    }))?;
    out.styled(GOOD, "valid", "")?;
    if pinned {
        out.line(format!("  issuer    {iss}"))?;
    } else {
        out.styled(
            WARN,
            &format!("  issuer    {iss}"),
            " (trusted because the token names it; pin it with --issuer)",
        )?;
    }
    out.line(format!("  profile   {profile}"))?;
    if let Ok(Some(sub)) = claims.sub().optional(names::SUB) {
        out.line(format!("  subject   {sub}"))?;
    }
    if !audience.is_empty() {
        out.line(format!("  audience  {}", audience.join(" ")))?;
    }
    match scope_list {
        Some(list) if list.is_empty() => out.line("  scopes    (empty: grants nothing)")?,
        Some(list) => out.line(format!("  scopes    {}", list.join(" ")))?,
        None => out.line("  scopes    (no scope claim: an enforcer refuses this token)")?,
    }
    if let Some(exp) = exp {
        out.line(format!("  expires   {} ({})", utc(exp), relative(exp, now)))?;
    }
    out.line(format!(
        "  key       {} {}",
        token.header().alg(),
        token.header().kid().unwrap_or("(no kid)")
    ))
}

pub(crate) fn acls(args: &AclsArgs, out: &mut Printer) -> Result<u8> {
    let token = input::token(args.token.as_deref())?;
    let form = if args.compat {
        AclForm::Compat
    } else {
        AclForm::Native
    };
    let enforcer = enforcer(args.issuer.clone(), &args.claims, &args.keys, form)?;
    let acls = enforcer.acls(&token).map_err(verification)?;
    out.document(&json!({
        "valid": true,
        "compat": args.compat,
        "acls": acls
            .iter()
            .map(|acl| json!({ "authz": acl.authz, "resource": acl.resource }))
            .collect::<Vec<_>>(),
    }))?;
    for acl in &acls {
        out.line(acl)?;
    }
    Ok(0)
}

pub(crate) fn test(args: &TestArgs, out: &mut Printer) -> Result<u8> {
    let operation =
        Operation::from_str(&args.op).map_err(|e| CliError::Usage(format!("--op: {e}")))?;
    let target =
        RequestTarget::parse(&args.path).map_err(|e| CliError::Usage(format!("--path: {e}")))?;
    let token = input::token(args.token.as_deref())?;
    let enforcer = enforcer(
        args.issuer.clone(),
        &args.claims,
        &args.keys,
        AclForm::Native,
    )?;
    let grants = enforcer.grants(&token).map_err(verification)?;
    let scopes = |list: &[Scope]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
    match grants.test(&operation, &target) {
        Decision::Allowed { by } => {
            out.document(&json!({
                "allowed": true,
                "operation": operation.as_str(),
                "path": target_string(&target),
                "by": scopes(&by),
            }))?;
            out.styled(GOOD, "allowed", "")?;
            Ok(0)
        }
        Decision::Denied(denial) => {
            out.document(&json!({
                "allowed": false,
                "operation": operation.as_str(),
                "path": denial.target,
                "reason": denial.to_string(),
                "considered": scopes(&denial.considered),
            }))?;
            out.styled(BAD, "denied", &format!(": {denial}"))?;
            Ok(EXIT_INVALID)
        }
    }
}

fn target_string(target: &RequestTarget) -> Value {
    match target {
        RequestTarget::Path(path) => Value::String(path.to_string()),
        RequestTarget::Url {
            scheme,
            authority,
            path,
        } => Value::String(format!("{scheme}://{authority}{path}")),
    }
}
