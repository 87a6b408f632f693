//! Claim callbacks: checks a caller registers for a claim name.

use std::fmt;

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
