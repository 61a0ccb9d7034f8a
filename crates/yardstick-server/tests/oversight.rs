//! Monitoring, warnings, rectification and consequences (issue 4, items 7–10; M14, M15):
//! each step through the API and each refusal (wrong role, wrong unit, wrong state, bad
//! input), idempotent generation, and the audit trail. Runs on SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use common::{APRIL, MARCH, PLAN, PLAN_TOML, World, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(falsified_findings_open_one_task, pages_for_monitoring_and_rectification, monitoring_report, rules_make_warnings_tasks_and_follow_ups_once, notices_by_hand_and_acknowledgement, rectification_lifecycle, follow_ups_are_confirmed_or_dismissed);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// Version 2 of the test plan: the same indicators, with warning, consequence and
/// rectification rules.
fn plan_with_rules() -> String {
    format!(
        r#"{PLAN_TOML}
[[warnings]]
indicator = "GDP"
measure = "target"
text = "{{unit}}{{period}}{{indicator}}完成率{{value}}，低于{{line}}。"

[[warnings]]
measure = "peers"
threshold = 0.95

[[warnings]]
measure = "progress"

[[consequences]]
level = "month"
bottom = 1
action = "提醒谈话"

[[consequences]]
level = "month"
bottom = 1
consecutive = 2
action = "调整岗位"

[rectification]
days = 15
grades = ["一般"]
"#
    )
}

async fn with_rules(db: Db) -> World {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/versions")), &admin, Some(json!({ "toml": plan_with_rules(), "note": "预警与后果规则" }))).await.expect(201, None);
    w
}

async fn post(w: &World, who: &common::Cred, path: String, body: Option<Value>) -> common::Resp {
    w.send(Method::POST, &api(&path), who, body).await
}

