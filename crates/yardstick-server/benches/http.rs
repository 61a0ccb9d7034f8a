//! The HTTP load generator: starts the release `yardstick serve --demo` on a fresh SQLite
//! file or PostgreSQL database, then drives it over N keep-alive connections and reports
//! latency percentiles, throughput and CPU use per scenario.
//!
//! ```sh
//! cargo bench -p yardstick-server --bench http -- --scale county --db sqlite
//! cargo bench -p yardstick-server --bench http -- --help
//! ```
//!
//! Scenarios (run one after the other on the same server):
//!
//! * `results-api` — `GET /api/v1/plans/P/periods/2026-03/results?category=C` (P: the demo's
//!   plan, `demo-2026` or `demo-province-2026`)
//!   (an API token; the categories in turn; one page of up to 100 rows);
//! * `ranking-page` — the web UI's results page `/results?plan=…&period=…&category=C`
//!   (a browser session);
//! * `dashboard` — the UI's home page `/` (a browser session);
//! * `rankings-xlsx` — `GET …/periods/2026-03/exports/rankings.xlsx`: every category's
//!   ranking as one Excel workbook (a province: 10,000 rows; run it with `--connections 1`);
//! * `write-N` — `PUT …/periods/2026-12/units/U/values` with N values of one unit (a
//!   reporter submitting the unit's month; every value new), each connection its own unit;
//! * `get:PATH` — any GET with the API token;
//! * `rush` — the deadline rush: every unit writes its `--values` values, uploads a 16 KB
//!   evidence file and submits, over the connections, once (see `rush.rs`); then checks
//!   that nothing was lost.
//!
//! Closed loop by default: each connection sends its next request as soon as the previous
//! one is answered, so N connections keep N requests in flight and the latency is what
//! the server needs at saturation (Little's law: mean latency = N / throughput). With
//! `--rate R` the load is open: R requests per second over all connections, each on a fixed
//! schedule, and latency counts from the scheduled moment (no coordinated omission).
//!
//! The generator runs on the same machine as the server (and PostgreSQL): the CPU columns
//! say who used the cores.

#[path = "support/mod.rs"]
mod support;
mod anatomy;
mod exports;
mod rush;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Conn, Server};

const HELP: &str = "\
yardstick HTTP load generator

cargo bench -p yardstick-server --bench http -- [OPTIONS]

  --scale county|province   demo data set the server loads (default county)
  --db sqlite|postgres      database (default sqlite; postgres: a fresh database on
                            YARDSTICK_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test)
  --scenarios LIST          comma-separated, in order (default
                            results-api,ranking-page,write-40,write-1):
                            results-api, ranking-page, dashboard, rankings-xlsx,
                            write-N, get:PATH,
                            rush (every unit: values, one file, submission; checked)
  --connections N           concurrent keep-alive connections (default 500)
  --duration S              measured seconds per scenario (default 15)
  --warmup S                unmeasured seconds before each scenario (default 3)
  --rate R                  open load: R requests/s in all (default: closed loop)
  --period P                period read (default 2026-03)
  --write-period P          period written, opened if needed (default 2026-12)
  --reuse DIR|URL           a database that already holds the demo (no --demo)
  --keep                    keep the database after the run
  --server ADDR             use a server already running at ADDR (demo users)
  --json FILE               also append each result as a JSON line to FILE
  --anatomy N               first time each step of a write of --values values, N times,
                            in-process on the same database (no HTTP, no contention)
  --values N                values per request for --anatomy (default 40)
  --reader USER             the demo user who reads (default viewer; writes: admin)
  --exports N               instead of the above: time the Excel export of a month's
                            rankings of N units (10000: a province), in-process on a
                            fresh --db with a synthetic published result set
  --iters N                 timed exports for --exports (default 5, after one warm-up)
";

#[derive(Clone, Debug)]
struct Opts {
    scale: String,
    db: String,
    scenarios: Vec<String>,
    connections: usize,
    duration: f64,
    warmup: f64,
    rate: Option<f64>,
    period: String,
    write_period: String,
    reuse: Option<String>,
    keep: bool,
    server: Option<SocketAddr>,
    json: Option<PathBuf>,
    anatomy: usize,
    values: usize,
    reader: String,
    exports: usize,
    iters: usize,
}

