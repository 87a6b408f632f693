//! `issuer.toml`: what the issuer serves, where it keeps its state, and each client's policy.
//!
//! Every setting is checked when the file is loaded, so a running issuer never meets a bad
//! one: a relative path is taken from the file's directory, and each client's policy is
//! compiled ([`crate::policy::ClientPolicy`]). docs/issuer.md is the reference.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{IssuerError, Result};
use crate::login::{LoginConfig, LoginFile};
use crate::policy::{ClientPolicy, GrantType, PolicyConfig};

/// Longest access-token lifetime any client may be given, whatever the file says: one day.
pub const MAX_ACCESS_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    issuer: String,
    listen: SocketAddr,
    database: String,
    #[serde(default)]
    plain_http_on_loopback: bool,
    tls: Option<TlsFile>,
    #[serde(default)]
    keys: KeysConfig,
    #[serde(default)]
    tokens: TokensFile,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    clients: BTreeMap<String, PolicyConfig>,
    login: Option<LoginFile>,
    #[serde(default)]
    device: DeviceConfig,
    #[serde(default)]
    workbench: WorkbenchConfig,
}

/// The device authorization grant (RFC 8628).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceConfig {
    /// How long a device code and its user code last, in seconds (default 600).
    pub code_lifetime_secs: u64,
    /// The polling interval given to clients, in seconds (default 5).
    pub interval_secs: u64,
    /// User codes and logins one address may try per minute on the pages (default 10).
    pub attempts_per_minute: u32,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig {
            code_lifetime_secs: 600,
            interval_secs: 5,
            attempts_per_minute: 10,
        }
    }
}

/// The token workbench page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkbenchConfig {
    /// Offer a button that mints a sample token signed by this issuer, for trying the page
    /// (never in production: anyone who can reach the page gets a valid token).
    pub test_mode: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert: PathBuf,
    key: PathBuf,
}

/// Where the issuer keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (one issuer process, or several on one host).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (replicas behind a load balancer).
    Postgres(String),
}

/// The TLS certificate chain and key files, PEM.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, SEC1 or PKCS#1).
    pub key: PathBuf,
}

/// Signing keys: rotation and publication.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// How long a new key is published before it signs, in seconds; must exceed the JWKS
    /// `max-age` plus the reload interval, so every verifier that follows the cache headers
    /// has it before the first token it signs (default one hour).
    pub prepublish_secs: u64,
    /// `Cache-Control: max-age` of the JWKS document, in seconds (default 5 minutes).
    pub jwks_max_age_secs: u64,
    /// How often a running issuer rereads keys and clients from the database, in seconds
    /// (default 30).
    pub reload_secs: u64,
}

impl Default for KeysConfig {
    fn default() -> Self {
        KeysConfig {
            prepublish_secs: 3600,
            jwks_max_age_secs: 300,
            reload_secs: 30,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TokensFile {
    max_lifetime_secs: u64,
    refresh_idle_secs: u64,
    refresh_absolute_secs: u64,
}

impl Default for TokensFile {
    fn default() -> Self {
        TokensFile {
            max_lifetime_secs: 3600,
            refresh_idle_secs: 14 * 24 * 3600,
            refresh_absolute_secs: 90 * 24 * 3600,
        }
    }
}

/// Lifetimes that bind every client.
#[derive(Debug, Clone, Copy)]
pub struct TokensConfig {
    /// Cap on any access token's lifetime; also how long a retired key stays published.
    pub max_lifetime: Duration,
    /// A refresh token unused this long expires.
    pub refresh_idle: Duration,
    /// A refresh-token family ends this long after its first token, however used.
    pub refresh_absolute: Duration,
}

/// Request limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, in bytes (default 16 KiB).
    pub body_bytes: usize,
    /// Longest time to read a request and answer it, in seconds (default 10).
    pub request_timeout_secs: u64,
    /// Requests per second one client may make after authenticating (default 50).
    pub per_client_per_second: u32,
    /// Burst above that rate (default 100).
    pub per_client_burst: u32,
    /// Requests per second from one address, before anything else (default 200).
    pub per_address_per_second: u32,
    /// Burst above that rate (default 400).
    pub per_address_burst: u32,
    /// Connections served at once; more wait in the kernel's backlog (default 1024).
    pub max_connections: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            body_bytes: 16 * 1024,
            request_timeout_secs: 10,
            per_client_per_second: 50,
            per_client_burst: 100,
            per_address_per_second: 200,
            per_address_burst: 400,
            max_connections: 1024,
        }
    }
}

