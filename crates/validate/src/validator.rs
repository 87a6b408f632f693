//! The validator: built once, then immutable; `validate` is a pure function of the token,
//! the configuration and `now`.

use std::fmt;
use std::time::Duration;

use scitokens_format::{
    is_loopback_http, names, Audience, Claims, Header, Profile, UnixTime, Untrusted,
};

use crate::check::{ClaimCheck, ClaimRules};
use crate::error::{Result, ValidationError};

/// How far `exp` may be in the past by default (`docs/semantics.md` §4: as the incumbents, none).
pub const DEFAULT_EXP_LEEWAY: Duration = Duration::ZERO;
/// How far `iat` and `nbf` may be in the future by default (`docs/semantics.md` §4).
pub const DEFAULT_FUTURE_SKEW: Duration = Duration::from_secs(60);

/// Claims with built-in rules; in SciTokens 1.0 tokens, any other claim needs a callback.
const KNOWN_CLAIMS: [&str; 10] = [
    names::ISS,
    names::SUB,
    names::AUD,
    names::EXP,
    names::NBF,
    names::IAT,
    names::JTI,
    names::SCOPE,
    names::VER,
    names::OPT,
];

/// What a validator does with a claim it has no rule or callback for, in a SciTokens 1.0
/// token (`docs/semantics.md` §3). Newer profiles ignore unknown claims either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownClaims {
    /// Refuse the token: the SciTokens 1.0 rule, and the default.
    #[default]
    Refuse,
    /// Ignore them: scitokens-cpp's deserialize and enforcer, which the C ABI reproduces.
    Ignore,
}

/// Builds a [`Validator`].
#[derive(Clone, Default)]
pub struct ValidatorBuilder {
    issuers: Vec<String>,
    audiences: Vec<String>,
    profiles: Option<Vec<Profile>>,
    exp_leeway: Option<Duration>,
    future_skew: Option<Duration>,
    allow_http_loopback_issuers: bool,
    rules: ClaimRules,
    any_issuer: bool,
    skip_audience: bool,
    unknown_claims: UnknownClaims,
}

/// Checks a token's claims: issuer, time, audience, profile, and registered callbacks.
///
/// Immutable, `Send + Sync`; the time is passed to every call.
///
/// ```
/// use scitokens_format::{Claims, Header, Profile};
/// use scitokens_validate::Validator;
///
/// let validator = Validator::builder()
///     .issuer("https://issuer.example")
///     .audience("https://storage.example")
///     .check("group", |v: &serde_json::Value| {
///         if v == "cms" { Ok(()) } else { Err(format!("{v} is not cms").into()) }
///     })
///     .build()?;
/// let header = Header::from_json(br#"{"alg":"ES256"}"#)?;
/// let claims = Claims::from_json(br#"{"iss":"https://issuer.example","exp":1000,
///     "aud":"https://storage.example","ver":"scitoken:2.0","group":"cms"}"#)?;
/// assert_eq!(validator.validate(&header, &claims, 999)?, Profile::SciTokens2);
/// assert_eq!(validator.validate(&header, &claims, 1000).unwrap_err().kind(), "expired");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Validator {
    issuers: Vec<String>,
    audiences: Vec<String>,
    profiles: Vec<Profile>,
    exp_leeway: Duration,
    future_skew: Duration,
    rules: ClaimRules,
    any_issuer: bool,
    skip_audience: bool,
    unknown_claims: UnknownClaims,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("profiles", &self.profiles)
            .field("exp_leeway", &self.exp_leeway)
            .field("future_skew", &self.future_skew)
            .field("rules", &self.rules)
            .field("any_issuer", &self.any_issuer)
            .field("skip_audience", &self.skip_audience)
            .field("unknown_claims", &self.unknown_claims)
            .finish()
    }
}

impl ValidatorBuilder {
    /// Trusts tokens from `issuer` (compared exactly). At least one is required.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Accepts tokens whose `aud` includes `audience` (exact, case-sensitive).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Accepts only these profiles (default: all four).
    pub fn profiles(mut self, profiles: impl IntoIterator<Item = Profile>) -> Self {
        self.profiles = Some(profiles.into_iter().collect());
        self
    }

    /// How far `exp` may be in the past (default [`DEFAULT_EXP_LEEWAY`]).
    pub fn exp_leeway(mut self, leeway: Duration) -> Self {
        self.exp_leeway = Some(leeway);
        self
    }

    /// How far `iat` and `nbf` may be in the future (default [`DEFAULT_FUTURE_SKEW`]).
    pub fn future_skew(mut self, skew: Duration) -> Self {
        self.future_skew = Some(skew);
        self
    }

    /// Registers a check for claim `name`; several checks per claim run in registration order.
    /// In SciTokens 1.0 tokens, a claim with a check is an accepted claim.
    pub fn check(mut self, name: impl Into<String>, check: impl ClaimCheck + 'static) -> Self {
        self.rules = self.rules.check(name, check);
        self
    }

