//! The dashboard, the results table and a subject's explanation. Everything a unit's user
//! sees comes from publications; the office may also open the latest computation as a
//! preview, always marked so.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use yardstick_engine::{Level, Period};
use yardstick_formats::Lang;
use yardstick_storage::plans::Plan;
use yardstick_storage::registry::{Category, Unit};
use yardstick_storage::results::{Publication, ResultRow, ResultSetInfo};

use super::{Chrome, SignedIn, cents, datetime, enc, fmt_cents, period_label, period_short, query, render, script_json, tr};
use crate::AppState;
use crate::api;
use crate::auth::Auth;
use crate::authz::{self, Perm, Scope};
use crate::error::{ApiError, ApiResult, L, Params, Q};

// ---------------------------------------------------------------------------
// What a caller may see of a plan.

/// One period of the plan as the caller may know it.
pub struct PeriodInfo {
    pub period: String,
    pub parsed: Option<Period>,
    pub status: String,
    /// Every publication, oldest first (the last is in force).
    pub pubs: Vec<Publication>,
    /// The latest computation (the office only).
    pub latest: Option<ResultSetInfo>,
}

impl PeriodInfo {
    fn current(&self) -> Option<&Publication> {
        self.pubs.last()
    }
    fn is_month(&self) -> bool {
        self.parsed.is_some_and(|p| p.level == Level::Month)
    }
    fn order(&self) -> (u16, u8, Level) {
        self.parsed.map_or((0, 0, Level::Year), |p| (p.year, p.last_month(), p.level))
    }
}

pub struct PlanCtx {
    pub plans: Vec<Plan>,
    pub plan: Plan,
    /// In time order; for callers outside the office only published periods.
    pub periods: Vec<PeriodInfo>,
    pub office: bool,
}

impl PlanCtx {
    fn find(&self, period: &str) -> Option<&PeriodInfo> {
        self.periods.iter().find(|p| p.period == period)
    }

    /// The latest published month, else the latest published period, else (office) the latest computed one.
    fn default_period(&self) -> Option<&PeriodInfo> {
        let published = || self.periods.iter().filter(|p| p.current().is_some());
        published().rfind(|p| p.is_month()).or_else(|| published().next_back()).or_else(|| self.periods.iter().rfind(|p| p.latest.is_some()))
    }

    /// The published period of the same length just before `p` (for "change since").
    fn previous_published(&self, p: &PeriodInfo) -> Option<&PeriodInfo> {
        let level = p.parsed?.level;
        self.periods.iter().rfind(|x| x.parsed.is_some_and(|y| y.level == level) && x.order() < p.order() && x.current().is_some())
    }

    fn published_months(&self) -> Vec<&PeriodInfo> {
        self.periods.iter().filter(|p| p.is_month() && p.current().is_some()).collect()
    }
}

/// The plan to show (given or newest) with its periods; `None` when there is no plan at all.
pub async fn plan_ctx(st: &AppState, a: &Auth, plan: Option<&str>) -> ApiResult<Option<PlanCtx>> {
    authz::require(a, Perm::ReadPlans)?;
    let plans = st.db.plans().await?;
    let chosen = match plan.filter(|p| !p.is_empty()) {
        Some(k) => plans.iter().find(|p| p.key == k).cloned().ok_or_else(|| ApiError::not_found(format!("方案“{k}”不存在"), format!("the plan '{k}' does not exist")))?,
        None => match plans.iter().max_by_key(|p| p.year) {
            Some(p) => p.clone(),
            None => return Ok(None),
        },
    };
    let office = authz::is_office(a);
    let mut pubs: HashMap<String, Vec<Publication>> = HashMap::new();
    for p in st.db.publications(&chosen.key, None).await? {
        pubs.entry(p.period.clone()).or_default().push(p);
    }
    let mut latest_sets: HashMap<String, ResultSetInfo> =
        if office { st.db.latest_result_sets(&chosen.key).await?.into_iter().map(|s| (s.period.clone(), s)).collect() } else { HashMap::new() };
    let mut periods = Vec::new();
    for row in st.db.periods(&chosen.key).await? {
        let mut ps = pubs.remove(&row.period).unwrap_or_default();
        ps.sort_by_key(|p| p.version);
        let latest = latest_sets.remove(&row.period);
        if !office && ps.is_empty() {
            continue;
        }
        periods.push(PeriodInfo { parsed: Period::parse(&row.period), period: row.period, status: row.status, pubs: ps, latest });
    }
    // Publications of periods no longer listed still count.
    for (period, mut ps) in pubs {
        ps.sort_by_key(|p| p.version);
        periods.push(PeriodInfo { parsed: Period::parse(&period), period, status: "closed".into(), pubs: ps, latest: None });
    }
    periods.sort_by_key(PeriodInfo::order);
    Ok(Some(PlanCtx { plans, plan: chosen, periods, office }))
}

/// The categories whose published boards the caller may see, in display order, and the
/// caller's own category.
pub(crate) async fn visible_categories(st: &AppState, a: &Auth, scope: Scope) -> ApiResult<(Vec<Category>, Option<String>)> {
    let own = match &a.user.unit_key {
        Some(u) => st.db.unit(u).await?.and_then(|u| u.category_key),
        None => None,
    };
    let mut cats = st.db.categories().await?;
    cats.sort_by(|x, y| x.sort.cmp(&y.sort).then_with(|| x.key.cmp(&y.key)));
    if scope != Scope::All {
        cats.retain(|c| own.as_deref() == Some(c.key.as_str()));
    }
    Ok((cats, own))
}

/// Each category's grades, best first, from the plan (for badge colours that mean the same everywhere).
async fn grade_orders(st: &AppState, plan: &str) -> HashMap<String, Vec<String>> {
    match st.models.get(&st.db, plan).await {
        Ok(c) => c.model.categories.iter().map(|cat| (cat.key.clone(), c.model.grade_sets[cat.grade_set as usize].grades.iter().map(|g| g.name.clone()).collect())).collect(),
        Err(_) => HashMap::new(),
    }
}

