//! The scope grammar (semantics.md §6) and path matching (semantics.md §7), as pure types.
//!
//! A `scope` claim is split on runs of ASCII spaces; each entry is `AUTHZ[:RESOURCE]`, split at
//! the first `:`. [`Scope::parse_list`] refuses the whole claim if any entry is invalid, so the
//! verdict never depends on entry order. The enforcer builds its ACLs from these types.
//!
//! ```
//! use scitokens_format::scope::{Authz, RequestTarget, Scope};
//! let scopes = Scope::parse_list("read:/john  storage.create:/out openid").unwrap();
//! assert_eq!(scopes.len(), 3);
//! assert_eq!(scopes[1].authz(), &Authz::StorageCreate);
//! let john = RequestTarget::parse("/john/file").unwrap();
//! let johnathan = RequestTarget::parse("/johnathan").unwrap();
//! assert!(scopes[0].resource().covers(&john));
//! assert!(!scopes[0].resource().covers(&johnathan));
//! assert!(Scope::parse_list("read:/ok read:/home/user1/..").is_err());
//! ```

mod authz;
mod path;
mod request;
mod resource;
mod url;

use std::fmt;
use std::str::FromStr;

use nom::bytes::complete::{tag, take_while1};
use nom::combinator::{all_consuming, opt, rest};
use nom::sequence::preceded;
use nom::{IResult, Parser};

pub use authz::{Authz, ResourceRule};

/// Longest `scope` claim accepted, in bytes (the default token size limit is the same, so this
/// binds only where that limit is raised).
pub const MAX_SCOPE_CLAIM_LEN: usize = 64 * 1024;
/// Most entries in one `scope` claim.
pub const MAX_SCOPE_ENTRIES: usize = 4096;
pub use path::{ScopePath, MAX_DECODE_PASSES};
pub use request::{RequestPath, RequestTarget};
pub use resource::Resource;

use crate::error::{FormatError, Result};
use crate::text::Untrusted;

/// Whether `b` is printable ASCII (space to `~`): text made only of such bytes has no control
/// character and needs no UTF-8 decoding to be checked.
fn is_printable_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// The shortcut shared by scope and request paths: an absolute path whose bytes all pass
/// `allowed` and that has no empty, `.` or `..` segment (a trailing `/` aside) is already
/// normalized. Returns it without the trailing `/`, and whether it had one; `None` sends the
/// path to the full parser.
fn plain_path(text: &str, allowed: impl Fn(u8) -> bool) -> Option<(&str, bool)> {
    let rest = text.as_bytes().strip_prefix(b"/")?;
    if !allowed(b'/') {
        return None;
    }
    let dir = rest.last() == Some(&b'/');
    let body = if dir { &rest[..rest.len() - 1] } else { rest };
    // One pass over the bytes: each allowed, and each segment neither empty nor `.` nor `..`
    // (a segment is one of those when it is at most two bytes, all dots).
    let refused = |len: usize, dots: usize| len == dots && len <= 2;
    let (mut len, mut dots) = (0, 0);
    for &b in body {
        if b == b'/' {
            if refused(len, dots) {
                return None;
            }
            (len, dots) = (0, 0);
        } else if allowed(b) {
            len += 1;
            dots += usize::from(b == b'.');
        } else {
            return None;
        }
    }
    if refused(len, dots) {
        return None;
    }
    Some((text.get(..1 + body.len())?, dir))
}

/// The entries of a `scope` claim: the text between runs of ASCII spaces. (A byte scan: the
/// entries are short, where `str::split` pays a vectorized search's set-up for each.)
#[derive(Clone)]
struct Entries<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let start = self.rest.bytes().position(|b| b != b' ')?;
        let rest = self.rest.get(start..)?;
        let len = rest.bytes().position(|b| b == b' ').unwrap_or(rest.len());
        // Cut at a space or the end: character boundaries.
        let (entry, after) = rest.split_at_checked(len)?;
        self.rest = after;
        Some(entry)
    }
}

/// The spaces in `text`, counted in byte lanes (a `usize` count per byte vectorizes poorly).
fn count_spaces(text: &str) -> usize {
    text.as_bytes()
        .chunks(255)
        .map(|chunk| {
            usize::from(
                chunk
                    .iter()
                    .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b' '))),
            )
        })
        .sum()
}

