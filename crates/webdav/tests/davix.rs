//! Debian's davix tools as a real WLCG client of `scitokens-webdav`: mkdir, put, ls
//! (PROPFIND), get, rm with a bearer token, and the refusals they must meet.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::Server;

fn davix(tool: &str, token: &str, args: &[&str]) -> Option<Output> {
    let out = Command::new(tool)
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(args)
        .output();
    match out {
        Ok(out) => Some(out),
        Err(_) => {
            assert!(
                !scitokens_testkit::interop_required(),
                "{tool} is missing (.ci/setup installs Debian's davix)"
            );
            None
        }
    }
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn davix_puts_lists_gets_and_removes() {
    let s = Server::start();
    let token = s.wlcg("storage.read:/out storage.create:/out storage.modify:/out");
    let Some(out) = davix("davix-mkdir", &token, &[&format!("{}/out/run", s.url)]) else {
        return;
    };
    ok(out);
    assert!(s.root.join("out/run").is_dir());

    let local = tempfile::tempdir().unwrap();
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let source = local.path().join("events.bin");
    std::fs::write(&source, &payload).unwrap();
    let url = format!("{}/out/run/events.bin", s.url);
    ok(davix("davix-put", &token, &[source.to_str().unwrap(), &url]).unwrap());
    assert_eq!(
        std::fs::read(s.root.join("out/run/events.bin")).unwrap(),
        payload
    );

    let listing = ok(davix("davix-ls", &token, &[&format!("{}/out/run/", s.url)]).unwrap());
    assert!(listing.contains("events.bin"), "{listing}");

    let fetched = local.path().join("back.bin");
    ok(davix("davix-get", &token, &[&url, fetched.to_str().unwrap()]).unwrap());
    assert_eq!(std::fs::read(&fetched).unwrap(), payload);

    ok(davix("davix-rm", &token, &[&url]).unwrap());
    assert!(!s.root.join("out/run/events.bin").exists());
}

#[test]
fn davix_meets_the_wlcg_refusals() {
    let s = Server::start();
    let create = s.wlcg("storage.create:/data");
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("x");
    std::fs::write(&source, b"overwrite attempt").unwrap();
    let url = format!("{}/data/file.txt", s.url);
    let Some(out) = davix("davix-put", &create, &[source.to_str().unwrap(), &url]) else {
        return;
    };
    assert!(!out.status.success(), "storage.create overwrote a file");
    assert_eq!(
        std::fs::read(s.root.join("data/file.txt")).unwrap(),
        b"0123456789"
    );
    let modify = s.wlcg("storage.modify:/data");
    let target = local.path().join("y");
    let out = davix("davix-get", &modify, &[&url, target.to_str().unwrap()]).unwrap();
    assert!(!out.status.success(), "storage.modify read a file");
    assert!(!Path::new(&target).exists() || std::fs::read(&target).unwrap() != b"0123456789");
}
