//! Democratic evaluations in the browser (民主测评, M12): the office's list and definition
//! form, an evaluation's page (codes per rater group, open, paper ballots, close, results),
//! the printable sheet of QR codes, and the rater's one-page ballot on a phone (`/v/{code}`),
//! which needs no account and no script. The same calls and authorization as the API
//! (`/api/v1/evaluations…`, `/api/v1/ballots/{code}`).

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde::Deserialize;
use yardstick_formats::Lang;

use super::{Chrome, SignedIn, datetime, enc, render, render_status, see_other, tr};
use crate::AppState;
use crate::api::evaluations::{self as ev, AnswerSpec, BallotBody, EvaluationResults, EvaluationSpec, FlagSpec, GroupSpec, MaxSpec, RulesSpec, SubjectSpec};
use crate::auth::{Auth, MaybeCaller};
use crate::authz::{self, Perm};
use crate::error::{ApiError, ApiResult, L, Q};

fn status_label(s: &str, lang: Lang) -> &'static str {
    match s {
        "draft" => tr(lang, "未开始", "Draft"),
        "open" => tr(lang, "投票中", "Open"),
        _ => tr(lang, "已结束", "Closed"),
    }
}

fn status_class(s: &str) -> &'static str {
    match s {
        "draft" => "",
        "open" => "ok",
        _ => "muted",
    }
}

pub struct Row {
    pub key: String,
    pub name: String,
    pub year: i64,
    pub status: &'static str,
    pub class: &'static str,
    pub ballots: i64,
    pub subjects: usize,
    pub created: String,
}

/// The definition form's fields, as text (prefilled with Example F's customary settings).
#[derive(Deserialize, Clone)]
pub struct DefineForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    subjects: String,
    #[serde(default)]
    groups: String,
    #[serde(default)]
    answers: String,
    #[serde(default)]
    excluded: String,
    #[serde(default)]
    flags: String,
    #[serde(default)]
    max_per_ballot: String,
    #[serde(default)]
    uniform_void_min: String,
    #[serde(default)]
    trim_over: String,
}

