//! `scitoken_config_*` (and the older `config_*` names): the process-wide settings, with
//! scitokens-cpp's keys. A change applies to the next key lookup (the cache is reopened).

use std::ffi::{c_char, c_int};
use std::path::PathBuf;
use std::time::Duration;

use scitokens_keycache::CacheLocation;

use crate::error::CError;
use crate::ffi;
use crate::state;

#[no_mangle]
pub extern "C" fn scitoken_config_set_int(
    key: *const c_char,
    value: c_int,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let key = ffi::required(key, "key")?;
        if value < 0 {
            return Err(CError::usage(format!(
                "{key} must not be negative, not {value}"
            )));
        }
        let mut g = state::global();
        let mut config = g.config.clone();
        match key {
            "keycache.update_interval_s" => config.update_interval = seconds(value),
            "keycache.expiration_interval_s" => config.expiration_interval = seconds(value),
            "keycache.refresh_interval_ms" => config.refresh_interval = millis(value),
            "keycache.refresh_threshold_ms" => config.refresh_threshold = millis(value),
            "keycache.allow_in_memory" => config.allow_in_memory = value != 0,
            "monitoring.file_interval_s" => {
                g.monitoring_interval = seconds(value);
                return Ok(0);
            }
            other => {
                return Err(CError::usage(format!(
                    "unknown integer configuration key {other}"
                )))
            }
        }
        // Nothing is stored that would leave the key cache unusable.
        state::effective(&config)
            .check()
            .map_err(|e| CError::usage(format!("{key} = {value} refused: {e}")))?;
        g.config = config;
        g.reconfigured();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn config_set_int(
    key: *const c_char,
    value: c_int,
    err_msg: *mut *mut c_char,
) -> c_int {
    scitoken_config_set_int(key, value, err_msg)
}

/// A non-negative C value (checked by the caller) as seconds or milliseconds.
fn seconds(value: c_int) -> Duration {
    Duration::from_secs(u64::from(value.unsigned_abs()))
}

fn millis(value: c_int) -> Duration {
    Duration::from_millis(u64::from(value.unsigned_abs()))
}

fn clamp(value: u128) -> c_int {
    c_int::try_from(value).unwrap_or(c_int::MAX)
}

#[no_mangle]
pub extern "C" fn scitoken_config_get_int(key: *const c_char, err_msg: *mut *mut c_char) -> c_int {
    ffi::guard(err_msg, -1, || {
        let key = ffi::required(key, "key")?;
        let g = state::global();
        Ok(match key {
            "keycache.update_interval_s" => clamp(g.config.update_interval.as_secs().into()),
            "keycache.expiration_interval_s" => {
                clamp(g.config.expiration_interval.as_secs().into())
            }
            "keycache.refresh_interval_ms" => clamp(g.config.refresh_interval.as_millis()),
            "keycache.refresh_threshold_ms" => clamp(g.config.refresh_threshold.as_millis()),
            "keycache.allow_in_memory" => c_int::from(g.config.allow_in_memory),
            "monitoring.file_interval_s" => clamp(g.monitoring_interval.as_secs().into()),
            other => {
                return Err(CError::usage(format!(
                    "unknown integer configuration key {other}"
                )))
            }
        })
    })
}

#[no_mangle]
pub extern "C" fn config_get_int(key: *const c_char, err_msg: *mut *mut c_char) -> c_int {
    scitoken_config_get_int(key, err_msg)
}

#[no_mangle]
pub extern "C" fn scitoken_config_set_str(
    key: *const c_char,
    value: *const c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let key = ffi::required(key, "key")?;
        // NULL means "" (unset), as in scitokens-cpp.
        let value = ffi::str_arg(value, "value")?.unwrap_or_default();
        let path = (!value.is_empty()).then(|| PathBuf::from(value));
        let mut g = state::global();
        match key {
            "keycache.cache_home" => {
                g.config.location = path.map_or(CacheLocation::Default, CacheLocation::CacheHome);
            }
            "keycache.allow_in_memory" => {
                g.config.allow_in_memory = match value.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" | "" => false,
                    _ => {
                        return Err(CError::usage(format!(
                            "keycache.allow_in_memory must be true or false, not {}",
                            scitokens_format::Untrusted::new(value)
                        )))
                    }
                };
            }
            "tls.ca_file" => g.config.tls_ca_file = path,
            "monitoring.file" => {
                g.monitoring_file = path;
                return Ok(0);
            }
            other => {
                return Err(CError::usage(format!(
                    "unknown string configuration key {other}"
                )))
            }
        }
        g.reconfigured();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_config_get_str(
    key: *const c_char,
    output: *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let key = ffi::required(key, "key")?;
        let g = state::global();
        let value = match key {
            "keycache.cache_home" => match &g.config.location {
                CacheLocation::CacheHome(dir) => dir.display().to_string(),
                _ => String::new(),
            },
            "keycache.allow_in_memory" => g.config.allow_in_memory.to_string(),
            "tls.ca_file" => g
                .config
                .tls_ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            "monitoring.file" => g
                .monitoring_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            other => {
                return Err(CError::usage(format!(
                    "unknown string configuration key {other}"
                )))
            }
        };
        let slot = ffi::out(output).ok_or(CError::Null { what: "output" })?;
        *slot = ffi::malloc_str(&value);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_get_monitoring_json(
    json_out: *mut *mut c_char,
    err_msg: *mut *mut c_char,
) -> c_int {
    ffi::guard(err_msg, -1, || {
        let text = state::global().monitoring_json().to_string();
        let slot = ffi::out(json_out).ok_or(CError::Null { what: "json_out" })?;
        *slot = ffi::malloc_str(&text);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn scitoken_reset_monitoring_stats(err_msg: *mut *mut c_char) -> c_int {
    ffi::guard(err_msg, -1, || {
        state::global().reset_monitoring();
        Ok(0)
    })
}
