//! Minting: a builder that writes a profile's claims and signs (semantics.md §1, §2).

use std::time::Duration;

use serde_json::Value;

use crate::b64;
use crate::claims::{names, Claims};
use crate::clock::{whole_seconds, UnixTime};
use crate::error::{FormatError, Result};
use crate::header::Header;
use crate::key::SigningKey;
use crate::members;
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
        Claims::from_decoded(self.payload(now.into())?.into_bytes())
    }

    /// Signs the token at time `now` (seconds since the epoch) and returns its compact form.
    pub fn sign(&self, key: &SigningKey, now: impl Into<UnixTime>) -> Result<String> {
        let payload = self.payload(now.into())?;
        let header = Header::new(key.alg(), self.profile.typ(), Some(key.kid()));
        sign_text(&header, &payload, key)
    }

    /// The checked claims, written straight into their JSON text (no intermediate JSON
    /// values: minting costs little more than the signature, docs/performance.md). The one
    /// place the claims are made; [`claims`](Self::claims) reads this text back.
    fn payload(&self, now: UnixTime) -> Result<String> {
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
            Scope::check_list(scope)?;
        }
        for (i, (name, _)) in self.extra.iter().enumerate() {
            if BUILDER_CLAIMS.contains(&name.as_str()) {
                return Err(mint(format!(
                    "claim {} is written by the builder; use its own setter",
                    Untrusted::new(name)
                )));
            }
            if self.extra[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(mint(format!("claim {} given twice", Untrusted::new(name))));
            }
        }
        let mut out = JsonObject::with_capacity(
            256 + self.scope.as_ref().map_or(0, String::len)
                + self.audiences.iter().map(String::len).sum::<usize>(),
        );
        out.member_str(names::ISS, &self.issuer);
        if let Some(sub) = &self.subject {
            out.member_str(names::SUB, sub);
        }
        match self.audiences.as_slice() {
            [] => {}
            [one] => out.member_str(names::AUD, one),
            many => out.member(names::AUD, many)?,
        }
        if let Some((marker, version)) = self.profile.marker() {
            out.member_str(marker, version);
        }
        if let Some(scope) = &self.scope {
            out.member_str(names::SCOPE, scope);
        }
        out.member(names::IAT, &now.as_secs())?;
        out.member(names::NBF, &now.as_secs())?;
        out.member(names::EXP, &exp)?;
        out.member_str(names::JTI, &new_jti()?);
        for (name, value) in &self.extra {
            out.member(name, value)?;
        }
        out.finish()
    }
}

/// A JSON object written member by member, names and values escaped by serde_json.
struct JsonObject(Vec<u8>);

impl JsonObject {
    fn with_capacity(capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity);
        bytes.push(b'{');
        JsonObject(bytes)
    }

    fn member<T: serde::Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<()> {
        self.name(name);
        serde_json::to_writer(&mut self.0, value).map_err(|e| FormatError::Mint {
            reason: format!("claim {} does not serialize: {e}", Untrusted::new(name)),
        })
    }

    /// A string member, the common case, written without serde_json's byte-by-byte escaping.
    fn member_str(&mut self, name: &str, value: &str) {
        self.name(name);
        self.string(value);
    }

    fn name(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        self.string(name);
        self.0.push(b':');
    }

    /// `s` as a JSON string: as is between quotes when it needs no escape (no quote,
    /// backslash or control character: the only characters serde_json escapes, so the bytes
    /// are the ones it would write), else through serde_json.
    fn string(&mut self, s: &str) {
        if members::string_end(s.as_bytes()).is_none() {
            self.0.push(b'"');
            self.0.extend_from_slice(s.as_bytes());
            self.0.push(b'"');
        } else {
            // Writing a string into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut self.0, s);
        }
    }

    fn finish(mut self) -> Result<String> {
        self.0.push(b'}');
        // serde_json writes UTF-8; this cannot fail, and is an error rather than a panic.
        String::from_utf8(self.0).map_err(|e| FormatError::Mint {
            reason: format!("claims are not UTF-8: {e}"),
        })
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
    sign_text(header, &payload, key)
}

/// Signs a header and a payload already written as JSON text (the header's `alg` checked by
/// the caller).
fn sign_text(header: &Header, payload: &str, key: &SigningKey) -> Result<String> {
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

    /// The signed payload is the text `claims` reads back: the same members, values and
    /// order (only `jti` differs, fresh each time); extra claims of every JSON type survive.
    #[test]
    fn signed_payload_matches_claims() {
        let key = SigningKey::generate(Algorithm::Es256).unwrap();
        let b = TokenBuilder::new(Profile::SciTokens2, "https://i/\"q\"")
            .audience("a\u{e9}")
            .subject("s\n")
            .scope("read:/data")
            .claim("f", serde_json::json!(0.1))
            .claim("o", serde_json::json!({"k": [1, null, true]}));
        let token = b.sign(&key, 100).unwrap();
        let signed = crate::UnverifiedToken::parse(&token)
            .unwrap()
            .claims()
            .to_map();
        let mut made = b.claims(100).unwrap().to_map();
        assert_ne!(signed["jti"], made["jti"]);
        made.insert("jti".into(), signed["jti"].clone());
        assert_eq!(signed, made);
        let names: Vec<_> = signed.keys().cloned().collect();
        assert_eq!(
            names,
            ["iss", "sub", "aud", "ver", "scope", "iat", "nbf", "exp", "jti", "f", "o"]
        );
        let twice = b.clone().claim("f", 1.into()).claims(100).unwrap_err();
        assert!(twice.to_string().contains("given twice"), "{twice}");
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
