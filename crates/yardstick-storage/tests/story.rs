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

/// The registry, plan versions, values, result sets and publications: what is stored, what
/// is refused, and that immutable things stay immutable.
async fn records_story(make: impl AsyncFn() -> Option<Db>) {
    use yardstick_storage::StorageError;
    use yardstick_storage::plans::Plan;
    use yardstick_storage::registry::{Category, Unit};
    use yardstick_storage::results::{Explanation, ResultRow};
    use yardstick_storage::values::{OccurrenceInput, ValueInput};
    let Some(db) = make().await else { return };
    let cat = Category { key: "A".into(), name: "A类".into(), series: "乡镇".into(), sort: 1 };
    db.create_category(&cat, "admin", 1).await.unwrap();
    assert!(matches!(db.create_category(&Category { key: "A2".into(), ..cat.clone() }, "admin", 2).await, Err(StorageError::Conflict(_))), "names are unique");
    let unit = Unit { key: "T1".into(), name: "城关镇".into(), category_key: Some("A".into()), area_key: None, static_level: Some(2), active: true };
    db.create_unit(&unit, "admin", 3).await.unwrap();
    let orphan = Unit { key: "T9".into(), name: "无类别镇".into(), category_key: Some("ZZ".into()), ..unit.clone() };
    assert!(matches!(db.create_unit(&orphan, "admin", 4).await, Err(StorageError::Reference(_))), "unknown category refused");
    db.update_unit(&Unit { name: "城关街道".into(), ..unit.clone() }, "admin", 5).await.unwrap();
    assert_eq!(db.unit("T1").await.unwrap().unwrap().name, "城关街道");
    assert_eq!(db.units(Some("A")).await.unwrap().len(), 1);
    assert_eq!(db.unit_names(&["T1".into(), "nope".into()]).await.unwrap(), std::collections::HashMap::from([("T1".to_string(), "城关街道".to_string())]));
    assert!(db.unit_names(&[]).await.unwrap().is_empty());

    db.create_plan(&Plan { key: "p2026".into(), year: 2026, name: "2026年度".into() }, "admin", 6).await.unwrap();
    assert_eq!(db.add_plan_version("p2026", "[plan]\nkey='a'", "first", "admin", 7).await.unwrap(), 1);
    assert_eq!(db.add_plan_version("p2026", "[plan]\nkey='b'", "reform targets added", "admin", 8).await.unwrap(), 2);
    assert_eq!(db.plan_text("p2026", Some(1)).await.unwrap().unwrap().1, "[plan]\nkey='a'");
    assert_eq!(db.plan_text("p2026", None).await.unwrap().unwrap().0, 2);
    assert!(try_sql(&db, "UPDATE plan_versions SET toml = 'x'").await.is_err(), "a plan version is never edited");
    assert!(try_sql(&db, "DELETE FROM plan_versions").await.is_err());

    db.open_period("p2026", "2026-03", "admin", 9).await.unwrap();
    assert!(matches!(db.open_period("p2026", "2026-03", "admin", 9).await, Err(StorageError::Conflict(_))));
    let vals = vec![
        ValueInput { indicator: "GDP".into(), field: "actual".into(), value: "126".into() },
        ValueInput { indicator: "GDP".into(), field: "target".into(), value: "120".into() },
    ];
    assert_eq!(db.put_values("p2026", "2026-03", "T1", &vals, "rep", 10).await.unwrap(), 2);
    assert_eq!(db.put_values("p2026", "2026-03", "T1", &vals, "rep", 11).await.unwrap(), 0, "unchanged values are not rewritten");
    let changed = vec![ValueInput { indicator: "GDP".into(), field: "actual".into(), value: "130".into() }];
    assert_eq!(db.put_values("p2026", "2026-03", "T1", &changed, "rep", 12).await.unwrap(), 1);
    let last = db.audit_entries().await.unwrap().pop().unwrap();
    assert_eq!(last.before_json.as_deref(), Some(r#"{"GDP.actual":"126"}"#), "the audit row holds the value before");
    assert_eq!(last.after_json.as_deref(), Some(r#"{"GDP.actual":"130"}"#));
    db.add_occurrence("p2026", "2026-03", "T1", &OccurrenceInput { indicator: "SAFETY".into(), field: "count".into(), amount: Some("1".into()), reason: "事故".into() }, "dept", 13).await.unwrap();
    let v = db.values("p2026", &["2026-03".into()], None).await.unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(db.occurrences("p2026", &["2026-03".into()], Some("T1")).await.unwrap()[0].reason, "事故");

    let row = ResultRow { subject: "T1".into(), category: "A".into(), position: 0, score: Some("98.00".into()), rank: Some(1), tied: false, grade: Some("优秀".into()), vetoed: false, lost: "2.00".into() };
    let s1 = db.save_result_set("p2026", "2026-03", 2, &[(row.clone(), Explanation::pack("{}"))], "office", 14).await.unwrap();
    assert!(db.current_publication("p2026", "2026-03").await.unwrap().is_none(), "nothing published yet");
    let p1 = db.publish(s1, "首次发布", "office", 15).await.unwrap();
    assert_eq!(p1.version, 1);
    assert!(matches!(db.publish(s1, "again", "office", 16).await, Err(StorageError::Conflict(_))));
    let s2 = db.save_result_set("p2026", "2026-03", 2, &[(ResultRow { score: Some("97.50".into()), ..row.clone() }, Explanation::pack("{\"x\":1}"))], "office", 17).await.unwrap();
    let p2 = db.publish(s2, "申诉更正", "office", 18).await.unwrap();
    assert_eq!(p2.version, 2);
    assert_eq!(db.current_publication("p2026", "2026-03").await.unwrap().unwrap().set_id, s2);
    assert_eq!(db.publications("p2026", Some("2026-03")).await.unwrap().len(), 2, "the old version stays readable");
    assert_eq!(db.result_rows(s1, Some("A"), 0, 10).await.unwrap()[0].score.as_deref(), Some("98.00"));
    assert_eq!(db.result_row(s2, "T1").await.unwrap().unwrap().1, "{\"x\":1}");
    assert_eq!(db.published_trend("p2026", "T1").await.unwrap(), vec![("2026-03".to_string(), Some("97.50".to_string()), Some(1))]);
    assert_eq!(db.result_row(s1, "T1").await.unwrap().unwrap().1, "{}");
    assert!(db.result_row(s1, "T9").await.unwrap().is_none());
    // An explanation written before migration 0004 (plain JSON) still reads.
    let s3 = db.save_result_set("p2026", "2026-03", 2, &[], "office", 19).await.unwrap();
    assert_eq!(db.category_stats(s2).await.unwrap(), vec![("A".to_string(), 1, 9750, 9750)]);
    let latest = db.latest_result_sets("p2026").await.unwrap();
    assert_eq!(latest.iter().map(|s| (s.period.as_str(), s.id)).collect::<Vec<_>>(), vec![("2026-03", s3)], "one latest set per period");
    try_sql(&db, "INSERT INTO result_rows (set_id, subject, category, position, score, rank, tied, grade, vetoed, lost) SELECT MAX(id), 'T1', 'A', 0, '1.00', 1, 0, NULL, 0, '99.00' FROM result_sets").await.unwrap();
    let plain = match &db {
        Db::Sqlite(_) => "INSERT INTO result_explanations (set_id, subject, packed, body) SELECT MAX(id), 'T1', 0, CAST('{\"old\":\"旧\"}' AS BLOB) FROM result_sets",
        Db::Postgres(_) => "INSERT INTO result_explanations (set_id, subject, packed, body) SELECT MAX(id), 'T1', 0, convert_to('{\"old\":\"旧\"}', 'UTF8') FROM result_sets",
    };
    try_sql(&db, plain).await.unwrap();
    assert_eq!(db.result_row(s3, "T1").await.unwrap().unwrap().1, "{\"old\":\"旧\"}");
    let rows: Vec<(ResultRow, Explanation)> = [("T1", "92.16"), ("T2", "-3.05"), ("T3", "100.00"), ("T4", "0.07")]
        .iter()
        .enumerate()
        .map(|(i, (u, sc))| (ResultRow { subject: u.to_string(), category: if i < 3 { "B".into() } else { "C".into() }, position: i as i64, score: Some(sc.to_string()), ..row.clone() }, Explanation::pack("{}")))
        .collect();
    let s4 = db.save_result_set("p2026", "2026-04", 2, &rows, "office", 20).await.unwrap();
    assert_eq!(db.category_stats(s4).await.unwrap(), vec![("B".to_string(), 3, 18911, 10000), ("C".to_string(), 1, 7, 7)], "exact cents");
    for sql in ["UPDATE result_rows SET score = '100.00'", "DELETE FROM result_rows", "UPDATE result_explanations SET packed = 0", "DELETE FROM result_explanations", "UPDATE publications SET reason = 'x'", "DELETE FROM publications", "DELETE FROM result_sets"] {
        assert!(try_sql(&db, sql).await.is_err(), "{sql} must be refused");
    }
    assert!(matches!(db.verify_audit().await.unwrap(), AuditCheck::Intact { .. }));
}

#[tokio::test]
async fn records_on_sqlite() {
    records_story(async || Some(sqlite().await)).await;
}

#[tokio::test]
async fn records_on_postgres() {
    records_story(postgres).await;
}

/// Many writers at once (group commit on SQLite): every acknowledged write is stored, a
/// write that fails inside a shared transaction leaves the others whole and itself leaves
/// nothing, each changed write has its one audit row, and the chain stays intact.
async fn concurrent_values_story(make: impl AsyncFn() -> Option<Db>) {
    use yardstick_storage::values::ValueInput;
    let Some(db) = make().await else { return };
    db.create_plan(&yardstick_storage::plans::Plan { key: "p".into(), year: 2026, name: "p".into() }, "admin", 1).await.unwrap();
    db.open_period("p", "2026-03", "admin", 2).await.unwrap();
    // A write whose value is "boom" fails inside the database, as a damaged disk or a
    // constraint would.
    let trigger = match &db {
        Db::Sqlite(_) => vec!["CREATE TRIGGER boom BEFORE INSERT ON data_values WHEN NEW.value = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"],
        Db::Postgres(_) => vec![
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.value = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER boom BEFORE INSERT ON data_values FOR EACH ROW EXECUTE FUNCTION boom()",
        ],
    };
    behind_its_back(&db, &trigger).await;
    let audit_before = db.audit_entries().await.unwrap().len();
    let db = std::sync::Arc::new(db);
    let mut tasks = Vec::new();
    for w in 0..120_usize {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let subject = format!("U{}", w % 40);
            let bad = w % 17 == 5;
            let vals: Vec<ValueInput> = (0..(1 + w % 4))
                .map(|k| ValueInput { indicator: format!("I{k}"), field: format!("w{w}"), value: if bad && k == 0 { "boom".into() } else { format!("{w}.{k}") } })
                .collect();
            (w, bad, vals.len(), db.put_values("p", "2026-03", &subject, &vals, "rep", 10 + w as i64).await)
        }));
    }
    let mut ok_writes = 0;
    let mut ok_values = 0;
    for t in tasks {
        let (w, bad, n, r) = t.await.unwrap();
        if bad {
            assert!(r.is_err(), "write {w} must fail");
        } else {
            assert_eq!(r.unwrap_or_else(|e| panic!("write {w}: {e}")), n, "write {w} changed all its values");
            ok_writes += 1;
            ok_values += n;
        }
    }
    let stored = db.values("p", &["2026-03".into()], None).await.unwrap();
    assert_eq!(stored.len(), ok_values, "every acknowledged value is stored, nothing of a failed write");
    assert!(stored.iter().all(|v| v.value != "boom" && !(v.field[1..].parse::<usize>().unwrap() % 17 == 5)));
    assert_eq!(db.audit_entries().await.unwrap().len() - audit_before, ok_writes, "one audit row per write");
    assert!(matches!(db.verify_audit().await.unwrap(), AuditCheck::Intact { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_values_on_sqlite() {
    concurrent_values_story(async || Some(sqlite().await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_values_on_postgres() {
    concurrent_values_story(postgres).await;
}
