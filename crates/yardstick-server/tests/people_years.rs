//! Annual grades for people over several years (issue 6, item 4; M9, M12, M14): civil
//! servants graded 优秀/称职/基本称职/不称职 under a 20 % 优秀 quota (floor), three yearly
//! plans with only year-level indicators, a grade forced by a democratic evaluation's flag
//! (applied through `POST /evaluations/{key}/apply`), and the multi-year consequences of
//! public regulations proposed as follow-ups the office confirms or dismisses: three
//! consecutive 优秀 → 记三等功, 称职 or better in 2 cumulative years → a pay step (5 → a
//! rank), two consecutive 不称职 → 辞退, 基本称职 → 诫勉. Runs on SQLite and PostgreSQL.

mod common;

use axum::http::Method;
use common::{Cred, UNITS, World, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(three_years_of_grades_and_their_consequences, applying_an_evaluation_is_checked, a_veto_forces_a_person_s_grade);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// A year's plan: the civil servants' grade set with a 20 % 优秀 quota rounded down, the
/// year's score as one `direct` indicator, an optional grade forced by an evaluation, and
/// the consequence rules of public regulations. `extra` is appended (more indicators).
fn plan_toml(year: u16, aggregation: &str, extra: &str) -> String {
    format!(
        r#"
[plan]
key = "y{year}"
name = "{year}年度公务员考核"
year = {year}
office = "组织部"

[[grade_sets]]
key = "civil"
name = "优秀/称职/基本称职/不称职"
rounding = "floor"
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
components = [{{ indicator = "{aggregation}", share = 1 }}]

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
optional = true
{extra}
[[consequences]]
level = "year"
grade = "优秀"
consecutive = 3
restart = true
action = "记三等功"

[[consequences]]
level = "year"
grade = ["优秀", "称职"]
cumulative = 2
action = "晋升一个工资档次"

[[consequences]]
level = "year"
grade = ["优秀", "称职"]
cumulative = 5
action = "晋升一个级别"

[[consequences]]
level = "year"
grade = "不称职"
consecutive = 2
action = "辞退"

[[consequences]]
level = "year"
grade = "基本称职"
action = "诫勉谈话"
"#
    )
}

/// The people and their scores in 2024, 2025 and 2026.
const PEOPLE: [(&str, &str, [&str; 3]); 7] = [
    // 优秀 three years running (the one 优秀 place each year).
    ("P1", "张一", ["95", "95", "95"]),
    // 称职, 基本称职, 称职: a pay step in 2026, cumulative and not consecutive.
    ("P2", "李二", ["85", "65", "85"]),
    // 称职, then 不称职 twice.
    ("P3", "王三", ["80", "50", "55"]),
    // 称职 by score every year; in 2026 the democratic evaluation forces 不称职.
    ("P4", "赵四", ["86", "86", "86"]),
    // 92 ≥ 90 but 20 % of 7 rounded down is one 优秀 place, and P1 holds it.
    ("P5", "钱五", ["92", "92", "92"]),
    ("P6", "孙六", ["78", "78", "78"]),
    ("P7", "周七", ["76", "76", "76"]),
];

async fn world(db: Db) -> (World, Cred) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    // These plans appraise people only: the seeded units rest, a bureau without a category
    // holds the people.
    for (key, name, category) in UNITS {
        w.send(Method::PUT, &api(&format!("/units/{key}")), &admin, Some(json!({ "key": key, "name": name, "category": category, "area": null, "static_level": null, "active": false }))).await.expect(200, None);
    }
    w.send(Method::POST, &api("/units"), &admin, Some(json!({ "key": "ED", "name": "经济发展局" }))).await.expect(201, None);
    w.send(Method::POST, &api("/categories"), &admin, Some(json!({ "key": "gwy", "name": "公务员" }))).await.expect(201, None);
    w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": "ed_lead", "display_name": "ed_lead", "role": "unit_leader", "unit": "ED", "password": common::PW }))).await.expect(201, None);
    for (key, name, _) in PEOPLE {
        w.send(Method::POST, &api("/people"), &admin, Some(json!({ "key": key, "name": name, "unit": "ED", "post": "科员", "category": "gwy", "from": "2024-01" }))).await.expect(201, None);
    }
    for year in [2024u16, 2025, 2026] {
        let key = format!("y{year}");
        w.send(Method::POST, &api("/plans"), &admin, Some(json!({ "key": key, "year": year, "name": format!("{year}年度公务员考核") }))).await.expect(201, None);
        w.send(Method::POST, &api(&format!("/plans/{key}/versions")), &admin, Some(json!({ "toml": plan_toml(year, "ANNUAL", ""), "note": "年度考核" }))).await.expect(201, None);
        w.send(Method::POST, &api(&format!("/plans/{key}/periods")), &admin, Some(json!({ "period": year.to_string() }))).await.expect(201, None);
    }
    (w, admin)
}

