//! Claim callbacks: checks a caller registers for a claim name.

use scitokens_format::Claims;
use serde_json::Value;

/// A check on one claim's value. Return `Err(reason)` to reject the token; the reason is
/// reported as `claim NAME rejected: REASON`.
///
/// Closures `Fn(&Value) -> Result<(), String>` implement it.
pub trait ClaimCheck: Send + Sync {
    /// Checks `value`, the claim this check is registered for; `claims` gives the rest.
    fn check(&self, value: &Value, claims: &Claims) -> Result<(), String>;
}

impl<F> ClaimCheck for F
where
    F: Fn(&Value) -> Result<(), String> + Send + Sync,
{
    fn check(&self, value: &Value, _claims: &Claims) -> Result<(), String> {
        self(value)
    }
}
