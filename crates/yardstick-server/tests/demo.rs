//! The living demo (`yardstick serve --demo`), on SQLite and on PostgreSQL: what it loads,
//! that the server's published rankings agree to the cent with the command line's scoring
//! of the same synthetic files, that a second load changes nothing, and that the audit
//! chain is whole.
//!
//! PostgreSQL is reached at `YARDSTICK_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own. If it is
//! not reachable the PostgreSQL half says so loudly and is skipped, unless
//! `YARDSTICK_REQUIRE_POSTGRES=1` (set by CI), which turns the skip into a failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use yardstick_engine::dec::format_cents;
use yardstick_engine::{Period, Scorer};
use yardstick_project::r#gen::{Scale, Synthetic};
use yardstick_project::load;
use yardstick_server::demo::{DEMO_PASSWORD, DEMO_SEED, Spec, load_demo};
use yardstick_storage::{AuditCheck, Db, Role};

const NOW: i64 = 1_790_000_000_000;

static N: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

async fn sqlite() -> Db {
    let path = std::env::temp_dir().join(format!("{}.db", unique("yardstick_demo")));
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
    let schema = unique("t_demo");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.expect("create schema");
    Some(Db::connect_postgres(base.options([("search_path", schema.as_str())])).await.expect("postgres migrates"))
}

/// The command line's ranking of a period, from files written by the generator:
/// subject → (score, rank, tied, grade, vetoed).
type Ranking = BTreeMap<String, (Option<String>, Option<i64>, bool, Option<String>, bool)>;

fn cli_ranking(dir: &Path, data: &[PathBuf], period: Period) -> Ranking {
    let p = load::load_project(&dir.join("plan.toml"), None, data, Some(load::periods_needed(period)))
        .unwrap_or_else(|e| panic!("the generated files load: {:?}", e.iter().map(|x| x.render(yardstick_formats::Lang::En)).collect::<Vec<_>>()));
    let result = Scorer::new(&p.model, p.roster.clone(), &p.data).score(period).expect("the period scores");
    let mut out = Ranking::new();
    for c in &result.categories {
        let set = &p.model.grade_sets[p.model.categories[c.category as usize].grade_set as usize];
        for row in &c.rows {
            out.insert(
                p.model.subjects[row.subject as usize].key.clone(),
                (Some(format_cents(row.cents)), Some(i64::from(row.rank)), row.tied, set.grades.get(row.grade as usize).map(|g| g.name.clone()), row.veto.is_some()),
            );
        }
    }
    out
}

async fn server_ranking(db: &Db, set_id: i64) -> Ranking {
    db.result_rows(set_id, None, 0, 1_000_000).await.unwrap().into_iter().map(|r| (r.subject, (r.score, r.rank, r.tied, r.grade, r.vetoed))).collect()
}

