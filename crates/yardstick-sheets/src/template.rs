//! Fill-in templates (填报模板): the workbook the office hands a unit, or a responsible
//! department, to fill for a period, in the long form of `docs/workbooks.md` so that the
//! filled file imports back as that filler's submission.
//!
//! Pure: a [`Template`] (plain data, gathered by the server) in, `.xlsx` bytes out.
//!
//! The layout, sheet `填报` (the same name in both languages; the importer also accepts
//! `数据`, `data`, `entry`):
//!
//! - row 1: the title, e.g. "2026年4月 城关镇 考核数据填报表";
//! - the particulars, one per row ("考核方案：…", "考核期间：…", "填报单位：…", "截止时间：…");
//! - the instructions, one per row;
//! - a blank row, then the header row: `中文名(key)` for every column —
//!   (department template: `单位编码(subject)`, `单位名称(subject_name)`), `指标编码(indicator)`,
//!   `指标名称(indicator_name)`, `计量单位(measure)`, `上年同期(last_year)`, then one column per
//!   field read by the indicators listed (standard fields first, in the order of
//!   [`STANDARD_FIELDS`], then formula inputs and ballot fields by their key, as first met);
//! - one row per indicator (department template: per unit × indicator, grouped by
//!   indicator, units in the order given).
//!
//! Cells the filler may write are white and unlocked, with data validation; every other
//! cell is grey and locked (a field the indicator's method does not read is a darker grey
//! and empty), and the sheet is protected without a password — a guide, since the importer
//! checks everything again. Current values are prefilled so that importing the file
//! unchanged changes nothing: a value is written as a number cell only when that number
//! reads back as exactly the same text (plain decimal, at most 15 significant digits),
//! otherwise as the text itself.
//!
//! A very hidden sheet `yardstick` says what the file is: column A keys, column B values —
//! `format` = [`FORMAT`], `kind` = `unit_template` | `department_template`, `plan`,
//! `period`, and `unit` (unit template) or `source` (department template).

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign, FormatBorder, ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use yardstick_formats::Lang;

/// The data sheet's name.
pub const SHEET: &str = "填报";
/// The very hidden sheet that says what the workbook is.
pub const META_SHEET: &str = "yardstick";
/// The value of `format` on the hidden sheet.
pub const FORMAT: &str = "yardstick-data-1";
/// Field columns come in this order; other fields (formula inputs, ballot fields) follow.
pub const STANDARD_FIELDS: [&str; 8] = ["actual", "target", "growth", "target_growth", "value", "count", "level", "grade"];
/// The font of every cell: a CJK font every Chinese Windows and WPS has.
pub const FONT: &str = "宋体";

/// Who fills the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filler {
    /// A unit fills the indicators it supplies itself.
    Unit { key: String, name: String },
    /// A responsible department (考评责任部门) fills the indicators it is the source of, for
    /// every unit they apply to.
    Department { source: String },
}

/// Everything a template shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub lang: Lang,
    pub filler: Filler,
    pub plan_key: String,
    pub plan_name: String,
    /// The period's key, `2026-04`.
    pub period: String,
    /// As people read it, `2026年4月` / `Apr 2026`.
    pub period_label: String,
    /// The deadline as shown, e.g. `2026-05-05 18:00` (Beijing time).
    pub deadline: Option<String>,
    /// Why nothing can be filled now (the period is closed, the data submitted); the
    /// cells are then all locked. `None` while the filler may write.
    pub read_only: Option<String>,
    pub rows: Vec<Row>,
}

/// One indicator (of one unit, in a department template).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Department templates: the unit's key and name.
    pub subject: Option<(String, String)>,
    pub indicator: String,
    pub indicator_name: String,
    /// The unit of measure (计量单位), "" when none.
    pub measure: String,
    /// Last year's value of the same period, exactly as stored ("" when none).
    pub last_year: String,
    /// The fields the indicator's method reads, in the method's order.
    pub fields: Vec<Field>,
}

/// One field of a row.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub key: String,
    pub kind: FieldKind,
    /// The value stored now, exactly as stored ("" when none).
    pub value: String,
    /// Whether the filler may write it; if not, it is shown locked and grey.
    pub writable: bool,
}

