//! The plan as an Excel workbook through the API (issue 5): a version exported as .xlsx and
//! imported back changes nothing; a changed workbook becomes the next version, stored as
//! `POST …/versions` stores a text; problems come back with sheet, row and column in the
//! caller's language; the plans page links both. Runs on SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use common::{Cred, PLAN, PLAN_TOML, Resp, World, seed};
use serde_json::Value;
use yardstick_formats::Lang;
use yardstick_sheets::plan::plan_to_xlsx;
use yardstick_sheets::read::{Limits, read_book};
use yardstick_storage::Db;

on_both_backends!(export_then_import_changes_nothing, a_changed_workbook_is_the_next_version, bad_workbooks_name_their_cells, the_plans_page_links_export_and_import);

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

async fn upload(w: &World, cred: &Cred, query: &str, bytes: Vec<u8>) -> Resp {
    let uri = api(&format!("/plans/{PLAN}/versions/import{query}"));
    let req = cred
        .apply(&Method::POST, Request::builder().method(Method::POST).uri(uri))
        .header(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(Body::from(bytes))
        .unwrap();
    w.raw(req).await
}

async fn versions(w: &World, cred: &Cred) -> usize {
    w.get(&api(&format!("/plans/{PLAN}/versions")), cred).await.ok().as_array().unwrap().len()
}

fn value(text: &str) -> toml::Value {
    toml::from_str(text).unwrap()
}

async fn export_then_import_changes_nothing(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let viewer = w.sign_in("viewer").await;
    // Anyone who reads plans may export; the file is a workbook with the plan's sheets.
    let r = w.get(&api(&format!("/plans/{PLAN}/versions/1/plan.xlsx")), &viewer).await;
    r.expect(200, None);
    assert_eq!(r.header("content-type").as_deref(), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    assert!(r.header("content-disposition").unwrap().contains("p2026-v1.xlsx"));
    let book = read_book("p.xlsx", &r.body, &Limits::default()).unwrap();
    let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["方案", "等次", "类别", "指标", "其他(TOML)"]);
    let en = w.get(&api(&format!("/plans/{PLAN}/versions/1/plan.xlsx?lang=en")), &viewer).await;
    let en = read_book("p.xlsx", &en.body, &Limits::default()).unwrap();
    assert_eq!(en.sheets[3].name, "indicators");
    w.get(&api(&format!("/plans/{PLAN}/versions/9/plan.xlsx")), &viewer).await.expect(404, Some("not_found"));

    // Importing the export: the same plan as the latest version, nothing written.
    let before = versions(&w, &admin).await;
    let r = upload(&w, &admin, "?note=%E5%86%8D%E6%AC%A1%E5%AF%BC%E5%85%A5", r.body.to_vec()).await;
    r.expect(200, None);
    assert_eq!(r.json(), serde_json::json!({ "version": 1, "changed": false }));
    assert_eq!(versions(&w, &admin).await, before);
    // The viewer may not import.
    upload(&w, &viewer, "", plan_to_xlsx(PLAN_TOML, Lang::Zh).unwrap()).await.expect(403, Some("forbidden"));
}

async fn a_changed_workbook_is_the_next_version(db: Db) {
    let w = seed(db).await;
    let admin = w.token("admin").await;
    let changed = PLAN_TOML.replace("cap = 1.2", "cap = 1.3").replace("per = 2", "per = 3");
    let bytes = plan_to_xlsx(&changed, Lang::Zh).unwrap();
    let r = upload(&w, &admin, "?note=%E8%B0%83%E6%95%B4%E4%B8%8A%E9%99%90", bytes.clone()).await;
    r.expect(201, None);
    let out = r.json();
    assert_eq!((out["version"].as_i64(), out["changed"].as_bool(), out["note"].as_str()), (Some(2), Some(true), Some("调整上限")));
    // Stored as POST …/versions stores a text: the same plan, hashed, with the note.
    let v = w.get(&api(&format!("/plans/{PLAN}/versions/2")), &admin).await.ok();
    let text = v["toml"].as_str().unwrap();
    assert_eq!(value(text), value(&changed));
    assert_eq!(v["sha256"].as_str(), out["sha256"].as_str());
    // It is the plan the period is computed with.
    let c = w.send(Method::POST, &api(&format!("/plans/{PLAN}/periods/{}/computations", common::APRIL)), &admin, None).await.ok();
    assert_eq!(c["plan_version"].as_i64(), Some(2));
    // Importing the same file again changes nothing, and so does its own export.
    let again = upload(&w, &admin, "", bytes).await;
    again.expect(200, None);
    assert_eq!(again.json()["version"].as_i64(), Some(2));
    let export = w.get(&api(&format!("/plans/{PLAN}/versions/2/plan.xlsx")), &admin).await;
    assert_eq!(upload(&w, &admin, "", export.body.to_vec()).await.json()["changed"], Value::Bool(false));
    assert_eq!(versions(&w, &admin).await, 2);
    // The version is in the audit log like any other.
    let log = w.get(&api("/audit?limit=1000"), &admin).await.ok();
    assert!(log.as_array().unwrap().iter().any(|r| r.to_string().contains("调整上限")), "{log}");
}

fn problems(r: &Resp) -> Vec<Value> {
    r.json()["error"]["problems"].as_array().cloned().unwrap_or_default()
}

async fn bad_workbooks_name_their_cells(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let before = versions(&w, &admin).await;

    // Not a workbook at all.
    let r = upload(&w, &admin, "?name=plan.xlsx", b"%PDF-1.7\n\x00\x01 not a workbook".to_vec()).await;
    r.expect(422, Some("invalid"));
    assert!(problems(&r)[0]["message"].as_str().unwrap().contains("不是 Excel 工作簿"), "{}", r.text());

    // A weight that is not a number: 指标 row 2, the weight column, in the caller's language.
    let bad = PLAN_TOML.replace("weight = 100", "weight = \"abc\"");
    let r = upload(&w, &admin, "?name=%E6%96%B9%E6%A1%88.xlsx&lang=en", plan_to_xlsx(&bad, Lang::Zh).unwrap()).await;
    r.expect(422, Some("invalid"));
    let ps = problems(&r);
    // (A text that is no number is exported as inline TOML in the extra column, and named there.)
    assert!(
        ps.iter().any(|p| p["place"]["sheet"] == "指标" && p["place"]["line"] == 2 && p["place"]["column"].as_str().is_some_and(|c| c.contains("(extra)")) && p["field"].is_null() && p["place"]["field"] == "indicators[0].weight" && p["message"].as_str().unwrap().contains("'abc' is not a number")),
        "{}",
        r.text()
    );
    assert!(ps.iter().all(|p| p["place"]["file"] == "方案.xlsx"), "{}", r.text());
    assert!(ps[0]["text"].as_str().unwrap().contains("sheet '指标' row 2"), "{}", r.text());

    // A plan without category B, which has units: the categories sheet is named.
    let no_b = PLAN_TOML.replace("[[categories]]\nkey = \"B\"\nname = \"B类\"\ngrade_set = \"g\"\n", "");
    let r = upload(&w, &admin, "", plan_to_xlsx(&no_b, Lang::Zh).unwrap()).await;
    r.expect(422, Some("invalid"));
    assert!(problems(&r).iter().any(|p| p["place"]["sheet"] == "类别" && p["message"].as_str().unwrap().contains("“B”")), "{}", r.text());

    // Subjects of its own are refused: in the server they are the registry's units.
    let own = format!("{PLAN_TOML}\n[[subjects]]\nkey = \"A1\"\nname = \"城关镇\"\ncategory = \"A\"\n");
    let r = upload(&w, &admin, "", plan_to_xlsx(&own, Lang::Zh).unwrap()).await;
    r.expect(422, Some("invalid"));
    assert_eq!(problems(&r)[0]["place"]["sheet"], "考核对象", "{}", r.text());

    // A different year than the plan's.
    let y = PLAN_TOML.replace("year = 2026", "year = 2027");
    upload(&w, &admin, "", plan_to_xlsx(&y, Lang::Zh).unwrap()).await.expect(422, Some("year_mismatch"));

    assert_eq!(versions(&w, &admin).await, before, "nothing was written");
}

async fn the_plans_page_links_export_and_import(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let page = w.get("/admin/plans", &admin).await;
    page.expect(200, None);
    let html = String::from_utf8(page.body.to_vec()).unwrap().replace("&#x2f;", "/").replace("&#x2F;", "/").replace("&#47;", "/");
    let main = html.split("<main").nth(1).unwrap_or(&html).chars().take(1500).collect::<String>();
    assert!(html.contains("/api/v1/plans/p2026/versions/1/plan.xlsx") && html.contains("导出Excel"), "{main}");
    assert!(html.contains("data-upload=\"/api/v1/plans/p2026/versions/import\"") && html.contains("从Excel导入新版本"), "{html}");
    // A viewer sees the export but not the upload.
    let viewer = w.sign_in("viewer").await;
    let html = String::from_utf8(w.get("/admin/plans", &viewer).await.body.to_vec()).unwrap().replace("&#x2f;", "/").replace("&#x2F;", "/");
    assert!(html.contains("导出Excel") && !html.contains("data-upload"), "{html}");
    // English.
    let html = String::from_utf8(w.get("/admin/plans?lang=en", &admin).await.body.to_vec()).unwrap().replace("&#x2f;", "/").replace("&#x2F;", "/");
    assert!(html.contains("Export to Excel") && html.contains("Import a new version from Excel"), "{html}");
}
