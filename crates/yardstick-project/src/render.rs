//! Output: ranking tables (CJK-aligned), JSON, CSV, and the explanation of one score.

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;
use yardstick_engine::dec::format_cents;
use yardstick_engine::rank::{GradeReason, Skip};
use yardstick_engine::score::{CategoryResult, Row};
use yardstick_engine::{Model, PeriodResult, ScoreTrace};
use yardstick_formats::Lang;

fn grade_name<'a>(m: &'a Model, cat: u32, g: u32) -> &'a str {
    let set = m.categories[cat as usize].grade_set;
    &m.grade_sets[set as usize].grades[g as usize].name
}

/// "2（并列）" or "2 (tie)".
pub fn rank_text(row: &Row, lang: Lang) -> String {
    match (row.tied, lang) {
        (true, Lang::Zh) => format!("{}（并列）", row.rank),
        (true, Lang::En) => format!("{} (tie)", row.rank),
        (false, _) => row.rank.to_string(),
    }
}

/// A short remark: veto, demotion, flags.
pub fn remark(m: &Model, row: &Row, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &row.veto {
        parts.push(match lang {
            Lang::Zh => format!("一票否决：{}", v.reasons.join("；")),
            Lang::En => format!("veto: {}", v.reasons.join("; ")),
        });
    }
    if row.demoted > 0 {
        parts.push(match lang {
            Lang::Zh => format!("降{}个名次（原第{}名）", row.demoted, row.original_rank),
            Lang::En => format!("demoted {} places (was {})", row.demoted, row.original_rank),
        });
    }
    if row.extra_cents != 0 {
        parts.push(match lang {
            Lang::Zh => format!("不计入总分的加分 {}", format_cents(row.extra_cents)),
            Lang::En => format!("extra points {}", format_cents(row.extra_cents)),
        });
    }
    parts.extend(row.flags.iter().cloned());
    let _ = m;
    parts.join(lang.pick("；", "; "))
}

fn pad(s: &str, width: usize, right: bool) -> String {
    let w = UnicodeWidthStr::width(s);
    let fill = " ".repeat(width.saturating_sub(w));
    if right { format!("{fill}{s}") } else { format!("{s}{fill}") }
}

