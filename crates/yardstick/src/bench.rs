//! `yardstick bench`: generates a synthetic data set in memory and times the engine on it.
//!
//! Phases, each timed by wall clock: generating the plan and model, generating the
//! data (both reported separately, they are not part of the targets), scoring one
//! month on a fresh [`Scorer`], explaining one subject of that month, and scoring
//! the whole year (12 months, 4 quarters, 2 halves and the year) on a fresh
//! `Scorer`. Peak memory is the process's high-water mark (`VmHWM`).
//!
//! On a shared machine other processes can take a core and double a wall time, so
//! every timed run also records how many cores *other* processes used meanwhile
//! (from `/proc/stat` minus this process's own CPU time). Figures taken while others
//! were busy should not be compared with quiet ones.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use yardstick_engine::{Period, PeriodResult, Scorer};

use crate::r#gen::{Scale, Synthetic, YEAR};

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    pub scale: Scale,
    pub months: u8,
    pub seed: u64,
    /// How many times the one-month score is repeated (each on a fresh `Scorer`).
    pub runs: u32,
    /// How many times the full year is scored (each on a fresh `Scorer`).
    pub year_runs: u32,
}

/// The targets of the issue, for the country scale.
const TARGET_MONTH: Duration = Duration::from_millis(300);
const TARGET_YEAR: Duration = Duration::from_secs(3);
const TARGET_MEMORY: u64 = 2 << 30;

/// A process memory figure from `/proc/self/status` (`VmHWM`, `VmRSS`), in bytes.
pub fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    let kb: u64 = line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// CPU time in clock ticks (USER_HZ, 100 per second on Linux): busy time of the whole
/// machine and of this process.
#[derive(Clone, Copy, Debug)]
struct CpuTicks {
    machine_busy: u64,
    own: u64,
}

const TICKS_PER_SECOND: f64 = 100.0;

fn cpu_ticks() -> Option<CpuTicks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = cpu.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5).unwrap_or(&0) + v.get(6).unwrap_or(&0) + v.get(7).unwrap_or(&0);
    let own = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    let rest: Vec<&str> = own.rsplit_once(')')?.1.split_whitespace().collect();
    let own = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    Some(CpuTicks { machine_busy: busy, own })
}

/// One timed run: wall time, this process's CPU time, and the cores other processes
/// kept busy meanwhile.
#[derive(Clone, Copy, Debug)]
struct Timed {
    wall: Duration,
    cpu: Option<f64>,
    others: Option<f64>,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Timed) {
    let before = cpu_ticks();
    let t = Instant::now();
    let out = f();
    let wall = t.elapsed();
    let after = cpu_ticks();
    let (cpu, others) = match (before, after) {
        // Tick counts are coarse (10 ms); below 0.2 s the figures mean nothing.
        (Some(b), Some(a)) if wall >= Duration::from_millis(200) => {
            let busy = a.machine_busy.saturating_sub(b.machine_busy) as f64;
            let own = a.own.saturating_sub(b.own) as f64;
            (Some(own / TICKS_PER_SECOND), Some(((busy - own).max(0.0) / TICKS_PER_SECOND) / wall.as_secs_f64()))
        }
        _ => (None, None),
    };
    (out, Timed { wall, cpu, others })
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

fn bytes(b: Option<u64>) -> String {
    match b {
        None => "n/a".into(),
        Some(b) if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / f64::from(1u32 << 30)),
        Some(b) => format!("{:.0} MiB", b as f64 / f64::from(1u32 << 20)),
    }
}

fn others_text(t: &Timed) -> String {
    t.others.map_or_else(String::new, |o| format!("{o:.2}"))
}

fn cpu_text(t: &Timed) -> String {
    t.cpu.map_or_else(String::new, |c| format!("{c:.2} s"))
}

#[derive(Default)]
struct Line {
    phase: String,
    time: String,
    cpu: String,
    others: String,
    memory: String,
    target: String,
    met: String,
}

fn verdict(applies: bool, ok: bool) -> String {
    match (applies, ok) {
        (false, _) => String::new(),
        (true, true) => "yes".into(),
        (true, false) => "NO".into(),
    }
}

fn rows_of(r: &PeriodResult) -> usize {
    r.categories.iter().map(|c| c.rows.len()).sum()
}