fn opts() -> Opts {
    let mut o = Opts {
        scale: "county".into(),
        db: "sqlite".into(),
        scenarios: ["results-api", "ranking-page", "write-40", "write-1"].map(String::from).to_vec(),
        connections: 500,
        duration: 15.0,
        warmup: 3.0,
        rate: None,
        period: "2026-03".into(),
        write_period: "2026-12".into(),
        reuse: None,
        keep: false,
        server: None,
        json: None,
        anatomy: 0,
        values: 40,
        reader: "viewer".into(),
        exports: 0,
        iters: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--bench" => {}
            "--help" | "-h" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--scale" => o.scale = val(),
            "--db" => o.db = val(),
            "--scenarios" => o.scenarios = val().split(',').map(String::from).collect(),
            "--connections" => o.connections = val().parse().expect("--connections N"),
            "--duration" => o.duration = val().parse().expect("--duration S"),
            "--warmup" => o.warmup = val().parse().expect("--warmup S"),
            "--rate" => o.rate = Some(val().parse().expect("--rate R")),
            "--period" => o.period = val(),
            "--write-period" => o.write_period = val(),
            "--reuse" => o.reuse = Some(val()),
            "--keep" => o.keep = true,
            "--server" => o.server = Some(val().parse().expect("--server ADDR")),
            "--json" => o.json = Some(val().into()),
            "--anatomy" => o.anatomy = val().parse().expect("--anatomy N"),
            "--values" => o.values = val().parse().expect("--values N"),
            "--reader" => o.reader = val(),
            "--exports" => o.exports = val().parse().expect("--exports N"),
            "--iters" => o.iters = val().parse().expect("--iters N"),
            other => panic!("unknown option {other} (see --help)"),
        }
    }
    assert!(matches!(o.scale.as_str(), "county" | "province"), "--scale county|province");
    assert!(matches!(o.db.as_str(), "sqlite" | "postgres"), "--db sqlite|postgres");
    o
}

// ---------------------------------------------------------------------------
// CPU accounting from /proc.

fn clk_tck() -> f64 {
    100.0
}

/// utime + stime of a process, in seconds.
fn proc_cpu(pid: u32) -> f64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    let after = s.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / clk_tck()
}

/// CPU seconds of every process named `postgres`.
fn postgres_cpu() -> f64 {
    let mut sum = 0.0;
    if let Ok(d) = std::fs::read_dir("/proc") {
        for e in d.flatten() {
            let name = e.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            if std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres") {
                sum += proc_cpu(pid);
            }
        }
    }
    sum
}

/// Busy CPU seconds of the whole machine.
fn machine_busy() -> f64 {
    let s = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = s.lines().next().unwrap_or("");
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal
    let busy: f64 = v.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4).take(8).map(|(_, x)| x).sum();
    busy / clk_tck()
}

#[derive(Clone, Copy, Default)]
struct Cpu {
    server: f64,
    generator: f64,
    postgres: f64,
    machine: f64,
}

fn cpu_now(server_pid: Option<u32>) -> Cpu {
    Cpu { server: server_pid.map_or(0.0, proc_cpu), generator: proc_cpu(std::process::id()), postgres: postgres_cpu(), machine: machine_busy() }
}

// ---------------------------------------------------------------------------
// The world the scenarios need.

struct World {
    addr: SocketAddr,
    plan: String,
    /// The administrator's API token (writes).
    token: String,
    /// The reader's API token and session cookie.
    read_token: String,
    cookie: String,
    categories: Vec<String>,
    /// Per unit (in registry order): its key and the values a reporter sends (indicator, field, base value).
    units: Vec<String>,
    templates: std::collections::HashMap<String, Vec<(String, String, f64)>>,
    unit_category: Vec<String>,
}