/// A loaded and checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// The issuer URL, `iss` of every token, without a trailing `/`.
    pub issuer: String,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The state database.
    pub database: Database,
    /// TLS files; `None` only with `plain_http_on_loopback`.
    pub tls: Option<TlsConfig>,
    /// Key rotation and publication.
    pub keys: KeysConfig,
    /// Lifetime caps.
    pub tokens: TokensConfig,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Each client's policy, by client id.
    pub clients: BTreeMap<String, ClientPolicy>,
    /// How people log in on the pages, and what they may be given; `None`: no device flow.
    pub login: Option<LoginConfig>,
    /// The device authorization grant's settings.
    pub device: DeviceConfig,
    /// The token workbench page's settings.
    pub workbench: WorkbenchConfig,
}

impl Config {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(IssuerError::io("reading the configuration", path))?;
        Config::parse(path, &text)
    }

    /// Checks `text` as if read from `path` (relative paths are taken from its directory).
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let bad = |reason: String| IssuerError::config(path, reason);
        let file: File = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let relative = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };

        let issuer = file.issuer.trim_end_matches('/').to_owned();
        check_issuer(&issuer, file.plain_http_on_loopback)
            .map_err(|r| bad(format!("issuer: {r}")))?;
        let plain = issuer.starts_with("http://");
        if plain && !file.listen.ip().is_loopback() {
            return Err(bad(format!(
                "listen: plain http is served only on a loopback address, not {}",
                file.listen
            )));
        }
        let tls = match (file.tls, plain) {
            (Some(tls), false) => Some(TlsConfig {
                cert: relative(tls.cert),
                key: relative(tls.key),
            }),
            (None, false) => {
                return Err(bad(
                    "tls: an https issuer needs [tls] cert and key files".to_owned()
                ))
            }
            (Some(_), true) => {
                return Err(bad(
                    "tls: the issuer URL is http://, so [tls] would never be used".to_owned(),
                ))
            }
            (None, true) => None,
        };
        let database = match file.database.strip_prefix("sqlite:") {
            Some(p) => Database::Sqlite(relative(PathBuf::from(p))),
            None if file.database.starts_with("postgres://")
                || file.database.starts_with("postgresql://") =>
            {
                Database::Postgres(file.database.clone())
            }
            None => {
                return Err(bad("database: expected sqlite:PATH or postgres://... "
                    .to_owned()
                    + "(a path is taken from the configuration's directory)"))
            }
        };

        let keys = file.keys;
        if keys.reload_secs == 0 || keys.jwks_max_age_secs == 0 {
            return Err(bad(
                "keys: reload_secs and jwks_max_age_secs must be positive".to_owned(),
            ));
        }
        if keys.prepublish_secs <= keys.jwks_max_age_secs + keys.reload_secs {
            return Err(bad(format!(
                "keys.prepublish_secs ({}) must exceed jwks_max_age_secs + reload_secs ({}): \
                 verifiers must see a new key before it signs",
                keys.prepublish_secs,
                keys.jwks_max_age_secs + keys.reload_secs
            )));
        }
        let t = file.tokens;
        let tokens = TokensConfig {
            max_lifetime: Duration::from_secs(t.max_lifetime_secs),
            refresh_idle: Duration::from_secs(t.refresh_idle_secs),
            refresh_absolute: Duration::from_secs(t.refresh_absolute_secs),
        };
        if tokens.max_lifetime < Duration::from_secs(1) || tokens.max_lifetime > MAX_ACCESS_LIFETIME
        {
            return Err(bad(format!(
                "tokens.max_lifetime_secs must be between 1 and {}",
                MAX_ACCESS_LIFETIME.as_secs()
            )));
        }
        if tokens.refresh_idle.is_zero() || tokens.refresh_idle > tokens.refresh_absolute {
            return Err(bad(
                "tokens: refresh_idle_secs must be positive and at most refresh_absolute_secs"
                    .to_owned(),
            ));
        }
        let limits = file.limits;
        if limits.body_bytes < 1024
            || limits.request_timeout_secs == 0
            || limits.per_client_per_second == 0
            || limits.per_address_per_second == 0
            || limits.max_connections == 0
        {
            return Err(bad(
                "limits: body_bytes must be at least 1024 and every rate, timeout and \
                 connection limit positive"
                    .to_owned(),
            ));
        }
        let mut clients = BTreeMap::new();
        for (id, policy) in file.clients {
            let compiled = ClientPolicy::compile(&id, policy, &tokens)
                .map_err(|r| bad(format!("clients.{id}: {r}")))?;
            clients.insert(id, compiled);
        }
        let login = file
            .login
            .map(|l| LoginConfig::compile(l, dir))
            .transpose()
            .map_err(|r| bad(format!("login.{r}")))?;
        if let Some(id) = clients
            .iter()
            .find(|(_, p)| p.may(GrantType::DeviceCode))
            .map(|(id, _)| id)
        {
            if login.is_none() {
                return Err(bad(format!(
                    "clients.{id}: the device_code grant needs a [login] section (how people log in)"
                )));
            }
        }
        let device = file.device;
        if !(5..=1800).contains(&device.code_lifetime_secs)
            || !(1..=60).contains(&device.interval_secs)
            || device.attempts_per_minute == 0
        {
            return Err(bad(
                "device: code_lifetime_secs must be 5 to 1800, interval_secs 1 to 60, \
                 attempts_per_minute positive"
                    .to_owned(),
            ));
        }
        Ok(Config {
            path: path.to_owned(),
            issuer,
            listen: file.listen,
            database,
            tls,
            keys,
            tokens,
            limits,
            clients,
            login,
            device,
            workbench: file.workbench,
        })
    }

    /// The JWKS `max-age`.
    pub fn jwks_max_age(&self) -> Duration {
        Duration::from_secs(self.keys.jwks_max_age_secs)
    }

    /// How long a new key is published before it signs.
    pub fn prepublish(&self) -> Duration {
        Duration::from_secs(self.keys.prepublish_secs)
    }

    /// How often keys and clients are reread.
    pub fn reload(&self) -> Duration {
        Duration::from_secs(self.keys.reload_secs)
    }
}

