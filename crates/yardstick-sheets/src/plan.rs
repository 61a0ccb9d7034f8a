//! The plan (考核方案) as a workbook, both ways, without IO.
//!
//! [`plan_to_xlsx`] turns a plan's TOML text into a workbook the office can read and edit:
//! `方案` (the `[plan]` table as field/value rows), `系列`, `等次` (one row per grade), `类别`,
//! `考核对象` (only when the plan lists its own subjects), `模块`, `指标` (one row per
//! indicator: the common fields, one column per method parameter the plan uses, anything
//! structured as inline TOML in `其他参数(extra)`), `权重` (indicator × category, when an
//! indicator has per-category weights) and `其他(TOML)`, the rest of the plan (coefficients,
//! aggregation, versions, monitoring…) as TOML lines, verbatim.
//!
//! [`plan_from_book`] reads such a workbook back: every cell is checked first (a required
//! cell empty, a number that is not one, an unknown column, a missing sheet), then the TOML
//! text is generated — the same workbook always gives the same text — and checked by
//! `yardstick_formats::plan::load_plan`; every problem is reported at the sheet, row and
//! column it came from, in both languages. The layout is documented in `docs/workbooks.md`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use rust_xlsxwriter::{Color, DataValidation, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use toml::Value;
use yardstick_formats::numtext::parse_number;
use yardstick_formats::plan::{SubjectsSource, load_plan};
use yardstick_formats::{Lang, Msg, Place, Problem};

use crate::read::{Book, Cell, Col, Sheet, Table, header_key, parse_month};

// ---------------------------------------------------------------------------
// The layout.

/// How a column's cells are read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    /// Text.
    Str,
    /// A number: a numeric cell is a TOML integer or float, a text cell (`30%`, `1,234`) a
    /// TOML string read by the plan loader's number rules.
    Num,
    /// A whole number ≥ 0.
    Int,
    Bool,
    /// A month, `2026-06` (a date cell or `2026年6月` is understood).
    Month,
    /// Names separated by commas (`,` `，` `、` `;`).
    List,
    /// Inline TOML, `field = value` lines: whatever does not fit a cell.
    Extra,
    /// Shown for reading, ignored when read.
    Info,
}

struct ColDef {
    key: &'static str,
    /// Chinese, English.
    names: &'static [&'static str; 2],
    ty: Ty,
}

const fn c(key: &'static str, names: &'static [&'static str; 2], ty: Ty) -> ColDef {
    ColDef { key, names, ty }
}

const EXTRA: ColDef = c("extra", &["其他参数", "Other parameters"], Ty::Extra);

const PLAN_FIELDS: &[ColDef] = &[
    c("key", &["方案编码", "Plan key"], Ty::Str),
    c("name", &["方案名称", "Plan name"], Ty::Str),
    c("year", &["年度", "Year"], Ty::Int),
    c("office", &["考核办", "Office"], Ty::Str),
    c("subjects", &["单位文件", "Subjects file"], Ty::Str),
];
const PLAN_COLS: &[ColDef] = &[c("field", &["项目", "Field"], Ty::Str), c("value", &["值", "Value"], Ty::Str)];

const SERIES_COLS: &[ColDef] = &[c("key", &["系列编码", "Series key"], Ty::Str), c("name", &["系列名称", "Series name"], Ty::Str)];

/// Grade-set fields (on every row of the set) and grade fields (one grade a row).
const GRADE_COLS: &[ColDef] = &[
    c("key", &["等次组编码", "Grade set"], Ty::Str),
    c("name", &["等次组名称", "Grade set name"], Ty::Str),
    c("grade", &["等次", "Grade"], Ty::Str),
    c("quota", &["累计名额比例", "Cumulative quota"], Ty::Num),
    c("min_score", &["最低分", "Minimum score"], Ty::Num),
    c("veto_grade", &["否决等次", "Veto grade"], Ty::Str),
    c("rounding", &["名额取整", "Quota rounding"], Ty::Str),
    c("tie_break_by_extra", &["按额外分排序", "Tie-break by extra points"], Ty::Bool),
];
const SET_FIELDS: &[&str] = &["key", "name", "veto_grade", "rounding", "tie_break_by_extra"];

const CATEGORY_COLS: &[ColDef] = &[
    c("key", &["类别编码", "Category key"], Ty::Str),
    c("name", &["类别名称", "Category name"], Ty::Str),
    c("series", &["系列", "Series"], Ty::Str),
    c("grade_set", &["等次组", "Grade set"], Ty::Str),
    c("total", &["总分", "Total"], Ty::Num),
    c("coefficients", &["使用系数", "Uses coefficients"], Ty::Bool),
];
/// Every field a category may have (what its extra cell may name).
const CATEGORY_FIELDS: &[&str] = &["key", "name", "series", "grade_set", "total", "coefficients", "quota_overrides", "aggregation"];

const SUBJECT_COLS: &[ColDef] = &[
    c("key", &["对象编码", "Subject key"], Ty::Str),
    c("name", &["对象名称", "Subject name"], Ty::Str),
    c("kind", &["对象类型", "Kind"], Ty::Str),
    c("parent", &["上级", "Parent"], Ty::Str),
    c("category", &["类别", "Category"], Ty::Str),
    c("static_level", &["静态系数档次", "Static level"], Ty::Int),
];

const MODULE_COLS: &[ColDef] = &[
    c("key", &["模块编码", "Module key"], Ty::Str),
    c("name", &["模块名称", "Module name"], Ty::Str),
    c("from", &["起始月份", "From"], Ty::Month),
    c("until", &["截止月份", "Until"], Ty::Month),
];

/// The indicator's common fields: always written.
const INDICATOR_COMMON: &[ColDef] = &[
    c("key", &["指标编码", "Indicator key"], Ty::Str),
    c("name", &["指标名称", "Indicator name"], Ty::Str),
    c("module", &["模块", "Module"], Ty::Str),
    c("kind", &["指标类型", "Kind"], Ty::Str),
    c("level", &["考核周期", "Level"], Ty::Str),
    c("method", &["计分方法", "Method"], Ty::Str),
    c("weight", &["分值", "Weight"], Ty::Num),
    c("unit", &["计量单位", "Unit of measure"], Ty::Str),
    c("source", &["责任部门", "Responsible department"], Ty::Str),
    c("categories", &["适用类别", "Categories"], Ty::List),
    c("subjects", &["适用对象", "Subjects"], Ty::List),
    c("auto", &["自动记录", "Recorded automatically"], Ty::Str),
    c("in_total", &["计入总分", "In the total"], Ty::Bool),
];

/// Method parameters (and `replaces`) that fit a cell: a column each when the plan uses them.
const INDICATOR_PARAMS: &[ColDef] = &[
    c("replaces", &["替代指标", "Replaces"], Ty::Str),
    c("floor", &["下限", "Floor"], Ty::Num),
    c("cap", &["上限", "Cap"], Ty::Num),
    c("total_share", &["总量占比", "Total share"], Ty::Num),
    c("growth_share", &["增速占比", "Growth share"], Ty::Num),
    c("max_ratio", &["最高得分率", "Maximum ratio"], Ty::Num),
    c("per", &["每次分值", "Points per occurrence"], Ty::Num),
    c("from_full", &["从满分扣减", "From full marks"], Ty::Bool),
    c("optional", &["可不评定", "Optional"], Ty::Bool),
    c("scope", &["否决范围", "Veto scope"], Ty::Str),
    c("places", &["降低名次数", "Places"], Ty::Int),
    c("below", &["首点以下", "Below the first point"], Ty::Str),
    c("rest", &["其余名次得分", "Points for the rest"], Ty::Num),
    c("proportional", &["按比例计分", "Proportional"], Ty::Bool),
    c("direction", &["排序方向", "Direction"], Ty::Str),
    c("formula", &["公式", "Formula"], Ty::Str),
    c("inputs", &["输入项", "Inputs"], Ty::List),
    c("excluded", &["不计入选项", "Excluded answers"], Ty::List),
];

/// Every field an indicator may have (what an extra cell may name).
const INDICATOR_FIELDS: &[&str] = &[
    "key", "name", "kind", "module", "level", "categories", "subjects", "replaces", "weight", "weights", "in_total", "source", "unit", "auto", "method",
    "amplify", "floor", "cap", "total_share", "growth_share", "max_ratio", "per", "from_full", "optional", "scope", "places", "levels", "groups", "answers",
    "excluded", "flags", "points", "below", "bands", "table", "rest", "proportional", "direction", "inputs", "formula",
];

const WEIGHT_COLS: &[ColDef] = &[c("indicator", &["指标编码", "Indicator key"], Ty::Str), c("name", &["指标名称", "Indicator name"], Ty::Info)];

const METHODS: &[&str] = &[
    "completion", "control", "blended", "deduction", "veto", "demotion", "bonus", "qualitative", "ballots", "interpolate", "bands", "rank_points",
    "direct", "formula", "assigned_grade",
];
const KINDS: &[&str] = &["data", "project", "constraint", "bonus", "evaluation", "political"];
const LEVELS: &[&str] = &["month", "quarter", "half", "year"];

/// A sheet: its names (Chinese, English, and others accepted when read).
struct SheetName {
    zh: &'static str,
    en: &'static str,
    also: &'static [&'static str],
}

