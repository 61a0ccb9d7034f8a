//! Imports from workbooks (issue 5, items 1 and 6): the registry and a period's data, each
//! checked completely first (every problem with sheet, row and column, in the caller's
//! language), written all or nothing, idempotent; the bad inputs offices produce, each
//! understood or refused; and who may import what. Runs on SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{APRIL, Cred, MARCH, PLAN, Resp, World, seed};
use rust_xlsxwriter::{ExcelDateTime, Formula, Workbook};
use serde_json::Value;
use yardstick_storage::Db;

on_both_backends!(registry_from_a_workbook, registry_refusals, data_from_a_workbook, data_refusals_and_rights, files_that_are_not_what_they_seem, raw_data_export_imports_back_identically, a_filled_template_imports_back_as_the_units_submission);

/// A cell to write.
enum C<'a> {
    S(&'a str),
    N(f64),
    D(u16, u8, u8),
    F(&'a str),
    E,
}

/// A workbook of sheets given as rows of cells; `merge` ranges (sheet, first row, first
/// col, last row, last col) are merged.
fn xlsx(sheets: &[(&str, Vec<Vec<C>>)], merges: &[(&str, u32, u16, u32, u16)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    C::S(s) => ws.write_string(r, c, *s).map(|_| ()),
                    C::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                    C::D(y, m, d) => ws.write_datetime(r, c, ExcelDateTime::from_ymd(*y, *m, *d).unwrap()).map(|_| ()),
                    C::F(f) => ws.write_formula(r, c, Formula::new(*f)).map(|_| ()),
                    C::E => Ok(()),
                }
                .unwrap();
            }
        }
        for (s, r0, c0, r1, c1) in merges {
            if s == name {
                ws.merge_range(*r0, *c0, *r1, *c1, "", &rust_xlsxwriter::Format::new()).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn row<'a>(cells: &[&'a str]) -> Vec<C<'a>> {
    cells.iter().map(|s| if s.is_empty() { C::E } else { C::S(s) }).collect()
}

async fn upload(w: &World, uri: &str, cred: &Cred, bytes: Vec<u8>) -> Resp {
    let req = cred
        .apply(&Method::POST, Request::builder().method(Method::POST).uri(uri))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .unwrap();
    w.raw(req).await
}

fn data_uri(period: &str, query: &str) -> String {
    format!("/api/v1/plans/{PLAN}/periods/{period}/imports/data?name=data.xlsx{query}")
}

/// The problems of a 422 answer as "sheet|row|column|message" lines.
fn problems(r: &Resp) -> Vec<String> {
    refused(r, StatusCode::UNPROCESSABLE_ENTITY)
}

