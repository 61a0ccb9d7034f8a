//! Rewards at scale: a pool split by tier × post coefficient × score among `n` subjects.
//! `cargo run --release -p yardstick-engine --example rewards -- [n] [runs]`
//! (default 7,000,000 subjects — the country's cadres in one pool, far more than a real
//! pool — and 5 runs; prints each run's time and the median).

use std::time::Instant;

use yardstick_engine::Dec;
use yardstick_engine::period::Level;
use yardstick_engine::rewards::{Candidate, RewardGrade, RewardRule, Worth, allocate};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7_000_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let d = |s: &str| Dec::parse(s).unwrap();
    let rule = RewardRule {
        key: "monthly".into(),
        name: "月度绩效奖".into(),
        level: Level::Month,
        categories: vec![],
        pool: None,
        grades: vec![
            RewardGrade { name: "一档".into(), worth: Worth::Factor(d("1.5")) },
            RewardGrade { name: "二档".into(), worth: Worth::Factor(d("1.2")) },
            RewardGrade { name: "三档".into(), worth: Worth::Factor(d("1")) },
        ],
        static_coefficient: true,
        by_score: true,
    };
    let keys: Vec<String> = (0..n).map(|i| format!("C{i:07}")).collect();
    let tiers = ["一档", "二档", "二档", "三档", "三档", "三档", "不合格"];
    let coefs = [d("1.3"), d("1.15"), d("1"), d("1")];
    // A deterministic spread of scores 60.00–99.99.
    let candidates: Vec<Candidate> = (0..n)
        .map(|i| Candidate {
            subject: &keys[i],
            category: "cadres",
            grade: Some(tiers[i % tiers.len()]),
            score: Some(Dec::from_cents(6000 + ((i as i64 * 7919) % 4000))),
            static_factor: Some(coefs[i % coefs.len()]),
        })
        .collect();
    let pool = d("700000000");
    let mut times = Vec::new();
    for r in 0..runs {
        let t = Instant::now();
        let a = allocate(&rule, Some(pool), &candidates).expect("allocates");
        let e = t.elapsed();
        let paid: i64 = a.awards.iter().map(|x| x.cents).sum();
        assert_eq!(paid, a.total_cents);
        println!("run {}: {} awards, {:.3} s", r + 1, a.awards.len(), e.as_secs_f64());
        times.push(e.as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("median {:.3} s for {n} subjects", times[times.len() / 2]);
}
