//! The parent coefficient (M12: "the unit's result sets its people's coefficients"): the plan,
//! the data rows that give a unit its level, the scores, the explanation and the problems.

use std::sync::Arc;

use yardstick_engine::dec::format_cents;
use yardstick_engine::{Period, Roster, ScoreErrorKind, Scorer};
use yardstick_formats::Lang;
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::load_plan;

/// Two units (not ranked themselves), each with two cadres ranked within the unit. The
/// cadres' monthly score is × the factor of their unit's level, and × static × dynamic.
const PLAN: &str = r#"
[plan]
key = "p"
name = "parent coefficient"
year = 2026

[[grade_sets]]
key = "tiers"
grades = [{ name = "优秀", quota = "50%", min_score = 90 }, { name = "一般" }]

[[categories]]
key = "K1"
name = "单位一干部"
grade_set = "tiers"
coefficients = true

[[categories]]
key = "K2"
name = "单位二干部"
grade_set = "tiers"
coefficients = true

[coefficients]
STATIC
parent_input = "unit_grade"
parent_levels = [{ name = "优秀", value = 1.05 }, { name = "良好", value = 1 }, { name = "一般", value = 0.95 }]

[[subjects]]
key = "ROOT"
name = "全域"
kind = "area"
[[subjects]]
key = "U1"
name = "单位一"
parent = "ROOT"
[[subjects]]
key = "U2"
name = "单位二"
parent = "ROOT"
[[subjects]]
key = "P1"
name = "张一"
kind = "cadre"
parent = "U1"
category = "K1"
LEVEL
[[subjects]]
key = "P2"
name = "李二"
kind = "cadre"
parent = "U1"
category = "K1"
LEVEL
[[subjects]]
key = "P3"
name = "王三"
kind = "cadre"
parent = "U2"
category = "K2"
LEVEL
[[subjects]]
key = "P4"
name = "赵四"
kind = "cadre"
parent = "U2"
category = "K2"
LEVEL

[[indicators]]
key = "BASE"
name = "月度积分"
method = "direct"
weight = 100
"#;

fn plan(with_static: bool) -> String {
    if with_static {
        PLAN.replace("STATIC", "static_levels = [1.00, 1.10]\narea_inputs = [\"g\"]\ndynamic = \"clamp(1 + 0.02 * (g - 7.0), 0.95, 1.05)\"")
            .replace("LEVEL", "static_level = 2")
    } else {
        PLAN.replace("STATIC", "").replace("LEVEL", "")
    }
}

const DATA: &str = "period,subject,indicator,value,level\n\
2026-03,U1,unit_grade,,优秀\n\
2026-03,U2,unit_grade,,一般\n\
2026-03,P1,BASE,86,\n\
2026-03,P2,BASE,90,\n\
2026-03,P3,BASE,95,\n\
2026-03,P4,BASE,94.75,\n";

fn load(plan_text: &str, data: &str) -> (yardstick_engine::Model, Arc<Roster>, yardstick_engine::DataSet) {
    let model = load_plan("plan.toml", plan_text, None).unwrap_or_else(|p| panic!("{p:?}")).model;
    let roster = Arc::new(Roster::new(&model));
    let loader = DataLoader::new(&model, roster.clone(), None);
    loader.add_csv("data.csv", data);
    let ds = loader.finish().unwrap_or_else(|p| panic!("{:?}", p.iter().map(|x| x.render(Lang::En)).collect::<Vec<_>>()));
    (model, roster, ds)
}

/// "key score grade" per category, in ranking order.
fn scores(plan_text: &str, data: &str) -> Vec<Vec<String>> {
    let (model, roster, ds) = load(plan_text, data);
    let r = Scorer::new(&model, roster, &ds).score(Period::month(2026, 3)).unwrap_or_else(|e| panic!("{e:?}"));
    r.categories
        .iter()
        .map(|c| {
            c.rows
                .iter()
                .map(|row| format!("{} {} {}", model.subjects[row.subject as usize].key, format_cents(row.cents), model.grade_sets[0].grades[row.grade as usize].name))
                .collect()
        })
        .collect()
}

#[test]
fn the_units_level_multiplies_its_cadres_scores() {
    // U1 优秀 → × 1.05: 90 → 94.50, 86 → 90.30. U2 一般 → × 0.95: 95 → 90.25, 94.75 → 90.0125 → 90.01.
    assert_eq!(
        scores(&plan(false), DATA),
        [vec!["P2 94.50 优秀", "P1 90.30 一般"], vec!["P3 90.25 优秀", "P4 90.01 一般"]]
    );
}