/// The problems of a refusal with this status.
fn refused(r: &Resp, status: StatusCode) -> Vec<String> {
    assert_eq!(r.status, status, "{}: {}", r.what, String::from_utf8_lossy(&r.body));
    r.json()["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            let pl = &p["place"];
            format!(
                "{}|{}|{}|{}",
                pl["sheet"].as_str().unwrap_or(""),
                pl["line"].as_u64().map(|l| l.to_string()).unwrap_or_default(),
                pl["column"].as_str().unwrap_or(""),
                p["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn has(problems: &[String], sheet: &str, line: u32, column_starts: &str, words: &str) -> bool {
    problems.iter().any(|p| {
        let parts: Vec<&str> = p.splitn(4, '|').collect();
        parts[0] == sheet && parts[1] == line.to_string() && parts[2].starts_with(column_starts) && parts[3].contains(words)
    })
}

async fn audit_rows(db: &Db) -> usize {
    db.audit_entries().await.expect("audit").len()
}

fn registry_book() -> Vec<u8> {
    xlsx(
        &[
            ("类别", vec![row(&["类别编码", "类别名称", "系列", "排序"]), vec![C::S("C"), C::S("C类"), C::S("部门系列"), C::N(3.0)]]),
            (
                "单位",
                vec![
                    vec![C::S("2026年度被考核单位名单")],
                    vec![],
                    row(&["单位编码", "单位名称", "类别", "地区", "静态系数档次", "参加考核", "备注"]),
                    vec![C::S("C1"), C::S("住建局"), C::S("C类"), C::E, C::S("２"), C::S("是"), C::S("新增")],
                    vec![C::S("C2"), C::S("交通局"), C::S("C"), C::E, C::N(3.0), C::S("否")],
                    vec![],
                    row(&["A3", "河西镇", "A", "", "", "是"]),
                ],
            ),
            ("人员", vec![row(&["人员编码", "姓名", "所在单位", "职务"]), row(&["P1", "张三", "住建局", "局长"]), row(&["P2", "李四", "C2", "副局长"])]),
            (
                "用户",
                vec![
                    row(&["用户名", "姓名", "角色", "所属单位", "电子邮箱"]),
                    row(&["c1_reporter", "住建局填报员", "单位填报员", "C1", "c1@example.org"]),
                    row(&["c1_leader", "住建局局长", "unit_leader", "住建局", ""]),
                ],
            ),
        ],
        &[("单位", 0, 0, 0, 6)],
    )
}

async fn registry_from_a_workbook(db: Db) {
    let w = seed(db.clone()).await;
    let admin = w.sign_in("admin").await;
    let before_units = db.units(None).await.unwrap().len();
    let before_audit = audit_rows(&db).await;

    // A check writes nothing and says what would change.
    let r = upload(&w, "/api/v1/imports/registry?name=%E5%90%8D%E5%BD%95.xlsx&dry_run=true", &admin, registry_book()).await;
    let j = r.ok();
    assert_eq!(j["dry_run"], true);
    assert_eq!((j["counts"]["units"]["created"].as_u64(), j["counts"]["units"]["unchanged"].as_u64()), (Some(2), Some(1)), "{j}");
    assert_eq!(db.units(None).await.unwrap().len(), before_units);
    assert_eq!(audit_rows(&db).await, before_audit, "a check writes nothing, not even an audit row");

    // The import writes everything, each row with its audit row.
    let j = upload(&w, "/api/v1/imports/registry?name=registry.xlsx", &admin, registry_book()).await.ok();
    assert_eq!(j["counts"]["categories"]["created"], 1);
    assert_eq!((j["counts"]["units"]["created"].as_u64(), j["counts"]["units"]["unchanged"].as_u64()), (Some(2), Some(1)));
    assert_eq!(j["counts"]["people"]["created"], 2);
    assert_eq!(j["counts"]["users"]["created"], 2);
    let c1 = db.unit("C1").await.unwrap().expect("C1");
    assert_eq!((c1.name.as_str(), c1.category_key.as_deref(), c1.static_level, c1.active), ("住建局", Some("C"), Some(2), true), "full-width ２ is 2; the category by name");
    let c2 = db.unit("C2").await.unwrap().expect("C2");
    assert_eq!((c2.static_level, c2.active), (Some(3), false));
    let people = db.people(Some("C2")).await.unwrap();
    assert_eq!(people[0].name, "李四");
    let after_first = audit_rows(&db).await;
    assert_eq!(after_first - before_audit, 1 + 2 + 2 + 2, "one audit row per row written");
    // New users got a password shown once, and it works.
    let pw = j["passwords"].as_array().expect("passwords");
    assert_eq!(pw.len(), 2);
    let p = pw.iter().find(|p| p["username"] == "c1_reporter").expect("c1_reporter")["password"].as_str().unwrap().to_string();
    let r = w.send(Method::POST, "/api/v1/session", &Cred::Anon, Some(serde_json::json!({ "username": "c1_reporter", "password": p }))).await;
    assert_eq!(r.status, StatusCode::OK, "the new user signs in with the password handed out");
    assert_eq!(r.json()["unit"], "C1");

    // The same file again changes nothing.
    let j = upload(&w, "/api/v1/imports/registry?name=registry.xlsx", &admin, registry_book()).await.ok();
    for k in ["categories", "units", "people", "users"] {
        assert_eq!(j["counts"][k]["created"].as_u64().unwrap() + j["counts"][k]["updated"].as_u64().unwrap(), 0, "{k}: {j}");
    }
    assert!(j["passwords"].as_array().unwrap().is_empty());
    assert_eq!(audit_rows(&db).await, after_first, "a re-import writes no audit row");

    // A changed row is an update, audited with before and after.
    let csv = "单位编码,单位名称,类别\nC2,交通运输局,C\n";
    let j = upload(&w, "/api/v1/imports/registry?name=units.csv", &admin, csv.as_bytes().to_vec()).await.ok();
    assert_eq!(j["counts"]["units"]["updated"], 1, "a CSV file of units is recognised by its header: {j}");
    assert_eq!(db.unit("C2").await.unwrap().unwrap().name, "交通运输局");
    let last = db.audit_entries().await.unwrap().pop().unwrap();
    assert_eq!((last.action.as_str(), last.entity_id.as_str()), ("import", "C2"));
    assert!(last.before_json.as_deref().is_some_and(|b| b.contains("交通局")), "{:?}", last.before_json);
}

async fn registry_refusals(db: Db) {
    let w = seed(db.clone()).await;
    let admin = w.sign_in("admin").await;
    let before = audit_rows(&db).await;
    let bad = xlsx(
        &[
            (
                "单位",
                vec![
                    row(&["单位编码", "单位名称", "类别", "静态系数档次", "颜色"]),
                    row(&["D1", "", "A", "七"]),
                    row(&["D2", "新单位", "Z类", "", ""]),
                    row(&["D2", "新单位二", "A", "", ""]),
                    row(&["D3", "城关镇", "A", "9", ""]),
                    row(&["D4", "合并甲", "A", "", ""]),
                    row(&["D5", "合并乙", "", "", ""]),
                ],
            ),
            ("用户", vec![row(&["用户名", "角色", "所属单位"]), row(&["x y", "boss", ""]), row(&["r9", "reporter", ""])]),
        ],
        &[("单位", 5, 2, 6, 2)],
    );
    let r = upload(&w, "/api/v1/imports/registry?name=bad.xlsx", &admin, bad.clone()).await;
    let p = problems(&r);
    assert!(has(&p, "单位", 1, "E", "未知的列“颜色”"), "{p:#?}");
    assert!(has(&p, "单位", 2, "B", "缺少单位名称"), "{p:#?}");
    assert!(has(&p, "单位", 2, "D", "“七”不是数字"), "{p:#?}");
    assert!(has(&p, "单位", 3, "C", "类别“Z类”不存在"), "{p:#?}");
    assert!(has(&p, "单位", 4, "A", "单位编码“D2”重复（第3行已有）"), "{p:#?}");
    assert!(has(&p, "单位", 5, "B", "已由单位“A1”使用"), "{p:#?}");
    assert!(has(&p, "单位", 5, "D", "静态系数档次“9”无效"), "{p:#?}");
    assert!(has(&p, "单位", 6, "C", "合并单元格 C6:C7"), "{p:#?}");
    assert!(has(&p, "用户", 2, "A", "用户名不能为空、不能含空格"), "{p:#?}");
    assert!(has(&p, "用户", 2, "B", "未知的角色“boss”"), "{p:#?}");
    assert!(has(&p, "用户", 3, "C", "须填写所属单位"), "{p:#?}");
    assert_eq!(db.unit("D4").await.unwrap(), None, "nothing is written");
    assert_eq!(audit_rows(&db).await, before);
    // The same problems in English.
    let r = upload(&w, "/api/v1/imports/registry?name=bad.xlsx&lang=en", &admin, bad).await;
    let p = problems(&r);
    assert!(has(&p, "单位", 3, "C", "the category 'Z类' does not exist"), "{p:#?}");

    // A workbook without any registry sheet or header.
    let r = upload(&w, "/api/v1/imports/registry?name=x.xlsx", &admin, xlsx(&[("Sheet1", vec![row(&["甲", "乙"])])], &[])).await;
    assert_eq!(r.code().as_deref(), Some("invalid"), "{}", r.text());
    assert!(r.text().contains("没有名录工作表"), "{}", r.text());
    // Who may import the registry: the administrator only; users, only the administrator.
    for who in ["staff", "reporter", "leader", "dept", "viewer", "auditor"] {
        let c = w.sign_in(who).await;
        let r = upload(&w, "/api/v1/imports/registry?name=registry.xlsx", &c, registry_book()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
}

/// April's data for A1, A3 and B2 (A2 and B1 have submitted: their data is locked).
fn april_book(a1_actual: C<'static>) -> Vec<u8> {
    xlsx(
        &[(
            "数据",
            vec![
                vec![C::S("2026年4月考核数据")],
                row(&["期间", "单位编码", "单位名称", "指标编码", "实际值(actual)", "目标值(target)", "次数(count)", "原因(reason)"]),
                vec![C::S("2026-04"), C::S("A1"), C::S("城关镇"), C::S("GDP"), a1_actual, C::S("100")],
                vec![C::D(2026, 4, 30), C::S("河西镇"), C::E, C::S("GDP"), C::S("１１５"), C::N(100.0)],
                vec![],
                vec![C::S("2026年4月"), C::S("B2"), C::E, C::S("GDP"), C::S("1,118.5"), C::S("1,000")],
                vec![C::S("2026/04"), C::S("A1"), C::E, C::S("SAFETY"), C::E, C::E, C::N(2.0), C::S("4月3日较大事故")],
            ],
        )],
        &[],
    )
}

async fn values(w: &World, cred: &Cred, unit: &str) -> Vec<(String, String, String)> {
    let j = w.get(&format!("/api/v1/plans/{PLAN}/periods/{APRIL}/units/{unit}/values"), cred).await.ok();
    j["values"].as_array().unwrap().iter().map(|v| (v["indicator"].as_str().unwrap().into(), v["field"].as_str().unwrap().into(), v["value"].as_str().unwrap().into())).collect()
}

async fn data_from_a_workbook(db: Db) {
    let w = seed(db.clone()).await;
    let staff = w.sign_in("staff").await;
    let before = audit_rows(&db).await;
    let j = upload(&w, &data_uri(APRIL, "&dry_run=true"), &staff, april_book(C::N(121.5))).await.ok();
    assert_eq!((j["units"].as_u64(), j["values"].as_u64(), j["values_changed"].as_u64()), (Some(3), Some(6), Some(4)), "{j}");
    assert_eq!(audit_rows(&db).await, before, "a check writes nothing");

    let j = upload(&w, &data_uri(APRIL, ""), &staff, april_book(C::N(121.5))).await.ok();
    assert_eq!((j["values_changed"].as_u64(), j["occurrences_added"].as_u64()), (Some(4), Some(1)), "{j}");
    assert!(values(&w, &staff, "A1").await.contains(&("GDP".into(), "actual".into(), "121.5".into())));
    assert!(values(&w, &staff, "A3").await.contains(&("GDP".into(), "actual".into(), "115".into())), "a unit by name, full-width digits");
    let b2 = values(&w, &staff, "B2").await;
    assert!(b2.contains(&("GDP".into(), "actual".into(), "1118.5".into())) && b2.contains(&("GDP".into(), "target".into(), "1000".into())), "thousands separators: {b2:?}");
    let occ = w.get(&format!("/api/v1/plans/{PLAN}/periods/{APRIL}/units/A1/values"), &staff).await.ok()["occurrences"].clone();
    assert_eq!(occ[0]["reason"], "4月3日较大事故");
    assert_eq!(occ[0]["amount"], "2");
    let after = audit_rows(&db).await;
    assert_eq!(after - before, 3 + 1, "one audit row per unit changed and one per occurrence");

    // The same file again: nothing changes, nothing is recorded twice.
    let j = upload(&w, &data_uri(APRIL, ""), &staff, april_book(C::N(121.5))).await.ok();
    assert_eq!((j["values_changed"].as_u64(), j["occurrences_added"].as_u64()), (Some(0), Some(0)), "{j}");
    assert_eq!(audit_rows(&db).await, after);

    // The scores follow: computing April gives A1 its imported figure (121.5/100, capped at 1.2 → 100 − 4 for two accidents).
    let r = w.send(Method::POST, &format!("/api/v1/plans/{PLAN}/periods/{APRIL}/computations"), &staff, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let res = w.get(&format!("/api/v1/plans/{PLAN}/periods/{APRIL}/preview?category=A"), &staff).await.ok();
    let a1 = res["items"].as_array().unwrap().iter().find(|r| r["subject"] == "A1").expect("A1").clone();
    assert_eq!(a1["score"], "116.00", "{a1}");

    // A CSV file of the same long form imports too (UTF-8 with a BOM, as Excel saves it).
    let csv = "\u{feff}period,subject,indicator,actual,target\n2026-04,A1,GDP,122,100\n";
    let j = upload(&w, &data_uri(APRIL, ""), &staff, csv.as_bytes().to_vec()).await.ok();
    assert_eq!(j["values_changed"], 1);
}

async fn data_refusals_and_rights(db: Db) {
    let w = seed(db.clone()).await;
    let staff = w.sign_in("staff").await;
    let before = audit_rows(&db).await;
    let bad = xlsx(
        &[(
            "数据",
            vec![
                row(&["期间", "单位编码", "指标编码", "实际值", "目标值", "数值", "原因"]),
                vec![C::S("2026-03"), C::S("A1"), C::S("GDP"), C::S("120"), C::S("100")],
                vec![C::S("2026-04"), C::S("A9"), C::S("GDP"), C::S("120"), C::S("100")],
                vec![C::S("2026-04"), C::S("A2"), C::S("GDP"), C::S("150"), C::S("100")],
                vec![C::S("2026-04"), C::S("A3"), C::S("GDP"), C::F("=D2*2"), C::S("100")],
                vec![C::S("2026-04"), C::S("B2"), C::S("GDP"), C::S("12O"), C::S("100")],
                vec![C::S("2026-04"), C::S("A1"), C::S("GDP"), C::E, C::E, C::S("5")],
                vec![C::S("2026-04"), C::S("A1"), C::S("NOPE"), C::S("1")],
                vec![C::S("四月"), C::S("B2"), C::S("GDP"), C::S("1"), C::S("1")],
            ],
        )],
        &[],
    );
    let p = problems(&upload(&w, &data_uri(APRIL, ""), &staff, bad).await);
    assert!(has(&p, "数据", 2, "A", "期间 2026-03 与导入的期间 2026-04 不符"), "{p:#?}");
    assert!(has(&p, "数据", 3, "B", "单位“A9”不存在"), "{p:#?}");
    assert!(has(&p, "数据", 4, "D", "已报送，已锁定"), "{p:#?}");
    assert!(has(&p, "数据", 5, "D", "公式"), "{p:#?}");
    assert!(has(&p, "数据", 6, "D", "“12O”不是数字"), "{p:#?}");
    assert!(has(&p, "数据", 9, "A", "“四月”不是月份"), "{p:#?}");
    assert_eq!(audit_rows(&db).await, before, "nothing is written");
    // The plan's own checks, named by sheet, row and column: a field GDP does not read, an unknown indicator.
    let bad = xlsx(
        &[("数据", vec![row(&["单位编码", "指标编码", "实际值", "目标值", "数值"]), row(&["A1", "GDP", "", "", "5"]), row(&["A1", "NOPE", "1", "", ""])])],
        &[],
    );
    let p = problems(&upload(&w, &data_uri(APRIL, ""), &staff, bad).await);
    assert!(p.iter().any(|x| x.starts_with("数据|2|E")), "{p:#?}");
    assert!(p.iter().any(|x| x.starts_with("数据|3|")), "{p:#?}");

    // A unit's reporter: its own rows only, and no occurrences.
    let reporter = w.sign_in("reporter").await;
    let p = refused(&upload(&w, &data_uri(APRIL, ""), &reporter, april_book(C::N(121.0))).await, StatusCode::FORBIDDEN);
    assert!(has(&p, "数据", 4, "B", "无权填报单位“A3”的数据"), "{p:#?}");
    assert!(has(&p, "数据", 7, "H", "只有考评办可以登记"), "{p:#?}");
    let own = xlsx(&[("数据", vec![row(&["单位编码", "指标编码", "实际值", "目标值"]), row(&["A1", "GDP", "99", "100"])])], &[]);
    let j = upload(&w, &data_uri(APRIL, ""), &reporter, own.clone()).await.ok();
    assert_eq!(j["values_changed"], 1);
    // Only the leader submits with the import.
    let r = upload(&w, &data_uri(APRIL, "&submit=true"), &reporter, own.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let leader = w.sign_in("leader").await;
    let j = upload(&w, &data_uri(APRIL, "&submit=true"), &leader, own.clone()).await.ok();
    assert_eq!(j["submitted"], true, "{j}");
    let subs = w.get(&format!("/api/v1/plans/{PLAN}/periods/{APRIL}/submissions"), &staff).await.ok();
    assert!(subs.to_string().contains("\"A1\""), "{subs}");
    // Submitted data is locked: a changed value is refused, the same file is not a change.
    let changed = xlsx(&[("数据", vec![row(&["单位编码", "指标编码", "实际值", "目标值"]), row(&["A1", "GDP", "98", "100"])])], &[]);
    let p = problems(&upload(&w, &data_uri(APRIL, ""), &leader, changed).await);
    assert!(has(&p, "数据", 2, "C", "已锁定"), "{p:#?}");
    let j = upload(&w, &data_uri(APRIL, ""), &leader, own).await.ok();
    assert_eq!(j["values_changed"], 0);

    // A department supplies only its own indicators (GDP is the statistics bureau's).
    let dept = w.sign_in("dept").await;
    let p = refused(&upload(&w, &data_uri(APRIL, ""), &dept, april_book(C::N(121.0))).await, StatusCode::FORBIDDEN);
    assert!(has(&p, "数据", 3, "D", "只能填报本部门负责的指标"), "{p:#?}");
    // Those who write no values may not import any.
    for who in ["viewer", "auditor", "expert"] {
        let c = w.sign_in(who).await;
        assert_eq!(upload(&w, &data_uri(APRIL, ""), &c, april_book(C::N(1.0))).await.status, StatusCode::FORBIDDEN, "{who}");
    }
}

async fn files_that_are_not_what_they_seem(db: Db) {
    let w = seed(db.clone()).await;
    let staff = w.sign_in("staff").await;
    let r = upload(&w, &data_uri(APRIL, ""), &staff, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n\0\0".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("不是 Excel 工作簿"), "{}", r.text());
    // A zip that is not a workbook (a Word file, say), and a truncated workbook.
    let mut half = april_book(C::N(1.0));
    half.truncate(half.len() / 2);
    let r = upload(&w, &data_uri(APRIL, ""), &staff, half).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // GBK text.
    let r = upload(&w, &data_uri(APRIL, ""), &staff, b"period,subject,indicator,actual\n2026-04,\xb3\xc7\xb9\xd8,GDP,1\n".to_vec()).await;
    assert!(r.text().contains("UTF-8"), "{}", r.text());
    // 50 MB is over the import limit: refused before it is read.
    let r = upload(&w, &data_uri(APRIL, ""), &staff, vec![b'7'; 50 << 20]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert!(r.text().contains("32 MB"), "{}", r.text());
    // An empty body, and a table with a header but no rows.
    let r = upload(&w, &data_uri(APRIL, ""), &staff, Vec::new()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = upload(&w, &data_uri(APRIL, ""), &staff, xlsx(&[("数据", vec![row(&["单位编码", "指标编码", "实际值"])])], &[])).await;
    assert!(r.text().contains("没有数据行"), "{}", r.text());
    // A workbook for another period (its hidden sheet says so) is refused as a whole.
    let other = xlsx(
        &[("填报", vec![row(&["指标编码", "实际值(actual)"]), row(&["GDP", "1"])]), ("yardstick", vec![row(&["plan", PLAN]), row(&["period", "2026-03"]), row(&["unit", "A1"])])],
        &[],
    );
    let r = upload(&w, &data_uri(APRIL, ""), &staff, other).await;
    assert!(r.text().contains("此文件是 2026-03 的数据"), "{}", r.text());
    // A closed or unknown period.
    let r = upload(&w, &data_uri("2026-07", ""), &staff, april_book(C::N(1.0))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let v: Value = r.json();
    assert_eq!(v["error"]["code"], "period_not_open");
}

async fn raw_data_export_imports_back_identically(db: Db) {
    let w = seed(db.clone()).await;
    let staff = w.sign_in("staff").await;
    // Some values as people type them, and an occurrence, so the export has more than integers.
    let put = serde_json::json!({ "values": [{ "indicator": "GDP", "field": "actual", "value": "１,０２３.５０" }] });
    w.send(Method::PUT, &format!("/api/v1/plans/{PLAN}/periods/{APRIL}/units/A3/values"), &staff, Some(put)).await.ok();
    let occ = serde_json::json!({ "indicator": "SAFETY", "field": "count", "amount": "2", "reason": "4月8日，较大事故（两起）" });
    w.send(Method::POST, &format!("/api/v1/plans/{PLAN}/periods/{APRIL}/units/A1/occurrences"), &staff, Some(occ)).await.expect(201, None);
    let stored = db.values(PLAN, &[APRIL.to_string()], None).await.unwrap();
    let before = audit_rows(&db).await;
    let r = w.get(&format!("/api/v1/plans/{PLAN}/periods/{APRIL}/exports/data.xlsx"), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let j = upload(&w, &data_uri(APRIL, ""), &staff, r.body.to_vec()).await.ok();
    assert_eq!(j["values"].as_u64(), Some(stored.len() as u64), "every stored value is in the export: {j}");
    assert_eq!((j["values_changed"].as_u64(), j["occurrences_added"].as_u64()), (Some(0), Some(0)), "the export imports back as identical data: {j}");
    assert_eq!(audit_rows(&db).await, before, "nothing was written");
    assert_eq!(db.values(PLAN, &[APRIL.to_string()], None).await.unwrap(), stored);
}

/// The template of a unit, read with the importer's own reader and written back with one
/// cell filled in, as a person would in Excel.
fn fill_in(template: &[u8], indicator: &str, field: &str, value: f64) -> Vec<u8> {
    use yardstick_sheets::read::{Cell, Table, read_book};
    let book = read_book("t.xlsx", template, &Default::default()).expect("the template reads");
    let mut wb = Workbook::new();
    for sheet in &book.sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name).unwrap();
        if !sheet.visible {
            ws.set_hidden(true);
        }
        let target = Table::find(&book, sheet, yardstick_server::imports::DATA_COLS, &["indicator"]).ok().and_then(|t| {
            let col = t.column(field)?;
            let row = t.rows().find(|r| r.get("indicator") == &Cell::Text(indicator.into()))?.row;
            Some((row, col))
        });
        for (r, cells) in sheet.rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                let (r32, c16) = (r as u32, c as u16);
                if Some((r, c)) == target {
                    continue;
                }
                match cell {
                    Cell::Number(n) => ws.write_number(r32, c16, n.parse::<f64>().unwrap()).map(|_| ()),
                    Cell::Empty => Ok(()),
                    other => ws.write_string(r32, c16, other.text().unwrap()).map(|_| ()),
                }
                .unwrap();
            }
        }
        if let Some((r, c)) = target {
            ws.write_number(r as u32, c as u16, value).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn a_filled_template_imports_back_as_the_units_submission(db: Db) {
    let w = seed(db.clone()).await;
    // Version 2 of the plan gives the units an indicator of their own to fill (GDP is the
    // statistics bureau's): ENV, scored directly.
    let admin = w.sign_in("admin").await;
    let v2 = common::PLAN_TOML.replace("weight = 100\ncap = 1.2", "weight = 60\ncap = 1.2")
        + "\n[[indicators]]\nkey = \"ENV\"\nname = \"生态环境\"\nmethod = \"direct\"\nweight = 40\n";
    w.send(Method::POST, &format!("/api/v1/plans/{PLAN}/versions"), &admin, Some(serde_json::json!({ "toml": v2, "note": "单位自填指标" }))).await.expect(201, None);
    let leader = w.sign_in("leader").await;
    let uri = format!("/api/v1/plans/{PLAN}/periods/{APRIL}/units/A1/template.xlsx");
    let r = w.get(&uri, &leader).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // As downloaded, the template is the unit's data as stored: importing it changes nothing.
    let j = upload(&w, &data_uri(APRIL, ""), &leader, r.body.to_vec()).await.ok();
    assert_eq!(j["values_changed"], 0, "{j}");
    // Filled in and imported with `submit`: the unit's value is written and its data submitted.
    let filled = fill_in(&r.body, "ENV", "value", 35.5);
    let j = upload(&w, &data_uri(APRIL, "&submit=true"), &leader, filled.clone()).await.ok();
    assert_eq!((j["values_changed"].as_u64(), j["submitted"].as_bool()), (Some(1), Some(true)), "{j}");
    assert!(values(&w, &leader, "A1").await.contains(&("ENV".into(), "value".into(), "35.5".into())));
    let subs = w.get(&format!("/api/v1/plans/{PLAN}/periods/{APRIL}/submissions"), &leader).await.ok();
    assert!(subs.to_string().contains("submitted"), "{subs}");
    // Another unit's filled template is not this unit's to import.
    let staff = w.sign_in("staff").await;
    let a3 = w.get(&format!("/api/v1/plans/{PLAN}/periods/{APRIL}/units/A3/template.xlsx"), &staff).await;
    let p = refused(&upload(&w, &data_uri(APRIL, ""), &leader, fill_in(&a3.body, "ENV", "value", 9.0)).await, StatusCode::FORBIDDEN);
    assert!(p.iter().any(|x| x.contains("无权填报单位“A3”")), "{p:#?}");
    // And a template of another period is refused as a whole.
    let p = problems(&upload(&w, &data_uri(MARCH, ""), &staff, filled).await);
    assert!(p.iter().any(|x| x.contains("此文件是 2026-04 的数据")), "{p:#?}");
}
