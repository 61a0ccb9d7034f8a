//! Criterion benchmarks of the engine on synthetic data built in memory (no CSV):
//! one month of the county and of the province scored, ranked and graded on a fresh
//! scorer, and ranking and grading alone for a category of 100 subjects.
//!
//! Run with `cargo bench -p yardstick --bench engine`. Samples are few and short so
//! that the whole run takes a minute or two; `yardstick bench` covers the country.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use yardstick::r#gen::{Scale, SplitMix64, Synthetic, YEAR, in_memory};
use yardstick_engine::rank::{self, Entry};
use yardstick_engine::{Period, Scorer};

fn score_month(c: &mut Criterion) {
    let mut group = c.benchmark_group("score_month");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    let month = Period::month(YEAR, 3);
    for scale in [Scale::County, Scale::Province] {
        let g = in_memory(scale, 1, 3).expect("the synthetic data set builds");
        group.bench_with_input(BenchmarkId::from_parameter(scale.key()), &g, |b, g| {
            b.iter(|| {
                let scorer = Scorer::new(&g.model, g.roster.clone(), &g.data);
                black_box(scorer.score(month).expect("the month scores"))
            })
        });
    }
    group.finish();
}

fn explain_one(c: &mut Criterion) {
    let g = in_memory(Scale::Province, 1, 3).expect("the synthetic data set builds");
    let month = Period::month(YEAR, 3);
    let subject = g.data.get(month).and_then(|d| d.events().first()).map_or(1, |e| e.subject);
    let scorer = Scorer::new(&g.model, g.roster.clone(), &g.data);
    let mut group = c.benchmark_group("explain");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("province_one_subject", |b| b.iter(|| black_box(scorer.explain(month, subject).expect("explains"))));
    group.finish();
}

fn rank_and_grade(c: &mut Criterion) {
    // A realistic category of 100: scores around 88 with ties at whole cents, one veto,
    // two demotions; graded with the synthetic plan's grade set (优秀 ≤ 20% and ≥ 90, 良好 ≤ 70%).
    let model = Synthetic::new(Scale::County, 1, 1).model().expect("the synthetic plan loads");
    let set = &model.grade_sets[0];
    let mut r = SplitMix64::new(42);
    let mut entries: Vec<Entry> = (0..100)
        .map(|_| Entry { cents: 8800 + (r.bell(4.0) * 100.0) as i64 / 5 * 5, extra_cents: 0, vetoed: false, demote: 0, assigned_grade: None })
        .collect();
    entries[17].vetoed = true;
    entries[3].demote = 3;
    entries[58].demote = 3;
    let mut group = c.benchmark_group("rank_and_grade");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    group.bench_function("category_of_100", |b| b.iter(|| black_box(rank::rank_and_grade(black_box(&entries), set, &[]))));
    group.finish();
}

criterion_group!(benches, score_month, explain_one, rank_and_grade);
criterion_main!(benches);
