//! Every scoring method of M4, data-driven: a plan fragment, data rows, the published scores.

use std::sync::Arc;

use yardstick_engine::dec::format_cents;
use yardstick_engine::{Period, Roster, Scorer};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::load_plan;

const HEAD: &str = r#"
[plan]
key = "m"
name = "methods"
year = 2026

[[grade_sets]]
key = "g"
grades = [{ name = "优秀", quota = "50%", min_score = 90 }, { name = "良好", quota = "75%" }, { name = "一般" }]
veto_grade = "一般"

[[categories]]
key = "A"
name = "A"
grade_set = "g"
total = TOTAL

[[subjects]]
key = "S1"
name = "S1"
category = "A"
[[subjects]]
key = "S2"
name = "S2"
category = "A"
[[subjects]]
key = "S3"
name = "S3"
category = "A"
[[subjects]]
key = "S4"
name = "S4"
category = "A"
"#;

/// Scores `period` and returns "key score grade" per subject in ranking order.
fn run(total: &str, indicators: &str, data: &str, period: &str) -> Vec<String> {
    run_graded(total, indicators, data, period).into_iter().map(|(s, _)| s).collect()
}

/// As `run`, with each subject's grade beside it.
fn run_graded(total: &str, indicators: &str, data: &str, period: &str) -> Vec<(String, String)> {
    let plan = HEAD.replace("TOTAL", total) + indicators;
    let model = load_plan("plan.toml", &plan, None).unwrap_or_else(|p| panic!("{p:?}")).model;
    let roster = Arc::new(Roster::new(&model));
    let loader = DataLoader::new(&model, roster.clone(), None);
    loader.add_csv("data.csv", data);
    let ds = loader.finish().unwrap_or_else(|p| panic!("{p:?}"));
    let scorer = Scorer::new(&model, roster, &ds);
    let r = scorer.score(Period::parse(period).unwrap()).unwrap_or_else(|e| panic!("{e:?}"));
    r.categories[0]
        .rows
        .iter()
        .map(|row| {
            let line = format!(
                "{} {}{}",
                model.subjects[row.subject as usize].key,
                format_cents(row.cents),
                if row.tied { " 并列" } else { "" }
            );
            (line, model.grade_sets[0].grades[row.grade as usize].name.clone())
        })
        .collect()
}

fn check(total: &str, indicators: &str, data: &str, want: &[&str]) {
    assert_eq!(run(total, indicators, data, "2026-03"), want);
}

#[test]
fn completion_with_floor_and_cap() {
    check(
        "10",
        r#"[[indicators]]
key = "X"
name = "x"
method = "completion"
weight = 10
floor = 0.5
cap = 1.1
"#,
        "period,subject,indicator,actual,target\n2026-03,S1,X,130,100\n2026-03,S2,X,95,100\n2026-03,S3,X,20,100\n2026-03,S4,X,1,3\n",
        &["S1 11.00", "S2 9.50", "S3 5.00 并列", "S4 5.00 并列"],
    );
}

#[test]
fn control_type_lower_is_better() {
    // points = w × clamp(2 − actual/cap, 0, 1): within the cap full marks, zero at twice the cap.
    check(
        "20",
        r#"[[indicators]]
key = "E"
name = "能耗"
method = "control"
weight = 20
"#,
        "period,subject,indicator,actual,target\n2026-03,S1,E,80,100\n2026-03,S2,E,125,100\n2026-03,S3,E,200,100\n2026-03,S4,E,250,100\n",
        &["S1 20.00", "S2 15.00", "S3 0.00 并列", "S4 0.00 并列"],
    );
}

