//! What a valid token grants: its scopes, tested against requests, listed as ACLs.

use std::collections::HashMap;
use std::fmt;

use scitokens_format::scope::{Authz, RequestTarget, Resource, ResourceRule, Scope, ScopePath};
use scitokens_format::{Profile, UnixTime};

use crate::operation::Operation;

/// The grants of a token that was verified and validated at some time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    profile: Profile,
    scopes: Vec<Scope>,
    exp: UnixTime,
    /// Built only for tokens with more than [`INDEX_MIN_SCOPES`] scopes; a scan of a few
    /// scopes is cheaper than building and probing a hash map.
    index: Option<PathIndex>,
}

/// Scopes above which `test` looks candidates up in a [`PathIndex`].
const INDEX_MIN_SCOPES: usize = 8;

/// Which scopes could cover a request, so `test` need not look at every scope: path scopes by
/// their (decoded, normalized) path; everything else (URLs, no resource, compute) in a list.
/// The index only narrows the candidates; `covers` still decides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct PathIndex {
    by_path: HashMap<String, Vec<usize>>,
    others: Vec<usize>,
}

impl PathIndex {
    fn new(scopes: &[Scope]) -> Self {
        let mut index = PathIndex::default();
        for (i, scope) in scopes.iter().enumerate() {
            match scope.resource() {
                Resource::Path(path) if scope.authz().resource_rule() != ResourceRule::Ignored => {
                    index
                        .by_path
                        .entry(path.as_str().to_owned())
                        .or_default()
                        .push(i);
                }
                _ => index.others.push(i),
            }
        }
        index
    }

    /// The smallest index among the candidate scopes for `target` (path scopes at `target`
    /// or an ancestor of it, and every other scope) that satisfies `accept`.
    fn first(&self, target: &RequestTarget, accept: impl Fn(usize) -> bool) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut consider = |indices: &[usize]| {
            for &i in indices {
                if best.is_none_or(|b| i < b) && accept(i) {
                    best = Some(i);
                }
            }
        };
        if let RequestTarget::Path(path) = target {
            let p = path.as_str();
            if let Some(at_root) = self.by_path.get("/") {
                consider(at_root);
            }
            for (i, _) in p.match_indices('/').filter(|&(i, _)| i > 0) {
                if let Some(found) = self.by_path.get(&p[..i]) {
                    consider(found);
                }
            }
            if p != "/" {
                if let Some(found) = self.by_path.get(p) {
                    consider(found);
                }
            }
        }
        consider(&self.others);
        best
    }
}

/// The answer to "does this token allow this request?" for a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; the scopes that grant it (one per needed operation, in token order).
    Allowed {
        /// The granting scopes.
        by: Vec<Scope>,
    },
    /// Not allowed: no scope (or no combination, for `write`) covers the request.
    Denied(Denial),
}

/// A denial, with what was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The operation asked for.
    pub operation: Operation,
    /// The request, normalized.
    pub target: String,
    /// Every scope of the token, in token order.
    pub considered: Vec<Scope>,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no scope grants {} on {}", self.operation, self.target)?;
        if self.considered.is_empty() {
            return f.write_str(" (the token has no scopes)");
        }
        f.write_str(" (scopes: ")?;
        for (i, scope) in self.considered.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{scope}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for Denial {}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// How ACLs are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AclForm {
    /// The token's own authz names, resources as written in scopes (`storage.read:/data`).
    #[default]
    Native,
    /// scitokens-cpp's `(authz, path)` list, WLCG names translated, paths decoded
    /// (`docs/semantics.md` §8): what XRootD and HTCondor consume.
    Compat,
}

/// One access-control entry: an authorization and the path (or URL) it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Acl {
    /// The authorization name.
    pub authz: String,
    /// The resource: a path, a URL, or `/` for entries without one.
    pub resource: String,
}

impl fmt::Display for Acl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.authz, self.resource)
    }
}

fn acl(authz: &str, resource: &str) -> Acl {
    Acl {
        authz: authz.to_owned(),
        resource: resource.to_owned(),
    }
}

impl Grants {
    /// Grants of a token of `profile` expiring at `exp`, with these scopes (token order).
    pub fn new(profile: Profile, scopes: Vec<Scope>, exp: UnixTime) -> Self {
        let indexed = scopes.len() > INDEX_MIN_SCOPES;
        Self::build(profile, scopes, exp, indexed)
    }

    fn build(profile: Profile, scopes: Vec<Scope>, exp: UnixTime, indexed: bool) -> Self {
        let index = indexed.then(|| PathIndex::new(&scopes));
        Grants {
            profile,
            scopes,
            exp,
            index,
        }
    }

    /// The token's profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The token's scopes, in token order.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// The token's `exp`.
    pub fn expires(&self) -> UnixTime {
        self.exp
    }