/// What a field holds, for its data validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A decimal number (a percent typed as `9%` is the number 0.09, as the loader reads `9%`).
    Number,
    /// A whole number ≥ 0: an occurrence count or a number of ballots.
    Count,
    /// One of these labels: a level (定性等级) or a grade (等次).
    Choice(Vec<String>),
}

/// The Chinese name of a standard field or informational column, as the header shows it.
pub fn column_name_zh(key: &str) -> Option<&'static str> {
    Some(match key {
        "subject" => "单位编码",
        "subject_name" => "单位名称",
        "indicator" => "指标编码",
        "indicator_name" => "指标名称",
        "measure" => "计量单位",
        "last_year" => "上年同期",
        "actual" => "实际值",
        "target" => "目标值",
        "growth" => "增速",
        "target_growth" => "目标增速",
        "value" => "数值",
        "count" => "次数",
        "level" => "等级",
        "grade" => "等次",
        _ => return None,
    })
}

/// A header cell: `中文名(key)`, or the bare key for a field without a Chinese name
/// (formula inputs, ballot fields).
pub fn header(key: &str) -> String {
    match column_name_zh(key) {
        Some(zh) => format!("{zh}({key})"),
        None => key.to_string(),
    }
}

/// The field columns of a template, in order: the standard fields used, then the others as
/// first met.
pub fn field_columns(t: &Template) -> Vec<String> {
    let mut used: Vec<&str> = Vec::new();
    for r in &t.rows {
        for f in &r.fields {
            if !used.contains(&f.key.as_str()) {
                used.push(&f.key);
            }
        }
    }
    let mut out: Vec<String> = STANDARD_FIELDS.iter().filter(|s| used.contains(s)).map(|s| s.to_string()).collect();
    out.extend(used.iter().filter(|k| !STANDARD_FIELDS.contains(k)).map(|k| k.to_string()));
    out
}

/// All columns' keys, in order (informational columns, then fields).
pub fn columns(t: &Template) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if matches!(t.filler, Filler::Department { .. }) {
        out.extend(["subject".to_string(), "subject_name".to_string()]);
    }
    out.extend(["indicator", "indicator_name", "measure", "last_year"].map(String::from));
    out.extend(field_columns(t));
    out
}

/// The 0-based row of the header in the data sheet.
pub fn header_row(t: &Template) -> u32 {
    // Title, particulars, instructions, one blank row.
    (1 + particulars(t).len() + instructions(t).len() + 1) as u32
}

/// What the hidden sheet says, in order.
pub fn meta(t: &Template) -> Vec<(&'static str, String)> {
    let (kind, who_key, who) = match &t.filler {
        Filler::Unit { key, .. } => ("unit_template", "unit", key.clone()),
        Filler::Department { source } => ("department_template", "source", source.clone()),
    };
    vec![("format", FORMAT.to_string()), ("kind", kind.to_string()), ("plan", t.plan_key.clone()), ("period", t.period.clone()), (who_key, who)]
}

/// The file name offered for download, e.g. `2026年4月 城关镇 填报模板.xlsx`.
pub fn file_name(t: &Template) -> String {
    let who = match &t.filler {
        Filler::Unit { name, .. } => name.as_str(),
        Filler::Department { source } => source.as_str(),
    };
    let clean: String = who.chars().map(|c| if "\\/:*?\"<>|".contains(c) || c.is_control() { '_' } else { c }).collect();
    format!("{} {} {}.xlsx", t.period_label, clean, t.lang.pick("填报模板", "data entry template"))
}

fn title(t: &Template) -> String {
    let who = match &t.filler {
        Filler::Unit { name, .. } => name,
        Filler::Department { source } => source,
    };
    match t.lang {
        Lang::Zh => format!("{} {} 考核数据填报表", t.period_label, who),
        Lang::En => format!("{} · {} · appraisal data entry form", t.period_label, who),
    }
}

/// "name（key）" in Chinese, "name (key)" in English.
fn paren(lang: Lang, a: &str, b: &str) -> String {
    match lang {
        Lang::Zh => format!("{a}（{b}）"),
        Lang::En => format!("{a} ({b})"),
    }
}