/// Indicator key → name, from the plan.
async fn indicator_names(st: &AppState, plan: &str) -> HashMap<String, String> {
    match st.models.get(&st.db, plan).await {
        Ok(c) => c.model.versions.iter().flat_map(|v| v.indicators.iter().map(|i| (i.key.clone(), i.name.clone()))).collect(),
        Err(_) => HashMap::new(),
    }
}

// ---------------------------------------------------------------------------
// Rows as the pages show them.

pub struct Change {
    /// `up`, `down` or `same`: app.css draws ▲/▼/– before the amount.
    pub class: &'static str,
    pub amount: String,
    pub value: String,
}

pub struct BoardRow {
    pub subject: String,
    pub name: String,
    pub score: Option<String>,
    pub rank: Option<i64>,
    pub tied: bool,
    pub grade: Option<String>,
    pub grade_class: String,
    pub vetoed: bool,
    pub lost: String,
    pub change: Option<Change>,
    /// The drill-down, when the caller may open it.
    pub link: Option<String>,
    pub own: bool,
}

impl BoardRow {
    pub fn rank_text(&self, lang: impl std::borrow::Borrow<Lang>) -> String {
        let lang = *lang.borrow();
        match self.rank {
            Some(r) if self.tied => format!("{r}{}", tr(lang, "（并列）", " (tie)")),
            Some(r) => r.to_string(),
            None => "—".into(),
        }
    }
    pub fn score_text(&self) -> String {
        self.score.as_deref().and_then(cents).map(fmt_cents).unwrap_or_else(|| "—".into())
    }
    pub fn grade_text(&self) -> String {
        self.grade.clone().unwrap_or_else(|| "—".into())
    }
    fn score_num(&self) -> Value {
        self.score.as_deref().and_then(cents).map_or(Value::Null, |c| json!(c as f64 / 100.0))
    }
}

/// Badge classes by grade order (g1 best … g4), `veto` for vetoed rows.
fn grade_class(order: &[String], grade: Option<&str>, vetoed: bool) -> String {
    if vetoed {
        return "veto".into();
    }
    match grade.and_then(|g| order.iter().position(|x| x == g)) {
        Some(i) => format!("g{}", (i + 1).min(4)),
        None => String::new(),
    }
}

struct RowsIn<'a> {
    plan: &'a str,
    period: &'a str,
    /// Extra query on drill-down links (`?version=2`, `?preview=1`).
    link_query: String,
    units: &'a HashMap<String, Unit>,
    order: Vec<String>,
    previous: HashMap<String, i64>,
    explain_scope: Option<Scope>,
    own_category: Option<&'a str>,
}

fn board_rows(a: &Auth, rows: Vec<ResultRow>, x: &RowsIn<'_>) -> Vec<BoardRow> {
    let mut order = x.order.clone();
    if order.is_empty() {
        for r in rows.iter().filter(|r| !r.vetoed) {
            if let Some(g) = &r.grade
                && !order.contains(g)
            {
                order.push(g.clone());
            }
        }
    }
    rows.into_iter()
        .map(|r| {
            let name = x.units.get(&r.subject).map(|u| u.name.clone()).unwrap_or_else(|| r.subject.clone());
            let change = match (r.score.as_deref().and_then(cents), x.previous.get(&r.subject)) {
                (Some(now), Some(before)) => {
                    let d = now - before;
                    Some(Change { class: if d > 0 { "up" } else if d < 0 { "down" } else { "same" }, amount: fmt_cents(d.abs()), value: fmt_cents(d) })
                }
                _ => None,
            };
            let link = x
                .explain_scope
                .filter(|s| authz::reaches(a, *s, &r.subject, Some(&r.category), x.own_category))
                .map(|_| format!("/results/{}/{}/{}{}", enc(x.plan), enc(x.period), enc(&r.subject), x.link_query));
            BoardRow {
                grade_class: grade_class(&order, r.grade.as_deref(), r.vetoed),
                own: a.user.unit_key.as_deref() == Some(r.subject.as_str()),
                subject: r.subject,
                name,
                score: r.score,
                rank: r.rank,
                tied: r.tied,
                grade: r.grade,
                vetoed: r.vetoed,
                lost: r.lost,
                change,
                link,
            }
        })
        .collect()
}

async fn scores_of(st: &AppState, set_id: i64, category: Option<&str>) -> ApiResult<HashMap<String, i64>> {
    Ok(st.sets.rows(&st.db, set_id, category).await?.iter().filter_map(|r| Some((r.subject.clone(), cents(r.score.as_deref()?)?))).collect())
}

// ---------------------------------------------------------------------------
// Charts.

pub struct Chart {
    pub id: String,
    pub json: String,
}

