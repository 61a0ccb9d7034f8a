//! Fill-in templates (issue 5, item 2): a unit's template lists exactly the indicators it
//! supplies itself and the fields their methods read, with what is stored prefilled, last
//! year's values, targets assigned by the office locked and the rest open; a responsible
//! department's lists its indicators for every unit, rows of submitted units locked; the
//! role matrix's refusals; the links on the pages. Every test runs on SQLite and on
//! PostgreSQL (see `common`).

mod common;

use std::io::{Cursor, Read};

use axum::http::Method;
use calamine::{Data, Reader, SheetVisible, Xlsx};
use common::{Cred, HASH, Resp, World, seed};
use yardstick_storage::plans::Plan;
use yardstick_storage::registry::Unit;
use yardstick_storage::values::ValueInput;
use yardstick_storage::{Db, NewUser, Role};

on_both_backends!(a_units_template_lists_its_own_indicators_and_values, a_departments_template_lists_every_unit, templates_are_refused_outside_the_callers_reach, the_pages_link_to_the_templates,);

/// A plan of the test's own: GDP supplied by the statistics bureau, three indicators the
/// units supply (a blended one, a qualitative one, ballots for category A only) and a
/// deduction the office records.
const TOML: &str = r#"[plan]
key = "t2026"
name = "2026年度填报测试方案"
year = 2026
office = "测试考评办"

[[grade_sets]]
key = "g"
name = "优秀/良好/一般"
veto_grade = "一般"
grades = [
  { name = "优秀", quota = "30%" },
  { name = "良好", quota = "70%" },
  { name = "一般" },
]

[[categories]]
key = "A"
name = "A类"
grade_set = "g"

[[categories]]
key = "B"
name = "B类"
grade_set = "g"

[[indicators]]
key = "GDP"
name = "地区生产总值"
unit = "亿元"
source = "统计局"
method = "completion"
weight = 40
cap = 1.2

[[indicators]]
key = "INVEST"
name = "固定资产投资"
unit = "亿元"
method = "blended"
weight = 30

[[indicators]]
key = "PARTY"
name = "党建工作"
kind = "political"
method = "qualitative"
weight = 20
weights = { B = 30 }
levels = [{ name = "好", share = 1 }, { name = "一般", share = 0.7 }, { name = "差", share = 0.4 }]

[[indicators]]
key = "SURVEY"
name = "群众满意度"
kind = "evaluation"
method = "ballots"
weight = 10
categories = ["A"]
groups = [{ name = "群众", share = 1 }]
answers = [{ name = "满意", value = 1 }, { name = "不满意", value = 0 }]

[[indicators]]
key = "SAFETY"
name = "安全生产事故扣分"
kind = "constraint"
method = "deduction"
per = 2
cap = 10
"#;

const PERIOD: &str = "2026-04";

fn v(indicator: &str, field: &str, value: &str) -> ValueInput {
    ValueInput { indicator: indicator.into(), field: field.into(), value: value.into() }
}

