//! `keycache_*`: the key cache administration API, on the cache shared with scitokens-cpp.

use std::ffi::{c_char, c_int};

use scitokens_format::{Clock, SystemClock, UnixTime};
use scitokens_keycache::CacheLocation;
use serde_json::json;

use crate::error::{CError, Result};
use crate::ffi;
use crate::state;

const EMPTY_JWKS: &str = r#"{"keys": []}"#;

fn issuer_arg<'a>(issuer: *const c_char) -> Result<&'a str> {
    ffi::required(issuer, "issuer")
}

/// The cached key set of `issuer` as JSON text, if its row decodes and `usable(expires)`;
/// otherwise an empty set (as scitokens-cpp answers).
fn jwks_text(
    cache: &scitokens_keycache::KeyCache,
    issuer: &str,
    usable: impl Fn(UnixTime) -> bool,
) -> Result<String> {
    Ok(match cache.get(issuer)? {
        Some(Ok(row)) if usable(row.expires) => serde_json::Value::Object(row.jwks).to_string(),
        _ => EMPTY_JWKS.to_owned(),
    })
}

fn put(out: *mut *mut c_char, what: &'static str, text: &str) -> Result<c_int> {
    let slot = ffi::out(out).ok_or(CError::Null { what })?;
    *slot = ffi::malloc_str(text);
    Ok(0)
}

#[no_mangle]
pub extern "C" fn keycache_refresh_jwks(issuer: *const c_char, err_msg: *mut *mut c_char) -> c_int {
    ffi::guard(err_msg, -1, || {
        let issuer = issuer_arg(issuer)?;
        state::cache()?.refresh(issuer)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn keycache_get_cached_jwks(
    issuer: *const c_char,
    jwks: *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let issuer = issuer_arg(issuer)?;
        let now = SystemClock.now();
        let text = jwks_text(&state::cache()?, issuer, |expires| now < expires)?;
        put(jwks, "jwks", &text)
    })
}

#[no_mangle]
pub extern "C" fn keycache_set_jwks(
    issuer: *const c_char,
    jwks: *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let issuer = issuer_arg(issuer)?;
        let jwks = ffi::required(jwks, "jwks")?;
        state::cache()?.set_jwks(issuer, jwks.as_bytes())?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn keycache_set_background_refresh(
    enabled: c_int,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        if enabled == 0 {
            // Stopped outside the library's lock: token validation goes on meanwhile.
            let refresher = state::global().refresher.take();
            if let Some(refresher) = refresher {
                refresher.stop();
            }
            return Ok(0);
        }
        let mut g = state::global();
        if g.refresher.is_none() {
            let cache = g.cache()?;
            g.refresher = Some(cache.start_refresher().map_err(CError::RefresherStart)?);
        }
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn keycache_stop_background_refresh(err_msg: *mut *mut c_char) -> c_int {
    keycache_set_background_refresh(0, err_msg)
}

#[no_mangle]
pub extern "C" fn keycache_load_jwks(
    issuer: *const c_char,
    jwks: *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let issuer = issuer_arg(issuer)?;
        let cache = state::cache()?;
        cache.keys(issuer, None)?;
        let text = jwks_text(&cache, issuer, |_| true)?;
        put(jwks, "jwks", &text)
    })
}

#[no_mangle]
pub extern "C" fn keycache_get_jwks_metadata(
    issuer: *const c_char,
    metadata: *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let issuer = issuer_arg(issuer)?;
        match state::cache()?.get(issuer)? {
            Some(Ok(row)) => put(
                metadata,
                "metadata",
                &json!({ "expires": row.expires, "next_update": row.next_update }).to_string(),
            ),
            Some(Err(e)) => Err(CError::usage(format!("the cached entry for {issuer}: {e}"))),
            None => Err(CError::usage(format!("{issuer} is not in the key cache"))),
        }
    })
}

#[no_mangle]
pub extern "C" fn keycache_get_location(
    cache_file: *mut *mut c_char,
    using_in_memory_fallback: *mut c_int,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let cache = state::cache()?;
        let configured_file = !matches!(cache.config().location, CacheLocation::InMemory);
        let (path, fallback) = match cache.location() {
            Some(path) => (path.display().to_string(), false),
            None => (":memory:".to_owned(), configured_file),
        };
        if let Some(flag) = ffi::out(using_in_memory_fallback) {
            *flag = c_int::from(fallback);
        }
        put(cache_file, "cache_file", &path)
    })
}

#[no_mangle]
pub extern "C" fn keycache_delete_jwks(issuer: *const c_char, err_msg: *mut *mut c_char) -> c_int {
    ffi::guard(err_msg, -1, || {
        let issuer = issuer_arg(issuer)?;
        state::cache()?.delete(issuer)?;
        Ok(0)
    })
}