fn value(indicator: &str, field: &str, value: &str) -> Value {
    json!({ "values": [{ "indicator": indicator, "field": field, "value": value }] })
}

/// Enters each person's score of `year` (the office).
async fn enter_scores(w: &World, admin: &Cred, year: u16) {
    let i = usize::from(year - 2024);
    for (key, _, scores) in PEOPLE {
        let url = api(&format!("/plans/y{year}/periods/{year}/people/{key}/values"));
        w.send(Method::PUT, &url, admin, Some(value("ANNUAL", "value", scores[i]))).await.expect(200, None);
    }
}

/// Computes and publishes a year; its rows as "P1 95.00 优秀", by rank.
async fn publish(w: &World, admin: &Cred, year: u16) -> Vec<String> {
    let p = format!("/plans/y{year}/periods/{year}");
    let set = w.send(Method::POST, &api(&format!("{p}/computations")), admin, None).await.ok()["set_id"].as_i64().unwrap();
    w.send(Method::POST, &api(&format!("{p}/publications")), admin, Some(json!({ "set_id": set, "reason": format!("{year}年度考核结果") }))).await.expect(201, None);
    let rows = w.get(&api(&format!("{p}/results?category=gwy")), admin).await.ok();
    rows["items"].as_array().unwrap().iter().map(|r| format!("{} {} {}", r["subject"].as_str().unwrap(), r["score"].as_str().unwrap(), r["grade"].as_str().unwrap())).collect()
}

