//! `--exports N`: the time to export a period's rankings of N units (issue 5, item 7: a
//! province, 10,000 units, in at most 5 s) as one Excel workbook, in-process through the
//! real router (`GET …/exports/rankings.xlsx`, every category, an API token of the office).
//!
//! The database (a fresh SQLite file, or PostgreSQL with `--db postgres`) gets N units in
//! categories of 100, a plan of 40 weighted indicators and two deduction items, and one
//! published result set whose rows and explanations have the shape and size of real ones
//! (40 indicators with inputs and working, both texts, a remark) — written directly, so the
//! setup takes seconds instead of the demo's scoring. Then the export runs `--iters` times
//! (default 5) after one warm-up, and each wall time, the median and the workbook's size
//! and row count are printed. The result-set cache starts cold for the warm-up only.

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt;
use yardstick_server::{AppState, Config};
use yardstick_storage::plans::Plan;
use yardstick_storage::registry::{Category, Unit};
use yardstick_storage::results::{Explanation, ResultRow};
use yardstick_storage::{Db, NewUser, Role};

const PLAN: &str = "bench-2026";
const PERIOD: &str = "2026-03";
const INDICATORS: usize = 40;

fn plan_toml(categories: usize) -> String {
    let mut t = String::from("[plan]\nkey = \"bench-2026\"\nname = \"导出基准方案\"\nyear = 2026\noffice = \"基准考评办\"\n\n");
    t.push_str("[[grade_sets]]\nkey = \"g\"\nname = \"优良中\"\nveto_grade = \"一般\"\ngrades = [ { name = \"优秀\", quota = \"30%\" }, { name = \"良好\", quota = \"70%\" }, { name = \"一般\" } ]\n\n");
    for c in 0..categories {
        t.push_str(&format!("[[categories]]\nkey = \"C{c:03}\"\nname = \"第{c}类\"\ngrade_set = \"g\"\n\n"));
    }
    for i in 0..INDICATORS {
        t.push_str(&format!("[[indicators]]\nkey = \"I{i:02}\"\nname = \"经济指标{i:02}\"\nunit = \"万元\"\nmethod = \"completion\"\nweight = 2.5\ncap = 1.2\n\n"));
    }
    for (k, n) in [("SAFETY", "安全生产事故扣分"), ("ENV", "环保督察问题扣分")] {
        t.push_str(&format!("[[indicators]]\nkey = \"{k}\"\nname = \"{n}\"\nkind = \"constraint\"\nmethod = \"deduction\"\nper = 2\ncap = 10\n\n"));
    }
    t
}

/// A stored explanation of the size and shape the engine writes.
fn explanation(unit: usize, score_cents: i64) -> String {
    let indicators: Vec<serde_json::Value> = (0..INDICATORS)
        .map(|i| {
            let actual = 80 + (unit * 7 + i * 13) % 40;
            serde_json::json!({
                "indicator": format!("I{i:02}"), "method": "completion", "weight": "2.5",
                "inputs": [{"field": "actual", "value": actual.to_string()}, {"field": "target", "value": "100"}],
                "occurrences": [], "steps": [format!("completion = {actual} / 100 = {:.4}", actual as f64 / 100.0), format!("points = 2.5 × {:.4} = {:.4}", actual as f64 / 100.0, 2.5 * actual as f64 / 100.0)],
                "points": format!("{:.4}", 2.5 * actual as f64 / 100.0), "in_total": true, "effect": null,
            })
        })
        .chain([serde_json::json!({"indicator": "SAFETY", "method": "deduction", "weight": "0", "inputs": [], "occurrences": if unit % 10 == 0 { serde_json::json!([{"amount": "1", "reason": "一般生产安全事故"}]) } else { serde_json::json!([]) }, "steps": [], "points": if unit % 10 == 0 { "-2.0000" } else { "0.0000" }, "in_total": true, "effect": null})])
        .collect();
    let text: String = (0..INDICATORS).map(|i| format!("经济指标{i:02}（I{i:02}）：完成率 0.9500，得分 2.3750；输入 实际值=95，目标值=100\n")).collect();
    serde_json::json!({
        "explain": {"subject": format!("U{unit:05}"), "period": PERIOD, "version": "v1", "indicators": indicators, "components": [], "total": format!("{}.{:02}", score_cents / 100, score_cents % 100), "coefficients": [], "final": "", "extra": "0"},
        "text": {"zh": text, "en": text.replace("经济指标", "Indicator ")},
        "name": format!("单位{unit:05}"),
        "remark": {"zh": if unit % 97 == 0 { "降1个名次（原第3名）" } else { "" }, "en": ""},
        "flags": [],
        "extra": "0.00",
    })
    .to_string()
}

