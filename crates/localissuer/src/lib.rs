//! A throwaway OIDC issuer on 127.0.0.1: a real HTTPS server with its own certificate
//! authority, made fresh by rcgen each time it starts. `scitoken demo`, the workspace's
//! key-discovery tests and the benchmarks use it to exercise the whole network path (discovery,
//! TLS verification against a CA file, the JWKS fetch) without leaving the machine.
//!
//! It is not an issuer to deploy: it listens on loopback only, keeps no state on disk but its
//! CA certificate, and answers whatever routes it was told to.
//!
//! It serves `/.well-known/openid-configuration` and `/jwks` by default, and any route can be
//! switched to another [`Reply`]: an error status, malformed JSON, an oversized body, a hang.
//! Every request is counted per path, so a test can assert how many fetches happened.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// What the server answers on one path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status and body, as `application/json`.
    Body(u16, Vec<u8>),
    /// Wait this long before answering with the inner reply (to provoke client timeouts).
    Delay(Duration, Box<Reply>),
}

impl Reply {
    /// `200 OK` with a JSON document.
    pub fn json(value: &serde_json::Value) -> Self {
        Reply::Body(200, value.to_string().into_bytes())
    }

    /// A status with an empty body.
    pub fn status(code: u16) -> Self {
        Reply::Body(code, Vec::new())
    }
}

#[derive(Default)]
struct Routes {
    replies: HashMap<String, Reply>,
    hits: HashMap<String, usize>,
    user_agent: Option<String>,
}

/// Why the issuer could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalIssuerError {
    /// Making the CA or server certificate failed.
    #[error("making the test certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    /// The TLS configuration was refused.
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// Binding the port or writing the CA file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = LocalIssuerError> = std::result::Result<T, E>;

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> LocalIssuerError {
    move |source| LocalIssuerError::Io { what, source }
}

/// A fresh test CA and a server certificate it signed for `localhost` and 127.0.0.1.
#[derive(Clone)]
pub struct LoopbackCerts {
    /// The CA certificate, PEM (what clients trust).
    pub ca_pem: String,
    /// The server certificate, PEM.
    pub cert_pem: String,
    /// The server certificate, DER.
    pub cert_der: rustls::pki_types::CertificateDer<'static>,
    /// The server's private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The server's private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
}

impl std::fmt::Debug for LoopbackCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackCerts").finish_non_exhaustive()
    }
}

/// Makes a [`LoopbackCerts`]: the CA and the server certificate have distinct names, so no
/// client takes the server certificate for a self-signed one.
pub fn loopback_certs() -> Result<LoopbackCerts> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "scitokens test CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate()?;
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    let leaf = leaf_params.signed_by(&leaf_key, &ca)?;
    Ok(LoopbackCerts {
        ca_pem: ca_cert.pem(),
        cert_pem: leaf.pem(),
        cert_der: leaf.der().clone(),
        key_pem: leaf_key.serialize_pem(),
        key_der: leaf_key.serialize_der(),
    })
}

/// A running HTTPS issuer on 127.0.0.1; stops (and removes its CA file) when dropped.
///
/// ```
/// use scitokens_localissuer::LocalIssuer;
///
/// let issuer = LocalIssuer::start()?;
/// assert!(issuer.url().starts_with("https://127.0.0.1:"));
/// assert!(issuer.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// assert_eq!(issuer.total_hits(), 0);
/// # Ok::<(), scitokens_localissuer::LocalIssuerError>(())
/// ```
pub struct LocalIssuer {
    port: u16,
    ca_pem: String,
    ca_file: PathBuf,
    routes: Arc<Mutex<Routes>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalIssuer")
            .field("url", &self.url())
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl LocalIssuer {
    /// Starts a server on an ephemeral port of 127.0.0.1 with a fresh CA, serving
    /// discovery metadata for the issuer `https://127.0.0.1:PORT` whose `jwks_uri` is `/jwks`,
    /// and writes the CA certificate to a file in the temporary directory.
    /// The `/jwks` route starts empty (404) until [`set_jwks`](Self::set_jwks).
    pub fn start() -> Result<Self> {
        let certs = loopback_certs()?;
        #[cfg(not(feature = "fips"))]
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        #[cfg(feature = "fips")]
        let provider = Arc::new(rustls::crypto::default_fips_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![certs.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certs.key_der.clone())),
            )?;
        let config = Arc::new(config);

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io("bind 127.0.0.1"))?;
        let port = listener.local_addr().map_err(io("local address"))?.port();
        let ca_pem = certs.ca_pem.clone();
        let ca_file = std::env::temp_dir().join(format!(
            "scitokens-local-ca-{}-{port}.pem",
            std::process::id()
        ));
        std::fs::write(&ca_file, &ca_pem).map_err(io("write the CA file"))?;

