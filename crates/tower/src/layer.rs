//! The tower layer: every request is authorized before the inner service sees it; the grants
//! and the request's normalized paths go into its extensions as [`Authorized`].

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::Response;
use http::request::Parts;
use http::Request;
use scitokens_enforce::{method_needs, Existence, Grants, Operation};
use scitokens_format::scope::{RequestTarget, Scope};
use tower::{Layer, Service};

use crate::authorizer::Authorizer;
use crate::error::Refusal;
use crate::extract::Authorized;
use crate::request::{bearer_token, destination_path, normalize_base, scope_path};

/// Tells the layer whether a path (as scopes see it) exists: `PUT` over an existing file is a
/// modification, onto a new one a creation (WLCG `storage.create` cannot overwrite).
pub type ExistenceCheck = Arc<dyn Fn(&str) -> Existence + Send + Sync>;

#[derive(Clone)]
enum Rule {
    /// The WebDAV method table on the request's own path (and `Destination`).
    Methods(ExistenceCheck),
    /// One fixed operation on one fixed target, whatever the request.
    Require(Operation, RequestTarget, String),
}

struct Shared {
    authorizer: Arc<Authorizer>,
    base: String,
    rule: Rule,
}

/// Authorizes requests with SciTokens; see the crate documentation.
#[derive(Clone)]
pub struct ScitokensLayer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ScitokensLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScitokensLayer")
            .field("base", &self.shared.base)
            .finish_non_exhaustive()
    }
}

impl ScitokensLayer {
    /// Each request needs what its method asks for on its path (`GET`, `HEAD`, `PROPFIND`,
    /// `OPTIONS`: read; `PUT`: create, or modify over an existing target; `DELETE`: modify;
    /// `MKCOL`: create; `COPY`/`MOVE`: read (and modify, for `MOVE`) on the source and create
    /// or modify on the `Destination`). Without [`with_existence`](Self::with_existence) every
    /// target is taken to exist, so a `PUT` always needs modify: never more than granted.
    pub fn webdav(authorizer: Arc<Authorizer>) -> Self {
        ScitokensLayer {
            shared: Arc::new(Shared {
                authorizer,
                base: "/".into(),
                rule: Rule::Methods(Arc::new(|_: &str| Existence::Exists)),
            }),
        }
    }

    /// Every request needs this one scope, whatever its method and path: the one line that
    /// protects a route, as the Python library's decorator does.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # fn layer(authorizer: Arc<scitokens_tower::Authorizer>) {
    /// use axum::{routing::get, Router};
    /// let app: Router = Router::new().route(
    ///     "/report",
    ///     get(|| async { "ok" }).layer(scitokens_tower::ScitokensLayer::require(authorizer, "read:/reports").unwrap()),
    /// );
    /// # }
    /// ```
    pub fn require(authorizer: Arc<Authorizer>, scope: &str) -> Result<Self, Refusal> {
        let parsed = Scope::parse(scope).map_err(|e| Refusal::InvalidRequest(e.to_string()))?;
        let operation = Operation::from_str(parsed.authz().as_str())
            .map_err(|e| Refusal::InvalidRequest(e.to_string()))?;
        let target_text = match parsed.resource() {
            scitokens_format::scope::Resource::Path(p) => p.as_str().to_owned(),
            _ => "/".to_owned(),
        };
        let target = RequestTarget::parse(&target_text)
            .map_err(|e| Refusal::InvalidRequest(e.to_string()))?;
        Ok(ScitokensLayer {
            shared: Arc::new(Shared {
                authorizer,
                base: "/".into(),
                rule: Rule::Require(operation, target, scope.to_owned()),
            }),
        })
    }

    /// Serves the tree under `base` (scopes see `base/x` as `/x`); other paths get 404.
    pub fn with_base_path(self, base: &str) -> Result<Self, Refusal> {
        let base = normalize_base(base).map_err(Refusal::InvalidRequest)?;
        Ok(self.map(|s| s.base = base))
    }