#[test]
fn deductions_capped_with_reasons_and_bonus_kept_out_of_total() {
    let ind = r#"[[indicators]]
key = "BASE"
name = "base"
method = "direct"
weight = 100
[[indicators]]
key = "SAFE"
name = "安全生产"
method = "deduction"
per = 2
cap = 5
[[indicators]]
key = "HI"
name = "工作亮点"
kind = "bonus"
method = "bonus"
cap = 3
in_total = false
"#;
    let data = "period,subject,indicator,value,count,reason\n\
2026-03,S1,BASE,95,,\n2026-03,S2,BASE,95,,\n2026-03,S3,BASE,90,,\n2026-03,S4,BASE,80,,\n\
2026-03,S1,SAFE,,1,安全事故\n2026-03,S1,SAFE,,2,信访问题\n\
2026-03,S2,SAFE,,1,迟报\n\
2026-03,S2,HI,2,,改革试点\n2026-03,S2,HI,2,,获国务院表彰\n";
    // S1: 95 − min(5, 2×3) = 90. S2: 95 − 2 = 93, extra 3 (capped), out of the total.
    check("100", ind, data, &["S2 93.00", "S1 90.00 并列", "S3 90.00 并列", "S4 80.00"]);
}

#[test]
fn deduction_from_full_marks_counts_in_the_weights() {
    check(
        "10",
        r#"[[indicators]]
key = "SAFE"
name = "安全生产"
method = "deduction"
per = 4
from_full = true
weight = 10
"#,
        "period,subject,indicator,count,reason\n2026-03,S1,SAFE,1,事故\n2026-03,S2,SAFE,3,事故\n",
        &["S3 10.00 并列", "S4 10.00 并列", "S1 6.00", "S2 0.00"],
    );
}

#[test]
fn qualitative_levels() {
    check(
        "10",
        r#"[[indicators]]
key = "Q"
name = "定性评价"
method = "qualitative"
weight = 10
levels = [{ name = "好", share = 1 }, { name = "较好", share = 0.85 }, { name = "一般", share = 0.7 }, { name = "差", share = 0.5 }]
"#,
        "period,subject,indicator,level\n2026-03,S1,Q,好\n2026-03,S2,Q,较好\n2026-03,S3,Q,一般\n2026-03,S4,Q,差\n",
        &["S1 10.00", "S2 8.50", "S3 7.00", "S4 5.00"],
    );
}

#[test]
fn interpolation_between_baseline_and_challenge() {
    // 60% of the weight at the baseline 100, full at the challenge 120, nothing below.
    check(
        "10",
        r#"[[indicators]]
key = "I"
name = "插值"
method = "interpolate"
weight = 10
points = [[100, 0.6], [120, 1]]
below = "zero"
"#,
        "period,subject,indicator,value\n2026-03,S1,I,125\n2026-03,S2,I,110\n2026-03,S3,I,100\n2026-03,S4,I,99.99\n",
        &["S1 10.00", "S2 8.00", "S3 6.00", "S4 0.00"],
    );
}

#[test]
fn banded_table() {
    check(
        "10",
        r#"[[indicators]]
key = "B"
name = "分档"
method = "bands"
weight = 10
bands = [[0, 0.4], [60, 0.6], [80, 0.8], [95, 1]]
"#,
        "period,subject,indicator,value\n2026-03,S1,B,95\n2026-03,S2,B,94.99\n2026-03,S3,B,60\n2026-03,S4,B,-1\n",
        &["S1 10.00", "S2 8.00", "S3 6.00", "S4 0.00"],
    );
}

#[test]
fn rank_based_points_table_and_proportional() {
    check(
        "60",
        r#"[[indicators]]
key = "R"
name = "名次计分"
method = "rank_points"
weight = 60
table = [60, 57, 54]
rest = 50
"#,
        "period,subject,indicator,value\n2026-03,S1,R,10\n2026-03,S2,R,30\n2026-03,S3,R,30\n2026-03,S4,R,5\n",
        &["S2 60.00 并列", "S3 60.00 并列", "S1 54.00", "S4 50.00"],
    );
    check(
        "10",
        r#"[[indicators]]
key = "R"
name = "与最优比"
method = "rank_points"
weight = 10
proportional = true
"#,
        "period,subject,indicator,value\n2026-03,S1,R,80\n2026-03,S2,R,40\n2026-03,S3,R,60\n2026-03,S4,R,30\n",
        &["S1 10.00", "S3 7.50", "S2 5.00", "S4 3.75"],
    );
}

