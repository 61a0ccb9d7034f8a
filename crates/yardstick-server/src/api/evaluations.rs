//! Democratic evaluations (民主测评, M12). The office defines an evaluation — who is
//! evaluated, rater groups with their weights, the answers (grades) with their values,
//! the ballot rules and the flag thresholds — issues one-time codes per rater group (printed
//! as QR codes), opens it, enters paper ballots, and closes it; only then are the results
//! visible. Raters vote with their code alone, signed in or not.
//!
//! Scoring is the engine's: the closed evaluation is written as a one-indicator plan using
//! the `ballots` method (weight 100; an answer worth 80 points is a share of 80 %), its
//! tally (`yardstick_engine::ballot`: void ballots, trimmed panels) as that indicator's
//! data, and scored with `compute::score_rows`, so Example F of DOMAIN.md gives its figures
//! here as in the plan files, with the same explanation.

use std::collections::{BTreeMap, HashSet};

use yardstick_engine::Dec;
use yardstick_engine::ballot::{self, Ballot, BallotRules, Void};
use yardstick_formats::{Msg, Place, Problem};
use yardstick_storage::evaluations::{CodeCount, Evaluation, StoredBallot};
use yardstick_storage::values::{ValueInput, ValueRow};

use super::*;
use crate::auth::MaybeCaller;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectSpec {
    /// A person's or team's key (letters, digits, `-`, `_`).
    pub key: String,
    pub name: String,
    /// Their unit or post, shown on the ballot beside the name.
    #[serde(default)]
    pub post: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// The rater group (分管领导, 干部职工, 考核组 …).
    pub name: String,
    /// Its weight: `0.4` or `40%`; the weights add up to 1.
    pub share: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    /// The answer (优秀, 称职, 基本称职, 不称职 …).
    pub name: String,
    /// Its value in points of 100 (优秀 `100`, 称职 `80` …).
    pub value: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagSpec {
    /// The answers counted (e.g. `["不称职"]`).
    pub answers: Vec<String>,
    /// `above` or `below` the share.
    pub when: String,
    /// A share of all valid answers: `1/3`, `2/3`, `0.5` or `30%`.
    pub share: String,
    pub message: String,
    /// A grade the flag forces when the evaluation is applied to a plan (不称职 votes above
    /// one third → 不称职): written as the subject's `assigned_grade`. Free text here; it is
    /// checked against the plan's grades when applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaxSpec {
    pub answer: String,
    pub max: u32,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesSpec {
    /// A ballot giving an answer to more subjects than allowed is outside the rules.
    #[serde(default)]
    pub max_per_ballot: Vec<MaxSpec>,
    /// A ballot giving one answer to every subject is outside the rules when it grades at
    /// least this many subjects.
    #[serde(default)]
    pub uniform_void_min: Option<u32>,
    /// With more than this many valid answers for a subject in a group, the highest and the
    /// lowest are dropped (usually 5).
    #[serde(default)]
    pub trim_over: Option<u32>,
}

/// What an evaluation is: who, by whom, with which answers and rules.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSpec {
    pub subjects: Vec<SubjectSpec>,
    pub groups: Vec<GroupSpec>,
    pub answers: Vec<AnswerSpec>,
    /// Answers left out of the base (弃权, 不了解).
    #[serde(default)]
    pub excluded: Vec<String>,
    #[serde(default)]
    pub flags: Vec<FlagSpec>,
    #[serde(default)]
    pub rules: RulesSpec,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvaluation {
    pub key: String,
    pub name: String,
    pub year: i64,
    #[serde(flatten)]
    pub spec: EvaluationSpec,
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationOut {
    pub key: String,
    pub name: String,
    pub year: i64,
    /// `draft`, `open` or `closed`.
    pub status: String,
    /// Ballots cast so far (phone and paper).
    pub ballots: i64,
    pub subjects: usize,
    pub created_ms: i64,
    pub opened_ms: Option<i64>,
    pub closed_ms: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationDetail {
    #[serde(flatten)]
    pub evaluation: EvaluationOut,
    pub spec: EvaluationSpec,
    /// Codes issued and used per rater group.
    #[schema(value_type = Vec<Object>)]
    pub codes: Vec<CodeCount>,
}

fn out(e: &Evaluation, spec: &EvaluationSpec) -> EvaluationOut {
    EvaluationOut {
        key: e.key.clone(),
        name: e.name.clone(),
        year: e.year,
        status: e.status.clone(),
        ballots: e.ballots,
        subjects: spec.subjects.len(),
        created_ms: e.created_ms,
        opened_ms: e.opened_ms,
        closed_ms: e.closed_ms,
    }
}

fn spec_of(e: &Evaluation) -> ApiResult<EvaluationSpec> {
    serde_json::from_str(&e.config_json).map_err(|err| ApiError::internal(format!("evaluation '{}': {err}", e.key)))
}

fn at(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem { place: Place { field: Some(field.into()), ..Place::default() }, msg: Msg::new(zh, en) }
}

/// A name the plan language takes as a group or answer name.
fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_alphabetic() || c == '_') && c.all(|c| c.is_alphanumeric() || c == '_')
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A number as people write it, percentages allowed.
fn number(s: &str) -> Option<Dec> {
    let t = s.trim();
    match t.strip_suffix('%') {
        Some(p) => Dec::parse(p.trim()).ok().map(|d| Dec::new(d.mantissa(), d.scale() + 2)),
        None => Dec::parse(t).ok(),
    }
}

/// Every problem of a definition, each naming its field.
fn check_spec(key: &str, name: &str, year: i64, s: &EvaluationSpec) -> Vec<Problem> {
    let mut p = Vec::new();
    if !is_key(key) {
        p.push(at("key", "编号只能用字母、数字、- 和 _（1–64 个）", "the key takes letters, digits, - and _ (1–64)"));
    }
    if name.trim().is_empty() || name.chars().count() > 100 {
        p.push(at("name", "请填写测评名称（不超过 100 字）", "give the evaluation a name (up to 100 characters)"));
    }
    if !(2000..=2100).contains(&year) {
        p.push(at("year", format!("年度 {year} 无效"), format!("the year {year} is not valid")));
    }
    if s.subjects.is_empty() || s.subjects.len() > 300 {
        p.push(at("subjects", "被测评对象应有 1–300 个", "list 1 to 300 subjects"));
    }
    let mut seen = HashSet::new();
    for (i, x) in s.subjects.iter().enumerate() {
        if !is_key(&x.key) {
            p.push(at(format!("subjects[{i}].key"), format!("编号“{}”无效（字母、数字、- 和 _）", x.key), format!("the key '{}' is not valid (letters, digits, - and _)", x.key)));
        } else if !seen.insert(x.key.as_str()) {
            p.push(at(format!("subjects[{i}].key"), format!("被测评对象“{}”重复", x.key), format!("the subject '{}' is listed twice", x.key)));
        }
        if x.name.trim().is_empty() || x.name.chars().count() > 50 {
            p.push(at(format!("subjects[{i}].name"), "请填写姓名（不超过 50 字）", "give a name (up to 50 characters)"));
        }
    }
    let names = |list: Vec<&str>, field: &str, p: &mut Vec<Problem>| {
        let mut seen = HashSet::new();
        for (i, n) in list.iter().enumerate() {
            if !is_name(n) {
                p.push(at(format!("{field}[{i}].name"), format!("名称“{n}”无效：只能用文字、字母、数字和 _，不含空格"), format!("the name '{n}' is not valid: letters, digits and _ only, no spaces")));
            } else if !seen.insert(*n) {
                p.push(at(format!("{field}[{i}].name"), format!("“{n}”重复"), format!("'{n}' is listed twice")));
            }
        }
    };
    if s.groups.is_empty() || s.groups.len() > 10 {
        p.push(at("groups", "测评组应有 1–10 个", "list 1 to 10 rater groups"));
    }
    names(s.groups.iter().map(|g| g.name.as_str()).collect(), "groups", &mut p);
    let mut total = (0i128, 1i128);
    for (i, g) in s.groups.iter().enumerate() {
        match number(&g.share).filter(|d| !d.is_negative()) {
            Some(d) => {
                let (n, dd) = d.as_fraction();
                total = (total.0 * dd + n * total.1, total.1 * dd);
            }
            None => p.push(at(format!("groups[{i}].share"), format!("权重“{}”无效（如 0.4 或 40%）", g.share), format!("the weight '{}' is not valid (e.g. 0.4 or 40%)", g.share))),
        }
    }
    if !s.groups.is_empty() && total.0 != total.1 {
        p.push(at("groups", "各测评组权重之和应为 100%", "the groups' weights must add up to 100%"));
    }
    if s.answers.len() < 2 || s.answers.len() > 10 {
        p.push(at("answers", "测评档次应有 2–10 个", "list 2 to 10 answers"));
    }
    names(s.answers.iter().map(|a| a.name.as_str()).collect(), "answers", &mut p);
    for (i, a) in s.answers.iter().enumerate() {
        if number(&a.value).is_none_or(|d| d.is_negative() || d > Dec::from_int(1000)) {
            p.push(at(format!("answers[{i}].value"), format!("分值“{}”无效（0–1000 的数）", a.value), format!("the value '{}' is not valid (a number from 0 to 1000)", a.value)));
        }
    }
    let known = |n: &str| s.answers.iter().any(|a| a.name == n);
    for (i, e) in s.excluded.iter().enumerate() {
        if !known(e) {
            p.push(at(format!("excluded[{i}]"), format!("没有档次“{e}”"), format!("there is no answer '{e}'")));
        }
    }
    if s.excluded.len() >= s.answers.len() && !s.answers.is_empty() {
        p.push(at("excluded", "至少要有一个计分的档次", "at least one answer must count"));
    }
    for (i, f) in s.flags.iter().enumerate() {
        for a in &f.answers {
            if !known(a) {
                p.push(at(format!("flags[{i}].answers"), format!("没有档次“{a}”"), format!("there is no answer '{a}'")));
            }
        }
        if f.answers.is_empty() {
            p.push(at(format!("flags[{i}].answers"), "请列出计入的档次", "list the answers counted"));
        }
        if f.when != "above" && f.when != "below" {
            p.push(at(format!("flags[{i}].when"), format!("“{}”无效（above 或 below）", f.when), format!("'{}' is not valid (above or below)", f.when)));
        }
        let ratio = match f.share.split_once('/') {
            Some((a, b)) => a.trim().parse::<u32>().is_ok() && b.trim().parse::<u32>().is_ok_and(|b| b > 0),
            None => number(&f.share).is_some_and(|d| !d.is_negative() && d <= Dec::ONE),
        };
        if !ratio {
            p.push(at(format!("flags[{i}].share"), format!("比例“{}”无效（如 1/3、0.5 或 30%）", f.share), format!("the share '{}' is not valid (e.g. 1/3, 0.5 or 30%)", f.share)));
        }
        if f.message.trim().is_empty() || f.message.chars().count() > 100 {
            p.push(at(format!("flags[{i}].message"), "请写明提示语（不超过 100 字）", "write the flag's message (up to 100 characters)"));
        }
        if let Some(g) = &f.grade {
            if g.trim().is_empty() || g.trim() != g || g.chars().count() > 20 {
                p.push(at(format!("flags[{i}].grade"), format!("等次“{g}”无效（1–20 字，前后无空格）"), format!("the grade '{g}' is not valid (1–20 characters, no surrounding spaces)")));
            }
            // A raised flag is known by its message: one that forces a grade must not share it.
            if s.flags.iter().enumerate().any(|(j, o)| j != i && o.message == f.message) {
                p.push(at(format!("flags[{i}].message"), "规定等次的提示语不能与其他提示语相同", "a flag that forces a grade needs a message of its own"));
            }
        }
    }
    for (i, m) in s.rules.max_per_ballot.iter().enumerate() {
        if !known(&m.answer) {
            p.push(at(format!("rules.max_per_ballot[{i}].answer"), format!("没有档次“{}”", m.answer), format!("there is no answer '{}'", m.answer)));
        }
    }
    if s.rules.uniform_void_min.is_some_and(|n| n < 2) {
        p.push(at("rules.uniform_void_min", "至少为 2", "at least 2"));
    }
    if s.rules.trim_over.is_some_and(|n| n < 2) {
        p.push(at("rules.trim_over", "至少为 2", "at least 2"));
    }
    p
}

/// The evaluation as a plan of one `ballots` indicator over its subjects (see the module
/// documentation); period `{year}-12`.
fn plan_toml(key: &str, name: &str, year: i64, s: &EvaluationSpec) -> String {
    use toml::{Table, Value};
    let table = |pairs: Vec<(&str, Value)>| Value::Table(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Table>());
    let text = |s: &str| Value::String(s.to_string());
    let mut t = Table::new();
    t.insert("plan".into(), table(vec![("key", text(&format!("evaluation-{key}"))), ("name", text(name)), ("year", Value::Integer(year)), ("office", text("考核办"))]));
    t.insert("grade_sets".into(), Value::Array(vec![table(vec![("key", text("none")), ("name", text("不评等次")), ("grades", Value::Array(vec![table(vec![("name", text("不评等次"))])]))])]));
    t.insert("categories".into(), Value::Array(vec![table(vec![("key", text("evaluated")), ("name", text("被测评对象")), ("grade_set", text("none")), ("total", Value::Integer(100))])]));
    let groups = s.groups.iter().map(|g| table(vec![("name", text(&g.name)), ("share", text(g.share.trim()))])).collect();
    let answers = s.answers.iter().map(|a| table(vec![("name", text(&a.name)), ("value", text(&format!("{}%", a.value.trim())))])).collect();
    let flags = s
        .flags
        .iter()
        .map(|f| table(vec![("answers", Value::Array(f.answers.iter().map(|a| text(a)).collect())), ("when", text(&f.when)), ("share", text(f.share.trim())), ("message", text(&f.message))]))
        .collect();
    t.insert(
        "indicators".into(),
        Value::Array(vec![table(vec![
            ("key", text("DEMO")),
            ("name", text(name)),
            ("kind", text("evaluation")),
            ("method", text("ballots")),
            ("weight", Value::Integer(100)),
            ("groups", Value::Array(groups)),
            ("answers", Value::Array(answers)),
            ("excluded", Value::Array(s.excluded.iter().map(|e| text(e)).collect())),
            ("flags", Value::Array(flags)),
        ])]),
    );
    toml::to_string(&t).unwrap_or_default()
}

fn subjects_csv(s: &EvaluationSpec) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["key", "name", "kind", "parent", "category", "static_level"]);
    for x in &s.subjects {
        let _ = w.write_record([x.key.as_str(), &x.name, "cadre", "", "evaluated", ""]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Checks a definition completely, through the plan loader too.
fn validate(key: &str, name: &str, year: i64, s: &EvaluationSpec) -> ApiResult<()> {
    let p = check_spec(key, name, year, s);
    if !p.is_empty() {
        return Err(ApiError::invalid(p));
    }
    yardstick_formats::plan::load_plan("evaluation", &plan_toml(key, name, year, s), Some(yardstick_formats::plan::SubjectsSource { file: "subjects", text: &subjects_csv(s) }))
        .map(|_| ())
        .map_err(ApiError::invalid)
}

fn rules_of(s: &EvaluationSpec) -> BallotRules {
    let idx = |n: &str| s.answers.iter().position(|a| a.name == n).map(|i| i as u32);
    BallotRules {
        max_per_ballot: s.rules.max_per_ballot.iter().filter_map(|m| Some((idx(&m.answer)?, m.max))).collect(),
        uniform_void_min: s.rules.uniform_void_min,
        trim_over: s.rules.trim_over,
    }
}

fn excluded_of(s: &EvaluationSpec) -> Vec<bool> {
    s.answers.iter().map(|a| s.excluded.contains(&a.name)).collect()
}

/// A ballot as sent: subject key → answer name; a subject left out is left blank.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    pub answers: BTreeMap<String, String>,
}

/// The ballot in the evaluation's order, or every problem with it (each naming the subject).
fn read_ballot(s: &EvaluationSpec, group: u32, b: &BallotBody) -> ApiResult<Ballot> {
    let mut problems = Vec::new();
    for k in b.answers.keys() {
        if !s.subjects.iter().any(|x| &x.key == k) {
            problems.push(at(format!("answers.{k}"), format!("“{k}”不是本次测评的对象"), format!("'{k}' is not evaluated here")));
        }
    }
    let answers: Vec<Option<u32>> = s
        .subjects
        .iter()
        .map(|x| {
            let a = b.answers.get(&x.key)?;
            let i = s.answers.iter().position(|y| &y.name == a.trim());
            if i.is_none() {
                problems.push(at(format!("answers.{}", x.key), format!("{}：没有档次“{a}”", x.name), format!("{}: there is no answer '{a}'", x.name)));
            }
            i.map(|i| i as u32)
        })
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let ballot = Ballot { group, answers };
    // Built above from the evaluation itself, so a misshapen ballot is a fault here, not input.
    ballot::shape(&ballot, s.subjects.len(), s.groups.len(), s.answers.len()).map_err(|m| ApiError::internal(format!("ballot shape: {m:?}")))?;
    Ok(ballot)
}

/// Why a ballot is void, in words.
pub fn void_words(s: &EvaluationSpec, v: Void) -> Msg {
    let name = |a: u32| s.answers.get(a as usize).map_or("?", |x| x.name.as_str()).to_string();
    match v {
        Void::Blank => Msg::new("空白票（未评任何对象）", "blank (no subject graded)"),
        Void::OverLimit { answer, given, max } => Msg::new(
            format!("评“{}”{given} 人，超过每票最多 {max} 人", name(answer)),
            format!("gives '{}' to {given}, more than the {max} allowed per ballot", name(answer)),
        ),
        Void::Uniform { answer, subjects } => Msg::new(format!("对全部 {subjects} 人评同一档次“{}”", name(answer)), format!("gives all {subjects} the same answer '{}'", name(answer))),
    }
}

fn outside_rules(s: &EvaluationSpec, v: Void) -> ApiError {
    let m = void_words(s, v);
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "ballot_outside_rules", format!("此票不符合测评规则：{}", m.zh), format!("this ballot is outside the rules: {}", m.en))
}

async fn find(st: &AppState, key: &str) -> ApiResult<Evaluation> {
    st.db.evaluation(key).await?.ok_or_else(|| ApiError::not_found(format!("测评“{key}”不存在"), format!("the evaluation '{key}' does not exist")))
}

#[derive(Deserialize)]
pub(crate) struct KeyPath {
    key: String,
}

#[derive(Deserialize)]
pub(crate) struct CodePath {
    code: String,
}

pub(crate) async fn list(st: &AppState, a: &auth::Auth) -> ApiResult<Vec<EvaluationOut>> {
    authz::require(a, Perm::ReadEvaluations)?;
    st.db.evaluations().await?.iter().map(|e| Ok(out(e, &spec_of(e)?))).collect()
}

/// The evaluations, newest first (the office, leaders, auditors).
#[utoipa::path(get, path = "/evaluations", tag = "evaluations", responses((status = 200, body = Vec<EvaluationOut>), (status = 403)))]
async fn list_evaluations(State(st): State<AppState>, Caller(a): Caller) -> ApiResult<Json<Vec<EvaluationOut>>> {
    Ok(Json(list(&st, &a).await?))
}

pub(crate) async fn create(st: &AppState, a: &auth::Auth, b: CreateEvaluation) -> ApiResult<EvaluationOut> {
    authz::require(a, Perm::ManageEvaluations)?;
    let (key, name) = (b.key.trim().to_string(), b.name.trim().to_string());
    validate(&key, &name, b.year, &b.spec)?;
    let json = serde_json::to_string(&b.spec).map_err(ApiError::internal)?;
    let e = st.db.create_evaluation(&key, &name, b.year, &json, &a.user.username, now_ms()).await?;
    Ok(out(&e, &b.spec))
}

/// Defines an evaluation (a draft until opened). Every problem of the definition is
/// reported at once, each naming its field.
#[utoipa::path(post, path = "/evaluations", tag = "evaluations", request_body = CreateEvaluation,
    responses((status = 201, body = EvaluationOut), (status = 403), (status = 409), (status = 422)))]