pub struct DataTable {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn ranking_chart(id: String, title: String, rows: &[BoardRow], lang: Lang) -> Chart {
    let scored: Vec<i64> = rows.iter().filter(|r| !r.vetoed).filter_map(|r| r.score.as_deref().and_then(cents)).collect();
    // Lowest score of each grade but the last, where someone scored below it.
    let mut grades: Vec<(String, String)> = Vec::new();
    for r in rows.iter().filter(|r| !r.vetoed) {
        if let Some(g) = &r.grade
            && !grades.iter().any(|(x, _)| x == g)
        {
            grades.push((g.clone(), r.grade_class.clone()));
        }
    }
    let mut lines = Vec::new();
    if grades.len() > 1 {
        for (g, _) in &grades[..grades.len() - 1] {
            let low = rows.iter().filter(|r| !r.vetoed && r.grade.as_deref() == Some(g)).filter_map(|r| r.score.as_deref().and_then(cents)).min();
            if let Some(low) = low
                && scored.iter().any(|s| *s < low)
            {
                let label = if lang == Lang::Zh { format!("{g}最低分") } else { format!("lowest {g}") };
                lines.push(json!({"label": label, "value": low as f64 / 100.0}));
            }
        }
    }
    let min = scored.iter().min().map(|m| (((m / 100) - 5).max(0) / 10 * 10).max(0)).unwrap_or(0);
    let subtitle = if lang == Lang::Zh {
        format!("横轴从 {min} 分起{}", if lines.is_empty() { "" } else { "；虚线：各等次最低分" })
    } else {
        format!("Axis from {min}{}", if lines.is_empty() { "" } else { "; dashed: lowest score of each grade" })
    };
    let v = json!({
        "kind": "ranking",
        "title": title,
        "subtitle": subtitle,
        "names": rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        "scores": rows.iter().map(BoardRow::score_num).collect::<Vec<_>>(),
        "grades": rows.iter().map(|r| match (&r.grade, r.vetoed) {
            (Some(g), true) => format!("{g}{}", tr(lang, "（否决）", " (veto)")),
            (Some(g), false) => g.clone(),
            (None, _) => String::new(),
        }).collect::<Vec<_>>(),
        "grade_classes": rows.iter().map(|r| r.grade_class.clone()).collect::<Vec<_>>(),
        "links": rows.iter().map(|r| r.link.clone().unwrap_or_default()).collect::<Vec<_>>(),
        "lines": lines,
        "min": min,
    });
    Chart { id, json: script_json(&v) }
}

fn trend_chart(id: String, title: String, subtitle: String, periods: &[String], series: Vec<(String, Vec<Option<f64>>)>, lang: Lang) -> TrendFig {
    let v = json!({
        "kind": "trend",
        "title": title,
        "subtitle": subtitle,
        "periods": periods.iter().map(|p| period_short(p, lang)).collect::<Vec<_>>(),
        "series": series.iter().map(|(n, vals)| json!({"name": n, "values": vals})).collect::<Vec<_>>(),
    });
    let mut head = vec![tr(lang, "期间", "Period").to_string()];
    head.extend(series.iter().map(|(n, _)| n.clone()));
    let rows = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut row = vec![period_label(p, lang)];
            row.extend(series.iter().map(|(_, vals)| vals.get(i).copied().flatten().map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())));
            row
        })
        .collect();
    TrendFig { chart: Chart { id, json: script_json(&v) }, table: DataTable { caption: title, head, rows } }
}

// ---------------------------------------------------------------------------
// The dashboard.

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct BoardCard {
    pub name: String,
    pub ranking: Chart,
    pub rows: Vec<BoardRow>,
    pub table_href: String,
    pub trend: Option<TrendFig>,
}

pub struct TrendFig {
    pub chart: Chart,
    pub table: DataTable,
}

pub struct StatusRow {
    pub label: String,
    pub open: bool,
    pub published: Option<String>,
    pub pending: bool,
    pub computed: Option<String>,
    pub results_href: Option<String>,
    pub preview_href: Option<String>,
}

pub struct OwnSummary {
    pub name: String,
    pub row: BoardRow,
}

#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct DashTpl {
    c: Chrome,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
    heading: String,
    heading_period: String,
    meta: String,
    empty: Option<String>,
    preview_href: Option<String>,
    own: Option<OwnSummary>,
    boards: Vec<BoardCard>,
    /// Categories beyond the boards drawn: links to their tables.
    more: Vec<Opt>,
    more_note: String,
    status: Vec<StatusRow>,
    pending: Vec<StatusRow>,
    /// What is due in the month being collected.
    reminder: Option<super::cycle::Reminder>,
}

#[derive(Deserialize)]
pub struct DashQuery {
    plan: Option<String>,
    period: Option<String>,
}

fn plan_opts(ctx: &PlanCtx, lang: Lang) -> Vec<Opt> {
    ctx.plans.iter().map(|p| Opt { value: p.key.clone(), label: super::paren(lang, &p.name, p.year), selected: p.key == ctx.plan.key }).collect()
}

fn period_opts(ctx: &PlanCtx, chosen: &str, lang: Lang) -> Vec<Opt> {
    ctx.periods
        .iter()
        .rev()
        .map(|p| {
            let mark = if p.current().is_some() { "" } else { tr(lang, "（未发布）", " (not published)") };
            Opt { value: p.period.clone(), label: format!("{}{mark}", period_label(&p.period, lang)), selected: p.period == chosen }
        })
        .collect()
}

/// The most category boards the dashboard draws.
const MAX_BOARDS: usize = 8;

