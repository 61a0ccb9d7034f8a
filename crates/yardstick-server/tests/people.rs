//! People in the tree (issue 6, items 1, 2 and 8; M1, M6, M12): a leadership team and a
//! leading cadre under their unit, Example E of DOMAIN.md through the API — the monthly
//! points entered by the units, the quarterly grades, annual evaluation and political
//! quality by the office, the year composed by the plan: 89.17 and 87.50 —, a cadre who
//! moves mid-year entered by each unit for its own months (the year takes both), and who
//! sees a person's appraisal: the person, their section head, their unit's leader, the
//! office, leaders and auditors; nobody else. Runs on SQLite and PostgreSQL.

mod common;

use axum::http::Method;
use common::{Cred, UNITS, World, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(example_e_with_a_move_mid_year, people_are_checked, people_pages);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// Example E's plan (examples/e-annual) without its subjects: in the server they are the registry's.
fn plan_e() -> String {
    let text = include_str!("../../../examples/e-annual/plan.toml");
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("[[subjects]]") {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with('[') {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.replace("key = \"example-e\"", "key = \"e2026\"")
}

struct E {
    w: World,
    admin: Cred,
}

async fn world_e(db: Db) -> E {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    // This plan appraises people only: the seeded units rest (a plan must give rules to every
    // category with active units), and two bureaus without a category hold the people.
    for (key, name, category) in UNITS {
        w.send(Method::PUT, &api(&format!("/units/{key}")), &admin, Some(json!({ "key": key, "name": name, "category": category, "area": null, "static_level": null, "active": false }))).await.expect(200, None);
    }
    for (key, name) in [("ED", "经济发展局"), ("FG", "发展改革局")] {
        w.send(Method::POST, &api("/units"), &admin, Some(json!({ "key": key, "name": name }))).await.expect(201, None);
    }
    for (key, name) in [("teams", "领导班子"), ("cadres", "领导干部")] {
        w.send(Method::POST, &api("/categories"), &admin, Some(json!({ "key": key, "name": name }))).await.expect(201, None);
    }
    for (user, role, unit) in [("ed_rep", "reporter", "ED"), ("ed_lead", "unit_leader", "ED"), ("fg_rep", "reporter", "FG"), ("fg_lead", "unit_leader", "FG")] {
        w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": user, "display_name": user, "role": role, "unit": unit, "password": common::PW }))).await.expect(201, None);
    }
    // The team and its head, a cadre, at ED from January; a staff member of ED's office
    // section and the section's head.
    let people = [
        json!({ "key": "TEAM1", "name": "经济发展局领导班子", "unit": "ED", "kind": "team", "category": "teams", "from": "2026-01" }),
        json!({ "key": "CADRE1", "name": "张某", "unit": "ED", "post": "局长", "kind": "cadre", "category": "cadres", "from": "2026-01" }),
        json!({ "key": "P1", "name": "李某", "unit": "ED", "post": "科员", "section": "办公室", "from": "2026-01" }),
        json!({ "key": "P2", "name": "王某", "unit": "ED", "post": "主任", "section": "办公室", "section_head": true, "from": "2026-01" }),
        json!({ "key": "P3", "name": "赵某", "unit": "ED", "post": "科员", "section": "规划科", "from": "2026-01" }),
    ];
    for p in people {
        w.send(Method::POST, &api("/people"), &admin, Some(p)).await.expect(201, None);
    }
    w.send(Method::POST, &api("/plans"), &admin, Some(json!({ "key": "e2026", "year": 2026, "name": "示例E" }))).await.expect(201, None);
    w.send(Method::POST, &api("/plans/e2026/versions"), &admin, Some(json!({ "toml": plan_e(), "note": "示例E" }))).await.expect(201, None);
    let mut periods: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
    periods.extend((1..=4).map(|q| format!("2026-Q{q}")));
    periods.push("2026".into());
    for p in periods {
        w.send(Method::POST, &api("/plans/e2026/periods"), &admin, Some(json!({ "period": p }))).await.expect(201, None);
    }
    E { w, admin }
}

fn values(indicator: &str, field: &str, value: &str) -> Value {
    json!({ "values": [{ "indicator": indicator, "field": field, "value": value }] })
}

async fn example_e_with_a_move_mid_year(db: Db) {
    let E { w, admin } = world_e(db).await;
    // The cadre moves to FG in July: ED enters January–June, FG July–December.
    let mv = w.send(Method::POST, &api("/people/CADRE1/moves"), &admin, Some(json!({ "unit": "FG", "post": "局长", "from": "2026-07" }))).await.ok();
    assert_eq!(mv["from_month"], "2026-07");
    let people = w.get(&api("/people?unit=FG"), &admin).await.ok();
    let postings = people[0]["postings"].as_array().unwrap();
    assert_eq!((postings[0]["unit_key"].as_str(), postings[0]["to_month"].as_str()), (Some("ED"), Some("2026-06")));
    assert_eq!((postings[1]["unit_key"].as_str(), postings[1]["to_month"].clone()), (Some("FG"), Value::Null));

    let (ed, fg) = (w.sign_in("ed_rep").await, w.sign_in("fg_rep").await);
    let team = ["85", "87", "90", "88", "86", "91", "89", "90", "92", "88", "87", "91"];
    let cadre = ["88", "92", "90", "89", "91", "90", "90", "88", "92", "91", "89", "90"];
    for m in 1..=12usize {
        let period = format!("2026-{m:02}");
        let url = |who: &str| api(&format!("/plans/e2026/periods/{period}/people/{who}/values"));
        w.send(Method::PUT, &url("TEAM1"), &ed, Some(values("MONTHLY", "value", team[m - 1]))).await.expect(200, None);
        let (mine, other) = if m <= 6 { (&ed, &fg) } else { (&fg, &ed) };
        // The unit the cadre was not at that month may not enter it.
        w.send(Method::PUT, &url("CADRE1"), other, Some(values("MONTHLY", "value", "99"))).await.expect(403, Some("forbidden"));
        w.send(Method::PUT, &url("CADRE1"), mine, Some(values("MONTHLY", "value", cadre[m - 1]))).await.expect(200, None);
    }
    // The office: quarterly grades of the team, the annual evaluation and political quality.
    for (q, g) in ["优秀", "良好", "一般", "优秀"].iter().enumerate() {
        w.send(Method::PUT, &api(&format!("/plans/e2026/periods/2026-Q{}/people/TEAM1/values", q + 1)), &admin, Some(values("QGRADE", "grade", g))).await.expect(200, None);
    }
    // A grade the plan does not have is refused.
    w.send(Method::PUT, &api("/plans/e2026/periods/2026-Q1/people/TEAM1/values"), &admin, Some(values("QGRADE", "grade", "卓越"))).await.expect(422, None);
    for (who, annual, political) in [("TEAM1", "88", "92"), ("CADRE1", "85", "95")] {
        let url = api(&format!("/plans/e2026/periods/2026/people/{who}/values"));
        w.send(Method::PUT, &url, &admin, Some(json!({ "values": [{ "indicator": "ANNUAL", "field": "value", "value": annual }, { "indicator": "POLITICAL", "field": "value", "value": political }] }))).await.expect(200, None);
    }

    let set = w.send(Method::POST, &api("/plans/e2026/periods/2026/computations"), &admin, None).await.ok()["set_id"].as_i64().unwrap();
    // Nothing is visible outside the office before publication.
    w.get(&api("/plans/e2026/periods/2026/results/CADRE1"), &w.sign_in("ed_lead").await).await.expect(404, Some("not_published"));
    w.send(Method::POST, &api("/plans/e2026/periods/2026/publications"), &admin, Some(json!({ "set_id": set, "reason": "2026年度考核结果" }))).await.expect(201, None);
    let score = |cat: &str| {
        let w = w.clone();
        let admin = admin.clone();
        let cat = cat.to_string();
        async move { w.get(&api(&format!("/plans/e2026/periods/2026/results?category={cat}")), &admin).await.ok()["items"][0].clone() }
    };
    let t = score("teams").await;
    assert_eq!((t["subject"].as_str(), t["score"].as_str()), (Some("TEAM1"), Some("89.17")), "{t}");
    let c = score("cadres").await;
    // Monthly mean 90 — six months entered by ED, six by FG — annual 85, political 95 → 87.50.
    assert_eq!((c["subject"].as_str(), c["score"].as_str()), (Some("CADRE1"), Some("87.50")), "{c}");

    // Who sees the cadre's appraisal: the office, leaders and auditors; the leader of a unit
    // the cadre served in the year; the cadre (an account linked to them). Not the units'
    // reporters, nor another unit's leader, nor a department, expert or surveyor.
    let cadre_user = w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": "zhang", "display_name": "张某", "role": "viewer", "password": common::PW }))).await.ok()["id"].as_i64().unwrap();
    // (A viewer reads every published result anyway; link a reporter of another unit to show the link is what opens it.)
    let other = w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": "li", "display_name": "李某", "role": "reporter", "unit": "FG", "password": common::PW }))).await.ok()["id"].as_i64().unwrap();
    w.send(Method::PUT, &api("/people/P1/account"), &admin, Some(json!({ "user_id": other }))).await.expect(204, None);
    w.send(Method::PUT, &api("/people/CADRE1/account"), &admin, Some(json!({ "user_id": cadre_user }))).await.expect(204, None);
    let ex = api("/plans/e2026/periods/2026/results/CADRE1");
    for who in ["admin", "staff", "viewer", "auditor", "ed_lead", "fg_lead", "zhang"] {
        let c = w.sign_in(who).await;
        let r = w.get(&ex, &c).await;
        assert_eq!(r.status.as_u16(), 200, "{who} reads the cadre's appraisal: {}", r.text());
        assert_eq!(r.json()["row"]["score"], "87.50");
    }
    for who in ["ed_rep", "fg_rep", "reporter", "leader", "dept", "expert", "surveyor", "li"] {
        let c = w.sign_in(who).await;
        w.get(&ex, &c).await.expect(403, Some("forbidden"));
    }
    // The team's people list is the office's; a unit's users list their own unit's people only.
    let ed_lead = w.sign_in("ed_lead").await;
    let mine = w.get(&api("/people"), &ed_lead).await.ok();
    assert!(mine.as_array().unwrap().iter().all(|p| p["unit_key"] == "ED"), "{mine}");
    w.get(&api("/people?unit=FG"), &ed_lead).await.expect(403, Some("forbidden"));
    // The people categories' rankings are not a unit's board.
    w.get(&api("/plans/e2026/periods/2026/results?category=cadres"), &ed_lead).await.expect(403, Some("forbidden"));
}

async fn people_are_checked(db: Db) {
    let E { w, admin } = world_e(db).await;
    // A person's own figures: the person, their section head; not a colleague of another section.
    let users = [("p1", "P1"), ("p2", "P2"), ("p3", "P3")];
    for (user, person) in users {
        let id = w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": user, "display_name": user, "role": "reporter", "unit": "ED", "password": common::PW }))).await.ok()["id"].as_i64().unwrap();
        w.send(Method::PUT, &api(&format!("/people/{person}/account")), &admin, Some(json!({ "user_id": id }))).await.expect(204, None);
    }
    let url = api("/plans/e2026/periods/2026-03/people/P1/values");
    // P1 is no one appraised by this plan: its values are refused by the plan's check, but
    // the rights come first. The office writes; P1 reads their own, P2 (head of 办公室) too.
    let (p1, p2, p3) = (w.sign_in("p1").await, w.sign_in("p2").await, w.sign_in("p3").await);
    w.get(&url, &p1).await.expect(200, None);
    w.get(&url, &p2).await.expect(200, None);
    // P3 is a reporter of ED too: a unit's reporter reads the figures of the unit's people.
    w.get(&url, &p3).await.expect(200, None);
    w.get(&url, &w.sign_in("fg_rep").await).await.expect(403, Some("forbidden"));
    w.get(&url, &w.sign_in("expert").await).await.expect(403, Some("forbidden"));
    w.get(&url, &Cred::Anon).await.expect(401, None);
    // Section heads enter their section's points (平时考核), whatever their account's role:
    // the head of 规划科 on a viewer's account writes a cadre of the section, not someone of
    // another section, nor their own.
    for p in [
        json!({ "key": "H4", "name": "钱某", "unit": "ED", "post": "科长", "section": "规划科", "section_head": true, "from": "2026-01" }),
        json!({ "key": "C5", "name": "孙某", "unit": "ED", "post": "副科长", "section": "规划科", "kind": "cadre", "category": "cadres", "from": "2026-01" }),
    ] {
        w.send(Method::POST, &api("/people"), &admin, Some(p)).await.expect(201, None);
    }
    let id = w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": "h4", "display_name": "钱某", "role": "viewer", "password": common::PW }))).await.ok()["id"].as_i64().unwrap();
    w.send(Method::PUT, &api("/people/H4/account"), &admin, Some(json!({ "user_id": id }))).await.expect(204, None);
    let h4 = w.sign_in("h4").await;
    let points = |who: &str| api(&format!("/plans/e2026/periods/2026-03/people/{who}/values"));
    w.send(Method::PUT, &points("C5"), &h4, Some(values("MONTHLY", "value", "91"))).await.expect(200, None);
    assert_eq!(w.get(&points("C5"), &h4).await.ok()["values"][0]["value"], "91");
    w.send(Method::PUT, &points("P1"), &h4, Some(values("MONTHLY", "value", "91"))).await.expect(403, Some("forbidden"));
    w.send(Method::PUT, &points("H4"), &h4, Some(values("MONTHLY", "value", "99"))).await.expect(403, Some("forbidden"));
    // The viewer account without the link writes nothing.
    w.send(Method::PUT, &points("C5"), &w.sign_in("viewer").await, Some(values("MONTHLY", "value", "91"))).await.expect(403, Some("forbidden"));
    // Bad people, bad moves.
    let bad = [
        json!({ "key": "X 1", "name": "甲", "unit": "ED" }),
        json!({ "key": "X1", "name": "", "unit": "ED" }),
        json!({ "key": "X1", "name": "甲", "unit": "NOPE" }),
        json!({ "key": "X1", "name": "甲", "unit": "ED", "kind": "boss" }),
        json!({ "key": "X1", "name": "甲", "unit": "ED", "category": "nope" }),
        json!({ "key": "X1", "name": "甲", "unit": "ED", "from": "2026" }),
    ];
    for b in bad {
        w.send(Method::POST, &api("/people"), &admin, Some(b.clone())).await.expect(422, None);
    }
    w.send(Method::POST, &api("/people"), &admin, Some(json!({ "key": "ED", "name": "甲", "unit": "ED" }))).await.expect(409, None);
    w.send(Method::POST, &api("/people"), &admin, Some(json!({ "key": "P1", "name": "甲", "unit": "ED" }))).await.expect(409, None);
    w.send(Method::POST, &api("/people"), &w.sign_in("staff").await, Some(json!({ "key": "X2", "name": "甲", "unit": "ED" }))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api("/people/P1/moves"), &admin, Some(json!({ "unit": "FG", "from": "2025-12" }))).await.expect(409, Some("posting_order"));
    w.send(Method::POST, &api("/people/NOPE/moves"), &admin, Some(json!({ "unit": "FG", "from": "2026-05" }))).await.expect(404, None);
    w.send(Method::POST, &api("/people/P1/moves"), &admin, Some(json!({ "unit": "FG", "from": "May" }))).await.expect(422, None);
    w.send(Method::PUT, &api("/people/P1/account"), &w.sign_in("staff").await, Some(json!({ "user_id": 1 }))).await.expect(403, Some("forbidden"));
    // Every change is audited.
    let audit = w.get(&api("/audit?limit=1000"), &admin).await.ok();
    let has = |action: &str, entity: &str| audit.as_array().unwrap().iter().any(|e| e["action"] == action && e["entity"] == entity);
    assert!(has("create", "person") && has("link_person", "user"), "people and links are audited");
}

/// The office adds a person and records a move in the page; a unit's leader sees only the
/// unit's people; a cadre opens their own appraisal page.
async fn people_pages(db: Db) {
    let E { w, admin } = world_e(db).await;
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
    let r = w.raw(form("/people", format!("key=C2&name={}&unit=ED&kind=cadre&category=cadres&section=&post={}&from=2026-01", enc("孙某"), enc("副局长")))).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let r = w.raw(form("/people/move", format!("person=C2&unit=FG&section=&post={}&from=2026-09", enc("局长")))).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let page = String::from_utf8_lossy(&w.get("/people", &admin).await.body).into_owned();
    assert!(page.contains("孙某") && page.contains("2026-01–2026-08") && page.contains("2026-09–至今"), "{page}");
    // A bad month comes back named.
    let r = w.raw(form("/people/move", "person=C2&unit=ED&from=sometime".into())).await;
    assert_eq!(r.status, 422);
    let ed_lead = w.sign_in("ed_lead").await;
    let page = String::from_utf8_lossy(&w.get("/people", &ed_lead).await.body).into_owned();
    assert!(page.contains("张某") && !page.contains("孙某"), "ED's leader sees ED's people only");
    assert!(!page.contains("新增人员"), "and cannot add people");
}