const S_PLAN: SheetName = SheetName { zh: "方案", en: "plan", also: &[] };
const S_SERIES: SheetName = SheetName { zh: "系列", en: "series", also: &[] };
const S_GRADES: SheetName = SheetName { zh: "等次", en: "grades", also: &["grade_sets", "等次组"] };
const S_CATEGORIES: SheetName = SheetName { zh: "类别", en: "categories", also: &[] };
const S_SUBJECTS: SheetName = SheetName { zh: "考核对象", en: "subjects", also: &["被考核对象"] };
const S_MODULES: SheetName = SheetName { zh: "模块", en: "modules", also: &[] };
const S_INDICATORS: SheetName = SheetName { zh: "指标", en: "indicators", also: &[] };
const S_WEIGHTS: SheetName = SheetName { zh: "权重", en: "weights", also: &["分值"] };
const S_OTHER: SheetName = SheetName { zh: "其他(TOML)", en: "other (TOML)", also: &["其他（TOML）", "其他", "TOML", "other"] };

impl SheetName {
    fn pick(&self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }

    fn find<'b>(&self, book: &'b Book) -> Option<&'b Sheet> {
        let mut names = vec![self.zh, self.en];
        names.extend(self.also);
        book.sheet(&names)
    }
}

/// The first row of the TOML sheet (a comment; not carried into the plan's text).
const OTHER_TITLE: [&str; 2] = [
    "# 方案中不是表格的部分（系数、期间汇总、版本、预警、结果运用、整改等），按 TOML 原文逐行填写；以 # 开头的行是注释",
    "# The parts of the plan that are not tables (coefficients, aggregation, versions, warnings, consequences, rectification…), as TOML, one line a row; lines starting with # are comments",
];

/// Top-level keys that have a sheet of their own (when every entry fits it).
const SHEET_ROOTS: &[&str] = &["plan", "series", "grade_sets", "categories", "subjects", "modules", "indicators"];

// ---------------------------------------------------------------------------
// TOML literals (written by hand, so the text is the same on every machine and version).

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn bare_key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') { k.to_string() } else { quote(k) }
}

fn float_lit(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        let s = format!("{f}");
        if s.contains(['.', 'e', 'E']) { s } else { format!("{s}.0") }
    }
}

/// A value as one line of inline TOML.
fn inline(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => float_lit(*f),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Value::Table(t) if t.is_empty() => "{}".into(),
        Value::Table(t) => format!("{{ {} }}", t.iter().map(|(k, v)| format!("{} = {}", bare_key(k), inline(v))).collect::<Vec<_>>().join(", ")),
    }
}

// ---------------------------------------------------------------------------
// Writing.

/// What a cell holds when written.
enum Out {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
}

const LIST_SEPS: &[char] = &[',', '，', '、', ';', '；'];

/// The cell for a value in a column of this type, or `None` when it does not fit (it then
/// goes, as inline TOML, to the extra column or the TOML sheet).
fn fit(ty: Ty, v: &Value) -> Option<Out> {
    let clean = |s: &str| !s.is_empty() && s.trim() == s;
    match (ty, v) {
        (Ty::Str, Value::String(s)) if clean(s) => Some(Out::Text(s.clone())),
        (Ty::Num, Value::Integer(i)) if i.unsigned_abs() <= 1 << 53 => Some(Out::Number(*i as f64)),
        // An integral float would read back as an integer; 1e15 and more print without a point.
        (Ty::Num, Value::Float(f)) if f.is_finite() && f.fract() != 0.0 && f.abs() < 1e15 => Some(Out::Number(*f)),
        (Ty::Num, Value::String(s)) if clean(s) && parse_number(s).is_ok() => Some(Out::Text(s.clone())),
        (Ty::Int, Value::Integer(i)) if (0..1 << 53).contains(i) => Some(Out::Number(*i as f64)),
        (Ty::Bool, Value::Boolean(b)) => Some(Out::Bool(*b)),
        (Ty::Month, Value::String(s)) if parse_month(s).is_some_and(|(y, m)| format!("{y:04}-{m:02}") == *s) => Some(Out::Text(s.clone())),
        (Ty::List, Value::Array(a)) if !a.is_empty() => {
            let names: Option<Vec<&str>> = a.iter().map(|x| x.as_str().filter(|s| clean(s) && !s.contains(LIST_SEPS))).collect();
            names.map(|n| Out::Text(n.join(", ")))
        }
        _ => None,
    }
}

fn table_of(v: &Value) -> Option<&toml::Table> {
    v.as_table()
}

fn tables_of(v: Option<&Value>) -> Option<Vec<&toml::Table>> {
    v?.as_array()?.iter().map(Value::as_table).collect()
}

/// One table of the workbook being written: headers and rows of cells.
struct Grid {
    name: String,
    headers: Vec<String>,
    /// Column types, for widths and wrapping.
    wide: Vec<bool>,
    rows: Vec<Vec<Out>>,
    freeze_cols: u16,
    /// (column, allowed values) for a drop-down list.
    lists: Vec<(u16, &'static [&'static str])>,
}

fn header_text(def: &ColDef, lang: Lang) -> String {
    format!("{}({})", lang.pick(def.names[0], def.names[1]), def.key)
}

fn grid(name: &SheetName, lang: Lang, cols: &[&ColDef]) -> Grid {
    Grid {
        name: name.pick(lang).into(),
        headers: cols.iter().map(|d| header_text(d, lang)).collect(),
        wide: cols.iter().map(|d| matches!(d.ty, Ty::Extra) || d.key == "formula").collect(),
        rows: Vec::new(),
        freeze_cols: 0,
        lists: Vec::new(),
    }
}

/// Writes each entry of an array of tables as a row, if every entry fits the columns (with
/// the extra column, when the sheet has one, taking the rest). `None` when one does not fit.
fn rows_of(entries: &[&toml::Table], cols: &[&ColDef], extra_ok: &[&str], required: &[&str]) -> Option<Vec<Vec<Out>>> {
    let mut rows = Vec::new();
    for t in entries {
        if required.iter().any(|k| !t.get(*k).is_some_and(|v| fit(Ty::Str, v).is_some())) {
            return None;
        }
        let mut row: Vec<Out> = cols.iter().map(|_| Out::Empty).collect();
        let mut extra = Vec::new();
        for (k, v) in t.iter() {
            match cols.iter().position(|d| d.key == k && d.ty != Ty::Extra).and_then(|i| fit(cols[i].ty, v).map(|o| (i, o))) {
                Some((i, o)) => row[i] = o,
                None if extra_ok.contains(&k.as_str()) || (!extra_ok.is_empty() && extra_ok[0] == "*") => extra.push(format!("{} = {}", bare_key(k), inline(v))),
                None => return None,
            }
        }
        if !extra.is_empty() {
            let i = cols.iter().position(|d| d.ty == Ty::Extra)?;
            row[i] = Out::Text(extra.join("\n"));
        }
        rows.push(row);
    }
    Some(rows)
}

