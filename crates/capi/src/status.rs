//! The asynchronous API. Every operation completes in its `*_start` call, which sets the
//! status to NULL, as scitokens-cpp does for an operation that finished; the status
//! functions then have nothing to report and say so.

use std::ffi::{c_char, c_int};
use std::ptr;

use crate::error::{CError, Result};
use crate::ffi;
use crate::token::{deserialize_into, TokenHandle};

/// Never allocated: operations complete synchronously.
pub enum Status {}

const NONE: &str = "no asynchronous operation is in progress (this library completes every operation in its *_start call)";

/// A `*_continue` call: success if the operation had completed (status NULL).
pub(crate) fn completed(status: *mut *mut Status) -> Result<c_int> {
    match ffi::out(status) {
        Some(slot) if slot.is_null() => Ok(0),
        Some(_) => Err(CError::usage("unknown status object")),
        None => Err(CError::Null { what: "status" }),
    }
}

#[no_mangle]
pub extern "C" fn scitoken_deserialize_start(
    value: *const c_char,
    token: *mut *mut TokenHandle,
    allowed_issuers: *const *const c_char,
    status: *mut *mut Status,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        if let Some(slot) = ffi::out(status) {
            *slot = ptr::null_mut();
        }
        let text = ffi::required(value, "value")?;
        let slot = ffi::out(token).ok_or(CError::Null { what: "token" })?;
        let issuers = ffi::str_list(allowed_issuers, "allowed_issuers")?;
        let mut handle = TokenHandle::new_empty();
        deserialize_into(&mut handle, text, issuers, true)?;
        *slot = ffi::into_handle(handle);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_deserialize_continue(
    token: *mut *mut TokenHandle,
    status: *mut *mut Status,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        ffi::out(token).ok_or(CError::Null { what: "token" })?;
        completed(status)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_status_free(_status: *mut *mut Status) {}

#[no_mangle]
pub extern "C" fn scitoken_status_get_timeout_val(
    _status: *const *mut Status,
    _expiry_time: libc::time_t,
    _timeout: *mut libc::timeval,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::set_err(err_msg, NONE);
    -1
}

#[no_mangle]
pub extern "C" fn scitoken_status_get_read_fd_set(
    _status: *mut *mut Status,
    _read_fd_set: *mut *mut libc::fd_set,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::set_err(err_msg, NONE);
    -1
}

#[no_mangle]
pub extern "C" fn scitoken_status_get_write_fd_set(
    _status: *mut *mut Status,
    _write_fd_set: *mut *mut libc::fd_set,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::set_err(err_msg, NONE);
    -1
}

#[no_mangle]
pub extern "C" fn scitoken_status_get_exc_fd_set(
    _status: *mut *mut Status,
    _exc_fd_set: *mut *mut libc::fd_set,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::set_err(err_msg, NONE);
    -1
}

#[no_mangle]
pub extern "C" fn scitoken_status_get_max_fd(
    _status: *const *mut Status,
    _max_fd: *mut c_int,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::set_err(err_msg, NONE);
    -1
}
