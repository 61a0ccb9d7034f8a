//! The plan as a workbook: TOML → .xlsx → TOML gives the same plan (the same `toml::Value`)
//! for the worked examples A–G, the demo plan and a province-scale plan; the examples scored
//! from the plan read back from .xlsx give DOMAIN.md's figures; bad cells are reported with
//! sheet, row and column.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use yardstick_engine::dec::format_cents;
use yardstick_engine::{Period, Roster, Scorer};
use yardstick_formats::Lang;
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::{SubjectsSource, load_plan};
use yardstick_project::r#gen::{Scale, Synthetic};
use yardstick_sheets::plan::{book_to_toml, plan_from_book, plan_to_xlsx};
use yardstick_sheets::read::{Book, Cell, Limits, read_book};

const EXAMPLES: [&str; 7] = ["a-blended", "b-ranking", "c-coefficients", "d-veto", "e-annual", "f-democratic", "g-survey"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example_text(name: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(name).join("plan.toml")).unwrap()
}

fn to_book(toml: &str, lang: Lang) -> Book {
    let bytes = plan_to_xlsx(toml, lang).unwrap_or_else(|p| panic!("{p:?}"));
    read_book("plan.xlsx", &bytes, &Limits::default()).unwrap_or_else(|p| panic!("{p:?}"))
}

fn value(text: &str) -> toml::Value {
    toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn render(ps: &[yardstick_formats::Problem]) -> String {
    ps.iter().map(|p| p.render(Lang::En)).collect::<Vec<_>>().join("\n")
}

/// TOML → xlsx → TOML', checked with these subjects; returns TOML'.
fn round_trip(name: &str, toml: &str, subjects: Option<&str>, lang: Lang) -> String {
    let book = to_book(toml, lang);
    let src = subjects.map(|text| SubjectsSource { file: "subjects.csv", text });
    let back = plan_from_book(&book, src).unwrap_or_else(|p| panic!("{name}: {}\n{}", render(&p), book_to_toml(&book).map(|g| g.toml).unwrap_or_default()));
    assert_eq!(value(&back), value(toml), "{name}: the plan read back differs\n{back}");
    // The same workbook gives the same text, and so does the text's own workbook.
    assert_eq!(plan_from_book(&book, subjects.map(|text| SubjectsSource { file: "subjects.csv", text })).unwrap(), back);
    let again = plan_from_book(&to_book(&back, lang), subjects.map(|text| SubjectsSource { file: "subjects.csv", text })).unwrap();
    assert_eq!(again, back, "{name}: a second round trip changes the text");
    back
}

#[test]
fn every_example_plan_round_trips() {
    for name in EXAMPLES {
        let text = example_text(name);
        round_trip(name, &text, None, Lang::Zh);
        round_trip(name, &text, None, Lang::En);
    }
}

#[test]
fn the_workbook_has_the_documented_sheets_and_headers() {
    let book = to_book(&example_text("a-blended"), Lang::Zh);
    let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["方案", "等次", "类别", "考核对象", "指标", "其他(TOML)"]);
    let ind = &book.sheets[4];
    let headers: Vec<String> = ind.rows[0].iter().map(|c| c.text().unwrap()).collect();
    assert_eq!(&headers[..7], ["指标编码(key)", "指标名称(name)", "模块(module)", "指标类型(kind)", "考核周期(level)", "计分方法(method)", "分值(weight)"]);
    assert!(headers.contains(&"总量占比(total_share)".to_string()) && headers.contains(&"上限(cap)".to_string()), "{headers:?}");
    assert_eq!(headers.last().unwrap(), "其他参数(extra)");
    // GDP's weight is a number; its amplification is inline TOML.
    assert_eq!(ind.rows[1][6], Cell::Number("25".into()));
    let extra = ind.rows[1].last().unwrap().text().unwrap();
    assert_eq!(extra, "amplify = { bonus_factor = 3, penalty_below = 0.9, penalty_factor = 3 }");
    // Example B's grades: one row per grade, quotas as written.
    let b = to_book(&example_text("b-ranking"), Lang::Zh);
    let grades = b.sheets.iter().find(|s| s.name == "等次").unwrap();
    assert_eq!(grades.rows.len(), 4);
    assert_eq!(grades.rows[1][2], Cell::Text("优秀".into()));
    assert_eq!(grades.rows[1][3], Cell::Text("30%".into()));
    // Example E's aggregation stays TOML, verbatim.
    let e = to_book(&example_text("e-annual"), Lang::Zh);
    let other = e.sheets.iter().find(|s| s.name == "其他(TOML)").unwrap();
    let lines: Vec<String> = other.rows.iter().map(|r| r.first().map(|c| c.text().unwrap()).unwrap_or_default()).collect();
    assert!(lines.iter().any(|l| l == "[aggregation.year]"), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("grade_adjust = { level = \"quarter\"")), "{lines:?}");
    // English headers read back as well (checked by the round trip); sheet names are English.
    let en = to_book(&example_text("a-blended"), Lang::En);
    assert_eq!(en.sheets[4].name, "indicators");
    assert_eq!(en.sheets[4].rows[0][6].text().unwrap(), "Weight(weight)");
}

