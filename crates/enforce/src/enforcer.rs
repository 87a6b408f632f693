//! The enforcer: configuration in, an immutable `Send + Sync` value out.

use std::sync::Arc;

use scitokens_format::scope::{RequestTarget, Scope};
use scitokens_format::{
    names, Clock, Profile, SystemClock, UnverifiedToken, VerifiedToken, DEFAULT_MAX_TOKEN_LEN,
};
use scitokens_keycache::KeySource;
use scitokens_validate::{Validator, DEFAULT_EXP_LEEWAY_S, DEFAULT_FUTURE_SKEW_S};

use crate::error::{EnforceError, Result};
use crate::grants::{Acl, Decision, Grants};
use crate::operation::Operation;

/// Plain settings for an [`Enforcer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcerConfig {
    /// Trusted issuers, compared exactly; checked before any key lookup.
    pub issuers: Vec<String>,
    /// This service's audiences.
    pub audiences: Vec<String>,
    /// Accepted profiles; `None` accepts all four.
    pub profiles: Option<Vec<Profile>>,
    /// Seconds `exp` may be in the past.
    pub exp_leeway_s: i64,
    /// Seconds `iat`/`nbf` may be in the future.
    pub future_skew_s: i64,
    /// ACLs in scitokens-cpp's form (SEMANTICS §8).
    pub compat_acls: bool,
    /// Longest token accepted, in bytes.
    pub max_token_len: usize,
    /// Allow `http://` loopback issuers (tests only).
    pub allow_http_loopback_issuers: bool,
}

impl Default for EnforcerConfig {
    fn default() -> Self {
        EnforcerConfig {
            issuers: Vec::new(),
            audiences: Vec::new(),
            profiles: None,
            exp_leeway_s: DEFAULT_EXP_LEEWAY_S,
            future_skew_s: DEFAULT_FUTURE_SKEW_S,
            compat_acls: false,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            allow_http_loopback_issuers: false,
        }
    }
}

/// Answers "does this token allow this request?". Built once; immutable and `Send + Sync`;
/// reads the clock on every call and keeps no state from one token to the next.
///
/// ```
/// use std::sync::Arc;
/// use scitokens_enforce::{Enforcer, EnforcerConfig, Operation};
/// use scitokens_format::{Algorithm, KeySet, Profile, SigningKey, TokenBuilder, FixedClock};
/// use scitokens_keycache::StaticKeys;
///
/// let key = SigningKey::generate(Algorithm::Es256)?;
/// let keys = StaticKeys::new()
///     .with_issuer("https://issuer.example", KeySet::new(vec![key.verifying_key().clone()]));
/// let enforcer = Enforcer::with_clock(
///     EnforcerConfig {
///         issuers: vec!["https://issuer.example".into()],
///         audiences: vec!["https://storage.example".into()],
///         ..EnforcerConfig::default()
///     },
///     Arc::new(keys),
///     Arc::new(FixedClock(1_700_000_100)),
/// )?;
/// let token = TokenBuilder::new(Profile::Wlcg, "https://issuer.example")
///     .scope("storage.read:/john")
///     .audience("https://storage.example")
///     .sign(&key, 1_700_000_000)?;
/// assert!(enforcer.authorize(&token, &Operation::Read, "/john/file")?.is_allowed());
/// assert!(!enforcer.authorize(&token, &Operation::Read, "/johnathan")?.is_allowed());
/// assert!(!enforcer.authorize(&token, &Operation::Create, "/john/new")?.is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Enforcer {
    validator: Validator,
    keys: Arc<dyn KeySource>,
    clock: Arc<dyn Clock>,
    compat_acls: bool,
    max_token_len: usize,
}

impl std::fmt::Debug for Enforcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enforcer")
            .field("validator", &self.validator)
            .field("compat_acls", &self.compat_acls)
            .field("max_token_len", &self.max_token_len)
            .finish_non_exhaustive()
    }
}

impl Enforcer {
    /// An enforcer reading the system clock.
    pub fn new(config: EnforcerConfig, keys: Arc<dyn KeySource>) -> Result<Self> {
        Self::with_clock(config, keys, Arc::new(SystemClock))
    }

    /// An enforcer reading `clock` on every call.
    pub fn with_clock(
        config: EnforcerConfig,
        keys: Arc<dyn KeySource>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let mut builder = Validator::builder()
            .exp_leeway(config.exp_leeway_s)
            .future_skew(config.future_skew_s)
            .allow_http_loopback_issuers(config.allow_http_loopback_issuers);
        for issuer in config.issuers {
            builder = builder.issuer(issuer);
        }
        for audience in config.audiences {
            builder = builder.audience(audience);
        }
        if let Some(profiles) = config.profiles {
            builder = builder.profiles(profiles);
        }
        Ok(Enforcer {
            validator: builder.build()?,
            keys,
            clock,
            compat_acls: config.compat_acls,
            max_token_len: config.max_token_len,
        })
    }

    /// The validator this enforcer applies.
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// Decodes, checks the issuer against the allow-list (before any key lookup), verifies the
    /// signature with a key from the key source, validates the claims at now, and parses the
    /// scopes (one invalid scope refuses the token).
    pub fn verify(&self, token: &str) -> Result<Grants> {
        let unverified = UnverifiedToken::parse_with_limit(token, self.max_token_len)?;
        self.validator.check_issuer(unverified.claims())?;
        let iss = unverified.claims().iss().require(names::ISS)?;
        let keys = self.keys.keys(iss, unverified.header().kid())?;
        let verified = unverified.verify(&keys)?;
        self.grants(&verified)
    }

    /// Validates a verified token's claims at now and parses its scopes.
    pub fn grants(&self, token: &VerifiedToken) -> Result<Grants> {
        let now = self.clock.now();
        let claims = token.claims();
        let profile = self.validator.validate(token.header(), claims, now)?;
        let scope = claims
            .scope()
            .optional(names::SCOPE)?
            .ok_or(EnforceError::NoScope)?;
        Ok(Grants {
            profile,
            scopes: Scope::parse_list(scope)?,
            exp: claims.exp().require(names::EXP)?,
        })
    }

    /// The token's grants as ACLs (compatibility form if configured).
    pub fn acls(&self, token: &VerifiedToken) -> Result<Vec<Acl>> {
        Ok(self.grants(token)?.acls(self.compat_acls))
    }

    /// Tests one request against a verified token.
    pub fn test(
        &self,
        token: &VerifiedToken,
        operation: &Operation,
        path: &str,
    ) -> Result<Decision> {
        let target = RequestTarget::parse(path)?;
        Ok(self.grants(token)?.test(operation, &target))
    }

    /// Everything a server does per request: decode, verify, validate, test.
    pub fn authorize(&self, token: &str, operation: &Operation, path: &str) -> Result<Decision> {
        let target = RequestTarget::parse(path)?;
        Ok(self.verify(token)?.test(operation, &target))
    }
}
