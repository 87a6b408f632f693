//! Login through an upstream OpenID provider: the authorization code flow with PKCE (S256),
//! `state` and `nonce` (OpenID Connect Core §3.1). The ID token is verified through a key cache
//! (the provider's discovery and JWKS, ES256 or RS256 only), then the configured claims give
//! the username and groups; claims missing from the ID token are read from the UserInfo
//! endpoint, whose `sub` must match. Every fetch is blocking (`ureq`): callers run it in a
//! blocking task.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::Value;

use scitokens_format::{names, sha256, Clock, Untrusted, UnverifiedToken};
use scitokens_keycache::{CacheLocation, KeyCache, KeyCacheConfig};

use super::{check_username, Person};
use crate::secret::random_bytes;

/// Clock skew allowed on the ID token's `iat` and `exp`.
const LEEWAY: i64 = 60;

/// What form encoding escapes: everything but the unreserved characters (RFC 3986 §2.3).
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Largest response read from the provider.
const MAX_RESPONSE: u64 = 256 * 1024;

/// `[login.upstream]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamFile {
    issuer: String,
    client_id: String,
    client_secret_file: Option<PathBuf>,
    #[serde(default)]
    username_claim: Option<String>,
    #[serde(default)]
    groups_claim: Option<String>,
    display_name: Option<String>,
    ca_file: Option<PathBuf>,
    scopes: Option<String>,
    #[serde(default)]
    plain_http_on_loopback: bool,
}

/// A checked `[login.upstream]`.
#[derive(Clone)]
pub struct UpstreamConfig {
    /// The provider's issuer URL.
    pub issuer: String,
    /// Our client id there.
    pub client_id: String,
    /// Our client secret there (read from its file when the configuration is loaded); `None`
    /// for a public client, which PKCE alone protects.
    pub client_secret: Option<String>,
    /// The claim that holds the username (default `preferred_username`).
    pub username_claim: String,
    /// The claim that holds the groups, a list of strings or one string (default `groups`).
    pub groups_claim: String,
    /// The provider's name on the login page.
    pub display_name: String,
    /// CA certificates (PEM) replacing the built-in roots, for a private provider.
    pub ca_file: Option<PathBuf>,
    /// The `scope` asked for (default `openid profile`; `openid` is added if missing).
    pub scopes: String,
    /// Allow an `http://` provider on a loopback host (tests only).
    pub plain_http_on_loopback: bool,
}

impl std::fmt::Debug for UpstreamConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl UpstreamConfig {
    /// Checks the table and reads the secret file; the error names the setting.
    pub fn compile(file: UpstreamFile, dir: &Path) -> Result<UpstreamConfig, String> {
        let relative = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
        let issuer = file.issuer.trim_end_matches('/').to_owned();
        let plain_ok = file.plain_http_on_loopback && scitokens_format::is_loopback_http(&issuer);
        if !issuer.starts_with("https://") && !plain_ok {
            return Err(format!(
                "issuer: {} must be https:// (plain http only on loopback with plain_http_on_loopback)",
                Untrusted::new(&issuer)
            ));
        }
        if file.client_id.is_empty() {
            return Err("client_id: must not be empty".into());
        }
        let client_secret = match file.client_secret_file {
            None => None,
            Some(p) => {
                let p = relative(p);
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| format!("client_secret_file: {}: {e}", p.display()))?;
                Some(text.trim().to_owned())
            }
        };
        let mut scopes = file.scopes.unwrap_or_else(|| "openid profile".into());
        if !scopes.split(' ').any(|s| s == "openid") {
            scopes = format!("openid {scopes}");
        }
        Ok(UpstreamConfig {
            display_name: file.display_name.unwrap_or_else(|| issuer.clone()),
            issuer,
            client_id: file.client_id,
            client_secret,
            username_claim: file
                .username_claim
                .unwrap_or_else(|| "preferred_username".into()),
            groups_claim: file.groups_claim.unwrap_or_else(|| "groups".into()),
            ca_file: file.ca_file.map(relative),
            scopes,
            plain_http_on_loopback: file.plain_http_on_loopback,
        })
    }
}

/// The secrets of one login in progress, kept in the person's sealed session cookie.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingLogin {
    /// `state`: ties the callback to this browser.
    pub state: String,
    /// `nonce`: ties the ID token to this login.
    pub nonce: String,
    /// The PKCE code verifier.
    pub verifier: String,
}

