//! Rewards (奖励, M12, M14): the office allocates a period's bonus pool under a reward rule
//! of the plan (`[[rewards]]`, docs/plan-format.md) to the subjects of the period's
//! published results — units, teams, cadres, staff — by grade or tier, static coefficient
//! and score, or pays fixed amounts per grade; the engine's `rewards::allocate` does the
//! arithmetic exactly and pays in whole fen that add up to the pool. Each allocation is kept
//! with its lines and its working; allocating the same rule and period again replaces it in
//! the lists (the old one stays, and the audit log has both).
//!
//! Who sees what: the office, leaders and auditors every line; a unit's users the lines of
//! their unit and of the people who served in it in the period; a person linked to an
//! account their own lines. Nothing before the period's results are published (an
//! allocation needs them).

use std::collections::{BTreeMap, HashMap};

use yardstick_engine::Dec;
use yardstick_engine::dec::format_cents;
use yardstick_engine::model::SubjectKind;
use yardstick_engine::rewards::{self, Candidate, RewardError, RewardRule, Worth};
use yardstick_formats::{Lang, Msg, Place, Problem};
use yardstick_sheets::report::{Block, Column, Report, Table, Value};
use yardstick_storage::rewards::{Allocation, NewAllocation, NewRewardLine, RewardLine};

use super::*;

fn at(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::invalid(vec![Problem {
        place: Place {
            field: Some(field.into()),
            ..Place::default()
        },
        msg: Msg::new(zh, en),
    }])
}

#[derive(Deserialize)]
pub(crate) struct PeriodPath {
    plan: String,
    period: String,
}

#[derive(Deserialize)]
pub(crate) struct PlanPath {
    plan: String,
}

