//! Keys and tokens: `scitoken_key_*`, `scitoken_*` claims, serialization, deserialization.

use std::ffi::{c_char, c_int, c_longlong};
use std::ptr;
use std::sync::Arc;
use std::time::Instant;

use scitokens_format::KeySet;
use scitokens_format::{
    danger, names, sign_parts, Algorithm, Claims, Clock, Header, SigningKey, SystemClock,
    UnverifiedToken, VerifiedToken, VerifyingKey,
};
use scitokens_keycache::MAX_ISSUER_LEN;
use scitokens_validate::ValidationError;
use serde_json::Value;

use crate::error::{CError, Result};
use crate::ffi;
use crate::profile::CProfile;
use crate::state::{self, Outcome};
use crate::verified;

/// Default lifetime of a serialized token, seconds (scitokens-cpp's).
const DEFAULT_LIFETIME_S: i64 = scitokens_format::DEFAULT_LIFETIME.as_secs() as i64;

/// A signing key with its algorithm and kid.
pub struct KeyHandle {
    key: SigningKey,
}

/// A token being built, or one deserialized (then `verified` holds it as checked).
pub struct TokenHandle {
    key: Option<SigningKey>,
    /// The claims of a token built here (or of a deserialized one, once changed).
    claims: Claims,
    header: Option<Header>,
    /// The deserialized token while unchanged; its claims and header are the token's.
    verified: Option<Arc<VerifiedToken>>,
    /// Seconds from serialization to `exp`. Signed, unlike the Rust API's `Duration`: in
    /// scitokens-cpp a negative lifetime mints an already expired token, and tests use that.
    lifetime_s: i64,
    serialize_profile: CProfile,
    pub(crate) deserialize_profile: CProfile,
}

impl TokenHandle {
    pub(crate) fn new_empty() -> Self {
        Self::new(None)
    }

    fn new(key: Option<SigningKey>) -> Self {
        TokenHandle {
            key,
            claims: Claims::default(),
            header: None,
            verified: None,
            lifetime_s: DEFAULT_LIFETIME_S,
            serialize_profile: CProfile::Compat,
            deserialize_profile: CProfile::Compat,
        }
    }

    /// The token's claims.
    pub(crate) fn claims(&self) -> &Claims {
        match &self.verified {
            Some(verified) => verified.claims(),
            None => &self.claims,
        }
    }

    /// The claims, to change: a deserialized token becomes a token of its own (no longer
    /// verified) with a copy of its claims and header.
    fn claims_mut(&mut self) -> &mut Claims {
        if let Some(verified) = self.verified.take() {
            self.claims = verified.claims().clone();
            self.header = Some(verified.header().clone());
        }
        &mut self.claims
    }

    /// The header to judge the token by: the deserialized one, or one for the profile.
    pub(crate) fn header(&self) -> Header {
        if let Some(verified) = &self.verified {
            return verified.header().clone();
        }
        self.header.clone().unwrap_or_else(|| {
            let typ = self.serialize_profile.typ();
            match &self.key {
                Some(key) => Header::new(key.alg(), typ, header_kid(key)),
                None => Header::new(Algorithm::Es256, typ, None),
            }
        })
    }

    /// The token as verified: the deserialized one if unchanged since, else (for a token
    /// built here) signed now with its own key. A token with neither cannot be enforced.
    pub(crate) fn verified(&self) -> Result<Arc<VerifiedToken>> {
        if let Some(verified) = &self.verified {
            return Ok(Arc::clone(verified));
        }
        let token = self.serialize()?;
        let parsed = UnverifiedToken::parse(&token)?;
        // Our own signature, made a line above: checking it again would prove nothing.
        Ok(Arc::new(danger::assume_verified(parsed)))
    }