/// Rows, grades, vetoes, demotions and exact fallbacks of a result.
fn summary(model: &yardstick_engine::Model, r: &PeriodResult) -> String {
    let rows = || r.categories.iter().flat_map(|c| &c.rows);
    let exact = rows().filter(|r| r.exact_fallback).count();
    let vetoed = rows().filter(|r| r.veto.is_some()).count();
    let demoted = rows().filter(|r| r.demoted > 0).count();
    let set = &model.grade_sets[0];
    let mut grades = vec![0usize; set.grades.len()];
    for row in rows() {
        grades[row.grade as usize] += 1;
    }
    let grade_text: Vec<String> = set.grades.iter().zip(&grades).map(|(g, n)| format!("{} {n}", g.name)).collect();
    format!(
        "{} rows ranked; {}; {vetoed} vetoed, {demoted} demoted, {exact} decided by the exact fallback",
        rows_of(r),
        grade_text.join(", ")
    )
}

/// The best run (shortest wall time), a median line if there were several.
fn best_and_median(name: String, runs: &[Timed], memory: String, target: Option<Duration>) -> Vec<Line> {
    let best = runs.iter().min_by_key(|t| t.wall).copied().expect("at least one run");
    let mut lines = vec![Line {
        phase: if runs.len() > 1 { format!("{name}, best of {}", runs.len()) } else { name },
        time: secs(best.wall),
        cpu: cpu_text(&best),
        others: others_text(&best),
        memory,
        target: target.map_or_else(String::new, |t| format!("≤ {}", secs(t))),
        met: target.map_or_else(String::new, |t| verdict(true, best.wall <= t)),
    }];
    if runs.len() > 1 {
        let mut sorted: Vec<Duration> = runs.iter().map(|t| t.wall).collect();
        sorted.sort();
        let all: Vec<String> = runs.iter().map(|t| format!("{} [{}]", secs(t.wall), others_text(t))).collect();
        lines.push(Line { phase: format!("  median; all runs [others]: {}", all.join(", ")), time: secs(sorted[sorted.len() / 2]), ..Line::default() });
    }
    lines
}

