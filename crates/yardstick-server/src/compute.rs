//! Scoring a period from what the database holds: the plan version's text, the registry's
//! units as the subjects, and the period's values and occurrences. The rows are fed to the
//! same loader the command line uses, so the server and `yardstick score` agree to the cent
//! and report bad data with the same messages.

use std::collections::BTreeSet;
use std::sync::Arc;

use rayon::prelude::*;
use yardstick_engine::dec::format_cents;
use yardstick_engine::{Model, Period, Roster, Scorer};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::{SubjectsSource, load_plan};
use yardstick_formats::{Lang, Msg, Place, Problem};
use yardstick_project::{load, render};
use yardstick_storage::registry::{Area, Person, Unit};
use yardstick_storage::results::{Explanation, ResultRow};
use yardstick_storage::values::{Occurrence, ValueRow};
use yardstick_storage::{Db, StorageError};

/// Why a period could not be computed.
#[derive(Debug)]
pub enum ComputeError {
    /// The plan, the registry or the data has problems (each located, in both languages).
    Problems(Vec<Problem>),
    Storage(StorageError),
}

impl From<StorageError> for ComputeError {
    fn from(e: StorageError) -> Self {
        ComputeError::Storage(e)
    }
}

fn problem(zh: impl Into<String>, en: impl Into<String>) -> Vec<Problem> {
    vec![Problem { place: Place::default(), msg: Msg::new(zh, en) }]
}

/// What a plan text says about categories, read before the full parse: which categories it
/// defines, which of them use coefficients, and how many static levels it has.
struct PlanShape {
    categories: std::collections::HashMap<String, bool>,
    static_levels: i64,
}

fn plan_shape(text: &str) -> PlanShape {
    let t: toml::Table = text.parse().unwrap_or_default();
    let categories = t
        .get("categories")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| Some((c.get("key")?.as_str()?.to_string(), c.get("coefficients").and_then(|v| v.as_bool()).unwrap_or(false))))
                .collect()
        })
        .unwrap_or_default();
    let static_levels = t.get("coefficients").and_then(|c| c.get("static_levels")).and_then(|l| l.as_array()).map_or(0, |a| a.len() as i64);
    PlanShape { categories, static_levels }
}