/// The seeded world plus: the plan `t2026` with 2026-04 open; last year's plan `t2025` with
/// 2025-04 values; the bureau 统计局 (unit TJ, no category) and its department user `tj`;
/// values of A1 (some typed by its reporter, targets by the office), A2 submitted.
async fn world(db: Db) -> World {
    let w = seed(db).await;
    let t = yardstick_server::auth::now_ms();
    let db = &w.db;
    for (key, year, name, text) in [("t2025", 2025, "2025年度填报测试方案", TOML.replace("t2026", "t2025").replace("year = 2026", "year = 2025")), ("t2026", 2026, "2026年度填报测试方案", TOML.to_string())] {
        db.create_plan(&Plan { key: key.into(), year, name: name.into() }, "seed", t).await.expect("plan");
        db.add_plan_version(key, &text, "第一版", "seed", t).await.expect("version");
    }
    db.open_period("t2025", "2025-04", "seed", t).await.expect("period");
    db.put_values("t2025", "2025-04", "A1", &[v("INVEST", "actual", "900"), v("PARTY", "level", "一般"), v("GDP", "actual", "101.5")], "seed", t).await.expect("last year");
    db.put_values("t2025", "2025-04", "A2", &[v("GDP", "actual", "77")], "seed", t).await.expect("last year");
    db.open_period("t2026", PERIOD, "seed", t).await.expect("period");
    db.put_values("t2026", PERIOD, "A1", &[v("INVEST", "target", "1000"), v("GDP", "target", "100"), v("GDP", "actual", "96")], "seed", t).await.expect("office values");
    db.put_values("t2026", PERIOD, "A1", &[v("INVEST", "actual", "1,150.5"), v("INVEST", "growth", "9%"), v("PARTY", "level", "好"), v("SURVEY", "群众.满意", "12")], "reporter", t)
        .await
        .expect("the reporter's values");
    db.put_values("t2026", PERIOD, "A2", &[v("GDP", "actual", "88")], "seed", t).await.expect("values");
    db.submit("t2026", PERIOD, "A2", "seed", t).await.expect("submission");
    db.create_unit(&Unit { key: "TJ".into(), name: "统计局".into(), category_key: None, area_key: None, static_level: None, active: true }, "seed", t).await.expect("unit");
    db.create_user(&NewUser { username: "tj".into(), display_name: "统计局 填报".into(), password_hash: HASH.clone(), role: Role::Department, unit_key: Some("TJ".into()) }, "seed", t).await.expect("user");
    w.state.models.invalidate();
    w
}

fn unit_uri(unit: &str) -> String {
    format!("/api/v1/plans/t2026/periods/{PERIOD}/units/{unit}/template.xlsx")
}

fn source_uri(source: &str) -> String {
    format!("/api/v1/plans/t2026/periods/{PERIOD}/sources/{}/template.xlsx", yardstick_server::ui::enc(source))
}

/// A template as read back: the data sheet's cells, the hidden sheet's pairs, the bytes.
struct Book {
    bytes: Vec<u8>,
    cells: calamine::Range<Data>,
    meta: Vec<(String, String)>,
    header: u32,
}