#[derive(Deserialize, ToSchema)]
pub struct AllocateBody {
    /// The reward rule's key in the plan.
    pub rule: String,
    /// The pool in yuan (`120000`, `98500.50`); default the rule's own. Not for fixed amounts.
    pub pool: Option<String>,
    /// Why (a board decision, a correction republished…), up to 500 characters.
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LineOut {
    pub subject: String,
    pub subject_name: String,
    /// unit, team, cadre, person…
    pub kind: String,
    /// The unit it is, or the unit the person served in at the period's end.
    pub unit: String,
    pub unit_name: String,
    pub category: String,
    pub grade: String,
    pub score: Option<String>,
    /// The grade's factor (pool) or amount (fixed).
    pub worth: String,
    pub coefficient: Option<String>,
    /// Yuan, two decimals.
    pub amount: String,
    /// How the amount was reached.
    pub working: String,
}

#[derive(Serialize, ToSchema)]
pub struct AllocationOut {
    pub id: i64,
    pub period: String,
    pub rule: String,
    pub rule_name: String,
    pub rule_words: String,
    /// The publication's result set it pays for.
    pub set_id: i64,
    /// Yuan; none for fixed amounts.
    pub pool: Option<String>,
    /// Everything it pays, yuan.
    pub total: String,
    pub note: String,
    pub created_ms: i64,
    pub created_by: String,
    /// The lines the caller may see, in result order.
    pub lines: Vec<LineOut>,
}

#[derive(Serialize, ToSchema)]
pub struct Summary {
    /// Units rewarded (distinct) and what they got.
    pub units: usize,
    pub unit_amount: String,
    /// Rewards to people (teams, cadres, staff), counted per line: 人次.
    pub person_times: usize,
    pub persons: usize,
    pub person_amount: String,
    pub total: String,
}

#[derive(Serialize, ToSchema)]
pub struct RewardsOut {
    pub allocations: Vec<AllocationOut>,
    /// Over the lines listed.
    pub summary: Summary,
}

#[derive(Deserialize, IntoParams, Default)]
pub struct RewardsQuery {
    /// One period only (`2026-03`, `2026`).
    pub period: Option<String>,
    /// One unit's lines: the unit and the people who served in it.
    pub unit: Option<String>,
    /// One subject's lines.
    pub subject: Option<String>,
    /// `true`: every allocation made, replaced ones too (the office, auditors).
    pub history: Option<bool>,
}

fn line_out(l: RewardLine, units: &HashMap<String, String>) -> LineOut {
    LineOut {
        unit_name: units.get(&l.unit_key).cloned().unwrap_or_default(),
        subject: l.subject,
        subject_name: l.subject_name,
        kind: l.kind,
        unit: l.unit_key,
        category: l.category,
        grade: l.grade,
        score: l.score,
        worth: l.worth,
        coefficient: l.coefficient,
        amount: format_cents(l.amount_cents),
        working: l.working,
    }
}

fn allocation_out(a: Allocation, lines: Vec<RewardLine>, units: &HashMap<String, String>) -> AllocationOut {
    AllocationOut {
        id: a.id,
        period: a.period,
        rule: a.rule_key,
        rule_name: a.rule_name,
        rule_words: a.rule_words,
        set_id: a.set_id,
        pool: a.pool_cents.map(format_cents),
        total: format_cents(a.total_cents),
        note: a.note,
        created_ms: a.created_ms,
        created_by: a.created_by,
        lines: lines.into_iter().map(|l| line_out(l, units)).collect(),
    }
}

/// The rule in words, as recorded with an allocation.
pub(crate) fn rule_words(r: &RewardRule) -> String {
    let grades: Vec<String> = r
        .grades
        .iter()
        .map(|g| match g.worth {
            Worth::Factor(f) => format!("{} 系数 {f}", g.name),
            Worth::Amount(a) => format!("{} {a} 元", g.name),
        })
        .collect();
    let mut w = format!("{}（{}）：{}", r.name, r.level.name_zh(), grades.join("，"));
    if r.static_coefficient {
        w.push_str("；乘固定系数");
    }
    if r.by_score {
        w.push_str("；乘得分");
    }
    if !r.fixed() {
        w.push_str("；按权重分配奖金池，以分为单位，尾差按最大余数法分配");
    }
    if !r.categories.is_empty() {
        w.push_str(&format!("；类别：{}", r.categories.join("、")));
    }
    w
}

/// Allocates a period's rewards under a rule of the plan (the office). The period's results
/// must be published; the amounts add up to the pool to the fen.
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/rewards", tag = "rewards",
    params(("plan" = String, Path), ("period" = String, Path)), request_body = AllocateBody,
    responses((status = 201, body = AllocationOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn allocate(
    State(st): State<AppState>,
    Caller(a): Caller,
    Params(p): Params<PeriodPath>,
    Body(b): Body<AllocateBody>,
) -> ApiResult<(StatusCode, Json<AllocationOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(make(&st, &a, &p.plan, &p.period, b).await?),
    ))
}

/// Allocates (the API's and the page's call).
pub(crate) async fn make(
    st: &AppState,
    a: &auth::Auth,
    plan: &str,
    period: &str,
    b: AllocateBody,
) -> ApiResult<AllocationOut> {
    authz::require(a, Perm::ManageRewards)?;
    let period = parse_period(period)?;
    plan_exists(st, plan).await?;
    let note = b.note.as_deref().unwrap_or("").trim().to_string();
    if note.chars().count() > 500 {
        return Err(at(
            "note",
            "说明不超过 500 字",
            "the note is at most 500 characters",
        ));
    }
    let cached = st
        .models
        .get(&st.db, plan)
        .await
        .map_err(compute_error)?;
    let model = cached.model.clone();
    let key = b.rule.trim();
    let Some(rule) = model.rewards.iter().find(|r| r.key == key) else {
        let known: Vec<&str> = model.rewards.iter().map(|r| r.key.as_str()).collect();
        return Err(at(
            "rule",
            format!(
                "方案没有奖励规则“{key}”（有：{}）",
                if known.is_empty() {
                    "无".into()
                } else {
                    known.join("、")
                }
            ),
            format!(
                "the plan has no reward rule '{key}' (it has: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ),
        ));
    };
    if rule.level != period.level {
        return Err(at(
            "rule",
            format!(
                "奖励规则“{}”按{}分配，{} 不是{}",
                rule.name,
                rule.level.name_zh(),
                period.label_zh(),
                rule.level.name_zh()
            ),
            format!(
                "the reward rule '{}' pays per {}; {period} is not one",
                rule.key,
                rule.level.key()
            ),
        ));
    }
    let pool = match b.pool.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(_) if rule.fixed() => {
            return Err(at(
                "pool",
                "固定金额的规则不设奖金池",
                "a rule of fixed amounts takes no pool",
            ));
        }
        Some(s) => Some(yardstick_formats::numtext::parse_number(s).map_err(|m| {
            ApiError::invalid(vec![Problem {
                place: Place {
                    field: Some("pool".into()),
                    ..Place::default()
                },
                msg: m,
            }])
        })?),
    };
    let ps = period.to_string();
    let Some(publication) = st.db.current_publication(plan, &ps).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_published",
            format!("{} 的结果尚未公布，不能分配奖励", period.label_zh()),
            format!("the results of {ps} are not published; rewards follow publication"),
        ));
    };
    let rows = st
        .db
        .result_rows(publication.set_id, None, 0, i64::MAX)
        .await?;
    let subjects: HashMap<&str, &yardstick_engine::model::Subject> =
        model.subjects.iter().map(|s| (s.key.as_str(), s)).collect();
    let statics = &model.coefficients.static_levels;
    let scores: Vec<Option<Dec>> = rows
        .iter()
        .map(|r| r.score.as_deref().and_then(|s| Dec::parse(s).ok()))
        .collect();
    let candidates: Vec<Candidate> = rows
        .iter()
        .zip(&scores)
        .map(|(r, score)| Candidate {
            subject: &r.subject,
            category: &r.category,
            grade: r.grade.as_deref(),
            score: *score,
            static_factor: subjects
                .get(r.subject.as_str())
                .and_then(|s| s.static_level)
                .and_then(|l| statics.get(usize::from(l).checked_sub(1)?).copied()),
        })
        .collect();
    let alloc = rewards::allocate(rule, pool, &candidates).map_err(|e| match e {
        RewardError::NoPool => at("pool", "该规则没有设定奖金池，请填写奖金池金额", "the rule sets no pool: give one"),
        RewardError::BadPool => at("pool", "奖金池应为不为负的金额（元，最多两位小数，不超过一千亿）", "the pool is a non-negative amount in yuan with at most two decimals (up to 100 billion)"),
        RewardError::NoStaticFactor(s) => at("rule", format!("“{s}”没有固定系数，不能按固定系数分配"), format!("'{s}' has no static coefficient to allocate by")),
        RewardError::NoScore(s) => at("rule", format!("“{s}”没有得分（直接定等），不能按得分分配"), format!("'{s}' has no score (graded directly) to allocate by")),
        RewardError::NobodyToPay => ApiError::new(StatusCode::CONFLICT, "nobody_to_reward", "没有对象获得该规则所列等次，奖金池无法分配", "no subject has a grade the rule rewards; the pool cannot be paid"),
        RewardError::TooLarge => at("pool", "金额过大", "an amount is too large"),
    })?;
    // Where each person served at the period's end (the unit their reward is listed under).
    let last_month = yardstick_engine::Period::month(period.year, period.last_month()).to_string();
    let people: HashMap<String, yardstick_storage::registry::Person> = st
        .db
        .people(None)
        .await?
        .into_iter()
        .map(|x| (x.key.clone(), x))
        .collect();
    // Postings come by person and first month: the last one begun by then is where they
    // were (or, if it ended, where they last served).
    let mut served: HashMap<String, String> = HashMap::new();
    for x in st.db.all_postings().await?.into_iter().filter(|x| x.from_month <= last_month) {
        served.insert(x.person_key, x.unit_key);
    }
    let lines: Vec<NewRewardLine> = alloc
        .awards
        .iter()
        .map(|w| {
            let r = &rows[w.candidate];
            let s = subjects.get(r.subject.as_str());
            let kind = s.map_or("unit", |s| s.kind.key());
            let unit_key = match s.map(|s| s.kind) {
                Some(SubjectKind::Unit) | None => r.subject.clone(),
                Some(_) => served
                    .get(&r.subject)
                    .cloned()
                    .or_else(|| people.get(&r.subject).map(|x| x.unit_key.clone()))
                    .unwrap_or_default(),
            };
            NewRewardLine {
                subject: r.subject.clone(),
                subject_name: s.map_or_else(|| r.subject.clone(), |s| s.name.clone()),
                kind: kind.into(),
                unit_key,
                category: r.category.clone(),
                grade: rule.grades[w.grade as usize].name.clone(),
                // The published score, whether or not the rule multiplies by it.
                score: r.score.clone(),
                worth: match w.worth {
                    Worth::Factor(f) | Worth::Amount(f) => f.to_string(),
                },
                coefficient: w.static_factor.map(|d| d.to_string()),
                amount_cents: w.cents,
                working: w.working(rule, &alloc),
            }
        })
        .collect();
    let n = NewAllocation {
        plan_key: plan.to_string(),
        period: ps,
        rule_key: rule.key.clone(),
        rule_name: rule.name.clone(),
        rule_words: rule_words(rule),
        set_id: publication.set_id,
        pool_cents: (!rule.fixed()).then_some(alloc.total_cents),
        total_cents: alloc.total_cents,
        note,
        lines,
    };
    let made = st
        .db
        .create_allocation(&n, &a.user.username, now_ms())
        .await?;
    let lines = st.db.reward_lines(made.id, None, None).await?;
    Ok(allocation_out(made, lines, &unit_names(st).await?))
}

