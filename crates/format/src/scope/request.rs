//! Requested paths and URLs, normalized the way a server resolves them (semantics.md §7).

use std::fmt;

use super::url::split_url;
use crate::error::{FormatError, Result};
use crate::text::Untrusted;

/// A normalized requested path: `..` resolved (never above the root), `.` and empty segments
/// dropped, no percent-decoding (servers pass decoded paths), a trailing `/` kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestPath {
    path: String,
    dir: bool,
}

impl RequestPath {
    /// Normalizes an absolute path; a relative path, NUL or a control character is refused.
    ///
    /// ```
    /// use scitokens_format::scope::RequestPath;
    /// assert_eq!(RequestPath::parse("/../../safe/./file.txt").unwrap().as_str(), "/safe/file.txt");
    /// assert_eq!(RequestPath::parse("/safe/../etc/passwd").unwrap().as_str(), "/etc/passwd");
    /// assert!(RequestPath::parse("/a\0b").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        match Self::parse_plain(text) {
            Some(plain) => Ok(plain),
            None => Self::parse_full(text),
        }
    }

    /// The common case: printable ASCII with no empty, `.` or `..` segment (a trailing `/`
    /// aside) is already normalized. `None` sends everything else to the full parser (a test
    /// checks both agree).
    fn parse_plain(text: &str) -> Option<Self> {
        let (path, dir) = super::plain_path(text, super::is_printable_ascii)?;
        Some(RequestPath {
            path: path.to_owned(),
            dir,
        })
    }

    /// Fuzzing builds only: the full parser without the shortcut, for the `paths` target to
    /// check that both agree on every input.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn parse_without_shortcut(text: &str) -> Result<Self> {
        Self::parse_full(text)
    }

    /// Resolves segment by segment.
    fn parse_full(text: &str) -> Result<Self> {
        let invalid = |reason: &str| FormatError::InvalidRequestPath {
            path: Untrusted::new(text),
            reason: reason.to_owned(),
        };
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| invalid("a path must start with /"))?;
        if !text.bytes().all(super::is_printable_ascii) && text.chars().any(char::is_control) {
            return Err(invalid("path contains NUL or a control character"));
        }
        let mut segments: Vec<&str> = Vec::new();
        for segment in rest.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                s => segments.push(s),
            }
        }
        let mut path = String::with_capacity(text.len());
        for s in &segments {
            path.push('/');
            path.push_str(s);
        }
        if path.is_empty() {
            path.push('/');
        }
        Ok(RequestPath {
            dir: text.ends_with('/') && path != "/",
            path,
        })
    }

    /// The normalized path without trailing slash: `/` or `/a/b`.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Whether the request named a directory (ended in `/`).
    pub fn is_dir(&self) -> bool {
        self.dir
    }

    /// [`as_str`](Self::as_str), taken out of the path without a copy.
    ///
    /// ```
    /// use scitokens_format::scope::RequestPath;
    /// assert_eq!(RequestPath::parse("/a/./b/").unwrap().into_string(), "/a/b");
    /// ```
    pub fn into_string(self) -> String {
        self.path
    }
}

impl fmt::Display for RequestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if self.dir {
            f.write_str("/")?;
        }
        Ok(())
    }
}

/// What a request is for: a path on this server, or a URL (`scheme://authority/path`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestTarget {
    /// A path.
    Path(RequestPath),
    /// A URL; the scheme is lower-cased, the authority kept as given.
    Url {
        /// Scheme, lower-case.
        scheme: String,
        /// Authority (`host[:port]`).
        authority: String,
        /// The URL's path, normalized.
        path: RequestPath,
    },
}

impl RequestTarget {
    /// Parses a path (starting with `/`) or a URL.
    ///
    /// ```
    /// use scitokens_format::scope::RequestTarget;
    /// assert!(matches!(RequestTarget::parse("/data").unwrap(), RequestTarget::Path(_)));
    /// assert!(matches!(RequestTarget::parse("MySQL://db:3806/schema").unwrap(),
    ///     RequestTarget::Url { ref scheme, .. } if scheme == "mysql"));
    /// assert!(RequestTarget::parse("data").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        if text.starts_with('/') {
            return RequestPath::parse(text).map(RequestTarget::Path);
        }
        match split_url(text) {
            Some((scheme, authority, path)) => Ok(RequestTarget::Url {
                scheme: scheme.to_ascii_lowercase(),
                authority: authority.to_owned(),
                path: RequestPath::parse(if path.is_empty() { "/" } else { path })?,
            }),
            None => Err(FormatError::InvalidRequestPath {
                path: Untrusted::new(text),
                reason: "expected an absolute path or scheme://authority/path".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain-text shortcut and the full parser agree wherever the shortcut answers.
    #[test]
    fn shortcut_agrees_with_the_full_parser() {
        let mut checked = 0;
        for text in super::super::sample_paths() {
            if let Some(plain) = RequestPath::parse_plain(&text) {
                assert_eq!(RequestPath::parse_full(&text).ok(), Some(plain), "{text}");
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn never_rises_above_root_and_keeps_trailing_slash() {
        let p = RequestPath::parse("/a/b/../../../..").unwrap();
        assert_eq!((p.as_str(), p.is_dir()), ("/", false));
        let p = RequestPath::parse("/a//b/").unwrap();
        assert_eq!((p.as_str(), p.is_dir()), ("/a/b", true));
        assert_eq!(p.to_string(), "/a/b/");
        // No percent-decoding: an encoded dot-dot is a literal name here.
        assert_eq!(
            RequestPath::parse("/a/%2e%2e").unwrap().as_str(),
            "/a/%2e%2e"
        );
        assert!(RequestPath::parse("/a\tb").is_err());
        assert!(RequestPath::parse("").is_err());
    }
}