/// `GET /`: each visible category's ranking board with its trend; the office also sees
/// where each period stands.
pub async fn dashboard(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<DashQuery>) -> ApiResult<Response> {
    let mut c = Chrome::page(&a, lang, &uri, tr(lang, "总览", "Dashboard"));
    let mut t = DashTpl { c: Chrome::new(None, lang, "/", "/", ""), plans: vec![], periods: vec![], heading: c.title.clone(), heading_period: String::new(), meta: String::new(), empty: None, preview_href: None, own: None, boards: vec![], more: vec![], more_note: String::new(), status: vec![], pending: vec![], reminder: None };
    let Some(ctx) = plan_ctx(&st, &a, q.plan.as_deref()).await? else {
        t.empty = Some(tr(lang, "还没有考核方案。考评办管理员建立方案并发布结果后，这里会显示各类别的排名和走势。", "There is no appraisal plan yet. Once the office sets one up and publishes results, each category's ranking and trend appear here.").into());
        t.c = c;
        return Ok(render(&t));
    };
    t.plans = plan_opts(&ctx, lang);
    t.reminder = super::cycle::reminder(&st, &a, &ctx.plan.key, lang).await?;
    // A period this plan does not have (the plan was just switched): its default instead.
    let asked = q.period.as_deref().and_then(Period::parse).map(|p| p.to_string());
    let chosen = asked.as_deref().and_then(|p| ctx.find(p)).or_else(|| ctx.default_period());
    if ctx.office {
        t.status = status_rows(&ctx, lang);
        t.pending = status_rows(&ctx, lang).into_iter().filter(|s| s.pending).collect();
    }
    let scope = authz::scope(a.user.role, Perm::ReadPublished);
    let Some(info) = chosen else {
        t.empty = Some(tr(lang, "本方案还没有发布任何结果。", "No results of this plan have been published yet.").into());
        t.heading = ctx.plan.name.clone();
        t.c = c;
        return Ok(render(&t));
    };
    t.periods = period_opts(&ctx, &info.period, lang);
    t.heading = ctx.plan.name.clone();
    t.heading_period = period_label(&info.period, lang);
    let Some(scope) = scope else {
        t.empty = Some(tr(lang, "您的角色不能查看考核结果。", "Your role does not see appraisal results.").into());
        t.c = c;
        return Ok(render(&t));
    };
    let Some(pubn) = info.current() else {
        t.empty = Some(tr(lang, "本期结果已计算，尚未发布。", "This period has been computed but not published.").into());
        t.preview_href = Some(format!("/results{}", query(&[("plan", &ctx.plan.key), ("period", &info.period), ("preview", "1")])));
        t.c = c;
        return Ok(render(&t));
    };
    t.meta = if lang == Lang::Zh {
        format!("第 {} 版，{} 发布", pubn.version, datetime(pubn.published_ms))
    } else {
        format!("Version {}, published {}", pubn.version, datetime(pubn.published_ms))
    };
    let (all_cats, own_cat) = visible_categories(&st, &a, scope).await?;
    // A province has a hundred categories: the dashboard draws the first few boards and
    // lists the rest as links to their tables.
    let shown = all_cats.len().min(MAX_BOARDS);
    let cats = &all_cats[..shown];
    t.more = all_cats[shown..]
        .iter()
        .map(|c| Opt { value: format!("/results{}", query(&[("plan", &ctx.plan.key), ("period", &info.period), ("category", &c.key)])), label: c.name.clone(), selected: false })
        .collect();
    t.more_note = if lang == Lang::Zh {
        format!("以上为前 {shown} 个类别（共 {} 个）；其余类别请打开结果表查看：", all_cats.len())
    } else {
        format!("Above are the first {shown} of {} categories; open the others' tables:", all_cats.len())
    };
    // The boards' units only (a province has 10,000): one indexed query per board.
    let mut units: HashMap<String, Unit> = HashMap::new();
    for c in cats {
        units.extend(st.db.units(Some(&c.key)).await?.into_iter().map(|u| (u.key.clone(), u)));
    }
    let orders = grade_orders(&st, &ctx.plan.key).await;
    let previous = match ctx.previous_published(info).and_then(|p| p.current()) {
        Some(p) => {
            let mut m = HashMap::new();
            for c in cats {
                m.extend(scores_of(&st, p.set_id, Some(&c.key)).await?);
            }
            m
        }
        None => HashMap::new(),
    };
    // Trends over the published months: the category's mean and top score (exact cents,
    // summed in the database), and the caller's own unit.
    let months = ctx.published_months();
    let month_keys: Vec<String> = months.iter().map(|m| m.period.clone()).collect();
    // Per category, per published month: (mean, top).
    type MeanTop = (Option<f64>, Option<f64>);
    let mut stats: HashMap<String, Vec<MeanTop>> = HashMap::new();
    for (i, m) in months.iter().enumerate() {
        let Some(p) = m.current() else { continue };
        let by_cat: HashMap<String, (i64, i64, i64)> = st.sets.stats(&st.db, p.set_id).await?.iter().map(|(c, n, sum, top)| (c.clone(), (*n, *sum, *top))).collect();
        for cat in cats {
            let v = by_cat.get(cat.key.as_str()).filter(|v| v.0 > 0);
            let mean = v.map(|&(n, sum, _)| (sum as f64 / n as f64).round() / 100.0);
            let top = v.map(|&(_, _, top)| top as f64 / 100.0);
            let e = stats.entry(cat.key.clone()).or_default();
            e.resize(i, (None, None));
            e.push((mean, top));
        }
    }
    let own_scores: Vec<Option<f64>> = match &a.user.unit_key {
        Some(u) => {
            let mine: HashMap<String, f64> =
                st.db.published_trend(&ctx.plan.key, u).await?.into_iter().filter_map(|(period, score, _)| Some((period, score.as_deref().and_then(cents)? as f64 / 100.0))).collect();
            month_keys.iter().map(|m| mine.get(m).copied()).collect()
        }
        None => Vec::new(),
    };
    let rows_in = |order: Vec<String>| RowsIn {
        plan: &ctx.plan.key,
        period: &info.period,
        link_query: String::new(),
        units: &units,
        order,
        previous: previous.clone(),
        explain_scope: authz::scope(a.user.role, Perm::ReadExplanation),
        own_category: own_cat.as_deref(),
    };
    for (i, cat) in cats.iter().enumerate() {
        let rows = st.sets.rows(&st.db, pubn.set_id, Some(&cat.key)).await?.to_vec();
        if rows.is_empty() {
            continue;
        }
        let rows = board_rows(&a, rows, &rows_in(orders.get(&cat.key).cloned().unwrap_or_default()));
        let title = if lang == Lang::Zh { format!("{}得分排名（{}）", cat.name, period_label(&info.period, lang)) } else { format!("{}: ranking, {}", cat.name, period_label(&info.period, lang)) };
        let ranking = ranking_chart(format!("rank-{i}"), title, &rows, lang);
        let s = stats.get(&cat.key).cloned().unwrap_or_default();
        let mut series = Vec::new();
        let own_here = a.user.unit_key.as_ref().filter(|u| rows.iter().any(|r| &&r.subject == u));
        if let Some(u) = own_here {
            let name = units.get(u).map(|x| x.name.clone()).unwrap_or_else(|| u.clone());
            series.push((name, own_scores.clone()));
        }
        series.push((tr(lang, "类别平均分", "Category mean").to_string(), s.iter().map(|x| x.0).collect()));
        if own_here.is_none() {
            series.push((tr(lang, "类别最高分", "Category top score").to_string(), s.iter().map(|x| x.1).collect()));
        }
        let (ttitle, sub) = if own_here.is_some() {
            (tr(lang, "本单位月度得分走势", "Your unit's monthly score").to_string(), tr(lang, "与本类别平均分对照（仅含已发布月份）", "against the category mean (published months only)").to_string())
        } else if lang == Lang::Zh {
            (format!("{}月度得分走势", cat.name), "平均分与最高分（仅含已发布月份）".to_string())
        } else {
            (format!("{}: monthly scores", cat.name), "mean and top score (published months only)".to_string())
        };
        let trend = (month_keys.len() > 1).then(|| trend_chart(format!("trend-{i}"), ttitle, sub, &month_keys, series, lang));
        if let Some(r) = rows.iter().find(|r| r.own) {
            t.own = Some(OwnSummary {
                name: r.name.clone(),
                row: BoardRow {
                    subject: r.subject.clone(),
                    name: r.name.clone(),
                    score: r.score.clone(),
                    rank: r.rank,
                    tied: r.tied,
                    grade: r.grade.clone(),
                    grade_class: r.grade_class.clone(),
                    vetoed: r.vetoed,
                    lost: r.lost.clone(),
                    change: r.change.as_ref().map(|x| Change { class: x.class, amount: x.amount.clone(), value: x.value.clone() }),
                    link: r.link.clone(),
                    own: true,
                },
            });
        }
        t.boards.push(BoardCard {
            name: cat.name.clone(),
            ranking,
            rows,
            table_href: format!("/results{}", query(&[("plan", &ctx.plan.key), ("period", &info.period), ("category", &cat.key)])),
            trend,
        });
    }
    if t.boards.is_empty() {
        t.empty = Some(tr(lang, "本期没有您可查看的类别结果。", "There are no category results for you to see in this period.").into());
    }
    c.title = format!("{} · {}", t.heading, t.heading_period);
    t.c = c;
    Ok(render(&t))
}

