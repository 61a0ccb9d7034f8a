//! Expert panels in the browser (专家评审组, M13): the office's list and the form that forms
//! a panel, a panel's page (progress per unit, every score for the office and auditors,
//! ties, close, the results and "apply"), and the expert's scoring page — one card per unit
//! they may score, usable on a phone, no script needed. The same calls and authorization as
//! the API (`/api/v1/panels…`, `api::panels`).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use yardstick_formats::Lang;

use super::{Chrome, SignedIn, datetime, enc, render, render_status, see_other, tr};
use crate::AppState;
use crate::api::panels::{self as pn, PanelResults, ScoreBody, TieBody, TieOut, TieSpec, UnitLine};
use crate::auth::Auth;
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Q};

fn status_label(s: &str, lang: Lang) -> &'static str {
    match s {
        "open" => tr(lang, "评分中", "Scoring"),
        "closed" => tr(lang, "已结束", "Closed"),
        _ => tr(lang, "已应用", "Applied"),
    }
}

fn status_class(s: &str) -> &'static str {
    match s {
        "open" => "ok",
        _ => "muted",
    }
}

pub struct Row {
    pub key: String,
    pub name: String,
    pub period: String,
    pub indicator: String,
    pub status: &'static str,
    pub class: &'static str,
    pub created: String,
}

/// The form's fields, as typed (kept on an error).
#[derive(Deserialize, Clone, Default)]
pub struct DefineForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    indicator: String,
    /// User names separated by spaces or lines.
    #[serde(default)]
    experts: String,
    /// Unit keys separated by spaces or lines.
    #[serde(default)]
    units: String,
    /// A line each: expert unit reason.
    #[serde(default)]
    ties: String,
    #[serde(default)]
    max_score: String,
    #[serde(default)]
    trim_from: String,
    #[serde(default)]
    spread_flag: String,
}

#[derive(askama::Template)]
#[template(path = "panels.html")]
struct ListTpl {
    c: Chrome,
    rows: Vec<Row>,
    can_manage: bool,
    form: DefineForm,
    problems: Vec<String>,
}

/// An API problem's field in the words of the form (`experts[2]` → 评审专家第 3 个).
fn form_place(field: &str, lang: Lang) -> String {
    let sections = [
        ("experts", "评审专家", "Experts"),
        ("units", "评审单位", "Units"),
        ("ties", "回避关系", "Ties"),
        ("key", "编号", "Key"),
        ("name", "名称", "Name"),
        ("plan", "方案", "Plan"),
        ("period", "期间", "Period"),
        ("indicator", "指标", "Indicator"),
        ("max_score", "最高分", "Highest score"),
        ("trim_from", "去掉最高最低分的人数", "Trimming threshold"),
        ("spread_flag", "分差预警值", "Spread to flag"),
        ("score", "评分", "Score"),
        ("comment", "现场情况", "What you saw"),
        ("unit", "单位", "Unit"),
        ("reason", "回避原因", "Reason"),
        ("expert", "专家", "Expert"),
    ];
    for (k, zh, en) in sections {
        if let Some(rest) = field.strip_prefix(k) {
            if let Some(i) = rest.strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok()) {
                return match lang {
                    Lang::Zh => format!("{zh}第 {} 项", i + 1),
                    Lang::En => format!("{en}, item {}", i + 1),
                };
            }
            if rest.is_empty() {
                return tr(lang, zh, en).to_string();
            }
        }
    }
    field.to_string()
}

fn problems_of(e: &ApiError, lang: Lang) -> Vec<String> {
    let mut out = vec![e.msg.get(lang).to_string()];
    out.extend(e.problems.iter().map(|p| match &p.place.field {
        Some(f) => format!("{}：{}", form_place(f, lang), p.msg.get(lang)),
        None => p.msg.get(lang).to_string(),
    }));
    out
}

async fn list_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, form: DefineForm, problems: Vec<String>) -> ApiResult<ListTpl> {
    let rows = pn::list(st, a).await?;
    Ok(ListTpl {
        c: Chrome::page(a, lang, uri, tr(lang, "专家评审", "Expert panels")),
        rows: rows
            .into_iter()
            .map(|p| Row {
                status: status_label(&p.status, lang),
                class: status_class(&p.status),
                key: p.key,
                name: p.name,
                period: p.period,
                indicator: p.indicator,
                created: datetime(p.created_ms),
            })
            .collect(),
        can_manage: authz::require(a, Perm::ManageExpertPanels).is_ok(),
        form,
        problems,
    })
}

