//! The office's desk for one period (本期工作台): open the period and set its deadline,
//! see where submissions stand, draw spot checks and record findings, decide correction
//! requests, compute a preview and compare it with the previous period and with what is
//! published, then publish with a reason and an appeal window. Every action goes through
//! the same checks and storage calls as the API.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_engine::Period;
use yardstick_formats::Lang;
use yardstick_storage::results::ResultRow;

use super::results::Opt;
use super::{Chrome, SignedIn, datetime, period_label, query, render_status, see_other, tr};
use crate::AppState;
use crate::api;
use crate::auth::{Auth, now_ms};
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct DeskQuery {
    pub plan: Option<String>,
    pub period: Option<String>,
    pub ok: Option<String>,
}

pub struct DeadlineRow {
    pub source: String,
    pub due: String,
    pub passed: bool,
}

pub struct CheckRow {
    pub id: i64,
    pub seed: String,
    pub size: i64,
    pub population: i64,
    pub drawn: String,
    pub units: Vec<DrawnUnit>,
}

pub struct DrawnUnit {
    pub key: String,
    pub name: String,
    pub finding: String,
    pub falsified: bool,
    pub recorded: bool,
}

pub struct CorrectionRow {
    pub id: i64,
    pub unit: String,
    pub name: String,
    pub item: String,
    pub old: String,
    pub new: String,
    pub reason: String,
    pub status: String,
    pub by: String,
}

pub struct CompareRow {
    pub unit: String,
    pub name: String,
    pub category: String,
    pub score: String,
    pub rank: String,
    pub grade: String,
    /// In force for this period (if published).
    pub published: String,
    /// The previous period's published rank and score.
    pub previous: String,
    pub moved: &'static str,
    pub changed: bool,
}

pub struct PubRow {
    pub version: i64,
    pub when: String,
    pub by: String,
    pub reason: String,
}

#[derive(askama::Template)]
#[template(path = "desk.html")]
struct DeskTpl {
    c: Chrome,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
    plan: String,
    period: String,
    heading: String,
    problem: Option<String>,
    opened: bool,
    status: String,
    deadlines: Vec<DeadlineRow>,
    /// Beijing time, as a datetime-local value, for the deadline form.
    due_value: String,
    can_manage: bool,
    can_publish: bool,
    can_check: bool,
    can_decide: bool,
    submissions: String,
    checks: Vec<CheckRow>,
    corrections: Vec<CorrectionRow>,
    /// The latest computation: id, when, plan version; and the comparison.
    set_id: i64,
    set_note: String,
    stale: bool,
    compare: Vec<CompareRow>,
    changed: usize,
    publications: Vec<PubRow>,
    appeal_days: i64,
    previous: String,
    /// Fill-in templates to download: a unit picker and one link per source.
    templates: crate::api::templates::DeskTemplates,
}

const BEIJING_MS: i64 = 8 * 3_600_000;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A `datetime-local` value (`2026-11-25T17:00`), read as Beijing time, in milliseconds.
pub fn beijing_ms(v: &str) -> Option<i64> {
    let (date, time) = v.trim().split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, min) = (t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || !(0..24).contains(&h) || !(0..60).contains(&min) || !(2000..=2100).contains(&y) {
        return None;
    }
    Some((days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60) * 1000 - BEIJING_MS)
}

/// Milliseconds as a Beijing `datetime-local` value.
fn local_value(ms: i64) -> String {
    datetime(ms).replace(' ', "T")
}

fn rank_text(r: &ResultRow, lang: Lang) -> String {
    match r.rank {
        Some(k) if r.tied => format!("{}{k}", tr(lang, "并列", "=")),
        Some(k) => k.to_string(),
        None => "—".into(),
    }
}

fn score_text(r: &ResultRow) -> String {
    r.score.clone().unwrap_or_else(|| "—".into())
}