/// What an entry says about its resource, once its authorization is known.
enum ResourceText<'a> {
    /// No resource (none written for an optional one, or one the authorization ignores).
    Any,
    /// None written where the root is implied.
    Root,
    /// Written: to be parsed.
    Written(&'a str),
}

/// A resource's error reported against the whole entry.
fn in_entry(text: &str, error: FormatError) -> FormatError {
    match error {
        FormatError::InvalidScope { reason, .. } => FormatError::InvalidScope {
            entry: Untrusted::new(text),
            reason,
        },
        other => other,
    }
}

/// One scope entry: an authorization and the resource it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    authz: Authz,
    resource: Resource,
}

/// An entry's name and, after the `:`, its resource text, if written.
type EntryParts<'a> = (&'a [u8], Option<&'a [u8]>);

/// `AUTHZ[:RESOURCE]`: the name, then optionally everything after the first `:`. Read as
/// bytes (the name is ASCII), and handed back as parts of `input`.
fn entry(input: &str) -> Option<(&str, Option<&str>)> {
    let parsed: IResult<&[u8], EntryParts<'_>> = all_consuming((
        take_while1(authz::is_authz_byte),
        opt(preceded(tag(&b":"[..]), rest)),
    ))
    .parse(input.as_bytes());
    let (_, (name, resource)) = parsed.ok()?;
    // The name is ASCII and the `:` after it too, so both cuts are character boundaries.
    let name_text = input.get(..name.len())?;
    let resource_text = match resource {
        Some(_) => Some(input.get(name.len() + 1..)?),
        None => None,
    };
    Some((name_text, resource_text))
}

impl Scope {
    /// A scope from its parts.
    pub fn new(authz: Authz, resource: Resource) -> Self {
        Scope { authz, resource }
    }

