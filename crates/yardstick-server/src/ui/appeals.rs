//! Appeals in the browser (M11): a unit's leader appeals a published score or deduction
//! with a reason and files; the office routes it to the responsible department; the
//! office or that department answers — upheld, or corrected, which re-publishes the
//! period as a new version. The same checks and storage calls as the API.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_formats::Lang;
use yardstick_storage::Role;

use super::results::Opt;
use super::{Chrome, SignedIn, datetime, period_label, query, render_status, see_other, tr};
use crate::AppState;
use crate::api::{self, appeals as core};
use crate::auth::{Auth, now_ms};
use crate::authz::{self, Perm, Scope};
use crate::error::{ApiError, ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct AppealsQuery {
    pub plan: Option<String>,
    pub period: Option<String>,
    pub indicator: Option<String>,
    pub ok: Option<String>,
}

pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub withdrawn: bool,
}

pub struct AppealRow {
    pub id: i64,
    pub unit: String,
    pub unit_name: String,
    pub indicator: String,
    pub item: String,
    pub has_occurrence: bool,
    pub reason: String,
    pub status: String,
    pub status_label: &'static str,
    pub class: &'static str,
    pub filed: String,
    pub routed: String,
    pub answer: String,
    pub republished: Option<i64>,
    pub files: Vec<FileRow>,
    pub open: bool,
    pub can_route: bool,
    pub can_answer: bool,
    pub can_attach: bool,
}

#[derive(askama::Template)]
#[template(path = "appeals.html")]
struct AppealsTpl {
    c: Chrome,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
    plan: String,
    period: String,
    heading: String,
    problem: Option<String>,
    window: String,
    can_file: bool,
    unit: String,
    indicators: Vec<Opt>,
    occurrences: Vec<Opt>,
    departments: Vec<Opt>,
    rows: Vec<AppealRow>,
}

fn status_of(s: &str, lang: Lang) -> (&'static str, &'static str) {
    match s {
        "filed" => (tr(lang, "已提交，待分办", "filed, to be routed"), "g2"),
        "routed" => (tr(lang, "已转责任部门核实", "with the department"), "g3"),
        "upheld" => (tr(lang, "维持原结果", "upheld"), "g4"),
        "corrected" => (tr(lang, "已更正并重新发布", "corrected and re-published"), "g1"),
        _ => ("", ""),
    }
}

