//! The token endpoint's grants and the revocation endpoint, one file each; every one is an
//! `impl Issuer` block over the shared state in `service`.

mod client_credentials;
mod device;
mod exchange;
mod refresh;
mod revoke;

use scitokens_format::UnixTime;

use crate::oauth::OAuthError;
use crate::policy::ClientPolicy;
use crate::secret::{new_secret, token_digest};
use crate::service::{Issuer, Mint, TokenResponse};
use crate::store::Family;

pub use device::{
    new_user_code, normalize_user_code, show_user_code, DeviceAuthorization, USER_CODE_ALPHABET,
    USER_CODE_LEN,
};

/// Token types of RFC 8693 §3.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// A JWT (RFC 8693 §3).
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// A refresh token (RFC 8693 §3).
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";

/// Logs a store failure and answers `server_error`.
pub(crate) fn store_failed(e: crate::error::IssuerError) -> OAuthError {
    tracing::error!(error = %e, "state database");
    OAuthError::server()
}

impl Issuer {
    /// Starts a refresh-token family for a grant; returns its first token.
    async fn start_family(
        &self,
        client_id: &str,
        subject: &str,
        scope: &str,
        audiences: &[String],
        now: UnixTime,
    ) -> Result<String, OAuthError> {
        let token = new_secret().map_err(store_failed)?;
        let id = scitokens_format::new_jti().map_err(|e| {
            tracing::error!(error = %e, "random family id");
            OAuthError::server()
        })?;
        let tokens = &self.config.tokens;
        let family = Family {
            id,
            client_id: client_id.to_owned(),
            subject: subject.to_owned(),
            scope: scope.to_owned(),
            audiences: audiences.to_vec(),
            expires_at: now.saturating_add(tokens.refresh_absolute),
        };
        let first_expires = now.saturating_add(tokens.refresh_idle);
        self.store
            .start_family(family, token_digest(&token), first_expires, now)
            .await
            .map_err(store_failed)?;
        Ok(token)
    }

    /// A client's access token for `subject` and, when `refresh`, the first refresh token of a
    /// new family: the answer of every grant that starts a grant (client credentials, device
    /// code).
    async fn issue_new(
        &self,
        client: &ClientPolicy,
        subject: &str,
        scope: String,
        audiences: &[String],
        refresh: bool,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let access_token = self.mint(
            Mint {
                profile: client.profile(),
                subject,
                scope: &scope,
                audiences,
                lifetime: client.lifetime(),
                client_id: client.id(),
                act: None,
            },
            now,
        )?;
        let refresh_token = if refresh {
            Some(
                self.start_family(client.id(), subject, &scope, audiences, now)
                    .await?,
            )
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: client.lifetime().as_secs(),
            scope,
            refresh_token,
            issued_token_type: None,
        })
    }
}
