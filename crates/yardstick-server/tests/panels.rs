//! Expert panels (issue 6, item 7; M13): a panel of six experts through the API, with exact
//! figures — one expert tied to a unit, the highest and lowest dropped from five scores on,
//! a flagged spread, a unit nobody scored —, the results applied as the indicator's values,
//! the period computed and published and the points in the unit's explanation; every
//! refusal; who sees what (item 8); and the pages by plain form posts. Runs on SQLite and
//! PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use common::{Cred, PLAN, World, seed};
use serde_json::{Value, json};
use yardstick_storage::{Db, NewUser, Role};

on_both_backends!(a_panel_from_scores_to_the_explanation, refusals, definitions_are_checked, who_sees_what, pages_by_plain_form_posts);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

const MAY: &str = "2026-05";

/// The experts: the seeded `expert` and e2…e6.
const EXPERTS: [&str; 6] = ["expert", "e2", "e3", "e4", "e5", "e6"];

/// Plan version 2, unit A4 (category A), period 2026-05 open, experts e2…e6.
async fn prepare(w: &World, admin: &Cred) {
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/versions")), admin, Some(json!({ "toml": common::plan_with_panel_indicator(MAY), "note": "第二版" }))).await.expect(201, None);
    w.send(Method::POST, &api("/units"), admin, Some(json!({ "key": "A4", "name": "新区", "category": "A" }))).await.expect(201, None);
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods")), admin, Some(json!({ "period": MAY }))).await.expect(201, None);
    let t = yardstick_server::auth::now_ms();
    for (i, e) in EXPERTS.iter().enumerate().skip(1) {
        let nu = NewUser { username: e.to_string(), display_name: format!("专家{}", i + 1), password_hash: common::HASH.clone(), role: Role::Expert, unit_key: None };
        w.db.create_user(&nu, "seed", t).await.expect("expert");
    }
}

fn panel(key: &str) -> Value {
    json!({
        "key": key,
        "name": "2026年5月重大项目专家评审",
        "plan": PLAN,
        "period": MAY,
        "indicator": "PROJ",
        "experts": EXPERTS,
        "units": ["A1", "A2", "A3", "A4"],
        "ties": [{ "expert": "e6", "unit": "A1", "reason": "曾在城关镇任职" }],
        "spread_flag": "3",
    })
}

async fn score(w: &World, who: &Cred, key: &str, unit: &str, s: &str) -> common::Resp {
    w.send(Method::POST, &api(&format!("/panels/{key}/scores")), who, Some(json!({ "unit": unit, "score": s, "comment": format!("现场察看{unit}：项目进度与台账一致") }))).await
}

fn fields(r: &common::Resp) -> Vec<String> {
    r.json()["error"]["problems"].as_array().unwrap().iter().map(|p| p["place"]["field"].as_str().unwrap_or_default().to_string()).collect()
}

