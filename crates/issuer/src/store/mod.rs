//! The issuer's state: registered clients (secret hashes), signing keys, refresh-token
//! families, revoked access-token ids, device authorizations (RFC 8628) and the key that seals
//! the web pages' session cookies. SQLite by default; every operation that must be atomic
//! across processes (redeeming a refresh token above all) is one transaction.

mod postgres;
mod sqlite;

use scitokens_format::{UnixTime, Untrusted};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::config::Database;
use crate::error::{IssuerError, Result};

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    /// The client id.
    pub id: String,
    /// The argon2id hash of its secret (PHC string).
    pub secret_hash: String,
    /// When it was registered.
    pub created: UnixTime,
}

/// A signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// Its `kid`.
    pub kid: String,
    /// The private key, PKCS#8 PEM.
    pub private_pem: String,
    /// When it was made (and first published).
    pub created: UnixTime,
    /// When it starts signing.
    pub activate_at: UnixTime,
}

/// A refresh-token family: every token rotated from one grant shares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// Random id.
    pub id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The `sub` of its access tokens.
    pub subject: String,
    /// The scopes granted, as a `scope` claim.
    pub scope: String,
    /// The audiences granted.
    pub audiences: Vec<String>,
    /// When the family ends, however its tokens are used (the absolute lifetime).
    pub expires_at: UnixTime,
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// It was valid and is now used; the new token (already stored) continues the family.
    Rotated(Family),
    /// It is unknown, expired, revoked or another client's: the reason, for the client.
    Refused(&'static str),
    /// It had been used already: the whole family is now revoked.
    Replayed,
}

/// A family as stored (audiences as JSON, times in seconds): what a backend reads.
pub(crate) struct FamilyRow {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) subject: String,
    pub(crate) scope: String,
    pub(crate) audiences: String,
    pub(crate) expires_at: i64,
}

/// A presented refresh token as found, with its family, inside the redeeming transaction.
pub(crate) struct Presented {
    pub(crate) family: FamilyRow,
    pub(crate) family_revoked: bool,
    pub(crate) expires_at: i64,
    pub(crate) used: bool,
}

/// What a backend must do with a presented refresh token.
pub(crate) enum Verdict {
    /// Refuse it, changing nothing.
    Refuse(&'static str),
    /// Revoke this family (a spent token came back), then answer [`Redeemed::Replayed`].
    Replay(String),
    /// Mark it used and store its successor, expiring at the time given.
    Rotate(Family, UnixTime),
}

/// The one decision on a presented refresh token, shared by every backend: unknown, another
/// client's, revoked, spent (a replay), expired, or good to rotate (its successor idles out
/// `idle` after `now`, never after its family).
pub(crate) fn judge(
    found: Option<Presented>,
    client: &str,
    now: UnixTime,
    idle: std::time::Duration,
) -> Result<Verdict> {
    let Some(found) = found else {
        return Ok(Verdict::Refuse("refresh_token: unknown"));
    };
    let f = found.family;
    if f.client_id != client {
        return Ok(Verdict::Refuse("refresh_token: issued to another client"));
    }
    if found.family_revoked {
        return Ok(Verdict::Refuse("refresh_token: revoked"));
    }
    if found.used {
        return Ok(Verdict::Replay(f.id));
    }
    let family_end = UnixTime::from_secs(f.expires_at);
    if UnixTime::from_secs(found.expires_at) <= now || family_end <= now {
        return Ok(Verdict::Refuse("refresh_token: expired"));
    }
    let audiences: Vec<String> = serde_json::from_str(&f.audiences)
        .map_err(|e| IssuerError::Corrupt(format!("refresh family audiences: {e}")))?;
    Ok(Verdict::Rotate(
        Family {
            id: f.id,
            client_id: f.client_id,
            subject: f.subject,
            scope: f.scope,
            audiences,
            expires_at: family_end,
        },
        now.saturating_add(idle).min(family_end),
    ))
}

/// What a revocation request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The token's family is revoked (or was already).
    Done,
    /// No such token (RFC 7009 answers 200 anyway).
    Unknown,
    /// The token belongs to another client; nothing was changed.
    OtherClient,
}

