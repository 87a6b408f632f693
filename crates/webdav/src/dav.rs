//! The WebDAV methods over a directory tree. Every handler runs behind `ScitokensLayer`, takes
//! the authorized paths from [`Authorized`] and resolves them under the root with
//! [`crate::fs::resolve`]; bodies stream in both directions in 64 KiB pieces, so memory stays
//! bounded whatever the file size.

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use scitokens_tower::Authorized;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::fs::{resolve, PathError};
use crate::propfind::multistatus;

/// Bytes read or written per step while streaming.
pub const CHUNK: usize = 64 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub struct Dav {
    /// The directory served.
    pub root: PathBuf,
    /// The URL path the tree is served under (`/` or `/dav`), for PROPFIND hrefs.
    pub base: String,
}

/// The methods served, for `Allow`.
pub const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND";

fn answer(status: StatusCode, text: impl Into<String>) -> Response {
    let mut response = Response::new(Body::from(text.into()));
    *response.status_mut() = status;
    response
}

fn io_answer(e: &io::Error) -> Response {
    match e.kind() {
        io::ErrorKind::NotFound => answer(StatusCode::NOT_FOUND, "not found\n"),
        io::ErrorKind::PermissionDenied => answer(StatusCode::FORBIDDEN, "permission denied\n"),
        io::ErrorKind::AlreadyExists => answer(StatusCode::METHOD_NOT_ALLOWED, "already exists\n"),
        _ => {
            tracing::error!(error = %e, "file system");
            answer(StatusCode::INTERNAL_SERVER_ERROR, "storage error\n")
        }
    }
}

fn path_answer(e: &PathError) -> Response {
    match e {
        PathError::Io(io) => io_answer(io),
        other => answer(StatusCode::FORBIDDEN, format!("{other}\n")),
    }
}

/// The one handler behind the layer: serves the paths it authorized.
pub async fn handle(State(dav): State<Arc<Dav>>, auth: Authorized, request: Request) -> Response {
    serve(&dav, auth.path(), auth.destination(), request).await
}

/// Dispatches on the method for an authorized `path` (and `destination`).
pub(crate) async fn serve(
    dav: &Dav,
    path: &str,
    destination: Option<&str>,
    request: Request,
) -> Response {
    let file = match resolve(&dav.root, path) {
        Ok(f) => f,
        Err(e) => return path_answer(&e),
    };
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    match parts.method.as_str() {
        "GET" => get(&file, headers, false).await,
        "HEAD" => get(&file, headers, true).await,
        "PUT" => put(&file, body).await,
        "DELETE" => delete(dav, &file).await,
        "MKCOL" => mkcol(&file, headers).await,
        "COPY" | "MOVE" => {
            let Some(dest) = destination else {
                return answer(StatusCode::BAD_REQUEST, "Destination is required\n");
            };
            let target = match resolve(&dav.root, dest) {
                Ok(t) => t,
                Err(e) => return path_answer(&e),
            };
            transfer(&file, &target, headers, parts.method.as_str() == "MOVE").await
        }
        "PROPFIND" => propfind(dav, &file, path, headers).await,
        "OPTIONS" => {
            let mut response = answer(StatusCode::OK, "");
            let h = response.headers_mut();
            h.insert("dav", HeaderValue::from_static("1"));
            h.insert(header::ALLOW, HeaderValue::from_static(ALLOW));
            h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            response
        }
        _ => answer(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
    }
}

/// A single byte range of a file of `len` bytes (RFC 9110 §14.1.2): `Some(Ok((start, end)))`
/// inclusive, `Some(Err(()))` when unsatisfiable, `None` to send the whole file (no header, a
/// malformed one, or several ranges).
fn range(headers: &HeaderMap, len: u64) -> Option<Result<(u64, u64), ()>> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = value.strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let parsed = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            if n == 0 {
                return Some(Err(()));
            }
            (len.saturating_sub(n), len.checked_sub(1)?)
        }
        (start, "") => (start.parse().ok()?, len.saturating_sub(1)),
        (start, end) => {
            let (s, e): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            if e < s {
                return None;
            }
            (s, e.min(len.saturating_sub(1)))
        }
    };
    if len == 0 || parsed.0 >= len {
        return Some(Err(()));
    }
    Some(Ok(parsed))
}

