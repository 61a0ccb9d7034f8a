//! The unit's result sets its people's coefficients (issue 6, item 2; M12, seed 002's
//! second linkage): a cadres' plan takes each unit's published grade of the month in the
//! units' plan (`coefficients.parent_source`) as the level of its parent coefficient.
//! Runs on SQLite and PostgreSQL.

mod common;

use axum::http::Method;
use common::{APRIL, MARCH, PLAN, seed};
use serde_json::json;
use yardstick_storage::Db;

on_both_backends!(a_unit_s_published_grade_sets_its_cadres_coefficient);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

const CADRES: &str = r#"[plan]
key = "c2026"
name = "2026年干部平时考核"
year = 2026

[[grade_sets]]
key = "tiers"
name = "一档/二档"
grades = [{ name = "一档", quota = "50%" }, { name = "二档" }]

# The units' own categories are defined too (their units are subjects of every plan).
[[categories]]
key = "A"
name = "A类"
grade_set = "tiers"

[[categories]]
key = "B"
name = "B类"
grade_set = "tiers"

[[categories]]
key = "cadres"
name = "干部"
grade_set = "tiers"
coefficients = true

[coefficients]
parent_input = "unit_grade"
parent_levels = [{ name = "优秀", value = 1.05 }, { name = "良好", value = 1.00 }, { name = "一般", value = 0.95 }]
parent_source = "p2026"

[[indicators]]
key = "POINTS"
name = "月度积分"
kind = "evaluation"
method = "direct"
weight = 100
"#;

async fn a_unit_s_published_grade_sets_its_cadres_coefficient(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    w.send(Method::POST, &api("/categories"), &admin, Some(json!({ "key": "cadres", "name": "干部" }))).await.expect(201, None);
    for (key, unit) in [("K1", "A1"), ("K2", "A2"), ("K3", "B1")] {
        w.send(Method::POST, &api("/people"), &admin, Some(json!({ "key": key, "name": key, "unit": unit, "kind": "cadre", "category": "cadres", "from": "2026-01" }))).await.expect(201, None);
    }
    w.send(Method::POST, &api("/plans"), &admin, Some(json!({ "key": "c2026", "year": 2026, "name": "2026年干部平时考核" }))).await.expect(201, None);
    // A source that is the plan itself, or without parent_input, is refused by field.
    let bad = CADRES.replace("parent_source = \"p2026\"", "parent_source = \"c2026\"");
    let r = w.send(Method::POST, &api("/plans/c2026/versions"), &admin, Some(json!({ "toml": bad, "note": "x" }))).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert!(r.text().contains("coefficients.parent_source"), "{}", r.text());
    w.send(Method::POST, &api("/plans/c2026/versions"), &admin, Some(json!({ "toml": CADRES, "note": "挂钩" }))).await.expect(201, None);
    for p in [MARCH, APRIL] {
        w.send(Method::POST, &api("/plans/c2026/periods"), &admin, Some(json!({ "period": p }))).await.expect(201, None);
        let points = json!({ "values": [{ "indicator": "POINTS", "field": "value", "value": "90" }] });
        for k in ["K1", "K2", "K3"] {
            w.send(Method::PUT, &api(&format!("/plans/c2026/periods/{p}/people/{k}/values")), &admin, Some(points.clone())).await.expect(200, None);
        }
        for (u, _, _) in common::UNITS {
            w.send(Method::PUT, &api(&format!("/plans/c2026/periods/{p}/units/{u}/values")), &admin, Some(points.clone())).await.expect(200, None);
        }
    }
    // The units' March grades, as published in the units' plan.
    let units = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/results")), &admin).await.ok();
    let grade = |u: &str| units["items"].as_array().unwrap().iter().find(|r| r["subject"] == u).unwrap()["grade"].as_str().unwrap().to_string();
    let factor = |g: &str| match g {
        "优秀" => "94.50",
        "良好" => "90.00",
        _ => "85.50",
    };
    let set = w.send(Method::POST, &api(&format!("/plans/c2026/periods/{MARCH}/computations")), &admin, None).await.ok()["set_id"].as_i64().unwrap();
    assert!(set > 0);
    let rows = w.get(&api(&format!("/plans/c2026/periods/{MARCH}/preview")), &admin).await.ok();
    for (k, u) in [("K1", "A1"), ("K2", "A2"), ("K3", "B1")] {
        let row = rows["items"].as_array().unwrap().iter().find(|r| r["subject"] == k).unwrap_or_else(|| panic!("{k} in {rows}"));
        assert_eq!(row["score"].as_str(), Some(factor(&grade(u))), "{k} under {u} graded {}: {row}", grade(u));
    }
    // April of the units' plan is computed but not published: no levels, and the cadres'
    // April fails, naming the parent.
    let r = w.send(Method::POST, &api(&format!("/plans/c2026/periods/{APRIL}/computations")), &admin, None).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert!(r.text().contains("A1") || r.text().contains("unit_grade"), "{}", r.text());
}