async fn desk_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, q: &DeskQuery, problem: Option<String>) -> ApiResult<DeskTpl> {
    if !authz::is_office(a) {
        return Err(ApiError::forbidden());
    }
    let plans = st.db.plans().await?;
    let plan = super::cycle::chosen_plan(&plans, q.plan.as_deref())?;
    let rows = st.db.periods(&plan.key).await?;
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => api::parse_period(p)?.to_string(),
        None => rows.iter().rev().find(|p| p.status == "open").or(rows.last()).map(|p| p.period.clone()).unwrap_or_else(|| format!("{}-01", plan.year)),
    };
    let parsed = api::parse_period(&period)?;
    let this = rows.iter().find(|p| p.period == period);
    let now = now_ms();
    let names: HashMap<String, String> = st.db.units(None).await?.into_iter().map(|u| (u.key, u.name)).collect();
    let name = |k: &str| names.get(k).cloned().unwrap_or_else(|| k.to_string());

    // The period list: every opened period, and the one asked for if not yet opened.
    let mut periods: Vec<Opt> = rows.iter().map(|p| Opt { value: p.period.clone(), label: period_label(&p.period, lang), selected: p.period == period }).collect();
    if this.is_none() {
        periods.push(Opt { value: period.clone(), label: format!("{}（{}）", period_label(&period, lang), tr(lang, "未开放", "not opened")), selected: true });
    }
    let stored = st.db.deadlines(&plan.key, &period).await?;
    let due_value = stored.iter().find(|d| d.source.is_empty()).map(|d| local_value(d.due_ms)).unwrap_or_default();
    let deadlines: Vec<DeadlineRow> = stored
        .into_iter()
        .map(|d| DeadlineRow { source: if d.source.is_empty() { tr(lang, "各单位报送", "Units' submissions").into() } else { d.source }, due: datetime(d.due_ms), passed: d.due_ms < now })
        .collect();

    let subs = st.db.submissions(&plan.key, &period).await?;
    let count = |s: &str| subs.iter().filter(|x| x.status == s).count();
    let submissions = if lang == Lang::Zh {
        format!("共 {} 个单位：已报送待审核 {}，已通过 {}，已退回 {}，迟报 {}，未报送 {}。", names.len(), count("submitted"), count("accepted"), count("returned"), subs.iter().filter(|x| x.late).count(), names.len().saturating_sub(subs.len()))
    } else {
        format!("{} units: {} awaiting review, {} accepted, {} returned, {} late, {} not submitted.", names.len(), count("submitted"), count("accepted"), count("returned"), subs.iter().filter(|x| x.late).count(), names.len().saturating_sub(subs.len()))
    };

    let checks = st
        .db
        .spot_checks(&plan.key, &period)
        .await?
        .into_iter()
        .map(|c| CheckRow {
            id: c.id,
            seed: c.seed,
            size: c.size,
            population: c.population,
            drawn: format!("{} · {}", datetime(c.drawn_ms), c.drawn_by),
            units: c
                .units
                .iter()
                .map(|u| {
                    let f = c.findings.iter().find(|f| &f.unit_key == u);
                    DrawnUnit { key: u.clone(), name: name(u), finding: f.map(|f| f.finding.clone()).unwrap_or_default(), falsified: f.is_some_and(|f| f.falsified), recorded: f.is_some() }
                })
                .collect(),
        })
        .collect();
    let corrections = st
        .db
        .corrections(&plan.key, &period, None)
        .await?
        .into_iter()
        .rev()
        .map(|c| CorrectionRow {
            id: c.id,
            name: name(&c.unit_key),
            unit: c.unit_key,
            item: format!("{}.{}", c.indicator, c.field),
            old: c.old_value.unwrap_or_else(|| "—".into()),
            new: c.new_value,
            reason: c.reason,
            status: c.status,
            by: format!("{} · {}", c.requested_by, datetime(c.requested_ms)),
        })
        .collect();

    // The latest computation against what is published and the previous period.
    let pubs = st.db.publications(&plan.key, Some(&period)).await?;
    let latest = st.db.latest_result_set(&plan.key, &period).await?;
    let in_force = pubs.last().cloned();
    let previous = rows.iter().filter(|p| Period::parse(&p.period).is_some_and(|x| x.level == parsed.level) && p.period < period).map(|p| p.period.clone()).next_back();
    let prev_pub = match &previous {
        Some(p) => st.db.current_publication(&plan.key, p).await?,
        None => None,
    };
    let mut compare = Vec::new();
    let (mut set_id, mut set_note, mut stale) = (0, String::new(), false);
    if let Some(set) = &latest {
        set_id = set.id;
        let versions = st.db.plan_versions(&plan.key).await?;
        let newest = versions.iter().map(|v| v.version).max().unwrap_or(set.plan_version);
        stale = newest != set.plan_version;
        set_note = if lang == Lang::Zh {
            format!("第 {} 号计算，{}，{}，按方案第 {} 版（共 {} 版）", set.id, datetime(set.computed_ms), set.computed_by, set.plan_version, versions.len())
        } else {
            format!("computation {} at {} by {}, under plan version {} (of {})", set.id, datetime(set.computed_ms), set.computed_by, set.plan_version, versions.len())
        };
        let rows_now = st.sets.rows(&st.db, set.id, None).await?;
        let published: HashMap<String, ResultRow> = match &in_force {
            Some(p) if p.set_id != set.id => st.sets.rows(&st.db, p.set_id, None).await?.iter().map(|r| (r.subject.clone(), r.clone())).collect(),
            _ => HashMap::new(),
        };
        let before: HashMap<String, ResultRow> = match &prev_pub {
            Some(p) => st.sets.rows(&st.db, p.set_id, None).await?.iter().map(|r| (r.subject.clone(), r.clone())).collect(),
            None => HashMap::new(),
        };
        for r in rows_now.iter() {
            let p = published.get(&r.subject);
            let b = before.get(&r.subject);
            let changed = p.is_some_and(|p| p.score != r.score || p.rank != r.rank || p.grade != r.grade);
            let moved = match (b.and_then(|b| b.rank), r.rank) {
                (Some(x), Some(y)) if y < x => "up",
                (Some(x), Some(y)) if y > x => "down",
                _ => "",
            };
            compare.push(CompareRow {
                unit: r.subject.clone(),
                name: name(&r.subject),
                category: r.category.clone(),
                score: score_text(r),
                rank: rank_text(r, lang),
                grade: r.grade.clone().unwrap_or_default(),
                published: p.map(|p| format!("{} / {}", rank_text(p, lang), score_text(p))).unwrap_or_default(),
                previous: b.map(|b| format!("{} / {}", rank_text(b, lang), score_text(b))).unwrap_or_else(|| "—".into()),
                moved,
                changed,
            });
        }
    }
    let changed = compare.iter().filter(|r| r.changed).count();
    let publications = pubs.iter().rev().map(|p| PubRow { version: p.version, when: datetime(p.published_ms), by: p.published_by.clone(), reason: p.reason.clone() }).collect();
    let appeal_days = st.db.appeal_window(&plan.key, &period).await?.map_or(yardstick_storage::appeals::DEFAULT_APPEAL_DAYS, |w| w.days);
    let templates = crate::api::templates::desk_templates(st, a, &plan.key, &period).await?;
    let mut c = Chrome::page(a, lang, uri, tr(lang, "本期工作台", "Period desk"));
    c.flash = q.ok.as_deref().map(|k| flash(k, lang));
    let can = |p: Perm| authz::scope(a.user.role, p).is_some();
    Ok(DeskTpl {
        heading: format!("{} · {} · {}", tr(lang, "本期工作台", "Period desk"), plan.name, period_label(&period, lang)),
        plans: plans.iter().map(|p| Opt { value: p.key.clone(), label: p.name.clone(), selected: p.key == plan.key }).collect(),
        periods,
        opened: this.is_some(),
        status: match this.map(|p| p.status.as_str()) {
            Some("open") => tr(lang, "开放填报", "open for data").into(),
            Some(s) => s.to_string(),
            None => tr(lang, "未开放", "not opened").into(),
        },
        plan: plan.key,
        period,
        problem,
        deadlines,
        due_value,
        can_manage: can(Perm::ManagePlans),
        can_publish: can(Perm::Publish),
        can_check: can(Perm::SpotCheck),
        can_decide: can(Perm::ApproveCorrection),
        submissions,
        checks,
        corrections,
        set_id,
        set_note,
        stale,
        changed,
        compare,
        publications,
        appeal_days,
        previous: previous.map(|p| period_label(&p, lang)).unwrap_or_else(|| "—".into()),
        templates,
        c,
    })
}

