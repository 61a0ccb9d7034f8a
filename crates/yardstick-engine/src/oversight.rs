//! Monitoring and consequences (M14, M15): each data indicator of a month against its
//! target, the time node, the same period last year and the category's peers, with the
//! plan's warning rules; and the plan's consequence rules over a sequence of results.
//!
//! Everything is exact: ratios are rationals of the inputs as written, and a unit lags
//! only when the exact comparison says so.

use std::collections::HashMap;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::data::{PeriodData, Roster};
use crate::dec::Dec;
use crate::model::{Method, Model};
use crate::period::{Level, Period};

/// What a data indicator is compared with (M15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Completion (actual ÷ target) against `threshold` (default 1).
    Target,
    /// Completion against the share of the year elapsed (month m: m/12) × `threshold`
    /// (default 1), for plans whose target is the whole year's.
    Progress,
    /// The growth rate over the same period last year (the blended method's `growth`, in %)
    /// against `threshold` percentage points (default 0).
    LastYear,
    /// Completion against the category's mean completion × `threshold` (default 1).
    Peers,
}

impl Measure {
    pub const ALL: [Measure; 4] = [Measure::Target, Measure::Progress, Measure::LastYear, Measure::Peers];

    pub fn key(self) -> &'static str {
        match self {
            Measure::Target => "target",
            Measure::Progress => "progress",
            Measure::LastYear => "last_year",
            Measure::Peers => "peers",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.key() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Measure::Target => "目标完成",
            Measure::Progress => "时间进度",
            Measure::LastYear => "同比",
            Measure::Peers => "同类比较",
        }
    }

    /// The line used when no rule sets one.
    pub fn default_threshold(self) -> Dec {
        match self {
            Measure::LastYear => Dec::ZERO,
            _ => Dec::ONE,
        }
    }
}

/// A warning rule of the plan: a unit lagging on `measure` gets a warning notice.
#[derive(Clone, Debug, PartialEq)]
pub struct WarningRule {
    /// The indicator's key; `None` for every data indicator.
    pub indicator: Option<String>,
    pub measure: Measure,
    pub threshold: Dec,
    /// The notice's text; `{unit}`, `{indicator}`, `{period}`, `{value}` and `{line}` are filled in.
    pub text: String,
}

/// What a consequence rule looks at in a period's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Among the last `places` of the category (a tie at the edge is in, never split).
    Bottom { places: u32 },
    /// Graded one of these grades.
    Grade(Vec<String>),
}

/// Over how many periods of its level a consequence rule counts the condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// In `periods` periods running, the latest being the one the rules run on. Without
    /// `restart` every period of a long enough run fires again (last two years running,
    /// then the next year again); with `restart` a period counts towards one firing only:
    /// a run fires at its `periods`-th period, then at its 2 × `periods`-th, and so on
    /// (four 优秀 years running and a rule of three: once, at the third year).
    Consecutive { periods: u32, restart: bool },
    /// In `periods` periods, not necessarily running: it fires in a period where the condition
    /// holds and the number of periods of the level in which it held, over the whole known
    /// history up to that period, is a positive multiple of `periods` (称职 or better in 2
    /// years → one pay step; in the 4th such year the next).
    Cumulative { periods: u32 },
}

impl Span {
    /// The number of periods a firing takes.
    pub fn periods(self) -> u32 {
        match self {
            Span::Consecutive { periods, .. } | Span::Cumulative { periods } => periods.max(1),
        }
    }
}

/// A consequence rule (M14): `condition` held over `span` periods of `level` → the
/// follow-up `action` (a reminder talk, an interview, a pay step …) for the office to confirm.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsequenceRule {
    pub level: Level,
    pub condition: Condition,
    pub span: Span,
    pub action: String,
}

/// How problems become rectification tasks (M15): the deadline in days after the task is
/// opened, and the grades that open one (besides deductions, vetoes and falsified figures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rectification {
    pub days: u32,
    pub grades: Vec<String>,
}

