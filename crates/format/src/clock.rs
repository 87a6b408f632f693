//! Where "now" comes from: read on every call, or injected by tests (SEMANTICS §4).

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> i64;
}

/// The system clock, read on every call.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            // A clock before 1970 is a broken host; report the epoch rather than panic.
            Err(_) => 0,
        }
    }
}

/// A clock that always says the same instant: for tests and for replaying a decision.
///
/// ```
/// use scitokens_format::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_700_000_000).now(), 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}