    fn serialize(&self) -> Result<String> {
        let key = self.key.as_ref().ok_or_else(|| {
            CError::usage(
                "the token has no key: create it with scitoken_create(key) to serialize it",
            )
        })?;
        let now = SystemClock.now();
        let mut claims = self.claims().clone();
        claims.insert(names::IAT, now.into());
        claims.insert(names::NBF, now.into());
        let exp = now.as_secs().saturating_add(self.lifetime_s);
        claims.insert(names::EXP, exp.into());
        if !claims.contains(names::JTI) {
            claims.insert(names::JTI, scitokens_format::new_jti()?.into());
        }
        if let CProfile::Only(profile) = self.serialize_profile {
            if let Some((marker, version)) = profile.marker() {
                if !claims.contains(marker) {
                    claims.insert(marker, version.into());
                }
                // As scitokens-cpp: a token of a marked profile (SciTokens 2.0, WLCG) always
                // has an audience; without one it is for any service (the profile's wildcard).
                if !claims.contains(names::AUD) {
                    if let Some(any) = profile.any_audience() {
                        claims.insert(names::AUD, any.into());
                    }
                }
            }
        }
        let header = Header::new(key.alg(), self.serialize_profile.typ(), header_kid(key));
        Ok(sign_parts(&header, &claims, key)?)
    }

    /// Holds a token that verified (shared with the verified-token cache, not copied).
    fn install(&mut self, verified: Arc<VerifiedToken>) {
        self.claims = Claims::default();
        self.header = None;
        self.verified = Some(verified);
    }
}

/// The `kid` a key writes into headers: scitokens-cpp's key id `"none"` means no `kid`.
fn header_kid(key: &SigningKey) -> Option<&str> {
    Some(key.kid()).filter(|kid| *kid != NO_KID)
}

/// The key id that asks for a header without `kid` (scitokens-cpp's convention).
const NO_KID: &str = "none";

#[no_mangle]
pub extern "C" fn scitoken_key_create(
    key_id: *const c_char,
    algorithm: *const c_char,
    _public_contents: *const c_char,
    private_contents: *const c_char,
    err_msg: *mut *mut c_char,
) -> *mut KeyHandle {
    ffi::guard(err_msg, ptr::null_mut(), || {
        let kid = ffi::required(key_id, "key_id")?;
        let alg: Algorithm = ffi::required(algorithm, "algorithm")?.parse()?;
        let pem = ffi::required(private_contents, "private_contents")?;
        let key = SigningKey::from_pem(pem.as_bytes())?;
        if key.alg() != alg {
            return Err(CError::usage(format!(
                "the private key is for {}, not {alg}",
                key.alg()
            )));
        }
        Ok(ffi::into_handle(KeyHandle {
            key: key.with_kid(kid),
        }))
    })
}

#[no_mangle]
pub extern "C" fn scitoken_key_destroy(private_key: *mut KeyHandle) {
    ffi::guard_void(|| drop(ffi::from_handle(private_key)));
}

#[no_mangle]
pub extern "C" fn scitoken_create(private_key: *const KeyHandle) -> *mut TokenHandle {
    let mut created = ptr::null_mut();
    ffi::guard_void(|| {
        let key = ffi::handle(private_key).map(|k| k.key.clone());
        created = ffi::into_handle(TokenHandle::new(key));
    });
    created
}

#[no_mangle]
pub extern "C" fn scitoken_destroy(token: *mut TokenHandle) {
    ffi::guard_void(|| drop(ffi::from_handle(token)));
}

fn token_mut<'a>(token: *mut TokenHandle) -> Result<&'a mut TokenHandle> {
    ffi::handle_mut(token).ok_or(CError::Null { what: "token" })
}

fn token_ref<'a>(token: *const TokenHandle) -> Result<&'a TokenHandle> {
    ffi::handle(token).ok_or(CError::Null { what: "token" })
}

#[no_mangle]
pub extern "C" fn scitoken_set_claim_string(
    token: *mut TokenHandle,
    key: *const c_char,
    value: *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let handle = token_mut(token)?;
        let name = ffi::required(key, "key")?;
        let value = ffi::required(value, "value")?;
        handle
            .claims_mut()
            .insert(name, Value::String(value.to_owned()));
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_get_claim_string(
    token: *const TokenHandle,
    key: *const c_char,
    value: *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let handle = token_ref(token)?;
        let name = ffi::required(key, "key")?;
        let slot = ffi::out(value).ok_or(CError::Null { what: "value" })?;
        match handle.claims().get(name) {
            Some(Value::String(s)) => {
                *slot = ffi::malloc_str(s);
                Ok(0)
            }
            Some(_) => Err(CError::usage(format!("claim {name} is not a string"))),
            None => Err(CError::usage(format!("claim {name} is not set"))),
        }
    })
}

