//! The period notice (通报): the published ranking of each category the caller may see, as
//! the office circulates it — ranks with ties written 并列, scores, grades, vetoes, points
//! lost — with the publication's version and reason, and, for a re-publication, what
//! changed from the version before and why. Printable; the same data as the results API.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use yardstick_formats::Lang;
use yardstick_storage::results::ResultRow;

use super::{Chrome, SignedIn, datetime, period_label, render, tr};
use crate::AppState;
use crate::api;
use crate::authz::{self, Perm};
use crate::error::{ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    plan: Option<String>,
    period: Option<String>,
    version: Option<i64>,
}

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

#[derive(askama::Template)]
#[template(path = "notice.html")]
struct NoticeTpl {
    c: Chrome,
    title: String,
    office: String,
    intro: String,
    categories: Vec<NoticeCategory>,
    version_line: String,
    changes: Vec<Change>,
    change_reason: String,
    date: String,
    /// The same rankings as an Excel workbook.
    xlsx_href: String,
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

/// `GET /notice`.
pub async fn notice(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<NoticeQuery>) -> ApiResult<Response> {
    let scope = authz::require(&a, Perm::ReadPublished)?;
    let plan = super::cycle::chosen_plan(&st.db.plans().await?, q.plan.as_deref())?;
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => api::parse_period(p)?.to_string(),
        None => st.db.publications(&plan.key, None).await?.into_iter().map(|p| p.period).max().unwrap_or_default(),
    };
    let p = api::publication(&st, &plan.key, &period, q.version).await?;
    let cached = st.models.get(&st.db, &plan.key).await.map_err(api::compute_error)?;
    let (cats, _) = super::results::visible_categories(&st, &a, scope).await?;
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
    let all = st.db.publications(&plan.key, Some(&period)).await?;
    let (mut changes, mut change_reason) = (Vec::new(), String::new());
    if let Some(prev) = all.iter().filter(|x| x.version < p.version).max_by_key(|x| x.version) {
        change_reason = p.reason.clone();
        let prev_rows = st.sets.rows(&st.db, prev.set_id, None).await?;
        let before: HashMap<&str, &ResultRow> = prev_rows.iter().map(|r| (r.subject.as_str(), r)).collect();
        let visible: std::collections::HashSet<&str> = cats.iter().map(|c| c.key.as_str()).collect();
        for r in rows.iter().filter(|r| visible.contains(r.category.as_str())) {
            if let Some(b) = before.get(r.subject.as_str())
                && (b.score != r.score || b.rank != r.rank || b.tied != r.tied || b.grade != r.grade)
            {
                let show = |x: &ResultRow| format!("{} · {} · {}", x.score.clone().unwrap_or_else(|| "—".into()), rank_words(x, lang), x.grade.clone().unwrap_or_default());
                changes.push(Change { name: names.get(&r.subject).cloned().unwrap_or_else(|| r.subject.clone()), before: show(b), after: show(r) });
            }
        }
    }
    let office = cached.model.plan.office.clone();
    let label = period_label(&period, lang);
    let title = if lang == Lang::Zh { format!("关于{label}考核结果的通报") } else { format!("Notice of the results of {}, {label}", plan.name) };
    let intro = if lang == Lang::Zh {
        format!("根据《{}》，经各单位报送、责任部门审核和抽查核验，现将{label}考核结果通报如下。得分相同的单位名次并列。", plan.name)
    } else {
        format!("Under {}, after the units' submissions, the departments' review and the spot checks, the results of {label} are as follows. Units with equal scores share a rank.", plan.name)
    };
    let version_line = if lang == Lang::Zh {
        format!("第 {} 版，{} 发布，事由：{}", p.version, datetime(p.published_ms), p.reason)
    } else {
        format!("Version {}, published {}: {}", p.version, datetime(p.published_ms), p.reason)
    };
    let t = NoticeTpl {
        c: Chrome::page(&a, lang, &uri, title.clone()),
        title,
        office,
        intro,
        categories,
        version_line,
        changes,
        change_reason,
        date: datetime(p.published_ms).chars().take(10).collect(),
        xlsx_href: api::exports::rankings_href(&plan.key, &period, None, q.version, false),
    };
    Ok(render(&t))
}
