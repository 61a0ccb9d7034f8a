//! Annual grades for people (issue 6, item 4; M9, M12): a plan with only year-level
//! indicators needs no monthly data; the 优秀 quota with its rounding setting holds for
//! people; an optional `assigned_grade` forces a grade on a few and leaves the others to
//! their score, while a required one still stops the computation when a grade is missing.

use std::sync::Arc;

use yardstick_engine::dec::format_cents;
use yardstick_engine::{Period, Roster, Scorer};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::load_plan;

/// Seven civil servants; the grade set of public regulations with a 20 % 优秀 quota.
fn plan(rounding: &str, optional: bool) -> String {
    let mut p = format!(
        r#"
[plan]
key = "gwy2026"
name = "2026年度公务员考核"
year = 2026

[[grade_sets]]
key = "civil"
name = "优秀/称职/基本称职/不称职"
rounding = "{rounding}"
grades = [
  {{ name = "优秀", quota = "20%", min_score = 90 }},
  {{ name = "称职", min_score = 75 }},
  {{ name = "基本称职", min_score = 60 }},
  {{ name = "不称职" }},
]

[[categories]]
key = "gwy"
name = "公务员"
grade_set = "civil"

[aggregation.year]
components = [{{ indicator = "ANNUAL", share = 1 }}]

[[indicators]]
key = "ANNUAL"
name = "年度考核得分"
kind = "evaluation"
level = "year"
method = "direct"

[[indicators]]
key = "FORCED"
name = "民主测评规定等次"
kind = "evaluation"
level = "year"
method = "assigned_grade"
{}
"#,
        if optional { "optional = true" } else { "" }
    );
    for i in 1..=7 {
        p.push_str(&format!("\n[[subjects]]\nkey = \"P{i}\"\nname = \"P{i}\"\nkind = \"person\"\ncategory = \"gwy\"\n"));
    }
    p
}

/// "P1 95.00 优秀" per person in ranking order, or the scorer's errors.
fn grades(plan: &str, data: &str) -> Result<Vec<String>, String> {
    let model = load_plan("plan.toml", plan, None).unwrap_or_else(|p| panic!("{p:?}")).model;
    let roster = Arc::new(Roster::new(&model));
    let loader = DataLoader::new(&model, roster.clone(), None);
    loader.add_csv("data.csv", data);
    let ds = loader.finish().unwrap_or_else(|p| panic!("{p:?}"));
    let scorer = Scorer::new(&model, roster, &ds);
    let r = scorer.score(Period::year(2026)).map_err(|e| format!("{e:?}"))?;
    let set = &model.grade_sets[0];
    Ok(r.categories[0]
        .rows
        .iter()
        .map(|row| format!("{} {} {}", model.subjects[row.subject as usize].key, format_cents(row.cents), set.grades[row.grade as usize].name))
        .collect())
}

/// Only the year's rows: no month of 2026 has data.
const DATA: &str = "period,subject,indicator,value,grade\n\
    2026,P1,ANNUAL,95,\n2026,P2,ANNUAL,92,\n2026,P3,ANNUAL,88,\n2026,P4,ANNUAL,80,\n\
    2026,P5,ANNUAL,70,\n2026,P6,ANNUAL,55,\n2026,P7,ANNUAL,86,\n2026,P7,FORCED,,不称职\n";

#[test]
fn the_quota_and_its_rounding_hold_for_people() {
    // 20 % of 7 is 1.4: floor and half up give one 优秀 place, ceil two. P2 has 92 ≥ 90 but
    // no place under floor.
    let floor = grades(&plan("floor", true), DATA).unwrap();
    assert_eq!(floor, ["P1 95.00 优秀", "P2 92.00 称职", "P3 88.00 称职", "P7 86.00 不称职", "P4 80.00 称职", "P5 70.00 基本称职", "P6 55.00 不称职"]);
    assert_eq!(grades(&plan("half_up", true), DATA).unwrap()[1], "P2 92.00 称职");
    let ceil = grades(&plan("ceil", true), DATA).unwrap();
    assert_eq!(&ceil[..2], ["P1 95.00 优秀", "P2 92.00 优秀"]);
}

#[test]
fn an_optional_grade_is_forced_on_a_few_a_required_one_on_all() {
    // P7 is forced to 不称职 whatever the score (above); without `optional`, the six people
    // without a grade stop the computation as a missing value does.
    let err = grades(&plan("floor", false), DATA).unwrap_err();
    assert!(err.contains("Missing") && err.contains("grade"), "{err}");
    let all: String = (1..=7).map(|i| format!("2026,P{i},FORCED,,称职\n")).collect();
    let forced = grades(&plan("floor", false), &format!("{DATA}{all}").replace("2026,P7,FORCED,,不称职\n", "")).unwrap();
    assert!(forced.iter().all(|r| r.ends_with(" 称职")), "{forced:?}");
}