fn flash(key: &str, lang: Lang) -> String {
    let (zh, en) = match key {
        "opened" => ("已开放本期填报。", "The period is open for data."),
        "deadline" => ("已设定报送截止时间。", "The deadline is set."),
        "drawn" => ("已抽取核验样本，种子已记录，任何人可复现。", "Drawn; the seed is recorded so anyone can repeat the draw."),
        "finding" => ("已记录核验结果。", "The finding is recorded."),
        "approved" => ("已批准更正，数值已改，原值保留在记录中。", "Correction approved: the value changed; the old one stays on record."),
        "rejected" => ("已驳回更正申请。", "Correction request rejected."),
        "computed" => ("已计算预览：仅考核办可见，请核对后发布。", "Preview computed: only the office sees it; check it, then publish."),
        "published" => ("已发布。各单位现在可以查看本类别排名和本单位得失分明细。", "Published. Units now see their category's board and their own points."),
        _ => ("已完成。", "Done."),
    };
    tr(lang, zh, en).to_string()
}

/// `GET /desk`.
pub async fn desk(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<DeskQuery>) -> ApiResult<Response> {
    let t = desk_tpl(&st, &a, lang, &uri, &q, None).await?;
    Ok(render_status(StatusCode::OK, &t))
}

#[derive(Deserialize)]
pub struct DeskForm {
    plan: String,
    period: String,
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    seed: Option<String>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    finding: Option<String>,
    #[serde(default)]
    falsified: Option<String>,
    #[serde(default)]
    approve: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    set_id: Option<i64>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    appeal_days: Option<String>,
}

