//! The period notice (通报): the published ranking of each category the caller may see, as
//! the office circulates it — ranks with ties written 并列, scores, grades, vetoes, points
//! lost — with the publication's version and reason, and, for a re-publication, what
//! changed from the version before and why. Built once, shown as the `/notice` page and as
//! `notice.pdf` (and convertible to a workbook), from the same data as the results API.

use std::collections::{HashMap, HashSet};

use yardstick_formats::Lang;
use yardstick_sheets::report::{Block, Column, Report, Table, Value};
use yardstick_storage::results::ResultRow;

use crate::AppState;
use crate::api;
use crate::auth::Auth;
use crate::authz::Scope;
use crate::error::ApiResult;
use crate::ui::{datetime, period_label, tr};

pub struct NoticeRow {
    pub rank: String,
    pub name: String,
    pub score: String,
    pub grade: String,
    pub lost: String,
    pub vetoed: bool,
}

pub struct NoticeCategory {
    pub number: String,
    pub name: String,
    pub rows: Vec<NoticeRow>,
}

pub struct Change {
    pub name: String,
    pub before: String,
    pub after: String,
}

/// Everything the notice says.
pub struct Notice {
    pub lang: Lang,
    pub plan_key: String,
    pub period: String,
    pub version: i64,
    pub title: String,
    /// "各考核单位："
    pub addressee: String,
    pub office: String,
    pub intro: String,
    pub categories: Vec<NoticeCategory>,
    pub version_line: String,
    pub changes: Vec<Change>,
    /// Non-empty for a re-publication: why this version replaced the one before.
    pub change_reason: String,
    /// The publication's date, `2026-04-02`.
    pub date: String,
}

