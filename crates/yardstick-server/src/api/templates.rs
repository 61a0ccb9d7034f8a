//! Fill-in templates (填报模板): for a period, the workbook a unit fills with its own
//! indicators, and the one a responsible department fills with the indicators it is the
//! source of, for every unit. The layout is `yardstick_sheets::template` (see
//! docs/workbooks.md, "Templates"); this gathers what goes in it:
//!
//! - the indicators from the plan version in force for the period (the cached parsed plan,
//!   as value writes are checked), without occurrence items (deductions, vetoes, demotions,
//!   bonuses are recorded by the office). A unit's template lists the indicators that apply
//!   to it and have no `source`; a department's lists those whose `source` is its name, for
//!   every unit they apply to (as `check_supplier` lets it write them).
//! - the values stored now, prefilled; last year's value of the same period (a plan of the
//!   previous year, the same indicator key: `actual`, else `value`, `level`, `grade`).
//! - what the filler may write: nothing if the period is not open or the unit's data is
//!   submitted or accepted (its values are locked); a `target` or `target_growth` already
//!   stored by someone outside the filler (the office assigns targets) is shown locked;
//!   every other field its method reads is open.

use std::collections::{HashMap, HashSet};

use axum::http::HeaderValue;
use yardstick_engine::model::Method;
use yardstick_formats::Lang;
use yardstick_sheets::template::{self as tpl, Field, FieldKind, Filler, Row, Template};
use yardstick_storage::values::ValueRow;

use super::*;
use crate::error::L;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize)]
pub(super) struct SourcePath {
    plan: String,
    period: String,
    source: String,
}

/// A unit's fill-in template of a period (.xlsx): the indicators it supplies itself, with
/// their units of measure, targets, last year's values and what is stored now; locked cells
/// for what it may not change, data validation for what it fills. Imports back as the
/// unit's values.
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/units/{unit}/template.xlsx", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("unit" = String, Path)),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403), (status = 404, description = "no such plan, period or unit, or the unit is not appraised by the plan")))]
pub(super) async fn unit_template(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<ValuePath>) -> ApiResult<Response> {
    let t = unit_template_of(&st, &a, lang, &p.plan, &p.period, &p.unit).await?;
    xlsx(t).await
}

/// A responsible department's fill-in template of a period (.xlsx): one row per unit ×
/// indicator it is the source of (`source` as the plan names it, URL-encoded).
#[utoipa::path(get, path = "/plans/{plan}/periods/{period}/sources/{source}/template.xlsx", tag = "values",
    params(("plan" = String, Path), ("period" = String, Path), ("source" = String, Path, description = "the department as the plan's `source` names it, e.g. 统计局")),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403), (status = 404, description = "no such plan or period, or no indicator of the period has this source")))]
pub(super) async fn source_template(State(st): State<AppState>, Caller(a): Caller, L(lang): L, Params(p): Params<SourcePath>) -> ApiResult<Response> {
    let t = source_template_of(&st, &a, lang, &p.plan, &p.period, &p.source).await?;
    xlsx(t).await
}