/// The plan's TOML text as a workbook (see the module's documentation). Fails only when the
/// text is not TOML.
pub fn plan_to_xlsx(toml_text: &str, lang: Lang) -> Result<Vec<u8>, Vec<Problem>> {
    let doc: toml::Table = toml_text.parse().map_err(|e: toml::de::Error| {
        vec![Problem {
            place: Place { file: "plan.toml".into(), line: e.span().map(|s| yardstick_formats::line_col(toml_text, s.start).0), ..Place::default() },
            msg: Msg::new(format!("方案文本不是有效的 TOML：{}", e.message()), format!("the plan text is not valid TOML: {}", e.message())),
        }]
    })?;
    let mut grids: Vec<Grid> = Vec::new();
    let mut handled: Vec<&str> = Vec::new();

    // [plan] as field/value rows.
    if let Some(p) = doc.get("plan").and_then(table_of) {
        let mut rows = Vec::new();
        let mut ok = true;
        for (k, v) in p.iter() {
            match PLAN_FIELDS.iter().find(|d| d.key == k).and_then(|d| fit(d.ty, v).map(|o| (d, o))) {
                Some((d, o)) => rows.push(vec![Out::Text(header_text(d, lang)), o]),
                None => ok = false,
            }
        }
        if ok {
            let mut g = grid(&S_PLAN, lang, &PLAN_COLS.iter().collect::<Vec<_>>());
            g.rows = rows;
            grids.push(g);
            handled.push("plan");
        }
    }

    let simple: [(&str, &SheetName, &[ColDef], &[&str]); 3] =
        [("series", &S_SERIES, SERIES_COLS, &["key"]), ("subjects", &S_SUBJECTS, SUBJECT_COLS, &["key"]), ("modules", &S_MODULES, MODULE_COLS, &["key"])];
    let add_simple = |root: &'static str, grids: &mut Vec<Grid>, handled: &mut Vec<&str>| {
        let Some(&(_, name, cols, req)) = simple.iter().find(|s| s.0 == root) else { return };
        let Some(entries) = tables_of(doc.get(root)) else { return };
        let defs: Vec<&ColDef> = cols.iter().collect();
        if let Some(rows) = rows_of(&entries, &defs, &[], req) {
            let mut g = grid(name, lang, &defs);
            g.rows = rows;
            grids.push(g);
            handled.push(root);
        }
    };
    add_simple("series", &mut grids, &mut handled);

    // Grade sets: one row per grade, the set's fields on each of its rows.
    if let Some(sets) = tables_of(doc.get("grade_sets")) {
        let defs: Vec<&ColDef> = GRADE_COLS.iter().collect();
        let mut rows = Vec::new();
        let mut ok = true;
        for s in &sets {
            let grades = tables_of(s.get("grades")).filter(|g| !g.is_empty());
            let (Some(grades), true) = (grades, s.get("key").is_some_and(|k| fit(Ty::Str, k).is_some())) else {
                ok = false;
                break;
            };
            let mut set_cells: Vec<(usize, Value)> = Vec::new();
            for (k, v) in s.iter() {
                if k == "grades" {
                    continue;
                }
                match SET_FIELDS.iter().position(|f| f == k) {
                    Some(_) => set_cells.push((defs.iter().position(|d| d.key == k).unwrap_or(0), v.clone())),
                    None => ok = false,
                }
            }
            for g in &grades {
                let mut row: Vec<Out> = defs.iter().map(|_| Out::Empty).collect();
                for (i, v) in &set_cells {
                    match fit(defs[*i].ty, v) {
                        Some(o) => row[*i] = o,
                        None => ok = false,
                    }
                }
                for (k, v) in g.iter() {
                    let col = match k.as_str() {
                        "name" => "grade",
                        "quota" => "quota",
                        "min_score" => "min_score",
                        _ => {
                            ok = false;
                            continue;
                        }
                    };
                    let i = defs.iter().position(|d| d.key == col).unwrap_or(0);
                    match fit(defs[i].ty, v) {
                        Some(o) => row[i] = o,
                        None => ok = false,
                    }
                }
                if matches!(row[2], Out::Empty) {
                    ok = false;
                }
                rows.push(row);
            }
        }
        if ok {
            let mut g = grid(&S_GRADES, lang, &defs);
            g.rows = rows;
            grids.push(g);
            handled.push("grade_sets");
        }
    }

    // Categories.
    if let Some(entries) = tables_of(doc.get("categories")) {
        let mut defs: Vec<&ColDef> = CATEGORY_COLS.iter().collect();
        defs.push(&EXTRA);
        if let Some(rows) = rows_of(&entries, &defs, &["*"], &["key"]) {
            let mut g = grid(&S_CATEGORIES, lang, &defs);
            g.rows = rows;
            drop_empty_extra(&mut g);
            grids.push(g);
            handled.push("categories");
        }
    }
    add_simple("subjects", &mut grids, &mut handled);
    add_simple("modules", &mut grids, &mut handled);

    // Indicators, and the weights matrix.
    let category_keys: Vec<String> =
        tables_of(doc.get("categories")).unwrap_or_default().iter().filter_map(|c| c.get("key")?.as_str().map(str::to_string)).collect();
    if let Some(entries) = tables_of(doc.get("indicators")) {
        // Per-category weights go to the matrix when every one of them is a number that fits a cell.
        let matrix_ok = |t: &toml::Table| t.get("weights").and_then(table_of).is_some_and(|w| !w.is_empty() && w.values().all(|v| fit(Ty::Num, v).is_some()));
        let use_matrix = entries.iter().any(|t| matrix_ok(t));
        let mut defs: Vec<&ColDef> = INDICATOR_COMMON.iter().collect();
        for p in INDICATOR_PARAMS {
            if entries.iter().any(|t| t.get(p.key).is_some_and(|v| fit(p.ty, v).is_some())) {
                defs.push(p);
            }
        }
        defs.push(&EXTRA);
        let stripped: Vec<toml::Table> = entries
            .iter()
            .map(|t| {
                let mut t = (*t).clone();
                if use_matrix && matrix_ok(&t) {
                    t.remove("weights");
                }
                t
            })
            .collect();
        let refs: Vec<&toml::Table> = stripped.iter().collect();
        if let Some(rows) = rows_of(&refs, &defs, &["*"], &["key"]) {
            let mut g = grid(&S_INDICATORS, lang, &defs);
            g.rows = rows;
            g.freeze_cols = 2;
            for (key, list) in [("method", METHODS), ("kind", KINDS), ("level", LEVELS)] {
                if let Some(i) = defs.iter().position(|d| d.key == key) {
                    g.lists.push((i as u16, list));
                }
            }
            drop_empty_extra(&mut g);
            grids.push(g);
            handled.push("indicators");
            if use_matrix {
                // Columns: the plan's categories, then any other key the weights name.
                let mut cats = category_keys.clone();
                for t in &entries {
                    if matrix_ok(t) {
                        for k in t.get("weights").and_then(table_of).map(|w| w.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
                            if !cats.contains(&k) {
                                cats.push(k);
                            }
                        }
                    }
                }
                let names: HashMap<String, String> = tables_of(doc.get("categories"))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| Some((c.get("key")?.as_str()?.to_string(), c.get("name")?.as_str()?.to_string())))
                    .collect();
                let mut w = grid(&S_WEIGHTS, lang, &WEIGHT_COLS.iter().collect::<Vec<_>>());
                for k in &cats {
                    w.headers.push(match names.get(k) {
                        Some(n) => format!("{n}({k})"),
                        None => k.clone(),
                    });
                    w.wide.push(false);
                }
                w.freeze_cols = 2;
                for t in &entries {
                    let key = t.get("key").and_then(Value::as_str).unwrap_or_default();
                    let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
                    let mut row = vec![Out::Text(key.into()), Out::Text(name.into())];
                    let weights = t.get("weights").and_then(table_of).filter(|_| matrix_ok(t));
                    for k in &cats {
                        row.push(weights.and_then(|w| w.get(k)).and_then(|v| fit(Ty::Num, v)).unwrap_or(Out::Empty));
                    }
                    w.rows.push(row);
                }
                grids.push(w);
            }
        }
    }

    // Everything else, as TOML lines.
    let other: Vec<&str> = doc.keys().map(String::as_str).filter(|k| !handled.contains(k)).collect();
    let other_text = other_toml(toml_text, &doc, &other);
    let mut o = Grid { name: S_OTHER.pick(lang).into(), headers: Vec::new(), wide: vec![true], rows: Vec::new(), freeze_cols: 0, lists: Vec::new() };
    o.rows.push(vec![Out::Text(lang.pick(OTHER_TITLE[0], OTHER_TITLE[1]).into())]);
    for line in other_text.lines() {
        o.rows.push(vec![if line.trim().is_empty() { Out::Empty } else { Out::Text(line.to_string()) }]);
    }
    grids.push(o);

    write_book(&grids).map_err(|e| vec![Problem { place: Place::default(), msg: Msg::new(format!("无法生成工作簿：{e}"), format!("cannot write the workbook: {e}")) }])
}

