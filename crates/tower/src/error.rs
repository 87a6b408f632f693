//! Why a request was not let through, and the RFC 6750 answer for each.

use axum::body::Body;
use axum::response::Response;
use http::{header, HeaderValue, StatusCode};
use scitokens_enforce::EnforceError;
use scitokens_format::Fault;

/// The realm named in every `WWW-Authenticate` challenge.
pub const REALM: &str = "scitokens";

/// A refusal: what the client is told (RFC 6750 §3).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No token in `Authorization` or `authz`: 401 `invalid_token` (as issue 17 specifies; RFC
    /// 6750 §3.1 only recommends leaving the code out for a request without credentials).
    #[error("no bearer token in Authorization or the authz parameter")]
    NoToken,
    /// The token is malformed, unverifiable, expired, for another audience...: 401
    /// `invalid_token`.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token is valid but does not allow this request: 403 `insufficient_scope`, naming
    /// the scope that would.
    #[error("insufficient scope: needs {needed}")]
    InsufficientScope {
        /// The scope that would allow it, as `operation:path`.
        needed: String,
    },
    /// The request cannot be judged (a malformed path or `Destination`): 400
    /// `invalid_request`.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The path lies outside the protected base path: 404.
    #[error("outside the protected tree")]
    OutsideBase,
    /// The method has no operation in the WebDAV table: 405.
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    /// The server could not judge the token (keys unavailable): 503.
    #[error("cannot verify tokens now: {0}")]
    Unavailable(String),
}

impl Refusal {
    /// The refusal for an enforcer error, by whose fault it is.
    pub fn from_enforce(e: &EnforceError) -> Refusal {
        match e.fault() {
            Fault::Token => Refusal::InvalidToken(e.to_string()),
            Fault::Request => Refusal::InvalidRequest(e.to_string()),
            Fault::Server => Refusal::Unavailable(e.to_string()),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::NoToken | Refusal::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Refusal::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Refusal::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Refusal::OutsideBase => StatusCode::NOT_FOUND,
            Refusal::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `WWW-Authenticate` value, if the status calls for one.
    ///
    /// ```
    /// use scitokens_tower::Refusal;
    /// assert_eq!(
    ///     Refusal::NoToken.challenge().unwrap(),
    ///     "Bearer realm=\"scitokens\", error=\"invalid_token\", \
    ///      error_description=\"no bearer token in Authorization or the authz parameter\""
    /// );
    /// let denied = Refusal::InsufficientScope { needed: "read:/data/x".into() };
    /// assert_eq!(
    ///     denied.challenge().unwrap(),
    ///     "Bearer realm=\"scitokens\", error=\"insufficient_scope\", scope=\"read:/data/x\""
    /// );
    /// ```
    pub fn challenge(&self) -> Option<String> {
        match self {
            Refusal::NoToken => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{self}\""
            )),
            Refusal::InvalidToken(why) => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{}\"",
                quoted(why)
            )),
            Refusal::InsufficientScope { needed } => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{}\"",
                quoted(needed)
            )),
            Refusal::InvalidRequest(why) => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_request\", error_description=\"{}\"",
                quoted(why)
            )),
            _ => None,
        }
    }

    /// The response: status, challenge, and the reason as plain text.
    pub fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(format!("{self}\n")));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let Some(value) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Text safe inside a quoted header parameter (RFC 6750's `error_description` allows
/// printable ASCII but `"` and `\`): anything else becomes `?`, cut to 200 characters.
fn quoted(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| {
            if (' '..='~').contains(&c) && c != '"' && c != '\\' {
                c
            } else {
                '?'
            }
        })
        .collect()
}