    /// Tests a request. Pure: the answer depends only on these grants and the request, never
    /// on scope order or on earlier calls.
    pub fn test(&self, operation: &Operation, target: &RequestTarget) -> Decision {
        match self.granting(operation, target) {
            Some(by) => Decision::Allowed { by },
            None => Decision::Denied(Denial {
                operation: operation.clone(),
                target: target_string(target),
                considered: self.scopes.clone(),
            }),
        }
    }

    /// [`test`](Self::test) for grants asked once: a denial takes the scopes and the
    /// target's text instead of copies.
    ///
    /// ```
    /// use scitokens_enforce::{Decision, Grants, Operation};
    /// use scitokens_format::{scope::{RequestTarget, Scope}, Profile, UnixTime};
    ///
    /// let grants = |s| Grants::new(Profile::Wlcg, Scope::parse_list(s).unwrap(), UnixTime::MAX);
    /// let target = RequestTarget::parse("/data/./x").unwrap();
    /// assert!(grants("storage.read:/data").into_decision(&Operation::Read, target.clone()).is_allowed());
    /// let Decision::Denied(denial) = grants("storage.read:/other").into_decision(&Operation::Read, target) else {
    ///     panic!("allowed");
    /// };
    /// assert_eq!(denial.to_string(), "no scope grants read on /data/x (scopes: storage.read:/other)");
    /// ```
    pub fn into_decision(self, operation: &Operation, target: RequestTarget) -> Decision {
        match self.granting(operation, &target) {
            Some(by) => Decision::Allowed { by },
            None => Decision::Denied(Denial {
                operation: operation.clone(),
                target: match target {
                    RequestTarget::Path(path) => path.into_string(),
                    url => target_string(&url),
                },
                considered: self.scopes,
            }),
        }
    }

    /// The first granting scope (in token order) for each operation the request needs;
    /// `None` if one has none.
    fn granting(&self, operation: &Operation, target: &RequestTarget) -> Option<Vec<Scope>> {
        let mut by = Vec::new();
        for part in operation.parts() {
            // The first granting scope in token order, found among the candidates only.
            let grants = |s: &Scope| part.granted_by(s.authz()) && covers(s, target);
            let first = match &self.index {
                Some(index) => index.first(target, |i| grants(&self.scopes[i])),
                None => self.scopes.iter().position(grants),
            }?;
            by.push(self.scopes[first].clone());
        }
        Some(by)
    }

