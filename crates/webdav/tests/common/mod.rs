//! The harness: the real `scitokens-webdav` binary over a temporary tree, trusting an HTTPS
//! issuer on 127.0.0.1 whose keys it discovers; tokens signed with that issuer's key.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scitokens_format::{Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder};
use scitokens_localissuer::LocalIssuer;

pub const AUD: &str = "https://storage.example";

pub struct Server {
    child: Child,
    pub url: String,
    pub root: PathBuf,
    _dir: tempfile::TempDir,
    issuer: LocalIssuer,
    key: SigningKey,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[], "http")
    }

    /// Starts the server with extra arguments; `scheme` is what they make it serve.
    pub fn start_with(extra: &[&str], scheme: &str) -> Server {
        let issuer = LocalIssuer::start().unwrap();
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        issuer.set_jwks(
            &KeySet::new(vec![key.verifying_key().clone()])
                .to_json()
                .unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("data/sub")).unwrap();
        std::fs::create_dir_all(root.join("out")).unwrap();
        std::fs::write(root.join("data/file.txt"), b"0123456789").unwrap();
        std::fs::write(dir.path().join("secret"), b"outside the root").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("data/link")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_scitokens-webdav"))
            .arg("--root")
            .arg(&root)
            .args(["--issuer", &issuer.url(), "--audience", AUD])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--issuer-ca-file")
            .arg(issuer.ca_file())
            .arg("--cache-home")
            .arg(dir.path().join("cache"))
            .args(extra)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            url: format!("{scheme}://127.0.0.1:{port}"),
            root,
            _dir: dir,
            issuer,
            key,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn token(&self, profile: Profile, scope: &str, aud: &str) -> String {
        TokenBuilder::new(profile, self.issuer.url())
            .subject("alice")
            .scope(scope)
            .audience(aud)
            .sign(&self.key, SystemClock.now())
            .unwrap()
    }

    /// The server's peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    pub fn wlcg(&self, scope: &str) -> String {
        self.token(Profile::Wlcg, scope, AUD)
    }
}
