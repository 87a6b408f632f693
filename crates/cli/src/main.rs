//! `scitoken`: mint, inspect and verify SciTokens, list their ACLs, test requests, and manage
//! the issuer key cache. A thin layer over the `scitokens-*` libraries.
//!
//! Exit status: 0 success, valid or allowed; 1 invalid token or denied; 2 usage, I/O or
//! configuration error. Errors are one line on stderr, `scitoken: <message>`; with `--json`
//! a document describing the error is also printed on stdout. See `docs/cli.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command line program prints

mod cli;
mod cmd;
mod error;
mod files;
mod input;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use serde_json::json;

use crate::cli::{Cli, Command};
use crate::error::{CliError, Result, EXIT_ERROR};
use crate::output::Printer;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version: print as clap does, exit 0.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let message = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("scitoken: {} (see --help)", output::terminal_safe(message));
            return ExitCode::from(EXIT_ERROR);
        }
    };
    init_logging(cli.verbose);
    let mut out = Printer::new(cli.json);
    let code = match run(&cli.command, &mut out).and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => code,
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            if out.json() {
                let error = json!({ "kind": e.kind(), "message": e.to_string() });
                let document = match e {
                    CliError::InvalidToken(_) => json!({ "valid": false, "error": error }),
                    _ => json!({ "error": error }),
                };
                let _ = out.document(&document).and_then(|()| out.flush());
            }
            eprintln!("scitoken: {}", output::terminal_safe(&e.to_string()));
            e.exit_code()
        }
    };
    ExitCode::from(code)
}

fn run(command: &Command, out: &mut Printer) -> Result<u8> {
    match command {
        Command::Keygen(args) => cmd::keygen::keygen(args, out).map(|()| 0),
        Command::Jwks(args) => cmd::keygen::jwks(args, out).map(|()| 0),
        Command::Mint(args) => cmd::mint::mint(args, out).map(|()| 0),
        Command::Inspect(args) => cmd::inspect::inspect(args, out).map(|()| 0),
        Command::Verify(args) => cmd::check::verify(args, out),
        Command::Acls(args) => cmd::check::acls(args, out),
        Command::Test(args) => cmd::check::test(args, out),
        Command::Keys(command) => cmd::keys::keys(command, out),
        Command::Token { command } => cmd::token::token(command, out),
        Command::Demo => cmd::demo::demo(out).map(|()| 0),
        Command::Completions { shell } => {
            let mut buffer = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "scitoken", &mut buffer);
            raw(&buffer)
        }
        Command::Man => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buffer)
                .map_err(CliError::Output)?;
            raw(&buffer)
        }
    }
}

/// Writes bytes to stdout as they are.
fn raw(bytes: &[u8]) -> Result<u8> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(CliError::Output)?;
    Ok(0)
}

/// Library log messages on stderr: warnings by default, more with `-v`; `RUST_LOG` overrides.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        2 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level);
    if let Ok(spec) = std::env::var("RUST_LOG") {
        builder.parse_filters(&spec);
    }
    builder
        .format(|f, record| {
            writeln!(
                f,
                "scitoken: {} {}: {}",
                record.level().as_str().to_ascii_lowercase(),
                record.target(),
                record.args()
            )
        })
        .init();
}
