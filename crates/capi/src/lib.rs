//! `libSciTokens.so.0`: scitokens-cpp's C API (level 1.4) over the scitokens-rs libraries, so
//! XRootD, HTCondor and anything else linked against scitokens-cpp can load this library
//! instead, unchanged.
//!
//! Names, signatures, return conventions and ownership rules are scitokens-cpp's
//! (`include/scitokens/scitokens.h`); the semantics are ours (docs/semantics.md), with ACLs in the
//! compatibility form of §8. Every difference is listed in `docs/capi.md`.
//!
//! Layout: `ffi` holds every unsafe operation (C strings, `malloc`/`free`, handles, callbacks,
//! the panic boundary); the other modules are safe code over it, one per part of the API.
//! Process-wide state (configuration, the key cache, monitoring) is in `state`, because the C
//! API has no handle for it.

#![deny(unsafe_code)]
#![allow(non_snake_case)] // the library is named SciTokens, as the one it replaces
#![allow(missing_docs)] // the exported functions are documented in scitokens.h, for C callers

// Exporting a symbol (`#[no_mangle]`) counts as unsafe code, so the modules that export are
// allowed it; unsafe blocks and functions stay in `ffi` (tests/unsafe_confined.rs checks).
#[allow(unsafe_code)] // exports
mod config;
#[allow(unsafe_code)] // exports
mod enforcer;
mod error;
#[allow(unsafe_code)] // the one module with unsafe operations
mod ffi;
#[allow(unsafe_code)] // exports
mod keycache;
mod profile;
mod state;
#[allow(unsafe_code)] // exports
mod status;
#[allow(unsafe_code)] // exports
mod token;
#[allow(unsafe_code)] // exports
mod validator;
mod verified;
