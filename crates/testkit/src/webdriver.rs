//! Headless Chromium (Debian's `chromium` and `chromium-driver`) driven through W3C WebDriver,
//! for tests of the web pages in a real browser: scripts run, forms submit themselves, cookies
//! and redirects behave as for people. A few WebDriver commands over `ureq` (the Rust
//! WebDriver crates bring MPL-licensed code the dependency policy does not allow).
//!
//! Chromium accepts the tests' loopback certificates (`acceptInsecureCerts`, for this session
//! only): its trust store is the system's, which the tests' throwaway CAs are not in.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::reference::available_or_skip;

/// The key of an element reference (WebDriver §12.1).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long to wait for an element or a condition.
const WAIT: Duration = Duration::from_secs(15);

/// A headless Chromium session; ended (and the driver stopped) when dropped.
pub struct Chrome {
    driver: Child,
    base: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Chrome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chrome")
            .field("session", &self.base)
            .finish()
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[allow(clippy::missing_panics_doc, clippy::unwrap_used)] // test support: failing loudly is the point
impl Chrome {
    /// Starts chromedriver and a headless Chromium session. `None` (said on stderr) when they
    /// are not installed, unless `SCITOKENS_INTEROP_REQUIRED=1`, which makes that a failure.
    pub fn start() -> Option<Chrome> {
        let installed = Path::new("/usr/bin/chromium").is_file()
            && Command::new("chromedriver")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
        if !available_or_skip(installed, "chromium and chromium-driver not installed") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let root = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        while agent.get(format!("{root}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1100,900", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let mut chrome = Chrome {
            driver,
            base: root.clone(),
            agent,
            _profile: profile,
        };
        let answer = chrome.call("POST", "/session", Some(caps));
        let session = answer["sessionId"].as_str().unwrap().to_owned();
        chrome.base = format!("{root}/session/{session}");
        Some(chrome)
    }

    /// One WebDriver command; its `value`. Panics on a WebDriver error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response = response.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let value: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        let value = value["value"].clone();
        assert!(
            value.get("error").is_none(),
            "WebDriver {method} {path}: {}",
            value
        );
        value
    }

    /// Opens `url`.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// The current URL.
    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_owned()
    }

    /// The page's HTML as the browser has it now.
    pub fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits until `ready` holds; panics naming `what` after 15 s.
    pub fn wait_for(&self, what: &str, mut ready: impl FnMut(&Chrome) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !ready(self) {
            assert!(
                Instant::now() < deadline,
                "waited 15 s for {what}; at {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the page's text to hold `text`.
    pub fn wait_for_text(&self, text: &str) {
        self.wait_for(&format!("the text {text:?}"), |c| c.source().contains(text));
    }

    /// The element matching `css`, once there is one.
    fn element(&self, css: &str) -> String {
        let mut found = None;
        self.wait_for(&format!("an element {css}"), |c| {
            let url = format!("{}/element", c.base);
            let answer = c
                .agent
                .post(&url)
                .send_json(json!({ "using": "css selector", "value": css }))
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            found = answer.and_then(|v| v["value"][ELEMENT].as_str().map(str::to_owned));
            found.is_some()
        });
        found.unwrap()
    }

    /// Types `text` into the element matching `css`, after clearing it.
    pub fn fill(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/clear"), None);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The `value` property of the element matching `css`.
    pub fn value(&self, css: &str) -> String {
        let id = self.element(css);
        self.call("GET", &format!("/element/{id}/property/value"), None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Clicks the element matching `css`.
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/click"), None);
    }

    /// Resizes the window (the viewport that screenshots show).
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// A PNG of the viewport, written to `path`; returns its bytes.
    pub fn screenshot(&self, path: &Path) -> Vec<u8> {
        use base64::Engine;
        let encoded = self.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap();
        std::fs::write(path, &png).unwrap();
        png
    }
}