        let routes = Arc::new(Mutex::new(Routes::default()));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let routes = Arc::clone(&routes);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let config = Arc::clone(&config);
                    let routes = Arc::clone(&routes);
                    thread::spawn(move || serve(stream, config, &routes));
                }
            });
        }
        let issuer = LocalIssuer {
            port,
            ca_pem,
            ca_file,
            routes,
            stop,
        };
        issuer.serve_metadata(&issuer.url(), &format!("{}/jwks", issuer.url()));
        Ok(issuer)
    }

    /// The issuer URL, `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The test CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A file holding the test CA certificate, for a client's CA-file setting.
    pub fn ca_file(&self) -> &PathBuf {
        &self.ca_file
    }

    /// Serves OIDC discovery metadata naming `issuer` and `jwks_uri` at the issuer URL's
    /// `/.well-known/openid-configuration`.
    pub fn serve_metadata(&self, issuer: &str, jwks_uri: &str) {
        self.set(
            "/.well-known/openid-configuration",
            Reply::json(&serde_json::json!({
                "issuer": issuer,
                "jwks_uri": jwks_uri,
                "response_types_supported": ["code"],
            })),
        );
    }

    /// Serves this JWKS document at `/jwks`.
    pub fn set_jwks(&self, jwks: &str) {
        self.set("/jwks", Reply::Body(200, jwks.as_bytes().to_vec()));
    }

    /// Sets the reply for `path` (exact match, query included).
    pub fn set(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replies
            .insert(path.to_owned(), reply);
    }

    /// Removes the route for `path` (it then answers 404).
    pub fn remove(&self, path: &str) {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replies
            .remove(path);
    }

    /// The `User-Agent` of the last request.
    pub fn last_user_agent(&self) -> Option<String> {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .user_agent
            .clone()
    }

    /// Total requests received on every path.
    pub fn total_hits(&self) -> usize {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .hits
            .values()
            .sum()
    }

    /// How many requests `path` has received.
    pub fn hits(&self, path: &str) -> usize {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        routes.hits.get(path).copied().unwrap_or(0)
    }
}

impl Drop for LocalIssuer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

fn serve(stream: TcpStream, config: Arc<ServerConfig>, routes: &Mutex<Routes>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(conn) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = BufReader::new(StreamOwned::new(conn, stream));
    let mut request_line = String::new();
    if tls.read_line(&mut request_line).is_err() {
        return;
    }
    let mut user_agent = None;
    let mut body_len = 0u64;
    loop {
        let mut line = String::new();
        match tls.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("user-agent") {
                        user_agent = Some(value.trim().to_owned());
                    } else if name.eq_ignore_ascii_case("content-length") {
                        body_len = value.trim().parse().unwrap_or(0);
                    }
                }
            }
        }
    }
    // Read a request body (a POST) before answering: closing with unread bytes would reset the
    // connection under the client's feet.
    if std::io::copy(
        &mut std::io::Read::take(&mut tls, body_len.min(1 << 20)),
        &mut std::io::sink(),
    )
    .is_err()
    {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let reply = {
        let mut routes = routes.lock().unwrap_or_else(|p| p.into_inner());
        *routes.hits.entry(path.clone()).or_default() += 1;
        routes.user_agent = user_agent;
        routes.replies.get(&path).cloned()
    };
    let mut reply = reply.unwrap_or_else(|| Reply::status(404));
    while let Reply::Delay(delay, inner) = reply {
        thread::sleep(delay);
        reply = *inner;
    }
    let Reply::Body(status, body) = reply else {
        return;
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let stream = tls.get_mut();
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
    stream.conn.send_close_notify();
    let _ = stream.flush();
}
