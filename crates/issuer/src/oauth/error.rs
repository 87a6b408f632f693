//! RFC 6749 §5.2 error responses: a code, a description that names the parameter at fault
//! (untrusted text truncated), the right status, and `Cache-Control: no-store`.

use std::fmt;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The `error` codes this issuer answers with (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8707 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A parameter is missing, repeated, malformed, or the request is not a form.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The grant (refresh token, subject token) is invalid, expired, revoked or not the
    /// client's.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// The grant type is unknown.
    UnsupportedGrantType,
    /// A requested scope is malformed or not allowed.
    InvalidScope,
    /// A requested audience is not allowed (RFC 8707).
    InvalidTarget,
    /// The token type is not one this server revokes or exchanges.
    UnsupportedTokenType,
    /// Device flow: the person has not decided yet; poll again (RFC 8628 §3.5).
    AuthorizationPending,
    /// Device flow: polling too fast; add 5 seconds to the interval.
    SlowDown,
    /// Device flow: the person denied the request.
    AccessDenied,
    /// Device flow: the device code expired; start again.
    ExpiredToken,
    /// Too many requests; retry after the time given.
    TemporarilyUnavailable,
    /// The server failed; nothing about the request is implied.
    ServerError,
}

impl ErrorCode {
    /// The code as written in the `error` member.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ExpiredToken => "expired_token",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::ServerError => "server_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::TemporarilyUnavailable => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error answer.
///
/// ```
/// use scitokens_issuer::oauth::{ErrorCode, OAuthError};
/// let e = OAuthError::new(ErrorCode::InvalidScope, "scope: read:/x is not allowed");
/// assert_eq!(e.code(), ErrorCode::InvalidScope);
/// assert_eq!(e.to_string(), "invalid_scope: scope: read:/x is not allowed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    code: ErrorCode,
    description: String,
    retry_after: Option<u64>,
    basic_challenge: bool,
}

impl OAuthError {
    /// An error with this code and description.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            retry_after: None,
            basic_challenge: false,
        }
    }

    /// `invalid_request` naming what is wrong.
    pub fn request(description: impl Into<String>) -> Self {
        OAuthError::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant` naming what is wrong.
    pub fn grant(description: impl Into<String>) -> Self {
        OAuthError::new(ErrorCode::InvalidGrant, description)
    }

    /// `server_error`: the details go to the log, not to the client.
    pub fn server() -> Self {
        OAuthError::new(ErrorCode::ServerError, "the issuer failed; see its log")
    }

    /// `429` with `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = OAuthError::new(ErrorCode::TemporarilyUnavailable, "rate limit exceeded");
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// Adds `WWW-Authenticate: Basic` (the client authenticated with HTTP Basic, RFC 6749 §5.2).
    pub fn with_basic_challenge(mut self) -> Self {
        self.basic_challenge = true;
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        });
        let mut response = (self.code.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.basic_challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"token\", charset=\"UTF-8\""),
            );
        }
        response
    }
}
