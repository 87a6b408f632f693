//! End to end under a real storage server: Debian's XRootD 5.5 with its SciTokens plugin,
//! loading our libSciTokens.so.0 in place of scitokens-cpp's (LD_LIBRARY_PATH; checked in
//! /proc/PID/maps), serving HTTP on 127.0.0.1, driven with curl. The issuer's key reaches
//! the server through the key cache file, as in production: no network.
//!
//! Skipped (with a message) when xrootd, its SciTokens plugin or curl is missing, unless
//! SCITOKENS_INTEROP_REQUIRED=1 (CI installs them in .ci/setup).

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::our_lib;
use scitokens_format::{Algorithm, Clock, KeySet, Profile, SigningKey, SystemClock, TokenBuilder};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};

const ISSUER: &str = "https://issuer.xrootd.example";
const AUDIENCE: &str = "https://storage.xrootd.example";
const PLUGIN: &str = "/usr/lib/x86_64-linux-gnu/libXrdAccSciTokens-5.so";

/// The server process; killed (by PID) and reaped whatever happens.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn available() -> bool {
    let found = Path::new("/usr/bin/xrootd").exists()
        && Path::new(PLUGIN).exists()
        && Command::new("curl").arg("--version").output().is_ok();
    scitokens_testkit::available_or_skip(
        found,
        "xrootd-server, xrootd-scitokens-plugins or curl not installed",
    )
}

/// Makes `dir` and everything in it belong to nobody (when we are root: xrootd refuses to
/// run as root).
fn give_to_nobody(dir: &Path) {
    let out = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start(dir: &Path, http_port: u16) -> Server {
    let lib_dir = dir.join("lib");
    std::fs::create_dir_all(&lib_dir).unwrap();
    std::os::unix::fs::symlink(our_lib(), lib_dir.join("libSciTokens.so.0")).unwrap();
    std::fs::write(
        dir.join("scitokens.cfg"),
        format!(
            "[Global]\naudience = {AUDIENCE}\n\n[Issuer test]\nissuer = {ISSUER}\nbase_path = /\n"
        ),
    )
    .unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("xrootd.cfg"),
        format!(
            "all.export /\nxrd.port {xroot}\nxrd.protocol XrdHttp:{http_port} libXrdHttp.so\n\
             oss.localroot {d}/data\nall.adminpath {d}/admin\nall.pidpath {d}/run\n\
             ofs.authorize 1\nofs.authlib libXrdAccSciTokens.so config={d}/scitokens.cfg\n\
             http.header2cgi Authorization authz\nscitokens.trace all\n",
            xroot = free_port()
        ),
    )
    .unwrap();
    for sub in ["admin", "run"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let as_root = nix::unistd::geteuid().is_root();
    if as_root {
        give_to_nobody(dir);
    }
    let mut command = if as_root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "xrootd",
        ]);
        c
    } else {
        Command::new("xrootd")
    };
    let log = dir.join("xrootd.log");
    let child = command
        .arg("-c")
        .arg(dir.join("xrootd.cfg"))
        .arg("-l")
        .arg(&log)
        .env("LD_LIBRARY_PATH", &lib_dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("HOME", dir)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, log };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, http_port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "xrootd did not start: {}",
            std::fs::read_to_string(&server.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// The HTTP status of a curl request.
fn status(port: u16, method: &str, path: &str, token: Option<&str>) -> u16 {
    let mut command = Command::new("curl");
    command.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        method,
        "--max-time",
        "10",
    ]);
    if method == "PUT" {
        command.args(["--data-binary", "payload"]);
    }
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let out = command
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().parse().unwrap()
}

