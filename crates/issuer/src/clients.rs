//! Registered clients in memory, and client authentication: the argon2id check runs once per
//! client and secret (in a blocking task), later requests compare a keyed digest
//! ([`VerifiedSecrets`]).

use std::collections::HashMap;
use std::sync::RwLock;

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

/// The registered clients (id and secret hash), reloaded from the store.
pub struct ClientRegistry {
    rows: RwLock<HashMap<String, ClientRow>>,
    verified: VerifiedSecrets,
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
    /// A registry holding `rows`.
    pub fn new(rows: Vec<ClientRow>) -> Result<Self> {
        Ok(ClientRegistry {
            rows: RwLock::new(rows.into_iter().map(|r| (r.id.clone(), r)).collect()),
            verified: VerifiedSecrets::new()?,
            decoy: hash_secret(&new_secret()?)?,
        })
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
                    let (secret, decoy) = (presented.secret.clone(), self.decoy.clone());
                    let _ =
                        tokio::task::spawn_blocking(move || verify_secret(&secret, &decoy)).await;
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
        let secret = presented.secret.clone();
        let hash = row.secret_hash.clone();
        let ok = tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
            .await
            .map_err(|_| OAuthError::server())?;
        if !ok {
            return Err(refused(presented));
        }
        self.verified
            .remember(&row.id, &row.secret_hash, &presented.secret);
        Ok(row.id)
    }
}
