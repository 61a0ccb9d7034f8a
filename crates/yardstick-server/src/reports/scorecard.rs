//! A unit's scorecard for a period: its score, rank, grade and points lost, then every
//! indicator's inputs, points and points lost, every deduction and bonus with its reason,
//! and the positive and negative lists, read from the same stored explanation as the
//! explanation page (`ui/results.rs::explain_page`), so both say the same.

use std::collections::HashMap;

use serde_json::Value as Json;
use yardstick_formats::Lang;
use yardstick_sheets::report::{Block, Column, Report, Table, Value};
use yardstick_storage::results::ResultRow;

use super::{Source, period_label, rank_words};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::ui::fmt_cents;
use crate::ui::results::{cents_loose, field_label, json_text as s, method_name};

/// A field's name in the document's language (`actual` → 实际值).
fn field_name(key: &str, lang: Lang) -> String {
    field_label(key).map_or_else(|| key.to_string(), |(zh, en)| lang.pick(zh, en).to_string())
}

/// The scorecard of a unit the caller may reach (the handler checks) from a result set:
/// the same document for the workbook and for the PDF.
pub async fn load(st: &AppState, plan_key: &str, plan_name: &str, period: &str, unit: &yardstick_storage::registry::Unit, source: &Source, lang: Lang) -> ApiResult<Report> {
    let (row, detail) = st.db.result_row(source.set_id(), &unit.key).await?.ok_or_else(|| ApiError::not_found("该单位没有本期结果", "this unit has no result for the period"))?;
    let detail: Json = serde_json::from_str(&detail).map_err(ApiError::internal)?;
    let (indicators, office, _) = crate::api::exports::plan_facts(st, plan_key).await?;
    let indicator_names: HashMap<String, String> = indicators.into_iter().collect();
    let category = match &unit.category_key {
        Some(k) => st.db.category(k).await?.map(|c| c.name).unwrap_or_else(|| k.clone()),
        None => String::new(),
    };
    Ok(build(&Input {
        plan_name,
        office: &office,
        period,
        source,
        unit_key: &unit.key,
        unit_name: &unit.name,
        category: &category,
        row: &row,
        detail: &detail,
        indicator_names: &indicator_names,
        lang,
    }))
}

pub struct Input<'a> {
    pub plan_name: &'a str,
    pub office: &'a str,
    pub period: &'a str,
    pub source: &'a Source,
    pub unit_key: &'a str,
    pub unit_name: &'a str,
    pub category: &'a str,
    pub row: &'a ResultRow,
    /// The stored explanation (JSON).
    pub detail: &'a Json,
    /// Indicator key → name.
    pub indicator_names: &'a HashMap<String, String>,
    pub lang: Lang,
}

/// One indicator line of the scorecard.
struct Line {
    key: String,
    name: String,
    method: String,
    weight: String,
    inputs: String,
    points: String,
    lost: Option<String>,
    negative: bool,
    in_total: bool,
    effect: String,
}