impl DefineForm {
    fn example(year: i64) -> DefineForm {
        DefineForm {
            key: format!("mz-{year}"),
            name: format!("{year}年度领导干部民主测评"),
            year: year.to_string(),
            subjects: String::new(),
            groups: "分管领导 20%\n干部职工 40%\n考核组 40%".into(),
            answers: "优秀 100\n称职 80\n基本称职 60\n不称职 40".into(),
            excluded: String::new(),
            flags: "不称职 above 1/3 不称职票超过三分之一\n优秀+称职 below 2/3 优秀和称职票不足三分之二".into(),
            max_per_ballot: String::new(),
            uniform_void_min: String::new(),
            trim_over: "5".into(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "evaluations.html")]
struct ListTpl {
    c: Chrome,
    rows: Vec<Row>,
    can_manage: bool,
    form: DefineForm,
    problems: Vec<String>,
}

fn lines(s: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    s.lines().enumerate().map(|(i, l)| (i + 1, l.split_whitespace().collect::<Vec<_>>())).filter(|(_, w)| !w.is_empty())
}

/// The definition from the form's text, or what is wrong with it (each line named).
fn spec_from(f: &DefineForm, lang: Lang) -> Result<(String, String, i64, EvaluationSpec), Vec<String>> {
    let mut p = Vec::new();
    let mut line_err = |what_zh: &str, what_en: &str, n: usize, zh: &str, en: &str| {
        p.push(match lang {
            Lang::Zh => format!("{what_zh}第 {n} 行：{zh}"),
            Lang::En => format!("{what_en}, line {n}: {en}"),
        })
    };
    let subjects = lines(&f.subjects)
        .map(|(_, w)| SubjectSpec { key: w[0].to_string(), name: w.get(1).copied().unwrap_or("").to_string(), post: w.get(2..).map(|x| x.join(" ")).unwrap_or_default() })
        .collect();
    let mut groups = Vec::new();
    for (n, w) in lines(&f.groups) {
        if w.len() != 2 {
            line_err("测评组", "Rater groups", n, "应为“名称 权重”，如“干部职工 40%”", "write 'name weight', e.g. 'staff 40%'");
        } else {
            groups.push(GroupSpec { name: w[0].into(), share: w[1].into() });
        }
    }
    let mut answers = Vec::new();
    for (n, w) in lines(&f.answers) {
        if w.len() != 2 {
            line_err("测评档次", "Answers", n, "应为“档次 分值”，如“称职 80”", "write 'answer value', e.g. 'competent 80'");
        } else {
            answers.push(AnswerSpec { name: w[0].into(), value: w[1].into() });
        }
    }
    let mut flags = Vec::new();
    for (n, w) in lines(&f.flags) {
        if w.len() < 4 {
            line_err("预警提示", "Flags", n, "应为“档次+档次 above|below 比例 提示语”", "write 'answer+answer above|below share message'");
        } else {
            flags.push(FlagSpec { answers: w[0].split('+').map(String::from).collect(), when: w[1].into(), share: w[2].into(), message: w[3..].join(" "), grade: None });
        }
    }
    let mut max_per_ballot = Vec::new();
    for (n, w) in lines(&f.max_per_ballot) {
        match (w.len(), w.get(1).and_then(|m| m.parse::<u32>().ok())) {
            (2, Some(max)) => max_per_ballot.push(MaxSpec { answer: w[0].into(), max }),
            _ => line_err("每票限额", "Per-ballot limits", n, "应为“档次 人数”，如“优秀 3”", "write 'answer count', e.g. 'excellent 3'"),
        }
    }
    let num = |s: &str, zh: &str, en: &str, p: &mut Vec<String>| -> Option<u32> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        s.parse().map_err(|_| p.push(tr(lang, &format!("{zh}应为整数"), &format!("{en} must be a whole number")).to_string())).ok()
    };
    let uniform_void_min = num(&f.uniform_void_min, "同一档次作废人数", "The uniform-ballot threshold", &mut p);
    let trim_over = num(&f.trim_over, "去掉最高最低分的人数", "The trimming threshold", &mut p);
    let year = f.year.trim().parse::<i64>().unwrap_or_else(|_| {
        p.push(tr(lang, "年度应为四位数字", "The year must be four digits").to_string());
        0
    });
    let excluded = f.excluded.split_whitespace().map(String::from).collect();
    if !p.is_empty() {
        return Err(p);
    }
    Ok((f.key.trim().into(), f.name.trim().into(), year, EvaluationSpec { subjects, groups, answers, excluded, flags, rules: RulesSpec { max_per_ballot, uniform_void_min, trim_over } }))
}

/// An API problem's field in the words of the form (`subjects[3].key` → 被测评对象第 4 行).
fn form_place(field: &str, lang: Lang) -> String {
    let sections = [("subjects", "被测评对象", "Subjects"), ("groups", "测评组", "Rater groups"), ("answers", "测评档次", "Answers"), ("flags", "预警提示", "Flags"), ("rules.max_per_ballot", "每票限额", "Per-ballot limits")];
    for (k, zh, en) in sections {
        if let Some(rest) = field.strip_prefix(k) {
            if let Some(i) = rest.strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok()) {
                return match lang {
                    Lang::Zh => format!("{zh}第 {} 行", i + 1),
                    Lang::En => format!("{en}, line {}", i + 1),
                };
            }
            return tr(lang, zh, en).to_string();
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
    let rows = ev::list(st, a).await?;
    Ok(ListTpl {
        c: Chrome::page(a, lang, uri, tr(lang, "民主测评", "Democratic evaluations")),
        rows: rows
            .into_iter()
            .map(|e| Row {
                status: status_label(&e.status, lang),
                class: status_class(&e.status),
                key: e.key,
                name: e.name,
                year: e.year,
                ballots: e.ballots,
                subjects: e.subjects,
                created: datetime(e.created_ms),
            })
            .collect(),
        can_manage: authz::require(a, Perm::ManageEvaluations).is_ok(),
        form,
        problems,
    })
}

/// `GET /evaluations`.
pub async fn list_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri) -> ApiResult<Response> {
    // This year in Beijing time, from the same calendar the pages print dates with.
    let year = datetime(crate::auth::now_ms()).get(..4).and_then(|y| y.parse::<i64>().ok()).unwrap_or(2026);
    Ok(render(&list_tpl(&st, &a, lang, &uri, DefineForm::example(year), Vec::new()).await?))
}

/// `POST /evaluations`: defines an evaluation; the form comes back with every problem.
pub async fn create(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Form(f): Form<DefineForm>) -> ApiResult<Response> {
    authz::require(&a, Perm::ManageEvaluations)?;
    let r = match spec_from(&f, lang) {
        Ok((key, name, year, spec)) => ev::create(&st, &a, ev::CreateEvaluation { key, name, year, spec }).await,
        Err(p) => return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &list_tpl(&st, &a, lang, &uri, f, p).await?)),
    };
    match r {
        Ok(e) => Ok(see_other(&format!("/evaluations/{}", enc(&e.key)))),
        Err(e) if matches!(e.status, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let p = problems_of(&e, lang);
            Ok(render_status(e.status, &list_tpl(&st, &a, lang, &uri, f, p).await?))
        }
        Err(e) => Err(e),
    }
}