async fn a_panel_from_scores_to_the_explanation(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    prepare(&w, &admin).await;
    let created = w.send(Method::POST, &api("/panels"), &admin, Some(panel("xm"))).await;
    let p = created.expect(201, None).json();
    // The highest score defaults to the indicator's weight.
    assert_eq!((p["max_score"].as_str(), p["trim_from"].as_i64(), p["spread_flag"].as_str(), p["status"].as_str()), (Some("10.00"), Some(5), Some("3.00"), Some("open")));

    let mut e = Vec::new();
    for x in EXPERTS {
        e.push(w.sign_in(x).await);
    }
    // A1: five experts (e6 is tied): 8.55 9 7.5 9.5 8 → 7.5 and 9.5 dropped → 25.55 / 3 = 8.5166… → 8.52.
    for (i, s) in ["8.55", "9", "7.5", "9.5", "8"].iter().enumerate() {
        score(&w, &e[i], "xm", "A1", s).await.expect(204, None);
    }
    let tied = score(&w, &e[5], "xm", "A1", "10").await;
    tied.expect(409, Some("expert_tied"));
    assert!(tied.message().unwrap().contains("回避"), "{}", tied.text());
    // A2: six experts: 6 9.5 7 8 5.5 10 → 5.5 and 10 dropped → 30.5 / 4 = 7.625 → 7.63; spread 4.50 > 3: flagged.
    for (i, s) in ["6", "9.5", "7", "8", "5.5", "10"].iter().enumerate() {
        score(&w, &e[i], "xm", "A2", s).await.expect(204, None);
    }
    // A3: e3 first gives 9, then changes it to 8.02; e4 scores, then declares a tie (the
    // score is withdrawn): three scores 7 8 8.02, not trimmed → 23.02 / 3 = 7.6733… → 7.67.
    score(&w, &e[0], "xm", "A3", "7").await.expect(204, None);
    score(&w, &e[1], "xm", "A3", "8").await.expect(204, None);
    score(&w, &e[2], "xm", "A3", "9").await.expect(204, None);
    score(&w, &e[2], "xm", "A3", "8.02").await.expect(204, None);
    score(&w, &e[3], "xm", "A3", "6").await.expect(204, None);
    w.send(Method::POST, &api("/panels/xm/ties"), &e[3], Some(json!({ "unit": "A3", "reason": "近亲属在河西镇工作" }))).await.expect(204, None);
    score(&w, &e[3], "xm", "A3", "6").await.expect(409, Some("expert_tied"));
    // A4: nobody scores it.

    let own = w.get(&api("/panels/xm"), &e[2]).await.ok();
    let mine: Vec<(&str, &str)> = own["scores"].as_array().unwrap().iter().map(|s| (s["unit"].as_str().unwrap(), s["score"].as_str().unwrap())).collect();
    assert_eq!(mine, [("A1", "7.50"), ("A2", "7.00"), ("A3", "8.02")]);

    let r = w.send(Method::POST, &api("/panels/xm/close"), &admin, None).await.ok();
    let line = |u: &str| r["units"].as_array().unwrap().iter().find(|x| x["unit"] == u).cloned().unwrap();
    let brief = |u: &str| {
        let l = line(u);
        (l["scored"].as_u64(), l["counted"].as_u64(), l["trimmed"].as_bool(), l["score"].as_str().map(String::from), l["spread"].as_str().map(String::from), l["flagged"].as_bool())
    };
    assert_eq!(brief("A1"), (Some(5), Some(3), Some(true), Some("8.52".into()), Some("2.00".into()), Some(false)));
    assert_eq!(brief("A2"), (Some(6), Some(4), Some(true), Some("7.63".into()), Some("4.50".into()), Some(true)));
    assert_eq!(brief("A3"), (Some(3), Some(3), Some(false), Some("7.67".into()), Some("1.02".into()), Some(false)));
    assert_eq!(brief("A4"), (Some(0), Some(0), Some(false), None, None, Some(false)));
    assert_eq!((r["missing"].clone(), r["flagged"].clone()), (json!(["A4"]), json!(["A2"])));
    // The office sees which scores were counted.
    let d = w.get(&api("/panels/xm"), &admin).await.ok();
    let dropped: Vec<(String, String)> = d["scores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["counted"] == false)
        .map(|s| (s["unit"].as_str().unwrap().to_string(), s["score"].as_str().unwrap().to_string()))
        .collect();
    let mut dropped = dropped;
    dropped.sort();
    let want: Vec<(String, String)> = [("A1", "7.50"), ("A1", "9.50"), ("A2", "10.00"), ("A2", "5.50")].iter().map(|(u, s)| (u.to_string(), s.to_string())).collect();
    assert_eq!(dropped, want);

    // Apply: A1–A3 written as PROJ's value of May; A4 reported missing.
    let a = w.send(Method::POST, &api("/panels/xm/apply"), &admin, None).await.ok();
    assert_eq!((a["units"].as_u64(), a["changed"].as_u64(), a["missing"].clone()), (Some(3), Some(3), json!(["A4"])));
    let v = w.get(&api(&format!("/plans/{PLAN}/periods/{MAY}/units/A1/values")), &admin).await.ok();
    let proj = v["values"].as_array().unwrap().iter().find(|x| x["indicator"] == "PROJ").cloned().unwrap();
    assert_eq!((proj["field"].as_str(), proj["value"].as_str(), proj["updated_by"].as_str()), (Some("value"), Some("8.52"), Some("admin")));
    w.send(Method::POST, &api("/panels/xm/apply"), &admin, None).await.expect(409, Some("panel_applied"));

    // Every step is in the audit log.
    let audit = w.get(&api("/audit?limit=1000"), &admin).await.ok();
    let actions: Vec<String> = audit.as_array().unwrap().iter().filter(|x| x["entity"] == "expert_panel").map(|x| x["action"].as_str().unwrap().to_string()).collect();
    for want in ["create", "score", "tie", "close", "apply"] {
        assert!(actions.iter().any(|a| a == want), "no '{want}' in {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| *a == "score").count(), 16, "{actions:?}");
    let writes = audit.as_array().unwrap().iter().filter(|x| x["entity"] == "data_values" && x["action"] == "write" && x["entity_id"].as_str().unwrap().starts_with(&format!("{PLAN}/{MAY}/"))).count();
    assert_eq!(writes, 3);
    let verify = w.get(&api("/audit/verify"), &admin).await.ok();
    assert_eq!(verify["intact"], true, "{verify}");

    // The rest of May by hand: GDP for every unit (100 of 100), A4's project by the office.
    for (u, _, _) in common::UNITS.iter().chain(&[("A4", "新区", "A")]) {
        let mut vals = vec![json!({ "indicator": "GDP", "field": "actual", "value": "100" }), json!({ "indicator": "GDP", "field": "target", "value": "100" })];
        if *u == "A4" {
            vals.push(json!({ "indicator": "PROJ", "field": "value", "value": "6" }));
        }
        w.send(Method::PUT, &api(&format!("/plans/{PLAN}/periods/{MAY}/units/{u}/values")), &admin, Some(json!({ "values": vals }))).await.ok();
    }
    let c = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MAY}/computations")), &admin, None).await.ok();
    let set = c["set_id"].as_i64().unwrap();
    w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{MAY}/publications")), &admin, Some(json!({ "set_id": set, "reason": "5月发布" }))).await.expect(201, None);

    // A1's reporter sees the points in the explanation (90 + 8.52) and nothing of the experts.
    let reporter = w.sign_in("reporter").await;
    let x = w.get(&api(&format!("/plans/{PLAN}/periods/{MAY}/results/A1")), &reporter).await.ok();
    let text = x.to_string();
    assert!(text.contains("98.52"), "{text}");
    assert!(text.contains("重大项目推进") && text.contains("8.52"), "{text}");
    for secret in ["现场察看", "专家2", "e2", "9.50", "曾在城关镇任职"] {
        assert!(!text.contains(secret), "the explanation shows '{secret}': {text}");
    }
    let board = w.get(&api(&format!("/plans/{PLAN}/periods/{MAY}/results")), &reporter).await.ok();
    let a1 = board["items"].as_array().unwrap().iter().find(|r| r["subject"] == "A1").cloned().unwrap();
    assert_eq!(a1["score"], "98.52", "{board}");
}

async fn refusals(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    prepare(&w, &admin).await;
    // A panel of e2…e6 only: the seeded `expert` is not a member.
    let mut def = panel("p1");
    def["experts"] = json!(["e2", "e3", "e4", "e5", "e6"]);
    w.send(Method::POST, &api("/panels"), &admin, Some(def.clone())).await.expect(201, None);
    w.send(Method::POST, &api("/panels"), &admin, Some(def)).await.expect(409, Some("conflict"));
    let outsider = w.sign_in("expert").await;
    let e2 = w.sign_in("e2").await;
    let e6 = w.sign_in("e6").await;

    // Not a member: 403, to score, to declare a tie, to read.
    score(&w, &outsider, "p1", "A1", "8").await.expect(403, Some("not_member"));
    w.send(Method::POST, &api("/panels/p1/ties"), &outsider, Some(json!({ "unit": "A1", "reason": "亲属" }))).await.expect(403, Some("not_member"));
    w.get(&api("/panels/p1"), &outsider).await.expect(403, Some("not_member"));
    assert_eq!(w.get(&api("/panels"), &outsider).await.ok(), json!([]));
    // Not an expert at all.
    for who in ["reporter", "leader", "dept", "viewer", "auditor", "surveyor", "staff"] {
        let c = w.sign_in(who).await;
        score(&w, &c, "p1", "A1", "8").await.expect(403, Some("forbidden"));
    }
    score(&w, &Cred::Anon, "p1", "A1", "8").await.expect(401, None);
    // Unknown panel.
    score(&w, &e2, "nope", "A1", "8").await.expect(404, None);

    // Tied: refused with a clear message.
    let r = score(&w, &e6, "p1", "A1", "8").await;
    r.expect(409, Some("expert_tied"));
    assert!(r.message().unwrap().contains("A1"), "{}", r.text());
    // An expert declares only their own ties; a tie is recorded once.
    w.send(Method::POST, &api("/panels/p1/ties"), &e2, Some(json!({ "unit": "A2", "reason": "亲属", "expert": "e3" }))).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api("/panels/p1/ties"), &e6, Some(json!({ "unit": "A1", "reason": "again" }))).await.expect(409, Some("tie_exists"));
    let r = w.send(Method::POST, &api("/panels/p1/ties"), &e2, Some(json!({ "unit": "B1", "reason": " " }))).await;
    r.expect(422, Some("invalid"));
    assert_eq!(fields(&r), ["unit", "reason"]);
    let r = w.send(Method::POST, &api("/panels/p1/ties"), &admin, Some(json!({ "unit": "A2", "reason": "亲属" }))).await;
    r.expect(422, Some("invalid"));
    assert_eq!(fields(&r), ["expert"]);

    // Malformed or out of range: 422 naming the field.
    for bad in ["10.01", "-1", "8.555", "八分", "", "1e1"] {
        let r = score(&w, &e2, "p1", "A1", bad).await;
        r.expect(422, Some("invalid"));
        assert_eq!(fields(&r), ["score"], "{bad}");
    }
    let r = w.send(Method::POST, &api("/panels/p1/scores"), &e2, Some(json!({ "unit": "A1", "score": "8", "comment": "  " }))).await;
    r.expect(422, Some("invalid"));
    assert_eq!(fields(&r), ["comment"]);
    let r = score(&w, &e2, "p1", "B1", "8").await;
    r.expect(422, Some("invalid"));
    assert_eq!(fields(&r), ["unit"]);
    w.send(Method::POST, &api("/panels/p1/scores"), &e2, Some(json!({ "unit": "A1", "score": "8" }))).await.expect(422, None);
    score(&w, &e2, "p1", "A1", "10").await.expect(204, None);

    // Applying before closing; closing by anyone but the office.
    w.send(Method::POST, &api("/panels/p1/apply"), &admin, None).await.expect(409, Some("panel_not_closed"));
    w.send(Method::POST, &api("/panels/p1/close"), &e2, None).await.expect(403, Some("forbidden"));
    w.send(Method::POST, &api("/panels/p1/close"), &w.sign_in("viewer").await, None).await.expect(403, Some("forbidden"));
    let staff = w.sign_in("staff").await;
    w.send(Method::POST, &api("/panels/p1/close"), &staff, None).await.expect(200, None);

    // After closing: nothing changes.
    score(&w, &e2, "p1", "A1", "9").await.expect(409, Some("panel_closed"));
    score(&w, &e2, "p1", "A2", "9").await.expect(409, Some("panel_closed"));
    w.send(Method::POST, &api("/panels/p1/ties"), &e2, Some(json!({ "unit": "A2", "reason": "亲属" }))).await.expect(409, Some("panel_closed"));
    w.send(Method::POST, &api("/panels/p1/ties"), &admin, Some(json!({ "unit": "A2", "reason": "亲属", "expert": "e3" }))).await.expect(409, Some("panel_closed"));
    w.send(Method::POST, &api("/panels/p1/close"), &admin, None).await.expect(409, Some("panel_not_open"));

    // Applying into a locked unit is refused whole: A1 submits May first.
    w.db.submit(PLAN, MAY, "A1", "seed", yardstick_server::auth::now_ms()).await.expect("A1 submits May");
    w.send(Method::POST, &api("/panels/p1/apply"), &staff, None).await.expect(409, Some("values_locked"));
    let v = w.get(&api(&format!("/plans/{PLAN}/periods/{MAY}/units/A1/values")), &admin).await.ok();
    assert!(v["values"].as_array().unwrap().iter().all(|x| x["indicator"] != "PROJ"), "{v}");
    assert_eq!(w.get(&api("/panels/p1"), &admin).await.ok()["status"], "closed");
}

async fn definitions_are_checked(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    prepare(&w, &admin).await;
    // Every problem at once, each naming its field.
    let bad = json!({
        "key": "bad key", "name": "", "plan": PLAN, "period": "2026-06", "indicator": "PROJ",
        "experts": ["e2", "viewer", "nobody", "e2"], "units": ["A1", "A1"],
        "ties": [{ "expert": "e9", "unit": "B2", "reason": "" }],
        "trim_from": 2, "spread_flag": "x",
    });
    let r = w.send(Method::POST, &api("/panels"), &admin, Some(bad)).await;
    r.expect(422, Some("invalid"));
    assert_eq!(
        fields(&r),
        ["key", "name", "period", "experts[1]", "experts[2]", "experts[3]", "units[1]", "ties[0].expert", "ties[0].unit", "ties[0].reason", "trim_from", "spread_flag"]
    );
    // An indicator whose method takes more than one number; units it does not apply to.
    let mut d = panel("x");
    d["indicator"] = json!("GDP");
    let r = w.send(Method::POST, &api("/panels"), &admin, Some(d)).await;
    r.expect(422, Some("invalid"));
    assert_eq!(fields(&r), ["indicator"]);
    assert!(r.text().contains("completion"), "{}", r.text());
    let mut d = panel("x");
    d["units"] = json!(["A1", "B1", "ZZ"]);
    d["ties"] = json!([]);
    let r = w.send(Method::POST, &api("/panels"), &admin, Some(d)).await;
    r.expect(422, Some("invalid"));
    assert_eq!(fields(&r), ["units[1]", "units[2]"]);
    // In March, PROJ is not in the plan version in force.
    let mut d = panel("x");
    d["period"] = json!(common::MARCH);
    let r = w.send(Method::POST, &api("/panels"), &admin, Some(d)).await;
    assert_eq!(fields(&r), ["indicator"]);
    // A quarter: PROJ is entered monthly, so not in 2026-Q2.
    w.db.open_period(PLAN, "2026-Q2", "seed", yardstick_server::auth::now_ms()).await.expect("Q2 opens");
    let mut d = panel("x");
    d["period"] = json!("2026-Q2");
    let r = w.send(Method::POST, &api("/panels"), &admin, Some(d)).await;
    assert_eq!(fields(&r), ["period"]);
    // A given highest score; only the office forms panels.
    let mut d = panel("x");
    d["max_score"] = json!("12.5");
    d["trim_from"] = json!(3);
    assert_eq!(w.send(Method::POST, &api("/panels"), &admin, Some(d.clone())).await.ok()["max_score"], "12.50");
    d["key"] = json!("y");
    for who in ["expert", "viewer", "auditor", "reporter"] {
        w.send(Method::POST, &api("/panels"), &w.sign_in(who).await, Some(d.clone())).await.expect(403, Some("forbidden"));
    }
}

async fn who_sees_what(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    prepare(&w, &admin).await;
    w.send(Method::POST, &api("/panels"), &admin, Some(panel("xm"))).await.expect(201, None);
    let e2 = w.sign_in("e2").await;
    let e6 = w.sign_in("e6").await;
    score(&w, &e2, "xm", "A1", "9").await.expect(204, None);
    score(&w, &e6, "xm", "A2", "7.5").await.expect(204, None);

    // An expert: their own panels, the units they may score, their own scores and ties only.
    assert_eq!(w.get(&api("/panels"), &e6).await.ok().as_array().unwrap().len(), 1);
    let d = w.get(&api("/panels/xm"), &e6).await.ok();
    let units: Vec<&str> = d["units"].as_array().unwrap().iter().map(|u| u["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["A2", "A3", "A4"]);
    assert_eq!(d["scores"].as_array().unwrap().len(), 1);
    assert_eq!(d["scores"][0]["expert"], "e6");
    assert!(d.get("experts").is_none() && d.get("results").is_none(), "{d}");
    assert_eq!(d["ties"].as_array().unwrap().len(), 1);
    assert!(!d.to_string().contains("9.00"), "another expert's score shows: {d}");

    // Leaders: the panel and its progress, no expert's score.
    let v = w.sign_in("viewer").await;
    let d = w.get(&api("/panels/xm"), &v).await.ok();
    assert_eq!(d["scores"], json!([]));
    assert_eq!(d["units"][0]["scored"], 1);
    // Auditors and the office: everything.
    for who in ["auditor", "staff"] {
        let d = w.get(&api("/panels/xm"), &w.sign_in(who).await).await.ok();
        assert_eq!(d["scores"].as_array().unwrap().len(), 2, "{who}");
    }
    // A unit's users, departments and surveyors: nothing of a panel.
    for who in ["reporter", "leader", "dept", "surveyor"] {
        let c = w.sign_in(who).await;
        w.get(&api("/panels"), &c).await.expect(403, Some("forbidden"));
        w.get(&api("/panels/xm"), &c).await.expect(403, Some("forbidden"));
    }

    // Closed: leaders read the results (no expert named); experts still only their own.
    w.send(Method::POST, &api("/panels/xm/close"), &admin, None).await.expect(200, None);
    let d = w.get(&api("/panels/xm"), &v).await.ok();
    assert_eq!(d["results"]["units"][0]["score"], "9.00");
    assert_eq!(d["scores"], json!([]));
    assert!(!d["results"].to_string().contains("e2"), "{d}");
    let d = w.get(&api("/panels/xm"), &e6).await.ok();
    assert!(d.get("results").is_none(), "{d}");
}

/// A form post as a browser sends it, with the session cookie and the CSRF token.
async fn form(w: &World, who: &Cred, uri: &str, body: &str) -> common::Resp {
    let Cred::Session { cookie, csrf } = who else { panic!("a session") };
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, format!("{}={cookie}", yardstick_server::auth::SESSION_COOKIE))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={}&{body}", urlencode(csrf))))
        .expect("request");
    w.raw(req).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn html(r: &common::Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

async fn pages_by_plain_form_posts(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    prepare(&w, &admin).await;
    // The office forms a panel on the page (Chinese by default, English on request).
    let page = w.get("/panels", &admin).await;
    page.expect(200, None);
    assert!(html(&page).contains("专家评审") && html(&page).contains("组建评审组"), "{}", page.text());
    let page = w.get("/panels?lang=en", &admin).await;
    assert!(html(&page).contains("Form a panel"), "{}", page.text());
    // Experts have the page in their navigation; a unit's reporter does not.
    assert!(html(&w.get("/", &w.sign_in("expert").await).await).contains("href=\"/panels\""));
    assert!(!html(&w.get("/", &w.sign_in("reporter").await).await).contains("href=\"/panels\""));
    let body = format!(
        "key=xm&name={}&plan={PLAN}&period={MAY}&indicator=PROJ&experts={}&units={}&ties={}&spread_flag=3&trim_from=5&max_score=",
        urlencode("五月项目评审"),
        urlencode("expert e2 e3"),
        urlencode("A1 A2"),
        urlencode("e3 A1 曾在城关镇任职"),
    );
    let r = form(&w, &admin, "/panels", &body).await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    assert_eq!(r.header("location").as_deref(), Some("/panels/xm"));
    // A bad form says what is wrong, next to it, and keeps what was typed.
    let r = form(&w, &admin, "/panels", "key=bad+key&name=&plan=p2026&period=2026-05&indicator=GDP&experts=e2&units=A1&ties=&spread_flag=3&trim_from=5&max_score=").await;
    r.expect(422, None);
    assert!(html(&r).contains("bad key") && html(&r).contains("completion"), "{}", r.text());

    // The expert's page: the units to score, a form per unit; a tie on the page.
    let e3 = w.sign_in("e3").await;
    let page = w.get("/panels/xm", &e3).await;
    page.expect(200, None);
    let h = html(&page);
    assert!(h.contains("高村镇") && !h.contains("城关镇（A1）") && h.contains("viewport"), "{h}");
    let r = form(&w, &e3, "/panels/xm/scores", &format!("unit=A2&score=8.5&comment={}", urlencode("现场察看：进度正常"))).await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    let r = form(&w, &e3, "/panels/xm/scores", "unit=A2&score=11&comment=x").await;
    r.expect(422, None);
    assert!(html(&r).contains("0 至 10.00"), "{}", r.text());
    let ex = w.sign_in("expert").await;
    form(&w, &ex, "/panels/xm/scores", &format!("unit=A2&score=7&comment={}", urlencode("现场察看"))).await;
    let r = form(&w, &ex, "/panels/xm/ties", &format!("unit=A1&reason={}", urlencode("前单位"))).await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    // The office closes and applies on the page; the detail shows the results.
    let r = form(&w, &admin, "/panels/xm/close", "").await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    let r = form(&w, &admin, "/panels/xm/apply", "").await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    let page = w.get("/panels/xm", &admin).await;
    let h = html(&page);
    assert!(h.contains("7.75") && h.contains("已应用") && h.contains("现场察看：进度正常"), "{h}");
    // A leader's page: the results, no expert's score or comment.
    let h = html(&w.get("/panels/xm", &w.sign_in("viewer").await).await);
    assert!(h.contains("7.75") && !h.contains("现场察看") && !h.contains("8.50"), "{h}");
    // A unit's reporter has no panel pages.
    let rep = w.sign_in("reporter").await;
    w.get("/panels", &rep).await.expect(403, None);
}