async fn create_evaluation(State(st): State<AppState>, Caller(a): Caller, Body(b): Body<CreateEvaluation>) -> ApiResult<(StatusCode, Json<EvaluationOut>)> {
    Ok((StatusCode::CREATED, Json(create(&st, &a, b).await?)))
}

pub(crate) async fn detail(st: &AppState, a: &auth::Auth, key: &str) -> ApiResult<EvaluationDetail> {
    authz::require(a, Perm::ReadEvaluations)?;
    let e = find(st, key).await?;
    let spec = spec_of(&e)?;
    Ok(EvaluationDetail { evaluation: out(&e, &spec), codes: st.db.code_counts(key).await?, spec })
}

/// An evaluation: its definition, state, and the codes issued and used per group.
#[utoipa::path(get, path = "/evaluations/{key}", tag = "evaluations", params(("key" = String, Path)),
    responses((status = 200, body = EvaluationDetail), (status = 403), (status = 404)))]
async fn get_evaluation(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>) -> ApiResult<Json<EvaluationDetail>> {
    Ok(Json(detail(&st, &a, &p.key).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodesBody {
    pub group: String,
    /// How many codes (1–2000).
    pub count: u32,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedCodes {
    pub group: String,
    pub batch: i64,
    /// The codes, shown this once: only their SHA-256 is kept.
    pub codes: Vec<String>,
}

/// An unambiguous alphabet (no 0/O, 1/I/L): 5 bits a character, 60 bits a code.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ#";

fn new_code() -> String {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("the operating system's random source");
    // 31 letters in use (the last is a placeholder): reject and redraw to stay uniform.
    let mut out = String::with_capacity(14);
    let mut i = 0;
    while out.chars().filter(|c| *c != '-').count() < 12 {
        if i == b.len() {
            getrandom::fill(&mut b).expect("the operating system's random source");
            i = 0;
        }
        let v = (b[i] & 31) as usize;
        i += 1;
        if v == 31 {
            continue;
        }
        let n = out.chars().filter(|c| *c != '-').count();
        if n > 0 && n % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[v] as char);
    }
    out
}

/// A code as typed or scanned: case and separators do not matter.
pub fn normal_code(c: &str) -> String {
    let raw: String = c.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    raw.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

pub(crate) async fn issue(st: &AppState, a: &auth::Auth, key: &str, b: &CodesBody) -> ApiResult<IssuedCodes> {
    authz::require(a, Perm::ManageEvaluations)?;
    let e = find(st, key).await?;
    let spec = spec_of(&e)?;
    if !spec.groups.iter().any(|g| g.name == b.group) {
        return Err(ApiError::invalid(vec![at("group", format!("没有测评组“{}”", b.group), format!("there is no rater group '{}'", b.group))]));
    }
    if !(1..=2000).contains(&b.count) {
        return Err(ApiError::invalid(vec![at("count", "一次生成 1–2000 个", "issue 1 to 2000 at a time")]));
    }
    let codes: Vec<String> = (0..b.count).map(|_| new_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| auth::hash_token(c)).collect();
    let batch = st.db.issue_codes(key, &b.group, &hashes, &a.user.username, now_ms()).await?;
    Ok(IssuedCodes { group: b.group.clone(), batch, codes })
}

/// Issues one-time codes for a rater group; the answer is the only time they are shown.
#[utoipa::path(post, path = "/evaluations/{key}/codes", tag = "evaluations", params(("key" = String, Path)), request_body = CodesBody,
    responses((status = 201, body = IssuedCodes), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn issue_codes(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>, Body(b): Body<CodesBody>) -> ApiResult<(StatusCode, Json<IssuedCodes>)> {
    Ok((StatusCode::CREATED, Json(issue(&st, &a, &p.key, &b).await?)))
}

pub(crate) async fn set_status(st: &AppState, a: &auth::Auth, key: &str, to: &str) -> ApiResult<EvaluationOut> {
    authz::require(a, Perm::ManageEvaluations)?;
    let e = st.db.set_evaluation_status(key, to, &a.user.username, now_ms()).await?;
    Ok(out(&e, &spec_of(&e)?))
}

/// Opens a draft for voting.
#[utoipa::path(post, path = "/evaluations/{key}/open", tag = "evaluations", params(("key" = String, Path)),
    responses((status = 200, body = EvaluationOut), (status = 403), (status = 404), (status = 409)))]
async fn open_evaluation(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>) -> ApiResult<Json<EvaluationOut>> {
    Ok(Json(set_status(&st, &a, &p.key, "open").await?))
}

/// Closes an open evaluation: no more ballots; the results become visible.
#[utoipa::path(post, path = "/evaluations/{key}/close", tag = "evaluations", params(("key" = String, Path)),
    responses((status = 200, body = EvaluationOut), (status = 403), (status = 404), (status = 409)))]
async fn close_evaluation(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>) -> ApiResult<Json<EvaluationOut>> {
    Ok(Json(set_status(&st, &a, &p.key, "closed").await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperBody {
    pub group: String,
    /// Subject key → answer; a subject left blank on the paper is left out.
    pub answers: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub struct PaperOut {
    /// Whether the paper is void under the rules, and why (it is counted as cast).
    pub void: Option<String>,
}

fn ballot_json(s: &EvaluationSpec, b: &Ballot) -> String {
    let names: Vec<Option<&str>> = b.answers.iter().map(|a| a.map(|a| s.answers[a as usize].name.as_str())).collect();
    serde_json::to_string(&names).unwrap_or_default()
}

fn ballot_id() -> String {
    auth::random_token()[..32].to_string()
}

pub(crate) async fn paper(st: &AppState, a: &auth::Auth, key: &str, b: &PaperBody) -> ApiResult<PaperOut> {
    authz::require(a, Perm::ManageEvaluations)?;
    let e = find(st, key).await?;
    let spec = spec_of(&e)?;
    let Some(g) = spec.groups.iter().position(|x| x.name == b.group) else {
        return Err(ApiError::invalid(vec![at("group", format!("没有测评组“{}”", b.group), format!("there is no rater group '{}'", b.group))]));
    };
    let ballot = read_ballot(&spec, g as u32, &BallotBody { answers: b.answers.clone() })?;
    let void = ballot::validity(&rules_of(&spec), &excluded_of(&spec), &ballot).err().map(|v| void_words(&spec, v));
    st.db.enter_paper_ballot(key, &b.group, &ballot_id(), &ballot_json(&spec, &ballot), &a.user.username, now_ms()).await?;
    Ok(PaperOut { void: void.map(|m| m.zh) })
}

/// Enters a paper ballot (the office) while the evaluation is open. A paper outside the
/// rules is still entered, and counted void.
#[utoipa::path(post, path = "/evaluations/{key}/paper-ballots", tag = "evaluations", params(("key" = String, Path)), request_body = PaperBody,
    responses((status = 201, body = PaperOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn enter_paper(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>, Body(b): Body<PaperBody>) -> ApiResult<(StatusCode, Json<PaperOut>)> {
    Ok((StatusCode::CREATED, Json(paper(&st, &a, &p.key, &b).await?)))
}

// ---------------------------------------------------------------------------
// Results.

#[derive(Serialize, ToSchema)]
pub struct AnswerCount {
    pub answer: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct GroupLine {
    pub group: String,
    /// The group's weight as written.
    pub share: String,
    /// Counted answers after void ballots and trimming (excluded answers not counted).
    pub counts: Vec<AnswerCount>,
    /// The mean value of the counted answers, two decimals (none when nobody answered).
    pub mean: Option<String>,
    /// The highest and lowest answers dropped (more raters than the trimming threshold).
    pub trimmed: Option<[String; 2]>,
}

#[derive(Serialize, ToSchema)]
pub struct SubjectResult {
    pub key: String,
    pub name: String,
    pub post: String,
    /// Σ group weight × group mean, two decimals, rounded half away from zero.
    pub score: String,
    pub rank: i64,
    pub tied: bool,
    /// Flags raised (e.g. "优秀和称职票不足三分之二 (27/48)").
    pub flags: Vec<String>,
    /// The grade forced by the first flag raised that carries one (see `apply`).
    pub grade: Option<String>,
    pub groups: Vec<GroupLine>,
    /// The engine's explanation, step by step.
    pub explanation: String,
}

#[derive(Serialize, ToSchema)]
pub struct VoidCount {
    pub reason: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct GroupTurnout {
    pub group: String,
    pub share: String,
    pub codes_issued: i64,
    pub codes_used: i64,
    /// Ballots cast (phone and paper) and the valid ones among them.
    pub cast: u64,
    pub valid: u64,
    pub paper: u64,
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationResults {
    pub key: String,
    pub name: String,
    pub year: i64,
    pub closed_ms: Option<i64>,
    pub cast: u64,
    pub valid: u64,
    pub void: Vec<VoidCount>,
    pub groups: Vec<GroupTurnout>,
    /// By score, highest first.
    pub subjects: Vec<SubjectResult>,
}

/// `num / den` (`den` > 0) to two decimals, half away from zero.
fn two_places(num: i128, den: i128) -> String {
    let q = if num < 0 { (num * 200 - den) / (2 * den) } else { (num * 200 + den) / (2 * den) };
    format!("{}{}.{:02}", if q < 0 { "-" } else { "" }, (q / 100).abs(), (q % 100).abs())
}

/// The grade forced on a subject: that of the first flag, in the definition's order, that
/// carries a grade and was raised by the engine. The engine reports a raised flag as
/// "message (hit/valid)" with the counts of all groups (excluded answers left out), so the
/// same counts name it exactly; a flag with a grade has a message of its own (`check_spec`).
fn forced_grade(spec: &EvaluationSpec, excluded: &[bool], counts: &[Vec<u64>], raised: &[String]) -> Option<String> {
    let total = |a: usize| if excluded[a] { 0 } else { counts.iter().map(|g| g[a]).sum::<u64>() };
    let valid: u64 = (0..spec.answers.len()).map(total).sum();
    spec.flags.iter().find_map(|f| {
        let grade = f.grade.as_ref()?;
        let hit: u64 = f.answers.iter().filter_map(|n| spec.answers.iter().position(|a| &a.name == n)).map(total).sum();
        raised.contains(&format!("{} ({hit}/{valid})", f.message)).then(|| grade.clone())
    })
}

/// Tallies and scores a closed evaluation (pure: no database).
pub fn score(e: &Evaluation, spec: &EvaluationSpec, ballots: &[StoredBallot], codes: &[CodeCount], lang: yardstick_formats::Lang) -> Result<EvaluationResults, Vec<Problem>> {
    let bad = |m: String| vec![Problem { place: Place::default(), msg: Msg::new(m.clone(), m) }];
    let mut read = Vec::with_capacity(ballots.len());
    let mut paper = vec![0u64; spec.groups.len()];
    for b in ballots {
        let g = spec.groups.iter().position(|x| x.name == b.rater_group).ok_or_else(|| bad(format!("a ballot of an unknown group '{}'", b.rater_group)))?;
        let names: Vec<Option<String>> = serde_json::from_str(&b.answers_json).map_err(|err| bad(format!("a stored ballot: {err}")))?;
        let answers = names.iter().map(|n| n.as_ref().and_then(|n| spec.answers.iter().position(|a| &a.name == n)).map(|i| i as u32)).collect();
        let ballot = Ballot { group: g as u32, answers };
        ballot::shape(&ballot, spec.subjects.len(), spec.groups.len(), spec.answers.len()).map_err(|m| bad(format!("a stored ballot: {m:?}")))?;
        if b.channel == "paper" {
            paper[g] += 1;
        }
        read.push(ballot);
    }
    let values: Vec<Dec> = spec.answers.iter().map(|a| number(&a.value).unwrap_or(Dec::ZERO)).collect();
    let excluded = excluded_of(spec);
    let t = ballot::tally(&rules_of(spec), &values, &excluded, spec.subjects.len(), spec.groups.len(), &read);
    let period = format!("{}-12", e.year);
    let mut rows = Vec::new();
    for (s, x) in spec.subjects.iter().enumerate() {
        for (g, gs) in spec.groups.iter().enumerate() {
            for (a, an) in spec.answers.iter().enumerate() {
                rows.push(ValueRow {
                    period: period.clone(),
                    subject: x.key.clone(),
                    indicator: "DEMO".into(),
                    field: format!("{}.{}", gs.name, an.name),
                    value: t.counts[s][g][a].to_string(),
                    updated_ms: 0,
                    updated_by: String::new(),
                });
            }
        }
    }
    let p = yardstick_engine::Period::parse(&period).ok_or_else(|| bad(format!("the period {period}")))?;
    let scored = compute::score_rows(&plan_toml(&e.key, &e.name, e.year, spec), &subjects_csv(spec), &rows, &[], p)?;
    let mut subjects = Vec::new();
    for (row, explanation) in scored {
        let s = spec.subjects.iter().position(|x| x.key == row.subject).ok_or_else(|| bad(format!("an unknown subject '{}'", row.subject)))?;
        let ex: serde_json::Value = explanation.json().ok().and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
        let flags: Vec<String> = ex["flags"].as_array().map(|f| f.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default();
        let grade = forced_grade(spec, &excluded, &t.counts[s], &flags);
        let text = ex["text"][if lang == yardstick_formats::Lang::Zh { "zh" } else { "en" }].as_str().unwrap_or_default().to_string();
        let groups = spec
            .groups
            .iter()
            .enumerate()
            .map(|(g, gs)| {
                let c = &t.counts[s][g];
                let (mut num, mut den) = (0i128, 0i128);
                // Values share one scale so that the mean is one exact division.
                let scale = values.iter().map(|v| v.scale()).max().unwrap_or(0);
                for (a, v) in values.iter().enumerate() {
                    if excluded[a] {
                        continue;
                    }
                    let m = i128::from(v.mantissa()) * 10i128.pow(u32::from(scale - v.scale()));
                    num += i128::from(c[a]) * m;
                    den += i128::from(c[a]);
                }
                GroupLine {
                    group: gs.name.clone(),
                    share: gs.share.clone(),
                    counts: spec.answers.iter().enumerate().filter(|(a, _)| !excluded[*a]).map(|(a, an)| AnswerCount { answer: an.name.clone(), count: c[a] }).collect(),
                    mean: (den > 0).then(|| two_places(num, den * 10i128.pow(u32::from(scale)))),
                    trimmed: t.trimmed[s][g].map(|(hi, lo)| [spec.answers[hi as usize].name.clone(), spec.answers[lo as usize].name.clone()]),
                }
            })
            .collect();
        subjects.push(SubjectResult {
            key: row.subject.clone(),
            name: spec.subjects[s].name.clone(),
            post: spec.subjects[s].post.clone(),
            score: row.score.clone().unwrap_or_default(),
            rank: row.rank.unwrap_or(0),
            tied: row.tied,
            flags,
            grade,
            groups,
            explanation: text,
        });
    }
    let groups = spec
        .groups
        .iter()
        .enumerate()
        .map(|(g, gs)| {
            let c = codes.iter().find(|c| c.rater_group == gs.name);
            GroupTurnout {
                group: gs.name.clone(),
                share: gs.share.clone(),
                codes_issued: c.map_or(0, |c| c.issued),
                codes_used: c.map_or(0, |c| c.used),
                cast: t.cast[g],
                valid: t.valid[g],
                paper: paper[g],
            }
        })
        .collect();
    let void = t.void.iter().map(|(v, n)| VoidCount { reason: void_words(spec, *v).get(lang).to_string(), count: *n }).collect();
    Ok(EvaluationResults {
        key: e.key.clone(),
        name: e.name.clone(),
        year: e.year,
        closed_ms: e.closed_ms,
        cast: t.cast.iter().sum(),
        valid: t.valid.iter().sum(),
        void,
        groups,
        subjects,
    })
}

fn not_closed(e: &Evaluation) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "evaluation_not_closed",
        format!("测评“{}”尚未结束：结束后才能查看结果", e.name),
        format!("the evaluation '{}' is not closed: its results are visible once it is", e.name),
    )
}

/// The results of a closed evaluation, scored from its stored ballots.
async fn closed_results(st: &AppState, e: Evaluation, spec: EvaluationSpec, lang: yardstick_formats::Lang) -> ApiResult<EvaluationResults> {
    if e.status != "closed" {
        return Err(not_closed(&e));
    }
    let ballots = st.db.ballots(&e.key).await?;
    let codes = st.db.code_counts(&e.key).await?;
    tokio::task::spawn_blocking(move || score(&e, &spec, &ballots, &codes, lang)).await.map_err(ApiError::internal)?.map_err(|p| {
        ApiError::internal(p.iter().map(|p| p.msg.en.clone()).collect::<Vec<_>>().join("; "))
    })
}

pub(crate) async fn results_of(st: &AppState, a: &auth::Auth, key: &str, lang: yardstick_formats::Lang) -> ApiResult<EvaluationResults> {
    authz::require(a, Perm::ReadEvaluations)?;
    let e = find(st, key).await?;
    let spec = spec_of(&e)?;
    closed_results(st, e, spec, lang).await
}

/// The results of a closed evaluation: each subject's score with its group means, counts,
/// trimmed answers, flags and the engine's explanation; turnout and void ballots. Refused
/// (409) until the evaluation is closed.
#[utoipa::path(get, path = "/evaluations/{key}/results", tag = "evaluations", params(("key" = String, Path)),
    responses((status = 200, body = EvaluationResults), (status = 403), (status = 404), (status = 409)))]
async fn evaluation_results(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<KeyPath>) -> ApiResult<Json<EvaluationResults>> {
    Ok(Json(results_of(&st, &a, &p.key, lang).await?))
}

// ---------------------------------------------------------------------------
// Applying the results to a plan.

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    /// The plan and the period (of the plan's year, open for data) written to.
    pub plan: String,
    pub period: String,
    /// A `direct` indicator of that period's level: each subject's score is written as its
    /// `value`.
    #[serde(default)]
    pub score_indicator: Option<String>,
    /// An `assigned_grade` indicator: the grade a raised flag forces is written as its
    /// `grade`. Required when a flag of the evaluation carries a grade.
    #[serde(default)]
    pub grade_indicator: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ForcedGrade {
    pub subject: String,
    pub grade: String,
}

#[derive(Serialize, ToSchema)]
pub struct AppliedEvaluation {
    pub plan: String,
    pub period: String,
    /// Subjects whose score was written.
    pub scores: usize,
    /// Grades forced by a raised flag, written as the grade indicator's `grade`.
    pub grades: Vec<ForcedGrade>,
    /// Subjects nobody gave a counted answer: nothing is written for them.
    pub missing: Vec<String>,
    /// Values that changed (a second application of the same results changes nothing).
    pub changed: usize,
}

/// The problem, naming `field`, unless the plan has the indicator `key` in force for
/// `period`, entered at its level and scored by the method `want` names.
fn indicator_problem(model: &yardstick_engine::Model, period: Period, key: &str, field: &str, want: &str) -> Option<Problem> {
    let ver = &model.versions[model.version_for(period) as usize];
    let Some(ind) = ver.indicators.iter().find(|i| i.key == key) else {
        return Some(at(field, format!("方案在 {period} 没有指标“{key}”"), format!("the plan has no indicator '{key}' in {period}")));
    };
    if ind.method.key() != want {
        return Some(at(field, format!("指标“{key}”的计分方法是 {}，应为 {want}", ind.method.key()), format!("the indicator '{key}' uses {}, not {want}", ind.method.key())));
    }
    if ind.level != period.level {
        return Some(at(field, format!("指标“{key}”不在 {period} 这一层级填报"), format!("the indicator '{key}' is not entered at the level of {period}")));
    }
    None
}

/// Applies a closed evaluation to a plan's period (the office): each subject's score as the
/// `score_indicator`'s value, and each grade a raised flag forces as the `grade_indicator`'s
/// grade, checked like any value write and written all or nothing.
pub(crate) async fn apply(st: &AppState, a: &auth::Auth, key: &str, b: &ApplyBody) -> ApiResult<AppliedEvaluation> {
    authz::require(a, Perm::ManageEvaluations)?;
    let e = find(st, key).await?;
    if e.status != "closed" {
        return Err(not_closed(&e));
    }
    let spec = spec_of(&e)?;
    let plan = st.db.plan(b.plan.trim()).await?.ok_or_else(|| ApiError::invalid(vec![at("plan", format!("方案“{}”不存在", b.plan), format!("the plan '{}' does not exist", b.plan))]))?;
    let period = match Period::parse(b.period.trim()) {
        Some(p) if i64::from(p.year) == plan.year => p,
        _ => return Err(ApiError::invalid(vec![at("period", format!("“{}”不是方案 {} 年度内的期间", b.period, plan.year), format!("'{}' is not a period of the plan's year {}", b.period, plan.year))])),
    };
    let mut problems = Vec::new();
    if b.score_indicator.is_none() && b.grade_indicator.is_none() {
        problems.push(at("score_indicator", "请给出写入得分的指标（score_indicator）或写入等次的指标（grade_indicator）", "give score_indicator, grade_indicator or both"));
    }
    let graded: Vec<usize> = spec.flags.iter().enumerate().filter(|(_, f)| f.grade.is_some()).map(|(i, _)| i).collect();
    if let (Some(i), None) = (graded.first(), &b.grade_indicator) {
        problems.push(at("grade_indicator", format!("测评的第 {} 个提示规定了等次：请给出写入等次的指标（assigned_grade）", i + 1), format!("flags[{i}] forces a grade: name the assigned_grade indicator it is written to")));
    }
    let cached = st.models.get(&st.db, &plan.key).await.map_err(compute_error)?;
    let model = &cached.model;
    problems.extend(b.score_indicator.as_ref().and_then(|k| indicator_problem(model, period, k, "score_indicator", "direct")));
    problems.extend(b.grade_indicator.as_ref().and_then(|k| indicator_problem(model, period, k, "grade_indicator", "assigned_grade")));
    // Each flag's grade must be one of the plan's, and each subject a registry person or unit
    // the plan appraises (compared in one of its categories) whose grade set has the grade.
    let grade_names: Vec<&str> = model.grade_sets.iter().flat_map(|g| g.grades.iter().map(|x| x.name.as_str())).collect();
    for &i in &graded {
        let g = spec.flags[i].grade.as_deref().unwrap_or_default();
        if b.grade_indicator.is_some() && !grade_names.contains(&g) {
            problems.push(at(format!("flags[{i}].grade"), format!("方案“{}”没有等次“{g}”", plan.key), format!("the plan '{}' has no grade '{g}'", plan.key)));
        }
    }
    for (i, x) in spec.subjects.iter().enumerate() {
        let registered = st.db.person(&x.key).await?.is_some() || st.db.unit(&x.key).await?.is_some();
        let field = format!("subjects[{i}]");
        if !registered {
            problems.push(at(field, format!("“{}”（{}）不是名录中的人员或单位", x.key, x.name), format!("'{}' ({}) is not a person or unit of the registry", x.key, x.name)));
            continue;
        }
        let category = model.subject_index(&x.key).and_then(|s| model.subjects[s as usize].category);
        let Some(c) = category else {
            problems.push(at(field, format!("“{}”（{}）不在方案“{}”的考核类别中", x.key, x.name, plan.key), format!("'{}' ({}) is in no category of the plan '{}'", x.key, x.name, plan.key)));
            continue;
        };
        let set = &model.grade_sets[model.categories[c as usize].grade_set as usize];
        for &f in graded.iter().filter(|_| b.grade_indicator.is_some()) {
            let g = spec.flags[f].grade.as_deref().unwrap_or_default();
            if grade_names.contains(&g) && !set.grades.iter().any(|x| x.name == g) {
                problems.push(at(format!("flags[{f}].grade"), format!("{}所在类别的等次中没有“{g}”", x.name), format!("the grades of {}'s category have no '{g}'", x.name)));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    open_for_data(st, &plan.key, &period.to_string()).await?;
    let results = closed_results(st, e, spec, yardstick_formats::Lang::Zh).await?;
    let mut writes = Vec::new();
    let (mut scores, mut grades, mut missing) = (0, Vec::new(), Vec::new());
    for r in &results.subjects {
        let mut items = Vec::new();
        let answered = r.groups.iter().any(|g| g.counts.iter().any(|c| c.count > 0));
        if !answered {
            missing.push(r.key.clone());
        } else if let Some(k) = &b.score_indicator {
            items.push(ValueItem { indicator: k.clone(), field: "value".into(), value: r.score.clone() });
            scores += 1;
        }
        if let (Some(k), Some(g)) = (&b.grade_indicator, &r.grade) {
            items.push(ValueItem { indicator: k.clone(), field: "grade".into(), value: g.clone() });
            grades.push(ForcedGrade { subject: r.key.clone(), grade: g.clone() });
        }
        if items.is_empty() {
            continue;
        }
        // The same check as every value write: the plan's loader, one subject at a time.
        check_values(st, &plan.key, period, &r.key, &items, None).await?;
        writes.push((r.key.clone(), items.into_iter().map(|v| ValueInput { indicator: v.indicator, field: v.field, value: v.value }).collect::<Vec<_>>()));
    }
    let changed = st.db.apply_evaluation(key, &plan.key, &period.to_string(), &writes, &a.user.username, now_ms()).await?;
    Ok(AppliedEvaluation { plan: plan.key, period: period.to_string(), scores, grades, missing, changed })
}

/// Applies a closed evaluation to a plan's period (the office): each evaluated subject's
/// score is written as the `direct` indicator `score_indicator`'s value, and the grade a
/// raised flag forces (不称职 votes above one third → 不称职) as the `assigned_grade`
/// indicator `grade_indicator`'s grade — checked like every value write (the period open,
/// a unit's data not locked), all or nothing, audited. 409 until the evaluation is closed;
/// 422 naming the field for an unknown plan, period or indicator, a subject that is not a
/// registry person or unit (`subjects[i]`) and a grade the plan does not have (`flags[i].grade`).
#[utoipa::path(post, path = "/evaluations/{key}/apply", tag = "evaluations", params(("key" = String, Path)), request_body = ApplyBody,
    responses((status = 200, body = AppliedEvaluation), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn apply_evaluation(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<KeyPath>, Body(b): Body<ApplyBody>) -> ApiResult<Json<AppliedEvaluation>> {
    Ok(Json(apply(&st, &a, &p.key, &b).await?))
}

// ---------------------------------------------------------------------------
// Voting with a code (no account needed).

#[derive(Serialize, ToSchema)]
pub struct BallotForm {
    pub evaluation: String,
    pub year: i64,
    pub group: String,
    /// The subjects, in order: key, name, post.
    pub subjects: Vec<SubjectSpec>,
    /// The answers to choose from, best first as the office listed them.
    pub answers: Vec<String>,
    /// The rules the ballot must keep, in words.
    pub rules: Vec<String>,
}

/// What a code may vote on, or why it cannot vote.
pub(crate) async fn form_for(st: &AppState, code: &str, lang: yardstick_formats::Lang) -> ApiResult<(Evaluation, EvaluationSpec, u32, BallotForm)> {
    let unknown = || ApiError::not_found("测评码无效：请核对后重新输入", "this code is not valid: check it and try again");
    let norm = normal_code(code);
    if norm.len() != 14 {
        return Err(unknown());
    }
    let c = st.db.code(&auth::hash_token(&norm)).await?.ok_or_else(unknown)?;
    let e = find(st, &c.evaluation_key).await?;
    let spec = spec_of(&e)?;
    match e.status.as_str() {
        "draft" => return Err(ApiError::new(StatusCode::CONFLICT, "evaluation_not_open", format!("测评“{}”尚未开始投票", e.name), format!("the evaluation '{}' is not open for voting yet", e.name))),
        "closed" => return Err(ApiError::new(StatusCode::CONFLICT, "evaluation_closed", format!("测评“{}”已结束，不再接受投票", e.name), format!("the evaluation '{}' is closed and takes no more ballots", e.name))),
        _ => {}
    }
    if c.used != 0 {
        return Err(ApiError::new(StatusCode::CONFLICT, "code_used", "此测评码已经投过票，每个码只能投一次", "this code has already voted; each code votes once"));
    }
    let g = spec.groups.iter().position(|x| x.name == c.rater_group).ok_or_else(|| ApiError::internal("a code of an unknown group"))? as u32;
    let mut rules: Vec<String> = spec
        .rules
        .max_per_ballot
        .iter()
        .map(|m| match lang {
            yardstick_formats::Lang::Zh => format!("评“{}”的不超过 {} 人", m.answer, m.max),
            yardstick_formats::Lang::En => format!("at most {} may be rated '{}'", m.max, m.answer),
        })
        .collect();
    if let Some(n) = spec.rules.uniform_void_min.filter(|n| spec.subjects.len() >= *n as usize) {
        rules.push(match lang {
            yardstick_formats::Lang::Zh => format!("不能对全部 {} 人评同一档次", spec.subjects.len().max(n as usize)),
            yardstick_formats::Lang::En => format!("do not give all {} the same answer", spec.subjects.len().max(n as usize)),
        });
    }
    let form = BallotForm {
        evaluation: e.name.clone(),
        year: e.year,
        group: c.rater_group.clone(),
        subjects: spec.subjects.clone(),
        answers: spec.answers.iter().map(|a| a.name.clone()).collect(),
        rules,
    };
    Ok((e, spec, g, form))
}

/// The ballot a code may cast: the evaluation, the rater group, the subjects and answers,
/// the rules. 404 for an unknown code; 409 when the code has voted or the evaluation is not open.
#[utoipa::path(get, path = "/ballots/{code}", tag = "evaluations", params(("code" = String, Path)),
    responses((status = 200, body = BallotForm), (status = 404), (status = 409)))]
async fn ballot_form(State(st): State<AppState>, L(lang): L, Params(p): Params<CodePath>) -> ApiResult<Json<BallotForm>> {
    Ok(Json(form_for(&st, &p.code, lang).await?.3))
}

pub(crate) async fn vote(st: &AppState, code: &str, b: &BallotBody, lang: yardstick_formats::Lang) -> ApiResult<()> {
    let (_, spec, g, _) = form_for(st, code, lang).await?;
    let ballot = read_ballot(&spec, g, b)?;
    let missing: Vec<Problem> = spec
        .subjects
        .iter()
        .zip(&ballot.answers)
        .filter(|(_, a)| a.is_none())
        .map(|(x, _)| at(format!("answers.{}", x.key), format!("请为{}选择一个档次", x.name), format!("choose an answer for {}", x.name)))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid(missing));
    }
    if let Err(v) = ballot::validity(&rules_of(&spec), &excluded_of(&spec), &ballot) {
        return Err(outside_rules(&spec, v));
    }
    st.db.cast_ballot(&auth::hash_token(&normal_code(code)), &ballot_id(), &ballot_json(&spec, &ballot), now_ms()).await?;
    Ok(())
}

/// Casts the ballot of a code, once: every subject answered and the rules kept, else 422
/// naming the subject or the rule; 409 when the code has voted or the evaluation is not
/// open. No account is needed and nothing links the ballot to the code.
#[utoipa::path(post, path = "/ballots/{code}", tag = "evaluations", params(("code" = String, Path)), request_body = BallotBody,
    responses((status = 201), (status = 404), (status = 409), (status = 422)))]
async fn cast_ballot(State(st): State<AppState>, MaybeCaller(_): MaybeCaller, L(lang): L, Params(p): Params<CodePath>, Body(b): Body<BallotBody>) -> ApiResult<StatusCode> {
    vote(&st, &p.code, &b, lang).await?;
    Ok(StatusCode::CREATED)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_evaluations, create_evaluation))
        .routes(routes!(get_evaluation))
        .routes(routes!(issue_codes))
        .routes(routes!(open_evaluation))
        .routes(routes!(close_evaluation))
        .routes(routes!(enter_paper))
        .routes(routes!(evaluation_results))
        .routes(routes!(apply_evaluation))
        .routes(routes!(ballot_form, cast_ballot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_places_rounds_half_away_from_zero() {
        assert_eq!(two_places(1, 8), "0.13");
        assert_eq!(two_places(-1, 8), "-0.13");
        assert_eq!(two_places(2727, 30), "90.90");
        assert_eq!(two_places(10, 3), "3.33");
        assert_eq!(two_places(0, 5), "0.00");
    }

    #[test]
    fn codes_are_twelve_unambiguous_characters_in_groups_of_four() {
        let c = new_code();
        assert_eq!(c.len(), 14, "{c}");
        assert!(c.chars().all(|x| x == '-' || ALPHABET[..31].contains(&(x as u8))), "{c}");
        assert_eq!(normal_code(&c.to_lowercase().replace('-', " ")), c);
        assert_ne!(new_code(), c);
    }
}