pub struct GroupRow {
    pub name: String,
    pub share: String,
    pub issued: i64,
    pub used: i64,
}

pub struct SubjectRow {
    pub key: String,
    pub name: String,
    pub post: String,
}

#[derive(askama::Template)]
#[template(path = "evaluation.html")]
struct DetailTpl {
    c: Chrome,
    key: String,
    name: String,
    year: i64,
    status: String,
    status_label: &'static str,
    ballots: i64,
    opened: String,
    closed: String,
    groups: Vec<GroupRow>,
    subjects: Vec<SubjectRow>,
    answers: Vec<String>,
    rules: Vec<String>,
    can_manage: bool,
    problem: Option<String>,
    results: Option<EvaluationResults>,
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    ok: Option<String>,
}

fn rules_words(s: &EvaluationSpec, lang: Lang) -> Vec<String> {
    let mut r = Vec::new();
    for m in &s.rules.max_per_ballot {
        r.push(match lang {
            Lang::Zh => format!("每票评“{}”不超过 {} 人，超过的票无效", m.answer, m.max),
            Lang::En => format!("at most {} '{}' per ballot, else the ballot is void", m.max, m.answer),
        });
    }
    if let Some(n) = s.rules.uniform_void_min {
        r.push(match lang {
            Lang::Zh => format!("对 {n} 人及以上全部评同一档次的票无效"),
            Lang::En => format!("a ballot giving {n} or more subjects all the same answer is void"),
        });
    }
    if let Some(n) = s.rules.trim_over {
        r.push(match lang {
            Lang::Zh => format!("一个测评组对某人的有效票超过 {n} 张时，去掉一个最高档和一个最低档"),
            Lang::En => format!("with more than {n} valid answers for a subject in a group, the highest and lowest are dropped"),
        });
    }
    if !s.excluded.is_empty() {
        r.push(match lang {
            Lang::Zh => format!("“{}”不计入基数", s.excluded.join("、")),
            Lang::En => format!("'{}' left out of the base", s.excluded.join("', '")),
        });
    }
    for f in &s.flags {
        r.push(match lang {
            Lang::Zh => format!("{}票{}全部有效票的 {} 时提示：{}", f.answers.join("+"), if f.when == "above" { "超过" } else { "不足" }, f.share, f.message),
            Lang::En => format!("flag '{}' when {} votes are {} {} of all", f.message, f.answers.join("+"), f.when, f.share),
        });
    }
    r
}

async fn detail_tpl(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, key: &str, flash: Option<String>, problem: Option<String>) -> ApiResult<DetailTpl> {
    let d = ev::detail(st, a, key).await?;
    let results = if d.evaluation.status == "closed" { Some(ev::results_of(st, a, key, lang).await?) } else { None };
    let mut c = Chrome::page(a, lang, uri, d.evaluation.name.clone());
    c.flash = flash;
    let spec = &d.spec;
    Ok(DetailTpl {
        c,
        key: d.evaluation.key.clone(),
        name: d.evaluation.name.clone(),
        year: d.evaluation.year,
        status_label: status_label(&d.evaluation.status, lang),
        status: d.evaluation.status.clone(),
        ballots: d.evaluation.ballots,
        opened: d.evaluation.opened_ms.map(datetime).unwrap_or_default(),
        closed: d.evaluation.closed_ms.map(datetime).unwrap_or_default(),
        groups: spec
            .groups
            .iter()
            .map(|g| {
                let c = d.codes.iter().find(|c| c.rater_group == g.name);
                GroupRow { name: g.name.clone(), share: g.share.clone(), issued: c.map_or(0, |c| c.issued), used: c.map_or(0, |c| c.used) }
            })
            .collect(),
        subjects: spec.subjects.iter().map(|s| SubjectRow { key: s.key.clone(), name: s.name.clone(), post: s.post.clone() }).collect(),
        answers: spec.answers.iter().map(|x| x.name.clone()).collect(),
        rules: rules_words(spec, lang),
        can_manage: authz::require(a, Perm::ManageEvaluations).is_ok(),
        problem,
        results,
    })
}

fn flash_text(ok: &str, lang: Lang) -> Option<String> {
    Some(
        match ok {
            "open" => tr(lang, "已开始投票：测评人扫码即可投票。", "Voting is open: raters scan their code to vote."),
            "closed" => tr(lang, "测评已结束，结果如下。", "The evaluation is closed; the results are below."),
            "paper" => tr(lang, "纸质票已录入。", "The paper ballot was entered."),
            "paper_void" => tr(lang, "纸质票已录入，但不符合测评规则，计为无效票。", "The paper ballot was entered; it is outside the rules and counts as void."),
            _ => return None,
        }
        .to_string(),
    )
}

