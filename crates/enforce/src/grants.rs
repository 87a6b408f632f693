//! What a valid token grants: its scopes, tested against requests, listed as ACLs.

use std::collections::HashMap;
use std::fmt;

use scitokens_format::scope::{Authz, RequestTarget, Resource, ResourceRule, Scope};
use scitokens_format::Profile;

use crate::operation::Operation;

/// The grants of a token that was verified and validated at some time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    profile: Profile,
    scopes: Vec<Scope>,
    exp: i64,
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

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
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
    pub fn new(profile: Profile, scopes: Vec<Scope>, exp: i64) -> Self {
        let indexed = scopes.len() > INDEX_MIN_SCOPES;
        Self::build(profile, scopes, exp, indexed)
    }

    fn build(profile: Profile, scopes: Vec<Scope>, exp: i64, indexed: bool) -> Self {
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
    pub fn expires(&self) -> i64 {
        self.exp
    }

    /// Tests a request. Pure: the answer depends only on these grants and the request, never
    /// on scope order or on earlier calls.
    pub fn test(&self, operation: &Operation, target: &RequestTarget) -> Decision {
        let mut by = Vec::new();
        for part in operation.parts() {
            // The first granting scope in token order, found among the candidates only.
            let grants = |s: &Scope| part.granted_by(s.authz()) && covers(s, target);
            let first = match &self.index {
                Some(index) => index.first(target, |i| grants(&self.scopes[i])),
                None => self.scopes.iter().position(grants),
            };
            match first {
                Some(i) => by.push(self.scopes[i].clone()),
                None => {
                    return Decision::Denied(Denial {
                        operation: operation.clone(),
                        target: target_string(target),
                        considered: self.scopes.clone(),
                    })
                }
            }
        }
        Decision::Allowed { by }
    }

    /// The grants as ACLs: the token's own names (`storage.read:/data`), or with `compat`,
    /// scitokens-cpp's `(authz, path)` list (SEMANTICS §8).
    pub fn acls(&self, compat: bool) -> Vec<Acl> {
        let mut out: Vec<Acl> = Vec::new();
        let mut push = |a: Acl| {
            if !out.contains(&a) {
                out.push(a);
            }
        };
        if !compat || self.profile != Profile::Wlcg {
            for scope in &self.scopes {
                push(acl(
                    scope.authz().as_str(),
                    &resource_string(scope.resource()),
                ));
            }
            return out;
        }
        let mut compute_writes = 0;
        for scope in &self.scopes {
            let resource = resource_string(scope.resource());
            match scope.authz() {
                Authz::StorageRead => push(acl("read", &resource)),
                Authz::StorageCreate => {
                    push(acl("write", &resource));
                    push(acl("create", &resource));
                }
                Authz::StorageModify => {
                    push(acl("write", &resource));
                    push(acl("modify", &resource));
                }
                Authz::ComputeRead => push(acl("condor", "/READ")),
                authz @ (Authz::ComputeCreate | Authz::ComputeModify | Authz::ComputeCancel) => {
                    push(acl(authz.as_str(), "/"));
                    compute_writes |= match authz {
                        Authz::ComputeCreate => 1,
                        Authz::ComputeModify => 2,
                        _ => 4,
                    };
                }
                other => push(acl(other.as_str(), &resource)),
            }
        }
        if compute_writes == 7 {
            push(acl("condor", "/WRITE"));
        }
        out
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
            let scanned = Grants::build(Profile::Wlcg, scopes.clone(), 0, false);
            let indexed = Grants::build(Profile::Wlcg, scopes, 0, true);
            let expected = linear(&scanned, &op, &target);
            // Same answer, and the same granting scopes, with and without the index.
            prop_assert_eq!(scanned.test(&op, &target).is_allowed(), expected);
            prop_assert_eq!(indexed.test(&op, &target), scanned.test(&op, &target));
        }
    }
}