/// The demo county's plan as the server's demo builds it (`demo.rs` `plan_text`): the synthetic
/// county plan, with monitoring, consequence and rectification rules.
fn demo_plan() -> String {
    let syn = Synthetic::new(Scale::County, 2026, 12);
    let mut t = syn.plan_text();
    t.push_str(
        r#"
# 监测预警（M15）
[[warnings]]
indicator = "G01"
measure = "target"
threshold = 0.9
text = "{period}“{indicator}”目标完成率为{value}，低于预警线{line}。"

[[consequences]]
level = "year"
bottom = 1
consecutive = 2
action = "组织调整"

[[consequences]]
level = "year"
grade = "一般"
action = "书面整改报告"

[rectification]
days = 30
grades = ["一般"]
"#,
    );
    t
}

#[test]
fn the_demo_plan_round_trips() {
    let syn = Synthetic::new(Scale::County, 2026, 12);
    let subjects = syn.subjects_csv();
    let back = round_trip("demo", &demo_plan(), Some(&subjects), Lang::Zh);
    // Versions and rules stay TOML; the categories' differing indicators keep their scope.
    assert!(back.contains("[[versions]]") && back.contains("[[versions.indicators]]") && back.contains("[rectification]"));
}

#[test]
fn a_province_plan_round_trips() {
    let syn = Synthetic::new(Scale::Province, 7, 12);
    let subjects = syn.subjects_csv();
    let started = Instant::now();
    let text = syn.plan_text();
    let bytes = plan_to_xlsx(&text, Lang::Zh).unwrap();
    let written = started.elapsed();
    let book = read_book("plan.xlsx", &bytes, &Limits::default()).unwrap();
    let back = plan_from_book(&book, Some(SubjectsSource { file: "subjects.csv", text: &subjects })).unwrap_or_else(|p| panic!("{}", render(&p)));
    assert_eq!(value(&back), value(&text));
    eprintln!("province plan: {} categories, {} bytes of xlsx, written in {written:?}, round trip in {:?}", syn.category_count(), bytes.len(), started.elapsed());
}

