//! Satisfaction surveys (满意度测评, M13). A third-party surveyor (or the office) uploads the
//! answers of a survey indicator — one row per answer, or per answer with a count — for the
//! units and channels (电话, 问卷, 网络 …) of the plan's `ballots` indicator. The answers
//! become that indicator's counts (field `channel.answer`) through the same import as
//! every other period data, all or nothing; the engine scores them with the plan's channel
//! shares and answer values, leaves 不了解 (the plan's `excluded`) out of the base, and
//! writes the sample size and the margin of error beside the points in the explanation
//! (Example G). A reproducible random sample of respondents is drawn from a roster with a
//! published seed (the same draw as the spot checks), and recorded in the audit log.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use yardstick_engine::model::Method;
use yardstick_formats::{Msg, Problem};
use yardstick_sheets::read::{Book, Cell, Col, Sheet, Table};
use yardstick_storage::NewAudit;

use super::imports::read_upload;
use super::*;
use crate::imports::{DataCaller, DataOut};

#[derive(Deserialize)]
pub(crate) struct SurveyPath {
    plan: String,
    period: String,
    indicator: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SurveyQuery {
    /// The file's name, for messages.
    #[serde(default)]
    name: String,
    /// Check everything and say what would change, without writing.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelSample {
    pub channel: String,
    /// Answers counted (valid, not left out).
    pub counted: u64,
    /// Answers left out of the base (不了解).
    pub left_out: u64,
}

#[derive(Serialize, ToSchema)]
pub struct UnitSample {
    pub unit: String,
    pub name: String,
    pub channels: Vec<ChannelSample>,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyOut {
    #[serde(flatten)]
    pub import: DataOut,
    /// Rows of answers read from the file.
    pub answers: u64,
    pub samples: Vec<UnitSample>,
}

const COLS: &[Col] = &[
    Col { key: "unit", names: &["单位编码", "单位", "unit"] },
    Col { key: "channel", names: &["渠道", "测评方式", "channel"] },
    Col { key: "answer", names: &["答案", "评价", "选项", "answer"] },
    Col { key: "count", names: &["份数", "人数", "count"] },
];

/// The survey indicator of the plan version in force for the period: its channels,
/// answers and left-out answers.
struct Survey {
    channels: Vec<String>,
    answers: Vec<String>,
    excluded: Vec<String>,
}

fn survey_of(model: &yardstick_engine::Model, period: Period, indicator: &str) -> ApiResult<Survey> {
    let v = &model.versions[model.version_for(period) as usize];
    let Some(ind) = v.indicators.iter().find(|i| i.key == indicator) else {
        return Err(ApiError::not_found(format!("方案在 {period} 没有指标“{indicator}”"), format!("the plan has no indicator '{indicator}' in {period}")));
    };
    match &ind.method {
        Method::Ballots { groups, answers, excluded, .. } => Ok(Survey {
            channels: groups.iter().map(|g| g.0.clone()).collect(),
            answers: answers.iter().map(|a| a.0.clone()).collect(),
            excluded: excluded.clone(),
        }),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_survey",
            format!("指标“{}”不是测评类指标（计分方法应为 ballots）", ind.name),
            format!("the indicator '{}' is not a survey (its method must be ballots)", ind.name),
        )),
    }
}

