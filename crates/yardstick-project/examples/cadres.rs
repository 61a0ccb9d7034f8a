//! The country's cadres benchmark (issue 6, item 10): 7 million cadres in 300,000 units,
//! ten monthly items each, one month scored, ranked within each unit and given tiers.
//!
//! ```sh
//! cargo run --release -p yardstick-project --example cadres -- --runs 5
//! cargo run --release -p yardstick-project --example cadres -- --units 3000 --persons 70000   # smaller
//! ```
//!
//! Generates the data set in memory (the plan and subjects through the formats crate's
//! loader, one month of data through `PeriodDataBuilder`), then scores that month on a
//! fresh `Scorer` `--runs` times. Like `yardstick bench`, every timed run reports its wall
//! time, this process's CPU time and how many cores other processes kept busy meanwhile
//! (`others`, from `/proc/stat`): on a shared machine only runs with `others` ≈ 0 compare.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use yardstick_engine::{Period, PeriodResult, Roster, Scorer};
use yardstick_project::cadres::{COUNTRY_PERSONS, COUNTRY_UNITS, Cadres, TIERS, UNIT_LEVELS};
use yardstick_project::r#gen::YEAR;

#[derive(Parser, Debug)]
#[command(about = "Times one month of the cadres' everyday appraisal, in memory")]
struct Args {
    #[arg(long, default_value_t = COUNTRY_UNITS)]
    units: usize,
    #[arg(long, default_value_t = COUNTRY_PERSONS)]
    persons: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The month scored (of 2026).
    #[arg(long, default_value_t = 3)]
    month: u8,
    /// How many times the month is scored, each on a fresh `Scorer`.
    #[arg(long, default_value_t = 5)]
    runs: u32,
}

/// The one-month target of the issue.
const TARGET: Duration = Duration::from_secs(2);

fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    let kb: u64 = line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

fn mib(field: &str) -> String {
    proc_status_bytes(field).map_or_else(|| "n/a".into(), |b| format!("{:.0} MiB", b as f64 / f64::from(1u32 << 20)))
}

/// (busy ticks of the machine, ticks of this process); 100 ticks a second.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = stat.lines().next()?.strip_prefix("cpu ")?.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // user nice system idle iowait irq softirq steal.
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5).unwrap_or(&0) + v.get(6).unwrap_or(&0) + v.get(7).unwrap_or(&0);
    let own = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest: Vec<&str> = own.rsplit_once(')')?.1.split_whitespace().collect();
    Some((busy, rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?))
}

struct Timed {
    wall: Duration,
    cpu: f64,
    others: f64,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Timed) {
    let before = cpu_ticks();
    let t = Instant::now();
    let out = f();
    let wall = t.elapsed();
    let (cpu, others) = match (before, cpu_ticks()) {
        (Some((b_busy, b_own)), Some((a_busy, a_own))) => {
            let own = a_own.saturating_sub(b_own) as f64;
            let busy = a_busy.saturating_sub(b_busy) as f64;
            (own / 100.0, ((busy - own).max(0.0) / 100.0) / wall.as_secs_f64())
        }
        _ => (f64::NAN, f64::NAN),
    };
    (out, Timed { wall, cpu, others })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default()
}