fn status_rows(ctx: &PlanCtx, lang: Lang) -> Vec<StatusRow> {
    ctx.periods
        .iter()
        .rev()
        .map(|p| {
            let cur = p.current();
            let pending = match (p.latest.as_ref(), cur) {
                (Some(l), Some(c)) => l.id != c.set_id && !p.pubs.iter().any(|x| x.set_id == l.id),
                (Some(_), None) => true,
                _ => false,
            };
            let published = cur.map(|c| if lang == Lang::Zh { format!("第 {} 版（{}）", c.version, datetime(c.published_ms)) } else { format!("version {} ({})", c.version, datetime(c.published_ms)) });
            let computed = p.latest.as_ref().map(|l| datetime(l.computed_ms));
            StatusRow {
                label: period_label(&p.period, lang),
                open: p.status == "open",
                published,
                pending,
                computed,
                results_href: cur.map(|_| format!("/results{}", query(&[("plan", &ctx.plan.key), ("period", &p.period)]))),
                preview_href: pending.then(|| format!("/results{}", query(&[("plan", &ctx.plan.key), ("period", &p.period), ("preview", "1")]))),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The results table.

#[derive(Deserialize)]
pub struct ResultsQuery {
    plan: Option<String>,
    period: Option<String>,
    category: Option<String>,
    version: Option<String>,
    preview: Option<String>,
}

struct Table {
    ctx: PlanCtx,
    period: String,
    preview: bool,
    version: Option<i64>,
    /// "第 2 版（现行）…" or "预览（未发布）…".
    meta: String,
    category: Category,
    categories: Vec<Category>,
    rows: Vec<BoardRow>,
    has_previous: bool,
    previous_label: String,
}

async fn load_table(st: &AppState, a: &Auth, lang: Lang, q: &ResultsQuery) -> ApiResult<Table> {
    let scope = authz::require(a, Perm::ReadPublished)?;
    let preview = q.preview.as_deref().is_some_and(|p| p == "1" || p == "true");
    if preview {
        authz::require(a, Perm::ReadPreview)?;
    }
    let version = match q.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(v.parse::<i64>().map_err(|_| ApiError::bad_request("bad_version", "版本号应为整数", "the version is a whole number"))?),
        None => None,
    };
    let ctx = plan_ctx(st, a, q.plan.as_deref()).await?.ok_or_else(|| ApiError::not_found("还没有考核方案", "there is no plan yet"))?;
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Period::parse(p).ok_or_else(|| ApiError::bad_request("bad_period", format!("期间“{p}”无效"), format!("the period '{p}' is not valid")))?.to_string(),
        None => ctx.default_period().map(|p| p.period.clone()).ok_or_else(|| ApiError::not_found("本方案还没有发布任何结果", "no results of this plan have been published"))?,
    };
    let not_published = || ApiError::new(StatusCode::NOT_FOUND, "not_published", format!("{} 的结果尚未发布", period_label(&period, Lang::Zh)), format!("the results of {} are not published", period_label(&period, Lang::En)));
    let info = ctx.find(&period).ok_or_else(not_published)?;
    let (set_id, meta) = if preview {
        let set = info.latest.as_ref().ok_or_else(|| ApiError::not_found(format!("{period} 还没有计算结果"), format!("{period} has not been computed")))?;
        let meta = if lang == Lang::Zh {
            format!("预览（未发布）：{} 由 {} 计算，方案第 {} 版。各单位看不到这些结果。", datetime(set.computed_ms), set.computed_by, set.plan_version)
        } else {
            format!("Preview (not published): computed {} by {} with plan version {}. Units cannot see these results.", datetime(set.computed_ms), set.computed_by, set.plan_version)
        };
        (set.id, meta)
    } else {
        let p = api::publication(st, &ctx.plan.key, &period, version).await?;
        let current = info.current().is_some_and(|c| c.version == p.version);
        let meta = if lang == Lang::Zh {
            format!("第 {} 版{}，{} 由 {} 发布。事由：{}", p.version, if current { "（现行）" } else { "（已被更正版本取代）" }, datetime(p.published_ms), p.published_by, p.reason)
        } else {
            format!("Version {}{}, published {} by {}. Reason: {}", p.version, if current { " (in force)" } else { " (superseded by a correction)" }, datetime(p.published_ms), p.published_by, p.reason)
        };
        (p.set_id, meta)
    };
    let (cats, own_cat) = visible_categories(st, a, scope).await?;
    let category = match q.category.as_deref().filter(|c| !c.is_empty()) {
        Some(k) => match cats.iter().find(|c| c.key == k) {
            Some(c) => c.clone(),
            None if st.db.category(k).await?.is_some() => return Err(ApiError::forbidden()),
            None => return Err(ApiError::not_found(format!("类别“{k}”不存在"), format!("the category '{k}' does not exist"))),
        },
        None => {
            let mut first = None;
            for c in &cats {
                if !st.sets.rows(&st.db, set_id, Some(&c.key)).await?.is_empty() {
                    first = Some(c.clone());
                    break;
                }
            }
            first.or_else(|| cats.first().cloned()).ok_or_else(ApiError::forbidden)?
        }
    };
    let prev = ctx.previous_published(info);
    let previous = match prev.and_then(|p| p.current()) {
        Some(p) => scores_of(st, p.set_id, Some(&category.key)).await?,
        None => HashMap::new(),
    };
    let previous_label = prev.map(|p| period_label(&p.period, lang)).unwrap_or_default();
    let units: HashMap<String, Unit> = st.db.units(Some(&category.key)).await?.into_iter().map(|u| (u.key.clone(), u)).collect();
    let orders = grade_orders(st, &ctx.plan.key).await;
    let link_query = if preview { "?preview=1".to_string() } else { version.map(|v| format!("?version={v}")).unwrap_or_default() };
    let rows = st.sets.rows(&st.db, set_id, Some(&category.key)).await?.to_vec();
    let rows = board_rows(
        a,
        rows,
        &RowsIn {
            plan: &ctx.plan.key,
            period: &period,
            link_query,
            units: &units,
            order: orders.get(&category.key).cloned().unwrap_or_default(),
            previous: previous.clone(),
            explain_scope: authz::scope(a.user.role, Perm::ReadExplanation),
            own_category: own_cat.as_deref(),
        },
    );
    Ok(Table { period, preview, version, meta, category, categories: cats, rows, has_previous: !previous.is_empty(), previous_label, ctx })
}

#[derive(askama::Template)]
#[template(path = "results.html")]
struct ResultsTpl {
    c: Chrome,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
    categories: Vec<Opt>,
    versions: Vec<Opt>,
    heading: String,
    meta: String,
    preview: bool,
    preview_href: Option<String>,
    published_href: Option<String>,
    csv_href: String,
    /// The Excel exports: this category's ranking, every visible category's, the year's summary.
    xlsx_href: String,
    xlsx_all_href: String,
    summary_href: Option<String>,
    /// The period notice (通报) of the version shown; empty for a preview.
    notice_href: String,
    rows: Vec<BoardRow>,
    has_previous: bool,
    previous_label: String,
}

/// `GET /results`: one category's table: rank, unit, score (a link to its explanation),
/// grade, points lost, change since the previous published period.
pub async fn results_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<ResultsQuery>) -> ApiResult<Response> {
    let t = load_table(&st, &a, lang, &q).await?;
    let info = t.ctx.find(&t.period);
    let versions = info
        .map(|i| {
            i.pubs
                .iter()
                .rev()
                .enumerate()
                .map(|(n, p)| Opt {
                    value: if n == 0 { String::new() } else { p.version.to_string() },
                    label: if lang == Lang::Zh { format!("第 {} 版{}", p.version, if n == 0 { "（现行）" } else { "" }) } else { format!("version {}{}", p.version, if n == 0 { " (in force)" } else { "" }) },
                    selected: !t.preview && (t.version == Some(p.version) || (t.version.is_none() && n == 0)),
                })
                .collect()
        })
        .unwrap_or_default();
    let pending = info.is_some_and(|i| i.latest.as_ref().is_some_and(|l| !i.pubs.iter().any(|p| p.set_id == l.id)));
    let heading = if lang == Lang::Zh {
        format!("{} · {} · {}", t.category.name, period_label(&t.period, lang), if t.preview { "预览（未发布）" } else { "考核结果" })
    } else {
        format!("{} · {} · {}", t.category.name, period_label(&t.period, lang), if t.preview { "preview (not published)" } else { "results" })
    };
    let base = [("plan", t.ctx.plan.key.as_str()), ("period", t.period.as_str()), ("category", t.category.key.as_str())];
    let csv_q = {
        let v = t.version.map(|v| v.to_string()).unwrap_or_default();
        query(&[base[0], base[1], base[2], ("version", &v), ("preview", if t.preview { "1" } else { "" })])
    };
    let tpl = ResultsTpl {
        c: Chrome::page(&a, lang, &uri, heading.clone()),
        plans: plan_opts(&t.ctx, lang),
        periods: period_opts(&t.ctx, &t.period, lang),
        categories: t.categories.iter().map(|c| Opt { value: c.key.clone(), label: c.name.clone(), selected: c.key == t.category.key }).collect(),
        versions,
        heading,
        meta: t.meta.clone(),
        preview: t.preview,
        preview_href: (t.ctx.office && pending && !t.preview).then(|| format!("/results{}", query(&[base[0], base[1], base[2], ("preview", "1")]))),
        published_href: (t.preview && info.is_some_and(|i| i.current().is_some())).then(|| format!("/results{}", query(&base))),
        csv_href: format!("/results.csv{csv_q}"),
        xlsx_href: api::exports::rankings_href(&t.ctx.plan.key, &t.period, Some(&t.category.key), t.version, t.preview),
        xlsx_all_href: api::exports::rankings_href(&t.ctx.plan.key, &t.period, None, t.version, t.preview),
        summary_href: if t.preview { None } else { api::exports::summary_href(&t.ctx.plan.key, &t.period) },
        notice_href: if t.preview || info.is_none_or(|i| i.pubs.is_empty()) {
            String::new()
        } else {
            let v = t.version.map(|v| v.to_string()).unwrap_or_default();
            format!("/notice{}", query(&[base[0], base[1], ("version", &v)]))
        },
        has_previous: t.has_previous,
        previous_label: t.previous_label.clone(),
        rows: t.rows,
    };
    Ok(render(&tpl))
}

/// `GET /results.csv`: the same table for Excel (UTF-8 with a byte-order mark).
pub async fn results_csv(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, Q(q): Q<ResultsQuery>) -> ApiResult<Response> {
    let t = load_table(&st, &a, lang, &q).await?;
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let head = if lang == Lang::Zh {
        ["名次", "单位编码", "单位", "得分", "等次", "失分", "较上期", "一票否决"]
    } else {
        ["Rank", "Unit key", "Unit", "Score", "Grade", "Points lost", "Change", "Vetoed"]
    };
    let _ = w.write_record(head);
    for r in &t.rows {
        let change = r.change.as_ref().map(|c| c.value.clone()).unwrap_or_default();
        let _ = w.write_record([r.rank_text(lang), r.subject.clone(), r.name.clone(), r.score_text(), r.grade.clone().unwrap_or_default(), r.lost.clone(), change, if r.vetoed { tr(lang, "是", "yes").into() } else { String::new() }]);
    }
    let body = w.into_inner().unwrap_or_default();
    let name = format!("{}-{}-{}{}.csv", t.ctx.plan.key, t.period, t.category.key, if t.preview { "-preview" } else { "" });
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], "_")))],
        body,
    )
        .into_response())
}

