//! The Excel exports (issue 5, item 3): each workbook is opened with calamine and checked
//! against the JSON API it mirrors — titles, ranks with ties written 并列, grades, the exact
//! published scores, every deduction with its reason, the raw data value for value — and
//! against the same refusals (another category, another unit, anything before publication).
//! Every test runs on SQLite and on PostgreSQL (see `common`).

mod common;

use axum::http::Method;
use calamine::{Data, Range, Reader, SheetVisible, Xlsx};
use common::{APRIL, Cred, MARCH, PLAN, REPORTER_B, Resp, World, seed};
use serde_json::{Value, json};
use yardstick_storage::Db;

on_both_backends!(rankings_match_the_results_api, ties_are_marked_and_units_see_their_category, scorecards_carry_every_deduction_and_reason, raw_data_is_every_stored_value, the_annual_summary_lists_published_periods, exports_refuse_what_the_api_refuses,);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn api(p: &str) -> String {
    format!("/api/v1{p}")
}

/// A workbook answer, opened; checks the media type and the attachment's name.
fn open(r: &Resp) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    assert_eq!(r.status.as_u16(), 200, "{}: {}", r.what, r.text());
    assert_eq!(r.header("content-type").as_deref(), Some(XLSX), "{}", r.what);
    let d = r.header("content-disposition").unwrap_or_default();
    assert!(d.starts_with("attachment; filename=\"") && d.contains(".xlsx\"; filename*=UTF-8''"), "{}: {d}", r.what);
    Xlsx::new(std::io::Cursor::new(r.body.to_vec())).unwrap_or_else(|e| panic!("{}: not a workbook: {e}", r.what))
}

fn sheet(x: &mut Xlsx<std::io::Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
    x.worksheet_range(name).unwrap_or_else(|e| panic!("no sheet {name}: {e}"))
}

fn text(d: Option<&Data>) -> String {
    match d {
        None | Some(Data::Empty) => String::new(),
        Some(Data::Float(f)) => format!("{f}"),
        Some(other) => other.to_string(),
    }
}

/// The header row (the first whose first cell is `first`) and its cells.
fn header(r: &Range<Data>, first: &str) -> (usize, Vec<String>) {
    for (i, row) in r.rows().enumerate() {
        if text(row.first()) == first {
            return (i, row.iter().map(|c| text(Some(c))).collect());
        }
    }
    panic!("no header row starting with {first}")
}

/// The rows under the header, up to the first blank first cell, as column → cell.
fn records(r: &Range<Data>, first: &str) -> Vec<std::collections::HashMap<String, Data>> {
    let (h, head) = header(r, first);
    r.rows()
        .skip(h + 1)
        .take_while(|row| !matches!(row.first(), None | Some(Data::Empty)) && head.len() > 1 && row.len() >= head.len() && !matches!(row.get(1), None | Some(Data::Empty)))
        .map(|row| head.iter().cloned().zip(row.iter().cloned()).collect())
        .collect()
}

/// A published two-decimal score as the cell holds it: the number, shown with two decimals.
fn score_cell(d: &Data) -> String {
    match d {
        Data::Float(f) => format!("{f:.2}"),
        other => other.to_string(),
    }
}

fn rank_words(item: &Value) -> String {
    match (item["rank"].as_i64(), item["tied"].as_bool().unwrap_or(false)) {
        (Some(k), true) => format!("并列第{k}名"),
        (Some(k), false) => format!("第{k}名"),
        (None, _) => "—".into(),
    }
}

async fn results_json(w: &World, cred: &Cred, period: &str, category: &str) -> Vec<Value> {
    w.get(&api(&format!("/plans/{PLAN}/periods/{period}/results?category={category}&per_page=1000")), cred).await.ok()["items"].as_array().cloned().unwrap_or_default()
}