#[test]
fn per_category_weights_go_to_the_weights_sheet() {
    let text = r#"
[plan]
key = "w"
name = "分类别分值"
year = 2026

[[grade_sets]]
key = "g"
grades = [{ name = "优秀", quota = "30%" }, { name = "一般" }]

[[categories]]
key = "towns"
name = "乡镇"
grade_set = "g"

[[categories]]
key = "streets"
name = "街道"
grade_set = "g"

[[subjects]]
key = "T1"
name = "甲镇"
category = "towns"

[[subjects]]
key = "S1"
name = "乙街道"
category = "streets"

[[indicators]]
key = "GDP"
name = "地区生产总值"
method = "completion"
weight = 60
weights = { streets = 40 }
cap = 1.2

[[indicators]]
key = "SOC"
name = "社会事业"
method = "qualitative"
weight = 40
weights = { streets = 60 }
levels = [{ name = "好", share = 1 }, { name = "差", share = "50%" }]
"#;
    let book = to_book(text, Lang::Zh);
    let w = book.sheets.iter().find(|s| s.name == "权重").expect("a weights sheet");
    assert_eq!(w.rows[0].iter().map(|c| c.text().unwrap()).collect::<Vec<_>>(), ["指标编码(indicator)", "指标名称(name)", "乡镇(towns)", "街道(streets)"]);
    assert_eq!(w.rows[1], vec![Cell::Text("GDP".into()), Cell::Text("地区生产总值".into()), Cell::Empty, Cell::Number("40".into())]);
    round_trip("weights", text, None, Lang::Zh);

    // A category in the matrix that does not exist: the header cell is named.
    let mut bad = book.clone();
    let wi = bad.sheets.iter().position(|s| s.name == "权重").unwrap();
    bad.sheets[wi].rows[0].push(Cell::Text("开发区(zone)".into()));
    bad.sheets[wi].rows[1].push(Cell::Number("5".into()));
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(p.iter().any(|p| p.place.sheet.as_deref() == Some("权重") && p.place.line == Some(1) && p.place.column.as_deref() == Some("E（开发区(zone)）") && p.msg.en.contains("'zone' does not exist")), "{}", render(&p));

    // A per-category weight that is not a number names its cell; one that breaks a category's
    // total names the category's row.
    let mut bad = book.clone();
    bad.sheets[wi].rows[1][3] = Cell::Text("abc".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(has(&p, "权重", 2, "D", "'abc' is not a number"), "{}", render(&p));
    let mut bad = book.clone();
    bad.sheets[wi].rows[1][3] = Cell::Number("45".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(p.iter().any(|p| p.place.sheet.as_deref() == Some("类别") && p.place.line == Some(3) && p.msg.en.contains("'streets' in version v1 add up to 105, not 100")), "{}", render(&p));
}

fn sheet_mut<'b>(book: &'b mut Book, name: &str) -> &'b mut yardstick_sheets::read::Sheet {
    book.sheets.iter_mut().find(|s| s.name == name).unwrap()
}

fn col_of(book: &Book, sheet: &str, header: &str) -> usize {
    let s = book.sheets.iter().find(|s| s.name == sheet).unwrap();
    s.rows[0].iter().position(|c| c.text().unwrap() == header).unwrap_or_else(|| panic!("no {header}"))
}

fn has(ps: &[yardstick_formats::Problem], sheet: &str, row: usize, column: &str, en: &str) -> bool {
    ps.iter().any(|p| {
        p.place.sheet.as_deref() == Some(sheet) && p.place.line == Some(row) && p.place.column.as_deref().is_some_and(|c| c.starts_with(column)) && p.msg.en.contains(en)
    })
}

