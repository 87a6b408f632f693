//! The server without authorization, for one purpose: measuring what authorization costs
//! (bench/webdav.sh serves the same tree both ways, side by side). Paths are decoded and
//! normalized exactly as the layer does; nothing else is checked. Never serve it.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use scitokens_tower::{destination_path, scope_path};

use crate::dav::{serve, Dav};

async fn unprotected(State(dav): State<Arc<Dav>>, request: Request) -> Response {
    let path = match scope_path(request.uri().path(), &dav.base) {
        Ok(p) => p,
        Err(refusal) => return refusal.into_response(),
    };
    let destination = match request.headers().get("destination").map(|v| v.to_str()) {
        Some(Ok(v)) => match destination_path(v, &dav.base) {
            Ok(d) => Some(d),
            Err(refusal) => return refusal.into_response(),
        },
        _ => None,
    };
    serve(&dav, &path, destination.as_deref(), request).await
}

/// The WebDAV routes over `root` with **no authorization at all**: for benchmarks only.
pub fn unprotected_router(root: PathBuf) -> Router {
    let dav = Arc::new(Dav {
        root,
        base: "/".into(),
    });
    Router::new()
        .route("/", any(unprotected))
        .route("/{*path}", any(unprotected))
        .with_state(dav)
}
