//! The `scitokens-webdav` command (docs/webdav.md).

#![forbid(unsafe_code)]
#![allow(clippy::print_stderr)] // a command line program reports its errors

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use scitokens_enforce::EnforcerConfig;
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_tower::server::{serve, tls_config};
use scitokens_tower::Authorizer;

#[derive(Parser)]
#[command(
    name = "scitokens-webdav",
    version,
    about = "A WebDAV storage server protected by SciTokens"
)]
struct Cli {
    /// The directory served.
    #[arg(long)]
    root: PathBuf,
    /// A trusted token issuer (repeatable).
    #[arg(long, required = true)]
    issuer: Vec<String>,
    /// This server's audience (repeatable).
    #[arg(long, required = true)]
    audience: Vec<String>,
    /// Address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// URL path the tree is served under.
    #[arg(long, default_value = "/")]
    base_path: String,
    /// Server certificate chain, PEM (with --tls-key; required unless listening on loopback).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Server private key, PEM.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// CA certificates to trust when fetching issuers' keys (default: the web PKI roots).
    #[arg(long)]
    issuer_ca_file: Option<PathBuf>,
    /// Key cache directory (default: $XDG_CACHE_HOME, shared with scitokens-cpp).
    #[arg(long)]
    cache_home: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scitokens-webdav: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scitokens-webdav: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let root = std::fs::canonicalize(&cli.root)
        .map_err(|e| format!("--root {}: {e}", cli.root.display()))?;
    if !root.is_dir() {
        return Err(format!("--root {} is not a directory", root.display()).into());
    }
    let tls =
        match (&cli.tls_cert, &cli.tls_key) {
            (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
            _ if cli.listen.ip().is_loopback() => None,
            _ => return Err(
                "plain http is served only on a loopback address: give --tls-cert and --tls-key"
                    .into(),
            ),
        };
    let cache = KeyCache::open(KeyCacheConfig {
        location: cli
            .cache_home
            .map_or(CacheLocation::Default, CacheLocation::CacheHome),
        tls_ca_file: cli.issuer_ca_file,
        ..KeyCacheConfig::default()
    })?;
    let authorizer = Arc::new(Authorizer::new(
        EnforcerConfig {
            issuers: cli.issuer,
            audiences: cli.audience,
            ..EnforcerConfig::default()
        },
        cache,
    )?);
    let router = scitokens_webdav::router(root, &cli.base_path, authorizer)?;
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving");
    serve(
        listener,
        router,
        tls,
        1024,
        Duration::from_secs(30),
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await;
    Ok(())
}