impl Default for Rectification {
    fn default() -> Self {
        Rectification { days: 30, grades: Vec::new() }
    }
}

/// One unit's monitoring line for one indicator.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorLine {
    pub subject: u32,
    pub indicator: u32,
    pub actual: Option<Dec>,
    pub target: Option<Dec>,
    /// Growth over the same period last year, in % (blended indicators).
    pub growth: Option<Dec>,
    /// actual ÷ target; `None` without both figures or with a zero target.
    pub ratio: Option<BigRational>,
    /// Lower is better (control-type indicators).
    pub lower_better: bool,
    /// The measures it lags on, each with the line it was compared with.
    pub lags: Vec<(Measure, BigRational)>,
    /// The rules (indices into `Model::warnings`) that fire for it.
    pub fired: Vec<u32>,
}

/// A period's monitoring: every unit × data indicator with an actual and a target.
#[derive(Clone, Debug, PartialEq)]
pub struct Monitor {
    pub period: Period,
    /// Share of the year elapsed at the end of the period (month m: m/12).
    pub elapsed: BigRational,
    /// Per (category, indicator): the mean ratio of the members that have one.
    pub peer_means: Vec<(u32, u32, BigRational)>,
    pub lines: Vec<MonitorLine>,
}

impl Monitor {
    /// A month without data.
    pub fn empty(period: Period) -> Monitor {
        Monitor { period, elapsed: BigRational::new(BigInt::from(period.last_month()), BigInt::from(12)), peer_means: Vec::new(), lines: Vec::new() }
    }

    pub fn peer_mean(&self, category: u32, indicator: u32) -> Option<&BigRational> {
        self.peer_means.iter().find(|(c, i, _)| *c == category && *i == indicator).map(|(_, _, m)| m)
    }
}

pub fn rat(d: Dec) -> BigRational {
    let (n, den) = d.as_fraction();
    BigRational::new(BigInt::from(n), BigInt::from(den))
}

/// Whether an indicator is monitored: completion, control and blended indicators.
fn monitored(m: &Method) -> Option<bool> {
    match m {
        Method::Completion { .. } | Method::Blended { .. } => Some(false),
        Method::Control { .. } => Some(true),
        _ => None,
    }
}

/// The line a measure compares with, or `None` when it cannot be applied.
fn line_of(measure: Measure, threshold: Dec, elapsed: &BigRational, peer: Option<&BigRational>) -> Option<BigRational> {
    let t = rat(threshold);
    match measure {
        Measure::Target | Measure::LastYear => Some(t),
        Measure::Progress => Some(elapsed * t),
        Measure::Peers => peer.map(|p| p * t),
    }
}

fn lags(lower_better: bool, value: &BigRational, line: &BigRational) -> bool {
    if lower_better { value > line } else { value < line }
}

