//! The issuer's operational errors: configuration, storage, keys, TLS, files.
//!
//! Protocol errors answered to OAuth clients are not here: they are [`crate::oauth::OAuthError`]
//! values, RFC 6749 §5.2 responses made at the edge of each endpoint.

use std::path::PathBuf;

use scitokens_format::{FormatError, Untrusted};

/// Why an issuer operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// The configuration file is unreadable or says something the issuer refuses.
    #[error("{}: {reason}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, naming the setting.
        reason: String,
    },
    /// The database refused an operation.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// PostgreSQL refused an operation or the connection failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// The database holds something this version cannot read, or its connection settings or
    /// pool failed.
    #[error("database: {0}")]
    Corrupt(String),
    /// A file could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key or token operation failed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The TLS configuration was refused.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The TLS files could not be used.
    #[error(transparent)]
    Server(#[from] scitokens_tower::server::ServerError),
    /// Making a certificate failed.
    #[error("certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// A client id is not registered.
    #[error("no client {0}")]
    UnknownClient(Untrusted),
    /// A client id is already registered.
    #[error("client {0} is already registered")]
    ClientExists(Untrusted),
    /// A client id is not of the accepted form.
    #[error("client id {id}: {reason}")]
    InvalidClientId {
        /// The id, truncated.
        id: Untrusted,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Hashing a client secret failed.
    #[error("hashing the client secret: {0}")]
    Hash(String),
    /// A blocking task could not finish (the runtime is shutting down).
    #[error("background task: {0}")]
    Task(String),
    /// The listening socket could not be opened or served.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = IssuerError> = std::result::Result<T, E>;

impl IssuerError {
    /// A configuration error for `path`.
    pub(crate) fn config(path: &std::path::Path, reason: impl Into<String>) -> Self {
        IssuerError::Config {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    /// An I/O error while doing `what` to `path`.
    pub(crate) fn io(
        what: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| IssuerError::Io { what, path, source }
    }
}