#[test]
fn formula_method() {
    check(
        "10",
        r#"[[indicators]]
key = "F"
name = "公式"
method = "formula"
weight = 10
inputs = ["done", "planned"]
formula = "if(done >= planned, weight, weight * done / planned - 1)"
"#,
        "period,subject,indicator,done,planned\n2026-03,S1,F,5,4\n2026-03,S2,F,3,4\n2026-03,S3,F,1,3\n2026-03,S4,F,0,4\n",
        &["S1 10.00", "S2 6.50", "S3 2.33", "S4 -1.00"],
    );
}

#[test]
fn veto_demotion_and_quota_with_minimum() {
    let ind = r#"[[indicators]]
key = "BASE"
name = "base"
method = "direct"
weight = 100
[[indicators]]
key = "V"
name = "否决"
method = "veto"
[[indicators]]
key = "D"
name = "降名次"
method = "demotion"
places = 1
"#;
    let data = "period,subject,indicator,value,reason\n\
2026-03,S1,BASE,99,\n2026-03,S2,BASE,95,\n2026-03,S3,BASE,89,\n2026-03,S4,BASE,70,\n\
2026-03,S1,V,,重大安全事故\n2026-03,S2,D,1,进度滞后\n";
    // S1 vetoed: last, 一般. S2 demoted behind S3. 优秀 needs 90, which S3 lacks.
    let got = run_graded("100", ind, data, "2026-03");
    let want = [("S3 89.00", "良好"), ("S2 95.00", "良好"), ("S4 70.00", "良好"), ("S1 99.00", "一般")];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

const VERSIONED: &str = r#"[[modules]]
key = "reform"
name = "改革攻坚"
from = "2026-07"

[[indicators]]
key = "A1"
name = "a1"
method = "direct"
weight = 100

[[indicators]]
key = "WET"
name = "湿地保护"
method = "direct"
subjects = ["S4"]
replaces = "A1"
weight = 100

[[versions]]
key = "v2"
from = "2026-07"
note = "成为改革试点后增加改革指标"
[[versions.indicators]]
key = "A1"
name = "a1"
method = "direct"
weight = 80
[[versions.indicators]]
key = "REF"
name = "改革"
method = "direct"
module = "reform"
weight = 20
[[versions.indicators]]
key = "WET"
name = "湿地保护"
method = "direct"
subjects = ["S4"]
REPLACES
weight = 80
"#;

#[test]
fn versions_modules_and_differentiated_indicators() {
    // Without `replaces`, S4 would have A1 + REF + WET = 180 in v2: the plan check catches it.
    let plan = HEAD.replace("TOTAL", "100") + &VERSIONED.replace("REPLACES", "");
    let err = load_plan("plan.toml", &plan, None).unwrap_err();
    assert!(err.iter().any(|p| p.msg.en.contains("'S4' make the weights add up to 180, not 100")), "{err:?}");

    let ind = VERSIONED.replace("REPLACES", "replaces = \"A1\"");
    let data = "period,subject,indicator,value\n\
2026-03,S1,A1,90\n2026-03,S2,A1,80\n2026-03,S3,A1,70\n2026-03,S4,WET,95\n\
2026-08,S1,A1,70\n2026-08,S1,REF,20\n2026-08,S2,A1,60\n2026-08,S2,REF,10\n2026-08,S3,A1,50\n2026-08,S3,REF,5\n2026-08,S4,REF,10\n2026-08,S4,WET,0\n";
    assert_eq!(run("100", &ind, data, "2026-03"), ["S4 95.00", "S1 90.00", "S2 80.00", "S3 70.00"]);
    assert_eq!(run("100", &ind, data, "2026-08"), ["S1 90.00", "S2 70.00", "S3 55.00", "S4 10.00"]);
    // March keeps version 1: REF does not exist there, so a March REF row is refused.
    let plan = HEAD.replace("TOTAL", "100") + &ind;
    let model = load_plan("plan.toml", &plan, None).unwrap().model;
    let loader = DataLoader::new(&model, Arc::new(Roster::new(&model)), None);
    loader.add_csv("d.csv", "period,subject,indicator,value\n2026-03,S1,REF,1\n2026-03,S4,A1,1\n");
    let errs = loader.finish().unwrap_err();
    assert!(errs[0].msg.en.contains("indicator 'REF' is not in the plan version in force for 2026-03"), "{errs:?}");
    assert!(errs[1].msg.en.contains("indicator 'A1' does not apply to 'S4'"), "{errs:?}");
}

/// January to June: S1 99, S2 95, S3 90, S4 80 on the `BASE` indicator every month.
fn six_months_of_base() -> String {
    let mut data = String::from("period,subject,indicator,value,reason\n");
    for m in 1..=6 {
        for (s, v) in [("S1", 99), ("S2", 95), ("S3", 90), ("S4", 80)] {
            data.push_str(&format!("2026-{m:02},{s},BASE,{v},\n"));
        }
    }
    data
}

#[test]
fn a_year_wide_veto_reaches_every_aggregate_and_a_period_veto_does_not() {
    let ind = r#"[[indicators]]
key = "BASE"
name = "base"
method = "direct"
weight = 100
[[indicators]]
key = "VY"
name = "生态否决"
method = "veto"
scope = "year"
[[indicators]]
key = "VP"
name = "月度否决"
method = "veto"
"#;
    let mut data = six_months_of_base();
    data.push_str("2026-02,S1,VY,,重大生态破坏\n2026-05,S2,VP,,数据造假\n");
    // February: S1 vetoed; May: S2 vetoed; the first quarter and half: only S1 (year-wide).
    assert_eq!(run("100", ind, &data, "2026-02"), ["S2 95.00", "S3 90.00", "S4 80.00", "S1 99.00"]);
    assert_eq!(run("100", ind, &data, "2026-05"), ["S1 99.00", "S3 90.00", "S4 80.00", "S2 95.00"]);
    assert_eq!(run("100", ind, &data, "2026-Q1"), ["S2 95.00", "S3 90.00", "S4 80.00", "S1 99.00"]);
    assert_eq!(run("100", ind, &data, "2026-Q2"), ["S1 99.00", "S2 95.00", "S3 90.00", "S4 80.00"]);
    assert_eq!(run("100", ind, &data, "2026-H1"), ["S2 95.00", "S3 90.00", "S4 80.00", "S1 99.00"]);
    let graded = run_graded("100", ind, &data, "2026-H1");
    assert_eq!(graded[3].1, "一般");
}

#[test]
fn a_year_wide_veto_entered_for_a_quarter_reaches_the_half() {
    let ind = r#"[[indicators]]
key = "BASE"
name = "base"
method = "direct"
weight = 100
[[indicators]]
key = "QV"
name = "季度否决"
method = "veto"
scope = "year"
level = "quarter"
"#;
    let mut data = six_months_of_base();
    data.push_str("2026-Q2,S1,QV,,重大安全事故\n");
    assert_eq!(run("100", ind, &data, "2026-Q1"), ["S1 99.00", "S2 95.00", "S3 90.00", "S4 80.00"]);
    assert_eq!(run("100", ind, &data, "2026-Q2"), ["S2 95.00", "S3 90.00", "S4 80.00", "S1 99.00"]);
    assert_eq!(run("100", ind, &data, "2026-H1"), ["S2 95.00", "S3 90.00", "S4 80.00", "S1 99.00"]);
}

#[test]
fn amplification_and_grade_adjustments_are_checked() {
    let plan = HEAD.replace("TOTAL", "100")
        + r#"[aggregation.year]
components = [{ parts = "month", share = 1 }]
grade_adjust = { level = "quarter", points = { "优等" = 0.5 } }

[[indicators]]
key = "BASE"
name = "base"
method = "direct"
weight = 100
[[indicators]]
key = "SAFE"
name = "安全"
method = "deduction"
per = 1
amplify = { bonus_factor = 3, penalty_factor = 3, penalty_below = 0.9 }
"#;
    let err = load_plan("plan.toml", &plan, None).unwrap_err();
    let text: Vec<&str> = err.iter().map(|p| p.msg.en.as_str()).collect();
    assert!(text.iter().any(|m| m.contains("grade '优等' is in no grade set")), "{text:?}");
    assert!(text.iter().any(|m| m.contains("amplification applies to scored indicators")), "{text:?}");
}
