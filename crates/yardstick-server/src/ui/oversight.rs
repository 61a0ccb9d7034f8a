//! Monitoring and rectification in the browser (M14, M15): the monthly monitoring report
//! (printable), and a period's notices (warning notices rendered as official notices),
//! rectification tasks (overdue flagged; the unit files its report, the office closes or
//! reopens) and follow-ups for the office to confirm. The same calls and authorization as
//! the API (`/api/v1/plans/{plan}/periods/{period}/monitoring`, `…/notices`, …).

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_engine::Period;
use yardstick_engine::period::Level;
use yardstick_formats::Lang;
use yardstick_storage::plans::{PeriodRow, Plan};

use super::results::Opt;
use super::{Chrome, SignedIn, datetime, paren, period_label, query, render_status, see_other, tr};
use crate::AppState;
use crate::api::oversight as ov;
use crate::auth::Auth;
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct PageQuery {
    plan: Option<String>,
    period: Option<String>,
    ok: Option<String>,
    /// The monitoring report: only the lagging lines.
    lagging: Option<String>,
}

/// The plan asked for, else the latest year's; its periods (`months` only: months).
async fn plan_and_periods(st: &AppState, asked: Option<&str>, months: bool) -> ApiResult<(Vec<Plan>, Plan, Vec<PeriodRow>)> {
    let plans = st.db.plans().await?;
    let plan = super::cycle::chosen_plan(&plans, asked)?;
    let mut periods: Vec<PeriodRow> = st.db.periods(&plan.key).await?.into_iter().filter(|p| Period::parse(&p.period).is_some_and(|x| !months || x.level == Level::Month)).collect();
    periods.sort_by_key(|p| Period::parse(&p.period));
    Ok((plans, plan, periods))
}

/// The period asked for, else the latest month with values being collected or closed.
fn chosen_period(periods: &[PeriodRow], asked: Option<&str>) -> ApiResult<String> {
    if let Some(p) = asked.filter(|p| !p.is_empty()) {
        return Ok(p.to_string());
    }
    let months: Vec<&PeriodRow> = periods.iter().filter(|p| Period::parse(&p.period).is_some_and(|x| x.level == Level::Month)).collect();
    months.last().map(|p| p.period.clone()).ok_or_else(|| ApiError::not_found("本方案还没有开放任何月份", "no month of this plan has been opened"))
}

fn plan_opts(plans: &[Plan], plan: &Plan, lang: Lang) -> Vec<Opt> {
    plans.iter().map(|p| Opt { value: p.key.clone(), label: paren(lang, &p.name, p.year), selected: p.key == plan.key }).collect()
}

fn period_opts(periods: &[PeriodRow], chosen: &str, lang: Lang) -> Vec<Opt> {
    periods.iter().rev().map(|p| Opt { value: p.period.clone(), label: period_label(&p.period, lang), selected: p.period == chosen }).collect()
}

fn measure_label(m: &str, lang: Lang) -> &'static str {
    match m {
        "target" => tr(lang, "低于目标", "below target"),
        "progress" => tr(lang, "落后时间进度", "behind the time node"),
        "last_year" => tr(lang, "低于上年同期", "below last year"),
        "peers" => tr(lang, "落后同类均值", "behind peers"),
        _ => "",
    }
}

pub struct MonRow {
    pub unit: String,
    pub name: String,
    pub actual: String,
    pub target: String,
    pub completion: String,
    pub growth: String,
    pub peer_mean: String,
    pub lags: Vec<&'static str>,
    pub warned: bool,
}

pub struct MonIndicator {
    pub key: String,
    pub name: String,
    pub unit_of_measure: String,
    pub lower_better: bool,
    pub rows: Vec<MonRow>,
}

#[derive(askama::Template)]
#[template(path = "monitoring.html")]
struct MonitoringTpl {
    c: Chrome,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
    plan: String,
    period: String,
    heading: String,
    office: String,
    summary: String,
    can_run: bool,
    only_lagging: bool,
    indicators: Vec<MonIndicator>,
}

