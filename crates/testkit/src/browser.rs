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

/// A form found in a page: where it posts and its fields with their values.
#[derive(Debug, Clone)]
pub struct Form {
    /// The absolute URL it posts to.
    pub action: String,
    /// Its `input` fields (and the first submit button's name/value), in order.
    pub fields: Vec<(String, String)>,
}

/// The value of attribute `name` in a tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&format!("{name}=")) {
        let start = from + at;
        let boundary = start == 0 || lower.as_bytes()[start - 1].is_ascii_whitespace();
        let rest = &tag[start + name.len() + 1..];
        if boundary {
            let quote = rest.chars().next()?;
            if quote == '"' || quote == '\'' {
                let end = rest[1..].find(quote)?;
                return Some(unescape(&rest[1..=end]));
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len());
            return Some(unescape(&rest[..end]));
        }
        from = start + 1;
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `url` resolved against `base` (absolute URLs and absolute paths only).
fn resolve(base: &str, url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        return url.to_owned();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if url.starts_with('/') {
        format!("{}{url}", &base[..origin_end])
    } else if url.is_empty() {
        base.to_owned()
    } else {
        let dir_end = base
            .rfind('/')
            .filter(|i| *i >= origin_end)
            .unwrap_or(base.len());
        format!("{}/{url}", &base[..dir_end])
    }
}

impl Page {
    /// The first POST form of the page, its action resolved against `url` (where the page
    /// came from).
    pub fn form(&self, url: &str) -> Option<Form> {
        let lower = self.body.to_ascii_lowercase();
        let mut from = 0;
        while let Some(at) = lower[from..].find("<form") {
            let start = from + at;
            let tag_end = start + lower[start..].find('>')?;
            let tag = &self.body[start..=tag_end];
            let end = lower[tag_end..]
                .find("</form")
                .map_or(lower.len(), |i| tag_end + i);
            from = end;
            if !attribute(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("post")) {
                continue;
            }
            let action = resolve(url, &attribute(tag, "action").unwrap_or_default());
            let inner = &self.body[tag_end..end];
            let inner_lower = inner.to_ascii_lowercase();
            let mut fields = Vec::new();
            let mut button = false;
            let mut i = 0;
            while let Some(at) = inner_lower[i..].find('<') {
                let s = i + at;
                let e = s + inner_lower[s..].find('>').unwrap_or(inner_lower.len() - s);
                let t = &inner[s..e.min(inner.len())];
                let tl = &inner_lower[s..e.min(inner.len())];
                i = e.max(s + 1);
                if tl.starts_with("<input") {
                    if let Some(name) = attribute(t, "name") {
                        fields.push((name, attribute(t, "value").unwrap_or_default()));
                    }
                } else if tl.starts_with("<button") && !button {
                    if let Some(name) = attribute(t, "name") {
                        button = true;
                        fields.push((name, attribute(t, "value").unwrap_or_default()));
                    }
                }
            }
            return Some(Form { action, fields });
        }
        None
    }

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
        Browser::trusting(&[ca])
    }

    /// A browser trusting each of these CA files (an issuer's and a provider's).
    pub fn trusting(cas: &[&Path]) -> Browser {
        let mut certs = Vec::new();
        for ca in cas {
            let pem = std::fs::read(ca).unwrap();
            certs.extend(ureq::tls::parse_pem(&pem).filter_map(|i| match i.unwrap() {
                ureq::tls::PemItem::Certificate(c) => Some(c.to_owned()),
                _ => None,
            }));
        }
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

    /// Cookies are kept per name only (tests talk to one or two loopback origins whose cookie
    /// names differ).
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
        let all: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for cookie in &all {
            let pair = cookie.split(';').next().unwrap_or("");
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let gone = value.is_empty()
                || cookie.to_ascii_lowercase().contains("max-age=0")
                || cookie.contains("1970");
            let mut jar = self.cookies.lock().unwrap();
            jar.retain(|(n, _)| n != name);
            if !gone {
                jar.push((name.to_owned(), value.to_owned()));
            }
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

    /// Submits the page's first POST form with `set` overriding (or adding) fields.
    pub fn submit(&self, url: &str, page: &Page, set: &[(&str, &str)]) -> Page {
        let form = page
            .form(url)
            .unwrap_or_else(|| panic!("no form at {url}: {}", page.body));
        let mut fields = form.fields;
        for (name, value) in set {
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.post(&form.action, &pairs)
    }

    /// Follows `303`/`302` redirects from `page` (fetched from `url`) until a page that is not
    /// one; returns it and its URL.
    pub fn follow(&self, mut url: String, mut page: Page) -> (String, Page) {
        for _ in 0..10 {
            match page.location.clone() {
                Some(next) if (300..400).contains(&page.status) => {
                    url = resolve(&url, &next);
                    page = self.get(&url);
                }
                _ => break,
            }
        }
        (url, page)
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        self.cookies.lock().unwrap().clear();
    }
}