// ---------------------------------------------------------------------------
// A subject's explanation.

#[derive(Deserialize)]
pub struct SubjectPath {
    plan: String,
    period: String,
    subject: String,
}

#[derive(Deserialize)]
pub struct ExplainQuery {
    version: Option<String>,
    preview: Option<String>,
}

pub struct IndicatorLine {
    pub key: String,
    pub name: String,
    pub method: String,
    pub weight: String,
    pub inputs: Vec<String>,
    pub steps: Vec<String>,
    pub points: String,
    pub lost: String,
    pub in_total: bool,
    pub effect: String,
    pub negative: bool,
}

pub struct OccurrenceLine {
    pub indicator: String,
    pub amount: String,
    pub reason: String,
    pub points: String,
}

pub struct VersionLine {
    pub version: i64,
    pub at: String,
    pub by: String,
    pub reason: String,
    pub href: String,
    pub current: bool,
    pub shown: bool,
}

#[derive(askama::Template)]
#[template(path = "explain.html")]
struct ExplainTpl {
    c: Chrome,
    heading: String,
    category: String,
    meta: String,
    preview: bool,
    row: BoardRow,
    indicators: Vec<IndicatorLine>,
    occurrences: Vec<OccurrenceLine>,
    components: Vec<String>,
    total: String,
    coefficients: Vec<String>,
    final_value: String,
    published: String,
    extra: String,
    rank_line: String,
    grade_line: String,
    flags: Vec<String>,
    remark: String,
    text: String,
    versions: Vec<VersionLine>,
    table_href: Option<String>,
    /// The scorecard as an Excel workbook.
    xlsx_href: String,
    /// The unit's own leader, within the appeal window of a published result: where to appeal.
    appeal_href: Option<String>,
}

