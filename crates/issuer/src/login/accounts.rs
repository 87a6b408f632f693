//! The local accounts file, for labs and tests: TOML, one `[accounts.NAME]` table per person
//! with an argon2id `password_hash` (`scitokens-issuer hash-password` makes one) and `groups`.
//! It is read at each login, so edits take effect at once.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{check_username, Person};
use crate::secret::verify_secret;

/// What `via` says for a local login.
pub const LOCAL: &str = "local";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    accounts: BTreeMap<String, Account>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Account {
    password_hash: String,
    #[serde(default)]
    groups: Vec<String>,
}

/// Why a local login failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginFailed {
    /// Unknown user or wrong password (one answer for both).
    #[error("unknown username or wrong password")]
    BadCredentials,
    /// The file cannot be read or is malformed (logged; the person sees a generic error).
    #[error("the accounts file: {0}")]
    File(String),
}

/// Checks `username` and `password` against the file at `path` (blocking: argon2id runs here).
/// An unknown username costs a verification against `decoy`, like a wrong password.
pub fn check(
    path: &Path,
    username: &str,
    password: &str,
    decoy: &str,
) -> Result<Person, LoginFailed> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoginFailed::File(format!("{}: {e}", path.display())))?;
    let file: File =
        toml::from_str(&text).map_err(|e| LoginFailed::File(format!("{}: {e}", path.display())))?;
    let Some(account) = file.accounts.get(username) else {
        verify_secret(password, decoy);
        return Err(LoginFailed::BadCredentials);
    };
    if !verify_secret(password, &account.password_hash) {
        return Err(LoginFailed::BadCredentials);
    }
    check_username(username)
        .map_err(|r| LoginFailed::File(format!("{}: account {username:?} {r}", path.display())))?;
    Ok(Person {
        username: username.to_owned(),
        groups: account.groups.clone(),
        via: LOCAL.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::hash_secret;

    #[test]
    fn right_password_wrong_password_unknown_user() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        let hash = hash_secret("correct horse").unwrap();
        std::fs::write(
            &path,
            format!("[accounts.alice]\npassword_hash = '{hash}'\ngroups = ['cms']\n"),
        )
        .unwrap();
        let decoy = hash_secret("decoy").unwrap();
        let alice = check(&path, "alice", "correct horse", &decoy).unwrap();
        assert_eq!(
            (alice.username.as_str(), alice.groups.as_slice()),
            ("alice", &["cms".to_owned()][..])
        );
        assert_eq!(
            check(&path, "alice", "wrong", &decoy),
            Err(LoginFailed::BadCredentials)
        );
        assert_eq!(
            check(&path, "bob", "correct horse", &decoy),
            Err(LoginFailed::BadCredentials)
        );
        std::fs::write(&path, "[accounts.alice]\npasword_hash = 'x'\n").unwrap();
        assert!(
            matches!(check(&path, "alice", "x", &decoy), Err(LoginFailed::File(e)) if e.contains("unknown field"))
        );
    }
}
