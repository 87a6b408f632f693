//! `scitoken inspect`: decode without verifying.

use scitokens_enforce::EnforceError;
use scitokens_format::{names, Clock, Profile, SystemClock, UnverifiedToken};
use serde_json::{json, Map, Value};

use crate::cli::InspectArgs;
use crate::error::{CliError, Result};
use crate::input;
use crate::output::{relative, time_json, utc, Printer, DIM, HEAD, WARN};

pub(crate) fn inspect(args: &InspectArgs, out: &mut Printer) -> Result<()> {
    let token = input::token(args.token.as_deref())?;
    let token = UnverifiedToken::parse(&token)
        .map_err(|e| CliError::InvalidToken(EnforceError::Format(e)))?;
    let now = SystemClock.now();
    let header = token.header().to_map();
    let claims = token.claims();
    let profile = Profile::detect(token.header(), claims);

    let mut times = Map::new();
    for name in [names::IAT, names::NBF, names::EXP] {
        if let Ok(Some(t)) = claims.time(name).optional(name) {
            times.insert(name.to_owned(), time_json(t, now));
        }
    }
    out.document(&json!({
        "verified": false,
        "header": header,
        "claims": claims,
        "times": times,
        "profile": profile.as_ref().map(|p| p.as_str()).ok(),
        "signature_bytes": token.signature().len(),
    }))?;

    out.styled(
        WARN,
        "NOT VERIFIED",
        ": decoded only; the signature and the claims were not checked (use `scitoken verify`)",
    )?;
    out.styled(HEAD, "header", "")?;
    out.block(&indent(&Value::Object(header.clone())))?;
    out.styled(HEAD, "claims", "")?;
    out.block(&indent(&Value::Object(claims.to_map())))?;
    out.styled(HEAD, "times", "")?;
    for name in [names::IAT, names::NBF, names::EXP] {
        match claims.time(name).optional(name) {
            Ok(Some(t)) => {
                let when = match (name, t > now) {
                    (names::EXP, true) => format!("expires {}", relative(t, now)),
                    (names::EXP, false) => format!("expired {}", relative(t, now)),
                    _ => relative(t, now),
                };
                out.line(format!("  {name}  {t}  {}  ({when})", utc(t)))?;
            }
            Ok(None) => out.line(format!("  {name}  absent"))?,
            Err(e) => out.line(format!("  {name}  {e}"))?,
        }
    }
    match profile {
        Ok(profile) => out.line(format!("profile  {profile}"))?,
        Err(e) => out.line(format!("profile  not recognised: {e}"))?,
    }
    out.styled(
        DIM,
        &format!("signature  {} bytes", token.signature().len()),
        "",
    )
}

fn indent(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