fn particulars(t: &Template) -> Vec<String> {
    let l = t.lang;
    let sep = l.pick("：", ": ");
    let mut out = vec![
        format!("{}{sep}{}", l.pick("考核方案", "Plan"), paren(l, &t.plan_name, &t.plan_key)),
        format!("{}{sep}{}", l.pick("考核期间", "Period"), paren(l, &t.period_label, &t.period)),
    ];
    out.push(match &t.filler {
        Filler::Unit { key, name } => format!("{}{sep}{}", l.pick("填报单位", "Unit"), paren(l, name, key)),
        Filler::Department { source } => format!("{}{sep}{source}", l.pick("责任部门", "Responsible department")),
    });
    if let Some(d) = &t.deadline {
        out.push(format!("{}{sep}{d}{}", l.pick("截止时间", "Deadline"), l.pick("（北京时间）", " (Beijing time)")));
    }
    out
}

fn instructions(t: &Template) -> Vec<String> {
    let l = t.lang;
    let mut out = Vec::new();
    if let Some(why) = &t.read_only {
        out.push(format!("{}{why}", l.pick("本表仅供查看：", "For reference only: ")));
    }
    out.push(
        l.pick(
            "说明：白色单元格由本表填报方填写，灰色单元格不能修改；留空表示不填（不会删除已有数据），已有数据已预先填入。",
            "White cells are yours to fill; grey cells cannot be changed. A blank cell means \"not given\" (it never deletes a stored value); values already stored are filled in.",
        )
        .to_string(),
    );
    out.push(
        l.pick(
            "数值直接填写数字（如 1234.5，百分数可写 9%）；等级、等次从下拉列表中选择；票数填写不小于 0 的整数。",
            "Type numbers as numbers (1234.5; a percent as 9%); choose levels and grades from the list; ballots are whole numbers of at least 0.",
        )
        .to_string(),
    );
    out.push(
        l.pick(
            "请勿增删行列、修改表头或工作表名称。填好后在系统中导入本表：逐项检查，有一处错误则全部不保存。",
            "Do not add or remove rows or columns, or change the headers or sheet names. Import the filled workbook in Yardstick: every cell is checked, and nothing is saved unless all are right.",
        )
        .to_string(),
    );
    out
}

/// Whether stored text can be written as a number cell that reads back as the same text:
/// the shortest representation of the parsed `f64` is the text itself, with at most 15
/// significant digits (what Excel keeps).
pub fn exact_number(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    if !f.is_finite() || format!("{f}") != s || s == "-0" {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    (significant <= 15).then_some(f)
}

/// Display width in Latin characters (a CJK character counts two).
fn width_of(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) < 0x1100 { 1 } else { 2 }).sum()
}

struct Formats {
    title: Format,
    info: Format,
    note: Format,
    warn: Format,
    header: Format,
    locked_text: Format,
    locked_number: Format,
    absent: Format,
    input: Format,
}

impl Formats {
    fn new() -> Formats {
        let base = Format::new().set_font_name(FONT).set_font_charset(134).set_font_size(11);
        let cell = base.clone().set_border(FormatBorder::Thin).set_border_color(Color::RGB(0xBFBFBF));
        let grey = cell.clone().set_background_color(Color::RGB(0xF2F2F2)).set_locked();
        Formats {
            title: base.clone().set_bold().set_font_size(16),
            info: base.clone(),
            note: base.clone().set_font_size(10).set_font_color(Color::RGB(0x595959)),
            warn: base.clone().set_bold().set_font_color(Color::RGB(0xC00000)),
            header: cell.clone().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter).set_text_wrap().set_locked(),
            locked_text: grey.clone(),
            locked_number: grey.clone().set_align(FormatAlign::Right),
            absent: cell.clone().set_background_color(Color::RGB(0xD9D9D9)).set_locked(),
            input: cell.set_background_color(Color::White).set_unlocked(),
        }
    }
}

/// Writes stored text: a number cell when it reads back as the same text, else the text.
fn write_value(ws: &mut Worksheet, row: u32, col: u16, text: &str, number_ok: bool, text_fmt: &Format, number_fmt: &Format) -> Result<(), XlsxError> {
    if text.is_empty() {
        ws.write_blank(row, col, text_fmt)?;
    } else if let Some(f) = exact_number(text).filter(|_| number_ok) {
        ws.write_number_with_format(row, col, f, number_fmt)?;
    } else {
        ws.write_string_with_format(row, col, text, text_fmt)?;
    }
    Ok(())
}