/// `GET /evaluations/{key}`.
pub async fn detail_page(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>, Q(q): Q<DetailQuery>) -> ApiResult<Response> {
    let flash = q.ok.as_deref().and_then(|o| flash_text(o, lang));
    Ok(render(&detail_tpl(&st, &a, lang, &uri, &key, flash, None).await?))
}

async fn act(st: &AppState, a: &Auth, lang: Lang, uri: &Uri, key: &str, r: ApiResult<&str>) -> ApiResult<Response> {
    match r {
        Ok(ok) => Ok(see_other(&format!("/evaluations/{}?ok={ok}#main", enc(key)))),
        Err(e) if matches!(e.status, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY) => {
            let msg = problems_of(&e, lang).join(" ");
            Ok(render_status(e.status, &detail_tpl(st, a, lang, uri, key, None, Some(msg)).await?))
        }
        Err(e) => Err(e),
    }
}

/// `POST /evaluations/{key}/open`.
pub async fn open(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>) -> ApiResult<Response> {
    let r = ev::set_status(&st, &a, &key, "open").await.map(|_| "open");
    act(&st, &a, lang, &uri, &key, r).await
}

/// `POST /evaluations/{key}/close`.
pub async fn close(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>) -> ApiResult<Response> {
    let r = ev::set_status(&st, &a, &key, "closed").await.map(|_| "closed");
    act(&st, &a, lang, &uri, &key, r).await
}

/// `POST /evaluations/{key}/paper`: one paper ballot (`group`, `a_{subject}` = answer).
pub async fn paper(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, Path(key): Path<String>, Form(f): Form<HashMap<String, String>>) -> ApiResult<Response> {
    let b = ev::PaperBody { group: f.get("group").cloned().unwrap_or_default(), answers: answers_of(&f) };
    let r = ev::paper(&st, &a, &key, &b).await.map(|p| if p.void.is_some() { "paper_void" } else { "paper" });
    act(&st, &a, lang, &uri, &key, r).await
}

fn answers_of(f: &HashMap<String, String>) -> BTreeMap<String, String> {
    f.iter().filter_map(|(k, v)| Some((k.strip_prefix("a_")?.to_string(), v.trim().to_string()))).filter(|(_, v)| !v.is_empty()).collect()
}

pub struct CodeCard {
    pub code: String,
    pub url: String,
    pub svg: String,
}

#[derive(askama::Template)]
#[template(path = "evaluation_codes.html")]
struct CodesTpl {
    c: Chrome,
    key: String,
    name: String,
    group: String,
    batch: i64,
    cards: Vec<CodeCard>,
}

/// The address printed in the QR codes: the configured public address, else the one the
/// office is using.
fn base_url(st: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &st.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("{}://{host}", if st.config.secure_cookies { "https" } else { "http" })
}

/// A QR code as inline SVG (no script, no image request).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) {
        Ok(q) => q.render::<qrcode::render::svg::Color<'_>>().min_dimensions(160, 160).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

#[derive(Deserialize)]
pub struct CodesForm {
    group: String,
    count: String,
}

/// `POST /evaluations/{key}/codes`: issues codes and shows them once, as a printable sheet.
pub async fn codes(State(st): State<AppState>, SignedIn(a): SignedIn, L(lang): L, uri: Uri, headers: HeaderMap, Path(key): Path<String>, Form(f): Form<CodesForm>) -> ApiResult<Response> {
    let count = f.count.trim().parse::<u32>().unwrap_or(0);
    let issued = match ev::issue(&st, &a, &key, &ev::CodesBody { group: f.group.clone(), count }).await {
        Ok(i) => i,
        Err(e) => return act(&st, &a, lang, &uri, &key, Err(e)).await,
    };
    let e = ev::detail(&st, &a, &key).await?;
    let base = base_url(&st, &headers);
    let cards = issued
        .codes
        .iter()
        .map(|code| {
            let url = format!("{base}/v/{code}");
            CodeCard { svg: qr_svg(&url), code: code.clone(), url }
        })
        .collect();
    let t = CodesTpl { c: Chrome::page(&a, lang, &uri, tr(lang, "测评码", "Rater codes")), key, name: e.evaluation.name, group: issued.group, batch: issued.batch, cards };
    Ok(render_status(StatusCode::CREATED, &t))
}

