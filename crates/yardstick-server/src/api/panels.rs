//! Expert panels (专家评审组, M13, seed 004). The office forms a panel for one indicator of
//! a plan in one period (a month or a quarter, opened as a period) whose method takes one
//! number: its experts, the units they review on site, the ties that exclude an expert from
//! a unit, the highest score, when to drop the highest and the lowest score (`trim_from`)
//! and which spread to flag. Experts score the units of their panels with what they saw,
//! change their scores until the panel is closed, and may declare a tie themselves. Closing
//! fixes each unit's result — the mean of the counted scores, in exact cents, rounded half
//! away from zero —; applying writes the results as the indicator's values through the same
//! checks and the same write as any value.
//!
//! Who sees what: the office and auditors everything; leaders the panels and their results
//! per unit, never an expert's score; an expert their own panels, the units they may score
//! and their own scores; a unit's users nothing of a panel (they see the indicator's points
//! in their published explanation like any other).

use std::collections::{BTreeMap, BTreeSet};

use yardstick_engine::Dec;
use yardstick_engine::dec::format_cents;
use yardstick_formats::{Msg, Place, Problem};
use yardstick_storage::StorageError;
use yardstick_storage::panels::{NewPanel, Panel, PanelState};

use super::*;

// ---------------------------------------------------------------------------
// The pure part: a unit's result from its scores.

/// A unit's outcome: how many scored, which were counted, the mean and the spread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Scores given.
    pub scored: usize,
    /// Scores counted (after dropping the highest and the lowest, if trimmed).
    pub counted: usize,
    pub trimmed: bool,
    /// The mean of the counted scores in cents, half away from zero; `None` when nobody scored.
    pub mean_cents: Option<i64>,
    /// Highest minus lowest of all scores given, in cents.
    pub spread_cents: Option<i64>,
    pub flagged: bool,
    /// The experts whose score was dropped (the lowest first, then the highest).
    pub dropped: Vec<String>,
}

/// `num / den` (both ≥ 0, `den` > 0) rounded half away from zero.
fn div_round(num: i64, den: i64) -> i64 {
    let (num, den) = (i128::from(num), i128::from(den));
    ((2 * num + den) / (2 * den)) as i64
}

/// The outcome of one unit's scores `(expert, cents)`. With at least `trim_from` scores
/// (and at least three), one lowest and one highest are dropped (ties between equal scores
/// broken by the expert's name, which changes no figure). Flagged when the spread exceeds
/// `spread_flag_cents`.
pub fn outcome(scores: &[(String, i64)], trim_from: i64, spread_flag_cents: i64) -> Outcome {
    let mut s: Vec<(i64, &str)> = scores.iter().map(|(e, c)| (*c, e.as_str())).collect();
    s.sort();
    let scored = s.len();
    let spread_cents = (scored > 0).then(|| s[scored - 1].0 - s[0].0);
    let trimmed = scored >= 3 && scored as i64 >= trim_from;
    let mut dropped = Vec::new();
    let counted: &[(i64, &str)] = if trimmed {
        dropped.push(s[0].1.to_string());
        dropped.push(s[scored - 1].1.to_string());
        &s[1..scored - 1]
    } else {
        &s
    };
    let sum: i64 = counted.iter().map(|(c, _)| c).sum();
    Outcome {
        scored,
        counted: counted.len(),
        trimmed,
        mean_cents: (!counted.is_empty()).then(|| div_round(sum, counted.len() as i64)),
        spread_cents,
        flagged: spread_cents.is_some_and(|d| d > spread_flag_cents),
        dropped,
    }
}

/// A score as written: a number from 0 to `max_cents` with at most two decimals, in cents.
fn score_cents(text: &str, max_cents: i64) -> Option<i64> {
    let t = text.trim();
    // Signs are refused: a score is written as a plain number.
    if t.is_empty() || t.starts_with(['+', '-']) {
        return None;
    }
    let c = Dec::parse(t).ok()?.to_cents()?;
    (0..=max_cents).contains(&c).then_some(c)
}

