//! A unit's scorecard (得分说明) for printing: the published result, every indicator's
//! points and points lost, and every deduction with its reason, from the published
//! explanation — the same figures as the explanation page (`/results/{plan}/{period}/{unit}`).
//! Renderer-neutral: a `Report` that `yardstick-pdf` prints.

use serde_json::Value as Json;
use yardstick_formats::Lang;
use yardstick_sheets::report::{Block, Column, Report, Table, Value};

use crate::AppState;
use crate::api;
use crate::error::{ApiError, ApiResult};
use crate::reports::notice::rank_words;
use crate::ui::{cents, datetime, fmt_cents, period_label, tr};

/// The scorecard of a unit the caller may reach (the caller checks), as published.
pub async fn build(st: &AppState, lang: Lang, plan_key: &str, plan_name: &str, period: &str, unit_key: &str, version: Option<i64>) -> ApiResult<(Report, String, String)> {
    let p = api::publication(st, plan_key, period, version).await?;
    let unit = st.db.unit(unit_key).await?.ok_or_else(|| ApiError::not_found(format!("单位“{unit_key}”不存在"), format!("the unit '{unit_key}' does not exist")))?;
    let (row, detail) = st.db.result_row(p.set_id, unit_key).await?.ok_or_else(|| ApiError::not_found("该单位没有本期结果", "this unit has no result for the period"))?;
    let detail: Json = serde_json::from_str(&detail).map_err(ApiError::internal)?;
    let cached = st.models.get(&st.db, plan_key).await.map_err(api::compute_error)?;
    let names: std::collections::HashMap<String, String> = cached.model.versions.iter().flat_map(|v| v.indicators.iter().map(|i| (i.key.clone(), i.name.clone()))).collect();
    let category = match &unit.category_key {
        Some(k) => st.db.category(k).await?.map(|c| c.name).unwrap_or_else(|| k.clone()),
        None => String::new(),
    };
    let t = |zh: &str, en: &str| tr(lang, zh, en).to_string();
    let label = period_label(period, lang);
    let title = if lang == Lang::Zh { format!("{}{label}考核得分说明", unit.name) } else { format!("Scorecard of {}, {label}", unit.name) };
    let version_line = if lang == Lang::Zh { format!("第 {} 版，{} 发布", p.version, datetime(p.published_ms)) } else { format!("version {}, published {}", p.version, datetime(p.published_ms)) };
    let meta = vec![(t("考核方案", "Plan"), plan_name.to_string()), (t("类别", "Category"), category), (t("版本", "Version"), version_line)];

    let mut blocks = Vec::new();
    // The result.
    blocks.push(Block::Heading(t("一、考核结果", "1. Result")));
    let grade = match (&row.grade, row.vetoed) {
        (Some(g), true) => format!("{g}{}", tr(lang, "（一票否决）", " (vetoed)")),
        (Some(g), false) => g.clone(),
        (None, _) => "—".into(),
    };
    blocks.push(Block::Table(Table {
        name: t("结果", "Result"),
        caption: String::new(),
        columns: vec![Column::text(t("单位", "Unit"), 24.0), Column::number(t("得分", "Score"), 2, 10.0), Column::text(t("名次", "Rank"), 12.0), Column::text(t("等次", "Grade"), 14.0), Column::number(t("失分", "Points lost"), 2, 10.0)],
        rows: vec![vec![Value::text(&unit.name), figure(row.score.as_deref().unwrap_or("")), Value::Text(rank_words(&row, lang)), Value::Text(grade), figure(&row.lost)]],
        notes: Vec::new(),
    }));

    // Every indicator.
    let ex = &detail["explain"];
    let mut indicator_rows = Vec::new();
    let mut deductions = Vec::new();
    for i in ex["indicators"].as_array().into_iter().flatten() {
        let key = s(&i["indicator"]);
        let name = names.get(&key).cloned().unwrap_or_else(|| key.clone());
        let points = s(&i["points"]);
        let weight = s(&i["weight"]);
        let in_total = i["in_total"].as_bool().unwrap_or(true);
        let lost = match (cents_loose(&weight), cents_loose(&points)) {
            (Some(w), Some(pt)) if in_total && w - pt > 0 => fmt_cents(w - pt),
            _ => String::new(),
        };
        let inputs: Vec<String> = i["inputs"].as_array().into_iter().flatten().map(|x| format!("{} = {}", field_name(&s(&x["field"]), lang), s(&x["value"]))).collect();
        let mut note = inputs.join(tr(lang, "；", "; "));
        let effect = s(&i["effect"]);
        if !effect.is_empty() {
            if !note.is_empty() {
                note.push_str(tr(lang, "；", "; "));
            }
            note.push_str(&effect);
        }
        for o in i["occurrences"].as_array().into_iter().flatten() {
            deductions.push(vec![Value::text(&name), Value::Text(s(&o["reason"])), Value::Text(s(&o["amount"])), figure(&points)]);
        }
        indicator_rows.push(vec![Value::Text(name), Value::Text(method_name(&s(&i["method"]), lang)), figure(&weight), figure(&points), if lost.is_empty() { Value::Empty } else { Value::Number(lost) }, Value::Text(note)]);
    }
    blocks.push(Block::Heading(t("二、各项指标得分", "2. Points by indicator")));
    blocks.push(Block::Table(Table {
        name: t("指标", "Indicators"),
        caption: String::new(),
        columns: vec![
            Column::text(t("指标", "Indicator"), 20.0),
            Column::text(t("计分方法", "Method"), 14.0),
            Column::number(t("分值", "Weight"), 2, 8.0),
            Column::number(t("得分", "Points"), 2, 8.0),
            Column::number(t("失分", "Lost"), 2, 8.0),
            Column::text(t("依据", "Inputs"), 30.0),
        ],
        rows: indicator_rows,
        notes: Vec::new(),
    }));
    blocks.push(Block::Heading(t("三、扣分事项及原因", "3. Deductions and their reasons")));
    if deductions.is_empty() {
        blocks.push(Block::Paragraph(t("本期没有扣分事项。", "No deduction this period.")));
    } else {
        blocks.push(Block::Table(Table {
            name: t("扣分", "Deductions"),
            caption: String::new(),
            columns: vec![Column::text(t("指标", "Indicator"), 18.0), Column::text(t("事项及原因", "Occurrence and reason"), 40.0), Column::text(t("次数/数额", "Amount"), 10.0), Column::number(t("该项得分", "Points"), 2, 10.0)],
            rows: deductions,
            notes: Vec::new(),
        }));
    }
    // How the total was reached, in the engine's own words.
    let lk = if lang == Lang::Zh { "zh" } else { "en" };
    let text = s(&detail["text"][lk]);
    if !text.trim().is_empty() {
        blocks.push(Block::Heading(t("四、计分过程", "4. How the score was reached")));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            blocks.push(Block::Paragraph(line.trim().to_string()));
        }
    }
    let remark = s(&detail["remark"][lk]);
    if !remark.is_empty() {
        blocks.push(Block::Paragraph(remark));
    }
    let report = Report {
        title,
        meta,
        blocks,
        footer: vec![cached.model.plan.office.clone(), datetime(p.published_ms).chars().take(10).collect()].into_iter().filter(|x| !x.is_empty()).collect(),
    };
    let ascii = format!("scorecard-{plan_key}-{period}-{unit_key}-v{}.pdf", p.version);
    let name = if lang == Lang::Zh { format!("得分说明-{}-{period}-第{}版.pdf", unit.name, p.version) } else { ascii.clone() };
    Ok((report, ascii, name))
}

