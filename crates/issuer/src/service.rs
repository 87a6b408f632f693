//! The issuer's state and its protocol logic, independent of HTTP: the token endpoint's grants,
//! revocation, discovery metadata and the JWKS. `http` only moves bytes to and from here.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::{json, Value};

use scitokens_format::{Clock, Profile, SigningKey, SystemClock, TokenBuilder, UnixTime};

use crate::clients::ClientRegistry;
use crate::config::Config;
use crate::error::Result;
use crate::keys::KeyRing;
use crate::limits::Limits;
use crate::login::upstream::Upstream;
use crate::metrics::Metrics;
use crate::oauth::{presented_client, public_client_id, ErrorCode, Form, OAuthError};
use crate::policy::{ClientPolicy, GrantType};
use crate::store::Store;
use crate::web::session::{Sealer, COOKIE_KEY_NAME};
use crate::web::Pages;

/// A successful token response (RFC 6749 §5.1, RFC 8693 §2.2.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    /// The signed JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until `exp`.
    pub expires_in: u64,
    /// The scopes granted.
    pub scope: String,
    /// A new refresh token, when one was asked for and allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// For token exchange: the type of `access_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// What to mint: the parts a grant decides.
pub(crate) struct Mint<'a> {
    pub profile: Profile,
    pub subject: &'a str,
    pub scope: &'a str,
    pub audiences: &'a [String],
    pub lifetime: Duration,
    pub client_id: &'a str,
    pub act: Option<Value>,
}

/// The running issuer's shared state.
pub struct Issuer {
    pub(crate) config: Config,
    pub(crate) sealer: Sealer,
    pub(crate) upstream: Option<Upstream>,
    pub(crate) pages: Pages,
    pub(crate) store: Store,
    keys: RwLock<Arc<KeyRing>>,
    pub(crate) clients: ClientRegistry,
    pub(crate) limits: Limits,
    pub(crate) metrics: Metrics,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// Opens the store and loads keys and clients.
    pub async fn open(config: Config) -> Result<Issuer> {
        let store = Store::open(&config.database).await?;
        Issuer::with_store(config, store, Arc::new(SystemClock)).await
    }

