//! Test support shared by the workspace's test suites. Not published.
//!
//! - [`testdata`]: the repository's `testdata/` directory, wherever the test runs from;
//! - [`Reference`]: the incumbent implementations (the Python `scitokens` library and the
//!   scitokens-cpp command-line tools), found on this machine or reported missing;
//! - [`https`]: a real HTTPS issuer on 127.0.0.1 with a test CA ([`scitokens_localissuer`]);
//! - [`browser`]: a cookie-keeping HTTPS client for tests of web pages;
//! - [`oidc_provider`]: npm `oidc-provider`, an independent OpenID provider;
//! - [`webdriver`]: headless Chromium through chromedriver.
//!
//! Interop tests skip with a message when a reference is missing, unless
//! `SCITOKENS_INTEROP_REQUIRED=1` is set (CI sets it), in which case a missing reference fails.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod browser;
pub mod oidc_provider;
mod reference;
pub mod webdriver;

use std::path::PathBuf;

pub use reference::{available_or_skip, interop_required, stdout_of, Reference};

/// The loopback HTTPS issuer, under the names the test suites use.
pub mod https {
    pub use scitokens_localissuer::{LocalIssuer, Reply};

    /// Starts a [`LocalIssuer`], panicking if it cannot: a test cannot go on without one.
    pub fn start() -> LocalIssuer {
        LocalIssuer::start().unwrap_or_else(|e| panic!("local HTTPS issuer: {e}"))
    }
}

/// The repository's `testdata/` directory.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Read a file under `testdata/`, panicking with its path on failure.
pub fn read_testdata(rel: &str) -> Vec<u8> {
    std::fs::read(testdata().join(rel)).unwrap_or_else(|e| panic!("testdata/{rel}: {e}"))
}
