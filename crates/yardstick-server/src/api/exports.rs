//! Excel exports: each category's ranking of a period, a unit's scorecard, a period's raw
//! data (to be imported again) and the annual summary, as formatted, printable .xlsx
//! workbooks (`reports` builds the content, `yardstick_sheets::write` the workbook).
//!
//! Each export is visible exactly as the page or API it mirrors: rankings and the summary as
//! the published results (a unit's users: their own category; previews only the office),
//! the scorecard as the explanation (a unit's users: their own unit), the raw data to the
//! office and auditors only (`Perm::ExportData`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_engine::Period;
use yardstick_formats::Lang;
use yardstick_sheets::report::Report;
use yardstick_sheets::write::{Style, workbook_with_hidden};
use yardstick_storage::registry::Category;

use super::{compute_error, parse_period, publication, reach_unit};
use crate::AppState;
use crate::auth::{self, Caller};
use crate::authz::{self, Perm, Scope};
use crate::error::{ApiError, ApiResult, L, Params, Q};
use crate::reports::{self, Source};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(rankings_xlsx)).routes(routes!(scorecard_xlsx)).routes(routes!(data_xlsx)).routes(routes!(summary_xlsx))
}

/// The media type of an .xlsx workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// One category only (its key); default: every category the caller may see.
    pub category: Option<String>,
    /// A publication version; the one in force by default.
    pub version: Option<i64>,
    /// `true`: the latest computation, not yet published (the office and auditors only).
    pub preview: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
pub struct ScorecardQuery {
    /// A publication version; the one in force by default.
    pub version: Option<i64>,
    /// `true`: from the latest computation, not yet published (the office and auditors only).
    pub preview: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// One category only (its key); default: every category the caller may see.
    pub category: Option<String>,
}

#[derive(Deserialize)]
struct PeriodPath {
    plan: String,
    period: String,
}

#[derive(Deserialize)]
struct UnitPath {
    plan: String,
    period: String,
    unit: String,
}

#[derive(Deserialize)]
struct YearPath {
    plan: String,
    year: String,
}

/// The fonts of exported workbooks (configurable: `export_body_font`, `export_title_font`).
fn style(st: &AppState) -> Style {
    Style { body_font: st.config.export_body_font.clone(), title_font: st.config.export_title_font.clone(), ..Style::default() }
}

/// Renders a report off the async threads and answers it as an attachment named `name`
/// (`ascii` for clients that do not read `filename*`).
pub(crate) async fn xlsx(st: &AppState, report: Report, hidden: Vec<(String, String)>, name: String, ascii: String) -> ApiResult<Response> {
    let style = style(st);
    let bytes = tokio::task::spawn_blocking(move || {
        let pairs: Vec<(&str, &str)> = hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        workbook_with_hidden(&report, &style, &pairs)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_large_for_excel", format!("无法生成 Excel 文件：{e}"), e.to_string()))?;
    let ascii: String = ascii.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::ui::enc(&name).replace('/', "%2F"));
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(ApiError::internal)?);
    Ok(r)
}

async fn plan_of(st: &AppState, plan: &str) -> ApiResult<yardstick_storage::plans::Plan> {
    st.db.plan(plan).await?.ok_or_else(|| ApiError::not_found(format!("方案“{plan}”不存在"), format!("the plan '{plan}' does not exist")))
}

/// The result set to show: a preview (office only) or a publication (404 before).
async fn source(st: &AppState, a: &auth::Auth, plan: &str, period: &str, version: Option<i64>, preview: bool) -> ApiResult<Source> {
    if preview {
        authz::require(a, Perm::ReadPreview)?;
        let set = st.db.latest_result_set(plan, period).await?.ok_or_else(|| ApiError::not_found(format!("{period} 还没有计算结果"), format!("{period} has not been computed")))?;
        Ok(Source::Preview(set))
    } else {
        Ok(Source::Published(publication(st, plan, period, version).await?))
    }
}

/// Indicator key → name, of every version (the latest's order first), and the plan's office.
pub(crate) async fn plan_facts(st: &AppState, plan: &str) -> ApiResult<(Vec<(String, String)>, String, HashMap<String, (String, Option<String>)>)> {
    let cached = st.models.get(&st.db, plan).await.map_err(compute_error)?;
    let mut list: Vec<(String, String)> = Vec::new();
    let mut full = HashMap::new();
    for v in cached.model.versions.iter().rev() {
        for i in &v.indicators {
            if !full.contains_key(&i.key) {
                list.push((i.key.clone(), i.name.clone()));
                full.insert(i.key.clone(), (i.name.clone(), i.unit_of_measure.clone()));
            }
        }
    }
    Ok((list, cached.model.plan.office.clone(), full))
}