impl Book {
    #[track_caller]
    fn of(r: &Resp) -> Book {
        assert_eq!(r.status.as_u16(), 200, "{}: {}", r.what, r.text());
        assert_eq!(r.header("content-type").as_deref(), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        let cd = r.header("content-disposition").unwrap_or_default();
        assert!(cd.starts_with("attachment; filename=\"template_t2026_2026-04_") && cd.contains("filename*=UTF-8''"), "{cd}");
        let bytes = r.body.to_vec();
        let mut wb = Xlsx::new(Cursor::new(bytes.clone())).expect("calamine reads the template");
        let sheets: Vec<(String, SheetVisible)> = wb.sheets_metadata().iter().map(|s| (s.name.clone(), s.visible)).collect();
        assert_eq!(sheets, vec![("填报".to_string(), SheetVisible::Visible), ("yardstick".to_string(), SheetVisible::VeryHidden)]);
        let meta = wb.worksheet_range("yardstick").expect("meta").rows().map(|r| (r[0].to_string(), r[1].to_string())).collect();
        let cells = wb.worksheet_range("填报").expect("data sheet");
        let header = (0..30).find(|&r| cells.get_value((r, 0)).is_some_and(|c| c.to_string().ends_with("(indicator)") || c.to_string().ends_with("(subject)"))).expect("a header row");
        Book { bytes, cells, meta, header }
    }

    fn text(&self, r: u32, c: u32) -> String {
        match self.cells.get_value((r, c)) {
            None | Some(Data::Empty) => String::new(),
            // A number reads back as the shortest text of its value (what an import would do).
            Some(Data::Float(f)) => format!("{f}"),
            Some(d) => d.to_string(),
        }
    }

    fn headers(&self) -> Vec<String> {
        (0..self.cells.width() as u32).map(|c| self.text(self.header, c)).take_while(|h| !h.is_empty()).collect()
    }

    fn col(&self, key: &str) -> u32 {
        self.headers().iter().position(|h| h == key || h.ends_with(&format!("({key})"))).unwrap_or_else(|| panic!("no column {key} in {:?}", self.headers())) as u32
    }

    /// The data rows (0-based row numbers) with the indicator (and unit) of each.
    fn rows(&self) -> Vec<(u32, String)> {
        let ind = self.col("indicator");
        let first = self.headers()[0].ends_with("(subject)");
        (self.header + 1..self.cells.end().map_or(0, |e| e.0 + 1))
            .filter(|&r| !self.text(r, ind).is_empty())
            .map(|r| (r, if first { format!("{}/{}", self.text(r, 0), self.text(r, ind)) } else { self.text(r, ind) }))
            .collect()
    }

    fn row(&self, label: &str) -> u32 {
        self.rows().into_iter().find(|(_, l)| l == label).unwrap_or_else(|| panic!("no row {label}")).0
    }

    fn get(&self, label: &str, key: &str) -> String {
        self.text(self.row(label), self.col(key))
    }

    fn part(&self, name: &str) -> String {
        let mut z = zip::ZipArchive::new(Cursor::new(&self.bytes)).expect("a zip");
        let mut f = z.by_name(name).expect("part");
        let mut s = String::new();
        f.read_to_string(&mut s).expect("utf-8");
        s
    }

    /// Whether the cell of a row's column is locked (its style has no `locked="0"`).
    fn locked(&self, label: &str, key: &str) -> bool {
        let (r, c) = (self.row(label), self.col(key));
        let mut col = String::new();
        let mut n = c + 1;
        while n > 0 {
            col.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
            n = (n - 1) / 26;
        }
        let at = format!("<c r=\"{col}{}\"", r + 1);
        let sheet = self.part("xl/worksheets/sheet1.xml");
        let i = sheet.find(&at).unwrap_or_else(|| panic!("{at} written"));
        let tag = &sheet[i..i + sheet[i..].find('>').expect("tag")];
        let style: usize = tag.split(" s=\"").nth(1).map_or(0, |s| s[..s.find('"').expect("quote")].parse().expect("index"));
        let styles = self.part("xl/styles.xml");
        let xfs = &styles[styles.find("<cellXfs").expect("xfs")..styles.find("</cellXfs>").expect("xfs end")];
        !xfs.split("<xf ").nth(style + 1).expect("xf").split("</xf>").next().unwrap_or("").contains("locked=\"0\"")
    }
}

async fn a_units_template_lists_its_own_indicators_and_values(db: Db) {
    let w = world(db).await;
    let reporter = w.sign_in("reporter").await;
    let b = Book::of(&w.get(&unit_uri("A1"), &reporter).await);
    let pairs: Vec<(&str, &str)> = b.meta.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(pairs, [("format", "yardstick-data-1"), ("kind", "unit_template"), ("plan", "t2026"), ("period", "2026-04"), ("unit", "A1")]);
    assert_eq!(b.text(0, 0), "2026年4月 城关镇 考核数据填报表");
    // Exactly its own indicators (not GDP, which the bureau supplies; not the deduction the
    // office records) and the fields their methods read.
    assert_eq!(b.rows().into_iter().map(|r| r.1).collect::<Vec<_>>(), ["INVEST", "PARTY", "SURVEY"]);
    assert_eq!(
        b.headers(),
        [
            "指标编码(indicator)",
            "指标名称(indicator_name)",
            "计量单位(measure)",
            "上年同期(last_year)",
            "实际值(actual)",
            "目标值(target)",
            "增速(growth)",
            "目标增速(target_growth)",
            "等级(level)",
            "群众.满意",
            "群众.不满意"
        ]
    );
    // What is stored, prefilled exactly (so an unchanged re-import changes nothing).
    assert_eq!(b.get("INVEST", "indicator_name"), "固定资产投资");
    assert_eq!(b.get("INVEST", "measure"), "亿元");
    assert_eq!(b.get("INVEST", "actual"), "1,150.5");
    assert_eq!(b.get("INVEST", "target"), "1000");
    assert_eq!(b.get("INVEST", "growth"), "9%");
    assert_eq!(b.get("INVEST", "target_growth"), "");
    assert_eq!(b.get("PARTY", "level"), "好");
    assert_eq!(b.get("SURVEY", "群众.满意"), "12");
    // Last year's values of the same period, from last year's plan.
    assert_eq!(b.get("INVEST", "last_year"), "900");
    assert_eq!(b.get("PARTY", "last_year"), "一般");
    assert_eq!(b.get("SURVEY", "last_year"), "");
    // Locked: what identifies a row, last year, the target the office assigned, fields a
    // method does not read. Open: what the unit fills.
    for (row, col, want) in [
        ("INVEST", "indicator", true),
        ("INVEST", "last_year", true),
        ("INVEST", "actual", false),
        ("INVEST", "target", true),
        ("INVEST", "growth", false),
        ("INVEST", "target_growth", false),
        ("INVEST", "level", true),
        ("PARTY", "level", false),
        ("PARTY", "actual", true),
        ("SURVEY", "群众.不满意", false),
    ] {
        assert_eq!(b.locked(row, col), want, "{row}.{col} locked?");
    }
    let sheet = b.part("xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<sheetProtection") && sheet.contains("<formula1>\"好,一般,差\"</formula1>"), "protected, levels as a list");

