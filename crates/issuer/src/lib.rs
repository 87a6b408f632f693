//! `scitokens-issuer`: a self-hostable SciTokens / WLCG token issuer, an OAuth 2.0
//! authorization server. Clients authenticate with a secret (argon2id at rest) and get
//! ES256-signed tokens by `client_credentials`, `refresh_token` (rotated, replay revokes the
//! family) or RFC 8693 token exchange (attenuation only); RFC 7009 revocation; keys published
//! before they sign and kept until their last token expires; discovery by RFC 8414 and OpenID
//! Connect; per-client and per-address rate limits; Prometheus metrics.
//!
//! The binary is a thin command line over [`init`], [`Issuer`] and [`start`]; the same calls
//! run an issuer inside another program or a test.
//!
//! ```no_run
//! # async fn example() -> Result<(), scitokens_issuer::IssuerError> {
//! let config = scitokens_issuer::Config::load(std::path::Path::new("/srv/issuer/issuer.toml"))?;
//! let running = scitokens_issuer::start(config).await?;
//! println!("listening on {}", running.local_addr());
//! running.wait().await;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clients;
pub mod config;
mod error;
pub mod files;
pub mod grants;
pub mod http;
mod init;
pub mod keys;
pub mod limits;
pub mod login;
pub mod metrics;
pub mod oauth;
pub mod policy;
pub mod secret;
mod service;
pub mod store;
pub mod tls;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::Config;
pub use error::{IssuerError, Result};
pub use grants::{ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE, REFRESH_TOKEN_TYPE};
pub use init::{init, InitOptions, Initialized};
pub use service::{Issuer, TokenResponse};

/// A running issuer: its address, and a way to stop it.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    issuer: Arc<Issuer>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    reloader: JoinHandle<()>,
}

impl Running {
    /// The address it listens on (the port is known here when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer's state.
    pub fn issuer(&self) -> &Arc<Issuer> {
        &self.issuer
    }

    /// Stops accepting, lets open requests finish, and returns when done.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        self.reloader.abort();
    }

    /// Runs until the server ends (it ends only when stopped).
    pub async fn wait(self) {
        let _ = self.server.await;
        self.reloader.abort();
    }

    /// A handle that stops the server when [`Stopper::stop`] is called, for signal handlers.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop.clone())
    }
}

/// Stops a [`Running`] issuer from elsewhere.
#[derive(Debug, Clone)]
pub struct Stopper(watch::Sender<bool>);

impl Stopper {
    /// Asks the server to stop.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// Opens the store, binds the listener and starts serving, with a background task that
/// reloads keys and clients every `keys.reload_secs`.
pub async fn start(config: Config) -> Result<Running> {
    let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| IssuerError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| IssuerError::Listen {
            addr: config.listen,
            source,
        })?;
    let issuer = Arc::new(Issuer::open(config).await?);
    if issuer.keys().signer(issuer.now()).is_none() {
        tracing::warn!("no signing key is active: tokens cannot be issued until one is");
    }
    let (stop, mut stopped) = watch::channel(false);
    let reloader = {
        let issuer = Arc::clone(&issuer);
        let every = issuer.config().reload();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = issuer.reload().await {
                    tracing::error!(error = %e, "reloading keys and clients");
                }
            }
        })
    };
    let limits = issuer.config().limits.clone();
    let router = http::router(Arc::clone(&issuer));
    let server = tokio::spawn(async move {
        scitokens_tower::server::serve(
            listener,
            router,
            tls,
            limits.max_connections,
            Duration::from_secs(limits.request_timeout_secs),
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        )
        .await;
    });
    Ok(Running {
        addr,
        issuer,
        stop,
        server,
        reloader,
    })
}