// ---------------------------------------------------------------------------
// Shapes.

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TieSpec {
    /// The expert's user name.
    pub expert: String,
    pub unit: String,
    /// Why the expert stands aside (a former employer, a relative …).
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePanel {
    /// Letters, digits, `-`, `_` (1–64).
    pub key: String,
    pub name: String,
    pub plan: String,
    /// A month (`2026-05`) or quarter (`2026-Q2`) of the plan's year, opened as a period.
    pub period: String,
    /// An indicator of the period's plan version, entered at the period's level, whose
    /// method takes one number (`direct`: the value is the points).
    pub indicator: String,
    /// User names of experts (role `expert`).
    pub experts: Vec<String>,
    /// Units the indicator applies to.
    pub units: Vec<String>,
    #[serde(default)]
    pub ties: Vec<TieSpec>,
    /// The highest score (default: the indicator's weight; the largest over the units'
    /// categories when they differ).
    #[serde(default)]
    pub max_score: Option<String>,
    /// Drop one highest and one lowest score when at least this many experts scored a unit
    /// (default 5; at least 3).
    #[serde(default)]
    pub trim_from: Option<i64>,
    /// Flag a unit when its highest score minus its lowest exceeds this many points.
    pub spread_flag: String,
}

#[derive(Serialize, ToSchema)]
pub struct PanelOut {
    pub key: String,
    pub name: String,
    pub plan: String,
    pub period: String,
    pub indicator: String,
    pub max_score: String,
    pub trim_from: i64,
    pub spread_flag: String,
    /// `open`, `closed` or `applied`.
    pub status: String,
    pub created_ms: i64,
    pub closed_ms: Option<i64>,
    pub applied_ms: Option<i64>,
}

fn panel_out(p: &Panel) -> PanelOut {
    PanelOut {
        key: p.key.clone(),
        name: p.name.clone(),
        plan: p.plan_key.clone(),
        period: p.period.clone(),
        indicator: p.indicator.clone(),
        max_score: p.max_score.clone(),
        trim_from: p.trim_from,
        spread_flag: p.spread_flag.clone(),
        status: p.status.clone(),
        created_ms: p.created_ms,
        closed_ms: p.closed_ms,
        applied_ms: p.applied_ms,
    }
}

#[derive(Clone, Serialize, ToSchema)]
pub struct UnitLine {
    pub unit: String,
    pub name: String,
    /// Scores given so far (the office and leaders; not shown to experts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored: Option<usize>,
    /// Experts tied to the unit (how many).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tied: Option<usize>,
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreOut {
    /// The expert's user name (the office and auditors only; an expert sees only their own).
    pub expert: String,
    pub unit: String,
    pub score: String,
    pub comment: String,
    pub updated_ms: i64,
    /// Once closed: whether this score was counted (false: dropped as the highest or lowest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted: Option<bool>,
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct TieOut {
    pub expert: String,
    pub unit: String,
    pub reason: String,
    pub declared_by: String,
}

/// A unit's result, fixed when the panel closed. It names no expert.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitResult {
    pub unit: String,
    pub name: String,
    pub scored: usize,
    pub counted: usize,
    /// Whether the highest and the lowest score were dropped.
    pub trimmed: bool,
    /// The panel's score: the mean of the counted scores, two decimals; none when missing.
    pub score: Option<String>,
    /// Highest minus lowest score given.
    pub spread: Option<String>,
    pub flagged: bool,
    /// Nobody scored the unit: its value must come from elsewhere.
    pub missing: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PanelResults {
    pub units: Vec<UnitResult>,
    /// Units nobody scored.
    pub missing: Vec<String>,
    /// Units whose spread exceeds the panel's `spread_flag`.
    pub flagged: Vec<String>,
}

/// A panel as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct PanelDetail {
    #[serde(flatten)]
    pub panel: PanelOut,
    /// The indicator's name.
    pub indicator_name: String,
    /// The members (not shown to experts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experts: Option<Vec<String>>,
    /// The units: for an expert, only those they may score.
    pub units: Vec<UnitLine>,
    /// The ties (an expert sees their own).
    pub ties: Vec<TieOut>,
    /// Scores: every expert's (the office, auditors) or the caller's own (an expert); leaders none.
    pub scores: Vec<ScoreOut>,
    /// The result per unit once closed (the office, leaders, auditors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<PanelResults>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    pub unit: String,
    /// From 0 to the panel's `max_score`, at most two decimals.
    pub score: String,
    /// What the expert saw on site (required, up to 2000 characters).
    pub comment: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TieBody {
    pub unit: String,
    pub reason: String,
    /// The expert (the office names one; an expert declares their own and may leave it out).
    #[serde(default)]
    pub expert: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Applied {
    /// Units whose value was written.
    pub units: usize,
    /// Values that changed.
    pub changed: usize,
    /// Units with no score, not written (their value must come from elsewhere).
    pub missing: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct KeyPath {
    key: String,
}

// ---------------------------------------------------------------------------
// Helpers.

fn at(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { place: Place { field: Some(field.into()), ..Place::default() }, msg: Msg::new(zh, en) }
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

async fn find(st: &AppState, key: &str) -> ApiResult<PanelState> {
    st.db.panel_state(key).await?.ok_or_else(|| ApiError::not_found(format!("评审组“{key}”不存在"), format!("the expert panel '{key}' does not exist")))
}

fn not_member() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "not_member", "您不是该评审组的成员", "you are not a member of this panel")
}

fn closed(p: &Panel) -> ApiError {
    yardstick_storage::panels::not_open(p).into()
}

fn cents_of(p: &Panel, what: &str, text: &str) -> ApiResult<i64> {
    Dec::parse(text).ok().and_then(Dec::to_cents).ok_or_else(|| ApiError::internal(format!("panel '{}': stored {what} '{text}'", p.key)))
}

/// The indicator of the panel's period, if it takes one number: its input field, and its
/// largest weight over the units' categories (the default highest score).
struct Target {
    field: String,
    weight: Dec,
}

/// Checks the indicator and units against the plan version in force for the period.
async fn target(st: &AppState, plan: &str, period: Period, indicator: &str, units: &[String], problems: &mut Vec<Problem>) -> ApiResult<Option<Target>> {
    let cached = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    let m = &cached.model;
    let v = m.version_for(period);
    let ver = &m.versions[v as usize];
    let Some(i) = ver.indicators.iter().position(|x| x.key == indicator) else {
        problems.push(at("indicator", format!("{period} 适用的方案版本中没有指标“{indicator}”"), format!("the plan version in force in {period} has no indicator '{indicator}'")));
        return Ok(None);
    };
    let ind = &ver.indicators[i];
    let fields = ind.method.fields();
    if fields.len() != 1 || ind.method.text_labels(&[]).is_some() || ind.method.is_event() {
        problems.push(at(
            "indicator",
            format!("指标“{}”的计分方法（{}）不是以一个分数为输入，不能由专家评审组评分", ind.name, ind.method.key()),
            format!("the method of '{}' ({}) does not take one number; an expert panel cannot score it", ind.name, ind.method.key()),
        ));
        return Ok(None);
    }
    if ind.level != period.level {
        problems.push(at(
            "period",
            format!("指标“{}”按{}填报，期间 {period} 不符", ind.name, ind.level.name_zh()),
            format!("'{}' is entered per {}, not in {period}", ind.name, ind.level.key()),
        ));
        return Ok(None);
    }
    let mut weight = ind.weight;
    for (n, u) in units.iter().enumerate() {
        let applies = m.subject_index(u).is_some_and(|s| m.applies(v, i as u32, s, period));
        match m.subject_index(u) {
            None => problems.push(at(format!("units[{n}]"), format!("单位“{u}”不存在"), format!("the unit '{u}' does not exist"))),
            Some(_) if !applies => problems.push(at(
                format!("units[{n}]"),
                format!("指标“{}”不适用于单位“{u}”", ind.name),
                format!("'{}' does not apply to the unit '{u}'", ind.name),
            )),
            Some(s) => {
                if let Some(c) = m.subjects[s as usize].category {
                    let w = ind.weight_for(c);
                    if w.as_fraction().0 * weight.as_fraction().1 > weight.as_fraction().0 * w.as_fraction().1 {
                        weight = w;
                    }
                }
            }
        }
    }
    Ok(Some(Target { field: fields[0].clone(), weight }))
}

/// The indicator's name for display (the key when the plan no longer has it).
async fn indicator_name(st: &AppState, p: &Panel) -> String {
    let Ok(cached) = st.models.get(&st.db, &p.plan_key).await else { return p.indicator.clone() };
    let Some(period) = Period::parse(&p.period) else { return p.indicator.clone() };
    let ver = &cached.model.versions[cached.model.version_for(period) as usize];
    ver.indicators.iter().find(|i| i.key == p.indicator).map_or_else(|| p.indicator.clone(), |i| i.name.clone())
}

async fn unit_names(st: &AppState) -> ApiResult<BTreeMap<String, String>> {
    Ok(st.db.units(None).await?.into_iter().map(|u| (u.key, u.name)).collect())
}

// ---------------------------------------------------------------------------
// Operations (shared with the pages).

pub(crate) async fn list(st: &AppState, a: &auth::Auth) -> ApiResult<Vec<PanelOut>> {
    let panels = if authz::scope(a.user.role, Perm::ReadPanels).is_some() {
        st.db.panels().await?
    } else {
        authz::require(a, Perm::ScoreAsExpert)?;
        st.db.panels_of(&a.user.username).await?
    };
    Ok(panels.iter().map(panel_out).collect())
}

/// The panels: every one (the office, leaders, auditors) or the caller's own (an expert).
#[utoipa::path(get, path = "/panels", tag = "panels", responses((status = 200, body = Vec<PanelOut>), (status = 403)))]
async fn list_panels(State(st): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<PanelOut>>> {
    Ok(Json(list(&st, &a).await?))
}

pub(crate) async fn create(st: &AppState, a: &auth::Auth, b: CreatePanel) -> ApiResult<PanelOut> {
    authz::require(a, Perm::ManageExpertPanels)?;
    let mut p = Vec::new();
    let key = b.key.trim().to_string();
    let name = b.name.trim().to_string();
    if !is_key(&key) {
        p.push(at("key", "编号只能用字母、数字、- 和 _（1–64 个）", "the key takes letters, digits, - and _ (1–64)"));
    }
    if name.is_empty() || name.chars().count() > 100 {
        p.push(at("name", "请填写评审组名称（不超过 100 字）", "give the panel a name (up to 100 characters)"));
    }
    let plan = st.db.plan(&b.plan).await?;
    if plan.is_none() {
        p.push(at("plan", format!("方案“{}”不存在", b.plan), format!("the plan '{}' does not exist", b.plan)));
    }
    let period = Period::parse(b.period.trim());
    match (&plan, period) {
        (_, None) => p.push(at("period", format!("期间“{}”无效（例：2026-05、2026-Q2）", b.period), format!("the period '{}' is not valid (e.g. 2026-05, 2026-Q2)", b.period))),
        (_, Some(x)) if !matches!(x.level, yardstick_engine::Level::Month | yardstick_engine::Level::Quarter) => {
            p.push(at("period", "评审期间应为月或季度", "a panel's period is a month or a quarter"));
        }
        (Some(pl), Some(x)) if i64::from(x.year) != pl.year => p.push(at("period", format!("期间 {x} 不在方案年度 {} 内", pl.year), format!("the period {x} is outside the plan year {}", pl.year))),
        (Some(pl), Some(x)) if !st.db.periods(&pl.key).await?.iter().any(|r| r.period == x.to_string()) => {
            p.push(at("period", format!("期间 {x} 尚未开启"), format!("the period {x} has not been opened")));
        }
        _ => {}
    }
    // Experts: users with the role `expert`, each once.
    let users: BTreeMap<String, Role> = st.db.users().await?.into_iter().filter(|u| !u.disabled).map(|u| (u.username, u.role)).collect();
    if b.experts.is_empty() || b.experts.len() > 50 {
        p.push(at("experts", "评审专家应有 1–50 名", "name 1 to 50 experts"));
    }
    let mut seen = BTreeSet::new();
    for (i, e) in b.experts.iter().enumerate() {
        match users.get(e) {
            _ if !seen.insert(e.as_str()) => p.push(at(format!("experts[{i}]"), format!("专家“{e}”重复"), format!("the expert '{e}' is listed twice"))),
            Some(Role::Expert) => {}
            Some(_) => p.push(at(format!("experts[{i}]"), format!("用户“{e}”不是评审专家"), format!("the user '{e}' does not have the expert role"))),
            None => p.push(at(format!("experts[{i}]"), format!("用户“{e}”不存在或已停用"), format!("the user '{e}' does not exist or is disabled"))),
        }
    }
    if b.units.is_empty() || b.units.len() > 500 {
        p.push(at("units", "评审单位应有 1–500 个", "name 1 to 500 units"));
    }
    let mut seen_units = BTreeSet::new();
    for (i, u) in b.units.iter().enumerate() {
        if !seen_units.insert(u.as_str()) {
            p.push(at(format!("units[{i}]"), format!("单位“{u}”重复"), format!("the unit '{u}' is listed twice")));
        }
    }
    let t = match (&plan, period) {
        (Some(pl), Some(x)) => target(st, &pl.key, x, &b.indicator, &b.units, &mut p).await?,
        _ => None,
    };
    let mut tie_seen = BTreeSet::new();
    for (i, t) in b.ties.iter().enumerate() {
        if !seen.contains(t.expert.as_str()) {
            p.push(at(format!("ties[{i}].expert"), format!("“{}”不是本评审组的专家", t.expert), format!("'{}' is not one of the panel's experts", t.expert)));
        }
        if !seen_units.contains(t.unit.as_str()) {
            p.push(at(format!("ties[{i}].unit"), format!("单位“{}”不在评审单位中", t.unit), format!("the unit '{}' is not one of the panel's units", t.unit)));
        }
        if t.reason.trim().is_empty() || t.reason.chars().count() > 500 {
            p.push(at(format!("ties[{i}].reason"), "请写明回避原因（不超过 500 字）", "give the reason for the tie (up to 500 characters)"));
        }
        if !tie_seen.insert((t.expert.as_str(), t.unit.as_str())) {
            p.push(at(format!("ties[{i}]"), "回避关系重复", "the tie is listed twice"));
        }
    }
    let max = match (&b.max_score, &t) {
        (Some(m), _) => match Dec::parse(m.trim()).ok().and_then(Dec::to_cents) {
            Some(c) if c > 0 && c <= 1_000_00 => Some(c),
            _ => {
                p.push(at("max_score", format!("最高分“{m}”无效（大于 0，最多两位小数）"), format!("the highest score '{m}' is not valid (above 0, at most two decimals)")));
                None
            }
        },
        (None, Some(t)) => match t.weight.to_cents() {
            Some(c) if c > 0 => Some(c),
            _ => {
                p.push(at("max_score", "指标没有分值，请填写最高分", "the indicator has no weight: give the highest score"));
                None
            }
        },
        (None, None) => None,
    };
    let trim_from = b.trim_from.unwrap_or(5);
    if !(3..=100).contains(&trim_from) {
        p.push(at("trim_from", "去掉最高分和最低分的人数下限应为 3–100", "trim_from is 3 to 100"));
    }
    let spread = match Dec::parse(b.spread_flag.trim()).ok().and_then(Dec::to_cents) {
        Some(c) if c >= 0 => Some(c),
        _ => {
            p.push(at("spread_flag", format!("分差预警值“{}”无效（不小于 0，最多两位小数）", b.spread_flag), format!("the spread to flag '{}' is not valid (0 or more, at most two decimals)", b.spread_flag)));
            None
        }
    };
    if !p.is_empty() {
        return Err(ApiError::invalid(p));
    }
    let (Some(t), Some(max), Some(spread), Some(period)) = (t, max, spread, period) else { return Err(ApiError::internal("panel checks")) };
    let n = NewPanel {
        key,
        name,
        plan_key: b.plan.clone(),
        period: period.to_string(),
        indicator: b.indicator.clone(),
        field: t.field,
        max_score: format_cents(max),
        trim_from,
        spread_flag: format_cents(spread),
        members: b.experts.clone(),
        units: b.units.clone(),
        ties: b.ties.iter().map(|t| (t.expert.clone(), t.unit.clone(), t.reason.trim().to_string())).collect(),
    };
    let panel = st.db.create_panel(&n, &a.user.username, now_ms()).await?;
    Ok(panel_out(&panel))
}

/// Forms a panel (the office). Every problem is reported at once, each naming its field.
#[utoipa::path(post, path = "/panels", tag = "panels", request_body = CreatePanel,
    responses((status = 201, body = PanelOut), (status = 403), (status = 409), (status = 422)))]
async fn create_panel(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<CreatePanel>) -> ApiResult<(StatusCode, Json<PanelOut>)> {
    Ok((StatusCode::CREATED, Json(create(&st, &a, b).await?)))
}

/// The result per unit of a panel's scores (pure).
pub fn results_of(s: &PanelState, names: &BTreeMap<String, String>) -> Result<(PanelResults, BTreeMap<(String, String), bool>), String> {
    let p = &s.panel;
    let flag = Dec::parse(&p.spread_flag).ok().and_then(Dec::to_cents).ok_or_else(|| format!("panel '{}': spread_flag '{}'", p.key, p.spread_flag))?;
    let mut units = Vec::new();
    let mut counted = BTreeMap::new();
    for u in &s.units {
        let mut scores = Vec::new();
        for x in s.scores.iter().filter(|x| &x.unit_key == u) {
            let c = Dec::parse(&x.score).ok().and_then(Dec::to_cents).ok_or_else(|| format!("panel '{}': stored score '{}'", p.key, x.score))?;
            scores.push((x.username.clone(), c));
        }
        let o = outcome(&scores, p.trim_from, flag);
        for (e, _) in &scores {
            counted.insert((e.clone(), u.clone()), !o.dropped.contains(e));
        }
        units.push(UnitResult {
            unit: u.clone(),
            name: names.get(u).cloned().unwrap_or_else(|| u.clone()),
            scored: o.scored,
            counted: o.counted,
            trimmed: o.trimmed,
            score: o.mean_cents.map(format_cents),
            spread: o.spread_cents.map(format_cents),
            flagged: o.flagged,
            missing: o.scored == 0,
        });
    }
    let missing = units.iter().filter(|u| u.missing).map(|u| u.unit.clone()).collect();
    let flagged = units.iter().filter(|u| u.flagged).map(|u| u.unit.clone()).collect();
    Ok((PanelResults { units, missing, flagged }, counted))
}

fn stored_results(p: &Panel) -> ApiResult<Option<PanelResults>> {
    p.results_json.as_deref().map(|j| serde_json::from_str(j).map_err(|e| ApiError::internal(format!("panel '{}': results: {e}", p.key)))).transpose()
}

pub(crate) async fn detail(st: &AppState, a: &auth::Auth, key: &str) -> ApiResult<PanelDetail> {
    let reader = authz::scope(a.user.role, Perm::ReadPanels).is_some();
    if !reader {
        authz::require(a, Perm::ScoreAsExpert)?;
    }
    let s = find(st, key).await?;
    let me = a.user.username.as_str();
    if !reader && !s.members.iter().any(|m| m == me) {
        return Err(not_member());
    }
    let names = unit_names(st).await?;
    let all_scores = authz::scope(a.user.role, Perm::ReadPanelScores).is_some();
    let counted = if s.panel.status == "open" { None } else { results_of(&s, &names).map_err(ApiError::internal).map(|(_, c)| Some(c))? };
    let score_out = |x: &yardstick_storage::panels::PanelScore| ScoreOut {
        expert: x.username.clone(),
        unit: x.unit_key.clone(),
        score: x.score.clone(),
        comment: x.comment.clone(),
        updated_ms: x.updated_ms,
        counted: counted.as_ref().and_then(|c| c.get(&(x.username.clone(), x.unit_key.clone())).copied()),
    };
    let tie_out = |t: &yardstick_storage::panels::Tie| TieOut { expert: t.username.clone(), unit: t.unit_key.clone(), reason: t.reason.clone(), declared_by: t.declared_by.clone() };
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_string());
    let out = if reader {
        PanelDetail {
            panel: panel_out(&s.panel),
            indicator_name: indicator_name(st, &s.panel).await,
            experts: Some(s.members.clone()),
            units: s
                .units
                .iter()
                .map(|u| UnitLine {
                    unit: u.clone(),
                    name: name(u),
                    scored: Some(s.scores.iter().filter(|x| &x.unit_key == u).count()),
                    tied: Some(s.ties.iter().filter(|t| &t.unit_key == u).count()),
                })
                .collect(),
            ties: s.ties.iter().map(tie_out).collect(),
            scores: if all_scores { s.scores.iter().map(score_out).collect() } else { Vec::new() },
            results: stored_results(&s.panel)?,
        }
    } else {
        // An expert: the units they may score, their own ties and scores, nothing of the others.
        let tied: BTreeSet<&str> = s.ties.iter().filter(|t| t.username == me).map(|t| t.unit_key.as_str()).collect();
        PanelDetail {
            panel: panel_out(&s.panel),
            indicator_name: indicator_name(st, &s.panel).await,
            experts: None,
            units: s.units.iter().filter(|u| !tied.contains(u.as_str())).map(|u| UnitLine { unit: u.clone(), name: name(u), scored: None, tied: None }).collect(),
            ties: s.ties.iter().filter(|t| t.username == me).map(tie_out).collect(),
            scores: s.scores.iter().filter(|x| x.username == me).map(|x| ScoreOut { counted: None, ..score_out(x) }).collect(),
            results: None,
        }
    };
    Ok(out)
}

/// A panel as the caller may see it: the office and auditors everything; leaders the
/// definition, progress and results, no expert's score; a member expert the units they may
/// score and their own scores and ties.
#[utoipa::path(get, path = "/panels/{key}", tag = "panels", params(("key" = String, Path)),
    responses((status = 200, body = PanelDetail), (status = 403), (status = 404)))]
