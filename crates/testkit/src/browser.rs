//! A browser-like HTTPS client for tests of web pages: keeps cookies, does not follow
//! redirects (tests look at each `303`), trusts a test CA.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A page as a browser would get it (redirects not followed).
#[derive(Debug)]
#[allow(missing_docs)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub csp: Option<String>,
    pub set_cookie: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of the hidden CSRF field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field");
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

/// A browser-like HTTPS client: keeps cookies, does not follow redirects.
#[allow(missing_docs)]
pub struct Browser {
    agent: ureq::Agent,
    cookies: std::sync::Mutex<Vec<(String, String)>>,
}

#[allow(missing_docs)]
impl Browser {
    pub fn new(ca: &Path) -> Browser {
        let pem = std::fs::read(ca).unwrap();
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i.unwrap() {
                ureq::tls::PemItem::Certificate(c) => Some(c),
                _ => None,
            })
            .collect();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(20)))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                    .unversioned_rustls_crypto_provider(Arc::new(
                        rustls::crypto::aws_lc_rs::default_provider(),
                    ))
                    .build(),
            )
            .build()
            .into();
        Browser {
            agent,
            cookies: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn page(&self, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Page {
        let mut response = result.unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (location, csp, set_cookie) = (
            header("location"),
            header("content-security-policy"),
            header("set-cookie"),
        );
        if let Some(cookie) = &set_cookie {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            jar.retain(|(n, _)| n != name);
            jar.push((name.to_owned(), value.to_owned()));
        }
        let mut body = String::new();
        let _ = response.body_mut().as_reader().read_to_string(&mut body);
        Page {
            status: response.status().as_u16(),
            location,
            csp,
            set_cookie,
            body,
        }
    }

    pub fn get(&self, url: &str) -> Page {
        let mut request = self.agent.get(url);
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            request = request.header("cookie", cookies);
        }
        self.page(request.call())
    }

    pub fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        let mut request = self.agent.post(url);
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            request = request.header("cookie", cookies);
        }
        self.page(request.send_form(form.iter().copied()))
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        self.cookies.lock().unwrap().clear();
    }
}