/// The follow-ups a run proposed, as "P1 记三等功 2024,2025,2026", sorted.
fn proposals(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .expect("a list of follow-ups")
        .iter()
        .map(|f| {
            let periods: Vec<&str> = f["periods"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
            format!("{} {} {}", f["subject"].as_str().unwrap(), f["action"].as_str().unwrap(), periods.join(","))
        })
        .collect();
    out.sort();
    out
}

/// The democratic evaluation of 2026: 不称职 votes over one third force 不称职.
fn evaluation(key: &str, subjects: Value, grade: &str) -> Value {
    json!({
        "key": key, "name": "2026年度公务员民主测评", "year": 2026,
        "subjects": subjects,
        "groups": [{ "name": "考核组", "share": "100%" }],
        "answers": [{ "name": "优秀", "value": "100" }, { "name": "称职", "value": "80" }, { "name": "基本称职", "value": "60" }, { "name": "不称职", "value": "40" }],
        "flags": [
            { "answers": ["不称职"], "when": "above", "share": "1/3", "message": "不称职票超过三分之一", "grade": grade },
            { "answers": ["优秀", "称职"], "when": "below", "share": "2/3", "message": "优秀和称职票不足三分之二" }
        ]
    })
}

/// Defines, opens, fills with paper ballots and closes an evaluation of P2 and P4: P2 称职 ×3
/// (80.00); P4 不称职 ×2, 称职 ×1 (53.33, 2/3 不称职: both flags).
async fn closed_evaluation(w: &World, admin: &Cred, key: &str, grade: &str) {
    let subjects = json!([{ "key": "P2", "name": "李二", "post": "科员" }, { "key": "P4", "name": "赵四", "post": "科员" }]);
    w.send(Method::POST, &api("/evaluations"), admin, Some(evaluation(key, subjects, grade))).await.expect(201, None);
    w.send(Method::POST, &api(&format!("/evaluations/{key}/open")), admin, None).await.expect(200, None);
    for p4 in ["不称职", "不称职", "称职"] {
        let ballot = json!({ "group": "考核组", "answers": { "P2": "称职", "P4": p4 } });
        w.send(Method::POST, &api(&format!("/evaluations/{key}/paper-ballots")), admin, Some(ballot)).await.expect(201, None);
    }
    w.send(Method::POST, &api(&format!("/evaluations/{key}/close")), admin, None).await.expect(200, None);
}

async fn three_years_of_grades_and_their_consequences(db: Db) {
    let (w, admin) = world(db).await;
    let staff = w.sign_in("staff").await;
    let ed_lead = w.sign_in("ed_lead").await;

    // 2024: one 优秀 place of seven (20 % rounded down); P5's 92 is 称职.
    enter_scores(&w, &admin, 2024).await;
    assert_eq!(publish(&w, &admin, 2024).await, ["P1 95.00 优秀", "P5 92.00 称职", "P4 86.00 称职", "P2 85.00 称职", "P3 80.00 称职", "P6 78.00 称职", "P7 76.00 称职"]);
    let run = |year: u16| api(&format!("/plans/y{year}/periods/{year}/oversight-runs"));
    // A single year fires no multi-year rule.
    let r = w.send(Method::POST, &run(2024), &staff, None).await.ok();
    assert_eq!(proposals(&r["follow_ups"]), Vec::<String>::new());

    // 2025: P2 基本称职 (诫勉), P3 不称职 (once: nothing yet); everyone 称职 or better in both
    // years gets a pay step, listing both years.
    enter_scores(&w, &admin, 2025).await;
    assert_eq!(publish(&w, &admin, 2025).await, ["P1 95.00 优秀", "P5 92.00 称职", "P4 86.00 称职", "P6 78.00 称职", "P7 76.00 称职", "P2 65.00 基本称职", "P3 50.00 不称职"]);
    let r = w.send(Method::POST, &run(2025), &staff, None).await.ok();
    assert_eq!(
        proposals(&r["follow_ups"]),
        ["P1 晋升一个工资档次 2024,2025", "P2 诫勉谈话 2025", "P4 晋升一个工资档次 2024,2025", "P5 晋升一个工资档次 2024,2025", "P6 晋升一个工资档次 2024,2025", "P7 晋升一个工资档次 2024,2025"]
    );

    // 2026: P4's democratic evaluation raises the 不称职 flag, which forces 不称职 in the plan.
    enter_scores(&w, &admin, 2026).await;
    closed_evaluation(&w, &admin, "mz2026", "不称职").await;
    let body = json!({ "plan": "y2026", "period": "2026", "grade_indicator": "FORCED" });
    let applied = w.send(Method::POST, &api("/evaluations/mz2026/apply"), &admin, Some(body)).await.ok();
    assert_eq!(applied["grades"], json!([{ "subject": "P4", "grade": "不称职" }]), "{applied}");
    assert_eq!((applied["scores"].as_u64(), applied["changed"].as_u64()), (Some(0), Some(1)));
    let rows = publish(&w, &admin, 2026).await;
    // P4 keeps its score and rank; the grade is the evaluation's. Still one 优秀.
    assert_eq!(rows, ["P1 95.00 优秀", "P5 92.00 称职", "P4 86.00 不称职", "P2 85.00 称职", "P6 78.00 称职", "P7 76.00 称职", "P3 55.00 不称职"]);
    let ex = w.get(&api("/plans/y2026/periods/2026/results/P4"), &admin).await.ok();
    assert!(ex.to_string().contains("民主测评规定等次"), "the explanation names the forced grade: {ex}");

    // The consequences: 记三等功 once, in 2026 (three 优秀 years); P2's pay step from 2024 and
    // 2026 (2025 was 基本称职); P3 辞退 after 不称职 in 2025 and 2026. No rank (5 years), no
    // pay step for P1, P4–P7 (three years met: not a multiple of two), nothing for P4's one 不称职.
    let r = w.send(Method::POST, &run(2026), &staff, None).await.ok();
    assert_eq!(proposals(&r["follow_ups"]), ["P1 记三等功 2024,2025,2026", "P2 晋升一个工资档次 2024,2026", "P3 辞退 2025,2026"]);
    let list = w.get(&api("/plans/y2026/periods/2026/follow-ups"), &staff).await.ok();
    assert!(!list.to_string().contains("晋升一个级别"));
    let find = |subject: &str| list.as_array().unwrap().iter().find(|f| f["subject"] == subject).cloned().unwrap();
    assert_eq!(find("P2")["rule"], "年度累计2期等次为优秀或称职 → 晋升一个工资档次");
    assert_eq!(find("P1")["rule"], "年度每连续3期等次为优秀 → 记三等功");
    assert_eq!(find("P3")["rule"], "年度连续2期等次为不称职 → 辞退");
    assert!(list.as_array().unwrap().iter().all(|f| f["status"] == "proposed"));
    // Running again proposes nothing twice.
    let again = w.send(Method::POST, &run(2026), &staff, None).await.ok();
    assert_eq!(again["follow_ups"], json!([]));

    // ED's leader sees the follow-ups of ED's people; another unit's leader and ED's
    // reporter do not.
    let seen = |v: Value| -> Vec<String> { let mut s: Vec<String> = v.as_array().unwrap().iter().map(|f| f["subject"].as_str().unwrap().to_string()).collect(); s.sort(); s };
    assert_eq!(seen(w.get(&api("/plans/y2026/periods/2026/follow-ups"), &ed_lead).await.ok()), ["P1", "P2", "P3"]);
    w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": "ed_rep", "display_name": "ed_rep", "role": "reporter", "unit": "ED", "password": common::PW }))).await.expect(201, None);
    assert_eq!(seen(w.get(&api("/plans/y2026/periods/2026/follow-ups"), &w.sign_in("ed_rep").await).await.ok()), Vec::<String>::new());
    assert_eq!(seen(w.get(&api("/plans/y2026/periods/2026/follow-ups"), &w.sign_in("leader").await).await.ok()), Vec::<String>::new());

    // The office decides; a unit's leader cannot.
    let decision = |id: i64| api(&format!("/plans/y2026/periods/2026/follow-ups/{id}/decision"));
    let (p1, p3) = (find("P1")["id"].as_i64().unwrap(), find("P3")["id"].as_i64().unwrap());
    w.send(Method::POST, &decision(p1), &ed_lead, Some(json!({ "decision": "confirm" }))).await.expect(403, Some("forbidden"));
    let c = w.send(Method::POST, &decision(p1), &staff, Some(json!({ "decision": "confirm" }))).await.ok();
    assert_eq!((c["status"].as_str(), c["decided_by"].as_str()), (Some("confirmed"), Some("staff")));
    let d = w.send(Method::POST, &decision(p3), &admin, Some(json!({ "decision": "dismiss", "note": "本人申诉，复核中" }))).await.ok();
    assert_eq!((d["status"].as_str(), d["note"].as_str()), (Some("dismissed"), Some("本人申诉，复核中")));
    w.send(Method::POST, &decision(p1), &admin, Some(json!({ "decision": "dismiss", "note": "x" }))).await.expect(409, Some("already_decided"));

    // Every step is audited: the evaluation applied, the forced value written, the follow-ups.
    let audit = w.get(&api("/audit?limit=1000"), &admin).await.ok();
    let has = |action: &str, entity: &str, key: &str| audit.as_array().unwrap().iter().any(|e| e["action"] == action && e["entity"] == entity && e["entity_id"].as_str().is_some_and(|k| k.contains(key)));
    assert!(has("apply", "evaluation", "mz2026"), "the application is audited");
    assert!(has("write", "data_values", "y2026/2026/P4"), "the forced grade's write is audited");
    assert!(has("propose", "follow_up", "y2026/2026") && has("confirm", "follow_up", "y2026/2026") && has("dismiss", "follow_up", "y2026/2026"));
}

async fn applying_an_evaluation_is_checked(db: Db) {
    let (w, admin) = world(db).await;
    // A plan of 2026 that takes the evaluation's score as a year indicator of its own.
    let extra = "\n[[indicators]]\nkey = \"MZ\"\nname = \"民主测评得分\"\nkind = \"evaluation\"\nlevel = \"year\"\nmethod = \"direct\"\n";
    let toml = plan_toml(2026, "MZ", extra).replace("key = \"y2026\"", "key = \"m2026\"");
    w.send(Method::POST, &api("/plans"), &admin, Some(json!({ "key": "m2026", "year": 2026, "name": "2026年度民主测评" }))).await.expect(201, None);
    w.send(Method::POST, &api("/plans/m2026/versions"), &admin, Some(json!({ "toml": toml, "note": "民主测评" }))).await.expect(201, None);
    let apply = |key: &str| api(&format!("/evaluations/{key}/apply"));
    let good = json!({ "plan": "m2026", "period": "2026", "score_indicator": "MZ", "grade_indicator": "FORCED" });

    // Before closing: 409; then closed.
    let subjects = json!([{ "key": "P2", "name": "李二" }, { "key": "P4", "name": "赵四" }]);
    w.send(Method::POST, &api("/evaluations"), &admin, Some(evaluation("open", subjects, "不称职"))).await.expect(201, None);
    w.send(Method::POST, &apply("open"), &admin, Some(good.clone())).await.expect(409, Some("evaluation_not_closed"));
    closed_evaluation(&w, &admin, "mz", "不称职").await;

    // Only the office.
    for who in ["ed_lead", "leader", "auditor", "reporter", "expert"] {
        w.send(Method::POST, &apply("mz"), &w.sign_in(who).await, Some(good.clone())).await.expect(403, Some("forbidden"));
    }
    // Bad input, each naming its field.
    let fields = |r: &common::Resp| -> Vec<String> { r.json()["error"]["problems"].as_array().unwrap().iter().map(|p| p["place"]["field"].as_str().unwrap_or_default().to_string()).collect() };
    let refused = |body: Value, field: &'static str| {
        let w = w.clone();
        let admin = admin.clone();
        async move {
            let r = w.send(Method::POST, &apply("mz"), &admin, Some(body)).await;
            r.expect(422, None);
            assert!(fields(&r).iter().any(|f| f == field), "{field} not named: {}", r.text());
        }
    };
    refused(json!({ "plan": "nope", "period": "2026" }), "plan").await;
    refused(json!({ "plan": "m2026", "period": "2025", "score_indicator": "MZ" }), "period").await;
    refused(json!({ "plan": "m2026", "period": "someday", "score_indicator": "MZ" }), "period").await;
    refused(json!({ "plan": "m2026", "period": "2026" }), "score_indicator").await;
    refused(json!({ "plan": "m2026", "period": "2026", "score_indicator": "MZ" }), "grade_indicator").await;
    refused(json!({ "plan": "m2026", "period": "2026", "score_indicator": "FORCED", "grade_indicator": "FORCED" }), "score_indicator").await;
    refused(json!({ "plan": "m2026", "period": "2026", "score_indicator": "MZ", "grade_indicator": "MZ" }), "grade_indicator").await;
    refused(json!({ "plan": "m2026", "period": "2026", "score_indicator": "NOPE", "grade_indicator": "FORCED" }), "score_indicator").await;
    w.send(Method::POST, &apply("mz"), &admin, Some(json!({ "plan": "m2026", "period": "2026", "colour": 1 }))).await.expect(422, None);
    // A grade the plan does not have, and a subject who is not in the registry.
    closed_evaluation(&w, &admin, "bad-grade", "卓越").await;
    let r = w.send(Method::POST, &apply("bad-grade"), &admin, Some(good.clone())).await;
    r.expect(422, None);
    assert_eq!(fields(&r), ["flags[0].grade"], "{}", r.text());
    let stranger = evaluation("stranger", json!([{ "key": "P2", "name": "李二" }, { "key": "X9", "name": "外单位" }]), "不称职");
    w.send(Method::POST, &api("/evaluations"), &admin, Some(stranger)).await.expect(201, None);
    w.send(Method::POST, &api("/evaluations/stranger/open"), &admin, None).await.expect(200, None);
    w.send(Method::POST, &api("/evaluations/stranger/close"), &admin, None).await.expect(200, None);
    let r = w.send(Method::POST, &apply("stranger"), &admin, Some(good.clone())).await;
    r.expect(422, None);
    assert_eq!(fields(&r), ["subjects[1]"], "{}", r.text());
    // The period must be open for data.
    w.send(Method::POST, &apply("mz"), &admin, Some(good.clone())).await.expect(409, Some("period_not_open"));
    w.send(Method::POST, &api("/plans/m2026/periods"), &admin, Some(json!({ "period": "2026" }))).await.expect(201, None);
    // Nothing was written by any refusal.
    let p4 = api("/plans/m2026/periods/2026/people/P4/values");
    let before = w.get(&p4, &admin).await.ok();
    assert!(!before.to_string().contains("不称职") && !before.to_string().contains("53.33"), "{before}");

    // Applied: each score as MZ's value, P4's forced grade as FORCED's grade.
    let a = w.send(Method::POST, &apply("mz"), &admin, Some(good.clone())).await.ok();
    assert_eq!((a["scores"].as_u64(), a["changed"].as_u64()), (Some(2), Some(3)), "{a}");
    assert_eq!(a["grades"], json!([{ "subject": "P4", "grade": "不称职" }]));
    let results = w.get(&api("/evaluations/mz/results"), &admin).await.ok();
    let p4_result = results["subjects"].as_array().unwrap().iter().find(|s| s["key"] == "P4").unwrap().clone();
    assert_eq!((p4_result["score"].as_str(), p4_result["grade"].as_str()), (Some("53.33"), Some("不称职")), "{p4_result}");
    let after = w.get(&p4, &admin).await.ok().to_string();
    assert!(after.contains("53.33") && after.contains("不称职"), "{after}");
    assert!(w.get(&api("/plans/m2026/periods/2026/people/P2/values"), &admin).await.ok().to_string().contains("80.00"));
    // Again: the same values, nothing changes.
    let again = w.send(Method::POST, &apply("mz"), &admin, Some(good)).await.ok();
    assert_eq!(again["changed"].as_u64(), Some(0));
}