async fn get_panel(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>) -> ApiResult<Json<PanelDetail>> {
    Ok(Json(detail(&st, &a, &p.key).await?))
}

pub(crate) async fn score(st: &AppState, a: &auth::Auth, key: &str, b: &ScoreBody) -> ApiResult<()> {
    authz::require(a, Perm::ScoreAsExpert)?;
    let s = find(st, key).await?;
    let me = a.user.username.as_str();
    if !s.members.iter().any(|m| m == me) {
        return Err(not_member());
    }
    if s.panel.status != "open" {
        return Err(closed(&s.panel));
    }
    if !s.units.iter().any(|u| u == &b.unit) {
        return Err(ApiError::invalid(vec![at("unit", format!("单位“{}”不在本评审组的评审单位中", b.unit), format!("the unit '{}' is not reviewed by this panel", b.unit))]));
    }
    if s.ties.iter().any(|t| t.username == me && t.unit_key == b.unit) {
        return Err(StorageError::Refused {
            code: "expert_tied",
            zh: format!("您与单位 {} 存在关联（回避），不能为其评分（评审组“{}”）", b.unit, s.panel.name),
            en: format!("you have a tie with the unit {} and must stand aside: you cannot score it (panel '{}')", b.unit, s.panel.name),
        }
        .into());
    }
    let max = cents_of(&s.panel, "max_score", &s.panel.max_score)?;
    let mut p = Vec::new();
    let cents = score_cents(&b.score, max);
    if cents.is_none() {
        p.push(at("score", format!("评分“{}”无效：应为 0 至 {} 之间的数，最多两位小数", b.score, s.panel.max_score), format!("the score '{}' is not valid: a number from 0 to {} with at most two decimals", b.score, s.panel.max_score)));
    }
    let comment = b.comment.trim();
    if comment.is_empty() || comment.chars().count() > 2000 {
        p.push(at("comment", "请写明现场察看的情况（不超过 2000 字）", "say what you saw on site (up to 2000 characters)"));
    }
    if !p.is_empty() {
        return Err(ApiError::invalid(p));
    }
    let text = format_cents(cents.unwrap_or_default());
    st.db.put_panel_score(key, me, &b.unit, &text, comment, now_ms()).await?;
    Ok(())
}

