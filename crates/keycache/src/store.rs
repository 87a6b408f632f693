//! The SQLite file: schema, opening (with recovery), and atomic row operations.
//!
//! The schema is scitokens-cpp's, so both libraries can share one file:
//! `keycache(issuer text UNIQUE PRIMARY KEY NOT NULL, keys text NOT NULL)`. The journal mode is
//! left at SQLite's default (rollback journal), which every scitokens-cpp version handles;
//! concurrent processes are serialized by SQLite's file locks, with a busy timeout.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use crate::error::{KeyCacheError, Result};

/// The one table, as scitokens-cpp creates it.
pub(crate) const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS keycache (issuer text UNIQUE PRIMARY KEY NOT NULL, keys text NOT NULL)";

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open cache database.
pub(crate) struct Store {
    path: Option<PathBuf>,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the cache file at `path`, or an in-memory database.
    ///
    /// Parent directories are created with mode 0700. A file that is not a SQLite database is
    /// renamed to `FILE.corrupt-UNIXTIME` and a new one created, with a warning.
    pub(crate) fn open(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else {
            let conn = Connection::open_in_memory()
                .map_err(|e| KeyCacheError::storage(Path::new(":memory:"), e))?;
            conn.execute_batch(SCHEMA)
                .map_err(|e| KeyCacheError::storage(Path::new(":memory:"), e))?;
            return Ok(Store {
                path: None,
                conn: Mutex::new(conn),
            });
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    KeyCacheError::storage(path, format!("creating {}: {e}", dir.display()))
                })?;
        }
        let conn = match Self::connect(path) {
            Err(e) if is_not_a_database(&e) => {
                let aside = aside_name(path);
                log::warn!(
                    "key cache {} is not a SQLite database; moved to {} and recreated",
                    path.display(),
                    aside.display()
                );
                std::fs::rename(path, &aside).map_err(|e| {
                    KeyCacheError::storage(path, format!("moving a corrupt cache aside: {e}"))
                })?;
                Self::connect(path).map_err(|e| KeyCacheError::storage(path, e))?
            }
            other => other.map_err(|e| KeyCacheError::storage(path, e))?,
        };
        Ok(Store {
            path: Some(path.to_owned()),
            conn: Mutex::new(conn),
        })
    }

    fn connect(path: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Reading the schema forces SQLite to read the header: a non-database fails here.
        conn.execute_batch(SCHEMA)?;
        Ok(conn)
    }

    /// The file, or `None` in memory.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn err(&self, e: impl std::fmt::Display) -> KeyCacheError {
        KeyCacheError::storage(self.path.as_deref().unwrap_or(Path::new(":memory:")), e)
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        // A poisoned lock only means another thread panicked mid-call; SQLite's own state is
        // transactional, so the connection is still consistent.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|e| self.err(e))
    }

    /// The `keys` text of an issuer's row. Non-UTF-8 text reads as an error for that row.
    pub(crate) fn get(&self, issuer: &str) -> Result<Option<Result<String, String>>> {
        self.with_conn(|conn| {
            conn.query_row(
                "SELECT keys FROM keycache WHERE issuer = ?1",
                params![issuer],
                |row| Ok(text_column(row.get_ref(0)?)),
            )
            .optional()
        })
    }

    /// Inserts or replaces an issuer's row, atomically.
    pub(crate) fn put(&self, issuer: &str, keys: &str) -> Result<()> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO keycache (issuer, keys) VALUES (?1, ?2) \
                 ON CONFLICT(issuer) DO UPDATE SET keys = excluded.keys",
                params![issuer, keys],
            )?;
            tx.commit()
        })
    }

    /// Deletes an issuer's row; `true` if there was one.
    pub(crate) fn delete(&self, issuer: &str) -> Result<bool> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute("DELETE FROM keycache WHERE issuer = ?1", params![issuer])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    /// Every row, issuers in order.
    pub(crate) fn list(&self) -> Result<Vec<(String, Result<String, String>)>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare("SELECT issuer, keys FROM keycache ORDER BY issuer")?;
            let rows = stmt.query_map([], |row| {
                let issuer = match text_column(row.get_ref(0)?) {
                    Ok(issuer) => issuer,
                    Err(_) => String::from_utf8_lossy(row.get_ref(0)?.as_bytes().unwrap_or(b""))
                        .into_owned(),
                };
                Ok((issuer, text_column(row.get_ref(1)?)))
            })?;
            rows.collect()
        })
    }
}

fn text_column(value: rusqlite::types::ValueRef<'_>) -> Result<String, String> {
    match value {
        rusqlite::types::ValueRef::Text(bytes) | rusqlite::types::ValueRef::Blob(bytes) => {
            String::from_utf8(bytes.to_vec()).map_err(|_| "row is not UTF-8".to_owned())
        }
        other => Err(format!("row is {:?}, not text", other.data_type())),
    }
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase)
}

fn aside_name(path: &Path) -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".corrupt-{now}"));
    PathBuf::from(name)
}
