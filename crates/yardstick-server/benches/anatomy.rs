//! Where the time of one value write goes, step by step, measured in-process against a
//! database the demo loaded (`--anatomy` of the load generator). Each step is what
//! `PUT …/units/{unit}/values` does, called through the same public functions, one at a
//! time (no contention), so the figures are service times. The transaction is also
//! replayed with plain SQL to split it into its statements, and once more with the values
//! in a single multi-row upsert, to show what batching the statements would save.

use std::sync::Arc;
use std::time::Instant;

use yardstick_engine::{Period, Roster};
use yardstick_storage::Db;
use yardstick_storage::values::{ValueInput, ValueRow};

struct Steps {
    names: Vec<&'static str>,
    samples: Vec<Vec<f64>>,
}

impl Steps {
    fn new() -> Steps {
        Steps { names: Vec::new(), samples: Vec::new() }
    }

    fn add(&mut self, name: &'static str, t0: Instant) -> Instant {
        let us = t0.elapsed().as_secs_f64() * 1e6;
        match self.names.iter().position(|n| *n == name) {
            Some(i) => self.samples[i].push(us),
            None => {
                self.names.push(name);
                self.samples.push(vec![us]);
            }
        }
        Instant::now()
    }

    fn print(&mut self, title: &str) {
        println!("\n{title}\n\n| step | mean µs | p50 µs | p99 µs |\n|---|---|---|---|");
        for (n, s) in self.names.iter().zip(self.samples.iter_mut()) {
            s.sort_by(f64::total_cmp);
            let mean = s.iter().sum::<f64>() / s.len() as f64;
            let p = |q: f64| s[((s.len() as f64 * q).ceil() as usize).clamp(1, s.len()) - 1];
            println!("| {n} | {mean:.0} | {:.0} | {:.0} |", p(0.5), p(0.99));
        }
    }
}

/// Runs `iters` writes of `values` to `unit` in `period` and prints the steps.
pub async fn anatomy(url: &str, plan: &str, token_hash: Option<&str>, unit: &str, period: &str, template: &[(String, String, f64)], iters: usize) {
    let db = Db::connect(url).await.expect("database");
    let mut steps = Steps::new();
    let (version, text) = db.plan_text(plan, None).await.expect("plan").expect("a version");
    let t = Instant::now();
    let model = yardstick_server::compute::check_plan(&db, &text).await.unwrap_or_else(|_| panic!("plan {plan} v{version} checks"));
    let roster = Arc::new(Roster::new(&model));
    println!("(plan parsed against the registry once, as the model cache does: {:.1} ms)", t.elapsed().as_secs_f64() * 1e3);
    let p = Period::parse(period).expect("period");
    for k in 0..iters {
        let values: Vec<ValueInput> = template.iter().map(|(i, f, b)| ValueInput { indicator: i.clone(), field: f.clone(), value: format!("{:.2}", b.abs() + (k % 9973 + 1) as f64 / 100.0) }).collect();
        let mut t = Instant::now();
        if let Some(h) = token_hash {
            db.token_user(h).await.expect("token");
            t = steps.add("authenticate: token_user (1 query)", t);
        }
        db.unit(unit).await.expect("unit");
        db.plan(plan).await.expect("plan");
        t = steps.add("reach_unit + plan_exists (2 queries)", t);
        db.periods(plan).await.expect("periods");
        t = steps.add("open_for_data: periods (1 query)", t);
        db.plan_versions(plan).await.expect("versions");
        t = steps.add("model cache: plan_versions (1 query)", t);
        let rows: Vec<ValueRow> = values.iter().map(|v| ValueRow { period: period.into(), subject: unit.into(), indicator: v.indicator.clone(), field: v.field.clone(), value: v.value.clone(), updated_ms: 0, updated_by: String::new() }).collect();
        let csv = yardstick_server::compute::data_csv(&rows, &[]);
        t = steps.add("check: data_csv", t);
        let loader = yardstick_formats::data::DataLoader::new(&model, roster.clone(), Some(vec![p]));
        t = steps.add("check: DataLoader::new", t);
        loader.add_csv("values", &csv);
        t = steps.add("check: add_csv", t);
        let r = loader.finish();
        assert!(r.is_ok(), "values check: {:?}", r.err());
        t = steps.add("check: finish", t);
        let changed = db.put_values(plan, period, unit, &values, "admin", 1).await.expect("put_values");
        assert!(changed > 0 || k == 0, "consecutive writes change values");
        steps.add("put_values: the transaction (writer queue, BEGIN IMMEDIATE … COMMIT)", t);
    }
    steps.print(&format!("Steps of one PUT of {} values (in-process, one at a time, {iters} times, {})", template.len(), db.backend()));

    // The transaction's statements, replayed with plain SQL (SQLite only).
    if let Db::Sqlite(pool) = &db {
        let mut steps = Steps::new();
        for k in 0..iters {
            let vals: Vec<(String, String, String)> = template.iter().map(|(i, f, b)| (i.clone(), f.clone(), format!("{:.2}", b.abs() + (k % 9973 + 1) as f64 / 100.0 + 0.001))).collect();
            let mut t = Instant::now();
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
            t = steps.add("BEGIN IMMEDIATE", t);
            let _old: Vec<(String, String, String)> = sqlx::query_as("SELECT indicator, field, value FROM data_values WHERE plan_key = $1 AND period = $2 AND subject = $3")
                .bind(plan).bind(period).bind(unit).fetch_all(&mut *tx).await.expect("old");
            t = steps.add("SELECT the unit's old values", t);
            for (i, f, v) in &vals {
                sqlx::query("INSERT INTO data_values (plan_key, period, subject, indicator, field, value, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (plan_key, period, subject, indicator, field) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by")
                    .bind(plan).bind(period).bind(unit).bind(i).bind(f).bind(v).bind(1i64).bind("admin").execute(&mut *tx).await.expect("upsert");
            }
            t = steps.add("one upsert per value (as now)", t);
            let _last: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *tx).await.expect("last");
            t = steps.add("audit: SELECT the last row", t);
            tx.commit().await.expect("commit");
            t = steps.add("COMMIT (WAL append + fsync)", t);
            // The same values in one statement.
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
            let mut q = sqlx::QueryBuilder::new("INSERT INTO data_values (plan_key, period, subject, indicator, field, value, updated_ms, updated_by) ");
            q.push_values(&vals, |mut b, (i, f, v)| {
                b.push_bind(plan).push_bind(period).push_bind(unit).push_bind(i).push_bind(f).push_bind(format!("{v}1")).push_bind(2i64).push_bind("admin");
            });
            q.push(" ON CONFLICT (plan_key, period, subject, indicator, field) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by");
            let t1 = Instant::now();
            q.build().execute(&mut *tx).await.expect("batched upsert");
            steps.add("(alternative) all values in one multi-row upsert", t1);
            tx.commit().await.expect("commit");
            let _ = t;
        }
        steps.print(&format!("The transaction's statements replayed with sqlx ({} values, {iters} times)", template.len()));
    }
    // What the writes left behind must not disturb later runs: they went to the write period.
}