/// A veto (一票否决) recorded against a person — a disciplinary finding — forces the veto
/// grade 不称职, ranks them last, and frees the one 优秀 place for the next.
async fn a_veto_forces_a_person_s_grade(db: Db) {
    let (w, admin) = world(db).await;
    let extra = "\n[[indicators]]\nkey = \"DISC\"\nname = \"违反廉洁纪律\"\nkind = \"constraint\"\nlevel = \"year\"\nmethod = \"veto\"\n";
    let toml = plan_toml(2026, "ANNUAL", extra);
    w.send(Method::POST, &api("/plans/y2026/versions"), &admin, Some(json!({ "toml": toml, "note": "一票否决" }))).await.expect(201, None);
    enter_scores(&w, &admin, 2026).await;
    let url = |who: &str| api(&format!("/plans/y2026/periods/2026/people/{who}/occurrences"));
    let veto = json!({ "indicator": "DISC", "field": "count", "amount": "1", "reason": "2026年8月受党内警告处分" });
    // Only the office; a reason; a person that exists; an indicator of the plan.
    w.send(Method::POST, &url("P1"), &w.sign_in("ed_lead").await, Some(veto.clone())).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &url("P1"), &w.sign_in("auditor").await, Some(veto.clone())).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &url("P1"), &admin, Some(json!({ "indicator": "DISC", "field": "count", "amount": "1", "reason": " " }))).await.expect(422, Some("reason_required"));
    w.send(Method::POST, &url("NOPE"), &admin, Some(veto.clone())).await.expect(404, None);
    w.send(Method::POST, &url("P1"), &admin, Some(json!({ "indicator": "NOPE", "field": "count", "amount": "1", "reason": "x" }))).await.expect(422, None);
    w.send(Method::POST, &url("P1"), &admin, Some(veto)).await.expect(201, None);
    let rows = publish(&w, &admin, 2026).await;
    assert_eq!(rows, ["P5 92.00 优秀", "P4 86.00 称职", "P2 85.00 称职", "P6 78.00 称职", "P7 76.00 称职", "P3 55.00 不称职", "P1 95.00 不称职"]);
    let ex = w.get(&api("/plans/y2026/periods/2026/results/P1"), &admin).await.ok();
    assert!(ex.to_string().contains("2026年8月受党内警告处分"), "the reason is published with the veto: {ex}");
}