fn http_date(time: io::Result<SystemTime>) -> Option<HeaderValue> {
    HeaderValue::from_str(&httpdate::fmt_http_date(time.ok()?)).ok()
}

async fn get(file: &Path, headers: &HeaderMap, head: bool) -> Response {
    let meta = match tokio::fs::metadata(file).await {
        Ok(m) => m,
        Err(e) => return io_answer(&e),
    };
    if meta.is_dir() {
        let mut names = Vec::new();
        match tokio::fs::read_dir(file).await {
            Ok(mut entries) => {
                while let Ok(Some(entry)) = entries.next_entry().await {
                    let dir = entry.file_type().await.is_ok_and(|t| t.is_dir());
                    let name = entry.file_name().to_string_lossy().into_owned();
                    names.push(if dir { format!("{name}/") } else { name });
                }
            }
            Err(e) => return io_answer(&e),
        }
        names.sort();
        let text = names.iter().map(|n| format!("{n}\n")).collect::<String>();
        return answer(StatusCode::OK, if head { String::new() } else { text });
    }
    let len = meta.len();
    let (status, start, count) = match range(headers, len) {
        None => (StatusCode::OK, 0, len),
        Some(Ok((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e - s + 1),
        Some(Err(())) => {
            let mut response = answer(StatusCode::RANGE_NOT_SATISFIABLE, "");
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return response;
        }
    };
    let body = if head {
        Body::empty()
    } else {
        let mut f = match tokio::fs::File::open(file).await {
            Ok(f) => f,
            Err(e) => return io_answer(&e),
        };
        if let Err(e) = f.seek(SeekFrom::Start(start)).await {
            return io_answer(&e);
        }
        Body::from_stream(ReaderStream::with_capacity(f.take(count), CHUNK))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(date) = http_date(meta.modified()) {
        h.insert(header::LAST_MODIFIED, date);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", start + count - 1))
        {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    response
}

/// A temporary name beside `file`, unique within this process and across processes.
fn temporary(file: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    file.with_file_name(format!(".{name}.upload-{}-{n}", std::process::id()))
}

/// PUT: the body streams into a temporary file beside the target, which is synced and then
/// renamed over it, so a reader sees the old file or the whole new one, never a part.
async fn put(file: &Path, body: Body) -> Response {
    match tokio::fs::metadata(file).await {
        Ok(m) if m.is_dir() => return answer(StatusCode::METHOD_NOT_ALLOWED, "a collection\n"),
        _ => {}
    }
    match file.parent().map(std::fs::metadata) {
        Some(Ok(m)) if m.is_dir() => {}
        _ => {
            return answer(
                StatusCode::CONFLICT,
                "the parent collection does not exist\n",
            )
        }
    }
    let existed = tokio::fs::symlink_metadata(file).await.is_ok();
    let tmp = temporary(file);
    let result = async {
        let mut out = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await?;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(io::Error::other)?;
            out.write_all(&chunk).await?;
        }
        out.sync_all().await?;
        tokio::fs::rename(&tmp, file).await
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return io_answer(&e);
    }
    if existed {
        answer(StatusCode::NO_CONTENT, "")
    } else {
        answer(StatusCode::CREATED, "")
    }
}

async fn delete(dav: &Dav, file: &Path) -> Response {
    if file == dav.root {
        return answer(StatusCode::FORBIDDEN, "the root is not deleted\n");
    }
    let result = match tokio::fs::symlink_metadata(file).await {
        Ok(m) if m.is_dir() => tokio::fs::remove_dir_all(file).await,
        Ok(_) => tokio::fs::remove_file(file).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => answer(StatusCode::NO_CONTENT, ""),
        Err(e) => io_answer(&e),
    }
}

async fn mkcol(file: &Path, headers: &HeaderMap) -> Response {
    if headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
    {
        return answer(StatusCode::UNSUPPORTED_MEDIA_TYPE, "MKCOL takes no body\n");
    }
    match tokio::fs::create_dir(file).await {
        Ok(()) => answer(StatusCode::CREATED, ""),
        Err(e) if e.kind() == io::ErrorKind::NotFound => answer(
            StatusCode::CONFLICT,
            "the parent collection does not exist\n",
        ),
        Err(e) => io_answer(&e),
    }
}

/// COPY and MOVE (RFC 4918 §9.8, §9.9): `Overwrite: F` refuses an existing destination (412);
/// a file is copied through a temporary name and renamed, as PUT writes.
async fn transfer(source: &Path, target: &Path, headers: &HeaderMap, moving: bool) -> Response {
    if source == target {
        return answer(
            StatusCode::FORBIDDEN,
            "source and destination are the same\n",
        );
    }
    if target.starts_with(source) {
        return answer(
            StatusCode::FORBIDDEN,
            "the destination is inside the source\n",
        );
    }
    let meta = match tokio::fs::symlink_metadata(source).await {
        Ok(m) => m,
        Err(e) => return io_answer(&e),
    };
    match target.parent().map(std::fs::metadata) {
        Some(Ok(m)) if m.is_dir() => {}
        _ => {
            return answer(
                StatusCode::CONFLICT,
                "the destination's parent does not exist\n",
            )
        }
    }
    let overwrite = headers
        .get("overwrite")
        .is_none_or(|v| !v.as_bytes().eq_ignore_ascii_case(b"F"));
    let existed = tokio::fs::symlink_metadata(target).await.is_ok();
    if existed {
        if !overwrite {
            return answer(StatusCode::PRECONDITION_FAILED, "the destination exists\n");
        }
        let removed = match tokio::fs::symlink_metadata(target).await {
            Ok(m) if m.is_dir() => tokio::fs::remove_dir_all(target).await,
            _ => tokio::fs::remove_file(target).await,
        };
        if let Err(e) = removed {
            return io_answer(&e);
        }
    }
    let result = if moving {
        tokio::fs::rename(source, target).await
    } else if meta.is_dir() {
        let (s, t) = (source.to_owned(), target.to_owned());
        tokio::task::spawn_blocking(move || copy_tree(&s, &t))
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e)))
    } else {
        let tmp = temporary(target);
        let copied = async {
            tokio::fs::copy(source, &tmp).await?;
            tokio::fs::File::open(&tmp).await?.sync_all().await?;
            tokio::fs::rename(&tmp, target).await
        }
        .await;
        if copied.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        copied
    };
    match result {
        Ok(()) if existed => answer(StatusCode::NO_CONTENT, ""),
        Ok(()) => answer(StatusCode::CREATED, ""),
        Err(e) => io_answer(&e),
    }
}

/// Copies a directory tree; symbolic links inside it are skipped, never followed.
fn copy_tree(source: &Path, target: &Path) -> io::Result<()> {
    std::fs::create_dir(target)?;
    for entry in std::fs::read_dir(source)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let to = target.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &to)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

async fn propfind(dav: &Dav, file: &Path, path: &str, headers: &HeaderMap) -> Response {
    let depth = headers
        .get("depth")
        .map(|v| v.as_bytes().to_ascii_lowercase());
    let children = match depth.as_deref() {
        Some(b"0") => false,
        Some(b"1") => true,
        _ => {
            return answer(
                StatusCode::FORBIDDEN,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:propfind-finite-depth/></D:error>\n",
            )
        }
    };
    let (file, path, base) = (file.to_owned(), path.to_owned(), dav.base.clone());
    let xml = tokio::task::spawn_blocking(move || multistatus(&file, &path, &base, children)).await;
    match xml {
        Ok(Ok(xml)) => {
            let mut response = answer(StatusCode::MULTI_STATUS, xml);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml; charset=utf-8"),
            );
            response
        }
        Ok(Err(e)) => io_answer(&e),
        Err(e) => io_answer(&io::Error::other(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_range(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn byte_ranges() {
        let r = |v: &str, len| range(&with_range(v), len);
        assert_eq!(r("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(r("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(r("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(r("bytes=95-200", 100), Some(Ok((95, 99))));
        assert_eq!(r("bytes=100-", 100), Some(Err(())));
        assert_eq!(r("bytes=-0", 100), Some(Err(())));
        assert_eq!(r("bytes=0-1,5-6", 100), None);
        assert_eq!(r("items=0-1", 100), None);
        assert_eq!(r("bytes=5-1", 100), None);
        assert_eq!(range(&HeaderMap::new(), 100), None);
    }
}
