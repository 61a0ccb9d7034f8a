//! Monitoring, warnings, rectification and consequences (M14, M15): the monthly monitoring
//! report, the run that applies the plan's warning, rectification and consequence rules to
//! a period, notices, rectification tasks and follow-ups, each step audited.

use std::collections::HashMap;
use std::sync::Arc;

use yardstick_engine::oversight::{self as ov, Condition, Measure, Outcome};
use yardstick_engine::{Level, Model, Roster};
use yardstick_storage::Db;
use yardstick_storage::oversight::{FollowUp, Generated, NewFollowUp, NewNotice, NewTask, Notice, Task};

use super::*;

#[derive(Deserialize)]
struct ItemPath {
    plan: String,
    period: String,
    id: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MonitorRowOut {
    pub unit: String,
    pub name: String,
    pub category: String,
    pub actual: Option<String>,
    pub target: Option<String>,
    /// actual ÷ target in %, two decimals.
    pub completion: Option<String>,
    /// Growth over the same period last year in % (blended indicators).
    pub growth: Option<String>,
    /// The category's mean completion in %.
    pub peer_mean: Option<String>,
    /// The measures it lags on: `target`, `progress`, `last_year`, `peers`.
    pub lags: Vec<String>,
    /// Whether a warning rule of the plan fires for it.
    pub warned: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MonitorIndicatorOut {
    pub key: String,
    pub name: String,
    pub unit_of_measure: Option<String>,
    /// Control-type: lower is better.
    pub lower_better: bool,
    pub rows: Vec<MonitorRowOut>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MonitoringReport {
    pub period: String,
    pub plan_name: String,
    pub office: String,
    /// Share of the year elapsed at the end of the month, in % (the time node).
    pub elapsed: String,
    pub indicators: Vec<MonitorIndicatorOut>,
    /// Lines lagging on at least one measure.
    pub lagging: usize,
    /// Lines a warning rule fires for.
    pub warned: usize,
}

/// A period of the plan's year (the rules and the data are the year's).
async fn plan_period(st_db: &Db, plan: &str, period: &str) -> ApiResult<Period> {
    let p = st_db.plan(plan).await?.ok_or_else(|| ApiError::not_found(format!("方案“{plan}”不存在"), format!("the plan '{plan}' does not exist")))?;
    let period = parse_period(period)?;
    if i64::from(period.year) != p.year {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "period_outside_plan",
            format!("期间 {period} 不在方案“{plan}”的年度 {} 内", p.year),
            format!("the period {period} is outside the year {} of the plan '{plan}'", p.year),
        ));
    }
    Ok(period)
}

fn no_month(period: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_a_month", format!("监测报告按月编制：{period} 不是月份"), format!("monitoring is monthly: {period} is not a month"))
}

/// The monitoring of a month, from the stored values.
async fn monitor_of(db: &Db, model: Arc<Model>, roster: Arc<Roster>, plan: &str, period: Period) -> ApiResult<ov::Monitor> {
    let values = db.values(plan, &[period.to_string()], None).await?;
    let m = tokio::task::spawn_blocking(move || {
        let loader = yardstick_formats::data::DataLoader::new(&model, roster.clone(), Some(vec![period]));
        loader.add_csv("values", &compute::data_csv(&values, &[]));
        let data = loader.finish()?;
        Ok::<_, Vec<yardstick_formats::Problem>>(data.get(period).map(|d| ov::monitor(&model, &roster, d)))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::invalid)?;
    Ok(m.unwrap_or_else(|| ov::Monitor::empty(period)))
}

/// The monthly monitoring report as the caller may see it (a unit: its own lines, with the
/// category's mean).
pub(crate) async fn monitoring_report(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<MonitoringReport> {
    let scope = authz::require(a, Perm::ReadMonitoring)?;
    let period = plan_period(&st.db, plan, period).await?;
    if period.level != Level::Month {
        return Err(no_month(&period.to_string()));
    }
    let cached = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    let model = cached.model.clone();
    let m = monitor_of(&st.db, cached.model, cached.roster, plan, period).await?;
    let ver = &model.versions[model.version_for(period) as usize];
    let own = a.user.unit_key.clone();
    let mut by_ind: Vec<MonitorIndicatorOut> = Vec::new();
    let (mut lagging, mut warned) = (0, 0);
    for l in &m.lines {
        let subj = &model.subjects[l.subject as usize];
        if scope != Scope::All && own.as_deref() != Some(subj.key.as_str()) {
            continue;
        }
        let ind = &ver.indicators[l.indicator as usize];
        let cat = subj.category.expect("monitored subjects have a category");
        let row = MonitorRowOut {
            unit: subj.key.clone(),
            name: subj.name.clone(),
            category: model.categories[cat as usize].key.clone(),
            actual: l.actual.map(|d| d.to_string()),
            target: l.target.map(|d| d.to_string()),
            completion: l.ratio.as_ref().map(ov::percent),
            growth: l.growth.map(|d| d.to_string()),
            peer_mean: m.peer_mean(cat, l.indicator).map(ov::percent),
            lags: l.lags.iter().map(|(m, _)| m.key().to_string()).collect(),
            warned: !l.fired.is_empty(),
        };
        lagging += usize::from(!row.lags.is_empty());
        warned += usize::from(row.warned);
        match by_ind.iter_mut().find(|i| i.key == ind.key) {
            Some(i) => i.rows.push(row),
            None => by_ind.push(MonitorIndicatorOut {
                key: ind.key.clone(),
                name: ind.name.clone(),
                unit_of_measure: ind.unit_of_measure.clone(),
                lower_better: l.lower_better,
                rows: vec![row],
            }),
        }
    }
    Ok(MonitoringReport {
        period: period.to_string(),
        plan_name: model.plan.name.clone(),
        office: model.plan.office.clone(),
        elapsed: ov::percent(&m.elapsed),
        indicators: by_ind,
        lagging,
        warned,
    })
}

/// The monthly monitoring report: each data indicator of each unit against its target, the
/// time node (share of the year elapsed), the same period last year (growth) and the
/// category's mean, with the lagging measures named.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/monitoring", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = MonitoringReport), (status = 403), (status = 404), (status = 422, description = "not a month")))]
async fn monitoring(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<MonitoringReport>> {
    Ok(Json(monitoring_report(&st, &a, &p.plan, &p.period).await?))
}

/// Fills a warning rule's text.
fn fill(text: &str, unit: &str, indicator: &str, period: &str, value: &str, line: &str) -> String {
    text.replace("{unit}", unit).replace("{indicator}", indicator).replace("{period}", period).replace("{value}", value).replace("{line}", line)
}

/// A rule in words, as the follow-up shows it: "年度累计2期等次为优秀或称职 → 晋升一个工资档次".
fn rule_words(r: &ov::ConsequenceRule) -> String {
    let cond = match &r.condition {
        Condition::Bottom { places: 1 } => "排名末位".to_string(),
        Condition::Bottom { places } => format!("排名倒数{places}名以内"),
        Condition::Grade(g) => format!("等次为{}", g.join("或")),
    };
    let run = match r.span {
        ov::Span::Consecutive { periods, restart: true } if periods > 1 => format!("每连续{periods}期"),
        ov::Span::Consecutive { periods, .. } if periods > 1 => format!("连续{periods}期"),
        ov::Span::Consecutive { .. } => String::new(),
        ov::Span::Cumulative { periods } => format!("累计{periods}期"),
    };
    format!("{}{run}{cond} → {}", r.level.name_zh(), r.action)
}

/// Every published period of `level` of every plan, as outcomes (the consequence rules look
/// back across years, and each year is its own plan).
async fn history(db: &Db, level: Level) -> ApiResult<Vec<(Period, Vec<Outcome>)>> {
    let mut current: HashMap<Period, (i64, i64)> = HashMap::new();
    for plan in db.plans().await? {
        for x in db.publications(&plan.key, None).await? {
            let Some(p) = Period::parse(&x.period).filter(|p| p.level == level) else { continue };
            let e = current.entry(p).or_insert((x.version, x.set_id));
            if x.version >= e.0 {
                *e = (x.version, x.set_id);
            }
        }
    }
    let mut out = Vec::new();
    for (p, (_, set)) in current {
        let rows = db.result_rows(set, None, 0, i64::MAX).await?;
        let outcomes = rows
            .iter()
            .filter_map(|r| Some(Outcome { subject: r.subject.clone(), category: r.category.clone(), rank: u32::try_from(r.rank?).ok()?, grade: r.grade.clone().unwrap_or_default() }))
            .collect();
        out.push((p, outcomes));
    }
    Ok(out)
}

/// Applies the plan's rules to a period: warning notices for the lagging lines of a month,
/// rectification tasks for its deductions, vetoes, falsified figures and low grades, and the
/// follow-ups the consequence rules call for on its published results. Idempotent.
pub(crate) async fn run_rules(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<Generated> {
    authz::require(a, Perm::Oversee)?;
    let period = plan_period(&st.db, plan, period).await?;
    let cached = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    apply_rules(&st.db, cached.model, cached.roster, plan, period, &a.user.username, now_ms()).await
}

/// The rules of `model` (the plan's latest version) applied to a period of the plan.
pub(crate) async fn apply_rules(db: &Db, model: Arc<Model>, roster: Arc<Roster>, plan: &str, period: Period, actor: &str, now: i64) -> ApiResult<Generated> {
    let ps = period.to_string();
    let ver = &model.versions[model.version_for(period) as usize];
    let mut notices = Vec::new();
    if period.level == Level::Month && !model.warnings.is_empty() {
        let m = monitor_of(db, model.clone(), roster, plan, period).await?;
        for l in &m.lines {
            let subj = &model.subjects[l.subject as usize];
            let ind = &ver.indicators[l.indicator as usize];
            for &r in &l.fired {
                let w = &model.warnings[r as usize];
                let cat = subj.category.expect("monitored subjects have a category");
                let (value, line) = match w.measure {
                    Measure::LastYear => (format!("{}%", l.growth.map(|g| g.to_string()).unwrap_or_default()), format!("{}%", w.threshold)),
                    Measure::Peers => (format!("{}%", l.ratio.as_ref().map(ov::percent).unwrap_or_default()), format!("{}%", m.peer_mean(cat, l.indicator).map(|p| ov::percent(&(p * ov::rat(w.threshold)))).unwrap_or_default())),
                    Measure::Progress => (format!("{}%", l.ratio.as_ref().map(ov::percent).unwrap_or_default()), format!("{}%", ov::percent(&(&m.elapsed * ov::rat(w.threshold))))),
                    Measure::Target => (format!("{}%", l.ratio.as_ref().map(ov::percent).unwrap_or_default()), format!("{}%", ov::percent(&ov::rat(w.threshold)))),
                };
                notices.push(NewNotice {
                    unit_key: subj.key.clone(),
                    kind: "warning",
                    indicator: ind.key.clone(),
                    measure: w.measure.key().into(),
                    title: format!("关于{}“{}”指标{}情况的预警通知单", subj.name, ind.name, w.measure.name_zh()),
                    body: fill(&w.text, &subj.name, &ind.name, &period.label_zh(), &value, &line),
                    dedup: Some(format!("{plan}/{ps}/{}/{}/{}", subj.key, ind.key, w.measure.key())),
                });
            }
        }
    }
    // Rectification tasks.
    let deadline = now + i64::from(model.rectification.days) * 86_400_000;
    let required = "写明问题原因、整改措施、责任人和完成时限，附佐证材料".to_string();
    let mut tasks = Vec::new();
    for o in db.occurrences(plan, std::slice::from_ref(&ps), None).await? {
        let Some(ind) = ver.indicators.iter().find(|i| i.key == o.indicator) else { continue };
        let source = match ind.method {
            yardstick_engine::model::Method::Deduction { .. } => "deduction",
            yardstick_engine::model::Method::Veto { .. } => "veto",
            _ => continue,
        };
        let what = if source == "veto" { "一票否决" } else { "扣分" };
        tasks.push(NewTask { unit_key: o.subject.clone(), source, source_ref: o.id.to_string(), problem: format!("{}（{what}）：{}", ind.name, o.reason), required: required.clone(), deadline_ms: deadline });
    }
    // A plan that deducts for falsified data (`auto = "falsified_data"`) has recorded the
    // finding as a deduction occurrence, which opened its task above.
    let falsified_deducted = ver.indicators.iter().any(|i| i.auto == Some(yardstick_engine::model::AutoEvent::FalsifiedData));
    for c in db.spot_checks(plan, &ps).await?.into_iter().filter(|_| !falsified_deducted) {
        for f in c.findings.into_iter().filter(|f| f.falsified) {
            tasks.push(NewTask { unit_key: f.unit_key.clone(), source: "finding", source_ref: format!("{}/{}", c.id, f.unit_key), problem: format!("察访核验发现弄虚作假：{}", f.finding), required: required.clone(), deadline_ms: deadline });
        }
    }
    let published = db.current_publication(plan, &ps).await?;
    if let Some(x) = published.as_ref().filter(|_| !model.rectification.grades.is_empty()) {
        let units: HashMap<String, Unit> = db.units(None).await?.into_iter().map(|u| (u.key.clone(), u)).collect();
        for r in db.result_rows(x.set_id, None, 0, i64::MAX).await?.iter() {
            let Some(g) = r.grade.as_ref().filter(|g| model.rectification.grades.contains(g)) else { continue };
            // Results may list subjects that are not units (teams, people); tasks go to units.
            if !units.contains_key(&r.subject) {
                continue;
            }
            tasks.push(NewTask { unit_key: r.subject.clone(), source: "grade", source_ref: r.subject.clone(), problem: format!("{}考核等次为“{g}”", period.label_zh()), required: required.clone(), deadline_ms: deadline });
        }
    }
    // Follow-ups on the published results.
    let mut follow = Vec::new();
    if published.is_some() && model.consequences.iter().any(|r| r.level == period.level) {
        let h = history(db, period.level).await?;
        for f in ov::consequences(&model.consequences, &h, period) {
            follow.push(NewFollowUp { subject: f.subject, action: f.action, rule: rule_words(&model.consequences[f.rule as usize]), periods: f.periods.iter().map(|p| p.to_string()).collect() });
        }
    }
    Ok(db.generate_oversight(plan, &ps, &notices, &tasks, &follow, actor, now).await?)
}

#[derive(Serialize, ToSchema)]
struct RunOut {
    /// What this run made; a second run of the same period makes nothing again.
    #[schema(value_type = Vec<Object>)]
    notices: Vec<Notice>,
    #[schema(value_type = Vec<Object>)]
    tasks: Vec<Task>,
    #[schema(value_type = Vec<Object>)]
    follow_ups: Vec<FollowUp>,
}

/// Runs the plan's warning, rectification and consequence rules on a period (the office).
/// Warnings need a month; follow-ups need the period's results published. Running it again
/// creates nothing twice.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/oversight-runs", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 201, body = RunOut), (status = 403), (status = 404), (status = 422)))]
async fn run(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<(StatusCode, Json<RunOut>)> {
    let g = run_rules(&st, &a, &p.plan, &p.period).await?;
    Ok((StatusCode::CREATED, Json(RunOut { notices: g.notices, tasks: g.tasks, follow_ups: g.follow_ups })))
}

/// The unit filter of a list: `None` for everything, the caller's unit, or nothing at all.
fn unit_filter(a: &auth::Auth, scope: Scope) -> Result<Option<String>, ()> {
    match scope {
        Scope::All => Ok(None),
        _ => a.user.unit_key.clone().map(Some).ok_or(()),
    }
}

async fn period_of(st: &AppState, plan: &str, period: &str) -> ApiResult<String> {
    plan_exists(st, plan).await?;
    Ok(parse_period(period)?.to_string())
}

/// The notices of a period as the caller may see them (newest first).
pub(crate) async fn notices_for(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<Vec<Notice>> {
    let scope = authz::require(a, Perm::ReadOversight)?;
    let period = period_of(st, plan, period).await?;
    match unit_filter(a, scope) {
        Ok(u) => Ok(st.db.notices(plan, &period, u.as_deref()).await?),
        Err(()) => Ok(Vec::new()),
    }
}

#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/notices", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 200, body = Vec<Object>), (status = 403), (status = 404)))]
async fn list_notices(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<Vec<Notice>>> {
    Ok(Json(notices_for(&st, &a, &p.plan, &p.period).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticeBody {
    pub unit: String,
    pub title: String,
    pub body: String,
}

pub(crate) async fn issue_notice(st: &AppState, a: &auth::Auth, plan: &str, period: &str, b: &NoticeBody) -> ApiResult<Notice> {
    authz::require(a, Perm::Oversee)?;
    let period = period_of(st, plan, period).await?;
    let u = reach_unit(st, a, Perm::Oversee, b.unit.trim()).await?;
    Ok(st.db.issue_notice(plan, &period, &u.key, &b.title, &b.body, &a.user.username, now_ms()).await?)
}

/// Issues a notice (通知单) to a unit by hand (the office).
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/notices", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path)), request_body = NoticeBody,
    responses((status = 201, body = Object), (status = 403), (status = 404), (status = 422)))]
async fn post_notice(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>, Body(b): Body<NoticeBody>) -> ApiResult<(StatusCode, Json<Notice>)> {
    Ok((StatusCode::CREATED, Json(issue_notice(&st, &a, &p.plan, &p.period, &b).await?)))
}

pub(crate) async fn acknowledge(st: &AppState, a: &auth::Auth, plan: &str, period: &str, id: i64) -> ApiResult<Notice> {
    authz::require(a, Perm::Respond)?;
    let period = period_of(st, plan, period).await?;
    let n = st.db.notice(plan, &period, id).await?.ok_or_else(|| ApiError::not_found(format!("{period} 没有通知 {id}"), format!("{period} has no notice {id}")))?;
    reach_unit(st, a, Perm::Respond, &n.unit_key).await?;
    Ok(st.db.acknowledge_notice(plan, &period, id, &a.user.username, now_ms()).await?)
}

/// The unit acknowledges a notice (its leader), once.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/notices/{id}/acknowledgement", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path), ("id" = i64, Path)), responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409)))]
async fn post_acknowledgement(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ItemPath>) -> ApiResult<Json<Notice>> {
    Ok(Json(acknowledge(&st, &a, &p.plan, &p.period, p.id).await?))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TaskOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub task: Task,
    /// Past the deadline and not closed (or reported after it).
    pub overdue: bool,
}

pub(crate) async fn tasks_for(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<Vec<TaskOut>> {
    let scope = authz::require(a, Perm::ReadOversight)?;
    let period = period_of(st, plan, period).await?;
    let now = now_ms();
    let tasks = match unit_filter(a, scope) {
        Ok(u) => st.db.tasks(plan, &period, u.as_deref()).await?,
        Err(()) => Vec::new(),
    };
    Ok(tasks.into_iter().map(|t| TaskOut { overdue: t.overdue(now), task: t }).collect())
}

/// The rectification tasks of a period with the overdue ones flagged.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/rectifications", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 200, body = Vec<TaskOut>), (status = 403), (status = 404)))]
async fn list_tasks(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<Vec<TaskOut>>> {
    Ok(Json(tasks_for(&st, &a, &p.plan, &p.period).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportBody {
    /// The rectification report: causes, measures, results (1–5000 characters).
    pub report: String,
}

async fn task_in(st: &AppState, plan: &str, period: &str, id: i64) -> ApiResult<Task> {
    st.db.task(plan, period, id).await?.ok_or_else(|| ApiError::not_found(format!("{period} 没有整改任务 {id}"), format!("{period} has no rectification task {id}")))
}

pub(crate) async fn report(st: &AppState, a: &auth::Auth, plan: &str, period: &str, id: i64, report: &str) -> ApiResult<TaskOut> {
    authz::require(a, Perm::Respond)?;
    let period = period_of(st, plan, period).await?;
    let t = task_in(st, plan, &period, id).await?;
    reach_unit(st, a, Perm::Respond, &t.unit_key).await?;
    let t = st.db.report_task(plan, &period, id, report, &a.user.username, now_ms()).await?;
    Ok(TaskOut { overdue: t.overdue(now_ms()), task: t })
}

/// The unit's leader files the rectification report of an open task.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/rectifications/{id}/report", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path), ("id" = i64, Path)), request_body = ReportBody,
    responses((status = 200, body = TaskOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn post_report(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ItemPath>, Body(b): Body<ReportBody>) -> ApiResult<Json<TaskOut>> {
    Ok(Json(report(&st, &a, &p.plan, &p.period, p.id, &b.report).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfficeDecision {
    /// Tasks: `close` or `reopen`; follow-ups: `confirm` or `dismiss`.
    pub decision: String,
    /// Required to reopen or dismiss: what is missing, or why.
    #[serde(default)]
    pub note: Option<String>,
}

fn bad_decision(allowed: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_decision", format!("decision 应为 {allowed}"), format!("decision is {allowed}"))
}

pub(crate) async fn decide_task(st: &AppState, a: &auth::Auth, plan: &str, period: &str, id: i64, b: &OfficeDecision) -> ApiResult<TaskOut> {
    authz::require(a, Perm::Oversee)?;
    let period = period_of(st, plan, period).await?;
    let close = match b.decision.as_str() {
        "close" => true,
        "reopen" => false,
        _ => return Err(bad_decision("close 或 reopen")),
    };
    task_in(st, plan, &period, id).await?;
    let t = st.db.decide_task(plan, &period, id, close, b.note.as_deref(), &a.user.username, now_ms()).await?;
    Ok(TaskOut { overdue: t.overdue(now_ms()), task: t })
}

/// The office closes a reported task (accepting the report) or reopens it with a note.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/rectifications/{id}/decision", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path), ("id" = i64, Path)), request_body = OfficeDecision,
    responses((status = 200, body = TaskOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn post_task_decision(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ItemPath>, Body(b): Body<OfficeDecision>) -> ApiResult<Json<TaskOut>> {
    Ok(Json(decide_task(&st, &a, &p.plan, &p.period, p.id, &b).await?))
}

pub(crate) async fn follow_ups_for(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<Vec<FollowUp>> {
    let scope = authz::require(a, Perm::ReadOversight)?;
    let period = period_of(st, plan, period).await?;
    match unit_filter(a, scope) {
        Ok(None) => Ok(st.db.follow_ups(plan, &period, None).await?),
        // A unit's leader also sees those of the people who served in the unit during the
        // period (who also see their appraisal); the unit's other users only the unit's own.
        Ok(Some(u)) if a.user.role == Role::UnitLeader => {
            let months = Period::parse(&period).map(super::people::months_of).unwrap_or_default();
            let postings = st.db.all_postings().await?;
            let people: HashMap<String, String> = st.db.people(None).await?.into_iter().map(|x| (x.key, x.unit_key)).collect();
            let served = |subject: &str| {
                let mine: Vec<_> = postings.iter().filter(|x| x.person_key == subject).collect();
                if mine.is_empty() { people.get(subject).is_some_and(|k| *k == u) } else { mine.iter().any(|x| x.unit_key == u && months.iter().any(|m| x.covers(m))) }
            };
            Ok(st.db.follow_ups(plan, &period, None).await?.into_iter().filter(|f| f.subject == u || (people.contains_key(&f.subject) && served(&f.subject))).collect())
        }
        Ok(Some(u)) => Ok(st.db.follow_ups(plan, &period, Some(&u)).await?),
        Err(()) => Ok(Vec::new()),
    }
}

/// The follow-ups the consequence rules proposed for a period, with the office's decisions.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/follow-ups", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path)), responses((status = 200, body = Vec<Object>), (status = 403), (status = 404)))]
async fn list_follow_ups(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<PeriodPath>) -> ApiResult<Json<Vec<FollowUp>>> {
    Ok(Json(follow_ups_for(&st, &a, &p.plan, &p.period).await?))
}

pub(crate) async fn decide_follow_up(st: &AppState, a: &auth::Auth, plan: &str, period: &str, id: i64, b: &OfficeDecision) -> ApiResult<FollowUp> {
    authz::require(a, Perm::Oversee)?;
    let period = period_of(st, plan, period).await?;
    let confirm = match b.decision.as_str() {
        "confirm" => true,
        "dismiss" => false,
        _ => return Err(bad_decision("confirm 或 dismiss")),
    };
    st.db.follow_up(plan, &period, id).await?.ok_or_else(|| ApiError::not_found(format!("{period} 没有后续措施 {id}"), format!("{period} has no follow-up {id}")))?;
    Ok(st.db.decide_follow_up(plan, &period, id, confirm, b.note.as_deref(), &a.user.username, now_ms()).await?)
}

/// The office confirms a proposed follow-up or dismisses it with a note.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/follow-ups/{id}/decision", tag = "oversight",
    params(("plan" = String, Path), ("period" = String, Path), ("id" = i64, Path)), request_body = OfficeDecision,
    responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn post_follow_up_decision(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<ItemPath>, Body(b): Body<OfficeDecision>) -> ApiResult<Json<FollowUp>> {
    Ok(Json(decide_follow_up(&st, &a, &p.plan, &p.period, p.id, &b).await?))
}

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(monitoring))
        .routes(routes!(run))
        .routes(routes!(list_notices, post_notice))
        .routes(routes!(post_acknowledgement))
        .routes(routes!(list_tasks))
        .routes(routes!(post_report))
        .routes(routes!(post_task_decision))
        .routes(routes!(list_follow_ups))
        .routes(routes!(post_follow_up_decision))
}