    /// An issuer on this store and clock (tests move the clock).
    pub async fn with_store(config: Config, store: Store, clock: Arc<dyn Clock>) -> Result<Issuer> {
        let ring = KeyRing::from_rows(&store.keys().await?, config.tokens.max_lifetime)?;
        let metrics = Metrics::new();
        let clients = ClientRegistry::new(store.clients().await?, metrics.secret_verifications())?;
        let sealer = Sealer::new(&store.shared_secret(COOKIE_KEY_NAME).await?);
        let upstream = match config.login.as_ref().and_then(|l| l.upstream.clone()) {
            Some(u) => Some(Upstream::new(u, Arc::clone(&clock)).map_err(|e| {
                crate::IssuerError::config(&config.path, format!("login.upstream: {e}"))
            })?),
            None => None,
        };
        let pages = Pages::new(&config.device)?;
        Ok(Issuer {
            sealer,
            upstream,
            pages,
            limits: Limits::new(&config.limits),
            metrics,
            keys: RwLock::new(Arc::new(ring)),
            clients,
            store,
            config,
            clock,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The current time.
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// The clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// The loaded keys.
    pub fn keys(&self) -> Arc<KeyRing> {
        Arc::clone(&self.keys.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Rereads keys and clients from the store, prunes what expired, forgets idle rate-limit
    /// state. Runs every `keys.reload_secs`.
    pub async fn reload(&self) -> Result<()> {
        let ring = KeyRing::from_rows(&self.store.keys().await?, self.config.tokens.max_lifetime)?;
        let now = self.now();
        let retired = ring.retired(now);
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(ring);
        self.clients.replace(self.store.clients().await?);
        if !retired.is_empty() {
            tracing::info!(kids = ?retired, "pruning retired signing keys");
            self.store.remove_keys(retired).await?;
        }
        self.store.prune(now).await?;
        self.limits.forget_idle();
        self.pages.forget_idle();
        Ok(())
    }

    /// The signing key now; `server_error` (logged) if none is active.
    pub(crate) fn signer(&self, now: UnixTime) -> Result<SigningKey, OAuthError> {
        self.keys().signer(now).cloned().ok_or_else(|| {
            tracing::error!("no active signing key: run `scitokens-issuer keys rotate`");
            OAuthError::server()
        })
    }

    /// Signs an access token.
    pub(crate) fn mint(&self, m: Mint<'_>, now: UnixTime) -> Result<String, OAuthError> {
        let key = self.signer(now)?;
        let mut builder = TokenBuilder::new(m.profile, &self.config.issuer)
            .subject(m.subject)
            .lifetime(m.lifetime)
            .claim("client_id", json!(m.client_id));
        if !m.scope.is_empty() {
            builder = builder.scope(m.scope);
        }
        for aud in m.audiences {
            builder = builder.audience(aud.clone());
        }
        if let Some(act) = m.act {
            builder = builder.claim("act", act);
        }
        builder.sign(&key, now).map_err(|e| {
            tracing::error!(error = %e, "minting");
            OAuthError::server()
        })
    }

    /// Authenticates the client of a request (a public client by its id alone), applies its
    /// rate limit and finds its policy.
    pub(crate) async fn client(
        &self,
        headers: &HeaderMap,
        form: &Form,
    ) -> Result<&ClientPolicy, OAuthError> {
        if let Some(id) = public_client_id(headers, form)? {
            // A public client's id is no identity (every copy of the tool sends it): it is
            // limited per address only, not as one client.
            if let Some(policy) = self.config.clients.get(id).filter(|p| p.is_public()) {
                return Ok(policy);
            }
        }
        let presented = presented_client(headers, form)?;
        if self
            .config
            .clients
            .get(&presented.id)
            .is_some_and(ClientPolicy::is_public)
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "a public client sends its client_id only, no secret",
            ));
        }
        let id = self.clients.authenticate(&self.store, &presented).await?;
        if let Err(e) = self.limits.client(&id) {
            self.metrics.limited("client");
            return Err(e);
        }
        self.config.clients.get(&id).ok_or_else(|| {
            OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "this client has no policy in the issuer's configuration",
            )
        })
    }

    /// Counts a request from `address`; `429` past its limit.
    pub fn admit(&self, address: IpAddr) -> Result<(), OAuthError> {
        self.limits
            .address(address)
            .inspect_err(|_| self.metrics.limited("address"))
    }

    /// The token endpoint: a form body and its headers.
    pub async fn token(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<TokenResponse, OAuthError> {
        let form = Form::parse(headers, body)?;
        let grant = form.require("grant_type")?;
        let Some(grant) = GrantType::from_wire(grant) else {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type {} is not supported",
                    scitokens_format::Untrusted::new(grant)
                ),
            ));
        };
        let client = self.client(headers, &form).await?;
        client.allow(grant)?;
        let now = self.now();
        let response = match grant {
            GrantType::ClientCredentials => self.client_credentials(client, &form, now).await,
            GrantType::RefreshToken => self.refresh(client, &form, now).await,
            GrantType::TokenExchange => self.exchange(client, &form, now).await,
            GrantType::DeviceCode => self.device_code(client, &form, now).await,
        }?;
        self.metrics.issued(grant.name());
        Ok(response)
    }

    /// The revocation endpoint (RFC 7009).
    pub async fn revoke(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
        let form = Form::parse(headers, body)?;
        let client = self.client(headers, &form).await?;
        self.revoke_token(client, &form).await
    }

    /// Discovery metadata (RFC 8414; the same document at the OpenID path).
    pub fn metadata(&self) -> Value {
        let iss = &self.config.issuer;
        let mut auth_methods = vec!["client_secret_basic", "client_secret_post"];
        if self.config.clients.values().any(ClientPolicy::is_public) {
            auth_methods.push("none");
        }
        let mut meta = json!({
            "issuer": iss,
            "jwks_uri": format!("{iss}/jwks"),
            "token_endpoint": format!("{iss}/token"),
            "revocation_endpoint": format!("{iss}/revoke"),
            "grant_types_supported": GrantType::ALL
                .iter()
                .filter(|g| **g != GrantType::DeviceCode || self.config.login.is_some())
                .map(|g| g.wire_name())
                .collect::<Vec<_>>(),
            "token_endpoint_auth_methods_supported": auth_methods,
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": [],
            "scopes_supported": ["offline_access"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "subject_types_supported": ["public"],
        });
        if self.config.login.is_some() {
            meta["device_authorization_endpoint"] = json!(format!("{iss}/device_authorization"));
        }
        meta
    }

    /// The JWKS document now.
    pub fn jwks(&self) -> Result<String, OAuthError> {
        self.keys().jwks(self.now()).map_err(|e| {
            tracing::error!(error = %e, "writing the JWKS");
            OAuthError::server()
        })
    }
}