async fn world(addr: SocketAddr, o: &Opts, needs_writes: bool) -> World {
    // Writes as the office's administrator (any unit); reads as --reader (default: a
    // county leader, who reads every category's ranking).
    let token = support::api_token(addr, "admin", "yardstick-demo").await;
    let read_token = support::api_token(addr, &o.reader, "yardstick-demo").await;
    let (cookie, _csrf) = support::sign_in(addr, &o.reader, "yardstick-demo").await;
    let mut c = Conn::new(addr);
    let r = c.json("GET", "/api/v1/plans", Some(&token), None).await.expect("plans");
    assert!(r.ok(), "plans: {}", r.text());
    let plan = r.json().as_array().and_then(|a| a.first()).and_then(|p| p["key"].as_str()).expect("the demo's plan").to_string();
    let r = c.json("GET", "/api/v1/categories", Some(&token), None).await.expect("categories");
    assert!(r.ok(), "categories: {}", r.text());
    let categories: Vec<String> = r.json().as_array().expect("a list").iter().map(|c| c["key"].as_str().unwrap().to_string()).collect();
    let mut units = Vec::new();
    let mut unit_category = Vec::new();
    for page in 1.. {
        let r = c.json("GET", &format!("/api/v1/units?per_page=1000&page={page}"), Some(&token), None).await.expect("units");
        assert!(r.ok(), "units: {}", r.text());
        let j = r.json();
        let items = j["items"].as_array().expect("items").clone();
        if items.is_empty() {
            break;
        }
        for u in items {
            if u["active"].as_bool() == Some(true) {
                if let Some(cat) = u["category"].as_str() {
                    units.push(u["key"].as_str().unwrap().to_string());
                    unit_category.push(cat.to_string());
                }
            }
        }
    }
    let mut templates = std::collections::HashMap::new();
    if needs_writes {
        let r = c.json("POST", &format!("/api/v1/plans/{plan}/periods"), Some(&token), Some(&json!({ "period": o.write_period }))).await.expect("open period");
        assert!(r.ok() || r.status == 409, "opening {}: HTTP {} {}", o.write_period, r.status, r.text());
        // Units of a category report the same indicators: one template per category.
        for (u, cat) in units.iter().zip(&unit_category) {
            if templates.contains_key(cat) {
                continue;
            }
            let r = c.json("GET", &format!("/api/v1/plans/{plan}/periods/{}/units/{u}/values", o.period), Some(&token), None).await.expect("values");
            assert!(r.ok(), "values of {u}: {}", r.text());
            let t: Vec<(String, String, f64)> = r.json()["values"]
                .as_array()
                .expect("values")
                .iter()
                .filter(|v| matches!(v["field"].as_str(), Some("actual" | "target" | "growth" | "target_growth")))
                .filter_map(|v| Some((v["indicator"].as_str()?.to_string(), v["field"].as_str()?.to_string(), v["value"].as_str()?.parse().ok()?)))
                .collect();
            templates.insert(cat.clone(), t);
        }
    }
    World { addr, plan, token, read_token, cookie, categories, units, templates, unit_category }
}

// ---------------------------------------------------------------------------
// Running a scenario.

#[derive(Default)]
struct Tally {
    lat_us: Vec<u32>,
    ok: u64,
    values: u64,
    changed: u64,
    non_2xx: std::collections::BTreeMap<u16, u64>,
    io_errors: u64,
    reconnects: u64,
    bytes: u64,
    first_error: Option<String>,
}

/// The request a connection sends next.
fn next_request(w: &World, scenario: &str, o: &Opts, conn: usize, k: u64, counter: &AtomicU64) -> (Vec<u8>, usize) {
    let cat = |i: u64| &w.categories[(conn as u64 + i) as usize % w.categories.len()];
    match scenario {
        "results-api" => {
            let path = format!("/api/v1/plans/{}/periods/{}/results?category={}", w.plan, o.period, cat(k));
            (Conn::build("GET", &path, &[("Authorization", &format!("Bearer {}", w.read_token)), ("Accept", "application/json")], None), 0)
        }
        "ranking-page" => {
            let path = format!("/results?plan={}&period={}&category={}", w.plan, o.period, cat(k));
            (Conn::build("GET", &path, &[("Cookie", &w.cookie), ("Accept", "text/html")], None), 0)
        }
        "dashboard" => (Conn::build("GET", "/", &[("Cookie", &w.cookie), ("Accept", "text/html")], None), 0),
        // Every category's ranking of the period as one Excel workbook (issue 5: ≤ 5 s for a province).
        "rankings-xlsx" => {
            let path = format!("/api/v1/plans/{}/periods/{}/exports/rankings.xlsx", w.plan, o.period);
            (Conn::build("GET", &path, &[("Authorization", &format!("Bearer {}", w.read_token))], None), 0)
        }
        s if s.starts_with("get:") => (Conn::build("GET", &s[4..], &[("Authorization", &format!("Bearer {}", w.read_token))], None), 0),
        s if s.starts_with("write-") => {
            let n: usize = s[6..].parse().expect("write-N");
            let i = conn % w.units.len();
            let unit = &w.units[i];
            let t = &w.templates[&w.unit_category[i]];
            let c = counter.fetch_add(1, Ordering::Relaxed);
            // A new value for every field in every request: base + a step that never repeats
            // between consecutive requests.
            let step = (c % 9973 + 1) as f64 / 100.0;
            let values: Vec<_> = t.iter().take(n).map(|(ind, f, base)| json!({ "indicator": ind, "field": f, "value": format!("{:.2}", base.abs() + step) })).collect();
            let body = json!({ "values": values }).to_string();
            let path = format!("/api/v1/plans/{}/periods/{}/units/{unit}/values", w.plan, o.write_period);
            (Conn::build("PUT", &path, &[("Authorization", &format!("Bearer {}", w.token)), ("Content-Type", "application/json")], Some(body.as_bytes())), values.len())
        }
        other => panic!("unknown scenario {other}"),
    }
}

