//! Minting: a builder that writes a profile's claims and signs (semantics.md §1, §2).

use std::time::Duration;

use serde_json::Value;

use crate::b64;
use crate::claims::{names, Claims};
use crate::clock::{whole_seconds, UnixTime};
use crate::error::{FormatError, Result};
use crate::header::Header;
use crate::key::SigningKey;
use crate::profile::Profile;
use crate::scope::Scope;
use crate::text::Untrusted;

/// Token lifetime used when none is given: ten minutes.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);

/// Claims the builder writes itself; [`TokenBuilder::claim`] refuses them.
const BUILDER_CLAIMS: [&str; 10] = [
    names::ISS,
    names::SUB,
    names::AUD,
    names::EXP,
    names::NBF,
    names::IAT,
    names::JTI,
    names::SCOPE,
    names::VER,
    names::WLCG_VER,
];

/// Builds and signs a token.
///
/// `iat = nbf = now`, `exp = now + lifetime`, `jti` a random UUID; the profile's marker claim
/// (`ver` for SciTokens 2.0, `wlcg.ver` for WLCG; none for SciTokens 1.0 and access tokens) and
/// header `typ` (`at+jwt` for access tokens, else `JWT`). The scope is checked with the same
/// grammar the enforcer uses, so a token that no enforcer would accept is never minted.
///
/// ```
/// use scitokens_format::{Algorithm, KeySet, Profile, SigningKey, TokenBuilder, UnverifiedToken};
/// let key = SigningKey::generate(Algorithm::Es256).unwrap();
/// let token = TokenBuilder::new(Profile::SciTokens2, "https://issuer.example")
///     .scope("read:/data write:/data/out")
///     .audience("https://storage.example")
///     .sign(&key, 1_700_000_000)
///     .unwrap();
/// let keys = KeySet::new(vec![key.verifying_key().clone()]);
/// let verified = UnverifiedToken::parse(&token).unwrap().verify(&keys).unwrap();
/// assert_eq!(verified.claims().exp().require("exp").unwrap().as_secs(), 1_700_000_600);
/// assert_eq!(verified.claims().get("ver").unwrap(), "scitoken:2.0");
/// ```
#[derive(Debug, Clone)]
pub struct TokenBuilder {
    profile: Profile,
    issuer: String,
    subject: Option<String>,
    audiences: Vec<String>,
    scope: Option<String>,
    lifetime: Duration,
    extra: Vec<(String, Value)>,
}

impl TokenBuilder {
    /// A builder for `profile`, issued by `issuer`.
    pub fn new(profile: Profile, issuer: impl Into<String>) -> Self {
        TokenBuilder {
            profile,
            issuer: issuer.into(),
            subject: None,
            audiences: Vec::new(),
            scope: None,
            lifetime: DEFAULT_LIFETIME,
            extra: Vec::new(),
        }
    }

    /// Sets the space-separated `scope`.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Sets `sub`.
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.subject = Some(sub.into());
        self
    }

    /// Adds an audience; one is written as a string, several as an array.
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audiences.push(aud.into());
        self
    }

    /// Sets the lifetime (default [`DEFAULT_LIFETIME`]); whole seconds count, as `exp` is in
    /// seconds, and a lifetime under one second is refused when the claims are made.
    ///
    /// ```
    /// use std::time::Duration;
    /// use scitokens_format::{Profile, TokenBuilder};
    /// let builder = TokenBuilder::new(Profile::SciTokens1, "https://i.example");
    /// let claims = builder.clone().lifetime(Duration::from_secs(60)).claims(100).unwrap();
    /// assert_eq!(claims.exp().require("exp").unwrap().as_secs(), 160);
    /// let err = builder.lifetime(Duration::from_millis(999)).claims(100).unwrap_err();
    /// assert!(err.to_string().contains("lifetime must be at least one second"));
    /// ```
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Adds any other claim, written after the builder's own, in the order added.
    pub fn claim(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.push((name.into(), value));
        self
    }

    /// The claims as they would be signed at `now`, after checking what was asked for.
    pub fn claims(&self, now: impl Into<UnixTime>) -> Result<Claims> {
        let now = now.into();
        let mint = |reason: String| FormatError::Mint { reason };
        let lifetime = whole_seconds(self.lifetime);
        if lifetime < 1 {
            return Err(mint(format!(
                "lifetime must be at least one second, not {:?}",
                self.lifetime
            )));
        }
        let exp = now
            .as_secs()
            .checked_add(lifetime)
            .ok_or_else(|| mint(format!("lifetime {lifetime} s overflows")))?;
        if self.issuer.is_empty() {
            return Err(mint("issuer is empty".into()));
        }
        let needs_aud = !matches!(self.profile, Profile::SciTokens1);
        if needs_aud && self.audiences.is_empty() {
            return Err(mint(format!(
                "profile {} requires an audience (use its wildcard, e.g. {}, for any)",
                self.profile,
                self.profile
                    .any_audience()
                    .unwrap_or("an explicit audience")
            )));
        }
        if let Some(scope) = &self.scope {
            Scope::parse_list(scope)?;
        }
        let mut claims = Claims::default();
        claims.insert(names::ISS, self.issuer.clone().into());
        if let Some(sub) = &self.subject {
            claims.insert(names::SUB, sub.clone().into());
        }
        match self.audiences.as_slice() {
            [] => {}
            [one] => claims.insert(names::AUD, one.clone().into()),
            many => claims.insert(names::AUD, many.to_vec().into()),
        }
        if let Some((marker, version)) = self.profile.marker() {
            claims.insert(marker, version.into());
        }
        if let Some(scope) = &self.scope {
            claims.insert(names::SCOPE, scope.clone().into());
        }
        claims.insert(names::IAT, now.as_secs().into());
        claims.insert(names::NBF, now.as_secs().into());
        claims.insert(names::EXP, exp.into());
        claims.insert(names::JTI, new_jti()?.into());
        for (name, value) in &self.extra {
            if BUILDER_CLAIMS.contains(&name.as_str()) {
                return Err(mint(format!(
                    "claim {} is written by the builder; use its own setter",
                    Untrusted::new(name)
                )));
            }
            if claims.contains(name) {
                return Err(mint(format!("claim {} given twice", Untrusted::new(name))));
            }
            claims.insert(name, value.clone());
        }
        Ok(claims)
    }

    /// Signs the token at time `now` (seconds since the epoch) and returns its compact form.
    pub fn sign(&self, key: &SigningKey, now: impl Into<UnixTime>) -> Result<String> {
        let claims = self.claims(now)?;
        let header = Header::new(key.alg(), self.profile.typ(), Some(key.kid()));
        sign_parts(&header, &claims, key)
    }
}

