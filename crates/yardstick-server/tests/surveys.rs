//! Satisfaction surveys (issue 6, item 6; M13): Example G of DOMAIN.md through the API — the
//! surveyor imports the answers of two channels, 不了解 is left out, the published score is
//! 9.00 (8.9975 before rounding) with the sample size and the margin of error beside it in
//! the explanation — the refusals (a bad row named by row and column, a unit or answer the
//! plan does not know, an indicator that is not a survey, other roles), and a reproducible
//! random sample of respondents drawn from a roster. Runs on SQLite and PostgreSQL.

mod common;

use axum::http::Method;
use common::{Cred, RAW, World, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(example_g_through_the_api, survey_refusals, samples_are_reproducible);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// Example G's plan (examples/g-survey) without its subjects: in the server they are the registry's.
fn plan_g() -> String {
    let text = include_str!("../../../examples/g-survey/plan.toml");
    let start = text.find("[[subjects]]").expect("the example lists its subject");
    let end = text[start..].find("[[indicators]]").map(|i| start + i).expect("then its indicators");
    format!("{}{}", &text[..start], &text[end..]).replace("key = \"example-g\"", "key = \"g2026\"")
}

async fn world_g(db: Db) -> (World, Cred) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    w.send(Method::POST, &api("/categories"), &admin, Some(json!({ "key": "depts", "name": "窗口服务部门", "sort": 9 }))).await.expect(201, None);
    w.send(Method::POST, &api("/units"), &admin, Some(json!({ "key": "S1", "name": "政务服务中心", "category": "depts" }))).await.expect(201, None);
    // This plan appraises the service centre only: the seeded units rest (a plan must give
    // rules to every category with active units).
    for (key, name, category) in common::UNITS {
        w.send(Method::PUT, &api(&format!("/units/{key}")), &admin, Some(json!({ "key": key, "name": name, "category": category, "area": null, "static_level": null, "active": false }))).await.expect(200, None);
    }
    w.send(Method::POST, &api("/plans"), &admin, Some(json!({ "key": "g2026", "year": 2026, "name": "示例G" }))).await.expect(201, None);
    w.send(Method::POST, &api("/plans/g2026/versions"), &admin, Some(json!({ "toml": plan_g(), "note": "示例G" }))).await.expect(201, None);
    w.send(Method::POST, &api("/plans/g2026/periods"), &admin, Some(json!({ "period": "2026-12" }))).await.expect(201, None);
    (w, admin)
}

fn file(text: &str) -> Value {
    json!(format!("{RAW}{text}"))
}

/// Example G's answers: one row per unit, channel and answer with its count, and a few
/// single answers (one row each) to show both forms read alike.
fn answers_g() -> String {
    let mut s = String::from("单位编码,渠道,答案,份数\n");
    for (c, a, n) in [("电话", "满意", 299), ("电话", "基本满意", 120), ("电话", "不满意", 60), ("电话", "不了解", 20), ("问卷", "满意", 150), ("问卷", "基本满意", 39), ("问卷", "不满意", 10)] {
        s.push_str(&format!("S1,{c},{a},{n}\n"));
    }
    s.push_str("S1,电话,满意,\nS1,问卷,基本满意,\n");
    s
}

async fn example_g_through_the_api(db: Db) {
    let (w, admin) = world_g(db).await;
    let surveyor = w.sign_in("surveyor").await;
    let url = api("/plans/g2026/periods/2026-12/surveys/SAT?name=answers.csv");
    let dry = w.send(Method::POST, &format!("{url}&dry_run=true"), &surveyor, Some(file(&answers_g()))).await.ok();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["answers"], 9);
    assert_eq!(dry["samples"][0]["channels"], json!([{ "channel": "电话", "counted": 480, "left_out": 20 }, { "channel": "问卷", "counted": 200, "left_out": 0 }]));
    let r = w.send(Method::POST, &url, &surveyor, Some(file(&answers_g()))).await.ok();
    assert_eq!((r["dry_run"].as_bool(), r["values_changed"].as_u64()), (Some(false), Some(8)), "{r}");
    // The same file again changes nothing.
    let again = w.send(Method::POST, &url, &surveyor, Some(file(&answers_g()))).await.ok();
    assert_eq!(again["values_changed"], 0);
    // The counts are the indicator's values.
    let vals = w.get(&api("/plans/g2026/periods/2026-12/units/S1/values"), &admin).await.ok();
    let of = |f: &str| vals["values"].as_array().unwrap().iter().find(|v| v["field"] == f).map(|v| v["value"].as_str().unwrap().to_string());
    assert_eq!(of("电话.满意").as_deref(), Some("300"), "{vals}");
    assert_eq!(of("电话.不了解").as_deref(), Some("20"));

    let set = w.send(Method::POST, &api("/plans/g2026/periods/2026-12/computations"), &admin, None).await.ok()["set_id"].as_i64().unwrap();
    w.send(Method::POST, &api("/plans/g2026/periods/2026-12/publications"), &admin, Some(json!({ "set_id": set, "reason": "满意度测评结果" }))).await.expect(201, None);
    let res = w.get(&api("/plans/g2026/periods/2026-12/results"), &admin).await.ok();
    assert_eq!(res["items"][0]["score"], "9.00", "{res}");
    let ex = w.get(&api("/plans/g2026/periods/2026-12/results/S1"), &admin).await.ok().to_string();
    assert!(ex.contains("8.9975"), "the exact points before rounding: {ex}");
    assert!(ex.contains("n = 680 answers counted, 20 left out; margin of error ±0.11 points (95%)"), "sample and margin beside the score: {ex}");
}

