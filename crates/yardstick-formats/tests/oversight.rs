//! Monitoring and consequence rules from the plan file (M14, M15): the monitor's exact
//! comparisons on completion, control and blended indicators, and every problem the plan
//! sections can have.

use std::sync::Arc;

use yardstick_engine::oversight::{Condition, Measure, Span, monitor, percent};
use yardstick_engine::{Level, Period, Roster};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::load_plan;

const HEAD: &str = r#"
[plan]
key = "m"
name = "monitoring"
year = 2026

[[grade_sets]]
key = "g"
grades = [{ name = "优秀", quota = "50%" }, { name = "良好", quota = "75%" }, { name = "一般" }]

[[categories]]
key = "A"
name = "A"
grade_set = "g"

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

[[indicators]]
key = "C"
name = "完成率指标"
method = "completion"
weight = 40

[[indicators]]
key = "E"
name = "能耗"
method = "control"
weight = 30

[[indicators]]
key = "G"
name = "地区生产总值"
method = "blended"
weight = 30
total_share = 0.8
growth_share = 0.2

[[indicators]]
key = "SAFE"
name = "安全"
method = "deduction"
per = 1
"#;

/// "S1 C 45.00 [target, progress, peers] [0, 2]" per monitored line.
fn lines(rules: &str, data: &str, period: &str) -> Vec<String> {
    let model = load_plan("plan.toml", &format!("{HEAD}{rules}"), None).unwrap_or_else(|p| panic!("{p:?}")).model;
    let roster = Arc::new(Roster::new(&model));
    let p = Period::parse(period).unwrap();
    let loader = DataLoader::new(&model, roster.clone(), Some(vec![p]));
    loader.add_csv("data.csv", data);
    let ds = loader.finish().unwrap_or_else(|p| panic!("{p:?}"));
    let m = monitor(&model, &roster, ds.get(p).unwrap());
    let ver = &model.versions[0];
    m.lines
        .iter()
        .map(|l| {
            let lags: Vec<&str> = l.lags.iter().map(|(m, _)| m.key()).collect();
            format!(
                "{} {} {} [{}] {:?}",
                model.subjects[l.subject as usize].key,
                ver.indicators[l.indicator as usize].key,
                l.ratio.as_ref().map_or("-".into(), percent),
                lags.join(", "),
                l.fired
            )
        })
        .collect()
}

#[test]
fn completion_control_and_blended_on_four_measures() {
    let rules = r#"
[[warnings]]
indicator = "C"
measure = "target"

[[warnings]]
measure = "peers"
threshold = "95%"

[[warnings]]
indicator = "G"
measure = "last_year"
threshold = 2
"#;
    // June: the time node is 6/12 = 50%. C: 45%, 90%, 105% (mean 80%, peers line 76%).
    // E (control, lower is better: above a line lags): 40%, 110%, 60% (mean 70%, peers
    // line 66.5%): S2 is above its cap, the time node and the peers; S3 above the time node.
    // G: 50% and 33.33…% (mean 41.67%, peers line 39.58%), S3 has no data; the rule's line
    // for last year is 2 points, so S1's growth of 1.5 lags too.
    let data = "period,subject,indicator,actual,target,growth,target_growth\n\
                2026-06,S1,C,45,100,,\n2026-06,S2,C,90,100,,\n2026-06,S3,C,105,100,,\n\
                2026-06,S1,E,40,100,,\n2026-06,S2,E,110,100,,\n2026-06,S3,E,60,100,,\n\
                2026-06,S1,G,50,100,1.5,8\n2026-06,S2,G,1,3,-1,8\n";
    assert_eq!(
        lines(rules, data, "2026-06"),
        [
            "S1 C 45.00 [target, progress, peers] [0, 1]",
            "S2 C 90.00 [target] [0]",
            "S3 C 105.00 [] []",
            "S1 E 40.00 [] []",
            "S2 E 110.00 [target, progress, peers] [1]",
            "S3 E 60.00 [progress] []",
            "S1 G 50.00 [target, last_year] [2]",
            "S2 G 33.33 [target, progress, last_year, peers] [1, 2]",
            "S3 G - [] []",
        ]
    );
}