/// Counts per unit, channel and answer from the answer rows, or every problem with its place.
fn count_answers(book: &Book, s: &Survey, units: &BTreeMap<String, String>) -> Result<(u64, BTreeMap<String, Vec<Vec<u64>>>), Vec<Problem>> {
    let Some(sheet) = book.data_sheet(&["答卷", "answers", "调查结果"]) else {
        return Err(vec![Problem { place: yardstick_formats::Place { file: book.file.clone(), ..Default::default() }, msg: Msg::new("文件中没有工作表", "the file has no sheet") }]);
    };
    let t = Table::find(book, sheet, COLS, &["unit", "channel", "answer"]).map_err(|p| vec![p])?;
    let mut problems = t.merge_problems(book);
    let mut counts: BTreeMap<String, Vec<Vec<u64>>> = BTreeMap::new();
    let mut rows = 0u64;
    for r in t.rows() {
        let text = |key: &str, problems: &mut Vec<Problem>| match r.get(key).text() {
            Ok(s) => s,
            Err(m) => {
                problems.push(Problem { place: t.place(book, r.row, Some(key)), msg: m });
                String::new()
            }
        };
        let (unit, channel, answer) = (text("unit", &mut problems), text("channel", &mut problems), text("answer", &mut problems));
        let n = match r.get("count") {
            Cell::Empty => Some(1),
            c => match c.number() {
                Ok(Some(v)) => v.parse::<u64>().ok().filter(|n| *n > 0),
                _ => None,
            },
        };
        let mut bad = |key: &str, zh: String, en: String| problems.push(Problem { place: t.place(book, r.row, Some(key)), msg: Msg::new(zh, en) });
        let Some(n) = n else {
            bad("count", "份数应为正整数".into(), "the count must be a whole number above 0".into());
            continue;
        };
        if !units.contains_key(&unit) {
            bad("unit", format!("单位“{unit}”不在名录中"), format!("the unit '{unit}' is not in the registry"));
        }
        let c = s.channels.iter().position(|x| *x == channel);
        if c.is_none() {
            bad("channel", format!("渠道“{channel}”不是本指标的渠道（{}）", s.channels.join("、")), format!("'{channel}' is not a channel of this indicator ({})", s.channels.join(", ")));
        }
        let a = s.answers.iter().position(|x| *x == answer);
        if a.is_none() {
            bad("answer", format!("答案“{answer}”不是本指标的选项（{}）", s.answers.join("、")), format!("'{answer}' is not an answer of this indicator ({})", s.answers.join(", ")));
        }
        if let (Some(c), Some(a), true) = (c, a, units.contains_key(&unit)) {
            let per = counts.entry(unit).or_insert_with(|| vec![vec![0; s.answers.len()]; s.channels.len()]);
            per[c][a] += n;
            rows += 1;
        }
    }
    if rows == 0 && problems.is_empty() {
        problems.push(Problem { place: t.place(book, t.header_row, None), msg: Msg::new("表头下没有答卷", "no answers under the header") });
    }
    if problems.is_empty() { Ok((rows, counts)) } else { Err(problems) }
}

/// The counts as a period-data workbook in the long form (one row per unit).
fn long_form(indicator: &str, s: &Survey, counts: &BTreeMap<String, Vec<Vec<u64>>>) -> Book {
    let mut header = vec![Cell::Text("单位编码".into()), Cell::Text("指标编码".into())];
    for c in &s.channels {
        for a in &s.answers {
            header.push(Cell::Text(format!("{c}.{a}")));
        }
    }
    let mut rows = vec![header];
    for (unit, per) in counts {
        let mut row = vec![Cell::Text(unit.clone()), Cell::Text(indicator.into())];
        row.extend(per.iter().flatten().map(|n| Cell::Number(n.to_string())));
        rows.push(row);
    }
    Book { file: "survey".into(), sheets: vec![Sheet { name: "汇总".into(), visible: true, rows, merges: Vec::new() }] }
}

