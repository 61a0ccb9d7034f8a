//! Prints a digest of every published row of a synthetic data set's period, so that two
//! builds of the engine can be compared at full scale ("faster without changing results").
//!
//! ```sh
//! cargo run --release -p yardstick-project --example digest -- country     # March and Q1
//! cargo run --release -p yardstick-project --example digest -- cadres      # March
//! ```
//!
//! It also prints the best wall time of five fresh scorings of the month, as a rough
//! comparison of two builds run one after the other (use `yardstick bench` or the `cadres`
//! example for figures).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use yardstick_engine::{Period, PeriodResult, Roster, Scorer};
use yardstick_project::cadres::Cadres;
use yardstick_project::r#gen::{Scale, YEAR, in_memory};

/// FNV-1a, so that the digest does not depend on the standard library's hasher.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn digest(r: &PeriodResult) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    let (mut rows, mut exact) = (0usize, 0usize);
    for c in &r.categories {
        (c.category, c.size, &c.quota_limits).hash(&mut h);
        for row in &c.rows {
            (row.subject, row.cents, row.extra_cents, row.rank, row.original_rank, row.tied, row.grade).hash(&mut h);
            format!("{:?}", row.reason).hash(&mut h);
            (row.veto.as_ref().map(|v| format!("{v:?}")), row.demoted, &row.flags).hash(&mut h);
            row.exact_fallback.hash(&mut h);
            rows += 1;
            exact += usize::from(row.exact_fallback);
        }
    }
    format!("{}: {rows} rows, {exact} exact, digest {:016x}", r.period, h.finish())
}

/// The best wall time of five scorings of `p`, each on a fresh scorer.
fn best_of_five(model: &yardstick_engine::Model, roster: &Arc<Roster>, data: &yardstick_engine::DataSet, p: Period) -> String {
    let best = (0..5)
        .map(|_| {
            let scorer = Scorer::new(model, roster.clone(), data);
            let t = std::time::Instant::now();
            let r = scorer.score(p);
            let e = t.elapsed();
            drop(r);
            e
        })
        .min()
        .unwrap_or_default();
    format!("{p} best of 5: {:.3} s", best.as_secs_f64())
}

fn main() -> anyhow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "country".into());
    match which.as_str() {
        "country" => {
            let g = in_memory(Scale::Country, 1, 3)?;
            let scorer = Scorer::new(&g.model, g.roster.clone(), &g.data);
            for p in [Period::month(YEAR, 3), Period::parse("2026-Q1").expect("a quarter")] {
                let r = scorer.score(p).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                println!("country {}", digest(&r));
            }
            println!("country {}", best_of_five(&g.model, &g.roster, &g.data, Period::month(YEAR, 3)));
        }
        "cadres" => {
            let syn = Cadres::country(1);
            let model = syn.model()?;
            let roster = Arc::new(Roster::new(&model));
            let data = syn.data(&model, &roster, 3..4)?;
            let r = Scorer::new(&model, roster.clone(), &data).score(Period::month(YEAR, 3)).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("cadres {}", digest(&r));
            drop(r);
            println!("cadres {}", best_of_five(&model, &roster, &data, Period::month(YEAR, 3)));
        }
        other => anyhow::bail!("unknown data set {other} (country, cadres)"),
    }
    Ok(())
}