async fn rankings_match_the_results_api(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let r = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/exports/rankings.xlsx")), &admin).await;
    let d = r.header("content-disposition").unwrap_or_default();
    assert!(d.contains("filename=\"p2026-2026-03-rankings.xlsx\""), "{d}");
    assert!(d.contains("%E8%80%83%E6%A0%B8"), "the UTF-8 name is Chinese (考核): {d}");
    let mut x = open(&r);
    assert_eq!(x.sheet_names(), ["A类", "B类"], "one sheet per category, in display order");
    for (cat, sheet_name) in [("A", "A类"), ("B", "B类")] {
        let s = sheet(&mut x, sheet_name);
        assert_eq!(text(s.get_value((0, 0))), "2026年3月考核结果排名");
        assert!(s.rows().any(|row| text(row.first()).starts_with("期间：2026年3月")));
        assert!(s.rows().any(|row| text(row.first()).contains("第 1 版") && text(row.first()).contains("首次发布")), "the publication is named");
        let rows = records(&s, "名次");
        let json = results_json(&w, &admin, MARCH, cat).await;
        assert_eq!(rows.len(), json.len(), "every row of {cat}");
        for (row, item) in rows.iter().zip(&json) {
            assert_eq!(row["单位编码"].to_string(), item["subject"].as_str().unwrap());
            assert_eq!(row["单位"].to_string(), item["name"].as_str().unwrap());
            assert!(matches!(row["得分"], Data::Float(_)), "scores are numbers");
            assert_eq!(score_cell(&row["得分"]), item["score"].as_str().unwrap(), "the score is the published text");
            assert_eq!(score_cell(&row["失分"]), item["lost"].as_str().unwrap());
            assert_eq!(row["名次"].to_string(), rank_words(item));
            assert_eq!(row["等次"].to_string(), item["grade"].as_str().unwrap_or(""));
        }
    }
    // The indicators' points are columns; A2's deduction shows as negative points.
    let s = sheet(&mut x, "A类");
    let (_, head) = header(&s, "名次");
    assert!(head.contains(&"地区生产总值".to_string()) && head.contains(&"安全生产事故扣分".to_string()), "{head:?}");
    let a2 = records(&s, "名次").into_iter().find(|r| r["单位编码"].to_string() == "A2").expect("A2");
    assert_eq!(a2["安全生产事故扣分"], Data::Float(-2.0));
    // One category, in English.
    let r = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/exports/rankings.xlsx?category=B&lang=en")), &admin).await;
    let mut x = open(&r);
    assert_eq!(x.sheet_names(), ["B类"]);
    let s = sheet(&mut x, "B类");
    assert_eq!(text(s.get_value((0, 0))), "Rankings, Mar 2026");
    assert_eq!(records(&s, "Rank").len(), 2);
    // The office's preview of April is marked as such.
    let r = w.get(&api(&format!("/plans/{PLAN}/periods/{APRIL}/exports/rankings.xlsx?preview=true")), &admin).await;
    assert!(r.header("content-disposition").unwrap_or_default().contains("preview"));
    let mut x = open(&r);
    let s = sheet(&mut x, "A类");
    assert!(s.rows().any(|row| text(row.first()).contains("预览（未发布）")), "a preview says so");
    let json = w.get(&api(&format!("/plans/{PLAN}/periods/{APRIL}/preview?category=A")), &admin).await.ok()["items"].as_array().cloned().unwrap();
    let rows = records(&s, "名次");
    for (row, item) in rows.iter().zip(&json) {
        assert_eq!(score_cell(&row["得分"]), item["score"].as_str().unwrap());
    }
}