/// Runs the benchmark and returns the report. Progress goes to stderr.
pub fn run(o: &Options) -> anyhow::Result<String> {
    if o.runs == 0 || o.year_runs == 0 {
        bail!("--runs and --year-runs must be at least 1");
    }
    let country = o.scale == Scale::Country;
    let mut lines: Vec<Line> = Vec::new();
    let hwm = || bytes(proc_status_bytes("VmHWM"));

    eprintln!("generating the {} data set in memory ({} months)…", o.scale.key(), o.months);
    let (built, t) = timed(|| -> anyhow::Result<_> {
        let syn = Synthetic::new(o.scale, o.seed, o.months);
        let model = syn.model()?;
        let roster = std::sync::Arc::new(yardstick_engine::Roster::new(&model));
        Ok((syn, model, roster))
    });
    let (syn, model, roster) = built?;
    let model_time = t.wall;
    lines.push(Line { phase: "generate plan + subjects, parse them (load_plan)".into(), time: secs(t.wall), cpu: cpu_text(&t), others: others_text(&t), memory: hwm(), ..Line::default() });
    let (data, t) = timed(|| syn.data(&model, &roster));
    let data = data?;
    let data_time = t.wall;
    lines.push(Line { phase: format!("generate {} month(s) of data in memory", o.months), time: secs(t.wall), cpu: cpu_text(&t), others: others_text(&t), memory: hwm(), ..Line::default() });
    let data_memory = proc_status_bytes("VmRSS");
    let (units, categories) = (syn.unit_count(), syn.category_count());
    // Only the model and the data stay in memory for the timed phases.
    drop(syn);

    // One month, on a fresh scorer each time.
    let month = Period::month(YEAR, o.months.min(3));
    eprintln!("scoring {month} ({} run(s))…", o.runs);
    let mut runs = Vec::new();
    let mut month_summary = String::new();
    for _ in 0..o.runs {
        let scorer = Scorer::new(&model, roster.clone(), &data);
        let (r, t) = timed(|| scorer.score(month));
        let r = r.map_err(|e| anyhow!("scoring {month} failed: {} errors, first {:?}", e.len(), e.first()))?;
        runs.push(t);
        month_summary = summary(&model, &r);
    }
    lines.extend(best_and_median(format!("score, rank, grade {month} (fresh Scorer)"), &runs, hwm(), country.then_some(TARGET_MONTH)));

    // One explanation on demand, after the month is scored: a subject with occurrences if any.
    let period_data = data.get(month).ok_or_else(|| anyhow!("no data for {month}"))?;
    let subject = period_data.events().first().map_or(1 + units as u32 / 2, |e| e.subject);
    let scorer = Scorer::new(&model, roster.clone(), &data);
    scorer.score(month).map_err(|e| anyhow!("scoring {month} failed: {:?}", e.first()))?;
    let mut explain_best = Duration::MAX;
    let mut steps = 0;
    for _ in 0..o.runs.max(3) {
        let t = Instant::now();
        let trace = scorer.explain(month, subject).map_err(|e| anyhow!("explaining failed: {:?}", e.first()))?;
        explain_best = explain_best.min(t.elapsed());
        steps = trace.indicators.iter().map(|i| i.steps.len()).sum::<usize>();
    }
    drop(scorer);
    let indicators = model.subjects[subject as usize].category.map_or(0, |c| period_data.layout.indicators[c as usize].len());
    lines.push(Line {
        phase: format!("explain {} in {month} ({indicators} indicators, {steps} steps), best of {}", model.subjects[subject as usize].key, o.runs.max(3)),
        time: secs(explain_best),
        memory: hwm(),
        ..Line::default()
    });

    // The whole year, on a fresh scorer each time.
    let mut year_summary = None;
    if o.months == 12 {
        eprintln!("scoring {YEAR} (12 months, 4 quarters, 2 halves, the year; {} run(s))…", o.year_runs);
        let mut runs = Vec::new();
        for _ in 0..o.year_runs {
            let scorer = Scorer::new(&model, roster.clone(), &data);
            let (r, t) = timed(|| scorer.score(Period::year(YEAR)));
            let r = r.map_err(|e| anyhow!("scoring {YEAR} failed: {} errors, first {:?}", e.len(), e.first()))?;
            runs.push(t);
            year_summary = Some(summary(&model, &r));
            // Free this run's results (months, quarters, halves, year) before the next.
            drop(r);
            drop(scorer);
        }
        lines.extend(best_and_median(
            format!("score {YEAR}: 12 months + 4 quarters + 2 halves + year (fresh Scorer)"),
            &runs,
            hwm(),
            country.then_some(TARGET_YEAR),
        ));
    } else {
        lines.push(Line { phase: format!("score {YEAR} (skipped: needs --months 12)"), time: "—".into(), ..Line::default() });
    }
    let peak = proc_status_bytes("VmHWM");
    lines.push(Line {
        phase: "peak memory of the whole run (VmHWM)".into(),
        memory: bytes(peak),
        target: if country { "≤ 2.00 GiB".into() } else { String::new() },
        met: verdict(country && peak.is_some(), peak.is_some_and(|p| p <= TARGET_MEMORY)),
        ..Line::default()
    });

    // The report.
    let (weighted, events) = Synthetic::indicator_counts();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "yardstick bench — scale {}: {units} units in {categories} categories, {weighted} weighted + {events} occurrence indicators per category, {} month(s), seed {}",
        o.scale.key(),
        o.months,
        o.seed
    );
    let _ = writeln!(
        out,
        "threads: {} (rayon), cpus: {}, build: {}",
        rayon::current_num_threads(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if cfg!(debug_assertions) { "DEBUG (numbers are meaningless; use --release)" } else { "release" }
    );
    let _ = writeln!(out, "cpu = this process's CPU time; others = cores kept busy by other processes meanwhile (0 = quiet machine)");
    let _ = writeln!(out);
    let w = lines.iter().map(|l| l.phase.chars().count()).max().unwrap_or(0).max(5);
    let _ = writeln!(out, "{:<w$}  {:>10}  {:>8}  {:>6}  {:>9}  {:>10}  met", "phase", "wall time", "cpu", "others", "VmHWM", "target");
    let _ = writeln!(out, "{}", "-".repeat(w + 2 + 10 + 2 + 8 + 2 + 6 + 2 + 9 + 2 + 10 + 5));
    for l in &lines {
        let _ = writeln!(out, "{:<w$}  {:>10}  {:>8}  {:>6}  {:>9}  {:>10}  {}", l.phase, l.time, l.cpu, l.others, l.memory, l.target, l.met);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{month}: {month_summary}");
    if let Some(y) = year_summary {
        let _ = writeln!(out, "{YEAR}: {y}");
    }
    let _ = writeln!(
        out,
        "memory after generating the data: VmRSS {} (generation itself: {} + {})",
        bytes(data_memory),
        secs(model_time),
        secs(data_time)
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc() {
        assert!(proc_status_bytes("VmHWM").is_some_and(|b| b > 0));
        let t = cpu_ticks().expect("/proc/stat and /proc/self/stat are readable");
        assert!(t.machine_busy > 0);
    }

    #[test]
    fn county_bench_runs() {
        let report = run(&Options { scale: Scale::County, months: 12, seed: 1, runs: 2, year_runs: 1 }).unwrap();
        assert!(report.contains("score 2026: 12 months"), "{report}");
        assert!(report.contains("90 rows ranked"), "{report}");
    }
}
