//! HTTP: the routes, the per-address limit, request logging and timing, and the connection
//! loop (rustls, HTTP/1.1 and HTTP/2, header and handshake timeouts, a connection cap,
//! graceful shutdown). No query string, form body, header value or token is ever logged.

use std::future::Future;
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
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::Service;

use crate::oauth::OAuthError;
use crate::service::Issuer;

/// Longest TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for open connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The issuer's routes.
pub fn router(issuer: Arc<Issuer>) -> Router {
    let limits = issuer.config().limits.clone();
    Router::new()
        .route("/.well-known/openid-configuration", get(metadata))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
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

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections finish
/// for up to [`SHUTDOWN_GRACE`]. With `tls`, every connection is TLS (ALPN h2, http/1.1).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    max_connections: usize,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().call(request)
            });
        let builder = Arc::clone(&builder);
        let acceptor = acceptor.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(tls), service);
                    let _ = watcher.watch(conn).await;
                }
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}
