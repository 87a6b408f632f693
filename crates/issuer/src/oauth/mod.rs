//! The OAuth 2.0 protocol surface: request parsing, client credentials, error answers.

mod client_auth;
mod error;
mod form;

pub use client_auth::{presented_client, public_client_id, Presented};
pub use error::{ErrorCode, OAuthError};
pub use form::{Form, MAX_PARAMS};
