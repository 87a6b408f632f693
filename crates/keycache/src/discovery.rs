//! Finding an issuer's keys: OIDC discovery (falling back to RFC 8414), then its JWKS.
//!
//! `ISSUER/.well-known/openid-configuration` first; if that answers with an HTTP error status,
//! `https://HOST/.well-known/oauth-authorization-server/PATH` (RFC 8414 §3). The metadata's
//! `issuer` must equal the token's `iss` exactly, and `jwks_uri` must be https. Responses are
//! capped in size, requests in time, redirects must stay on https.

use std::sync::Arc;
use std::time::Duration;

use scitokens_format::{is_loopback_http, KeySet, Untrusted};
use serde_json::{Map, Value};
use std::path::Path;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::Agent;

use crate::config::KeyCacheConfig;
use crate::error::{KeyCacheError, Result};

/// Who waits for a fetch, which decides its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Urgency {
    /// A token is waiting: `request_timeout`.
    Request,
    /// An administrator or the background refresher: `admin_timeout`.
    Admin,
}

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("scitokens-rs/", env!("CARGO_PKG_VERSION"));

/// Redirects followed per request.
const MAX_REDIRECTS: u32 = 3;

/// The root certificates of `ca_file` (PEM), or the built-in web PKI roots without one.
fn root_certs(ca_file: Option<&Path>) -> Result<RootCerts> {
    let Some(file) = ca_file else {
        return Ok(RootCerts::WebPki);
    };
    let bad = |reason: String| KeyCacheError::Config {
        name: "tls_ca_file".into(),
        value: Untrusted::new(&file.display().to_string()),
        reason,
    };
    let pem = std::fs::read(file).map_err(|e| bad(e.to_string()))?;
    let certs = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<Certificate<'static>>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("holds no PEM certificate".into()));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

/// The HTTPS client the key cache fetches with, for other callers that talk to issuers (the
/// CLI's `token` commands, the token issuer's upstream login): TLS on aws-lc (its FIPS module
/// with the `fips` feature), the roots of `ca_file` or the built-in web PKI roots, a timeout
/// for each whole request, at most 3 redirects, HTTP error statuses returned as responses
/// (not errors), and `https://` only unless `allow_http` (which callers grant only for
/// loopback hosts).
///
/// ```
/// let agent = scitokens_keycache::http_agent(None, std::time::Duration::from_secs(5), false).unwrap();
/// assert!(agent.get("http://127.0.0.1:1/").call().is_err());
/// ```
pub fn http_agent(ca_file: Option<&Path>, timeout: Duration, allow_http: bool) -> Result<Agent> {
    let roots = root_certs(ca_file)?;
    scitokens_format::init_crypto();
    // The TLS stack's crypto is aws-lc, as the tokens' (no second crypto library); with
    // the `fips` feature, its FIPS module and only the approved suites.
    #[cfg(not(feature = "fips"))]
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    #[cfg(feature = "fips")]
    let provider = Arc::new(rustls::crypto::default_fips_provider());
    Ok(Agent::config_builder()
        .timeout_global(Some(timeout))
        .https_only(!allow_http)
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .user_agent(USER_AGENT)
        .tls_config(
            TlsConfig::builder()
                .root_certs(roots)
                .unversioned_rustls_crypto_provider(provider)
                .build(),
        )
        .build()
        .into())
}

/// An HTTPS client for discovery, configured once.
pub(crate) struct Discovery {
    request: Agent,
    admin: Agent,
    max_bytes: u64,
    allow_http_loopback: bool,
}

/// What a successful discovery yields.
pub(crate) struct Fetched {
    pub(crate) jwks: Map<String, Value>,
    pub(crate) keys: KeySet,
}

impl Discovery {
    pub(crate) fn new(config: &KeyCacheConfig) -> Result<Self> {
        let allow_http = config.dangerous.allow_http_loopback;
        let ca = config.tls_ca_file.as_deref();
        let agent = |timeout: Duration| http_agent(ca, timeout, allow_http);
        Ok(Discovery {
            request: agent(config.request_timeout)?,
            admin: agent(config.admin_timeout)?,
            max_bytes: config.max_response_bytes,
            allow_http_loopback: config.dangerous.allow_http_loopback,
        })
    }

    /// Fetches `issuer`'s keys, with the timeout `urgency` calls for.
    pub(crate) fn fetch(&self, issuer: &str, urgency: Urgency) -> Result<Fetched> {
        let agent = match urgency {
            Urgency::Admin => &self.admin,
            Urgency::Request => &self.request,
        };
        let (scheme, host, path) = self.split_issuer(issuer)?;
        let oidc = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let (metadata_url, metadata) = match self.get_json(agent, &oidc)? {
            Ok(doc) => (oidc, doc),
            Err(status) => {
                let rfc8414 = format!(
                    "{scheme}://{host}/.well-known/oauth-authorization-server{}",
                    path.trim_end_matches('/')
                );
                match self.get_json(agent, &rfc8414)? {
                    Ok(doc) => (rfc8414, doc),
                    Err(status2) => {
                        return Err(KeyCacheError::Http {
                            url: Untrusted::new(&oidc),
                            reason: format!(
                                "HTTP status {status} (and {status2} from {})",
                                Untrusted::new(&rfc8414)
                            ),
                        })
                    }
                }
            }
        };
        let meta_err = |reason: String| KeyCacheError::Metadata {
            url: Untrusted::new(&metadata_url),
            reason,
        };
        match metadata.get("issuer") {
            Some(Value::String(named)) if named == issuer => {}
            Some(Value::String(named)) => {
                return Err(meta_err(format!(
                    "names issuer {}, not {}",
                    Untrusted::new(named),
                    Untrusted::new(issuer)
                )))
            }
            _ => return Err(meta_err("has no \"issuer\" string".into())),
        }
        let jwks_uri = match metadata.get("jwks_uri") {
            Some(Value::String(uri)) => uri.clone(),
            _ => return Err(meta_err("has no \"jwks_uri\" string".into())),
        };
        if !(jwks_uri.starts_with("https://")
            || (self.allow_http_loopback && is_loopback_http(&jwks_uri)))
        {
            return Err(meta_err(format!(
                "jwks_uri {} is not https",
                Untrusted::new(&jwks_uri)
            )));
        }
        let jwks = match self.get_json(agent, &jwks_uri)? {
            Ok(doc) => doc,
            Err(status) => {
                return Err(KeyCacheError::Http {
                    url: Untrusted::new(&jwks_uri),
                    reason: format!("HTTP status {status}"),
                })
            }
        };
        let keys = KeySet::from_map(&jwks)?;
        Ok(Fetched { jwks, keys })
    }

    /// GETs a JSON object; `Ok(Err(status))` for an HTTP error status.
    fn get_json(&self, agent: &Agent, url: &str) -> Result<Result<Map<String, Value>, u16>> {
        let http_err = |reason: String| KeyCacheError::Http {
            url: Untrusted::new(url),
            reason,
        };
        let mut response = agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| http_err(describe(&e)))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Ok(Err(status));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_bytes)
            .read_to_vec()
            .map_err(|e| http_err(describe(&e)))?;
        match scitokens_format::parse_json_object(&body) {
            Ok(map) => Ok(Ok(map)),
            Err(reason) => Err(http_err(format!("response is not a JSON object: {reason}"))),
        }
    }

    /// Splits an issuer URL into scheme, host\[:port\] and path, refusing what we never fetch.
    pub(crate) fn split_issuer<'a>(&self, issuer: &'a str) -> Result<(&'a str, &'a str, &'a str)> {
        let invalid = |reason: &str| KeyCacheError::InvalidIssuer {
            issuer: Untrusted::new(issuer),
            reason: reason.into(),
        };
        let (scheme, rest) = if let Some(rest) = issuer.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = issuer.strip_prefix("http://") {
            if !(self.allow_http_loopback && is_loopback_http(issuer)) {
                return Err(invalid("issuers are fetched over https only"));
            }
            ("http", rest)
        } else {
            return Err(invalid("not an https URL"));
        };
        if issuer.contains(['?', '#'])
            || issuer.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid("has a query, fragment, space or control character"));
        }
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if host.is_empty() || host.contains('@') {
            return Err(invalid("has no host, or has user information"));
        }
        Ok((scheme, host, path))
    }
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::BodyExceedsLimit(limit) => format!("response larger than {limit} bytes"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https() {
        let d = Discovery::new(&KeyCacheConfig::default()).unwrap();
        for bad in [
            "http://issuer.example",
            "http://127.0.0.1:1",
            "ftp://x",
            "https://",
            "https://u@host/",
            "https://host/?q",
            "https://host/a b",
        ] {
            assert_eq!(
                d.split_issuer(bad).unwrap_err().kind(),
                "invalid_issuer",
                "{bad}"
            );
        }
        assert_eq!(
            d.split_issuer("https://h.example:8443/realm/x").unwrap(),
            ("https", "h.example:8443", "/realm/x")
        );
    }
}
