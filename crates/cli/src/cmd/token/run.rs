//! `scitoken token run -- CMD`: the command runs with `BEARER_TOKEN_FILE` naming a token this
//! process keeps fresh, replacing the file atomically before the token expires; SIGINT,
//! SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to the command; the exit status
//! is the command's (128 + N when a signal N ended it). A failed refresh is reported and tried
//! again; the command keeps running on the token it has.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

use scitokens_format::UnverifiedToken;

use super::{find_grant, now_secs, renew, tell};
use crate::cli::TokenRunArgs;
use crate::error::{CliError, Result};

/// The least margin kept before expiry.
const MIN_MARGIN: u64 = 30;
/// How long to wait before trying a failed refresh again.
const RETRY: Duration = Duration::from_secs(15);

/// When the token in `path` expires and how long it lived, from its claims (`None` for an
/// unreadable or opaque token).
fn token_times(path: &std::path::Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let token = UnverifiedToken::parse(text.trim()).ok()?;
    let claims = token.claims();
    let exp = u64::try_from(claims.exp().optional("exp").ok()??.as_secs()).ok()?;
    let iat = claims
        .iat()
        .optional("iat")
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t.as_secs()).ok())
        .unwrap_or(exp.saturating_sub(600));
    Some((exp, exp.saturating_sub(iat)))
}

/// Seconds before expiry at which to refresh: `--min-remaining`, else a third of the lifetime
/// but at least 30 s; never so close to the lifetime that refreshes follow each other (at most
/// the lifetime less one second, and half of it by default).
fn margin(min_remaining: Option<u64>, lifetime: u64) -> u64 {
    match min_remaining {
        Some(m) => m.min(lifetime.saturating_sub(1)),
        None => (lifetime / 3).max(MIN_MARGIN).min(lifetime / 2),
    }
}

/// The exit status to give for the command's.
fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + (signal & 0x7f)).unwrap_or(1),
        _ => 1,
    }
}

pub(crate) fn run(args: &TokenRunArgs) -> Result<u8> {
    let mut grant = find_grant(
        args.grant.issuer.as_deref(),
        args.grant.client_id.as_deref(),
    )?;
    let path = args
        .grant
        .file
        .out
        .clone()
        .unwrap_or_else(|| grant.token_file.clone());

    // A token with enough time left, before the command starts.
    let mut expires = match token_times(&path) {
        Some((exp, life)) if exp > now_secs() + margin(args.min_remaining, life) => (exp, life),
        _ => {
            let tokens = renew(&mut grant, args.grant.scope.as_deref(), &path)?;
            times_after_renewal(&path, tokens.expires_in)
        }
    };

    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| CliError::Usage("no command given after --".into()))?;
    let mut child = Command::new(program)
        .args(rest)
        .env("BEARER_TOKEN_FILE", &path)
        .env_remove("BEARER_TOKEN")
        .spawn()
        .map_err(|e| CliError::Usage(format!("starting {}: {e}", program.to_string_lossy())))?;
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));

    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2])
        .map_err(|e| CliError::Usage(format!("installing signal handlers: {e}")))?;
    let handle = signals.handle();
    let forwarder = std::thread::spawn(move || {
        for signal in signals.forever() {
            if let Ok(signal) = Signal::try_from(signal) {
                let _ = kill(pid, signal);
            }
        }
    });
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait());
    });

    let status = loop {
        let refresh_at = expires
            .0
            .saturating_sub(margin(args.min_remaining, expires.1));
        let wait = Duration::from_secs(refresh_at.saturating_sub(now_secs()).max(1));
        match finished.recv_timeout(wait) {
            Ok(status) => break status,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(std::io::Error::other("lost track of the command"))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                match renew(&mut grant, args.grant.scope.as_deref(), &path) {
                    Ok(tokens) => expires = times_after_renewal(&path, tokens.expires_in),
                    Err(e) => {
                        tell(&format!(
                            "scitoken: refreshing the token failed (trying again): {e}"
                        ));
                        let retry = Instant::now() + RETRY;
                        // Wait RETRY, unless the command ends first.
                        match finished.recv_timeout(retry.saturating_duration_since(Instant::now()))
                        {
                            Ok(status) => break status,
                            Err(mpsc::RecvTimeoutError::Disconnected) => {
                                break Err(std::io::Error::other("lost track of the command"))
                            }
                            Err(mpsc::RecvTimeoutError::Timeout) => {}
                        }
                    }
                }
            }
        }
    };
    handle.close();
    let _ = forwarder.join();
    let status = status.map_err(|e| CliError::Usage(format!("waiting for the command: {e}")))?;
    Ok(exit_code(status))
}

/// Expiry and lifetime of a token just written: from its claims, else from `expires_in`.
fn times_after_renewal(path: &std::path::Path, expires_in: Option<u64>) -> (u64, u64) {
    token_times(path).unwrap_or_else(|| {
        let life = expires_in.unwrap_or(300);
        (now_secs() + life, life)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_and_exit_codes() {
        assert_eq!(margin(None, 600), 200);
        assert_eq!(margin(None, 90), MIN_MARGIN);
        assert_eq!(
            margin(None, 8),
            4,
            "short tokens are not refreshed back to back"
        );
        assert_eq!(margin(Some(5), 600), 5);
        assert_eq!(margin(Some(50), 8), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 128 + 15);
    }
}
