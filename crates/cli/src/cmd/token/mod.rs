//! `scitoken token`: get, refresh, exchange and revoke tokens at an OAuth issuer, and run a
//! command that keeps its token fresh (docs/cli.md, "Getting tokens").

mod oauth;
mod run;
mod store;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use scitokens_format::UnverifiedToken;

use crate::cli::{TokenCommand, TokenExchangeArgs, TokenGetArgs, TokenRefreshArgs};
use crate::error::{CliError, Result};
use crate::output::{terminal_safe, Printer};
use oauth::{ClientAuth, Issuer, Tokens};
use store::{grants_dir, token_path, write_token, Grant};

/// The scope that asks for a refresh token.
const OFFLINE_ACCESS: &str = "offline_access";

/// Runs a `token` subcommand.
pub(crate) fn token(command: &TokenCommand, out: &mut Printer) -> Result<u8> {
    match command {
        TokenCommand::Get(args) => get(args, out).map(|()| 0),
        TokenCommand::Refresh(args) => refresh(args, out).map(|()| 0),
        TokenCommand::Exchange(args) => exchange(args, out).map(|()| 0),
        TokenCommand::Revoke(args) => revoke(args, out).map(|()| 0),
        TokenCommand::Run(args) => run::run(args),
    }
}

/// A message for the person at the terminal, on stderr (stdout is the command's output).
fn tell(text: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{}", terminal_safe(text));
    }
}

/// `iss` and `client_id` of a token, without verifying it (to find its grant); `None` for an
/// opaque token.
fn token_names(token: &str) -> (Option<String>, Option<String>) {
    match UnverifiedToken::parse(token) {
        Ok(t) => {
            let claims = t.claims();
            let get = |n: &str| claims.get(n).and_then(|v| v.as_str()).map(str::to_owned);
            (get("iss"), get("client_id"))
        }
        Err(_) => (None, None),
    }
}

/// Seconds since the epoch now.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn get(args: &TokenGetArgs, out: &mut Printer) -> Result<()> {
    let client_id = args.client.client_id.as_deref().ok_or_else(|| {
        CliError::Usage(
            "--client-id (or $SCITOKEN_CLIENT_ID) is required: the id the issuer registered \
             for this tool"
                .into(),
        )
    })?;
    let client = ClientAuth::new(client_id, args.client.client_secret_file.as_deref())?;
    let issuer = Issuer::discover(&args.issuer, args.client.ca_file.as_deref())?;
    let device = args.device || matches!(client, ClientAuth::Public(_));
    let mut scope = args.scope.clone().unwrap_or_default();
    if device && !args.no_refresh && !scope.split(' ').any(|s| s == OFFLINE_ACCESS) {
        scope = format!("{scope} {OFFLINE_ACCESS}").trim().to_owned();
    }
    let mut params: Vec<(&str, &str)> = Vec::new();
    if !scope.is_empty() {
        params.push(("scope", &scope));
    }
    params.extend(args.aud.iter().map(|a| ("audience", a.as_str())));
    params.extend(args.resource.iter().map(|r| ("resource", r.as_str())));
    let tokens = if device {
        device_flow(&issuer, &client, &params)?
    } else {
        let mut p = vec![("grant_type", "client_credentials")];
        p.extend_from_slice(&params);
        issuer.token(&client, &p)?
    };
    let path = token_path(args.file.out.as_deref());
    write_token(&path, &tokens.access_token)?;
    let kept = if tokens.refresh_token.is_some() || !device {
        let grant = Grant {
            issuer: issuer.url.clone(),
            client_id: client_id.to_owned(),
            client_secret_file: args.client.client_secret_file.clone(),
            ca_file: issuer.ca_file.clone(),
            refresh_token: tokens.refresh_token.clone(),
            scope: (!device && !scope.is_empty()).then(|| scope.clone()),
            audiences: args.aud.clone(),
            resources: args.resource.clone(),
            token_file: path.clone(),
        };
        Some(grant.save(&grants_dir()?)?)
    } else {
        None
    };
    report(out, &path, &tokens, kept.as_deref())
}