fn back(f: &DeskForm, ok: &str, anchor: &str) -> Response {
    see_other(&format!("/desk{}#{anchor}", query(&[("plan", &f.plan), ("period", &f.period), ("ok", ok)])))
}

/// Shows a refusal or a bad request on the desk (with its status); other errors pass.
async fn refused(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, f: &DeskForm, e: ApiError) -> ApiResult<Response> {
    let (status, msg) = super::refusal_text(e, lang)?;
    let q = DeskQuery { plan: Some(f.plan.clone()), period: Some(f.period.clone()), ok: None };
    let t = desk_tpl(st, a, lang, uri, &q, Some(msg)).await?;
    Ok(render_status(status, &t))
}

macro_rules! attempt {
    ($st:expr, $a:expr, $lang:expr, $uri:expr, $f:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return refused(&$st, &$a, $lang, &$uri, &$f, ApiError::from(err)).await,
        }
    };
}

fn bad(zh: &str, en: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", zh, en)
}

/// `POST /desk/open`.
pub async fn open(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DeskForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManagePlans)?;
    let p = attempt!(st, a, lang, uri, f, api::parse_period(&f.period));
    attempt!(st, a, lang, uri, f, st.db.open_period(&f.plan, &p.to_string(), &a.user.username, now_ms()).await);
    Ok(back(&f, "opened", "period-h"))
}