/// The categories the caller may see, narrowed to `?category=` (403 for another category,
/// 404 for one that does not exist).
async fn categories(st: &AppState, a: &auth::Auth, scope: Scope, wanted: Option<&str>) -> ApiResult<Vec<Category>> {
    let (cats, _) = crate::ui::results::visible_categories(st, a, scope).await?;
    match wanted.filter(|c| !c.is_empty()) {
        None => Ok(cats),
        Some(k) => match cats.into_iter().find(|c| c.key == k) {
            Some(c) => Ok(vec![c]),
            None if st.db.category(k).await?.is_some() => Err(ApiError::forbidden()),
            None => Err(ApiError::not_found(format!("类别“{k}”不存在"), format!("the category '{k}' does not exist"))),
        },
    }
}

fn names_of(units: Vec<yardstick_storage::registry::Unit>) -> reports::Names {
    units.into_iter().map(|u| (u.key, u.name)).collect()
}

/// Each category's ranking of a period as an Excel workbook, one sheet per category: rank
/// (ties 并列), unit, score, each indicator's points, points lost, grade, remark (veto,
/// demotion). The same rows as the results API.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/exports/rankings.xlsx", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path), ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 403), (status = 404, description = "not published")))]
async fn rankings_xlsx(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<PeriodPath>, Q(q): Q<ExportQuery>) -> ApiResult<Response> {
    let scope = authz::require(&a, Perm::ReadPublished)?;
    let plan = plan_of(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let cats = categories(&st, &a, scope, q.category.as_deref()).await?;
    let source = source(&st, &a, &plan.key, &period, q.version, q.preview.unwrap_or(false)).await?;
    let set_id = source.set_id();
    let mut rows = HashMap::new();
    for c in &cats {
        rows.insert(c.key.clone(), st.sets.rows(&st.db, set_id, Some(&c.key)).await?);
    }
    let one = cats.len() == 1;
    let names = if one { names_of(st.db.units(Some(&cats[0].key)).await?) } else { names_of(st.db.units(None).await?) };
    let all_categories = scope == Scope::All && q.category.is_none();
    let details = reports::rankings::details(&st, set_id, &cats, all_categories).await?;
    let (indicators, office, _) = plan_facts(&st, &plan.key).await?;
    let report = reports::rankings::build(&reports::rankings::Input {
        plan_name: &plan.name,
        office: &office,
        period: &period,
        source: &source,
        categories: &cats,
        rows,
        names: &names,
        details: &details,
        indicators: &indicators,
        lang,
    });
    let label = reports::period_label(&period, lang);
    let what = if one { format!("{}-", cats[0].name) } else { String::new() };
    let mark = if source.is_preview() { lang.pick("（预览）", "-preview") } else { "" };
    let name = match lang {
        Lang::Zh => format!("{label}{what}考核结果排名{mark}.xlsx"),
        _ => format!("rankings-{label}-{what}{mark}.xlsx").replace(' ', "-").replace("--", "-"),
    };
    let ascii = format!("{}-{period}-rankings{}{}.xlsx", plan.key, q.category.as_deref().map(|c| format!("-{c}")).unwrap_or_default(), if source.is_preview() { "-preview" } else { "" });
    xlsx(&st, report, vec![], name, ascii).await
}

/// A unit's scorecard as an Excel workbook: every indicator's inputs, points and points
/// lost, every deduction and bonus with its reason, the positive and negative lists. The
/// same explanation as `GET …/results/{subject}`.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/units/{unit}/scorecard.xlsx", tag = "results",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path), ScorecardQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 403), (status = 404, description = "not published, or no result for the unit")))]
async fn scorecard_xlsx(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<UnitPath>, Q(q): Q<ScorecardQuery>) -> ApiResult<Response> {
    let unit = reach_unit(&st, &a, Perm::ReadExplanation, &p.unit).await?;
    let plan = plan_of(&st, &p.plan).await?;
    let period = parse_period(&p.period)?.to_string();
    let source = source(&st, &a, &plan.key, &period, q.version, q.preview.unwrap_or(false)).await?;
    let report = reports::scorecard::load(&st, &plan.key, &plan.name, &period, &unit, &source, lang).await?;
    let label = reports::period_label(&period, lang);
    let mark = if source.is_preview() { lang.pick("（预览）", "-preview") } else { "" };
    let name = match lang {
        Lang::Zh => format!("{}{label}考核得分说明{mark}.xlsx", unit.name),
        _ => format!("scorecard-{}-{label}{mark}.xlsx", unit.name).replace(' ', "-"),
    };
    let ascii = format!("{}-{period}-{}-scorecard{}.xlsx", plan.key, unit.key, if source.is_preview() { "-preview" } else { "" });
    xlsx(&st, report, vec![], name, ascii).await
}

/// A period's raw data as an Excel workbook in the long form of docs/workbooks.md (headers
/// `中文名(key)`, one row per unit × indicator, one per occurrence with its reason) with the
/// hidden `yardstick` sheet (`kind = raw_data`): the data import reads it back unchanged.
/// The office and auditors only.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/exports/data.xlsx", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 403), (status = 404)))]
async fn data_xlsx(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<PeriodPath>) -> ApiResult<Response> {
    authz::require(&a, Perm::ExportData)?;
    let plan = plan_of(&st, &p.plan).await?;
    let parsed = parse_period(&p.period)?;
    let period = parsed.to_string();
    let within = reports::raw_data::periods_within(parsed);
    let values = st.db.values(&plan.key, &within, None).await?;
    let occurrences = st.db.occurrences(&plan.key, &within, None).await?;
    let names = names_of(st.db.units(None).await?);
    let indicators = match plan_facts(&st, &plan.key).await {
        Ok((_, _, full)) => full,
        // A plan without a version has no data either; the names are only informational.
        Err(_) => HashMap::new(),
    };
    let (report, hidden) = reports::raw_data::build(&reports::raw_data::Input {
        plan_key: &plan.key,
        plan_name: &plan.name,
        period: &period,
        values: &values,
        occurrences: &occurrences,
        names: &names,
        indicators: &indicators,
        lang,
    });
    let label = reports::period_label(&period, lang);
    let name = match lang {
        Lang::Zh => format!("{label}考核数据.xlsx"),
        _ => format!("data-{label}.xlsx").replace(' ', "-"),
    };
    xlsx(&st, report, hidden, name, format!("{}-{period}-data.xlsx", plan.key)).await
}

/// The annual summary as an Excel workbook, one sheet per category: each unit's published
/// score in every published period of the year and the year's score, rank and grade (when
/// the year is published). Publications in force only.
#[utoipa::path(get, path = "/plans/{plan}/years/{year}/exports/summary.xlsx", tag = "results",
    params(("plan" = String, Path), ("year" = String, Path), SummaryQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 400), (status = 403), (status = 404)))]