    /// How the layer learns whether a target exists (see [`ExistenceCheck`]).
    pub fn with_existence(self, check: impl Fn(&str) -> Existence + Send + Sync + 'static) -> Self {
        let check: ExistenceCheck = Arc::new(check);
        self.map(|s| {
            if let Rule::Methods(c) = &mut s.rule {
                *c = check;
            }
        })
    }

    fn map(self, edit: impl FnOnce(&mut Shared)) -> Self {
        let mut shared = Shared {
            authorizer: Arc::clone(&self.shared.authorizer),
            base: self.shared.base.clone(),
            rule: self.shared.rule.clone(),
        };
        edit(&mut shared);
        ScitokensLayer {
            shared: Arc::new(shared),
        }
    }
}

impl<S> Layer<S> for ScitokensLayer {
    type Service = ScitokensService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ScitokensService {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service [`ScitokensLayer`] wraps around an inner one.
#[derive(Clone)]
pub struct ScitokensService<S> {
    inner: S,
    shared: Arc<Shared>,
}

/// The scope that would allow `operation` on `path`, for `insufficient_scope`.
fn needed(operation: &Operation, path: &str) -> String {
    format!("{}:{path}", operation.as_str())
}

fn test(grants: &Grants, operation: &Operation, path: &str) -> Result<(), Refusal> {
    let target = RequestTarget::parse(path).map_err(|e| Refusal::InvalidRequest(e.to_string()))?;
    if grants.test(operation, &target).is_allowed() {
        Ok(())
    } else {
        Err(Refusal::InsufficientScope {
            needed: needed(operation, path),
        })
    }
}

impl Shared {
    async fn check(&self, request: &Parts) -> Result<Authorized, Refusal> {
        let token = bearer_token(&request.headers, &request.uri)?.ok_or(Refusal::NoToken)?;
        let path = scope_path(request.uri.path(), &self.base)?;
        let grants = self.authorizer.grants(&token).await?;
        let mut destination = None;
        match &self.rule {
            Rule::Require(operation, target, scope) => {
                if !grants.test(operation, target).is_allowed() {
                    return Err(Refusal::InsufficientScope {
                        needed: scope.clone(),
                    });
                }
            }
            Rule::Methods(exists) => {
                let method = request.method.as_str();
                let dest = match request.headers.get("destination") {
                    Some(v) => Some(destination_path(
                        v.to_str().map_err(|_| {
                            Refusal::InvalidRequest("Destination is not ASCII".into())
                        })?,
                        &self.base,
                    )?),
                    None if matches!(method, "COPY" | "MOVE") => {
                        return Err(Refusal::InvalidRequest(format!(
                            "{method} needs a Destination header"
                        )))
                    }
                    None => None,
                };
                // Existence matters only where a write may create or replace: asked for no
                // other method (a GET costs no file-system look-up here).
                let target_exists = if method == "PUT" {
                    exists(&path)
                } else {
                    Existence::Absent
                };
                let dest_exists = dest.as_deref().map_or(Existence::Absent, |d| exists(d));
                let needs = method_needs(method, target_exists, dest_exists)
                    .map_err(|_| Refusal::MethodNotAllowed(method.to_owned()))?;
                for operation in &needs.target {
                    test(&grants, operation, &path)?;
                }
                if let (Some(operation), Some(dest)) = (&needs.destination, &dest) {
                    test(&grants, operation, dest)?;
                }
                destination = dest;
            }
        }
        Ok(Authorized::new(grants, token, path, destination))
    }
}

impl<S, B> Service<Request<B>> for ScitokensService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The ready inner service goes with this request; a fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match shared.check(&parts).await {
                Ok(authorized) => {
                    parts.extensions.insert(authorized);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(refusal) => {
                    tracing::debug!(status = refusal.status().as_u16(), "refused: {refusal}");
                    Ok(refusal.into_response())
                }
            }
        })
    }
}
