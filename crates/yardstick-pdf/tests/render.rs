//! The PDF as a reader sees it: text extracted with `pdftotext` (Debian's poppler-utils)
//! contains the headings and figures; page 1 rendered with `pdftoppm` is not blank (and is
//! kept as `target/pdf/*.png` to look at); long tables repeat their header on every page;
//! wide tables turn the page to landscape; the font is embedded as a small subset.
//!
//! Needs the CJK fonts (`fonts-noto-cjk`) and poppler-utils. When one is missing the test
//! says so loudly and passes, unless `YARDSTICK_REQUIRE_BROWSER=1` (as in CI), when it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use yardstick_pdf::{FontError, FontFace, Fonts, Lang, render};
use yardstick_sheets::report::{Block, Column, Report, Table, Value};

const REGULAR: &str = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc";
const BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";

fn require() -> bool {
    std::env::var("YARDSTICK_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true")
}

/// Skips loudly, or fails when required.
fn missing(what: &str, fix: &str) {
    let msg = format!(
        "\n{bar}\n!! PDF TEST SKIPPED: {what}\n!! To run it: {fix}\n!! (Set YARDSTICK_REQUIRE_BROWSER=1 to make this a failure, as CI does.)\n{bar}\n",
        bar = "!".repeat(78)
    );
    if require() {
        panic!("{msg}");
    }
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

fn fonts() -> Option<Fonts> {
    if !Path::new(REGULAR).exists() || !Path::new(BOLD).exists() {
        missing(&format!("the CJK fonts {REGULAR} and {BOLD} are not installed"), "apt-get install fonts-noto-cjk");
        return None;
    }
    Some(Fonts::load(Path::new(REGULAR), Path::new(BOLD)).expect("the Noto CJK fonts load"))
}

fn has_poppler() -> bool {
    let ok = Command::new("pdftotext").arg("-v").output().is_ok() && Command::new("pdftoppm").arg("-v").output().is_ok();
    if !ok {
        missing("pdftotext/pdftoppm (poppler-utils) are not installed", "apt-get install poppler-utils");
    }
    ok
}

/// `target/pdf/`, beside the test executable's profile folder.
fn out_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let target = exe.parent().and_then(Path::parent).and_then(Path::parent).expect("target folder").to_path_buf();
    let d = target.join("pdf");
    std::fs::create_dir_all(&d).expect("target/pdf");
    d
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = out_dir().join(name);
    std::fs::write(&p, bytes).expect("write the PDF");
    p
}

/// The text of the PDF (or of pages `first..=last`), as `pdftotext -layout` extracts it.
fn text(pdf: &Path, pages: Option<(u32, u32)>) -> String {
    let mut c = Command::new("pdftotext");
    c.arg("-layout").arg("-enc").arg("UTF-8");
    if let Some((f, l)) = pages {
        c.args(["-f", &f.to_string(), "-l", &l.to_string()]);
    }
    let out = c.arg(pdf).arg("-").output().expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// The text without any whitespace.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn pdfinfo(pdf: &Path) -> String {
    let out = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Page 1 as PNG (kept to look at) and as a grey map: (width, height, pixels).
fn page_one(pdf: &Path) -> (usize, usize, Vec<u8>) {
    let stem = pdf.with_extension("");
    let status = Command::new("pdftoppm").args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]).arg(pdf).arg(&stem).status().expect("pdftoppm runs");
    assert!(status.success());
    let gray = stem.with_file_name(format!("{}-gray", stem.file_name().unwrap().to_string_lossy()));
    let status = Command::new("pdftoppm").args(["-gray", "-r", "40", "-f", "1", "-l", "1", "-singlefile"]).arg(pdf).arg(&gray).status().expect("pdftoppm runs");
    assert!(status.success());
    let pgm = std::fs::read(gray.with_extension("pgm")).expect("the grey map");
    // P5 header: "P5\n<w> <h>\n255\n".
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..i]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = pgm[i + 1..].to_vec();
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

