//! `scitokens-issuer init DIR`: a commented `issuer.toml`, the state database with a first
//! ES256 key (active at once: no verifier knows this issuer yet), and optionally a loopback
//! TLS pair.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use scitokens_format::{Clock, SystemClock};

use crate::config::{Config, Database};
use crate::error::{IssuerError, Result};
use crate::files::write_new as write;
use crate::keys::new_key;
use crate::store::Store;
use crate::tls::make_loopback_pair;

/// What `init` makes.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The issuer URL.
    pub issuer: String,
    /// The listening address.
    pub listen: SocketAddr,
    /// Make a loopback CA and server certificate under `DIR/tls`.
    pub self_signed_tls: bool,
    /// TOML written into the clients part of the file: `[clients.ID]` sections (may be empty).
    pub clients: String,
}

/// What `init` made.
#[derive(Debug, Clone)]
pub struct Initialized {
    /// The configuration file.
    pub config: PathBuf,
    /// The CA certificate, with `self_signed_tls`.
    pub ca: Option<PathBuf>,
    /// The first key's `kid`.
    pub kid: String,
}

/// Makes `dir`'s files; refuses to overwrite an existing configuration.
pub async fn init(dir: &Path, options: &InitOptions) -> Result<Initialized> {
    std::fs::create_dir_all(dir).map_err(IssuerError::io("creating", dir))?;
    let config_path = dir.join("issuer.toml");
    if config_path.exists() {
        return Err(IssuerError::config(
            &config_path,
            "already exists; init does not overwrite",
        ));
    }
    let plain = options.issuer.starts_with("http://");
    let ca = if options.self_signed_tls && !plain {
        Some(make_loopback_pair(&dir.join("tls"))?.ca)
    } else {
        None
    };
    let text = config_text(options, plain);
    // Check before writing: a bad URL is reported against the file it would have gone into.
    let config = Config::parse(&config_path, &text)?;
    write(&config_path, &text, 0o644)?;
    let Database::Sqlite(_) = &config.database else {
        return Err(IssuerError::config(
            &config_path,
            "init makes a SQLite database only",
        ));
    };
    let store = Store::open(&config.database).await?;
    let now = SystemClock.now();
    let key = new_key(now, now)?;
    let kid = key.kid.clone();
    store.add_key(key).await?;
    Ok(Initialized {
        config: config_path,
        ca,
        kid,
    })
}

fn config_text(options: &InitOptions, plain: bool) -> String {
    let plain_line = if plain {
        "# Plain http: loopback only, for tests. Never for a real issuer.\nplain_http_on_loopback = true\n"
    } else {
        ""
    };
    let transport = if plain {
        String::new()
    } else if options.self_signed_tls {
        "# A loopback test CA made by init: clients trust tls/ca.pem. Replace with a real\n\
         # certificate (and its chain) to serve other hosts.\n\
         [tls]\ncert = \"tls/cert.pem\"\nkey = \"tls/key.pem\"\n"
            .to_owned()
    } else {
        "# The server certificate chain (leaf first) and key, PEM.\n\
         [tls]\ncert = \"/etc/scitokens-issuer/cert.pem\"\nkey = \"/etc/scitokens-issuer/key.pem\"\n"
            .to_owned()
    };
    format!(
        r#"# scitokens-issuer configuration (docs/issuer.md is the reference).

# The issuer URL: `iss` of every token; discovery is served under it.
issuer = "{issuer}"
# Where to listen.
listen = "{listen}"
# State: registered clients, signing keys, refresh tokens. sqlite:PATH (relative to this
# file) for one node, postgres://... for replicas.
database = "sqlite:issuer.db"
{plain_line}
[keys]
# A new key is published this long before it signs (more than jwks_max_age_secs +
# reload_secs, so verifiers have it in time).
prepublish_secs = 3600
jwks_max_age_secs = 300
# How often a running issuer rereads keys and clients from the database.
reload_secs = 30

[tokens]
# Cap on every access token's lifetime; a retired key stays published this long.
max_lifetime_secs = 3600
refresh_idle_secs = 1209600      # 14 days unused
refresh_absolute_secs = 7776000  # 90 days in all

[limits]
body_bytes = 16384
request_timeout_secs = 10
per_client_per_second = 50
per_client_burst = 100
per_address_per_second = 200
per_address_burst = 400
max_connections = 1024

# One section per client; register its secret with `scitokens-issuer clients add ID`.
# [clients.example]
# grants = ["client_credentials", "refresh_token", "token_exchange"]
# profile = "wlcg"                      # or "scitokens2"
# scopes = ["storage.read:/data", "storage.create:/data/{{client_id}}/"]
# audiences = ["https://storage.example"]   # the first is the default
# lifetime_secs = 600
{clients}
{transport}"#,
        issuer = options.issuer,
        listen = options.listen,
        clients = options.clients,
    )
}