/// An issuer URL: `https://host[:port][/path]` with no query, fragment or user info; plain
/// `http://` only for a loopback host and only when `plain_loopback` is set.
fn check_issuer(issuer: &str, plain_loopback: bool) -> Result<(), String> {
    let rest = if let Some(rest) = issuer.strip_prefix("https://") {
        rest
    } else if let Some(rest) = issuer.strip_prefix("http://") {
        if !plain_loopback {
            return Err("must be https:// (plain http needs plain_http_on_loopback = true)".into());
        }
        if !scitokens_format::is_loopback_http(issuer) {
            return Err("plain http is allowed only for a loopback host".into());
        }
        rest
    } else {
        return Err("must start with https://".into());
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err("has no host".into());
    }
    if rest.contains(['?', '#', '@']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must have no query, fragment, user info or spaces".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        issuer = "https://issuer.example"
        listen = "127.0.0.1:8443"
        database = "sqlite:state/issuer.db"
        [tls]
        cert = "tls/cert.pem"
        key = "/etc/issuer/key.pem"
    "#;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("/srv/issuer/issuer.toml"), text)
    }

    #[test]
    fn relative_paths_are_taken_from_the_file() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(
            config.database,
            Database::Sqlite("/srv/issuer/state/issuer.db".into())
        );
        let tls = config.tls.unwrap();
        assert_eq!(tls.cert, Path::new("/srv/issuer/tls/cert.pem"));
        assert_eq!(tls.key, Path::new("/etc/issuer/key.pem"));
    }

    #[test]
    fn refusals_name_the_setting() {
        let cases = [
            (
                MINIMAL.replace("https://issuer.example", "http://issuer.example"),
                "issuer: must be https://",
            ),
            (
                MINIMAL.replace("https://issuer.example", "https://i.example/?x"),
                "no query",
            ),
            (
                MINIMAL.replace("sqlite:state/issuer.db", "mysql://x"),
                "database: expected",
            ),
            (
                format!("{MINIMAL}\n[keys]\nprepublish_secs = 60\n"),
                "keys.prepublish_secs (60)",
            ),
            (
                format!("{MINIMAL}\n[tokens]\nmax_lifetime_secs = 0\n"),
                "tokens.max_lifetime_secs",
            ),
            (
                format!("{MINIMAL}\nsurprise = 1\n"),
                "unknown field `surprise`",
            ),
            (MINIMAL.replace("[tls]", "[other]"), "unknown field"),
        ];
        for (text, expected) in cases {
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} lacks {expected}");
            assert!(err.starts_with("/srv/issuer/issuer.toml: "), "{err}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback_and_only_by_opt_in() {
        let plain = r#"
            issuer = "http://127.0.0.1:8080"
            listen = "127.0.0.1:8080"
            database = "sqlite:x.db"
        "#;
        assert!(parse(plain)
            .unwrap_err()
            .to_string()
            .contains("plain_http_on_loopback"));
        let opted = format!("plain_http_on_loopback = true\n{plain}");
        assert!(parse(&opted).unwrap().tls.is_none());
        let wide = opted.replace("listen = \"127.0.0.1:8080\"", "listen = \"0.0.0.0:8080\"");
        assert!(parse(&wide)
            .unwrap_err()
            .to_string()
            .contains("only on a loopback address"));
    }
}
