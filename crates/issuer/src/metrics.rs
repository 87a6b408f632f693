//! Prometheus metrics, served at `/metrics` in the text exposition format.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabel {
    grant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabel {
    endpoint: String,
    error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabel {
    limit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabel {
    decision: String,
}

type HistogramFamily = Family<EndpointLabel, Histogram, fn() -> Histogram>;

/// The issuer's counters and histograms.
pub struct Metrics {
    registry: Registry,
    issued: Family<GrantLabel, Counter>,
    errors: Family<ErrorLabel, Counter>,
    replays: Counter,
    discovery: Counter,
    argon2: Counter,
    revocations: Counter,
    limited: Family<LimitLabel, Counter>,
    decisions: Family<DecisionLabel, Counter>,
    duration: HistogramFamily,
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 1.6 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("scitokens_issuer");
        let issued = Family::<GrantLabel, Counter>::default();
        registry.register(
            "tokens_issued",
            "Access tokens issued, by grant",
            issued.clone(),
        );
        let errors = Family::<ErrorLabel, Counter>::default();
        registry.register(
            "errors",
            "OAuth error answers, by endpoint and error code",
            errors.clone(),
        );
        let replays = Counter::default();
        registry.register(
            "refresh_replays",
            "Refresh tokens presented again after use (their families were revoked)",
            replays.clone(),
        );
        let discovery = Counter::default();
        registry.register(
            "discovery_requests",
            "Requests for the discovery metadata or the JWKS (what verifiers fetch)",
            discovery.clone(),
        );
        let argon2 = Counter::default();
        registry.register(
            "secret_verifications",
            "argon2id verifications of client secrets (first contacts, wrong secrets, unknown ids)",
            argon2.clone(),
        );
        let revocations = Counter::default();
        registry.register(
            "revocations",
            "Tokens revoked through the revocation endpoint",
            revocations.clone(),
        );
        let limited = Family::<LimitLabel, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit, by limit",
            limited.clone(),
        );
        let decisions = Family::<DecisionLabel, Counter>::default();
        registry.register(
            "device_decisions",
            "Device-flow requests approved or denied by people on the consent page",
            decisions.clone(),
        );
        let duration: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "request_duration_seconds",
            "Time to answer a request, by endpoint",
            duration.clone(),
        );
        Metrics {
            registry,
            issued,
            errors,
            replays,
            discovery,
            argon2,
            revocations,
            limited,
            decisions,
            duration,
        }
    }

    /// One access token issued through `grant`.
    pub fn issued(&self, grant: &str) {
        self.issued
            .get_or_create(&GrantLabel {
                grant: grant.to_owned(),
            })
            .inc();
    }

    /// One error answered by `endpoint`.
    pub fn error(&self, endpoint: &str, error: &str) {
        self.errors
            .get_or_create(&ErrorLabel {
                endpoint: endpoint.to_owned(),
                error: error.to_owned(),
            })
            .inc();
    }

    /// One refresh-token replay.
    pub fn replay(&self) {
        self.replays.inc();
    }

    /// One request for the metadata or the JWKS.
    pub fn discovery_request(&self) {
        self.discovery.inc();
    }

    /// Requests for the metadata or the JWKS so far.
    pub fn discovery_requests(&self) -> u64 {
        self.discovery.get()
    }

    /// The counter of argon2id verifications, for the client registry to increment.
    pub fn secret_verifications(&self) -> Counter {
        self.argon2.clone()
    }

    /// One revocation.
    pub fn revocation(&self) {
        self.revocations.inc();
    }

    /// One request refused by `limit` (`address` or `client`).
    pub fn limited(&self, limit: &str) {
        self.limited
            .get_or_create(&LimitLabel {
                limit: limit.to_owned(),
            })
            .inc();
    }

    /// One decision on the consent page.
    pub fn device_decision(&self, approved: bool) {
        self.decisions
            .get_or_create(&DecisionLabel {
                decision: if approved { "approve" } else { "deny" }.to_owned(),
            })
            .inc();
    }

    /// One request to `endpoint` answered in `elapsed`.
    pub fn observe(&self, endpoint: &str, elapsed: Duration) {
        self.duration
            .get_or_create(&EndpointLabel {
                endpoint: endpoint.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
