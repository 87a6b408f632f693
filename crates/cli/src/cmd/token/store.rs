//! What `scitoken token` keeps between runs: the access token where WLCG bearer-token
//! discovery looks (`$BEARER_TOKEN_FILE`, else `$XDG_RUNTIME_DIR/bt_u$UID`, else
//! `/tmp/bt_u$UID`), and, per issuer and client, a grant record with the refresh token under
//! `$XDG_CONFIG_HOME/scitokens/` (else `~/.config/scitokens/`). Both mode 0600, written
//! atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};
use crate::files::{private_dir, write_file};

/// Where the access token goes: `out`, or where discovery looks first among files.
pub(crate) fn token_path(out: Option<&Path>) -> PathBuf {
    token_path_with(out, |n| std::env::var_os(n).map(PathBuf::from), euid())
}

fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

pub(crate) fn token_path_with(
    out: Option<&Path>,
    env: impl Fn(&str) -> Option<PathBuf>,
    uid: u32,
) -> PathBuf {
    if let Some(out) = out {
        return out.to_owned();
    }
    if let Some(file) = env("BEARER_TOKEN_FILE").filter(|f| !f.as_os_str().is_empty()) {
        return file;
    }
    let name = format!("bt_u{uid}");
    match env("XDG_RUNTIME_DIR").filter(|d| !d.as_os_str().is_empty() && d.is_dir()) {
        Some(dir) => dir.join(name),
        None => Path::new("/tmp").join(name),
    }
}

/// Writes the access token (and a newline), mode 0600, replacing the old one atomically.
pub(crate) fn write_token(path: &Path, token: &str) -> Result<()> {
    write_file(path, format!("{token}\n").as_bytes(), 0o600, true)
}

/// A grant kept for refreshing: everything `refresh`, `revoke` and `run` need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Grant {
    /// The issuer URL.
    pub(crate) issuer: String,
    /// The client id.
    pub(crate) client_id: String,
    /// The client secret file, for a confidential client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// The CA file for the issuer, if not the built-in roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ca_file: Option<PathBuf>,
    /// The refresh token; `None` for a confidential client that repeats client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    /// The `scope` asked for, repeated by client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<String>,
    /// The audiences asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) audiences: Vec<String>,
    /// The resource indicators asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) resources: Vec<String>,
    /// Where the access token was written.
    pub(crate) token_file: PathBuf,
}

/// The directory of grant records.
pub(crate) fn grants_dir() -> Result<PathBuf> {
    grants_dir_with(|n| std::env::var_os(n).map(PathBuf::from))
}

pub(crate) fn grants_dir_with(env: impl Fn(&str) -> Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = env("XDG_CONFIG_HOME").filter(|d| d.is_absolute()) {
        return Ok(dir.join("scitokens"));
    }
    match env("HOME").filter(|d| d.is_absolute()) {
        Some(home) => Ok(home.join(".config").join("scitokens")),
        None => Err(CliError::Usage(
            "neither $XDG_CONFIG_HOME nor $HOME is set: nowhere to keep the refresh token \
             (pass --no-refresh)"
                .into(),
        )),
    }
}

/// The record file of `issuer` and `client_id`.
fn record_path(dir: &Path, issuer: &str, client_id: &str) -> PathBuf {
    let digest = scitokens_format::sha256(&[issuer.as_bytes(), b"\0", client_id.as_bytes()]);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("grant-{hex}.json"))
}

impl Grant {
    /// Saves the record, mode 0600, in a 0700 directory.
    pub(crate) fn save(&self, dir: &Path) -> Result<PathBuf> {
        private_dir(dir)?;
        let path = record_path(dir, &self.issuer, &self.client_id);
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| CliError::Usage(format!("encoding the grant record: {e}")))?;
        write_file(&path, text.as_bytes(), 0o600, true)?;
        Ok(path)
    }

    /// The record of `issuer` and `client_id`, if kept.
    pub(crate) fn load(dir: &Path, issuer: &str, client_id: &str) -> Result<Option<Grant>> {
        let path = record_path(dir, issuer.trim_end_matches('/'), client_id);
        read(&path)
    }

    /// Every kept record.
    pub(crate) fn all(dir: &Path) -> Result<Vec<Grant>> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CliError::file(dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let path = entry.map_err(CliError::file(dir))?.path();
            let is_record = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("grant-") && n.ends_with(".json"));
            if is_record {
                out.extend(read(&path)?);
            }
        }
        Ok(out)
    }

    /// Deletes the record.
    pub(crate) fn delete(&self, dir: &Path) -> Result<()> {
        let path = record_path(dir, &self.issuer, &self.client_id);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::file(&path)(e)),
            _ => Ok(()),
        }
    }
}

fn read(path: &Path) -> Result<Option<Grant>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::file(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn token_path_follows_discovery_order() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().to_str().unwrap().to_owned();
        let env = |vars: &'static [(&'static str, &'static str)], run: String| {
            move |n: &str| {
                if n == "XDG_RUNTIME_DIR" && !run.is_empty() {
                    return Some(PathBuf::from(&run));
                }
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| PathBuf::from(v))
            }
        };
        assert_eq!(
            token_path_with(
                None,
                env(&[("BEARER_TOKEN_FILE", "/x/tok")], run.clone()),
                7
            ),
            Path::new("/x/tok")
        );
        assert_eq!(
            token_path_with(None, env(&[], run.clone()), 7),
            dir.path().join("bt_u7")
        );
        assert_eq!(
            token_path_with(None, env(&[], String::new()), 7),
            Path::new("/tmp/bt_u7")
        );
        assert_eq!(
            token_path_with(Some(Path::new("/o")), env(&[], run), 7),
            Path::new("/o")
        );
    }

    #[test]
    fn records_are_private_and_keyed_by_issuer_and_client() {
        let dir = tempfile::tempdir().unwrap();
        let grants = dir.path().join("cfg/scitokens");
        let g = Grant {
            issuer: "https://a.example".into(),
            client_id: "cli".into(),
            client_secret_file: None,
            ca_file: None,
            refresh_token: Some("r1".into()),
            scope: None,
            audiences: vec![],
            resources: vec![],
            token_file: "/tmp/t".into(),
        };
        let path = g.save(&grants).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&grants).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            Grant::load(&grants, "https://a.example/", "cli").unwrap(),
            Some(g.clone())
        );
        assert_eq!(
            Grant::load(&grants, "https://a.example", "other").unwrap(),
            None
        );
        assert_eq!(Grant::all(&grants).unwrap(), vec![g.clone()]);
        g.delete(&grants).unwrap();
        assert!(Grant::all(&grants).unwrap().is_empty());
    }
}
