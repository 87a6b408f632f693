//! `validator_*`: claim validation with C callbacks, a settable time and a profile.

use std::ffi::{c_char, c_int};
use std::ptr;

use scitokens_format::{Clock, SystemClock, UnixTime};
use scitokens_validate::{Rejection, Validator};
use serde_json::Value;

use crate::error::{CError, Result};
use crate::ffi;
use crate::profile::CProfile;
use crate::token::TokenHandle;

/// A C claim validator.
type CValidator = extern "C" fn(*const c_char, *mut *mut c_char) -> c_int;

/// Validator settings; a `Validator` is built from them per call (cheap, and the C API lets
/// every setting change between calls).
pub struct ValidatorHandle {
    profile: CProfile,
    time: Option<UnixTime>,
    checks: Vec<(String, CValidator)>,
    critical: Vec<String>,
}

#[no_mangle]
pub extern "C" fn validator_create() -> *mut ValidatorHandle {
    let mut created = ptr::null_mut();
    ffi::guard_void(|| {
        created = ffi::into_handle(ValidatorHandle {
            profile: CProfile::Compat,
            time: None,
            checks: Vec::new(),
            critical: Vec::new(),
        });
    });
    created
}

#[no_mangle]
pub extern "C" fn validator_destroy(validator: *mut ValidatorHandle) {
    ffi::guard_void(|| drop(ffi::from_handle(validator)));
}

#[no_mangle]
pub extern "C" fn validator_set_token_profile(validator: *mut ValidatorHandle, profile: c_int) {
    ffi::guard_void(|| {
        if let (Some(v), Some(p)) = (ffi::handle_mut(validator), CProfile::from_c(profile)) {
            v.profile = p;
        }
    });
}

fn validator_mut<'a>(v: *mut ValidatorHandle) -> Result<&'a mut ValidatorHandle> {
    ffi::handle_mut(v).ok_or(CError::Null { what: "validator" })
}

#[no_mangle]
pub extern "C" fn validator_set_time(
    validator: *mut ValidatorHandle,
    now: libc::time_t,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        validator_mut(validator)?.time = Some(UnixTime::from_secs(now));
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn validator_add(
    validator: *mut ValidatorHandle,
    claim: *const c_char,
    validator_func: Option<CValidator>,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let v = validator_mut(validator)?;
        let claim = ffi::required(claim, "claim")?;
        let func = validator_func.ok_or(CError::Null {
            what: "validator_func",
        })?;
        v.checks.push((claim.to_owned(), func));
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn validator_add_critical_claims(
    validator: *mut ValidatorHandle,
    claims: *const *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let v = validator_mut(validator)?;
        let claims = ffi::str_list(claims, "claims")?.ok_or(CError::Null { what: "claims" })?;
        v.critical.extend(claims);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn validator_validate(
    validator: *mut ValidatorHandle,
    scitoken: *mut TokenHandle,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let v = ffi::handle(validator).ok_or(CError::Null { what: "validator" })?;
        let token = ffi::handle(scitoken).ok_or(CError::Null { what: "scitoken" })?;
        for name in &v.critical {
            if !v.checks.iter().any(|(claim, _)| claim == name) {
                return Err(CError::usage(format!(
                    "critical claim {name} has no validator"
                )));
            }
        }
        let mut builder = Validator::builder()
            .dangerous()
            .any_issuer()
            .skip_audience()
            .done()
            .profiles(v.profile.accepted());
        for name in &v.critical {
            builder = builder.critical(name.clone());
        }
        for (claim, func) in &v.checks {
            let func = *func;
            builder = builder.check(claim.clone(), move |value: &Value| match value {
                Value::String(s) => ffi::call_validator(func, s),
                other => Err(Rejection::from(format!("is {other}, not a string"))),
            });
        }
        let validator = builder.build()?;
        let claims = token.claims();
        let now = v.time.unwrap_or_else(|| SystemClock.now());
        validator.validate(&token.header(), claims, now)?;
        Ok(0)
    })
}