/// `POST /desk/deadline`: the units' deadline, in Beijing time.
pub async fn deadline(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DeskForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManagePlans)?;
    let due = attempt!(st, a, lang, uri, f, beijing_ms(f.due.as_deref().unwrap_or("")).ok_or_else(|| bad("请填写有效的截止时间（北京时间）", "give a valid deadline (Beijing time)")));
    attempt!(st, a, lang, uri, f, st.db.set_deadline(&f.plan, &f.period, "", due, &a.user.username, now_ms()).await);
    Ok(back(&f, "deadline", "period-h"))
}

/// `POST /desk/draw`.
pub async fn draw(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DeskForm>) -> ApiResult<Response> {
    let size = attempt!(st, a, lang, uri, f, f.size.as_deref().unwrap_or("").trim().parse::<u32>().map_err(|_| bad("抽查数量应为正整数", "the size is a positive whole number")));
    let seed = f.seed.as_deref().filter(|s| !s.trim().is_empty());
    attempt!(st, a, lang, uri, f, api::draw_check(&st, &a, &f.plan, &f.period, size, seed).await);
    Ok(back(&f, "drawn", "checks-h"))
}

/// `POST /desk/finding`.
pub async fn finding(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DeskForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::SpotCheck)?;
    let text = f.finding.clone().unwrap_or_default();
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return refused(&st, &a, lang, &uri, &f, bad("核查结果应为 1–2000 字", "the finding is 1–2000 characters")).await;
    }
    let (id, unit) = (f.id.unwrap_or(0), f.unit.clone().unwrap_or_default());
    attempt!(st, a, lang, uri, f, api::record_spot_finding(&st, &a, &f.plan, &f.period, id, &unit, text, f.falsified.is_some()).await);
    Ok(back(&f, "finding", "checks-h"))
}

/// `POST /desk/correction`: approve or reject.
pub async fn correction(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DeskForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ApproveCorrection)?;
    let approve = f.approve.as_deref() == Some("1");
    let c = st.db.correction(f.id.unwrap_or(0)).await?.filter(|c| c.plan_key == f.plan && c.period == f.period).ok_or_else(|| ApiError::not_found("更正申请不存在", "no such correction"))?;
    attempt!(st, a, lang, uri, f, st.db.decide_correction(c.id, approve, f.note.as_deref(), &a.user.username, now_ms()).await);
    Ok(back(&f, if approve { "approved" } else { "rejected" }, "corrections-h"))
}

/// `POST /desk/compute`.
pub async fn compute(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DeskForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::Compute)?;
    let p = attempt!(st, a, lang, uri, f, api::parse_period(&f.period));
    attempt!(st, a, lang, uri, f, api::record_missing(&st, &a, &f.plan, &p.to_string()).await);
    attempt!(st, a, lang, uri, f, crate::compute::compute_period(&st.db, &f.plan, &p.to_string(), &a.user.username, now_ms()).await.map_err(api::compute_error));
    Ok(back(&f, "computed", "preview-h"))
}

/// `POST /desk/publish`.
pub async fn publish(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DeskForm>) -> ApiResult<Response> {
    let days = match f.appeal_days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(attempt!(st, a, lang, uri, f, d.parse::<i64>().map_err(|_| bad("申诉期应为天数", "the appeal window is a number of days")))),
        None => None,
    };
    let reason = f.reason.clone().unwrap_or_default();
    attempt!(st, a, lang, uri, f, api::publish_set(&st, &a, &f.plan, &f.period, f.set_id.unwrap_or(0), &reason, days).await);
    Ok(back(&f, "published", "pubs-h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time_round_trips() {
        let ms = beijing_ms("2026-11-25T17:00").unwrap();
        assert_eq!(datetime(ms), "2026-11-25 17:00");
        assert_eq!(local_value(ms), "2026-11-25T17:00");
        assert_eq!(beijing_ms("2026-03-01T00:00").map(datetime).as_deref(), Some("2026-03-01 00:00"));
        for bad in ["", "2026-13-01T00:00", "2026-11-25", "2026-11-25T24:00", "x-y-zT1:2"] {
            assert_eq!(beijing_ms(bad), None, "{bad}");
        }
    }
}
