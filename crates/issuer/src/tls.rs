//! TLS: loading the server's certificate and key, and making a loopback test CA and server
//! certificate for `init --self-signed-tls`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer as CaIssuer, KeyPair, SanType};

use crate::config::TlsConfig;
use crate::error::{IssuerError, Result};
use crate::files::write_new as write;

/// A rustls server configuration from the `[tls]` files (`scitokens_tower::server`).
pub fn server_config(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>> {
    Ok(scitokens_tower::server::tls_config(&tls.cert, &tls.key)?)
}

/// The files [`make_loopback_pair`] writes.
#[derive(Debug, Clone)]
pub struct LoopbackPair {
    /// The CA certificate clients trust.
    pub ca: std::path::PathBuf,
    /// The server certificate (for `127.0.0.1`, `::1` and `localhost`).
    pub cert: std::path::PathBuf,
    /// The server key (mode 0600).
    pub key: std::path::PathBuf,
}

/// Makes a fresh CA and a server certificate for the loopback names in `dir`, for tests and
/// labs. Nothing else should trust this CA.
pub fn make_loopback_pair(dir: &Path) -> Result<LoopbackPair> {
    std::fs::create_dir_all(dir).map_err(IssuerError::io("creating", dir))?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "scitokens-issuer loopback test CA",
    );
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca = CaIssuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate()?;
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    let leaf = leaf_params.signed_by(&leaf_key, &ca)?;
    let pair = LoopbackPair {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    write(&pair.ca, &ca_cert.pem(), 0o644)?;
    write(&pair.cert, &leaf.pem(), 0o644)?;
    write(&pair.key, &leaf_key.serialize_pem(), 0o600)?;
    Ok(pair)
}
