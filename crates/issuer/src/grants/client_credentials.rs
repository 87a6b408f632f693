//! `client_credentials` (RFC 6749 §4.4): the client is the subject; its policy bounds the
//! scopes and audiences; `offline_access` adds a refresh token where the policy allows.

use scitokens_format::UnixTime;

use crate::oauth::{Form, OAuthError};
use crate::policy::ClientPolicy;
use crate::service::{Issuer, Mint, TokenResponse};

impl Issuer {
    pub(crate) async fn client_credentials(
        &self,
        client: &ClientPolicy,
        form: &Form,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let granted = client.grant_scopes(form.get("scope")?)?;
        let mut asked = form.all("audience");
        asked.extend(form.all("resource"));
        let audiences = client.grant_audiences(&asked)?;
        let scope = granted.scope_claim();
        let access_token = self.mint(
            Mint {
                profile: client.profile(),
                subject: client.id(),
                scope: &scope,
                audiences: &audiences,
                lifetime: client.lifetime(),
                client_id: client.id(),
                act: None,
            },
            now,
        )?;
        let refresh_token = if granted.refresh {
            Some(
                self.start_family(client.id(), client.id(), &scope, &audiences, now)
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
