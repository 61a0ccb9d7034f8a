//! Yardstick's storage: one `Db` over SQLite (the default, an embedded file) or PostgreSQL
//! (large deployments), picked from the URL; each backend has its own migrations folder,
//! run at connection. This first part holds the append-only, hash-chained audit log.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod registry;
pub mod plans;
pub mod values;
pub mod results;
pub mod sessions;
pub mod cycle;
pub mod oversight;
pub mod appeals;
pub mod reminders;
pub mod imports;
pub mod evaluations;
pub mod panels;
pub mod rewards;

pub use accounts::{NewUser, Role};

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Row, Sqlite, Transaction};

/// The hash that stands before the first row of the chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What went wrong in storage. Database errors are never swallowed.
#[derive(Debug)]
pub enum StorageError {
    /// The URL names no backend we know.
    BadUrl(String),
    Database(sqlx::Error),
    Migration(sqlx::migrate::MigrateError),
    /// A unique value is taken (for example a username).
    Conflict(String),
    /// The thing named does not exist.
    NotFound(String),
    /// A reference names something that does not exist, or something still referenced
    /// would be removed.
    Reference(String),
    /// Stored data cannot be read back (a damaged row).
    Corrupt(String),
    /// A transaction shared by several writes failed (group commit): nothing of it was kept.
    Commit(String),
    /// The change is not allowed in the current state (a locked value, a closed period, a
    /// submission already made): a stable code and the reason in Chinese and English.
    Refused { code: &'static str, zh: String, en: String },
    /// The request itself is wrong (a missing or overlong reason): a stable code and the
    /// reason in Chinese and English.
    Invalid { code: &'static str, zh: String, en: String },
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::BadUrl(u) => write!(f, "unsupported database URL '{u}' (use sqlite://FILE or postgres://…)"),
            StorageError::Database(e) => write!(f, "database error: {e}"),
            StorageError::Migration(e) => write!(f, "migration error: {e}"),
            StorageError::Conflict(what) => write!(f, "{what} is already taken"),
            StorageError::NotFound(what) => write!(f, "{what} does not exist"),
            StorageError::Reference(what) => write!(f, "{what}"),
            StorageError::Corrupt(what) => write!(f, "{what}"),
            StorageError::Commit(why) => write!(f, "the write was not committed: {why}"),
            StorageError::Refused { en, .. } | StorageError::Invalid { en, .. } => write!(f, "{en}"),
        }
    }
}

impl std::error::Error for StorageError {}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        StorageError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StorageError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StorageError::Migration(e)
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Maps a unique or foreign-key violation to a clear error; anything else stays a database error.
pub(crate) fn classify(e: sqlx::Error, what: impl FnOnce() -> String) -> StorageError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StorageError::Conflict(what()),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StorageError::Reference(format!("{}: a referenced item does not exist or is still in use", what())),
        _ => StorageError::Database(e),
    }
}

/// Runs the same code on whichever pool the `Db` holds. Queries use `$1, $2, …` placeholders,
/// numbered in order of first use, which both SQLite and PostgreSQL read the same way.
#[macro_export]
#[doc(hidden)]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in a write transaction (SQLite: `BEGIN IMMEDIATE`, so the write lock is
/// taken first) and commits it; an early return with `?` rolls it back.
#[macro_export]
#[doc(hidden)]
macro_rules! write_tx {
    ($db:expr, $tx:ident => $body:block) => {
        match $db {
            $crate::Db::Sqlite(pool) => {
                let _writer = $crate::sqlite_writer(pool).lock_owned().await;
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let r = $body;
                $tx.commit().await?;
                r
            }
            $crate::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let r = $body;
                $tx.commit().await?;
                r
            }
        }
    };
}

/// One queue of writers per SQLite file. SQLite lets one writer in at a time; writers that
/// find the lock taken back off and sleep (up to 100 ms at a time), which under load makes
/// latency spiky and throughput low. Writers of this process therefore wait their turn in
/// a fair (FIFO) queue before `BEGIN IMMEDIATE`, and reads never wait (WAL).
#[doc(hidden)]
pub fn sqlite_writer(pool: &SqlitePool) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    static QUEUES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>>> =
        std::sync::LazyLock::new(Default::default);
    let file = pool.connect_options().get_filename().to_path_buf();
    QUEUES.lock().unwrap_or_else(|e| e.into_inner()).entry(file).or_default().clone()
}

