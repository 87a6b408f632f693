//! Black-box harness: the real `scitokens-issuer` binary, initialised in a temporary directory,
//! serving over TLS on 127.0.0.1 with its own test CA; an HTTPS client that trusts that CA.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const STORAGE: &str = "https://storage.example";
pub const WLCG_ANY: &str = "https://wlcg.cern.ch/jwt/v1/any";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_scitokens-issuer")
}

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An initialised issuer directory.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub ca: PathBuf,
    pub url: String,
}

impl Setup {
    /// `init --self-signed-tls`, then `settings` replacing the `[keys]`, `[tokens]` and
    /// `[limits]` tables when given, then `policies` appended.
    pub fn new(settings: &[(&str, &str)], policies: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let url = format!("https://127.0.0.1:{port}");
        let out = Command::new(bin())
            .args(["init", dir.path().to_str().unwrap(), "--issuer", &url])
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--self-signed-tls",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config = dir.path().join("issuer.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        for (from, to) in settings {
            assert!(text.contains(from), "issuer.toml has no {from}");
            text = text.replace(from, to);
        }
        // Policies go before [tls], which init writes last.
        let tls = text.find("[tls]").unwrap();
        text.insert_str(tls, &format!("{policies}\n"));
        std::fs::write(&config, text).unwrap();
        Setup {
            ca: dir.path().join("tls/ca.pem"),
            dir,
            config,
            url,
        }
    }

    /// Runs a subcommand with `--config`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .output()
            .unwrap()
    }

    /// Registers a client; its secret.
    pub fn add_client(&self, id: &str) -> String {
        let out = self.run(&["clients", "add", id]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Starts `serve` and waits until it answers.
    pub fn serve(&self) -> Node {
        self.serve_with(&self.config, &self.url)
    }

    /// A second replica's configuration: the same file listening on another port; its URL.
    pub fn replica(&self) -> (PathBuf, String) {
        let port = free_port();
        let text = std::fs::read_to_string(&self.config).unwrap();
        let listen = text
            .lines()
            .find(|l| l.starts_with("listen = "))
            .unwrap()
            .to_owned();
        let path = self.dir.path().join(format!("issuer-{port}.toml"));
        std::fs::write(
            &path,
            text.replace(&listen, &format!("listen = \"127.0.0.1:{port}\"")),
        )
        .unwrap();
        (path, format!("https://127.0.0.1:{port}"))
    }

    /// Starts `serve` on `config`, reached at `url`, and waits until it answers.
    pub fn serve_with(&self, config: &Path, url: &str) -> Node {
        let log = self.dir.path().join(format!("serve-{}.log", free_port()));
        let child = Command::new(bin())
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let node = Node {
            child,
            log,
            client: Client::new(url, &self.ca),
        };
        let started = Instant::now();
        while node.client.get("/healthz").status != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the issuer did not start: {}",
                node.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        node
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("issuer.db")).unwrap()
    }
}

/// A running `serve` process, killed when dropped.
pub struct Node {
    child: Child,
    log: PathBuf,
    pub client: Client,
}

impl Node {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, headers of interest, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub cache_control: Option<String>,
    pub retry_after: Option<String>,
    pub www_authenticate: Option<String>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `error` member of an error answer.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_owned()
    }
}

/// HTTPS to the issuer, trusting its test CA.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub fn new(base: &str, ca: &Path) -> Client {
        let agent =
            scitokens_keycache::http_agent(Some(ca), Duration::from_secs(20), false).unwrap();
        Client {
            agent,
            base: base.to_owned(),
        }
    }

    fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut response = match result {
            Ok(r) => r,
            Err(e) => {
                return Answer {
                    status: 0,
                    cache_control: None,
                    retry_after: None,
                    www_authenticate: None,
                    body: e.to_string(),
                }
            }
        };
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (cache_control, retry_after, www_authenticate) = (
            header("cache-control"),
            header("retry-after"),
            header("www-authenticate"),
        );
        let mut body = String::new();
        let _ = response.body_mut().as_reader().read_to_string(&mut body);
        Answer {
            status: response.status().as_u16(),
            cache_control,
            retry_after,
            www_authenticate,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        Self::answer(self.agent.get(format!("{}{path}", self.base)).call())
    }

    /// POSTs a form, with HTTP Basic client authentication when `auth` is given.
    pub fn post(&self, path: &str, form: &[(&str, &str)], auth: Option<(&str, &str)>) -> Answer {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some((id, secret)) = auth {
            use base64::Engine;
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            request = request.header("authorization", format!("Basic {basic}"));
        }
        Self::answer(request.send_form(form.iter().copied()))
    }

    /// POSTs raw bytes with this content type.
    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        Self::answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("content-type", content_type)
                .send(body),
        )
    }

    /// A `client_credentials` token answer.
    pub fn token(&self, client: (&str, &str), extra: &[(&str, &str)]) -> Answer {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        self.post("/token", &form, Some(client))
    }
}

/// An enforcer for `setup`'s issuer and the audience [`STORAGE`], its keys found by discovery
/// (over HTTPS with the setup's CA) and cached under `home`.
pub fn enforcer(setup: &Setup, home: &Path) -> scitokens_enforce::Enforcer {
    use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(home.to_owned()),
        tls_ca_file: Some(setup.ca.clone()),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    scitokens_enforce::Enforcer::new(
        scitokens_enforce::EnforcerConfig {
            issuers: vec![setup.url.clone()],
            audiences: vec![STORAGE.to_owned()],
            ..scitokens_enforce::EnforcerConfig::default()
        },
        Arc::new(cache),
    )
    .unwrap()
}

/// The claims of a JWT, unverified.
pub fn claims(token: &str) -> Value {
    let token = scitokens_format::UnverifiedToken::parse(token).unwrap();
    Value::Object(token.claims().to_map())
}

/// The header `kid` of a JWT.
pub fn kid(token: &str) -> String {
    let token = scitokens_format::UnverifiedToken::parse(token).unwrap();
    token.header().kid().unwrap().to_owned()
}

/// A throwaway PostgreSQL server (Debian's package) on 127.0.0.1, stopped when dropped. As root
/// it runs as the `postgres` user, which PostgreSQL requires.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub url: String,
}

impl Postgres {
    /// Starts one, or `None` (skip) when PostgreSQL is not installed and the interop tests are
    /// not required.
    pub fn start() -> Option<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(|v| v.ok())
                    .map(|v| v.path().join("bin"))
                    .find(|b| b.join("initdb").is_file())
            });
        if !scitokens_testkit::available_or_skip(bin.is_some(), "PostgreSQL not installed") {
            return None;
        }
        let bin = bin?;
        let dir = tempfile::tempdir().unwrap();
        let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
        let as_postgres = uid.trim() == "0";
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let mut pg = Postgres {
            url: String::new(),
            dir,
            bin,
            as_postgres,
        };
        let data = pg.dir.path().join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "issuer",
                "-A",
                "trust",
                "--no-sync",
            ],
        );
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            pg.dir.path().display()
        );
        let log = pg.dir.path().join("postgres.log");
        pg.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
        pg.url = format!("postgres://issuer@127.0.0.1:{port}/postgres");
        Some(pg)
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
            .output();
    }
}

#[allow(unused_imports)]
pub use scitokens_testkit::browser::{Browser, Page};