/// `GET /monitoring`: the monthly monitoring report of a period.
pub async fn monitoring(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<PageQuery>) -> ApiResult<Response> {
    authz::require(&a, Perm::ReadMonitoring)?;
    let (plans, plan, periods) = plan_and_periods(&st, q.plan.as_deref(), true).await?;
    let period = chosen_period(&periods, q.period.as_deref())?;
    let r = ov::monitoring_report(&st, &a, &plan.key, &period).await?;
    let dash = |s: Option<String>| s.unwrap_or_else(|| "—".into());
    let pct = |s: Option<String>| s.map(|v| format!("{v}%")).unwrap_or_else(|| "—".into());
    let only_lagging = q.lagging.as_deref() == Some("1");
    let indicators = r
        .indicators
        .into_iter()
        .filter(|i| !only_lagging || i.rows.iter().any(|x| !x.lags.is_empty()))
        .map(|i| MonIndicator {
            key: i.key,
            name: i.name,
            unit_of_measure: i.unit_of_measure.unwrap_or_default(),
            lower_better: i.lower_better,
            rows: i
                .rows
                .into_iter()
                .filter(|x| !only_lagging || !x.lags.is_empty())
                .map(|x| MonRow {
                    unit: x.unit,
                    name: x.name,
                    actual: dash(x.actual),
                    target: dash(x.target),
                    completion: pct(x.completion),
                    growth: pct(x.growth),
                    peer_mean: pct(x.peer_mean),
                    lags: x.lags.iter().map(|m| measure_label(m, lang)).collect(),
                    warned: x.warned,
                })
                .collect(),
        })
        .collect();
    let summary = if lang == Lang::Zh {
        format!("时间进度 {}%；{} 项指标落后，其中 {} 项触发预警规则。", r.elapsed, r.lagging, r.warned)
    } else {
        format!("Time node {}% of the year; {} lines lagging, {} of them caught by a warning rule.", r.elapsed, r.lagging, r.warned)
    };
    let mut c = Chrome::page(&a, lang, &uri, tr(lang, "监测报告", "Monitoring"));
    c.flash = flash(lang, q.ok.as_deref());
    let t = MonitoringTpl {
        heading: if lang == Lang::Zh { format!("{}月度监测报告", period_label(&r.period, lang)) } else { format!("Monthly monitoring report · {}", period_label(&r.period, lang)) },
        office: r.office,
        plans: plan_opts(&plans, &plan, lang),
        periods: period_opts(&periods, &r.period, lang),
        plan: plan.key,
        period: r.period,
        summary,
        can_run: authz::scope(a.user.role, Perm::Oversee).is_some(),
        only_lagging,
        indicators,
        c,
    };
    Ok(render_status(StatusCode::OK, &t))
}

pub struct NoticeView {
    pub id: i64,
    pub warning: bool,
    pub unit: String,
    pub title: String,
    pub body: String,
    pub issued: String,
    pub date_zh: String,
    pub read: String,
    pub can_ack: bool,
}

pub struct TaskView {
    pub id: i64,
    pub unit: String,
    pub source: &'static str,
    pub problem: String,
    pub required: String,
    pub deadline: String,
    pub status: String,
    pub status_class: &'static str,
    pub overdue: bool,
    pub report: String,
    pub note: String,
    pub can_report: bool,
    pub can_decide: bool,
}

pub struct FollowView {
    pub id: i64,
    pub subject: String,
    pub action: String,
    pub rule: String,
    pub periods: String,
    pub status: String,
    pub status_class: &'static str,
    pub note: String,
    pub can_decide: bool,
}

#[derive(askama::Template)]
#[template(path = "oversight.html")]
struct OversightTpl {
    c: Chrome,
    plans: Vec<Opt>,
    periods: Vec<Opt>,
    plan: String,
    period: String,
    heading: String,
    office: String,
    problem: Option<String>,
    office_user: bool,
    units: Vec<Opt>,
    notices: Vec<NoticeView>,
    tasks: Vec<TaskView>,
    follow_ups: Vec<FollowView>,
}

fn task_status(s: &str, lang: Lang) -> (&'static str, &'static str) {
    match s {
        "open" => ("g3", tr(lang, "待整改", "open")),
        "reported" => ("g2", tr(lang, "已报送整改报告，待审核", "reported, awaiting review")),
        "closed" => ("g1", tr(lang, "已销号", "closed")),
        _ => ("", ""),
    }
}

fn source_label(s: &str, lang: Lang) -> &'static str {
    match s {
        "deduction" => tr(lang, "扣分", "deduction"),
        "veto" => tr(lang, "一票否决", "veto"),
        "finding" => tr(lang, "核验发现弄虚作假", "falsified figures"),
        "grade" => tr(lang, "考核等次", "grade"),
        _ => tr(lang, "通知", "notice"),
    }
}

fn follow_status(s: &str, lang: Lang) -> (&'static str, &'static str) {
    match s {
        "proposed" => ("g3", tr(lang, "待确认", "proposed")),
        "confirmed" => ("g1", tr(lang, "已确认", "confirmed")),
        _ => ("", tr(lang, "不予执行", "dismissed")),
    }
}