async fn appeals_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, q: &AppealsQuery, problem: Option<String>) -> ApiResult<AppealsTpl> {
    authz::require(a, Perm::ReadAppeals)?;
    let plans = st.db.plans().await?;
    let plan = super::cycle::chosen_plan(&plans, q.plan.as_deref())?;
    // Published periods only: nothing else can be appealed.
    let pubs = st.db.publications(&plan.key, None).await?;
    let mut published: Vec<String> = pubs.iter().map(|p| p.period.clone()).collect();
    published.dedup();
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => api::parse_period(p)?.to_string(),
        None => published.iter().filter(|p| yardstick_engine::Period::parse(p).is_some_and(|x| x.level == yardstick_engine::period::Level::Month)).max().cloned().unwrap_or_default(),
    };
    let names: HashMap<String, String> = st.db.units(None).await?.into_iter().map(|u| (u.key, u.name)).collect();
    let name = |k: &str| names.get(k).cloned().unwrap_or_else(|| k.to_string());
    let cached = st.models.get(&st.db, &plan.key).await.map_err(api::compute_error)?;
    let ind_names: HashMap<String, String> = cached.model.versions.iter().flat_map(|v| &v.indicators).map(|i| (i.key.clone(), i.name.clone())).collect();

    let window = st.db.appeal_window(&plan.key, &period).await?;
    let now = now_ms();
    let open = window.as_ref().is_some_and(|w| now <= w.closes_ms);
    let window_text = match &window {
        Some(w) if open => format!("{}{}{}", tr(lang, "申诉期至 ", "Appeals open until "), datetime(w.closes_ms), tr(lang, "（北京时间）", " (Beijing time)")),
        Some(w) => format!("{}{}", tr(lang, "申诉期已于以下时间结束：", "The appeal window closed at "), datetime(w.closes_ms)),
        None => tr(lang, "本期结果尚未发布。", "This period is not published.").into(),
    };
    let own_unit = a.user.unit_key.clone().unwrap_or_default();
    let can_file = open && authz::scope(a.user.role, Perm::Appeal) == Some(Scope::OwnUnit) && !own_unit.is_empty();
    let (mut indicators, mut occurrences) = (Vec::new(), Vec::new());
    if can_file {
        let mut seen = std::collections::HashSet::new();
        for i in cached.model.versions.iter().flat_map(|v| &v.indicators) {
            if seen.insert(i.key.clone()) {
                indicators.push(Opt { value: i.key.clone(), label: i.name.clone(), selected: q.indicator.as_deref() == Some(i.key.as_str()) });
            }
        }
        for o in st.db.occurrences(&plan.key, std::slice::from_ref(&period), Some(&own_unit)).await? {
            occurrences.push(Opt { value: o.id.to_string(), label: format!("{} · {}", ind_names.get(&o.indicator).cloned().unwrap_or(o.indicator), o.reason), selected: false });
        }
    }
    let departments: Vec<Opt> = if authz::scope(a.user.role, Perm::RouteAppeal).is_some() {
        let mut keys: Vec<String> = st.db.users().await?.into_iter().filter(|u| u.role == Role::Department).filter_map(|u| u.unit_key).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().map(|k| Opt { label: name(&k), value: k, selected: false }).collect()
    } else {
        Vec::new()
    };

    let list = if period.is_empty() { Vec::new() } else { core::visible_appeals(st, a, &plan.key, Some(&period), None).await? };
    let mut files: HashMap<i64, Vec<FileRow>> = HashMap::new();
    let mut units: Vec<&str> = list.iter().map(|x| x.unit_key.as_str()).collect();
    units.sort();
    units.dedup();
    for u in units {
        for e in st.db.evidence_of(&plan.key, &period, u).await? {
            if let Some(id) = e.appeal_id {
                files.entry(id).or_default().push(FileRow { id: e.id, name: e.file_name, withdrawn: e.withdrawn_ms.is_some() });
            }
        }
    }
    let answer_scope = authz::scope(a.user.role, Perm::AnswerAppeal);
    let rows = list
        .into_iter()
        .map(|x| {
            let (status_label, class) = status_of(&x.status, lang);
            let unanswered = x.status == "filed" || x.status == "routed";
            let can_answer = unanswered && (answer_scope == Some(Scope::All) || (answer_scope.is_some() && x.routed_to.is_some() && x.routed_to == a.user.unit_key));
            AppealRow {
                item: match x.occurrence_id {
                    Some(o) => format!("{} · {}{o}", ind_names.get(&x.indicator).cloned().unwrap_or(x.indicator.clone()), tr(lang, "记录 #", "record #")),
                    None => ind_names.get(&x.indicator).cloned().unwrap_or(x.indicator.clone()),
                },
                has_occurrence: x.occurrence_id.is_some(),
                status_label,
                class,
                filed: format!("{} · {}", datetime(x.filed_ms), x.filed_by),
                routed: x.routed_to.as_deref().map(&name).unwrap_or_default(),
                answer: x.answer.clone().map(|t| format!("{} · {}", t, x.answered_by.clone().unwrap_or_default())).unwrap_or_default(),
                republished: x.republished,
                files: files.remove(&x.id).unwrap_or_default(),
                open: unanswered,
                can_route: unanswered && !departments.is_empty(),
                can_answer,
                can_attach: unanswered && authz::scope(a.user.role, Perm::Appeal).is_some() && (a.user.unit_key.as_deref() == Some(x.unit_key.as_str()) || authz::scope(a.user.role, Perm::Appeal) == Some(Scope::All)),
                unit_name: name(&x.unit_key),
                unit: x.unit_key,
                indicator: x.indicator,
                id: x.id,
                reason: x.reason,
                status: x.status,
            }
        })
        .collect();
    let mut c = Chrome::page(a, lang, uri, tr(lang, "申诉", "Appeals"));
    c.flash = q.ok.as_deref().map(|k| {
        let (zh, en) = match k {
            "filed" => ("申诉已提交。可在下方为该申诉上传佐证材料。", "Appeal filed. You can attach supporting files below."),
            "routed" => ("已转责任部门核实。", "Routed to the department."),
            "upheld" => ("已答复：维持原结果。", "Answered: the result stands."),
            "corrected" => ("已更正并重新发布本期结果，原版本仍可查阅。", "Corrected; the period is re-published and the old version stays readable."),
            _ => ("已完成。", "Done."),
        };
        tr(lang, zh, en).to_string()
    });
    Ok(AppealsTpl {
        heading: if period.is_empty() { tr(lang, "申诉", "Appeals").into() } else { format!("{} · {}", tr(lang, "申诉", "Appeals"), period_label(&period, lang)) },
        plans: plans.iter().map(|p| Opt { value: p.key.clone(), label: p.name.clone(), selected: p.key == plan.key }).collect(),
        periods: published.iter().rev().map(|p| Opt { value: p.clone(), label: period_label(p, lang), selected: *p == period }).collect(),
        plan: plan.key,
        period,
        problem,
        window: window_text,
        can_file,
        unit: own_unit,
        indicators,
        occurrences,
        departments,
        rows,
        c,
    })
}

