//! Rewards (issue 6, item 5; M12, M14): a monthly bonus pool split by tier (档次) and post
//! coefficient among a unit's staff, paid in fen that add up to the pool; fixed year-end
//! style amounts per grade for units; the lists per unit and per person with the
//! person-times (人次); the workbook; who sees which lines; every refusal. Runs on SQLite
//! and PostgreSQL.

mod common;

use axum::http::Method;
use common::{Cred, UNITS, World, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(pool_by_tier_and_post_coefficient, refusals_and_visibility);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

const PLAN: &str = r#"[plan]
key = "r2026"
name = "2026年绩效考核"
year = 2026

[[grade_sets]]
key = "tiers"
name = "一档/二档/三档"
grades = [{ name = "一档", quota = "20%" }, { name = "二档", quota = "60%" }, { name = "三档" }]

[[grade_sets]]
key = "bureaus"
name = "优秀/良好"
grades = [{ name = "优秀", quota = "50%" }, { name = "良好" }]

[[categories]]
key = "staff"
name = "工作人员"
grade_set = "tiers"

[[categories]]
key = "bureaus"
name = "部门"
grade_set = "bureaus"

[coefficients]
static_levels = [1.3, 1.0]

[[indicators]]
key = "POINTS"
name = "月度积分"
kind = "evaluation"
method = "direct"
weight = 100

[[rewards]]
key = "monthly"
name = "月度绩效奖"
level = "month"
categories = ["staff"]
pool = 10000
grades = [{ name = "一档", factor = 1.5 }, { name = "二档", factor = 1.2 }, { name = "三档", factor = 1 }]
static_coefficient = true

[[rewards]]
key = "bureau"
name = "月度先进部门"
level = "month"
categories = ["bureaus"]
grades = [{ name = "优秀", amount = 5000 }]

[[rewards]]
key = "yearly"
name = "年度奖励"
level = "year"
grades = [{ name = "一档", amount = 1000 }]
"#;

struct R {
    w: World,
    admin: Cred,
}

async fn world(db: Db) -> R {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    for (key, name, category) in UNITS {
        w.send(Method::PUT, &api(&format!("/units/{key}")), &admin, Some(json!({ "key": key, "name": name, "category": category, "area": null, "static_level": null, "active": false }))).await.expect(200, None);
    }
    for (key, name) in [("staff", "工作人员"), ("bureaus", "部门")] {
        w.send(
            Method::POST,
            &api("/categories"),
            &admin,
            Some(json!({ "key": key, "name": name })),
        )
        .await
        .expect(201, None);
    }
    for (key, name) in [("ED", "经济发展局"), ("FG", "发展改革局")] {
        w.send(
            Method::POST,
            &api("/units"),
            &admin,
            Some(json!({ "key": key, "name": name, "category": "bureaus" })),
        )
        .await
        .expect(201, None);
    }
    for (user, role, unit) in [
        ("ed_lead", "unit_leader", "ED"),
        ("fg_lead", "unit_leader", "FG"),
    ] {
        w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": user, "display_name": user, "role": role, "unit": unit, "password": common::PW }))).await.expect(201, None);
    }
    // Five staff of ED; P1 heads a section (post coefficient level 1: 1.3), the others 1.0.
    // P5 moves to FG in March: March's reward is listed under FG.
    for (key, name, level) in [
        ("P1", "甲", 1),
        ("P2", "乙", 2),
        ("P3", "丙", 2),
        ("P4", "丁", 2),
        ("P5", "戊", 2),
    ] {
        w.send(Method::POST, &api("/people"), &admin, Some(json!({ "key": key, "name": name, "unit": "ED", "category": "staff", "static_level": level, "from": "2026-01" }))).await.expect(201, None);
    }
    w.send(
        Method::POST,
        &api("/people/P5/moves"),
        &admin,
        Some(json!({ "unit": "FG", "from": "2026-03" })),
    )
    .await
    .expect(201, None);
    w.send(
        Method::POST,
        &api("/plans"),
        &admin,
        Some(json!({ "key": "r2026", "year": 2026, "name": "2026年绩效考核" })),
    )
    .await
    .expect(201, None);
    w.send(
        Method::POST,
        &api("/plans/r2026/versions"),
        &admin,
        Some(json!({ "toml": PLAN, "note": "奖励" })),
    )
    .await
    .expect(201, None);
    for p in ["2026-03", "2026-04"] {
        w.send(
            Method::POST,
            &api("/plans/r2026/periods"),
            &admin,
            Some(json!({ "period": p })),
        )
        .await
        .expect(201, None);
    }
    R { w, admin }
}

async fn enter(w: &World, admin: &Cred, period: &str, points: &[(&str, &str)]) {
    for (who, v) in points {
        let path = if who.starts_with('P') {
            format!("/plans/r2026/periods/{period}/people/{who}/values")
        } else {
            format!("/plans/r2026/periods/{period}/units/{who}/values")
        };
        w.send(
            Method::PUT,
            &api(&path),
            admin,
            Some(json!({ "values": [{ "indicator": "POINTS", "field": "value", "value": v }] })),
        )
        .await
        .expect(200, None);
    }
}

async fn publish(w: &World, admin: &Cred, period: &str) {
    let set = w
        .send(
            Method::POST,
            &api(&format!("/plans/r2026/periods/{period}/computations")),
            admin,
            None,
        )
        .await
        .ok()["set_id"]
        .as_i64()
        .unwrap();
    w.send(
        Method::POST,
        &api(&format!("/plans/r2026/periods/{period}/publications")),
        admin,
        Some(json!({ "set_id": set, "reason": "月度结果" })),
    )
    .await
    .expect(201, None);
}

fn amounts(v: &Value) -> Vec<(String, String)> {
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["subject"].as_str().unwrap().to_string(),
                l["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn pool_by_tier_and_post_coefficient(db: Db) {
    let R { w, admin } = world(db).await;
    enter(
        &w,
        &admin,
        "2026-03",
        &[
            ("P1", "95"),
            ("P2", "90"),
            ("P3", "88"),
            ("P4", "80"),
            ("P5", "70"),
            ("ED", "92"),
            ("FG", "85"),
        ],
    )
    .await;
    // Nothing is allocated before the results are published.
    let url = api("/plans/r2026/periods/2026-03/rewards");
    w.send(
        Method::POST,
        &url,
        &admin,
        Some(json!({ "rule": "monthly" })),
    )
    .await
    .expect(409, Some("not_published"));
    publish(&w, &admin, "2026-03").await;

    // Tiers under the quotas: 20 % of 5 → P1 一档; 60 % → P2, P3 二档; P4, P5 三档.
    // Weights 1.5×1.3 = 1.95, 1.2, 1.2, 1, 1 → Σ 6.35. Exact shares of 10000: 3070.8661…,
    // 1889.7637… ×2, 1574.8031… ×2; floors leave 2 fen, which go to the largest remainders:
    // P1 (.61) and P2 (.38, before P3 by rank).
    let a = w
        .send(
            Method::POST,
            &url,
            &admin,
            Some(json!({ "rule": "monthly", "note": "3月绩效奖" })),
        )
        .await
        .expect(201, None)
        .json();
    assert_eq!(
        amounts(&a),
        pairs(&[
            ("P1", "3070.87"),
            ("P2", "1889.77"),
            ("P3", "1889.76"),
            ("P4", "1574.80"),
            ("P5", "1574.80")
        ]),
        "{a}"
    );
    assert_eq!(
        (a["pool"].as_str(), a["total"].as_str()),
        (Some("10000.00"), Some("10000.00"))
    );
    let l1 = &a["lines"][0];
    assert_eq!(
        (
            l1["grade"].as_str(),
            l1["coefficient"].as_str(),
            l1["unit"].as_str()
        ),
        (Some("一档"), Some("1.3"), Some("ED"))
    );
    assert_eq!(
        l1["working"],
        "奖金池 10000.00 × 1.95（一档 1.5 × 固定系数 1.3） ÷ 权重合计 6.35 = 3070.8661… → 3070.87 元（分配尾差 +0.01）"
    );
    // P5 served in FG at the end of March.
    assert_eq!(a["lines"][4]["unit"], "FG");
    assert!(
        a["rule_words"].as_str().unwrap().contains("最大余数法"),
        "{a}"
    );

    // Another pool replaces the allocation in the lists; the old one stays in the history.
    let b = w
        .send(
            Method::POST,
            &url,
            &admin,
            Some(json!({ "rule": "monthly", "pool": "635" })),
        )
        .await
        .expect(201, None)
        .json();
    assert_eq!(
        amounts(&b),
        pairs(&[
            ("P1", "195.00"),
            ("P2", "120.00"),
            ("P3", "120.00"),
            ("P4", "100.00"),
            ("P5", "100.00")
        ])
    );
    // Fixed amounts for the bureaus: 50 % of 2 → ED 优秀 gets 5000; FG 良好 nothing.
    let u = w
        .send(
            Method::POST,
            &url,
            &admin,
            Some(json!({ "rule": "bureau" })),
        )
        .await
        .expect(201, None)
        .json();
    assert_eq!(amounts(&u), pairs(&[("ED", "5000.00")]));
    assert_eq!(
        (u["pool"].clone(), u["total"].as_str()),
        (Value::Null, Some("5000.00"))
    );

    // April: P1 and P2 swap; the lists add up over the months.
    enter(
        &w,
        &admin,
        "2026-04",
        &[
            ("P1", "89"),
            ("P2", "96"),
            ("P3", "88"),
            ("P4", "80"),
            ("P5", "70"),
            ("ED", "80"),
            ("FG", "90"),
        ],
    )
    .await;
    publish(&w, &admin, "2026-04").await;
    let apr = api("/plans/r2026/periods/2026-04/rewards");
    let c = w
        .send(
            Method::POST,
            &apr,
            &admin,
            Some(json!({ "rule": "monthly" })),
        )
        .await
        .expect(201, None)
        .json();
    // P2 一档 1.5, P1 二档 1.2 × 1.3 = 1.56, P3 1.2, P4 1, P5 1 → Σ 6.26.
    let total: i64 = amounts(&c)
        .iter()
        .map(|(_, a)| (a.replace('.', "")).parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 1_000_000);
    w.send(
        Method::POST,
        &apr,
        &admin,
        Some(json!({ "rule": "bureau" })),
    )
    .await
    .expect(201, None);

    let all = w.get(&api("/plans/r2026/rewards"), &admin).await.ok();
    let allocs = all["allocations"].as_array().unwrap();
    assert_eq!(
        allocs.len(),
        4,
        "two rules × two months, the replaced March pool not among them: {all}"
    );
    let s = &all["summary"];
    // Units: ED (March), FG (April); people: 5 + 5 person-times, 5 persons.
    assert_eq!(
        (
            s["units"].as_u64(),
            s["person_times"].as_u64(),
            s["persons"].as_u64()
        ),
        (Some(2), Some(10), Some(5)),
        "{s}"
    );
    assert_eq!(
        (
            s["unit_amount"].as_str(),
            s["person_amount"].as_str(),
            s["total"].as_str()
        ),
        (Some("10000.00"), Some("10635.00"), Some("20635.00"))
    );
    let hist = w
        .get(
            &api("/plans/r2026/rewards?period=2026-03&history=true"),
            &admin,
        )
        .await
        .ok();
    assert_eq!(hist["allocations"].as_array().unwrap().len(), 3);

    // ED's leader: ED's own reward and the lines of people who served in ED at the period's
    // end (not P5 in March, who was at FG).
    let ed = w.sign_in("ed_lead").await;
    let mine = w
        .get(&api("/plans/r2026/rewards?period=2026-03"), &ed)
        .await
        .ok();
    let subjects: Vec<&str> = mine["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["subject"].as_str().unwrap())
        })
        .collect();
    assert_eq!(subjects, vec!["P1", "P2", "P3", "P4", "ED"]);
    w.get(&api("/plans/r2026/rewards?unit=FG"), &ed)
        .await
        .expect(403, Some("forbidden"));
    w.get(&api("/plans/r2026/rewards?history=true"), &ed)
        .await
        .expect(403, Some("forbidden"));
    let fg = w.sign_in("fg_lead").await;
    let theirs = w
        .get(&api("/plans/r2026/rewards?period=2026-03"), &fg)
        .await
        .ok();
    assert_eq!(
        amounts(&theirs["allocations"][0]),
        pairs(&[("P5", "100.00")])
    );

    // A person linked to an account (an expert by role, who reads no rewards) sees their own.
    let id = w.send(Method::POST, &api("/users"), &admin, Some(json!({ "username": "p3user", "display_name": "丙", "role": "expert", "password": common::PW }))).await.ok()["id"].as_i64().unwrap();
    w.send(
        Method::PUT,
        &api("/people/P3/account"),
        &admin,
        Some(json!({ "user_id": id })),
    )
    .await
    .expect(204, None);
    let p3 = w.sign_in("p3user").await;
    let own = w.get(&api("/plans/r2026/rewards"), &p3).await.ok();
    assert_eq!(own["summary"]["person_times"], 2);
    assert!(own["allocations"].as_array().unwrap().iter().all(|a| {
        a["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["subject"] == "P3")
    }));
    w.get(&api("/plans/r2026/rewards?subject=P1"), &p3)
        .await
        .expect(403, Some("forbidden"));
    // Someone with no person and no right: refused.
    w.get(&api("/plans/r2026/rewards"), &w.sign_in("surveyor").await)
        .await
        .expect(403, Some("forbidden"));

    // The workbook: the list and the summary per unit.
    let x = w.get(&api("/plans/r2026/rewards.xlsx"), &admin).await;
    assert_eq!(x.status.as_u16(), 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x.body.to_vec())).unwrap();
    use calamine::Reader;
    let names = book.sheet_names().to_vec();
    assert_eq!(names, vec!["奖励名单", "按单位汇总"]);
    let list = book.worksheet_range("奖励名单").unwrap();
    let text: Vec<String> = list
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert!(
        text.iter()
            .any(|r| r.contains("甲") && r.contains("3070.87"))
            || text.iter().any(|r| r.contains("甲") && r.contains("195")),
        "{text:?}"
    );
    let sum = book.worksheet_range("按单位汇总").unwrap();
    let text: Vec<String> = sum
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert!(
        text.iter()
            .any(|r| r.contains("获奖单位 2 个，个人 10 人次（5 人），合计 20635.00 元")),
        "{text:?}"
    );
    // A unit's workbook holds its own lines only.
    let x = w
        .get(&api("/plans/r2026/rewards.xlsx?period=2026-03"), &fg)
        .await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x.body.to_vec())).unwrap();
    let list = book.worksheet_range("奖励名单").unwrap();
    assert_eq!(
        list.rows()
            .filter(|r| r.iter().any(|c| c.to_string() == "戊"))
            .count(),
        1
    );
    assert!(!list.rows().any(|r| r.iter().any(|c| c.to_string() == "甲")));

    // Every allocation is in the audit log with its lines.
    let audit = w.get(&api("/audit?limit=1000"), &admin).await.ok();
    let allocs: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "allocate" && e["entity"] == "reward")
        .collect();
    assert_eq!(allocs.len(), 5);
}