/// The workbook as a download.
async fn xlsx(t: Template) -> ApiResult<Response> {
    let name = tpl::file_name(&t);
    let who = match &t.filler {
        Filler::Unit { key, .. } => key.clone(),
        Filler::Department { .. } => "department".into(),
    };
    let ascii: String = format!("template_{}_{}_{who}.xlsx", t.plan_key, t.period).chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let bytes = tokio::task::spawn_blocking(move || tpl::build(&t)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::ui::enc(&name));
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(ApiError::internal)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// What both templates need of the period.
struct TemplatePeriod {
    plan: yardstick_storage::plans::Plan,
    period: Period,
    text: String,
    open: bool,
    cached: compute::CachedModel,
    version: usize,
}

async fn period_of(st: &AppState, plan: &str, period: &str) -> ApiResult<TemplatePeriod> {
    let plan = plan_exists(st, plan).await?;
    let period = parse_period(period)?;
    let text = period.to_string();
    let row = st.db.periods(&plan.key).await?.into_iter().find(|p| p.period == text);
    let row = row.ok_or_else(|| ApiError::not_found(format!("期间 {text} 尚未开放"), format!("the period {text} has not been opened")))?;
    let cached = st.models.get(&st.db, &plan.key).await.map_err(compute_error)?;
    let version = cached.model.version_for(period) as usize;
    Ok(TemplatePeriod { plan, period, text, open: row.status == "open", cached, version })
}

/// Last year's values of the same period: (subject, indicator, field) → value, from the
/// plans of the previous year (the first by key that has one).
async fn last_year(st: &AppState, p: &TemplatePeriod, subject: Option<&str>) -> ApiResult<HashMap<(String, String, String), String>> {
    let mut out = HashMap::new();
    if p.period.year == 0 {
        return Ok(out);
    }
    let before = Period { year: p.period.year - 1, ..p.period }.to_string();
    let mut plans: Vec<_> = st.db.plans().await?.into_iter().filter(|x| x.year == p.plan.year - 1).collect();
    plans.sort_by(|a, b| a.key.cmp(&b.key));
    for plan in plans {
        for v in st.db.values(&plan.key, std::slice::from_ref(&before), subject).await? {
            out.entry((v.subject, v.indicator, v.field)).or_insert(v.value);
        }
    }
    Ok(out)
}

fn last_year_of(last: &HashMap<(String, String, String), String>, subject: &str, indicator: &str) -> String {
    ["actual", "value", "level", "grade"].iter().find_map(|f| last.get(&(subject.to_string(), indicator.to_string(), f.to_string())).cloned()).unwrap_or_default()
}

/// Whether the filler may write a field: targets (`target`, `target_growth`) already stored
/// by someone outside the filler were assigned (by the office) and are not the filler's to
/// change; everything else its method reads is. The importer may apply the same rule.
pub(crate) fn filler_supplies(field: &str, stored: Option<&ValueRow>, filler_users: &HashSet<String>) -> bool {
    if field != "target" && field != "target_growth" {
        return true;
    }
    stored.is_none_or(|v| filler_users.contains(&v.updated_by))
}

/// The kind of a field for its validation.
fn kind_of(method: &Method, field: &str, grade_names: &[String]) -> FieldKind {
    if let Some(labels) = method.text_labels(grade_names) {
        return FieldKind::Choice(labels.into_iter().map(String::from).collect());
    }
    if matches!(method, Method::Ballots { .. }) || field == "count" { FieldKind::Count } else { FieldKind::Number }
}

/// Why a unit's values cannot be written now, if they cannot.
fn read_only_reason(lang: Lang, open: bool, period: &str, submission: Option<&str>) -> Option<String> {
    if !open {
        return Some(match lang {
            Lang::Zh => format!("期间 {period} 未开放填报。"),
            Lang::En => format!("the period {period} is not open for data."),
        });
    }
    match submission {
        Some("submitted" | "accepted") => Some(lang.pick("本期数据已报送并锁定；如需修改，须由审核方退回。", "this period's data has been submitted and is locked; it can change only after a return.").into()),
        _ => None,
    }
}

/// One template row: the indicator's fields with the stored values and what may be written.
#[allow(clippy::too_many_arguments)]
fn row_of(
    ind: &yardstick_engine::model::Indicator,
    subject: Option<(String, String)>,
    unit: &str,
    stored: &HashMap<(String, String, String), ValueRow>,
    last: &HashMap<(String, String, String), String>,
    users: &HashSet<String>,
    writable: bool,
    grade_names: &[String],
) -> Row {
    let fields = ind
        .method
        .fields()
        .into_iter()
        .map(|f| {
            let s = stored.get(&(unit.to_string(), ind.key.clone(), f.clone()));
            Field {
                kind: kind_of(&ind.method, &f, grade_names),
                value: s.map(|v| v.value.clone()).unwrap_or_default(),
                writable: writable && filler_supplies(&f, s, users),
                key: f,
            }
        })
        .collect();
    Row {
        subject,
        indicator: ind.key.clone(),
        indicator_name: ind.name.clone(),
        measure: ind.unit_of_measure.clone().unwrap_or_default(),
        last_year: last_year_of(last, unit, &ind.key),
        fields,
    }
}

fn keyed(values: Vec<ValueRow>) -> HashMap<(String, String, String), ValueRow> {
    values.into_iter().map(|v| ((v.subject.clone(), v.indicator.clone(), v.field.clone()), v)).collect()
}

/// The grade names of a subject's category (for assigned grades).
fn grade_names_of(model: &yardstick_engine::Model, s: usize) -> Vec<String> {
    model.subjects[s].category.map(|c| model.grade_names(model.categories[c as usize].grade_set)).unwrap_or_default()
}

/// A unit's template: the core of the API and the pages.
pub(crate) async fn unit_template_of(st: &AppState, a: &auth::Auth, lang: Lang, plan: &str, period: &str, unit: &str) -> ApiResult<Template> {
    let u = reach_unit(st, a, Perm::UnitTemplate, unit).await?;
    let p = period_of(st, plan, period).await?;
    let model = &p.cached.model;
    let s = model
        .subject_index(&u.key)
        .filter(|s| model.subjects[*s as usize].category.is_some())
        .ok_or_else(|| ApiError::not_found("该单位不在本方案的考核对象中", "this unit is not appraised by the plan"))?;
    let stored = keyed(st.db.values(&p.plan.key, std::slice::from_ref(&p.text), Some(&u.key)).await?);
    let last = last_year(st, &p, Some(&u.key)).await?;
    let users: HashSet<String> = st.db.users().await?.into_iter().filter(|x| x.unit_key.as_deref() == Some(u.key.as_str())).map(|x| x.username).collect();
    let submission = st.db.submission(&p.plan.key, &p.text, &u.key).await?.map(|x| x.status);
    let read_only = read_only_reason(lang, p.open, &p.text, submission.as_deref());
    let grade_names = grade_names_of(model, s as usize);
    let rows = model.versions[p.version]
        .indicators
        .iter()
        .enumerate()
        .filter(|(i, ind)| !ind.method.is_event() && ind.source.is_none() && model.applies(p.version as u32, *i as u32, s, p.period))
        .map(|(_, ind)| row_of(ind, None, &u.key, &stored, &last, &users, read_only.is_none(), &grade_names))
        .collect();
    let deadline = st.db.deadlines(&p.plan.key, &p.text).await?.into_iter().find(|d| d.source.is_empty()).map(|d| crate::ui::datetime(d.due_ms));
    Ok(Template {
        lang,
        filler: Filler::Unit { key: u.key, name: u.name },
        plan_key: p.plan.key,
        plan_name: p.plan.name,
        period_label: crate::ui::period_label(&p.text, lang),
        period: p.text,
        deadline,
        read_only,
        rows,
    })
}

/// Whether the caller may have a source's template: the office any, a department its own
/// (the source named as its unit is).
async fn reach_source(st: &AppState, a: &auth::Auth, source: &str) -> ApiResult<()> {
    match authz::require(a, Perm::SourceTemplate)? {
        Scope::All => Ok(()),
        Scope::OwnUnit => {
            let own = match &a.user.unit_key {
                Some(k) => st.db.unit(k).await?.map(|u| u.name),
                None => None,
            };
            if own.as_deref() == Some(source) { Ok(()) } else { Err(ApiError::forbidden()) }
        }
        Scope::OwnCategory => Err(ApiError::forbidden()),
    }
}

/// A department's template: the core of the API and the pages. Rows are grouped by
/// indicator, units in the registry's order; rows of units whose data is submitted or
/// accepted are locked.
pub(crate) async fn source_template_of(st: &AppState, a: &auth::Auth, lang: Lang, plan: &str, period: &str, source: &str) -> ApiResult<Template> {
    reach_source(st, a, source).await?;
    let p = period_of(st, plan, period).await?;
    let model = &p.cached.model;
    let v = p.version;
    let indicators: Vec<(usize, &yardstick_engine::model::Indicator)> =
        model.versions[v].indicators.iter().enumerate().filter(|(_, ind)| !ind.method.is_event() && ind.source.as_deref() == Some(source)).collect();
    if indicators.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_indicators",
            format!("{} 没有由“{source}”负责填报的指标", p.text),
            format!("no indicator of {} is supplied by '{source}'", p.text),
        ));
    }
    let stored = keyed(st.db.values(&p.plan.key, std::slice::from_ref(&p.text), None).await?);
    let last = last_year(st, &p, None).await?;
    let dept_units: HashSet<String> = st.db.units(None).await?.into_iter().filter(|u| u.name == source).map(|u| u.key).collect();
    let users: HashSet<String> = st.db.users().await?.into_iter().filter(|x| x.unit_key.as_ref().is_some_and(|k| dept_units.contains(k))).map(|x| x.username).collect();
    let locked: HashSet<String> = st.db.submissions(&p.plan.key, &p.text).await?.into_iter().filter(|x| x.status != "returned").map(|x| x.unit_key).collect();
    let read_only = read_only_reason(lang, p.open, &p.text, None);
    let mut rows = Vec::new();
    for (i, ind) in &indicators {
        for (s, subject) in model.subjects.iter().enumerate() {
            if !model.applies(v as u32, *i as u32, s as u32, p.period) {
                continue;
            }
            let writable = read_only.is_none() && !locked.contains(&subject.key);
            let grade_names = if matches!(ind.method, Method::AssignedGrade { .. }) { grade_names_of(model, s) } else { Vec::new() };
            rows.push(row_of(ind, Some((subject.key.clone(), subject.name.clone())), &subject.key, &stored, &last, &users, writable, &grade_names));
        }
    }
    let deadlines = st.db.deadlines(&p.plan.key, &p.text).await?;
    let deadline = deadlines.iter().find(|d| d.source == source).or_else(|| deadlines.iter().find(|d| d.source.is_empty())).map(|d| crate::ui::datetime(d.due_ms));
    Ok(Template {
        lang,
        filler: Filler::Department { source: source.to_string() },
        plan_key: p.plan.key,
        plan_name: p.plan.name,
        period_label: crate::ui::period_label(&p.text, lang),
        period: p.text,
        deadline,
        read_only,
        rows,
    })
}