async fn survey_refusals(db: Db) {
    let (w, admin) = world_g(db).await;
    let surveyor = w.sign_in("surveyor").await;
    let url = api("/plans/g2026/periods/2026-12/surveys/SAT?name=answers.csv");
    // Every bad row at once, named by row and column; nothing written.
    let bad = "单位编码,渠道,答案,份数\nS1,电话,满意,3\nS9,电话,满意,1\nS1,微信,满意,1\nS1,问卷,很满意,1\nS1,问卷,满意,-2\n";
    let r = w.send(Method::POST, &url, &surveyor, Some(file(bad))).await;
    r.expect(422, Some("invalid"));
    let problems = r.json()["error"]["problems"].as_array().unwrap().clone();
    let at: Vec<(u64, String)> = problems.iter().map(|p| (p["place"]["line"].as_u64().unwrap_or(0), p["place"]["column"].as_str().unwrap_or("").to_string())).collect();
    for (row, col) in [(3, "A"), (4, "B"), (5, "C"), (6, "D")] {
        assert!(at.iter().any(|(r, c)| *r == row && c.starts_with(col)), "row {row} column {col} among {at:?}");
    }
    let vals = w.get(&api("/plans/g2026/periods/2026-12/units/S1/values"), &admin).await.ok();
    assert!(vals["values"].as_array().unwrap().is_empty(), "nothing written: {vals}");
    // No header; an indicator that is not a survey; an unknown one.
    w.send(Method::POST, &url, &surveyor, Some(file("甲,乙\n1,2\n"))).await.expect(422, Some("invalid"));
    w.send(Method::POST, &api("/plans/p2026/periods/2026-03/surveys/GDP"), &surveyor, Some(file(&answers_g()))).await.expect(422, Some("not_a_survey"));
    w.send(Method::POST, &api("/plans/g2026/periods/2026-12/surveys/NOPE"), &surveyor, Some(file(&answers_g()))).await.expect(404, Some("not_found"));
    // A closed period (never opened).
    let closed = w.send(Method::POST, &api("/plans/g2026/periods/2026-11/surveys/SAT"), &surveyor, Some(file(&answers_g()))).await;
    assert!(matches!(closed.status.as_u16(), 404 | 409), "{}", closed.text());
    // Who may import.
    for who in ["reporter", "leader", "dept", "expert", "viewer", "auditor"] {
        let c = w.sign_in(who).await;
        w.send(Method::POST, &url, &c, Some(file(&answers_g()))).await.expect(403, Some("forbidden"));
    }
    w.send(Method::POST, &url, &Cred::Anon, Some(file(&answers_g()))).await.expect(401, None);
    w.send(Method::POST, &url, &admin, Some(file(&answers_g()))).await.expect(200, None);
}

async fn samples_are_reproducible(db: Db) {
    let w = seed(db).await;
    let surveyor = w.sign_in("surveyor").await;
    let mut roster = String::from("编号,姓名,类别\n");
    for i in 1..=600 {
        roster.push_str(&format!("R{i:04},受访者{i},{}\n", ["企业", "居民", "代表"][i % 3]));
    }
    let url = |seed: &str, size: usize| api(&format!("/surveys/samples?seed={seed}&size={size}&name=roster.csv"));
    let a = w.send(Method::POST, &url("2026-Q4", 50), &surveyor, Some(file(&roster))).await.ok();
    let b = w.send(Method::POST, &url("2026-Q4", 50), &surveyor, Some(file(&roster))).await.ok();
    assert_eq!(a["sample"], b["sample"], "the same seed and roster give the same sample");
    assert_eq!((a["population"].as_u64(), a["sample"].as_array().unwrap().len()), (Some(600), 50));
    assert_eq!(a["sample"][0]["fields"].as_object().unwrap().len(), 2, "the roster's other columns come along: {}", a["sample"][0]);
    let c = w.send(Method::POST, &url("2026-Q4b", 50), &surveyor, Some(file(&roster))).await.ok();
    assert_ne!(a["sample"], c["sample"], "another seed, another sample");
    // Anyone can repeat the draw: the smallest SHA-256 of `seed:id`.
    use sha2::{Digest, Sha256};
    let mut keyed: Vec<(String, String)> = (1..=600).map(|i| format!("R{i:04}")).map(|id| (Sha256::digest(format!("2026-Q4:{id}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect(), id)).collect();
    keyed.sort();
    let expect: Vec<String> = keyed.into_iter().take(50).map(|(_, id)| id).collect();
    let got: Vec<String> = a["sample"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, expect);
    // Bad rosters and sizes.
    w.send(Method::POST, &url("s", 601), &surveyor, Some(file(&roster))).await.expect(422, Some("invalid"));
    w.send(Method::POST, &url("", 5), &surveyor, Some(file(&roster))).await.expect(422, Some("invalid"));
    let r = w.send(Method::POST, &url("s", 1), &surveyor, Some(file("编号,姓名\nR1,甲\nR1,乙\n,丙\n"))).await;
    r.expect(422, Some("invalid"));
    assert_eq!(r.json()["error"]["problems"].as_array().unwrap().len(), 2);
    w.send(Method::POST, &url("s", 1), &w.sign_in("reporter").await, Some(file(&roster))).await.expect(403, Some("forbidden"));
    // The draw is in the audit log.
    let admin = w.sign_in("admin").await;
    let audit = w.get(&api("/audit?limit=1000"), &admin).await.ok();
    assert!(audit.as_array().unwrap().iter().any(|e| e["entity"] == "survey_sample" && e["after"]["population"] == 600));
}