/// `GET /appeals`.
pub async fn page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<AppealsQuery>) -> ApiResult<Response> {
    let t = appeals_tpl(&st, &a, lang, &uri, &q, None).await?;
    Ok(render_status(StatusCode::OK, &t))
}

#[derive(Deserialize)]
pub struct AppealForm {
    plan: String,
    period: String,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    indicator: Option<String>,
    #[serde(default)]
    occurrence: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    withdraw: Option<String>,
    /// `INDICATOR.FIELD = value`, one per line.
    #[serde(default)]
    changes: Option<String>,
}

fn back(f: &AppealForm, ok: &str, id: i64) -> Response {
    see_other(&format!("/appeals{}#appeal-{id}", query(&[("plan", &f.plan), ("period", &f.period), ("ok", ok)])))
}

async fn refused(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, f: &AppealForm, e: ApiError) -> ApiResult<Response> {
    let (status, msg) = super::refusal_text(e, lang)?;
    let q = AppealsQuery { plan: Some(f.plan.clone()), period: Some(f.period.clone()), indicator: f.indicator.clone(), ok: None };
    let t = appeals_tpl(st, a, lang, uri, &q, Some(msg)).await?;
    Ok(render_status(status, &t))
}

/// `POST /appeals/file`.
pub async fn file(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<AppealForm>) -> ApiResult<Response> {
    let unit = f.unit.clone().or_else(|| a.user.unit_key.clone()).unwrap_or_default();
    let occ = match f.occurrence.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => match o.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => return refused(&st, &a, lang, &uri, &f, ApiError::bad_request("bad_occurrence", "扣分记录无效", "not a valid record")).await,
        },
        None => None,
    };
    match core::file(&st, &a, &f.plan, &f.period, &unit, f.indicator.as_deref().unwrap_or("").trim(), occ, f.reason.as_deref().unwrap_or("")).await {
        Ok(x) => Ok(back(&f, "filed", x.id)),
        Err(e) => refused(&st, &a, lang, &uri, &f, e).await,
    }
}

/// `POST /appeals/route`.
pub async fn route(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<AppealForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::RouteAppeal)?;
    let id = f.id.unwrap_or(0);
    let x = st.db.appeal(id).await?.filter(|x| x.plan_key == f.plan).ok_or_else(|| ApiError::not_found("申诉不存在", "no such appeal"))?;
    match st.db.route_appeal(x.id, f.department.as_deref().unwrap_or("").trim(), &a.user.username, now_ms()).await {
        Ok(_) => Ok(back(&f, "routed", id)),
        Err(e) => refused(&st, &a, lang, &uri, &f, e.into()).await,
    }
}

/// Reads `INDICATOR.FIELD = value` lines.
fn changes(text: &str) -> Result<Vec<api::ValueItem>, ApiError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(['=', '＝']).and_then(|(k, v)| k.trim().split_once('.').map(|(i, f)| (i.trim(), f.trim(), v.trim())));
        match parsed {
            Some((i, f, v)) if !i.is_empty() && !f.is_empty() && !v.is_empty() => out.push(api::ValueItem { indicator: i.into(), field: f.into(), value: v.into() }),
            _ => {
                let zh = format!("更正数值第 {} 行应写成“指标.字段 = 数值”，如 GDP.actual = 120", n + 1);
                let en = format!("line {} of the corrected values must read INDICATOR.FIELD = value, e.g. GDP.actual = 120", n + 1);
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_changes", zh, en));
            }
        }
    }
    Ok(out)
}

/// `POST /appeals/answer`.
pub async fn answer(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<AppealForm>) -> ApiResult<Response> {
    let values = match changes(f.changes.as_deref().unwrap_or("")) {
        Ok(v) => v,
        Err(e) => return refused(&st, &a, lang, &uri, &f, e).await,
    };
    let outcome = f.outcome.clone().unwrap_or_default();
    let id = f.id.unwrap_or(0);
    match core::answer(&st, &a, &f.plan, id, &outcome, f.reason.as_deref().unwrap_or(""), values, f.withdraw.is_some()).await {
        Ok(x) => Ok(back(&f, if x.status == "corrected" { "corrected" } else { "upheld" }, id)),
        Err(e) => refused(&st, &a, lang, &uri, &f, e).await,
    }
}
