//! Locating and running the reference implementations.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether a missing reference implementation fails the test (`SCITOKENS_INTEROP_REQUIRED=1`).
pub fn interop_required() -> bool {
    std::env::var("SCITOKENS_INTEROP_REQUIRED").is_ok_and(|v| v == "1")
}

/// One of the incumbent implementations, located on this machine.
#[derive(Debug, Clone)]
pub enum Reference {
    /// A Python interpreter that can `import scitokens`.
    Python(PathBuf),
    /// The directory holding scitokens-cpp's tools (`scitokens-create`, `scitokens-verify`, ...).
    Cpp(PathBuf),
}

impl Reference {
    /// The Python reference: `$SCITOKENS_PYTHON`, else the virtualenv `.venv/` that
    /// `.ci/setup` makes at the repository root, else `python3`, if it can import `scitokens`.
    ///
    /// Returns `None` (after saying so on stderr) when it is missing and not required; panics
    /// when it is missing and required.
    pub fn python() -> Option<Self> {
        let venv = crate::testdata().join("../.venv/bin/python");
        let python = std::env::var_os("SCITOKENS_PYTHON").unwrap_or_else(|| {
            if venv.is_file() {
                venv.into_os_string()
            } else {
                "python3".into()
            }
        });
        let ok = Command::new(&python)
            .args(["-c", "import scitokens"])
            .output()
            .is_ok_and(|o| o.status.success());
        found_or_skip(
            ok.then(|| Reference::Python(PathBuf::from(python))),
            "Python scitokens",
        )
    }

    /// The scitokens-cpp tools: the directory of `scitokens-create` on `$PATH`.
    pub fn cpp() -> Option<Self> {
        let dir = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path).find(|dir| dir.join("scitokens-create").is_file())
        });
        found_or_skip(dir.map(Reference::Cpp), "scitokens-cpp tools")
    }

    /// Run the Python helper `testdata/interop/pyref.py` (Python) or the named tool (C++).
    ///
    /// For Python, `args[0]` is the helper's command (`mint`, `verify`); for C++ it is the tool
    /// name. `env` is added to the child's environment.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S], env: &[(&str, &Path)]) -> Output {
        let mut command = match self {
            Reference::Python(python) => {
                let mut c = Command::new(python);
                c.arg(crate::testdata().join("interop/pyref.py")).args(args);
                c
            }
            Reference::Cpp(dir) => {
                let (tool, rest) = args.split_first().expect("a tool name");
                let mut c = Command::new(dir.join(tool.as_ref()));
                c.args(rest);
                c
            }
        };
        for (k, v) in env {
            command.env(k, v);
        }
        command
            .output()
            .unwrap_or_else(|e| panic!("running {self:?}: {e}"))
    }
}

impl Reference {
    /// Runs one of the Python library's command-line tools (`admin_create_token`,
    /// `verify_token`, ...: a module of `scitokens.tools`) with `args`, as its console script
    /// would. Panics on a C++ reference.
    pub fn python_tool<S: AsRef<OsStr>>(&self, module: &str, args: &[S]) -> Output {
        let Reference::Python(python) = self else {
            panic!("python_tool needs the Python reference, not {self:?}");
        };
        assert!(
            module
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "module name {module:?}"
        );
        Command::new(python)
            .arg("-c")
            .arg(format!(
                "import sys; from scitokens.tools.{module} import main; sys.argv[0] = {module:?}; sys.exit(main())"
            ))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running {self:?} {module}: {e}"))
    }
}

/// The trimmed stdout of a reference run that must have succeeded; on failure, panics with
/// its status, stdout and stderr.
pub fn stdout_of(out: Output) -> String {
    assert!(
        out.status.success(),
        "reference failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn found_or_skip(found: Option<Reference>, what: &str) -> Option<Reference> {
    available_or_skip(found.is_some(), &format!("{what} not found"));
    found
}

/// Whether an interop test may run: `true` when what it needs is `available`; otherwise it
/// says it skips (`missing` says what is missing), or fails under
/// `SCITOKENS_INTEROP_REQUIRED=1`.
pub fn available_or_skip(available: bool, missing: &str) -> bool {
    if !available {
        assert!(
            !interop_required(),
            "{missing} and SCITOKENS_INTEROP_REQUIRED=1 (run `bash .ci/setup`)"
        );
        #[allow(clippy::print_stderr)] // a skipped interop test must say so
        {
            eprintln!("skipping: {missing} (run `bash .ci/setup` to install it)");
        }
    }
    available
}