fn drop_empty_extra(g: &mut Grid) {
    if let Some(i) = g.headers.iter().position(|h| h.ends_with("(extra)")) {
        if g.rows.iter().all(|r| matches!(r[i], Out::Empty)) {
            g.headers.remove(i);
            g.wide.remove(i);
            for r in &mut g.rows {
                r.remove(i);
            }
        }
    }
}

/// The name of a table header line (`[a.b]`, `[[a.b]]`), if the line is one.
fn header_name(line: &str) -> Option<String> {
    let t = line.trim();
    let t = match t.find('#') {
        Some(i) if !t[..i].contains('"') && !t[..i].contains('\'') => t[..i].trim(),
        _ => t,
    };
    let inner = t.strip_prefix("[[").and_then(|s| s.strip_suffix("]]")).or_else(|| t.strip_prefix('[').and_then(|s| s.strip_suffix(']')))?;
    let inner = inner.trim();
    let ok = !inner.is_empty() && inner.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '"' | '\''));
    ok.then(|| inner.to_string())
}

fn root_of(header: &str) -> String {
    let first = header.split('.').next().unwrap_or("").trim();
    first.trim_matches(['"', '\'']).to_string()
}

/// The text of the top-level keys `keys`: the original lines of their tables (comments just
/// above a table go with it), when they read back as exactly those keys; else each key as
/// one line of inline TOML.
fn other_toml(text: &str, doc: &toml::Table, keys: &[&str]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut current: Option<String> = None;
    let mut pending: Vec<&str> = Vec::new();
    let mut root_has_keys = false;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            pending.push(line);
            continue;
        }
        if let Some(h) = header_name(line) {
            current = Some(root_of(&h));
        } else if current.is_none() {
            root_has_keys = true;
        }
        let keep = current.as_deref().is_some_and(|r| keys.contains(&r));
        for p in pending.drain(..) {
            if keep {
                out.push_str(p);
                out.push('\n');
            }
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    if current.as_deref().is_some_and(|r| keys.contains(&r)) {
        for p in pending {
            out.push_str(p);
            out.push('\n');
        }
    }
    let want: toml::Table = keys.iter().filter_map(|k| Some((k.to_string(), doc.get(*k)?.clone()))).collect();
    if !root_has_keys && out.parse::<toml::Table>().is_ok_and(|t| t == want) {
        // Leading and trailing blank lines are not worth rows.
        return out.trim_matches('\n').to_string();
    }
    want.iter().map(|(k, v)| format!("{} = {}\n", bare_key(k), inline(v))).collect()
}

/// Display width: CJK characters count two.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 }).sum()
}

const FONT: &str = "宋体";

