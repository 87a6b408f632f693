//! Where verifying keys come from: the [`KeySource`] trait, and [`StaticKeys`] for keys known
//! in advance. Here, at the bottom of the stack, so an enforcer can be built over any source
//! without the key cache (and its SQLite and HTTPS) when keys come from elsewhere.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

#[cfg(doc)]
use crate::error::Fault;
use crate::error::{FormatError, Result};
use crate::jwk::KeySet;
use crate::text::Untrusted;

/// Turns an issuer and a token's `kid` into the issuer's parsed keys.
///
/// Callers check the issuer against their allow-list *before* asking (the enforcer does): a
/// source may fetch from the network for any issuer it is asked about. A source that cannot
/// answer returns [`FormatError::KeySource`] with [`Fault::Server`]; one that has no such
/// issuer or `kid` says so ([`FormatError::UnknownIssuer`], [`FormatError::KidNotPublished`]).
pub trait KeySource: Send + Sync {
    /// The issuer's current key set, holding a key for `kid` if one is given.
    ///
    /// For `kid: None` the set is returned as is; selecting its only key is the caller's
    /// (`KeySet::select`).
    fn keys(&self, issuer: &str, kid: Option<&str>) -> Result<Arc<KeySet>>;
}

impl<T: KeySource + ?Sized> KeySource for Arc<T> {
    fn keys(&self, issuer: &str, kid: Option<&str>) -> Result<Arc<KeySet>> {
        (**self).keys(issuer, kid)
    }
}

/// Fixed key sets per issuer, from JWKS files or values; never fetches.
///
/// ```
/// use scitokens_format::{Algorithm, KeySet, KeySource, SigningKey, StaticKeys};
///
/// let key = SigningKey::generate(Algorithm::Es256).unwrap();
/// let keys = StaticKeys::new()
///     .with_issuer("https://issuer.example", KeySet::new(vec![key.verifying_key().clone()]));
/// assert!(keys.keys("https://issuer.example", Some(key.kid())).is_ok());
/// assert_eq!(keys.keys("https://issuer.example", Some("other")).unwrap_err().kind(), "unknown_kid");
/// assert_eq!(keys.keys("https://elsewhere.example", None).unwrap_err().kind(), "unknown_issuer");
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticKeys {
    issuers: HashMap<String, Arc<KeySet>>,
}

impl StaticKeys {
    /// An empty source.
    pub fn new() -> Self {
        StaticKeys::default()
    }

    /// Adds (or replaces) an issuer's keys.
    pub fn with_issuer(mut self, issuer: impl Into<String>, keys: KeySet) -> Self {
        self.issuers.insert(issuer.into(), Arc::new(keys));
        self
    }

    /// Adds an issuer's keys from a JWKS file.
    pub fn with_jwks_file(self, issuer: impl Into<String>, path: &Path) -> Result<Self> {
        let document = std::fs::read(path).map_err(|source| FormatError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(self.with_issuer(issuer, KeySet::from_json(&document)?))
    }

    /// The issuers this source has keys for.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.issuers.keys().map(String::as_str)
    }
}

impl KeySource for StaticKeys {
    fn keys(&self, issuer: &str, kid: Option<&str>) -> Result<Arc<KeySet>> {
        let keys = self
            .issuers
            .get(issuer)
            .ok_or_else(|| FormatError::UnknownIssuer {
                issuer: Untrusted::new(issuer),
            })?;
        if let Some(kid) = kid {
            if !keys.contains_kid(kid) {
                return Err(FormatError::KidNotPublished {
                    kid: Untrusted::new(kid),
                    issuer: Untrusted::new(issuer),
                });
            }
        }
        Ok(Arc::clone(keys))
    }
}
