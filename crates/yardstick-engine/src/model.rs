//! The appraisal model: subjects, categories, grade sets, plan versions, indicators and methods.
//!
//! These are plain, already-validated data. The formats crate builds them from
//! files and checks them; the engine trusts them. Indices (`u32`) refer to
//! positions in the `Model`'s vectors.

use crate::dec::Dec;
use crate::formula::Formula;
use crate::period::{Level, Period};

/// Everything the engine needs to score one plan year.
#[derive(Clone, Debug)]
pub struct Model {
    pub plan: PlanInfo,
    pub subjects: Vec<Subject>,
    pub series: Vec<Series>,
    pub categories: Vec<Category>,
    pub grade_sets: Vec<GradeSet>,
    /// Sorted by `from`; the first starts at the plan year's first month.
    pub versions: Vec<PlanVersion>,
    pub coefficients: Coefficients,
    /// Warning rules of the monitoring (M15).
    pub warnings: Vec<crate::oversight::WarningRule>,
    /// Consequence rules (M14).
    pub consequences: Vec<crate::oversight::ConsequenceRule>,
    pub rectification: crate::oversight::Rectification,
    /// Reward rules (M12, M14): how a period's bonus pool is allocated.
    pub rewards: Vec<crate::rewards::RewardRule>,
}

#[derive(Clone, Debug)]
pub struct PlanInfo {
    pub key: String,
    pub name: String,
    pub year: u16,
    pub office: String,
}

/// What kind of thing is appraised (M1). Units come first; teams and people share the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Area,
    Unit,
    Section,
    Post,
    Person,
    Team,
    Cadre,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 7] = [
        SubjectKind::Area,
        SubjectKind::Unit,
        SubjectKind::Section,
        SubjectKind::Post,
        SubjectKind::Person,
        SubjectKind::Team,
        SubjectKind::Cadre,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SubjectKind::Area => "area",
            SubjectKind::Unit => "unit",
            SubjectKind::Section => "section",
            SubjectKind::Post => "post",
            SubjectKind::Person => "person",
            SubjectKind::Team => "team",
            SubjectKind::Cadre => "cadre",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectKind> {
        SubjectKind::ALL.into_iter().find(|k| k.key() == s)
    }
}

#[derive(Clone, Debug)]
pub struct Subject {
    pub key: String,
    pub name: String,
    pub kind: SubjectKind,
    pub parent: Option<u32>,
    /// The category it is compared in; subjects without one are not ranked.
    pub category: Option<u32>,
    /// 1-based level into `Coefficients::static_levels` (M5).
    pub static_level: Option<u8>,
}

/// A series groups categories for display (e.g. Wuqing's towns, departments, supervision).
#[derive(Clone, Debug)]
pub struct Series {
    pub key: String,
    pub name: String,
}

/// Subjects compared only among themselves (同类相比).
#[derive(Clone, Debug)]
pub struct Category {
    pub key: String,
    pub name: String,
    pub series: Option<u32>,
    /// The points the weighted indicators add up to (usually 100).
    pub total: Dec,
    pub grade_set: u32,
    /// Whether scores are multiplied by the static and dynamic coefficients.
    pub coefficients: bool,
    /// Quota shares that replace the grade set's for this category (a lower 优秀 share, say).
    pub quota_overrides: Vec<(u32, Dec)>,
    /// Aggregation rules that replace the plan's for this category (cadres vs teams).
    pub aggregation: Option<Aggregations>,
}

/// How quota sizes are rounded: `floor(share × n)` by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaRounding {
    Floor,
    HalfUp,
    Ceil,
}

#[derive(Clone, Debug)]
pub struct GradeSet {
    pub key: String,
    pub name: String,
    /// Best first. The last grade takes everyone left.
    pub grades: Vec<Grade>,
    /// The grade a vetoed subject gets.
    pub veto_grade: u32,
    pub rounding: QuotaRounding,
    /// Break ties in the published score by points kept out of the total (Guiyang).
    pub tie_break_by_extra: bool,
}

#[derive(Clone, Debug)]
pub struct Grade {
    pub name: String,
    /// Cumulative share of the category's size that may hold this grade or a better one.
    pub quota: Option<Dec>,
    pub min_score: Option<Dec>,
}

/// One version of the year's plan, in force from `from` until the next version.
#[derive(Clone, Debug)]
pub struct PlanVersion {
    pub key: String,
    pub from: Period,
    pub note: String,
    pub modules: Vec<Module>,
    pub indicators: Vec<Indicator>,
    pub aggregation: Aggregations,
}

/// "1+N": the main body and supplementary modules, each possibly limited to some periods.
#[derive(Clone, Debug)]
pub struct Module {
    pub key: String,
    pub name: String,
    pub from: Option<Period>,
    pub until: Option<Period>,
}