/// `GET /panels`: the office's panels and the form; an expert's own panels.
pub async fn list_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri) -> ApiResult<Response> {
    let plan = st.db.plans().await?.into_iter().last().map(|p| p.key).unwrap_or_default();
    let form = DefineForm { plan, trim_from: "5".into(), spread_flag: "3".into(), ..DefineForm::default() };
    Ok(render(&list_tpl(&st, &a, lang, &uri, form, Vec::new()).await?))
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、').filter(|w| !w.is_empty()).map(String::from).collect()
}

/// `POST /panels`: forms a panel; the form comes back with every problem.
pub async fn create(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DefineForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageExpertPanels)?;
    let mut ties = Vec::new();
    let mut p = Vec::new();
    for (n, line) in f.ties.lines().enumerate() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.len() {
            0 => {}
            1 | 2 => p.push(match lang {
                Lang::Zh => format!("回避关系第 {} 行：应为“专家 单位 原因”", n + 1),
                Lang::En => format!("Ties, line {}: write 'expert unit reason'", n + 1),
            }),
            _ => ties.push(TieSpec { expert: w[0].into(), unit: w[1].into(), reason: w[2..].join(" ") }),
        }
    }
    let trim_from = match f.trim_from.trim() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                p.push(tr(lang, "去掉最高最低分的人数应为整数", "The trimming threshold must be a whole number").to_string());
                None
            }
        },
    };
    if !p.is_empty() {
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &list_tpl(&st, &a, lang, &uri, f, p).await?));
    }
    let b = pn::CreatePanel {
        key: f.key.trim().into(),
        name: f.name.trim().into(),
        plan: f.plan.trim().into(),
        period: f.period.trim().into(),
        indicator: f.indicator.trim().into(),
        experts: words(&f.experts),
        units: words(&f.units),
        ties,
        max_score: Some(f.max_score.trim().to_string()).filter(|m| !m.is_empty()),
        trim_from,
        spread_flag: f.spread_flag.trim().into(),
    };
    match pn::create(&st, &a, b).await {
        Ok(p) => Ok(see_other(&format!("/panels/{}", enc(&p.key)))),
        Err(e) if matches!(e.status, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let p = problems_of(&e, lang);
            Ok(render_status(e.status, &list_tpl(&st, &a, lang, &uri, f, p).await?))
        }
        Err(e) => Err(e),
    }
}

/// One unit on the expert's page: the form, prefilled with their score.
pub struct ScoreCard {
    pub unit: String,
    pub name: String,
    pub score: String,
    pub comment: String,
    pub scored: bool,
}

/// One score on the office's page, with the expert's display name.
pub struct ScoreLine {
    pub expert: String,
    pub unit: String,
    pub score: String,
    pub comment: String,
    pub counted: &'static str,
}

#[derive(askama::Template)]
#[template(path = "panel.html")]
struct DetailTpl {
    c: Chrome,
    key: String,
    name: String,
    plan: String,
    period: String,
    indicator: String,
    indicator_name: String,
    max_score: String,
    trim_from: i64,
    spread_flag: String,
    status: String,
    status_label: &'static str,
    closed: String,
    experts: Vec<String>,
    /// The members as (user name, label), for the office's tie form.
    members: Vec<(String, String)>,
    units: Vec<UnitLine>,
    ties: Vec<TieOut>,
    scores: Vec<ScoreLine>,
    results: Option<PanelResults>,
    /// The office: ties, close, apply.
    can_manage: bool,
    /// A member expert: the scoring cards and the tie form.
    is_expert: bool,
    cards: Vec<ScoreCard>,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    ok: Option<String>,
}

fn flash_text(ok: &str, lang: Lang) -> Option<String> {
    Some(
        match ok {
            "score" => tr(lang, "评分已保存；评审组结束前可以修改。", "Your score was saved; you can change it until the panel closes."),
            "tie" => tr(lang, "回避关系已登记；该单位的评分（如有）已撤回。", "The tie was recorded; any score of that unit was withdrawn."),
            "closed" => tr(lang, "评审组已结束评分，结果如下。", "The panel is closed; the results are below."),
            "applied" => tr(lang, "评审结果已写入该指标本期的数据。", "The results were written as the indicator's values for the period."),
            _ => return None,
        }
        .to_string(),
    )
}

