//! The real `scitokens-webdav` binary driven by curl, for every method and every refusal, with
//! tokens from an HTTPS issuer on 127.0.0.1 whose keys the server discovers; the WLCG
//! expectations (wrong audience 401, `storage.create` cannot overwrite, `storage.modify` does
//! not imply read, `storage.stage` does not read); nothing escapes the root.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::Server;
use scitokens_format::Profile;

struct Curl {
    status: u16,
    headers: String,
    body: String,
}

/// Runs curl: `-X METHOD`, the token as Bearer, extra arguments; status, headers, body.
fn curl(server: &Server, method: &str, path: &str, token: Option<&str>, extra: &[&str]) -> Curl {
    let dir = tempfile::tempdir().unwrap();
    let (headers, body) = (dir.path().join("h"), dir.path().join("b"));
    let mut command = Command::new("curl");
    command
        .args(["-s", "--path-as-is", "-X", method, "-D"])
        .arg(&headers)
        .arg("-o")
        .arg(&body)
        .args(["-w", "%{http_code}"]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    command.args(extra).arg(format!("{}{path}", server.url));
    let out = command.output().unwrap();
    Curl {
        status: String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0),
        headers: std::fs::read_to_string(&headers).unwrap_or_default(),
        body: std::fs::read_to_string(&body).unwrap_or_default(),
    }
}

fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

#[test]
fn every_method_with_curl() {
    let s = Server::start();
    let all = s.wlcg("storage.read:/ storage.modify:/ storage.create:/");

    let get = curl(&s, "GET", "/data/file.txt", Some(&all), &[]);
    assert_eq!((get.status, get.body.as_str()), (200, "0123456789"));
    let range = curl(
        &s,
        "GET",
        "/data/file.txt",
        Some(&all),
        &["-H", "Range: bytes=2-5"],
    );
    assert_eq!((range.status, range.body.as_str()), (206, "2345"));
    assert!(
        range
            .headers
            .to_lowercase()
            .contains("content-range: bytes 2-5/10"),
        "{}",
        range.headers
    );
    let tail = curl(
        &s,
        "GET",
        "/data/file.txt",
        Some(&all),
        &["-H", "Range: bytes=-3"],
    );
    assert_eq!((tail.status, tail.body.as_str()), (206, "789"));
    assert_eq!(
        curl(
            &s,
            "GET",
            "/data/file.txt",
            Some(&all),
            &["-H", "Range: bytes=50-"]
        )
        .status,
        416
    );
    let head = curl(&s, "HEAD", "/data/file.txt", Some(&all), &["-I"]);
    assert_eq!(head.status, 200);
    assert!(
        head.headers.to_lowercase().contains("content-length: 10"),
        "{}",
        head.headers
    );

    // PUT streams and replaces atomically; 201 new, 204 replaced; 409 without a parent.
    let put = curl(
        &s,
        "PUT",
        "/out/new.bin",
        Some(&all),
        &["--data-binary", "hello"],
    );
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(read(&s.root, "out/new.bin").as_deref(), Some("hello"));
    assert_eq!(
        curl(
            &s,
            "PUT",
            "/out/new.bin",
            Some(&all),
            &["--data-binary", "again"]
        )
        .status,
        204
    );
    assert_eq!(read(&s.root, "out/new.bin").as_deref(), Some("again"));
    assert_eq!(
        curl(&s, "PUT", "/nowhere/x", Some(&all), &["--data-binary", "x"]).status,
        409
    );
    let leftovers = std::fs::read_dir(s.root.join("out")).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file left behind");

    assert_eq!(curl(&s, "MKCOL", "/out/dir", Some(&all), &[]).status, 201);
    assert!(s.root.join("out/dir").is_dir());
    assert_eq!(curl(&s, "MKCOL", "/out/dir", Some(&all), &[]).status, 405);
    assert_eq!(curl(&s, "MKCOL", "/out/a/b", Some(&all), &[]).status, 409);

    let dest = format!("{}/out/dir/copy.txt", s.url);
    assert_eq!(
        curl(
            &s,
            "COPY",
            "/data/file.txt",
            Some(&all),
            &["-H", &format!("Destination: {dest}")]
        )
        .status,
        201
    );
    assert_eq!(
        read(&s.root, "out/dir/copy.txt").as_deref(),
        Some("0123456789")
    );
    let over = curl(
        &s,
        "COPY",
        "/data/file.txt",
        Some(&all),
        &["-H", &format!("Destination: {dest}"), "-H", "Overwrite: F"],
    );
    assert_eq!(over.status, 412);
    assert_eq!(
        curl(
            &s,
            "MOVE",
            "/out/dir/copy.txt",
            Some(&all),
            &["-H", "Destination: /out/moved.txt"]
        )
        .status,
        201
    );
    assert!(!s.root.join("out/dir/copy.txt").exists() && s.root.join("out/moved.txt").exists());

    let find = curl(&s, "PROPFIND", "/data/", Some(&all), &["-H", "Depth: 1"]);
    assert_eq!(find.status, 207, "{}", find.body);
    assert!(
        find.body.contains("<D:href>/data/file.txt</D:href>"),
        "{}",
        find.body
    );
    assert!(
        find.body.contains("<D:href>/data/sub/</D:href>"),
        "{}",
        find.body
    );
    assert!(find
        .body
        .contains("<D:getcontentlength>10</D:getcontentlength>"));
    assert!(!find.body.contains("link"), "symbolic links are not listed");
    assert_eq!(
        curl(&s, "PROPFIND", "/data/", Some(&all), &["-H", "Depth: 0"])
            .body
            .matches("<D:response>")
            .count(),
        1
    );
    assert_eq!(
        curl(
            &s,
            "PROPFIND",
            "/data/",
            Some(&all),
            &["-H", "Depth: infinity"]
        )
        .status,
        403
    );

    let options = curl(&s, "OPTIONS", "/", Some(&all), &[]);
    assert_eq!(options.status, 200);
    assert!(
        options.headers.to_lowercase().contains("dav: 1"),
        "{}",
        options.headers
    );

    assert_eq!(
        curl(&s, "DELETE", "/out/moved.txt", Some(&all), &[]).status,
        204
    );
    assert!(!s.root.join("out/moved.txt").exists());
    assert_eq!(
        curl(&s, "DELETE", "/out/moved.txt", Some(&all), &[]).status,
        404
    );
    assert_eq!(curl(&s, "DELETE", "/out/dir", Some(&all), &[]).status, 204);
}

