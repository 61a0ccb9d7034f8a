//! The monthly cycle in the browser (M7): where every unit's submission of a period
//! stands, the unit leader's "approve and submit", and the office's or a responsible
//! department's accept or return with a reason. The same storage calls and authorization
//! as the API (`/api/v1/…/submissions`, `…/submission`, `…/submission/decision`).

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_engine::Period;
use yardstick_engine::period::Level;
use yardstick_formats::Lang;
use yardstick_storage::StorageError;
use yardstick_storage::plans::{PeriodRow, Plan};
use yardstick_storage::cycle::Decision;

use super::results::Opt;
use super::{Chrome, SignedIn, datetime, period_label, query, render_status, see_other, tr};
use crate::AppState;
use crate::api::{self, SubmissionBoard};
use crate::auth::{Auth, now_ms};
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    plan: Option<String>,
    period: Option<String>,
    ok: Option<String>,
    who: Option<String>,
}

pub struct Row {
    pub unit: String,
    pub name: String,
    pub status: String,
    /// Badge class: g1 accepted, g2 submitted, g3 returned, g4 missing.
    pub class: &'static str,
    pub status_label: String,
    pub late: bool,
    pub missing: bool,
    pub times: i64,
    pub submitted: String,
    pub decided: String,
    pub reason: String,
    pub can_submit: bool,
    pub can_decide: bool,
}

#[derive(askama::Template)]
#[template(path = "submissions.html")]
struct BoardTpl {
    c: Chrome,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
    plan: String,
    period: String,
    heading: String,
    deadline: String,
    summary: String,
    /// A refusal to show (a decision without a reason, a submission already made).
    problem: Option<String>,
    rows: Vec<Row>,
}

/// The plan asked for, else the latest year's.
pub(super) fn chosen_plan(plans: &[Plan], asked: Option<&str>) -> ApiResult<Plan> {
    match asked.filter(|p| !p.is_empty()) {
        Some(k) => plans.iter().find(|p| p.key == k).cloned().ok_or_else(|| ApiError::not_found(format!("方案“{k}”不存在"), format!("the plan '{k}' does not exist"))),
        None => plans.iter().max_by_key(|p| p.year).cloned().ok_or_else(|| ApiError::not_found("还没有考核方案", "there is no plan yet")),
    }
}

/// A plan's months (units submit months) and the one being collected: the latest open
/// month with a units' deadline, and that deadline.
struct Months {
    all: Vec<PeriodRow>,
    collecting: Option<(String, i64)>,
}

impl Months {
    async fn of(st: &AppState, plan: &str) -> ApiResult<Months> {
        let all: Vec<PeriodRow> = st.db.periods(plan).await?.into_iter().filter(|p| Period::parse(&p.period).is_some_and(|x| x.level == Level::Month)).collect();
        let due: std::collections::HashMap<String, i64> = st.db.unit_deadlines(plan).await?.into_iter().collect();
        let collecting = all.iter().rev().filter(|p| p.status == "open").find_map(|p| due.get(&p.period).map(|d| (p.period.clone(), *d)));
        Ok(Months { all, collecting })
    }

    /// The month a page opens on: the one being collected, else the latest open, else the latest.
    fn default_month(&self) -> Option<String> {
        self.collecting.as_ref().map(|c| c.0.clone()).or_else(|| self.all.iter().rev().find(|p| p.status == "open").or(self.all.last()).map(|p| p.period.clone()))
    }
}

fn status_label(status: &str, missing: bool, lang: Lang) -> (&'static str, &'static str) {
    match status {
        "accepted" => ("g1", tr(lang, "已审核通过", "accepted")),
        "submitted" => ("g2", tr(lang, "已报送，待审核", "submitted, awaiting review")),
        "returned" => ("g3", tr(lang, "已退回，待修改", "returned for correction")),
        _ if missing => ("g4", tr(lang, "逾期未报", "missing (deadline passed)")),
        _ => ("", tr(lang, "未报送", "not submitted")),
    }
}