    /// Parses one entry.
    ///
    /// ```
    /// use scitokens_format::scope::{Authz, Resource, Scope, ScopePath};
    /// let s = Scope::parse("read").unwrap();
    /// assert_eq!(s.resource(), &Resource::Path(ScopePath::root()));
    /// assert_eq!(s.to_string(), "read:/");
    /// assert!(Scope::parse("storage.read").is_err());
    /// assert!(Scope::parse("read:foo").is_err());
    /// assert_eq!(Scope::parse("compute.cancel:/x").unwrap().to_string(), "compute.cancel");
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let (authz, resource) = Self::split(text)?;
        let resource = match resource {
            ResourceText::Any => Resource::Any,
            ResourceText::Root => Resource::Path(ScopePath::root()),
            ResourceText::Written(r) => Resource::parse(r).map_err(|e| in_entry(text, e))?,
        };
        Ok(Scope { authz, resource })
    }

    /// Checks one entry as [`parse`](Self::parse) does, with the same errors, without building
    /// it: no allocation for the usual plain path.
    fn check(text: &str) -> Result<()> {
        match Self::split(text)? {
            (_, ResourceText::Written(r)) => Resource::check(r).map_err(|e| in_entry(text, e)),
            _ => Ok(()),
        }
    }

    /// The authorization of an entry and what it says about its resource.
    fn split(text: &str) -> Result<(Authz, ResourceText<'_>)> {
        let invalid = |reason: String| FormatError::InvalidScope {
            entry: Untrusted::new(text),
            reason,
        };
        // Printable ASCII (the usual case) has no control character; only other text is
        // decoded to look for one (C1 controls are two bytes in UTF-8).
        if !text.bytes().all(is_printable_ascii) {
            if let Some(c) = text.chars().find(|c| c.is_control()) {
                return Err(invalid(format!(
                    "contains control character U+{:04X}",
                    c as u32
                )));
            }
        }
        let (name, resource) = match entry(text) {
            Some(parsed) => parsed,
            None => {
                return Err(invalid(
                    "authorization name must be non-empty [A-Za-z0-9._-], optionally followed by :RESOURCE".into(),
                ))
            }
        };
        // The grammar above admitted only authorization-name characters.
        let authz = Authz::from_name(name);
        let resource = match (authz.resource_rule(), resource) {
            (ResourceRule::Ignored, _) => ResourceText::Any,
            (ResourceRule::PathOrUrlDefaultRoot, None) => ResourceText::Root,
            (ResourceRule::Optional, None) => ResourceText::Any,
            (ResourceRule::PathRequired, None) => {
                return Err(invalid(format!("{authz} requires a path")));
            }
            (ResourceRule::PathRequired, Some(r)) if !r.starts_with('/') => {
                return Err(invalid(format!("{authz} requires a path starting with /")));
            }
            (_, Some(r)) => ResourceText::Written(r),
        };
        Ok((authz, resource))
    }

    /// Parses a whole `scope` claim; one invalid entry refuses it all, and so does a claim
    /// over [`MAX_SCOPE_CLAIM_LEN`] bytes or [`MAX_SCOPE_ENTRIES`] entries (checked before
    /// any entry is parsed).
    ///
    /// ```
    /// use scitokens_format::scope::{Scope, MAX_SCOPE_ENTRIES};
    /// assert_eq!(Scope::parse_list("read:/a  write:/b").unwrap().len(), 2);
    /// assert!(Scope::parse_list("read:/a read:/b/..").is_err());
    /// let many = "read:/a ".repeat(MAX_SCOPE_ENTRIES + 1);
    /// assert!(Scope::parse_list(&many).unwrap_err().to_string().contains("4097 entries"));
    /// ```
    pub fn parse_list(claim: &str) -> Result<Vec<Scope>> {
        let entries = Self::entries(claim)?;
        // Exactly the room needed (unless entries are separated by runs of spaces): grants are
        // kept by the verified-token cache, and a vector grown by doubling wastes up to half.
        let mut scopes = Vec::with_capacity(count_spaces(claim).saturating_add(1).min(64));
        for entry in entries {
            scopes.push(Scope::parse(entry)?);
        }
        Ok(scopes)
    }

    /// Checks a whole `scope` claim as [`parse_list`](Self::parse_list) does, with the same
    /// errors, without building the scopes (an issuer checks what it signs so).
    ///
    /// ```
    /// use scitokens_format::scope::Scope;
    /// assert!(Scope::check_list("storage.read:/data storage.create:/data/out").is_ok());
    /// let err = Scope::check_list("read:/a read:/b/..").unwrap_err();
    /// assert_eq!(err.to_string(), Scope::parse_list("read:/a read:/b/..").unwrap_err().to_string());
    /// ```
    pub fn check_list(claim: &str) -> Result<()> {
        Self::entries(claim)?.try_for_each(Scope::check)
    }

    /// The entries of a claim, once the claim is known to be within [`MAX_SCOPE_CLAIM_LEN`]
    /// and [`MAX_SCOPE_ENTRIES`].
    fn entries(claim: &str) -> Result<Entries<'_>> {
        let too_big = |reason: String| FormatError::InvalidScope {
            entry: Untrusted::new(claim),
            reason,
        };
        if claim.len() > MAX_SCOPE_CLAIM_LEN {
            return Err(too_big(format!(
                "the scope claim is {} bytes, over the limit of {MAX_SCOPE_CLAIM_LEN}",
                claim.len()
            )));
        }
        // `n` entries take at least `2n - 1` bytes: only a claim long enough to hold one
        // entry too many is counted.
        if claim.len() > 2 * MAX_SCOPE_ENTRIES {
            let count = Entries { rest: claim }.count();
            if count > MAX_SCOPE_ENTRIES {
                return Err(too_big(format!(
                    "the scope claim has {count} entries, over the limit of {MAX_SCOPE_ENTRIES}"
                )));
            }
        }
        Ok(Entries { rest: claim })
    }

    /// The authorization.
    pub fn authz(&self) -> &Authz {
        &self.authz
    }

    /// The resource.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// Whether every request this scope grants is also granted by `self`: the same
    /// authorization on a resource that `self`'s covers (segment-aware). This is the test for
    /// attenuation, such as token exchange: a narrower token may carry only scopes that the
    /// wider one includes. Authorizations are compared exactly, never by implication
    /// (`storage.modify` does not include `storage.create`, semantics.md §6).
    ///
    /// ```
    /// use scitokens_format::scope::Scope;
    /// let wide = Scope::parse("storage.read:/data").unwrap();
    /// let includes = |s: &str| wide.includes(&Scope::parse(s).unwrap());
    /// assert!(includes("storage.read:/data") && includes("storage.read:/data/sub/"));
    /// assert!(!includes("storage.read:/database") && !includes("storage.read:/"));
    /// assert!(!includes("storage.modify:/data/sub"));
    /// ```
    pub fn includes(&self, other: &Scope) -> bool {
        self.authz == other.authz && self.resource.includes(&other.resource)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.resource {
            Resource::Any => write!(f, "{}", self.authz),
            resource => write!(f, "{}:{resource}", self.authz),
        }
    }
}