#[test]
fn rules_are_read_as_written() {
    let rules = r#"
[[consequences]]
level = "year"
grade = ["一般", "良好"]
consecutive = 2
action = " 通报批评 "

[[consequences]]
level = "quarter"
bottom = 2
action = "提醒谈话"

[[consequences]]
level = "year"
grade = ["优秀", "良好"]
cumulative = 2
action = "晋升一个工资档次"

[[consequences]]
level = "year"
grade = "优秀"
consecutive = 3
restart = true
action = "记三等功"

[rectification]
days = 15
grades = ["一般"]
"#;
    let model = load_plan("plan.toml", &format!("{HEAD}{rules}"), None).unwrap_or_else(|p| panic!("{p:?}")).model;
    assert_eq!(model.consequences.len(), 4);
    assert_eq!(model.consequences[0].level, Level::Year);
    assert_eq!(model.consequences[0].condition, Condition::Grade(vec!["一般".into(), "良好".into()]));
    assert_eq!((model.consequences[0].span, model.consequences[0].action.as_str()), (Span::Consecutive { periods: 2, restart: false }, "通报批评"));
    assert_eq!(model.consequences[1].condition, Condition::Bottom { places: 2 });
    // Without consecutive or cumulative: this period alone.
    assert_eq!(model.consequences[1].span, Span::Consecutive { periods: 1, restart: false });
    assert_eq!(model.consequences[2].span, Span::Cumulative { periods: 2 });
    assert_eq!(model.consequences[3].span, Span::Consecutive { periods: 3, restart: true });
    assert_eq!((model.rectification.days, model.rectification.grades.clone()), (15, vec!["一般".to_string()]));
    // Without the sections: no rules, 30 days, no grades.
    let plain = load_plan("plan.toml", HEAD, None).unwrap().model;
    assert!(plain.warnings.is_empty() && plain.consequences.is_empty());
    assert_eq!((plain.rectification.days, plain.rectification.grades.len()), (30, 0));
    assert_eq!(Measure::parse("peers"), Some(Measure::Peers));
}

#[test]
fn every_problem_of_the_rules_is_reported() {
    let rules = r#"
[[warnings]]
measure = "speed"

[[warnings]]
indicator = "NOPE"
measure = "target"

[[warnings]]
indicator = "SAFE"
measure = "target"

[[warnings]]
indicator = "C"
measure = "last_year"

[[warnings]]
indicator = "C"
measure = "peers"
threshold = -1

[[consequences]]
level = "decade"
bottom = 1
action = "x"

[[consequences]]
level = "year"
bottom = 1
grade = "一般"
action = "x"

[[consequences]]
level = "year"
grade = "不达标"
consecutive = 0
action = ""

[[consequences]]
level = "year"
grade = "优秀"
consecutive = 2
cumulative = 2
action = "x"

[[consequences]]
level = "year"
grade = "优秀"
cumulative = 11
restart = true
action = "x"

[[consequences]]
level = "year"
grade = "优秀"
cumulative = 0
action = "x"

[rectification]
days = 0
grades = ["基本合格"]
"#;
    let err = load_plan("plan.toml", &format!("{HEAD}{rules}"), None).unwrap_err();
    let got: Vec<String> = err.iter().map(|p| format!("{}: {}", p.place.field.as_deref().unwrap_or(""), p.msg.en)).collect();
    let want = [
        "warnings[0].measure: 'speed' is not a measure",
        "warnings[1].indicator: indicator 'NOPE' does not exist",
        "warnings[2].indicator: the indicator 'SAFE' is not monitored",
        "warnings[3].measure: last_year needs a growth field",
        "warnings[4].threshold: the threshold cannot be negative",
        "consequences[0].level: 'decade' is not a level",
        "consequences[1]: each consequence rule has either bottom",
        "consequences[2].grade: grade '不达标' does not exist",
        "consequences[2].consecutive: consecutive is 1–10",
        "consequences[2].action: the action is 1–200 characters",
        "consequences[3].cumulative: a rule has consecutive or cumulative, not both",
        "consequences[4].restart: restart goes with consecutive only",
        "consequences[4].cumulative: cumulative is 1–10",
        "consequences[5].cumulative: cumulative is 1–10",
        "rectification.days: days is 1–365",
        "rectification.grades: grade '基本合格' does not exist",
    ];
    for w in want {
        assert!(got.iter().any(|g| g.starts_with(w)), "missing «{w}» in {got:#?}");
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
    // Unknown fields are refused like everywhere in the plan.
    let err = load_plan("plan.toml", &format!("{HEAD}\n[[warnings]]\nmeasure = \"target\"\nlevel = 3\n"), None).unwrap_err();
    assert!(err[0].msg.en.contains("unknown field"), "{err:?}");
}
