//! The server over TLS (`--tls-cert`, `--tls-key`), and its refusal to serve plain http anywhere
//! but loopback.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;

use common::Server;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};

#[test]
fn serves_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names: OpenSSL (curl) takes a leaf named like its issuer for self-signed.
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "webdav test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let cert = params.signed_by(&key, &ca).unwrap();
    let (ca_file, cert_file, key_file) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();

    let s = Server::start_with(
        &[
            "--tls-cert",
            cert_file.to_str().unwrap(),
            "--tls-key",
            key_file.to_str().unwrap(),
        ],
        "https",
    );
    let token = s.wlcg("storage.read:/data");
    let out = Command::new("curl")
        .args(["-sS", "--cacert", ca_file.to_str().unwrap(), "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("{}/data/file.txt", s.url))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "0123456789",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Plain http to the TLS port gets nothing served.
    let plain = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(s.url.replace("https://", "http://") + "/data/file.txt")
        .output()
        .unwrap();
    assert_ne!(String::from_utf8_lossy(&plain.stdout), "200");
}

#[test]
fn plain_http_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scitokens-webdav"))
        .arg("--root")
        .arg(dir.path())
        .args([
            "--issuer",
            "https://issuer.example",
            "--audience",
            "https://s.example",
        ])
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plain http is served only on a loopback address"),
        "{stderr}"
    );
}
