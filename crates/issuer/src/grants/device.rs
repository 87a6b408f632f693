//! The device authorization grant (RFC 8628): a client on a machine without a browser asks for
//! a device code and a user code; a person enters the user code on the issuer's pages, logs in
//! and approves; the client, polling the token endpoint, then receives a token carrying what the
//! person's login rules give them. User codes are 8 letters from 20 consonants (no vowels, so no
//! words; no look-alike digits), shown as `BCDF-GHJK`, typed in any case with or without the
//! dash; about 34 bits, good for `code_lifetime_secs` against the per-address attempt limit.

use serde::Serialize;

use scitokens_format::UnixTime;

use super::store_failed;
use crate::oauth::{ErrorCode, Form, OAuthError};
use crate::policy::{parse_requested, ClientPolicy, GrantType, OFFLINE_ACCESS};
use crate::secret::{new_secret, random_bytes, token_digest};
use crate::service::{Issuer, TokenResponse};
use crate::store::{DeviceRequest, Polled};

/// The letters of user codes (RFC 8628 §6.1's example set).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code.
pub const USER_CODE_LEN: usize = 8;

/// The answer of the device authorization endpoint (RFC 8628 §3.2).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceAuthorization {
    /// The code the client polls with.
    pub device_code: String,
    /// The code the person types, as shown (`BCDF-GHJK`).
    pub user_code: String,
    /// The page where the person types it.
    pub verification_uri: String,
    /// The same page with the code filled in.
    pub verification_uri_complete: String,
    /// Seconds until both codes expire.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
}

/// A new random user code, normalized (no dash).
pub fn new_user_code() -> crate::Result<String> {
    let mut code = String::with_capacity(USER_CODE_LEN);
    while code.len() < USER_CODE_LEN {
        for b in random_bytes::<16>()? {
            // 240 = 12 * 20: rejecting the rest keeps every letter equally likely.
            if b < 240 && code.len() < USER_CODE_LEN {
                code.push(USER_CODE_ALPHABET[usize::from(b % 20)] as char);
            }
        }
    }
    Ok(code)
}

/// A user code as typed (any case, dashes and spaces anywhere), normalized; `None` if it cannot
/// be one.
///
/// ```
/// use scitokens_issuer::grants::{normalize_user_code, show_user_code};
/// assert_eq!(normalize_user_code(" bcdf-ghjk ").as_deref(), Some("BCDFGHJK"));
/// assert_eq!(normalize_user_code("BCDFGHJ"), None); // too short
/// assert_eq!(normalize_user_code("ABCDEFGH"), None); // vowels are never in a code
/// assert_eq!(show_user_code("BCDFGHJK"), "BCDF-GHJK");
/// ```
pub fn normalize_user_code(typed: &str) -> Option<String> {
    if typed.len() > 32 {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// A normalized user code as shown to people: `BCDF-GHJK`.
pub fn show_user_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(USER_CODE_LEN / 2));
    format!("{a}-{b}")
}

impl Issuer {
    /// The device authorization endpoint: a form body and its headers.
    pub async fn device_authorization(
        &self,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<DeviceAuthorization, OAuthError> {
        let form = Form::parse(headers, body)?;
        let client = self.client(headers, &form).await?;
        client.allow(GrantType::DeviceCode)?;
        let scope = form.get("scope")?;
        for entry in scope.unwrap_or("").split(' ').filter(|e| !e.is_empty()) {
            if entry != OFFLINE_ACCESS {
                parse_requested(entry)?;
            }
        }
        let mut asked = form.all("audience");
        asked.extend(form.all("resource"));
        let audiences = client.grant_audiences(&asked)?;
        let now = self.now();
        let lifetime = self.config.device.code_lifetime_secs;
        let device_code = new_secret().map_err(store_failed)?;
        for _ in 0..8 {
            let user_code = new_user_code().map_err(store_failed)?;
            let request = DeviceRequest {
                device_digest: token_digest(&device_code),
                user_code: user_code.clone(),
                client_id: client.id().to_owned(),
                scope: scope.map(str::to_owned),
                audiences: audiences.clone(),
                expires_at: now.saturating_add(std::time::Duration::from_secs(lifetime)),
                interval: self.config.device.interval_secs,
            };
            if self
                .store
                .add_device(request, now)
                .await
                .map_err(store_failed)?
            {
                let shown = show_user_code(&user_code);
                let page = format!("{}/device", self.config.issuer);
                return Ok(DeviceAuthorization {
                    device_code,
                    verification_uri_complete: format!("{page}?user_code={shown}"),
                    verification_uri: page,
                    user_code: shown,
                    expires_in: lifetime,
                    interval: self.config.device.interval_secs,
                });
            }
        }
        tracing::error!("eight user codes in a row were taken");
        Err(OAuthError::server())
    }

    /// The token endpoint's `device_code` grant: one poll.
    pub(crate) async fn device_code(
        &self,
        client: &ClientPolicy,
        form: &Form,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let code = form.require("device_code")?;
        let polled = self
            .store
            .poll_device(token_digest(code), client.id(), now)
            .await
            .map_err(store_failed)?;
        let (requested, subject, scope, audiences) = match polled {
            Polled::Approved {
                requested,
                subject,
                scope,
                audiences,
            } => (requested, subject, scope, audiences),
            Polled::Pending => {
                return Err(OAuthError::new(
                    ErrorCode::AuthorizationPending,
                    "the person has not approved the request yet",
                ))
            }
            Polled::SlowDown => {
                return Err(OAuthError::new(
                    ErrorCode::SlowDown,
                    "polling faster than the interval; add 5 seconds to it",
                ))
            }
            Polled::Denied => {
                return Err(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the person denied the request",
                ))
            }
            Polled::Expired => {
                return Err(OAuthError::new(
                    ErrorCode::ExpiredToken,
                    "device_code: expired; start again",
                ))
            }
            Polled::Unknown => {
                return Err(OAuthError::grant(
                    "device_code: unknown, another client's, or already redeemed",
                ))
            }
        };
        let refresh = client.may(GrantType::RefreshToken)
            && requested
                .as_deref()
                .is_some_and(|r| r.split(' ').any(|e| e == OFFLINE_ACCESS));
        self.issue_new(client, &subject, scope, &audiences, refresh, now)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_from_the_alphabet_and_vary() {
        let a = new_user_code().unwrap();
        let b = new_user_code().unwrap();
        assert_eq!(a.len(), USER_CODE_LEN);
        assert!(a.bytes().all(|c| USER_CODE_ALPHABET.contains(&c)));
        assert_ne!(a, b);
        assert_eq!(
            normalize_user_code(&show_user_code(&a).to_lowercase()),
            Some(a)
        );
    }
}