/// Why an upstream login failed; the person sees the message.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The provider could not be reached or answered badly.
    #[error("the identity provider: {0}")]
    Provider(String),
    /// The provider's answer was refused.
    #[error("the identity provider's answer: {0}")]
    Refused(String),
}

/// The provider's endpoints, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

/// An upstream provider: its configuration, an HTTP agent and a key cache for its keys.
pub struct Upstream {
    config: UpstreamConfig,
    agent: ureq::Agent,
    keys: KeyCache,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

fn provider(e: impl std::fmt::Display) -> UpstreamError {
    UpstreamError::Provider(e.to_string())
}

fn refused(e: impl std::fmt::Display) -> UpstreamError {
    UpstreamError::Refused(e.to_string())
}

fn random_text() -> Result<String, UpstreamError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>().map_err(provider)?))
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encoding::utf8_percent_encode(k, FORM).to_string());
        out.push('=');
        out.push_str(&percent_encoding::utf8_percent_encode(v, FORM).to_string());
    }
    out
}

/// A response body as JSON, at most [`MAX_RESPONSE`] bytes.
fn read_json(response: &mut ureq::http::Response<ureq::Body>) -> Result<Value, UpstreamError> {
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_string()
        .map_err(provider)?;
    serde_json::from_str(&text).map_err(|e| refused(format!("not JSON: {e}")))
}