fn summary(syn: &Cadres, model: &yardstick_engine::Model, r: &PeriodResult, month: u8) {
    let rows = || r.categories.iter().flat_map(|c| &c.rows);
    let mut tiers = [0usize; TIERS.len()];
    for row in rows() {
        tiers[row.grade as usize] += 1;
    }
    let exact = rows().filter(|r| r.exact_fallback).count();
    let vetoed = rows().filter(|r| r.veto.is_some()).count();
    let tied = rows().filter(|r| r.tied).count();
    let n = rows().count();
    let tier_text: Vec<String> = TIERS.iter().zip(&tiers).map(|(t, n)| format!("{t} {n}")).collect();
    println!("rows ranked: {n} in {} units (categories)", r.categories.len());
    println!("tiers: {}", tier_text.join(", "));
    println!("tied rows: {tied}; vetoed: {vetoed}; decided by the exact fallback: {exact} ({:.2} %)", 100.0 * exact as f64 / n.max(1) as f64);
    // Quotas per unit: 优秀 ≤ floor(20 % × n), 优秀 + 良好 ≤ floor(70 % × n).
    let mut full = 0usize;
    for c in &r.categories {
        let size = c.rows.len();
        let best = c.rows.iter().filter(|r| r.grade == 0).count();
        let good = c.rows.iter().filter(|r| r.grade <= 1).count();
        assert!(best <= size * 20 / 100 && good <= size * 70 / 100, "quota broken in {}", model.categories[c.category as usize].key);
        full += usize::from(best == size * 20 / 100);
    }
    println!("units whose 优秀 quota is used up: {full} of {}", r.categories.len());
    let mut levels = [0usize; UNIT_LEVELS.len()];
    for u in 0..syn.unit_count() {
        levels[usize::from(syn.unit_level(month, u))] += 1;
    }
    let level_text: Vec<String> = UNIT_LEVELS.iter().zip(&levels).map(|((n, f), k)| format!("{n} ×{f}: {k}")).collect();
    println!("units' levels (their cadres' coefficient): {}", level_text.join(", "));
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let month = Period::month(YEAR, a.month);
    println!("load average at start: {}; rayon threads: {}", load_average(), rayon::current_num_threads());
    let syn = Cadres::new(a.units, a.persons, a.seed);
    let ((plan, subjects), t) = timed(|| (syn.plan_text(), syn.subjects_csv()));
    println!(
        "plan.toml ({:.1} MB) and subjects.csv ({:.1} MB) generated as text: {:.2} s",
        plan.len() as f64 / 1e6,
        subjects.len() as f64 / 1e6,
        t.wall.as_secs_f64()
    );
    let (model, t) = timed(|| syn.load(&plan, &subjects));
    let model = model?;
    drop((plan, subjects));
    let roster = Arc::new(Roster::new(&model));
    println!(
        "loaded by load_plan: {:.2} s wall, {:.2} s CPU ({} subjects, {} categories); VmHWM {}",
        t.wall.as_secs_f64(),
        t.cpu,
        model.subjects.len(),
        model.categories.len(),
        mib("VmHWM")
    );
    let (data, t) = timed(|| syn.data(&model, &roster, a.month..a.month + 1));
    let data = data?;
    let events = data.get(month).map_or(0, |d| d.events().len());
    println!("one month of data generated in memory: {:.2} s ({events} occurrences); VmRSS {}, VmHWM {}", t.wall.as_secs_f64(), mib("VmRSS"), mib("VmHWM"));

    let mut runs = Vec::new();
    let mut last = None;
    for k in 0..a.runs {
        drop(last.take());
        let scorer = Scorer::new(&model, roster.clone(), &data);
        let (r, t) = timed(|| scorer.score(month));
        let r = r.map_err(|e| anyhow::anyhow!("{} scoring errors, the first: {:?}", e.len(), e.first()))?;
        println!("run {}: {:.3} s wall, {:.2} s CPU, others {:.2}", k + 1, t.wall.as_secs_f64(), t.cpu, t.others);
        runs.push(t);
        last = Some(r);
    }
    let r = last.expect("at least one run");
    let best = runs.iter().min_by_key(|t| t.wall).expect("at least one run");
    let mut walls: Vec<f64> = runs.iter().map(|t| t.wall.as_secs_f64()).collect();
    walls.sort_by(f64::total_cmp);
    println!(
        "score one month ({}), best of {}: {:.3} s wall ({:.2} s CPU, others {:.2}); median {:.3} s; target ≤ {} s: {}",
        month,
        runs.len(),
        best.wall.as_secs_f64(),
        best.cpu,
        best.others,
        walls[walls.len() / 2],
        TARGET.as_secs(),
        if best.wall <= TARGET { "met" } else { "NOT met" }
    );
    summary(&syn, &model, &r, a.month);

    // One explanation: a cadre with an occurrence, computed exactly.
    let subject = data.get(month).and_then(|d| d.events().first()).map_or(syn.person_subject(0), |e| e.subject);
    let scorer = Scorer::new(&model, roster.clone(), &data);
    let t = Instant::now();
    let trace = scorer.explain(month, subject).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "explain {} ({} items): {:.2} ms; total {}, coefficients {:?}, final {}",
        model.subjects[subject as usize].key,
        trace.indicators.len(),
        t.elapsed().as_secs_f64() * 1e3,
        trace.total,
        trace.coefficients,
        trace.final_value
    );
    println!("peak memory (VmHWM) of the whole run: {}; VmRSS now {}", mib("VmHWM"), mib("VmRSS"));
    println!("load average at end: {}", load_average());
    Ok(())
}