/// The device flow: ask, tell the person where to go, poll until they decide.
fn device_flow(issuer: &Issuer, client: &ClientAuth, params: &[(&str, &str)]) -> Result<Tokens> {
    let endpoint = issuer.device_endpoint.as_deref().ok_or_else(|| {
        CliError::Usage(format!(
            "{} offers no device flow (its metadata has no device_authorization_endpoint); \
             a confidential client can use --client-secret-file",
            issuer.url
        ))
    })?;
    let answer = issuer.post("device authorization", endpoint, client, params)?;
    let text = |n: &str| answer[n].as_str().map(str::to_owned);
    let (Some(device_code), Some(user_code), Some(uri)) = (
        text("device_code"),
        text("user_code"),
        text("verification_uri").or_else(|| text("verification_url")),
    ) else {
        return Err(CliError::Http {
            url: endpoint.to_owned(),
            reason: "the answer lacks device_code, user_code or verification_uri".into(),
        });
    };
    let expires_in = answer["expires_in"].as_u64().unwrap_or(600);
    let mut interval = answer["interval"].as_u64().unwrap_or(5).max(1);
    tell("To approve this device, open in a browser:");
    tell(&format!(
        "  {}",
        text("verification_uri_complete").unwrap_or(uri)
    ));
    tell(&format!("and check that it shows the code {user_code}"));
    let deadline = Instant::now() + Duration::from_secs(expires_in);
    loop {
        std::thread::sleep(Duration::from_secs(interval));
        if Instant::now() >= deadline {
            return Err(CliError::Usage(
                "the code expired before it was approved; run the command again".into(),
            ));
        }
        let poll = [
            ("grant_type", oauth::DEVICE_CODE_GRANT),
            ("device_code", device_code.as_str()),
        ];
        match issuer.token(client, &poll) {
            Ok(tokens) => return Ok(tokens),
            Err(CliError::OAuth { error, .. }) if error == "authorization_pending" => {}
            Err(CliError::OAuth { error, .. }) if error == "slow_down" => interval += 5,
            Err(e) => return Err(e),
        }
    }
}

fn report(out: &mut Printer, path: &Path, tokens: &Tokens, kept: Option<&Path>) -> Result<()> {
    if out.json() {
        return out.document(&json!({
            "token_file": path,
            "expires_in": tokens.expires_in,
            "scope": tokens.scope,
            "grant_file": kept,
        }));
    }
    out.line(format!("token written to {}", path.display()))?;
    if let Some(secs) = tokens.expires_in {
        out.line(format!(
            "  expires in {}",
            humantime::format_duration(Duration::from_secs(secs))
        ))?;
    }
    if let Some(scope) = &tokens.scope {
        out.line(format!("  scope: {scope}"))?;
    }
    if let Some(kept) = kept {
        out.line(format!("  kept for refreshing in {}", kept.display()))?;
    }
    Ok(())
}

