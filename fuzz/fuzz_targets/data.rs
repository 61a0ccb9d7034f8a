//! `DataLoader::add_csv` on arbitrary text against example B's plan (embedded). Whatever loads
//! is scored (its periods and the periods enclosing them) and explained; nothing may panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use yardstick_engine::{Level, Model, Period, Roster, Scorer};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::load_plan;

const PLAN: &str = include_str!("../../examples/b-ranking/plan.toml");

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| load_plan("plan.toml", PLAN, None).expect("example B loads").model)
}

fuzz_target!(|text: &str| {
    let model = model();
    let roster = Arc::new(Roster::new(model));
    let loader = DataLoader::new(model, roster.clone(), None);
    loader.add_csv("data.csv", text);
    let Ok(ds) = loader.finish() else { return };
    let scorer = Scorer::new(model, roster, &ds);
    let mut periods: Vec<Period> = Vec::new();
    for p in ds.periods.keys() {
        for level in Level::ALL {
            if level >= p.level {
                periods.push(p.enclosing(level));
            }
        }
    }
    periods.sort();
    periods.dedup();
    for p in periods {
        if let Ok(r) = scorer.score(p) {
            for c in &r.categories {
                for row in &c.rows {
                    let _ = scorer.explain(p, row.subject);
                }
            }
        }
    }
});
