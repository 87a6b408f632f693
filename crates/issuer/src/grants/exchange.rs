//! Token exchange (RFC 8693), attenuation only: the subject token must be this issuer's,
//! valid and not revoked; the new token's scopes must each be included (path-aware) in the
//! subject's, its audiences among the subject's (unless that was the profile's "any"), its
//! `exp` no later than the subject's; `act` names the exchanging client over any earlier actor.

use std::time::Duration;

use serde_json::json;

use scitokens_format::scope::Scope;
use scitokens_format::{names, Profile, UnixTime, Untrusted, UnverifiedToken};

use super::{store_failed, ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE};
use crate::oauth::{ErrorCode, Form, OAuthError};
use crate::policy::{join_scopes, narrow, ClientPolicy, OFFLINE_ACCESS};
use crate::service::{Issuer, Mint, TokenResponse};

/// Clock skew allowed on the subject token's `nbf`.
const NBF_LEEWAY: i64 = 60;

fn subject_refused(why: impl std::fmt::Display) -> OAuthError {
    OAuthError::grant(format!("subject_token: {why}"))
}

impl Issuer {
    pub(crate) async fn exchange(
        &self,
        client: &ClientPolicy,
        form: &Form,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let subject_type = form.require("subject_token_type")?;
        if subject_type != ACCESS_TOKEN_TYPE && subject_type != JWT_TOKEN_TYPE {
            return Err(OAuthError::request(format!(
                "subject_token_type {} is not supported (access_token or jwt)",
                Untrusted::new(subject_type)
            )));
        }
        if let Some(requested) = form.get("requested_token_type")? {
            if requested != ACCESS_TOKEN_TYPE && requested != JWT_TOKEN_TYPE {
                return Err(OAuthError::request(format!(
                    "requested_token_type {} is not issued by token exchange (access_token or jwt)",
                    Untrusted::new(requested)
                )));
            }
        }
        if form.get("actor_token")?.is_some() {
            return Err(OAuthError::request(
                "actor_token is not supported: the authenticated client is the actor",
            ));
        }

        // The subject token: ours, signed by a published key, in its lifetime, not revoked.
        let keys = self.keys().verifying_set(now);
        let subject = UnverifiedToken::parse(form.require("subject_token")?)
            .and_then(|t| t.verify(&keys))
            .map_err(subject_refused)?;
        let claims = subject.claims();
        if claims.iss().optional(names::ISS).ok().flatten() != Some(self.config.issuer.as_str()) {
            return Err(subject_refused("not issued by this issuer"));
        }
        let exp = claims.exp().require(names::EXP).map_err(subject_refused)?;
        if exp <= now {
            return Err(subject_refused("expired"));
        }
        if let Some(nbf) = claims.nbf().optional(names::NBF).map_err(subject_refused)? {
            if nbf.secs_since(now) > NBF_LEEWAY {
                return Err(subject_refused("not yet valid"));
            }
        }
        let jti = claims.jti().optional(names::JTI).map_err(subject_refused)?;
        if let Some(jti) = jti {
            if self.store.jti_revoked(jti).await.map_err(store_failed)? {
                return Err(subject_refused("revoked"));
            }
        }
        let profile = Profile::detect(subject.header(), claims).map_err(subject_refused)?;

        // Scopes: each requested one within the subject's.
        let held = match claims
            .scope()
            .optional(names::SCOPE)
            .map_err(subject_refused)?
        {
            Some(text) => Scope::parse_list(text).map_err(subject_refused)?,
            None => Vec::new(),
        };
        let scope = match form.get("scope")? {
            None => join_scopes(&held),
            Some(requested) => {
                if requested.split(' ').any(|e| e == OFFLINE_ACCESS) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "offline_access: token exchange issues access tokens only",
                    ));
                }
                narrow(&held, requested, "the subject token's scopes")?
            }
        };

        // Audiences: narrowed, or kept.
        let held_aud: Vec<String> = match claims.aud().optional(names::AUD) {
            Ok(Some(aud)) => aud.values().map(str::to_owned).collect(),
            Ok(None) => Vec::new(),
            Err(e) => return Err(subject_refused(e)),
        };
        let any = profile.any_audience();
        let mut asked = form.all("audience");
        asked.extend(form.all("resource"));
        let audiences = if asked.is_empty() {
            held_aud
        } else {
            let open = held_aud.is_empty() || any.is_some_and(|a| held_aud.iter().any(|h| h == a));
            if let Some(wider) = asked.iter().find(|a| !open && !held_aud.contains(a)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    format!(
                        "audience: {} is not among the subject token's audiences",
                        Untrusted::new(wider)
                    ),
                ));
            }
            asked.dedup();
            asked
        };

        // Lifetime: the client's, cut at the subject's expiry.
        let remaining = Duration::from_secs(u64::try_from(exp.secs_since(now)).unwrap_or(0));
        let lifetime = client.lifetime().min(remaining);
        if lifetime < Duration::from_secs(1) {
            return Err(subject_refused("expires in under a second"));
        }
        let sub = claims
            .sub()
            .optional(names::SUB)
            .map_err(subject_refused)?
            .unwrap_or("");
        let mut act = json!({ "sub": client.id() });
        if let Some(earlier) = claims.get("act") {
            act["act"] = earlier.clone();
        }
        let access_token = self.mint(
            Mint {
                profile,
                subject: sub,
                scope: &scope,
                audiences: &audiences,
                lifetime,
                client_id: client.id(),
                act: Some(act),
            },
            now,
        )?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: lifetime.as_secs(),
            scope,
            refresh_token: None,
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
        })
    }
}