async fn ties_are_marked_and_units_see_their_category(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    // April: A1 brought level with A2 (100 against a target of 100), then published.
    let v = vec![yardstick_storage::values::ValueInput { indicator: "GDP".into(), field: "actual".into(), value: common::gdp_actual(1, APRIL) }];
    w.db.put_values(PLAN, APRIL, "A1", &v, "seed", yardstick_server::auth::now_ms()).await.expect("values");
    let p = format!("/plans/{PLAN}/periods/{APRIL}");
    let set = w.send(Method::POST, &api(&format!("{p}/computations")), &admin, None).await.ok()["set_id"].as_i64().unwrap();
    w.send(Method::POST, &api(&format!("{p}/publications")), &admin, Some(json!({ "set_id": set, "reason": "4月结果发布" }))).await.ok();
    let rep = w.sign_in("reporter").await;
    let mut x = open(&w.get(&api(&format!("{p}/exports/rankings.xlsx")), &rep).await);
    assert_eq!(x.sheet_names(), ["A类"], "a unit's workbook holds its own category only");
    let s = sheet(&mut x, "A类");
    let rows = records(&s, "名次");
    let ranks: Vec<String> = rows.iter().map(|r| r["名次"].to_string()).collect();
    assert_eq!(ranks.iter().filter(|r| *r == "并列第2名").count(), 2, "{ranks:?}");
    assert_eq!(ranks[0], "第1名");
    assert!(s.rows().any(|row| text(row.first()).contains("名次并列")), "the note explains ties");
    let json = results_json(&w, &rep, APRIL, "A").await;
    for (row, item) in rows.iter().zip(&json) {
        assert_eq!(row["名次"].to_string(), rank_words(item));
        assert_eq!(score_cell(&row["得分"]), item["score"].as_str().unwrap());
        assert_eq!(row["等次"].to_string(), item["grade"].as_str().unwrap_or(""));
    }
    let rep_b = w.sign_in(REPORTER_B).await;
    let x = open(&w.get(&api(&format!("{p}/exports/rankings.xlsx")), &rep_b).await);
    assert_eq!(x.sheet_names(), ["B类"]);
    w.get(&api(&format!("{p}/exports/rankings.xlsx?category=A")), &rep_b).await.expect(403, Some("forbidden"));
    // Version 1 of March stays what it was.
    let mut x = open(&w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/exports/rankings.xlsx?version=1")), &rep).await);
    let s = sheet(&mut x, "A类");
    assert!(records(&s, "名次").iter().all(|r| !r["名次"].to_string().contains("并列")));
}

async fn scorecards_carry_every_deduction_and_reason(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let r = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A2/scorecard.xlsx")), &admin).await;
    assert!(r.header("content-disposition").unwrap_or_default().contains("p2026-2026-03-A2-scorecard.xlsx"));
    let mut x = open(&r);
    assert_eq!(x.sheet_names(), ["指标得分", "扣分与加分", "正反向清单"]);
    let ex = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/results/A2")), &admin).await.ok();
    let s = sheet(&mut x, "指标得分");
    assert_eq!(text(s.get_value((0, 0))), "高村镇2026年3月考核得分说明");
    let meta: Vec<String> = s.rows().take(12).map(|r| text(r.first())).collect();
    assert!(meta.contains(&format!("得分：{}", ex["row"]["score"].as_str().unwrap())), "{meta:?}");
    assert!(meta.contains(&format!("失分：{}", ex["row"]["lost"].as_str().unwrap())), "{meta:?}");
    assert!(meta.iter().any(|m| m.starts_with("名次：第") && m.ends_with('名')), "{meta:?}");
    let rows = records(&s, "指标");
    let indicators = ex["detail"]["explain"]["indicators"].as_array().unwrap();
    assert_eq!(rows.len(), indicators.len(), "every indicator");
    for (row, i) in rows.iter().zip(indicators) {
        assert_eq!(row["指标编码"].to_string(), i["indicator"].as_str().unwrap());
        let points = i["points"].as_str().unwrap();
        let Data::Float(f) = row["得分"] else { panic!("points are numbers") };
        assert_eq!(f, points.parse::<f64>().unwrap(), "{points}");
    }
    let safety = rows.iter().find(|r| r["指标编码"].to_string() == "SAFETY").expect("the deduction item");
    assert_eq!(safety["得分"], Data::Float(-2.0));
    let s = sheet(&mut x, "扣分与加分");
    let occ = records(&s, "指标");
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0]["原因"].to_string(), "3月12日一般生产安全事故");
    assert_eq!(occ[0]["次数/数额"], Data::Float(1.0));
    assert_eq!(occ[0]["指标"].to_string(), "安全生产事故扣分");
    let s = sheet(&mut x, "正反向清单");
    let lists = records(&s, "清单");
    assert!(lists.iter().any(|r| r["清单"].to_string().starts_with("反向") && r["指标"].to_string() == "安全生产事故扣分"), "the deduction is on the negative list");
    // A unit without deductions says so; its own reporter may export it.
    let rep = w.sign_in("reporter").await;
    let mut x = open(&w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/units/A1/scorecard.xlsx")), &rep).await);
    let s = sheet(&mut x, "扣分与加分");
    assert!(s.rows().any(|r| text(r.first()) == "本期没有扣分或加分记录。"));
}