/// The share of dark pixels in rows `from..to` (fractions of the height).
fn ink(w: usize, h: usize, px: &[u8], from: f64, to: f64) -> f64 {
    let (a, b) = ((h as f64 * from) as usize, (h as f64 * to) as usize);
    let dark = px[a * w..b * w].iter().filter(|&&p| p < 128).count();
    dark as f64 / ((b - a) * w) as f64
}

fn ranking_table(rows: usize) -> Table {
    let mut t = Table {
        name: "乡镇".into(),
        caption: "乡镇类（12个）".into(),
        columns: vec![Column::text("名次", 12.0), Column::text("单位", 28.0), Column::number("得分", 2, 10.0), Column::text("等次", 8.0), Column::number("失分", 2, 10.0)],
        rows: Vec::new(),
        notes: vec!["注：得分相同的单位名次并列；失分为满分减得分。".into()],
    };
    let fixed = [
        ("第1名", "城关镇", "98.50", "好", "1.50"),
        ("并列第2名", "高村镇", "92.35", "好", "7.65"),
        ("并列第2名", "河西镇（一票否决）", "92.35", "较差", "7.65"),
        ("第4名", "新区管理委员会经济发展和招商引资服务中心", "88", "一般", "12"),
    ];
    for (rank, name, score, grade, lost) in fixed.iter().take(rows) {
        t.rows.push(vec![Value::text(*rank), Value::text(*name), Value::Number(score.to_string()), Value::text(*grade), Value::Number(lost.to_string())]);
    }
    for i in fixed.len()..rows {
        let score = format!("{}.{:02}", 87 - (i / 10) as i64, 99 - (i % 100));
        t.rows.push(vec![Value::text(format!("第{}名", i + 1)), Value::text(format!("第{}街道办事处", i + 1)), Value::Number(score), Value::text("一般"), Value::Number("13.00".into())]);
    }
    t
}

fn notice(rows: usize) -> Report {
    Report {
        title: "关于2026年3月考核结果的通报".into(),
        meta: vec![(String::new(), "第 1 版，2026-04-02 10:00 发布，事由：首次发布".into())],
        blocks: vec![
            Block::Paragraph("各考核单位：".into()),
            Block::Paragraph("根据《2026年度乡镇（街道）综合考核方案》，经各单位报送、责任部门审核和抽查核验，现将2026年3月考核结果通报如下。得分相同的单位名次并列，“一票否决”的单位等次为较差。The scores are exact to the cent (92.35).".into()),
            Block::Heading("一、乡镇类（12个单位）".into()),
            Block::Table(ranking_table(rows)),
            Block::Heading("二、部门类（2个单位）".into()),
            Block::Table(Table {
                name: "部门".into(),
                caption: String::new(),
                columns: vec![Column::text("名次", 12.0), Column::text("单位", 28.0), Column::number("得分", 2, 10.0), Column::text("等次", 8.0), Column::number("失分", 2, 10.0)],
                rows: vec![
                    vec![Value::text("第1名"), Value::text("发改局"), Value::Number("95.1".into()), Value::text("好"), Value::Number("4.9".into())],
                    vec![Value::text("第2名"), Value::text("财政局"), Value::Empty, Value::Empty, Value::Number("100.00".into())],
                ],
                notes: Vec::new(),
            }),
        ],
        footer: vec!["县考核办".into(), "2026-04-02".into()],
    }
}