fn page_text(r: &common::Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn units_of(v: &Value) -> Vec<String> {
    let mut u: Vec<String> = v.as_array().expect("a list").iter().map(|x| x["unit_key"].as_str().or(x["subject"].as_str()).unwrap_or_default().to_string()).collect();
    u.sort();
    u
}

async fn monitoring_report(db: Db) {
    let w = with_rules(db).await;
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    let uri = api(&format!("/plans/{PLAN}/periods/{MARCH}/monitoring"));
    let r = w.get(&uri, &staff).await.ok();
    assert_eq!(r["elapsed"], "25.00", "March is three twelfths of the year");
    let gdp = &r["indicators"][0];
    assert_eq!(gdp["key"], "GDP");
    let rows = gdp["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "every unit: {r}");
    let a1 = rows.iter().find(|x| x["unit"] == "A1").unwrap();
    // A1: 90 of 100; category A's mean is (90 + 97 + 104) / 3 = 97 %, the peers line 0.95 × 97 = 92.15 %.
    assert_eq!(a1["completion"], "90.00");
    assert_eq!(a1["peer_mean"], "97.00");
    assert_eq!(a1["lags"], json!(["target", "peers"]));
    assert_eq!(a1["warned"], true);
    let a2 = rows.iter().find(|x| x["unit"] == "A2").unwrap();
    assert_eq!(a2["lags"], json!(["target"]), "97 % is exactly the mean: not behind its peers");
    let b2 = rows.iter().find(|x| x["unit"] == "B2").unwrap();
    assert_eq!(b2["lags"], json!([]));
    assert_eq!(r["lagging"], 2);
    // A unit sees its own line only, with its category's mean.
    let mine = w.get(&uri, &leader).await.ok();
    let units: Vec<&str> = mine["indicators"][0]["rows"].as_array().unwrap().iter().map(|x| x["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["A1"]);
    assert_eq!(mine["indicators"][0]["rows"][0]["peer_mean"], "97.00");
    // Refusals.
    w.get(&uri, &w.sign_in("expert").await).await.expect(403, Some("forbidden"));
    w.get(&uri, &w.sign_in("viewer").await).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("/plans/{PLAN}/periods/2026-Q1/monitoring")), &staff).await.expect(422, Some("not_a_month"));
    w.get(&api(&format!("/plans/{PLAN}/periods/2026-13/monitoring")), &staff).await.expect(400, Some("bad_period"));
    w.get(&api("/plans/nope/periods/2026-03/monitoring"), &staff).await.expect(404, Some("not_found"));
    w.get(&api(&format!("/plans/{PLAN}/periods/2027-03/monitoring")), &staff).await.expect(422, Some("period_outside_plan"));
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/2025/oversight-runs")), &staff, None).await.expect(422, Some("period_outside_plan"));
}

async fn rules_make_warnings_tasks_and_follow_ups_once(db: Db) {
    let w = with_rules(db).await;
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    let run = api(&format!("/plans/{PLAN}/periods/{MARCH}/oversight-runs"));
    w.send(Method::POST, &run, &leader, None).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &run, &w.sign_in("auditor").await, None).await.expect(403, Some("forbidden"));
    let r = w.send(Method::POST, &run, &staff, None).await;
    r.expect(201, None);
    let r = r.json();
    // Warnings: A1 and A2 below target; A1 also behind its peers. Progress (25 %) catches nobody.
    let mut made: Vec<(String, String)> = r["notices"].as_array().unwrap().iter().map(|n| (n["unit_key"].as_str().unwrap().into(), n["measure"].as_str().unwrap().into())).collect();
    made.sort();
    assert_eq!(made, [("A1".into(), "peers".into()), ("A1".into(), "target".into()), ("A2".into(), "target".into())] as [(String, String); 3]);
    let a1_target = r["notices"].as_array().unwrap().iter().find(|n| n["unit_key"] == "A1" && n["measure"] == "target").unwrap();
    assert_eq!(a1_target["kind"], "warning");
    assert_eq!(a1_target["body"], "城关镇2026年3月地区生产总值完成率90.00%，低于100.00%。");
    assert!(a1_target["title"].as_str().unwrap().contains("预警通知单"));
    // Tasks: A2's deduction, and the grade 一般 of A1 (last of A) and B1 (last of B).
    let mut tasks: Vec<(String, String)> = r["tasks"].as_array().unwrap().iter().map(|t| (t["unit_key"].as_str().unwrap().into(), t["source"].as_str().unwrap().into())).collect();
    tasks.sort();
    assert_eq!(tasks, [("A1".into(), "grade".into()), ("A2".into(), "deduction".into()), ("B1".into(), "grade".into())] as [(String, String); 3]);
    let t = &r["tasks"][0];
    let days = (t["deadline_ms"].as_i64().unwrap() - t["opened_ms"].as_i64().unwrap()) / 86_400_000;
    assert_eq!(days, 15, "the plan's deadline");
    // Follow-ups: the last of each category in the month → reminder talk.
    assert_eq!(units_of(&r["follow_ups"]), ["A1", "B1"]);
    assert!(r["follow_ups"].as_array().unwrap().iter().all(|f| f["action"] == "提醒谈话" && f["status"] == "proposed"));
    // A second run makes nothing.
    let again = w.send(Method::POST, &run, &staff, None).await.ok();
    assert_eq!(again, json!({ "notices": [], "tasks": [], "follow_ups": [] }));
    // Every item made is in the audit log with who and when.
    let audit = w.get(&api("/audit?limit=1000"), &staff).await.ok();
    let by = |action: &str, entity: &str| audit.as_array().unwrap().iter().filter(|x| x["action"] == action && x["entity"] == entity && x["actor"] == "staff").count();
    assert_eq!((by("issue", "notice"), by("open", "rectification"), by("propose", "follow_up")), (3, 3, 2));

    // April, once published: A1 is last again → the two-months-running rule fires too.
    let admin = w.sign_in("admin").await;
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{APRIL}/publications")), &admin, Some(json!({ "set_id": w.april_set, "reason": "发布" }))).await.expect(201, None);
    let r = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{APRIL}/oversight-runs")), &staff, None).await.ok();
    let f: Vec<(String, String, Value)> = r["follow_ups"].as_array().unwrap().iter().map(|f| (f["subject"].as_str().unwrap().into(), f["action"].as_str().unwrap().into(), f["periods"].clone())).collect();
    assert!(f.contains(&("A1".into(), "调整岗位".into(), json!([MARCH, APRIL]))), "{f:?}");
    assert!(f.contains(&("A1".into(), "提醒谈话".into(), json!([APRIL]))), "{f:?}");
}

async fn notices_by_hand_and_acknowledgement(db: Db) {
    let w = with_rules(db).await;
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    let reporter_b = w.sign_in(common::REPORTER_B).await;
    let p = format!("/plans/{PLAN}/periods/{MARCH}");
    let notices = format!("{p}/notices");
    let n = post(&w, &staff, notices.clone(), Some(json!({ "unit": "A1", "title": "关于报送一季度整改台账的通知", "body": "请于4月10日前报送。" }))).await;
    n.expect(201, None);
    let n = n.json();
    assert_eq!((n["kind"].as_str(), n["issued_by"].as_str(), n["read_ms"].is_null()), (Some("notice"), Some("staff"), true));
    post(&w, &staff, notices.clone(), Some(json!({ "unit": "B1", "title": "关于核对数据的通知", "body": "请核对。" }))).await.expect(201, None);
    post(&w, &staff, notices.clone(), Some(json!({ "unit": "A1", "title": " ", "body": "x" }))).await.expect(422, Some("bad_title"));
    post(&w, &staff, notices.clone(), Some(json!({ "unit": "A1", "title": "t", "body": "" }))).await.expect(422, Some("bad_body"));
    post(&w, &staff, notices.clone(), Some(json!({ "unit": "ZZ", "title": "t", "body": "b" }))).await.expect(404, Some("not_found"));
    let bad = post(&w, &staff, notices.clone(), Some(json!({ "unit": "A1", "title": "t", "body": "b", "urgent": true }))).await;
    assert!(bad.status.is_client_error(), "an unknown field is the caller's mistake: {}", bad.status);
    post(&w, &leader, notices.clone(), Some(json!({ "unit": "A1", "title": "t", "body": "b" }))).await.expect(403, Some("forbidden"));

    // Each unit sees its own notices; the office all of them.
    let list = api(&format!("{p}/notices"));
    assert_eq!(units_of(&w.get(&list, &leader).await.ok()), ["A1"]);
    assert_eq!(units_of(&w.get(&list, &reporter_b).await.ok()), ["B1"]);
    assert_eq!(units_of(&w.get(&list, &w.sign_in("auditor").await).await.ok()), ["A1", "B1"]);
    w.get(&list, &w.sign_in("viewer").await).await.expect(403, Some("forbidden"));

    // The unit's leader acknowledges its own notice, once; not another unit's; the office cannot for it.
    let id = n["id"].as_i64().unwrap();
    post(&w, &staff, format!("{p}/notices/{}/acknowledgement", id), None).await.expect(403, Some("forbidden"));
    let done = post(&w, &leader, format!("{p}/notices/{}/acknowledgement", id), None).await.ok();
    assert_eq!(done["read_by"], "leader");
    post(&w, &leader, format!("{p}/notices/{}/acknowledgement", id), None).await.expect(409, Some("already_acknowledged"));
    let b1 = w.get(&list, &staff).await.ok().as_array().unwrap().iter().find(|x| x["unit_key"] == "B1").unwrap()["id"].as_i64().unwrap();
    post(&w, &leader, format!("{p}/notices/{}/acknowledgement", b1), None).await.expect(403, Some("forbidden"));
    post(&w, &leader, format!("{p}/notices/{}/acknowledgement", 999_999), None).await.expect(404, Some("not_found"));
    // The notice belongs to March: April's path does not reach it.
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{APRIL}/notices/{b1}/acknowledgement")), &w.sign_in("admin").await, None).await.expect(404, Some("not_found"));
}

async fn rectification_lifecycle(db: Db) {
    let w = with_rules(db).await;
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    let p = format!("/plans/{PLAN}/periods/{MARCH}");
    w.send(Method::POST, &api(&format!("{p}/oversight-runs")), &staff, None).await.ok();
    let list = api(&format!("{p}/rectifications"));
    let mine = w.get(&list, &leader).await.ok();
    assert_eq!(units_of(&mine), ["A1"], "a unit sees its own tasks");
    assert_eq!(mine[0]["overdue"], false);
    let id = mine[0]["id"].as_i64().unwrap();
    let all = w.get(&list, &staff).await.ok();
    let a2 = all.as_array().unwrap().iter().find(|t| t["unit_key"] == "A2").unwrap()["id"].as_i64().unwrap();

    // Nothing to decide before a report.
    post(&w, &staff, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "close" }))).await.expect(409, Some("not_reported"));
    post(&w, &leader, format!("{p}/rectifications/{}/report", id), Some(json!({ "report": "  " }))).await.expect(422, Some("bad_report"));
    post(&w, &leader, format!("{p}/rectifications/{}/report", a2), Some(json!({ "report": "不是本单位的任务" }))).await.expect(403, Some("forbidden"));
    post(&w, &w.sign_in("reporter").await, format!("{p}/rectifications/{}/report", id), Some(json!({ "report": "填报员不能报送" }))).await.expect(403, Some("forbidden"));
    post(&w, &staff, format!("{p}/rectifications/{}/report", id), Some(json!({ "report": "考评办不能代报" }))).await.expect(403, Some("forbidden"));
    let r = post(&w, &leader, format!("{p}/rectifications/{}/report", id), Some(json!({ "report": "已召开专题会议分析原因，制定三项整改措施。" }))).await.ok();
    assert_eq!((r["status"].as_str(), r["reported_by"].as_str()), (Some("reported"), Some("leader")));
    post(&w, &leader, format!("{p}/rectifications/{}/report", id), Some(json!({ "report": "再报一次" }))).await.expect(409, Some("not_open"));
    // The office reopens (a note is required), the unit reports again, the office closes.
    post(&w, &staff, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "reopen" }))).await.expect(422, Some("note_required"));
    post(&w, &staff, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "later" }))).await.expect(422, Some("bad_decision"));
    post(&w, &leader, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "close" }))).await.expect(403, Some("forbidden"));
    post(&w, &w.sign_in("auditor").await, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "close" }))).await.expect(403, Some("forbidden"));
    let r = post(&w, &staff, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "reopen", "note": "缺少佐证材料" }))).await.ok();
    assert_eq!((r["status"].as_str(), r["note"].as_str()), (Some("open"), Some("缺少佐证材料")));
    post(&w, &leader, format!("{p}/rectifications/{}/report", id), Some(json!({ "report": "已补充佐证材料。" }))).await.ok();
    let r = post(&w, &staff, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "close" }))).await.ok();
    assert_eq!(r["status"], "closed");
    post(&w, &staff, format!("{p}/rectifications/{}/decision", id), Some(json!({ "decision": "close" }))).await.expect(409, Some("not_reported"));
    post(&w, &staff, format!("{p}/rectifications/{}/decision", 999_999), Some(json!({ "decision": "close" }))).await.expect(404, Some("not_found"));
    let audit = w.get(&api("/audit?limit=1000"), &staff).await.ok();
    let steps: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["entity"] == "rectification" && x["entity_id"] == format!("{PLAN}/{MARCH}/{id}"))
        .map(|x| (x["action"].as_str().unwrap().into(), x["actor"].as_str().unwrap().into()))
        .collect();
    let want: Vec<(String, String)> = [("open", "staff"), ("report", "leader"), ("reopen", "staff"), ("report", "leader"), ("close", "staff")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(steps, want);

    // Overdue: past the deadline and still open.
    let now = yardstick_server::auth::now_ms();
    let t = yardstick_storage::oversight::NewTask { unit_key: "A1".into(), source: "notice", source_ref: "late".into(), problem: "逾期".into(), required: "报告".into(), deadline_ms: now - 1 };
    w.db.generate_oversight(PLAN, MARCH, &[], &[t], &[], "staff", now - 86_400_000).await.unwrap();
    let late = w.get(&list, &leader).await.ok();
    let late = late.as_array().unwrap().iter().find(|t| t["source_ref"] == "late").unwrap();
    assert_eq!(late["overdue"], true);
}