#[test]
fn xrootd_authorizes_through_our_library() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("data/data/out")).unwrap();
    std::fs::create_dir_all(root.join("data/other")).unwrap();
    std::fs::create_dir_all(root.join("data/database")).unwrap();
    std::fs::write(root.join("data/data/file"), "hello").unwrap();
    std::fs::write(root.join("data/data/victim"), "keep me").unwrap();
    std::fs::write(root.join("data/other/file"), "secret").unwrap();
    std::fs::write(root.join("data/database/file"), "sibling").unwrap();

    // The issuer's key, in the key cache file the server's library reads (no network).
    let key = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("xrd-1");
    let other = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("xrd-1");
    let stranger = SigningKey::generate(Algorithm::Es256)
        .unwrap()
        .with_kid("xrd-9");
    let cache = KeyCache::open(KeyCacheConfig {
        location: CacheLocation::CacheHome(root.join("cache")),
        ..KeyCacheConfig::default()
    })
    .unwrap();
    let jwks = KeySet::new(vec![key.verifying_key().clone()])
        .to_json()
        .unwrap();
    cache.set_jwks(ISSUER, jwks.as_bytes()).unwrap();
    drop(cache);

    let port = free_port();
    let server = start(root, port);
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", server.child.id())).unwrap();
    let ours = our_lib().canonicalize().unwrap();
    assert!(
        maps.contains(&*ours.to_string_lossy()),
        "our library is mapped in xrootd"
    );
    assert!(
        !maps.contains("libSciTokens.so.0.0"),
        "Debian's library is not mapped"
    );

    let now = SystemClock.now().as_secs();
    let mint =
        |profile: Profile, scope: &str, key: &SigningKey, issuer: &str, aud: &str, at: i64| {
            TokenBuilder::new(profile, issuer)
                .subject("alice")
                .audience(aud)
                .scope(scope)
                .claim("wlcg.groups", serde_json::json!(["/cms", "/cms/uscms"]))
                .sign(key, at)
                .unwrap()
        };
    let st = |scope: &str| mint(Profile::SciTokens2, scope, &key, ISSUER, AUDIENCE, now);
    let check = |method: &str, path: &str, token: Option<&str>, expected: u16, what: &str| {
        let got = status(port, method, path, token);
        assert_eq!(
            got,
            expected,
            "{what}: {method} {path}\n{}",
            std::fs::read_to_string(&server.log)
                .unwrap_or_default()
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .join("\n")
        );
    };

    // read:/ can GET, cannot PUT or DELETE.
    let read_all = st("read:/");
    check("GET", "/data/file", Some(&read_all), 200, "read:/ reads");
    check(
        "PUT",
        "/data/new",
        Some(&read_all),
        403,
        "read:/ cannot write",
    );
    check(
        "DELETE",
        "/data/victim",
        Some(&read_all),
        403,
        "read:/ cannot delete",
    );
    // write:/ can PUT. XRootD 5.5 maps `write` to create/update but not delete, and a DELETE
    // first stats the file, with either library: deleting takes `read` and `modify` (or WLCG
    // `storage.read` and `storage.modify`); docs/capi.md.
    let write_only = st("write:/");
    check("PUT", "/data/new", Some(&write_only), 200, "write:/ writes");
    check(
        "DELETE",
        "/data/new",
        Some(&write_only),
        403,
        "write alone does not delete in XRootD 5.5",
    );
    let writer = st("read:/ write:/ modify:/");
    check(
        "DELETE",
        "/data/new",
        Some(&writer),
        200,
        "read + modify delete",
    );
    assert!(!root.join("data/data/new").exists());
    // Scope subpaths.
    let read_data = st("read:/data");
    check(
        "GET",
        "/data/file",
        Some(&read_data),
        200,
        "read:/data reads inside",
    );
    check(
        "GET",
        "/other/file",
        Some(&read_data),
        403,
        "read:/data does not read /other",
    );
    // XRootD 5.5's plugin matches ACL paths by string prefix itself, so /database passes its
    // check whatever the library says (the same with scitokens-cpp); kept visible here.
    check(
        "GET",
        "/database/file",
        Some(&read_data),
        200,
        "XRootD's own prefix match (known)",
    );

    // Refusals.
    let refused = [
        (
            "wrong audience",
            mint(
                Profile::SciTokens2,
                "read:/",
                &key,
                ISSUER,
                "https://elsewhere.example",
                now,
            ),
        ),
        (
            "expired",
            mint(
                Profile::SciTokens2,
                "read:/",
                &key,
                ISSUER,
                AUDIENCE,
                now - 3600,
            ),
        ),
        (
            "untrusted issuer",
            mint(
                Profile::SciTokens2,
                "read:/",
                &key,
                "https://evil.example",
                AUDIENCE,
                now,
            ),
        ),
        (
            "other key, same kid",
            mint(Profile::SciTokens2, "read:/", &other, ISSUER, AUDIENCE, now),
        ),
        (
            "unknown kid",
            mint(
                Profile::SciTokens2,
                "read:/",
                &stranger,
                ISSUER,
                AUDIENCE,
                now,
            ),
        ),
        (
            "no scope",
            TokenBuilder::new(Profile::SciTokens2, ISSUER)
                .subject("alice")
                .audience(AUDIENCE)
                .sign(&key, now)
                .unwrap(),
        ),
        (
            // Debian's library refuses it under XRootD; so must a drop-in (semantics.md §5).
            "SciTokens 1.0 token without aud",
            TokenBuilder::new(Profile::SciTokens1, ISSUER)
                .subject("alice")
                .scope("read:/")
                .sign(&key, now)
                .unwrap(),
        ),
        ("tampered signature", {
            let mut t = st("read:/");
            let last = t.pop().unwrap();
            t.push(if last == 'A' { 'B' } else { 'A' });
            t
        }),
    ];
    for (what, token) in &refused {
        check("GET", "/data/file", Some(token), 403, what);
    }
    check("GET", "/data/file", None, 403, "no token");

    // WLCG.
    let wlcg = mint(
        Profile::Wlcg,
        "storage.read:/data storage.modify:/data/out",
        &key,
        ISSUER,
        AUDIENCE,
        now,
    );
    check("GET", "/data/file", Some(&wlcg), 200, "storage.read reads");
    check(
        "PUT",
        "/data/out/f",
        Some(&wlcg),
        200,
        "storage.modify writes",
    );
    check(
        "DELETE",
        "/data/out/f",
        Some(&wlcg),
        200,
        "storage.read + storage.modify delete",
    );
    check(
        "PUT",
        "/data/f2",
        Some(&wlcg),
        403,
        "storage.read does not write",
    );
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("groups=/cms,/cms/uscms"),
        "wlcg.groups reached XRootD:\n{log}"
    );
    drop(server);
}