/// The registry as a subjects file for one plan: areas, units under their area, people under
/// their unit (with their kind — person, cadre, team — and category). A
/// unit whose category the plan does not define is listed without a category (it is not
/// scored under this plan), and a static coefficient level is passed only to categories
/// that use coefficients, so that registering next year's categories or levels never
/// blocks this year's data entry.
pub fn subjects_csv_for(plan: &str, areas: &[Area], units: &[Unit], people: &[Person]) -> String {
    let shape = plan_shape(plan);
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["key", "name", "kind", "parent", "category", "static_level"]);
    for a in areas {
        let _ = w.write_record([a.key.as_str(), &a.name, "area", a.parent_key.as_deref().unwrap_or(""), "", ""]);
    }
    for u in units.iter().filter(|u| u.active) {
        let uses = u.category_key.as_ref().and_then(|c| shape.categories.get(c).copied());
        let category = if uses.is_some() { u.category_key.as_deref().unwrap_or("") } else { "" };
        let level = match (uses, u.static_level) {
            (Some(true), Some(l)) if (1..=shape.static_levels).contains(&l) => l.to_string(),
            (Some(true), Some(l)) => l.to_string(),
            _ => String::new(),
        };
        let _ = w.write_record([u.key.as_str(), &u.name, "unit", u.area_key.as_deref().unwrap_or(""), category, &level]);
    }
    // People under their (active) unit, compared in their category when the plan defines it.
    let active: std::collections::HashSet<&str> = units.iter().filter(|u| u.active).map(|u| u.key.as_str()).collect();
    for x in people.iter().filter(|x| active.contains(x.unit_key.as_str())) {
        let category = x.category_key.as_deref().filter(|c| shape.categories.contains_key(*c)).unwrap_or("");
        // A person's static level is given whenever the plan has that many levels: rewards may
        // use it even where scores do not (a category without coefficients).
        let level = x.static_level.filter(|l| (1..=shape.static_levels).contains(l)).map(|l| l.to_string()).unwrap_or_default();
        let _ = w.write_record([x.key.as_str(), &x.name, &x.kind, &x.unit_key, category, &level]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Values and occurrences as one data file, one field per row.
pub fn data_csv(values: &[ValueRow], occurrences: &[Occurrence]) -> String {
    let fields: BTreeSet<&str> = values.iter().map(|v| v.field.as_str()).chain(occurrences.iter().map(|o| o.field.as_str())).collect();
    let fields: Vec<&str> = fields.into_iter().collect();
    let mut w = csv::Writer::from_writer(Vec::with_capacity(values.len() * 40));
    let mut header = vec!["period", "subject", "indicator", "reason"];
    header.extend(&fields);
    let _ = w.write_record(&header);
    let width = header.len();
    let put = |w: &mut csv::Writer<Vec<u8>>, cells: [&str; 4], field: &str, value: &str| {
        if let Ok(i) = fields.binary_search(&field) {
            let _ = w.write_record((0..width).map(|j| if j < 4 { cells[j] } else if j == 4 + i { value } else { "" }));
        }
    };
    for v in values {
        put(&mut w, [&v.period, &v.subject, &v.indicator, ""], &v.field, &v.value);
    }
    for o in occurrences {
        put(&mut w, [&o.period, &o.subject, &o.indicator, &o.reason], &o.field, o.amount.as_deref().unwrap_or(""));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Refuses plans that list their own subjects: in the server, subjects are the registry's units.
fn registry_only(text: &str) -> Result<(), Vec<Problem>> {
    if let Ok(t) = text.parse::<toml::Table>() {
        if t.contains_key("subjects") {
            return Err(problem(
                "服务器中的被考核对象来自单位名录：请删除方案中的 [[subjects]]",
                "in the server the subjects are the registry's units: remove [[subjects]] from the plan",
            ));
        }
    }
    Ok(())
}

/// The registry — areas, units and people — as the subjects file of a plan text.
pub async fn registry_subjects(db: &Db, plan: &str) -> Result<String, ComputeError> {
    Ok(subjects_csv_for(plan, &db.areas().await?, &db.units(None).await?, &db.people(None).await?))
}

/// Checks a plan text against the current registry; the model on success.
pub async fn check_plan(db: &Db, text: &str) -> Result<Model, ComputeError> {
    registry_only(text).map_err(ComputeError::Problems)?;
    let subjects = registry_subjects(db, text).await?;
    let text = text.to_string();
    tokio::task::spawn_blocking(move || {
        load_plan("plan.toml", &text, Some(SubjectsSource { file: "units", text: &subjects })).map(|l| l.model).map_err(ComputeError::Problems)
    })
    .await
    .unwrap_or_else(|e| Err(ComputeError::Problems(problem(format!("内部错误：{e}"), format!("internal error: {e}")))))
}

/// What a computation stored.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Computed {
    pub set_id: i64,
    pub plan_version: i64,
    pub rows: usize,
}

/// Computes a period from the stored plan (latest version), registry and data, and stores the
/// result set with each subject's explanation. Nothing is published.
pub async fn compute_period(db: &Db, plan_key: &str, period_text: &str, actor: &str, now_ms: i64) -> Result<Computed, ComputeError> {
    let period = Period::parse(period_text).ok_or_else(|| ComputeError::Problems(problem(format!("期间“{period_text}”无效"), format!("the period '{period_text}' is not valid"))))?;
    let (plan_version, text) = db
        .plan_text(plan_key, None)
        .await?
        .ok_or_else(|| ComputeError::Problems(problem(format!("方案“{plan_key}”还没有版本"), format!("the plan '{plan_key}' has no version yet"))))?;
    registry_only(&text).map_err(ComputeError::Problems)?;
    let subjects = registry_subjects(db, &text).await?;
    let periods: Vec<String> = load::periods_needed(period).iter().map(|p| p.to_string()).collect();
    let mut values = db.values(plan_key, &periods, None).await?;
    values.extend(parent_levels(db, &text, &periods).await?);
    let occurrences = db.occurrences(plan_key, &periods, None).await?;
    let rows = tokio::task::spawn_blocking(move || score_rows(&text, &subjects, &values, &occurrences, period))
        .await
        .unwrap_or_else(|e| Err(problem(format!("内部错误：{e}"), format!("internal error: {e}"))))
        .map_err(ComputeError::Problems)?;
    let n = rows.len();
    let set_id = db.save_result_set(plan_key, &period.to_string(), plan_version, &rows, actor, now_ms).await?;
    Ok(Computed { set_id, plan_version, rows: n })
}

/// The parent coefficient's levels from another plan (`coefficients.parent_source`): for
/// each month, every unit's grade in that plan's publication in force, as the level of the
/// plan's `parent_input` (M12: "the unit's result sets its people's coefficients"). A month
/// not published there gives no levels, and the people under it then fail to score, naming
/// their parent.
async fn parent_levels(db: &Db, text: &str, periods: &[String]) -> Result<Vec<ValueRow>, ComputeError> {
    let Ok(t) = text.parse::<toml::Table>() else { return Ok(Vec::new()) };
    let c = t.get("coefficients");
    let (Some(source), Some(input)) = (c.and_then(|c| c.get("parent_source")).and_then(|s| s.as_str()), c.and_then(|c| c.get("parent_input")).and_then(|s| s.as_str())) else {
        return Ok(Vec::new());
    };
    let units: std::collections::HashSet<String> = db.units(None).await?.into_iter().map(|u| u.key).collect();
    let mut out = Vec::new();
    for p in periods.iter().filter(|p| Period::parse(p).is_some_and(|x| x.level == yardstick_engine::Level::Month)) {
        let Some(x) = db.current_publication(source, p).await? else { continue };
        for r in db.result_rows(x.set_id, None, 0, i64::MAX).await? {
            if let Some(g) = r.grade.filter(|_| units.contains(&r.subject)) {
                out.push(ValueRow { period: p.clone(), subject: r.subject, indicator: input.to_string(), field: "level".into(), value: g, updated_ms: x.published_ms, updated_by: x.published_by.clone() });
            }
        }
    }
    Ok(out)
}

/// The pure part: plan + subjects + data → result rows with explanations.
pub fn score_rows(plan: &str, subjects: &str, values: &[ValueRow], occurrences: &[Occurrence], period: Period) -> Result<Vec<(ResultRow, Explanation)>, Vec<Problem>> {
    let model = load_plan("plan.toml", plan, Some(SubjectsSource { file: "units", text: subjects }))?.model;
    let roster = Arc::new(Roster::new(&model));
    let loader = DataLoader::new(&model, roster.clone(), Some(load::periods_needed(period)));
    loader.add_csv("data", &data_csv(values, occurrences));
    let data = loader.finish()?;
    let scorer = Scorer::new(&model, roster, &data);
    let result = scorer.score(period).map_err(|e| load::score_problems(&model, &e))?;
    let mut todo = Vec::new();
    for c in &result.categories {
        let cat = &model.categories[c.category as usize];
        let total_cents = cat.total.to_cents().unwrap_or(10_000);
        for (pos, row) in c.rows.iter().enumerate() {
            todo.push((c.category, cat.key.clone(), total_cents, pos, row));
        }
    }
    todo.into_par_iter()
        .map(|(cat_index, cat_key, total_cents, pos, row)| {
            let trace = scorer.explain(period, row.subject).map_err(|e| load::score_problems(&model, &e))?;
            let set = &model.grade_sets[model.categories[cat_index as usize].grade_set as usize];
            let explain = serde_json::json!({
                "explain": render::explain_json(&model, &result, row.subject, &trace),
                "text": {
                    "zh": render::render_explain(&model, &result, row.subject, &trace, Lang::Zh),
                    "en": render::render_explain(&model, &result, row.subject, &trace, Lang::En),
                },
                "name": model.subjects[row.subject as usize].name,
                "remark": { "zh": render::remark(&model, row, Lang::Zh), "en": render::remark(&model, row, Lang::En) },
                "flags": row.flags,
                "extra": format_cents(row.extra_cents),
            });
            Ok((
                ResultRow {
                    subject: model.subjects[row.subject as usize].key.clone(),
                    category: cat_key,
                    position: pos as i64,
                    score: Some(format_cents(row.cents)),
                    rank: Some(i64::from(row.rank)),
                    tied: row.tied,
                    grade: set.grades.get(row.grade as usize).map(|g| g.name.clone()),
                    vetoed: row.veto.is_some(),
                    lost: format_cents((total_cents - row.cents).max(0)),
                },
                Explanation::pack(&explain.to_string()),
            ))
        })
        .collect()
}

/// A parsed plan version with the registry's units, kept between requests so that checking
/// a unit's values does not re-read the plan. Entries are dropped when this server changes
/// the registry or adds a plan version, and after `ttl` (changes made by another server
/// sharing the database).
pub struct ModelCache {
    inner: std::sync::Mutex<std::collections::HashMap<String, CachedModel>>,
    ttl: std::time::Duration,
}

#[derive(Clone)]
pub struct CachedModel {
    pub version: i64,
    pub model: Arc<Model>,
    pub roster: Arc<Roster>,
    at: std::time::Instant,
}

impl ModelCache {
    pub fn new(ttl: std::time::Duration) -> ModelCache {
        ModelCache { inner: std::sync::Mutex::new(std::collections::HashMap::new()), ttl }
    }

    /// The latest version of a plan, parsed against the current registry.
    pub async fn get(&self, db: &Db, plan_key: &str) -> Result<CachedModel, ComputeError> {
        let latest = db.plan_versions(plan_key).await?.last().map(|v| v.version);
        let Some(latest) = latest else {
            return Err(ComputeError::Problems(problem(format!("方案“{plan_key}”还没有版本"), format!("the plan '{plan_key}' has no version yet"))));
        };
        if let Some(c) = self.inner.lock().expect("model cache").get(plan_key) {
            if c.version == latest && c.at.elapsed() < self.ttl {
                return Ok(c.clone());
            }
        }
        let (version, text) = db.plan_text(plan_key, Some(latest)).await?.ok_or_else(|| ComputeError::Storage(StorageError::NotFound(format!("plan '{plan_key}'"))))?;
        let model = check_plan(db, &text).await?;
        let roster = Arc::new(Roster::new(&model));
        let c = CachedModel { version, model: Arc::new(model), roster, at: std::time::Instant::now() };
        self.inner.lock().expect("model cache").insert(plan_key.to_string(), c.clone());
        Ok(c)
    }

    pub fn invalidate(&self) {
        self.inner.lock().expect("model cache").clear();
    }
}
