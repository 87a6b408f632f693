//! The SQLite store: one file, WAL journal, each multi-step change one `BEGIN IMMEDIATE`
//! transaction, so several processes sharing the file see each refresh token redeemed once.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use scitokens_format::{UnixTime, Untrusted};

use super::{
    judge, poll_verdict, ClientRow, Decision, DeviceRequest, DeviceRow, Family, FamilyRow, KeyRow,
    PollWrite, Polled, Presented, Redeemed, Revoked, Verdict, DEVICE_APPROVED, DEVICE_DENIED,
    DEVICE_DONE, DEVICE_PENDING, SLOW_DOWN_SECS,
};
use crate::error::{IssuerError, Result};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    created INTEGER NOT NULL,
    activate_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_families (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    audiences TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_families_client ON refresh_families (client_id);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    digest BLOB PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    created INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id);
CREATE TABLE IF NOT EXISTS revoked_jtis (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS device_authorizations (
    device_digest BLOB PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    scope TEXT,
    audiences TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    poll_interval INTEGER NOT NULL,
    last_poll INTEGER,
    state TEXT NOT NULL,
    subject TEXT,
    granted_scope TEXT
);
CREATE TABLE IF NOT EXISTS shared_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
";

/// A SQLite state file, shared by the tasks of one process (a mutex) and by processes (SQLite's
/// locks).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: Arc<Mutex<Db>>,
}

#[derive(Debug)]
pub(super) struct Db {
    conn: Connection,
}

impl SqliteStore {
    /// Opens or creates the file (mode 0600: it holds private keys), with its schema.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(IssuerError::io("creating the database directory", dir))?;
        }
        let existed = path.exists();
        let conn = Connection::open(path)?;
        if !existed {
            restrict(path)?;
        }
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(IssuerError::Corrupt(format!(
                "{} has schema version {version}; this issuer reads up to {SCHEMA_VERSION}",
                path.display()
            )));
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(SqliteStore {
            db: Arc::new(Mutex::new(Db { conn })),
        })
    }

    /// Runs `f` on the connection in a blocking task.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let mut db = db.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut db)
        })
        .await
        .map_err(|e| IssuerError::Task(e.to_string()))?
    }
}

#[cfg(unix)]
fn restrict(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(IssuerError::io(
        "restricting the database's permissions",
        path,
    ))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> Result<()> {
    Ok(())
}

fn time(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs)
}

