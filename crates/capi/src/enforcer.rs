//! `enforcer_*`: ACLs and access tests, in scitokens-cpp's compatibility form (semantics.md §8).

use std::ffi::{c_char, c_int};
use std::ptr;
use std::str::FromStr;
use std::sync::Arc;

use scitokens_enforce::{AclForm, Decision, Enforcer, EnforcerConfig, Operation};
use scitokens_format::scope::RequestTarget;
use scitokens_format::{FixedClock, SystemClock, UnixTime, VerifiedToken};
use scitokens_keycache::StaticKeys;
use scitokens_validate::UnknownClaims;

use crate::error::{CError, Result};
use crate::ffi;
use crate::profile::CProfile;
use crate::token::TokenHandle;

/// One ACL entry as C sees it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Acl {
    authz: *const c_char,
    resource: *const c_char,
}

/// An enforcer: the settings C can change, and our enforcer built from them.
pub struct EnforcerHandle {
    issuer: String,
    audiences: Vec<String>,
    profile: CProfile,
    time: Option<UnixTime>,
    enforcer: Enforcer,
}

impl EnforcerHandle {
    fn build(&mut self) -> Result<()> {
        self.enforcer = make(&self.issuer, &self.audiences, self.profile, self.time)?;
        Ok(())
    }
}

fn make(
    issuer: &str,
    audiences: &[String],
    profile: CProfile,
    time: Option<UnixTime>,
) -> Result<Enforcer> {
    let config = EnforcerConfig {
        issuers: vec![issuer.to_owned()],
        audiences: audiences.to_vec(),
        profiles: Some(profile.accepted()),
        acl_form: match profile {
            CProfile::Compat => AclForm::Compat,
            CProfile::Only(_) => AclForm::Native,
        },
        // As scitokens-cpp's enforcer: unknown claims are the Validator API's business.
        unknown_claims: UnknownClaims::Ignore,
        // Tokens reach the enforcer already verified (scitoken_deserialize); it never looks
        // keys up, so it gets an empty source.
        token_cache_capacity: 0,
        ..EnforcerConfig::default()
    };
    let keys = Arc::new(StaticKeys::new());
    let enforcer = match time {
        Some(now) => Enforcer::with_clock(config, keys, Arc::new(FixedClock(now.as_secs()))),
        None => Enforcer::with_clock(config, keys, Arc::new(SystemClock)),
    };
    Ok(enforcer?)
}

#[no_mangle]
pub extern "C" fn enforcer_create(
    issuer: *const c_char,
    audience: *const *const c_char,
    err_msg: *mut *mut c_char,
) -> *mut EnforcerHandle {
    ffi::guard(err_msg, ptr::null_mut(), || {
        let issuer = ffi::required(issuer, "issuer")?.to_owned();
        let audiences = ffi::str_list(audience, "audience")?.unwrap_or_default();
        let enforcer = make(&issuer, &audiences, CProfile::Compat, None)?;
        Ok(ffi::into_handle(EnforcerHandle {
            issuer,
            audiences,
            profile: CProfile::Compat,
            time: None,
            enforcer,
        }))
    })
}

#[no_mangle]
pub extern "C" fn enforcer_destroy(enforcer: *mut EnforcerHandle) {
    ffi::guard_void(|| drop(ffi::from_handle(enforcer)));
}

#[no_mangle]
pub extern "C" fn enforcer_set_validate_profile(enforcer: *mut EnforcerHandle, profile: c_int) {
    ffi::guard_void(|| {
        if let (Some(e), Some(p)) = (ffi::handle_mut(enforcer), CProfile::from_c(profile)) {
            let previous = e.profile;
            e.profile = p;
            if let Err(error) = e.build() {
                log::warn!("enforcer_set_validate_profile: {error}");
                e.profile = previous;
            }
        }
    });
}

#[no_mangle]
pub extern "C" fn enforcer_set_time(
    enforcer: *mut EnforcerHandle,
    now: libc::time_t,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let e = ffi::handle_mut(enforcer).ok_or(CError::Null { what: "enf" })?;
        e.time = Some(UnixTime::from_secs(now));
        e.build()?;
        Ok(0)
    })
}