#[test]
fn with_static_and_dynamic_coefficients() {
    // × 1.10 (level 2) × 1.03 (g = 8.5) × the unit's factor, rounded once at the end:
    // 86 × 1.1 × 1.03 × 1.05 = 102.3099 → 102.31; 90 × … = 107.0685 → 107.07;
    // 95 × 1.1 × 1.03 × 0.95 = 102.25325 → 102.25; 94.75 × … = 101.9841625 → 101.98.
    let data = format!("{DATA}2026-03,ROOT,g,8.5,\n");
    assert_eq!(
        scores(&plan(true), &data),
        [vec!["P2 107.07 优秀", "P1 102.31 一般"], vec!["P3 102.25 优秀", "P4 101.98 一般"]]
    );
}

#[test]
fn the_explanation_names_the_parent_and_its_level() {
    let (model, roster, ds) = load(&plan(false), DATA);
    let scorer = Scorer::new(&model, roster, &ds);
    let p4 = model.subject_index("P4").unwrap();
    let t = scorer.explain(Period::month(2026, 3), p4).unwrap();
    assert_eq!(t.coefficients, ["unit_grade of U2 (单位二) = 一般 → 0.95"]);
    assert_eq!(t.total, "94.7500");
    assert_eq!(t.final_value, "90.0125");
}

#[test]
fn a_unit_without_a_level_stops_its_cadres() {
    let data = DATA.replace("2026-03,U2,unit_grade,,一般\n", "");
    let (model, roster, ds) = load(&plan(false), &data);
    let errors = Scorer::new(&model, roster, &ds).score(Period::month(2026, 3)).unwrap_err();
    let who: Vec<&str> = errors.iter().map(|e| model.subjects[e.subject.unwrap() as usize].key.as_str()).collect();
    assert_eq!(who, ["P3", "P4"]);
    assert!(errors.iter().all(|e| e.kind == ScoreErrorKind::MissingParentLevel { input: "unit_grade".into() }));
}

#[test]
fn bad_level_rows_are_reported() {
    let model = load_plan("plan.toml", &plan(false), None).unwrap().model;
    let roster = Arc::new(Roster::new(&model));
    let loader = DataLoader::new(&model, roster, None);
    loader.add_csv(
        "data.csv",
        "period,subject,indicator,value,level\n\
         2026-03,U1,unit_grade,,特优\n\
         2026-03,U2,unit_grade,,\n\
         2026-03,U1,unit_grade,,良好\n\
         2026-03,U1,unit_grade,,一般\n",
    );
    let problems: Vec<String> = loader.finish().unwrap_err().iter().map(|p| p.render(Lang::En)).collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("line 2") && problems[0].contains("'特优' is not one of 优秀, 良好, 一般"), "{problems:?}");
    assert!(problems[1].contains("line 3") && problems[1].contains("the level is missing"), "{problems:?}");
    assert!(problems[2].contains("line 5") && problems[2].contains("duplicate row"), "{problems:?}");
}

#[test]
fn bad_plans_are_refused() {
    let render = |text: &str| -> Vec<String> {
        load_plan("plan.toml", text, None).map(|_| Vec::new()).unwrap_or_else(|p| p.iter().map(|x| x.render(Lang::En)).collect())
    };
    // The input must not be an indicator's key.
    let clash = render(&plan(false).replace("parent_input = \"unit_grade\"", "parent_input = \"BASE\""));
    assert!(clash.iter().any(|p| p.contains("'BASE' is an indicator's key")), "{clash:?}");
    // Levels without an input, and repeated level names.
    let no_input = render(&plan(false).replace("parent_input = \"unit_grade\"\n", ""));
    assert!(no_input.iter().any(|p| p.contains("parent_levels needs parent_input")), "{no_input:?}");
    let repeated = render(&plan(false).replace("{ name = \"一般\", value = 0.95 }", "{ name = \"优秀\", value = 0.95 }"));
    assert!(repeated.iter().any(|p| p.contains("the level name '优秀' is empty or repeated")), "{repeated:?}");
    let none = render(&plan(false).replace(
        "parent_levels = [{ name = \"优秀\", value = 1.05 }, { name = \"良好\", value = 1 }, { name = \"一般\", value = 0.95 }]",
        "parent_levels = []",
    ));
    assert!(none.iter().any(|p| p.contains("1 to 100 levels")), "{none:?}");
    assert!(render(&plan(false)).is_empty());
}