    // A unit of category B has no SURVEY, so no ballot columns; the office gets it too, in English.
    let admin = w.sign_in("admin").await;
    let b1 = Book::of(&w.get(&format!("{}?lang=en", unit_uri("B1")), &admin).await);
    assert_eq!(b1.rows().into_iter().map(|r| r.1).collect::<Vec<_>>(), ["INVEST", "PARTY"]);
    assert!(!b1.headers().iter().any(|h| h.contains("群众")), "{:?}", b1.headers());
    assert_eq!(b1.text(0, 0), "Apr 2026 · 发改局 · appraisal data entry form");

    // Once the leader submits, the template is for reference only: everything locked.
    let leader = w.sign_in("leader").await;
    w.send(Method::POST, "/api/v1/plans/t2026/periods/2026-04/units/A1/submission", &leader, None).await.ok();
    let b = Book::of(&w.get(&unit_uri("A1"), &reporter).await);
    assert!((1..b.header).any(|r| b.text(r, 0).contains("本期数据已报送并锁定")), "the note says why");
    for col in ["actual", "target_growth"] {
        assert!(b.locked("INVEST", col), "INVEST.{col} locked after the submission");
    }
    assert!(b.locked("PARTY", "level"));
    assert!(!b.part("xl/worksheets/sheet1.xml").contains("<dataValidation "), "nothing to fill");
}

async fn a_departments_template_lists_every_unit(db: Db) {
    let w = world(db).await;
    let tj = w.sign_in("tj").await;
    let b = Book::of(&w.get(&source_uri("统计局"), &tj).await);
    let pairs: Vec<(&str, &str)> = b.meta.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(pairs, [("format", "yardstick-data-1"), ("kind", "department_template"), ("plan", "t2026"), ("period", "2026-04"), ("source", "统计局")]);
    assert_eq!(b.text(0, 0), "2026年4月 统计局 考核数据填报表");
    assert_eq!(
        b.headers(),
        ["单位编码(subject)", "单位名称(subject_name)", "指标编码(indicator)", "指标名称(indicator_name)", "计量单位(measure)", "上年同期(last_year)", "实际值(actual)", "目标值(target)"]
    );
    // Only its indicator, for every appraised unit (the bureau itself has no category).
    assert_eq!(b.rows().into_iter().map(|r| r.1).collect::<Vec<_>>(), ["A1/GDP", "A2/GDP", "A3/GDP", "B1/GDP", "B2/GDP"]);
    assert_eq!(b.get("A1/GDP", "subject_name"), "城关镇");
    assert_eq!(b.get("A1/GDP", "actual"), "96");
    assert_eq!(b.get("A1/GDP", "target"), "100");
    assert_eq!(b.get("A1/GDP", "last_year"), "101.5");
    assert_eq!(b.get("A2/GDP", "last_year"), "77");
    assert_eq!(b.get("A3/GDP", "actual"), "");
    assert!(!b.locked("A1/GDP", "actual"));
    assert!(b.locked("A1/GDP", "target"), "the office's target");
    assert!(!b.locked("A3/GDP", "target"), "no target yet: the bureau may give it");
    assert!(b.locked("A2/GDP", "actual"), "A2 has submitted");
    assert!(b.locked("A1/GDP", "subject"));
    // The office gets any source's.
    let staff = w.sign_in("staff").await;
    Book::of(&w.get(&source_uri("统计局"), &staff).await);
}

