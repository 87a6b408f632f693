//! The enforcer: configuration in, an immutable `Send + Sync` value out.

use std::sync::Arc;
use std::time::Duration;

use scitokens_format::scope::{RequestTarget, Scope};
use scitokens_format::{
    names, Claims, Clock, Header, KeySet, KeySource, Profile, SystemClock, TokenRef, UnixTime,
    UnverifiedToken, VerifiedToken, DEFAULT_MAX_TOKEN_LEN,
};
use scitokens_validate::{
    ClaimRules, UnknownClaims, ValidationError, Validator, DEFAULT_EXP_LEEWAY, DEFAULT_FUTURE_SKEW,
};

use crate::error::{EnforceError, Result};
use crate::grants::{Acl, AclForm, Decision, Grants};
use crate::operation::Operation;
use crate::token_cache::{Cached, TokenCache};

/// Plain settings for an [`Enforcer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcerConfig {
    /// Trusted issuers, compared exactly; checked before any key lookup.
    pub issuers: Vec<String>,
    /// This service's audiences.
    pub audiences: Vec<String>,
    /// Accepted profiles; `None` accepts all four.
    pub profiles: Option<Vec<Profile>>,
    /// How far `exp` may be in the past.
    pub exp_leeway: Duration,
    /// How far `iat`/`nbf` may be in the future.
    pub future_skew: Duration,
    /// The form [`Enforcer::acls`] writes.
    pub acl_form: AclForm,
    /// Unknown claims in SciTokens 1.0 tokens: refused by default (`docs/semantics.md` §3).
    pub unknown_claims: UnknownClaims,
    /// Claim callbacks and critical claims, applied after the built-in rules.
    pub claim_rules: ClaimRules,
    /// Longest token accepted, in bytes.
    pub max_token_len: usize,
    /// Settings that weaken validation, kept apart so that setting one is a visible choice.
    pub dangerous: DangerousEnforcerConfig,
    /// Verified tokens remembered by `authorize` (0 disables the cache).
    pub token_cache_capacity: usize,
    /// How long a remembered token is trusted without a new signature check; keep it no longer
    /// than the key cache's refresh interval.
    pub token_cache_max_age: Duration,
}

/// The settings of an [`EnforcerConfig`] that weaken it; all off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DangerousEnforcerConfig {
    /// Allow `http://` issuers on loopback hosts. For tests only.
    pub allow_http_loopback_issuers: bool,
}

/// Tokens `authorize` remembers by default.
pub const DEFAULT_TOKEN_CACHE_CAPACITY: usize = 10_000;
/// How long a remembered token is trusted by default: the key cache's default refresh
/// interval (scitokens-cpp's 600 s; a test keeps the two equal).
pub const DEFAULT_TOKEN_CACHE_MAX_AGE: Duration = Duration::from_secs(600);

impl Default for EnforcerConfig {
    fn default() -> Self {
        EnforcerConfig {
            issuers: Vec::new(),
            audiences: Vec::new(),
            profiles: None,
            exp_leeway: DEFAULT_EXP_LEEWAY,
            future_skew: DEFAULT_FUTURE_SKEW,
            acl_form: AclForm::Native,
            unknown_claims: UnknownClaims::Refuse,
            claim_rules: ClaimRules::new(),
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            dangerous: DangerousEnforcerConfig::default(),
            token_cache_capacity: DEFAULT_TOKEN_CACHE_CAPACITY,
            token_cache_max_age: DEFAULT_TOKEN_CACHE_MAX_AGE,
        }
    }
}

/// Answers "does this token allow this request?". Built once; immutable and `Send + Sync`;
/// reads the clock on every call and keeps no state from one token to the next.
///
/// ```
/// use std::sync::Arc;
/// use scitokens_enforce::{Enforcer, EnforcerConfig, Operation};
/// use scitokens_format::{Algorithm, KeySet, Profile, SigningKey, StaticKeys, TokenBuilder, FixedClock};
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
    inner: Arc<Inner>,
}

struct Inner {
    validator: Validator,
    keys: Arc<dyn KeySource>,
    clock: Arc<dyn Clock>,
    acl_form: AclForm,
    max_token_len: usize,
    exp_leeway: Duration,
    token_cache: Option<TokenCache<Arc<Grants>>>,
}