#[no_mangle]
pub extern "C" fn scitoken_get_claim_string_list(
    token: *const TokenHandle,
    key: *const c_char,
    value: *mut *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let handle = token_ref(token)?;
        let name = ffi::required(key, "key")?;
        let slot = ffi::out(value).ok_or(CError::Null { what: "value" })?;
        let items = match handle.claims().get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().ok_or_else(|| {
                        CError::usage(format!("claim {name} is not a list of strings"))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => {
                return Err(CError::usage(format!(
                    "claim {name} is not a list of strings"
                )))
            }
            None => return Err(CError::usage(format!("claim {name} is not set"))),
        };
        let strings: Vec<*mut c_char> = items.iter().map(|s| ffi::malloc_str(s)).collect();
        *slot = ffi::malloc_array(&strings, ptr::null_mut());
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_free_string_list(value: *mut *mut c_char) {
    ffi::guard_void(|| {
        for item in ffi::read_array(value, |p| p.is_null()) {
            ffi::free(item);
        }
        ffi::free(value);
    });
}

#[no_mangle]
pub extern "C" fn scitoken_set_claim_string_list(
    token: *mut TokenHandle,
    key: *const c_char,
    values: *const *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let handle = token_mut(token)?;
        let name = ffi::required(key, "key")?;
        let values = ffi::str_list(values, "values")?.ok_or(CError::Null { what: "values" })?;
        handle.claims_mut().insert(
            name,
            Value::Array(values.into_iter().map(Value::String).collect()),
        );
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_get_expiration(
    token: *const TokenHandle,
    value: *mut c_longlong,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let handle = token_ref(token)?;
        let slot = ffi::out(value).ok_or(CError::Null { what: "value" })?;
        let exp = handle.claims().exp().require(names::EXP)?;
        *slot = exp.as_secs();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_set_lifetime(token: *mut TokenHandle, lifetime: c_int) {
    ffi::guard_void(|| {
        if let Some(handle) = ffi::handle_mut(token) {
            handle.lifetime_s = i64::from(lifetime);
        }
    });
}

#[no_mangle]
pub extern "C" fn scitoken_serialize(
    token: *const TokenHandle,
    value: *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let handle = token_ref(token)?;
        let slot = ffi::out(value).ok_or(CError::Null { what: "value" })?;
        let text = handle.serialize()?;
        *slot = ffi::malloc_str(&text);
        Ok(0)
    })
}

/// Which of a token's two profiles a setter changes.
#[derive(Debug, Clone, Copy)]
enum Direction {
    Serialize,
    Deserialize,
}

fn set_profile(token: *mut TokenHandle, profile: c_int, direction: Direction) {
    ffi::guard_void(|| {
        let (Some(handle), Some(profile)) = (ffi::handle_mut(token), CProfile::from_c(profile))
        else {
            return;
        };
        match direction {
            Direction::Serialize => handle.serialize_profile = profile,
            Direction::Deserialize => handle.deserialize_profile = profile,
        }
    });
}

#[no_mangle]
pub extern "C" fn scitoken_set_serialize_profile(token: *mut TokenHandle, profile: c_int) {
    set_profile(token, profile, Direction::Serialize);
}

#[no_mangle]
pub extern "C" fn scitoken_set_serialize_mode(token: *mut TokenHandle, profile: c_int) {
    set_profile(token, profile, Direction::Serialize);
}

#[no_mangle]
pub extern "C" fn scitoken_set_deserialize_profile(token: *mut TokenHandle, profile: c_int) {
    set_profile(token, profile, Direction::Deserialize);
}

/// Decodes, checks the issuer list (before any key work), fetches keys through the key
/// cache, verifies, and validates the time claims and the profile; the audience is the
/// enforcer's business (as in scitokens-cpp).
pub(crate) fn deserialize_into(
    handle: &mut TokenHandle,
    value: &str,
    issuers: Option<Vec<String>>,
    asynchronous: bool,
) -> Result<()> {
    let started = Instant::now();
    let now = SystemClock.now();
    let cache_key = verified::key(value, issuers.as_deref(), handle.deserialize_profile.tag());
    if let Some(cached) = verified::get(&cache_key, now) {
        let issuer = cached
            .claims()
            .iss()
            .optional(names::ISS)
            .ok()
            .flatten()
            .map(str::to_owned);
        state::record(issuer.as_deref(), started, asynchronous, Outcome::Valid);
        handle.install(cached);
        return Ok(());
    }
    let parsed = UnverifiedToken::parse(value)?;
    let issuer = parsed
        .claims()
        .iss()
        .optional(names::ISS)
        .ok()
        .flatten()
        .map(str::to_owned);
    let result = verify(parsed, issuers, handle.deserialize_profile);
    let outcome = match &result {
        Ok(_) => Some(Outcome::Valid),
        Err(e) => e.outcome(),
    };
    if let Some(outcome) = outcome {
        state::record(issuer.as_deref(), started, asynchronous, outcome);
    }
    let verified = Arc::new(result?);
    if let Ok(exp) = verified.claims().exp().require(names::EXP) {
        verified::put(cache_key, Arc::clone(&verified), exp, now);
    }
    handle.install(verified);
    Ok(())
}

fn verify(
    parsed: UnverifiedToken,
    issuers: Option<Vec<String>>,
    profile: CProfile,
) -> Result<VerifiedToken> {
    let validator = profile.deserialize_validator()?;
    let iss = parsed
        .claims()
        .iss()
        .require(names::ISS)
        .map_err(ValidationError::from)?;
    // The allow-list, before any key work or state. The wording keeps scitokens-cpp's phrase,
    // which consumers match.
    if let Some(list) = &issuers {
        if !list.iter().any(|allowed| allowed == iss) {
            return Err(CError::not_allowed(iss));
        }
    }
    if iss.len() > MAX_ISSUER_LEN {
        return Err(CError::IssuerRefused(format!(
            "token issuer is {} bytes long, over the limit of {MAX_ISSUER_LEN}",
            iss.len()
        )));
    }
    let keys = state::cache()?.keys(iss, parsed.header().kid())?;
    let verified = parsed.verify(&keys)?;
    validator.validate(verified.header(), verified.claims(), SystemClock.now())?;
    Ok(verified)
}

#[no_mangle]
pub extern "C" fn scitoken_deserialize(
    value: *const c_char,
    token: *mut *mut TokenHandle,
    allowed_issuers: *const *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let text = ffi::required(value, "value")?;
        let slot = ffi::out(token).ok_or(CError::Null { what: "token" })?;
        let issuers = ffi::str_list(allowed_issuers, "allowed_issuers")?;
        let mut handle = TokenHandle::new(None);
        deserialize_into(&mut handle, text, issuers, false)?;
        *slot = ffi::into_handle(handle);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_deserialize_v2(
    value: *const c_char,
    token: *mut TokenHandle,
    allowed_issuers: *const *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let text = ffi::required(value, "value")?;
        let handle = token_mut(token)?;
        let issuers = ffi::str_list(allowed_issuers, "allowed_issuers")?;
        deserialize_into(handle, text, issuers, false)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_store_public_ec_key(
    issuer: *const c_char,
    keyid: *const c_char,
    value: *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let issuer = ffi::required(issuer, "issuer")?;
        let kid = ffi::required(keyid, "keyid")?;
        let pem = ffi::required(value, "value")?;
        let key = VerifyingKey::from_pem(pem.as_bytes())?;
        if key.alg() != Algorithm::Es256 {
            return Err(CError::usage("the key is not an EC P-256 key"));
        }
        let jwks = KeySet::new(vec![key.with_kid(kid)]).to_json()?;
        state::cache()?.set_jwks(issuer, jwks.as_bytes())?;
        Ok(0)
    })
}