struct Outcome {
    scenario: String,
    tally: Tally,
    secs: f64,
    cpu: Cpu,
}

async fn run(w: Arc<World>, o: &Opts, scenario: &str, server_pid: Option<u32>) -> Outcome {
    let n = o.connections;
    let t_start = Instant::now() + Duration::from_millis(200);
    let measure_from = t_start + Duration::from_secs_f64(o.warmup);
    let end = measure_from + Duration::from_secs_f64(o.duration);
    let counter = Arc::new(AtomicU64::new(std::process::id() as u64 * 7919));
    // CPU use over exactly the measured window.
    let cpu_window = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        let a = cpu_now(server_pid);
        tokio::time::sleep_until(end.into()).await;
        let b = cpu_now(server_pid);
        Cpu { server: b.server - a.server, generator: b.generator - a.generator, postgres: b.postgres - a.postgres, machine: b.machine - a.machine }
    });
    let mut tasks = Vec::with_capacity(n);
    for conn in 0..n {
        let w = w.clone();
        let o = o.clone();
        let scenario = scenario.to_string();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            let mut c = Conn::new(w.addr);
            let interval = o.rate.map(|r| Duration::from_secs_f64(n as f64 / r));
            // Spread the first requests over one interval (open load) or 200 ms (closed).
            let offset = match interval {
                Some(i) => i.mul_f64(conn as f64 / n as f64),
                None => Duration::from_millis(200).mul_f64(conn as f64 / n as f64),
            };
            let mut scheduled = t_start + offset;
            let mut k = 0u64;
            loop {
                if interval.is_some() || k == 0 {
                    tokio::time::sleep_until(scheduled.into()).await;
                }
                let sent = if interval.is_some() { scheduled } else { Instant::now() };
                if sent >= end {
                    break;
                }
                let (req, nvalues) = next_request(&w, &scenario, &o, conn, k, &counter);
                let r = c.send(&req).await;
                let done = Instant::now();
                // Latency: every request sent in the window, however late its answer.
                // Throughput: answers that arrived in the window.
                let measured = sent >= measure_from;
                let counted = done >= measure_from && done <= end;
                match r {
                    Ok(resp) => {
                        if counted && resp.ok() {
                            t.ok += 1;
                            t.values += nvalues as u64;
                        }
                        if measured {
                            t.bytes += resp.body.len() as u64;
                            if resp.ok() {
                                t.lat_us.push(done.duration_since(sent).as_micros().min(u32::MAX as u128) as u32);
                                if nvalues > 0 {
                                    t.changed += resp.json()["changed"].as_u64().unwrap_or(0);
                                }
                            } else {
                                *t.non_2xx.entry(resp.status).or_default() += 1;
                                if t.first_error.is_none() {
                                    t.first_error = Some(format!("HTTP {} {}", resp.status, resp.text().chars().take(300).collect::<String>()));
                                }
                            }
                        }
                    }
                    Err(e) => {
                        if measured {
                            t.io_errors += 1;
                            if t.first_error.is_none() {
                                t.first_error = Some(e.to_string());
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                k += 1;
                if let Some(i) = interval {
                    scheduled += i;
                }
            }
            t.reconnects = c.opened.saturating_sub(1);
            t
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.expect("connection task");
        all.lat_us.extend(t.lat_us);
        all.ok += t.ok;
        all.values += t.values;
        all.changed += t.changed;
        for (s, c) in t.non_2xx {
            *all.non_2xx.entry(s).or_default() += c;
        }
        all.io_errors += t.io_errors;
        all.reconnects += t.reconnects;
        all.bytes += t.bytes;
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
    }
    let secs = o.duration;
    let cpu = cpu_window.await.expect("cpu sampler");
    all.lat_us.sort_unstable();
    Outcome { scenario: scenario.to_string(), tally: all, secs, cpu }
}

fn pct(v: &[u32], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i] as f64 / 1000.0
}

fn report(o: &Opts, out: &Outcome, label: &str) -> serde_json::Value {
    let t = &out.tally;
    let wall = out.secs + 0.0;
    let rps = t.ok as f64 / out.secs;
    let mean = if t.lat_us.is_empty() { f64::NAN } else { t.lat_us.iter().map(|&x| x as f64).sum::<f64>() / t.lat_us.len() as f64 / 1000.0 };
    let others = (out.cpu.machine - out.cpu.server - out.cpu.generator - out.cpu.postgres).max(0.0);
    let load = match o.rate {
        Some(r) => format!("open {r:.0}/s"),
        None => "closed".into(),
    };
    println!(
        "| {label} | {} | {} conns, {load} | {:.0} req/s{} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} / {:.2} / {:.2} / {:.2} | {} |",
        out.scenario,
        o.connections,
        rps,
        if t.values > 0 { format!(" = {:.0} values/s", t.values as f64 / out.secs) } else { String::new() },
        pct(&t.lat_us, 0.50),
        pct(&t.lat_us, 0.90),
        pct(&t.lat_us, 0.99),
        pct(&t.lat_us, 0.999),
        t.lat_us.last().map_or(f64::NAN, |&x| x as f64 / 1000.0),
        out.cpu.server / wall,
        out.cpu.postgres / wall,
        out.cpu.generator / wall,
        others / wall,
        if t.non_2xx.is_empty() && t.io_errors == 0 { "none".to_string() } else { format!("{:?} io {} ({})", t.non_2xx, t.io_errors, t.first_error.clone().unwrap_or_default()) },
    );
    eprintln!(
        "    {} answered in {:.1} s ({} measured), mean {mean:.1} ms, server CPU {:.2} ms per request, {:.1} MB received, {} reconnects{}",
        t.ok,
        out.secs,
        t.lat_us.len(),
        out.cpu.server * 1000.0 / t.ok.max(1) as f64,
        t.bytes as f64 / 1e6,
        t.reconnects,
        if t.values > 0 { format!(", {} values sent, {} changed", t.values, t.changed) } else { String::new() }
    );
    json!({
        "label": label, "scenario": out.scenario, "connections": o.connections, "rate": o.rate, "seconds": out.secs,
        "ok": t.ok, "rps": rps, "values_per_s": t.values as f64 / out.secs, "changed": t.changed,
        "p50_ms": pct(&t.lat_us, 0.5), "p90_ms": pct(&t.lat_us, 0.9), "p99_ms": pct(&t.lat_us, 0.99), "p999_ms": pct(&t.lat_us, 0.999),
        "max_ms": t.lat_us.last().map(|&x| x as f64 / 1000.0), "mean_ms": mean,
        "cpu_server": out.cpu.server / wall, "server_cpu_ms_per_req": out.cpu.server * 1000.0 / t.ok.max(1) as f64, "cpu_postgres": out.cpu.postgres / wall, "cpu_generator": out.cpu.generator / wall, "cpu_others": others / wall,
        "non_2xx": format!("{:?}", t.non_2xx), "io_errors": t.io_errors,
    })
}

// ---------------------------------------------------------------------------

struct Database {
    /// Arguments for `yardstick serve`.
    args: Vec<String>,
    /// The database's URL, for in-process measurements.
    url: String,
    cwd: PathBuf,
    cleanup: Option<Box<dyn FnOnce()>>,
    fresh: bool,
}

fn database(o: &Opts) -> Database {
    let tag = format!("{}_{}", o.scale, std::process::id());
    let cwd = std::env::temp_dir().join(format!("ys-bench-{tag}"));
    std::fs::create_dir_all(&cwd).expect("a temp folder");
    match (o.db.as_str(), &o.reuse) {
        ("sqlite", Some(dir)) => Database { args: vec!["--data-dir".into(), dir.clone()], url: format!("sqlite://{dir}/yardstick.db"), cwd, cleanup: None, fresh: false },
        ("sqlite", None) => {
            let dir = cwd.join("data");
            let keep = o.keep;
            let d2 = cwd.clone();
            Database {
                args: vec!["--data-dir".into(), dir.display().to_string()],
                url: format!("sqlite://{}", dir.join("yardstick.db").display()),
                cwd,
                cleanup: Some(Box::new(move || {
                    if keep {
                        eprintln!("kept {}", d2.display());
                    } else {
                        let _ = std::fs::remove_dir_all(&d2);
                    }
                })),
                fresh: true,
            }
        }
        ("postgres", Some(url)) => Database { args: vec!["--database-url".into(), url.clone()], url: url.clone(), cwd, cleanup: None, fresh: false },
        _ => {
            let base = std::env::var("YARDSTICK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let name = format!("ys_bench_{tag}");
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut c = pg_connect(&base).await.unwrap_or_else(|e| panic!("PostgreSQL at {base}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await.expect("create database");
            });
            let url = {
                let (head, query) = base.split_once('?').map_or((base.as_str(), None), |(h, q)| (h, Some(q)));
                let root = head.rsplit_once('/').map_or(head, |x| x.0);
                format!("{root}/{name}{}", query.map(|q| format!("?{q}")).unwrap_or_default())
            };
            let keep = o.keep;
            let u2 = url.clone();
            Database {
                args: vec!["--database-url".into(), url.clone()],
                url,
                cwd: cwd.clone(),
                cleanup: Some(Box::new(move || {
                    let _ = std::fs::remove_dir_all(&cwd);
                    if keep {
                        eprintln!("kept {u2}");
                        return;
                    }
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        if let Ok(mut c) = pg_connect(&base).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut c).await;
                        }
                    });
                })),
                fresh: true,
            }
        }
    }
}