/// `2026年4月3日` for the date line of an official notice.
fn date_zh(ms: i64) -> String {
    let d = datetime(ms);
    let (y, rest) = d.split_at(4);
    let m: u32 = rest.get(1..3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let day: u32 = rest.get(4..6).and_then(|s| s.parse().ok()).unwrap_or(0);
    format!("{y}年{m}月{day}日")
}

async fn oversight_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, q: &PageQuery, problem: Option<String>) -> ApiResult<OversightTpl> {
    authz::require(a, Perm::ReadOversight)?;
    let (plans, plan, periods) = plan_and_periods(st, q.plan.as_deref(), false).await?;
    // Without a choice: the latest published month (the rules look at published results).
    let mut latest_published = None;
    if q.period.as_deref().is_none_or(str::is_empty) {
        for p in periods.iter().rev().filter(|p| Period::parse(&p.period).is_some_and(|x| x.level == Level::Month)) {
            if st.db.current_publication(&plan.key, &p.period).await?.is_some() {
                latest_published = Some(p.period.clone());
                break;
            }
        }
    }
    let period = match latest_published {
        Some(p) => p,
        None => chosen_period(&periods, q.period.as_deref())?,
    };
    let notices = ov::notices_for(st, a, &plan.key, &period).await?;
    let tasks = ov::tasks_for(st, a, &plan.key, &period).await?;
    let follow = ov::follow_ups_for(st, a, &plan.key, &period).await?;
    let units = st.db.units(None).await?;
    let name = |k: &str| units.iter().find(|u| u.key == k).map_or_else(|| k.to_string(), |u| u.name.clone());
    let office_user = authz::scope(a.user.role, Perm::Oversee).is_some();
    let respond = authz::scope(a.user.role, Perm::Respond);
    // The page offers answering to a unit's own leader (the administrator may via the API).
    let own = |unit: &str| respond.is_some() && a.user.unit_key.as_deref() == Some(unit);
    let office = st.models.get(&st.db, &plan.key).await.map(|m| m.model.plan.office.clone()).unwrap_or_default();
    let who_when = |ms: Option<i64>, by: &Option<String>| match (ms, by) {
        (Some(ms), Some(by)) => format!("{} {by}", datetime(ms)),
        _ => String::new(),
    };
    let mut c = Chrome::page(a, lang, uri, tr(lang, "预警与整改", "Warnings and rectification"));
    c.flash = flash(lang, q.ok.as_deref());
    Ok(OversightTpl {
        heading: format!("{} · {}", tr(lang, "预警与整改", "Warnings and rectification"), period_label(&period, lang)),
        office,
        plans: plan_opts(&plans, &plan, lang),
        periods: period_opts(&periods, &period, lang),
        problem,
        units: if office_user { units.iter().filter(|u| u.active).map(|u| Opt { value: u.key.clone(), label: u.name.clone(), selected: false }).collect() } else { Vec::new() },
        notices: notices
            .into_iter()
            .map(|n| NoticeView {
                id: n.id,
                warning: n.kind == "warning",
                unit: name(&n.unit_key),
                title: n.title,
                body: n.body,
                issued: who_when(Some(n.issued_ms), &Some(n.issued_by.clone())),
                date_zh: date_zh(n.issued_ms),
                read: who_when(n.read_ms, &n.read_by),
                can_ack: n.read_ms.is_none() && own(&n.unit_key),
            })
            .collect(),
        tasks: tasks
            .into_iter()
            .map(|t| {
                let (class, label) = task_status(&t.task.status, lang);
                TaskView {
                    id: t.task.id,
                    unit: name(&t.task.unit_key),
                    source: source_label(&t.task.source, lang),
                    can_report: t.task.status == "open" && own(&t.task.unit_key),
                    can_decide: t.task.status == "reported" && office_user,
                    problem: t.task.problem,
                    required: t.task.required,
                    deadline: datetime(t.task.deadline_ms),
                    status: label.to_string(),
                    status_class: class,
                    overdue: t.overdue,
                    report: t.task.report.unwrap_or_default(),
                    note: t.task.note.unwrap_or_default(),
                }
            })
            .collect(),
        follow_ups: follow
            .into_iter()
            .map(|f| {
                let (class, label) = follow_status(&f.status, lang);
                FollowView {
                    id: f.id,
                    subject: name(&f.subject),
                    can_decide: f.status == "proposed" && office_user,
                    action: f.action,
                    rule: f.rule,
                    periods: f.periods.iter().map(|p| period_label(p, lang)).collect::<Vec<_>>().join(tr(lang, "、", ", ")),
                    status: label.to_string(),
                    status_class: class,
                    note: f.note.unwrap_or_default(),
                }
            })
            .collect(),
        plan: plan.key,
        period,
        office_user,
        c,
    })
}

/// `GET /oversight`: a period's notices, rectification tasks and follow-ups.
pub async fn page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Q(q): Q<PageQuery>) -> ApiResult<Response> {
    let t = oversight_tpl(&st, &a, lang, &uri, &q, None).await?;
    Ok(render_status(StatusCode::OK, &t))
}