impl Module {
    pub fn active(&self, p: Period) -> bool {
        // Modules are dated within the plan's year, so months are enough to compare.
        self.from.is_none_or(|f| p.last_month() >= f.first_month())
            && self.until.is_none_or(|u| p.first_month() <= u.last_month())
    }
}

/// The kinds of M3; they decide presentation and which lists an indicator appears in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndicatorKind {
    Data,
    Project,
    Constraint,
    Bonus,
    Evaluation,
    Political,
}

impl IndicatorKind {
    pub const ALL: [IndicatorKind; 6] = [
        IndicatorKind::Data,
        IndicatorKind::Project,
        IndicatorKind::Constraint,
        IndicatorKind::Bonus,
        IndicatorKind::Evaluation,
        IndicatorKind::Political,
    ];

    pub fn key(self) -> &'static str {
        match self {
            IndicatorKind::Data => "data",
            IndicatorKind::Project => "project",
            IndicatorKind::Constraint => "constraint",
            IndicatorKind::Bonus => "bonus",
            IndicatorKind::Evaluation => "evaluation",
            IndicatorKind::Political => "political",
        }
    }

    pub fn parse(s: &str) -> Option<IndicatorKind> {
        IndicatorKind::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// Who an indicator applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// 共性指标: every scored subject.
    Common,
    /// 个性指标 of some categories.
    Categories(Vec<u32>),
    /// Differentiated indicators of single subjects; `replaces` is dropped for them.
    Subjects { subjects: Vec<u32>, replaces: Option<u32> },
}

#[derive(Clone, Debug)]
pub struct Indicator {
    pub key: String,
    pub name: String,
    pub kind: IndicatorKind,
    pub module: u32,
    /// The period level at which its data is entered and it is scored.
    pub level: Level,
    pub scope: Scope,
    pub weight: Dec,
    pub category_weights: Vec<(u32, Dec)>,
    pub method: Method,
    pub amplify: Option<Amplify>,
    /// False for bonus points kept out of the total (used only to break ties).
    pub in_total: bool,
    /// The responsible department (考评责任部门) that supplies or scores it.
    pub source: Option<String>,
    pub unit_of_measure: Option<String>,
    /// For an occurrence item: the cycle event the system records on it by itself.
    pub auto: Option<AutoEvent>,
}

/// Events of the monthly cycle that the system records as occurrences of an indicator
/// the plan marks with `auto` (M7, M8): the deduction then follows the indicator's method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoEvent {
    /// A unit's first submission of the month came after the units' deadline (逾期报送).
    LateSubmission,
    /// A unit had not submitted when the office computed the month after the deadline (逾期未报).
    MissingSubmission,
    /// A spot check found a unit's figures falsified (弄虚作假).
    FalsifiedData,
}

impl AutoEvent {
    pub const ALL: [AutoEvent; 3] = [AutoEvent::LateSubmission, AutoEvent::MissingSubmission, AutoEvent::FalsifiedData];

    pub fn key(self) -> &'static str {
        match self {
            AutoEvent::LateSubmission => "late_submission",
            AutoEvent::MissingSubmission => "missing_submission",
            AutoEvent::FalsifiedData => "falsified_data",
        }
    }

    pub fn parse(s: &str) -> Option<AutoEvent> {
        AutoEvent::ALL.into_iter().find(|a| a.key() == s)
    }
}

impl Indicator {
    pub fn weight_for(&self, category: u32) -> Dec {
        self.category_weights.iter().find(|(c, _)| *c == category).map_or(self.weight, |(_, w)| *w)
    }
}

