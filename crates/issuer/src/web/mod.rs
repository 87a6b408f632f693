//! The issuer's pages, server-rendered without scripts: the device flow (enter the user code,
//! log in, consent) and the token workbench. Every page is sent with a strict Content Security
//! Policy (no script at all, styles from this origin, forms only to this origin and the
//! upstream provider, no framing), `no-store`, and `no-referrer`; every form carries the
//! session's CSRF token; the session is a sealed cookie (`HttpOnly`, `SameSite=Lax`, `Secure`
//! and `__Host-` over https); redirects go only to this issuer's own pages or the configured
//! provider's authorization endpoint, never to a URL taken from a request.

mod device;
mod login;
mod pages;
pub mod session;
pub mod workbench;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use maud::Markup;
use tokio::sync::Semaphore;

use crate::config::DeviceConfig;
use crate::secret::{hash_secret, new_secret};
use crate::service::Issuer;
use session::Session;

/// The pages' own state: the attempt limiter and what local logins need.
pub struct Pages {
    attempts: DefaultKeyedRateLimiter<IpAddr>,
    /// argon2id runs for logins at once.
    permits: Semaphore,
    /// A hash no password matches, checked for unknown usernames.
    decoy: String,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages")
    }
}

impl Pages {
    /// The pages' state for these settings.
    pub fn new(device: &DeviceConfig) -> crate::Result<Pages> {
        let per_minute = NonZeroU32::new(device.attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        Ok(Pages {
            attempts: RateLimiter::keyed(Quota::per_minute(per_minute)),
            permits: Semaphore::new(crate::clients::argon2_permits()),
            decoy: hash_secret(&new_secret()?)?,
        })
    }

    /// Forgets addresses that made no attempt lately.
    pub fn forget_idle(&self) {
        self.attempts.retain_recent();
        self.attempts.shrink_to_fit();
    }

    /// Counts an attempt (a user code or a login) from `address`; false past the limit.
    pub fn attempt(&self, address: Option<IpAddr>) -> bool {
        address.is_none_or(|a| self.attempts.check_key(&a).is_ok())
    }
}

/// The pages' routes (merged into the issuer's router).
pub fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/device", get(device::enter_code).post(device::submit_code))
        .route("/login", get(login::login_page).post(login::local_login))
        .route("/login/upstream", post(login::upstream_login))
        .route("/login/callback", get(login::upstream_callback))
        .route(
            "/device/consent",
            get(device::consent_page).post(device::decide),
        )
        .route("/workbench", get(workbench::page).post(workbench::analyse))
        .route("/workbench/sample", post(workbench::sample))
        .route("/static/style.css", get(style))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("style.css"),
    )
        .into_response()
}

impl Issuer {
    /// The session cookie's name: `__Host-` prefixed over https.
    pub(crate) fn cookie_name(&self) -> &'static str {
        if self.config.tls.is_some() {
            "__Host-scitokens-session"
        } else {
            "scitokens-session"
        }
    }

    /// The session the request's cookie holds, if valid.
    pub(crate) fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let name = self.cookie_name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(n, _)| *n == name)
            .find_map(|(_, value)| self.sealer.open(name, value, self.now()))
    }

    /// The request's session, or a new one.
    pub(crate) fn session_or_new(&self, headers: &HeaderMap) -> crate::Result<Session> {
        match self.session(headers) {
            Some(s) => Ok(s),
            None => Session::new(self.now(), self.session_lifetime()),
        }
    }

    pub(crate) fn session_lifetime(&self) -> std::time::Duration {
        self.config
            .login
            .as_ref()
            .map_or(crate::login::DEFAULT_SESSION, |l| l.session)
    }

    /// The `Set-Cookie` value that stores `session`.
    fn set_cookie(&self, session: &Session) -> Option<HeaderValue> {
        let name = self.cookie_name();
        let value = match self.sealer.seal(name, session) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "sealing a session");
                return None;
            }
        };
        let secure = if self.config.tls.is_some() {
            "; Secure"
        } else {
            ""
        };
        let max_age = session.exp.saturating_sub(self.now().as_secs()).max(0);
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ))
        .ok()
    }

    /// The Content Security Policy of every page: no scripts, nothing from elsewhere, forms
    /// only to this origin (and the upstream provider, which a login form redirects to).
    fn csp(&self) -> String {
        let mut form_action = "'self'".to_owned();
        if let Some(origin) = self
            .upstream
            .as_ref()
            .and_then(|u| origin(&u.config().issuer))
        {
            form_action.push(' ');
            form_action.push_str(origin);
        }
        format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action {form_action}; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    }

    /// A page: the markup with the security headers and, if given, the session cookie.
    pub(crate) fn page(
        &self,
        status: StatusCode,
        session: Option<&Session>,
        markup: Markup,
    ) -> Response {
        let mut response = (status, axum::response::Html(markup.into_string())).into_response();
        self.harden(&mut response, session);
        response
    }

    /// A `303 See Other` to one of this issuer's pages (`path` is ours, never a request's).
    pub(crate) fn to_page(&self, path: &'static str, session: Option<&Session>) -> Response {
        self.see_other(&format!("{}{path}", self.config.issuer), session)
    }

    /// A `303 See Other` to `url`, which the caller built (this issuer's page, or the upstream
    /// provider's authorization endpoint).
    pub(crate) fn see_other(&self, url: &str, session: Option<&Session>) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(location) = HeaderValue::from_str(url) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        self.harden(&mut response, session);
        response
    }

    fn harden(&self, response: &mut Response, session: Option<&Session>) {
        let headers = response.headers_mut();
        if let Ok(csp) = HeaderValue::from_str(&self.csp()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(cookie) = session.and_then(|s| self.set_cookie(s)) {
            headers.insert(header::SET_COOKIE, cookie);
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    Some(&url[..end])
}

#[cfg(test)]
mod tests {
    #[test]
    fn origin_of_a_url() {
        assert_eq!(
            super::origin("https://idp.example:8443/realms/x"),
            Some("https://idp.example:8443")
        );
        assert_eq!(
            super::origin("https://idp.example"),
            Some("https://idp.example")
        );
        assert_eq!(super::origin("idp"), None);
    }
}
