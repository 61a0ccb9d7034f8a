//! Democratic evaluations (issue 6, item 3; M12): Example F of DOMAIN.md through the API
//! (phone ballots with one-time codes and paper ballots), void ballots and trimmed panels,
//! anonymity (no code, time or voter on a ballot; the audit row of a phone ballot says
//! nothing of its content), results hidden until closing, and every refusal: a second vote
//! on a code, a vote before opening or after closing, a ballot outside the rules, an unknown
//! code, a bad definition. Runs on SQLite and PostgreSQL.

mod common;

use axum::http::Method;
use common::{Cred, World, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(example_f_through_the_api, refusals, void_ballots_and_trimmed_panels, definitions_are_checked_field_by_field, pages_work_without_script);

/// The whole body (`Resp::text` shortens it for messages).
trait Html {
    fn html(&self) -> String;
}

impl Html for common::Resp {
    fn html(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// Example F's definition: groups 20/40/40, answers 100/80/60/40, the two flags.
fn example_f(key: &str) -> Value {
    json!({
        "key": key,
        "name": "2026年度领导干部民主测评",
        "year": 2026,
        "subjects": [{ "key": "L1", "name": "李某", "post": "副县长" }, { "key": "L2", "name": "王某", "post": "副县长" }],
        "groups": [{ "name": "分管领导", "share": "20%" }, { "name": "干部职工", "share": "0.4" }, { "name": "考核组", "share": "40%" }],
        "answers": [{ "name": "优秀", "value": "100" }, { "name": "称职", "value": "80" }, { "name": "基本称职", "value": "60" }, { "name": "不称职", "value": "40" }],
        "flags": [
            { "answers": ["不称职"], "when": "above", "share": "1/3", "message": "不称职票超过三分之一" },
            { "answers": ["优秀", "称职"], "when": "below", "share": "2/3", "message": "优秀和称职票不足三分之二" }
        ]
    })
}

/// `n` copies of each answer, in order.
fn expand(counts: &[(&str, usize)]) -> Vec<String> {
    counts.iter().flat_map(|(a, n)| std::iter::repeat_n(a.to_string(), *n)).collect()
}

async fn codes(w: &World, admin: &Cred, key: &str, group: &str, count: u32) -> Vec<String> {
    let r = w.send(Method::POST, &api(&format!("/evaluations/{key}/codes")), admin, Some(json!({ "group": group, "count": count }))).await;
    let v = r.expect(201, None).json();
    v["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
}

async fn vote(w: &World, code: &str, l1: &str, l2: &str) -> common::Resp {
    w.send(Method::POST, &api(&format!("/ballots/{code}")), &Cred::Anon, Some(json!({ "answers": { "L1": l1, "L2": l2 } }))).await
}

async fn example_f_through_the_api(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    w.send(Method::POST, &api("/evaluations"), &admin, Some(example_f("mz"))).await.expect(201, None);
    let lead = codes(&w, &admin, "mz", "分管领导", 3).await;
    let staff = codes(&w, &admin, "mz", "干部职工", 40).await;
    let team = codes(&w, &admin, "mz", "考核组", 3).await;
    w.send(Method::POST, &api("/evaluations/mz/open"), &admin, None).await.expect(200, None);

    // 分管领导: L1 优秀 2, 称职 1; L2 称职 2, 基本称职 1.
    let l1 = expand(&[("优秀", 2), ("称职", 1)]);
    let l2 = expand(&[("称职", 2), ("基本称职", 1)]);
    for (i, c) in lead.iter().enumerate() {
        vote(&w, c, &l1[i], &l2[i]).await.expect(201, None);
    }
    // 干部职工: L1 优秀 22, 称职 14, 基本称职 3, 不称职 1; L2 优秀 5, 称职 17, 基本称职 4, 不称职 14.
    let l1 = expand(&[("优秀", 22), ("称职", 14), ("基本称职", 3), ("不称职", 1)]);
    let l2 = expand(&[("优秀", 5), ("称职", 17), ("基本称职", 4), ("不称职", 14)]);
    for (i, c) in staff.iter().enumerate() {
        vote(&w, c, &l1[i], &l2[i]).await.expect(201, None);
    }
    // 考核组: L1 优秀 3, 称职 2; L2 称职 3, 基本称职 2 — three on phones, two on paper.
    let l1 = expand(&[("优秀", 3), ("称职", 2)]);
    let l2 = expand(&[("称职", 3), ("基本称职", 2)]);
    for (i, c) in team.iter().enumerate() {
        vote(&w, c, &l1[i], &l2[i]).await.expect(201, None);
    }
    for i in 3..5 {
        let r = w.send(Method::POST, &api("/evaluations/mz/paper-ballots"), &admin, Some(json!({ "group": "考核组", "answers": { "L1": l1[i], "L2": l2[i] } }))).await;
        assert_eq!(r.expect(201, None).json()["void"], Value::Null);
    }

    // Hidden until closed, from everyone.
    w.get(&api("/evaluations/mz/results"), &admin).await.expect(409, Some("evaluation_not_closed"));
    let d = w.get(&api("/evaluations/mz"), &admin).await.ok();
    assert_eq!(d["ballots"], 48);
    assert_eq!(d["codes"].as_array().unwrap().iter().map(|c| c["used"].as_i64().unwrap()).sum::<i64>(), 46);

    w.send(Method::POST, &api("/evaluations/mz/close"), &admin, None).await.expect(200, None);
    let r = w.get(&api("/evaluations/mz/results"), &admin).await.ok();
    assert_eq!((r["cast"].as_u64(), r["valid"].as_u64()), (Some(48), Some(48)));
    let subjects = r["subjects"].as_array().unwrap();
    let (s1, s2) = (&subjects[0], &subjects[1]);
    assert_eq!((s1["key"].as_str(), s1["score"].as_str(), s1["rank"].as_i64()), (Some("L1"), Some("90.87"), Some(1)));
    assert_eq!(s1["flags"], json!([]));
    assert_eq!((s2["key"].as_str(), s2["score"].as_str(), s2["rank"].as_i64()), (Some("L2"), Some("70.07"), Some(2)));
    assert_eq!(s2["flags"], json!(["优秀和称职票不足三分之二 (27/48)"]));
    // The group lines: L1's 干部职工 mean is (22×100 + 14×80 + 3×60 + 40) / 40 = 88.50.
    let staff_line = &s1["groups"][1];
    assert_eq!(staff_line["mean"], "88.50");
    assert_eq!(staff_line["counts"][0], json!({ "answer": "优秀", "count": 22 }));
    assert!(s1["explanation"].as_str().unwrap().contains("干部职工"), "{}", s1["explanation"]);
    let paper: u64 = r["groups"].as_array().unwrap().iter().map(|g| g["paper"].as_u64().unwrap()).sum();
    assert_eq!(paper, 2);

    // Leaders and auditors read the closed results; units and raters do not.
    for who in ["viewer", "auditor"] {
        let c = w.sign_in(who).await;
        assert_eq!(w.get(&api("/evaluations/mz/results"), &c).await.ok()["subjects"][0]["score"], "90.87");
    }
    for who in ["reporter", "leader", "dept", "expert"] {
        let c = w.sign_in(who).await;
        w.get(&api("/evaluations/mz/results"), &c).await.expect(403, Some("forbidden"));
    }
    w.get(&api("/evaluations/mz/results"), &Cred::Anon).await.expect(401, None);

    // Anonymity: a phone ballot's audit row names its group and channel only.
    let audit = w.get(&api("/audit?limit=1000"), &admin).await.ok();
    let entries = audit.as_array().cloned().unwrap_or_default();
    let cast: Vec<&Value> = entries.iter().filter(|e| e["entity"] == "evaluation_ballot" && e["action"] == "cast").collect();
    assert_eq!(cast.len(), 46, "{audit}");
    for e in &cast {
        assert_eq!(e["actor"], "anonymous");
        let after = e["after"].clone();
        let keys: Vec<&String> = after.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["channel", "group"], "{after}");
        let text = e.to_string();
        assert!(lead.iter().chain(&staff).chain(&team).all(|c| !text.contains(c.as_str())), "a code in the audit log: {text}");
    }
    // And the stored ballots carry no code and no time.
    let stored = w.db.ballots("mz").await.unwrap();
    assert_eq!(stored.len(), 48);
    let as_text = format!("{stored:?}");
    assert!(lead.iter().chain(&staff).chain(&team).all(|c| !as_text.contains(c.as_str())));
}

async fn refusals(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let mut def = example_f("rules");
    def["rules"] = json!({ "max_per_ballot": [{ "answer": "优秀", "max": 1 }], "uniform_void_min": 2 });
    w.send(Method::POST, &api("/evaluations"), &admin, Some(def)).await.expect(201, None);
    // Only the office defines evaluations and issues codes.
    let staff = w.sign_in("staff").await;
    let leader = w.sign_in("leader").await;
    w.send(Method::POST, &api("/evaluations"), &leader, Some(example_f("x"))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api("/evaluations/rules/codes"), &leader, Some(json!({ "group": "考核组", "count": 1 }))).await.expect(403, Some("forbidden"));
    let c = codes(&w, &staff, "rules", "考核组", 4).await;
    // The same key twice.
    w.send(Method::POST, &api("/evaluations"), &admin, Some(example_f("rules"))).await.expect(409, None);

    // Before opening: the code is known, the ballot refused.
    vote(&w, &c[0], "称职", "基本称职").await.expect(409, Some("evaluation_not_open"));
    w.get(&api(&format!("/ballots/{}", c[0])), &Cred::Anon).await.expect(409, Some("evaluation_not_open"));
    w.send(Method::POST, &api("/evaluations/rules/paper-ballots"), &admin, Some(json!({ "group": "考核组", "answers": { "L1": "称职" } }))).await.expect(409, Some("evaluation_not_open"));
    w.send(Method::POST, &api("/evaluations/rules/close"), &admin, None).await.expect(409, Some("evaluation_state"));
    w.send(Method::POST, &api("/evaluations/rules/open"), &admin, None).await.expect(200, None);
    w.send(Method::POST, &api("/evaluations/rules/open"), &admin, None).await.expect(409, Some("evaluation_state"));

    // The form a code sees; codes are read whatever their case and separators.
    let f = w.get(&api(&format!("/ballots/{}", c[0].to_lowercase().replace('-', ""))), &Cred::Anon).await.ok();
    assert_eq!(f["group"], "考核组");
    assert_eq!(f["answers"], json!(["优秀", "称职", "基本称职", "不称职"]));
    assert_eq!(f["rules"].as_array().unwrap().len(), 2, "{f}");
    // Unknown codes.
    w.get(&api("/ballots/AAAA-BBBB-CCCC"), &Cred::Anon).await.expect(404, Some("not_found"));
    w.get(&api("/ballots/short"), &Cred::Anon).await.expect(404, Some("not_found"));
    vote(&w, "AAAA-BBBB-CCCC", "称职", "称职").await.expect(404, Some("not_found"));

    // Ballots outside the rules, each refused with its reason; the code stays unused.
    let r = vote(&w, &c[0], "优秀", "优秀").await;
    r.expect(422, Some("ballot_outside_rules"));
    assert!(r.message().unwrap().contains("优秀"), "{:?}", r.message());
    vote(&w, &c[0], "称职", "称职").await.expect(422, Some("ballot_outside_rules"));
    let r = w.send(Method::POST, &api(&format!("/ballots/{}", c[0])), &Cred::Anon, Some(json!({ "answers": { "L1": "称职" } }))).await;
    r.expect(422, Some("invalid"));
    assert!(r.text().contains("王某"), "the missing subject is named: {}", r.text());
    let r = w.send(Method::POST, &api(&format!("/ballots/{}", c[0])), &Cred::Anon, Some(json!({ "answers": { "L1": "称职", "L2": "很好" } }))).await;
    r.expect(422, Some("invalid"));
    assert!(r.text().contains("很好"), "{}", r.text());
    w.send(Method::POST, &api(&format!("/ballots/{}", c[0])), &Cred::Anon, Some(json!({ "answers": { "L1": "称职", "L2": "称职", "L9": "优秀" } }))).await.expect(422, Some("invalid"));
    w.send(Method::POST, &api(&format!("/ballots/{}", c[0])), &Cred::Anon, Some(json!({ "answer": {} }))).await.expect(422, None);

    // One ballot per code.
    vote(&w, &c[0], "优秀", "称职").await.expect(201, None);
    vote(&w, &c[0], "称职", "优秀").await.expect(409, Some("code_used"));
    w.get(&api(&format!("/ballots/{}", c[0])), &Cred::Anon).await.expect(409, Some("code_used"));
    // A signed-in user's code votes like anyone's, once.
    vote(&w, &c[1], "称职", "优秀").await.expect(201, None);

    // A paper ballot outside the rules is entered and counted void; a bad group is refused.
    let r = w.send(Method::POST, &api("/evaluations/rules/paper-ballots"), &admin, Some(json!({ "group": "考核组", "answers": { "L1": "优秀", "L2": "优秀" } }))).await;
    assert!(r.expect(201, None).json()["void"].as_str().unwrap().contains("优秀"));
    w.send(Method::POST, &api("/evaluations/rules/paper-ballots"), &admin, Some(json!({ "group": "群众", "answers": { "L1": "优秀" } }))).await.expect(422, Some("invalid"));
    w.send(Method::POST, &api("/evaluations/rules/paper-ballots"), &leader, Some(json!({ "group": "考核组", "answers": { "L1": "优秀" } }))).await.expect(403, Some("forbidden"));

    // After closing: no vote, no paper, no codes; the results count what was cast.
    w.send(Method::POST, &api("/evaluations/rules/close"), &admin, None).await.expect(200, None);
    vote(&w, &c[2], "称职", "优秀").await.expect(409, Some("evaluation_closed"));
    w.get(&api(&format!("/ballots/{}", c[3])), &Cred::Anon).await.expect(409, Some("evaluation_closed"));
    w.send(Method::POST, &api("/evaluations/rules/paper-ballots"), &admin, Some(json!({ "group": "考核组", "answers": { "L1": "称职" } }))).await.expect(409, Some("evaluation_closed"));
    w.send(Method::POST, &api("/evaluations/rules/codes"), &admin, Some(json!({ "group": "考核组", "count": 1 }))).await.expect(409, Some("evaluation_closed"));
    let r = w.get(&api("/evaluations/rules/results"), &admin).await.ok();
    assert_eq!((r["cast"].as_u64(), r["valid"].as_u64()), (Some(3), Some(2)), "{r}");
    assert_eq!(r["void"][0]["count"], 1);
    // Only 考核组 voted: L1 = (100 + 80) / 2 × 40% = 36.00; L2 = (80 + 100) / 2 × 40% = 36.00, tied.
    assert_eq!(r["subjects"][0]["score"], "36.00");
    assert_eq!(r["subjects"][1]["score"], "36.00");
    assert_eq!(r["subjects"][1]["tied"], true);
    w.get(&api("/evaluations/nope/results"), &admin).await.expect(404, Some("not_found"));
}

async fn void_ballots_and_trimmed_panels(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let mut def = example_f("trim");
    def["subjects"] = json!([{ "key": "L1", "name": "李某" }, { "key": "L2", "name": "王某" }, { "key": "L3", "name": "赵某" }]);
    def["answers"] = json!([{ "name": "优秀", "value": "100" }, { "name": "称职", "value": "80" }, { "name": "基本称职", "value": "60" }, { "name": "不称职", "value": "40" }, { "name": "不了解", "value": "0" }]);
    def["excluded"] = json!(["不了解"]);
    def["rules"] = json!({ "uniform_void_min": 3, "trim_over": 5 });
    w.send(Method::POST, &api("/evaluations"), &admin, Some(def)).await.expect(201, None);
    w.send(Method::POST, &api("/evaluations/trim/open"), &admin, None).await.expect(200, None);
    // Seven paper ballots from 干部职工; one gives all three 优秀 (void), one leaves L3 不了解.
    let papers = [
        ("优秀", "称职", "称职"),
        ("优秀", "优秀", "优秀"),
        ("称职", "称职", "基本称职"),
        ("称职", "基本称职", "不了解"),
        ("称职", "称职", "基本称职"),
        ("基本称职", "称职", "称职"),
        ("不称职", "称职", "优秀"),
    ];
    for (a, b, c) in papers {
        w.send(Method::POST, &api("/evaluations/trim/paper-ballots"), &admin, Some(json!({ "group": "干部职工", "answers": { "L1": a, "L2": b, "L3": c } }))).await.expect(201, None);
    }
    w.send(Method::POST, &api("/evaluations/trim/close"), &admin, None).await.expect(200, None);
    let r = w.get(&api("/evaluations/trim/results?lang=zh"), &admin).await.ok();
    assert_eq!((r["cast"].as_u64(), r["valid"].as_u64()), (Some(7), Some(6)), "{r}");
    assert!(r["void"][0]["reason"].as_str().unwrap().contains("同一档次"), "{r}");
    let by_key = |k: &str| r["subjects"].as_array().unwrap().iter().find(|s| s["key"] == k).unwrap().clone();
    // L1 in 干部职工: 优秀, 称职, 称职, 称职, 基本称职, 不称职 (6 > 5): drop 优秀 and 不称职 →
    // (80 + 80 + 80 + 60) / 4 = 75.00; × 40% = 30.00.
    let l1 = by_key("L1");
    assert_eq!(l1["groups"][1]["trimmed"], json!(["优秀", "不称职"]));
    assert_eq!(l1["groups"][1]["mean"], "75.00");
    assert_eq!(l1["score"], "30.00");
    // L3: 称职, 基本称职, 基本称职, 称职, 优秀 (不了解 left out; 5, not trimmed) → 76.00 → 30.40.
    let l3 = by_key("L3");
    assert_eq!(l3["groups"][1]["trimmed"], Value::Null);
    assert_eq!(l3["groups"][1]["mean"], "76.00");
    assert_eq!(l3["score"], "30.40");
    // L2: 称职 ×5, 基本称职 (6): drop one 称职 and the 基本称职 → 80.00 → 32.00, first.
    assert_eq!(by_key("L2")["score"], "32.00");
    assert_eq!(r["subjects"][0]["key"], "L2");
}

async fn definitions_are_checked_field_by_field(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let mut def = example_f("bad key!");
    def["groups"] = json!([{ "name": "分管领导", "share": "20%" }, { "name": "干部职工", "share": "50%" }]);
    def["subjects"] = json!([{ "key": "L1", "name": "李某" }, { "key": "L1", "name": "王某" }]);
    def["flags"][0]["answers"] = json!(["很差"]);
    def["answers"][1]["name"] = json!("称 职");
    let r = w.send(Method::POST, &api("/evaluations"), &admin, Some(def)).await;
    r.expect(422, Some("invalid"));
    let fields: Vec<String> = r.json()["error"]["problems"].as_array().unwrap().iter().map(|p| p["place"]["field"].as_str().unwrap_or_default().to_string()).collect();
    for f in ["key", "groups", "subjects[1].key", "flags[0].answers", "answers[1].name"] {
        assert!(fields.iter().any(|x| x == f), "{f} not among {fields:?}");
    }
    // Unknown fields and wrong types are 4xx too, never 500.
    w.send(Method::POST, &api("/evaluations"), &admin, Some(json!({ "key": "x", "name": "x", "year": 2026, "subjects": [], "groups": [], "answers": [], "colour": 1 }))).await.expect(422, None);
    w.send(Method::POST, &api("/evaluations"), &admin, Some(json!({ "key": "x" }))).await.expect(422, None);
    assert!(w.get(&api("/evaluations"), &admin).await.ok().as_array().unwrap().is_empty());
}

/// The office's pages and the rater's ballot page, by plain form posts (no script).
async fn pages_work_without_script(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let Cred::Session { cookie, csrf } = admin.clone() else { panic!("a session") };
    let form = |uri: &str, body: String| {
        axum::http::Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("cookie", format!("ys_session={cookie}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("_csrf={csrf}&{body}")))
            .unwrap()
    };
    let enc = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
    let body = format!(
        "key=page&name={}&year=2026&subjects={}&groups={}&answers={}&flags=&max_per_ballot=&excluded=&uniform_void_min=&trim_over=5",
        enc("测评"),
        enc("L1 李某 副县长\nL2 王某 副县长"),
        enc("干部职工 60%\n考核组 40%"),
        enc("优秀 100\n称职 80\n基本称职 60\n不称职 40")
    );
    let r = w.raw(form("/evaluations", body)).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = w.get("/evaluations/page", &admin).await;
    assert_eq!(page.status, 200);
    assert!(page.html().contains("开始投票"), "{}", page.html());
    // A bad line comes back named.
    let r = w.raw(form("/evaluations", format!("key=page2&name=x&year=2026&subjects=L1&groups={}&answers={}", enc("干部职工"), enc("优秀 100\n称职 80")))).await;
    assert_eq!(r.status, 422);
    assert!(r.html().contains("测评组第 1 行"), "{}", r.html());

    let r = w.raw(form("/evaluations/page/codes", format!("group={}&count=2", enc("干部职工")))).await;
    assert_eq!(r.status, 201);
    let sheet = r.html();
    assert_eq!(sheet.matches("<svg").count(), 2, "two QR codes");
    let code = sheet.split("class=\"code-text\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(code.len(), 14, "{code}");
    // Before opening the ballot page says why it cannot vote.
    let r = w.get(&format!("/v/{code}"), &Cred::Anon).await;
    assert_eq!(r.status, 409);
    assert!(r.html().contains("尚未开始"), "{}", r.html());
    assert_eq!(w.raw(form("/evaluations/page/open", String::new())).await.status, 303);

    let r = w.get(&format!("/v/{code}"), &Cred::Anon).await;
    assert_eq!(r.status, 200);
    assert!(r.html().contains("李某") && r.html().contains("type=\"radio\""));
    let anon_form = |body: String| {
        axum::http::Request::builder().method(Method::POST).uri(format!("/v/{code}")).header("content-type", "application/x-www-form-urlencoded").body(axum::body::Body::from(body)).unwrap()
    };
    // Half a ballot comes back with the question named.
    let r = w.raw(anon_form(format!("a_L1={}", enc("优秀")))).await;
    assert_eq!(r.status, 422);
    assert!(r.html().contains("王某"));
    let r = w.raw(anon_form(format!("a_L1={}&a_L2={}", enc("优秀"), enc("称职")))).await;
    assert_eq!(r.status, 200, "{}", r.html());
    assert!(r.html().contains("投票成功"));
    let r = w.raw(anon_form(format!("a_L1={}&a_L2={}", enc("优秀"), enc("称职")))).await;
    assert_eq!(r.status, 409);
    assert!(r.html().contains("只能投一次"));
    // A signed-in user holding a code votes through the same page (the form carries the
    // session's CSRF token).
    let second = sheet.split("class=\"code-text\">").nth(2).unwrap().split('<').next().unwrap().to_string();
    let ballot = String::from_utf8_lossy(&w.get(&format!("/v/{second}"), &admin).await.body).into_owned();
    assert!(ballot.contains("name=\"_csrf\""), "the signed-in voter's form carries the token");
    let r = w.raw(form(&format!("/v/{second}"), format!("a_L1={}&a_L2={}", enc("称职"), enc("称职")))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Typing the code on /v leads to the ballot.
    let r = w.get(&format!("/v?code={}", code.to_lowercase()), &Cred::Anon).await;
    assert_eq!(r.status, 303);

    assert_eq!(w.raw(form("/evaluations/page/close", String::new())).await.status, 303);
    let page = w.get("/evaluations/page", &admin).await.html();
    assert!(page.contains("测评结果") && page.contains("李某"), "{page}");
}
