//! Claim callbacks: checks a caller registers for a claim name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use scitokens_format::Claims;
use serde_json::Value;

/// Why a callback refused a claim; reported as `claim NAME rejected: REASON`.
///
/// ```
/// use scitokens_validate::Rejection;
/// let r: Rejection = "group must be cms".into();
/// assert_eq!(r.to_string(), "group must be cms");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    reason: String,
}

impl Rejection {
    /// A rejection with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Rejection {
            reason: reason.into(),
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl From<String> for Rejection {
    fn from(reason: String) -> Self {
        Rejection { reason }
    }
}

impl From<&str> for Rejection {
    fn from(reason: &str) -> Self {
        Rejection::new(reason)
    }
}

/// A check on one claim's value; `Err` refuses the token.
///
/// Closures `Fn(&Value) -> Result<(), Rejection>` implement it; implement the trait directly
/// to look at the other claims too.
pub trait ClaimCheck: Send + Sync {
    /// Checks `value`, the claim this check is registered for; `claims` gives the rest.
    fn check(&self, value: &Value, claims: &Claims) -> Result<(), Rejection>;
}

impl<F> ClaimCheck for F
where
    F: Fn(&Value) -> Result<(), Rejection> + Send + Sync,
{
    fn check(&self, value: &Value, _claims: &Claims) -> Result<(), Rejection> {
        self(value)
    }
}

/// Claim callbacks and critical claims, as a value a configuration can carry (an
/// `EnforcerConfig`, say) and a [`crate::ValidatorBuilder`] takes with `rules`.
///
/// ```
/// use scitokens_validate::ClaimRules;
/// let rules = ClaimRules::new()
///     .check("group", |v: &serde_json::Value| if v == "cms" { Ok(()) } else { Err("not cms".into()) })
///     .critical("group");
/// assert_eq!(format!("{rules:?}"), r#"ClaimRules { checks: ["group"], critical: {"group"} }"#);
/// ```
#[derive(Clone, Default)]
pub struct ClaimRules {
    pub(crate) checks: BTreeMap<String, Vec<Arc<dyn ClaimCheck>>>,
    pub(crate) critical: BTreeSet<String>,
}

impl ClaimRules {
    /// No callbacks, no critical claims.
    pub fn new() -> Self {
        ClaimRules::default()
    }

    /// Registers a check for claim `name`; several checks per claim run in registration order.
    /// In SciTokens 1.0 tokens, a claim with a check is an accepted claim.
    pub fn check(mut self, name: impl Into<String>, check: impl ClaimCheck + 'static) -> Self {
        self.checks
            .entry(name.into())
            .or_default()
            .push(Arc::new(check));
        self
    }

    /// Makes claim `name` required: a token without it is refused.
    pub fn critical(mut self, name: impl Into<String>) -> Self {
        self.critical.insert(name.into());
        self
    }

    /// Adds `other`'s checks (after these) and critical claims.
    pub fn merge(mut self, other: ClaimRules) -> Self {
        for (name, checks) in other.checks {
            self.checks.entry(name).or_default().extend(checks);
        }
        self.critical.extend(other.critical);
        self
    }
}

impl fmt::Debug for ClaimRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimRules")
            .field("checks", &self.checks.keys().collect::<Vec<_>>())
            .field("critical", &self.critical)
            .finish()
    }
}

impl PartialEq for ClaimRules {
    /// The same critical claims, and the same callbacks (the same `Arc`s) for the same claims.
    fn eq(&self, other: &Self) -> bool {
        self.critical == other.critical
            && self.checks.len() == other.checks.len()
            && self
                .checks
                .iter()
                .zip(&other.checks)
                .all(|((a, xs), (b, ys))| {
                    a == b
                        && xs.len() == ys.len()
                        && xs.iter().zip(ys).all(|(x, y)| Arc::ptr_eq(x, y))
                })
    }
}

impl Eq for ClaimRules {}