fn flash(lang: Lang, ok: Option<&str>) -> Option<String> {
    Some(
        match ok? {
            "run" => tr(lang, "已按方案规则生成预警通知、整改任务和后续措施（已生成的不会重复生成）。", "The plan's rules ran: warnings, rectification tasks and follow-ups made (nothing is made twice)."),
            "notice" => tr(lang, "通知已下发。", "Notice issued."),
            "ack" => tr(lang, "已签收通知。", "Notice acknowledged."),
            "report" => tr(lang, "整改报告已报送，等待考核办审核。", "Rectification report filed for the office's review."),
            "closed" => tr(lang, "整改任务已销号。", "Rectification task closed."),
            "reopened" => tr(lang, "整改任务已退回继续整改。", "Rectification task reopened."),
            "confirmed" => tr(lang, "后续措施已确认。", "Follow-up confirmed."),
            "dismissed" => tr(lang, "后续措施已决定不予执行。", "Follow-up dismissed."),
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Deserialize)]
pub struct ActForm {
    plan: String,
    period: String,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    report: Option<String>,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    note: Option<String>,
    /// Where to go back: `monitoring` or the oversight page.
    #[serde(default)]
    from: Option<String>,
}

fn back(f: &ActForm, ok: &str) -> Response {
    let page = if f.from.as_deref() == Some("monitoring") { "/monitoring" } else { "/oversight" };
    see_other(&format!("{page}{}#main", query(&[("plan", &f.plan), ("period", &f.period), ("ok", ok)])))
}

/// A refusal or invalid input shown on the page with the status the API would give;
/// anything else (403, 404, 5xx) is the error page.
async fn outcome(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, f: &ActForm, r: ApiResult<&str>) -> ApiResult<Response> {
    match r {
        Ok(ok) => Ok(back(f, ok)),
        Err(e) if matches!(e.status, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let q = PageQuery { plan: Some(f.plan.clone()), period: Some(f.period.clone()), ..PageQuery::default() };
            let t = oversight_tpl(st, a, lang, uri, &q, Some(e.msg.get(lang).to_string())).await?;
            Ok(render_status(e.status, &t))
        }
        Err(e) => Err(e),
    }
}

fn id_of(f: &ActForm) -> ApiResult<i64> {
    f.id.ok_or_else(|| ApiError::bad_request("id_required", "缺少编号", "id is required"))
}

/// `POST /oversight/run`: the office runs the plan's rules on the period.
pub async fn run(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let r = ov::run_rules(&st, &a, &f.plan, &f.period).await.map(|_| "run");
    outcome(&st, &a, lang, &uri, &f, r).await
}

/// `POST /oversight/notice`: the office issues a notice by hand.
pub async fn notice(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let b = ov::NoticeBody { unit: f.unit.clone().unwrap_or_default(), title: f.title.clone().unwrap_or_default(), body: f.body.clone().unwrap_or_default() };
    let r = ov::issue_notice(&st, &a, &f.plan, &f.period, &b).await.map(|_| "notice");
    outcome(&st, &a, lang, &uri, &f, r).await
}

/// `POST /oversight/ack`: the unit's leader acknowledges a notice.
pub async fn ack(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let r = ov::acknowledge(&st, &a, &f.plan, &f.period, id_of(&f)?).await.map(|_| "ack");
    outcome(&st, &a, lang, &uri, &f, r).await
}

/// `POST /oversight/report`: the unit's leader files a rectification report.
pub async fn report(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let r = ov::report(&st, &a, &f.plan, &f.period, id_of(&f)?, f.report.as_deref().unwrap_or("")).await.map(|_| "report");
    outcome(&st, &a, lang, &uri, &f, r).await
}

/// `POST /oversight/task`: the office closes or reopens a reported task.
pub async fn task(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let d = ov::OfficeDecision { decision: f.decision.clone().unwrap_or_default(), note: f.note.clone() };
    let r = ov::decide_task(&st, &a, &f.plan, &f.period, id_of(&f)?, &d).await.map(|t| if t.task.status == "closed" { "closed" } else { "reopened" });
    outcome(&st, &a, lang, &uri, &f, r).await
}

/// `POST /oversight/follow-up`: the office confirms or dismisses a follow-up.
pub async fn follow_up(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<ActForm>) -> ApiResult<Response> {
    let d = ov::OfficeDecision { decision: f.decision.clone().unwrap_or_default(), note: f.note.clone() };
    let r = ov::decide_follow_up(&st, &a, &f.plan, &f.period, id_of(&f)?, &d).await.map(|x| if x.status == "confirmed" { "confirmed" } else { "dismissed" });
    outcome(&st, &a, lang, &uri, &f, r).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn official_dates() {
        // 2026-03-01 08:00 Beijing time.
        assert_eq!(super::date_zh(1_772_323_200_000), "2026年3月1日");
    }
}