/// The grants of a token `scitoken_deserialize` verified (with the key cache, under the
/// caller's issuer list): the C API splits verification from enforcement, so the enforcer
/// validates a token it did not verify itself; its own issuer check still applies.
fn grants_of(e: &EnforcerHandle, verified: &VerifiedToken) -> Result<scitokens_enforce::Grants> {
    Ok(e.enforcer.dangerous().grants_of_verified(verified)?)
}

fn acl_array(acls: &[scitokens_enforce::Acl]) -> *mut Acl {
    let entries: Vec<Acl> = acls
        .iter()
        .map(|acl| Acl {
            authz: ffi::malloc_str(&acl.authz),
            resource: ffi::malloc_str(&acl.resource),
        })
        .collect();
    ffi::malloc_array(
        &entries,
        Acl {
            authz: ptr::null(),
            resource: ptr::null(),
        },
    )
}

#[no_mangle]
pub extern "C" fn enforcer_generate_acls(
    enf: *const EnforcerHandle,
    scitokens: *const TokenHandle,
    acls: *mut *mut Acl,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let e = ffi::handle(enf).ok_or(CError::Null { what: "enf" })?;
        let token = ffi::handle(scitokens).ok_or(CError::Null { what: "scitokens" })?;
        let slot = ffi::out(acls).ok_or(CError::Null { what: "acls" })?;
        let verified = token.verified()?;
        let list = grants_of(e, &verified)?.acls(e.enforcer.acl_form());
        *slot = acl_array(&list);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn enforcer_generate_acls_start(
    enf: *const EnforcerHandle,
    scitokens: *const TokenHandle,
    status: *mut *mut crate::status::Status,
    acls: *mut *mut Acl,
    err_msg: *mut *mut c_char,
) -> c_int {
    if let Some(slot) = ffi::out(status) {
        *slot = ptr::null_mut();
    }
    enforcer_generate_acls(enf, scitokens, acls, err_msg)
}

#[no_mangle]
pub extern "C" fn enforcer_generate_acls_continue(
    enf: *const EnforcerHandle,
    status: *mut *mut crate::status::Status,
    _acls: *mut *mut Acl,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        ffi::handle(enf).ok_or(CError::Null { what: "enf" })?;
        crate::status::completed(status)
    })
}

#[no_mangle]
pub extern "C" fn enforcer_acl_free(acls: *mut Acl) {
    ffi::guard_void(|| {
        for acl in ffi::read_array(acls, |a| a.authz.is_null() && a.resource.is_null()) {
            ffi::free(acl.authz.cast_mut());
            ffi::free(acl.resource.cast_mut());
        }
        ffi::free(acls);
    });
}

#[no_mangle]
pub extern "C" fn enforcer_test(
    enf: *const EnforcerHandle,
    sci: *const TokenHandle,
    acl: *const Acl,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let e = ffi::handle(enf).ok_or(CError::Null { what: "enf" })?;
        let token = ffi::handle(sci).ok_or(CError::Null { what: "sci" })?;
        let acl = ffi::handle(acl).ok_or(CError::Null { what: "acl" })?;
        let authz = ffi::required(acl.authz, "acl->authz")?;
        let resource = ffi::required(acl.resource, "acl->resource")?;
        let operation = Operation::from_str(authz)?;
        let target = RequestTarget::parse(resource)?;
        let verified = token.verified()?;
        let grants = grants_of(e, &verified)?;
        match grants.test(&operation, &target) {
            Decision::Allowed { .. } => Ok(0),
            // What enforcer_generate_acls lists is allowed (semantics.md §8): consumers match
            // that list, so the two answers must agree.
            Decision::Denied(_)
                if e.profile == CProfile::Compat
                    && !grants.listed_by(authz, &target).is_empty() =>
            {
                Ok(0)
            }
            Decision::Denied(denial) => Err(denial.into()),
        }
    })
}