/// A fresh `jti`: a random (version 4) UUID, from aws-lc's generator (no system call per
/// token, unlike the `uuid` crate's own `new_v4`).
///
/// ```
/// let (a, b) = (scitokens_format::new_jti().unwrap(), scitokens_format::new_jti().unwrap());
/// assert_ne!(a, b);
/// assert_eq!((a.len(), &a[14..15]), (36, "4"));
/// ```
pub fn new_jti() -> Result<String> {
    crate::crypto::init_crypto();
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(FormatError::crypto)?;
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    Ok(uuid
        .hyphenated()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .to_owned())
}

/// Serializes and signs a header and claims as given. The header's `alg` must be the key's.
pub fn sign_parts(header: &Header, claims: &Claims, key: &SigningKey) -> Result<String> {
    if header.alg() != key.alg() {
        return Err(FormatError::Mint {
            reason: format!(
                "header alg {} does not match the {} key",
                header.alg(),
                key.alg()
            ),
        });
    }
    let payload = serde_json::to_string(claims).map_err(|e| FormatError::Mint {
        reason: format!("claims do not serialize: {e}"),
    })?;
    let header = header.to_json();
    // One buffer, sized for the whole token: base64 grows by 4/3; an RS256 signature is at
    // most 1,024 bytes (8,192 bits).
    let encoded = |n: usize| n.div_ceil(3) * 4;
    let mut token =
        String::with_capacity(encoded(header.len()) + encoded(payload.len()) + encoded(1024) + 2);
    b64::encode_append(header.as_bytes(), &mut token);
    token.push('.');
    b64::encode_append(payload.as_bytes(), &mut token);
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    b64::encode_append(&signature, &mut token);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Algorithm;

    #[test]
    fn refusals() {
        let b = TokenBuilder::new(Profile::Wlcg, "https://i");
        assert!(b
            .claims(0)
            .unwrap_err()
            .to_string()
            .contains("requires an audience"));
        let b = b.audience("x").scope("read:foo");
        assert_eq!(b.claims(0).unwrap_err().kind(), "invalid_scope");
        let b = TokenBuilder::new(Profile::SciTokens1, "https://i").claim("exp", 5.into());
        assert!(b.claims(0).unwrap_err().to_string().contains("builder"));
        let b = TokenBuilder::new(Profile::SciTokens1, "https://i").lifetime(Duration::ZERO);
        assert_eq!(b.claims(0).unwrap_err().kind(), "mint");
        let b = TokenBuilder::new(Profile::SciTokens1, "https://i").lifetime(Duration::MAX);
        assert!(b.claims(1).unwrap_err().to_string().contains("overflows"));
    }

    #[test]
    fn access_token_typ_and_claim_order() {
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        let t = TokenBuilder::new(Profile::AccessToken, "https://i")
            .audience("a")
            .audience("b")
            .claim("z", 1.into())
            .sign(&key, 100)
            .unwrap();
        let u = crate::UnverifiedToken::parse(&t).unwrap();
        assert_eq!(u.header().typ(), Some("at+jwt"));
        let names: Vec<_> = u.claims().iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["iss", "aud", "iat", "nbf", "exp", "jti", "z"]);
        assert_eq!(
            Profile::detect(u.header(), u.claims()).unwrap(),
            Profile::AccessToken
        );
    }
}