#[test]
fn the_text_of_a_notice_is_extractable_with_its_headings_and_figures() {
    let (Some(fonts), true) = (fonts(), has_poppler()) else { return };
    let started = std::time::Instant::now();
    let pdf = render(&notice(4), &fonts, Lang::Zh).expect("render");
    eprintln!("rendered {} bytes in {:.0} ms", pdf.len(), started.elapsed().as_secs_f64() * 1000.0);
    assert!(pdf.starts_with(b"%PDF-"));
    // Subsetted: the font files are 20+ MB each; the few glyphs used are a few tens of KB.
    assert!(pdf.len() < 400_000, "the fonts are embedded as subsets ({} bytes)", pdf.len());
    let path = write("notice.pdf", &pdf);
    let t = text(&path, None);
    for want in [
        "关于2026年3月考核结果的通报",
        "各考核单位：",
        "一、乡镇类（12个单位）",
        "二、部门类（2个单位）",
        "乡镇类（12个）",
        "名次",
        "并列第2名",
        "河西镇（一票否决）",
        "98.50",
        "92.35",
        "7.65",
        // A number column shows its declared decimals, as the workbook does (never rounded).
        "95.10",
        "4.90",
        "88.00",
        "县考核办",
        "2026-04-02",
        "(92.35)",
    ] {
        assert!(t.contains(want), "the extracted text lacks {want:?}:\n{t}");
    }
    // pdftotext drops the (narrow) spaces between CJK characters.
    assert!(squash(&t).contains("第1页共1页"), "the page number:\n{t}");
    assert_eq!(t.matches("并列第2名").count(), 2, "{t}");
    // The long unit name wraps inside its cell instead of running over the next column.
    assert!(!t.contains("新区管理委员会经济发展和招商引资服务中心"), "a long name wraps:\n{t}");
    assert!(t.contains("新区管理委员会"), "{t}");
    let info = pdfinfo(&path);
    assert!(info.contains("595.28 x 841.89") || info.contains("595.276 x 841.89"), "A4 portrait: {info}");
    assert!(info.contains("Title:") && info.contains("关于2026年3月考核结果的通报"), "the document's title: {info}");

    // Page 1 as a picture: not blank, ink in the title, the table and the foot.
    let (w, h, px) = page_one(&path);
    let total = ink(w, h, &px, 0.0, 1.0);
    assert!(total > 0.005, "page 1 has ink ({total:.4})");
    assert!(ink(w, h, &px, 0.07, 0.14) > 0.005, "the title is at the top");
    assert!(ink(w, h, &px, 0.95, 1.0) < 0.02, "the bottom margin is nearly empty");
    eprintln!("page 1: {}", path.with_extension("png").display());
}

#[test]
fn a_long_table_repeats_its_header_row_on_every_page() {
    let (Some(fonts), true) = (fonts(), has_poppler()) else { return };
    let started = std::time::Instant::now();
    let pdf = render(&notice(150), &fonts, Lang::Zh).expect("render");
    eprintln!("150 rows: {} bytes in {:.0} ms", pdf.len(), started.elapsed().as_secs_f64() * 1000.0);
    let path = write("notice-long.pdf", &pdf);
    let info = pdfinfo(&path);
    let pages: u32 = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("page count").trim().parse().unwrap();
    assert!(pages >= 3, "150 rows take several pages ({pages})");
    for page in 1..=pages {
        let t = text(&path, Some((page, page)));
        assert!(squash(&t).contains(&format!("第{page}页共{pages}页")), "page {page} is numbered:\n{t}");
        if page < pages {
            assert!(t.contains("名次") && t.contains("得分") && t.contains("失分"), "page {page} has the header row:\n{t}");
        }
        if page > 1 && page < pages {
            assert!(t.contains("乡镇类（12个）（续）"), "page {page} says the table goes on:\n{t}");
        }
    }
    let all = text(&path, None);
    for i in [5, 77, 150] {
        assert!(all.contains(&format!("第{i}街道办事处")), "row {i} is printed");
    }
    assert!(all.contains("注：得分相同的单位名次并列"), "the table's note");
}