async fn templates_are_refused_outside_the_callers_reach(db: Db) {
    let w = world(db).await;
    let reporter = w.sign_in("reporter").await;
    let reporter_b = w.sign_in(common::REPORTER_B).await;
    let dept = w.sign_in("dept").await;
    let tj = w.sign_in("tj").await;
    let admin = w.sign_in("admin").await;
    let auditor = w.sign_in("auditor").await;
    // Another unit's template.
    w.get(&unit_uri("A2"), &reporter).await.expect(403, Some("forbidden"));
    w.get(&unit_uri("A1"), &reporter_b).await.expect(403, Some("forbidden"));
    Book::of(&w.get(&unit_uri("B1"), &reporter_b).await);
    // A department asking for another source's, or for a unit's template.
    w.get(&source_uri("统计局"), &dept).await.expect(403, Some("forbidden"));
    w.get(&source_uri("城关镇"), &tj).await.expect(403, Some("forbidden"));
    w.get(&unit_uri("A1"), &tj).await.expect(403, Some("forbidden"));
    // Units and auditors do not get departments' templates; auditors fill nothing.
    w.get(&source_uri("统计局"), &reporter).await.expect(403, Some("forbidden"));
    w.get(&unit_uri("A1"), &auditor).await.expect(403, Some("forbidden"));
    w.get(&unit_uri("A1"), &Cred::Anon).await.expect(401, None);
    // What does not exist.
    w.get(&source_uri("环保局"), &admin).await.expect(404, Some("no_indicators"));
    w.get(&unit_uri("TJ"), &admin).await.expect(404, None);
    w.get(&unit_uri("ZZ"), &admin).await.expect(404, None);
    w.get("/api/v1/plans/t2026/periods/2026-05/units/A1/template.xlsx", &admin).await.expect(404, None);
    w.get("/api/v1/plans/nope/periods/2026-04/units/A1/template.xlsx", &admin).await.expect(404, None);
    w.get("/api/v1/plans/t2026/periods/2026-13/units/A1/template.xlsx", &admin).await.expect(400, Some("bad_period"));
    // The message is in the caller's language.
    let r = w.get(&format!("{}?lang=en", source_uri("环保局")), &admin).await;
    assert!(r.message().unwrap_or_default().contains("no indicator of 2026-04 is supplied by '环保局'"), "{}", r.text());
}

async fn the_pages_link_to_the_templates(db: Db) {
    let w = world(db).await;
    let reporter = w.sign_in("reporter").await;
    let page = w.get("/entry?plan=t2026&period=2026-04&unit=A1", &reporter).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text());
    let html = String::from_utf8_lossy(&page.body).to_string();
    // (askama writes `&` in attributes as `&#38;`.)
    assert!(html.contains("href=\"/template.xlsx?plan=t2026&#38;period=2026-04&#38;unit=A1\"") && html.contains("下载填报模板"), "the entry page links to the template");
    // The bureau's own entry page of a unit links to its department template.
    let tj = w.sign_in("tj").await;
    let html = String::from_utf8_lossy(&w.get("/entry?plan=t2026&period=2026-04&unit=A3", &tj).await.body).to_string();
    assert!(html.contains("source=%E7%BB%9F%E8%AE%A1%E5%B1%80") && !html.contains("unit=A3\" download"), "only the department's own template");
    // The page route serves the same workbook.
    Book::of(&w.get("/template.xlsx?plan=t2026&period=2026-04&unit=A1", &reporter).await);
    w.get("/template.xlsx?plan=t2026&period=2026-04&unit=A2", &reporter).await.expect(403, None);
    Book::of(&w.get(&format!("/template.xlsx?plan=t2026&period=2026-04&source={}", yardstick_server::ui::enc("统计局")), &tj).await);
    // The office's desk: a unit picker and one link per responsible department.
    let admin = w.sign_in("admin").await;
    let html = String::from_utf8_lossy(&w.get("/desk?plan=t2026&period=2026-04", &admin).await.body).to_string();
    assert!(html.contains("id=\"template-unit\"") && html.contains("<option value=\"A1\">城关镇（A1）</option>"), "the desk has a unit picker");
    assert!(html.contains("source=%E7%BB%9F%E8%AE%A1%E5%B1%80\" download>统计局</a>"), "and the sources");
}
