//! Rate limits: per client address before anything else, per client after it authenticates.
//! A refusal is `429 Too Many Requests` with `Retry-After` (docs/issuer.md, "Limits").

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitsConfig;
use crate::oauth::OAuthError;

/// The two keyed limiters.
pub struct Limits {
    address: DefaultKeyedRateLimiter<IpAddr>,
    client: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate))
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    clock: &DefaultClock,
    key: &K,
) -> Result<(), OAuthError> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(clock.now());
        OAuthError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    })
}

impl Limits {
    /// Limiters with the configured quotas.
    pub fn new(config: &LimitsConfig) -> Self {
        Limits {
            address: RateLimiter::keyed(quota(
                config.per_address_per_second,
                config.per_address_burst,
            )),
            client: RateLimiter::keyed(quota(
                config.per_client_per_second,
                config.per_client_burst,
            )),
            clock: DefaultClock::default(),
        }
    }

    /// Counts a request from `address`.
    pub fn address(&self, address: IpAddr) -> Result<(), OAuthError> {
        check(&self.address, &self.clock, &address)
    }

    /// Counts a request by an authenticated `client`.
    pub fn client(&self, client: &str) -> Result<(), OAuthError> {
        check(&self.client, &self.clock, &client.to_owned())
    }

    /// Drops the state of keys idle long enough to be back at a full burst.
    pub fn forget_idle(&self) {
        self.address.retain_recent();
        self.client.retain_recent();
        self.address.shrink_to_fit();
        self.client.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusal_with_retry_after() {
        let limits = Limits::new(&LimitsConfig {
            per_address_per_second: 1,
            per_address_burst: 2,
            ..LimitsConfig::default()
        });
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        assert!(limits.address(a).is_ok() && limits.address(a).is_ok());
        let err = limits.address(a).unwrap_err();
        assert_eq!(err.code(), crate::oauth::ErrorCode::TemporarilyUnavailable);
        assert!(limits.address(b).is_ok(), "limits are per address");
    }

    #[test]
    fn clients_have_their_own_buckets() {
        let limits = Limits::new(&LimitsConfig {
            per_client_per_second: 1,
            per_client_burst: 1,
            ..LimitsConfig::default()
        });
        assert!(limits.client("a").is_ok());
        let err = limits.client("a").unwrap_err();
        assert_eq!(err.code(), crate::oauth::ErrorCode::TemporarilyUnavailable);
        assert!(limits.client("b").is_ok(), "limits are per client");
        assert!(
            limits.address([127, 0, 0, 1].into()).is_ok(),
            "and apart from addresses"
        );
    }
}