pub fn run(db_kind: &str, units: usize, iters: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let (db, cleanup) = connect(db_kind).await;
        let t0 = Instant::now();
        let now = yardstick_server::auth::now_ms();
        let cats = units.div_ceil(100);
        for c in 0..cats {
            db.create_category(&Category { key: format!("C{c:03}"), name: format!("第{c}类"), series: String::new(), sort: c as i64 }, "bench", now).await.expect("category");
        }
        for u in 0..units {
            let unit = Unit { key: format!("U{u:05}"), name: format!("单位{u:05}"), category_key: Some(format!("C{:03}", u / 100)), area_key: None, static_level: None, active: true };
            db.create_unit(&unit, "bench", now).await.expect("unit");
        }
        db.create_plan(&Plan { key: PLAN.into(), year: 2026, name: "导出基准方案".into() }, "bench", now).await.expect("plan");
        db.add_plan_version(PLAN, &plan_toml(cats), "v1", "bench", now).await.expect("plan version");
        db.open_period(PLAN, PERIOD, "bench", now).await.expect("period");
        let rows: Vec<(ResultRow, Explanation)> = (0..units)
            .map(|u| {
                let pos = (u % 100) as i64;
                // Scores fall by 0.25 a place, with a tie every tenth pair.
                let cents = 9_800 - pos * 25 + if pos % 10 == 1 { 25 } else { 0 };
                let rank = if pos % 10 == 1 { pos } else { pos + 1 };
                let grade = if pos < 30 { "优秀" } else if pos < 100 { "良好" } else { "一般" };
                let row = ResultRow {
                    subject: format!("U{u:05}"),
                    category: format!("C{:03}", u / 100),
                    position: pos,
                    score: Some(format!("{}.{:02}", cents / 100, cents % 100)),
                    rank: Some(rank),
                    tied: pos % 10 == 0 || pos % 10 == 1,
                    grade: Some(grade.into()),
                    vetoed: false,
                    lost: format!("{}.{:02}", (10_000 - cents) / 100, (10_000 - cents) % 100),
                };
                (row, Explanation::pack(&explanation(u, cents)))
            })
            .collect();
        let set = db.save_result_set(PLAN, PERIOD, 1, &rows, "bench", now).await.expect("result set");
        db.publish(set, "基准发布", "bench", now).await.expect("publish");
        let hash = yardstick_storage::accounts::hash_password("bench password 1").expect("hash");
        let id = db.create_user(&NewUser { username: "office".into(), display_name: "考评办".into(), password_hash: hash, role: Role::Staff, unit_key: None }, "bench", now).await.expect("user");
        let token = format!("ys_{}", yardstick_server::auth::random_token());
        db.create_api_token(&yardstick_server::auth::hash_token(&token), id, "bench", "office", now).await.expect("token");
        eprintln!("set up {units} units in {cats} categories, one published month, on {db_kind} in {:.1} s", t0.elapsed().as_secs_f64());
        let app = yardstick_server::app(AppState::new(db.clone(), Config { data_dir: std::env::temp_dir().join("ys-bench-exports"), ..Config::default() }));
        let uri = format!("/api/v1/plans/{PLAN}/periods/{PERIOD}/exports/rankings.xlsx");
        let mut times = Vec::new();
        let mut cpus = Vec::new();
        for i in 0..=iters {
            let req = Request::get(&uri).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).expect("request");
            let t = Instant::now();
            let c0 = super::proc_cpu(std::process::id());
            let resp = app.clone().oneshot(req).await.expect("infallible");
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            let secs = t.elapsed().as_secs_f64();
            let cpu = super::proc_cpu(std::process::id()) - c0;
            assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&body[..body.len().min(500)]));
            eprintln!("{} {:.3} s wall, {:.3} s CPU (this process, all threads), {} KiB", if i == 0 { "warm-up (cold caches)" } else { "export" }, secs, cpu, body.len() / 1024);
            if i > 0 {
                times.push(secs);
                cpus.push(cpu);
            }
        }
        times.sort_by(f64::total_cmp);
        cpus.sort_by(f64::total_cmp);
        let cpu_median = cpus.get(cpus.len() / 2).copied().unwrap_or(f64::NAN);
        let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
        println!(
            "rankings.xlsx, {units} units in {cats} sheets ({} indicator columns), {db_kind}: median {median:.3} s wall ({cpu_median:.3} s CPU), min {:.3} s, max {:.3} s over {} runs — target ≤ 5 s: {}",
            INDICATORS + 1,
            times.first().copied().unwrap_or(f64::NAN),
            times.last().copied().unwrap_or(f64::NAN),
            times.len(),
            if median <= 5.0 { "met" } else { "NOT met" }
        );
        cleanup(&db).await;
    });
}

type Cleanup = Box<dyn FnOnce(&Db) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>>;

async fn connect(kind: &str) -> (Db, Cleanup) {
    let tag = format!("ys_bench_exports_{}", std::process::id());
    if kind == "postgres" {
        use std::str::FromStr;
        let base = std::env::var("YARDSTICK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let opts = sqlx::postgres::PgConnectOptions::from_str(&base).expect("a PostgreSQL URL");
        let admin = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect_with(opts.clone()).await.unwrap_or_else(|e| panic!("PostgreSQL at {base}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {tag}"))).execute(&admin).await.expect("schema");
        let db = Db::connect_postgres(opts.options([("search_path", tag.as_str())])).await.expect("postgres migrates");
        let cleanup: Cleanup = Box::new(move |db: &Db| {
            let db = db.clone();
            Box::pin(async move {
                if let Db::Postgres(p) = &db {
                    p.close().await;
                }
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {tag} CASCADE"))).execute(&admin).await;
            })
        });
        (db, cleanup)
    } else {
        let path = std::env::temp_dir().join(format!("{tag}.db"));
        let _ = std::fs::remove_file(&path);
        let db = Db::connect(&format!("sqlite://{}", path.display())).await.expect("sqlite");
        let cleanup: Cleanup = Box::new(move |_db: &Db| {
            Box::pin(async move {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            })
        });
        (db, cleanup)
    }
}