/// Renders rows as a text table with columns aligned by display width (CJK = 2).
pub fn table(headers: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| UnicodeWidthStr::width(*h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(UnicodeWidthStr::width(c.as_str()));
        }
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths[i], right[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    out.push_str(&line(&headers.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

fn quota_line(m: &Model, c: &CategoryResult, lang: Lang) -> String {
    let set = &m.grade_sets[m.categories[c.category as usize].grade_set as usize];
    let parts: Vec<String> = set
        .grades
        .iter()
        .zip(&c.quota_limits)
        .filter_map(|(g, l)| l.map(|l| format!("{} ≤ {l}", g.name)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}{}", lang.pick("  累计名额：", "  cumulative quotas: "), parts.join(lang.pick("，", ", ")))
    }
}

pub fn render_table(m: &Model, r: &PeriodResult, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", m.plan.name, match lang {
        Lang::Zh => r.period.label_zh(),
        Lang::En => r.period.to_string(),
    });
    let ver = &m.versions[r.version as usize];
    let _ = writeln!(out, "{}{} ({})", lang.pick("方案版本：", "plan version: "), ver.key, ver.from);
    for c in &r.categories {
        if c.rows.is_empty() {
            continue;
        }
        let cat = &m.categories[c.category as usize];
        let _ = writeln!(out, "\n{} {}（{}）{}", lang.pick("类别", "Category"), cat.name, c.size, quota_line(m, c, lang));
        let headers = match lang {
            Lang::Zh => ["名次", "编码", "单位", "得分", "等次", "说明"],
            Lang::En => ["Rank", "Key", "Subject", "Score", "Grade", "Remarks"],
        };
        let rows: Vec<Vec<String>> = c
            .rows
            .iter()
            .map(|row| {
                let s = &m.subjects[row.subject as usize];
                vec![
                    rank_text(row, lang),
                    s.key.clone(),
                    s.name.clone(),
                    format_cents(row.cents),
                    grade_name(m, c.category, row.grade).to_string(),
                    remark(m, row, lang),
                ]
            })
            .collect();
        out.push_str(&table(&headers, &rows, &[true, false, false, true, false, false]));
    }
    out
}

pub fn render_csv(m: &Model, r: &PeriodResult) -> String {
    let mut w = csv_writer();
    let _ = w.write_record(["period", "category", "rank", "tied", "subject", "name", "score", "grade", "original_rank", "demoted", "vetoed", "extra", "remarks"]);
    for c in &r.categories {
        let cat = &m.categories[c.category as usize];
        for row in &c.rows {
            let s = &m.subjects[row.subject as usize];
            let _ = w.write_record([
                r.period.to_string(),
                cat.key.clone(),
                row.rank.to_string(),
                row.tied.to_string(),
                s.key.clone(),
                s.name.clone(),
                format_cents(row.cents),
                grade_name(m, c.category, row.grade).to_string(),
                row.original_rank.to_string(),
                row.demoted.to_string(),
                row.veto.is_some().to_string(),
                format_cents(row.extra_cents),
                remark(m, row, Lang::Zh),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn reason_json(m: &Model, cat: u32, r: &GradeReason) -> serde_json::Value {
    use serde_json::json;
    match r {
        GradeReason::Vetoed => json!({"kind": "veto"}),
        GradeReason::Assigned => json!({"kind": "assigned"}),
        GradeReason::Admitted { cumulative, limit } => json!({"kind": "admitted", "cumulative": cumulative, "limit": limit}),
        GradeReason::PassedOver { skipped, cumulative, limit } => json!({
            "kind": "passed_over",
            "cumulative": cumulative,
            "limit": limit,
            "skipped": skipped.iter().map(|(g, s)| match s {
                Skip::Quota { would_be, limit } => json!({"grade": grade_name(m, cat, *g), "why": "quota", "would_be": would_be, "limit": limit}),
                Skip::BelowMinimum { min_cents } => json!({"grade": grade_name(m, cat, *g), "why": "below_minimum", "minimum": format_cents(*min_cents)}),
            }).collect::<Vec<_>>(),
        }),
    }
}

pub fn result_json(m: &Model, r: &PeriodResult) -> serde_json::Value {
    use serde_json::json;
    json!({
        "plan": m.plan.key,
        "period": r.period.to_string(),
        "version": m.versions[r.version as usize].key,
        "categories": r.categories.iter().filter(|c| !c.rows.is_empty()).map(|c| {
            let cat = &m.categories[c.category as usize];
            let set = &m.grade_sets[cat.grade_set as usize];
            json!({
                "key": cat.key,
                "name": cat.name,
                "size": c.size,
                "quotas": set.grades.iter().zip(&c.quota_limits).map(|(g, l)| json!({"grade": g.name, "limit": l})).collect::<Vec<_>>(),
                "rows": c.rows.iter().map(|row| {
                    let s = &m.subjects[row.subject as usize];
                    json!({
                        "rank": row.rank,
                        "tied": row.tied,
                        "subject": s.key,
                        "name": s.name,
                        "score": format_cents(row.cents),
                        "extra": format_cents(row.extra_cents),
                        "grade": grade_name(m, c.category, row.grade),
                        "original_rank": row.original_rank,
                        "demoted": row.demoted,
                        "veto": row.veto.as_ref().map(|v| json!({"period": v.period.to_string(), "reasons": v.reasons})),
                        "grade_reason": reason_json(m, c.category, &row.reason),
                        "flags": row.flags,
                        "exact_fallback": row.exact_fallback,
                    })
                }).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
    })
}

fn method_name(key: &str, lang: Lang) -> &'static str {
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
        _ => ("", ""),
    };
    lang.pick(zh, en)
}

fn grade_reason_text(m: &Model, cat: u32, row: &Row, size: u32, lang: Lang) -> String {
    let g = grade_name(m, cat, row.grade);
    match &row.reason {
        GradeReason::Vetoed => match lang {
            Lang::Zh => format!("{g}：一票否决（{}），排在所有未被否决的对象之后，不占名额", row.veto.as_ref().map_or(String::new(), |v| v.reasons.join("；"))),
            Lang::En => format!("{g}: vetoed ({}), ranked after every subject not vetoed, takes no quota place", row.veto.as_ref().map_or(String::new(), |v| v.reasons.join("; "))),
        },
        GradeReason::Assigned => match lang {
            Lang::Zh => format!("{g}：由上级直接评定"),
            Lang::En => format!("{g}: assigned directly by superiors"),
        },
        GradeReason::Admitted { cumulative, limit } => match (lang, limit) {
            (Lang::Zh, Some(l)) => format!("{g}：连同并列者累计 {cumulative} 个，未超过名额 {l}（共 {size} 个对象）"),
            (Lang::En, Some(l)) => format!("{g}: with its tie group, {cumulative} so far, within the quota of {l} (of {size} subjects)"),
            (Lang::Zh, None) => format!("{g}：符合该等次条件"),
            (Lang::En, None) => format!("{g}: meets this grade's conditions"),
        },
        GradeReason::PassedOver { skipped, .. } => {
            let why: Vec<String> = skipped
                .iter()
                .map(|(sg, s)| {
                    let n = grade_name(m, cat, *sg);
                    match (s, lang) {
                        (Skip::Quota { would_be, limit }, Lang::Zh) => format!("未评为{n}：连同并列者将达到 {would_be} 个，超过名额 {limit}"),
                        (Skip::Quota { would_be, limit }, Lang::En) => format!("not {n}: with its tie group it would make {would_be}, above the quota of {limit}"),
                        (Skip::BelowMinimum { min_cents }, Lang::Zh) => format!("未评为{n}：低于最低分 {}", format_cents(*min_cents)),
                        (Skip::BelowMinimum { min_cents }, Lang::En) => format!("not {n}: below the minimum of {}", format_cents(*min_cents)),
                    }
                })
                .collect();
            format!("{g}{}{}", lang.pick("：", ": "), why.join(lang.pick("；", "; ")))
        }
    }
}

/// The full explanation of one subject's published score.
pub fn render_explain(m: &Model, r: &PeriodResult, subject: u32, trace: &ScoreTrace, lang: Lang) -> String {
    let mut out = String::new();
    let s = &m.subjects[subject as usize];
    let ver = &m.versions[r.version as usize];
    let zh = lang == Lang::Zh;
    let _ = writeln!(out, "{} {}（{}） — {}", lang.pick("得分说明：", "Explanation:"), s.name, s.key, if zh { r.period.label_zh() } else { r.period.to_string() });
    let _ = writeln!(out, "{}{} ({})", lang.pick("方案版本：", "plan version: "), ver.key, ver.from);
    for t in &trace.indicators {
        let ind = &ver.indicators[t.indicator as usize];
        let _ = writeln!(out, "\n■ {} {}　[{}{}{}]", ind.key, ind.name, method_name(t.method, lang), lang.pick("，分值 ", ", weight "), t.weight);
        if !t.inputs.is_empty() {
            let inputs: Vec<String> = t.inputs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let _ = writeln!(out, "  {}{}", lang.pick("输入：", "inputs: "), inputs.join(", "));
        }
        for (amount, reason) in &t.events {
            let _ = writeln!(out, "  {}{amount} — {reason}", lang.pick("记录：", "occurrence: "));
        }
        for step in &t.steps {
            let _ = writeln!(out, "  {step}");
        }
        let label = if t.in_total { lang.pick("得分：", "points: ") } else { lang.pick("不计入总分的加分：", "points kept out of the total: ") };
        let _ = writeln!(out, "  {label}{}", t.points);
        if let Some(e) = &t.effect {
            let _ = writeln!(out, "  {}{e}", lang.pick("作用：", "effect: "));
        }
    }
    if !trace.components.is_empty() {
        let _ = writeln!(out, "\n{}", lang.pick("期间汇总：", "Aggregation:"));
        for c in &trace.components {
            let _ = writeln!(out, "  {c}");
        }
    }
    let _ = writeln!(out, "\n{}{}", lang.pick("合计：", "total: "), trace.total);
    for c in &trace.coefficients {
        let _ = writeln!(out, "{}{c}", lang.pick("系数：", "coefficient: "));
    }
    if !trace.coefficients.is_empty() {
        let _ = writeln!(out, "{}{}", lang.pick("乘以系数后：", "after coefficients: "), trace.final_value);
    }
    if let Some(row) = r.row(subject) {
        let _ = writeln!(out, "{}{}{}", lang.pick("公布得分（四舍五入到两位小数）：", "published score (rounded half away from zero to 2 places): "), format_cents(row.cents), if row.exact_fallback { lang.pick("（经精确算术复核）", " (decided by exact arithmetic)") } else { "" });
        let cat = r.categories.iter().find(|c| c.rows.iter().any(|x| x.subject == subject));
        if let Some(c) = cat {
            let _ = writeln!(out, "{}{}{}", lang.pick("名次：", "rank: "), rank_text(row, lang), if row.demoted > 0 {
                match lang {
                    Lang::Zh => format!("（原第{}名，降{}个名次）", row.original_rank, row.demoted),
                    Lang::En => format!(" (was {}, demoted {} places)", row.original_rank, row.demoted),
                }
            } else {
                String::new()
            });
            let _ = writeln!(out, "{}{}", lang.pick("等次：", "grade: "), grade_reason_text(m, c.category, row, c.size, lang));
        }
        for f in &row.flags {
            let _ = writeln!(out, "{}{f}", lang.pick("提示：", "flag: "));
        }
    }
    out
}

pub fn explain_json(m: &Model, r: &PeriodResult, subject: u32, t: &ScoreTrace) -> serde_json::Value {
    use serde_json::json;
    let ver = &m.versions[r.version as usize];
    let row = r.row(subject);
    json!({
        "subject": m.subjects[subject as usize].key,
        "period": r.period.to_string(),
        "version": ver.key,
        "indicators": t.indicators.iter().map(|i| json!({
            "indicator": ver.indicators[i.indicator as usize].key,
            "method": i.method,
            "weight": i.weight,
            "inputs": i.inputs.iter().map(|(k, v)| json!({"field": k, "value": v})).collect::<Vec<_>>(),
            "occurrences": i.events.iter().map(|(a, r)| json!({"amount": a, "reason": r})).collect::<Vec<_>>(),
            "steps": i.steps,
            "points": i.points,
            "in_total": i.in_total,
            "effect": i.effect,
        })).collect::<Vec<_>>(),
        "components": t.components,
        "total": t.total,
        "coefficients": t.coefficients,
        "final": t.final_value,
        "extra": t.extra,
        "published": row.map(|x| format_cents(x.cents)),
        "rank": row.map(|x| x.rank),
        "tied": row.map(|x| x.tied),
        "grade": row.and_then(|x| r.categories.iter().find(|c| c.rows.iter().any(|y| y.subject == subject)).map(|c| grade_name(m, c.category, x.grade).to_string())),
    })
}
