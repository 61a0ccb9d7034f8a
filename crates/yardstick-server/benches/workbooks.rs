//! Importing a province's month from a workbook (issue 5, item 7): the demo province (10,000
//! units, 40 indicators) is loaded into a fresh database, its April values are written out
//! as a long-form .xlsx with every `actual` changed, and that file is imported as the
//! office imports it (read, check against the registry and the plan, write in one
//! transaction), then imported again (nothing changes).
//!
//! ```sh
//! cargo bench -p yardstick-server --bench workbooks -- [--db sqlite|postgres] [--runs 3]
//! ```
//! PostgreSQL: `YARDSTICK_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/test),
//! in a schema of its own, dropped at the end.

use std::collections::BTreeMap;
use std::time::Instant;

use rust_xlsxwriter::Workbook;
use yardstick_project::r#gen::Scale;
use yardstick_server::AppState;
use yardstick_server::authz::Scope;
use yardstick_server::config::Config;
use yardstick_server::imports::{DataCaller, run_data};
use yardstick_sheets::read::{Limits, read_book};
use yardstick_storage::Db;

const PLAN: &str = "demo-province-2026";
const MONTH: &str = "2026-04";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

async fn database(kind: &str) -> (Db, Option<String>) {
    match kind {
        "postgres" => {
            use sqlx::postgres::PgConnectOptions;
            let url = std::env::var("YARDSTICK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let schema = format!("bench_workbooks_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&url).await.expect("PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.expect("schema");
            let opts: PgConnectOptions = url.parse::<PgConnectOptions>().expect("url").options([("search_path", schema.as_str())]);
            (Db::connect_postgres(opts).await.expect("connect"), Some(schema))
        }
        _ => {
            let path = std::env::temp_dir().join(format!("yardstick-bench-workbooks-{}.db", std::process::id()));
            (Db::connect(&format!("sqlite://{}", path.display())).await.expect("SQLite"), None)
        }
    }
}

/// The month's stored values in the long form, every `actual` raised by one.
fn workbook(values: &[yardstick_storage::values::ValueRow]) -> (Vec<u8>, usize, usize) {
    let mut rows: BTreeMap<(&str, &str), BTreeMap<&str, String>> = BTreeMap::new();
    let mut fields = std::collections::BTreeSet::new();
    for v in values {
        let value = if v.field == "actual" {
            let d: f64 = v.value.parse().unwrap_or(0.0);
            format!("{}", d + 1.0)
        } else {
            v.value.clone()
        };
        fields.insert(v.field.as_str());
        rows.entry((v.subject.as_str(), v.indicator.as_str())).or_default().insert(v.field.as_str(), value);
    }
    let fields: Vec<&str> = fields.into_iter().collect();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("数据").unwrap();
    ws.write_string(0, 0, "2026年4月 全省考核数据").unwrap();
    let mut header = vec!["期间(period)".to_string(), "单位编码(subject)".into(), "指标编码(indicator)".into()];
    header.extend(fields.iter().map(|f| f.to_string()));
    for (c, h) in header.iter().enumerate() {
        ws.write_string(1, c as u16, h).unwrap();
    }
    let mut cells = 0;
    for (i, ((subject, indicator), vals)) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(r, 0, MONTH).unwrap();
        ws.write_string(r, 1, *subject).unwrap();
        ws.write_string(r, 2, *indicator).unwrap();
        for (j, f) in fields.iter().enumerate() {
            if let Some(v) = vals.get(f) {
                match v.parse::<f64>() {
                    Ok(n) if format!("{n}") == *v => ws.write_number(r, 3 + j as u16, n).map(|_| ()),
                    _ => ws.write_string(r, 3 + j as u16, v).map(|_| ()),
                }
                .unwrap();
                cells += 1;
            }
        }
    }
    (wb.save_to_buffer().unwrap(), rows.len(), cells)
}

fn main() {
    let kind = arg("--db").unwrap_or_else(|| "sqlite".into());
    let runs: usize = arg("--runs").and_then(|r| r.parse().ok()).unwrap_or(3);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let (db, schema) = database(&kind).await;
        let t = Instant::now();
        let now = yardstick_server::auth::now_ms();
        yardstick_server::demo::load_demo(&db, Scale::Province, now).await.expect("the demo province");
        eprintln!("demo province loaded in {:.1} s", t.elapsed().as_secs_f64());
        let st = AppState::new(db.clone(), Config::default());
        let caller = DataCaller { scope: Scope::All, unit: None, supplies: None, may_record: true };
        println!("| run | workbook | rows | values | read | check (dry run) | import (read + check + write) | values changed | re-import (nothing changes) |");
        println!("|---|---|---|---|---|---|---|---|---|");
        for run in 1..=runs {
            let values = db.values(PLAN, &[MONTH.to_string()], None).await.expect("values");
            let (bytes, rows, cells) = workbook(&values);
            let t = Instant::now();
            let book = read_book("province-2026-04.xlsx", &bytes, &Limits::default()).expect("read");
            let read = t.elapsed();
            let t = Instant::now();
            let dry = run_data(&st, &caller, "bench", PLAN, MONTH, &book, true, None).await.unwrap_or_else(|e| panic!("check: {:?}", e.problems.first()));
            let check = t.elapsed();
            let t = Instant::now();
            let book = read_book("province-2026-04.xlsx", &bytes, &Limits::default()).expect("read");
            let out = run_data(&st, &caller, "bench", PLAN, MONTH, &book, false, None).await.unwrap_or_else(|e| panic!("import: {:?} {:?}", e.msg, e.problems.first()));
            let import = t.elapsed();
            assert_eq!(out.values_changed, dry.values_changed);
            let t = Instant::now();
            let book = read_book("province-2026-04.xlsx", &bytes, &Limits::default()).expect("read");
            let again = run_data(&st, &caller, "bench", PLAN, MONTH, &book, false, None).await.expect("re-import");
            let reimport = t.elapsed();
            assert_eq!(again.values_changed, 0, "a re-import changes nothing");
            println!(
                "| {run} | {:.1} MB | {rows} | {cells} | {:.2} s | {:.2} s | {:.2} s | {} | {:.2} s |",
                bytes.len() as f64 / 1e6,
                read.as_secs_f64(),
                check.as_secs_f64(),
                import.as_secs_f64(),
                out.values_changed,
                reimport.as_secs_f64(),
            );
        }
        if let (Some(schema), yardstick_storage::Db::Postgres(pool)) = (schema, &db) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(pool).await;
        }
    });
}
