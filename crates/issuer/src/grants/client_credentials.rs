//! `client_credentials` (RFC 6749 §4.4): the client is the subject; its policy bounds the
//! scopes and audiences; `offline_access` adds a refresh token where the policy allows.

use scitokens_format::UnixTime;

use crate::oauth::{Form, OAuthError};
use crate::policy::ClientPolicy;
use crate::service::{Issuer, TokenResponse};

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
        self.issue_new(
            client,
            client.id(),
            granted.scope_claim(),
            &audiences,
            granted.refresh,
            now,
        )
        .await
    }
}
