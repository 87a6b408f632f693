//! Client credentials as presented (RFC 6749 §2.3.1): HTTP Basic with form-encoded id and
//! secret, or `client_id` and `client_secret` in the body; exactly one method.

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::percent_decode;

use super::error::{ErrorCode, OAuthError};
use super::form::Form;

/// A client id and secret, and how they came.
#[derive(Clone, PartialEq, Eq)]
pub struct Presented {
    /// The client id.
    pub id: String,
    /// The secret (never logged: `Debug` hides it).
    pub secret: String,
    /// Sent with HTTP Basic (the error then carries a `WWW-Authenticate` challenge).
    pub basic: bool,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented")
            .field("id", &self.id)
            .field("basic", &self.basic)
            .finish_non_exhaustive()
    }
}

fn unauthenticated(why: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, why.to_owned())
}

fn form_decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    String::from_utf8(percent_decode(spaced.as_bytes()).collect()).ok()
}

/// Reads the credentials; `invalid_client` when there are none or they are malformed,
/// `invalid_request` when two methods are used at once.
///
/// ```
/// use axum::http::{header, HeaderMap, HeaderValue};
/// use scitokens_issuer::oauth::{presented_client, Form};
/// let mut headers = HeaderMap::new();
/// // base64("svc:s%3Acret"): the secret is form-encoded before base64 (RFC 6749 §2.3.1).
/// headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic c3ZjOnMlM0FjcmV0"));
/// let client = presented_client(&headers, &Form::default()).unwrap();
/// assert_eq!((client.id.as_str(), client.secret.as_str(), client.basic), ("svc", "s:cret", true));
/// ```
pub fn presented_client(headers: &HeaderMap, form: &Form) -> Result<Presented, OAuthError> {
    let form_id = form.get("client_id")?;
    let form_secret = form.get("client_secret")?;
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| unauthenticated("Authorization header is not ASCII"))?;
        let (scheme, encoded) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(unauthenticated("Authorization must use the Basic scheme"));
        }
        if form_secret.is_some() {
            return Err(OAuthError::request(
                "client authenticated twice: HTTP Basic and client_secret",
            ));
        }
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| unauthenticated("Basic credentials are not base64 of UTF-8 text"))
            .map_err(OAuthError::with_basic_challenge)?;
        let (id, secret) = decoded
            .split_once(':')
            .and_then(|(i, s)| Some((form_decode(i)?, form_decode(s)?)))
            .ok_or_else(|| {
                unauthenticated("Basic credentials must be client_id:client_secret")
                    .with_basic_challenge()
            })?;
        if form_id.is_some_and(|f| f != id) {
            return Err(OAuthError::request(
                "client_id in the body differs from the one in Authorization",
            ));
        }
        return Ok(Presented {
            id,
            secret,
            basic: true,
        });
    }
    match (form_id, form_secret) {
        (Some(id), Some(secret)) => Ok(Presented {
            id: id.to_owned(),
            secret: secret.to_owned(),
            basic: false,
        }),
        _ => Err(unauthenticated(
            "client authentication is required (HTTP Basic or client_id and client_secret)",
        )
        .with_basic_challenge()),
    }
}

/// The `client_id` of a request that carries no client authentication at all (no
/// `Authorization` header, no `client_secret`): how a public client identifies itself
/// (RFC 6749 §2.3, §3.2.1). `None` when there is authentication, or no `client_id`.
pub fn public_client_id<'f>(
    headers: &HeaderMap,
    form: &'f Form,
) -> Result<Option<&'f str>, OAuthError> {
    if headers.contains_key(header::AUTHORIZATION) || form.get("client_secret")?.is_some() {
        return Ok(None);
    }
    form.get("client_id")
}
