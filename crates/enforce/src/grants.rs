//! What a valid token grants: its scopes, tested against requests, listed as ACLs.

use std::fmt;

use scitokens_format::scope::{Authz, RequestTarget, Resource, ResourceRule, Scope};
use scitokens_format::Profile;

use crate::operation::Operation;

/// The grants of a token that was verified and validated at some time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    pub(crate) profile: Profile,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) exp: i64,
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
            match self
                .scopes
                .iter()
                .find(|s| part.granted_by(s.authz()) && covers(s, target))
            {
                Some(scope) => by.push(scope.clone()),
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