/// Imports a survey's answers as the counts of a `ballots` indicator of the period: one row
/// per answer (单位编码, 渠道, 答案) or per answer with its count (份数). All or nothing; each
/// problem named by sheet, row and column. The answer says, per unit and channel, how many
/// answers count and how many are left out (不了解).
#[utoipa::path(post, path = "/plans/{plan}/periods/{period}/surveys/{indicator}", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("indicator" = String, Path), SurveyQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = SurveyOut), (status = 403), (status = 404), (status = 409), (status = 413), (status = 422, description = "every problem, with sheet, row and column")))]
pub(crate) async fn import_survey(State(st): State<AppState>, Caller(a): Caller, Params(p): Params<SurveyPath>, Q(q): Q<SurveyQuery>, body: axum::body::Body) -> ApiResult<Json<SurveyOut>> {
    authz::require(&a, Perm::ImportSurveys)?;
    plan_exists(&st, &p.plan).await?;
    let period = parse_period(&p.period)?;
    let cached = st.models.get(&st.db, &p.plan).await.map_err(compute_error)?;
    let survey = survey_of(&cached.model, period, &p.indicator)?;
    let book = read_upload(&st, &q.name, body).await?;
    let units: BTreeMap<String, String> = st.db.units(None).await?.into_iter().map(|u| (u.key, u.name)).collect();
    let (answers, counts) = count_answers(&book, &survey, &units).map_err(ApiError::invalid)?;
    let long = long_form(&p.indicator, &survey, &counts);
    // The surveyor writes only this indicator's counts, for any unit, as the office would.
    let caller = DataCaller { scope: Scope::All, unit: None, supplies: None, may_record: false };
    let import = crate::imports::run_data(&st, &caller, &a.user.username, &p.plan, &period.to_string(), &long, q.dry_run, None).await?;
    let samples = counts
        .iter()
        .map(|(unit, per)| UnitSample {
            unit: unit.clone(),
            name: units.get(unit).cloned().unwrap_or_default(),
            channels: survey
                .channels
                .iter()
                .zip(per)
                .map(|(c, n)| {
                    let left_out: u64 = survey.answers.iter().zip(n).filter(|(a, _)| survey.excluded.contains(a)).map(|(_, n)| *n).sum();
                    ChannelSample { channel: c.clone(), counted: n.iter().sum::<u64>() - left_out, left_out }
                })
                .collect(),
        })
        .collect();
    Ok(Json(SurveyOut { import, answers, samples }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SampleQuery {
    /// The published seed: the same seed and roster give the same sample.
    seed: String,
    /// How many respondents to draw.
    size: usize,
    #[serde(default)]
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Respondent {
    /// The respondent's id (the roster's 编号 column).
    pub id: String,
    /// The roster's row.
    pub row: usize,
    /// The roster's other columns, by header.
    pub fields: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub struct SampleOut {
    pub seed: String,
    pub population: usize,
    /// SHA-256 of the roster file, so that anyone can check the draw on the same file.
    pub roster_sha256: String,
    /// In the order drawn: SHA-256 of `seed:id`, smallest first.
    pub sample: Vec<Respondent>,
}

const ROSTER: &[Col] = &[Col { key: "id", names: &["编号", "序号", "id"] }];

/// Draws a reproducible random sample of respondents from a roster (a workbook or CSV with an
/// 编号 column): the respondents with the smallest SHA-256 of `seed:编号`, so anyone with the
/// seed and the roster can repeat it. The draw is recorded in the audit log.
#[utoipa::path(post, path = "/surveys/samples", tag = "values", params(SampleQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = SampleOut), (status = 403), (status = 413), (status = 422)))]
pub(crate) async fn draw_sample(State(st): State<AppState>, Caller(a): Caller, Q(q): Q<SampleQuery>, body: axum::body::Body) -> ApiResult<Json<SampleOut>> {
    authz::require(&a, Perm::ImportSurveys)?;
    let seed = q.seed.trim().to_string();
    if seed.is_empty() || seed.chars().count() > 100 {
        return Err(ApiError::invalid(vec![Problem { place: yardstick_formats::Place { field: Some("seed".into()), ..Default::default() }, msg: Msg::new("请给出随机种子（1–100 字）", "give a seed (1–100 characters)") }]));
    }
    let max = st.config.max_import_bytes;
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", "名单文件过大", "the roster file is too large"))?;
    let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let name = if q.name.trim().is_empty() { "roster.csv".to_string() } else { q.name.trim().chars().take(200).collect() };
    let limits = yardstick_sheets::read::Limits { max_bytes: max, ..Default::default() };
    let book = tokio::task::spawn_blocking(move || yardstick_sheets::read::read_book(&name, &bytes, &limits)).await.map_err(ApiError::internal)?.map_err(ApiError::invalid)?;
    let sheet = book.data_sheet(&["名单", "roster"]).ok_or_else(|| ApiError::invalid(vec![Problem { place: Default::default(), msg: Msg::new("文件中没有工作表", "the file has no sheet") }]))?;
    let t = Table::find(&book, sheet, ROSTER, &["id"]).map_err(|p| ApiError::invalid(vec![p]))?;
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    let mut people = Vec::new();
    for r in t.rows() {
        let id = r.get("id").text().unwrap_or_default();
        if id.is_empty() {
            problems.push(Problem { place: t.place(&book, r.row, Some("id")), msg: Msg::new("编号为空", "the id is empty") });
            continue;
        }
        if let Some(first) = seen.insert(id.clone(), r.row) {
            problems.push(Problem { place: t.place(&book, r.row, Some("id")), msg: Msg::new(format!("编号“{id}”与第 {} 行重复", first + 1), format!("the id '{id}' repeats row {}", first + 1)) });
            continue;
        }
        let fields = r.cells().filter(|(k, _)| *k != "id").map(|(k, c)| (k.to_string(), c.text().unwrap_or_default())).collect();
        people.push(Respondent { id, row: r.row + 1, fields });
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    if q.size == 0 || q.size > people.len() {
        return Err(ApiError::invalid(vec![Problem {
            place: yardstick_formats::Place { field: Some("size".into()), ..Default::default() },
            msg: Msg::new(format!("抽样人数应为 1–{}", people.len()), format!("the sample size must be 1 to {}", people.len())),
        }]));
    }
    let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
    let drawn = super::draw(&seed, &ids, q.size);
    let mut by_id: BTreeMap<String, Respondent> = people.into_iter().map(|p| (p.id.clone(), p)).collect();
    let sample: Vec<Respondent> = drawn.iter().filter_map(|id| by_id.remove(id)).collect();
    st.db
        .append_audit(&NewAudit::new(now_ms(), &a.user.username, "draw", "survey_sample", &seed).after(serde_json::json!({ "seed": seed, "size": q.size, "population": ids.len(), "roster_sha256": digest, "drawn": drawn })))
        .await?;
    Ok(Json(SampleOut { seed, population: ids.len(), roster_sha256: digest, sample }))
}