async fn detail_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, key: &str, flash: Option<String>, problem: Option<String>) -> ApiResult<DetailTpl> {
    let d = pn::detail(st, a, key).await?;
    let mut c = Chrome::page(a, lang, uri, d.panel.name.clone());
    c.flash = flash;
    let is_expert = d.experts.is_none();
    let names: std::collections::BTreeMap<String, String> = st.db.users().await?.into_iter().map(|u| (u.username, u.display_name)).collect();
    let who = |u: &str| names.get(u).map_or_else(|| u.to_string(), |n| format!("{n}（{u}）"));
    let mine = |u: &str| d.scores.iter().find(|s| s.unit == u);
    let cards = if is_expert {
        d.units
            .iter()
            .map(|u| ScoreCard {
                unit: u.unit.clone(),
                name: u.name.clone(),
                score: mine(&u.unit).map(|s| s.score.clone()).unwrap_or_default(),
                comment: mine(&u.unit).map(|s| s.comment.clone()).unwrap_or_default(),
                scored: mine(&u.unit).is_some(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let scores = if is_expert {
        Vec::new()
    } else {
        d.scores
            .iter()
            .map(|s| ScoreLine {
                expert: who(&s.expert),
                unit: s.unit.clone(),
                score: s.score.clone(),
                comment: s.comment.clone(),
                counted: match s.counted {
                    None => "",
                    Some(true) => tr(lang, "计入", "counted"),
                    Some(false) => tr(lang, "去掉", "dropped"),
                },
            })
            .collect()
    };
    Ok(DetailTpl {
        c,
        key: d.panel.key.clone(),
        name: d.panel.name.clone(),
        plan: d.panel.plan.clone(),
        period: d.panel.period.clone(),
        indicator: d.panel.indicator.clone(),
        indicator_name: d.indicator_name.clone(),
        max_score: d.panel.max_score.clone(),
        trim_from: d.panel.trim_from,
        spread_flag: d.panel.spread_flag.clone(),
        status_label: status_label(&d.panel.status, lang),
        status: d.panel.status.clone(),
        closed: d.panel.closed_ms.map(datetime).unwrap_or_default(),
        experts: d.experts.clone().unwrap_or_default().iter().map(|e| who(e)).collect(),
        members: d.experts.clone().unwrap_or_default().iter().map(|e| (e.clone(), who(e))).collect(),
        units: d.units.clone(),
        ties: d.ties.iter().map(|t| TieOut { expert: who(&t.expert), ..t.clone() }).collect(),
        scores,
        results: d.results.clone(),
        can_manage: authz::require(a, Perm::ManageExpertPanels).is_ok(),
        is_expert,
        cards,
        problem,
    })
}

/// `GET /panels/{key}`.
pub async fn detail_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>, Q(q): Q<DetailQuery>) -> ApiResult<Response> {
    let flash = q.ok.as_deref().and_then(|o| flash_text(o, lang));
    Ok(render(&detail_tpl(&st, &a, lang, &uri, &key, flash, None).await?))
}

async fn act(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, key: &str, r: ApiResult<&str>) -> ApiResult<Response> {
    match r {
        Ok(ok) => Ok(see_other(&format!("/panels/{}?ok={ok}#main", enc(key)))),
        Err(e) if matches!(e.status, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let msg = problems_of(&e, lang).join(" ");
            Ok(render_status(e.status, &detail_tpl(st, a, lang, uri, key, None, Some(msg)).await?))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct ScoreForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

/// `POST /panels/{key}/scores`: an expert's score of one unit.
pub async fn score(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>, Form(f): Form<ScoreForm>) -> ApiResult<Response> {
    let r = pn::score(&st, &a, &key, &ScoreBody { unit: f.unit, score: f.score, comment: f.comment }).await.map(|()| "score");
    act(&st, &a, lang, &uri, &key, r).await
}

#[derive(Deserialize)]
pub struct TieForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expert: String,
}

/// `POST /panels/{key}/ties`: a tie (an expert their own; the office names the expert).
pub async fn tie(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>, Form(f): Form<TieForm>) -> ApiResult<Response> {
    let expert = Some(f.expert.trim().to_string()).filter(|e| !e.is_empty());
    let r = pn::tie(&st, &a, &key, &TieBody { unit: f.unit, reason: f.reason, expert }).await.map(|()| "tie");
    act(&st, &a, lang, &uri, &key, r).await
}

/// `POST /panels/{key}/close`.
pub async fn close(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>) -> ApiResult<Response> {
    let r = pn::close(&st, &a, &key).await.map(|_| "closed");
    act(&st, &a, lang, &uri, &key, r).await
}

/// `POST /panels/{key}/apply`.
pub async fn apply(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>) -> ApiResult<Response> {
    let r = pn::apply(&st, &a, &key).await.map(|_| "applied");
    act(&st, &a, lang, &uri, &key, r).await
}
