//! What a scope entry is about: a path, a URL, or nothing in particular.

use std::fmt;

use super::path::ScopePath;
use super::request::RequestTarget;
use super::url::split_url;
use crate::error::FormatError;
use crate::text::Untrusted;

/// The resource of a scope entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// No resource: the grant is not restricted to one (`queue`, `openid`, the compute scopes).
    Any,
    /// A path on the server.
    Path(ScopePath),
    /// A URL: same scheme (compared lower-case) and authority (exact), path by the path rule.
    Url {
        /// Scheme, lower-case.
        scheme: String,
        /// Authority (`host[:port]`), as written.
        authority: String,
        /// The URL's path.
        path: ScopePath,
    },
}

impl Resource {
    /// Parses a path (`/...`) or a URL (`scheme://authority/path`); anything else is an
    /// error ([`FormatError::InvalidScope`] naming the resource).
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        if text.starts_with('/') {
            return ScopePath::parse(text).map(Resource::Path);
        }
        let (scheme, authority, path) = split_url(text).ok_or_else(|| not_a_resource(text))?;
        Ok(Resource::Url {
            scheme: scheme.to_ascii_lowercase(),
            authority: authority.to_owned(),
            path: if path.is_empty() {
                ScopePath::root()
            } else {
                ScopePath::parse(path)?
            },
        })
    }

    /// Checks a resource as [`parse`](Self::parse) does, with the same errors, without
    /// building it.
    pub(crate) fn check(text: &str) -> Result<(), FormatError> {
        if text.starts_with('/') {
            return ScopePath::check(text);
        }
        match split_url(text).ok_or_else(|| not_a_resource(text))? {
            (_, _, "") => Ok(()),
            (_, _, path) => ScopePath::check(path),
        }
    }

    /// Whether this resource covers the requested target (semantics.md §7).
    pub fn covers(&self, target: &RequestTarget) -> bool {
        match (self, target) {
            (Resource::Any, _) => true,
            (Resource::Path(scope), RequestTarget::Path(request)) => scope.covers(request),
            (
                Resource::Url {
                    scheme,
                    authority,
                    path,
                },
                RequestTarget::Url {
                    scheme: s,
                    authority: a,
                    path: p,
                },
            ) => scheme == s && authority == a && path.covers(p),
            _ => false,
        }
    }

    /// Whether every target `other` covers is covered by `self`: any resource includes every
    /// other, a path one includes paths it covers, a URL one includes URLs of the same origin
    /// whose path it covers.
    pub fn includes(&self, other: &Resource) -> bool {
        match (self, other) {
            (Resource::Any, _) => true,
            (Resource::Path(wide), Resource::Path(narrow)) => wide.includes(narrow),
            (
                Resource::Url {
                    scheme,
                    authority,
                    path,
                },
                Resource::Url {
                    scheme: s,
                    authority: a,
                    path: p,
                },
            ) => scheme == s && authority == a && path.includes(p),
            _ => false,
        }
    }
}

/// The error for a resource that is neither a path nor a URL.
fn not_a_resource(text: &str) -> FormatError {
    FormatError::InvalidScope {
        entry: Untrusted::new(text),
        reason: if text.is_empty() {
            "empty resource after \":\"".to_owned()
        } else {
            "resource must be an absolute path or scheme://authority/path".to_owned()
        },
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Any => Ok(()),
            Resource::Path(path) => path.fmt(f),
            Resource::Url {
                scheme,
                authority,
                path,
            } => write!(f, "{scheme}://{authority}{path}"),
        }
    }
}