    /// Makes claim `name` required: a token without it is refused.
    pub fn critical(mut self, name: impl Into<String>) -> Self {
        self.rules = self.rules.critical(name);
        self
    }

    /// Adds a set of callbacks and critical claims (after those registered so far).
    pub fn rules(mut self, rules: ClaimRules) -> Self {
        self.rules = self.rules.merge(rules);
        self
    }

    /// The settings that weaken validation, each reached on purpose (as rustls's
    /// `dangerous()`): any issuer, no audience check, `http://` issuers on loopback.
    pub fn dangerous(self) -> DangerousValidatorBuilder {
        DangerousValidatorBuilder(self)
    }

    /// What to do with unknown claims in SciTokens 1.0 tokens (default
    /// [`UnknownClaims::Refuse`]).
    pub fn unknown_claims(mut self, policy: UnknownClaims) -> Self {
        self.unknown_claims = policy;
        self
    }

    /// Checks the configuration and builds the validator.
    pub fn build(self) -> Result<Validator> {
        let config = |reason: String| ValidationError::Config { reason };
        if self.issuers.is_empty() && !self.any_issuer {
            return Err(config("no issuer is trusted; add at least one".into()));
        }
        for issuer in &self.issuers {
            let https = issuer.starts_with("https://") && issuer.len() > "https://".len();
            let loopback = self.allow_http_loopback_issuers && is_loopback_http(issuer);
            if !(https || loopback) {
                return Err(config(format!(
                    "issuer {} is not an https URL",
                    Untrusted::new(issuer)
                )));
            }
        }
        for audience in &self.audiences {
            if Profile::ALL
                .iter()
                .any(|p| p.any_audience() == Some(audience.as_str()))
            {
                return Err(config(format!(
                    "{audience} is a wildcard a token may carry, not this service's audience"
                )));
            }
        }
        let profiles = self.profiles.unwrap_or_else(|| Profile::ALL.to_vec());
        if profiles.is_empty() {
            return Err(config("no profile is accepted".into()));
        }
        let exp_leeway = self.exp_leeway.unwrap_or(DEFAULT_EXP_LEEWAY);
        let future_skew = self.future_skew.unwrap_or(DEFAULT_FUTURE_SKEW);
        Ok(Validator {
            issuers: self.issuers,
            audiences: self.audiences,
            profiles,
            exp_leeway,
            future_skew,
            rules: self.rules,
            any_issuer: self.any_issuer,
            skip_audience: self.skip_audience,
            unknown_claims: self.unknown_claims,
        })
    }
}

/// The dangerous part of a [`ValidatorBuilder`], from [`ValidatorBuilder::dangerous`]; back to
/// the safe builder with [`done`](Self::done).
///
/// ```
/// use scitokens_validate::Validator;
/// let validator = Validator::builder()
///     .dangerous()
///     .allow_http_loopback_issuers()
///     .done()
///     .issuer("http://127.0.0.1:8443")
///     .build()?;
/// assert_eq!(validator.issuers(), ["http://127.0.0.1:8443"]);
/// assert!(Validator::builder().issuer("http://127.0.0.1:8443").build().is_err());
/// # Ok::<(), scitokens_validate::ValidationError>(())
/// ```
#[must_use = "call done() to go back to the builder"]
pub struct DangerousValidatorBuilder(ValidatorBuilder);

impl DangerousValidatorBuilder {
    /// Accepts a token from any issuer (whose keys the caller found): for scitokens-cpp's
    /// `scitoken_deserialize` with no issuer list, which the C ABI must reproduce. `iss` must
    /// still be a string. Never use it in front of a key source that fetches for any issuer
    /// it is asked about.
    pub fn any_issuer(mut self) -> Self {
        self.0.any_issuer = true;
        self
    }

    /// Leaves `aud` to the caller: for scitokens-cpp's deserialize and validator calls, where
    /// the audience is checked later, by the enforcer, or not at all.
    pub fn skip_audience(mut self) -> Self {
        self.0.skip_audience = true;
        self
    }

    /// Allows `http://` issuers on loopback hosts (127.0.0.0/8, `[::1]`, `localhost`). For
    /// tests only.
    pub fn allow_http_loopback_issuers(mut self) -> Self {
        self.0.allow_http_loopback_issuers = true;
        self
    }

    /// Back to the safe builder.
    pub fn done(self) -> ValidatorBuilder {
        self.0
    }
}

impl Validator {
    /// Starts a builder.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    /// Whether `iss` is trusted. Call it before any key lookup (semantics.md §5): an untrusted
    /// issuer must cost no network fetch.
    pub fn check_issuer(&self, claims: &Claims) -> Result<()> {
        let iss = claims.iss().require(names::ISS)?;
        if self.any_issuer || self.issuers.iter().any(|i| i == iss) {
            Ok(())
        } else {
            Err(ValidationError::UntrustedIssuer {
                iss: Untrusted::new(iss),
            })
        }
    }