fn write_book(grids: &[Grid]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let base = Format::new().set_font_name(FONT).set_font_charset(134).set_font_size(11).set_align(FormatAlign::VerticalCenter);
    let head = base.clone().set_bold().set_background_color(Color::RGB(0xDD_EB_F7)).set_border(FormatBorder::Thin).set_text_wrap().set_align(FormatAlign::Center);
    let body = base.clone().set_border(FormatBorder::Thin);
    let wrap = body.clone().set_text_wrap();
    let plain = base.clone();
    for g in grids {
        let ws: &mut Worksheet = wb.add_worksheet();
        ws.set_name(&g.name)?;
        let has_header = !g.headers.is_empty();
        let first = u32::from(has_header);
        for (c, h) in g.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &head)?;
        }
        let ncols = g.headers.len().max(g.rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut widths = vec![8usize; ncols];
        for (c, h) in g.headers.iter().enumerate() {
            widths[c] = widths[c].max(display_width(h) + 2);
        }
        for (r, row) in g.rows.iter().enumerate() {
            let r = first + r as u32;
            for (c, cell) in row.iter().enumerate() {
                let wide = g.wide.get(c).copied().unwrap_or(false);
                let f = if !has_header { &plain } else if wide { &wrap } else { &body };
                let col = c as u16;
                match cell {
                    Out::Empty => {
                        if has_header {
                            ws.write_blank(r, col, f)?;
                        }
                    }
                    Out::Text(s) => {
                        ws.write_string_with_format(r, col, s, f)?;
                        let w = s.lines().map(display_width).max().unwrap_or(0) + 2;
                        widths[c] = widths[c].max(w);
                    }
                    Out::Number(n) => {
                        ws.write_number_with_format(r, col, *n, f)?;
                        widths[c] = widths[c].max(format!("{n}").len() + 2);
                    }
                    Out::Bool(b) => {
                        ws.write_boolean_with_format(r, col, *b, f)?;
                    }
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            let wide = g.wide.get(c).copied().unwrap_or(false);
            let max = if !has_header { 120 } else if wide { 60 } else { 36 };
            ws.set_column_width(c as u16, (*w).min(max) as f64)?;
        }
        if has_header {
            ws.set_freeze_panes(1, g.freeze_cols)?;
            ws.set_row_height(0, 30)?;
            let last_row = (g.rows.len() as u32).max(1);
            if g.headers.len() > 2 {
                ws.autofilter(0, 0, last_row, g.headers.len() as u16 - 1)?;
            }
            for (c, list) in &g.lists {
                let v = DataValidation::new().allow_list_strings(list)?.ignore_blank(true);
                ws.add_data_validation(1, *c, last_row + 200, *c, &v)?;
            }
            ws.set_repeat_rows(0, 0)?;
        }
        ws.set_landscape();
        ws.set_paper_size(9);
    }
    wb.save_to_buffer()
}

// ---------------------------------------------------------------------------
// Reading.

/// Where a line of the generated TOML came from: sheet (index in the book), 0-based row,
/// 0-based column.
type Origin = (usize, usize, Option<usize>);

/// A row of a sheet that became one TOML table: its place and the column of each field.
#[derive(Clone, Debug, Default)]
struct RowOrigin {
    sheet: usize,
    row: usize,
    /// field → column.
    cols: Vec<(String, usize)>,
    extra: Option<usize>,
}

impl RowOrigin {
    fn col(&self, field: &str) -> Option<usize> {
        self.cols.iter().find(|(f, _)| f == field).map(|(_, c)| *c).or(self.extra)
    }
}

/// The TOML text made from a workbook, with where each of its parts came from.
#[derive(Debug, Default)]
pub struct Generated {
    pub toml: String,
    file: String,
    lines: Vec<Option<Origin>>,
    /// (table, index) → the row it came from: ("indicators", 3).
    tables: HashMap<(String, usize), RowOrigin>,
    /// (grade set, grade) → row.
    grades: HashMap<(usize, usize), RowOrigin>,
    /// Indicator index → its row in the weights sheet (columns by category key).
    weights: HashMap<usize, RowOrigin>,
    /// Sheet of each table (for problems without a row).
    sheet_of: HashMap<String, usize>,
    /// Sheet names, by index, and header texts by (sheet, column).
    sheet_names: Vec<String>,
    headers: HashMap<(usize, usize), String>,
}

impl Generated {
    fn push(&mut self, line: &str, o: Option<Origin>) {
        for l in line.split('\n') {
            self.toml.push_str(l);
            self.toml.push('\n');
            self.lines.push(o);
        }
    }

    fn place(&self, sheet: usize, row: Option<usize>, col: Option<usize>) -> Place {
        let header = col.and_then(|c| self.headers.get(&(sheet, c)).cloned()).unwrap_or_default();
        Place {
            file: self.file.clone(),
            sheet: self.sheet_names.get(sheet).cloned(),
            line: row.map(|r| r + 1),
            column: col.map(|c| if header.is_empty() { crate::read::column_name(c) } else { format!("{}（{header}）", crate::read::column_name(c)) }),
            field: None,
        }
    }

    /// The place of the sheet a top-level table (`indicators`, `subjects`…) came from.
    pub fn table_place(&self, root: &str) -> Place {
        self.sheet_of.get(root).map(|s| self.place(*s, None, None)).unwrap_or_else(|| Place { file: self.file.clone(), ..Place::default() })
    }

    /// Moves a problem found in the generated TOML (`file` is the name it was checked under)
    /// to the sheet, row and column it came from; the TOML field path is kept.
    pub fn locate(&self, file: &str, p: Problem) -> Problem {
        if p.place.file != file {
            return p;
        }
        let field = p.place.field.clone();
        let mut place = self.locate_field(field.as_deref()).or_else(|| {
            let line = p.place.line?;
            let (s, r, c) = (*self.lines.get(line.checked_sub(1)?)?)?;
            // Inline subjects name their column by field.
            let c = c.or_else(|| {
                let col = p.place.column.as_deref()?;
                self.tables.values().find(|o| o.sheet == s && o.row == r)?.col(col)
            });
            Some(self.place(s, Some(r), c))
        });
        if place.is_none() {
            // A part of the TOML sheet named by its field: its first line there.
            let root = field.as_deref().map(|f| f.split(['.', '[', ' ']).next().unwrap_or("").to_string());
            if let Some(root) = root.filter(|r| !r.is_empty()) {
                place = self.toml.lines().enumerate().find_map(|(i, l)| {
                    let h = header_name(l)?;
                    if root_of(&h) != root {
                        return None;
                    }
                    let (s, r, c) = (*self.lines.get(i)?)?;
                    Some(self.place(s, Some(r), c))
                });
                if place.is_none() {
                    place = self.sheet_of.get(&root).map(|s| self.place(*s, None, None));
                }
            }
        }
        let mut place = place.unwrap_or_else(|| Place { file: self.file.clone(), ..Place::default() });
        place.field = field;
        Problem { place, msg: p.msg }
    }

    fn locate_field(&self, field: Option<&str>) -> Option<Place> {
        let f = field?;
        let (root, rest) = match f.find(['[', '.', ' ']) {
            Some(i) => (&f[..i], &f[i..]),
            None => (f, ""),
        };
        if !SHEET_ROOTS.contains(&root) || !self.sheet_of.contains_key(root) {
            return None;
        }
        let sheet = self.sheet_of[root];
        if root == "plan" {
            let field = rest.strip_prefix('.').unwrap_or("");
            let o = self.tables.get(&("plan".to_string(), 0))?;
            let row = o.cols.iter().find(|(k, _)| k == field).map(|(_, r)| *r);
            return Some(self.place(sheet, row.or(Some(o.row)), row.map(|_| o.extra.unwrap_or(1))));
        }
        let Some(rest) = rest.strip_prefix('[') else {
            return Some(self.place(sheet, None, None));
        };
        let close = rest.find(']')?;
        let idx: usize = rest[..close].parse().ok()?;
        let rest = &rest[close + 1..];
        let o = self.tables.get(&(root.to_string(), idx))?;
        // "categories[2] (towns) / v1": a category's weight sum.
        if rest.starts_with(" (") {
            let col = o.cols.iter().find(|(k, _)| k == "total").map(|(_, c)| *c);
            return Some(self.place(o.sheet, Some(o.row), col));
        }
        let rest = rest.strip_prefix('.').unwrap_or("");
        let first = rest.split(['.', '[']).next().unwrap_or("");
        if root == "grade_sets" && first == "grades" {
            let g: usize = rest.strip_prefix("grades[").and_then(|s| s.split(']').next()).and_then(|s| s.parse().ok())?;
            let go = self.grades.get(&(idx, g))?;
            let after = rest.split_once("].").map(|x| x.1).unwrap_or("");
            let col = match after {
                "" => None,
                "name" => go.col("grade"),
                a => go.col(a),
            };
            return Some(self.place(go.sheet, Some(go.row), col));
        }
        if root == "indicators" && first == "weights" {
            if let Some(w) = self.weights.get(&idx) {
                let cat = rest.strip_prefix("weights.").unwrap_or("");
                let col = w.cols.iter().find(|(k, _)| k == cat).map(|(_, c)| *c);
                return Some(self.place(w.sheet, Some(w.row), col));
            }
        }
        if first.is_empty() {
            return Some(self.place(o.sheet, Some(o.row), None));
        }
        Some(self.place(o.sheet, Some(o.row), o.col(first)))
    }
}

fn cell_problem(book: &Book, sheet: &Sheet, row: usize, col: Option<(usize, &str)>, msg: Msg) -> Problem {
    Problem { place: book.place(sheet, row, col), msg }
}

/// A value read from a cell, as a TOML literal.
fn literal(ty: Ty, cell: &Cell) -> Result<Option<String>, Msg> {
    if cell.is_empty() {
        return Ok(None);
    }
    match ty {
        Ty::Str => Ok(Some(quote(&cell.text()?))),
        Ty::Info => Ok(None),
        Ty::Num => {
            let n = cell.number()?;
            match cell {
                Cell::Number(s) => Ok(n.map(|_| number_literal(s))),
                Cell::Text(s) => Ok(n.map(|_| quote(s))),
                _ => Ok(None),
            }
        }
        Ty::Int => {
            let n = cell.number()?.unwrap_or_default();
            match n.parse::<u64>() {
                Ok(v) if v < 1 << 53 => Ok(Some(v.to_string())),
                _ => Err(Msg::new(format!("应为不小于 0 的整数，此处是 {n}"), format!("a whole number of at least 0 is expected, not {n}"))),
            }
        }
        Ty::Bool => {
            let b = match cell {
                Cell::Bool(b) => Some(*b),
                Cell::Number(s) | Cell::Text(s) => match s.trim().to_lowercase().as_str() {
                    "true" | "是" | "1" | "yes" | "y" | "√" => Some(true),
                    "false" | "否" | "0" | "no" | "n" | "×" => Some(false),
                    _ => None,
                },
                Cell::Formula(..) | Cell::Error(_) => {
                    cell.text()?;
                    None
                }
                _ => None,
            };
            b.map(|b| Some(b.to_string())).ok_or_else(|| {
                let shown = cell.text().unwrap_or_default();
                Msg::new(format!("应为“是”或“否”（TRUE/FALSE），此处是“{shown}”"), format!("yes or no (TRUE/FALSE) is expected, not '{shown}'"))
            })
        }
        Ty::Month => Ok(cell.month()?.map(|m| quote(&m))),
        Ty::List => {
            let t = cell.text()?;
            let items: Vec<String> = t.split(LIST_SEPS).map(str::trim).filter(|s| !s.is_empty()).map(quote).collect();
            Ok((!items.is_empty()).then(|| format!("[{}]", items.join(", "))))
        }
        Ty::Extra => Ok(Some(cell.text()?)),
    }
}

/// A numeric cell's text as a TOML number: an integer when whole, else a float (the shortest
/// text of the stored double, which reads back as the same double); a string when TOML has
/// no literal for it.
fn number_literal(s: &str) -> String {
    if s.contains('.') {
        if s.parse::<f64>().is_ok_and(f64::is_finite) {
            return s.to_string();
        }
    } else if s.parse::<i64>().is_ok() {
        return s.to_string();
    }
    quote(s)
}

/// One cell's field and its TOML literal.
struct Field {
    key: String,
    lit: String,
    col: usize,
}

struct ReadRow {
    row: usize,
    fields: Vec<Field>,
}

fn cols_of(defs: &[&ColDef]) -> Vec<Col> {
    defs.iter().map(|d| Col { key: d.key, names: &d.names[..] }).collect()
}

/// Reads a table sheet: finds the header, refuses unknown and repeated columns and merged
/// cells, reads each cell by its column's type, and checks required cells. `extra_fields`
/// are the fields an extra cell may give.
#[allow(clippy::too_many_arguments)]
fn read_rows<'a>(
    book: &'a Book,
    sheet: &'a Sheet,
    defs: &[&ColDef],
    required: &[&str],
    extra_fields: &[&str],
    allow_other_columns: bool,
    problems: &mut Vec<Problem>,
) -> Option<(Table<'a>, Vec<ReadRow>)> {
    let cols = cols_of(defs);
    let table = match Table::find(book, sheet, &cols, &required[..1]) {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    problems.extend(table.merge_problems(book));
    let mut seen: Vec<&str> = Vec::new();
    for (c, key, header) in &table.columns {
        let known = defs.iter().any(|d| d.key == key);
        if seen.contains(&key.as_str()) {
            problems.push(cell_problem(book, sheet, table.header_row, Some((*c, header)), Msg::new(format!("列“{key}”重复"), format!("the column '{key}' appears twice"))));
        } else if !known && !allow_other_columns {
            let names: Vec<String> = defs.iter().map(|d| format!("{}({})", d.names[0], d.key)).collect();
            problems.push(cell_problem(
                book,
                sheet,
                table.header_row,
                Some((*c, header)),
                Msg::new(format!("未知的列“{header}”（可用的列：{}）", names.join("、")), format!("unknown column '{header}' (columns: {})", names.join(", "))),
            ));
        }
        seen.push(key);
    }
    let mut rows = Vec::new();
    for r in table.rows() {
        let mut fields = Vec::new();
        for (c, key, header) in &table.columns {
            let Some(def) = defs.iter().find(|d| d.key == key) else { continue };
            if table.columns.iter().position(|x| x.1 == *key) != table.columns.iter().position(|x| x.0 == *c) {
                continue; // a repeated column, already refused
            }
            let cell = table.sheet.cell(r.row, *c);
            match literal(def.ty, cell) {
                Ok(None) => {
                    if required.contains(&def.key) {
                        problems.push(cell_problem(book, sheet, r.row, Some((*c, header)), Msg::new("必填，不能为空", "required; the cell is empty")));
                    }
                }
                Ok(Some(lit)) if def.ty == Ty::Extra => match lit.parse::<toml::Table>() {
                    Ok(t) => {
                        for (k, v) in t {
                            if !extra_fields.contains(&k.as_str()) {
                                problems.push(cell_problem(
                                    book,
                                    sheet,
                                    r.row,
                                    Some((*c, header)),
                                    Msg::new(format!("未知的参数“{k}”"), format!("unknown parameter '{k}'")),
                                ));
                            } else if table.columns.iter().any(|x| x.1 == k && !table.sheet.cell(r.row, x.0).is_empty()) {
                                problems.push(cell_problem(
                                    book,
                                    sheet,
                                    r.row,
                                    Some((*c, header)),
                                    Msg::new(format!("参数“{k}”已在本行的“{k}”列中填写"), format!("the parameter '{k}' is already given in its own column")),
                                ));
                            } else {
                                fields.push(Field { key: k, lit: inline(&v), col: *c });
                            }
                        }
                    }
                    Err(e) => problems.push(cell_problem(
                        book,
                        sheet,
                        r.row,
                        Some((*c, header)),
                        Msg::new(format!("不是有效的 TOML（如 levels = [{{ name = \"好\", share = 1 }}]）：{}", e.message()), format!("not valid TOML (e.g. levels = [{{ name = \"good\", share = 1 }}]): {}", e.message())),
                    )),
                },
                Ok(Some(lit)) => fields.push(Field { key: key.clone(), lit, col: *c }),
                Err(m) => problems.push(cell_problem(book, sheet, r.row, Some((*c, header)), m)),
            }
        }
        rows.push(ReadRow { row: r.row, fields });
    }
    Some((table, rows))
}

fn sheet_index(book: &Book, sheet: &Sheet) -> usize {
    book.sheets.iter().position(|s| std::ptr::eq(s, sheet)).unwrap_or(0)
}

/// Builds the plan's TOML text from a workbook and records where each part came from. Cell
/// problems (all of them) are returned instead; the text is not checked as a plan.
pub fn book_to_toml(book: &Book) -> Result<Generated, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut g = Generated { file: book.file.clone(), sheet_names: book.sheets.iter().map(|s| s.name.clone()).collect(), ..Generated::default() };

    let record_headers = |g: &mut Generated, si: usize, t: &Table<'_>| {
        for (c, _, h) in &t.columns {
            g.headers.insert((si, *c), h.clone());
        }
    };

    // The TOML sheet first: what it defines need not have a sheet.
    let mut other_head: Vec<(String, Origin)> = Vec::new();
    let mut other_body: Vec<(String, Origin)> = Vec::new();
    let mut other_roots: Vec<String> = Vec::new();
    if let Some(sheet) = S_OTHER.find(book) {
        let si = sheet_index(book, sheet);
        g.sheet_of.insert("other".into(), si);
        let mut seen_header = false;
        let mut root_keys = false;
        let mut text = String::new();
        let mut bad = false;
        for (r, row) in sheet.rows.iter().enumerate() {
            let cell = row.first().unwrap_or(&Cell::Empty);
            if let Some((c, _)) = row.iter().enumerate().skip(1).find(|(_, c)| !c.is_empty()) {
                problems.push(cell_problem(book, sheet, r, Some((c, "")), Msg::new("TOML 只写在 A 列（每行一行）", "TOML goes in column A only (one line a row)")));
            }
            let line = match cell.text() {
                Ok(t) => t,
                Err(m) => {
                    problems.push(cell_problem(book, sheet, r, Some((0, "")), m));
                    bad = true;
                    continue;
                }
            };
            if OTHER_TITLE.contains(&line.as_str()) {
                continue;
            }
            text.push_str(&line);
            text.push('\n');
            let t = line.trim();
            if let Some(h) = header_name(&line) {
                seen_header = true;
                other_roots.push(root_of(&h));
            } else if !seen_header && !t.is_empty() && !t.starts_with('#') {
                root_keys = true;
            }
            let o = (si, r, Some(0));
            if seen_header { other_body.push((line, o)) } else { other_head.push((line, o)) }
        }
        // Comments above the first table go with it, unless keys outside any table come first
        // (those must open the plan's text).
        if !root_keys {
            other_head.append(&mut other_body);
            other_body = std::mem::take(&mut other_head);
        }
        if !bad {
            if let Err(e) = text.parse::<toml::Table>() {
                let row = e.span().map(|s| yardstick_formats::line_col(&text, s.start).0 - 1).unwrap_or(0);
                problems.push(cell_problem(book, sheet, row, Some((0, "")), Msg::new(format!("TOML 格式错误：{}", e.message()), format!("invalid TOML: {}", e.message()))));
            } else if let Ok(t) = text.parse::<toml::Table>() {
                for k in t.keys() {
                    if !other_roots.contains(k) {
                        other_roots.push(k.clone());
                    }
                }
            }
        }
    }
    let in_other = |k: &str| other_roots.iter().any(|r| r == k);
    let missing = |book: &Book, name: &SheetName| -> Problem {
        let have: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
        Problem {
            place: Place { file: book.file.clone(), sheet: Some(name.zh.into()), ..Place::default() },
            msg: Msg::new(
                format!("缺少工作表“{}”（工作簿中有：{}）", name.zh, have.join("、")),
                format!("the sheet '{}' ({}) is missing (the workbook has: {})", name.zh, name.en, have.join(", ")),
            ),
        }
    };

    for (line, o) in &other_head {
        g.push(line, Some(*o));
    }

    // [plan].
    match S_PLAN.find(book) {
        Some(sheet) => {
            let si = sheet_index(book, sheet);
            g.sheet_of.insert("plan".into(), si);
            let defs: Vec<&ColDef> = PLAN_COLS.iter().collect();
            if let Some((t, _)) = read_rows(book, sheet, &defs, &["field"], &[], false, &mut problems) {
                record_headers(&mut g, si, &t);
                let vcol = t.column("value").unwrap_or(1);
                let fcol = t.column("field").unwrap_or(0);
                let fcols = cols_of(&PLAN_FIELDS.iter().collect::<Vec<_>>());
                let mut origin = RowOrigin { sheet: si, row: t.header_row, cols: Vec::new(), extra: Some(vcol) };
                let mut lines = Vec::new();
                for r in t.rows() {
                    let name = match sheet.cell(r.row, fcol).text() {
                        Ok(n) => n,
                        Err(m) => {
                            problems.push(cell_problem(book, sheet, r.row, Some((fcol, t.header(fcol))), m));
                            continue;
                        }
                    };
                    let key = header_key(&name, &fcols);
                    let Some(def) = PLAN_FIELDS.iter().find(|d| d.key == key) else {
                        problems.push(cell_problem(
                            book,
                            sheet,
                            r.row,
                            Some((fcol, t.header(fcol))),
                            Msg::new(format!("未知的项目“{name}”（可用：方案编码、方案名称、年度、考核办、单位文件）"), format!("unknown field '{name}' (key, name, year, office, subjects)")),
                        ));
                        continue;
                    };
                    if origin.cols.iter().any(|(k, _)| k == def.key) {
                        problems.push(cell_problem(book, sheet, r.row, Some((fcol, t.header(fcol))), Msg::new(format!("项目“{name}”重复"), format!("the field '{name}' appears twice"))));
                        continue;
                    }
                    origin.cols.push((def.key.to_string(), r.row));
                    match literal(def.ty, sheet.cell(r.row, vcol)) {
                        Ok(Some(lit)) => lines.push((format!("{} = {lit}", def.key), (si, r.row, Some(vcol)))),
                        Ok(None) if matches!(def.key, "key" | "name" | "year") => {
                            problems.push(cell_problem(book, sheet, r.row, Some((vcol, t.header(vcol))), Msg::new("必填，不能为空", "required; the cell is empty")))
                        }
                        Ok(None) => {}
                        Err(m) => problems.push(cell_problem(book, sheet, r.row, Some((vcol, t.header(vcol))), m)),
                    }
                }
                for k in ["key", "name", "year"] {
                    if !origin.cols.iter().any(|(f, _)| f == k) {
                        let d = PLAN_FIELDS.iter().find(|d| d.key == k).map_or(k, |d| d.names[0]);
                        problems.push(Problem {
                            place: book.place(sheet, t.header_row, None),
                            msg: Msg::new(format!("缺少项目“{d}({k})”"), format!("the field '{k}' is missing")),
                        });
                    }
                }
                // A row per field: the place of `plan.year` is the row of 年度.
                g.push("[plan]", Some((si, t.header_row, None)));
                for (l, o) in lines {
                    g.push(&l, Some(o));
                }
                g.tables.insert(("plan".into(), 0), origin);
            }
        }
        None if in_other("plan") => {}
        None => problems.push(missing(book, &S_PLAN)),
    }

    // Series, subjects, modules: one table per row.
    let simple = |g: &mut Generated, problems: &mut Vec<Problem>, root: &str, name: &SheetName, cols: &[ColDef], required: &[&str], extra: &[&str], needed: bool| {
        let Some(sheet) = name.find(book) else {
            if needed && !in_other(root) {
                problems.push(missing(book, name));
            }
            return Vec::new();
        };
        let si = sheet_index(book, sheet);
        g.sheet_of.insert(root.into(), si);
        let mut defs: Vec<&ColDef> = cols.iter().collect();
        if !extra.is_empty() {
            defs.push(&EXTRA);
        }
        let Some((t, rows)) = read_rows(book, sheet, &defs, required, extra, false, problems) else { return Vec::new() };
        record_headers(g, si, &t);
        let mut keys = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            g.push(&format!("\n[[{root}]]"), Some((si, r.row, None)));
            let mut o = RowOrigin { sheet: si, row: r.row, cols: Vec::new(), extra: t.column("extra") };
            for f in &r.fields {
                g.push(&format!("{} = {}", bare_key(&f.key), f.lit), Some((si, r.row, Some(f.col))));
                o.cols.push((f.key.clone(), f.col));
            }
            for (c, k, _) in &t.columns {
                if !o.cols.iter().any(|(f, _)| f == k) {
                    o.cols.push((k.clone(), *c));
                }
            }
            let key = t.column("key").map(|c| sheet.cell(r.row, c).text().unwrap_or_default()).unwrap_or_default();
            keys.push((key, r.row));
            g.tables.insert((root.to_string(), i), o);
        }
        keys
    };
    simple(&mut g, &mut problems, "series", &S_SERIES, SERIES_COLS, &["key", "name"], &[], false);

    // Grade sets: rows grouped by set, in order of first appearance.
    match S_GRADES.find(book) {
        Some(sheet) => {
            let si = sheet_index(book, sheet);
            g.sheet_of.insert("grade_sets".into(), si);
            let defs: Vec<&ColDef> = GRADE_COLS.iter().collect();
            if let Some((t, rows)) = read_rows(book, sheet, &defs, &["key", "grade"], &[], false, &mut problems) {
                record_headers(&mut g, si, &t);
                // set key → (first row, set fields, grades)
                let mut order: Vec<String> = Vec::new();
                let mut sets: HashMap<String, (usize, BTreeMap<String, (String, usize, usize)>, Vec<&ReadRow>)> = HashMap::new();
                for r in &rows {
                    let Some(key) = r.fields.iter().find(|f| f.key == "key") else { continue };
                    let e = sets.entry(key.lit.clone()).or_insert_with(|| {
                        order.push(key.lit.clone());
                        (r.row, BTreeMap::new(), Vec::new())
                    });
                    for f in r.fields.iter().filter(|f| SET_FIELDS.contains(&f.key.as_str()) && f.key != "key") {
                        match e.1.get(&f.key) {
                            Some((lit, _, _)) if *lit != f.lit => problems.push(cell_problem(
                                book,
                                sheet,
                                r.row,
                                Some((f.col, t.header(f.col))),
                                Msg::new(format!("同一等次组的“{}”前后不一致", t.header(f.col)), format!("'{}' differs between rows of the same grade set", t.header(f.col))),
                            )),
                            Some(_) => {}
                            None => {
                                e.1.insert(f.key.clone(), (f.lit.clone(), r.row, f.col));
                            }
                        }
                    }
                    e.2.push(r);
                }
                for (i, key) in order.iter().enumerate() {
                    let (row, fields, grades) = &sets[key];
                    g.push("\n[[grade_sets]]", Some((si, *row, None)));
                    g.push(&format!("key = {key}"), Some((si, *row, t.column("key"))));
                    let mut o = RowOrigin { sheet: si, row: *row, cols: vec![("key".into(), t.column("key").unwrap_or(0))], extra: None };
                    for name in SET_FIELDS.iter().skip(1) {
                        if let Some((lit, r, c)) = fields.get(*name) {
                            g.push(&format!("{name} = {lit}"), Some((si, *r, Some(*c))));
                            o.cols.push((name.to_string(), *c));
                        } else if let Some(c) = t.column(name) {
                            o.cols.push((name.to_string(), c));
                        }
                    }
                    g.push("grades = [", Some((si, *row, None)));
                    for (gi, r) in grades.iter().enumerate() {
                        let parts: Vec<String> = r
                            .fields
                            .iter()
                            .filter(|f| matches!(f.key.as_str(), "grade" | "quota" | "min_score"))
                            .map(|f| format!("{} = {}", if f.key == "grade" { "name" } else { &f.key }, f.lit))
                            .collect();
                        g.push(&format!("  {{ {} }},", parts.join(", ")), Some((si, r.row, None)));
                        let cols = ["grade", "quota", "min_score"].iter().filter_map(|k| Some((k.to_string(), t.column(k)?))).collect();
                        g.grades.insert((i, gi), RowOrigin { sheet: si, row: r.row, cols, extra: None });
                    }
                    g.push("]", Some((si, *row, None)));
                    g.tables.insert(("grade_sets".into(), i), o);
                }
            }
        }
        None if in_other("grade_sets") => {}
        None => problems.push(missing(book, &S_GRADES)),
    }

    let categories = simple(&mut g, &mut problems, "categories", &S_CATEGORIES, CATEGORY_COLS, &["key", "name", "grade_set"], CATEGORY_FIELDS, true);
    simple(&mut g, &mut problems, "subjects", &S_SUBJECTS, SUBJECT_COLS, &["key", "name"], &[], false);
    simple(&mut g, &mut problems, "modules", &S_MODULES, MODULE_COLS, &["key", "name"], &[], false);

    // The weights matrix, read before the indicators so that each indicator's table gets its line.
    let mut weight_rows: HashMap<String, (usize, Vec<(String, String, usize)>)> = HashMap::new();
    let mut weights_sheet = None;
    if let Some(sheet) = S_WEIGHTS.find(book) {
        let si = sheet_index(book, sheet);
        weights_sheet = Some(si);
        let defs: Vec<&ColDef> = WEIGHT_COLS.iter().collect();
        if let Some((t, rows)) = read_rows(book, sheet, &defs, &["indicator"], &[], true, &mut problems) {
            record_headers(&mut g, si, &t);
            let known: Vec<&str> = categories.iter().map(|(k, _)| k.as_str()).collect();
            let cat_cols: Vec<(usize, String)> = t.columns.iter().filter(|(_, k, _)| k != "indicator" && k != "name").map(|(c, k, _)| (*c, k.clone())).collect();
            for (c, k) in &cat_cols {
                if !categories.is_empty() && !known.contains(&k.as_str()) {
                    problems.push(cell_problem(
                        book,
                        sheet,
                        t.header_row,
                        Some((*c, t.header(*c))),
                        Msg::new(format!("类别“{k}”不存在（“类别”工作表中没有）"), format!("the category '{k}' does not exist (it is not on the categories sheet)")),
                    ));
                }
            }
            let icol = t.column("indicator").unwrap_or(0);
            for r in &rows {
                let Some(ind) = r.fields.iter().find(|f| f.key == "indicator") else { continue };
                let key = sheet.cell(r.row, icol).text().unwrap_or_default();
                let mut ws = Vec::new();
                for (c, k) in &cat_cols {
                    match literal(Ty::Num, sheet.cell(r.row, *c)) {
                        Ok(Some(lit)) => ws.push((k.clone(), lit, *c)),
                        Ok(None) => {}
                        Err(m) => problems.push(cell_problem(book, sheet, r.row, Some((*c, t.header(*c))), m)),
                    }
                }
                if weight_rows.contains_key(&key) {
                    problems.push(cell_problem(book, sheet, r.row, Some((icol, t.header(icol))), Msg::new(format!("指标“{key}”重复"), format!("the indicator '{key}' appears twice"))));
                    continue;
                }
                let _ = ind;
                weight_rows.insert(key, (r.row, ws));
            }
        }
    }

    // Indicators.
    match S_INDICATORS.find(book) {
        Some(sheet) => {
            let si = sheet_index(book, sheet);
            g.sheet_of.insert("indicators".into(), si);
            let mut defs: Vec<&ColDef> = INDICATOR_COMMON.iter().chain(INDICATOR_PARAMS).collect();
            defs.push(&EXTRA);
            if let Some((t, rows)) = read_rows(book, sheet, &defs, &["key", "name", "method"], INDICATOR_FIELDS, false, &mut problems) {
                record_headers(&mut g, si, &t);
                let mut used = Vec::new();
                for (i, r) in rows.iter().enumerate() {
                    g.push("\n[[indicators]]", Some((si, r.row, None)));
                    let mut o = RowOrigin { sheet: si, row: r.row, cols: Vec::new(), extra: t.column("extra") };
                    for f in &r.fields {
                        g.push(&format!("{} = {}", bare_key(&f.key), f.lit), Some((si, r.row, Some(f.col))));
                        o.cols.push((f.key.clone(), f.col));
                    }
                    for (c, k, _) in &t.columns {
                        if !o.cols.iter().any(|(f, _)| f == k) {
                            o.cols.push((k.clone(), *c));
                        }
                    }
                    let key = t.column("key").map(|c| sheet.cell(r.row, c).text().unwrap_or_default()).unwrap_or_default();
                    if let (Some(wsi), Some((wrow, ws))) = (weights_sheet, weight_rows.get(&key)) {
                        if !used.contains(&key) {
                            used.push(key.clone());
                            if !ws.is_empty() {
                                if r.fields.iter().any(|f| f.key == "weights") {
                                    problems.push(cell_problem(
                                        book,
                                        sheet,
                                        r.row,
                                        o.extra.map(|c| (c, t.header(c))),
                                        Msg::new("此指标的分类别分值已在“权重”工作表中填写，不能在其他参数中再写 weights", "this indicator's per-category weights are on the weights sheet; do not give weights here too"),
                                    ));
                                }
                                let parts: Vec<String> = ws.iter().map(|(k, lit, _)| format!("{} = {lit}", bare_key(k))).collect();
                                g.push(&format!("weights = {{ {} }}", parts.join(", ")), Some((wsi, *wrow, None)));
                            }
                            g.weights.insert(i, RowOrigin { sheet: wsi, row: *wrow, cols: ws.iter().map(|(k, _, c)| (k.clone(), *c)).collect(), extra: None });
                        }
                    }
                    g.tables.insert(("indicators".into(), i), o);
                }
                if let Some(wsi) = weights_sheet {
                    let wsheet = &book.sheets[wsi];
                    let mut stray: Vec<(&String, &usize)> = weight_rows.iter().filter(|(k, _)| !used.contains(k)).map(|(k, (r, _))| (k, r)).collect();
                    stray.sort_by_key(|x| *x.1);
                    for (k, row) in stray {
                        problems.push(cell_problem(
                            book,
                            wsheet,
                            *row,
                            Some((0, "")),
                            Msg::new(format!("指标“{k}”不在“指标”工作表中"), format!("the indicator '{k}' is not on the indicators sheet")),
                        ));
                    }
                }
            }
        }
        None if in_other("indicators") => {}
        None => problems.push(missing(book, &S_INDICATORS)),
    }

    if !other_body.is_empty() {
        g.push("", None);
        for (line, o) in &other_body {
            g.push(line, Some(*o));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(g)
}

/// Reads a plan workbook into TOML text and checks it with the plan loader; every problem is
/// located in the workbook. `subjects` is the loader's subjects source (the registry's units
/// in the server), used when the plan lists none of its own.
pub fn plan_from_book(book: &Book, subjects: Option<SubjectsSource<'_>>) -> Result<String, Vec<Problem>> {
    let g = book_to_toml(book)?;
    check(&g, subjects)?;
    Ok(g.toml)
}

/// Checks generated text with the plan loader, problems located in the workbook.
pub fn check(g: &Generated, subjects: Option<SubjectsSource<'_>>) -> Result<(), Vec<Problem>> {
    const FILE: &str = "plan.toml";
    match load_plan(FILE, &g.toml, subjects) {
        Ok(_) => Ok(()),
        Err(ps) => Err(ps.into_iter().map(|p| g.locate(FILE, p)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(float_lit(1.0), "1.0");
        assert_eq!(float_lit(0.1), "0.1");
        let v: toml::Table = "x = [{ name = \"好\", share = 1 }, { name = \"差\", share = 0.5 }]\ny = { \"优秀\" = \"15%\" }".parse().unwrap();
        assert_eq!(inline(&v["x"]), "[{ name = \"好\", share = 1 }, { name = \"差\", share = 0.5 }]");
        assert_eq!(inline(&v["y"]), "{ \"优秀\" = \"15%\" }");
        assert_eq!(number_literal("25"), "25");
        assert_eq!(number_literal("0.1"), "0.1");
        assert_eq!(number_literal("100000000000000000000"), "\"100000000000000000000\"");
    }

    #[test]
    fn headers() {
        assert_eq!(header_name("[[versions.indicators]]").as_deref(), Some("versions.indicators"));
        assert_eq!(header_name("[aggregation.year] # c").as_deref(), Some("aggregation.year"));
        assert_eq!(header_name("  [5, 0.6],"), None);
        assert_eq!(root_of("categories.aggregation.year"), "categories");
    }
}
