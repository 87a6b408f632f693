//! The header, the export list and the library agree: every function declared in
//! include/scitokens/scitokens.h is in exports.map and exported by libSciTokens.so, and
//! nothing else is exported; Debian's scitokens-cpp header declares nothing we lack; the
//! header compiles as C99 and C++; unsafe code stays in src/ffi.rs.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;

use std::process::Command;

use common::*;

fn exported(lib: &std::path::Path) -> Vec<String> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            (parts.len() == 3 && parts[1] == "T").then(|| parts[2].to_owned())
        })
        .collect();
    names.sort();
    names
}

fn export_map() -> Vec<String> {
    let text = std::fs::read_to_string(manifest_dir().join("exports.map")).unwrap();
    let global = &text[text.find("global:").unwrap() + 7..text.find("local:").unwrap()];
    let mut names: Vec<String> = global
        .split(';')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    names.sort();
    names
}

#[test]
fn header_export_list_and_library_agree() {
    let header = std::fs::read_to_string(include_dir().join("scitokens/scitokens.h")).unwrap();
    let declared = declared_functions(&header);
    assert_eq!(declared.len(), 59, "{declared:?}");
    assert_eq!(export_map(), declared, "exports.map vs the header");
    assert_eq!(
        exported(&our_lib()),
        declared,
        "the library's exports vs the header"
    );
}

#[test]
fn everything_debian_declares_we_declare_the_same_way() {
    let Some(debian) = debian_lib() else { return };
    let theirs = std::fs::read_to_string("/usr/include/scitokens/scitokens.h").unwrap();
    let ours = declared_functions(
        &std::fs::read_to_string(include_dir().join("scitokens/scitokens.h")).unwrap(),
    );
    for name in declared_functions(&theirs) {
        assert!(
            ours.contains(&name),
            "Debian's header declares {name}; ours does not"
        );
    }
    for name in exported(&debian).iter().filter(|n| !n.starts_with('_')) {
        assert!(
            ours.contains(name),
            "Debian's library exports {name}; ours does not"
        );
    }
}

#[test]
fn header_compiles_as_c99_and_cpp() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("use.c");
    std::fs::write(
        &source,
        "#include <scitokens/scitokens.h>\nint main(void) { Acl acl = {0, 0}; (void)acl; return COMPAT; }\n",
    )
    .unwrap();
    for (compiler, flags) in [
        ("gcc", vec!["-std=c99", "-pedantic", "-Wall", "-Werror"]),
        ("g++", vec!["-x", "c++", "-Wall", "-Werror"]),
    ] {
        let out = Command::new(compiler)
            .args(&flags)
            .arg(format!("-I{}", include_dir().display()))
            .arg("-fsyntax-only")
            .arg(&source)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{compiler}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn unsafe_code_is_confined_to_ffi_rs() {
    for entry in std::fs::read_dir(manifest_dir().join("src")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "ffi.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            assert!(
                !(code.contains("unsafe {")
                    || code.contains("unsafe fn")
                    || code.contains("unsafe impl")),
                "{}:{}: unsafe outside ffi.rs: {line}",
                path.display(),
                n + 1
            );
        }
    }
}

#[test]
fn install_script_and_pkg_config() {
    let prefix = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(manifest_dir().join("install.sh"))
        .arg(prefix.path())
        .arg(our_lib())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = prefix.path().join("lib");
    assert!(lib.join("libSciTokens.so.0").exists() && lib.join("libSciTokens.so").exists());
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "scitokens"])
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
        .output();
    let Ok(flags) = flags else {
        assert!(
            !scitokens_testkit::interop_required(),
            "pkg-config not found"
        );
        return;
    };
    assert!(
        flags.status.success(),
        "{}",
        String::from_utf8_lossy(&flags.stderr)
    );
    let flags = String::from_utf8(flags.stdout).unwrap();
    assert!(
        flags.contains("-lSciTokens")
            && flags.contains(&format!("-I{}/include", prefix.path().display())),
        "{flags}"
    );
    let exe = prefix.path().join("use");
    let out = Command::new("gcc")
        .arg(c_source("dlopen_test.c"))
        .arg("-o")
        .arg(&exe)
        .args(flags.split_whitespace())
        .arg("-ldl")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe)
        .args(["libSciTokens.so.0", "scitoken_create"])
        .env("LD_LIBRARY_PATH", &lib)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
