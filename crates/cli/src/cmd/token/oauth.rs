//! The OAuth client: discovery (RFC 8414 / OpenID Connect), token requests (client
//! credentials, device code, refresh, token exchange), device authorization (RFC 8628) and
//! revocation (RFC 7009), with any standards-compliant issuer. HTTPS only, through the key
//! cache's agent (aws-lc TLS, optional private CA).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use scitokens_format::Untrusted;

use crate::error::{CliError, Result};

/// What form encoding escapes: everything but the unreserved characters (RFC 3986 §2.3).
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Timeout of one request.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read.
const MAX_ANSWER: u64 = 1 << 20;

/// The grant type of a device-code poll.
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The grant type of token exchange.
pub(crate) const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// An access token (RFC 8693 §3).
pub(crate) const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// How the client authenticates.
#[derive(Debug, Clone)]
pub(crate) enum ClientAuth {
    /// A public client: `client_id` in the body.
    Public(String),
    /// A confidential client: HTTP Basic (RFC 6749 §2.3.1).
    Secret {
        /// The id.
        id: String,
        /// The secret.
        secret: String,
    },
}

impl ClientAuth {
    /// A client from its id and, for a confidential one, its secret file.
    pub(crate) fn new(id: &str, secret_file: Option<&Path>) -> Result<ClientAuth> {
        match secret_file {
            None => Ok(ClientAuth::Public(id.to_owned())),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(CliError::file(path))?;
                let secret = text.trim().to_owned();
                if secret.is_empty() {
                    return Err(CliError::Usage(format!("{} is empty", path.display())));
                }
                Ok(ClientAuth::Secret {
                    id: id.to_owned(),
                    secret,
                })
            }
        }
    }
}

/// A token endpoint's successful answer.
#[derive(Debug, Clone)]
pub(crate) struct Tokens {
    /// The access token.
    pub(crate) access_token: String,
    /// A refresh token, if one was issued.
    pub(crate) refresh_token: Option<String>,
    /// Seconds until the access token expires, if said.
    pub(crate) expires_in: Option<u64>,
    /// The scopes granted, if said.
    pub(crate) scope: Option<String>,
}

/// An issuer's endpoints and an HTTPS agent.
pub(crate) struct Issuer {
    /// The issuer URL.
    pub(crate) url: String,
    /// The token endpoint.
    pub(crate) token_endpoint: String,
    /// The device authorization endpoint, if offered.
    pub(crate) device_endpoint: Option<String>,
    /// The revocation endpoint, if offered.
    pub(crate) revocation_endpoint: Option<String>,
    /// The CA file used, if any.
    pub(crate) ca_file: Option<PathBuf>,
    agent: ureq::Agent,
}

fn http(url: &str) -> impl FnOnce(ureq::Error) -> CliError + '_ {
    move |e| CliError::Http {
        url: url.to_owned(),
        reason: e.to_string(),
    }
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, FORM),
                utf8_percent_encode(v, FORM)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Issuer {
    /// Reads the issuer's discovery document (OpenID Connect, then RFC 8414).
    pub(crate) fn discover(url: &str, ca_file: Option<&Path>) -> Result<Issuer> {
        let url = url.trim_end_matches('/').to_owned();
        if !url.starts_with("https://") {
            return Err(CliError::Usage(format!(
                "the issuer {} must be https://",
                Untrusted::new(&url)
            )));
        }
        let agent = scitokens_keycache::http_agent(ca_file, TIMEOUT, false)?;
        let mut last = None;
        for well_known in [
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
        ] {
            let meta_url = format!("{url}{well_known}");
            let (status, body) = get(&agent, &meta_url)?;
            if status != 200 {
                last = Some(format!("{meta_url} answered {status}"));
                continue;
            }
            let meta: Value = serde_json::from_str(&body).map_err(|e| CliError::Http {
                url: meta_url.clone(),
                reason: format!("not JSON: {e}"),
            })?;
            let named = meta["issuer"].as_str().unwrap_or("").trim_end_matches('/');
            if named != url {
                return Err(CliError::Http {
                    url: meta_url,
                    reason: format!("names issuer {}, not {url}", Untrusted::new(named)),
                });
            }
            let endpoint = |name: &str| meta[name].as_str().map(str::to_owned);
            let token_endpoint = endpoint("token_endpoint").ok_or_else(|| CliError::Http {
                url: meta_url.clone(),
                reason: "no token_endpoint".into(),
            })?;
            return Ok(Issuer {
                url,
                token_endpoint,
                device_endpoint: endpoint("device_authorization_endpoint"),
                revocation_endpoint: endpoint("revocation_endpoint"),
                ca_file: ca_file.map(Path::to_owned),
                agent,
            });
        }
        Err(CliError::Http {
            url,
            reason: last.unwrap_or_default(),
        })
    }

    /// POSTs a form to `endpoint` as `client`; the JSON answer, or the OAuth error.
    pub(crate) fn post(
        &self,
        name: &'static str,
        endpoint: &str,
        client: &ClientAuth,
        params: &[(&str, &str)],
    ) -> Result<Value> {
        let mut pairs: Vec<(&str, &str)> = params.to_vec();
        let mut request = self
            .agent
            .post(endpoint)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded");
        match client {
            ClientAuth::Public(id) => pairs.push(("client_id", id)),
            ClientAuth::Secret { id, secret } => {
                let enc = |s: &str| utf8_percent_encode(s, FORM).to_string();
                let basic = STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
                request = request.header("Authorization", &format!("Basic {basic}"));
            }
        }
        let mut response = request.send(form_encode(&pairs)).map_err(http(endpoint))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(http(endpoint))?;
        if (200..300).contains(&status) {
            if body.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&body).map_err(|e| CliError::Http {
                url: endpoint.to_owned(),
                reason: format!("answered {status} with a body that is not JSON: {e}"),
            });
        }
        match serde_json::from_str::<Value>(&body) {
            Ok(v) if v["error"].is_string() => Err(CliError::OAuth {
                endpoint: name,
                error: clip(v["error"].as_str().unwrap_or("")),
                description: clip(v["error_description"].as_str().unwrap_or("")),
            }),
            _ => Err(CliError::Http {
                url: endpoint.to_owned(),
                reason: format!("answered {status}"),
            }),
        }
    }

    /// A token request.
    pub(crate) fn token(&self, client: &ClientAuth, params: &[(&str, &str)]) -> Result<Tokens> {
        let answer = self.post("token", &self.token_endpoint, client, params)?;
        tokens(&self.token_endpoint, &answer)
    }
}

/// An issuer's text, cut to 200 characters (it is printed through `terminal_safe`).
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn get(agent: &ureq::Agent, url: &str) -> Result<(u16, String)> {
    let mut response = agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(http(url))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_string()
        .map_err(http(url))?;
    Ok((status, body))
}

/// The parts of a token answer.
fn tokens(url: &str, answer: &Value) -> Result<Tokens> {
    let access_token = answer["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| CliError::Http {
            url: url.to_owned(),
            reason: "the answer has no access_token".into(),
        })?
        .to_owned();
    if !answer["token_type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("N_A"))
    {
        return Err(CliError::Http {
            url: url.to_owned(),
            reason: "token_type is not Bearer".into(),
        });
    }
    Ok(Tokens {
        access_token,
        refresh_token: answer["refresh_token"].as_str().map(str::to_owned),
        expires_in: answer["expires_in"].as_u64(),
        scope: answer["scope"].as_str().map(str::to_owned),
    })
}