/// The validation of a writable cell, by field kind; `None` when Excel cannot express it
/// (a list of choices longer than Excel's 255 characters, or with a comma in a label).
fn validation(kind: &FieldKind, lang: Lang) -> Result<Option<DataValidation>, XlsxError> {
    let l = lang;
    let dv = match kind {
        FieldKind::Number => DataValidation::new()
            .allow_decimal_number(DataValidationRule::Between(-1e15, 1e15))
            .set_input_title(l.pick("填写数值", "A number"))?
            .set_input_message(l.pick("填写数字，如 1234.5；百分数可写 9%。留空表示不填。", "Type a number, e.g. 1234.5 (a percent as 9%). Leave blank if not given."))?
            .set_error_title(l.pick("应填写数字", "A number is expected"))?
            .set_error_message(l.pick("此处只能填写数字。", "Only a number can go here."))?,
        FieldKind::Count => DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_input_title(l.pick("填写整数", "A whole number"))?
            .set_input_message(l.pick("填写不小于 0 的整数。留空表示不填。", "A whole number of at least 0. Leave blank if not given."))?
            .set_error_title(l.pick("应填写整数", "A whole number is expected"))?
            .set_error_message(l.pick("此处只能填写不小于 0 的整数。", "Only a whole number of at least 0 can go here."))?,
        FieldKind::Choice(labels) => {
            let joined: usize = labels.iter().map(|s| s.encode_utf16().count() + 1).sum();
            if labels.is_empty() || joined > 255 || labels.iter().any(|s| s.contains(',') || s.contains('"')) {
                return Ok(None);
            }
            DataValidation::new()
                .allow_list_strings(labels.as_slice())?
                .set_input_title(l.pick("从列表中选择", "Choose from the list"))?
                .set_input_message(format!("{}{}", l.pick("可选：", "One of: "), labels.join(l.pick("、", ", "))).chars().take(250).collect::<String>())?
                .set_error_title(l.pick("不是可选值", "Not one of the choices"))?
                .set_error_message(format!("{}{}", l.pick("请从列表中选择：", "Choose one of: "), labels.join(l.pick("、", ", "))).chars().take(250).collect::<String>())?
        }
    };
    Ok(Some(dv.set_error_style(DataValidationErrorStyle::Stop)))
}

