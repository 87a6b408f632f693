//! Where the token comes from: the argument, stdin, or WLCG bearer-token discovery.
//!
//! Discovery order (WLCG Bearer Token Discovery): `$BEARER_TOKEN`, the file named by
//! `$BEARER_TOKEN_FILE`, `$XDG_RUNTIME_DIR/bt_u$UID`, `/tmp/bt_u$UID` (`$UID` the effective
//! user id). An empty source falls through to the next; the error lists where it looked.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{CliError, Result};

/// Longest token file or stdin read; the token decoder refuses anything over 64 KiB anyway.
const MAX_READ: u64 = 1 << 20;

/// The token to work on: `arg` itself, stdin for `-`, or discovery when absent.
/// Leading and trailing white space is ignored.
pub(crate) fn token(arg: Option<&str>) -> Result<String> {
    let env = |name: &str| std::env::var_os(name).map(PathBuf::from);
    match arg {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_READ)
                .read_to_string(&mut text)
                .map_err(|e| CliError::Usage(format!("reading the token from stdin: {e}")))?;
            non_empty(text, "stdin")
        }
        Some(token) => non_empty(token.to_owned(), "the command line"),
        None => discover(env, nix::unistd::geteuid().as_raw()),
    }
}

fn non_empty(text: String, source: &str) -> Result<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CliError::Usage(format!("the token from {source} is empty")));
    }
    Ok(trimmed.to_owned())
}

/// Discovery, reading variables through `env`.
pub(crate) fn discover(env: impl Fn(&str) -> Option<PathBuf>, uid: u32) -> Result<String> {
    let mut looked = Vec::new();
    match env("BEARER_TOKEN") {
        Some(value) => {
            let value = value.to_string_lossy().trim().to_owned();
            if !value.is_empty() {
                return Ok(value);
            }
            looked.push("$BEARER_TOKEN (empty)".to_owned());
        }
        None => looked.push("$BEARER_TOKEN (unset)".to_owned()),
    }
    match env("BEARER_TOKEN_FILE") {
        Some(file) => match read_file(&file)? {
            Some(token) => return Ok(token),
            None => looked.push(format!(
                "$BEARER_TOKEN_FILE={} (empty or absent)",
                file.display()
            )),
        },
        None => looked.push("$BEARER_TOKEN_FILE (unset)".to_owned()),
    }
    let name = format!("bt_u{uid}");
    let mut files = Vec::new();
    match env("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.as_os_str().is_empty() => files.push(dir.join(&name)),
        _ => looked.push("$XDG_RUNTIME_DIR (unset)".to_owned()),
    }
    files.push(Path::new("/tmp").join(&name));
    for file in files {
        if let Some(token) = read_file(&file)? {
            return Ok(token);
        }
        looked.push(format!("{} (empty or absent)", file.display()));
    }
    Err(CliError::Usage(format!(
        "no token given (as an argument, or - for stdin) and none found; looked at {}",
        looked.join(", ")
    )))
}

/// The trimmed contents of a token file; `None` if it is absent or blank.
fn read_file(path: &Path) -> Result<Option<String>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CliError::file(path)(e)),
    };
    let mut text = String::new();
    file.take(MAX_READ)
        .read_to_string(&mut text)
        .map_err(CliError::file(path))?;
    let trimmed = text.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests

    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<PathBuf> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| PathBuf::from(v))
        }
    }

    #[test]
    fn order_and_fall_through() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        let runtime = dir.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        // A uid no real user has, so /tmp/bt_u<uid> is absent.
        let uid = 3_999_999_999;
        std::fs::write(runtime.join(format!("bt_u{uid}")), " from-runtime\n").unwrap();
        let runtime = runtime.to_str().unwrap();
        let file_str = file.to_str().unwrap();

        std::fs::write(&file, "\tfrom-file \n").unwrap();
        let all = [
            ("BEARER_TOKEN", " from-env "),
            ("BEARER_TOKEN_FILE", file_str),
            ("XDG_RUNTIME_DIR", runtime),
        ];
        assert_eq!(discover(lookup(&all), uid).unwrap(), "from-env");
        let blank_env = [
            ("BEARER_TOKEN", "  "),
            ("BEARER_TOKEN_FILE", file_str),
            ("XDG_RUNTIME_DIR", runtime),
        ];
        assert_eq!(discover(lookup(&blank_env), uid).unwrap(), "from-file");
        std::fs::write(&file, "\n").unwrap();
        assert_eq!(discover(lookup(&blank_env), uid).unwrap(), "from-runtime");
        let err = discover(lookup(&[]), uid).unwrap_err().to_string();
        assert!(err.contains("$BEARER_TOKEN (unset)"), "{err}");
        assert!(err.contains("$XDG_RUNTIME_DIR (unset)"), "{err}");
        assert!(
            err.contains(&format!("/tmp/bt_u{uid} (empty or absent)")),
            "{err}"
        );
    }
}