/// Appending to the audit log inside an open write transaction of either backend.
pub(crate) trait AuditTx {
    async fn audit(&mut self, e: &NewAudit) -> Result<AuditEntry>;
}

impl AuditTx for Transaction<'_, Sqlite> {
    async fn audit(&mut self, e: &NewAudit) -> Result<AuditEntry> {
        append_sqlite(self, e).await
    }
}

impl AuditTx for Transaction<'_, Postgres> {
    async fn audit(&mut self, e: &NewAudit) -> Result<AuditEntry> {
        append_pg(self, e).await
    }
}

impl NewAudit {
    /// A change by `actor` at `at_ms`.
    pub fn new(at_ms: i64, actor: &str, action: &str, entity: &str, entity_id: impl Into<String>) -> NewAudit {
        NewAudit { at_ms, actor: actor.to_string(), action: action.into(), entity: entity.into(), entity_id: entity_id.into(), before: None, after: None }
    }

    pub fn before(mut self, v: impl serde::Serialize) -> NewAudit {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: impl serde::Serialize) -> NewAudit {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

/// A connection pool to one backend.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A change to record: who did what to which thing, with its state before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A recorded change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What `verify_audit` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditCheck {
    /// The chain is whole: this many rows, ending in this hash.
    Intact { rows: i64, last_hash: String },
    /// The first row whose content no longer matches its hash, or that does not follow its predecessor.
    Broken { seq: i64, problem: AuditProblem },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditProblem {
    /// The row's fields were changed: its hash no longer matches them.
    Altered,
    /// Rows are missing before this one (a gap in the sequence or a broken link).
    Missing { expected_seq: i64 },
}

/// The hash of a row: SHA-256 over length-prefixed fields and the previous hash.
pub fn entry_hash(prev_hash: &str, seq: i64, e: &NewAudit, before: Option<&str>, after: Option<&str>) -> String {
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    };
    field(prev_hash.as_bytes());
    field(&seq.to_be_bytes());
    field(&e.at_ms.to_be_bytes());
    field(e.actor.as_bytes());
    field(e.action.as_bytes());
    field(e.entity.as_bytes());
    field(e.entity_id.as_bytes());
    // Absent and empty are different: mark presence.
    for v in [before, after] {
        match v {
            Some(s) => {
                field(b"1");
                field(s.as_bytes());
            }
            None => field(b"0"),
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Db {
    /// Connects and runs the backend's migrations. `sqlite://path` (created if missing)
    /// or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("sqlite:") {
            // WAL with full synchronisation: an acknowledged write survives a killed process.
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // Reads map the file instead of copying each page through pread, and each
                // connection keeps 16 MiB of pages (the default is 2 MiB).
                .pragma("mmap_size", "1073741824")
                .pragma("cache_size", "-16384");
            let pool = SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            Db::connect_postgres(opts).await
        } else {
            Err(StorageError::BadUrl(url.to_string()))
        }
    }

    /// Connects to PostgreSQL with the given options (for example a `search_path`).
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Db> {
        let pool = PgPoolOptions::new().max_connections(16).connect_with(opts).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Db::Postgres(pool))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Appends a change to the audit log, linking it to the last row.
    pub async fn append_audit(&self, e: &NewAudit) -> Result<AuditEntry> {
        match self {
            Db::Sqlite(pool) => {
                // BEGIN IMMEDIATE takes the write lock first, so two appends cannot both
                // read the same last row.
                let _writer = sqlite_writer(pool).lock_owned().await;
                let mut tx: Transaction<'_, Sqlite> = pool.begin_with("BEGIN IMMEDIATE").await?;
                let entry = append_sqlite(&mut tx, e).await?;
                tx.commit().await?;
                Ok(entry)
            }
            Db::Postgres(pool) => {
                let mut tx: Transaction<'_, Postgres> = pool.begin().await?;
                let entry = append_pg(&mut tx, e).await?;
                tx.commit().await?;
                Ok(entry)
            }
        }
    }

    /// Creates a user and records it in the audit log, in one transaction. The password
    /// hash is never written to the log.
    pub async fn create_user(&self, u: &NewUser, actor: &str, at_ms: i64) -> Result<i64> {
        let audit = NewAudit {
            at_ms,
            actor: actor.to_string(),
            action: "create".into(),
            entity: "user".into(),
            entity_id: u.username.clone(),
            before: None,
            after: Some(serde_json::json!({
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role.key(),
                "unit": u.unit_key,
            })),
        };
        let taken = |e: sqlx::Error| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StorageError::Conflict(format!("username '{}'", u.username)),
            _ => StorageError::Database(e),
        };
        match self {
            Db::Sqlite(pool) => {
                let _writer = sqlite_writer(pool).lock_owned().await;
                let mut tx: Transaction<'_, Sqlite> = pool.begin_with("BEGIN IMMEDIATE").await?;
                let id: i64 = sqlx::query_scalar("INSERT INTO users (username, display_name, password_hash, role, unit_key, created_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")
                    .bind(&u.username)
                    .bind(&u.display_name)
                    .bind(&u.password_hash)
                    .bind(u.role.key())
                    .bind(&u.unit_key)
                    .bind(at_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(taken)?;
                append_sqlite(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(id)
            }
            Db::Postgres(pool) => {
                let mut tx: Transaction<'_, Postgres> = pool.begin().await?;
                let id: i64 = sqlx::query_scalar("INSERT INTO users (username, display_name, password_hash, role, unit_key, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(&u.username)
                    .bind(&u.display_name)
                    .bind(&u.password_hash)
                    .bind(u.role.key())
                    .bind(&u.unit_key)
                    .bind(at_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(taken)?;
                append_pg(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(id)
            }
        }
    }

    /// The stored password hash and role of a user, for sign-in.
    pub async fn user_credentials(&self, username: &str) -> Result<Option<(i64, String, Role)>> {
        let row = match self {
            Db::Sqlite(pool) => sqlx::query("SELECT id, password_hash, role FROM users WHERE username = ?").bind(username).fetch_optional(pool).await?.map(|r| {
                Ok::<_, sqlx::Error>((r.try_get::<i64, _>("id")?, r.try_get::<String, _>("password_hash")?, r.try_get::<String, _>("role")?))
            }),
            Db::Postgres(pool) => sqlx::query("SELECT id, password_hash, role FROM users WHERE username = $1").bind(username).fetch_optional(pool).await?.map(|r| {
                Ok::<_, sqlx::Error>((r.try_get::<i64, _>("id")?, r.try_get::<String, _>("password_hash")?, r.try_get::<String, _>("role")?))
            }),
        };
        match row.transpose()? {
            None => Ok(None),
            Some((id, hash, role)) => {
                let role = Role::parse(&role).ok_or_else(|| StorageError::Database(sqlx::Error::Decode(format!("unknown role '{role}'").into())))?;
                Ok(Some((id, hash, role)))
            }
        }
    }

    /// All audit rows in order.
    pub async fn audit_entries(&self) -> Result<Vec<AuditEntry>> {
        const SQL: &str = "SELECT seq, at_ms, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash FROM audit_log ORDER BY seq";
        let rows = match self {
            Db::Sqlite(pool) => sqlx::query(SQL).fetch_all(pool).await?.iter().map(row_sqlite).collect::<Result<Vec<_>, _>>()?,
            Db::Postgres(pool) => sqlx::query(SQL).fetch_all(pool).await?.iter().map(row_pg).collect::<Result<Vec<_>, _>>()?,
        };
        Ok(rows)
    }

    /// Audit rows after `after_seq`, at most `limit`.
    pub async fn audit_page(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        const SQL: &str = "SELECT seq, at_ms, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2";
        let rows = match self {
            Db::Sqlite(pool) => sqlx::query(SQL).bind(after_seq).bind(limit).fetch_all(pool).await?.iter().map(row_sqlite).collect::<Result<Vec<_>, _>>()?,
            Db::Postgres(pool) => sqlx::query(SQL).bind(after_seq).bind(limit).fetch_all(pool).await?.iter().map(row_pg).collect::<Result<Vec<_>, _>>()?,
        };
        Ok(rows)
    }

    /// Recomputes the chain and reports the first row changed or missing.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        Ok(verify_chain(&self.audit_entries().await?))
    }
}

/// Walks a chain of entries in sequence order.
pub fn verify_chain(rows: &[AuditEntry]) -> AuditCheck {
    let mut prev = GENESIS.to_string();
    let mut expected = 1i64;
    for r in rows {
        if r.seq != expected || r.prev_hash != prev {
            return AuditCheck::Broken { seq: r.seq, problem: AuditProblem::Missing { expected_seq: expected } };
        }
        let e = NewAudit {
            at_ms: r.at_ms,
            actor: r.actor.clone(),
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_id: r.entity_id.clone(),
            before: None,
            after: None,
        };
        if entry_hash(&r.prev_hash, r.seq, &e, r.before_json.as_deref(), r.after_json.as_deref()) != r.hash {
            return AuditCheck::Broken { seq: r.seq, problem: AuditProblem::Altered };
        }
        prev = r.hash.clone();
        expected += 1;
    }
    AuditCheck::Intact { rows: expected - 1, last_hash: prev }
}

fn entry(seq: i64, e: &NewAudit, before: Option<String>, after: Option<String>, prev: String, hash: String) -> AuditEntry {
    AuditEntry {
        seq,
        at_ms: e.at_ms,
        actor: e.actor.clone(),
        action: e.action.clone(),
        entity: e.entity.clone(),
        entity_id: e.entity_id.clone(),
        before_json: before,
        after_json: after,
        prev_hash: prev,
        hash,
    }
}

/// Reads an audit row; the same columns on both backends.
macro_rules! audit_row {
    ($name:ident, $row:ty) => {
        fn $name(r: &$row) -> Result<AuditEntry, sqlx::Error> {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at_ms: r.try_get("at_ms")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                before_json: r.try_get("before_json")?,
                after_json: r.try_get("after_json")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        }
    };
}

audit_row!(row_sqlite, sqlx::sqlite::SqliteRow);
audit_row!(row_pg, sqlx::postgres::PgRow);

/// Defines an append inside an open transaction of one backend; the backends differ only in
/// their placeholders and in how the writer takes the chain's lock.
macro_rules! append_in {
    ($(#[$doc:meta])* $name:ident, $db:ty, $lock:expr, $insert:expr) => {
        $(#[$doc])*
        async fn $name(tx: &mut Transaction<'_, $db>, e: &NewAudit) -> Result<AuditEntry> {
            let before = e.before.as_ref().map(|v| v.to_string());
            let after = e.after.as_ref().map(|v| v.to_string());
            if let Some(lock) = $lock {
                sqlx::query(lock).execute(&mut **tx).await?;
            }
            let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
            let (seq, prev) = match last {
                Some(r) => (r.try_get::<i64, _>("seq")? + 1, r.try_get::<String, _>("hash")?),
                None => (1, GENESIS.to_string()),
            };
            let hash = entry_hash(&prev, seq, e, before.as_deref(), after.as_deref());
            sqlx::query($insert)
                .bind(seq)
                .bind(e.at_ms)
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.entity)
                .bind(&e.entity_id)
                .bind(&before)
                .bind(&after)
                .bind(&prev)
                .bind(&hash)
                .execute(&mut **tx)
                .await?;
            Ok(entry(seq, e, before, after, prev, hash))
        }
    };
}

append_in!(
    /// Appends inside an open SQLite transaction that already holds the write lock (`BEGIN IMMEDIATE`).
    append_sqlite,
    Sqlite,
    None::<&'static str>,
    "INSERT INTO audit_log (seq, at_ms, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);

append_in!(
    /// Appends inside an open PostgreSQL transaction; one writer at a time on the chain
    /// (a transaction-scoped advisory lock).
    append_pg,
    Postgres,
    Some("SELECT pg_advisory_xact_lock(7261001)"),
    "INSERT INTO audit_log (seq, at_ms, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);