async fn board_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, q: &BoardQuery, problem: Option<String>) -> ApiResult<BoardTpl> {
    authz::require(a, Perm::ReadSubmissions)?;
    let plans = st.db.plans().await?;
    let plan = chosen_plan(&plans, q.plan.as_deref())?;
    let months = Months::of(st, &plan.key).await?;
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => p.to_string(),
        None => months.default_month().ok_or_else(|| ApiError::not_found("本方案还没有开放任何月份", "no month of this plan has been opened"))?,
    };
    let periods = &months.all;
    let b: SubmissionBoard = api::submission_board(st, a, &plan.key, &period).await?;
    let verify = authz::scope(a.user.role, Perm::Verify).is_some();
    let submit_scope = authz::scope(a.user.role, Perm::Submit);
    let open = periods.iter().any(|p| p.period == b.period && p.status == "open");
    let rows = b
        .items
        .iter()
        .map(|x| {
            let (class, label) = status_label(&x.status, x.missing, lang);
            let who_when = |ms: Option<i64>, by: &Option<String>| match (ms, by) {
                (Some(ms), Some(by)) => format!("{} {by}", datetime(ms)),
                _ => String::new(),
            };
            Row {
                unit: x.unit.clone(),
                name: x.name.clone(),
                status: x.status.clone(),
                class,
                status_label: label.to_string(),
                late: x.late,
                missing: x.missing,
                times: x.times,
                submitted: who_when(x.submitted_ms, &x.submitted_by),
                decided: who_when(x.decided_ms, &x.decided_by),
                reason: x.reason.clone().unwrap_or_default(),
                // The page offers submitting to a unit's own leader only (the API also lets
                // the administrator submit for a unit, for paper submissions).
                can_submit: open && matches!(x.status.as_str(), "not_submitted" | "returned") && submit_scope.is_some() && a.user.unit_key.as_deref() == Some(x.unit.as_str()),
                can_decide: verify && x.status == "submitted",
            }
        })
        .collect();
    let deadline = match b.due_ms {
        Some(d) => format!("{}{}", tr(lang, "报送截止：", "Deadline: "), datetime(d)),
        None => tr(lang, "本期尚未设定报送截止时间。", "No deadline has been set for this period.").to_string(),
    };
    let summary = if lang == Lang::Zh {
        format!(
            "共 {} 个单位：已审核通过 {}，待审核 {}，已退回 {}，逾期未报 {}，迟报 {}{}",
            b.units,
            b.accepted,
            b.submitted,
            b.returned,
            b.missing,
            b.late,
            b.on_time_rate.as_ref().map(|r| format!("；按时报送率 {r}")).unwrap_or_default()
        )
    } else {
        format!(
            "{} unit{}: {} accepted, {} awaiting review, {} returned, {} missing, {} late{}",
            b.units,
            if b.units == 1 { "" } else { "s" },
            b.accepted,
            b.submitted,
            b.returned,
            b.missing,
            b.late,
            b.on_time_rate.as_ref().map(|r| format!("; on-time rate {r}")).unwrap_or_default()
        )
    };
    let mut c = Chrome::page(a, lang, uri, tr(lang, "数据报送", "Submissions"));
    c.flash = flash(lang, q);
    Ok(BoardTpl {
        heading: format!("{} · {}", tr(lang, "数据报送", "Submissions"), period_label(&b.period, lang)),
        plans: plans.iter().map(|p| Opt { value: p.key.clone(), label: super::paren(lang, &p.name, p.year), selected: p.key == plan.key }).collect(),
        periods: periods
            .iter()
            .rev()
            .map(|p| Opt {
                value: p.period.clone(),
                label: format!("{}{}", period_label(&p.period, lang), if p.status == "open" { "" } else { tr(lang, "（已关闭）", " (closed)") }),
                selected: p.period == b.period,
            })
            .collect(),
        plan: plan.key,
        period: b.period,
        deadline,
        summary,
        problem,
        rows,
        c,
    })
}

fn flash(lang: Lang, q: &BoardQuery) -> Option<String> {
    let who = q.who.as_deref().unwrap_or("");
    let (zh, en) = match q.ok.as_deref()? {
        "submitted" => (format!("已报送“{who}”的数据，等待审核；报送后数据已锁定。"), format!("{who}'s data submitted for review; it is now locked.")),
        "accepted" => (format!("已审核通过“{who}”的报送。"), format!("{who}'s submission accepted.")),
        "returned" => (format!("已将“{who}”的报送退回修改。"), format!("{who}'s submission returned for correction.")),
        _ => return None,
    };
    Some(if lang == Lang::Zh { zh } else { en })
}

