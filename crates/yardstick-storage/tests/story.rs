//! The storage story, run on SQLite and on PostgreSQL: the audit log (append, refuse edits,
//! detect a row changed or deleted behind the system's back, stay whole under concurrency)
//! and accounts (argon2id hashes, unique names, creation audited in the same transaction).
//!
//! PostgreSQL is reached at `YARDSTICK_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own. If it is
//! not reachable the PostgreSQL half says so loudly and is skipped, unless
//! `YARDSTICK_REQUIRE_POSTGRES=1` (set by CI), which turns the skip into a failure.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use yardstick_storage::{AuditCheck, AuditProblem, Db, NewAudit};

static N: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

async fn sqlite() -> Db {
    let path = std::env::temp_dir().join(format!("{}.db", unique("yardstick_audit")));
    Db::connect(&format!("sqlite://{}", path.display())).await.expect("sqlite opens")
}

/// A fresh PostgreSQL schema, or `None` (loudly) when the server is absent and not required.
async fn postgres() -> Option<Db> {
    let url = std::env::var("YARDSTICK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let required = std::env::var("YARDSTICK_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let base = PgConnectOptions::from_str(&url).expect("a valid PostgreSQL URL");
    let admin = match PgPoolOptions::new().max_connections(1).connect_with(base.clone()).await {
        Ok(p) => p,
        Err(e) => {
            assert!(!required, "PostgreSQL is required (YARDSTICK_REQUIRE_POSTGRES=1) but {url} is not reachable: {e}");
            eprintln!("\n!!! SKIPPING the PostgreSQL half of this test: {url} is not reachable ({e}).\n!!! Set YARDSTICK_REQUIRE_POSTGRES=1 to make this a failure.\n");
            return None;
        }
    };
    let schema = unique("t_audit");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.expect("create schema");
    Some(Db::connect_postgres(base.options([("search_path", schema.as_str())])).await.expect("postgres migrates"))
}

fn change(i: i64) -> NewAudit {
    NewAudit {
        at_ms: 1_790_000_000_000 + i,
        actor: format!("user{i}"),
        action: "update".into(),
        entity: "value".into(),
        entity_id: format!("2026-03/U{i}/GDP/actual"),
        before: Some(serde_json::json!({ "value": "100" })),
        after: (i % 2 == 0).then(|| serde_json::json!({ "value": format!("{}", 100 + i) })),
    }
}

/// Runs SQL that bypasses the system, as someone with direct database access could.
async fn behind_its_back(db: &Db, sql: &[&'static str]) {
    for s in sql {
        match db {
            Db::Sqlite(p) => sqlx::query(*s).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(*s).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

async fn try_sql(db: &Db, sql: &'static str) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
}

fn drop_guard(db: &Db) -> Vec<&'static str> {
    match db {
        Db::Sqlite(_) => vec!["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
        Db::Postgres(_) => vec!["DROP TRIGGER audit_log_no_change ON audit_log"],
    }
}

async fn story(make: impl AsyncFn() -> Option<Db>) {
    // Append, then verify.
    let Some(db) = make().await else { return };
    let mut last = yardstick_storage::GENESIS.to_string();
    for i in 1..=3 {
        let e = db.append_audit(&change(i)).await.unwrap();
        assert_eq!(e.seq, i);
        assert_eq!(e.prev_hash, last, "{} links to the previous row", db.backend());
        last = e.hash;
    }
    assert_eq!(db.verify_audit().await.unwrap(), AuditCheck::Intact { rows: 3, last_hash: last.clone() });
    let rows = db.audit_entries().await.unwrap();
    assert_eq!(rows[1].after_json, Some(r#"{"value":"102"}"#.to_string()));
    assert_eq!(rows[0].after_json, None);

    // The system refuses to edit or delete.
    assert!(try_sql(&db, "UPDATE audit_log SET actor = 'x' WHERE seq = 2").await.is_err(), "{}", db.backend());
    assert!(try_sql(&db, "DELETE FROM audit_log WHERE seq = 2").await.is_err(), "{}", db.backend());

    // A row changed behind its back is found.
    let mut guard = drop_guard(&db);
    guard.push("UPDATE audit_log SET after_json = '{\"value\":\"999\"}' WHERE seq = 2");
    behind_its_back(&db, &guard).await;
    assert_eq!(db.verify_audit().await.unwrap(), AuditCheck::Broken { seq: 2, problem: AuditProblem::Altered });

    // A row deleted behind its back is found.
    let Some(db) = make().await else { return };
    for i in 1..=3 {
        db.append_audit(&change(i)).await.unwrap();
    }
    let mut guard = drop_guard(&db);
    guard.push("DELETE FROM audit_log WHERE seq = 2");
    behind_its_back(&db, &guard).await;
    assert_eq!(db.verify_audit().await.unwrap(), AuditCheck::Broken { seq: 3, problem: AuditProblem::Missing { expected_seq: 2 } });

    // Concurrent appends take distinct places and keep the chain whole.
    let Some(db) = make().await else { return };
    let mut tasks = Vec::new();
    for i in 1..=40 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move { db.append_audit(&change(i)).await.map(|e| e.seq) }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap().unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "{}: concurrent appends take distinct places", db.backend());
    assert!(matches!(db.verify_audit().await.unwrap(), AuditCheck::Intact { rows: 40, .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_on_sqlite() {
    story(async || Some(sqlite().await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_on_postgres() {
    story(postgres).await;
}

#[tokio::test]
async fn unknown_backends_are_refused() {
    let err = Db::connect("mysql://localhost/x").await.unwrap_err();
    assert!(err.to_string().contains("unsupported database URL"), "{err}");
}

async fn users_story(make: impl AsyncFn() -> Option<Db>) {
    use yardstick_storage::accounts::{hash_password, verify_password};
    use yardstick_storage::{NewUser, Role, StorageError};
    let Some(db) = make().await else { return };
    let u = NewUser {
        username: "zhang".into(),
        display_name: "张三".into(),
        password_hash: hash_password("密码 s3cret").unwrap(),
        role: Role::Reporter,
        unit_key: Some("U001".into()),
    };
    let id = db.create_user(&u, "setup", 1).await.unwrap();
    assert!(id > 0);
    let (got_id, hash, role) = db.user_credentials("zhang").await.unwrap().unwrap();
    assert_eq!((got_id, role), (id, Role::Reporter));
    assert!(verify_password("密码 s3cret", &hash));
    assert!(db.user_credentials("nobody").await.unwrap().is_none());
    // A taken username is a conflict, and nothing of the failed attempt is written.
    let err = db.create_user(&u, "setup", 2).await.unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "{err}");
    let log = db.audit_entries().await.unwrap();
    assert_eq!(log.len(), 1, "{}: one creation, one audit row", db.backend());
    assert_eq!((log[0].entity.as_str(), log[0].entity_id.as_str(), log[0].actor.as_str()), ("user", "zhang", "setup"));
    let after = log[0].after_json.as_deref().unwrap();
    assert!(after.contains("\"role\":\"reporter\"") && !after.contains("argon2"), "{after}");
    assert!(matches!(db.verify_audit().await.unwrap(), AuditCheck::Intact { rows: 1, .. }));
}

#[tokio::test]
async fn users_on_sqlite() {
    users_story(async || Some(sqlite().await)).await;
}

#[tokio::test]
async fn users_on_postgres() {
    users_story(postgres).await;
}