#[test]
fn bad_cells_are_reported_all_at_once_with_their_places() {
    let book = to_book(&example_text("a-blended"), Lang::Zh);
    let mut bad = book.clone();
    let weight = col_of(&bad, "指标", "分值(weight)");
    let key = col_of(&bad, "指标", "指标编码(key)");
    let ind = sheet_mut(&mut bad, "指标");
    // An unknown column, a weight "abc" on row 3, a missing key on row 4, a full-width weight
    // (understood) on row 5.
    ind.rows[0].push(Cell::Text("备注说明".into()));
    let unknown_col = ind.rows[0].len() - 1;
    ind.rows[2][weight] = Cell::Text("abc".into());
    ind.rows[3][key] = Cell::Empty;
    ind.rows[4][weight] = Cell::Text("１５".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    let col = yardstick_sheets::read::column_name(unknown_col);
    assert!(has(&p, "指标", 1, &col, "unknown column '备注说明'"), "{}", render(&p));
    assert!(has(&p, "指标", 3, "G", "not a number"), "{}", render(&p));
    assert!(has(&p, "指标", 4, "A", "required"), "{}", render(&p));
    assert_eq!(p.len(), 3, "{}", render(&p));
    // Both languages.
    assert!(p.iter().all(|x| !x.msg.zh.is_empty() && !x.msg.en.is_empty()));
    assert!(p[1].render(Lang::Zh).contains("工作表“指标” 第3行 列“G（分值(weight)）”"), "{}", p[1].render(Lang::Zh));
}

#[test]
fn plan_problems_are_mapped_back_to_cells() {
    let book = to_book(&example_text("a-blended"), Lang::Zh);
    // A duplicated indicator key (row 3 = row 2's key).
    let mut bad = book.clone();
    let key = col_of(&bad, "指标", "指标编码(key)");
    let ind = sheet_mut(&mut bad, "指标");
    ind.rows[2][key] = Cell::Text("GDP".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(has(&p, "指标", 3, "A", "duplicate key 'GDP'"), "{}", render(&p));

    // A parameter the method does not take: `places` on a blended indicator.
    let mut bad = book.clone();
    let ind = sheet_mut(&mut bad, "指标");
    ind.rows[0].push(Cell::Text("降低名次数(places)".into()));
    let c = ind.rows[0].len() - 1;
    ind.rows[7].resize(c + 1, Cell::Empty);
    ind.rows[7][c] = Cell::Number("3".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    let col = yardstick_sheets::read::column_name(c);
    assert!(has(&p, "指标", 8, &col, "does not take the parameter places"), "{}", render(&p));
    assert_eq!(p[0].place.field.as_deref(), Some("indicators[6].places"));

    // A weight that breaks the category's total names the weight's row through the sum's
    // category, and a negative weight names its own cell.
    let mut bad = book.clone();
    let weight = col_of(&bad, "指标", "分值(weight)");
    sheet_mut(&mut bad, "指标").rows[6][weight] = Cell::Number("-10".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(has(&p, "指标", 7, "G", "cannot be negative"), "{}", render(&p));
    assert!(p.iter().any(|x| x.place.sheet.as_deref() == Some("类别") && x.place.line == Some(2) && x.msg.en.contains("add up to")), "{}", render(&p));

    // An unknown grade set named by a category.
    let mut bad = book.clone();
    let gs = col_of(&bad, "类别", "等次组(grade_set)");
    sheet_mut(&mut bad, "类别").rows[1][gs] = Cell::Text("nope".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(has(&p, "类别", 2, "D", "grade set 'nope' does not exist"), "{}", render(&p));

    // A bad line in the TOML sheet names its row.
    let mut bad = to_book(&example_text("e-annual"), Lang::Zh);
    let other = sheet_mut(&mut bad, "其他(TOML)");
    let r = other.rows.iter().position(|r| r.first().is_some_and(|c| c.text().unwrap().starts_with("  { indicator = \"ANNUAL\"") || c.text().unwrap().starts_with("{ indicator = \"ANNUAL\""))).unwrap();
    other.rows[r][0] = Cell::Text("{ indicator = \"NOPE\", share = 0.5 },".into());
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(p.iter().any(|x| x.place.sheet.as_deref() == Some("其他(TOML)") && x.msg.en.contains("'NOPE' does not exist")), "{}", render(&p));
}

#[test]
fn missing_sheets_and_formulas_are_refused() {
    let book = to_book(&example_text("b-ranking"), Lang::Zh);
    let mut bad = book.clone();
    bad.sheets.retain(|s| s.name != "指标");
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(p.iter().any(|x| x.place.sheet.as_deref() == Some("指标") && x.msg.en.contains("missing")), "{}", render(&p));

    let mut bad = book.clone();
    let weight = col_of(&bad, "指标", "分值(weight)");
    sheet_mut(&mut bad, "指标").rows[1][weight] = Cell::Formula("50+50".into(), Some("100".into()));
    let p = plan_from_book(&bad, None).unwrap_err();
    assert!(has(&p, "指标", 2, "G", "formula"), "{}", render(&p));
}

// ---------------------------------------------------------------------------
// The worked examples, scored from the plan read back from .xlsx (figures of
// `crates/yardstick/tests/examples.rs`).

type Row = (&'static str, &'static str, u32, bool, &'static str);

fn score_from_book(example: &str, period: &str) -> Vec<(String, String, u32, bool, String)> {
    let text = example_text(example);
    let book = to_book(&text, Lang::Zh);
    let back = plan_from_book(&book, None).unwrap();
    let model = load_plan("plan.toml", &back, None).unwrap().model;
    let roster = Arc::new(Roster::new(&model));
    let data = std::fs::read_to_string(root().join("examples").join(example).join("data.csv")).unwrap();
    let loader = DataLoader::new(&model, roster.clone(), None);
    loader.add_csv("data.csv", &data);
    let ds = loader.finish().unwrap_or_else(|p| panic!("{}", render(&p)));
    let scorer = Scorer::new(&model, roster, &ds);
    let r = scorer.score(Period::parse(period).unwrap()).unwrap();
    r.categories
        .iter()
        .flat_map(|c| c.rows.iter().map(move |row| (c.category, row)))
        .map(|(c, row)| {
            let set = model.categories[c as usize].grade_set;
            (
                model.subjects[row.subject as usize].key.clone(),
                format_cents(row.cents),
                row.rank,
                row.tied,
                model.grade_sets[set as usize].grades[row.grade as usize].name.clone(),
            )
        })
        .collect()
}

fn expect(example: &str, period: &str, want: &[Row]) {
    let want: Vec<(String, String, u32, bool, String)> = want.iter().map(|(s, sc, r, t, g)| (s.to_string(), sc.to_string(), *r, *t, g.to_string())).collect();
    assert_eq!(score_from_book(example, period), want, "{example} {period}");
}

#[test]
fn the_worked_examples_scored_from_the_workbook() {
    expect("a-blended", "2026-06", &[("P1", "121.79", 1, false, "不评等次"), ("P3", "103.14", 2, false, "不评等次"), ("P2", "81.27", 3, false, "不评等次")]);
    expect("b-ranking", "2026-03", &[
        ("T1", "92.50", 1, false, "优秀"),
        ("T2", "90.10", 2, true, "良好"),
        ("T3", "90.10", 2, true, "良好"),
        ("T5", "85.30", 4, true, "良好"),
        ("T6", "85.30", 4, true, "良好"),
        ("T7", "80.00", 6, false, "一般"),
        ("T4", "86.40", 7, false, "一般"),
        ("T8", "78.20", 8, false, "一般"),
    ]);
    expect("c-coefficients", "2026-05", &[("U1", "97.44", 1, false, "不评等次"), ("U3", "97.23", 2, false, "不评等次"), ("U2", "92.70", 3, false, "不评等次")]);
    expect("d-veto", "2026-09", &[
        ("D1", "91.00", 1, false, "立功单位"),
        ("D2", "88.50", 2, false, "达标"),
        ("D4", "72.00", 3, false, "达标"),
        ("D5", "58.00", 4, false, "不达标"),
        ("D3", "95.20", 5, false, "不达标"),
    ]);
    expect("e-annual", "2026", &[("TEAM1", "89.17", 1, false, "优秀"), ("CADRE1", "87.50", 1, false, "优秀")]);
    expect("f-democratic", "2026-12", &[("L1", "90.87", 1, false, "称职"), ("L2", "70.07", 2, false, "称职")]);
    expect("g-survey", "2026-12", &[("S1", "9.00", 1, false, "不评等次")]);
}