/// A device authorization as started by a client (RFC 8628 §3.1-3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRequest {
    /// SHA-256 of the device code (the code itself is stored nowhere).
    pub device_digest: [u8; 32],
    /// The user code, normalized (no separator).
    pub user_code: String,
    /// The client that asked.
    pub client_id: String,
    /// The `scope` parameter as sent, if any.
    pub scope: Option<String>,
    /// The audiences granted to the client.
    pub audiences: Vec<String>,
    /// When the codes expire.
    pub expires_at: UnixTime,
    /// The polling interval, seconds.
    pub interval: u64,
}

/// What the user decided on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Approved: the token's subject and scopes.
    Approve {
        /// The `sub` of the tokens.
        subject: String,
        /// The scopes granted, as a `scope` claim.
        scope: String,
    },
    /// Denied.
    Deny,
}

/// What a poll of the token endpoint with a device code came to (RFC 8628 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// The user has not decided yet.
    Pending,
    /// Polled faster than the interval, which is now 5 seconds longer.
    SlowDown,
    /// The user denied it.
    Denied,
    /// The codes expired.
    Expired,
    /// No such device code for this client, or its token was already issued.
    Unknown,
    /// Approved: issue the token (once; a later poll is [`Polled::Unknown`]).
    Approved {
        /// The `scope` parameter the client sent when it started.
        requested: Option<String>,
        /// The `sub`.
        subject: String,
        /// The scopes granted.
        scope: String,
        /// The audiences granted.
        audiences: Vec<String>,
    },
}

/// A device authorization's state as stored.
pub(crate) const DEVICE_PENDING: &str = "pending";
pub(crate) const DEVICE_APPROVED: &str = "approved";
pub(crate) const DEVICE_DENIED: &str = "denied";
pub(crate) const DEVICE_DONE: &str = "done";

/// How much longer the interval gets with each `slow_down` (RFC 8628 §3.5).
pub const SLOW_DOWN_SECS: i64 = 5;

/// A device authorization as found by a poll, inside the polling transaction.
pub(crate) struct DeviceRow {
    pub(crate) client_id: String,
    pub(crate) state: String,
    pub(crate) expires_at: i64,
    pub(crate) interval: i64,
    pub(crate) last_poll: Option<i64>,
    pub(crate) subject: Option<String>,
    pub(crate) granted_scope: Option<String>,
    pub(crate) audiences: String,
    pub(crate) requested: Option<String>,
}

/// What a backend must write after a poll.
pub(crate) enum PollWrite {
    /// Nothing.
    None,
    /// Record the poll time.
    Touch,
    /// Record the poll time and lengthen the interval.
    SlowDown,
    /// Record the poll time and mark the authorization used.
    Consume,
}

/// The one decision on a poll, shared by every backend.
pub(crate) fn poll_verdict(
    found: Option<DeviceRow>,
    client: &str,
    now: UnixTime,
) -> Result<(Polled, PollWrite)> {
    let Some(row) = found else {
        return Ok((Polled::Unknown, PollWrite::None));
    };
    if row.client_id != client || row.state == DEVICE_DONE {
        return Ok((Polled::Unknown, PollWrite::None));
    }
    if row.expires_at <= now.as_secs() {
        return Ok((Polled::Expired, PollWrite::None));
    }
    if row
        .last_poll
        .is_some_and(|last| now.as_secs() < last.saturating_add(row.interval))
    {
        return Ok((Polled::SlowDown, PollWrite::SlowDown));
    }
    match row.state.as_str() {
        DEVICE_PENDING => Ok((Polled::Pending, PollWrite::Touch)),
        DEVICE_DENIED => Ok((Polled::Denied, PollWrite::Touch)),
        DEVICE_APPROVED => {
            let audiences: Vec<String> = serde_json::from_str(&row.audiences)
                .map_err(|e| IssuerError::Corrupt(format!("device audiences: {e}")))?;
            Ok((
                Polled::Approved {
                    requested: row.requested,
                    subject: row.subject.unwrap_or_default(),
                    scope: row.granted_scope.unwrap_or_default(),
                    audiences,
                },
                PollWrite::Consume,
            ))
        }
        other => Err(IssuerError::Corrupt(format!(
            "device authorization state {}",
            Untrusted::new(other)
        ))),
    }
}

