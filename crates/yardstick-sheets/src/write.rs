//! A [`Report`] as a formatted, printable .xlsx workbook (rust_xlsxwriter).
//!
//! Each table of the report is a sheet of its own: the title (merged across the table,
//! large, in the title font), the particulars ("期间：2026年3月"), any headings and
//! paragraphs that came before the table in the report, the caption, a bold bordered
//! header row, the rows, the notes, and on the last sheet the report's footer lines.
//! Panes are frozen below the header row, which is also repeated on every printed page;
//! pages are A4, landscape when the table is wide, fitted to one page wide, with
//! "第 &P 页 共 &N 页" at the foot.
//!
//! Numbers: a [`Value::Number`] holds the exact decimal text; it is written as the number
//! that text denotes (Excel keeps doubles, and any decimal of up to 15 significant digits
//! reads back the same) with a fixed-decimals format, so the sheet shows exactly the
//! published text. Text that is not a plain decimal is written as text.
//!
//! [`hidden_sheet`] adds the very hidden `yardstick` sheet (column A keys, column B values)
//! that marks a workbook meant to be imported again (docs/workbooks.md).

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::report::{Block, ColumnKind, Report, Table, Value};

/// The fonts and sizes of a workbook. Chinese offices have 宋体 (body) and 黑体 (titles).
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    pub body_font: String,
    pub title_font: String,
    pub body_size: f64,
    pub title_size: f64,
}

impl Default for Style {
    fn default() -> Self {
        Style { body_font: "宋体".into(), title_font: "黑体".into(), body_size: 11.0, title_size: 16.0 }
    }
}

/// Why a workbook could not be written (a limit of the format: more than 1,048,576 rows,
/// a text longer than 32,767 characters…).
#[derive(Debug)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the workbook cannot be written: {}", self.0)
    }
}

impl std::error::Error for WriteError {}

impl From<XlsxError> for WriteError {
    fn from(e: XlsxError) -> Self {
        WriteError(e.to_string())
    }
}

/// A report as .xlsx bytes.
pub fn workbook(report: &Report, style: &Style) -> Result<Vec<u8>, WriteError> {
    workbook_with_hidden(report, style, &[])
}