async fn demo_story(db: Db) {
    let t = Instant::now();
    let text = load_demo(&db, Scale::County, NOW).await.expect("the demo loads");
    eprintln!("{text}\n(load_demo on {} in the test profile: {:.2} s)", db.backend(), t.elapsed().as_secs_f64());
    let spec = Spec::of(Scale::County).unwrap();
    let plan = spec.plan_key;

    // What was loaded.
    let units = db.units(None).await.unwrap();
    assert_eq!(units.len(), 90, "≈90 units like Liaoyang's 91");
    let cats: Vec<String> = db.categories().await.unwrap().into_iter().map(|c| c.key).collect();
    assert_eq!(cats, ["A", "B1", "B2", "C1", "C2", "D", "E"]);
    let names: std::collections::HashSet<&str> = units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names.len(), 90, "unit names are unique");
    assert!(units.iter().all(|u| u.static_level.is_some_and(|l| (1..=6).contains(&l)) && u.area_key.as_deref() == Some("AREA")));
    assert_eq!(db.plan_versions(plan).await.unwrap().len(), 1);
    let (_, plan_text) = db.plan_text(plan, None).await.unwrap().unwrap();
    assert!(!plan_text.contains("[[subjects]]"));
    assert!(plan_text.contains(&format!("key = \"{plan}\"")));
    assert_eq!(db.periods(plan).await.unwrap().len(), 19, "12 months, 4 quarters, 2 halves, the year");

    let users = db.users().await.unwrap();
    assert_eq!(users.len(), 9);
    for role in Role::ALL {
        let u = users.iter().find(|u| u.role == role).unwrap_or_else(|| panic!("a user with role {}", role.key()));
        assert_eq!(u.unit_key.is_some(), role.needs_unit(), "{}", u.username);
        assert!(text.contains(&u.username), "the printed text names {}", u.username);
    }
    let reporter = users.iter().find(|u| u.username == "reporter").unwrap();
    assert_eq!(reporter.unit_key, units.iter().find(|u| u.category_key.as_deref() == Some("A")).map(|u| u.key.clone()));
    let dept = users.iter().find(|u| u.username == "dept").unwrap();
    assert_eq!(units.iter().find(|u| Some(&u.key) == dept.unit_key.as_ref()).map(|u| u.name.as_str()), Some("县统计局"));
    let (_, hash, role) = db.user_credentials("admin").await.unwrap().unwrap();
    assert_eq!(role, Role::Admin);
    assert!(yardstick_storage::accounts::verify_password(DEMO_PASSWORD, &hash));
    assert!(text.contains(DEMO_PASSWORD) && text.contains("http://127.0.0.1:8080"));
    assert!(text.contains("未发布") && text.contains("NOT published"));

    // Published: January to November with Q1–Q3 and H1; December computed, not published.
    let pubs = db.publications(plan, None).await.unwrap();
    let months: Vec<&str> = pubs.iter().map(|p| p.period.as_str()).filter(|p| p.len() == 7 && !p.contains('Q') && !p.contains('H')).collect();
    assert_eq!(months.len(), 11, "{months:?}");
    assert!(!months.contains(&"2026-12"));
    for p in ["2026-Q1", "2026-Q2", "2026-Q3", "2026-H1"] {
        assert!(pubs.iter().any(|x| x.period == p), "{p} is published");
    }
    assert!(pubs.iter().all(|p| p.version == 1 && p.reason.ends_with("考核结果首次发布")));
    assert!(db.current_publication(plan, "2026-12").await.unwrap().is_none(), "December stays an office-only preview");
    let december = db.latest_result_set(plan, "2026-12").await.unwrap().expect("December is computed");
    assert_eq!(december.row_count, 90);
    for p in ["2026-Q4", "2026-H2", "2026"] {
        assert!(db.current_publication(plan, p).await.unwrap().is_none(), "{p} is not published");
        assert!(db.latest_result_set(plan, p).await.unwrap().is_some(), "{p} is computed");
    }
    let g = db.values(plan, &["2026-05".to_string()], Some("AREA")).await.unwrap();
    assert_eq!(g.len(), 1, "the area's growth g for the dynamic coefficient");
    let occ = db.occurrences(plan, &(1..=12).map(|m| format!("2026-{m:02}")).collect::<Vec<_>>(), None).await.unwrap();
    assert!(!occ.is_empty() && occ.iter().all(|o| !o.reason.is_empty()), "occurrences with reasons");
    // Monitoring and rectification (M14, M15): October's warnings and tasks, the third
    // quarter's and first half's follow-ups, all awaiting the units or the office.
    let warnings = db.notices(plan, "2026-10", None).await.unwrap();
    assert!(!warnings.is_empty() && warnings.iter().all(|n| n.kind == "warning" && n.title.contains("预警通知单")), "{warnings:?}");
    let tasks = db.tasks(plan, "2026-10", None).await.unwrap();
    assert!(tasks.iter().any(|t| t.source == "deduction") && tasks.iter().any(|t| t.source == "grade") && tasks.iter().all(|t| t.status == "open"));
    let talks = db.follow_ups(plan, "2026-Q3", None).await.unwrap();
    assert!(talks.len() >= 7 && talks.iter().all(|f| f.action == "提醒谈话" && f.status == "proposed"), "the last two of each of 7 categories: {talks:?}");
    assert!(db.follow_ups(plan, "2026-H1", None).await.unwrap().iter().all(|f| f.action == "调整岗位"));

    // The server and the command line agree to the cent, rank and grade, in every computed
    // period (before and after the mid-year version, quarters, halves, the year).
    let dir = std::env::temp_dir().join(unique("yardstick_demo_files"));
    let files = Synthetic::new(Scale::County, DEMO_SEED, 12).write_files(&dir).unwrap();
    let data: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("data-"))).collect();
    let mut compared = 0;
    for period in spec.published.iter().chain(&spec.preview) {
        let name = period.to_string();
        let set_id = match db.current_publication(plan, &name).await.unwrap() {
            Some(p) => p.set_id,
            None => db.latest_result_set(plan, &name).await.unwrap().unwrap().id,
        };
        let server = server_ranking(&db, set_id).await;
        let cli = cli_ranking(&dir, &data, *period);
        assert_eq!(server.len(), 90, "{name}");
        assert_eq!(server, cli, "{name}: the server and the command line disagree");
        compared += 1;
    }
    assert_eq!(compared, 19, "15 published and 4 previews: every period of the year");
    let _ = std::fs::remove_dir_all(&dir);

    // Idempotent: a second load changes nothing and prints the credentials again.
    let rows = db.audit_entries().await.unwrap().len();
    let again = load_demo(&db, Scale::County, NOW + 60_000).await.expect("a second load is fine");
    assert_eq!(db.audit_entries().await.unwrap().len(), rows, "a second load writes nothing");
    assert!(again.contains("未作任何改动") && again.contains("nothing was changed") && again.contains(DEMO_PASSWORD));
    assert!(again.contains("reporter") && again.contains("auditor"));
    // The other scale is refused on the same database, clearly.
    let e = load_demo(&db, Scale::Province, NOW).await.unwrap_err().to_string();
    assert!(e.contains("county demo"), "{e}");

    match db.verify_audit().await.unwrap() {
        AuditCheck::Intact { rows: n, .. } => assert_eq!(n as usize, rows),
        broken => panic!("the audit chain is broken: {broken:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_county_sqlite() {
    demo_story(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_county_postgres() {
    if let Some(db) = postgres().await {
        demo_story(db).await;
    }
}

/// An account named like a demo account that exists before the demo keeps its password, and
/// the printed text says so instead of printing a password that does not work.
#[tokio::test(flavor = "multi_thread")]
async fn demo_keeps_an_existing_account() {
    let db = sqlite().await;
    // A user named like a demo account, with another password, exists before the demo.
    let hash = yardstick_storage::accounts::hash_password("another password").unwrap();
    db.create_user(
        &yardstick_storage::NewUser { username: "admin".into(), display_name: "本地管理员".into(), password_hash: hash, role: Role::Admin, unit_key: None },
        "command line",
        NOW,
    )
    .await
    .unwrap();
    let text = load_demo(&db, Scale::County, NOW).await.unwrap();
    assert!(text.contains("admin") && text.contains("密码不是演示密码") && text.contains("other than the demo's"), "{text}");
    assert_eq!(db.users().await.unwrap().len(), 9);
    assert!(matches!(db.verify_audit().await.unwrap(), AuditCheck::Intact { .. }));
}
