//! The enforcer for async servers: answered on the request's own thread when the issuer's keys
//! are in memory (the usual case), on a blocking thread when they must be read from the cache
//! file or fetched, so a key fetch never stalls the async runtime.

use std::sync::Arc;

use scitokens_enforce::{EnforceError, Enforcer, EnforcerConfig, Grants};
use scitokens_keycache::{KeyCache, NOT_IN_MEMORY};

use crate::error::Refusal;

/// Two enforcers over one key cache: one that never blocks ([`KeyCache::in_memory`]) and one
/// that may.
pub struct Authorizer {
    fast: Enforcer,
    full: Arc<Enforcer>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer").finish_non_exhaustive()
    }
}

impl Authorizer {
    /// An authorizer with this configuration over `cache`.
    pub fn new(config: EnforcerConfig, cache: KeyCache) -> Result<Self, EnforceError> {
        let fast = Enforcer::new(config.clone(), Arc::new(cache.in_memory()))?;
        let full = Arc::new(Enforcer::new(config, Arc::new(cache))?);
        Ok(Authorizer { fast, full })
    }

    /// The enforcer that may block (for use off the async threads).
    pub fn enforcer(&self) -> &Arc<Enforcer> {
        &self.full
    }

    /// The token's grants: verified and validated, from memory here, or on a blocking thread
    /// when the keys are not in memory.
    pub async fn grants(&self, token: &str) -> Result<Arc<Grants>, Refusal> {
        match self.fast.grants(token) {
            Err(e) if e.kind() == NOT_IN_MEMORY => {
                let full = Arc::clone(&self.full);
                let token = token.to_owned();
                tokio::task::spawn_blocking(move || full.grants(&token))
                    .await
                    .map_err(|e| Refusal::Unavailable(format!("key lookup task: {e}")))?
                    .map_err(|e| Refusal::from_enforce(&e))
            }
            Err(e) => Err(Refusal::from_enforce(&e)),
            Ok(grants) => Ok(grants),
        }
    }
}