/// A scoring method's name in the language (shared with the printed scorecard).
pub(crate) fn method_name(key: &str, lang: Lang) -> String {
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

/// A data field's names (Chinese, English), for the fields every plan knows.
pub(crate) fn field_label(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "actual" => ("实际值", "actual"),
        "target" => ("目标值", "target"),
        "growth" => ("增速", "growth"),
        "target_growth" => ("目标增速", "target growth"),
        "level" => ("评价等级", "level"),
        "value" => ("数值", "value"),
        "count" => ("次数", "count"),
        "baseline" => ("基准值", "baseline"),
        "challenge" => ("挑战值", "challenge"),
        _ => return None,
    })
}

/// A data field's name in the page's language (`actual` → 实际值（actual）); others as they are.
fn field_name(key: &str, lang: Lang) -> String {
    match field_label(key) {
        Some((zh, _)) if lang == Lang::Zh => format!("{zh}（{key}）"),
        Some((_, en)) => en.to_string(),
        None => key.to_string(),
    }
}

/// A JSON value of a stored explanation as text (strings without quotes, null as empty).
pub(crate) fn json_text(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The value of the first line of `text` that starts with `prefix`.
fn line_after(text: &str, prefix: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(prefix)).map(|x| x.trim().to_string())
}

/// `GET /results/{plan}/{period}/{subject}`: where every point went, from the published
/// explanation, with the period's publication history.
pub async fn explain_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Params(p): Params<SubjectPath>, Q(q): Q<ExplainQuery>) -> ApiResult<Response> {
    let own_cat = match &a.user.unit_key {
        Some(u) => st.db.unit(u).await?.and_then(|u| u.category_key),
        None => None,
    };
    let unit = match st.db.unit(&p.subject).await? {
        Some(unit) => {
            let scope = authz::require(&a, Perm::ReadExplanation)?;
            if !authz::reaches(&a, scope, &unit.key, unit.category_key.as_deref(), own_cat.as_deref()) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "您只能查看本单位的得分说明", "you may open only your own unit's explanation"));
            }
            unit
        }
        // A person's appraisal (M12), for whom `reach_person` allows; shown as a subject of its category.
        None => {
            let person = st.db.person(&p.subject).await?.ok_or_else(|| ApiError::not_found(format!("“{}”不存在", p.subject), format!("'{}' does not exist", p.subject)))?;
            api::people::reach_person(&st, &a, Perm::ReadExplanation, &person, Period::parse(&p.period)).await?;
            yardstick_storage::registry::Unit { key: person.key, name: person.name, category_key: person.category_key, area_key: None, static_level: None, active: true }
        }
    };
    let plan = st.db.plan(&p.plan).await?.ok_or_else(|| ApiError::not_found(format!("方案“{}”不存在", p.plan), format!("the plan '{}' does not exist", p.plan)))?;
    let period = Period::parse(&p.period).ok_or_else(|| ApiError::bad_request("bad_period", format!("期间“{}”无效", p.period), format!("the period '{}' is not valid", p.period)))?.to_string();
    let preview = q.preview.as_deref().is_some_and(|x| x == "1" || x == "true");
    let version = match q.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(v.parse::<i64>().map_err(|_| ApiError::bad_request("bad_version", "版本号应为整数", "the version is a whole number"))?),
        None => None,
    };
    let pubs = st.db.publications(&plan.key, Some(&period)).await?;
    let (set_id, meta) = if preview {
        authz::require(&a, Perm::ReadPreview)?;
        let set = st.db.latest_result_set(&plan.key, &period).await?.ok_or_else(|| ApiError::not_found(format!("{period} 还没有计算结果"), format!("{period} has not been computed")))?;
        (set.id, if lang == Lang::Zh { format!("预览（未发布）：{} 计算。该单位在发布前看不到本说明。", datetime(set.computed_ms)) } else { format!("Preview (not published): computed {}. The unit cannot see this before publication.", datetime(set.computed_ms)) })
    } else {
        let x = api::publication(&st, &plan.key, &period, version).await?;
        let current = pubs.last().is_some_and(|c| c.version == x.version);
        (
            x.set_id,
            if lang == Lang::Zh {
                format!("第 {} 版{}，{} 发布", x.version, if current { "（现行）" } else { "（已被更正版本取代）" }, datetime(x.published_ms))
            } else {
                format!("Version {}{}, published {}", x.version, if current { " (in force)" } else { " (superseded by a correction)" }, datetime(x.published_ms))
            },
        )
    };
    let (row, detail) = st.db.result_row(set_id, &unit.key).await?.ok_or_else(|| ApiError::not_found("该单位没有本期结果", "this unit has no result for the period"))?;
    let detail: Value = serde_json::from_str(&detail).map_err(ApiError::internal)?;
    let lk = if lang == Lang::Zh { "zh" } else { "en" };
    let text = json_text(&detail["text"][lk]);
    let ex = &detail["explain"];
    let names = indicator_names(&st, &plan.key).await;
    let orders = grade_orders(&st, &plan.key).await;
    let category = match &unit.category_key {
        Some(k) => st.db.category(k).await?.map(|c| c.name).unwrap_or_else(|| k.clone()),
        None => String::new(),
    };
    let mut indicators = Vec::new();
    let mut occurrences = Vec::new();
    for i in ex["indicators"].as_array().into_iter().flatten() {
        let key = json_text(&i["indicator"]);
        let name = names.get(&key).cloned().unwrap_or_else(|| key.clone());
        let points = json_text(&i["points"]);
        let weight = json_text(&i["weight"]);
        let lost = match (cents_loose(&weight), cents_loose(&points)) {
            (Some(w), Some(pt)) if i["in_total"].as_bool().unwrap_or(true) && w - pt > 0 => fmt_cents(w - pt),
            _ => String::new(),
        };
        for o in i["occurrences"].as_array().into_iter().flatten() {
            occurrences.push(OccurrenceLine { indicator: name.clone(), amount: json_text(&o["amount"]), reason: json_text(&o["reason"]), points: points.clone() });
        }
        indicators.push(IndicatorLine {
            negative: cents_loose(&points).is_some_and(|c| c < 0),
            method: method_name(&json_text(&i["method"]), lang),
            inputs: i["inputs"].as_array().into_iter().flatten().map(|x| format!("{} = {}", field_name(&json_text(&x["field"]), lang), json_text(&x["value"]))).collect(),
            steps: i["steps"].as_array().into_iter().flatten().map(json_text).collect(),
            in_total: i["in_total"].as_bool().unwrap_or(true),
            effect: json_text(&i["effect"]),
            key,
            name,
            weight,
            points,
            lost,
        });
    }
    let order = unit.category_key.as_ref().and_then(|k| orders.get(k)).cloned().unwrap_or_default();
    let row = BoardRow {
        grade_class: grade_class(&order, row.grade.as_deref(), row.vetoed),
        own: a.user.unit_key.as_deref() == Some(unit.key.as_str()),
        subject: row.subject,
        name: unit.name.clone(),
        score: row.score,
        rank: row.rank,
        tied: row.tied,
        grade: row.grade,
        vetoed: row.vetoed,
        lost: row.lost,
        change: None,
        link: None,
    };
    let (rank_p, grade_p, flag_p) = if lang == Lang::Zh { ("名次：", "等次：", "提示：") } else { ("rank: ", "grade: ", "flag: ") };
    let versions = pubs
        .iter()
        .rev()
        .map(|x| VersionLine {
            version: x.version,
            at: datetime(x.published_ms),
            by: x.published_by.clone(),
            reason: x.reason.clone(),
            href: format!("/results/{}/{}/{}?version={}", enc(&plan.key), enc(&period), enc(&unit.key), x.version),
            current: pubs.last().is_some_and(|c| c.version == x.version),
            shown: !preview && version.map_or(pubs.last().is_some_and(|c| c.version == x.version), |v| v == x.version),
        })
        .collect();
    let table_href = match (authz::scope(a.user.role, Perm::ReadPublished), &unit.category_key) {
        (Some(sc), Some(k)) if sc == Scope::All || own_cat.as_deref() == Some(k.as_str()) => {
            let v = version.map(|v| v.to_string()).unwrap_or_default();
            Some(format!("/results{}", query(&[("plan", &plan.key), ("period", &period), ("category", k), ("version", &v), ("preview", if preview { "1" } else { "" })])))
        }
        _ => None,
    };
    let appeal_href = if !preview && authz::scope(a.user.role, Perm::Appeal) == Some(Scope::OwnUnit) && a.user.unit_key.as_deref() == Some(unit.key.as_str()) {
        let open = st.db.appeal_window(&plan.key, &period).await?.is_some_and(|w| crate::auth::now_ms() <= w.closes_ms);
        open.then(|| format!("/appeals{}", query(&[("plan", &plan.key), ("period", &period)])))
    } else {
        None
    };
    let heading = if lang == Lang::Zh { format!("{} · {} 得分说明", unit.name, period_label(&period, lang)) } else { format!("{} · explanation, {}", unit.name, period_label(&period, lang)) };
    let t = ExplainTpl {
        c: Chrome::page(&a, lang, &uri, heading.clone()),
        heading,
        category,
        meta: format!("{} · {}", plan.name, meta),
        preview,
        indicators,
        occurrences,
        components: ex["components"].as_array().into_iter().flatten().map(json_text).collect(),
        total: json_text(&ex["total"]),
        coefficients: ex["coefficients"].as_array().into_iter().flatten().map(json_text).collect(),
        final_value: json_text(&ex["final"]),
        published: row.score_text(),
        extra: json_text(&detail["extra"]).trim_start_matches('+').to_string(),
        rank_line: line_after(&text, rank_p).unwrap_or_else(|| row.rank_text(lang)),
        grade_line: line_after(&text, grade_p).unwrap_or_else(|| row.grade_text()),
        flags: text.lines().filter_map(|l| l.strip_prefix(flag_p)).map(str::to_string).collect(),
        remark: json_text(&detail["remark"][lk]),
        row,
        text,
        versions,
        table_href,
        xlsx_href: api::exports::scorecard_href(&plan.key, &period, &unit.key, version, preview),
        appeal_href,
    };
    Ok(render(&t))
}

/// A decimal with any number of places as cents (truncated), for "points lost".
pub(crate) fn cents_loose(v: &str) -> Option<i64> {
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
