//! HTTP: the routes, the per-address limit, request logging and timing (the connection loop
//! is `scitokens_tower::server::serve`). No query string, form body, header value or token is
//! ever logged.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::oauth::OAuthError;
use crate::service::Issuer;

/// The issuer's routes.
pub fn router(issuer: Arc<Issuer>) -> Router {
    let limits = issuer.config().limits.clone();
    Router::new()
        .route("/.well-known/openid-configuration", get(metadata))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/device_authorization", post(device_authorization))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(crate::web::routes())
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(middleware::from_fn_with_state(Arc::clone(&issuer), edge))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .with_state(issuer)
}

/// The name a request's path is counted and logged under (never the raw path).
fn endpoint(path: &str) -> &'static str {
    match path {
        "/token" => "token",
        "/revoke" => "revoke",
        "/device_authorization" => "device_authorization",
        "/device" | "/device/consent" | "/login" | "/login/upstream" | "/login/callback" => "pages",
        "/workbench" | "/workbench/sample" => "workbench",
        "/jwks" => "jwks",
        "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server" => {
            "metadata"
        }
        "/metrics" => "metrics",
        "/healthz" => "healthz",
        _ => "other",
    }
}

/// Every request: the per-address limit, then the handler, then a log line and the timing.
async fn edge(State(issuer): State<Arc<Issuer>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let endpoint = endpoint(request.uri().path());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let method = request.method().clone();
    if let Some(peer) = peer {
        if let Err(e) = issuer.admit(peer.ip()) {
            tracing::info!(%method, endpoint, peer = %peer.ip(), status = 429, "rate limited");
            return e.into_response();
        }
    }
    if matches!(endpoint, "jwks" | "metadata") {
        issuer.metrics.discovery_request();
    }
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    issuer.metrics.observe(endpoint, elapsed);
    tracing::info!(
        %method,
        endpoint,
        peer = ?peer.map(|p| p.ip()),
        status = response.status().as_u16(),
        micros = elapsed.as_micros() as u64,
        "request"
    );
    response
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn failed(issuer: &Issuer, endpoint: &str, e: OAuthError) -> Response {
    issuer.metrics.error(endpoint, e.code().as_str());
    tracing::info!(
        endpoint,
        error = e.code().as_str(),
        description = e.description(),
        "refused"
    );
    e.into_response()
}

async fn token(State(issuer): State<Arc<Issuer>>, headers: HeaderMap, body: Bytes) -> Response {
    match issuer.token(&headers, &body).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(e) => failed(&issuer, "token", e),
    }
}

async fn device_authorization(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issuer.device_authorization(&headers, &body).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(e) => failed(&issuer, "device_authorization", e),
    }
}

async fn revoke(State(issuer): State<Arc<Issuer>>, headers: HeaderMap, body: Bytes) -> Response {
    match issuer.revoke(&headers, &body).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => failed(&issuer, "revoke", e),
    }
}

async fn metadata(State(issuer): State<Arc<Issuer>>) -> Response {
    let mut response = Json(issuer.metadata()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

async fn jwks(State(issuer): State<Arc<Issuer>>) -> Response {
    match issuer.jwks() {
        Ok(body) => {
            let max_age = issuer.config().jwks_max_age().as_secs();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/jwk-set+json"),
                    ),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_str(&format!("public, max-age={max_age}"))
                            .unwrap_or(HeaderValue::from_static("no-cache")),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn metrics(State(issuer): State<Arc<Issuer>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        issuer.metrics.render(),
    )
        .into_response()
}