    /// The grants as ACLs in `form`.
    pub fn acls(&self, form: AclForm) -> Vec<Acl> {
        let mut out: Vec<Acl> = Vec::new();
        for scope in &self.scopes {
            for entry in self.entries_of(scope, form) {
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
        if form == AclForm::Compat && self.all_compute_writes() {
            let write = acl("condor", "/WRITE");
            if !out.contains(&write) {
                out.push(write);
            }
        }
        out
    }

    /// The scopes whose compatibility entries (`docs/semantics.md` §8) list `authz` on a path
    /// that covers `target` on segment boundaries: what a consumer matching the list of
    /// [`acls(AclForm::Compat)`](Self::acls) would allow. Empty when none does.
    ///
    /// ```
    /// use scitokens_enforce::Grants;
    /// use scitokens_format::{scope::{RequestTarget, Scope}, Profile, UnixTime};
    ///
    /// let scopes = Scope::parse_list("compute.read compute.create compute.modify compute.cancel")?;
    /// let grants = Grants::new(Profile::Wlcg, scopes, UnixTime::MAX);
    /// let listed = |path| grants.listed_by("condor", &RequestTarget::parse(path).unwrap()).len();
    /// assert_eq!(listed("/WRITE/job"), 3);
    /// assert_eq!(listed("/READ"), 1);
    /// assert_eq!(listed("/WRITEUP"), 0);
    /// # Ok::<(), scitokens_format::FormatError>(())
    /// ```
    pub fn listed_by(&self, authz: &str, target: &RequestTarget) -> Vec<Scope> {
        let wanted = target_string(target);
        let lists = |entry: &Acl| entry.authz == authz && listed_covers(&entry.resource, &wanted);
        let mut by: Vec<Scope> = self
            .scopes
            .iter()
            .filter(|scope| self.entries_of(scope, AclForm::Compat).iter().any(lists))
            .cloned()
            .collect();
        if by.is_empty() && self.all_compute_writes() && lists(&acl("condor", "/WRITE")) {
            by = self
                .scopes
                .iter()
                .filter(|s| COMPUTE_WRITES.contains(s.authz()))
                .cloned()
                .collect();
        }
        by
    }

    /// The entries one scope contributes; `condor:/WRITE` (from three scopes) aside.
    fn entries_of(&self, scope: &Scope, form: AclForm) -> Vec<Acl> {
        if form == AclForm::Native {
            return vec![acl(
                scope.authz().as_str(),
                &resource_string(scope.resource()),
            )];
        }
        let resource = decoded_resource(scope.resource());
        if self.profile != Profile::Wlcg {
            return vec![acl(scope.authz().as_str(), &resource)];
        }
        match scope.authz() {
            Authz::StorageRead => vec![acl("read", &resource)],
            Authz::StorageCreate => vec![acl("write", &resource), acl("create", &resource)],
            Authz::StorageModify => vec![acl("write", &resource), acl("modify", &resource)],
            Authz::ComputeRead => vec![acl("condor", "/READ")],
            authz @ (Authz::ComputeCreate | Authz::ComputeModify | Authz::ComputeCancel) => {
                vec![acl(authz.as_str(), "/")]
            }
            other => vec![acl(other.as_str(), &resource)],
        }
    }

    /// A WLCG token with all three compute write scopes, which together list `condor:/WRITE`.
    fn all_compute_writes(&self) -> bool {
        self.profile == Profile::Wlcg
            && COMPUTE_WRITES
                .iter()
                .all(|w| self.scopes.iter().any(|s| s.authz() == w))
    }
}

/// The compute scopes that together grant HTCondor's `WRITE`.
const COMPUTE_WRITES: [Authz; 3] = [
    Authz::ComputeCreate,
    Authz::ComputeModify,
    Authz::ComputeCancel,
];

/// Whether a listed resource covers a requested one, both normalized: equal, or the request
/// is below the listed path on a segment boundary.
fn listed_covers(listed: &str, requested: &str) -> bool {
    match requested.strip_prefix(listed) {
        Some(rest) => rest.is_empty() || listed.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

/// A resource as consumers match it: decoded, a directory with its trailing `/`.
fn decoded_resource(resource: &Resource) -> String {
    let path = |p: &ScopePath| {
        if p.is_dir() && !p.is_root() {
            format!("{}/", p.as_str())
        } else {
            p.as_str().to_owned()
        }
    };
    match resource {
        Resource::Any => "/".to_owned(),
        Resource::Path(p) => path(p),
        Resource::Url {
            scheme,
            authority,
            path: p,
        } => format!("{scheme}://{authority}{}", path(p)),
    }
}

/// Whether a scope's resource covers the request; compute scopes name no resource.
fn covers(scope: &Scope, target: &RequestTarget) -> bool {
    scope.authz().resource_rule() == ResourceRule::Ignored || scope.resource().covers(target)
}

fn resource_string(resource: &Resource) -> String {
    match resource {
        Resource::Any => "/".to_owned(),
        other => other.to_string(),
    }
}

fn target_string(target: &RequestTarget) -> String {
    match target {
        RequestTarget::Path(p) => p.as_str().to_owned(),
        RequestTarget::Url {
            scheme,
            authority,
            path,
        } => format!("{scheme}://{authority}{}", path.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: the first scope in token order that grants and covers.
    fn linear(grants: &Grants, op: &Operation, target: &RequestTarget) -> bool {
        op.parts().iter().all(|part| {
            grants
                .scopes
                .iter()
                .any(|s| part.granted_by(s.authz()) && covers(s, target))
        })
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a".to_owned()),
            Just("b".to_owned()),
            Just("ab".to_owned()),
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just("".to_owned())
        ]
    }

    fn path() -> impl Strategy<Value = String> {
        (proptest::collection::vec(segment(), 0..4), any::<bool>()).prop_map(|(segs, slash)| {
            format!("/{}{}", segs.join("/"), if slash { "/" } else { "" })
        })
    }

    proptest! {
        #[test]
        fn index_agrees_with_a_linear_scan(
            entries in proptest::collection::vec((0usize..6, path()), 0..12),
            request in path(),
            op in 0usize..5,
        ) {
            let authz = ["read", "storage.create", "storage.modify", "write", "compute.read"];
            let claim: Vec<String> = entries.iter().map(|(a, p)| format!("{}:{p}", authz[a % 5])).collect();
            let Ok(scopes) = Scope::parse_list(&claim.join(" ")) else { return Ok(()) };
            let op = [Operation::Read, Operation::Create, Operation::Modify, Operation::Write, Operation::ComputeRead][op].clone();
            let target = RequestTarget::parse(&request).unwrap();
            let scanned = Grants::build(Profile::Wlcg, scopes.clone(), UnixTime::default(), false);
            let indexed = Grants::build(Profile::Wlcg, scopes, UnixTime::default(), true);
            let expected = linear(&scanned, &op, &target);
            // Same answer, and the same granting scopes, with and without the index.
            prop_assert_eq!(scanned.test(&op, &target).is_allowed(), expected);
            prop_assert_eq!(indexed.test(&op, &target), scanned.test(&op, &target));
            // Grants asked once decide the same, denials included.
            let once = scanned.test(&op, &target);
            prop_assert_eq!(scanned.into_decision(&op, target), once);
        }
    }
}