/// Monitors a month: for every category member and every monitored indicator in force,
/// the figures, the ratio, and the lags on each measure (the plan's thresholds where a
/// rule sets one, else the defaults).
pub fn monitor(model: &Model, roster: &Roster, data: &PeriodData) -> Monitor {
    let period = data.period();
    let layout = &data.layout;
    let ver = &model.versions[layout.version as usize];
    let elapsed = BigRational::new(BigInt::from(period.last_month()), BigInt::from(12));
    let mut lines = Vec::new();
    let mut peer_means = Vec::new();
    for (c, laid_list) in layout.indicators.iter().enumerate() {
        let c = c as u32;
        for laid in laid_list {
            let ind = &ver.indicators[laid.indicator as usize];
            let Some(lower_better) = monitored(&ind.method) else { continue };
            let blended = matches!(ind.method, Method::Blended { .. });
            let start = lines.len();
            for (pos, &s) in roster.members[c as usize].iter().enumerate() {
                if laid.per_subject && !model.applies(layout.version, laid.indicator, s, period) {
                    continue;
                }
                let actual = data.cell(c, pos as u32, laid, 0);
                let target = data.cell(c, pos as u32, laid, 1);
                let growth = if blended { data.cell(c, pos as u32, laid, 2) } else { None };
                let ratio = match (actual, target) {
                    (Some(a), Some(t)) if !t.is_zero() => Some(rat(a) / rat(t)),
                    _ => None,
                };
                lines.push(MonitorLine { subject: s, indicator: laid.indicator, actual, target, growth, ratio, lower_better, lags: Vec::new(), fired: Vec::new() });
            }
            let ratios: Vec<&BigRational> = lines[start..].iter().filter_map(|l| l.ratio.as_ref()).collect();
            if ratios.is_empty() {
                continue;
            }
            let n = BigRational::from_integer(BigInt::from(ratios.len()));
            let mean = ratios.into_iter().fold(BigRational::zero(), |acc, r| acc + r) / n;
            for l in &mut lines[start..] {
                for m in Measure::ALL {
                    let threshold = model
                        .warnings
                        .iter()
                        .find(|w| w.measure == m && w.indicator.as_deref().is_none_or(|k| k == ind.key))
                        .map_or(m.default_threshold(), |w| w.threshold);
                    let value = if m == Measure::LastYear { l.growth.map(rat) } else { l.ratio.clone() };
                    let (Some(value), Some(line)) = (value, line_of(m, threshold, &elapsed, Some(&mean))) else { continue };
                    if lags(lower_better, &value, &line) {
                        l.lags.push((m, line));
                    }
                }
                for (r, w) in model.warnings.iter().enumerate() {
                    if w.indicator.as_deref().is_some_and(|k| k != ind.key) {
                        continue;
                    }
                    let value = if w.measure == Measure::LastYear { l.growth.map(rat) } else { l.ratio.clone() };
                    let (Some(value), Some(line)) = (value, line_of(w.measure, w.threshold, &elapsed, Some(&mean))) else { continue };
                    if lags(lower_better, &value, &line) {
                        l.fired.push(r as u32);
                    }
                }
            }
            peer_means.push((c, laid.indicator, mean));
        }
    }
    Monitor { period, elapsed, peer_means, lines }
}

/// A rational as a percentage with two decimals, rounded half away from zero ("97.50").
pub fn percent(r: &BigRational) -> String {
    let hundredths = r * BigRational::from_integer(BigInt::from(10_000));
    let (q, rem) = hundredths.numer().div_rem(hundredths.denom());
    let twice = rem.abs() * BigInt::from(2);
    let q = if twice >= *hundredths.denom() { if hundredths.is_negative() { q - 1 } else { q + 1 } } else { q };
    let neg = q.is_negative();
    let q = q.abs();
    let cents = q.to_i128().unwrap_or(i128::MAX);
    format!("{}{}.{:02}", if neg { "-" } else { "" }, cents / 100, cents % 100)
}

/// One subject's outcome in one period of a level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub subject: String,
    pub category: String,
    pub rank: u32,
    pub grade: String,
}

/// A follow-up a rule calls for: the subject, the periods that triggered it (oldest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub rule: u32,
    pub subject: String,
    pub periods: Vec<Period>,
    pub action: String,
}

/// The period of the same level just before `p`.
pub fn previous(p: Period) -> Option<Period> {
    if p.index > 1 {
        Some(Period { index: p.index - 1, ..p })
    } else {
        let year = p.year.checked_sub(1)?;
        Some(Period { year, level: p.level, index: 12 / p.level.months() })
    }
}

/// Whether a subject's outcome meets a condition, given its period's outcomes.
fn meets(cond: &Condition, o: &Outcome, all: &[Outcome]) -> bool {
    match cond {
        // In the last N when fewer than N of its category rank strictly after it.
        Condition::Bottom { places } => {
            let after = all.iter().filter(|x| x.category == o.category && x.rank > o.rank).count();
            after < *places as usize
        }
        Condition::Grade(grades) => grades.contains(&o.grade),
    }
}