// ---------------------------------------------------------------------------
// The rater's ballot.

pub struct Choice {
    pub key: String,
    pub name: String,
    pub post: String,
    pub chosen: String,
}

#[derive(askama::Template)]
#[template(path = "vote.html")]
struct VoteTpl {
    c: Chrome,
    /// `enter` (type a code), `form`, `done`, or `refused` (the code cannot vote).
    state: &'static str,
    code: String,
    evaluation: String,
    group: String,
    choices: Vec<Choice>,
    answers: Vec<String>,
    rules: Vec<String>,
    message: Option<String>,
    problems: Vec<String>,
}

fn vote_chrome(a: Option<&Auth>, lang: Lang, uri: &Uri) -> Chrome {
    // A rater's page shows no navigation: the code is all they have here.
    let mut c = Chrome::new(None, lang, uri.path(), uri.path(), tr(lang, "民主测评投票", "Evaluation ballot"));
    c.csrf = a.map(|a| a.user.csrf.clone()).unwrap_or_default();
    c
}

fn vote_tpl(c: Chrome, state: &'static str, code: &str) -> VoteTpl {
    VoteTpl { c, state, code: code.to_string(), evaluation: String::new(), group: String::new(), choices: Vec::new(), answers: Vec::new(), rules: Vec::new(), message: None, problems: Vec::new() }
}

#[derive(Deserialize, Default)]
pub struct EnterQuery {
    code: Option<String>,
}

/// `GET /v`: type a code (for a rater who cannot scan), then go to its ballot.
pub async fn enter(MaybeCaller(a): MaybeCaller, L(lang): L, uri: Uri, Q(q): Q<EnterQuery>) -> Response {
    if let Some(code) = q.code.filter(|c| !c.trim().is_empty()) {
        return see_other(&format!("/v/{}", enc(&ev::normal_code(&code))));
    }
    render(&vote_tpl(vote_chrome(a.as_ref(), lang, &uri), "enter", ""))
}

async fn ballot_tpl(st: &AppState, a: Option<&Auth>, lang: Lang, uri: &Uri, code: &str, chosen: &BTreeMap<String, String>) -> Result<VoteTpl, (StatusCode, VoteTpl)> {
    let c = vote_chrome(a, lang, uri);
    match ev::form_for(st, code, lang).await {
        Ok((_, _, _, form)) => {
            let mut t = vote_tpl(c, "form", &ev::normal_code(code));
            t.evaluation = form.evaluation;
            t.group = form.group;
            t.choices = form.subjects.into_iter().map(|s| Choice { chosen: chosen.get(&s.key).cloned().unwrap_or_default(), key: s.key, name: s.name, post: s.post }).collect();
            t.answers = form.answers;
            t.rules = form.rules;
            Ok(t)
        }
        Err(e) => {
            let mut t = vote_tpl(c, "refused", code);
            t.message = Some(e.msg.get(lang).to_string());
            Err((e.status, t))
        }
    }
}

/// `GET /v/{code}`: the ballot, or why this code cannot vote.
pub async fn ballot(State(st): State<AppState>, MaybeCaller(a): MaybeCaller, L(lang): L, uri: Uri, Path(code): Path<String>) -> Response {
    match ballot_tpl(&st, a.as_ref(), lang, &uri, &code, &BTreeMap::new()).await {
        Ok(t) => render(&t),
        Err((s, t)) => render_status(s, &t),
    }
}

/// `POST /v/{code}`: casts the ballot; the form comes back with the problem if it breaks a rule.
pub async fn cast(State(st): State<AppState>, MaybeCaller(a): MaybeCaller, L(lang): L, uri: Uri, Path(code): Path<String>, Form(f): Form<HashMap<String, String>>) -> Response {
    let answers = answers_of(&f);
    match ev::vote(&st, &code, &BallotBody { answers: answers.clone() }, lang).await {
        Ok(()) => {
            let mut t = vote_tpl(vote_chrome(a.as_ref(), lang, &uri), "done", "");
            t.message = Some(tr(lang, "投票成功，感谢参与！您的选票不与测评码或您的身份关联。", "Your ballot is cast. Thank you! It is not linked to the code or to you.").to_string());
            render(&t)
        }
        Err(e) => match ballot_tpl(&st, a.as_ref(), lang, &uri, &code, &answers).await {
            Ok(mut t) => {
                t.message = Some(e.msg.get(lang).to_string());
                t.problems = e.problems.iter().map(|p| p.msg.get(lang).to_string()).collect();
                render_status(e.status, &t)
            }
            Err((s, t)) => render_status(s, &t),
        },
    }
}
