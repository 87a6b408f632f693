//! Where "now" comes from: read on every call, or injected by tests (semantics.md §4).

use std::time::Duration;

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

/// A point in time: whole seconds since the Unix epoch (UTC), as JWT claims count them.
/// Spans are [`Duration`]s; the difference of two times is seconds ([`UnixTime::secs_since`]).
///
/// ```
/// use std::time::Duration;
/// use scitokens_format::UnixTime;
/// let t = UnixTime::from_secs(1_700_000_000);
/// assert_eq!(t.saturating_add(Duration::from_secs(600)).as_secs(), 1_700_000_600);
/// assert_eq!(UnixTime::from(1_700_000_600).secs_since(t), 600);
/// assert_eq!(t.to_string(), "1700000000");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The earliest representable time: "no time yet", before any other.
    pub const MIN: UnixTime = UnixTime(i64::MIN);

    /// The latest representable time: "never", after any other.
    pub const MAX: UnixTime = UnixTime(i64::MAX);

    /// The time `secs` seconds after the epoch (before it, if negative).
    pub const fn from_secs(secs: i64) -> Self {
        UnixTime(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// This time plus `span`, saturating.
    pub fn saturating_add(self, span: Duration) -> Self {
        UnixTime(self.0.saturating_add(whole_seconds(span)))
    }

    /// This time minus `span`, saturating.
    pub fn saturating_sub(self, span: Duration) -> Self {
        UnixTime(self.0.saturating_sub(whole_seconds(span)))
    }

    /// Seconds from `earlier` to this time (negative if `earlier` is later), saturating.
    pub fn secs_since(self, earlier: UnixTime) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The span from `earlier` to this time; zero if `earlier` is not earlier.
    ///
    /// ```
    /// use std::time::Duration;
    /// use scitokens_format::UnixTime;
    /// let (a, b) = (UnixTime::from_secs(-5), UnixTime::from_secs(10));
    /// assert_eq!(b.duration_since(a), Duration::from_secs(15));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// assert_eq!(UnixTime::MAX.duration_since(UnixTime::MIN).as_secs(), u64::MAX);
    /// ```
    pub fn duration_since(self, earlier: UnixTime) -> Duration {
        Duration::from_secs(self.0.abs_diff(earlier.0) * u64::from(self.0 > earlier.0))
    }
}

impl serde::Serialize for UnixTime {
    /// As the JSON number of seconds.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl From<UnixTime> for serde_json::Value {
    /// The JSON number of seconds, as JWT claims write times.
    fn from(time: UnixTime) -> Self {
        time.0.into()
    }
}

impl From<i64> for UnixTime {
    fn from(secs: i64) -> Self {
        UnixTime(secs)
    }
}

impl std::fmt::Display for UnixTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The system clock, read on every call.
///
/// On Linux it reads the coarse real-time clock (`CLOCK_REALTIME_COARSE`): the time of the
/// last kernel tick, which lags the precise clock by at most a tick (1 to 10 ms) and never
/// runs ahead of it. Claims count whole seconds, so that lag is far below what they can
/// express; the read costs about 5 ns against 35 ns for `SystemTime::now` on the
/// measurement machine (`docs/performance.md`), and an enforcer reads the clock on every
/// request. Elsewhere it reads `SystemTime::now`.
///
/// ```
/// use std::time::{SystemTime, UNIX_EPOCH};
/// use scitokens_format::{Clock, SystemClock};
/// let precise = |()| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
/// let before = precise(());
/// let now = SystemClock.now().as_secs();
/// // Never ahead of the precise clock; behind it by at most a tick, so by a second at most
/// // across a second boundary.
/// assert!(before - 1 <= now && now <= precise(()));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(target_os = "linux")]
    fn now(&self) -> UnixTime {
        UnixTime(rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse).tv_sec)
    }

    #[cfg(not(target_os = "linux"))]
    fn now(&self) -> UnixTime {
        use std::time::{SystemTime, UNIX_EPOCH};
        UnixTime(match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => whole_seconds(d),
            // A clock before 1970 is a broken host; report the epoch rather than panic.
            Err(_) => 0,
        })
    }
}

/// A clock that always says the same instant: for tests and for replaying a decision.
///
/// ```
/// use scitokens_format::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_700_000_000).now().as_secs(), 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0)
    }
}

/// A clock that stays where it is set and moves only when told: for tests of anything that
/// keeps time (caches, long-lived enforcers). Shareable across threads.
///
/// ```
/// use scitokens_format::{Clock, ManualClock};
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(601);
/// assert_eq!(clock.now().as_secs(), 1_700_000_601);
/// clock.set(5);
/// assert_eq!(clock.now().as_secs(), 5);
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
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}