/// The kept grant for these names, or for the current token's issuer and client, or the only
/// one kept.
fn find_grant(issuer: Option<&str>, client_id: Option<&str>) -> Result<Grant> {
    let dir = grants_dir()?;
    let (mut issuer, mut client_id) = (issuer.map(str::to_owned), client_id.map(str::to_owned));
    if issuer.is_none() || client_id.is_none() {
        if let Ok(current) = crate::input::token(None) {
            let (iss, cid) = token_names(&current);
            issuer = issuer.or(iss);
            client_id = client_id.or(cid);
        }
    }
    if let (Some(i), Some(c)) = (&issuer, &client_id) {
        if let Some(g) = Grant::load(&dir, i, c)? {
            return Ok(g);
        }
    }
    let matching: Vec<Grant> = Grant::all(&dir)?
        .into_iter()
        .filter(|g| {
            issuer
                .as_deref()
                .is_none_or(|i| g.issuer == i.trim_end_matches('/'))
        })
        .filter(|g| client_id.as_deref().is_none_or(|c| g.client_id == c))
        .collect();
    match matching.len() {
        1 => Ok(matching
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!())),
        0 => Err(CliError::Usage(format!(
            "no kept grant{} in {}; run `scitoken token get` first",
            issuer.map(|i| format!(" for {i}")).unwrap_or_default(),
            dir.display()
        ))),
        _ => Err(CliError::Usage(format!(
            "several grants are kept ({}); pass --issuer and --client-id",
            matching
                .iter()
                .map(|g| format!("{} as {}", g.issuer, g.client_id))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A new access token for a kept grant (rotating its refresh token), written to `path`.
fn renew(grant: &mut Grant, scope: Option<&str>, path: &Path) -> Result<Tokens> {
    let issuer = Issuer::discover(&grant.issuer, grant.ca_file.as_deref())?;
    let client = ClientAuth::new(&grant.client_id, grant.client_secret_file.as_deref())?;
    let tokens = match (&grant.refresh_token, &client) {
        (Some(refresh), _) => {
            let mut p = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
            ];
            if let Some(s) = scope {
                p.push(("scope", s));
            }
            issuer.token(&client, &p).map_err(|e| match e {
                CliError::OAuth { error, .. } if error == "invalid_grant" => CliError::Usage(
                    "the kept refresh token was refused (expired or revoked); run \
                     `scitoken token get` again"
                        .into(),
                ),
                e => e,
            })?
        }
        (None, ClientAuth::Secret { .. }) => {
            let mut p = vec![("grant_type", "client_credentials")];
            if let Some(s) = scope.or(grant.scope.as_deref()) {
                p.push(("scope", s));
            }
            p.extend(grant.audiences.iter().map(|a| ("audience", a.as_str())));
            p.extend(grant.resources.iter().map(|r| ("resource", r.as_str())));
            issuer.token(&client, &p)?
        }
        (None, ClientAuth::Public(_)) => {
            return Err(CliError::Usage(
                "no refresh token is kept for this grant; run `scitoken token get` again".into(),
            ))
        }
    };
    write_token(path, &tokens.access_token)?;
    if tokens.refresh_token.is_some() {
        grant.refresh_token = tokens.refresh_token.clone();
    }
    grant.token_file = path.to_owned();
    grant.save(&grants_dir()?)?;
    Ok(tokens)
}

fn refresh(args: &TokenRefreshArgs, out: &mut Printer) -> Result<()> {
    let mut grant = find_grant(args.issuer.as_deref(), args.client_id.as_deref())?;
    let path = args
        .file
        .out
        .clone()
        .unwrap_or_else(|| grant.token_file.clone());
    let tokens = renew(&mut grant, args.scope.as_deref(), &path)?;
    report(out, &path, &tokens, None)
}

fn exchange(args: &TokenExchangeArgs, out: &mut Printer) -> Result<()> {
    let subject = crate::input::token(args.token.as_deref())?;
    let (iss, cid) = token_names(&subject);
    let iss = iss.ok_or_else(|| {
        CliError::Usage("the token has no readable iss claim: cannot tell its issuer".into())
    })?;
    let client_id = args.client.client_id.clone().or(cid).ok_or_else(|| {
        CliError::Usage("--client-id is required (the token names no client_id)".into())
    })?;
    let kept = grants_dir()
        .ok()
        .and_then(|d| Grant::load(&d, &iss, &client_id).ok().flatten());
    let secret_file = args
        .client
        .client_secret_file
        .clone()
        .or_else(|| kept.as_ref().and_then(|g| g.client_secret_file.clone()));
    let ca = args
        .client
        .ca_file
        .clone()
        .or_else(|| kept.as_ref().and_then(|g| g.ca_file.clone()));
    let client = ClientAuth::new(&client_id, secret_file.as_deref())?;
    let issuer = Issuer::discover(&iss, ca.as_deref())?;
    let mut p = vec![
        ("grant_type", oauth::TOKEN_EXCHANGE_GRANT),
        ("subject_token", subject.as_str()),
        ("subject_token_type", oauth::ACCESS_TOKEN_TYPE),
        ("requested_token_type", oauth::ACCESS_TOKEN_TYPE),
    ];
    if let Some(s) = &args.scope {
        p.push(("scope", s));
    }
    p.extend(args.aud.iter().map(|a| ("audience", a.as_str())));
    let tokens = issuer.token(&client, &p)?;
    match &args.out {
        Some(path) => {
            write_token(path, &tokens.access_token)?;
            report(out, path, &tokens, None)
        }
        None if out.json() => out.document(&json!({
            "access_token": tokens.access_token,
            "expires_in": tokens.expires_in,
            "scope": tokens.scope,
        })),
        None => out.line(&tokens.access_token),
    }
}

fn revoke(args: &TokenRefreshArgs, out: &mut Printer) -> Result<()> {
    let grant = find_grant(args.issuer.as_deref(), args.client_id.as_deref())?;
    let issuer = Issuer::discover(&grant.issuer, grant.ca_file.as_deref())?;
    let client = ClientAuth::new(&grant.client_id, grant.client_secret_file.as_deref())?;
    let endpoint = issuer
        .revocation_endpoint
        .clone()
        .ok_or_else(|| CliError::Usage(format!("{} offers no revocation endpoint", issuer.url)))?;
    if let Some(refresh) = &grant.refresh_token {
        issuer.post(
            "revocation",
            &endpoint,
            &client,
            &[("token", refresh), ("token_type_hint", "refresh_token")],
        )?;
    }
    let path = args
        .file
        .out
        .clone()
        .unwrap_or_else(|| grant.token_file.clone());
    if let Ok(text) = std::fs::read_to_string(&path) {
        let access = text.trim();
        if !access.is_empty() {
            issuer.post(
                "revocation",
                &endpoint,
                &client,
                &[("token", access), ("token_type_hint", "access_token")],
            )?;
        }
        std::fs::remove_file(&path).map_err(CliError::file(&path))?;
    }
    grant.delete(&grants_dir()?)?;
    if out.json() {
        return out.document(&json!({ "revoked": true, "issuer": grant.issuer }));
    }
    out.line(format!(
        "revoked the grant at {} and deleted {}",
        grant.issuer,
        path.display()
    ))
}