/// Which lines the caller may read: `(unit, subject)` filters forced on them, or 403.
async fn reach(
    st: &AppState,
    a: &auth::Auth,
    unit: Option<&str>,
    subject: Option<&str>,
) -> ApiResult<(Option<String>, Option<String>)> {
    match authz::scope(a.user.role, Perm::ReadRewards) {
        Some(Scope::All) => Ok((unit.map(String::from), subject.map(String::from))),
        Some(_) => {
            let own = a.user.unit_key.clone().ok_or_else(ApiError::forbidden)?;
            if unit.is_some_and(|u| u != own) {
                return Err(ApiError::forbidden());
            }
            Ok((Some(own), subject.map(String::from)))
        }
        None => {
            // A person linked to the account reads their own lines.
            let me = st
                .db
                .person_of_user(a.user.user_id)
                .await?
                .ok_or_else(ApiError::forbidden)?;
            if subject.is_some_and(|s| s != me.key) || unit.is_some() {
                return Err(ApiError::forbidden());
            }
            Ok((None, Some(me.key)))
        }
    }
}

pub(crate) async fn listed(
    st: &AppState,
    a: &auth::Auth,
    plan: &str,
    q: &RewardsQuery,
) -> ApiResult<RewardsOut> {
    let (unit, subject) = reach(st, a, q.unit.as_deref(), q.subject.as_deref()).await?;
    plan_exists(st, plan).await?;
    let period = q
        .period
        .as_deref()
        .map(parse_period)
        .transpose()?
        .map(|p| p.to_string());
    let history = q.history.unwrap_or(false);
    if history {
        authz::require(a, Perm::ManageRewards).or_else(|_| authz::require(a, Perm::ReadAudit))?;
    }
    let units = unit_names(st).await?;
    let mut out = Vec::new();
    for al in st.db.allocations(plan, period.as_deref(), !history).await? {
        let lines = st
            .db
            .reward_lines(al.id, unit.as_deref(), subject.as_deref())
            .await?;
        if lines.is_empty() && (unit.is_some() || subject.is_some()) {
            continue;
        }
        out.push(allocation_out(al, lines, &units));
    }
    let summary = summarize(&out);
    Ok(RewardsOut {
        allocations: out,
        summary,
    })
}

