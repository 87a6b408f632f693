//! The command's one error type, and which exit code each error means.

use std::path::{Path, PathBuf};

use scitokens_enforce::EnforceError;
use scitokens_format::{Fault, FormatError};
use scitokens_keycache::KeyCacheError;
use thiserror::Error;

/// Result alias for this crate.
pub(crate) type Result<T, E = CliError> = std::result::Result<T, E>;

/// Exit status: 0 success, valid or allowed; 1 invalid token or denied; 2 usage, I/O or
/// configuration error.
pub(crate) const EXIT_INVALID: u8 = 1;
/// See [`EXIT_INVALID`].
pub(crate) const EXIT_ERROR: u8 = 2;

/// Why a command failed.
#[derive(Debug, Error)]
pub(crate) enum CliError {
    /// The token is invalid: it does not decode, its signature or claims are refused, or its
    /// key is not published. Exit 1.
    #[error("invalid token: {0}")]
    InvalidToken(EnforceError),
    /// The token could not be judged: keys unavailable, cache unusable, bad configuration.
    /// Exit 2.
    #[error("{0}")]
    CannotVerify(EnforceError),
    /// A key, key set or claim given on the command line is unusable. Exit 2.
    #[error("{what}: {source}")]
    Input {
        /// What was being read (`--key FILE`, `--claim-json NAME`).
        what: String,
        /// Why it is unusable.
        source: FormatError,
    },
    /// The key cache could not be used. Exit 2.
    #[error(transparent)]
    KeyCache(#[from] KeyCacheError),
    /// A file could not be read or written. Exit 2.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The issuer could not be reached, or answered with something that is not OAuth. Exit 2.
    #[error("{url}: {reason}")]
    Http {
        /// What was asked.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The issuer refused (an OAuth error answer). Exit 1 when a person denied the request
    /// (`access_denied`), 2 otherwise.
    #[error("{endpoint}: {error}{}", if description.is_empty() { String::new() } else { format!(": {description}") })]
    OAuth {
        /// The endpoint (`token`, `device authorization`, `revocation`).
        endpoint: &'static str,
        /// The `error` code.
        error: String,
        /// The `error_description`, truncated.
        description: String,
    },
    /// Anything else the user asked for that cannot be done. Exit 2.
    #[error("{0}")]
    Usage(String),
    /// Writing to stdout failed (other than a closed pipe). Exit 2.
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),
}

impl CliError {
    /// The exit status this error means.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::InvalidToken(_) => EXIT_INVALID,
            CliError::OAuth { error, .. } if error == "access_denied" => EXIT_INVALID,
            CliError::OAuth { .. } | CliError::Http { .. } => EXIT_ERROR,
            CliError::CannotVerify(_)
            | CliError::Input { .. }
            | CliError::KeyCache(_)
            | CliError::File { .. }
            | CliError::Usage(_)
            | CliError::Output(_) => EXIT_ERROR,
        }
    }

    /// A stable, short name for the error (`--json` output).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            CliError::InvalidToken(e) | CliError::CannotVerify(e) => e.kind(),
            CliError::Input { source, .. } => source.kind(),
            CliError::KeyCache(e) => e.kind(),
            CliError::File { .. } => "file",
            CliError::Http { .. } => "http",
            CliError::OAuth { .. } => "oauth",
            CliError::Usage(_) => "usage",
            CliError::Output(_) => "output",
        }
    }

    /// Sorts an error from verifying a token: is the token invalid (exit 1), or could it not
    /// be judged (exit 2)?
    pub(crate) fn from_verification(e: EnforceError) -> Self {
        match e.fault() {
            Fault::Token => CliError::InvalidToken(e),
            Fault::Request | Fault::Server => CliError::CannotVerify(e),
        }
    }

    pub(crate) fn file(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
        move |source| CliError::File {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn input(what: impl Into<String>) -> impl FnOnce(FormatError) -> CliError {
        let what = what.into();
        move |source| CliError::Input { what, source }
    }
}