/// `GET /submissions`: the board.
pub async fn board(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<BoardQuery>) -> ApiResult<Response> {
    let t = board_tpl(&st, &a, lang, &uri, &q, None).await?;
    Ok(render_status(StatusCode::OK, &t))
}

#[derive(Deserialize)]
pub struct ActForm {
    plan: String,
    period: String,
    unit: String,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

fn back(f: &ActForm, ok: &str, who: &str) -> Response {
    see_other(&format!("/submissions{}#main", query(&[("plan", &f.plan), ("period", &f.period), ("ok", ok), ("who", who)])))
}

/// A refusal shown on the board, with the status the API would give.
async fn refused(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, f: &ActForm, e: StorageError) -> ApiResult<Response> {
    if !matches!(e, StorageError::Refused { .. } | StorageError::Invalid { .. }) {
        return Err(e.into());
    }
    let e = ApiError::from(e);
    let (status, msg) = (e.status, e.msg.get(lang).to_string());
    let q = BoardQuery { plan: Some(f.plan.clone()), period: Some(f.period.clone()), ..BoardQuery::default() };
    let t = board_tpl(st, a, lang, uri, &q, Some(msg)).await?;
    Ok(render_status(status, &t))
}


/// `POST /submissions/submit`: the unit leader approves and submits the unit's data.
pub async fn submit(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let u = api::reach_unit(&st, &a, Perm::Submit, &f.unit).await?;
    match api::submit_unit(&st, &a, &f.plan, &f.period, &u.key).await {
        Ok(_) => Ok(back(&f, "submitted", &u.name)),
        Err(e) => refused(&st, &a, lang, &uri, &f, e).await,
    }
}

/// `POST /submissions/decide`: accept, or return with a reason.
pub async fn decide(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let u = api::reach_unit(&st, &a, Perm::Verify, &f.unit).await?;
    let decision = match f.decision.as_deref() {
        Some("accept") => Decision::Accept,
        Some("return") => Decision::Return,
        _ => return Err(ApiError::bad_request("bad_decision", "decision 应为 accept 或 return", "decision is accept or return")),
    };
    match st.db.decide_submission(&f.plan, &f.period, &u.key, decision, f.reason.as_deref(), &a.user.username, now_ms()).await {
        Ok(s) => Ok(back(&f, if s.status == "accepted" { "accepted" } else { "returned" }, &u.name)),
        Err(e) => refused(&st, &a, lang, &uri, &f, e).await,
    }
}

// ---------------------------------------------------------------------------
// Data entry: a unit's values of a month, as its reporter fills them.

#[derive(Deserialize, Default)]
pub struct EntryQuery {
    plan: Option<String>,
    period: Option<String>,
    unit: Option<String>,
    ok: Option<String>,
}

pub struct EntryField {
    /// The form field's name: `v.INDICATOR.FIELD`.
    pub name: String,
    pub id: String,
    pub field: String,
    pub value: String,
    pub error: String,
}

pub struct EntryIndicator {
    pub key: String,
    pub name: String,
    pub unit_of_measure: String,
    /// A responsible department supplies it: shown, not filled by the unit.
    pub source: String,
    pub fields: Vec<EntryField>,
    /// Evidence files attached to it (withdrawn ones marked).
    pub files: Vec<EntryFile>,
}

pub struct EntryFile {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub withdrawn: bool,
}

pub struct EntryCorrection {
    pub item: String,
    pub old: String,
    pub new: String,
    pub reason: String,
    pub status: &'static str,
    pub class: &'static str,
    pub note: String,
}

#[derive(askama::Template)]
#[template(path = "entry.html")]
struct EntryTpl {
    c: Chrome,
    heading: String,
    plan: String,
    period: String,
    unit: String,
    status: String,
    locked: bool,
    can_write: bool,
    problems: Vec<String>,
    /// Some problem, global or next to a field: nothing was saved.
    has_errors: bool,
    indicators: Vec<EntryIndicator>,
    /// Accepted and the caller may ask: a correction request form over these fields.
    can_correct: bool,
    correctable: Vec<Opt>,
    corrections: Vec<EntryCorrection>,
    /// Fill-in templates the caller may download.
    templates: crate::api::templates::EntryTemplates,
}

/// The unit's fields of the month from the plan: indicators that apply to it, with their
/// input fields (occurrence-type indicators are recorded by the office, not filled here).
async fn entry_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, q: &EntryQuery, typed: Option<&[(String, String)]>, problems: Vec<(Option<String>, String)>) -> ApiResult<EntryTpl> {
    let unit_key = q.unit.clone().filter(|u| !u.is_empty()).or_else(|| a.user.unit_key.clone()).ok_or_else(|| ApiError::bad_request("unit_required", "请选择单位", "choose a unit"))?;
    let u = api::reach_unit(st, a, Perm::ReadValues, &unit_key).await?;
    let plan = chosen_plan(&st.db.plans().await?, q.plan.as_deref())?;
    let months = Months::of(st, &plan.key).await?;
    let period_text = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => p.to_string(),
        None => months.default_month().ok_or_else(|| ApiError::not_found("没有开放填报的月份", "no month is open for data"))?,
    };
    let period = Period::parse(&period_text).ok_or_else(|| ApiError::bad_request("bad_period", format!("期间“{period_text}”无效"), format!("the period '{period_text}' is not valid")))?;
    let cached = st.models.get(&st.db, &plan.key).await.map_err(api::compute_error)?;
    let model = &cached.model;
    let s = model.subjects.iter().position(|x| x.key == u.key).ok_or_else(|| ApiError::not_found("该单位不在本方案的考核对象中", "this unit is not appraised by the plan"))? as u32;
    let stored: std::collections::HashMap<(String, String), String> =
        st.db.values(&plan.key, std::slice::from_ref(&period_text), Some(&u.key)).await?.into_iter().map(|v| ((v.indicator, v.field), v.value)).collect();
    let typed: std::collections::HashMap<&str, &str> = typed.unwrap_or(&[]).iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let v = model.version_for(period);
    let mut files: std::collections::HashMap<String, Vec<EntryFile>> = std::collections::HashMap::new();
    for e in st.db.evidence_of(&plan.key, &period_text, &u.key).await? {
        if e.appeal_id.is_none() {
            let size = if e.size >= 1024 * 1024 { format!("{:.1} MB", e.size as f64 / 1048576.0) } else { format!("{} KB", (e.size + 1023) / 1024) };
            files.entry(e.indicator.clone()).or_default().push(EntryFile { id: e.id, name: e.file_name, size, withdrawn: e.withdrawn_ms.is_some() });
        }
    }
    let mut indicators = Vec::new();
    for (i, ind) in model.versions[v as usize].indicators.iter().enumerate() {
        if ind.method.is_event() || !model.applies(v, i as u32, s, period) {
            continue;
        }
        let fields = ind
            .method
            .fields()
            .into_iter()
            .map(|f| {
                let name = format!("v.{}.{f}", ind.key);
                let value = typed.get(name.as_str()).map(|x| x.to_string()).or_else(|| stored.get(&(ind.key.clone(), f.clone())).cloned()).unwrap_or_default();
                let error = problems.iter().filter(|(n, _)| n.as_deref() == Some(name.as_str())).map(|(_, m)| m.clone()).collect::<Vec<_>>().join("；");
                EntryField { id: format!("f-{}-{f}", ind.key), name, field: field_label(&f, lang), value, error }
            })
            .collect();
        indicators.push(EntryIndicator {
            key: ind.key.clone(),
            name: ind.name.clone(),
            unit_of_measure: ind.unit_of_measure.clone().unwrap_or_default(),
            source: ind.source.clone().unwrap_or_default(),
            fields,
            files: files.remove(&ind.key).unwrap_or_default(),
        });
    }
    let sub = st.db.submission(&plan.key, &period_text, &u.key).await?;
    let locked = sub.as_ref().is_some_and(|x| x.status != "returned");
    let (_, status) = status_label(sub.as_ref().map_or("not_submitted", |x| x.status.as_str()), false, lang);
    let open = months.all.iter().any(|p| p.period == period_text && p.status == "open");
    let can_write = open && !locked && authz::scope(a.user.role, Perm::WriteValues).is_some();
    let can_correct = sub.as_ref().is_some_and(|x| x.status == "accepted") && authz::scope(a.user.role, Perm::WriteValues).is_some();
    let correctable = if can_correct {
        indicators.iter().flat_map(|i| i.fields.iter().map(move |f| (i, f))).map(|(i, f)| {
            let key = f.name.trim_start_matches("v.").to_string();
            Opt { label: format!("{} · {}（{}）", i.name, f.field, if f.value.is_empty() { "—" } else { f.value.as_str() }), value: key, selected: false }
        }).collect()
    } else {
        Vec::new()
    };
    let corrections = st
        .db
        .corrections(&plan.key, &period_text, Some(&u.key))
        .await?
        .into_iter()
        .rev()
        .map(|c| {
            let (status, class) = match c.status.as_str() {
                "approved" => (tr(lang, "已批准", "approved"), "g1"),
                "rejected" => (tr(lang, "已驳回", "rejected"), "g4"),
                _ => (tr(lang, "待考核办处理", "awaiting the office"), "g2"),
            };
            let note = match c.appeal_id {
                Some(id) => format!("{}{id}", tr(lang, "申诉更正 #", "from appeal #")),
                None => c.decision_note.unwrap_or_default(),
            };
            EntryCorrection { item: format!("{}.{}", c.indicator, c.field), old: c.old_value.unwrap_or_else(|| "—".into()), new: c.new_value, reason: c.reason, status, class, note }
        })
        .collect();
    let own_name = match (&a.user.unit_key, a.user.role) {
        (Some(k), yardstick_storage::Role::Department) => st.db.unit(k).await?.map(|x| x.name),
        _ => None,
    };
    let templates = crate::api::templates::entry_templates(a, model, period, &plan.key, &u.key, own_name.as_deref());
    let mut c = Chrome::page(a, lang, uri, tr(lang, "数据填报", "Data entry"));
    match q.ok.as_deref() {
        Some("saved") => c.flash = Some(tr(lang, "已保存。报送前仍可修改；确认无误后请单位负责人审核报送。", "Saved. You can still change it; when it is right, the unit leader approves and submits it.").into()),
        Some("requested") => c.flash = Some(tr(lang, "更正申请已提交，待考核办批准；批准前数值不变。", "Correction requested; the value stays until the office approves it.").into()),
        _ => {}
    }
    Ok(EntryTpl {
        heading: format!("{} · {} · {}", tr(lang, "数据填报", "Data entry"), u.name, period_label(&period_text, lang)),
        plan: plan.key,
        period: period_text,
        unit: u.key,
        status: status.to_string(),
        locked,
        can_write,
        has_errors: !problems.is_empty(),
        problems: problems.into_iter().filter(|(n, _)| n.is_none()).map(|(_, m)| m).collect(),
        indicators,
        can_correct,
        correctable,
        corrections,
        templates,
        c,
    })
}

