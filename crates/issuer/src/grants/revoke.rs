//! Revocation (RFC 7009). A refresh token revokes its whole family. An access token of this
//! issuer has its `jti` recorded until it expires: it can no longer be exchanged (verifiers
//! elsewhere do not consult the issuer; short lifetimes bound such tokens). Unknown or foreign
//! tokens get `200` as the RFC asks; another client's token is refused and left alone.

use scitokens_format::{names, UnverifiedToken};

use super::store_failed;
use crate::oauth::{ErrorCode, Form, OAuthError};
use crate::policy::ClientPolicy;
use crate::secret::token_digest;
use crate::service::Issuer;
use crate::store::Revoked;

fn not_yours() -> OAuthError {
    OAuthError::new(
        ErrorCode::UnauthorizedClient,
        "token: issued to another client",
    )
}

impl Issuer {
    pub(crate) async fn revoke_token(
        &self,
        client: &ClientPolicy,
        form: &Form,
    ) -> Result<(), OAuthError> {
        let token = form.require("token")?;
        let now = self.now();
        // A JWT has two dots; a refresh token (base64url) has none.
        if token.contains('.') {
            let keys = self.keys().verifying_set(now);
            let Ok(verified) = UnverifiedToken::parse(token).and_then(|t| t.verify(&keys)) else {
                return Ok(());
            };
            let claims = verified.claims();
            if claims
                .string("client_id")
                .optional("client_id")
                .ok()
                .flatten()
                != Some(client.id())
            {
                return Err(not_yours());
            }
            let (Ok(Some(jti)), Ok(Some(exp))) = (
                claims.jti().optional(names::JTI),
                claims.exp().optional(names::EXP),
            ) else {
                return Ok(());
            };
            if exp > now {
                self.store
                    .revoke_jti(jti, exp)
                    .await
                    .map_err(store_failed)?;
                self.metrics.revocation();
            }
            return Ok(());
        }
        match self
            .store
            .revoke_refresh(token_digest(token), client.id(), now)
            .await
            .map_err(store_failed)?
        {
            Revoked::Done => {
                self.metrics.revocation();
                Ok(())
            }
            Revoked::Unknown => Ok(()),
            Revoked::OtherClient => Err(not_yours()),
        }
    }
}