#[test]
fn a_wide_table_turns_the_page_to_landscape_and_english_numbers_pages_in_english() {
    let (Some(fonts), true) = (fonts(), has_poppler()) else { return };
    // 12 columns of 8 characters and one of 20: too wide for portrait, not for landscape.
    let columns: Vec<Column> = (1..=12).map(|i| Column::number(format!("指标{i}"), 2, 8.0)).chain([Column::text("Unit", 20.0)]).collect();
    let rows = (0..5).map(|r| (0..13).map(|c| if c == 12 { Value::text(format!("Unit {r}")) } else { Value::Number(format!("{}.{}", 10 + c, r)) }).collect()).collect();
    let report = Report {
        title: "Scores by indicator".into(),
        meta: vec![("Period".into(), "March 2026".into()), ("Category".into(), "Towns".into())],
        blocks: vec![Block::Table(Table { name: "wide".into(), caption: "Every indicator".into(), columns, rows, notes: vec![] })],
        footer: vec!["The appraisal office".into()],
    };
    assert!(yardstick_pdf::is_landscape(&report));
    let path = write("wide.pdf", &render(&report, &fonts, Lang::En).expect("render"));
    let info = pdfinfo(&path);
    assert!(info.contains("841.89 x 595.28") || info.contains("841.89 x 595.276"), "A4 landscape: {info}");
    let t = text(&path, None);
    for want in ["Scores by indicator", "Period: March 2026", "Category: Towns", "指标12", "21.40", "Unit 4", "Page 1 of 1", "The appraisal office"] {
        assert!(t.contains(want), "lacks {want:?}:\n{t}");
    }
}

#[test]
fn the_simplified_chinese_face_of_a_collection_is_chosen() {
    let Some(fonts) = fonts() else { return };
    assert_eq!(fonts.regular.family, "Noto Serif CJK SC");
    assert_eq!(fonts.bold.family, "Noto Sans CJK SC");
    let sans = FontFace::load(Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")).expect("sans");
    assert_eq!(sans.family, "Noto Sans CJK SC", "not the monospaced SC face");
}

#[test]
fn a_missing_or_wrong_font_file_is_a_clear_error() {
    let e = FontFace::load(Path::new("/nonexistent/font.ttc")).unwrap_err();
    assert!(matches!(e, FontError::Unreadable { .. }), "{e:?}");
    assert!(e.to_string().contains("/nonexistent/font.ttc"), "{e}");
    let not_font = std::env::temp_dir().join(format!("ys-not-a-font-{}.ttf", std::process::id()));
    std::fs::write(&not_font, b"this is not a font").unwrap();
    let e = FontFace::load(&not_font).unwrap_err();
    assert!(matches!(e, FontError::NotAFont { .. }), "{e:?}");
    assert_eq!(e.path(), not_font.as_path());
    let _ = std::fs::remove_file(&not_font);
}

#[test]
fn nothing_in_a_report_makes_rendering_fail() {
    let Some(fonts) = fonts() else { return };
    // Empty everything; control characters; a table without columns; characters the font lacks; a huge cell.
    let huge = "很长的理由".repeat(3000);
    let report = Report {
        title: String::new(),
        meta: vec![],
        blocks: vec![
            Block::Heading(String::new()),
            Block::Paragraph("\u{0}\t\r\n\u{1F600} 😀 مرحبا".into()),
            Block::Table(Table { name: "x".into(), caption: "no columns".into(), columns: vec![], rows: vec![vec![Value::Int(1)]], notes: vec![] }),
            Block::Table(Table { name: "y".into(), caption: String::new(), columns: vec![Column::text("原因", f64::NAN), Column::integer("次数", -3.0)], rows: vec![vec![Value::Text(huge), Value::Int(-7)], vec![]], notes: vec![] }),
        ],
        footer: vec![],
    };
    let pdf = render(&report, &fonts, Lang::Zh).expect("render");
    assert!(pdf.starts_with(b"%PDF-"));
    let empty = render(&Report::default(), &fonts, Lang::En).expect("an empty report is one page");
    assert!(empty.starts_with(b"%PDF-"));
}

/// A province's category: 10,000 rows (run with `--ignored --nocapture` for the timing).
#[test]
#[ignore]
fn ten_thousand_rows() {
    let Some(fonts) = fonts() else { return };
    for n in [1000, 10_000] {
        let started = std::time::Instant::now();
        let pdf = render(&notice(n), &fonts, Lang::Zh).expect("render");
        eprintln!("{n} rows: {} bytes in {:.0} ms", pdf.len(), started.elapsed().as_secs_f64() * 1000.0);
    }
}