async fn follow_ups_are_confirmed_or_dismissed(db: Db) {
    let w = with_rules(db).await;
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    let p = format!("/plans/{PLAN}/periods/{MARCH}");
    // Not published yet: April proposes no follow-ups.
    let r = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{APRIL}/oversight-runs")), &staff, None).await.ok();
    assert_eq!(r["follow_ups"], json!([]));
    w.send(Method::POST, &api(&format!("{p}/oversight-runs")), &staff, None).await.ok();
    let list = api(&format!("{p}/follow-ups"));
    assert_eq!(units_of(&w.get(&list, &leader).await.ok()), ["A1"]);
    let all = w.get(&list, &staff).await.ok();
    let id_of = |u: &str| all.as_array().unwrap().iter().find(|f| f["subject"] == u).unwrap()["id"].as_i64().unwrap();
    post(&w, &leader, format!("{p}/follow-ups/{}/decision", id_of("A1")), Some(json!({ "decision": "dismiss", "note": "x" }))).await.expect(403, Some("forbidden"));
    post(&w, &staff, format!("{p}/follow-ups/{}/decision", id_of("A1")), Some(json!({ "decision": "dismiss" }))).await.expect(422, Some("note_required"));
    post(&w, &staff, format!("{p}/follow-ups/{}/decision", id_of("A1")), Some(json!({ "decision": "maybe" }))).await.expect(422, Some("bad_decision"));
    let c = post(&w, &staff, format!("{p}/follow-ups/{}/decision", id_of("A1")), Some(json!({ "decision": "confirm" }))).await.ok();
    assert_eq!((c["status"].as_str(), c["decided_by"].as_str()), (Some("confirmed"), Some("staff")));
    post(&w, &staff, format!("{p}/follow-ups/{}/decision", id_of("A1")), Some(json!({ "decision": "dismiss", "note": "改变主意" }))).await.expect(409, Some("already_decided"));
    let d = post(&w, &staff, format!("{p}/follow-ups/{}/decision", id_of("B1")), Some(json!({ "decision": "dismiss", "note": "事出有因：3月受疫情影响" }))).await.ok();
    assert_eq!(d["status"], "dismissed");
    assert_eq!(d["rule"], "月度排名末位 → 提醒谈话");
}