/// Points above full marks or below a threshold multiplied by a factor (M4.3).
#[derive(Clone, Debug, PartialEq)]
pub struct Amplify {
    pub bonus_factor: Dec,
    pub penalty_factor: Dec,
    /// Penalty applies below this share of the weight (0.9 in seed 002).
    pub penalty_below: Dec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VetoScope {
    /// Only the period the event is recorded in.
    Period,
    /// The period and every aggregate containing it, up to the year.
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// What happens below the first point of an interpolation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Below {
    Zero,
    Hold,
    Extrapolate,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BallotFlag {
    pub answers: Vec<u32>,
    pub above: bool,
    /// The threshold as a fraction (numerator, denominator), so that 2/3 stays exact.
    pub share: (Dec, Dec),
    pub message: String,
}

/// Scoring methods of M4; parameters are part of the plan, never of the code.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// 1. w × clamp(actual / target, floor, cap).
    Completion { floor: Dec, cap: Dec },
    /// Control-type (lower is better): w × clamp(2 − actual / target, 0, max_ratio).
    Control { max_ratio: Dec },
    /// 2. w × (ts × clamp(actual/target) + gs × clamp(growth/target_growth)).
    Blended { total_share: Dec, growth_share: Dec, floor: Dec, cap: Dec },
    /// 4. Points per occurrence, capped; from full marks or as a bare deduction.
    Deduction { per: Dec, cap: Option<Dec>, from_full: bool },
    /// 5. Any recorded occurrence forces the veto grade.
    Veto { scope: VetoScope },
    /// 6. Each occurrence demotes by `places`.
    Demotion { places: u32 },
    /// 7. Highlight points: each event's amount (× per, if set), capped.
    Bonus { per: Option<Dec>, cap: Option<Dec> },
    /// 8. A level mapped to a share of the weight.
    Qualitative { levels: Vec<(String, Dec)> },
    /// 9. Ballots or survey answers: Σ group share × mean answer value, × w.
    Ballots { groups: Vec<(String, Dec)>, answers: Vec<(String, Dec)>, excluded: Vec<String>, flags: Vec<BallotFlag> },
    /// 10a. Piecewise linear between (value, share) points (基准值/挑战值, tiers A–D).
    Interpolate { points: Vec<(Dec, Dec)>, below: Below },
    /// 10b. Step table: the share of the highest band whose lower bound the value reaches.
    Bands { bands: Vec<(Dec, Dec)> },
    /// 10c. Points by rank of the value within the category: a table, or w × value / best.
    RankPoints { table: Vec<Dec>, rest: Dec, proportional: bool, direction: Direction },
    /// The value is the points (a score supplied by a department or an earlier process).
    Direct,
    /// 11. The office's formula over named inputs, `weight` and `total`.
    Formula { inputs: Vec<String>, formula: Formula },
    /// A grade assigned directly by superiors (the supervision series). With `optional`, a
    /// subject the data gives no grade is graded by its score and the quotas (a grade forced
    /// on a few, such as 不称职 after a democratic evaluation); without it every subject the
    /// indicator applies to needs one.
    AssignedGrade { optional: bool },
}

impl Method {
    pub fn key(&self) -> &'static str {
        match self {
            Method::Completion { .. } => "completion",
            Method::Control { .. } => "control",
            Method::Blended { .. } => "blended",
            Method::Deduction { .. } => "deduction",
            Method::Veto { .. } => "veto",
            Method::Demotion { .. } => "demotion",
            Method::Bonus { .. } => "bonus",
            Method::Qualitative { .. } => "qualitative",
            Method::Ballots { .. } => "ballots",
            Method::Interpolate { .. } => "interpolate",
            Method::Bands { .. } => "bands",
            Method::RankPoints { .. } => "rank_points",
            Method::Direct => "direct",
            Method::Formula { .. } => "formula",
            Method::AssignedGrade { .. } => "assigned_grade",
        }
    }

    /// The numeric input fields the data supplies, in slot order.
    pub fn fields(&self) -> Vec<String> {
        let v = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
        match self {
            Method::Completion { .. } | Method::Control { .. } => v(&["actual", "target"]),
            Method::Blended { .. } => v(&["actual", "target", "growth", "target_growth"]),
            Method::Qualitative { .. } => v(&["level"]),
            Method::AssignedGrade { .. } => v(&["grade"]),
            Method::Interpolate { .. } | Method::Bands { .. } | Method::RankPoints { .. } | Method::Direct => {
                v(&["value"])
            }
            Method::Formula { inputs, .. } => inputs.clone(),
            Method::Ballots { groups, answers, .. } => groups
                .iter()
                .flat_map(|(g, _)| answers.iter().map(move |(a, _)| format!("{g}.{a}")))
                .collect(),
            Method::Deduction { .. } | Method::Veto { .. } | Method::Demotion { .. } | Method::Bonus { .. } => {
                Vec::new()
            }
        }
    }

    /// Whether data arrives as a list of occurrences with reasons rather than fixed fields.
    pub fn is_event(&self) -> bool {
        matches!(self, Method::Deduction { .. } | Method::Veto { .. } | Method::Demotion { .. } | Method::Bonus { .. })
    }

    /// Whether its weight is part of the category's total (bonus items, vetoes and
    /// bare deductions come on top of the 100 points).
    pub fn is_weighted(&self) -> bool {
        match self {
            Method::Deduction { from_full, .. } => *from_full,
            Method::Veto { .. } | Method::Demotion { .. } | Method::Bonus { .. } | Method::AssignedGrade { .. } => false,
            _ => true,
        }
    }

    /// For text fields (a level or a grade), the labels allowed.
    pub fn text_labels<'a>(&'a self, grade_names: &'a [String]) -> Option<Vec<&'a str>> {
        match self {
            Method::Qualitative { levels } => Some(levels.iter().map(|(l, _)| l.as_str()).collect()),
            Method::AssignedGrade { .. } => Some(grade_names.iter().map(String::as_str).collect()),
            _ => None,
        }
    }

