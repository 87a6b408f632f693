//! `scitoken keys`: administer the key cache.

use scitokens_format::{Clock, KeySet, SystemClock, UnixTime};
use scitokens_keycache::{CachedRow, KeyCache, KeyCacheError};
use serde_json::{json, Value};

use crate::cli::{CacheOpts, KeysCommand};
use crate::cmd::check::cache_config;
use crate::error::{CliError, Result, EXIT_ERROR};
use crate::output::{relative, time_json, utc, Printer, BAD, GOOD};

fn open(opts: &CacheOpts) -> Result<KeyCache> {
    Ok(KeyCache::open(cache_config(
        opts.cache.as_deref(),
        opts.ca_file.as_deref(),
    )?)?)
}

pub(crate) fn keys(command: &KeysCommand, out: &mut Printer) -> Result<u8> {
    let now = SystemClock.now();
    match command {
        KeysCommand::List(opts) => {
            let cache = open(opts)?;
            let rows = cache.list()?;
            out.document(&Value::Array(
                rows.iter()
                    .map(|info| row_json(&info.issuer, &info.row, now))
                    .collect(),
            ))?;
            if rows.is_empty() {
                out.line("(the key cache is empty)")?;
            }
            for info in &rows {
                match &info.row {
                    Ok(row) => out.line(format!(
                        "{}  kids {}  refresh {}  expires {}",
                        info.issuer,
                        kids(row).join(","),
                        relative(row.next_update, now),
                        relative(row.expires, now)
                    ))?,
                    Err(e) => out.line(format!("{}  {e}", info.issuer))?,
                }
            }
            Ok(0)
        }
        KeysCommand::Show { issuer, cache } => {
            let cache = open(cache)?;
            let Some(row) = cache.get(issuer)? else {
                return Err(not_cached(issuer));
            };
            out.document(&row_json(issuer, &row, now))?;
            match &row {
                Ok(row) => {
                    out.line(format!("issuer       {issuer}"))?;
                    out.line(format!(
                        "next update  {} ({})",
                        utc(row.next_update),
                        relative(row.next_update, now)
                    ))?;
                    out.line(format!(
                        "expires      {} ({})",
                        utc(row.expires),
                        relative(row.expires, now)
                    ))?;
                    let jwks = serde_json::to_string_pretty(&row.jwks)
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                    out.block(&jwks)?;
                }
                Err(e) => out.line(format!("{issuer}: {e}"))?,
            }
            Ok(0)
        }
        KeysCommand::Add {
            issuer,
            jwks,
            cache,
        } => {
            let document = std::fs::read(jwks).map_err(CliError::file(jwks))?;
            let keys = open(cache)?.set_jwks(issuer, &document)?;
            out.document(&json!({ "issuer": issuer, "kids": keyset_kids(&keys) }))?;
            out.line(format!("added {} key(s) for {issuer}", keys.len()))?;
            Ok(0)
        }
        KeysCommand::Remove { issuer, cache } => {
            if !open(cache)?.delete(issuer)? {
                return Err(not_cached(issuer));
            }
            out.document(&json!({ "issuer": issuer, "removed": true }))?;
            out.line(format!("removed {issuer}"))?;
            Ok(0)
        }
        KeysCommand::Refresh { issuer, cache } => {
            let cache = open(cache)?;
            let results = match issuer {
                Some(issuer) => vec![(issuer.clone(), cache.refresh(issuer))],
                None => cache.refresh_all()?,
            };
            let mut failed = false;
            let mut docs = Vec::new();
            for (issuer, result) in &results {
                match result {
                    Ok(keys) => {
                        docs.push(
                            json!({ "issuer": issuer, "ok": true, "kids": keyset_kids(keys) }),
                        );
                        out.styled(
                            GOOD,
                            "refreshed",
                            &format!(" {issuer}: {} key(s)", keys.len()),
                        )?;
                    }
                    Err(e) => {
                        failed = true;
                        docs.push(json!({ "issuer": issuer, "ok": false, "error": { "kind": e.kind(), "message": e.to_string() } }));
                        out.styled(BAD, "failed", &format!(" {issuer}: {e}"))?;
                    }
                }
            }
            out.document(&Value::Array(docs))?;
            Ok(if failed { EXIT_ERROR } else { 0 })
        }
        KeysCommand::Location(opts) => {
            let cache = open(opts)?;
            let path = cache.location().map(|p| p.display().to_string());
            out.document(&json!({ "path": path }))?;
            out.line(path.as_deref().unwrap_or("(in memory)"))?;
            Ok(0)
        }
    }
}

fn not_cached(issuer: &str) -> CliError {
    CliError::Usage(format!(
        "{} is not in the key cache",
        scitokens_format::Untrusted::new(issuer)
    ))
}

fn kids(row: &CachedRow) -> Vec<String> {
    match row.jwks.get("keys") {
        Some(Value::Array(keys)) => keys
            .iter()
            .map(|k| {
                k.get("kid")
                    .and_then(Value::as_str)
                    .unwrap_or("(none)")
                    .to_owned()
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn keyset_kids(keys: &KeySet) -> Vec<Option<&str>> {
    keys.keys().iter().map(|k| k.kid()).collect()
}

fn row_json(issuer: &str, row: &Result<CachedRow, KeyCacheError>, now: UnixTime) -> Value {
    match row {
        Ok(row) => json!({
            "issuer": issuer,
            "kids": kids(row),
            "next_update": time_json(row.next_update, now),
            "expires": time_json(row.expires, now),
            "jwks": row.jwks,
        }),
        Err(e) => json!({ "issuer": issuer, "error": e.to_string() }),
    }
}