impl std::fmt::Debug for Enforcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enforcer")
            .field("validator", &self.inner.validator)
            .field("token_cache", &self.inner.token_cache.is_some())
            .field("acl_form", &self.inner.acl_form)
            .field("max_token_len", &self.inner.max_token_len)
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
            .exp_leeway(config.exp_leeway)
            .future_skew(config.future_skew)
            .unknown_claims(config.unknown_claims)
            .rules(config.claim_rules);
        if config.dangerous.allow_http_loopback_issuers {
            builder = builder.dangerous().allow_http_loopback_issuers().done();
        }
        for issuer in config.issuers {
            builder = builder.issuer(issuer);
        }
        for audience in config.audiences {
            builder = builder.audience(audience);
        }
        if let Some(profiles) = config.profiles {
            builder = builder.profiles(profiles);
        }
        if config.token_cache_max_age.as_secs() == 0 {
            return Err(EnforceError::Validation(ValidationError::Config {
                reason: "token_cache_max_age must be at least a second".into(),
            }));
        }
        Ok(Enforcer {
            inner: Arc::new(Inner {
                validator: builder.build()?,
                keys,
                clock,
                acl_form: config.acl_form,
                max_token_len: config.max_token_len,
                exp_leeway: config.exp_leeway,
                token_cache: TokenCache::new(
                    config.token_cache_capacity,
                    config.token_cache_max_age,
                ),
            }),
        })
    }

    /// The validator this enforcer applies.
    pub fn validator(&self) -> &Validator {
        &self.inner.validator
    }

    /// "Now", from this enforcer's clock.
    pub fn now(&self) -> UnixTime {
        self.inner.clock.now()
    }

    /// The form [`acls`](Self::acls) writes.
    pub fn acl_form(&self) -> AclForm {
        self.inner.acl_form
    }

    /// What a token grants: decoded, its issuer checked against the allow-list (before any key
    /// lookup), its signature verified with a key from the key source, its claims validated at
    /// now, its scopes parsed (one invalid scope refuses the token). Test requests against the
    /// result with [`Grants::test`], or list it with [`Grants::acls`].
    ///
    /// A token seen before (and still within the cache's age limit) skips decoding and the
    /// signature check; its `exp` is checked against now on every call.
    pub fn grants(&self, token: &str) -> Result<Arc<Grants>> {
        let Some(cache) = &self.inner.token_cache else {
            return self.grants_uncached(token).map(Arc::new);
        };
        if token.len() > self.inner.max_token_len {
            return self.grants_uncached(token).map(Arc::new);
        }
        let key = TokenCache::<Arc<Grants>>::key(&[token.as_bytes()]);
        let now = self.inner.clock.now();
        match cache.lookup(&key, now) {
            Cached::Hit(grants) => return Ok(grants),
            Cached::Expired { valid_until } => {
                let leeway = self.inner.exp_leeway;
                return Err(EnforceError::Validation(ValidationError::Expired {
                    exp: valid_until.saturating_sub(leeway),
                    now,
                    leeway,
                }));
            }
            Cached::Miss => {}
        }
        let grants = Arc::new(self.grants_uncached(token)?);
        let valid_until = grants.expires().saturating_add(self.inner.exp_leeway);
        cache.put(key, Arc::clone(&grants), valid_until, now);
        Ok(grants)
    }

    /// The token's grants as ACLs, in the configured form.
    pub fn acls(&self, token: &str) -> Result<Vec<Acl>> {
        Ok(self.grants(token)?.acls(self.inner.acl_form))
    }

    /// The steps of [`grants`](Self::grants) one by one, for callers that split them (the C
    /// ABI deserializes a token before it asks an enforcer; the CLI's `verify` shows a token
    /// that has no scopes). Each step is safe only as the caller uses it: see the methods.
    pub fn dangerous(&self) -> DangerousEnforcer<'_> {
        DangerousEnforcer(self)
    }

    fn grants_uncached(&self, token: &str) -> Result<Grants> {
        // Decoded in place: nothing here keeps the serialized token.
        let decoded = TokenRef::parse_with_limit(token, self.inner.max_token_len)?;
        let keys = self.keys_for(decoded.header(), decoded.claims())?;
        let verified = decoded.verify(&keys)?;
        self.grants_of(verified.header(), verified.claims())
    }

    fn verify_signature(&self, token: &str) -> Result<VerifiedToken> {
        let unverified = UnverifiedToken::parse_with_limit(token, self.inner.max_token_len)?;
        let keys = self.keys_for(unverified.header(), unverified.claims())?;
        Ok(unverified.verify(&keys)?)
    }

    /// The issuer's keys, once the issuer is known to be on the allow-list.
    fn keys_for(&self, header: &Header, claims: &Claims) -> Result<Arc<KeySet>> {
        self.inner.validator.check_issuer(claims)?;
        let iss = claims.iss().require(names::ISS)?;
        Ok(self.inner.keys.keys(iss, header.kid())?)
    }

    fn grants_of(&self, header: &Header, claims: &Claims) -> Result<Grants> {
        let now = self.inner.clock.now();
        let profile = self.inner.validator.validate(header, claims, now)?;
        let scope = claims
            .scope()
            .optional(names::SCOPE)?
            .ok_or(EnforceError::NoScope)?;
        Ok(Grants::new(
            profile,
            Scope::parse_list(scope)?,
            claims.exp().require(names::EXP)?,
        ))
    }

    /// Everything a server does per request: [`grants`](Self::grants) (through the
    /// verified-token cache), then the test of one request.
    pub fn authorize(&self, token: &str, operation: &Operation, path: &str) -> Result<Decision> {
        let target = RequestTarget::parse(path)?;
        if self.inner.token_cache.is_none() {
            // Nothing to share the grants with: no `Arc`, and a denial takes them.
            return Ok(self
                .grants_uncached(token)?
                .into_decision(operation, target));
        }
        Ok(self.grants(token)?.test(operation, &target))
    }
}

/// The half-steps of an [`Enforcer`], from [`Enforcer::dangerous`].
#[derive(Debug, Clone, Copy)]
pub struct DangerousEnforcer<'a>(&'a Enforcer);

impl DangerousEnforcer<'_> {
    /// Decodes, checks the issuer against the allow-list and verifies the signature with a
    /// key from the key source. **The claims are not validated**: the token may be expired, for
    /// another audience, or without scopes. Show it or pass it to
    /// [`grants_of_verified`](Self::grants_of_verified); never act on it alone.
    pub fn verify_signature(&self, token: &str) -> Result<VerifiedToken> {
        self.0.verify_signature(token)
    }

    /// Validates the claims of a token at now and parses its scopes. **The signature was
    /// checked by whoever made `token`**, with keys this enforcer does not see: call it only
    /// for a token verified with keys of an issuer this enforcer trusts.
    pub fn grants_of_verified(&self, token: &VerifiedToken) -> Result<Grants> {
        self.0.grants_of(token.header(), token.claims())
    }
}
