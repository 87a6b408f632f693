//! `scitoken mint`: sign a token.

use std::time::Duration;

use scitokens_format::{Clock, Profile, SigningKey, SystemClock, TokenBuilder};
use serde_json::{json, Value};

use crate::cli::{MintArgs, ProfileArg};
use crate::error::{CliError, Result};
use crate::output::Printer;

impl From<ProfileArg> for Profile {
    fn from(profile: ProfileArg) -> Self {
        match profile {
            ProfileArg::Scitokens1 => Profile::SciTokens1,
            ProfileArg::Scitokens2 => Profile::SciTokens2,
            ProfileArg::Wlcg => Profile::Wlcg,
            ProfileArg::Atjwt => Profile::AccessToken,
        }
    }
}

pub(crate) fn mint(args: &MintArgs, out: &mut Printer) -> Result<()> {
    let pem = std::fs::read(&args.key).map_err(CliError::file(&args.key))?;
    let key = SigningKey::from_pem(&pem)
        .map_err(CliError::input(format!("--key {}", args.key.display())))?;
    let key = match &args.kid {
        Some(kid) => key.with_kid(kid.clone()),
        None => key,
    };
    let mut builder = TokenBuilder::new(args.profile.into(), &args.issuer)
        .lifetime(Duration::from_secs(args.lifetime));
    if let Some(scope) = &args.scope {
        builder = builder.scope(scope);
    }
    if let Some(sub) = &args.sub {
        builder = builder.subject(sub);
    }
    for aud in &args.aud {
        builder = builder.audience(aud);
    }
    for claim in &args.claim {
        let (name, value) = split_claim(claim, "--claim")?;
        builder = builder.claim(name, Value::String(value.to_owned()));
    }
    for claim in &args.claim_json {
        let (name, text) = split_claim(claim, "--claim-json")?;
        let value: Value = serde_json::from_str(text).map_err(|e| {
            CliError::Usage(format!("--claim-json {name}: the value is not JSON: {e}"))
        })?;
        builder = builder.claim(name, value);
    }
    let token = builder
        .sign(&key, SystemClock.now())
        .map_err(CliError::input("minting"))?;
    out.line(&token)?;
    out.document(&json!({ "token": token }))
}

fn split_claim<'a>(arg: &'a str, flag: &str) -> Result<(&'a str, &'a str)> {
    match arg.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name, value)),
        _ => Err(CliError::Usage(format!(
            "{flag} takes NAME=VALUE, not {}",
            scitokens_format::Untrusted::new(arg)
        ))),
    }
}
