//! Registered clients in memory, and client authentication: the argon2id check runs once per
//! client and secret (in a blocking task), later requests compare a keyed digest
//! ([`VerifiedSecrets`]). At most one argon2id run per core at a time ([`argon2_permits`]
//! bounds its memory, 19 MiB each, however many requests arrive), and a request that waited
//! for a run checks the digest again, so a burst of first requests from one client costs a
//! few runs, not one each.

use std::collections::HashMap;
use std::sync::RwLock;

use prometheus_client::metrics::counter::Counter;

use tokio::sync::Semaphore;

use scitokens_format::{UnixTime, Untrusted};

use crate::error::{IssuerError, Result};
use crate::oauth::{ErrorCode, OAuthError, Presented};
use crate::policy::check_client_id;
use crate::secret::hash_secret as hash;
use crate::secret::{hash_secret, new_secret, verify_secret, VerifiedSecrets};
use crate::store::{ClientRow, Store};

/// Registers client `id` in `store` with a new 256-bit secret, hashed with argon2id in a
/// blocking task; returns the secret, which is stored nowhere.
pub async fn register(store: &Store, id: &str, now: UnixTime) -> Result<String> {
    check_client_id(id).map_err(|reason| IssuerError::InvalidClientId {
        id: Untrusted::new(id),
        reason,
    })?;
    let secret = new_secret()?;
    let secret_hash = tokio::task::spawn_blocking({
        let secret = secret.clone();
        move || hash(&secret)
    })
    .await
    .map_err(|e| IssuerError::Task(e.to_string()))??;
    store
        .add_client(ClientRow {
            id: id.to_owned(),
            secret_hash,
            created: now,
        })
        .await?;
    Ok(secret)
}

/// Concurrent argon2id verifications: one per core.
pub fn argon2_permits() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The registered clients (id and secret hash), reloaded from the store.
pub struct ClientRegistry {
    rows: RwLock<HashMap<String, ClientRow>>,
    verified: VerifiedSecrets,
    permits: Semaphore,
    runs: Counter,
    /// A hash no secret matches, checked for unknown ids so that they take as long to refuse
    /// as a wrong secret.
    decoy: String,
}

/// The same answer for an unknown client and a wrong secret: no way to probe for ids.
fn refused(presented: &Presented) -> OAuthError {
    let e = OAuthError::new(ErrorCode::InvalidClient, "client authentication failed");
    if presented.basic {
        e.with_basic_challenge()
    } else {
        e
    }
}

impl ClientRegistry {
    /// A registry holding `rows`, counting its argon2id runs in `runs`.
    pub fn new(rows: Vec<ClientRow>, runs: Counter) -> Result<Self> {
        Ok(ClientRegistry {
            rows: RwLock::new(rows.into_iter().map(|r| (r.id.clone(), r)).collect()),
            verified: VerifiedSecrets::new()?,
            permits: Semaphore::new(argon2_permits()),
            runs,
            decoy: hash_secret(&new_secret()?)?,
        })
    }

    /// How many argon2id verifications have run (decoys included).
    pub fn argon2_runs(&self) -> u64 {
        self.runs.get()
    }

    /// Runs one argon2id verification under a permit; `None` if, once the permit came, the
    /// secret was already verified by another request.
    async fn verify(
        &self,
        client: Option<&ClientRow>,
        secret: &str,
    ) -> Result<Option<bool>, OAuthError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| OAuthError::server())?;
        if let Some(row) = client {
            if self.verified.known(&row.id, &row.secret_hash, secret) {
                return Ok(None);
            }
        }
        self.runs.inc();
        let hash = client.map_or_else(|| self.decoy.clone(), |r| r.secret_hash.clone());
        let secret = secret.to_owned();
        tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
            .await
            .map(Some)
            .map_err(|_| OAuthError::server())
    }

    /// Replaces the rows with a fresh read; forgets verified secrets of removed or changed
    /// clients.
    pub fn replace(&self, rows: Vec<ClientRow>) {
        let fresh: HashMap<String, ClientRow> =
            rows.into_iter().map(|r| (r.id.clone(), r)).collect();
        let mut current = self.rows.write().unwrap_or_else(|p| p.into_inner());
        for (id, row) in current.iter() {
            if fresh
                .get(id)
                .is_none_or(|f| f.secret_hash != row.secret_hash)
            {
                self.verified.forget(id);
            }
        }
        *current = fresh;
    }

    fn row(&self, id: &str) -> Option<ClientRow> {
        self.rows
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Authenticates the presented credentials; the client id on success, `invalid_client`
    /// otherwise. A client not yet loaded is looked up in the store once.
    pub async fn authenticate(
        &self,
        store: &Store,
        presented: &Presented,
    ) -> Result<String, OAuthError> {
        let row = match self.row(&presented.id) {
            Some(row) => row,
            None => {
                let row = store.client(&presented.id).await.map_err(|e| {
                    tracing::error!(error = %e, "reading a client");
                    OAuthError::server()
                })?;
                let Some(row) = row else {
                    self.verify(None, &presented.secret).await?;
                    return Err(refused(presented));
                };
                self.rows
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(row.id.clone(), row.clone());
                row
            }
        };
        if self
            .verified
            .known(&row.id, &row.secret_hash, &presented.secret)
        {
            return Ok(row.id);
        }
        match self.verify(Some(&row), &presented.secret).await? {
            None => return Ok(row.id),
            Some(false) => return Err(refused(presented)),
            Some(true) => {}
        }
        self.verified
            .remember(&row.id, &row.secret_hash, &presented.secret);
        Ok(row.id)
    }
}
