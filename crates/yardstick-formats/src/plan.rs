//! The plan file (TOML): categories, grade sets, coefficients, indicators, versions.
//! See `docs/plan-format.md` for every field.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Deserialize;
use toml::Spanned;
use yardstick_engine::formula::Formula;
use yardstick_engine::model::*;
use yardstick_engine::{Dec, Level, Period};

use crate::subjects::{self, RawSubject};
use crate::{Msg, Place, Problem, line_col, numtext};

/// A number in the plan: TOML integer, float (read back exactly as written) or string (`"30%"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum NumText {
    Int(i64),
    Float(f64),
    Text(String),
}

impl NumText {
    fn to_dec(&self) -> Result<Dec, Msg> {
        match self {
            NumText::Int(i) => Ok(Dec::from_int(*i)),
            // Rust prints the shortest text that reads back as the same float, which
            // is the literal the person wrote for any number with up to 15 digits.
            NumText::Float(f) if f.is_finite() => numtext::parse_number(&format!("{f}")),
            NumText::Float(_) => Err(Msg::new("数值无效", "not a finite number")),
            NumText::Text(s) => numtext::parse_number(s),
        }
    }

    /// A share written as a decimal, a percentage or a fraction such as `2/3`.
    fn to_ratio(&self) -> Result<(Dec, Dec), Msg> {
        if let NumText::Text(s) = self {
            if let Some((a, b)) = s.split_once('/') {
                let (a, b) = (numtext::parse_number(a)?, numtext::parse_number(b)?);
                if b.is_zero() {
                    return Err(Msg::new("分母不能为零", "the denominator cannot be zero"));
                }
                return Ok((a, b));
            }
        }
        Ok((self.to_dec()?, Dec::ONE))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    plan: RawPlanInfo,
    #[serde(default)]
    series: Vec<RawSeries>,
    #[serde(default)]
    grade_sets: Vec<RawGradeSet>,
    #[serde(default)]
    categories: Vec<RawCategory>,
    #[serde(default)]
    coefficients: Option<RawCoefficients>,
    #[serde(default)]
    subjects: Vec<RawInlineSubject>,
    #[serde(default)]
    aggregation: Option<RawAggregations>,
    #[serde(default)]
    modules: Vec<RawModule>,
    #[serde(default)]
    indicators: Vec<RawIndicator>,
    #[serde(default)]
    versions: Vec<RawVersion>,
    #[serde(default)]
    warnings: Vec<RawWarning>,
    #[serde(default)]
    consequences: Vec<RawConsequence>,
    #[serde(default)]
    rectification: Option<RawRectification>,
    #[serde(default)]
    rewards: Vec<RawReward>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReward {
    key: Spanned<String>,
    name: String,
    level: String,
    #[serde(default)]
    categories: Vec<String>,
    pool: Option<NumText>,
    grades: Vec<RawRewardGrade>,
    #[serde(default)]
    static_coefficient: bool,
    #[serde(default)]
    by_score: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRewardGrade {
    name: String,
    factor: Option<NumText>,
    amount: Option<NumText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWarning {
    indicator: Option<String>,
    measure: Spanned<String>,
    threshold: Option<NumText>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsequence {
    level: Spanned<String>,
    bottom: Option<u32>,
    #[serde(default)]
    grade: Option<OneOrMany>,
    consecutive: Option<u32>,
    cumulative: Option<u32>,
    restart: Option<bool>,
    action: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRectification {
    days: Option<u32>,
    #[serde(default)]
    grades: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanInfo {
    key: String,
    name: String,
    year: u16,
    #[serde(default)]
    office: String,
    #[serde(default)]
    subjects: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    key: Spanned<String>,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGradeSet {
    key: Spanned<String>,
    #[serde(default)]
    name: String,
    grades: Vec<RawGrade>,
    veto_grade: Option<String>,
    #[serde(default)]
    rounding: Option<Spanned<String>>,
    #[serde(default)]
    tie_break_by_extra: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrade {
    name: String,
    quota: Option<NumText>,
    min_score: Option<NumText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    key: Spanned<String>,
    name: String,
    series: Option<String>,
    total: Option<NumText>,
    grade_set: String,
    #[serde(default)]
    coefficients: bool,
    #[serde(default)]
    quota_overrides: BTreeMap<String, NumText>,
    aggregation: Option<RawAggregations>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoefficients {
    #[serde(default)]
    static_levels: Vec<NumText>,
    #[serde(default)]
    area_inputs: Vec<String>,
    dynamic: Option<Spanned<String>>,
    /// The parent coefficient: the data's name for a parent's level, and each level's factor.
    parent_input: Option<Spanned<String>>,
    #[serde(default)]
    parent_levels: Vec<RawShare>,
    /// Where the server takes the parents' levels from: the published grades of the units
    /// in this plan's months (the command line takes them from the data file).
    parent_source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInlineSubject {
    key: Spanned<String>,
    name: String,
    #[serde(default)]
    kind: Option<String>,
    parent: Option<String>,
    category: Option<String>,
    static_level: Option<u8>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawAggregations {
    quarter: Option<RawAggregation>,
    half: Option<RawAggregation>,
    year: Option<RawAggregation>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawAggregation {
    components: Vec<RawComponent>,
    grade_adjust: Option<RawGradeAdjust>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    parts: Option<String>,
    indicator: Option<String>,
    share: NumText,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawGradeAdjust {
    level: String,
    points: BTreeMap<String, NumText>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawModule {
    key: Spanned<String>,
    name: String,
    from: Option<String>,
    until: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    key: Spanned<String>,
    name: String,
    #[serde(default)]
    kind: Option<String>,
    module: Option<String>,
    level: Option<String>,
    categories: Option<Vec<String>>,
    subjects: Option<Vec<String>>,
    replaces: Option<String>,
    weight: Option<NumText>,
    #[serde(default)]
    weights: BTreeMap<String, NumText>,
    in_total: Option<bool>,
    source: Option<String>,
    unit: Option<String>,
    auto: Option<String>,
    method: Spanned<String>,
    amplify: Option<RawAmplify>,
    // Method parameters; which apply depends on the method.
    floor: Option<NumText>,
    cap: Option<NumText>,
    total_share: Option<NumText>,
    growth_share: Option<NumText>,
    max_ratio: Option<NumText>,
    per: Option<NumText>,
    from_full: Option<bool>,
    /// `assigned_grade`: a subject without a grade is graded by its score.
    optional: Option<bool>,
    scope: Option<String>,
    places: Option<u32>,
    levels: Option<Vec<RawLevel>>,
    groups: Option<Vec<RawShare>>,
    answers: Option<Vec<RawShare>>,
    excluded: Option<Vec<String>>,
    flags: Option<Vec<RawFlag>>,
    points: Option<Vec<[NumText; 2]>>,
    below: Option<String>,
    bands: Option<Vec<[NumText; 2]>>,
    table: Option<Vec<NumText>>,
    rest: Option<NumText>,
    proportional: Option<bool>,
    direction: Option<String>,
    inputs: Option<Vec<String>>,
    formula: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawAmplify {
    bonus_factor: NumText,
    penalty_factor: NumText,
    penalty_below: NumText,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    name: String,
    share: NumText,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawShare {
    name: String,
    #[serde(alias = "value")]
    share: NumText,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawFlag {
    answers: Vec<String>,
    /// `above` or `below`.
    when: String,
    share: NumText,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVersion {
    key: Spanned<String>,
    from: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    modules: Vec<RawModule>,
    #[serde(default)]
    indicators: Vec<RawIndicator>,
    #[serde(default)]
    remove: Vec<String>,
    aggregation: Option<RawAggregations>,
}

/// A loaded plan: the model, plus where its subjects came from.
#[derive(Debug)]
pub struct LoadedPlan {
    pub model: Model,
}

/// Where the subjects come from when the plan names a file.
pub struct SubjectsSource<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn at(&mut self, span: Option<std::ops::Range<usize>>, field: impl Into<String>, msg: Msg) {
        let line = span.map(|s| line_col(self.text, s.start).0);
        self.problems.push(Problem {
            place: Place { file: self.file.into(), line, field: Some(field.into()), ..Place::default() },
            msg,
        });
    }

    fn dec(&mut self, span: &Option<std::ops::Range<usize>>, field: &str, v: &NumText) -> Dec {
        v.to_dec().unwrap_or_else(|m| {
            self.at(span.clone(), field, m);
            Dec::ZERO
        })
    }

    fn period(&mut self, span: &Option<std::ops::Range<usize>>, field: &str, s: &str, year: u16) -> Option<Period> {
        match Period::parse(s) {
            Some(p) if p.year == year && p.level == Level::Month => Some(p),
            Some(p) if p.year != year => {
                self.at(
                    span.clone(),
                    field,
                    Msg::new(format!("期间“{s}”不在方案年度{year}内"), format!("period '{s}' is outside the plan year {year}")),
                );
                None
            }
            _ => {
                self.at(
                    span.clone(),
                    field,
                    Msg::new(format!("“{s}”不是月份（应为 {year}-03 的形式）"), format!("'{s}' is not a month (write {year}-03)")),
                );
                None
            }
        }
    }
}

/// Parses and checks a plan. `subjects_file` supplies the text of the file the plan's
/// `plan.subjects` names (the caller reads it), or the subjects of a plan that names none
/// (the server passes its registry of units); it is ignored when the plan lists subjects inline.
pub fn load_plan(file: &str, text: &str, subjects_file: Option<SubjectsSource<'_>>) -> Result<LoadedPlan, Vec<Problem>> {
    let raw: RawPlan = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_col(text, s.start).0);
            return Err(vec![Problem {
                place: Place { file: file.into(), line, ..Place::default() },
                msg: Msg::new(format!("方案文件格式错误：{}", e.message()), format!("the plan is not valid: {}", e.message())),
            }]);
        }
    };
    let mut cx = Ctx { file, text, problems: Vec::new() };
    let year = raw.plan.year;

    // Series and grade sets.
    let mut series_index = FxHashMap::default();
    let series: Vec<Series> = raw
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if series_index.insert(s.key.get_ref().clone(), i as u32).is_some() {
                cx.at(Some(s.key.span()), format!("series[{i}].key"), dup_msg(s.key.get_ref()));
            }
            Series { key: s.key.get_ref().clone(), name: s.name.clone() }
        })
        .collect();
    let mut set_index = FxHashMap::default();
    let mut grade_sets = Vec::new();
    for (i, gs) in raw.grade_sets.iter().enumerate() {
        let span = Some(gs.key.span());
        let path = format!("grade_sets[{i}]");
        if set_index.insert(gs.key.get_ref().clone(), i as u32).is_some() {
            cx.at(span.clone(), format!("{path}.key"), dup_msg(gs.key.get_ref()));
        }
        if gs.grades.is_empty() {
            cx.at(span.clone(), format!("{path}.grades"), Msg::new("至少需要一个等次", "at least one grade is needed"));
        }
        let mut grades = Vec::new();
        let mut last_quota = Dec::ZERO;
        for (g, raw) in gs.grades.iter().enumerate() {
            let field = format!("{path}.grades[{g}]");
            let quota = raw.quota.as_ref().map(|q| cx.dec(&span, &format!("{field}.quota"), q));
            if let Some(q) = quota {
                if q < last_quota || q > Dec::ONE || q.is_negative() {
                    cx.at(
                        span.clone(),
                        format!("{field}.quota"),
                        Msg::new(
                            "名额比例是累计的：应在0到100%之间且不小于上一等次",
                            "quotas are cumulative: between 0 and 100% and not below the previous grade's",
                        ),
                    );
                }
                last_quota = q;
            }
            let min_score = raw.min_score.as_ref().map(|m| cx.dec(&span, &format!("{field}.min_score"), m));
            if g + 1 == gs.grades.len() && (quota.is_some() || min_score.is_some()) {
                cx.at(
                    span.clone(),
                    field.clone(),
                    Msg::new("最后一个等次接收其余所有对象，不能设名额或最低分", "the last grade takes everyone left and can have no quota or minimum"),
                );
            }
            if gs.grades[..g].iter().any(|x| x.name == raw.name) {
                cx.at(span.clone(), format!("{field}.name"), Msg::new(format!("等次名称“{}”重复", raw.name), format!("duplicate grade name '{}'", raw.name)));
            }
            grades.push(Grade { name: raw.name.clone(), quota, min_score });
        }
        let veto_grade = match &gs.veto_grade {
            None => grades.len().saturating_sub(1) as u32,
            Some(v) => match grades.iter().position(|g| &g.name == v) {
                Some(p) => p as u32,
                None => {
                    cx.at(span.clone(), format!("{path}.veto_grade"), Msg::new(format!("等次“{v}”不在此等次组中"), format!("grade '{v}' is not in this grade set")));
                    0
                }
            },
        };
        let rounding = match gs.rounding.as_ref().map(|r| r.get_ref().as_str()) {
            None | Some("floor") => QuotaRounding::Floor,
            Some("half_up") => QuotaRounding::HalfUp,
            Some("ceil") => QuotaRounding::Ceil,
            Some(other) => {
                cx.at(span.clone(), format!("{path}.rounding"), Msg::new(format!("取整方式“{other}”无效（floor、half_up、ceil）"), format!("rounding '{other}' is invalid (floor, half_up, ceil)")));
                QuotaRounding::Floor
            }
        };
        grade_sets.push(GradeSet {
            key: gs.key.get_ref().clone(),
            name: gs.name.clone(),
            grades,
            veto_grade,
            rounding,
            tie_break_by_extra: gs.tie_break_by_extra,
        });
    }

    // Categories.
    let mut cat_index = FxHashMap::default();
    let mut categories = Vec::new();
    let mut cat_aggs = Vec::new();
    for (i, c) in raw.categories.iter().enumerate() {
        let span = Some(c.key.span());
        let path = format!("categories[{i}]");
        if cat_index.insert(c.key.get_ref().clone(), i as u32).is_some() {
            cx.at(span.clone(), format!("{path}.key"), dup_msg(c.key.get_ref()));
        }
        let grade_set = set_index.get(&c.grade_set).copied().unwrap_or_else(|| {
            cx.at(span.clone(), format!("{path}.grade_set"), unknown_msg("等次组", "grade set", &c.grade_set));
            0
        });
        let series = c.series.as_ref().and_then(|s| {
            let f = series_index.get(s).copied();
            if f.is_none() {
                cx.at(span.clone(), format!("{path}.series"), unknown_msg("系列", "series", s));
            }
            f
        });
        let total = c.total.as_ref().map_or(Dec::from_int(100), |t| cx.dec(&span, &format!("{path}.total"), t));
        let mut quota_overrides = Vec::new();
        for (g, q) in &c.quota_overrides {
            let q = cx.dec(&span, &format!("{path}.quota_overrides.{g}"), q);
            match grade_sets.get(grade_set as usize).and_then(|s| s.grades.iter().position(|x| &x.name == g)) {
                Some(gi) => {
                    let last = grade_sets[grade_set as usize].grades.len() - 1;
                    if q.is_negative() || q > Dec::ONE || gi == last {
                        cx.at(span.clone(), format!("{path}.quota_overrides.{g}"), Msg::new(
                            "名额比例应在0到100%之间，且最后一个等次不能设名额",
                            "a quota override must be between 0 and 100%, and the last grade can have none",
                        ));
                    }
                    quota_overrides.push((gi as u32, q))
                }
                None => cx.at(span.clone(), format!("{path}.quota_overrides"), unknown_msg("等次", "grade", g)),
            }
        }
        cat_aggs.push((span, c.aggregation.clone()));
        categories.push(Category {
            key: c.key.get_ref().clone(),
            name: c.name.clone(),
            series,
            total,
            grade_set,
            coefficients: c.coefficients,
            quota_overrides,
            aggregation: None,
        });
    }
    if categories.is_empty() {
        cx.at(None, "categories", Msg::new("方案中没有类别", "the plan defines no category"));
    }

    // Coefficients.
    let mut coefficients = Coefficients::default();
    if let Some(rc) = &raw.coefficients {
        coefficients.static_levels = rc.static_levels.iter().map(|v| cx.dec(&None, "coefficients.static_levels", v)).collect();
        coefficients.area_inputs = rc.area_inputs.clone();
        for (i, name) in rc.area_inputs.iter().enumerate() {
            if !is_name(name) || rc.area_inputs[..i].contains(name) {
                cx.at(None, "coefficients.area_inputs", bad_name_msg(name));
            }
        }
        if let Some(d) = &rc.dynamic {
            let vars: Vec<&str> = rc.area_inputs.iter().map(String::as_str).collect();
            match Formula::compile(d.get_ref(), &vars) {
                Ok(f) => coefficients.dynamic = Some(f),
                Err(e) => cx.at(Some(d.span()), "coefficients.dynamic", Msg::new(e.message(true), e.message(false))),
            }
        }
        coefficients.parent = parent_coefficient(&mut cx, rc);
    }

    // Subjects: inline, or from the file the plan names.
    let mut raw_subjects: Vec<RawSubject> = raw
        .subjects
        .iter()
        .map(|s| RawSubject {
            line: Some(line_col(text, s.key.span().start).0),
            key: s.key.get_ref().clone(),
            name: s.name.clone(),
            kind: s.kind.clone().unwrap_or_else(|| "unit".into()),
            parent: s.parent.clone(),
            category: s.category.clone(),
            static_level: s.static_level.map(|l| l.to_string()),
        })
        .collect();
    let mut subjects_file_name = file.to_string();
    if raw_subjects.is_empty() {
        match (&raw.plan.subjects, subjects_file) {
            (_, Some(src)) => {
                raw_subjects = subjects::read_csv(src.text, src.file, &mut cx.problems);
                subjects_file_name = src.file.to_string();
            }
            (Some(name), None) => cx.at(None, "plan.subjects", Msg::new(format!("找不到单位文件“{name}”"), format!("the subjects file '{name}' was not supplied"))),
            (None, _) => cx.at(None, "subjects", Msg::new("方案中没有被考核对象（[[subjects]] 或 plan.subjects）", "the plan has no subjects ([[subjects]] or plan.subjects)")),
        }
    }
    let subjects = subjects::resolve(&raw_subjects, &subjects_file_name, &cat_index, coefficients.static_levels.len(), &mut cx.problems);
    let mut subject_index: FxHashMap<&str, u32> = FxHashMap::default();
    for (i, s) in subjects.iter().enumerate() {
        subject_index.entry(s.key.as_str()).or_insert(i as u32);
    }
    if !coefficients.static_levels.is_empty() {
        for (i, s) in subjects.iter().enumerate() {
            if let Some(c) = s.category {
                if categories[c as usize].coefficients && s.static_level.is_none() {
                    cx.problems.push(Problem {
                        place: Place { file: subjects_file_name.clone(), line: raw_subjects[i].line, column: Some("static_level".into()), ..Place::default() },
                        msg: Msg::new(
                            format!("“{}”所在类别使用系数，须填写静态系数档次", s.key),
                            format!("'{}' is in a category that uses coefficients and needs a static level", s.key),
                        ),
                    });
                }
            }
        }
    }

    // Versions: the top level is the first; each later one changes the previous.
    let first = Period::month(year, 1);
    let mut versions: Vec<PlanVersion> = Vec::new();
    let base_agg = raw.aggregation.clone();
    let mut state_modules = raw.modules.clone();
    let mut state_indicators = raw.indicators.clone();
    let mut state_agg = base_agg;
    let mut steps: Vec<(String, Period, String, Option<std::ops::Range<usize>>)> = vec![("v1".into(), first, String::new(), None)];
    for (vi, v) in raw.versions.iter().enumerate() {
        let span = Some(v.key.span());
        let from = cx.period(&span, &format!("versions[{vi}].from"), &v.from, year).unwrap_or(first);
        if let Some(prev) = steps.last() {
            if from <= prev.1 {
                cx.at(span.clone(), format!("versions[{vi}].from"), Msg::new("版本的生效月份必须晚于上一版本", "a version must start after the previous one"));
            }
        }
        if steps.iter().any(|s| s.0 == *v.key.get_ref()) {
            cx.at(span.clone(), format!("versions[{vi}].key"), dup_msg(v.key.get_ref()));
        }
        steps.push((v.key.get_ref().clone(), from, v.note.clone(), span));
    }
    let all_grades: Vec<String> = grade_sets.iter().flat_map(|g| g.grades.iter().map(|x| x.name.clone())).collect();
    let lookup = Lookups { cat_index: &cat_index, subject_index: &subject_index, grade_names: &all_grades };
    for (k, (key, from, note, _)) in steps.iter().enumerate() {
        if k > 0 {
            let v = &raw.versions[k - 1];
            for m in &v.modules {
                match state_modules.iter_mut().find(|x| x.key.get_ref() == m.key.get_ref()) {
                    Some(x) => *x = m.clone(),
                    None => state_modules.push(m.clone()),
                }
            }
            for r in &v.remove {
                let before = state_indicators.len();
                state_indicators.retain(|x| x.key.get_ref() != r);
                if before == state_indicators.len() {
                    cx.at(Some(v.key.span()), format!("versions[{}].remove", k - 1), unknown_msg("指标", "indicator", r));
                }
            }
            for ind in &v.indicators {
                match state_indicators.iter_mut().find(|x| x.key.get_ref() == ind.key.get_ref()) {
                    Some(x) => *x = ind.clone(),
                    None => state_indicators.push(ind.clone()),
                }
            }
            if v.aggregation.is_some() {
                state_agg = v.aggregation.clone();
            }
        }
        let prefix = if k == 0 { String::new() } else { format!("versions[{}].", k - 1) };
        let version = build_version(&mut cx, &lookup, year, key, *from, note, &state_modules, &state_indicators, state_agg.as_ref(), &prefix);
        versions.push(version);
    }

    // Category aggregation overrides refer to the first version's indicators by key.
    for (c, (span, agg)) in cat_aggs.into_iter().enumerate() {
        if let Some(a) = agg {
            categories[c].aggregation = Some(build_aggregations(&mut cx, &span, &format!("categories[{c}].aggregation"), &a, &versions[0].indicators, &all_grades));
        }
    }

    if let Some(rc) = raw.coefficients.as_ref().filter(|rc| rc.parent_source.is_some()) {
        let src = rc.parent_source.as_deref().unwrap_or_default();
        if rc.parent_input.is_none() {
            cx.at(None, "coefficients.parent_source", Msg::new("parent_source 需要 parent_input 和 parent_levels", "parent_source needs parent_input and parent_levels"));
        } else if src == raw.plan.key || src.trim().is_empty() {
            cx.at(None, "coefficients.parent_source", Msg::new("parent_source 应为另一个方案的编码", "parent_source is the key of another plan"));
        }
    }
    if let Some(pc) = &coefficients.parent {
        // A data row names either an indicator or the parent level, never both.
        if versions.iter().any(|v| v.indicators.iter().any(|i| i.key == pc.input)) {
            let span = raw.coefficients.as_ref().and_then(|rc| rc.parent_input.as_ref()).map(|i| i.span());
            cx.at(span, "coefficients.parent_input", Msg::new(
                format!("“{}”已是指标编码，挂钩系数的输入须另起名称", pc.input),
                format!("'{}' is an indicator's key; the parent coefficient's input needs a name of its own", pc.input),
            ));
        }
    }
    check_weights(&mut cx, &versions, &categories, &subjects, year);
    let (warnings, consequences, rectification) = build_oversight(&mut cx, &raw.warnings, &raw.consequences, raw.rectification.as_ref(), &versions, &all_grades);
    let rewards = build_rewards(&mut cx, &raw.rewards, &categories, &grade_sets, !coefficients.static_levels.is_empty());

    if !cx.problems.is_empty() {
        // Later versions inherit the first one's indicators, and with them its problems:
        // report each problem at a place once.
        let mut seen = std::collections::HashSet::new();
        cx.problems.retain(|p| seen.insert((p.place.file.clone(), p.place.line, p.msg.en.clone())));
        return Err(cx.problems);
    }
    let info = PlanInfo { key: raw.plan.key, name: raw.plan.name, year, office: raw.plan.office };
    Ok(LoadedPlan { model: Model { plan: info, subjects, series, categories, grade_sets, versions, coefficients, warnings, consequences, rectification, rewards } })
}

/// The warning and consequence rules and the rectification settings (M14, M15).
fn build_oversight(
    cx: &mut Ctx<'_>,
    warnings: &[RawWarning],
    consequences: &[RawConsequence],
    rect: Option<&RawRectification>,
    versions: &[PlanVersion],
    grade_names: &[String],
) -> (Vec<yardstick_engine::oversight::WarningRule>, Vec<yardstick_engine::oversight::ConsequenceRule>, yardstick_engine::oversight::Rectification) {
    use yardstick_engine::oversight::{Condition, ConsequenceRule, Measure, Rectification, Span, WarningRule};
    let monitored = |m: &Method| matches!(m, Method::Completion { .. } | Method::Control { .. } | Method::Blended { .. });
    let mut ws = Vec::new();
    for (i, w) in warnings.iter().enumerate() {
        let span = Some(w.measure.span());
        let path = format!("warnings[{i}]");
        let Some(measure) = Measure::parse(w.measure.get_ref()) else {
            cx.at(span, format!("{path}.measure"), Msg::new(
                format!("“{}”不是监测口径（target、progress、last_year、peers）", w.measure.get_ref()),
                format!("'{}' is not a measure (target, progress, last_year, peers)", w.measure.get_ref()),
            ));
            continue;
        };
        if let Some(k) = &w.indicator {
            let found: Vec<&Indicator> = versions.iter().flat_map(|v| v.indicators.iter()).filter(|x| &x.key == k).collect();
            if found.is_empty() {
                cx.at(span.clone(), format!("{path}.indicator"), unknown_msg("指标", "indicator", k));
            } else if !found.iter().any(|x| monitored(&x.method)) {
                cx.at(span.clone(), format!("{path}.indicator"), Msg::new(
                    format!("指标“{k}”不是数据类指标（completion、control 或 blended），无法监测"),
                    format!("the indicator '{k}' is not monitored (its method is not completion, control or blended)"),
                ));
            } else if measure == Measure::LastYear && !found.iter().any(|x| matches!(x.method, Method::Blended { .. })) {
                cx.at(span.clone(), format!("{path}.measure"), Msg::new(
                    format!("同比（last_year）需要增速字段：指标“{k}”应使用 blended 方法"),
                    format!("last_year needs a growth field: the indicator '{k}' must use the blended method"),
                ));
            }
        }
        let threshold = w.threshold.as_ref().map_or(measure.default_threshold(), |t| cx.dec(&span, &format!("{path}.threshold"), t));
        if measure != Measure::LastYear && threshold.is_negative() {
            cx.at(span.clone(), format!("{path}.threshold"), Msg::new("阈值不能为负", "the threshold cannot be negative"));
        }
        let text = w.text.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| {
            format!("{{period}}“{{indicator}}”{}监测值为{{value}}，预警线为{{line}}，已触发预警。请分析原因、采取措施，按期整改。", measure.name_zh())
        });
        if text.chars().count() > 1000 {
            cx.at(span.clone(), format!("{path}.text"), Msg::new("通知内容不超过 1000 字", "the text is at most 1000 characters"));
        }
        ws.push(WarningRule { indicator: w.indicator.clone(), measure, threshold, text });
    }
    let mut cs = Vec::new();
    for (i, c) in consequences.iter().enumerate() {
        let span = Some(c.level.span());
        let path = format!("consequences[{i}]");
        let level = match Level::parse(c.level.get_ref()) {
            Some(l) => l,
            None => {
                cx.at(span, format!("{path}.level"), Msg::new(
                    format!("“{}”不是期间层级（month、quarter、half、year）", c.level.get_ref()),
                    format!("'{}' is not a level (month, quarter, half, year)", c.level.get_ref()),
                ));
                continue;
            }
        };
        let condition = match (c.bottom, &c.grade) {
            (Some(n), None) if n >= 1 => Condition::Bottom { places: n },
            (None, Some(g)) => {
                let grades = match g {
                    OneOrMany::One(s) => vec![s.clone()],
                    OneOrMany::Many(v) => v.clone(),
                };
                for g in &grades {
                    if !grade_names.contains(g) {
                        cx.at(span.clone(), format!("{path}.grade"), unknown_msg("等次", "grade", g));
                    }
                }
                if grades.is_empty() {
                    cx.at(span.clone(), format!("{path}.grade"), Msg::new("至少写一个等次", "name at least one grade"));
                }
                Condition::Grade(grades)
            }
            _ => {
                cx.at(span.clone(), path.clone(), Msg::new(
                    "每条后果规则写 bottom（倒数名次数，至少 1）或 grade（等次）之一",
                    "each consequence rule has either bottom (places from the bottom, at least 1) or grade",
                ));
                continue;
            }
        };
        let periods = |n: Option<u32>, field: &str, cx: &mut Ctx<'_>| {
            let n = n.unwrap_or(1);
            if !(1..=10).contains(&n) {
                let zh = if field == "consecutive" { "连续期数应为 1–10" } else { "累计期数应为 1–10" };
                cx.at(span.clone(), format!("{path}.{field}"), Msg::new(zh, format!("{field} is 1–10")));
            }
            n
        };
        let span_of = match (c.consecutive, c.cumulative) {
            (Some(_), Some(_)) => {
                cx.at(span.clone(), format!("{path}.cumulative"), Msg::new(
                    "consecutive（连续）和 cumulative（累计）只能写一个",
                    "a rule has consecutive or cumulative, not both",
                ));
                continue;
            }
            (_, Some(n)) => {
                if c.restart.is_some() {
                    cx.at(span.clone(), format!("{path}.restart"), Msg::new(
                        "restart 只用于 consecutive：累计规则每满一次就重新计数",
                        "restart goes with consecutive only: a cumulative rule always counts afresh after it fires",
                    ));
                }
                Span::Cumulative { periods: periods(Some(n), "cumulative", cx) }
            }
            (n, None) => Span::Consecutive { periods: periods(n, "consecutive", cx), restart: c.restart.unwrap_or(false) },
        };
        if c.action.trim().is_empty() || c.action.chars().count() > 200 {
            cx.at(span.clone(), format!("{path}.action"), Msg::new("措施应为 1–200 字", "the action is 1–200 characters"));
        }
        cs.push(ConsequenceRule { level, condition, span: span_of, action: c.action.trim().to_string() });
    }
    let mut rectification = Rectification::default();
    if let Some(r) = rect {
        if let Some(d) = r.days {
            if !(1..=365).contains(&d) {
                cx.at(None, "rectification.days", Msg::new("整改期限应为 1–365 天", "days is 1–365"));
            }
            rectification.days = d;
        }
        for g in &r.grades {
            if !grade_names.contains(g) {
                cx.at(None, "rectification.grades", unknown_msg("等次", "grade", g));
            }
        }
        rectification.grades = r.grades.clone();
    }
    (ws, cs, rectification)
}

/// Whether an amount in yuan is whole fen (`12.30`, `12.300`; not `12.305`).
fn whole_fen(d: Dec) -> bool {
    let (n, den) = d.as_fraction();
    (n * 100) % den == 0
}

/// The reward rules (`[[rewards]]`, M12/M14), checked.
fn build_rewards(cx: &mut Ctx<'_>, raw: &[RawReward], categories: &[Category], grade_sets: &[GradeSet], has_static: bool) -> Vec<yardstick_engine::rewards::RewardRule> {
    use yardstick_engine::rewards::{RewardGrade, RewardRule, Worth};
    let mut out: Vec<RewardRule> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let span = Some(r.key.span());
        let path = format!("rewards[{i}]");
        let key = r.key.get_ref().trim().to_string();
        if key.is_empty() || key.len() > 40 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            cx.at(span.clone(), format!("{path}.key"), Msg::new("编码由 1–40 个字母、数字、-、_ 组成", "the key is 1–40 letters, digits, - or _"));
        } else if out.iter().any(|o| o.key == key) {
            cx.at(span.clone(), format!("{path}.key"), Msg::new(format!("奖励规则编码“{key}”重复"), format!("the reward key '{key}' is repeated")));
        }
        let name = r.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            cx.at(span.clone(), format!("{path}.name"), Msg::new("名称应为 1–100 字", "the name is 1–100 characters"));
        }
        let Some(level) = Level::parse(&r.level) else {
            cx.at(span, format!("{path}.level"), Msg::new(
                format!("“{}”不是期间层级（month、quarter、half、year）", r.level),
                format!("'{}' is not a level (month, quarter, half, year)", r.level),
            ));
            continue;
        };
        // The grades a rewarded subject can have: those of the categories' grade sets.
        let mut covered: Vec<&Category> = Vec::new();
        for c in &r.categories {
            match categories.iter().find(|x| &x.key == c) {
                Some(x) => covered.push(x),
                None => cx.at(span.clone(), format!("{path}.categories"), unknown_msg("类别", "category", c)),
            }
        }
        if r.categories.is_empty() {
            covered = categories.iter().collect();
        }
        let names: Vec<&str> = covered.iter().flat_map(|c| grade_sets[c.grade_set as usize].grades.iter().map(|g| g.name.as_str())).collect();
        if r.grades.is_empty() {
            cx.at(span.clone(), format!("{path}.grades"), Msg::new("至少列出一个获奖等次", "list at least one rewarded grade"));
        }
        let mut grades: Vec<RewardGrade> = Vec::new();
        for (j, g) in r.grades.iter().enumerate() {
            let gp = format!("{path}.grades[{j}]");
            if !names.contains(&g.name.as_str()) {
                cx.at(span.clone(), format!("{gp}.name"), unknown_msg("等次", "grade", &g.name));
            } else if grades.iter().any(|x| x.name == g.name) {
                cx.at(span.clone(), format!("{gp}.name"), Msg::new(format!("等次“{}”重复", g.name), format!("the grade '{}' is repeated", g.name)));
            }
            let worth = match (&g.factor, &g.amount) {
                (Some(f), None) => Worth::Factor(cx.dec(&span, &format!("{gp}.factor"), f)),
                (None, Some(a)) => Worth::Amount(cx.dec(&span, &format!("{gp}.amount"), a)),
                _ => {
                    cx.at(span.clone(), gp.clone(), Msg::new("每个获奖等次写 factor（奖金池中的权重）或 amount（固定金额）之一", "each rewarded grade has either factor (a weight in the pool) or amount (a fixed sum)"));
                    continue;
                }
            };
            match worth {
                Worth::Factor(x) | Worth::Amount(x) if x.is_negative() => {
                    cx.at(span.clone(), gp.clone(), Msg::new("系数和金额不能为负", "factors and amounts cannot be negative"));
                }
                Worth::Amount(x) if !whole_fen(x) => {
                    cx.at(span.clone(), format!("{gp}.amount"), Msg::new("金额以元计，最多两位小数", "an amount is in yuan with at most two decimals"));
                }
                _ => {}
            }
            grades.push(RewardGrade { name: g.name.clone(), worth });
        }
        let fixed = grades.iter().filter(|g| matches!(g.worth, Worth::Amount(_))).count();
        if fixed > 0 && fixed < grades.len() {
            cx.at(span.clone(), format!("{path}.grades"), Msg::new("同一规则的等次全部写 factor 或全部写 amount", "a rule's grades are all factors or all amounts"));
        }
        let pool = r.pool.as_ref().map(|p| cx.dec(&span, &format!("{path}.pool"), p));
        if fixed > 0 && pool.is_some() {
            cx.at(span.clone(), format!("{path}.pool"), Msg::new("固定金额的规则不设奖金池", "a rule of fixed amounts has no pool"));
        }
        if let Some(p) = pool {
            if p.is_negative() || !whole_fen(p) {
                cx.at(span.clone(), format!("{path}.pool"), Msg::new("奖金池以元计，不为负，最多两位小数", "the pool is in yuan, not negative, with at most two decimals"));
            }
        }
        if r.static_coefficient && !has_static {
            cx.at(span.clone(), format!("{path}.static_coefficient"), Msg::new(
                "计划没有固定系数（coefficients.static_levels），不能按固定系数分配",
                "the plan has no static coefficients (coefficients.static_levels) to allocate by",
            ));
        }
        out.push(RewardRule { key, name, level, categories: r.categories.clone(), pool, grades, static_coefficient: r.static_coefficient, by_score: r.by_score });
    }
    out
}

struct Lookups<'a> {
    cat_index: &'a FxHashMap<String, u32>,
    subject_index: &'a FxHashMap<&'a str, u32>,
    /// Every grade name of every grade set.
    grade_names: &'a [String],
}

/// The parent coefficient (`parent_input` with `parent_levels`), checked.
fn parent_coefficient(cx: &mut Ctx<'_>, rc: &RawCoefficients) -> Option<ParentCoefficient> {
    let span = rc.parent_input.as_ref().map(|i| i.span());
    let Some(input) = rc.parent_input.as_ref().map(|i| i.get_ref().clone()) else {
        if !rc.parent_levels.is_empty() {
            cx.at(None, "coefficients.parent_input", Msg::new(
                "设置了 parent_levels，还须用 parent_input 指明上级档次的输入名称",
                "parent_levels needs parent_input, the name under which the data gives a parent's level",
            ));
        }
        return None;
    };
    if !is_name(&input) || rc.area_inputs.contains(&input) {
        cx.at(span.clone(), "coefficients.parent_input", bad_name_msg(&input));
    }
    // Levels are stored in a byte per subject, one value meaning "not given".
    if rc.parent_levels.is_empty() || rc.parent_levels.len() > 100 {
        cx.at(span.clone(), "coefficients.parent_levels", Msg::new(
            "挂钩系数需要 1 到 100 个档次（parent_levels）",
            "the parent coefficient needs 1 to 100 levels (parent_levels)",
        ));
    }
    let mut levels: Vec<(String, Dec)> = Vec::with_capacity(rc.parent_levels.len());
    for (i, l) in rc.parent_levels.iter().enumerate() {
        let field = format!("coefficients.parent_levels[{i}]");
        let name = l.name.trim().to_string();
        if name.is_empty() || levels.iter().any(|(n, _)| *n == name) {
            cx.at(span.clone(), format!("{field}.name"), Msg::new(
                format!("档次名称“{name}”为空或重复"),
                format!("the level name '{name}' is empty or repeated"),
            ));
        }
        let value = cx.dec(&span, &format!("{field}.value"), &l.share);
        levels.push((name, value));
    }
    Some(ParentCoefficient { input, levels })
}

/// A name that can stand in a CSV header and a formula: letters, digits and `_`, not starting with a digit.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn bad_name_msg(name: &str) -> Msg {
    Msg::new(
        format!("名称“{name}”无效或重复：只能由文字、数字和下划线组成，且不能以数字开头"),
        format!("the name '{name}' is invalid or repeated: letters, digits and _ only, not starting with a digit"),
    )
}

fn dup_msg(key: &str) -> Msg {
    Msg::new(format!("编码“{key}”重复"), format!("duplicate key '{key}'"))
}

fn unknown_msg(zh_kind: &str, en_kind: &str, key: &str) -> Msg {
    Msg::new(format!("{zh_kind}“{key}”不存在"), format!("{en_kind} '{key}' does not exist"))
}

#[allow(clippy::too_many_arguments)]
fn build_version(
    cx: &mut Ctx<'_>,
    lk: &Lookups<'_>,
    year: u16,
    key: &str,
    from: Period,
    note: &str,
    raw_modules: &[RawModule],
    raw_indicators: &[RawIndicator],
    agg: Option<&RawAggregations>,
    prefix: &str,
) -> PlanVersion {
    let mut modules = Vec::new();
    for (i, m) in raw_modules.iter().enumerate() {
        let span = Some(m.key.span());
        let field = format!("{prefix}modules[{i}]");
        let from = m.from.as_ref().and_then(|s| cx.period(&span, &format!("{field}.from"), s, year));
        let until = m.until.as_ref().and_then(|s| cx.period(&span, &format!("{field}.until"), s, year));
        if modules.iter().any(|x: &Module| x.key == *m.key.get_ref()) {
            cx.at(span.clone(), format!("{field}.key"), dup_msg(m.key.get_ref()));
        }
        modules.push(Module { key: m.key.get_ref().clone(), name: m.name.clone(), from, until });
    }
    if !modules.iter().any(|m| m.key == "main") {
        modules.insert(0, Module { key: "main".into(), name: "主体".into(), from: None, until: None });
    }
    let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
    let mut indicators = Vec::new();
    for (i, r) in raw_indicators.iter().enumerate() {
        if seen.insert(r.key.get_ref(), i).is_some() {
            cx.at(Some(r.key.span()), format!("{prefix}indicators[{i}].key"), dup_msg(r.key.get_ref()));
        }
    }
    let keys: Vec<&str> = raw_indicators.iter().map(|r| r.key.get_ref().as_str()).collect();
    for (i, r) in raw_indicators.iter().enumerate() {
        indicators.push(build_indicator(cx, lk, r, &format!("{prefix}indicators[{i}]"), &modules, &keys));
    }
    let mut aggregation = match agg {
        Some(a) => build_aggregations(cx, &None, &format!("{prefix}aggregation"), a, &indicators, lk.grade_names),
        None => Aggregations::default(),
    };
    // Without a rule, a longer period's score is the mean of its months.
    let mean_of_months = || Aggregation { components: vec![Component { source: ComponentSource::Parts(Level::Month), share: Dec::ONE }], grade_adjust: None };
    for slot in [&mut aggregation.quarter, &mut aggregation.half, &mut aggregation.year] {
        if slot.is_none() {
            *slot = Some(mean_of_months());
        }
    }
    PlanVersion { key: key.into(), from, note: note.into(), modules, indicators, aggregation }
}

fn build_aggregations(cx: &mut Ctx<'_>, span: &Option<std::ops::Range<usize>>, path: &str, a: &RawAggregations, indicators: &[Indicator], grade_names: &[String]) -> Aggregations {
    let mut one = |level: Level, r: &Option<RawAggregation>| -> Option<Aggregation> {
        let r = r.as_ref()?;
        let path = format!("{path}.{}", level.key());
        let mut components = Vec::new();
        for (i, c) in r.components.iter().enumerate() {
            let field = format!("{path}.components[{i}]");
            let share = cx.dec(span, &format!("{field}.share"), &c.share);
            let source = match (&c.parts, &c.indicator) {
                (Some(l), None) => match Level::parse(l) {
                    Some(l2) if l2 < level => ComponentSource::Parts(l2),
                    _ => {
                        cx.at(span.clone(), format!("{field}.parts"), Msg::new(format!("“{l}”不是比{}短的期间", level.name_zh()), format!("'{l}' is not a level shorter than {}", level.key())));
                        continue;
                    }
                },
                (None, Some(k)) => {
                    match indicators.iter().find(|x| &x.key == k) {
                        Some(ind) if ind.level == level => {}
                        Some(_) => cx.at(span.clone(), format!("{field}.indicator"), Msg::new(format!("指标“{k}”不是按{}填报的", level.name_zh()), format!("indicator '{k}' is not entered at the {} level", level.key()))),
                        None => cx.at(span.clone(), format!("{field}.indicator"), unknown_msg("指标", "indicator", k)),
                    }
                    ComponentSource::Indicator(k.clone())
                }
                _ => {
                    cx.at(span.clone(), field, Msg::new("每个组成部分须且仅须指定 parts 或 indicator 之一", "each component needs exactly one of parts or indicator"));
                    continue;
                }
            };
            components.push(Component { source, share });
        }
        let grade_adjust = r.grade_adjust.as_ref().and_then(|g| {
            let lvl = Level::parse(&g.level).filter(|l| *l < level);
            if lvl.is_none() {
                cx.at(span.clone(), format!("{path}.grade_adjust.level"), Msg::new(format!("“{}”不是更短的期间", g.level), format!("'{}' is not a shorter level", g.level)));
            }
            for k in g.points.keys() {
                if !grade_names.contains(k) {
                    cx.at(span.clone(), format!("{path}.grade_adjust.points"), Msg::new(format!("等次“{k}”不在任何等次组中"), format!("grade '{k}' is in no grade set")));
                }
            }
            let points = g.points.iter().map(|(k, v)| (k.clone(), cx.dec(span, &format!("{path}.grade_adjust.points.{k}"), v))).collect();
            lvl.map(|level| GradeAdjust { level, points })
        });
        Some(Aggregation { components, grade_adjust })
    };
    Aggregations { quarter: one(Level::Quarter, &a.quarter), half: one(Level::Half, &a.half), year: one(Level::Year, &a.year) }
}

fn build_indicator(cx: &mut Ctx<'_>, lk: &Lookups<'_>, r: &RawIndicator, path: &str, modules: &[Module], keys: &[&str]) -> Indicator {
    let span = Some(r.key.span());
    let sp = &span;
    let key = r.key.get_ref().clone();
    let kind = match r.kind.as_deref() {
        None => IndicatorKind::Data,
        Some(k) => IndicatorKind::parse(k).unwrap_or_else(|| {
            cx.at(span.clone(), format!("{path}.kind"), Msg::new(format!("指标类型“{k}”无效（data、project、constraint、bonus、evaluation、political）"), format!("indicator kind '{k}' is invalid (data, project, constraint, bonus, evaluation, political)")));
            IndicatorKind::Data
        }),
    };
    let module = match &r.module {
        None => modules.iter().position(|m| m.key == "main").unwrap_or(0) as u32,
        Some(m) => modules.iter().position(|x| &x.key == m).map_or_else(
            || {
                cx.at(span.clone(), format!("{path}.module"), unknown_msg("模块", "module", m));
                0
            },
            |p| p as u32,
        ),
    };
    let level = match &r.level {
        None => Level::Month,
        Some(l) => Level::parse(l).unwrap_or_else(|| {
            cx.at(span.clone(), format!("{path}.level"), Msg::new(format!("期间类型“{l}”无效（month、quarter、half、year）"), format!("level '{l}' is invalid (month, quarter, half, year)")));
            Level::Month
        }),
    };
    let scope = match (&r.categories, &r.subjects) {
        (None, None) => {
            if r.replaces.is_some() {
                cx.at(span.clone(), format!("{path}.replaces"), Msg::new("只有单位个性指标（subjects）可以替换其他指标", "only subject-specific indicators (subjects) can replace another"));
            }
            Scope::Common
        }
        (Some(cs), None) => {
            if r.replaces.is_some() {
                cx.at(span.clone(), format!("{path}.replaces"), Msg::new("只有单位个性指标（subjects）可以替换其他指标", "only subject-specific indicators (subjects) can replace another"));
            }
            Scope::Categories(
            cs.iter()
                .filter_map(|c| {
                    let f = lk.cat_index.get(c).copied();
                    if f.is_none() {
                        cx.at(span.clone(), format!("{path}.categories"), unknown_msg("类别", "category", c));
                    }
                    f
                })
                .collect(),
            )
        }
        (None, Some(ss)) => {
            let subjects = ss
                .iter()
                .filter_map(|s| {
                    let f = lk.subject_index.get(s.as_str()).copied();
                    if f.is_none() {
                        cx.at(span.clone(), format!("{path}.subjects"), unknown_msg("被考核对象", "subject", s));
                    }
                    f
                })
                .collect();
            let replaces = r.replaces.as_ref().and_then(|k| {
                let f = keys.iter().position(|x| x == k).map(|p| p as u32);
                if f.is_none() {
                    cx.at(span.clone(), format!("{path}.replaces"), unknown_msg("指标", "indicator", k));
                }
                f
            });
            Scope::Subjects { subjects, replaces }
        }
        (Some(_), Some(_)) => {
            cx.at(span.clone(), path.to_string(), Msg::new("categories 与 subjects 只能选一个", "use categories or subjects, not both"));
            Scope::Common
        }
    };
    let method = build_method(cx, r, path, sp);
    let weight = r.weight.as_ref().map_or(Dec::ZERO, |w| cx.dec(sp, &format!("{path}.weight"), w));
    if method.is_weighted() && r.weight.is_none() && r.weights.is_empty() && !matches!(method, Method::Direct | Method::RankPoints { proportional: false, .. }) {
        cx.at(span.clone(), format!("{path}.weight"), Msg::new("此计分方法需要分值（weight）", "this method needs a weight"));
    }
    if weight.is_negative() {
        cx.at(span.clone(), format!("{path}.weight"), Msg::new("分值不能为负", "the weight cannot be negative"));
    }
    let mut category_weights = Vec::new();
    for (c, w) in &r.weights {
        let w = cx.dec(sp, &format!("{path}.weights.{c}"), w);
        match lk.cat_index.get(c) {
            Some(ci) => category_weights.push((*ci, w)),
            None => cx.at(span.clone(), format!("{path}.weights"), unknown_msg("类别", "category", c)),
        }
    }
    let amplify = r.amplify.as_ref().map(|a| {
        let f = |cx: &mut Ctx<'_>, n: &str, v: &NumText| {
            let d = cx.dec(sp, &format!("{path}.amplify.{n}"), v);
            if d.is_negative() {
                cx.at(span.clone(), format!("{path}.amplify.{n}"), Msg::new("不能为负", "cannot be negative"));
            }
            d
        };
        Amplify {
            bonus_factor: f(cx, "bonus_factor", &a.bonus_factor),
            penalty_factor: f(cx, "penalty_factor", &a.penalty_factor),
            penalty_below: f(cx, "penalty_below", &a.penalty_below),
        }
    });
    if amplify.is_some() && (method.is_event() || !method.is_weighted()) {
        cx.at(span.clone(), format!("{path}.amplify"), Msg::new("放大加减分只用于计分指标，不用于按次记录的指标", "amplification applies to scored indicators, not to occurrence items"));
    }
    let auto = r.auto.as_deref().and_then(|a| match AutoEvent::parse(a) {
        Some(e) if matches!(method, Method::Deduction { .. } | Method::Veto { .. } | Method::Demotion { .. }) => Some(e),
        Some(_) => {
            cx.at(span.clone(), format!("{path}.auto"), Msg::new("auto 只用于按次记录的扣分、否决或降档指标", "auto applies to deduction, veto or demotion items"));
            None
        }
        None => {
            let keys: Vec<&str> = AutoEvent::ALL.iter().map(|e| e.key()).collect();
            cx.at(span.clone(), format!("{path}.auto"), Msg::new(format!("auto 应为 {} 之一", keys.join("、")), format!("auto is one of {}", keys.join(", "))));
            None
        }
    });
    let in_total = r.in_total.unwrap_or(true);
    if !in_total && !matches!(method, Method::Bonus { .. }) {
        cx.at(span.clone(), format!("{path}.in_total"), Msg::new("只有加分项（bonus）可以不计入总分", "only bonus items can be kept out of the total"));
    }
    Indicator {
        key,
        name: r.name.clone(),
        kind,
        module,
        level,
        scope,
        weight,
        category_weights,
        method,
        amplify,
        in_total,
        source: r.source.clone(),
        unit_of_measure: r.unit.clone(),
        auto,
    }
}

fn build_method(cx: &mut Ctx<'_>, r: &RawIndicator, path: &str, sp: &Option<std::ops::Range<usize>>) -> Method {
    let m = r.method.get_ref().as_str();
    let mspan = Some(r.method.span());
    let d = |cx: &mut Ctx<'_>, name: &str, v: &Option<NumText>, default: &str| -> Dec {
        match v {
            Some(v) => cx.dec(sp, &format!("{path}.{name}"), v),
            None => Dec::parse(default).unwrap_or(Dec::ZERO),
        }
    };
    let need = |cx: &mut Ctx<'_>, name: &str, present: bool| {
        if !present {
            cx.at(sp.clone(), format!("{path}.{name}"), Msg::new(format!("计分方法 {m} 需要参数 {name}"), format!("method {m} needs the parameter {name}")));
        }
    };
    let pairs = |cx: &mut Ctx<'_>, name: &str, v: &Option<Vec<[NumText; 2]>>| -> Vec<(Dec, Dec)> {
        v.as_ref().map_or_else(Vec::new, |list| {
            list.iter().map(|[a, b]| (cx.dec(sp, &format!("{path}.{name}"), a), cx.dec(sp, &format!("{path}.{name}"), b))).collect()
        })
    };
    // Parameters that the chosen method does not read are refused, so typos cannot pass silently.
    let allowed: &[&str] = match m {
        "completion" => &["floor", "cap"],
        "control" => &["max_ratio"],
        "blended" => &["floor", "cap", "total_share", "growth_share"],
        "deduction" => &["per", "cap", "from_full"],
        "veto" => &["scope"],
        "demotion" => &["places"],
        "bonus" => &["per", "cap"],
        "qualitative" => &["levels"],
        "ballots" => &["groups", "answers", "excluded", "flags"],
        "interpolate" => &["points", "below"],
        "bands" => &["bands"],
        "rank_points" => &["table", "rest", "proportional", "direction"],
        "direct" => &[],
        "assigned_grade" => &["optional"],
        "formula" => &["inputs", "formula"],
        _ => {
            cx.at(mspan, format!("{path}.method"), Msg::new(
                format!("计分方法“{m}”不存在（completion、control、blended、deduction、veto、demotion、bonus、qualitative、ballots、interpolate、bands、rank_points、direct、formula、assigned_grade）"),
                format!("unknown method '{m}' (completion, control, blended, deduction, veto, demotion, bonus, qualitative, ballots, interpolate, bands, rank_points, direct, formula, assigned_grade)"),
            ));
            return Method::Direct;
        }
    };
    let present: [(&str, bool); 23] = [
        ("floor", r.floor.is_some()),
        ("cap", r.cap.is_some()),
        ("total_share", r.total_share.is_some()),
        ("growth_share", r.growth_share.is_some()),
        ("max_ratio", r.max_ratio.is_some()),
        ("per", r.per.is_some()),
        ("from_full", r.from_full.is_some()),
        ("optional", r.optional.is_some()),
        ("scope", r.scope.is_some()),
        ("places", r.places.is_some()),
        ("levels", r.levels.is_some()),
        ("groups", r.groups.is_some()),
        ("answers", r.answers.is_some()),
        ("excluded", r.excluded.is_some()),
        ("flags", r.flags.is_some()),
        ("points", r.points.is_some()),
        ("below", r.below.is_some()),
        ("bands", r.bands.is_some()),
        ("table", r.table.is_some()),
        ("rest", r.rest.is_some()),
        ("proportional", r.proportional.is_some()),
        ("direction", r.direction.is_some()),
        ("inputs", r.inputs.is_some() || r.formula.is_some()),
    ];
    for (name, is) in present {
        if is && !allowed.contains(&name) && !(name == "inputs" && m == "formula") {
            cx.at(sp.clone(), format!("{path}.{name}"), Msg::new(format!("计分方法 {m} 不使用参数 {name}"), format!("method {m} does not take the parameter {name}")));
        }
    }
    let check_ratio_bounds = |cx: &mut Ctx<'_>, floor: Dec, cap: Dec| {
        if floor > cap {
            cx.at(sp.clone(), format!("{path}.floor"), Msg::new("下限不能大于上限", "floor cannot be above cap"));
        }
    };
    match m {
        "completion" => {
            let (floor, cap) = (d(cx, "floor", &r.floor, "0"), d(cx, "cap", &r.cap, "1"));
            check_ratio_bounds(cx, floor, cap);
            Method::Completion { floor, cap }
        }
        "control" => Method::Control { max_ratio: d(cx, "max_ratio", &r.max_ratio, "1") },
        "blended" => {
            let (floor, cap) = (d(cx, "floor", &r.floor, "0"), d(cx, "cap", &r.cap, "1.2"));
            check_ratio_bounds(cx, floor, cap);
            let total_share = d(cx, "total_share", &r.total_share, "0.8");
            let growth_share = d(cx, "growth_share", &r.growth_share, "0.2");
            Method::Blended { total_share, growth_share, floor, cap }
        }
        "deduction" => {
            need(cx, "per", r.per.is_some());
            Method::Deduction {
                per: d(cx, "per", &r.per, "0"),
                cap: r.cap.as_ref().map(|c| cx.dec(sp, &format!("{path}.cap"), c)),
                from_full: r.from_full.unwrap_or(false),
            }
        }
        "veto" => Method::Veto {
            scope: match r.scope.as_deref() {
                None | Some("period") => VetoScope::Period,
                Some("year") => VetoScope::Year,
                Some(o) => {
                    cx.at(sp.clone(), format!("{path}.scope"), Msg::new(format!("否决范围“{o}”无效（period、year）"), format!("veto scope '{o}' is invalid (period, year)")));
                    VetoScope::Period
                }
            },
        },
        "demotion" => {
            need(cx, "places", r.places.is_some());
            Method::Demotion { places: r.places.unwrap_or(0) }
        }
        "bonus" => Method::Bonus {
            per: r.per.as_ref().map(|p| cx.dec(sp, &format!("{path}.per"), p)),
            cap: r.cap.as_ref().map(|c| cx.dec(sp, &format!("{path}.cap"), c)),
        },
        "qualitative" => {
            need(cx, "levels", r.levels.as_ref().is_some_and(|l| !l.is_empty()));
            let levels = r.levels.as_ref().map_or_else(Vec::new, |l| l.iter().map(|x| (x.name.clone(), cx.dec(sp, &format!("{path}.levels"), &x.share))).collect());
            if levels.is_empty() {
                return Method::Direct;
            }
            Method::Qualitative { levels }
        }
        "ballots" => {
            need(cx, "groups", r.groups.as_ref().is_some_and(|l| !l.is_empty()));
            need(cx, "answers", r.answers.as_ref().is_some_and(|l| !l.is_empty()));
            let groups: Vec<(String, Dec)> = r.groups.as_ref().map_or_else(Vec::new, |l| l.iter().map(|x| (x.name.clone(), cx.dec(sp, &format!("{path}.groups"), &x.share))).collect());
            let answers: Vec<(String, Dec)> = r.answers.as_ref().map_or_else(Vec::new, |l| l.iter().map(|x| (x.name.clone(), cx.dec(sp, &format!("{path}.answers"), &x.share))).collect());
            for (name, _) in groups.iter().chain(&answers) {
                if !is_name(name) {
                    cx.at(sp.clone(), format!("{path}.groups/answers"), bad_name_msg(name));
                }
            }
            let excluded = r.excluded.clone().unwrap_or_default();
            for e in &excluded {
                if !answers.iter().any(|(a, _)| a == e) {
                    cx.at(sp.clone(), format!("{path}.excluded"), unknown_msg("选项", "answer", e));
                }
            }
            let mut flags = Vec::new();
            for (i, f) in r.flags.clone().unwrap_or_default().iter().enumerate() {
                let field = format!("{path}.flags[{i}]");
                let ans: Vec<u32> = f
                    .answers
                    .iter()
                    .filter_map(|a| {
                        let p = answers.iter().position(|(x, _)| x == a).map(|p| p as u32);
                        if p.is_none() {
                            cx.at(sp.clone(), format!("{field}.answers"), unknown_msg("选项", "answer", a));
                        }
                        p
                    })
                    .collect();
                let above = match f.when.as_str() {
                    "above" => true,
                    "below" => false,
                    o => {
                        cx.at(sp.clone(), format!("{field}.when"), Msg::new(format!("“{o}”无效（above、below）"), format!("'{o}' is invalid (above, below)")));
                        false
                    }
                };
                let share = f.share.to_ratio().unwrap_or_else(|m| {
                    cx.at(sp.clone(), format!("{field}.share"), m);
                    (Dec::ZERO, Dec::ONE)
                });
                flags.push(BallotFlag { answers: ans, above, share, message: f.message.clone() });
            }
            if groups.is_empty() || answers.is_empty() {
                return Method::Direct;
            }
            Method::Ballots { groups, answers, excluded, flags }
        }
        "interpolate" => {
            need(cx, "points", r.points.as_ref().is_some_and(|p| p.len() >= 2));
            let points = pairs(cx, "points", &r.points);
            let asc = points.windows(2).all(|w| w[0].0 < w[1].0);
            let desc = points.windows(2).all(|w| w[0].0 > w[1].0);
            if points.len() >= 2 && !(asc || desc) {
                cx.at(sp.clone(), format!("{path}.points"), Msg::new("插值点的取值必须严格递增或严格递减", "interpolation points must be strictly increasing or decreasing"));
            }
            if points.len() < 2 {
                return Method::Direct;
            }
            let below = match r.below.as_deref() {
                None | Some("zero") => Below::Zero,
                Some("hold") => Below::Hold,
                Some("extrapolate") => Below::Extrapolate,
                Some(o) => {
                    cx.at(sp.clone(), format!("{path}.below"), Msg::new(format!("“{o}”无效（zero、hold、extrapolate）"), format!("'{o}' is invalid (zero, hold, extrapolate)")));
                    Below::Zero
                }
            };
            Method::Interpolate { points, below }
        }
        "bands" => {
            need(cx, "bands", r.bands.as_ref().is_some_and(|b| !b.is_empty()));
            let bands = pairs(cx, "bands", &r.bands);
            if !bands.windows(2).all(|w| w[0].0 < w[1].0) {
                cx.at(sp.clone(), format!("{path}.bands"), Msg::new("分档下限必须严格递增", "band lower bounds must be strictly increasing"));
            }
            Method::Bands { bands }
        }
        "rank_points" => {
            let proportional = r.proportional.unwrap_or(false);
            if proportional && r.table.is_some() {
                cx.at(sp.clone(), format!("{path}.table"), Msg::new("按比例计分时不使用名次表（table）", "a proportional rank method takes no table"));
            }
            need(cx, "table", proportional || r.table.as_ref().is_some_and(|t| !t.is_empty()));
            let table = r.table.as_ref().map_or_else(Vec::new, |t| t.iter().map(|x| cx.dec(sp, &format!("{path}.table"), x)).collect());
            let direction = match r.direction.as_deref() {
                None | Some("higher") => Direction::HigherIsBetter,
                Some("lower") => Direction::LowerIsBetter,
                Some(o) => {
                    cx.at(sp.clone(), format!("{path}.direction"), Msg::new(format!("“{o}”无效（higher、lower）"), format!("'{o}' is invalid (higher, lower)")));
                    Direction::HigherIsBetter
                }
            };
            Method::RankPoints { table, rest: d(cx, "rest", &r.rest, "0"), proportional, direction }
        }
        "direct" => Method::Direct,
        "assigned_grade" => Method::AssignedGrade { optional: r.optional.unwrap_or(false) },
        "formula" => {
            need(cx, "formula", r.formula.is_some());
            let inputs = r.inputs.clone().unwrap_or_default();
            for (i, name) in inputs.iter().enumerate() {
                if inputs[..i].contains(name) {
                    cx.at(sp.clone(), format!("{path}.inputs"), dup_msg(name));
                }
                if name == "weight" || name == "total" || !is_name(name) {
                    cx.at(sp.clone(), format!("{path}.inputs"), Msg::new(format!("输入名“{name}”不可用（weight、total 为保留名）"), format!("the input name '{name}' cannot be used (weight and total are reserved)")));
                }
            }
            let mut vars: Vec<&str> = inputs.iter().map(String::as_str).collect();
            vars.push("weight");
            vars.push("total");
            match &r.formula {
                Some(f) => match Formula::compile(f.get_ref(), &vars) {
                    Ok(formula) => Method::Formula { inputs, formula },
                    Err(e) => {
                        // The message gives the position within the formula; the place gives the line.
                        let (line, _) = line_col(cx.text, f.span().start);
                        cx.problems.push(Problem {
                            place: Place { file: cx.file.into(), line: Some(line), field: Some(format!("{path}.formula")), ..Place::default() },
                            msg: Msg::new(e.message(true), e.message(false)),
                        });
                        Method::Direct
                    }
                },
                None => Method::Direct,
            }
        }
        _ => unreachable!("unknown methods returned above"),
    }
}

fn check_weights(cx: &mut Ctx<'_>, versions: &[PlanVersion], categories: &[Category], subjects: &[yardstick_engine::model::Subject], year: u16) {
    // Totals are checked per version, per month level, for each distinct set of modules in force,
    // per category, and again for every subject with a differentiated indicator.
    // Per category: how many members, and which members have differentiated indicators
    // in some version (in subject order). Computed once: scanning every subject for every
    // category is quadratic (3,000 categories × 300,000 subjects).
    let mut members = vec![0u32; categories.len()];
    for s in subjects {
        if let Some(c) = s.category {
            members[c as usize] += 1;
        }
    }
    let mut differentiated: Vec<Vec<u32>> = vec![Vec::new(); categories.len()];
    for ver in versions {
        for ind in &ver.indicators {
            if let Scope::Subjects { subjects: named, .. } = &ind.scope {
                for &si in named {
                    if let Some(c) = subjects.get(si as usize).and_then(|s| s.category) {
                        differentiated[c as usize].push(si);
                    }
                }
            }
        }
    }
    for d in &mut differentiated {
        d.sort_unstable();
        d.dedup();
    }
    for (k, ver) in versions.iter().enumerate() {
        // Only the months this version is in force for: modules may start later.
        let until = versions.get(k + 1).map_or(13, |next| next.from.index);
        let mut module_states: Vec<Vec<bool>> = Vec::new();
        for m in ver.from.index..until {
            let p = Period::month(year, m);
            let st: Vec<bool> = ver.modules.iter().map(|md| md.active(p)).collect();
            if !module_states.contains(&st) {
                module_states.push(st);
            }
        }
        for st in &module_states {
            for (c, cat) in categories.iter().enumerate() {
                let c = c as u32;
                let in_force = |ind: &Indicator| {
                    ind.level == Level::Month && st[ind.module as usize] && ind.method.is_weighted()
                };
                let mut sum = Dec::ZERO;
                for ind in ver.indicators.iter().filter(|i| in_force(i)) {
                    let applies = match &ind.scope {
                        Scope::Common => true,
                        Scope::Categories(cs) => cs.contains(&c),
                        Scope::Subjects { .. } => false,
                    };
                    if applies {
                        sum = add(sum, ind.weight_for(c));
                    }
                }
                let has_members = members[c as usize] > 0;
                let has_weighted = ver.indicators.iter().any(|i| in_force(i));
                if has_members && has_weighted && sum != cat.total {
                    cx.at(None, format!("categories[{c}] ({}) / {}", cat.key, ver.key), Msg::new(
                        format!("类别“{}”在版本 {} 中的指标分值合计为 {}，应为 {}", cat.key, ver.key, sum, cat.total),
                        format!("the weights of category '{}' in version {} add up to {}, not {}", cat.key, ver.key, sum, cat.total),
                    ));
                }
                // Subjects with differentiated indicators.
                for &si in &differentiated[c as usize] {
                    let s = &subjects[si as usize];
                    let specific: Vec<&Indicator> = ver.indicators.iter().filter(|i| in_force(i) && matches!(&i.scope, Scope::Subjects { subjects, .. } if subjects.contains(&si))).collect();
                    if specific.is_empty() {
                        continue;
                    }
                    let mut total = sum;
                    for ind in &specific {
                        total = add(total, ind.weight_for(c));
                        if let Scope::Subjects { replaces: Some(r), .. } = &ind.scope {
                            let rep = &ver.indicators[*r as usize];
                            if in_force(rep) {
                                total = sub(total, rep.weight_for(c));
                            }
                        }
                    }
                    if total != cat.total {
                        cx.at(None, format!("subject {} / {}", s.key, ver.key), Msg::new(
                            format!("“{}”的差异化指标使分值合计为 {}，应为 {}", s.key, total, cat.total),
                            format!("the differentiated indicators of '{}' make the weights add up to {}, not {}", s.key, total, cat.total),
                        ));
                    }
                }
            }
        }
    }
}

fn add(a: Dec, b: Dec) -> Dec {
    a.checked_add(b).unwrap_or(Dec::ZERO)
}

fn sub(a: Dec, b: Dec) -> Dec {
    a.checked_add(b.neg()).unwrap_or(Dec::ZERO)
}