/// A browser form post with the session cookie and the CSRF token as a form field.
async fn form(w: &World, who: &common::Cred, path: &str, fields: &[(&str, &str)]) -> common::Resp {
    let common::Cred::Session { cookie, csrf } = who else { panic!("a browser session") };
    let enc = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
    let mut body = format!("_csrf={}", enc(csrf));
    for (k, v) in fields {
        body.push_str(&format!("&{k}={}", enc(v)));
    }
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, format!("ys_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    w.raw(req).await
}

async fn pages_for_monitoring_and_rectification(db: Db) {
    let w = with_rules(db).await;
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    let q = format!("?plan={PLAN}&period={MARCH}");
    // The monitoring report: one click from the navigation, lagging lines marked in words.
    let page = w.get(&format!("/monitoring{q}"), &staff).await;
    page.expect(200, None);
    let html = page_text(&page);
    assert!(html.contains("href=\"/monitoring\"") && html.contains("2026年3月月度监测报告"), "the monitoring page");
    assert!(html.contains("id=\"mon-GDP-A1\" class=\"lagging\"") && html.contains("低于目标") && html.contains("落后同类均值"));
    assert!(!html.contains("id=\"mon-GDP-B2\" class=\"lagging\""));
    let only = page_text(&w.get(&format!("/monitoring{q}&lagging=1"), &staff).await);
    assert!(only.contains("id=\"mon-GDP-A1\"") && !only.contains("id=\"mon-GDP-B2\""), "only the lagging lines");
    w.get(&format!("/monitoring{q}"), &w.sign_in("viewer").await).await.expect(403, None);

    // The office runs the rules from the page; the unit sees its warning notice and task.
    let r = form(&w, &staff, "/oversight/run", &[("plan", PLAN), ("period", MARCH)]).await;
    assert_eq!(r.status.as_u16(), 303);
    assert!(r.header("location").unwrap().contains("ok=run"));
    let html = page_text(&w.get(&format!("/oversight{q}"), &leader).await);
    assert!(html.contains("预警通知单") && html.contains("城关镇："));
    assert!(html.contains("action=\"/oversight/ack\"") && html.contains("action=\"/oversight/report\""));
    assert!(!html.contains("高村镇"), "only its own unit's notices and tasks");
    let tasks = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/rectifications")), &leader).await.ok();
    let id = tasks[0]["id"].as_i64().unwrap().to_string();
    // An empty report is shown again on the page with the reason, nothing changed.
    let r = form(&w, &leader, "/oversight/report", &[("plan", PLAN), ("period", MARCH), ("id", &id), ("report", " ")]).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(page_text(&r).contains("须填写整改报告"));
    let r = form(&w, &leader, "/oversight/report", &[("plan", PLAN), ("period", MARCH), ("id", &id), ("report", "已整改。")]).await;
    assert_eq!(r.status.as_u16(), 303);
    // Another unit's task cannot be answered from the page either.
    let all = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/rectifications")), &staff).await.ok();
    let a2 = all.as_array().unwrap().iter().find(|t| t["unit_key"] == "A2").unwrap()["id"].as_i64().unwrap().to_string();
    form(&w, &leader, "/oversight/report", &[("plan", PLAN), ("period", MARCH), ("id", &a2), ("report", "x")]).await.expect(403, None);
    // The office closes it; a missing CSRF token is refused.
    let html = page_text(&w.get(&format!("/oversight{q}"), &staff).await);
    assert!(html.contains("action=\"/oversight/task\"") && html.contains("action=\"/oversight/follow-up\""));
    let r = form(&w, &staff, "/oversight/task", &[("plan", PLAN), ("period", MARCH), ("id", &id), ("decision", "close")]).await;
    assert_eq!(r.status.as_u16(), 303);
    let t = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/rectifications")), &staff).await.ok();
    assert_eq!(t.as_array().unwrap().iter().find(|x| x["id"].as_i64().unwrap().to_string() == id).unwrap()["status"], "closed");
    let common::Cred::Session { cookie, .. } = &staff else { unreachable!() };
    let forged = common::Cred::Session { cookie: cookie.clone(), csrf: "forged".into() };
    let r = form(&w, &forged, "/oversight/run", &[("plan", PLAN), ("period", MARCH)]).await;
    r.expect(403, None);
    assert!(page_text(&r).contains("表单已过期"));
}

async fn falsified_findings_open_one_task(db: Db) {
    let w = with_rules(db).await;
    let staff = w.sign_in("staff").await;
    let admin = w.sign_in("admin").await;
    let p = format!("/plans/{PLAN}/periods/{APRIL}");
    // April's submissions (A2, B1) are both drawn.
    w.send(Method::POST, &api(&format!("{p}/spot-checks")), &staff, Some(json!({ "size": 2, "seed": "s" }))).await.expect(201, None);
    let finding = |unit: &str| format!("{p}/spot-checks/1/findings/{unit}");
    w.send(Method::PUT, &api(&finding("A2")), &staff, Some(json!({ "finding": "台账与报表不符", "falsified": true }))).await.ok();
    let run = api(&format!("{p}/oversight-runs"));
    let r = w.send(Method::POST, &run, &staff, None).await.ok();
    let of = |r: &Value, unit: &str| -> Vec<String> { r["tasks"].as_array().unwrap().iter().filter(|t| t["unit_key"] == unit).map(|t| t["source"].as_str().unwrap().to_string()).collect() };
    assert_eq!(of(&r, "A2"), ["finding"], "a falsified figure opens a task: {r}");
    // A plan that deducts for falsified data records the finding as an occurrence: one task, from it.
    let toml = format!("{}\n[[indicators]]\nkey = \"FALSIFIED\"\nname = \"弄虚作假\"\nkind = \"constraint\"\nmethod = \"veto\"\nauto = \"falsified_data\"\n", plan_with_rules());
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/versions")), &admin, Some(json!({ "toml": toml, "note": "弄虚作假一票否决" }))).await.expect(201, None);
    w.send(Method::PUT, &api(&finding("B1")), &staff, Some(json!({ "finding": "虚报固定资产投资", "falsified": true }))).await.ok();
    let r = w.send(Method::POST, &run, &staff, None).await.ok();
    assert_eq!(of(&r, "B1"), ["veto"], "{r}");
}
