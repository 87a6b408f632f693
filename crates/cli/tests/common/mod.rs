//! Shared set-up for the binary's tests: an isolated environment and a few shortcuts.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // helpers shared by several test binaries, each using a part

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// The issuer and audience most tests use.
pub const ISS: &str = "https://issuer.cli.example";
pub const AUD: &str = "https://storage.cli.example";

/// A temporary directory and a `scitoken` command that sees nothing of the caller's
/// environment: no bearer token, no key cache but one in the directory, no colour settings.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// `scitoken` with an isolated environment, run in the directory.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("scitoken").unwrap();
        cmd.current_dir(self.dir.path());
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("SCITOKEN_CONFIG_")
                || name.starts_with("BEARER_TOKEN")
                || [
                    "XDG_RUNTIME_DIR",
                    "RUST_LOG",
                    "NO_COLOR",
                    "CLICOLOR",
                    "CLICOLOR_FORCE",
                ]
                .contains(&name.as_str())
            {
                cmd.env_remove(&name);
            }
        }
        cmd.env("XDG_CACHE_HOME", self.path("cache"));
        cmd.env("HOME", self.dir.path());
        cmd
    }

    /// The same isolated `scitoken`, as a `std::process::Command` (for a process the test
    /// talks to while it runs), with `$XDG_RUNTIME_DIR` and `$XDG_CONFIG_HOME` in the directory.
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("scitoken"));
        cmd.current_dir(self.dir.path());
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("SCITOKEN_")
                || name.starts_with("BEARER_TOKEN")
                || name == "RUST_LOG"
            {
                cmd.env_remove(&name);
            }
        }
        std::fs::create_dir_all(self.path("run")).unwrap();
        cmd.env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `scitoken ARGS` and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Runs `scitoken --json ARGS`, returning (exit code, the stdout document).
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        let (code, stdout, stderr) = self.run(&[&["--json"], args].concat());
        let doc = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {stdout}{stderr}"));
        (code, doc)
    }

    /// `scitoken keygen` into `NAME.pem`, `NAME.pub`, `NAME.jwks`; returns the kid.
    pub fn keygen(&self, name: &str, alg: &str) -> String {
        let (code, stdout, stderr) = self.run(&[
            "keygen",
            "--alg",
            alg,
            "--private",
            &format!("{name}.pem"),
            "--public",
            &format!("{name}.pub"),
            "--jwks",
            &format!("{name}.jwks"),
        ]);
        assert_eq!(code, 0, "{stderr}");
        stdout.trim().to_owned()
    }

    /// `scitoken mint --key NAME.pem --issuer ISS EXTRA...`; returns the token.
    pub fn mint(&self, name: &str, extra: &[&str]) -> String {
        let key = format!("{name}.pem");
        let (code, stdout, stderr) =
            self.run(&[&["mint", "--key", &key, "--issuer", ISS], extra].concat());
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.ends_with('\n'));
        stdout.trim().to_owned()
    }
}

/// The one-line error convention: exactly one line, `scitoken: ...`.
pub fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {stderr}");
    assert!(lines[0].starts_with("scitoken: "), "stderr: {stderr}");
    lines[0]
}

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// scitokens-issuer in this process on 127.0.0.1:`port` with `policy` (clients, login, ...),
/// the local account alice (password `alice-password`) in `accounts.toml` beside it, and the
/// client `svc` registered.
pub struct Issuer {
    pub url: String,
    pub ca: PathBuf,
    pub svc_secret: String,
    _running: scitokens_issuer::Running,
    _runtime: tokio::runtime::Runtime,
    pub dir: tempfile::TempDir,
}

pub fn start_issuer(port: u16, policy: &str) -> Issuer {
    start_issuer_with(port, policy, &[])
}

/// [`start_issuer`], with `files` (name, contents) written beside the configuration first.
pub fn start_issuer_with(port: u16, policy: &str, files: &[(&str, &str)]) -> Issuer {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        std::fs::write(dir.path().join(name), contents).unwrap();
    }
    let url = format!("https://127.0.0.1:{port}");
    let made = runtime
        .block_on(scitokens_issuer::init(
            dir.path(),
            &scitokens_issuer::InitOptions {
                issuer: url.clone(),
                listen: ([127, 0, 0, 1], port).into(),
                self_signed_tls: true,
                clients: policy.to_owned(),
            },
        ))
        .unwrap();
    let hash = scitokens_issuer::secret::hash_secret("alice-password").unwrap();
    std::fs::write(
        dir.path().join("accounts.toml"),
        format!("[accounts.alice]\npassword_hash = '{hash}'\n"),
    )
    .unwrap();
    let config = scitokens_issuer::Config::load(&made.config).unwrap();
    let svc_secret = runtime
        .block_on(async {
            let store = scitokens_issuer::store::Store::open(&config.database).await?;
            scitokens_issuer::clients::register(
                &store,
                "svc",
                scitokens_format::Clock::now(&scitokens_format::SystemClock),
            )
            .await
        })
        .unwrap();
    let running = runtime.block_on(scitokens_issuer::start(config)).unwrap();
    Issuer {
        url,
        ca: made.ca.unwrap(),
        svc_secret,
        _running: running,
        _runtime: runtime,
        dir,
    }
}

/// `scitoken ARGS` (a `token get` that takes the device flow) started in `env`: the running
/// process, the link and the code it printed on stderr, and the rest of its stderr once it
/// ends (read all along, so the process never blocks on a full pipe).
pub fn start_device_flow(
    env: &Env,
    args: &[impl AsRef<std::ffi::OsStr>],
) -> (
    std::process::Child,
    String,
    String,
    std::thread::JoinHandle<String>,
) {
    use std::io::{BufRead, BufReader};
    let mut child = env
        .process()
        .args(args.iter().map(AsRef::as_ref))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut link = None;
    let code = loop {
        let line = lines.next().expect("the link and code on stderr").unwrap();
        if line.trim().starts_with("https://") {
            link = Some(line.trim().to_owned());
        }
        if let Some(rest) = line.strip_prefix("and check that it shows the code ") {
            break rest.trim().to_owned();
        }
    };
    let rest =
        std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    (child, link.unwrap(), code, rest)
}