/// `并列第2名` / `第2名` (tied: `=2` in English).
pub fn rank_words(r: &ResultRow, lang: Lang) -> String {
    match (r.rank, lang) {
        (Some(k), Lang::Zh) if r.tied => format!("并列第{k}名"),
        (Some(k), Lang::Zh) => format!("第{k}名"),
        (Some(k), _) if r.tied => format!("={k}"),
        (Some(k), _) => k.to_string(),
        (None, _) => "—".into(),
    }
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The notice of a plan's period, as published (`version`, else the version in force), with
/// the categories `scope` lets the caller see. 404 `not_published` before publication.
pub async fn build(st: &AppState, a: &Auth, scope: Scope, lang: Lang, plan_key: &str, plan_name: &str, period: &str, version: Option<i64>) -> ApiResult<Notice> {
    let p = api::publication(st, plan_key, period, version).await?;
    let cached = st.models.get(&st.db, plan_key).await.map_err(api::compute_error)?;
    let (cats, _) = crate::ui::results::visible_categories(st, a, scope).await?;
    let rows = st.sets.rows(&st.db, p.set_id, None).await?;
    let names: HashMap<String, String> = st.db.units(None).await?.into_iter().map(|u| (u.key, u.name)).collect();
    let mut categories = Vec::new();
    for cat in &cats {
        let mut list: Vec<&ResultRow> = rows.iter().filter(|r| r.category == cat.key).collect();
        if list.is_empty() {
            continue;
        }
        list.sort_by_key(|r| r.position);
        let number = if lang == Lang::Zh { format!("{}、", NUMERALS.get(categories.len()).copied().unwrap_or("")) } else { format!("{}. ", categories.len() + 1) };
        categories.push(NoticeCategory {
            number,
            name: format!("{}（{}{}）", cat.name, list.len(), tr(lang, "个单位", " units")),
            rows: list
                .iter()
                .map(|r| NoticeRow {
                    rank: rank_words(r, lang),
                    name: names.get(&r.subject).cloned().unwrap_or_else(|| r.subject.clone()),
                    score: r.score.clone().unwrap_or_else(|| "—".into()),
                    grade: r.grade.clone().unwrap_or_default(),
                    lost: r.lost.clone(),
                    vetoed: r.vetoed,
                })
                .collect(),
        });
    }
    // A re-publication says what changed from the version before, and why.
    let all = st.db.publications(plan_key, Some(period)).await?;
    let (mut changes, mut change_reason) = (Vec::new(), String::new());
    if let Some(prev) = all.iter().filter(|x| x.version < p.version).max_by_key(|x| x.version) {
        change_reason = p.reason.clone();
        let prev_rows = st.sets.rows(&st.db, prev.set_id, None).await?;
        let before: HashMap<&str, &ResultRow> = prev_rows.iter().map(|r| (r.subject.as_str(), r)).collect();
        let visible: HashSet<&str> = cats.iter().map(|c| c.key.as_str()).collect();
        for r in rows.iter().filter(|r| visible.contains(r.category.as_str())) {
            if let Some(b) = before.get(r.subject.as_str())
                && (b.score != r.score || b.rank != r.rank || b.tied != r.tied || b.grade != r.grade)
            {
                let show = |x: &ResultRow| format!("{} · {} · {}", x.score.clone().unwrap_or_else(|| "—".into()), rank_words(x, lang), x.grade.clone().unwrap_or_default());
                changes.push(Change { name: names.get(&r.subject).cloned().unwrap_or_else(|| r.subject.clone()), before: show(b), after: show(r) });
            }
        }
    }
    let label = period_label(period, lang);
    let title = if lang == Lang::Zh { format!("关于{label}考核结果的通报") } else { format!("Notice of the results of {plan_name}, {label}") };
    let intro = if lang == Lang::Zh {
        format!("根据《{plan_name}》，经各单位报送、责任部门审核和抽查核验，现将{label}考核结果通报如下。得分相同的单位名次并列。")
    } else {
        format!("Under {plan_name}, after the units' submissions, the departments' review and the spot checks, the results of {label} are as follows. Units with equal scores share a rank.")
    };
    let version_line = if lang == Lang::Zh {
        format!("第 {} 版，{} 发布，事由：{}", p.version, datetime(p.published_ms), p.reason)
    } else {
        format!("Version {}, published {}: {}", p.version, datetime(p.published_ms), p.reason)
    };
    Ok(Notice {
        lang,
        plan_key: plan_key.to_string(),
        period: period.to_string(),
        version: p.version,
        title,
        addressee: tr(lang, "各考核单位：", "To every appraised unit:").into(),
        office: cached.model.plan.office.clone(),
        intro,
        categories,
        version_line,
        changes,
        change_reason,
        date: datetime(p.published_ms).chars().take(10).collect(),
    })
}

impl Notice {
    /// The notice as a printable report: the same words and figures as the page.
    pub fn report(&self) -> Report {
        let lang = self.lang;
        let t = |zh: &str, en: &str| tr(lang, zh, en).to_string();
        let mut blocks = vec![Block::Paragraph(self.addressee.clone()), Block::Paragraph(self.intro.clone())];
        for k in &self.categories {
            let heading = format!("{}{}", k.number, k.name);
            blocks.push(Block::Heading(heading));
            let columns = vec![Column::text(t("名次", "Rank"), 12.0), Column::text(t("单位", "Unit"), 28.0), Column::number(t("得分", "Score"), 2, 10.0), Column::text(t("等次", "Grade"), 8.0), Column::number(t("失分", "Points lost"), 2, 10.0)];
            let rows = k
                .rows
                .iter()
                .map(|r| {
                    let name = if r.vetoed { format!("{}{}", r.name, tr(lang, "（一票否决）", " (vetoed)")) } else { r.name.clone() };
                    vec![Value::text(&r.rank), Value::Text(name), figure(&r.score), Value::text(&r.grade), figure(&r.lost)]
                })
                .collect();
            let name = k.name.split('（').next().unwrap_or(&k.name);
            blocks.push(Block::Table(Table { name: super::sheet_name(name), caption: String::new(), columns, rows, notes: Vec::new() }));
        }
        if self.categories.is_empty() {
            blocks.push(Block::Paragraph(t("没有可显示的类别。", "No category to show.")));
        }
        if !self.change_reason.is_empty() {
            blocks.push(Block::Heading(t("更正说明", "What changed in this version")));
            blocks.push(Block::Paragraph(self.change_reason.clone()));
            if self.changes.is_empty() {
                blocks.push(Block::Paragraph(t("与上一版相比，所示类别的结果没有变化。", "No result in the categories shown changed from the version before.")));
            } else {
                let columns = vec![Column::text(t("单位", "Unit"), 24.0), Column::text(t("上一版", "Before"), 30.0), Column::text(t("本版", "Now"), 30.0)];
                let rows = self.changes.iter().map(|c| vec![Value::text(&c.name), Value::text(&c.before), Value::text(&c.after)]).collect();
                blocks.push(Block::Table(Table { name: super::sheet_name(&t("更正", "Changes")), caption: String::new(), columns, rows, notes: Vec::new() }));
            }
        }
        Report {
            title: self.title.clone(),
            meta: vec![(String::new(), self.version_line.clone())],
            blocks,
            footer: vec![self.office.clone(), self.date.clone()].into_iter().filter(|s| !s.is_empty()).collect(),
        }
    }

    /// `通报-p2026-2026-03-第1版.pdf` / `notice-p2026-2026-03-v1.pdf`.
    pub fn file_name(&self, ext: &str) -> (String, String) {
        let ascii = format!("notice-{}-{}-v{}.{ext}", self.plan_key, self.period, self.version);
        let name = if self.lang == Lang::Zh { format!("通报-{}-{}-第{}版.{ext}", self.plan_key, self.period, self.version) } else { ascii.clone() };
        (ascii, name)
    }
}

/// A figure as published ("92.35"), or a dash for none, as text that no renderer reformats.
fn figure(s: &str) -> Value {
    if s.is_empty() || s == "—" { Value::text("—") } else { Value::Number(s.to_string()) }
}
