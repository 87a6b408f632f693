//! The `scitokens-issuer` command: `init`, `serve`, `keys`, `clients` (docs/issuer.md).

#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command line program prints

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use scitokens_format::{Clock, SystemClock};
use scitokens_issuer::keys::{new_key, KeyRing};
use scitokens_issuer::store::Store;
use scitokens_issuer::{Config, InitOptions, IssuerError, Result};

#[derive(Parser)]
#[command(
    name = "scitokens-issuer",
    version,
    about = "A SciTokens / WLCG token issuer (OAuth 2.0)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Makes DIR/issuer.toml, the state database with a first signing key, and optionally a
    /// loopback TLS pair.
    Init {
        /// Directory to create the files in.
        dir: PathBuf,
        /// The issuer URL (https://, or http:// on loopback for tests).
        #[arg(long)]
        issuer: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// Make a test CA and a certificate for 127.0.0.1, ::1 and localhost under DIR/tls.
        #[arg(long)]
        self_signed_tls: bool,
    },
    /// Serves the issuer until SIGINT or SIGTERM.
    Serve {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Registered clients.
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Reads a password from the first line of standard input and prints its argon2id hash,
    /// for a `password_hash` in the local accounts file.
    HashPassword,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Adds a new key: published now, signing after keys.prepublish_secs; the old key stays
    /// published until its last token expires.
    Rotate {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Lists the keys and their state.
    List {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Registers a client and prints its secret once (stored only as an argon2id hash).
    Add {
        /// The client id: letters, digits, '.', '_', '-'.
        id: String,
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Write the secret to this new file (mode 0600) instead of standard output.
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
    /// Lists registered clients and whether each has a policy.
    List {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Removes a client and revokes its refresh tokens.
    Remove {
        /// The client id.
        id: String,
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
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
            eprintln!("scitokens-issuer: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scitokens-issuer: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn open(config: &Path) -> Result<(Config, Store)> {
    let config = Config::load(config)?;
    let store = Store::open(&config.database).await?;
    Ok((config, store))
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Init {
            dir,
            issuer,
            listen,
            self_signed_tls,
        } => {
            let done = scitokens_issuer::init(
                &dir,
                &InitOptions {
                    issuer,
                    listen,
                    self_signed_tls,
                    clients: String::new(),
                },
            )
            .await?;
            println!("wrote {}", done.config.display());
            if let Some(ca) = done.ca {
                println!("test CA for clients: {}", ca.display());
            }
            println!("signing key {} is active", done.kid);
            Ok(())
        }
        Command::Serve { config } => serve(&config).await,
        Command::HashPassword => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| IssuerError::Hash(format!("reading the password: {e}")))?;
            let password = line.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                return Err(IssuerError::Hash("the password is empty".into()));
            }
            println!("{}", scitokens_issuer::secret::hash_secret(password)?);
            Ok(())
        }
        Command::Keys { command } => match command {
            KeysCommand::Rotate { config } => {
                let (config, store) = open(&config).await?;
                let now = SystemClock.now();
                let ring = KeyRing::from_rows(&store.keys().await?, config.tokens.max_lifetime)?;
                let activate = ring.next_activation(now, config.prepublish());
                let row = new_key(now, activate)?;
                println!(
                    "key {} published now, signing from {} ({} s from now)",
                    row.kid,
                    activate,
                    activate.secs_since(now)
                );
                store.add_key(row).await
            }
            KeysCommand::List { config } => {
                let (config, store) = open(&config).await?;
                let now = SystemClock.now();
                let rows = store.keys().await?;
                let ring = KeyRing::from_rows(&rows, config.tokens.max_lifetime)?;
                let signer = ring.signer(now).map(|k| k.kid().to_owned());
                let published: Vec<String> = ring
                    .published(now)
                    .iter()
                    .filter_map(|k| k.kid().map(str::to_owned))
                    .collect();
                for row in rows {
                    let state = if signer.as_deref() == Some(row.kid.as_str()) {
                        "signing"
                    } else if row.activate_at > now {
                        "published, waiting to sign"
                    } else if published.contains(&row.kid) {
                        "published, retired from signing"
                    } else {
                        "retired"
                    };
                    println!("{}  activates {}  {state}", row.kid, row.activate_at);
                }
                Ok(())
            }
        },
        Command::Clients { command } => clients(command).await,
    }
}

async fn clients(command: ClientsCommand) -> Result<()> {
    match command {
        ClientsCommand::Add {
            id,
            config,
            secret_file,
        } => {
            let (config, store) = open(&config).await?;
            let secret =
                scitokens_issuer::clients::register(&store, &id, SystemClock.now()).await?;
            if !config.clients.contains_key(&id) {
                eprintln!(
                    "note: {} has no [clients.{id}] section; its token requests are refused \
                     until one is added",
                    config.path.display()
                );
            }
            match secret_file {
                Some(path) => {
                    scitokens_issuer::files::write_new(&path, &format!("{secret}\n"), 0o600)?;
                    eprintln!("client {id}: secret written to {}", path.display());
                }
                None => {
                    eprintln!("client {id} registered; its secret is shown this once:");
                    println!("{secret}");
                }
            }
            Ok(())
        }
        ClientsCommand::List { config } => {
            let (config, store) = open(&config).await?;
            for row in store.clients().await? {
                let policy = if config.clients.contains_key(&row.id) {
                    "policy"
                } else {
                    "no policy"
                };
                println!("{}  registered {}  {policy}", row.id, row.created);
            }
            Ok(())
        }
        ClientsCommand::Remove { id, config } => {
            let (_, store) = open(&config).await?;
            if store.remove_client(&id, SystemClock.now()).await? {
                println!("client {id} removed; its refresh tokens are revoked");
                Ok(())
            } else {
                Err(IssuerError::UnknownClient(
                    scitokens_format::Untrusted::new(&id),
                ))
            }
        }
    }
}

async fn serve(config: &Path) -> Result<()> {
    let config = Config::load(config)?;
    let issuer_url = config.issuer.clone();
    let running = scitokens_issuer::start(config).await?;
    tracing::info!(issuer = %issuer_url, addr = %running.local_addr(), "serving");
    let stopper = running.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping");
        stopper.stop();
    });
    running.wait().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
