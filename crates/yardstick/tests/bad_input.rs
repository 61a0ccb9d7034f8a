//! Bad input through the real command: every problem is named with its place, in Chinese or
//! English, the exit code is 1, and nothing panics.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

fn tmp(files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yardstick-bad-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yardstick")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

const PLAN: &str = r#"
[plan]
key = "t"
name = "测试"
year = 2026

[[grade_sets]]
key = "g"
grades = [{ name = "优秀", quota = "30%" }, { name = "一般" }]

[[categories]]
key = "A"
name = "甲类"
grade_set = "g"

[[subjects]]
key = "U1"
name = "一号单位"
category = "A"

[[subjects]]
key = "U2"
name = "二号单位"
category = "A"

[[indicators]]
key = "GDP"
name = "地区生产总值"
method = "completion"
weight = 60
cap = 1.2

[[indicators]]
key = "F"
name = "公式指标"
method = "formula"
inputs = ["a", "b"]
formula = "weight * min(a / b, 1)"
weight = 40

[[indicators]]
key = "SAFE"
name = "安全生产"
method = "deduction"
per = 2
cap = 10
"#;

fn plan_dir(data: &str) -> (PathBuf, String, String) {
    let dir = tmp(&[("plan.toml", PLAN), ("data.csv", data)]);
    let p = dir.join("plan.toml").display().to_string();
    let d = dir.join("data.csv").display().to_string();
    (dir, p, d)
}

fn score(data: &str, lang: &str) -> (i32, String, String) {
    let (_dir, p, d) = plan_dir(data);
    run(&["score", "--plan", &p, "--data", &d, "--period", "2026-03", "--lang", lang])
}

const GOOD: &str = "period,subject,indicator,actual,target,a,b,count,reason\n\
2026-03,U1,GDP,110,100,,,,\n\
2026-03,U1,F,,,3,4,,\n\
2026-03,U2,GDP,90,100,,,,\n\
2026-03,U2,F,,,1,1,,\n\
2026-03,U2,SAFE,,,,,2,安全事故\n";

#[test]
fn good_data_scores() {
    let (code, out, err) = score(GOOD, "zh");
    assert_eq!(code, 0, "{err}");
    // U1: 60 × 1.1 + 40 × 0.75 = 96; U2: 60 × 0.9 + 40 − 4 = 90.
    assert!(out.contains("96.00") && out.contains("90.00"), "{out}");
}

#[test]
fn data_problems_are_all_reported_with_their_place() {
    let data = "period,subject,indicator,actual,target,a,b,count,reason,colour\n\
2026-03,U1,GDP,110,100,,,,,\n\
2026-03,U9,GDP,1,1,,,,,\n\
2026-03,U2,GDPX,1,1,,,,,\n\
2026-03,U2,GDP,abc,100,,,,,\n\
2026-03,U2,F,,,1,1,,,\n\
2026-03,U1,GDP,120,100,,,,,\n\
2025-03,U1,F,,,1,1,,,\n\
2026-03,U1,F,,,1,0,,,\n\
2026-03,U2,SAFE,,,,,1,,\n\
2026-03,U2,GDP,,0,,,,,\n\
2026-03,U2,F,,,,,,,red\n";
    let (code, _out, err) = score(data, "en");
    assert_eq!(code, 1);
    for needle in [
        "line 3 column 'subject': subject 'U9' does not exist",
        "line 4 column 'indicator': indicator 'GDPX' is not in the plan version in force for 2026-03",
        "line 5 column 'actual': 'abc' is not a number",
        "line 7 column 'actual': duplicate row",
        "line 8 column 'period': period 2025-03 is outside the plan year 2026",
        "line 10 column 'reason': every occurrence of 'SAFE' needs a reason",
        "line 11 column 'target': target is zero",
        "line 12 column 'colour': indicator 'F' (formula) has no field 'colour'",
        "line 12",
    ] {
        assert!(err.contains(needle), "missing «{needle}» in:\n{err}");
    }
    // The same in Chinese.
    let (_, _, zh) = score(data, "zh");
    assert!(zh.contains("第3行 列“subject”：被考核对象“U9”不存在"), "{zh}");
}

#[test]
fn a_missing_value_names_subject_indicator_and_field() {
    let data = "period,subject,indicator,actual,target,a,b\n2026-03,U1,GDP,110,100,,\n2026-03,U1,F,,,3,4\n2026-03,U2,GDP,90,,,\n2026-03,U2,F,,,1,1\n";
    let (code, _, err) = score(data, "en");
    assert_eq!(code, 1);
    assert!(err.contains("'U2' has no target for indicator 'GDP'"), "{err}");
}

#[test]
fn a_formula_dividing_by_zero_is_an_error_not_a_panic() {
    let data = "period,subject,indicator,actual,target,a,b\n2026-03,U1,GDP,110,100,,\n2026-03,U1,F,,,3,0\n2026-03,U2,GDP,90,100,,\n2026-03,U2,F,,,1,1\n";
    let (code, _, err) = score(data, "en");
    assert_eq!(code, 1);
    assert!(err.contains("indicator 'F' of 'U1' divides by zero"), "{err}");
}

#[test]
fn period_without_data_and_malformed_period() {
    let (_dir, p, d) = plan_dir(GOOD);
    let (code, _, err) = run(&["score", "--plan", &p, "--data", &d, "--period", "2026-04", "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(err.contains("the data has no rows for 2026-04"), "{err}");
    let (code, _, err) = run(&["score", "--plan", &p, "--data", &d, "--period", "2025-03", "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(err.contains("the period 2025-03 is outside the plan year 2026"), "{err}");
    let (code, _, err) = run(&["score", "--plan", &p, "--data", &d, "--period", "2026-13"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn plan_problems_are_all_reported_at_once() {
    let bad = PLAN
        .replace("weight = 60", "weight = 50")
        .replace("formula = \"weight * min(a / b, 1)\"", "formula = \"weight * mn(a / b, 1) + c\"")
        .replace("per = 2", "per = 2\nplaces = 3");
    let dir = tmp(&[("plan.toml", &bad)]);
    let (code, _, err) = run(&["check-plan", dir.join("plan.toml").to_str().unwrap(), "--lang", "en"]);
    assert_eq!(code, 1);
    for needle in [
        "unknown function 'mn' at position 10",
        "indicators[2].places: method deduction does not take the parameter places",
        "the weights of category 'A' in version v1 add up to 90, not 100",
    ] {
        assert!(err.contains(needle), "missing «{needle}» in:\n{err}");
    }
    let syntax = PLAN.replace("formula = \"weight * min(a / b, 1)\"", "formula = \"weight * (a / b\"");
    let dir = tmp(&[("plan.toml", &syntax)]);
    let (code, _, err) = run(&["check-plan", dir.join("plan.toml").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("第38行") && err.contains("indicators[1].formula") && err.contains("第16个字符处应为“)”"), "{err}");
    let unknown_var = PLAN.replace("min(a / b, 1)", "min(a / c, 1)");
    let dir = tmp(&[("plan.toml", &unknown_var)]);
    let (_, _, err) = run(&["check-plan", dir.join("plan.toml").to_str().unwrap(), "--lang", "en"]);
    assert!(err.contains("unknown variable 'c' at position 18 (known: a, b, weight, total)"), "{err}");
}

#[test]
fn toml_syntax_errors_and_unknown_fields_name_the_line() {
    let dir = tmp(&[("plan.toml", "[plan]\nkey = \"x\"\nname = \"y\"\nyear = 2026\n[[indicators]]\nkey = \"A\"\nname = \"a\"\nmethod = \"direct\"\nweigth = 100\n")]);
    let (code, _, err) = run(&["check-plan", dir.join("plan.toml").to_str().unwrap(), "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(err.contains("line 9") && err.contains("weigth"), "{err}");
    let dir = tmp(&[("plan.toml", "[plan\nkey=1")]);
    let (code, _, err) = run(&["check-plan", dir.join("plan.toml").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("第1行"), "{err}");
}

#[test]
fn files_that_are_not_text_or_do_not_exist() {
    let dir = tmp(&[("plan.toml", PLAN)]);
    std::fs::write(dir.join("data.csv"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let p = dir.join("plan.toml").display().to_string();
    let (code, _, err) = run(&["score", "--plan", &p, "--data", dir.join("data.csv").to_str().unwrap(), "--period", "2026-03", "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(err.contains("not UTF-8"), "{err}");
    let (code, _, err) = run(&["score", "--plan", &p, "--data", Path::new("/nonexistent/d.csv").to_str().unwrap(), "--period", "2026-03", "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read the file"), "{err}");
}