/// The follow-ups that fire in `at`: each rule of `at`'s level whose condition holds for
/// the subject in `at` and whose [`Span`] is complete there — the `consecutive − 1` periods
/// just before it met it too (a period missing from `history` breaks a run), or `at` is a
/// multiple of the `cumulative` count of the periods that met it. `history` holds the
/// outcomes of every period known (any order). A follow-up lists the periods that made it,
/// oldest first: the last `consecutive` of the run, or the `cumulative` periods counted
/// since the rule last fired.
pub fn consequences(rules: &[ConsequenceRule], history: &[(Period, Vec<Outcome>)], at: Period) -> Vec<FollowUp> {
    // Each period of `at`'s level, its outcomes indexed by subject (looked up once per period
    // and subject, not searched).
    let mut known: HashMap<Period, (&[Outcome], HashMap<&str, &Outcome>)> = HashMap::new();
    for (p, os) in history.iter().filter(|(p, _)| p.level == at.level && *p <= at) {
        known.entry(*p).or_insert_with(|| (os.as_slice(), os.iter().map(|o| (o.subject.as_str(), o)).collect()));
    }
    let mut out = Vec::new();
    let Some((now, _)) = known.get(&at) else { return out };
    let mut earlier: Vec<Period> = known.keys().copied().collect();
    earlier.sort_unstable();
    for (r, rule) in rules.iter().enumerate() {
        if rule.level != at.level {
            continue;
        }
        let n = rule.span.periods() as usize;
        for o in now.iter() {
            if !meets(&rule.condition, o, now) {
                continue;
            }
            let met = |q: Period| known.get(&q).and_then(|(all, by)| by.get(o.subject.as_str()).map(|x| meets(&rule.condition, x, all))).unwrap_or(false);
            let periods = match rule.span {
                Span::Consecutive { restart, .. } => {
                    // The run ending at `at`, walked back as far as it matters: `n` periods, or
                    // all of it when periods are not reused (its length decides).
                    let mut run = vec![at];
                    let mut p = at;
                    while restart || run.len() < n {
                        match previous(p).filter(|q| met(*q)) {
                            Some(q) => {
                                run.push(q);
                                p = q;
                            }
                            None => break,
                        }
                    }
                    let fires = if restart { run.len().is_multiple_of(n) } else { run.len() >= n };
                    fires.then(|| {
                        run.truncate(n);
                        run.reverse();
                        run
                    })
                }
                Span::Cumulative { .. } => {
                    let all: Vec<Period> = earlier.iter().copied().filter(|q| met(*q)).collect();
                    all.len().is_multiple_of(n).then(|| all[all.len() - n..].to_vec())
                }
            };
            if let Some(periods) = periods {
                out.push(FollowUp { rule: r as u32, subject: o.subject.clone(), periods, action: rule.action.clone() });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn o(subject: &str, rank: u32, grade: &str) -> Outcome {
        Outcome { subject: subject.into(), category: "A".into(), rank, grade: grade.into() }
    }

    fn year(y: u16, rows: Vec<Outcome>) -> (Period, Vec<Outcome>) {
        (Period::year(y), rows)
    }

    fn bottom(level: Level, places: u32, consecutive: u32, action: &str) -> ConsequenceRule {
        ConsequenceRule { level, condition: Condition::Bottom { places }, span: Span::Consecutive { periods: consecutive, restart: false }, action: action.into() }
    }

    #[test]
    fn percent_rounds_half_away_from_zero() {
        let r = |n: i64, d: i64| BigRational::new(BigInt::from(n), BigInt::from(d));
        assert_eq!(percent(&r(1, 3)), "33.33");
        assert_eq!(percent(&r(2, 3)), "66.67");
        assert_eq!(percent(&r(1, 80_000)), "0.00");
        assert_eq!(percent(&r(1, 20_000)), "0.01");
        assert_eq!(percent(&r(-1, 20_000)), "-0.01");
        assert_eq!(percent(&r(126, 120)), "105.00");
    }

    #[test]
    fn last_in_year_and_two_years_running() {
        // M14 (seed 003): last → organisational interview; last two years → adjustment.
        let rules = vec![bottom(Level::Year, 1, 1, "组织约谈"), bottom(Level::Year, 1, 2, "组织调整")];
        let history = vec![
            year(2025, vec![o("T1", 1, "优秀"), o("T2", 2, "良好"), o("T3", 3, "一般")]),
            year(2026, vec![o("T1", 1, "优秀"), o("T3", 2, "良好"), o("T2", 3, "一般")]),
            year(2027, vec![o("T1", 1, "优秀"), o("T3", 2, "良好"), o("T2", 3, "一般")]),
        ];
        let f = consequences(&rules, &history, Period::year(2026));
        assert_eq!(f, vec![FollowUp { rule: 0, subject: "T2".into(), periods: vec![Period::year(2026)], action: "组织约谈".into() }]);
        let f = consequences(&rules, &history, Period::year(2027));
        assert_eq!(f.len(), 2);
        assert_eq!(f[1], FollowUp { rule: 1, subject: "T2".into(), periods: vec![Period::year(2026), Period::year(2027)], action: "组织调整".into() });
    }

    #[test]
    fn a_missing_year_breaks_the_run() {
        let rules = vec![bottom(Level::Year, 1, 2, "组织调整")];
        let history = vec![year(2024, vec![o("T1", 1, ""), o("T2", 2, "")]), year(2026, vec![o("T1", 1, ""), o("T2", 2, "")])];
        assert!(consequences(&rules, &history, Period::year(2026)).is_empty());
    }

    #[test]
    fn ties_at_the_bottom_are_never_split() {
        let rules = vec![bottom(Level::Quarter, 1, 1, "提醒谈话")];
        let q = Period::parse("2026-Q1").unwrap();
        let history = vec![(q, vec![o("A", 1, ""), o("B", 2, ""), o("C", 2, "")])];
        let f: Vec<String> = consequences(&rules, &history, q).into_iter().map(|f| f.subject).collect();
        assert_eq!(f, vec!["B", "C"]);
    }

    #[test]
    fn grade_rules_and_levels() {
        // Seed 004: 不达标 → written report; two years running → criticism.
        let rules = vec![
            ConsequenceRule { level: Level::Year, condition: Condition::Grade(vec!["不达标".into()]), span: Span::Consecutive { periods: 1, restart: false }, action: "书面整改报告".into() },
            ConsequenceRule { level: Level::Year, condition: Condition::Grade(vec!["不达标".into()]), span: Span::Consecutive { periods: 2, restart: false }, action: "通报批评".into() },
            bottom(Level::Quarter, 2, 1, "提醒谈话"),
        ];
        let history = vec![year(2025, vec![o("D5", 4, "不达标")]), year(2026, vec![o("D5", 4, "不达标"), o("D3", 5, "达标")])];
        let f = consequences(&rules, &history, Period::year(2026));
        let got: Vec<(u32, &str)> = f.iter().map(|f| (f.rule, f.subject.as_str())).collect();
        assert_eq!(got, vec![(0, "D5"), (1, "D5")]);
        // A year's rules say nothing about a quarter.
        assert!(consequences(&rules, &history, Period::parse("2026-Q1").unwrap()).is_empty());
    }

    #[test]
    fn previous_crosses_years() {
        assert_eq!(previous(Period::parse("2026-Q1").unwrap()), Period::parse("2025-Q4"));
        assert_eq!(previous(Period::parse("2026-H2").unwrap()), Period::parse("2026-H1"));
        assert_eq!(previous(Period::parse("2026-01").unwrap()), Period::parse("2025-12"));
        assert_eq!(previous(Period::year(2026)), Some(Period::year(2025)));
    }

    fn grade_rule(grades: &[&str], span: Span, action: &str) -> ConsequenceRule {
        ConsequenceRule { level: Level::Year, condition: Condition::Grade(grades.iter().map(|g| g.to_string()).collect()), span, action: action.into() }
    }

    /// One subject's grades, a year each from 2020 ("" = no result that year).
    fn years_of(grades: &[&str]) -> Vec<(Period, Vec<Outcome>)> {
        grades.iter().enumerate().filter(|(_, g)| !g.is_empty()).map(|(i, g)| year(2020 + i as u16, vec![o("P", 1, g)])).collect()
    }

    /// The years in which a rule fires, each with the years it lists.
    fn firings(rule: &ConsequenceRule, history: &[(Period, Vec<Outcome>)], years: u16) -> Vec<(u16, Vec<u16>)> {
        (0..years)
            .flat_map(|i| consequences(std::slice::from_ref(rule), history, Period::year(2020 + i)))
            .map(|f| (f.periods.last().unwrap().year, f.periods.iter().map(|p| p.year).collect()))
            .collect()
    }

    #[test]
    fn cumulative_years_need_not_run() {
        // 称职 or better in 2 years, not necessarily running → one pay step; in 5 → one rank.
        let step = grade_rule(&["优秀", "称职"], Span::Cumulative { periods: 2 }, "晋升一个工资档次");
        let rank = grade_rule(&["优秀", "称职"], Span::Cumulative { periods: 5 }, "晋升一个级别");
        let h = years_of(&["称职", "基本称职", "称职", "优秀", "", "称职", "称职", "不称职", "称职"]);
        assert_eq!(firings(&step, &h, 9), vec![(2022, vec![2020, 2022]), (2025, vec![2023, 2025]), (2028, vec![2026, 2028])]);
        assert_eq!(firings(&rank, &h, 9), vec![(2026, vec![2020, 2022, 2023, 2025, 2026])]);
        // A year that does not meet the condition fires nothing, even at a multiple.
        assert!(consequences(std::slice::from_ref(&step), &h, Period::year(2021)).is_empty());
        // Years after `at` are not counted.
        assert!(consequences(&[rank], &h, Period::year(2025)).is_empty());
    }

    #[test]
    fn consecutive_runs_with_and_without_restart() {
        let h = years_of(&["优秀", "优秀", "优秀", "优秀", "优秀", "优秀", "称职", "优秀"]);
        let again = grade_rule(&["优秀"], Span::Consecutive { periods: 3, restart: false }, "记三等功");
        let once = grade_rule(&["优秀"], Span::Consecutive { periods: 3, restart: true }, "记三等功");
        // Without restart every year of a long enough run fires (the existing meaning).
        assert_eq!(firings(&again, &h, 8).iter().map(|f| f.0).collect::<Vec<_>>(), vec![2022, 2023, 2024, 2025]);
        // With restart a year counts once: the third and the sixth; 称职 breaks the run.
        assert_eq!(firings(&once, &h, 8), vec![(2022, vec![2020, 2021, 2022]), (2025, vec![2023, 2024, 2025])]);
        // A missing year breaks a run as it always did.
        let gap = years_of(&["优秀", "优秀", "", "优秀", "优秀", "优秀"]);
        assert_eq!(firings(&once, &gap, 6), vec![(2025, vec![2023, 2024, 2025])]);
    }

    proptest! {
        /// Bottom N takes at least min(N, n) subjects of a category and every subject tied
        /// with one it takes; a subject ranked strictly above another it leaves out is never taken.
        #[test]
        fn bottom_places_are_monotone(ranks in proptest::collection::vec(1u32..6, 1..12), places in 1u32..5) {
            let mut sorted = ranks.clone();
            sorted.sort_unstable();
            let all: Vec<Outcome> = sorted.iter().enumerate().map(|(i, r)| o(&format!("S{i}"), *r, "")).collect();
            let cond = Condition::Bottom { places };
            let taken: Vec<&Outcome> = all.iter().filter(|x| meets(&cond, x, &all)).collect();
            prop_assert!(taken.len() >= (places as usize).min(all.len()));
            for t in &taken {
                for x in &all {
                    if x.rank >= t.rank {
                        prop_assert!(meets(&cond, x, &all), "{} ranks no better than a taken subject", x.subject);
                    }
                }
            }
        }

        /// A rule of `k` consecutive periods fires exactly when the last `k` years all meet it.
        #[test]
        fn consecutive_runs(last in proptest::collection::vec(any::<bool>(), 1..6), k in 1u32..4) {
            let history: Vec<(Period, Vec<Outcome>)> = last.iter().enumerate().map(|(i, &is_last)| {
                let rows = if is_last { vec![o("X", 1, ""), o("U", 2, "")] } else { vec![o("U", 1, ""), o("X", 2, "")] };
                year(2020 + i as u16, rows)
            }).collect();
            let at = Period::year(2020 + last.len() as u16 - 1);
            let fired = consequences(&[bottom(Level::Year, 1, k, "x")], &history, at).iter().any(|f| f.subject == "U");
            let expect = last.len() >= k as usize && last[last.len() - k as usize..].iter().all(|&b| b);
            prop_assert_eq!(fired, expect);
        }

        /// With `restart`, a run of `k` fires at its k-th, 2k-th … period: over a whole history
        /// each run of length L fires ⌊L / k⌋ times, and no period is listed twice.
        #[test]
        fn consecutive_runs_restart(met in proptest::collection::vec(any::<bool>(), 1..12), k in 1u32..4) {
            let grades: Vec<&str> = met.iter().map(|&m| if m { "优秀" } else { "称职" }).collect();
            let h = years_of(&grades);
            let rule = grade_rule(&["优秀"], Span::Consecutive { periods: k, restart: true }, "x");
            let fired = firings(&rule, &h, met.len() as u16);
            let runs: usize = met.split(|m| !m).map(|run| run.len() / k as usize).sum();
            prop_assert_eq!(fired.len(), runs);
            let mut listed: Vec<u16> = fired.iter().flat_map(|f| f.1.clone()).collect();
            let n = listed.len();
            listed.sort_unstable();
            listed.dedup();
            prop_assert_eq!(listed.len(), n);
            for (at, years) in &fired {
                prop_assert_eq!(years.len(), k as usize);
                // Running, ending at the period that fired, and all met.
                prop_assert!(years.windows(2).all(|w| w[1] == w[0] + 1) && years.last() == Some(at));
                prop_assert!(years.iter().all(|y| met[(y - 2020) as usize]));
            }
        }

        /// A cumulative rule of `k` fires in a year exactly when that year meets the condition
        /// and the years met so far are a multiple of `k`; it lists the `k` years met since it
        /// last fired, so over a whole history it fires ⌊met / k⌋ times, each year listed once.
        #[test]
        fn cumulative_counts(years in proptest::collection::vec(0u8..3, 1..12), k in 1u32..5) {
            // 0: met, 1: not met, 2: no result that year.
            let grades: Vec<&str> = years.iter().map(|&y| ["称职", "不称职", ""][y as usize]).collect();
            let h = years_of(&grades);
            let rule = grade_rule(&["优秀", "称职"], Span::Cumulative { periods: k }, "x");
            for (i, _) in years.iter().enumerate() {
                let so_far = years[..=i].iter().filter(|&&y| y == 0).count();
                let fired = consequences(std::slice::from_ref(&rule), &h, Period::year(2020 + i as u16));
                let expect = years[i] == 0 && so_far % k as usize == 0;
                prop_assert_eq!(fired.len(), usize::from(expect));
                if let Some(f) = fired.first() {
                    let met: Vec<u16> = (0..=i).filter(|&j| years[j] == 0).map(|j| 2020 + j as u16).collect();
                    let want: Vec<Period> = met[met.len() - k as usize..].iter().map(|&y| Period::year(y)).collect();
                    prop_assert_eq!(&f.periods, &want);
                }
            }
            let all = firings(&rule, &h, years.len() as u16);
            prop_assert_eq!(all.len(), years.iter().filter(|&&y| y == 0).count() / k as usize);
            let mut listed: Vec<u16> = all.iter().flat_map(|f| f.1.clone()).collect();
            let n = listed.len();
            listed.dedup();
            prop_assert_eq!(listed.len(), n);
        }
    }
}