/// Scores a unit (an expert of the panel), or changes the score, while the panel is open.
#[utoipa::path(post, path = "/panels/{key}/scores", tag = "panels", params(("key" = String, Path)), request_body = ScoreBody,
    responses((status = 204), (status = 403, description = "not a member"), (status = 404), (status = 409, description = "tied to the unit, or the panel is closed"), (status = 422)))]
async fn put_score(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>, Body(b): Body<ScoreBody>) -> ApiResult<StatusCode> {
    score(&st, &a, &p.key, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn tie(st: &AppState, a: &auth::Auth, key: &str, b: &TieBody) -> ApiResult<()> {
    let office = authz::scope(a.user.role, Perm::ManageExpertPanels).is_some();
    if !office {
        authz::require(a, Perm::ScoreAsExpert)?;
    }
    let s = find(st, key).await?;
    let expert = if office {
        match &b.expert {
            Some(e) => e.clone(),
            None => return Err(ApiError::invalid(vec![at("expert", "请指明回避的专家", "name the expert who stands aside")])),
        }
    } else {
        if b.expert.as_deref().is_some_and(|e| e != a.user.username) {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "专家只能申报本人的回避关系", "an expert declares only their own ties"));
        }
        a.user.username.clone()
    };
    if !s.members.iter().any(|m| m == &expert) {
        return Err(if office {
            ApiError::invalid(vec![at("expert", format!("“{expert}”不是本评审组的专家"), format!("'{expert}' is not one of the panel's experts"))])
        } else {
            not_member()
        });
    }
    if s.panel.status != "open" {
        return Err(closed(&s.panel));
    }
    let mut p = Vec::new();
    if !s.units.iter().any(|u| u == &b.unit) {
        p.push(at("unit", format!("单位“{}”不在本评审组的评审单位中", b.unit), format!("the unit '{}' is not reviewed by this panel", b.unit)));
    }
    let reason = b.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        p.push(at("reason", "请写明回避原因（不超过 500 字）", "give the reason for the tie (up to 500 characters)"));
    }
    if !p.is_empty() {
        return Err(ApiError::invalid(p));
    }
    if s.ties.iter().any(|t| t.username == expert && t.unit_key == b.unit) {
        return Err(ApiError::new(StatusCode::CONFLICT, "tie_exists", "该回避关系已经登记", "this tie is already recorded"));
    }
    st.db.declare_tie(key, &expert, &b.unit, reason, &a.user.username, now_ms()).await?;
    Ok(())
}