async fn unit_names(st: &AppState) -> ApiResult<HashMap<String, String>> {
    Ok(st.db.units(None).await?.into_iter().map(|u| (u.key, u.name)).collect())
}

fn cents_of(s: &str) -> i64 {
    Dec::parse(s).ok().and_then(Dec::to_cents).unwrap_or(0)
}

fn summarize(all: &[AllocationOut]) -> Summary {
    let (mut units, mut persons) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    let (mut unit_cents, mut person_cents, mut times) = (0i64, 0i64, 0usize);
    for l in all.iter().flat_map(|a| a.lines.iter()) {
        let c = cents_of(&l.amount);
        if l.kind == "unit" {
            units.insert(l.subject.as_str());
            unit_cents += c;
        } else {
            persons.insert(l.subject.as_str());
            person_cents += c;
            times += 1;
        }
    }
    Summary {
        units: units.len(),
        unit_amount: format_cents(unit_cents),
        person_times: times,
        persons: persons.len(),
        person_amount: format_cents(person_cents),
        total: format_cents(unit_cents + person_cents),
    }
}

/// The rewards of a plan's periods as the caller may see them: the allocations in force
/// (every one with `history=true`), with their lines, and a summary — units rewarded and
/// person-times (人次).
#[utoipa::path(get, path = "/plans/{plan}/rewards", tag = "rewards",
    params(("plan" = String, Path), RewardsQuery), responses((status = 200, body = RewardsOut), (status = 403), (status = 404)))]
pub(crate) async fn list_rewards(
    State(st): State<AppState>,
    Caller(a): Caller,
    Params(p): Params<PlanPath>,
    Q(q): Q<RewardsQuery>,
) -> ApiResult<Json<RewardsOut>> {
    Ok(Json(listed(&st, &a, &p.plan, &q).await?))
}

/// The rewards as a printable workbook: the list (one row per reward) and the summary per
/// unit (its own rewards, and its people's in person-times), as the caller may see them.
#[utoipa::path(get, path = "/plans/{plan}/rewards.xlsx", tag = "rewards",
    params(("plan" = String, Path), RewardsQuery), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403), (status = 404)))]
