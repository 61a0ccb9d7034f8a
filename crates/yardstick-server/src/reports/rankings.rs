//! Each category's ranking for a period, as the office circulates it: one table (one sheet)
//! per category with rank (ties written 并列, as the notice does), unit, score, each
//! indicator's points, points lost, grade and a remark that names a veto and its reasons or
//! a demotion. The rows are the result set's, in its order; the figures are its exact text.

use std::collections::HashMap;

use rayon::prelude::*;
use yardstick_formats::Lang;
use yardstick_sheets::report::{Block, Column, Report, Table, Value};
use yardstick_storage::registry::Category;
use yardstick_storage::results::ResultRow;

use super::{Detail, Names, Source, period_label, rank_words, score_value};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// What a ranking is made of (all of it already limited to what the caller may see).
pub struct Input<'a> {
    pub plan_name: &'a str,
    pub office: &'a str,
    pub period: &'a str,
    pub source: &'a Source,
    /// The categories to show, in display order.
    pub categories: &'a [Category],
    /// Each category's rows in order.
    pub rows: HashMap<String, std::sync::Arc<Vec<ResultRow>>>,
    pub names: &'a Names,
    /// Subject → what its explanation says (empty: no indicator columns, no remarks).
    pub details: &'a HashMap<String, Detail>,
    /// Indicator key → name, in the plan's order.
    pub indicators: &'a [(String, String)],
    pub lang: Lang,
}

/// The ranking report.
pub fn build(x: &Input<'_>) -> Report {
    let lang = x.lang;
    let label = period_label(x.period, lang);
    let title = match lang {
        Lang::Zh => format!("{label}考核结果排名"),
        _ => format!("Rankings, {label}"),
    };
    let mut meta = vec![(lang.pick("考核方案", "Plan").to_string(), x.plan_name.to_string()), (lang.pick("期间", "Period").to_string(), label.clone())];
    meta.push((lang.pick("发布", "Publication").to_string(), x.source.line(lang)));
    let mut blocks = Vec::new();
    for cat in x.categories {
        let Some(rows) = x.rows.get(&cat.key).filter(|r| !r.is_empty()) else { continue };
        blocks.push(Block::Table(table(x, cat, rows)));
    }
    if blocks.is_empty() {
        blocks.push(Block::Paragraph(lang.pick("本期没有可导出的类别结果。", "There are no category results to export for this period.").into()));
    }
    let mut footer = Vec::new();
    if !x.office.is_empty() {
        footer.push(x.office.to_string());
    }
    footer.push(x.source.date());
    Report { title, meta, blocks, footer }
}

fn table(x: &Input<'_>, cat: &Category, rows: &[ResultRow]) -> Table {
    let lang = x.lang;
    // The indicators the category's explanations name, in the plan's order.
    let mut present: Vec<&str> = Vec::new();
    if !x.details.is_empty() {
        let mut seen = std::collections::HashSet::new();
        for r in rows {
            if let Some(d) = x.details.get(&r.subject) {
                for i in &d.explain.indicators {
                    seen.insert(i.indicator.as_str());
                }
            }
        }
        present = x.indicators.iter().map(|(k, _)| k.as_str()).filter(|k| seen.contains(k)).collect();
        // Indicators the plan no longer names (an older version) come last, as named.
        let mut rest: Vec<&str> = seen.into_iter().filter(|k| !present.contains(k)).collect();
        rest.sort_unstable();
        present.extend(rest);
    }
    let ind_name: HashMap<&str, &str> = x.indicators.iter().map(|(k, n)| (k.as_str(), n.as_str())).collect();
    let mut columns = vec![
        Column::text(lang.pick("名次", "Rank"), 10.0),
        Column::text(lang.pick("单位", "Unit"), 18.0),
        Column::number(lang.pick("得分", "Score"), 2, 9.0),
    ];
    for k in &present {
        columns.push(Column::number(ind_name.get(k).copied().unwrap_or(*k), 2, 10.0));
    }
    columns.push(Column::number(lang.pick("失分", "Points lost"), 2, 8.0));
    columns.push(Column::text(lang.pick("等次", "Grade"), 8.0));
    columns.push(Column::text(lang.pick("备注", "Remark"), 24.0));
    columns.push(Column::text(lang.pick("单位编码", "Unit key"), 10.0));
    let out: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            let d = x.details.get(&r.subject);
            let mut v = vec![Value::Text(rank_words(r, lang)), Value::Text(x.names.get(&r.subject).cloned().unwrap_or_else(|| r.subject.clone())), score_value(r.score.as_deref())];
            for k in &present {
                let p = d.and_then(|d| d.explain.indicators.iter().find(|i| i.indicator == *k)).map(|i| i.points.as_str());
                v.push(match p {
                    Some(p) if !p.is_empty() => Value::Number(p.to_string()),
                    _ => Value::Empty,
                });
            }
            v.push(Value::Number(r.lost.clone()));
            v.push(r.grade.clone().map_or(Value::Empty, Value::Text));
            let mut remark = d.map(|d| d.remark.pick(lang).to_string()).unwrap_or_default();
            if r.vetoed && !remark.contains(lang.pick("一票否决", "veto")) {
                remark = if remark.is_empty() { lang.pick("一票否决", "vetoed").to_string() } else { format!("{}{}{remark}", lang.pick("一票否决", "vetoed"), lang.pick("；", "; ")) };
            }
            v.push(if remark.is_empty() { Value::Empty } else { Value::Text(remark) });
            v.push(Value::Text(r.subject.clone()));
            v
        })
        .collect();
    let tied = rows.iter().any(|r| r.tied);
    let mut notes = Vec::new();
    if tied {
        notes.push(lang.pick("注：得分相同的单位名次并列。", "Note: units with equal scores share a rank (=).").to_string());
    }
    if !present.is_empty() {
        notes.push(lang.pick("各指标得分为计算过程值（保留四位小数）；得分为公布得分（保留两位小数）。", "Indicator points are working values (four decimals); the score is the published score (two decimals).").to_string());
    }
    let caption = match lang {
        Lang::Zh => format!("{}（{}个单位）", cat.name, rows.len()),
        _ => format!("{} ({} units)", cat.name, rows.len()),
    };
    Table { name: cat.name.clone(), caption, columns, rows: out, notes }
}

/// Reads the explanations of the given categories' rows in one query per category and
/// keeps what a ranking needs (decompressed and parsed in parallel).
pub async fn details(st: &AppState, set_id: i64, categories: &[Category], all: bool) -> ApiResult<HashMap<String, Detail>> {
    let mut packed = Vec::new();
    if all {
        packed = st.db.result_explanations(set_id, None).await?;
    } else {
        for c in categories {
            packed.extend(st.db.result_explanations(set_id, Some(&c.key)).await?);
        }
    }
    tokio::task::spawn_blocking(move || {
        packed
            .into_par_iter()
            .map(|(subject, e)| {
                let json = e.json().map_err(ApiError::from)?;
                let d: Detail = serde_json::from_str(&json).map_err(ApiError::internal)?;
                Ok((subject, d))
            })
            .collect::<ApiResult<HashMap<String, Detail>>>()
    })
    .await
    .map_err(ApiError::internal)?
}