// ---------------------------------------------------------------------------
// The pages: `/template.xlsx?plan=…&period=…&unit=…|source=…` (a plain GET form can ask
// for it), and the links on the data-entry page and the period desk.

#[derive(Deserialize, Default)]
pub(crate) struct DownloadQuery {
    plan: Option<String>,
    period: Option<String>,
    unit: Option<String>,
    source: Option<String>,
}

/// `GET /template.xlsx`: the same workbooks as the API, for links and forms on the pages.
pub(crate) async fn download_page(State(st): State<AppState>, crate::ui::SignedIn(a): crate::ui::SignedIn, L(lang): L, Q(q): Q<DownloadQuery>) -> ApiResult<Response> {
    let plan = q.plan.unwrap_or_default();
    let period = q.period.unwrap_or_default();
    let t = match (q.unit.filter(|u| !u.is_empty()), q.source.filter(|s| !s.is_empty())) {
        (Some(unit), None) => unit_template_of(&st, &a, lang, &plan, &period, &unit).await?,
        (None, Some(source)) => source_template_of(&st, &a, lang, &plan, &period, &source).await?,
        _ => return Err(ApiError::bad_request("unit_or_source", "请选择一个单位或一个责任部门", "choose a unit or a responsible department")),
    };
    xlsx(t).await
}