async fn refusals_and_visibility(db: Db) {
    let R { w, admin } = world(db).await;
    enter(
        &w,
        &admin,
        "2026-03",
        &[
            ("P1", "95"),
            ("P2", "90"),
            ("P3", "88"),
            ("P4", "80"),
            ("P5", "70"),
            ("ED", "92"),
            ("FG", "85"),
        ],
    )
    .await;
    publish(&w, &admin, "2026-03").await;
    let url = api("/plans/r2026/periods/2026-03/rewards");
    let field = |r: &common::Resp| {
        r.json()["error"]["problems"][0]["place"]["field"]
            .as_str()
            .map(String::from)
    };
    for (body, f) in [
        (json!({ "rule": "nope" }), "rule"),
        (json!({ "rule": "yearly" }), "rule"),
        (json!({ "rule": "monthly", "pool": "lots" }), "pool"),
        (json!({ "rule": "monthly", "pool": "-5" }), "pool"),
        (json!({ "rule": "monthly", "pool": "10.005" }), "pool"),
        (json!({ "rule": "bureau", "pool": "100" }), "pool"),
        (
            json!({ "rule": "monthly", "note": "长".repeat(501) }),
            "note",
        ),
    ] {
        let r = w.send(Method::POST, &url, &admin, Some(body.clone())).await;
        assert_eq!(r.status.as_u16(), 422, "{body}: {}", r.text());
        assert_eq!(field(&r).as_deref(), Some(f), "{body}: {}", r.text());
    }
    w.send(Method::POST, &url, &admin, Some(json!({ "pool": "5" })))
        .await
        .expect(422, None);
    w.send(
        Method::POST,
        &api("/plans/nope/periods/2026-03/rewards"),
        &admin,
        Some(json!({ "rule": "monthly" })),
    )
    .await
    .expect(404, None);
    w.send(
        Method::POST,
        &api("/plans/r2026/periods/March/rewards"),
        &admin,
        Some(json!({ "rule": "monthly" })),
    )
    .await
    .expect(400, None);
    // Only the office allocates.
    for who in [
        "ed_lead", "viewer", "auditor", "reporter", "dept", "expert", "surveyor",
    ] {
        w.send(
            Method::POST,
            &url,
            &w.sign_in(who).await,
            Some(json!({ "rule": "monthly" })),
        )
        .await
        .expect(403, Some("forbidden"));
    }
    w.send(
        Method::POST,
        &url,
        &Cred::Anon,
        Some(json!({ "rule": "monthly" })),
    )
    .await
    .expect(401, None);
    // Staff allocates too.
    w.send(
        Method::POST,
        &url,
        &w.sign_in("staff").await,
        Some(json!({ "rule": "monthly" })),
    )
    .await
    .expect(201, None);
    // Leaders and auditors read everything.
    for who in ["viewer", "auditor"] {
        let r = w
            .get(&api("/plans/r2026/rewards"), &w.sign_in(who).await)
            .await
            .ok();
        assert_eq!(r["summary"]["person_times"], 5, "{who}");
    }

    // The plan's rule is checked when the plan is saved, each problem named.
    let bad = PLAN
        .replace(
            "{ name = \"一档\", factor = 1.5 }",
            "{ name = \"特等\", factor = 1.5 }",
        )
        .replace("amount = 5000", "amount = 5000, factor = 2")
        .replace("level = \"year\"", "level = \"decade\"");
    let r = w
        .send(
            Method::POST,
            &api("/plans/r2026/versions"),
            &admin,
            Some(json!({ "toml": bad, "note": "坏" })),
        )
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    let fields: Vec<String> = r.json()["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["place"]["field"].as_str().map(String::from))
        .collect();
    for f in [
        "rewards[0].grades[0].name",
        "rewards[1].grades[0]",
        "rewards[2].level",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
}