/// Records a tie between an expert and a unit (the office names the expert; an expert
/// declares their own): the expert no longer scores the unit, and a score already given is
/// withdrawn.
#[utoipa::path(post, path = "/panels/{key}/ties", tag = "panels", params(("key" = String, Path)), request_body = TieBody,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn add_tie(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>, Body(b): Body<TieBody>) -> ApiResult<StatusCode> {
    tie(&st, &a, &p.key, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn close(st: &AppState, a: &auth::Auth, key: &str) -> ApiResult<PanelResults> {
    authz::require(a, Perm::ManageExpertPanels)?;
    find(st, key).await?;
    let names = unit_names(st).await?;
    let p = st
        .db
        .close_panel(key, &a.user.username, now_ms(), |s| {
            let (r, _) = results_of(s, &names).map_err(StorageError::Corrupt)?;
            serde_json::to_value(&r).map_err(|e| StorageError::Corrupt(e.to_string()))
        })
        .await?;
    stored_results(&p)?.ok_or_else(|| ApiError::internal("a closed panel without results"))
}

/// Closes a panel (the office): no score changes after this; each unit's result is fixed.
#[utoipa::path(post, path = "/panels/{key}/close", tag = "panels", params(("key" = String, Path)),
    responses((status = 200, body = PanelResults), (status = 403), (status = 404), (status = 409)))]
