//! npm `oidc-provider` (testdata/oidc-provider, installed by `.ci/setup`), started by a test as
//! an independent OpenID provider over HTTPS on 127.0.0.1 with its own test CA. Its clients:
//! `scitokens-issuer` (authorization code, for the issuer's upstream login), `cli` (public,
//! device flow and refresh tokens) and `svc` (client credentials). Any username logs in with
//! any password on its development pages; `alice` is in group `cms`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::reference::available_or_skip;

/// The secret of the `scitokens-issuer` client.
pub const RP_SECRET: &str = "rp-secret-for-tests";
/// The secret of the `svc` client.
pub const SVC_SECRET: &str = "svc-secret-for-tests";

/// A running provider; stopped when dropped.
#[derive(Debug)]
pub struct OidcProvider {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The CA file that clients must trust.
    pub ca: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OidcProvider {
    /// Starts the provider, with `rp_redirect_uri` registered for the `scitokens-issuer`
    /// client. `None` (said on stderr) when Node.js or the package is missing, unless
    /// `SCITOKENS_INTEROP_REQUIRED=1`, which makes that a failure.
    #[allow(clippy::missing_panics_doc, clippy::unwrap_used)]
    pub fn start(rp_redirect_uri: &str) -> Option<OidcProvider> {
        let package = crate::testdata().join("oidc-provider");
        let installed = package
            .join("node_modules/oidc-provider/package.json")
            .is_file()
            && Command::new("node")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
        if !available_or_skip(installed, "npm oidc-provider not installed") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let certs = scitokens_localissuer::loopback_certs().unwrap();
        let (ca, cert, key) = (
            dir.path().join("ca.pem"),
            dir.path().join("cert.pem"),
            dir.path().join("key.pem"),
        );
        std::fs::write(&ca, &certs.ca_pem).unwrap();
        std::fs::write(&cert, &certs.cert_pem).unwrap();
        std::fs::write(&key, &certs.key_pem).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("config.json");
        std::fs::write(
            &config,
            serde_json::json!({
                "port": port,
                "cert": cert,
                "key": key,
                "rp_secret": RP_SECRET,
                "rp_redirect_uri": rp_redirect_uri,
                "svc_secret": SVC_SECRET,
            })
            .to_string(),
        )
        .unwrap();
        let mut child = Command::new("node")
            .arg(package.join("provider.mjs"))
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.next().and_then(Result::ok);
        assert_eq!(
            ready.as_deref(),
            Some("listening"),
            "oidc-provider did not start"
        );
        std::thread::spawn(move || for _ in lines {});
        Some(OidcProvider {
            url: format!("https://127.0.0.1:{port}"),
            ca,
            child,
            _dir: dir,
        })
    }
}