async fn pg_connect(base: &str) -> Result<sqlx::PgConnection, sqlx::Error> {
    use sqlx::ConnectOptions;
    sqlx::postgres::PgConnectOptions::from_str(base)?.connect().await
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).unwrap_or("?").trim().to_string();
    let cores = cpu.lines().filter(|l| l.starts_with("processor")).count();
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb: f64 = mem.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    format!("{cores} × {model}, {:.0} GiB", kb / 1024.0 / 1024.0)
}

fn main() {
    let o = opts();
    if o.exports > 0 {
        exports::run(&o.db, o.exports, o.iters);
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut server = None;
    let mut db = None;
    let addr = match o.server {
        Some(a) => a,
        None => {
            let bin = support::yardstick_binary(true);
            let d = database(&o);
            let mut args: Vec<String> = d.args.clone();
            if d.fresh {
                args.extend(["--demo".into(), "--demo-scale".into(), o.scale.clone()]);
            }
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            eprintln!("starting {} serve {}", bin.display(), a.join(" "));
            let t0 = Instant::now();
            let s = Server::start(&bin, &d.cwd, &a, Duration::from_secs(3600));
            eprintln!("listening on {} after {:.1} s (demo load included)\n{}", s.addr, t0.elapsed().as_secs_f64(), s.output().trim_end());
            let addr = s.addr;
            server = Some(s);
            db = Some(d);
            addr
        }
    };
    let pid = server.as_ref().map(Server::pid);
    let needs_writes = o.scenarios.iter().any(|s| s.starts_with("write-") || s == "rush");
    let w = Arc::new(rt.block_on(world(addr, &o, needs_writes)));
    if o.anatomy > 0 {
        let d = db.as_ref().expect("--anatomy needs the database the bench started");
        let cat = &w.unit_category[0];
        let template: Vec<_> = w.templates.get(cat).expect("--anatomy needs a write-N scenario").iter().take(o.values).cloned().collect();
        let hash = yardstick_server::auth::hash_token(&w.token);
        rt.block_on(anatomy::anatomy(&d.url, &w.plan, Some(&hash), &w.units[0], &o.write_period, &template, o.anatomy));
    }
    let label = format!("{} {}", o.scale, o.db);
    eprintln!("{}; {} categories, {} units; {label}", machine(), w.categories.len(), w.units.len());
    let mut header = false;
    for sc in &o.scenarios {
        if sc == "rush" {
            rt.block_on(rush::rush(w.clone(), &o));
            continue;
        }
        if !header {
            println!("| data, db | scenario | load | throughput | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | CPU cores: server / postgres / generator / others | errors |");
            println!("|---|---|---|---|---|---|---|---|---|---|---|");
            header = true;
        }
        let out = rt.block_on(run(w.clone(), &o, sc, pid));
        let j = report(&o, &out, &label);
        if let Some(f) = &o.json {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(f).expect("--json file");
            let _ = writeln!(file, "{j}");
        }
    }
    if let Some(mut s) = server {
        let out = s.output();
        if out.to_lowercase().contains("panic") {
            eprintln!("the server panicked:\n{out}");
        }
        s.kill9();
    }
    if let Some(d) = db {
        if let Some(c) = d.cleanup {
            c();
        }
    }
}