#[test]
fn every_refusal_and_the_wlcg_expectations() {
    let s = Server::start();
    let none = curl(&s, "GET", "/data/file.txt", None, &[]);
    assert_eq!(none.status, 401);
    let challenge = none.headers.to_lowercase();
    assert!(
        challenge.contains("www-authenticate: bearer realm=\"scitokens\", error=\"invalid_token\""),
        "{}",
        none.headers
    );
    // Wrong audience: 401 invalid_token.
    let other = s.token(Profile::Wlcg, "storage.read:/", "https://other.example");
    let wrong = curl(&s, "GET", "/data/file.txt", Some(&other), &[]);
    assert_eq!(wrong.status, 401);
    assert!(wrong.headers.contains("invalid_token"), "{}", wrong.headers);
    // storage.create cannot overwrite; it can create.
    let create = s.wlcg("storage.create:/data");
    let over = curl(
        &s,
        "PUT",
        "/data/file.txt",
        Some(&create),
        &["--data-binary", "x"],
    );
    assert_eq!(over.status, 403);
    assert!(
        over.headers.contains("insufficient_scope"),
        "{}",
        over.headers
    );
    assert_eq!(
        read(&s.root, "data/file.txt").as_deref(),
        Some("0123456789")
    );
    assert_eq!(
        curl(
            &s,
            "PUT",
            "/data/fresh",
            Some(&create),
            &["--data-binary", "x"]
        )
        .status,
        201
    );
    // storage.modify does not imply read; storage.stage does not read.
    assert_eq!(
        curl(
            &s,
            "GET",
            "/data/file.txt",
            Some(&s.wlcg("storage.modify:/data")),
            &[]
        )
        .status,
        403
    );
    assert_eq!(
        curl(
            &s,
            "GET",
            "/data/file.txt",
            Some(&s.wlcg("storage.stage:/data")),
            &[]
        )
        .status,
        403
    );
    // Segment boundaries, and `..` in every spelling, never widen.
    let data = s.wlcg("storage.read:/data");
    assert_eq!(
        curl(&s, "GET", "/data/file.txt", Some(&data), &[]).status,
        200
    );
    assert_eq!(curl(&s, "GET", "/database", Some(&data), &[]).status, 403);
    for path in [
        "/data/../../secret",
        "/data/%2e%2e/%2e%2e/secret",
        "/data/..%2f..%2fsecret",
    ] {
        let answer = curl(&s, "GET", path, Some(&data), &[]);
        assert!(
            matches!(answer.status, 400 | 403),
            "{path}: {}",
            answer.status
        );
        assert!(!answer.body.contains("outside the root"), "{path} escaped");
    }
    // A symbolic link inside the root is not followed, even with a grant for it.
    let link = curl(&s, "GET", "/data/link", Some(&data), &[]);
    assert_eq!(link.status, 403);
    assert!(!link.body.contains("outside the root"));
    // A method with no operation.
    assert_eq!(
        curl(&s, "PATCH", "/data/file.txt", Some(&data), &[]).status,
        405
    );
}

#[test]
fn memory_stays_bounded_while_streaming_a_large_file() {
    const MIB: usize = 1024 * 1024;
    let s = Server::start();
    let token = s.wlcg("storage.read:/out storage.create:/out");
    let local = tempfile::tempdir().unwrap();
    let big = local.path().join("big.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        let block: Vec<u8> = (0..MIB).map(|i| (i % 253) as u8).collect();
        for _ in 0..192 {
            f.write_all(&block).unwrap();
        }
    }
    let before = s.peak_rss_kib();
    // curl -T streams the file as the PUT body; -o streams the GET to a file.
    let put = curl(
        &s,
        "PUT",
        "/out/big.bin",
        Some(&token),
        &["-T", big.to_str().unwrap()],
    );
    assert_eq!(put.status, 201);
    let back = local.path().join("back.bin");
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            back.to_str().unwrap(),
            "-w",
            "%{http_code}",
            "-H",
        ])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("{}/out/big.bin", s.url))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    assert_eq!(std::fs::metadata(&back).unwrap().len(), 192 * MIB as u64);
    let peak = s.peak_rss_kib();
    // 192 MiB went through each way; the server's peak grew by a few buffers at most.
    assert!(
        peak < before + 48 * 1024,
        "peak RSS {peak} KiB after streaming (was {before} KiB before)"
    );
}
