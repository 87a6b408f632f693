//! What an authorized request carries: [`Authorized`], in its extensions and as an axum
//! extractor.

use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::StatusCode;
use scitokens_enforce::Grants;
use scitokens_format::{Claims, UnverifiedToken};

/// A request the layer let through: the token's grants, its claims, and the paths as the
/// scopes saw them (decoded once, normalized, relative to the base path). Handlers must use
/// these paths, not the raw URI, so that what was authorized is what is served.
#[derive(Clone)]
pub struct Authorized {
    grants: Arc<Grants>,
    token: Arc<str>,
    claims: Arc<OnceLock<Option<Claims>>>,
    path: Arc<str>,
    destination: Option<Arc<str>>,
}

impl std::fmt::Debug for Authorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorized")
            .field("path", &self.path)
            .field("destination", &self.destination)
            .finish_non_exhaustive()
    }
}

impl Authorized {
    pub(crate) fn new(
        grants: Arc<Grants>,
        token: String,
        path: String,
        destination: Option<String>,
    ) -> Self {
        Authorized {
            grants,
            token: token.into(),
            claims: Arc::new(OnceLock::new()),
            path: path.into(),
            destination: destination.map(Into::into),
        }
    }

    /// The token's grants (its scopes, profile and expiry).
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// The token's claims, decoded on first use (the signature was checked by the layer).
    pub fn claims(&self) -> Option<&Claims> {
        self.claims
            .get_or_init(|| {
                UnverifiedToken::parse(&self.token)
                    .ok()
                    .map(|t| t.claims().clone())
            })
            .as_ref()
    }

    /// The `sub` claim, if any.
    pub fn subject(&self) -> Option<&str> {
        self.claims()?.sub().optional("sub").ok().flatten()
    }

    /// The request's path as authorized: decoded, normalized, relative to the base path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `Destination` path as authorized, for `COPY` and `MOVE`.
    pub fn destination(&self) -> Option<&str> {
        self.destination.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Authorized>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "this route is not behind a ScitokensLayer\n",
        ))
    }
}