impl Db {
    pub(super) fn add_client(&mut self, row: &ClientRow) -> Result<()> {
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO clients (id, secret_hash, created) VALUES (?1, ?2, ?3)",
            params![row.id, row.secret_hash, row.created.as_secs()],
        )?;
        if inserted == 0 {
            return Err(IssuerError::ClientExists(Untrusted::new(&row.id)));
        }
        Ok(())
    }

    pub(super) fn remove_client(&mut self, id: &str, now: UnixTime) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed = tx.execute("DELETE FROM clients WHERE id = ?1", [id])?;
        tx.execute(
            "UPDATE refresh_families SET revoked_at = ?2 WHERE client_id = ?1 AND revoked_at IS NULL",
            params![id, now.as_secs()],
        )?;
        tx.commit()?;
        Ok(removed > 0)
    }

    fn client_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClientRow> {
        Ok(ClientRow {
            id: r.get(0)?,
            secret_hash: r.get(1)?,
            created: time(r.get(2)?),
        })
    }

    pub(super) fn clients(&mut self) -> Result<Vec<ClientRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, secret_hash, created FROM clients ORDER BY id")?;
        let rows = stmt.query_map([], Self::client_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn client(&mut self, id: &str) -> Result<Option<ClientRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, secret_hash, created FROM clients WHERE id = ?1",
                [id],
                Self::client_row,
            )
            .optional()?)
    }

    pub(super) fn keys(&mut self) -> Result<Vec<KeyRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT kid, private_pem, created, activate_at FROM signing_keys \
             ORDER BY activate_at, created, kid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(KeyRow {
                kid: r.get(0)?,
                private_pem: r.get(1)?,
                created: time(r.get(2)?),
                activate_at: time(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn add_key(&mut self, row: &KeyRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO signing_keys (kid, private_pem, created, activate_at) VALUES (?1, ?2, ?3, ?4)",
            params![row.kid, row.private_pem, row.created.as_secs(), row.activate_at.as_secs()],
        )?;
        Ok(())
    }

    pub(super) fn remove_keys(&mut self, kids: &[String]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for kid in kids {
            tx.execute("DELETE FROM signing_keys WHERE kid = ?1", [kid])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(super) fn start_family(
        &mut self,
        family: &Family,
        digest: &[u8; 32],
        token_expires: UnixTime,
        now: UnixTime,
    ) -> Result<()> {
        let audiences = serde_json::to_string(&family.audiences)
            .map_err(|e| IssuerError::Corrupt(e.to_string()))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO refresh_families (id, client_id, subject, scope, audiences, created, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                family.id,
                family.client_id,
                family.subject,
                family.scope,
                audiences,
                now.as_secs(),
                family.expires_at.as_secs()
            ],
        )?;
        tx.execute(
            "INSERT INTO refresh_tokens (digest, family_id, created, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![&digest[..], family.id, now.as_secs(), token_expires.as_secs()],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(super) fn redeem(
        &mut self,
        digest: &[u8; 32],
        client: &str,
        next: &[u8; 32],
        idle: Duration,
        now: UnixTime,
    ) -> Result<Redeemed> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = tx
            .query_row(
                "SELECT f.id, f.client_id, f.subject, f.scope, f.audiences, f.expires_at, \
                        f.revoked_at, t.expires_at, t.used_at \
                 FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id \
                 WHERE t.digest = ?1",
                [&digest[..]],
                |r| {
                    Ok(Presented {
                        family: FamilyRow {
                            id: r.get(0)?,
                            client_id: r.get(1)?,
                            subject: r.get(2)?,
                            scope: r.get(3)?,
                            audiences: r.get(4)?,
                            expires_at: r.get(5)?,
                        },
                        family_revoked: r.get::<_, Option<i64>>(6)?.is_some(),
                        expires_at: r.get(7)?,
                        used: r.get::<_, Option<i64>>(8)?.is_some(),
                    })
                },
            )
            .optional()?;
        match judge(found, client, now, idle)? {
            Verdict::Refuse(reason) => Ok(Redeemed::Refused(reason)),
            Verdict::Replay(family) => {
                tx.execute(
                    "UPDATE refresh_families SET revoked_at = ?2 WHERE id = ?1",
                    params![family, now.as_secs()],
                )?;
                tx.commit()?;
                Ok(Redeemed::Replayed)
            }
            Verdict::Rotate(family, next_end) => {
                tx.execute(
                    "UPDATE refresh_tokens SET used_at = ?2 WHERE digest = ?1",
                    params![&digest[..], now.as_secs()],
                )?;
                tx.execute(
                    "INSERT INTO refresh_tokens (digest, family_id, created, expires_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![&next[..], family.id, now.as_secs(), next_end.as_secs()],
                )?;
                tx.commit()?;
                Ok(Redeemed::Rotated(family))
            }
        }
    }

    pub(super) fn family_scope(&mut self, digest: &[u8; 32]) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT f.scope FROM refresh_tokens t \
                 JOIN refresh_families f ON f.id = t.family_id WHERE t.digest = ?1",
                [&digest[..]],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub(super) fn revoke_refresh(
        &mut self,
        digest: &[u8; 32],
        client: &str,
        now: UnixTime,
    ) -> Result<Revoked> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owner = tx
            .query_row(
                "SELECT f.id, f.client_id FROM refresh_tokens t \
                 JOIN refresh_families f ON f.id = t.family_id WHERE t.digest = ?1",
                [&digest[..]],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        let outcome = match owner {
            None => Revoked::Unknown,
            Some((_, owner)) if owner != client => Revoked::OtherClient,
            Some((family, _)) => {
                tx.execute(
                    "UPDATE refresh_families SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![family, now.as_secs()],
                )?;
                Revoked::Done
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    pub(super) fn revoke_jti(&mut self, jti: &str, expires: UnixTime) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO revoked_jtis (jti, expires_at) VALUES (?1, ?2)",
            params![jti, expires.as_secs()],
        )?;
        Ok(())
    }

    pub(super) fn jti_revoked(&mut self, jti: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM revoked_jtis WHERE jti = ?1", [jti], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    pub(super) fn prune(&mut self, now: UnixTime) -> Result<usize> {
        let now = now.as_secs();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut n = tx.execute("DELETE FROM revoked_jtis WHERE expires_at <= ?1", [now])?;
        n += tx.execute("DELETE FROM refresh_families WHERE expires_at <= ?1", [now])?;
        // Used tokens are kept while their family lives: a replay must still be recognised.
        n += tx.execute(
            "DELETE FROM refresh_tokens WHERE expires_at <= ?1 AND used_at IS NULL",
            [now],
        )?;
        n += tx.execute(
            "DELETE FROM device_authorizations WHERE expires_at <= ?1",
            [now],
        )?;
        tx.commit()?;
        Ok(n)
    }

    pub(super) fn add_device(&mut self, r: &DeviceRequest, now: UnixTime) -> Result<bool> {
        let audiences =
            serde_json::to_string(&r.audiences).map_err(|e| IssuerError::Corrupt(e.to_string()))?;
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO device_authorizations \
             (device_digest, user_code, client_id, scope, audiences, created, expires_at, poll_interval, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                &r.device_digest[..],
                r.user_code,
                r.client_id,
                r.scope,
                audiences,
                now.as_secs(),
                r.expires_at.as_secs(),
                i64::try_from(r.interval).unwrap_or(i64::MAX),
                DEVICE_PENDING
            ],
        )?;
        Ok(inserted == 1)
    }

    pub(super) fn pending_device(
        &mut self,
        code: &str,
        now: UnixTime,
    ) -> Result<Option<DeviceRequest>> {
        let row = self
            .conn
            .query_row(
                "SELECT device_digest, client_id, scope, audiences, expires_at, poll_interval \
                 FROM device_authorizations WHERE user_code = ?1 AND state = ?2 AND expires_at > ?3",
                params![code, DEVICE_PENDING, now.as_secs()],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                },
            )
            .optional()?;
        row.map(
            |(digest, client_id, scope, audiences, expires_at, interval)| {
                super::device_request(
                    &digest, code, client_id, scope, &audiences, expires_at, interval,
                )
            },
        )
        .transpose()
    }

    pub(super) fn decide_device(
        &mut self,
        code: &str,
        decision: &Decision,
        now: UnixTime,
    ) -> Result<bool> {
        let changed = match decision {
            Decision::Approve { subject, scope } => self.conn.execute(
                "UPDATE device_authorizations SET state = ?1, subject = ?2, granted_scope = ?3 \
                 WHERE user_code = ?4 AND state = ?5 AND expires_at > ?6",
                params![
                    DEVICE_APPROVED,
                    subject,
                    scope,
                    code,
                    DEVICE_PENDING,
                    now.as_secs()
                ],
            )?,
            Decision::Deny => self.conn.execute(
                "UPDATE device_authorizations SET state = ?1 \
                 WHERE user_code = ?2 AND state = ?3 AND expires_at > ?4",
                params![DEVICE_DENIED, code, DEVICE_PENDING, now.as_secs()],
            )?,
        };
        Ok(changed == 1)
    }

    pub(super) fn poll_device(
        &mut self,
        digest: &[u8; 32],
        client: &str,
        now: UnixTime,
    ) -> Result<Polled> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = tx
            .query_row(
                "SELECT client_id, state, expires_at, poll_interval, last_poll, subject, granted_scope, \
                        audiences, scope FROM device_authorizations WHERE device_digest = ?1",
                [&digest[..]],
                |r| {
                    Ok(DeviceRow {
                        client_id: r.get(0)?,
                        state: r.get(1)?,
                        expires_at: r.get(2)?,
                        interval: r.get(3)?,
                        last_poll: r.get(4)?,
                        subject: r.get(5)?,
                        granted_scope: r.get(6)?,
                        audiences: r.get(7)?,
                        requested: r.get(8)?,
                    })
                },
            )
            .optional()?;
        let (polled, write) = poll_verdict(found, client, now)?;
        let now = now.as_secs();
        let key = &digest[..];
        match write {
            PollWrite::None => {}
            PollWrite::Touch => {
                tx.execute(
                    "UPDATE device_authorizations SET last_poll = ?2 WHERE device_digest = ?1",
                    params![key, now],
                )?;
            }
            PollWrite::SlowDown => {
                tx.execute(
                    "UPDATE device_authorizations SET last_poll = ?2, poll_interval = poll_interval + ?3 \
                     WHERE device_digest = ?1",
                    params![key, now, SLOW_DOWN_SECS],
                )?;
            }
            PollWrite::Consume => {
                tx.execute(
                    "UPDATE device_authorizations SET last_poll = ?2, state = ?3 \
                     WHERE device_digest = ?1",
                    params![key, now, DEVICE_DONE],
                )?;
            }
        }
        tx.commit()?;
        Ok(polled)
    }

    pub(super) fn shared_secret(&mut self, name: &str, fresh: &[u8; 32]) -> Result<Vec<u8>> {
        self.conn.execute(
            "INSERT OR IGNORE INTO shared_secrets (name, value) VALUES (?1, ?2)",
            params![name, &fresh[..]],
        )?;
        Ok(self.conn.query_row(
            "SELECT value FROM shared_secrets WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?)
    }
}
