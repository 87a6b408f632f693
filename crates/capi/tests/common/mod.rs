//! Building and running C programs against libSciTokens.so.0 (ours, or Debian's).

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // helpers shared by several test binaries, each using a part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Where cargo put our library: beside the test binary (`target/debug/deps`, where `cargo
/// test` builds it) or one level up (where `cargo build` puts it).
pub fn our_lib() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [
        deps.join("libSciTokens.so"),
        deps.parent().unwrap().join("libSciTokens.so"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .unwrap_or_else(|| panic!("libSciTokens.so not built (looked in {})", deps.display()))
}

/// Debian's libscitokens0, if installed.
pub fn debian_lib() -> Option<PathBuf> {
    let lib = PathBuf::from("/usr/lib/x86_64-linux-gnu/libSciTokens.so.0");
    let found = lib.exists();
    scitokens_testkit::available_or_skip(found, "Debian's libscitokens0 not found").then_some(lib)
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn include_dir() -> PathBuf {
    manifest_dir().join("include")
}

pub fn c_source(name: &str) -> PathBuf {
    manifest_dir().join("tests/c").join(name)
}

pub fn key_dir() -> PathBuf {
    scitokens_testkit::testdata().join("keys")
}

/// A directory holding `libSciTokens.so.0` (a link to `lib`) for a program to load.
pub struct LibDir {
    pub dir: tempfile::TempDir,
}

impl LibDir {
    pub fn new(lib: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(lib, dir.path().join("libSciTokens.so.0")).unwrap();
        std::os::unix::fs::symlink(lib, dir.path().join("libSciTokens.so")).unwrap();
        std::fs::create_dir(dir.path().join("cache")).unwrap();
        LibDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Compiles `source` into this directory with `flags`, linked against the library here.
    pub fn compile(&self, source: &Path, output: &str, flags: &[&str]) -> PathBuf {
        let exe = self.dir.path().join(output);
        let out = Command::new("gcc")
            .args(["-Wall", "-Wextra", "-Werror", "-g", "-o"])
            .arg(&exe)
            .args(flags)
            .arg(source)
            .arg(format!("-L{}", self.dir.path().display()))
            .args(["-lSciTokens", "-ldl"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gcc {}: {}",
            source.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    }

    /// Runs a program with this directory first on the library path and its own key cache.
    pub fn run(&self, program: &Path, args: &[&str], wrapper: &[&str]) -> Output {
        self.run_with(program, args, wrapper, &[])
    }

    /// [`run`](Self::run) with extra environment variables.
    pub fn run_with(
        &self,
        program: &Path,
        args: &[&str],
        wrapper: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        let mut command = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(program);
                c
            }
            None => Command::new(program),
        };
        command
            .args(args)
            .env("LD_LIBRARY_PATH", self.dir.path())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env_remove("SCITOKEN_CONFIG_KEYCACHE_CACHE_HOME")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }
}

pub fn assert_success(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Function names declared in a C header (one declaration per statement).
pub fn declared_functions(header: &str) -> Vec<String> {
    let mut names = Vec::new();
    let text: String = header
        .lines()
        .filter(|l| {
            !l.trim_start().starts_with('#')
                && !l.trim_start().starts_with('*')
                && !l.trim_start().starts_with("/*")
        })
        .collect::<Vec<_>>()
        .join(" ");
    for statement in text.split(';') {
        let statement = statement.trim();
        if statement.starts_with("typedef") || !statement.contains('(') {
            continue;
        }
        let before = &statement[..statement.find('(').unwrap()];
        if let Some(name) = before
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .rfind(|s| !s.is_empty())
        {
            if name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}