async fn summary_xlsx(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<YearPath>, Q(q): Q<SummaryQuery>) -> ApiResult<Response> {
    let scope = authz::require(&a, Perm::ReadPublished)?;
    let plan = plan_of(&st, &p.plan).await?;
    let year: u16 = p
        .year
        .trim()
        .parse()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .ok_or_else(|| ApiError::bad_request("bad_year", format!("年份“{}”无效（例：2026）", p.year), format!("the year '{}' is not valid (e.g. 2026)", p.year)))?;
    let cats = categories(&st, &a, scope, q.category.as_deref()).await?;
    let mut current: HashMap<String, yardstick_storage::results::Publication> = HashMap::new();
    for x in st.db.publications(&plan.key, None).await? {
        current.insert(x.period.clone(), x);
    }
    let mut published = Vec::new();
    for (period, x) in current {
        let Some(pp) = Period::parse(&period).filter(|pp| pp.year == year) else { continue };
        let rows: Arc<Vec<_>> = st.sets.rows(&st.db, x.set_id, None).await?;
        published.push((pp, x, rows));
    }
    if published.is_empty() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_published", format!("{year} 年还没有发布任何结果"), format!("no results of {year} are published")));
    }
    let names = names_of(st.db.units(None).await?);
    let office = plan_facts(&st, &plan.key).await.map(|f| f.1).unwrap_or_default();
    let report = reports::summary::build(reports::summary::Input { plan_name: &plan.name, office: &office, year, published, categories: &cats, names: &names, lang });
    let name = match lang {
        Lang::Zh => format!("{year}年度考核结果汇总.xlsx"),
        _ => format!("summary-{year}.xlsx"),
    };
    xlsx(&st, report, vec![], name, format!("{}-{year}-summary.xlsx", plan.key)).await
}

// ---------------------------------------------------------------------------
// Where the pages link to.

fn base(plan: &str, period: &str) -> String {
    format!("/api/v1/plans/{}/periods/{}", crate::ui::enc(plan), crate::ui::enc(period))
}

/// The rankings export of a period (one category or all), as the page shows it.
pub(crate) fn rankings_href(plan: &str, period: &str, category: Option<&str>, version: Option<i64>, preview: bool) -> String {
    let v = version.map(|v| v.to_string()).unwrap_or_default();
    let q = crate::ui::query(&[("category", category.unwrap_or("")), ("version", if preview { "" } else { &v }), ("preview", if preview { "true" } else { "" })]);
    format!("{}/exports/rankings.xlsx{q}", base(plan, period))
}

/// A unit's scorecard export.
pub(crate) fn scorecard_href(plan: &str, period: &str, unit: &str, version: Option<i64>, preview: bool) -> String {
    let v = version.map(|v| v.to_string()).unwrap_or_default();
    let q = crate::ui::query(&[("version", if preview { "" } else { &v }), ("preview", if preview { "true" } else { "" })]);
    format!("{}/units/{}/scorecard.xlsx{q}", base(plan, period), crate::ui::enc(unit))
}

/// The annual summary of the period's year.
pub(crate) fn summary_href(plan: &str, period: &str) -> Option<String> {
    let y = Period::parse(period)?.year;
    Some(format!("/api/v1/plans/{}/years/{y}/exports/summary.xlsx", crate::ui::enc(plan)))
}