async fn close_panel(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>) -> ApiResult<Json<PanelResults>> {
    Ok(Json(close(&st, &a, &p.key).await?))
}

pub(crate) async fn apply(st: &AppState, a: &auth::Auth, key: &str) -> ApiResult<Applied> {
    authz::require(a, Perm::ManageExpertPanels)?;
    let s = find(st, key).await?;
    let p = &s.panel;
    match p.status.as_str() {
        "open" => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "panel_not_closed",
                format!("评审组“{}”尚未结束评分，不能应用结果", p.name),
                format!("the panel '{}' is not closed yet; its results cannot be applied", p.name),
            ));
        }
        "applied" => {
            return Err(ApiError::new(StatusCode::CONFLICT, "panel_applied", format!("评审组“{}”的结果已经应用", p.name), format!("the results of the panel '{}' have already been applied", p.name)));
        }
        _ => {}
    }
    let results = stored_results(p)?.ok_or_else(|| ApiError::internal("a closed panel without results"))?;
    open_for_data(st, &p.plan_key, &p.period).await?;
    let period = parse_period(&p.period)?;
    let values: Vec<(String, String)> = results.units.iter().filter_map(|u| u.score.clone().map(|s| (u.unit.clone(), s))).collect();
    // The same check as every value write: the plan's loader, one unit at a time.
    for (unit, value) in &values {
        let item = ValueItem { indicator: p.indicator.clone(), field: p.field.clone(), value: value.clone() };
        check_values(st, &p.plan_key, period, unit, std::slice::from_ref(&item), None).await?;
    }
    let changed = st.db.apply_panel(key, &values, &a.user.username, now_ms()).await?;
    Ok(Applied { units: values.len(), changed, missing: results.missing })
}

