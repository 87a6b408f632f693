//! The PostgreSQL store, for replicas behind a load balancer: a connection pool; each
//! multi-step change one transaction, the presented refresh token's rows locked
//! (`SELECT ... FOR UPDATE`), so of two replicas given one token at once exactly one rotates it
//! and the other sees a spent token (a replay, which revokes the family).

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{NoTls, Row};

use scitokens_format::{UnixTime, Untrusted};

use super::{
    judge, poll_verdict, ClientRow, Decision, DeviceRequest, DeviceRow, Family, FamilyRow, KeyRow,
    PollWrite, Polled, Presented, Redeemed, Revoked, Verdict, DEVICE_APPROVED, DEVICE_DENIED,
    DEVICE_DONE, DEVICE_PENDING, SLOW_DOWN_SECS,
};
use crate::error::{IssuerError, Result};

/// The schema version this code writes.
const SCHEMA_VERSION: i32 = 1;

/// Connections per issuer process.
const POOL_SIZE: usize = 16;

/// An arbitrary constant naming the schema-migration advisory lock.
const SCHEMA_LOCK: i64 = 0x005c_170c_3e15_0001;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS scitokens_issuer_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    created BIGINT NOT NULL,
    activate_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_families (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    audiences TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX IF NOT EXISTS refresh_families_client ON refresh_families (client_id);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    digest BYTEA PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id);