async fn raw_data_is_every_stored_value(db: Db) {
    let w = seed(db).await;
    let auditor = w.sign_in("auditor").await;
    let r = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/exports/data.xlsx")), &auditor).await;
    let mut x = open(&r);
    let meta = x.sheets_metadata().to_vec();
    assert_eq!(meta.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["数据", "yardstick"]);
    assert_eq!(meta[1].visible, SheetVisible::VeryHidden);
    let h = sheet(&mut x, "yardstick");
    let pairs: std::collections::HashMap<String, String> = h.rows().map(|r| (text(r.first()), text(r.get(1)))).collect();
    assert_eq!(pairs["format"], "yardstick-data-1");
    assert_eq!(pairs["kind"], "raw_data");
    assert_eq!(pairs["plan"], PLAN);
    assert_eq!(pairs["period"], MARCH);
    let s = sheet(&mut x, "数据");
    let (_, head) = header(&s, "期间(period)");
    for h in ["单位编码(subject)", "指标编码(indicator)", "原因(reason)", "实际值(actual)", "目标值(target)", "次数(count)"] {
        assert!(head.contains(&h.to_string()), "{h} in {head:?}");
    }
    let rows = records(&s, "期间(period)");
    // Every stored value, as its exact text once a number cell is printed back.
    let mut got = std::collections::BTreeSet::new();
    for r in &rows {
        for f in ["actual", "target"] {
            let cell = &r[&format!("{}({f})", if f == "actual" { "实际值" } else { "目标值" })];
            if !matches!(cell, Data::Empty) {
                got.insert((r["单位编码(subject)"].to_string(), r["指标编码(indicator)"].to_string(), f.to_string(), text(Some(cell))));
            }
        }
    }
    let mut want = std::collections::BTreeSet::new();
    for (unit, _, _) in common::UNITS {
        let v = w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/units/{unit}/values")), &auditor).await.ok();
        for item in v["values"].as_array().unwrap() {
            want.insert((unit.to_string(), item["indicator"].as_str().unwrap().to_string(), item["field"].as_str().unwrap().to_string(), item["value"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(got, want, "the values, exactly");
    assert!(rows.iter().all(|r| r["期间(period)"].to_string() == MARCH));
    let occ: Vec<_> = rows.iter().filter(|r| !matches!(r["原因(reason)"], Data::Empty)).collect();
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0]["单位编码(subject)"].to_string(), "A2");
    assert_eq!(occ[0]["指标编码(indicator)"].to_string(), "SAFETY");
    assert_eq!(occ[0]["原因(reason)"].to_string(), "3月12日一般生产安全事故");
    assert_eq!(text(Some(&occ[0]["次数(count)"])), "1");
    // Units, departments and leaders get no raw data.
    for who in ["reporter", "leader", "dept", "viewer", "expert"] {
        let c = w.sign_in(who).await;
        w.get(&api(&format!("/plans/{PLAN}/periods/{MARCH}/exports/data.xlsx")), &c).await.expect(403, Some("forbidden"));
    }
    w.get(&api(&format!("/plans/{PLAN}/periods/2026-13/exports/data.xlsx")), &auditor).await.expect(400, Some("bad_period"));
    w.get(&api("/plans/nope/periods/2026-03/exports/data.xlsx"), &auditor).await.expect(404, None);
}

async fn the_annual_summary_lists_published_periods(db: Db) {
    let w = seed(db).await;
    let admin = w.sign_in("admin").await;
    let mut x = open(&w.get(&api(&format!("/plans/{PLAN}/years/2026/exports/summary.xlsx")), &admin).await);
    assert_eq!(x.sheet_names(), ["A类", "B类"]);
    let s = sheet(&mut x, "A类");
    assert_eq!(text(s.get_value((0, 0))), "2026年度考核结果汇总");
    let (_, head) = header(&s, "单位");
    assert_eq!(head[1], "3月", "only March is published: {head:?}");
    assert!(!head.contains(&"4月".to_string()), "April is not published");
    let rows = records(&s, "单位");
    let json = results_json(&w, &admin, MARCH, "A").await;
    assert_eq!(rows.len(), json.len());
    for item in &json {
        let row = rows.iter().find(|r| r["单位编码"].to_string() == item["subject"].as_str().unwrap()).expect("every unit");
        assert_eq!(score_cell(&row["3月"]), item["score"].as_str().unwrap());
        assert!(matches!(row["年度得分"], Data::Empty), "the year is not published");
    }
    assert!(s.rows().any(|r| text(r.first()).contains("年度结果尚未发布")));
    let rep = w.sign_in("reporter").await;
    let x = open(&w.get(&api(&format!("/plans/{PLAN}/years/2026/exports/summary.xlsx")), &rep).await);
    assert_eq!(x.sheet_names(), ["A类"]);
    w.get(&api(&format!("/plans/{PLAN}/years/2026/exports/summary.xlsx?category=B")), &rep).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("/plans/{PLAN}/years/20x6/exports/summary.xlsx")), &admin).await.expect(400, Some("bad_year"));
    w.get(&api(&format!("/plans/{PLAN}/years/2025/exports/summary.xlsx")), &admin).await.expect(404, Some("not_published"));
}

async fn exports_refuse_what_the_api_refuses(db: Db) {
    let w = seed(db).await;
    let rep = w.sign_in("reporter").await;
    let expert = w.sign_in("expert").await;
    let p = format!("/plans/{PLAN}/periods");
    // Another category's ranking, another unit's scorecard.
    w.get(&api(&format!("{p}/{MARCH}/exports/rankings.xlsx?category=B")), &rep).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("{p}/{MARCH}/units/A2/scorecard.xlsx")), &rep).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("{p}/{MARCH}/units/B1/scorecard.xlsx")), &rep).await.expect(403, Some("forbidden"));
    // Nothing before publication, and no preview for units.
    w.get(&api(&format!("{p}/{APRIL}/exports/rankings.xlsx")), &rep).await.expect(404, Some("not_published"));
    w.get(&api(&format!("{p}/{APRIL}/units/A1/scorecard.xlsx")), &rep).await.expect(404, Some("not_published"));
    w.get(&api(&format!("{p}/{APRIL}/exports/rankings.xlsx?preview=true")), &rep).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("{p}/{APRIL}/units/A1/scorecard.xlsx?preview=true")), &rep).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("{p}/{MARCH}/exports/rankings.xlsx")), &expert).await.expect(403, Some("forbidden"));
    w.get(&api(&format!("{p}/{MARCH}/exports/rankings.xlsx")), &Cred::Anon).await.expect(401, None);
    // Bad input: 4xx with a clear code, never a 5xx.
    let admin = w.sign_in("admin").await;
    w.get(&api(&format!("{p}/{MARCH}/exports/rankings.xlsx?category=ZZ")), &admin).await.expect(404, Some("not_found"));
    w.get(&api(&format!("{p}/{MARCH}/exports/rankings.xlsx?version=9")), &admin).await.expect(404, Some("not_published"));
    w.get(&api(&format!("{p}/{MARCH}/exports/rankings.xlsx?version=x")), &admin).await.expect(400, None);
    w.get(&api(&format!("{p}/{MARCH}/exports/rankings.xlsx?preview=maybe")), &admin).await.expect(400, None);
    w.get(&api(&format!("{p}/March/exports/rankings.xlsx")), &admin).await.expect(400, Some("bad_period"));
    w.get(&api(&format!("{p}/{MARCH}/units/NOPE/scorecard.xlsx")), &admin).await.expect(404, None);
    w.get(&api(&format!("{p}/2026-05/exports/rankings.xlsx?preview=true")), &admin).await.expect(404, None);
}