impl FromStr for Scope {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self> {
        Scope::parse(s)
    }
}

/// Paths built from awkward segments, for tests comparing a shortcut with a full parser.
#[cfg(test)]
fn sample_paths() -> Vec<String> {
    let parts = [
        "a", "b c", ".", "..", "", "%2e", "\\", "é", "\u{7}", "x.y", "...", ".x", "..x",
    ];
    let mut out = Vec::new();
    for a in parts {
        for b in parts {
            for c in parts {
                out.push(format!("/{a}/{b}/{c}"));
                out.push(format!("/{a}/{b}{c}/"));
            }
        }
        out.push(format!("/{a}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The entries are the non-empty pieces between ASCII spaces, whatever else the
        /// claim holds (tabs, other white space and multi-byte characters stay in entries).
        #[test]
        fn entries_are_the_pieces_between_spaces(claim in "[ a\t:/é\u{3000}]{0,24}") {
            let expected: Vec<&str> = claim.split(' ').filter(|e| !e.is_empty()).collect();
            proptest::prop_assert_eq!(Entries { rest: &claim }.collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn a_list_takes_the_room_it_needs() {
        assert_eq!(count_spaces(&" a ".repeat(300)), 600);
        let scopes = Scope::parse_list("read:/a write:/b storage.read:/c").unwrap();
        assert_eq!((scopes.len(), scopes.capacity()), (3, 3));
    }

    #[test]
    fn the_entry_limit_counts_only_long_claims() {
        let at_limit = "x ".repeat(MAX_SCOPE_ENTRIES);
        assert_eq!(
            Scope::parse_list(&at_limit).unwrap().len(),
            MAX_SCOPE_ENTRIES
        );
        let over = format!("{at_limit}x");
        assert_eq!(over.len(), 2 * MAX_SCOPE_ENTRIES + 1);
        assert!(Scope::check_list(&over)
            .unwrap_err()
            .to_string()
            .contains("4097 entries"));
    }

    #[test]
    fn invalid_entries_anywhere_refuse_the_list() {
        for bad in [
            "read:/home/user1/..",
            "read:/foo/%2e%2e/bar",
            "read:/foo/%252e%252e/bar",
            "read:/foo%2Fbar",
            "read:foo",
            "read:",
            "storage.modify",
            "storage.read:https://h/x",
            "condor",
            ":/x",
            "re$d:/x",
            "read:/a\tb",
        ] {
            for list in [format!("{bad} read:/ok"), format!("read:/ok {bad}")] {
                assert!(Scope::parse_list(&list).is_err(), "{list:?} accepted");
            }
        }
    }

    /// `check_list` answers as `parse_list` does, errors included, on every sample path under
    /// every kind of authorization (path required, path or URL, ignored, optional).
    #[test]
    fn check_list_agrees_with_parse_list() {
        let mut refused = 0;
        for path in sample_paths() {
            for authz in ["read", "storage.read", "compute.read", "queue", "x.custom"] {
                for list in [
                    format!("{authz}:{path}"),
                    format!("read:/ok  {authz}:{path}"),
                    format!("{authz}:https://h.example{path}"),
                    format!("{authz}:https://h.example"),
                    authz.to_owned(),
                ] {
                    let parsed = Scope::parse_list(&list)
                        .map(drop)
                        .map_err(|e| e.to_string());
                    assert_eq!(Scope::check_list(&list).map_err(|e| e.to_string()), parsed);
                    refused += usize::from(parsed.is_err());
                }
            }
        }
        assert!(refused > 100, "{refused}");
    }

    #[test]
    fn spaces_collapse_and_empty_is_no_grants() {
        assert_eq!(Scope::parse_list("   ").unwrap(), vec![]);
        assert_eq!(Scope::parse_list("  read:/a   write:/b ").unwrap().len(), 2);
    }

    #[test]
    fn display_roundtrips() {
        for s in [
            "read:/",
            "write:/data/out/",
            "read:/a%20b",
            "read:mysql://db:3806/schema",
            "storage.stage:/tape",
            "condor:/WRITE",
            "openid",
            "queue",
            "wlcg.groups:/cms",
        ] {
            let parsed = Scope::parse(s).unwrap();
            assert_eq!(parsed.to_string(), s);
            assert_eq!(Scope::parse(&parsed.to_string()).unwrap(), parsed);
        }
    }
}
