//! `load_plan` on arbitrary text (with a fixed subjects file for plans that name one). Whatever
//! loads is scored against example B's data where that data fits it; nothing may panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use yardstick_engine::{Roster, Scorer};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::{SubjectsSource, load_plan};
use yardstick_formats::Lang;

const SUBJECTS: &str = "key,name,kind,parent,category,static_level\nAREA,新区,area,,,\nT1,城关镇,unit,AREA,towns,1\nT2,大王古庄镇,unit,AREA,towns,2\n";
const DATA: &str = include_str!("../../examples/b-ranking/data.csv");

fuzz_target!(|text: &str| {
    match load_plan("plan.toml", text, Some(SubjectsSource { file: "subjects.csv", text: SUBJECTS })) {
        Err(problems) => {
            for p in problems {
                let _ = (p.render(Lang::Zh), p.render(Lang::En));
            }
        }
        Ok(loaded) => {
            let model = loaded.model;
            let roster = Arc::new(Roster::new(&model));
            let loader = DataLoader::new(&model, roster.clone(), None);
            loader.add_csv("data.csv", DATA);
            if let Ok(ds) = loader.finish() {
                let scorer = Scorer::new(&model, roster, &ds);
                let periods: Vec<_> = ds.periods.keys().copied().collect();
                for p in periods {
                    if let Ok(r) = scorer.score(p) {
                        for c in &r.categories {
                            for row in &c.rows {
                                let _ = scorer.explain(p, row.subject);
                            }
                        }
                    }
                }
            }
        }
    }
});
