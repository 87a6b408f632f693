//! `refresh_token` (RFC 6749 §6) with rotation: each use gives a new refresh token and spends
//! the old one; a spent one presented again revokes its whole family (OAuth 2.0 Security BCP
//! §4.14.2). A `scope` parameter may narrow, never widen, the family's scopes.

use scitokens_format::scope::Scope;
use scitokens_format::UnixTime;

use super::store_failed;
use crate::oauth::{Form, OAuthError};
use crate::policy::{narrow, ClientPolicy};
use crate::secret::{new_secret, token_digest};
use crate::service::{Issuer, Mint, TokenResponse};
use crate::store::Redeemed;

impl Issuer {
    pub(crate) async fn refresh(
        &self,
        client: &ClientPolicy,
        form: &Form,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let presented = form.require("refresh_token")?;
        // A narrowing `scope` is checked before the token is spent: a refused request must
        // leave the client its refresh token. A family's scope never changes.
        let narrowed = match form.get("scope")? {
            None => None,
            Some(requested) => {
                let granted = self
                    .store
                    .family_scope(token_digest(presented))
                    .await
                    .map_err(store_failed)?
                    .ok_or_else(|| OAuthError::grant("refresh_token: unknown"))?;
                Some(narrow_family(&granted, requested)?)
            }
        };
        let next = new_secret().map_err(store_failed)?;
        let redeemed = self
            .store
            .redeem(
                token_digest(presented),
                client.id(),
                token_digest(&next),
                self.config.tokens.refresh_idle,
                now,
            )
            .await
            .map_err(store_failed)?;
        let family = match redeemed {
            Redeemed::Rotated(family) => family,
            Redeemed::Refused(reason) => return Err(OAuthError::grant(reason)),
            Redeemed::Replayed => {
                self.metrics.replay();
                tracing::warn!(
                    client = client.id(),
                    "refresh token replayed; family revoked"
                );
                return Err(OAuthError::grant(
                    "refresh_token: already used; every token of its grant is now revoked",
                ));
            }
        };
        let scope = narrowed.unwrap_or_else(|| family.scope.clone());
        let access_token = self.mint(
            Mint {
                profile: client.profile(),
                subject: &family.subject,
                scope: &scope,
                audiences: &family.audiences,
                lifetime: client.lifetime(),
                client_id: client.id(),
                act: None,
            },
            now,
        )?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: client.lifetime().as_secs(),
            scope,
            refresh_token: Some(next),
            issued_token_type: None,
        })
    }
}

/// The requested scopes within a family's stored `scope` claim.
fn narrow_family(granted: &str, requested: &str) -> Result<String, OAuthError> {
    let granted = Scope::parse_list(granted).map_err(|e| {
        tracing::error!(error = %e, "stored scope");
        OAuthError::server()
    })?;
    narrow(&granted, requested, "what was granted")
}
