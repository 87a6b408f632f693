//! `scitokens-webdav`: a reference WebDAV storage server protected by SciTokens. Every request
//! passes `scitokens_tower::ScitokensLayer` (the WebDAV method table, with existence read from
//! the tree so that `storage.create` cannot overwrite); the handlers serve only the authorized,
//! normalized paths, never follow a symbolic link, and stream bodies in bounded pieces.
//! docs/webdav.md describes the server and its tests.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dangerous;
pub mod dav;
pub mod fs;
pub mod propfind;

use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::any;
use axum::Router;
use scitokens_enforce::Existence;
use scitokens_tower::{Authorizer, Refusal, ScitokensLayer};

/// The server's routes over `root`, served under `base` (`/` or `/dav`).
pub fn router(root: PathBuf, base: &str, authorizer: Arc<Authorizer>) -> Result<Router, Refusal> {
    let exists_root = root.clone();
    let layer = ScitokensLayer::webdav(authorizer)
        .with_base_path(base)?
        .with_existence(move |path: &str| match fs::resolve(&exists_root, path) {
            // A link or an unreadable component exists for the purpose of authorization: a
            // write there needs modify (and is then refused by the handler anyway).
            Ok(file) if std::fs::symlink_metadata(&file).is_err() => Existence::Absent,
            _ => Existence::Exists,
        });
    let trimmed = base.trim_end_matches('/');
    let dav = Arc::new(dav::Dav {
        root,
        base: if trimmed.is_empty() {
            "/".to_owned()
        } else {
            trimmed.to_owned()
        },
    });
    Ok(Router::new()
        .route("/", any(dav::handle))
        .route("/{*path}", any(dav::handle))
        .layer(layer)
        .with_state(dav))
}
