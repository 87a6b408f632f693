//! Every unsafe operation of the crate, in small helpers with their contracts: reading C
//! strings and string arrays, allocating what C frees with `free()`, owning handles, calling
//! C callbacks, and the panic boundary. The exported functions use only these.

use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use scitokens_validate::Rejection;

use crate::error::{CError, Result};

/// Reads a C string argument. `None` for NULL; an error for invalid UTF-8.
///
/// The C caller passes NULL or a pointer to a NUL-terminated string that outlives the call
/// (the API's contract, as for scitokens-cpp).
pub(crate) fn str_arg<'a>(p: *const c_char, what: &'static str) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, NUL-terminated and valid for the call, per the API contract above.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes
        .to_str()
        .map(Some)
        .map_err(|_| CError::NotUtf8 { what })
}

/// Like [`str_arg`], with NULL an error naming the argument.
pub(crate) fn required<'a>(p: *const c_char, what: &'static str) -> Result<&'a str> {
    str_arg(p, what)?.ok_or(CError::Null { what })
}

/// Reads a NULL-terminated array of C strings (`None` for a NULL array).
pub(crate) fn str_list(p: *const *const c_char, what: &'static str) -> Result<Option<Vec<String>>> {
    if p.is_null() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for i in 0.. {
        // SAFETY: the caller passes a NULL-terminated array of string pointers (API contract);
        // we stop at the first NULL, so every index read is inside the array.
        let item = unsafe { *p.add(i) };
        if item.is_null() {
            break;
        }
        out.push(required(item, what)?.to_owned());
    }
    Ok(Some(out))
}

/// A `malloc`'d copy of `s` (cut at an interior NUL), for the caller to `free()`. NULL only
/// if the allocation fails.
pub(crate) fn malloc_str(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    // SAFETY: malloc with a non-zero size; the result is checked before use.
    let out = unsafe { libc::malloc(len + 1) }.cast::<u8>();
    if out.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `out` has len + 1 bytes; the source has at least len bytes; they do not overlap.
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), out, len);
        *out.add(len) = 0;
    }
    out.cast()
}

/// Frees what [`malloc_str`] or a C caller allocated with `malloc` (NULL is fine).
pub(crate) fn free<T>(p: *mut T) {
    // SAFETY: `p` is NULL or came from malloc and is freed once (callers' contract).
    unsafe { libc::free(p.cast()) }
}

/// Allocates a C array of `items` plus a zeroed terminator, for `free()`.
pub(crate) fn malloc_array<T: Copy>(items: &[T], terminator: T) -> *mut T {
    let size = std::mem::size_of::<T>() * (items.len() + 1);
    // SAFETY: malloc with a non-zero size; checked before use.
    let out = unsafe { libc::malloc(size) }.cast::<T>();
    if out.is_null() {
        return ptr::null_mut();
    }
    for (i, item) in items.iter().chain(std::iter::once(&terminator)).enumerate() {
        // SAFETY: i <= items.len(), inside the allocation of items.len() + 1 elements.
        unsafe { out.add(i).write(*item) };
    }
    out
}

/// Reads a C array up to (not including) the first element for which `end` is true.
///
/// The caller passes a pointer it received from [`malloc_array`] (or an equivalent
/// terminated array).
pub(crate) fn read_array<T: Copy>(p: *const T, end: impl Fn(&T) -> bool) -> Vec<T> {
    let mut out = Vec::new();
    if p.is_null() {
        return out;
    }
    for i in 0.. {
        // SAFETY: a terminated array; we stop at the terminator.
        let item = unsafe { *p.add(i) };
        if end(&item) {
            break;
        }
        out.push(item);
    }
    out
}

/// Moves a value to the heap and hands it to C as an opaque handle.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back a handle made by [`into_handle`], to drop it. NULL gives `None`.
pub(crate) fn from_handle<T>(p: *mut T) -> Option<Box<T>> {
    // SAFETY: `p` is NULL or came from into_handle::<T> and is destroyed once (API contract).
    (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
}

/// Borrows a handle. NULL gives `None`.
pub(crate) fn handle<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: `p` is NULL or a live handle from into_handle::<T> (API contract).
    unsafe { p.as_ref() }
}

/// Borrows a handle mutably. NULL gives `None`.
pub(crate) fn handle_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: `p` is NULL or a live handle from into_handle::<T>, not used concurrently
    // (API contract: handles are not shared between threads while being modified).
    unsafe { p.as_mut() }
}

/// Writes through an out-parameter if it is not NULL.
pub(crate) fn out<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: `p` is NULL or points to writable storage for a T (API contract).
    unsafe { p.as_mut() }
}

/// Calls a C claim validator with `value`; `Err` carries its message (freed here).
pub(crate) fn call_validator(
    f: extern "C" fn(*const c_char, *mut *mut c_char) -> c_int,
    value: &str,
) -> std::result::Result<(), Rejection> {
    let value =
        std::ffi::CString::new(value).map_err(|_| Rejection::from("claim value contains NUL"))?;
    let mut message: *mut c_char = ptr::null_mut();
    let status = f(value.as_ptr(), &mut message);
    let text = if message.is_null() {
        String::new()
    } else {
        let text = str_arg(message, "validator message")
            .ok()
            .flatten()
            .unwrap_or("")
            .to_owned();
        free(message);
        text
    };
    if status == 0 {
        Ok(())
    } else if text.is_empty() {
        Err(Rejection::from(format!("validator returned {status}")))
    } else {
        Err(Rejection::from(text))
    }
}

/// Sets `*err_msg` to a malloc'd copy of `message` (replacing nothing: the caller owns the
/// previous value, if any).
pub(crate) fn set_err(err_msg: *mut *mut c_char, message: &str) {
    if let Some(slot) = out(err_msg) {
        *slot = malloc_str(message);
    }
}

/// The panic boundary: runs `body`, turns `Err` and panics into `failure` with `*err_msg`
/// set. No panic crosses into C.
pub(crate) fn guard<T>(
    err_msg: *mut *mut c_char,
    failure: T,
    body: impl FnOnce() -> Result<T>,
) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(message)) => {
            set_err(err_msg, &message.to_string());
            failure
        }
        Err(_) => {
            set_err(
                err_msg,
                "internal error (panic) in libSciTokens; please report it",
            );
            failure
        }
    }
}

/// The panic boundary for functions without an error out-parameter.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// Runs when the library is loaded (ELF `.init_array`): reads the `SCITOKEN_CONFIG_*`
/// environment variables then, as scitokens-cpp does, rather than at first use.
extern "C" fn on_load() {
    guard_void(crate::state::load);
}

#[used]
#[link_section = ".init_array"]
static ON_LOAD: extern "C" fn() = on_load;