fn s(v: &Json) -> String {
    match v {
        Json::String(x) => x.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

fn figure(x: &str) -> Value {
    if x.is_empty() || x == "—" { Value::text("—") } else { Value::Number(x.to_string()) }
}

/// A decimal with any number of places as cents (truncated), as the explanation page does.
fn cents_loose(v: &str) -> Option<i64> {
    let v = v.trim();
    let (neg, body) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let (i, f) = body.split_once('.').unwrap_or((body, ""));
    let f: String = f.chars().take(2).collect();
    let c = cents(&format!("{i}.{f}"))?;
    Some(if neg { -c } else { c })
}

fn method_name(key: &str, lang: Lang) -> String {
    let (zh, en) = match key {
        "completion" => ("完成率", "completion rate"),
        "control" => ("控制型（越低越好）", "control (lower is better)"),
        "blended" => ("总量与增速完成率加权", "blended total/growth completion"),
        "deduction" => ("按次扣分", "deduction per occurrence"),
        "veto" => ("一票否决", "veto"),
        "demotion" => ("降低名次", "rank demotion"),
        "bonus" => ("加分", "bonus points"),
        "qualitative" => ("定性评价", "qualitative rating"),
        "ballots" => ("测评/调查", "ballots and surveys"),
        "interpolate" => ("基准值与挑战值插值", "interpolation"),
        "bands" => ("分档计分", "banded table"),
        "rank_points" => ("按名次计分", "rank-based points"),
        "direct" => ("直接得分", "direct score"),
        "formula" => ("自定义公式", "formula"),
        "assigned_grade" => ("直接评定等次", "grade assigned directly"),
        other => return other.to_string(),
    };
    tr(lang, zh, en).to_string()
}

fn field_name(key: &str, lang: Lang) -> String {
    let (zh, en) = match key {
        "actual" => ("实际值", "actual"),
        "target" => ("目标值", "target"),
        "growth" => ("增速", "growth"),
        "target_growth" => ("目标增速", "target growth"),
        "level" => ("评价等级", "level"),
        "value" => ("数值", "value"),
        "count" => ("次数", "count"),
        "baseline" => ("基准值", "baseline"),
        "challenge" => ("挑战值", "challenge"),
        other => return other.to_string(),
    };
    tr(lang, zh, en).to_string()
}