/// A report as .xlsx bytes with the hidden `yardstick` sheet holding `hidden` (key, value)
/// pairs (none: no hidden sheet).
pub fn workbook_with_hidden(report: &Report, style: &Style, hidden: &[(&str, &str)]) -> Result<Vec<u8>, WriteError> {
    let mut wb = Workbook::new();
    add_report(&mut wb, report, style)?;
    if !hidden.is_empty() {
        hidden_sheet(&mut wb, hidden)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// The formats of one workbook.
struct Formats {
    title: Format,
    meta: Format,
    heading: Format,
    text_line: Format,
    caption: Format,
    head: Format,
    text: Format,
    /// Fixed decimals 0–6.
    numbers: Vec<Format>,
    note: Format,
    footer: Format,
}

impl Formats {
    fn new(s: &Style) -> Formats {
        let body = Format::new().set_font_name(&s.body_font).set_font_size(s.body_size);
        let cell = body.clone().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
        let numbers = (0..=6u8)
            .map(|d| {
                let f = if d == 0 { "0".to_string() } else { format!("0.{}", "0".repeat(usize::from(d))) };
                cell.clone().set_num_format(f).set_align(FormatAlign::Right)
            })
            .collect();
        Formats {
            title: Format::new().set_font_name(&s.title_font).set_font_size(s.title_size).set_bold().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter),
            meta: body.clone().set_align(FormatAlign::Left),
            heading: Format::new().set_font_name(&s.title_font).set_font_size(s.body_size + 1.0).set_bold(),
            text_line: body.clone().set_text_wrap().set_align(FormatAlign::Top),
            caption: body.clone().set_bold(),
            head: cell.clone().set_bold().set_align(FormatAlign::Center).set_text_wrap().set_background_color(Color::RGB(0xF2F2F2)),
            text: cell.set_text_wrap(),
            numbers,
            note: body.clone().set_font_size((s.body_size - 1.0).max(6.0)).set_text_wrap(),
            footer: body.set_align(FormatAlign::Right),
        }
    }

    fn number(&self, decimals: u8) -> &Format {
        &self.numbers[usize::from(decimals.min(6))]
    }
}

/// Adds a report's sheets to a workbook (one per table; a report without tables gets one
/// sheet of its text).
pub fn add_report(wb: &mut Workbook, report: &Report, style: &Style) -> Result<(), WriteError> {
    let f = Formats::new(style);
    let mut used: Vec<String> = Vec::new();
    let tables = report.blocks.iter().filter(|b| matches!(b, Block::Table(_))).count();
    let mut before: Vec<&Block> = Vec::new();
    let mut done = 0;
    for block in &report.blocks {
        match block {
            Block::Table(t) => {
                done += 1;
                let name = sheet_name(&t.name, &mut used);
                let ws = wb.add_worksheet();
                ws.set_name(&name)?;
                write_table(ws, report, &before, t, done == tables, &f)?;
                before.clear();
            }
            other => before.push(other),
        }
    }
    if tables == 0 {
        let name = sheet_name(&report.title, &mut used);
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        let empty = Table::default();
        write_table(ws, report, &before, &empty, true, &f)?;
    }
    Ok(())
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, not empty, not
/// starting or ending with `'`, not `History`, unique (case-insensitively) in the workbook.
pub fn sheet_name(wanted: &str, used: &mut Vec<String>) -> String {
    let clean: String = wanted.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).collect();
    let clean = clean.trim().trim_matches('\'').to_string();
    let mut base: String = clean.chars().take(31).collect();
    if base.is_empty() || base.eq_ignore_ascii_case("history") {
        base = format!("Sheet{}", used.len() + 1);
    }
    let mut name = base.clone();
    let mut n = 2;
    while used.iter().any(|u| u.to_lowercase() == name.to_lowercase()) {
        let suffix = format!("({n})");
        let keep = 31 - suffix.chars().count();
        name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    used.push(name.clone());
    name
}

/// Display width of a text in Latin characters: CJK and full-width characters count two.
pub fn text_width(s: &str) -> f64 {
    s.lines().map(|l| l.chars().map(|c| if is_wide(c) { 2.0 } else { 1.0 }).sum::<f64>()).fold(0.0, f64::max)
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// The widest a column gets from its content (longer text wraps).
const MAX_WIDTH: f64 = 60.0;
/// Wider than this (in Latin characters) and a sheet prints landscape.
const PORTRAIT_WIDTH: f64 = 95.0;

fn write_table(ws: &mut Worksheet, report: &Report, before: &[&Block], t: &Table, last: bool, f: &Formats) -> Result<(), WriteError> {
    let ncols = t.columns.len().max(1) as u16;
    // Column widths: the model's, widened to the header and the content (up to a cap).
    let mut widths: Vec<f64> = t.columns.iter().map(|c| c.width.max(text_width(&c.title) + 2.0).min(MAX_WIDTH.max(c.width))).collect();
    for row in &t.rows {
        for (i, v) in row.iter().enumerate().take(widths.len()) {
            let w = match v {
                Value::Empty => 0.0,
                Value::Text(s) | Value::Number(s) => text_width(s) + 1.5,
                Value::Int(n) => n.to_string().len() as f64 + 1.5,
            };
            if w > widths[i] {
                widths[i] = w.min(MAX_WIDTH.max(t.columns[i].width));
            }
        }
    }
    if widths.is_empty() {
        widths.push(text_width(&report.title).clamp(40.0, 90.0));
    }
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    let total: f64 = widths.iter().sum();
    let mut r: u32 = 0;
    // A line of text merged across the table.
    let line = |ws: &mut Worksheet, r: u32, text: &str, fmt: &Format| -> Result<(), XlsxError> {
        if ncols > 1 {
            ws.merge_range(r, 0, r, ncols - 1, text, fmt)?;
        } else {
            ws.write_string_with_format(r, 0, text, fmt)?;
        }
        Ok(())
    };
    line(ws, r, &report.title, &f.title)?;
    ws.set_row_height(r, 32)?;
    r += 1;
    for (k, v) in &report.meta {
        line(ws, r, &format!("{k}：{v}"), &f.meta)?;
        r += 1;
    }
    for b in before {
        match b {
            Block::Heading(h) => {
                line(ws, r, h, &f.heading)?;
                r += 1;
            }
            Block::Paragraph(p) => {
                line(ws, r, p, &f.text_line)?;
                let lines = (text_width(p) / total.max(1.0)).ceil().max(1.0);
                if lines > 1.0 {
                    ws.set_row_height(r, 15.0 * lines.min(20.0))?;
                }
                r += 1;
            }
            Block::Table(_) => {}
        }
    }
    if !t.caption.is_empty() {
        line(ws, r, &t.caption, &f.caption)?;
        r += 1;
    }
    if !t.columns.is_empty() {
        let head = r;
        for (i, c) in t.columns.iter().enumerate() {
            ws.write_string_with_format(r, i as u16, &c.title, &f.head)?;
        }
        r += 1;
        ws.set_freeze_panes(r, 0)?;
        ws.set_repeat_rows(head, head)?;
        for row in &t.rows {
            for (i, c) in t.columns.iter().enumerate() {
                let col = i as u16;
                match row.get(i).unwrap_or(&Value::Empty) {
                    Value::Empty => {
                        ws.write_blank(r, col, &f.text)?;
                    }
                    Value::Text(s) => {
                        ws.write_string_with_format(r, col, s, &f.text)?;
                    }
                    Value::Int(n) => {
                        ws.write_number_with_format(r, col, *n as f64, f.number(0))?;
                    }
                    Value::Number(s) => match decimal(s) {
                        Some((x, places)) => {
                            let d = match c.kind {
                                ColumnKind::Number(d) => d,
                                ColumnKind::Integer => 0,
                                ColumnKind::Text => places,
                            };
                            ws.write_number_with_format(r, col, x, f.number(d.max(places.min(6))))?;
                        }
                        None => {
                            ws.write_string_with_format(r, col, s, &f.text)?;
                        }
                    },
                }
            }
            r += 1;
        }
    }
    for n in &t.notes {
        line(ws, r, n, &f.note)?;
        r += 1;
    }
    if last && !report.footer.is_empty() {
        r += 1;
        for x in &report.footer {
            line(ws, r, x, &f.footer)?;
            r += 1;
        }
    }
    // Print: A4, fitted to one page wide, header row repeated (above), page numbers.
    ws.set_paper_size(9);
    if total > PORTRAIT_WIDTH {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.6, 0.6, 0.75, 0.75, 0.3, 0.3);
    ws.set_footer("&C第 &P 页 共 &N 页");
    Ok(())
}

/// A plain decimal's value and its number of decimals ("92.35" → (92.35, 2)); `None` for
/// anything else (a dash, a grade, more than 15 significant digits).
fn decimal(s: &str) -> Option<(f64, u8)> {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || (body.contains('.') && frac.is_empty()) {
        return None;
    }
    let digits = int.trim_start_matches('0').len() + frac.len();
    if digits > 15 {
        return None;
    }
    Some((t.parse().ok()?, frac.len().min(255) as u8))
}

/// Whether a text is best written as a number cell for a file that is imported again: it is
/// exactly the shortest form of the double it denotes (what a reader that formats the double
/// back gets), so "95", "0.1" and "-3.25" are numbers and "1.20", "007" or "1e3" stay text.
pub fn round_trips_as_number(s: &str) -> Option<f64> {
    let (x, _) = decimal(s)?;
    (format!("{x}") == s && x.is_finite()).then_some(x)
}

/// Adds the very hidden `yardstick` sheet: column A the keys, column B the values (all
/// text), e.g. `format` = `yardstick-data-1`, `kind` = `raw_data`, `plan`, `period`.
pub fn hidden_sheet(wb: &mut Workbook, pairs: &[(&str, &str)]) -> Result<(), WriteError> {
    let ws = wb.add_worksheet();
    ws.set_name("yardstick")?;
    for (i, (k, v)) in pairs.iter().enumerate() {
        ws.write_string(i as u32, 0, *k)?;
        ws.write_string(i as u32, 1, *v)?;
    }
    ws.set_very_hidden(true);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Column;
    use calamine::{Data, Reader, SheetVisible, Xlsx};

    fn open(bytes: Vec<u8>) -> Xlsx<std::io::Cursor<Vec<u8>>> {
        Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook calamine reads")
    }

    fn sample() -> Report {
        let table = |name: &str, rows: Vec<Vec<Value>>| Table {
            name: name.into(),
            caption: format!("{name}类（{}个）", rows.len()),
            columns: vec![Column::text("名次", 8.0), Column::text("单位", 16.0), Column::number("得分", 2, 9.0), Column::text("等次", 6.0), Column::integer("序号", 5.0)],
            rows,
            notes: vec!["得分相同的单位名次并列。".into()],
        };
        let row = |rank: &str, name: &str, score: &str, grade: &str, n: i64| vec![Value::text(rank), Value::text(name), Value::Number(score.into()), Value::text(grade), Value::Int(n)];
        Report {
            title: "2026年3月考核结果".into(),
            meta: vec![("期间".into(), "2026年3月".into()), ("版本".into(), "第 1 版".into())],
            blocks: vec![
                Block::Paragraph("经审核，现将结果通报如下。".into()),
                Block::Table(table("乡镇", vec![row("第1名", "城关镇", "98.50", "优秀", 1), row("并列第2名", "高村镇", "92.30", "良好", 2), row("并列第2名", "河西镇", "92.30", "良好", 3)])),
                Block::Table(table("部门", vec![row("第1名", "发改局", "100.00", "优秀", 1), vec![Value::text("第2名"), Value::text("财政局"), Value::text("—"), Value::Empty, Value::Int(2)]])),
            ],
            footer: vec!["测试考评办".into(), "2026-04-05".into()],
        }
    }

    #[test]
    fn each_table_is_a_sheet_with_title_header_and_exact_numbers() {
        let bytes = workbook(&sample(), &Style::default()).expect("written");
        assert_eq!(&bytes[..2], b"PK", "an .xlsx is a zip file");
        let mut x = open(bytes);
        assert_eq!(x.sheet_names(), ["乡镇", "部门"]);
        let r = x.worksheet_range("乡镇").expect("sheet");
        assert_eq!(r.get_value((0, 0)), Some(&Data::String("2026年3月考核结果".into())));
        assert_eq!(r.get_value((1, 0)), Some(&Data::String("期间：2026年3月".into())));
        assert_eq!(r.get_value((3, 0)), Some(&Data::String("经审核，现将结果通报如下。".into())));
        assert_eq!(r.get_value((4, 0)), Some(&Data::String("乡镇类（3个）".into())));
        let head: Vec<String> = (0..5).map(|c| r.get_value((5, c)).map(|d| d.to_string()).unwrap_or_default()).collect();
        assert_eq!(head, ["名次", "单位", "得分", "等次", "序号"]);
        assert_eq!(r.get_value((7, 0)), Some(&Data::String("并列第2名".into())));
        assert_eq!(r.get_value((6, 2)), Some(&Data::Float(98.5)));
        assert_eq!(r.get_value((7, 2)), Some(&Data::Float(92.3)));
        assert_eq!(r.get_value((8, 4)), Some(&Data::Float(3.0)));
        assert_eq!(r.get_value((9, 0)), Some(&Data::String("得分相同的单位名次并列。".into())));
        // The footer lines are on the last sheet only.
        assert!(r.rows().all(|row| !row.iter().any(|c| c.to_string() == "测试考评办")));
        let r = x.worksheet_range("部门").expect("sheet");
        assert_eq!(r.get_value((4, 0)), Some(&Data::String("名次".into())), "no paragraph before the second table");
        assert_eq!(r.get_value((5, 2)), Some(&Data::Float(100.0)));
        assert_eq!(r.get_value((6, 2)), Some(&Data::String("—".into())), "a dash stays text");
        assert!(r.rows().any(|row| row.iter().any(|c| c.to_string() == "测试考评办")));
    }

    #[test]
    fn the_sheet_carries_fonts_formats_freeze_and_print_setup() {
        let bytes = workbook(&sample(), &Style { body_font: "仿宋".into(), ..Style::default() }).expect("written");
        // Look inside the package: styles and the first sheet's XML.
        let mut zip = zip_text(&bytes);
        let styles = zip.remove("xl/styles.xml").expect("styles");
        assert!(styles.contains("仿宋") && styles.contains("黑体"), "the fonts are named");
        assert!(styles.contains("numFmtId=\"2\"") || styles.contains("formatCode=\"0.00\""), "scores keep two decimals: {styles}");
        let sheet = zip.remove("xl/worksheets/sheet1.xml").expect("sheet1");
        assert!(sheet.contains("<pane ySplit=\"6\""), "frozen below the header row: {sheet}");
        assert!(sheet.contains("paperSize=\"9\""), "A4");
        assert!(sheet.contains("fitToHeight=\"0\""), "one page wide");
        assert!(sheet.contains("第 &amp;P 页 共 &amp;N 页"), "page footer");
        assert!(sheet.contains("<mergeCell ref=\"A1:E1\"/>"), "the title is merged");
        let book = zip.remove("xl/workbook.xml").expect("workbook");
        assert!(book.contains("_xlnm.Print_Titles") && book.contains("$6:$6"), "the header row repeats: {book}");
    }

    fn zip_text(bytes: &[u8]) -> std::collections::HashMap<String, String> {
        // calamine re-exports no zip reader; read the stored entries through its own crate.
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut out = std::collections::HashMap::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).expect("entry");
            let mut s = String::new();
            if f.read_to_string(&mut s).is_ok() {
                out.insert(f.name().map(|n| n.to_string()).unwrap_or_default(), s);
            }
        }
        out
    }

    #[test]
    fn the_hidden_sheet_is_very_hidden_and_readable() {
        let r = Report { title: "数据".into(), blocks: vec![Block::Table(Table { name: "数据".into(), columns: vec![Column::text("单位编码(subject)", 10.0)], rows: vec![vec![Value::text("A1")]], ..Table::default() })], ..Report::default() };
        let bytes = workbook_with_hidden(&r, &Style::default(), &[("format", "yardstick-data-1"), ("kind", "raw_data"), ("period", "2026-03")]).expect("written");
        let mut x = open(bytes);
        let meta = x.sheets_metadata().to_vec();
        assert_eq!(meta.len(), 2);
        assert_eq!(meta[1].name, "yardstick");
        assert_eq!(meta[1].visible, SheetVisible::VeryHidden);
        let h = x.worksheet_range("yardstick").expect("hidden sheet");
        assert_eq!(h.get_value((1, 0)), Some(&Data::String("kind".into())));
        assert_eq!(h.get_value((1, 1)), Some(&Data::String("raw_data".into())));
        assert_eq!(h.get_value((2, 1)), Some(&Data::String("2026-03".into())), "a period is text, not a date");
    }

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        let mut used = Vec::new();
        assert_eq!(sheet_name("A/B:C", &mut used), "A_B_C");
        assert_eq!(sheet_name("a_b_c", &mut used), "a_b_c(2)");
        assert_eq!(sheet_name("", &mut used), "Sheet3");
        let long = "很长的类别名称".repeat(6);
        let n = sheet_name(&long, &mut used);
        assert_eq!(n.chars().count(), 31);
        assert_eq!(sheet_name(&long, &mut used).chars().count(), 31);
        assert_ne!(used[3], used[4]);
    }

    #[test]
    fn numbers_and_widths() {
        assert_eq!(decimal("92.35"), Some((92.35, 2)));
        assert_eq!(decimal("-0.5"), Some((-0.5, 1)));
        assert_eq!(decimal("—"), None);
        assert_eq!(decimal("1e3"), None);
        assert_eq!(decimal("12."), None);
        assert_eq!(decimal("1234567890123456"), None);
        assert_eq!(round_trips_as_number("95"), Some(95.0));
        assert_eq!(round_trips_as_number("0.1"), Some(0.1));
        assert_eq!(round_trips_as_number("1.20"), None);
        assert_eq!(round_trips_as_number("007"), None);
        assert_eq!(text_width("城关镇"), 6.0);
        assert_eq!(text_width("A1"), 2.0);
        assert_eq!(text_width("１２"), 4.0);
    }

    #[test]
    fn a_wide_table_prints_landscape_and_a_report_without_tables_has_one_sheet() {
        let cols: Vec<Column> = (0..12).map(|i| Column::number(format!("指标{i}"), 2, 10.0)).collect();
        let r = Report { title: "宽表".into(), blocks: vec![Block::Table(Table { name: "宽".into(), columns: cols, rows: vec![vec![Value::Number("1.00".into()); 12]], ..Table::default() })], ..Report::default() };
        let z = zip_text(&workbook(&r, &Style::default()).expect("written"));
        assert!(z["xl/worksheets/sheet1.xml"].contains("orientation=\"landscape\""));
        let r = Report { title: "说明".into(), blocks: vec![Block::Heading("一、总体".into()), Block::Paragraph("无表格。".into())], ..Report::default() };
        let mut x = open(workbook(&r, &Style::default()).expect("written"));
        assert_eq!(x.sheet_names(), ["说明"]);
        let s = x.worksheet_range("说明").expect("sheet");
        assert_eq!(s.get_value((2, 0)), Some(&Data::String("无表格。".into())));
    }
}
