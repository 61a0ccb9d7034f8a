//! Reading plan, subjects and data files from disk into a ready-to-score project.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use yardstick_engine::score::ScoreErrorKind;
use yardstick_engine::{DataSet, Model, Period, Roster, ScoreError};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::{SubjectsSource, load_plan};
use yardstick_formats::{Msg, Place, Problem};

/// A plan with its data, ready to score.
pub struct Project {
    pub model: Model,
    pub roster: Arc<Roster>,
    pub data: DataSet,
}

fn read(path: &Path) -> Result<String, Vec<Problem>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Problem {
            place: Place { file: path.display().to_string(), ..Place::default() },
            msg: Msg::new(format!("无法读取文件：{e}"), format!("cannot read the file: {e}")),
        }]
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = memchr_count(upto) + 1;
        vec![Problem {
            place: Place { file: path.display().to_string(), line: Some(line), ..Place::default() },
            msg: Msg::new("文件不是 UTF-8 编码（请另存为 UTF-8 CSV）", "the file is not UTF-8 (save it as UTF-8 CSV)"),
        }]
    })
}

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// Loads and checks a plan; `subjects` overrides the file the plan names.
pub fn load_model(plan: &Path, subjects: Option<&Path>) -> Result<Model, Vec<Problem>> {
    let text = read(plan)?;
    let plan_name = plan.display().to_string();
    // Find the subjects file the plan names (relative to the plan) before the full parse.
    let named: Option<PathBuf> = subjects.map(Path::to_path_buf).or_else(|| {
        let v: toml::Table = toml::from_str(&text).ok()?;
        // Subjects listed inline take precedence over a named file.
        if v.get("subjects").is_some() {
            return None;
        }
        let rel = v.get("plan")?.get("subjects")?.as_str()?.to_string();
        Some(plan.parent().unwrap_or(Path::new(".")).join(rel))
    });
    let subjects_text = match &named {
        Some(p) => Some((p.display().to_string(), read(p)?)),
        None => None,
    };
    let src = subjects_text.as_ref().map(|(f, t)| SubjectsSource { file: f, text: t });
    load_plan(&plan_name, &text, src).map(|l| l.model)
}

/// The periods whose data a period's score needs: itself and everything within it.
pub fn periods_needed(p: Period) -> Vec<Period> {
    let mut v = Vec::new();
    for level in yardstick_engine::Level::ALL {
        v.extend(p.parts(level));
    }
    v
}

pub fn load_project(plan: &Path, subjects: Option<&Path>, data: &[PathBuf], wanted: Option<Vec<Period>>) -> Result<Project, Vec<Problem>> {
    let model = load_model(plan, subjects)?;
    if let Some(p) = wanted.iter().flatten().find(|p| p.year != model.plan.year) {
        return Err(vec![Problem {
            place: Place { file: "--period".into(), ..Place::default() },
            msg: Msg::new(
                format!("期间 {p} 不在方案年度 {} 内", model.plan.year),
                format!("the period {p} is outside the plan year {}", model.plan.year),
            ),
        }]);
    }
    let roster = Arc::new(Roster::new(&model));
    let texts: Vec<(String, String)> = data
        .iter()
        .map(|p| read(p).map(|t| (p.display().to_string(), t)))
        .collect::<Result<_, _>>()?;
    let loader = DataLoader::new(&model, roster.clone(), wanted);
    for (name, text) in &texts {
        loader.add_csv(name, text);
    }
    let ds = loader.finish()?;
    drop(texts);
    Ok(Project { model, roster, data: ds })
}

/// Turns the engine's scoring errors into located, bilingual problems.
pub fn score_problems(model: &Model, errors: &[ScoreError]) -> Vec<Problem> {
    errors
        .iter()
        .map(|e| {
            let subject = e.subject.map(|s| model.subjects[s as usize].key.clone()).unwrap_or_default();
            let version = &model.versions[model.version_for(e.period) as usize];
            let indicator = e.indicator.map(|i| version.indicators[i as usize].key.clone()).unwrap_or_default();
            let p = e.period;
            let msg = match &e.kind {
                ScoreErrorKind::NoData => Msg::new(format!("数据中没有 {p} 的记录"), format!("the data has no rows for {p}")),
                ScoreErrorKind::Missing { field } => Msg::new(
                    format!("{p}：“{subject}”的指标“{indicator}”缺少 {field}"),
                    format!("{p}: '{subject}' has no {field} for indicator '{indicator}'"),
                ),
                ScoreErrorKind::DivisionByZero => Msg::new(
                    format!("{p}：“{subject}”的指标“{indicator}”计算中出现除以零"),
                    format!("{p}: indicator '{indicator}' of '{subject}' divides by zero"),
                ),
                ScoreErrorKind::Overflow => Msg::new(
                    format!("{p}：“{subject}”的指标“{indicator}”结果超出范围"),
                    format!("{p}: indicator '{indicator}' of '{subject}' gives a result out of range"),
                ),
                ScoreErrorKind::MissingAreaInput { input } => Msg::new(
                    format!("{p}：缺少地区级输入“{input}”（动态系数需要）"),
                    format!("{p}: the area input '{input}' needed by the dynamic coefficient is missing"),
                ),
                ScoreErrorKind::MissingStaticLevel => Msg::new(
                    format!("“{subject}”没有静态系数档次"),
                    format!("'{subject}' has no static coefficient level"),
                ),
                ScoreErrorKind::MissingParentLevel { input } => {
                    let parent = e.subject.and_then(|s| model.subjects[s as usize].parent).map(|p| model.subjects[p as usize].key.clone());
                    match parent {
                        Some(parent) => Msg::new(
                            format!("{p}：“{subject}”的上级“{parent}”缺少“{input}”（挂钩系数需要）"),
                            format!("{p}: '{parent}', the parent of '{subject}', has no '{input}' (needed by the parent coefficient)"),
                        ),
                        None => Msg::new(
                            format!("“{subject}”没有上级，无法取得挂钩系数“{input}”"),
                            format!("'{subject}' has no parent to take the coefficient '{input}' from"),
                        ),
                    }
                }
            };
            Problem { place: Place { file: "data".into(), field: (!indicator.is_empty()).then(|| format!("{subject}/{indicator}")), ..Place::default() }, msg }
        })
        .collect()
}