pub fn build(x: &Input<'_>) -> Report {
    let lang = x.lang;
    let label = period_label(x.period, lang);
    let ex = &x.detail["explain"];
    let lk = if lang == Lang::Zh { "zh" } else { "en" };
    let mut lines = Vec::new();
    let mut occurrences: Vec<Vec<Value>> = Vec::new();
    for i in ex["indicators"].as_array().into_iter().flatten() {
        let key = s(&i["indicator"]);
        let name = x.indicator_names.get(&key).cloned().unwrap_or_else(|| key.clone());
        let points = s(&i["points"]);
        let weight = s(&i["weight"]);
        let in_total = i["in_total"].as_bool().unwrap_or(true);
        let lost = match (cents_loose(&weight), cents_loose(&points)) {
            (Some(w), Some(p)) if in_total && w - p > 0 => Some(fmt_cents(w - p)),
            _ => None,
        };
        for o in i["occurrences"].as_array().into_iter().flatten() {
            let amount = s(&o["amount"]);
            occurrences.push(vec![
                Value::Text(name.clone()),
                Value::Text(key.clone()),
                if amount.is_empty() { Value::Int(1) } else { Value::Number(amount) },
                Value::Text(s(&o["reason"])),
                Value::Number(points.clone()),
            ]);
        }
        lines.push(Line {
            negative: cents_loose(&points).is_some_and(|c| c < 0),
            method: method_name(&s(&i["method"]), lang),
            inputs: i["inputs"].as_array().into_iter().flatten().map(|v| format!("{} = {}", field_name(&s(&v["field"]), lang), s(&v["value"]))).collect::<Vec<_>>().join(lang.pick("；", "; ")),
            effect: s(&i["effect"]),
            in_total,
            key,
            name,
            weight,
            points,
            lost,
        });
    }
    let r = x.row;
    let remark = s(&x.detail["remark"][lk]);
    let mut meta = vec![
        (lang.pick("单位", "Unit").to_string(), format!("{}（{}）", x.unit_name, x.unit_key)),
        (lang.pick("类别", "Category").to_string(), x.category.to_string()),
        (lang.pick("考核方案", "Plan").to_string(), x.plan_name.to_string()),
        (lang.pick("期间", "Period").to_string(), label.clone()),
        (lang.pick("得分", "Score").to_string(), r.score.clone().unwrap_or_else(|| "—".into())),
        (lang.pick("名次", "Rank").to_string(), rank_words(r, lang)),
        (lang.pick("等次", "Grade").to_string(), r.grade.clone().unwrap_or_else(|| "—".into())),
        (lang.pick("失分", "Points lost").to_string(), r.lost.clone()),
    ];
    if r.vetoed || !remark.is_empty() {
        let v = if r.vetoed && remark.is_empty() { lang.pick("一票否决", "vetoed").to_string() } else { remark.clone() };
        meta.push((lang.pick("备注", "Remark").to_string(), v));
    }
    meta.push((lang.pick("发布", "Publication").to_string(), x.source.line(lang)));

    let indicators = Table {
        name: lang.pick("指标得分", "Indicators").into(),
        caption: lang.pick("一、各项指标：输入 → 计分方法 → 得分", "1. Indicators: inputs → method → points").into(),
        columns: vec![
            Column::text(lang.pick("指标", "Indicator"), 20.0),
            Column::text(lang.pick("指标编码", "Key"), 10.0),
            Column::text(lang.pick("计分方法", "Method"), 14.0),
            Column::number(lang.pick("分值", "Weight"), 2, 8.0),
            Column::text(lang.pick("输入数据", "Inputs"), 30.0),
            Column::number(lang.pick("得分", "Points"), 2, 9.0),
            Column::number(lang.pick("失分", "Lost"), 2, 8.0),
            Column::text(lang.pick("说明", "Note"), 24.0),
        ],
        rows: lines
            .iter()
            .map(|l| {
                let mut note = l.effect.clone();
                if !l.in_total {
                    let k = lang.pick("不计入总分", "kept out of the total");
                    note = if note.is_empty() { k.to_string() } else { format!("{k}{}{note}", lang.pick("；", "; ")) };
                }
                vec![
                    Value::Text(l.name.clone()),
                    Value::Text(l.key.clone()),
                    Value::Text(l.method.clone()),
                    if l.weight.is_empty() { Value::Empty } else { Value::Number(l.weight.clone()) },
                    Value::Text(l.inputs.clone()),
                    Value::Number(l.points.clone()),
                    l.lost.clone().map_or(Value::Empty, Value::Number),
                    if note.is_empty() { Value::Empty } else { Value::Text(note) },
                ]
            })
            .collect(),
        notes: vec![
            format!("{}{}", lang.pick("各项指标合计：", "Indicators' total: "), s(&ex["total"])),
            format!("{}{}", lang.pick("公布得分（保留两位小数）：", "Published score (two decimals): "), r.score.clone().unwrap_or_else(|| "—".into())),
        ],
    };
    let deductions = Table {
        name: lang.pick("扣分与加分", "Deductions").into(),
        caption: lang.pick("二、扣分与加分记录及原因", "2. Deductions and bonuses, with reasons").into(),
        columns: vec![
            Column::text(lang.pick("指标", "Indicator"), 20.0),
            Column::text(lang.pick("指标编码", "Key"), 10.0),
            Column::number(lang.pick("次数/数额", "Count / amount"), 0, 10.0),
            Column::text(lang.pick("原因", "Reason"), 40.0),
            Column::number(lang.pick("该指标得分", "Indicator points"), 2, 10.0),
        ],
        notes: if occurrences.is_empty() { vec![lang.pick("本期没有扣分或加分记录。", "No deductions or bonuses were recorded this period.").into()] } else { vec![] },
        rows: occurrences,
    };
    let mut lists = Vec::new();
    for l in &lines {
        if l.lost.is_none() && !l.negative {
            lists.push(vec![Value::text(lang.pick("正向（得满分）", "positive (full marks)")), Value::Text(l.name.clone()), Value::Number(l.points.clone()), Value::Empty, Value::Empty]);
        }
    }
    for l in &lines {
        if l.lost.is_some() || l.negative {
            let lost = l.lost.clone().unwrap_or_else(|| l.points.clone());
            lists.push(vec![
                Value::text(lang.pick("反向（失分）", "negative (points lost)")),
                Value::Text(l.name.clone()),
                Value::Number(l.points.clone()),
                Value::Number(lost),
                if l.effect.is_empty() { Value::Empty } else { Value::Text(l.effect.clone()) },
            ]);
        }
    }
    let lists = Table {
        name: lang.pick("正反向清单", "Lists").into(),
        caption: lang.pick("三、正、反向清单", "3. Positive and negative lists").into(),
        columns: vec![
            Column::text(lang.pick("清单", "List"), 14.0),
            Column::text(lang.pick("指标", "Indicator"), 20.0),
            Column::number(lang.pick("得分", "Points"), 2, 9.0),
            Column::number(lang.pick("失分", "Lost"), 2, 8.0),
            Column::text(lang.pick("原因", "Why"), 36.0),
        ],
        rows: lists,
        notes: vec![],
    };
    let title = match lang {
        Lang::Zh => format!("{}{label}考核得分说明", x.unit_name),
        _ => format!("{}: scorecard, {label}", x.unit_name),
    };
    let mut footer = Vec::new();
    if !x.office.is_empty() {
        footer.push(x.office.to_string());
    }
    footer.push(x.source.date());
    Report { title, meta, blocks: vec![Block::Table(indicators), Block::Table(deductions), Block::Table(lists)], footer }
}