/// Builds the workbook.
pub fn build(t: &Template) -> Result<Vec<u8>, XlsxError> {
    let fx = Formats::new();
    let cols = columns(t);
    let fields = field_columns(t);
    let first_field = (cols.len() - fields.len()) as u16;
    let dept = matches!(t.filler, Filler::Department { .. });
    let h = header_row(t);
    let writable_anywhere = t.read_only.is_none();

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;

    // Title, particulars, instructions.
    ws.write_string_with_format(0, 0, title(t), &fx.title)?;
    ws.set_row_height(0, 24)?;
    let mut r = 1u32;
    for p in particulars(t) {
        ws.write_string_with_format(r, 0, p, &fx.info)?;
        r += 1;
    }
    for (i, n) in instructions(t).into_iter().enumerate() {
        let warn = i == 0 && t.read_only.is_some();
        ws.write_string_with_format(r, 0, n, if warn { &fx.warn } else { &fx.note })?;
        r += 1;
    }

    // The header.
    for (c, key) in cols.iter().enumerate() {
        ws.write_string_with_format(h, c as u16, header(key), &fx.header)?;
    }
    ws.set_row_height(h, 30)?;

    // The rows; widths follow the content.
    let mut widths: Vec<usize> = cols.iter().map(|k| width_of(&header(k)).min(24)).collect();
    let mut grow = |c: usize, s: &str| widths[c] = widths[c].max(width_of(s));
    // Writable cells per (column, kind), as row lists for the validations.
    let mut writable: Vec<(u16, FieldKind, Vec<u32>)> = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        let rr = h + 1 + i as u32;
        let mut c = 0u16;
        if dept {
            let (key, name) = row.subject.clone().unwrap_or_default();
            ws.write_string_with_format(rr, 0, &key, &fx.locked_text)?;
            ws.write_string_with_format(rr, 1, &name, &fx.locked_text)?;
            grow(0, &key);
            grow(1, &name);
            c = 2;
        }
        for text in [&row.indicator, &row.indicator_name, &row.measure] {
            ws.write_string_with_format(rr, c, text, &fx.locked_text)?;
            grow(c as usize, text);
            c += 1;
        }
        write_value(ws, rr, c, &row.last_year, true, &fx.locked_text, &fx.locked_number)?;
        grow(c as usize, &row.last_year);
        for (j, key) in fields.iter().enumerate() {
            let col = first_field + j as u16;
            match row.fields.iter().find(|f| &f.key == key) {
                None => {
                    ws.write_blank(rr, col, &fx.absent)?;
                }
                Some(f) => {
                    let numeric = !matches!(f.kind, FieldKind::Choice(_));
                    if f.writable && writable_anywhere {
                        write_value(ws, rr, col, &f.value, numeric, &fx.input, &fx.input)?;
                        match writable.iter_mut().find(|(c, k, _)| *c == col && *k == f.kind) {
                            Some(w) => w.2.push(rr),
                            None => writable.push((col, f.kind.clone(), vec![rr])),
                        }
                    } else {
                        write_value(ws, rr, col, &f.value, numeric, &fx.locked_text, &fx.locked_number)?;
                    }
                    grow(col as usize, &f.value);
                }
            }
        }
    }

    // Data validation over runs of consecutive writable rows, one per column and kind
    // (split so that no range list grows past what Excel reads comfortably).
    for (col, kind, rows) in &writable {
        let Some(dv) = validation(kind, t.lang)? else { continue };
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for &r in rows {
            match runs.last_mut() {
                Some(last) if last.1 + 1 == r => last.1 = r,
                _ => runs.push((r, r)),
            }
        }
        for chunk in runs.chunks(200) {
            let ranges: Vec<String> = chunk.iter().map(|&(a, b)| rust_xlsxwriter::utility::cell_range(a, *col, b, *col)).collect();
            let dv = if chunk.len() > 1 { dv.clone().set_multi_range(ranges.join(" ")) } else { dv.clone() };
            ws.add_data_validation(chunk[0].0, *col, chunk[0].1, *col, &dv)?;
        }
    }

    // Widths, frozen header, filter, print setup, protection.
    for (c, w) in widths.iter().enumerate() {
        let w = (*w + 2).clamp(8, if c < first_field as usize { 40 } else { 18 });
        ws.set_column_width(c as u16, w as f64)?;
    }
    ws.set_freeze_panes(h + 1, 0)?;
    if !t.rows.is_empty() {
        ws.autofilter(h, 0, h + t.rows.len() as u32, (cols.len() - 1) as u16)?;
    }
    ws.set_paper_size(9); // A4
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(h, h)?;
    ws.set_print_center_horizontally(true);
    ws.set_footer(t.lang.pick("&C第 &P 页，共 &N 页", "&CPage &P of &N"));
    ws.protect_with_options(&ProtectionOptions { format_columns: true, format_rows: true, use_autofilter: true, ..ProtectionOptions::new() });
    ws.set_active(true);

    // What the file is.
    let meta_ws = wb.add_worksheet();
    meta_ws.set_name(META_SHEET)?;
    for (i, (k, v)) in meta(t).into_iter().enumerate() {
        meta_ws.write_string(i as u32, 0, k)?;
        meta_ws.write_string(i as u32, 1, v)?;
    }
    meta_ws.set_very_hidden(true);

    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use calamine::{Data, Reader, SheetVisible, Xlsx};

    use super::*;

    fn num(key: &str, value: &str, writable: bool) -> Field {
        Field { key: key.into(), kind: FieldKind::Number, value: value.into(), writable }
    }

    fn unit_template() -> Template {
        Template {
            lang: Lang::Zh,
            filler: Filler::Unit { key: "A1".into(), name: "城关镇".into() },
            plan_key: "p2026".into(),
            plan_name: "2026年度测试方案".into(),
            period: "2026-04".into(),
            period_label: "2026年4月".into(),
            deadline: Some("2026-05-05 18:00".into()),
            read_only: None,
            rows: vec![
                Row {
                    subject: None,
                    indicator: "GDP".into(),
                    indicator_name: "地区生产总值".into(),
                    measure: "亿元".into(),
                    last_year: "88.5".into(),
                    fields: vec![num("actual", "1,150.5", true), num("target", "100", false)],
                },
                Row {
                    subject: None,
                    indicator: "PARTY".into(),
                    indicator_name: "党建工作".into(),
                    measure: String::new(),
                    last_year: "好".into(),
                    fields: vec![Field { key: "level".into(), kind: FieldKind::Choice(vec!["好".into(), "较好".into(), "一般".into()]), value: String::new(), writable: true }],
                },
                Row {
                    subject: None,
                    indicator: "SURVEY".into(),
                    indicator_name: "群众满意度".into(),
                    measure: "票".into(),
                    last_year: String::new(),
                    fields: vec![
                        Field { key: "masses.good".into(), kind: FieldKind::Count, value: "12".into(), writable: true },
                        Field { key: "masses.bad".into(), kind: FieldKind::Count, value: String::new(), writable: true },
                    ],
                },
                Row {
                    subject: None,
                    indicator: "INVEST".into(),
                    indicator_name: "固定资产投资".into(),
                    measure: "亿元".into(),
                    last_year: String::new(),
                    fields: vec![num("actual", "0.1", true), num("target", "", true), num("growth", "9%", true), num("target_growth", "8%", true)],
                },
            ],
        }
    }

    fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
        Xlsx::new(Cursor::new(bytes.to_vec())).expect("a workbook calamine reads")
    }

    fn cell(range: &calamine::Range<Data>, r: u32, c: u32) -> Data {
        range.get_value((r, c)).cloned().unwrap_or(Data::Empty)
    }

    /// A file inside the zip, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut f = z.by_name(name).unwrap_or_else(|_| panic!("{name} in the zip"));
        let mut s = String::new();
        f.read_to_string(&mut s).expect("utf-8");
        s
    }

    /// Whether a cell (`"F9"`) is locked: its style's `<xf>` in `cellXfs` has no `locked="0"`.
    fn locked(bytes: &[u8], cell_ref: &str) -> bool {
        let sheet = part(bytes, "xl/worksheets/sheet1.xml");
        let at = sheet.find(&format!("<c r=\"{cell_ref}\"")).unwrap_or_else(|| panic!("{cell_ref} is written"));
        let tag = &sheet[at..at + sheet[at..].find('>').expect("tag end")];
        let style: usize = tag.split(" s=\"").nth(1).map_or(0, |s| s[..s.find('"').expect("quote")].parse().expect("style index"));
        let styles = part(bytes, "xl/styles.xml");
        let xfs = &styles[styles.find("<cellXfs").expect("cellXfs")..styles.find("</cellXfs>").expect("cellXfs end")];
        let xf: Vec<&str> = xfs.split("<xf ").skip(1).collect();
        !xf[style].split("</xf>").next().unwrap_or("").contains("locked=\"0\"")
    }

    #[test]
    fn a_unit_template_has_the_layout_of_the_spec() {
        let t = unit_template();
        let bytes = build(&t).expect("builds");
        let mut wb = open(&bytes);
        let sheets: Vec<(String, SheetVisible)> = wb.sheets_metadata().iter().map(|s| (s.name.clone(), s.visible)).collect();
        assert_eq!(sheets, vec![("填报".to_string(), SheetVisible::Visible), ("yardstick".to_string(), SheetVisible::VeryHidden)]);

        let meta = wb.worksheet_range("yardstick").expect("meta sheet");
        let pairs: Vec<(String, String)> = meta.rows().map(|r| (r[0].to_string(), r[1].to_string())).collect();
        let expect: Vec<(String, String)> =
            [("format", "yardstick-data-1"), ("kind", "unit_template"), ("plan", "p2026"), ("period", "2026-04"), ("unit", "A1")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(pairs, expect);

        let s = wb.worksheet_range("填报").expect("data sheet");
        assert_eq!(cell(&s, 0, 0).to_string(), "2026年4月 城关镇 考核数据填报表");
        assert_eq!(cell(&s, 1, 0).to_string(), "考核方案：2026年度测试方案（p2026）");
        assert_eq!(cell(&s, 2, 0).to_string(), "考核期间：2026年4月（2026-04）");
        assert_eq!(cell(&s, 3, 0).to_string(), "填报单位：城关镇（A1）");
        assert_eq!(cell(&s, 4, 0).to_string(), "截止时间：2026-05-05 18:00（北京时间）");
        let h = header_row(&t);
        assert_eq!(h, 9);
        let headers: Vec<String> = (0..12).map(|c| cell(&s, h, c).to_string()).collect();
        assert_eq!(
            headers,
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
                "masses.good",
                "masses.bad",
                ""
            ]
        );
        // Nothing between the instructions and the header looks like a header.
        assert!((1..h).all(|r| !cell(&s, r, 0).to_string().contains("(indicator)")));

        // Prefilled values: numbers when they read back as the same text, else the text.
        let gdp = h + 1;
        assert_eq!(cell(&s, gdp, 0), Data::String("GDP".into()));
        assert_eq!(cell(&s, gdp, 3), Data::Float(88.5));
        assert_eq!(cell(&s, gdp, 4), Data::String("1,150.5".into()));
        assert_eq!(cell(&s, gdp, 5), Data::Float(100.0));
        assert_eq!(cell(&s, gdp + 1, 3), Data::String("好".into()));
        assert_eq!(cell(&s, gdp + 2, 9), Data::Float(12.0));
        assert_eq!(cell(&s, gdp + 3, 4), Data::Float(0.1));
        assert_eq!(cell(&s, gdp + 3, 6), Data::String("9%".into()));
        assert_eq!(s.rows().count() as u32, gdp + 4, "one row per indicator, nothing after");

        // Locked: keys, names, last year, a target the unit does not supply, fields the
        // method does not read; unlocked: what the unit fills.
        for (r, c, want) in [
            (gdp, "A", true),
            (gdp, "D", true),
            (gdp, "E", false),
            (gdp, "F", true),
            (gdp, "G", true),
            (gdp + 1, "I", false),
            (gdp + 1, "E", true),
            (gdp + 2, "J", false),
            (gdp + 2, "K", false),
            (gdp + 3, "F", false),
        ] {
            let at = format!("{c}{}", r + 1);
            assert_eq!(locked(&bytes, &at), want, "{at} locked?");
        }
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<sheetProtection"), "the sheet is protected");
        assert!(!sheet.contains("password="), "without a password");
        assert!(sheet.contains("<pane ") && sheet.contains("state=\"frozen\""), "the header is frozen");
        assert!(sheet.contains("orientation=\"landscape\"") && sheet.contains("paperSize=\"9\"") && sheet.contains("fitToHeight=\"0\""), "A4 landscape, fit to width: {sheet}");
        // Validations: decimals with an input message, the list of levels, whole numbers ≥ 0.
        assert!(sheet.contains("type=\"decimal\"") && sheet.contains("promptTitle=\"填写数值\""));
        assert!(sheet.contains("type=\"list\"") && sheet.contains("<formula1>\"好,较好,一般\"</formula1>"));
        assert!(sheet.contains("type=\"whole\" operator=\"greaterThanOrEqual\""));
        assert!(sheet.contains("sqref=\"J13:K13\"") || sheet.contains("sqref=\"J13\""), "ballot cells validated: {sheet}");
        let workbook = part(&bytes, "xl/workbook.xml");
        assert!(workbook.contains("state=\"veryHidden\""));
        assert!(workbook.contains("_xlnm.Print_Titles") && workbook.contains("$10:$10"), "the header row repeats on every page");
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("<name val=\"宋体\"/>"), "a CJK font");
    }

    #[test]
    fn a_department_template_lists_every_unit_and_locks_submitted_rows() {
        let mut t = unit_template();
        t.filler = Filler::Department { source: "统计局".into() };
        t.deadline = None;
        t.rows = ["A1", "A2", "B1"]
            .iter()
            .enumerate()
            .map(|(i, u)| Row {
                subject: Some((u.to_string(), format!("单位{u}"))),
                indicator: "GDP".into(),
                indicator_name: "地区生产总值".into(),
                measure: "亿元".into(),
                last_year: String::new(),
                fields: vec![num("actual", &format!("{}", 90 + i), i != 1), num("target", "100", false)],
            })
            .collect();
        let bytes = build(&t).expect("builds");
        let mut wb = open(&bytes);
        let meta = wb.worksheet_range("yardstick").expect("meta sheet");
        assert_eq!(cell(&meta, 1, 1).to_string(), "department_template");
        assert_eq!((cell(&meta, 4, 0).to_string(), cell(&meta, 4, 1).to_string()), ("source".into(), "统计局".into()));
        let s = wb.worksheet_range("填报").expect("data sheet");
        assert_eq!(cell(&s, 3, 0).to_string(), "责任部门：统计局");
        let h = header_row(&t);
        assert_eq!(h, 8, "no deadline row");
        let headers: Vec<String> = (0..8).map(|c| cell(&s, h, c).to_string()).collect();
        assert_eq!(headers, ["单位编码(subject)", "单位名称(subject_name)", "指标编码(indicator)", "指标名称(indicator_name)", "计量单位(measure)", "上年同期(last_year)", "实际值(actual)", "目标值(target)"]);
        let units: Vec<String> = (1..=3).map(|i| cell(&s, h + i, 0).to_string()).collect();
        assert_eq!(units, ["A1", "A2", "B1"]);
        assert_eq!(cell(&s, h + 2, 6), Data::Float(91.0));
        let first = h + 2; // 1-based row of A1
        assert!(!locked(&bytes, &format!("G{first}")));
        assert!(locked(&bytes, &format!("G{}", first + 1)), "A2's row is locked");
        assert!(!locked(&bytes, &format!("G{}", first + 2)));
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains(&format!("sqref=\"G{first} G{}\"", first + 2)), "one validation over two runs: {sheet}");
    }

    #[test]
    fn a_read_only_template_locks_everything_and_says_why() {
        let mut t = unit_template();
        t.lang = Lang::En;
        t.read_only = Some("the data of this month has been submitted.".into());
        let bytes = build(&t).expect("builds");
        let mut wb = open(&bytes);
        let s = wb.worksheet_range("填报").expect("the sheet keeps its name in English");
        assert_eq!(cell(&s, 0, 0).to_string(), "2026年4月 · 城关镇 · appraisal data entry form");
        assert_eq!(cell(&s, 5, 0).to_string(), "For reference only: the data of this month has been submitted.");
        let h = header_row(&t);
        assert_eq!(cell(&s, h, 4).to_string(), "实际值(actual)", "headers are 中文名(key) in both languages");
        for c in ["E", "I", "J", "K"] {
            for r in h + 2..h + 6 {
                let at = format!("{c}{r}");
                if part(&bytes, "xl/worksheets/sheet1.xml").contains(&format!("<c r=\"{at}\"")) {
                    assert!(locked(&bytes, &at), "{at} locked");
                }
            }
        }
        assert!(!part(&bytes, "xl/worksheets/sheet1.xml").contains("<dataValidation "), "nothing to validate");
    }

    #[test]
    fn numbers_are_written_as_numbers_only_when_they_read_back_the_same() {
        for (s, ok) in [
            ("100", true),
            ("0.1", true),
            ("-12.5", true),
            ("123456789012345", true),
            ("1234567890123456", false),
            ("100.0", false),
            ("1,200", false),
            ("9%", false),
            (".5", false),
            ("+7", false),
            ("1e5", false),
            ("１２３", false),
            ("-0", false),
            ("NaN", false),
            ("inf", false),
        ] {
            assert_eq!(exact_number(s).is_some(), ok, "{s}");
        }
        assert_eq!(header("actual"), "实际值(actual)");
        assert_eq!(header("a.b"), "a.b");
    }

    #[test]
    fn an_empty_template_still_has_its_header_and_a_file_name() {
        let mut t = unit_template();
        t.rows.clear();
        let bytes = build(&t).expect("builds");
        let mut wb = open(&bytes);
        let s = wb.worksheet_range("填报").expect("data sheet");
        assert_eq!(cell(&s, header_row(&t), 0).to_string(), "指标编码(indicator)");
        assert_eq!(file_name(&t), "2026年4月 城关镇 填报模板.xlsx");
        t.filler = Filler::Department { source: "a/b".into() };
        assert_eq!(file_name(&t), "2026年4月 a_b 填报模板.xlsx");
    }
}
