//! `webdav-servers`: the same WebDAV tree served twice in one process, for bench/webdav.sh:
//! behind `ScitokensLayer` on one loopback port and without authorization on another, so the
//! cost of authorization is the difference in throughput. Runs until killed.
//!
//!     webdav-servers ROOT ISSUER AUDIENCE ISSUER_CA CACHE_HOME PROTECTED_PORT OPEN_PORT

#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use scitokens_enforce::EnforcerConfig;
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};
use scitokens_tower::server::serve;
use scitokens_tower::Authorizer;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 7 {
        eprintln!("usage: webdav-servers ROOT ISSUER AUDIENCE ISSUER_CA CACHE_HOME PROTECTED_PORT OPEN_PORT");
        std::process::exit(2);
    }
    let root = PathBuf::from(&args[0]);
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(PathBuf::from(&args[4])),
        tls_ca_file: Some(PathBuf::from(&args[3])),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    let authorizer = Arc::new(
        Authorizer::new(
            EnforcerConfig {
                issuers: vec![args[1].clone()],
                audiences: vec![args[2].clone()],
                ..EnforcerConfig::default()
            },
            cache,
        )
        .unwrap(),
    );
    let protected = scitokens_webdav::router(root.clone(), "/", authorizer).unwrap();
    let open = scitokens_webdav::dangerous::unprotected_router(root);
    let bind = |port: &str| SocketAddr::from((Ipv4Addr::LOCALHOST, port.parse::<u16>().unwrap()));
    let (a, b) = (
        tokio::net::TcpListener::bind(bind(&args[5])).await.unwrap(),
        tokio::net::TcpListener::bind(bind(&args[6])).await.unwrap(),
    );
    let forever = std::future::pending::<()>;
    tokio::join!(
        serve(a, protected, None, 4096, Duration::from_secs(30), forever()),
        serve(b, open, None, 4096, Duration::from_secs(30), forever()),
    );
}
