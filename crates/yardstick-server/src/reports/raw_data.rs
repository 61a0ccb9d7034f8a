//! A period's raw data: every stored value and every occurrence (with its reason) of every
//! unit, in the long form of docs/workbooks.md — one row per unit × indicator × period, the
//! fields as columns, headers written `中文名(key)` — with the hidden `yardstick` sheet
//! (`kind = raw_data`), so that the data import reads it back as the same data.
//!
//! A value is written as a number cell only when its stored text is exactly the shortest
//! form of that number ("95", "0.1"); any other text ("1.20", "007", "A") stays text, so
//! nothing changes on the way back.

use std::collections::{BTreeSet, HashMap};

use yardstick_engine::{Level, Period};
use yardstick_formats::Lang;
use yardstick_sheets::report::{Column, Report, Table, Value};
use yardstick_sheets::write::round_trips_as_number;
use yardstick_storage::values::{Occurrence, ValueRow};

use super::{Names, period_label};

/// The format and kind written to the hidden sheet.
pub const FORMAT: &str = "yardstick-data-1";
pub const KIND: &str = "raw_data";

/// The known field columns, in the order they are written, with their Chinese names.
const FIELDS: [(&str, &str); 8] = [("actual", "实际值"), ("target", "目标值"), ("growth", "增速"), ("target_growth", "目标增速"), ("value", "数值"), ("count", "次数"), ("level", "等级"), ("grade", "等次")];

/// The stored periods a period's raw data covers: itself and every shorter period in it
/// (a quarter's months, a year's months, quarters and halves).
pub fn periods_within(p: Period) -> Vec<String> {
    Level::ALL.into_iter().filter(|l| *l <= p.level).flat_map(|l| p.parts(l)).map(|x| x.to_string()).collect()
}

pub struct Input<'a> {
    pub plan_key: &'a str,
    pub plan_name: &'a str,
    pub period: &'a str,
    pub values: &'a [ValueRow],
    pub occurrences: &'a [Occurrence],
    pub names: &'a Names,
    /// Indicator key → (name, unit of measure).
    pub indicators: &'a HashMap<String, (String, Option<String>)>,
    pub lang: Lang,
}

fn header(key: &str) -> String {
    match FIELDS.iter().find(|(k, _)| *k == key) {
        Some((_, zh)) => format!("{zh}({key})"),
        None => key.to_string(),
    }
}

fn cell(v: &str) -> Value {
    if v.is_empty() {
        Value::Empty
    } else if round_trips_as_number(v).is_some() {
        Value::Number(v.to_string())
    } else {
        Value::Text(v.to_string())
    }
}

/// The raw-data report (one table, the sheet `数据`) and the hidden sheet's pairs.
pub fn build(x: &Input<'_>) -> (Report, Vec<(String, String)>) {
    let lang = x.lang;
    let fields: BTreeSet<&str> = x.values.iter().map(|v| v.field.as_str()).chain(x.occurrences.iter().map(|o| o.field.as_str())).collect();
    let mut order: Vec<&str> = FIELDS.iter().map(|(k, _)| *k).filter(|k| fields.contains(k)).collect();
    order.extend(fields.iter().copied().filter(|f| !FIELDS.iter().any(|(k, _)| k == f)));
    let mut columns = vec![
        Column::text("期间(period)", 10.0),
        Column::text("单位编码(subject)", 12.0),
        Column::text("单位名称(subject_name)", 16.0),
        Column::text("指标编码(indicator)", 12.0),
        Column::text("指标名称(indicator_name)", 20.0),
        Column::text("计量单位(measure)", 10.0),
        Column::text("原因(reason)", 24.0),
    ];
    columns.extend(order.iter().map(|f| Column::text(header(f), 10.0)));
    let fixed = |period: &str, subject: &str, indicator: &str, reason: &str| {
        let (iname, measure) = x.indicators.get(indicator).cloned().unwrap_or_default();
        vec![
            Value::text(period),
            Value::text(subject),
            x.names.get(subject).map_or(Value::Empty, |n| Value::text(n.clone())),
            Value::text(indicator),
            if iname.is_empty() { Value::Empty } else { Value::Text(iname) },
            measure.map_or(Value::Empty, Value::Text),
            if reason.is_empty() { Value::Empty } else { Value::text(reason) },
        ]
    };
    // Values: one row per period × unit × indicator.
    let mut grouped: std::collections::BTreeMap<(&str, &str, &str), HashMap<&str, &str>> = std::collections::BTreeMap::new();
    for v in x.values {
        grouped.entry((v.period.as_str(), v.subject.as_str(), v.indicator.as_str())).or_default().insert(v.field.as_str(), v.value.as_str());
    }
    let mut rows = Vec::with_capacity(grouped.len() + x.occurrences.len());
    for ((period, subject, indicator), f) in &grouped {
        let mut row = fixed(*period, *subject, *indicator, "");
        row.extend(order.iter().map(|k| f.get(k).map_or(Value::Empty, |v| cell(v))));
        rows.push(row);
    }
    // Occurrences: one row each, with the reason, in the order recorded.
    let mut occ: Vec<&Occurrence> = x.occurrences.iter().collect();
    occ.sort_by(|a, b| (a.period.as_str(), a.subject.as_str(), a.id).cmp(&(b.period.as_str(), b.subject.as_str(), b.id)));
    for o in occ {
        let mut row = fixed(&o.period, &o.subject, &o.indicator, &o.reason);
        row.extend(order.iter().map(|k| if *k == o.field { o.amount.as_deref().map_or(Value::Empty, cell) } else { Value::Empty }));
        rows.push(row);
    }
    let label = period_label(x.period, lang);
    let title = match lang {
        Lang::Zh => format!("{label}考核数据"),
        _ => format!("Appraisal data, {label}"),
    };
    let meta = vec![
        (lang.pick("考核方案", "Plan").to_string(), format!("{}（{}）", x.plan_name, x.plan_key)),
        (lang.pick("期间", "Period").to_string(), label),
        (lang.pick("行数", "Rows").to_string(), match lang {
            Lang::Zh => format!("{}（数值 {} 行，扣分加分记录 {} 行）", rows.len(), grouped.len(), x.occurrences.len()),
            _ => format!("{} ({} of values, {} occurrences)", rows.len(), grouped.len(), x.occurrences.len()),
        }),
    ];
    let table = Table {
        name: "数据".into(),
        caption: String::new(),
        columns,
        rows,
        notes: vec![],
    };
    let hidden = vec![
        ("format".to_string(), FORMAT.to_string()),
        ("kind".to_string(), KIND.to_string()),
        ("plan".to_string(), x.plan_key.to_string()),
        ("period".to_string(), x.period.to_string()),
    ];
    (Report { title, meta, blocks: vec![yardstick_sheets::report::Block::Table(table)], footer: vec![] }, hidden)
}