/// Applies a closed panel's results (the office): each scored unit's result is written as
/// the indicator's value for the period, checked and written like any value (the period
/// open, the unit's data not locked by a submission), all or nothing, audited.
#[utoipa::path(post, path = "/panels/{key}/apply", tag = "panels", params(("key" = String, Path)),
    responses((status = 200, body = Applied), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn apply_panel(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>) -> ApiResult<Json<Applied>> {
    Ok(Json(apply(&st, &a, &p.key).await?))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_panels, create_panel))
        .routes(routes!(get_panel))
        .routes(routes!(put_score))
        .routes(routes!(add_tie))
        .routes(routes!(close_panel))
        .routes(routes!(apply_panel))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[(&str, i64)]) -> Vec<(String, i64)> {
        v.iter().map(|(e, c)| (e.to_string(), *c)).collect()
    }

    #[test]
    fn trims_at_the_threshold_and_rounds_half_away_from_zero() {
        // 5.50 6.00 7.00 8.00 9.50 10.00: drop 5.50 and 10.00, mean 30.50 / 4 = 7.625 → 7.63.
        let o = outcome(&s(&[("a", 600), ("b", 950), ("c", 700), ("d", 800), ("e", 550), ("f", 1000)]), 5, 300);
        assert_eq!((o.scored, o.counted, o.trimmed, o.mean_cents, o.spread_cents, o.flagged), (6, 4, true, Some(763), Some(450), true));
        assert_eq!(o.dropped, ["e", "f"]);
        // Four scores under a threshold of five: all counted.
        let o = outcome(&s(&[("a", 700), ("b", 800), ("c", 802)]), 5, 300);
        assert_eq!((o.counted, o.trimmed, o.mean_cents, o.flagged), (3, false, Some(767), false));
        // A spread equal to the flag is not flagged.
        assert!(!outcome(&s(&[("a", 700), ("b", 1000)]), 5, 300).flagged);
        let o = outcome(&[], 5, 300);
        assert_eq!((o.mean_cents, o.spread_cents, o.flagged), (None, None, false));
    }

    #[test]
    fn scores_are_numbers_within_range_with_two_decimals() {
        assert_eq!(score_cents("8.55", 1000), Some(855));
        assert_eq!(score_cents(" 10 ", 1000), Some(1000));
        assert_eq!(score_cents("0", 1000), Some(0));
        for bad in ["10.01", "-1", "-0", "8.555", "abc", "", "+5", "1e1"] {
            assert_eq!(score_cents(bad, 1000), None, "{bad}");
        }
    }
}