impl Upstream {
    /// An upstream provider for `config`; its keys are cached in memory.
    pub fn new(config: UpstreamConfig, clock: Arc<dyn Clock>) -> Result<Upstream, UpstreamError> {
        let mut cache = KeyCacheConfig {
            location: CacheLocation::InMemory,
            tls_ca_file: config.ca_file.clone(),
            fetch_allow_list: Some(vec![config.issuer.clone()]),
            ..KeyCacheConfig::default()
        };
        cache.dangerous.allow_http_loopback = config.plain_http_on_loopback;
        let keys = KeyCache::open_with_clock(cache, Arc::clone(&clock)).map_err(provider)?;
        let agent = scitokens_keycache::http_agent(
            config.ca_file.as_deref(),
            Duration::from_secs(10),
            config.plain_http_on_loopback,
        )
        .map_err(provider)?;
        Ok(Upstream {
            config,
            agent,
            keys,
            clock,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &UpstreamConfig {
        &self.config
    }

    fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, UpstreamError> {
        let mut request = self.agent.get(url).header("Accept", "application/json");
        if let Some(token) = bearer {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = request.call().map_err(provider)?;
        if !response.status().is_success() {
            return Err(provider(format!("{url} answered {}", response.status())));
        }
        read_json(&mut response)
    }

    fn metadata(&self) -> Result<Metadata, UpstreamError> {
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer);
        let meta: Metadata = serde_json::from_value(self.get_json(&url, None)?)
            .map_err(|e| refused(format!("discovery document: {e}")))?;
        if meta.issuer.trim_end_matches('/') != self.config.issuer {
            return Err(refused(format!(
                "discovery names issuer {}, not the configured one",
                Untrusted::new(&meta.issuer)
            )));
        }
        Ok(meta)
    }

    /// Starts a login: the URL to send the browser to, and the secrets to keep until the
    /// callback.
    pub fn begin(&self, redirect_uri: &str) -> Result<(String, PendingLogin), UpstreamError> {
        let meta = self.metadata()?;
        let pending = PendingLogin {
            state: random_text()?,
            nonce: random_text()?,
            verifier: random_text()?,
        };
        let challenge = URL_SAFE_NO_PAD.encode(sha256(&[pending.verifier.as_bytes()]));
        let query = form_encode(&[
            ("response_type", "code"),
            ("client_id", &self.config.client_id),
            ("redirect_uri", redirect_uri),
            ("scope", &self.config.scopes),
            ("state", &pending.state),
            ("nonce", &pending.nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let sep = if meta.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok((
            format!("{}{sep}{query}", meta.authorization_endpoint),
            pending,
        ))
    }

    /// Finishes a login: redeems `code`, verifies the ID token, reads the person's claims.
    pub fn finish(
        &self,
        code: &str,
        pending: &PendingLogin,
        redirect_uri: &str,
    ) -> Result<Person, UpstreamError> {
        let meta = self.metadata()?;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pending.verifier.as_str()),
        ];
        let mut request = self
            .agent
            .post(&meta.token_endpoint)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded");
        match &self.config.client_secret {
            Some(secret) => {
                let enc = |s: &str| form_encode(&[("", s)]).trim_start_matches('=').to_owned();
                let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    enc(&self.config.client_id),
                    enc(secret)
                ));
                request = request.header("Authorization", &format!("Basic {basic}"));
            }
            None => pairs.push(("client_id", self.config.client_id.as_str())),
        }
        let mut response = request.send(form_encode(&pairs)).map_err(provider)?;
        let status = response.status();
        let body = read_json(&mut response)?;
        if !status.is_success() {
            let error = body.get("error").and_then(Value::as_str).unwrap_or("?");
            return Err(refused(format!(
                "the token endpoint answered {status}: {}",
                Untrusted::new(error)
            )));
        }
        let id_token = body
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(|| refused("no id_token in the token response"))?;
        let access_token = body.get("access_token").and_then(Value::as_str);
        let claims = self.verify_id_token(id_token, &pending.nonce)?;
        self.person(&meta, &claims, access_token)
    }

    /// The ID token's claims, once its signature, issuer, audience, times and nonce hold.
    fn verify_id_token(
        &self,
        id_token: &str,
        nonce: &str,
    ) -> Result<serde_json::Map<String, Value>, UpstreamError> {
        let token =
            UnverifiedToken::parse(id_token).map_err(|e| refused(format!("id_token: {e}")))?;
        let keys = self
            .keys
            .keys(&self.config.issuer, token.header().kid())
            .map_err(|e| provider(format!("its keys: {e}")))?;
        let token = token
            .verify(&keys)
            .map_err(|e| refused(format!("id_token: {e}")))?;
        let claims = token.claims();
        let now = self.clock.now();
        let bad = |what: &str| refused(format!("id_token: {what}"));
        if claims
            .iss()
            .optional(names::ISS)
            .ok()
            .flatten()
            .map(|i| i.trim_end_matches('/'))
            != Some(self.config.issuer.as_str())
        {
            return Err(bad("iss is not the configured issuer"));
        }
        let aud = claims
            .aud()
            .require(names::AUD)
            .map_err(|e| refused(format!("id_token: {e}")))?;
        if !aud.contains(&self.config.client_id) {
            return Err(bad("aud does not name this issuer's client id"));
        }
        if aud.values().count() > 1
            && claims.string("azp").optional("azp").ok().flatten()
                != Some(self.config.client_id.as_str())
        {
            return Err(bad(
                "several audiences and azp is not this issuer's client id",
            ));
        }
        let exp = claims
            .exp()
            .require(names::EXP)
            .map_err(|e| refused(format!("id_token: {e}")))?;
        if exp.secs_since(now) < -LEEWAY {
            return Err(bad("expired"));
        }
        if let Some(iat) = claims
            .iat()
            .optional(names::IAT)
            .map_err(|e| refused(format!("id_token: {e}")))?
        {
            if iat.secs_since(now) > LEEWAY {
                return Err(bad("iat is in the future"));
            }
        }
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(bad("nonce does not match this login"));
        }
        Ok(claims.to_map())
    }

    /// The person the claims name; UserInfo fills claims the ID token lacks.
    fn person(
        &self,
        meta: &Metadata,
        id_claims: &serde_json::Map<String, Value>,
        access_token: Option<&str>,
    ) -> Result<Person, UpstreamError> {
        let sub = id_claims.get("sub").and_then(Value::as_str).unwrap_or("");
        let c = &self.config;
        let mut claims = id_claims.clone();
        let lacking =
            !claims.contains_key(&c.username_claim) || !claims.contains_key(&c.groups_claim);
        if lacking {
            if let (Some(url), Some(token)) = (&meta.userinfo_endpoint, access_token) {
                let info = self.get_json(url, Some(token))?;
                if info.get("sub").and_then(Value::as_str) != Some(sub) {
                    return Err(refused("userinfo: sub differs from the id_token's"));
                }
                if let Value::Object(map) = info {
                    for (k, v) in map {
                        claims.entry(k).or_insert(v);
                    }
                }
            }
        }
        let username = claims
            .get(&c.username_claim)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                refused(format!(
                    "no string claim {} for the username",
                    c.username_claim
                ))
            })?;
        check_username(username)
            .map_err(|r| refused(format!("username {} {r}", Untrusted::new(username))))?;
        let groups = match claims.get(&c.groups_claim) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(g)) => vec![g.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(_) => {
                return Err(refused(format!(
                    "claim {} is not a list of strings",
                    c.groups_claim
                )))
            }
        };
        Ok(Person {
            username: username.to_owned(),
            groups,
            via: c.issuer.clone(),
        })
    }
}