CREATE TABLE IF NOT EXISTS revoked_jtis (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS device_authorizations (
    device_digest BYTEA PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    scope TEXT,
    audiences TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    poll_interval BIGINT NOT NULL,
    last_poll BIGINT,
    state TEXT NOT NULL,
    subject TEXT,
    granted_scope TEXT
);
CREATE TABLE IF NOT EXISTS shared_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
";

/// A PostgreSQL database shared by every replica.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

fn pool_error(e: impl std::fmt::Display) -> IssuerError {
    IssuerError::Corrupt(format!("PostgreSQL connection pool: {e}"))
}

fn client_row(r: &Row) -> ClientRow {
    ClientRow {
        id: r.get(0),
        secret_hash: r.get(1),
        created: UnixTime::from_secs(r.get(2)),
    }
}

impl PgStore {
    /// Connects (without TLS: use a Unix socket, loopback or a private network) and creates
    /// the schema if needed, under an advisory lock so replicas starting together agree.
    pub async fn open(url: &str) -> Result<Self> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| IssuerError::Corrupt(format!("PostgreSQL connection string: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(pool_error)?;
        let store = PgStore { pool };
        let mut conn = store.conn().await?;
        let tx = conn.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await?;
        tx.batch_execute(SCHEMA).await?;
        let version: Option<i32> = tx
            .query_opt("SELECT max(version) FROM scitokens_issuer_schema", &[])
            .await?
            .and_then(|r| r.get(0));
        match version {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(IssuerError::Corrupt(format!(
                    "the database has schema version {v}; this issuer reads up to {SCHEMA_VERSION}"
                )))
            }
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO scitokens_issuer_schema (version) VALUES ($1)",
                    &[&SCHEMA_VERSION],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(store)
    }

    async fn conn(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    pub(super) async fn add_client(&self, row: &ClientRow) -> Result<()> {
        let inserted = self
            .conn()
            .await?
            .execute(
                "INSERT INTO clients (id, secret_hash, created) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING",
                &[&row.id, &row.secret_hash, &row.created.as_secs()],
            )
            .await?;
        if inserted == 0 {
            return Err(IssuerError::ClientExists(Untrusted::new(&row.id)));
        }
        Ok(())
    }

    pub(super) async fn remove_client(&self, id: &str, now: UnixTime) -> Result<bool> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let removed = tx
            .execute("DELETE FROM clients WHERE id = $1", &[&id])
            .await?;
        tx.execute(
            "UPDATE refresh_families SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
            &[&id, &now.as_secs()],
        )
        .await?;
        tx.commit().await?;
        Ok(removed > 0)
    }

    pub(super) async fn clients(&self) -> Result<Vec<ClientRow>> {
        let rows = self
            .conn()
            .await?
            .query(
                "SELECT id, secret_hash, created FROM clients ORDER BY id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(client_row).collect())
    }

    pub(super) async fn client(&self, id: &str) -> Result<Option<ClientRow>> {
        let row = self
            .conn()
            .await?
            .query_opt(
                "SELECT id, secret_hash, created FROM clients WHERE id = $1",
                &[&id],
            )
            .await?;
        Ok(row.as_ref().map(client_row))
    }

    pub(super) async fn keys(&self) -> Result<Vec<KeyRow>> {
        let rows = self
            .conn()
            .await?
            .query(
                "SELECT kid, private_pem, created, activate_at FROM signing_keys \
                 ORDER BY activate_at, created, kid",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| KeyRow {
                kid: r.get(0),
                private_pem: r.get(1),
                created: UnixTime::from_secs(r.get(2)),
                activate_at: UnixTime::from_secs(r.get(3)),
            })
            .collect())
    }

    pub(super) async fn add_key(&self, row: &KeyRow) -> Result<()> {
        self.conn()
            .await?
            .execute(
                "INSERT INTO signing_keys (kid, private_pem, created, activate_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    &row.kid,
                    &row.private_pem,
                    &row.created.as_secs(),
                    &row.activate_at.as_secs(),
                ],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn remove_keys(&self, kids: &[String]) -> Result<()> {
        self.conn()
            .await?
            .execute("DELETE FROM signing_keys WHERE kid = ANY($1)", &[&kids])
            .await?;
        Ok(())
    }

    pub(super) async fn start_family(
        &self,
        family: &Family,
        digest: &[u8; 32],
        token_expires: UnixTime,
        now: UnixTime,
    ) -> Result<()> {
        let audiences = serde_json::to_string(&family.audiences)
            .map_err(|e| IssuerError::Corrupt(e.to_string()))?;
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        tx.execute(
            "INSERT INTO refresh_families \
             (id, client_id, subject, scope, audiences, created, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &family.id,
                &family.client_id,
                &family.subject,
                &family.scope,
                &audiences,
                &now.as_secs(),
                &family.expires_at.as_secs(),
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO refresh_tokens (digest, family_id, created, expires_at) \
             VALUES ($1, $2, $3, $4)",
            &[
                &&digest[..],
                &family.id,
                &now.as_secs(),
                &token_expires.as_secs(),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn redeem(
        &self,
        digest: &[u8; 32],
        client: &str,
        next: &[u8; 32],
        idle: Duration,
        now: UnixTime,
    ) -> Result<Redeemed> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        // FOR UPDATE locks both rows: a concurrent redeem of the same token waits here, then
        // reads the committed `used_at` and is judged a replay.
        let found = tx
            .query_opt(
                "SELECT f.id, f.client_id, f.subject, f.scope, f.audiences, f.expires_at, \
                        f.revoked_at, t.expires_at, t.used_at \
                 FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id \
                 WHERE t.digest = $1 FOR UPDATE",
                &[&&digest[..]],
            )
            .await?
            .map(|r| Presented {
                family: FamilyRow {
                    id: r.get(0),
                    client_id: r.get(1),
                    subject: r.get(2),
                    scope: r.get(3),
                    audiences: r.get(4),
                    expires_at: r.get(5),
                },
                family_revoked: r.get::<_, Option<i64>>(6).is_some(),
                expires_at: r.get(7),
                used: r.get::<_, Option<i64>>(8).is_some(),
            });
        match judge(found, client, now, idle)? {
            Verdict::Refuse(reason) => Ok(Redeemed::Refused(reason)),
            Verdict::Replay(family) => {
                tx.execute(
                    "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1",
                    &[&family, &now.as_secs()],
                )
                .await?;
                tx.commit().await?;
                Ok(Redeemed::Replayed)
            }
            Verdict::Rotate(family, next_end) => {
                tx.execute(
                    "UPDATE refresh_tokens SET used_at = $2 WHERE digest = $1",
                    &[&&digest[..], &now.as_secs()],
                )
                .await?;
                tx.execute(
                    "INSERT INTO refresh_tokens (digest, family_id, created, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                    &[&&next[..], &family.id, &now.as_secs(), &next_end.as_secs()],
                )
                .await?;
                tx.commit().await?;
                Ok(Redeemed::Rotated(family))
            }
        }
    }

    pub(super) async fn family_scope(&self, digest: &[u8; 32]) -> Result<Option<String>> {
        let row = self
            .conn()
            .await?
            .query_opt(
                "SELECT f.scope FROM refresh_tokens t \
                 JOIN refresh_families f ON f.id = t.family_id WHERE t.digest = $1",
                &[&&digest[..]],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub(super) async fn revoke_refresh(
        &self,
        digest: &[u8; 32],
        client: &str,
        now: UnixTime,
    ) -> Result<Revoked> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let owner = tx
            .query_opt(
                "SELECT f.id, f.client_id FROM refresh_tokens t \
                 JOIN refresh_families f ON f.id = t.family_id WHERE t.digest = $1 FOR UPDATE",
                &[&&digest[..]],
            )
            .await?
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)));
        let outcome = match owner {
            None => Revoked::Unknown,
            Some((_, owner)) if owner != client => Revoked::OtherClient,
            Some((family, _)) => {
                tx.execute(
                    "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                    &[&family, &now.as_secs()],
                )
                .await?;
                Revoked::Done
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    pub(super) async fn revoke_jti(&self, jti: &str, expires: UnixTime) -> Result<()> {
        self.conn()
            .await?
            .execute(
                "INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (jti) DO NOTHING",
                &[&jti, &expires.as_secs()],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn jti_revoked(&self, jti: &str) -> Result<bool> {
        Ok(self
            .conn()
            .await?
            .query_opt("SELECT 1 FROM revoked_jtis WHERE jti = $1", &[&jti])
            .await?
            .is_some())
    }

    pub(super) async fn prune(&self, now: UnixTime) -> Result<usize> {
        let now = now.as_secs();
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let mut n = tx
            .execute("DELETE FROM revoked_jtis WHERE expires_at <= $1", &[&now])
            .await?;
        n += tx
            .execute(
                "DELETE FROM refresh_families WHERE expires_at <= $1",
                &[&now],
            )
            .await?;
        n += tx
            .execute(
                "DELETE FROM refresh_tokens WHERE expires_at <= $1 AND used_at IS NULL",
                &[&now],
            )
            .await?;
        n += tx
            .execute(
                "DELETE FROM device_authorizations WHERE expires_at <= $1",
                &[&now],
            )
            .await?;
        tx.commit().await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(super) async fn add_device(&self, r: &DeviceRequest, now: UnixTime) -> Result<bool> {
        let audiences =
            serde_json::to_string(&r.audiences).map_err(|e| IssuerError::Corrupt(e.to_string()))?;
        let interval = i64::try_from(r.interval).unwrap_or(i64::MAX);
        let inserted = self
            .conn()
            .await?
            .execute(
                "INSERT INTO device_authorizations \
                 (device_digest, user_code, client_id, scope, audiences, created, expires_at, \
                  poll_interval, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT DO NOTHING",
                &[
                    &&r.device_digest[..],
                    &r.user_code,
                    &r.client_id,
                    &r.scope,
                    &audiences,
                    &now.as_secs(),
                    &r.expires_at.as_secs(),
                    &interval,
                    &DEVICE_PENDING,
                ],
            )
            .await?;
        Ok(inserted == 1)
    }

    pub(super) async fn pending_device(
        &self,
        code: &str,
        now: UnixTime,
    ) -> Result<Option<DeviceRequest>> {
        let row = self
            .conn()
            .await?
            .query_opt(
                "SELECT device_digest, client_id, scope, audiences, expires_at, poll_interval \
                 FROM device_authorizations WHERE user_code = $1 AND state = $2 AND expires_at > $3",
                &[&code, &DEVICE_PENDING, &now.as_secs()],
            )
            .await?;
        row.map(|r| {
            super::device_request(
                r.get::<_, &[u8]>(0),
                code,
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
            )
        })
        .transpose()
    }

    pub(super) async fn decide_device(
        &self,
        code: &str,
        decision: &Decision,
        now: UnixTime,
    ) -> Result<bool> {
        let conn = self.conn().await?;
        let changed = match decision {
            Decision::Approve { subject, scope } => {
                conn.execute(
                    "UPDATE device_authorizations SET state = $1, subject = $2, granted_scope = $3 \
                     WHERE user_code = $4 AND state = $5 AND expires_at > $6",
                    &[
                        &DEVICE_APPROVED,
                        subject,
                        scope,
                        &code,
                        &DEVICE_PENDING,
                        &now.as_secs(),
                    ],
                )
                .await?
            }
            Decision::Deny => {
                conn.execute(
                    "UPDATE device_authorizations SET state = $1 \
                     WHERE user_code = $2 AND state = $3 AND expires_at > $4",
                    &[&DEVICE_DENIED, &code, &DEVICE_PENDING, &now.as_secs()],
                )
                .await?
            }
        };
        Ok(changed == 1)
    }

    pub(super) async fn poll_device(
        &self,
        digest: &[u8; 32],
        client: &str,
        now: UnixTime,
    ) -> Result<Polled> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await?;
        let found = tx
            .query_opt(
                "SELECT client_id, state, expires_at, poll_interval, last_poll, subject, \
                        granted_scope, audiences, scope \
                 FROM device_authorizations WHERE device_digest = $1 FOR UPDATE",
                &[&&digest[..]],
            )
            .await?
            .map(|r| DeviceRow {
                client_id: r.get(0),
                state: r.get(1),
                expires_at: r.get(2),
                interval: r.get(3),
                last_poll: r.get(4),
                subject: r.get(5),
                granted_scope: r.get(6),
                audiences: r.get(7),
                requested: r.get(8),
            });
        let (polled, write) = poll_verdict(found, client, now)?;
        let now = now.as_secs();
        let key = &digest[..];
        match write {
            PollWrite::None => {}
            PollWrite::Touch => {
                tx.execute(
                    "UPDATE device_authorizations SET last_poll = $2 WHERE device_digest = $1",
                    &[&key, &now],
                )
                .await?;
            }
            PollWrite::SlowDown => {
                tx.execute(
                    "UPDATE device_authorizations SET last_poll = $2, \
                     poll_interval = poll_interval + $3 WHERE device_digest = $1",
                    &[&key, &now, &SLOW_DOWN_SECS],
                )
                .await?;
            }
            PollWrite::Consume => {
                tx.execute(
                    "UPDATE device_authorizations SET last_poll = $2, state = $3 \
                     WHERE device_digest = $1",
                    &[&key, &now, &DEVICE_DONE],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(polled)
    }

    pub(super) async fn shared_secret(&self, name: &str, fresh: &[u8; 32]) -> Result<Vec<u8>> {
        let conn = self.conn().await?;
        conn.execute(
            "INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&name, &&fresh[..]],
        )
        .await?;
        let row = conn
            .query_one("SELECT value FROM shared_secrets WHERE name = $1", &[&name])
            .await?;
        Ok(row.get(0))
    }
}
