//! The annual summary: per category, each unit's published score in every period of the
//! year that is published (months, quarters, halves, in time order) and the year's score,
//! rank and grade when the year itself is published. Only publications in force are read;
//! nothing is aggregated here, so every figure is one the office published.

use std::collections::HashMap;
use std::sync::Arc;

use yardstick_engine::{Level, Period};
use yardstick_formats::Lang;
use yardstick_sheets::report::{Block, Column, Report, Table, Value};
use yardstick_storage::registry::Category;
use yardstick_storage::results::{Publication, ResultRow};

use super::{Names, period_label, rank_words, score_value};
use crate::ui::period_short;

pub struct Input<'a> {
    pub plan_name: &'a str,
    pub office: &'a str,
    pub year: u16,
    /// The publications in force of the year's periods (any order), with all their rows.
    pub published: Vec<(Period, Publication, Arc<Vec<ResultRow>>)>,
    pub categories: &'a [Category],
    pub names: &'a Names,
    pub lang: Lang,
}

pub fn build(x: Input<'_>) -> Report {
    let lang = x.lang;
    let mut parts: Vec<&(Period, Publication, Arc<Vec<ResultRow>>)> = x.published.iter().filter(|(p, _, _)| p.level != Level::Year).collect();
    parts.sort_by_key(|(p, _, _)| (p.last_month(), p.level));
    let year = x.published.iter().find(|(p, _, _)| p.level == Level::Year);
    let title = match lang {
        Lang::Zh => format!("{}年度考核结果汇总", x.year),
        _ => format!("Annual summary, {}", x.year),
    };
    let mut meta = vec![(lang.pick("考核方案", "Plan").to_string(), x.plan_name.to_string())];
    let listed = parts.iter().map(|(p, v, _)| format!("{}{}", period_label(&p.to_string(), lang), match (v.version > 1, lang) {
        (false, _) => String::new(),
        (true, Lang::Zh) => format!("（第{}版）", v.version),
        (true, _) => format!(" (v{})", v.version),
    })).collect::<Vec<_>>();
    meta.push((lang.pick("已发布期间", "Published periods").to_string(), if listed.is_empty() { "—".into() } else { listed.join(lang.pick("、", ", ")) }));
    meta.push((
        lang.pick("年度结果", "Year's result").to_string(),
        match year {
            Some((_, v, _)) => match lang {
                Lang::Zh => format!("第 {} 版，{} 发布", v.version, crate::ui::datetime(v.published_ms)),
                _ => format!("version {}, published {}", v.version, crate::ui::datetime(v.published_ms)),
            },
            None => lang.pick("尚未发布", "not published yet").to_string(),
        },
    ));
    let mut blocks = Vec::new();
    for cat in x.categories {
        // Each period's rows of the category, by subject.
        let by_period: Vec<HashMap<&str, &ResultRow>> = parts.iter().map(|(_, _, rows)| rows.iter().filter(|r| r.category == cat.key).map(|r| (r.subject.as_str(), r)).collect()).collect();
        let year_rows: Vec<&ResultRow> = year.map(|(_, _, rows)| rows.iter().filter(|r| r.category == cat.key).collect()).unwrap_or_default();
        let year_map: HashMap<&str, &ResultRow> = year_rows.iter().map(|r| (r.subject.as_str(), *r)).collect();
        // Units: in the year's order, then those only in the parts, in the latest part's order.
        let mut units: Vec<&str> = {
            let mut y = year_rows.clone();
            y.sort_by_key(|r| r.position);
            y.iter().map(|r| r.subject.as_str()).collect()
        };
        for (i, _) in parts.iter().enumerate().rev() {
            let mut rows: Vec<&&ResultRow> = by_period[i].values().collect();
            rows.sort_by_key(|r| r.position);
            for r in rows {
                if !units.contains(&r.subject.as_str()) {
                    units.push(r.subject.as_str());
                }
            }
        }
        if units.is_empty() {
            continue;
        }
        let mut columns = vec![Column::text(lang.pick("单位", "Unit"), 18.0)];
        for (p, _, _) in &parts {
            let head = if p.level == Level::Month { period_short(&p.to_string(), lang) } else { period_label(&p.to_string(), lang) };
            columns.push(Column::number(head, 2, 9.0));
        }
        columns.push(Column::number(lang.pick("年度得分", "Year's score"), 2, 10.0));
        columns.push(Column::text(lang.pick("年度名次", "Year's rank"), 10.0));
        columns.push(Column::text(lang.pick("年度等次", "Year's grade"), 10.0));
        columns.push(Column::text(lang.pick("单位编码", "Unit key"), 10.0));
        let rows = units
            .iter()
            .map(|u| {
                let mut v = vec![Value::Text(x.names.get(*u).cloned().unwrap_or_else(|| u.to_string()))];
                for m in &by_period {
                    v.push(match m.get(u) {
                        Some(r) => score_value(r.score.as_deref()),
                        None => Value::Empty,
                    });
                }
                match year_map.get(u) {
                    Some(r) => {
                        v.push(score_value(r.score.as_deref()));
                        v.push(Value::Text(rank_words(r, lang)));
                        let mut g = r.grade.clone().unwrap_or_default();
                        if r.vetoed {
                            g = format!("{g}{}", lang.pick("（一票否决）", " (vetoed)"));
                        }
                        v.push(if g.is_empty() { Value::Empty } else { Value::Text(g) });
                    }
                    None => v.extend([Value::Empty, Value::Empty, Value::Empty]),
                }
                v.push(Value::Text(u.to_string()));
                v
            })
            .collect::<Vec<_>>();
        let mut notes = vec![lang.pick("注：各期得分均为已发布（现行版本）的公布得分；空白表示该期未考核该单位。", "Note: every score is the published score of the version in force; a blank means the unit was not appraised in that period.").to_string()];
        if year.is_none() {
            notes.push(lang.pick("年度结果尚未发布，年度得分、名次和等次暂空。", "The year's result is not published yet; its score, rank and grade are blank.").to_string());
        }
        let caption = match lang {
            Lang::Zh => format!("{}（{}个单位）", cat.name, units.len()),
            _ => format!("{} ({} units)", cat.name, units.len()),
        };
        blocks.push(Block::Table(Table { name: cat.name.clone(), caption, columns, rows, notes }));
    }
    if blocks.is_empty() {
        blocks.push(Block::Paragraph(lang.pick("本年度还没有可汇总的已发布结果。", "No published results of this year to summarise yet.").into()));
    }
    let mut footer = Vec::new();
    if !x.office.is_empty() {
        footer.push(x.office.to_string());
    }
    Report { title, meta, blocks, footer }
}