    /// Whether a zero in this field would be a division by zero.
    pub fn divides_by(&self, field: &str) -> bool {
        match self {
            Method::Completion { .. } | Method::Control { .. } => field == "target",
            Method::Blended { .. } => field == "target" || field == "target_growth",
            _ => false,
        }
    }
}

/// How quarter, half-year and year scores are composed (M6).
#[derive(Clone, Debug, Default)]
pub struct Aggregations {
    pub quarter: Option<Aggregation>,
    pub half: Option<Aggregation>,
    pub year: Option<Aggregation>,
}

impl Aggregations {
    pub fn get(&self, level: Level) -> Option<&Aggregation> {
        match level {
            Level::Month => None,
            Level::Quarter => self.quarter.as_ref(),
            Level::Half => self.half.as_ref(),
            Level::Year => self.year.as_ref(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Aggregation {
    pub components: Vec<Component>,
    pub grade_adjust: Option<GradeAdjust>,
}

#[derive(Clone, Debug)]
pub struct Component {
    pub source: ComponentSource,
    pub share: Dec,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ComponentSource {
    /// The mean of the published scores of the parts at this level (months, quarters).
    Parts(Level),
    /// The points of an indicator scored at this period's level (by key).
    Indicator(String),
}

/// Points added per grade obtained in each part at `level` (seed 003: 优秀 adds, 一般 subtracts).
#[derive(Clone, Debug)]
pub struct GradeAdjust {
    pub level: Level,
    pub points: Vec<(String, Dec)>,
}

/// Static and dynamic coefficients (M5), and the coefficient a subject takes from its
/// parent's result (M12).
#[derive(Clone, Debug, Default)]
pub struct Coefficients {
    pub static_levels: Vec<Dec>,
    /// Area-level inputs the dynamic formula reads, by key.
    pub area_inputs: Vec<String>,
    pub dynamic: Option<Formula>,
    pub parent: Option<ParentCoefficient>,
}

/// A monthly factor set by the parent's result (M12: "the unit's result sets its people's
/// coefficients"): the data gives each parent (a unit) a level for the month — its grade in
/// the unit appraisal, say — and every subject under it is multiplied by that level's factor.
#[derive(Clone, Debug, PartialEq)]
pub struct ParentCoefficient {
    /// The name under which the data gives a parent's level (in the indicator column).
    pub input: String,
    /// (level name, factor), in the plan's order; the data's level picks one.
    pub levels: Vec<(String, Dec)>,
}

impl Model {
    /// The version in force for a period: the last one starting at or before its last month.
    pub fn version_for(&self, p: Period) -> u32 {
        let last = Period::month(p.year, p.last_month());
        let mut v = 0;
        for (i, ver) in self.versions.iter().enumerate() {
            if ver.from <= last {
                v = i as u32;
            }
        }
        v
    }

    pub fn aggregation(&self, category: u32, version: u32, level: Level) -> Option<&Aggregation> {
        self.categories[category as usize]
            .aggregation
            .as_ref()
            .and_then(|a| a.get(level))
            .or_else(|| self.versions[version as usize].aggregation.get(level))
    }

    /// Whether indicator `i` of version `v` applies to subject `s` in period `p`.
    pub fn applies(&self, v: u32, i: u32, s: u32, p: Period) -> bool {
        let ver = &self.versions[v as usize];
        let ind = &ver.indicators[i as usize];
        if ind.level != p.level || !ver.modules[ind.module as usize].active(p) {
            return false;
        }
        self.applies_ignoring_period(v, i, s)
    }

    pub fn applies_ignoring_period(&self, v: u32, i: u32, s: u32) -> bool {
        let ver = &self.versions[v as usize];
        let ind = &ver.indicators[i as usize];
        let Some(cat) = self.subjects[s as usize].category else { return false };
        let in_scope = match &ind.scope {
            Scope::Common => true,
            Scope::Categories(cs) => cs.contains(&cat),
            Scope::Subjects { subjects, .. } => subjects.contains(&s),
        };
        if !in_scope {
            return false;
        }
        // A differentiated indicator of this subject may replace this one.
        !ver.indicators.iter().any(|other| {
            matches!(&other.scope, Scope::Subjects { subjects, replaces: Some(r) } if *r == i && subjects.contains(&s))
        })
    }

    pub fn grade_names(&self, grade_set: u32) -> Vec<String> {
        self.grade_sets[grade_set as usize].grades.iter().map(|g| g.name.clone()).collect()
    }

    pub fn subject_index(&self, key: &str) -> Option<u32> {
        self.subjects.iter().position(|s| s.key == key).map(|i| i as u32)
    }
}