/// The link to a template on the pages.
pub(crate) fn page_link(plan: &str, period: &str, who: (&str, &str)) -> String {
    format!("/template.xlsx?plan={}&period={}&{}={}", crate::ui::enc(plan), crate::ui::enc(period), who.0, crate::ui::enc(who.1).replace('/', "%2F"))
}

/// What the period desk offers: a unit picker and one link per responsible department.
pub(crate) struct DeskTemplates {
    /// Units the plan appraises: (key, name).
    pub units: Vec<(String, String)>,
    /// Sources of the period's indicators: (name, link).
    pub sources: Vec<(String, String)>,
}

/// The desk's template links (the office only; empty for others or an unopened period).
pub(crate) async fn desk_templates(st: &AppState, a: &auth::Auth, plan: &str, period: &str) -> ApiResult<DeskTemplates> {
    let none = DeskTemplates { units: Vec::new(), sources: Vec::new() };
    if authz::scope(a.user.role, Perm::UnitTemplate) != Some(Scope::All) {
        return Ok(none);
    }
    let Some(parsed) = Period::parse(period) else { return Ok(none) };
    if !st.db.periods(plan).await?.iter().any(|p| p.period == period) {
        return Ok(none);
    }
    let Ok(cached) = st.models.get(&st.db, plan).await else { return Ok(none) };
    let model = &cached.model;
    let v = model.version_for(parsed);
    let ver = &model.versions[v as usize];
    let units = model
        .subjects
        .iter()
        .enumerate()
        .filter(|(s, _)| (0..ver.indicators.len()).any(|i| !ver.indicators[i].method.is_event() && ver.indicators[i].source.is_none() && model.applies(v, i as u32, *s as u32, parsed)))
        .map(|(_, x)| (x.key.clone(), x.name.clone()))
        .collect();
    let mut sources: Vec<String> = ver.indicators.iter().filter(|i| !i.method.is_event()).filter_map(|i| i.source.clone()).collect();
    sources.sort();
    sources.dedup();
    let sources = sources.into_iter().map(|s| (s.clone(), page_link(plan, period, ("source", &s)))).collect();
    Ok(DeskTemplates { units, sources })
}

/// The data-entry page's links: the unit's template, and a department's own (its name and link).
pub(crate) struct EntryTemplates {
    pub unit: Option<String>,
    pub source: Option<(String, String)>,
}

/// The data-entry page's links, for what the caller may download (shown only; the download
/// asks `authz` again).
pub(crate) fn entry_templates(a: &auth::Auth, model: &yardstick_engine::Model, period: Period, plan: &str, unit: &str, own_name: Option<&str>) -> EntryTemplates {
    let text = period.to_string();
    let unit_link = authz::scope(a.user.role, Perm::UnitTemplate).filter(|s| authz::reaches(a, *s, unit, None, None)).map(|_| page_link(plan, &text, ("unit", unit)));
    let v = model.version_for(period) as usize;
    let source = match (authz::scope(a.user.role, Perm::SourceTemplate), own_name) {
        (Some(Scope::OwnUnit), Some(name)) if model.versions[v].indicators.iter().any(|i| !i.method.is_event() && i.source.as_deref() == Some(name)) => {
            Some((name.to_string(), page_link(plan, &text, ("source", name))))
        }
        _ => None,
    };
    EntryTemplates { unit: unit_link, source }
}