/// A pending device authorization from its stored columns.
pub(crate) fn device_request(
    digest: &[u8],
    user_code: &str,
    client_id: String,
    scope: Option<String>,
    audiences: &str,
    expires_at: i64,
    interval: i64,
) -> Result<DeviceRequest> {
    Ok(DeviceRequest {
        device_digest: digest
            .try_into()
            .map_err(|_| IssuerError::Corrupt("a device code digest is not 32 bytes".into()))?,
        user_code: user_code.to_owned(),
        client_id,
        scope,
        audiences: serde_json::from_str(audiences)
            .map_err(|e| IssuerError::Corrupt(format!("device audiences: {e}")))?,
        expires_at: UnixTime::from_secs(expires_at),
        interval: u64::try_from(interval).unwrap_or(0),
    })
}

/// The state database.
#[derive(Debug, Clone)]
pub enum Store {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

impl Store {
    /// Opens (creating if needed) the database the configuration names.
    pub async fn open(database: &Database) -> Result<Store> {
        match database {
            Database::Sqlite(path) => Ok(Store::Sqlite(SqliteStore::open(path)?)),
            Database::Postgres(url) => Ok(Store::Postgres(PgStore::open(url).await?)),
        }
    }

    /// Registers a client.
    pub async fn add_client(&self, row: ClientRow) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.add_client(&row)).await,
            Store::Postgres(p) => p.add_client(&row).await,
        }
    }

    /// Removes a client and revokes its refresh tokens; false if there was none.
    pub async fn remove_client(&self, id: &str, now: UnixTime) -> Result<bool> {
        let id = id.to_owned();
        match self {
            Store::Sqlite(s) => s.run(move |db| db.remove_client(&id, now)).await,
            Store::Postgres(p) => p.remove_client(&id, now).await,
        }
    }

    /// Every registered client.
    pub async fn clients(&self) -> Result<Vec<ClientRow>> {
        match self {
            Store::Sqlite(s) => s.run(|db| db.clients()).await,
            Store::Postgres(p) => p.clients().await,
        }
    }

    /// One client.
    pub async fn client(&self, id: &str) -> Result<Option<ClientRow>> {
        let id = id.to_owned();
        match self {
            Store::Sqlite(s) => s.run(move |db| db.client(&id)).await,
            Store::Postgres(p) => p.client(&id).await,
        }
    }

    /// Every signing key, oldest activation first.
    pub async fn keys(&self) -> Result<Vec<KeyRow>> {
        match self {
            Store::Sqlite(s) => s.run(|db| db.keys()).await,
            Store::Postgres(p) => p.keys().await,
        }
    }

    /// Adds a signing key.
    pub async fn add_key(&self, row: KeyRow) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.add_key(&row)).await,
            Store::Postgres(p) => p.add_key(&row).await,
        }
    }

    /// Deletes these keys.
    pub async fn remove_keys(&self, kids: Vec<String>) -> Result<()> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.remove_keys(&kids)).await,
            Store::Postgres(p) => p.remove_keys(&kids).await,
        }
    }

    /// Starts a family with its first token (stored as its digest), idle-expiring at
    /// `token_expires`.
    pub async fn start_family(
        &self,
        family: Family,
        digest: [u8; 32],
        token_expires: UnixTime,
        now: UnixTime,
    ) -> Result<()> {
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.start_family(&family, &digest, token_expires, now))
                    .await
            }
            Store::Postgres(p) => p.start_family(&family, &digest, token_expires, now).await,
        }
    }

    /// Presents a refresh token for `client`: if valid, marks it used and stores `next` (its
    /// successor, idle-expiring `idle` after now, never after the family) in one transaction.
    pub async fn redeem(
        &self,
        digest: [u8; 32],
        client: &str,
        next: [u8; 32],
        idle: std::time::Duration,
        now: UnixTime,
    ) -> Result<Redeemed> {
        let client = client.to_owned();
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.redeem(&digest, &client, &next, idle, now))
                    .await
            }
            Store::Postgres(p) => p.redeem(&digest, &client, &next, idle, now).await,
        }
    }

    /// The scope of the family of the refresh token with this digest.
    pub async fn family_scope(&self, digest: [u8; 32]) -> Result<Option<String>> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.family_scope(&digest)).await,
            Store::Postgres(p) => p.family_scope(&digest).await,
        }
    }

    /// Revokes the family of the refresh token with this digest, if it is `client`'s.
    pub async fn revoke_refresh(
        &self,
        digest: [u8; 32],
        client: &str,
        now: UnixTime,
    ) -> Result<Revoked> {
        let client = client.to_owned();
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.revoke_refresh(&digest, &client, now))
                    .await
            }
            Store::Postgres(p) => p.revoke_refresh(&digest, &client, now).await,
        }
    }

    /// Records an access token's `jti` as revoked until it expires.
    pub async fn revoke_jti(&self, jti: &str, expires: UnixTime) -> Result<()> {
        let jti = jti.to_owned();
        match self {
            Store::Sqlite(s) => s.run(move |db| db.revoke_jti(&jti, expires)).await,
            Store::Postgres(p) => p.revoke_jti(&jti, expires).await,
        }
    }

    /// Whether an access token's `jti` was revoked.
    pub async fn jti_revoked(&self, jti: &str) -> Result<bool> {
        let jti = jti.to_owned();
        match self {
            Store::Sqlite(s) => s.run(move |db| db.jti_revoked(&jti)).await,
            Store::Postgres(p) => p.jti_revoked(&jti).await,
        }
    }

    /// Stores a new device authorization; false if its user code is taken (draw another).
    pub async fn add_device(&self, request: DeviceRequest, now: UnixTime) -> Result<bool> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.add_device(&request, now)).await,
            Store::Postgres(p) => p.add_device(&request, now).await,
        }
    }

    /// The pending, unexpired device authorization with this (normalized) user code.
    pub async fn pending_device(
        &self,
        user_code: &str,
        now: UnixTime,
    ) -> Result<Option<DeviceRequest>> {
        let code = user_code.to_owned();
        match self {
            Store::Sqlite(s) => s.run(move |db| db.pending_device(&code, now)).await,
            Store::Postgres(p) => p.pending_device(&code, now).await,
        }
    }

    /// Records the user's decision; false if the authorization is no longer pending (decided
    /// elsewhere, or expired).
    pub async fn decide_device(
        &self,
        user_code: &str,
        decision: Decision,
        now: UnixTime,
    ) -> Result<bool> {
        let code = user_code.to_owned();
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.decide_device(&code, &decision, now))
                    .await
            }
            Store::Postgres(p) => p.decide_device(&code, &decision, now).await,
        }
    }

    /// A client polls with a device code: one transaction that reads the authorization, applies
    /// the interval and, when approved, spends it.
    pub async fn poll_device(
        &self,
        device_digest: [u8; 32],
        client: &str,
        now: UnixTime,
    ) -> Result<Polled> {
        let client = client.to_owned();
        match self {
            Store::Sqlite(s) => {
                s.run(move |db| db.poll_device(&device_digest, &client, now))
                    .await
            }
            Store::Postgres(p) => p.poll_device(&device_digest, &client, now).await,
        }
    }

    /// The 32-byte secret named `name`, made (randomly, by whichever process comes first) the
    /// first time it is asked for: every replica then shares it.
    pub async fn shared_secret(&self, name: &str) -> Result<[u8; 32]> {
        let fresh: [u8; 32] = crate::secret::random_bytes()?;
        let name = name.to_owned();
        let value = match self {
            Store::Sqlite(s) => s.run(move |db| db.shared_secret(&name, &fresh)).await?,
            Store::Postgres(p) => p.shared_secret(&name, &fresh).await?,
        };
        value
            .try_into()
            .map_err(|_| IssuerError::Corrupt("a shared secret is not 32 bytes".into()))
    }

    /// Deletes what can no longer matter: expired tokens, families and revocations.
    pub async fn prune(&self, now: UnixTime) -> Result<usize> {
        match self {
            Store::Sqlite(s) => s.run(move |db| db.prune(now)).await,
            Store::Postgres(p) => p.prune(now).await,
        }
    }
}