/// `GET /entry`: the unit's values of the month, to fill.
pub async fn entry(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<EntryQuery>) -> ApiResult<Response> {
    let t = entry_tpl(&st, &a, lang, &uri, &q, None, Vec::new()).await?;
    Ok(render_status(StatusCode::OK, &t))
}

/// `POST /entry`: saves the filled fields, all or nothing; problems are shown next to their fields.
pub async fn save_entry(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(form): Form<Vec<(String, String)>>) -> ApiResult<Response> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let q = EntryQuery { plan: get("plan"), period: get("period"), unit: get("unit"), ok: None };
    let (plan, period_text, unit) = (q.plan.clone().unwrap_or_default(), q.period.clone().unwrap_or_default(), q.unit.clone().unwrap_or_default());
    let u = api::reach_unit(&st, &a, Perm::WriteValues, &unit).await?;
    let period = Period::parse(&period_text).ok_or_else(|| ApiError::bad_request("bad_period", format!("期间“{period_text}”无效"), format!("the period '{period_text}' is not valid")))?;
    // `v.INDICATOR.FIELD` = value; empty fields are left as they are.
    let mut names = Vec::new();
    let mut items = Vec::new();
    for (k, v) in &form {
        let Some(rest) = k.strip_prefix("v.") else { continue };
        let Some((indicator, field)) = rest.split_once('.') else { continue };
        if v.trim().is_empty() {
            continue;
        }
        names.push(k.clone());
        items.push(api::ValueItem { indicator: indicator.to_string(), field: field.to_string(), value: v.trim().to_string() });
    }
    let fail = |problems: Vec<(Option<String>, String)>, status: StatusCode| {
        let (st, a, uri, q, form) = (&st, &a, &uri, &q, &form);
        async move {
            let t = entry_tpl(st, a, lang, uri, q, Some(form), problems).await?;
            Ok::<Response, ApiError>(render_status(status, &t))
        }
    };
    if items.is_empty() {
        return fail(vec![(None, tr(lang, "没有填写任何数值。", "Nothing was filled in.").into())], StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    api::open_for_data(&st, &plan, &period_text).await?;
    api::check_supplier(&st, &a, &plan, items.iter().map(|v| v.indicator.as_str())).await?;
    if let Err(e) = api::check_values(&st, &plan, period, &u.key, &items, None).await {
        // Problems name `values[i]`: put each next to its field.
        let problems = e
            .problems
            .iter()
            .map(|p| {
                let at = p.place.field.as_deref().and_then(|f| f.strip_prefix("values[")).and_then(|f| f.strip_suffix(']')).and_then(|i| i.parse::<usize>().ok()).and_then(|i| names.get(i).cloned());
                (at, p.msg.get(lang).to_string())
            })
            .collect();
        return fail(problems, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let inputs: Vec<yardstick_storage::values::ValueInput> = items.into_iter().map(|v| yardstick_storage::values::ValueInput { indicator: v.indicator, field: v.field, value: v.value }).collect();
    match st.db.put_values(&plan, &period_text, &u.key, &inputs, &a.user.username, now_ms()).await {
        Ok(_) => Ok(see_other(&format!("/entry{}#main", query(&[("plan", &plan), ("period", &period_text), ("unit", &u.key), ("ok", "saved")])))),
        Err(StorageError::Refused { zh, en, .. }) => fail(vec![(None, if lang == Lang::Zh { zh } else { en })], StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

/// A data field as people call it; formula inputs keep their own names.
fn field_label(f: &str, lang: Lang) -> String {
    let zh = match f {
        "actual" => "实际完成",
        "target" => "目标",
        "growth" => "增幅",
        "target_growth" => "目标增幅",
        "value" => "数值",
        "level" => "评定等级",
        "grade" => "等次",
        other => return other.to_string(),
    };
    if lang == Lang::Zh { zh.to_string() } else { f.replace('_', " ") }
}

// ---------------------------------------------------------------------------
// The reminder on the dashboard.

pub struct Reminder {
    pub text: String,
    pub href: String,
    pub link: String,
    /// Within three days of the deadline, or past it.
    pub urgent: bool,
}

/// What the caller has to do about the month being collected (the latest open month with a
/// deadline): a unit's users, their unit's submission; the office and departments, the
/// units not submitted and the submissions awaiting review. `None` when nothing is due.
pub async fn reminder(st: &AppState, a: &Auth, plan: &str, lang: Lang) -> ApiResult<Option<Reminder>> {
    if authz::scope(a.user.role, Perm::ReadSubmissions).is_none() {
        return Ok(None);
    }
    let Some((period, due_ms)) = Months::of(st, plan).await?.collecting else { return Ok(None) };
    const DAY: i64 = 86_400_000;
    let left = due_ms - now_ms();
    let when = if left >= 0 {
        let days = (left + DAY - 1) / DAY;
        if lang == Lang::Zh { format!("截止 {}（还有 {days} 天）", datetime(due_ms)) } else { format!("due {} ({days} day{} left)", datetime(due_ms), if days == 1 { "" } else { "s" }) }
    } else {
        let days = (-left + DAY - 1) / DAY;
        if lang == Lang::Zh { format!("已于 {} 截止（逾期 {days} 天）", datetime(due_ms)) } else { format!("was due {} ({days} day{} ago)", datetime(due_ms), if days == 1 { "" } else { "s" }) }
    };
    let label = period_label(&period, lang);
    let urgent = left < 3 * DAY;
    let b = api::submission_board(st, a, plan, &period).await?;
    if let Some(unit) = &a.user.unit_key {
        let Some(mine) = b.items.iter().find(|x| &x.unit == unit) else { return Ok(None) };
        if matches!(mine.status.as_str(), "submitted" | "accepted") {
            return Ok(None);
        }
        let returned = mine.status == "returned";
        let text = match (lang, returned) {
            (Lang::Zh, false) => format!("{label}数据报送{when}，本单位尚未报送。"),
            (Lang::Zh, true) => format!("{label}数据已被退回：{}。请修改后重新报送（{when}）。", mine.reason.as_deref().unwrap_or("")),
            (_, false) => format!("{label} data {when}; your unit has not submitted it."),
            (_, true) => format!("{label} data was returned: {}. Correct it and submit again ({when}).", mine.reason.as_deref().unwrap_or("")),
        };
        let href = format!("/entry{}", query(&[("plan", plan), ("period", &period)]));
        return Ok(Some(Reminder { text, href, link: tr(lang, "去填报", "Fill it in").into(), urgent: urgent || returned }));
    }
    let not_in = b.items.iter().filter(|x| matches!(x.status.as_str(), "not_submitted" | "returned")).count();
    if not_in == 0 && b.submitted == 0 {
        return Ok(None);
    }
    let text = if lang == Lang::Zh {
        format!("{label}数据报送{when}：{not_in} 个单位尚未报送或被退回待改，{} 份报送待审核。", b.submitted)
    } else {
        format!("{label} data {when}: {not_in} unit(s) not yet submitted or returned for correction, {} submission(s) awaiting review.", b.submitted)
    };
    Ok(Some(Reminder { text, href: format!("/submissions{}", query(&[("plan", plan), ("period", &period)])), link: tr(lang, "查看报送情况", "See the submissions").into(), urgent }))
}

#[derive(Deserialize)]
pub struct CorrectionForm {
    plan: String,
    period: String,
    unit: String,
    /// `INDICATOR.FIELD`.
    item: String,
    value: String,
    reason: String,
}

/// `POST /entry/correction`: asks the office to change an accepted value.
pub async fn request_correction(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<CorrectionForm>) -> ApiResult<Response> {
    let u = api::reach_unit(&st, &a, Perm::WriteValues, &f.unit).await?;
    let q = EntryQuery { plan: Some(f.plan.clone()), period: Some(f.period.clone()), unit: Some(u.key.clone()), ok: None };
    let fail = |msg: String, status: StatusCode| {
        let (st, a, uri, q) = (&st, &a, &uri, &q);
        async move {
            let t = entry_tpl(st, a, lang, uri, q, None, vec![(None, msg)]).await?;
            Ok::<Response, ApiError>(render_status(status, &t))
        }
    };
    let Some((indicator, field)) = f.item.split_once('.') else {
        return fail(tr(lang, "请选择要更正的数据项。", "Choose the item to correct.").into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let period = match api::parse_period(&f.period) {
        Ok(p) => p,
        Err(e) => return fail(e.msg.get(lang).to_string(), e.status).await,
    };
    let item = api::ValueItem { indicator: indicator.into(), field: field.into(), value: f.value.trim().to_string() };
    api::check_supplier(&st, &a, &f.plan, std::iter::once(indicator)).await?;
    if let Err(e) = api::check_values(&st, &f.plan, period, &u.key, std::slice::from_ref(&item), None).await {
        let msg = e.problems.iter().map(|p| p.msg.get(lang).to_string()).collect::<Vec<_>>().join("；");
        return fail(if msg.is_empty() { e.msg.get(lang).to_string() } else { msg }, e.status).await;
    }
    let v = yardstick_storage::values::ValueInput { indicator: item.indicator, field: item.field, value: item.value };
    match st.db.request_correction(&f.plan, &period.to_string(), &u.key, &v, &f.reason, &a.user.username, now_ms()).await {
        Ok(_) => Ok(see_other(&format!("/entry{}#corrections-h", query(&[("plan", &f.plan), ("period", &f.period), ("unit", &u.key), ("ok", "requested")])))),
        Err(e @ (StorageError::Refused { .. } | StorageError::Invalid { .. })) => {
            let e = ApiError::from(e);
            fail(e.msg.get(lang).to_string(), e.status).await
        }
        Err(e) => Err(e.into()),
    }
}
