//! What the layer reads from a request: the token (`Authorization`, else `authz`), and paths
//! from the URI and `Destination`, decoded once, normalized, relative to the base path.

use http::{header, HeaderMap, Uri};
use scitokens_enforce::{token_from_authorization, token_from_query};
use scitokens_format::scope::RequestPath;
use scitokens_format::{percent_decode, Plus, Untrusted};

use crate::error::Refusal;

/// The bearer token of a request: `Authorization` (Bearer, or Basic with `x-oauth-basic`),
/// else the `authz` query parameter; `None` when there is neither.
pub fn bearer_token(headers: &HeaderMap, uri: &Uri) -> Result<Option<String>, Refusal> {
    let bad = |e: scitokens_enforce::EnforceError| Refusal::InvalidToken(e.to_string());
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| Refusal::InvalidToken("the Authorization header is not ASCII".into()))?;
        return token_from_authorization(value).map(Some).map_err(bad);
    }
    match uri.query() {
        Some(query) => token_from_query(query).map_err(bad),
        None => Ok(None),
    }
}

/// A normalized base path: `/` or `/a/b` (no trailing `/`).
pub(crate) fn normalize_base(base: &str) -> Result<String, String> {
    let path = RequestPath::parse(base).map_err(|e| e.to_string())?;
    Ok(path.as_str().to_owned())
}

/// The path a request names, as the scopes see it: the URI path decoded once, normalized
/// (`..` resolved, never above the root), with the base path taken off. A path outside the base
/// is [`Refusal::OutsideBase`].
///
/// ```
/// use scitokens_tower::scope_path;
/// assert_eq!(scope_path("/dav/data/a%20b", "/dav").unwrap(), "/data/a b");
/// assert_eq!(scope_path("/dav/data/../x/", "/dav").unwrap(), "/x/");
/// assert_eq!(scope_path("/dav", "/dav").unwrap(), "/");
/// assert!(scope_path("/dav/../etc/passwd", "/dav").is_err());
/// assert!(scope_path("/davx/y", "/dav").is_err());
/// ```
pub fn scope_path(uri_path: &str, base: &str) -> Result<String, Refusal> {
    let decoded = percent_decode(uri_path, Plus::Literal).map_err(|reason| {
        Refusal::InvalidRequest(format!("path {}: {reason}", Untrusted::new(uri_path)))
    })?;
    let path = RequestPath::parse(&decoded).map_err(|e| Refusal::InvalidRequest(e.to_string()))?;
    let slash = if path.is_dir() && path.as_str() != "/" {
        "/"
    } else {
        ""
    };
    let p = path.as_str();
    let rest = if base == "/" {
        p
    } else if p == base {
        "/"
    } else {
        match p.strip_prefix(base) {
            Some(rest) if rest.starts_with('/') => rest,
            _ => return Err(Refusal::OutsideBase),
        }
    };
    let slash = if rest == "/" { "" } else { slash };
    Ok(format!("{rest}{slash}"))
}

/// The path of a `Destination` header (an absolute URL or an absolute path), as
/// [`scope_path`] sees it.
pub fn destination_path(value: &str, base: &str) -> Result<String, Refusal> {
    let path = match value.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => &rest[i..],
            None => "/",
        },
        None => value,
    };
    // A query or fragment is not part of the path.
    let path = path.split(['?', '#']).next().unwrap_or("/");
    if !path.starts_with('/') {
        return Err(Refusal::InvalidRequest(format!(
            "Destination {} is not an absolute URL or path",
            Untrusted::new(value)
        )));
    }
    scope_path(path, base)
}