    /// Validates the claims of a (verified) token at time `now`; returns its profile.
    ///
    /// Checks run in a fixed order, so the error reported never depends on claim or hash
    /// order: issuer, profile, `exp`, `nbf`, `iat`, `aud`, `sub`, `jti`, `scope`, critical
    /// claims, callbacks (by claim name), then, for SciTokens 1.0, unknown claims (token order).
    pub fn validate(
        &self,
        header: &Header,
        claims: &Claims,
        now: impl Into<UnixTime>,
    ) -> Result<Profile> {
        let now = now.into();
        self.check_issuer(claims)?;
        let profile = Profile::detect(header, claims)?;
        if !self.profiles.contains(&profile) {
            return Err(ValidationError::ProfileNotAccepted {
                profile,
                accepted: self
                    .profiles
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        self.check_times(profile, claims, now)?;
        if !self.skip_audience {
            self.check_audience(profile, claims)?;
        }
        claims.sub().optional(names::SUB)?;
        claims.jti().optional(names::JTI)?;
        claims.scope().optional(names::SCOPE)?;
        for name in &self.rules.critical {
            if !claims.contains(name) {
                return Err(ValidationError::Format(
                    scitokens_format::FormatError::MissingClaim {
                        claim: name.clone(),
                    },
                ));
            }
        }
        for (name, checks) in &self.rules.checks {
            if let Some(value) = claims.get(name) {
                for check in checks {
                    check
                        .check(value, claims)
                        .map_err(|rejection| ValidationError::Rejected {
                            claim: Untrusted::new(name),
                            reason: rejection.reason().to_owned(),
                        })?;
                }
            }
        }
        if profile == Profile::SciTokens1 && self.unknown_claims == UnknownClaims::Refuse {
            if let Some((name, _)) = claims.iter().find(|(name, _)| {
                !KNOWN_CLAIMS.contains(name) && !self.rules.checks.contains_key(*name)
            }) {
                return Err(ValidationError::UnknownClaim {
                    claim: Untrusted::new(name),
                });
            }
        }
        Ok(profile)
    }

    fn check_times(&self, profile: Profile, claims: &Claims, now: UnixTime) -> Result<()> {
        let exp = claims.exp().require(names::EXP)?;
        if now >= exp.saturating_add(self.exp_leeway) {
            return Err(ValidationError::Expired {
                exp,
                now,
                leeway: self.exp_leeway,
            });
        }
        let limit = now.saturating_add(self.future_skew);
        if let Some(nbf) = claims.nbf().optional(names::NBF)? {
            if nbf > limit {
                return Err(self.not_yet(names::NBF, nbf, now));
            }
        }
        let iat = match profile {
            Profile::Wlcg | Profile::AccessToken => Some(claims.iat().require(names::IAT)?),
            Profile::SciTokens1 | Profile::SciTokens2 => claims.iat().optional(names::IAT)?,
        };
        if let Some(iat) = iat {
            if iat > limit {
                return Err(self.not_yet(names::IAT, iat, now));
            }
        }
        Ok(())
    }

    fn not_yet(&self, claim: &'static str, value: UnixTime, now: UnixTime) -> ValidationError {
        ValidationError::NotYetValid {
            claim,
            value,
            now,
            skew: self.future_skew,
        }
    }

    /// `docs/semantics.md` §5. `aud` is required in every profile as soon as the service
    /// names an audience; only with none configured may a SciTokens 1.0 token omit it.
    fn check_audience(&self, profile: Profile, claims: &Claims) -> Result<()> {
        let aud: Option<Audience> = match profile {
            Profile::SciTokens1 if self.audiences.is_empty() => {
                claims.aud().optional(names::AUD)?
            }
            _ => Some(claims.aud().require(names::AUD)?),
        };
        let Some(aud) = aud else { return Ok(()) };
        let wildcard = profile.any_audience();
        let ours = self.audiences.iter().any(|a| aud.contains(a));
        if ours || wildcard.is_some_and(|w| aud.contains(w)) {
            return Ok(());
        }
        let mut expected: Vec<&str> = self.audiences.iter().map(String::as_str).collect();
        expected.extend(wildcard);
        Err(ValidationError::WrongAudience {
            found: Untrusted::json(&aud.values().collect::<serde_json::Value>()),
            expected: match (self.audiences.is_empty(), wildcard) {
                (false, _) => expected.join(", "),
                (true, Some(any)) => {
                    format!("{any}, the only audience accepted when none is configured")
                }
                (true, None) => "none: no audience is configured".into(),
            },
        })
    }
}
