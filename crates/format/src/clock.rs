//! Where "now" comes from: read on every call, or injected by tests (semantics.md §4).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The whole seconds of a span, saturating at `i64::MAX`: for arithmetic with Unix times.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(scitokens_format::whole_seconds(Duration::from_millis(1_999)), 1);
/// assert_eq!(scitokens_format::whole_seconds(Duration::MAX), i64::MAX);
/// ```
pub fn whole_seconds(span: Duration) -> i64 {
    i64::try_from(span.as_secs()).unwrap_or(i64::MAX)
}

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
            Ok(d) => whole_seconds(d),
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

/// A clock that stays where it is set and moves only when told: for tests of anything that
/// keeps time (caches, long-lived enforcers). Shareable across threads.
///
/// ```
/// use scitokens_format::{Clock, ManualClock};
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(601);
/// assert_eq!(clock.now(), 1_700_000_601);
/// clock.set(5);
/// assert_eq!(clock.now(), 5);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: i64) -> Self {
        ManualClock(std::sync::atomic::AtomicI64::new(now))
    }

    /// Moves the clock by `seconds` (negative moves it back).
    pub fn advance(&self, seconds: i64) {
        self.0
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sets the clock to `now`.
    pub fn set(&self, now: i64) {
        self.0.store(now, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