pub(crate) async fn rewards_xlsx(
    State(st): State<AppState>,
    Caller(a): Caller,
    L(lang): L,
    Params(p): Params<PlanPath>,
    Q(q): Q<RewardsQuery>,
) -> ApiResult<Response> {
    let plan = plan_exists(&st, &p.plan).await?;
    let out = listed(&st, &a, &p.plan, &q).await?;
    let units: HashMap<String, String> = st
        .db
        .units(None)
        .await?
        .into_iter()
        .map(|u| (u.key, u.name))
        .collect();
    let report = report(&plan.name, q.period.as_deref(), &out, &units);
    let name = match lang {
        Lang::Zh => format!("{}奖励名单.xlsx", plan.name),
        _ => format!("rewards-{}.xlsx", plan.key),
    };
    let ascii = format!(
        "{}-rewards{}.xlsx",
        plan.key,
        q.period
            .as_deref()
            .map(|x| format!("-{x}"))
            .unwrap_or_default()
    );
    exports::xlsx(&st, report, vec![], name, ascii).await
}

fn kind_zh(k: &str) -> &str {
    match k {
        "unit" => "单位",
        "team" => "领导班子",
        "cadre" => "领导干部",
        "person" => "个人",
        "section" => "科室",
        "post" => "岗位",
        "area" => "地区",
        other => other,
    }
}

/// The workbook's content: the list and the per-unit summary.
pub(crate) fn report(
    plan_name: &str,
    period: Option<&str>,
    out: &RewardsOut,
    units: &HashMap<String, String>,
) -> Report {
    let unit_name = |k: &str| units.get(k).cloned().unwrap_or_else(|| k.to_string());
    let mut rows = Vec::new();
    for al in &out.allocations {
        for l in &al.lines {
            rows.push(vec![
                Value::text(al.period.clone()),
                Value::text(al.rule_name.clone()),
                Value::text(unit_name(&l.unit)),
                Value::text(l.subject_name.clone()),
                Value::text(kind_zh(&l.kind)),
                Value::text(l.grade.clone()),
                l.score.clone().map_or(Value::Empty, Value::Number),
                l.coefficient.clone().map_or(Value::Empty, Value::Number),
                Value::Number(l.amount.clone()),
                Value::text(l.working.clone()),
            ]);
        }
    }
    let list = Table {
        name: "奖励名单".into(),
        caption: format!("奖励名单（{} 条）", rows.len()),
        columns: vec![
            Column::text("期间", 10.0),
            Column::text("奖励", 16.0),
            Column::text("单位", 18.0),
            Column::text("对象", 18.0),
            Column::text("类型", 10.0),
            Column::text("等次", 8.0),
            Column::number("得分", 2, 8.0),
            Column::text("系数", 8.0),
            Column::number("金额（元）", 2, 14.0),
            Column::text("计算", 60.0),
        ],
        rows,
        notes: vec!["金额以分为单位；按奖金池分配时尾差按最大余数法分配，合计等于奖金池。".into()],
    };
    // Per unit: its own rewards and its people's (person-times).
    let mut per: BTreeMap<&str, (usize, i64, usize, i64)> = BTreeMap::new();
    for l in out.allocations.iter().flat_map(|a| a.lines.iter()) {
        let e = per.entry(l.unit.as_str()).or_default();
        let c = cents_of(&l.amount);
        if l.kind == "unit" {
            e.0 += 1;
            e.1 += c;
        } else {
            e.2 += 1;
            e.3 += c;
        }
    }
    let summary_rows = per
        .iter()
        .map(|(u, (n, c, m, d))| {
            vec![
                Value::text(unit_name(u)),
                Value::Int(*n as i64),
                Value::Number(format_cents(*c)),
                Value::Int(*m as i64),
                Value::Number(format_cents(*d)),
                Value::Number(format_cents(c + d)),
            ]
        })
        .collect();
    let s = &out.summary;
    let summary = Table {
        name: "按单位汇总".into(),
        caption: format!(
            "获奖单位 {} 个，个人 {} 人次（{} 人），合计 {} 元",
            s.units, s.person_times, s.persons, s.total
        ),
        columns: vec![
            Column::text("单位", 18.0),
            Column::integer("单位获奖次数", 12.0),
            Column::number("单位奖励（元）", 2, 14.0),
            Column::integer("个人获奖人次", 12.0),
            Column::number("个人奖励（元）", 2, 14.0),
            Column::number("合计（元）", 2, 14.0),
        ],
        rows: summary_rows,
        notes: vec![],
    };
    let mut meta = vec![("方案".to_string(), plan_name.to_string())];
    if let Some(p) = period {
        meta.push(("期间".into(), p.to_string()));
    }
    Report {
        title: format!("{plan_name}奖励名单"),
        meta,
        blocks: vec![Block::Table(list), Block::Table(summary)],
        footer: vec![],
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(allocate))
        .routes(routes!(list_rewards))
        .routes(routes!(rewards_xlsx))
}
