//! Rewards in the browser (奖励分配, M12, M14): a plan's allocations in force with their
//! lines and working, the summary (units rewarded, person-times), the workbook, and for the
//! office the form that allocates a period under a rule of the plan. The same calls and
//! authorization as the API (`/api/v1/plans/P/rewards…`, `api::rewards`).

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_formats::Lang;

use super::{Chrome, SignedIn, datetime, enc, render, render_status, see_other, tr};
use crate::AppState;
use crate::api::rewards::{self as rw, AllocateBody, AllocationOut, RewardsQuery, Summary};
use crate::auth::Auth;
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Q};

#[derive(Deserialize, Default)]
pub struct PageQuery {
    pub plan: Option<String>,
    pub period: Option<String>,
    pub unit: Option<String>,
}

/// The form's fields, as typed (kept on an error).
#[derive(Deserialize, Clone, Default)]
pub struct AllocateForm {
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub pool: String,
    #[serde(default)]
    pub note: String,
}

pub struct RuleChoice {
    pub key: String,
    pub label: String,
}

pub struct Block {
    pub a: AllocationOut,
    pub created: String,
}

#[derive(askama::Template)]
#[template(path = "rewards.html")]
struct Tpl {
    c: Chrome,
    plans: Vec<(String, String)>,
    plan: String,
    period: String,
    blocks: Vec<Block>,
    summary: Option<Summary>,
    export: String,
    can_manage: bool,
    rules: Vec<RuleChoice>,
    form: AllocateForm,
    problems: Vec<String>,
}

fn problems_of(e: &ApiError, lang: Lang) -> Vec<String> {
    let mut out = vec![e.msg.get(lang).to_string()];
    out.extend(e.problems.iter().map(|p| {
        let place = match p.place.field.as_deref() {
            Some("rule") => tr(lang, "奖励规则", "Rule"),
            Some("pool") => tr(lang, "奖金池", "Pool"),
            Some("note") => tr(lang, "说明", "Note"),
            Some(f) => f,
            None => "",
        };
        if place.is_empty() {
            p.msg.get(lang).to_string()
        } else {
            format!("{place}：{}", p.msg.get(lang))
        }
    }));
    out
}

async fn tpl(
    st: &AppState,
    a: &Auth,
    lang: Lang,
    uri: &Uri,
    q: PageQuery,
    form: Option<AllocateForm>,
    problems: Vec<String>,
) -> ApiResult<Tpl> {
    let plans: Vec<(String, String)> = st
        .db
        .plans()
        .await?
        .into_iter()
        .map(|p| (p.key, p.name))
        .collect();
    let plan = q
        .plan
        .filter(|p| plans.iter().any(|(k, _)| k == p))
        .or_else(|| plans.last().map(|p| p.0.clone()))
        .unwrap_or_default();
    let period = q.period.unwrap_or_default();
    let can_manage = authz::require(a, Perm::ManageRewards).is_ok();
    let (mut blocks, mut summary, mut rules) = (Vec::new(), None, Vec::new());
    if !plan.is_empty() {
        let rq = RewardsQuery {
            period: Some(period.clone()).filter(|p| !p.is_empty()),
            unit: q.unit.clone(),
            ..RewardsQuery::default()
        };
        let out = rw::listed(st, a, &plan, &rq).await?;
        summary = Some(out.summary);
        blocks = out
            .allocations
            .into_iter()
            .rev()
            .map(|a| Block {
                created: datetime(a.created_ms),
                a,
            })
            .collect();
        if can_manage {
            if let Ok(m) = st.models.get(&st.db, &plan).await {
                rules = m
                    .model
                    .rewards
                    .iter()
                    .map(|r| RuleChoice {
                        key: r.key.clone(),
                        label: format!("{}（{}）", r.name, r.level.name_zh()),
                    })
                    .collect();
            }
        }
    }
    let mut export = format!("/api/v1/plans/{}/rewards.xlsx", enc(&plan));
    if !period.is_empty() {
        export.push_str(&format!("?period={}", enc(&period)));
    }
    let form = form.unwrap_or_else(|| AllocateForm {
        plan: plan.clone(),
        period: period.clone(),
        ..AllocateForm::default()
    });
    Ok(Tpl {
        c: Chrome::page(a, lang, uri, tr(lang, "奖励分配", "Rewards")),
        plans,
        plan,
        period,
        blocks,
        summary,
        export,
        can_manage,
        rules,
        form,
        problems,
    })
}

/// `GET /rewards`: the allocations of a plan (a period, or all) as the caller may see them.
pub async fn page(
    State(st): State<AppState>,
    SignedIn(a): SignedIn,
    L(lang): L,
    uri: Uri,
    Q(q): Q<PageQuery>,
) -> ApiResult<Response> {
    Ok(render(
        &tpl(&st, &a, lang, &uri, q, None, Vec::new()).await?,
    ))
}

/// `POST /rewards`: the office allocates; the page comes back with every problem.
pub async fn allocate(
    State(st): State<AppState>,
    SignedIn(a): SignedIn,
    L(lang): L,
    uri: Uri,
    Form(f): Form<AllocateForm>,
) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageRewards)?;
    let body = AllocateBody {
        rule: f.rule.clone(),
        pool: Some(f.pool.clone()).filter(|p| !p.trim().is_empty()),
        note: Some(f.note.clone()),
    };
    match rw::make(&st, &a, f.plan.trim(), f.period.trim(), body).await {
        Ok(made) => Ok(see_other(&format!(
            "/rewards?plan={}&period={}#a{}",
            enc(f.plan.trim()),
            enc(&made.period),
            made.id
        ))),
        Err(e)
            if matches!(
                e.status,
                StatusCode::CONFLICT
                    | StatusCode::UNPROCESSABLE_ENTITY
                    | StatusCode::BAD_REQUEST
                    | StatusCode::NOT_FOUND
            ) =>
        {
            let q = PageQuery {
                plan: Some(f.plan.clone()),
                period: Some(f.period.clone()),
                unit: None,
            };
            let problems = problems_of(&e, lang);
            Ok(render_status(
                e.status,
                &tpl(&st, &a, lang, &uri, q, Some(f), problems).await?,
            ))
        }
        Err(e) => Err(e),
    }
}
