//! Scoring: every indicator method, coefficients, aggregation over periods, and the trace.
//!
//! A subject is scored with [`Interval`] arithmetic; if any decision is uncertain
//! it is scored again with [`Exact`]. Explanations always use `Exact` and record a
//! trace of every step, so a person can recompute each number by hand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::data::{DataSet, LaidIndicator, PeriodData, PeriodDataBuilder, Roster};
use crate::dec::Dec;
use crate::model::{Below, ComponentSource, Direction, Method, Model, PlanVersion, VetoScope};
use crate::num::{Exact, Fail, Interval, Num, Small};
use crate::period::{Level, Period};
use crate::rank::{self, Entry, GradeReason};

/// A problem that stops a subject from being scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreError {
    pub period: Period,
    pub subject: Option<u32>,
    /// Indicator index in the period's plan version.
    pub indicator: Option<u32>,
    pub kind: ScoreErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoreErrorKind {
    NoData,
    Missing { field: String },
    DivisionByZero,
    Overflow,
    MissingAreaInput { input: String },
    MissingStaticLevel,
    /// The subject's parent was given no level for the parent coefficient this month
    /// (or the subject has no parent).
    MissingParentLevel { input: String },
}

/// A veto that applies to a row, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VetoMark {
    /// The period whose data recorded it.
    pub period: Period,
    pub indicator: u32,
    pub scope: VetoScope,
    pub reasons: Vec<String>,
}

/// One subject's published result in a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub subject: u32,
    pub cents: i64,
    pub extra_cents: i64,
    pub rank: u32,
    pub original_rank: u32,
    pub tied: bool,
    pub grade: u32,
    pub reason: GradeReason,
    pub veto: Option<Box<VetoMark>>,
    pub demoted: u32,
    /// Whether the interval path was inconclusive and the exact path decided.
    pub exact_fallback: bool,
    pub flags: Box<[String]>,
}

#[derive(Clone, Debug)]
pub struct CategoryResult {
    pub category: u32,
    /// All member subjects, vetoed included: the base of the quotas.
    pub size: u32,
    pub quota_limits: Vec<Option<u32>>,
    /// In final order (rank, then score).
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug)]
pub struct PeriodResult {
    pub period: Period,
    pub version: u32,
    pub categories: Vec<CategoryResult>,
    /// Per subject: (category, row) or `u32::MAX` where not ranked.
    row_of: Vec<(u32, u32)>,
}

impl PeriodResult {
    pub fn row(&self, subject: u32) -> Option<&Row> {
        let (c, r) = *self.row_of.get(subject as usize)?;
        (c != u32::MAX).then(|| &self.categories[c as usize].rows[r as usize])
    }
}

/// The trace of one indicator for one subject.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndicatorTrace {
    pub indicator: u32,
    pub method: &'static str,
    pub weight: String,
    pub inputs: Vec<(String, String)>,
    pub steps: Vec<String>,
    pub points: String,
    pub in_total: bool,
    /// (amount, reason) of each occurrence.
    pub events: Vec<(String, String)>,
    pub effect: Option<String>,
}

/// How a subject's score was composed, step by step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScoreTrace {
    pub indicators: Vec<IndicatorTrace>,
    /// For aggregated periods: each component and adjustment.
    pub components: Vec<String>,
    pub total: String,
    pub coefficients: Vec<String>,
    pub final_value: String,
    pub extra: String,
}

struct Contribution<N> {
    points: N,
    in_total: bool,
    effect: Effect,
}

enum Effect {
    None,
    Veto(VetoScope, Vec<String>),
    Demote(u32),
    Grade(u32),
    Flags(Vec<String>),
}

enum Stop {
    Fail(Fail, Option<u32>),
    Missing(u32, String),
    MissingArea(String),
    MissingStaticLevel,
    MissingParentLevel(String),
}

impl From<Fail> for Stop {
    fn from(f: Fail) -> Stop {
        Stop::Fail(f, None)
    }
}

struct Outcome<N> {
    final_value: N,
    extra: N,
    veto: Option<VetoMark>,
    demote: u32,
    assigned: Option<u32>,
    flags: Vec<String>,
}

/// A column kernel: one method with its constants as intervals.
enum Kernel {
    Completion { lo: Interval, hi: Interval },
    Control { hi: Interval },
    Blended { lo: Interval, hi: Interval, ts: Interval, gs: Interval },
    Direct,
    Qualitative(Vec<Interval>),
    Constant(Interval),
    Interpolate(Box<Interpolation>),
    /// Each band's lower bound and w × its share, then w × 0 for values below every band.
    Bands { bands: Vec<(Dec, Interval)>, none: Interval },
}

/// An interpolation table with its constants as intervals: for each segment `x0`,
/// `x1 − x0`, `y0` and `y1 − y0`, computed once as [`lerp`] computes them each time.
struct Interpolation {
    xs: Vec<Dec>,
    desc: bool,
    below: Below,
    segments: Vec<[Interval; 4]>,
    first: Interval,
    last: Interval,
}

impl Interpolation {
    fn new(points: &[(Dec, Dec)], below: Below) -> Interpolation {
        let d = Interval::from_dec;
        let segments = points
            .windows(2)
            .map(|p| {
                let (x0, y0, x1, y1) = (d(p[0].0), d(p[0].1), d(p[1].0), d(p[1].1));
                [x0, x1.sub(&x0), y0, y1.sub(&y0)]
            })
            .collect();
        Interpolation {
            xs: points.iter().map(|p| p.0).collect(),
            desc: points.len() > 1 && points[0].0 > points[1].0,
            below,
            segments,
            first: d(points[0].1),
            last: d(points[points.len() - 1].1),
        }
    }

    /// The share at `v`, by the same comparisons and operations as [`Cx::indicator`].
    #[inline]
    fn share(&self, v: Dec) -> Result<Interval, Fail> {
        let before = |a: Dec, b: Dec| if self.desc { a > b } else { a < b };
        let lerp = |k: usize| -> Result<Interval, Fail> {
            let [x0, dx, y0, dy] = &self.segments[k];
            let t = Interval::from_dec(v).sub(x0).div(dx)?;
            Ok(y0.add(&t.mul(dy)))
        };
        if before(v, self.xs[0]) {
            return match self.below {
                Below::Zero => Ok(Interval::from_int(0)),
                Below::Hold => Ok(self.first),
                Below::Extrapolate => lerp(0)?.max(&Interval::from_int(0)),
            };
        }
        match (1..self.xs.len()).find(|&k| before(v, self.xs[k])) {
            Some(k) => lerp(k - 1),
            None => Ok(self.last),
        }
    }
}

impl Kernel {
    /// Adds this kernel's points (amplified, if so) for every member still `Some` in `totals`,
    /// reading the fields from the category's cells; a missing value or an undecided step
    /// leaves the member `None`. Each method's loop is its own, so that no member pays for
    /// choosing the method. The operations are those [`Cx::indicator`] performs.
    #[inline(never)]
    fn add_column(&self, data: &PeriodData, cells: Column<'_>, w: &Interval, amplify: &Option<(Interval, Interval, Interval)>, totals: &mut [Option<Interval>]) {
        let zero = Interval::from_int(0);
        match self {
            Kernel::Completion { lo, hi } => cells.sum::<2>(data, w, amplify, totals, |v| Ok(w.mul(&Interval::ratio(v[0], v[1])?.clamp(lo, hi)?))),
            Kernel::Control { hi } => {
                cells.sum::<2>(data, w, amplify, totals, |v| Ok(w.mul(&Interval::from_int(2).sub(&Interval::ratio(v[0], v[1])?).clamp(&zero, hi)?)))
            }
            Kernel::Blended { lo, hi, ts, gs } => cells.sum::<4>(data, w, amplify, totals, |v| {
                let tc = Interval::ratio(v[0], v[1])?.clamp(lo, hi)?;
                let gc = Interval::ratio(v[2], v[3])?.clamp(lo, hi)?;
                Ok(w.mul(&ts.mul(&tc).add(&gs.mul(&gc))))
            }),
            Kernel::Direct => cells.sum::<1>(data, w, amplify, totals, |v| Ok(Interval::from_dec(v[0]))),
            Kernel::Qualitative(shares) => cells.sum::<1>(data, w, amplify, totals, |v| Ok(shares[(v[0].mantissa() as usize).min(shares.len() - 1)])),
            Kernel::Constant(c) => cells.sum::<0>(data, w, amplify, totals, |_| Ok(*c)),
            Kernel::Interpolate(t) => cells.sum::<1>(data, w, amplify, totals, |v| Ok(w.mul(&t.share(v[0])?))),
            Kernel::Bands { bands, none } => {
                cells.sum::<1>(data, w, amplify, totals, |v| Ok(bands.iter().rev().find(|(lo, _)| v[0] >= *lo).map_or(*none, |(_, p)| *p)))
            }
        }
    }
}

/// One laid indicator's cells in a category: the category's block, its stride, the
/// indicator's first field.
#[derive(Clone, Copy)]
struct Column<'d> {
    block: &'d [u32],
    stride: usize,
    offset: usize,
}

impl Column<'_> {
    #[inline(always)]
    fn sum<const F: usize>(
        self,
        data: &PeriodData,
        w: &Interval,
        amplify: &Option<(Interval, Interval, Interval)>,
        totals: &mut [Option<Interval>],
        points: impl Fn(&[Dec; F]) -> Result<Interval, Fail>,
    ) {
        let zero = Interval::from_int(0);
        for (pos, total) in totals.iter_mut().enumerate() {
            let Some(t) = total else { continue };
            let at = pos * self.stride + self.offset;
            let mut v = [Dec::ZERO; F];
            let mut present = true;
            for (slot, &raw) in v.iter_mut().zip(&self.block[at..at + F]) {
                match data.decode(raw) {
                    Some(x) => *slot = x,
                    None => present = false,
                }
            }
            let p = if present { points(&v) } else { Err(Fail::Uncertain) };
            let p = p.and_then(|base| match amplify {
                None => Ok(base),
                Some((bf, pf, threshold)) => {
                    let bonus = bf.mul(&base.sub(w).max(&zero)?);
                    let penalty = pf.mul(&threshold.sub(&base).max(&zero)?);
                    Ok(base.add(&bonus).sub(&penalty))
                }
            });
            *total = p.ok().map(|p| t.add(&p));
        }
    }
}

/// Peer information for rank-based points: each member's rank by value, and the best value.
struct Peer {
    ranks: Vec<u32>,
    best: Option<Dec>,
}

/// Scores periods of one plan year, remembering results so that aggregates reuse their parts.
pub struct Scorer<'a> {
    model: &'a Model,
    roster: Arc<Roster>,
    data: &'a DataSet,
    memo: Mutex<HashMap<Period, Arc<PeriodResult>>>,
    empty: Mutex<HashMap<Period, Arc<PeriodData>>>,
}

impl<'a> Scorer<'a> {
    pub fn new(model: &'a Model, roster: Arc<Roster>, data: &'a DataSet) -> Scorer<'a> {
        Scorer { model, roster, data, memo: Mutex::new(HashMap::new()), empty: Mutex::new(HashMap::new()) }
    }

    pub fn model(&self) -> &Model {
        self.model
    }

    /// Scores, ranks and grades every category in period `p`.
    pub fn score(&self, p: Period) -> Result<Arc<PeriodResult>, Vec<ScoreError>> {
        if let Some(r) = self.memo.lock().unwrap_or_else(|e| e.into_inner()).get(&p) {
            return Ok(r.clone());
        }
        let parts = if p.level == Level::Month { Vec::new() } else { self.parts_needed(p)? };
        let data = self.period_data(p)?;
        let version = model_version(self.model, p);
        // The column kernels of the version's indicators at their plan weight, made once for
        // every category (a category with a weight of its own makes its own).
        let kernels: Vec<Option<ColumnKernel>> = if p.level == Level::Month {
            self.model.versions[version as usize].indicators.iter().map(|ind| ColumnKernel::new(ind, ind.weight)).collect()
        } else {
            Vec::new()
        };
        let results: Vec<Result<CategoryResult, Vec<ScoreError>>> = (0..self.model.categories.len() as u32)
            .into_par_iter()
            .map_init(Scratch::default, |scratch, c| self.score_category(p, version, c, &data, &parts, &kernels, scratch))
            .collect();
        let mut categories = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(c) => categories.push(c),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| (a.subject, a.indicator).cmp(&(b.subject, b.indicator)));
            return Err(errors);
        }
        let mut row_of = vec![(u32::MAX, u32::MAX); self.model.subjects.len()];
        for cat in &categories {
            for (r, row) in cat.rows.iter().enumerate() {
                row_of[row.subject as usize] = (cat.category, r as u32);
            }
        }
        let result = Arc::new(PeriodResult { period: p, version, categories, row_of });
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).insert(p, result.clone());
        Ok(result)
    }

    /// The trace of one subject's score in period `p`, computed exactly.
    pub fn explain(&self, p: Period, subject: u32) -> Result<ScoreTrace, Vec<ScoreError>> {
        let Some(c) = self.model.subjects.get(subject as usize).and_then(|s| s.category) else {
            return Ok(ScoreTrace::default());
        };
        let parts = if p.level == Level::Month { Vec::new() } else { self.parts_needed(p)? };
        let data = self.period_data(p)?;
        let version = model_version(self.model, p);
        let cx = Cx::new(self, p, version, c, &data, &parts);
        let pos = self.roster.position[subject as usize];
        let mut trace = ScoreTrace::default();
        cx.subject::<Exact>(pos, subject, Some(&mut trace), None).map_err(|stop| vec![cx.error(subject, stop)])?;
        Ok(trace)
    }

    fn parts_needed(&self, p: Period) -> Result<Vec<Arc<PeriodResult>>, Vec<ScoreError>> {
        // Months are always computed, for vetoes that reach the whole year.
        let mut levels = vec![Level::Month];
        for c in 0..self.model.categories.len() as u32 {
            if let Some(agg) = self.model.aggregation(c, model_version(self.model, p), p.level) {
                for comp in &agg.components {
                    if let ComponentSource::Parts(l) = comp.source {
                        levels.push(l);
                    }
                }
                if let Some(adj) = &agg.grade_adjust {
                    levels.push(adj.level);
                }
            }
        }
        // Levels with a veto indicator of their own: a year-wide veto there must carry up.
        for ver in &self.model.versions {
            for ind in &ver.indicators {
                if matches!(ind.method, Method::Veto { scope: VetoScope::Year }) {
                    levels.push(ind.level);
                }
            }
        }
        levels.sort();
        levels.dedup();
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for l in levels.into_iter().filter(|l| *l < p.level) {
            for part in p.parts(l) {
                match self.score(part) {
                    Ok(r) => out.push(r),
                    Err(mut e) => errors.append(&mut e),
                }
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }

    fn period_data(&self, p: Period) -> Result<Arc<PeriodData>, Vec<ScoreError>> {
        if let Some(d) = self.data.periods.get(&p) {
            return Ok(d.clone());
        }
        // A month of a version that has month-level indicators needs its data; one without
        // any (an annual appraisal of people) has nothing to enter and scores as empty.
        let entered_monthly = self.model.versions[model_version(self.model, p) as usize].indicators.iter().any(|i| i.level == Level::Month);
        if p.level == Level::Month && entered_monthly {
            return Err(vec![ScoreError { period: p, subject: None, indicator: None, kind: ScoreErrorKind::NoData }]);
        }
        let mut empty = self.empty.lock().unwrap_or_else(|e| e.into_inner());
        Ok(empty
            .entry(p)
            .or_insert_with(|| Arc::new(PeriodDataBuilder::new(self.model, self.roster.clone(), p).finish()))
            .clone())
    }

    #[allow(clippy::too_many_arguments)]
    fn score_category(
        &self,
        p: Period,
        version: u32,
        c: u32,
        data: &PeriodData,
        parts: &[Arc<PeriodResult>],
        kernels: &[Option<ColumnKernel>],
        scratch: &mut Scratch,
    ) -> Result<CategoryResult, Vec<ScoreError>> {
        let cx = Cx::new(self, p, version, c, data, parts);
        let members = &self.roster.members[c as usize];
        let Scratch { handled, totals: column_totals, occurrences, entries, meta, rank: rank_scratch, placed } = scratch;
        entries.clear();
        meta.clear();
        let mut errors = Vec::new();
        // Months: the common numeric methods are summed column by column first.
        handled.clear();
        column_totals.clear();
        if p.level == Level::Month {
            cx.columns(kernels, handled, column_totals, occurrences);
        }
        let all_handled = !handled.is_empty() && handled.iter().all(|h| *h);
        let dynamic = cx.dynamic_interval();
        for (pos, &s) in members.iter().enumerate() {
            let pos = pos as u32;
            // Every indicator summed in columns: only the coefficients remain.
            if all_handled {
                if let (Some(Some(total)), Some(coef)) = (column_totals.get(pos as usize), cx.coefficient_interval(s, &dynamic)) {
                    let final_value = coef.map_or(*total, |c| total.mul(&c));
                    if let Ok(cents) = final_value.round_cents() {
                        entries.push(Entry { cents, extra_cents: 0, vetoed: false, demote: 0, assigned_grade: None });
                        meta.push(Some((s, Meta { veto: None, demote: 0, assigned: None, flags: Vec::new() }, false)));
                        continue;
                    }
                }
            }
            let done = match column_totals.get(pos as usize) {
                Some(Some(t)) => Some((&handled[..], *t)),
                // Undecided or missing in a column: this subject takes the whole general path.
                Some(None) | None => None,
            };
            let fast = cx.subject::<Interval>(pos, s, None, done).and_then(|o| {
                let cents = o.final_value.round_cents()?;
                let extra = o.extra.round_cents()?;
                Ok((o, cents, extra))
            });
            let (o, cents, extra, exact) = match fast {
                Ok((o, cents, extra)) => (into_meta(o), cents, extra, false),
                Err(Stop::Fail(Fail::Uncertain, _)) => {
                    // Exact arithmetic: small rationals first, which decide nearly always, then
                    // arbitrary precision for whatever they could not (an overflow).
                    let small = cx.subject::<Small>(pos, s, None, None).and_then(|o| {
                        let cents = o.final_value.round_cents()?;
                        let extra = o.extra.round_cents()?;
                        Ok((o, cents, extra))
                    });
                    if let Ok((o, cents, extra)) = small {
                        entries.push(Entry { cents, extra_cents: extra, vetoed: o.veto.is_some(), demote: o.demote, assigned_grade: o.assigned });
                        meta.push(Some((s, into_meta(o), true)));
                        continue;
                    }
                    let exact = cx.subject::<Exact>(pos, s, None, None).and_then(|o| {
                        let cents = o.final_value.round_cents().map_err(|f| Stop::Fail(f, None))?;
                        let extra = o.extra.round_cents().map_err(|f| Stop::Fail(f, None))?;
                        Ok((o, cents, extra))
                    });
                    match exact {
                        Ok((o, cents, extra)) => (into_meta(o), cents, extra, true),
                        Err(stop) => {
                            errors.push(cx.error(s, stop));
                            continue;
                        }
                    }
                }
                Err(stop) => {
                    errors.push(cx.error(s, stop));
                    continue;
                }
            };
            entries.push(Entry {
                cents,
                extra_cents: extra,
                vetoed: o.veto.is_some(),
                demote: o.demote,
                assigned_grade: o.assigned,
            });
            meta.push(Some((s, o, exact)));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let cat = &self.model.categories[c as usize];
        let set = &self.model.grade_sets[cat.grade_set as usize];
        let n = members.len() as u32;
        let quota_limits = rank::quota_limits(set, &cat.quota_overrides, n);
        placed.clear();
        rank::rank_and_grade_into(entries, set, &quota_limits, rank_scratch, placed);
        let mut rows = Vec::with_capacity(placed.len());
        for pl in placed.drain(..) {
            let (subject, m, exact) = meta[pl.entry].take().expect("each entry is placed once");
            let e = &entries[pl.entry];
            rows.push(Row {
                subject,
                cents: e.cents,
                extra_cents: e.extra_cents,
                rank: pl.rank,
                original_rank: pl.original_rank,
                tied: pl.tied,
                grade: pl.grade,
                reason: pl.reason,
                veto: m.veto,
                demoted: m.demote,
                exact_fallback: exact,
                flags: m.flags.into_boxed_slice(),
            });
        }
        Ok(CategoryResult { category: c, size: n, quota_limits, rows })
    }
}

/// Working space of one thread's categories, kept from one category to the next.
#[derive(Default)]
struct Scratch {
    handled: Vec<bool>,
    totals: Vec<Option<Interval>>,
    occurrences: Vec<(u32, u32)>,
    entries: Vec<Entry>,
    meta: Vec<Option<(u32, Meta, bool)>>,
    rank: rank::Scratch,
    placed: Vec<rank::Placed>,
}

/// A plain method's column kernel at one weight, with the weight and amplification as intervals.
struct ColumnKernel {
    w: Interval,
    kernel: Kernel,
    /// (bonus factor, penalty factor, penalty threshold × weight).
    amplify: Option<(Interval, Interval, Interval)>,
}

impl ColumnKernel {
    /// `None` for methods that are not summed in columns.
    fn new(ind: &crate::model::Indicator, weight: Dec) -> Option<ColumnKernel> {
        let d = Interval::from_dec;
        let zero = Interval::from_int(0);
        let w = d(weight);
        let kernel = match &ind.method {
            Method::Completion { floor, cap } => Kernel::Completion { lo: d(*floor), hi: d(*cap) },
            Method::Control { max_ratio } => Kernel::Control { hi: d(*max_ratio) },
            Method::Blended { total_share, growth_share, floor, cap } => {
                Kernel::Blended { lo: d(*floor), hi: d(*cap), ts: d(*total_share), gs: d(*growth_share) }
            }
            Method::Direct => Kernel::Direct,
            Method::Qualitative { levels } => Kernel::Qualitative(levels.iter().map(|(_, s)| w.mul(&d(*s))).collect()),
            Method::Interpolate { points, below } => Kernel::Interpolate(Box::new(Interpolation::new(points, *below))),
            Method::Bands { bands } => Kernel::Bands { bands: bands.iter().map(|(lo, s)| (*lo, w.mul(&d(*s)))).collect(), none: w.mul(&d(Dec::ZERO)) },
            // Without occurrences: full marks for a deduction from full marks, else nothing.
            Method::Deduction { from_full: true, .. } => Kernel::Constant(w),
            Method::Deduction { .. } | Method::Veto { .. } | Method::Demotion { .. } | Method::Bonus { .. } => Kernel::Constant(zero),
            _ => return None,
        };
        let amplify = ind.amplify.as_ref().map(|a| (d(a.bonus_factor), d(a.penalty_factor), d(a.penalty_below).mul(&w)));
        Some(ColumnKernel { w, kernel, amplify })
    }
}

struct Meta {
    veto: Option<Box<VetoMark>>,
    demote: u32,
    assigned: Option<u32>,
    flags: Vec<String>,
}

fn into_meta<N>(o: Outcome<N>) -> Meta {
    Meta { veto: o.veto.map(Box::new), demote: o.demote, assigned: o.assigned, flags: o.flags }
}

fn model_version(m: &Model, p: Period) -> u32 {
    m.version_for(p)
}

/// Everything needed to score subjects of one category in one period.
struct Cx<'s, 'a> {
    sc: &'s Scorer<'a>,
    p: Period,
    version: u32,
    ver: &'a PlanVersion,
    c: u32,
    data: &'s PeriodData,
    /// For each part within this period: its period and this category's rows by member position
    /// (gathered once, reading the part's rows in order rather than one lookup per subject).
    part_rows: Vec<(Period, Vec<Option<&'s Row>>)>,
    peers: Vec<Option<Peer>>,
}

impl<'s, 'a> Cx<'s, 'a> {
    fn new(sc: &'s Scorer<'a>, p: Period, version: u32, c: u32, data: &'s PeriodData, parts: &'s [Arc<PeriodResult>]) -> Self {
        let ver = &sc.model.versions[version as usize];
        let laid = &data.layout.indicators[c as usize];
        let members = &sc.roster.members[c as usize];
        let ranked = laid.iter().any(|li| matches!(ver.indicators[li.indicator as usize].method, Method::RankPoints { .. }));
        let peers = if !ranked {
            Vec::new()
        } else {
            laid.iter()
            .map(|li| match &ver.indicators[li.indicator as usize].method {
                Method::RankPoints { direction, .. } => {
                    let mut vals: Vec<(Dec, u32)> = (0..members.len() as u32)
                        .filter_map(|pos| data.cell(c, pos, li, 0).map(|v| (v, pos)))
                        .collect();
                    let better = |a: &Dec, b: &Dec| match direction {
                        Direction::HigherIsBetter => b.cmp(a),
                        Direction::LowerIsBetter => a.cmp(b),
                    };
                    vals.sort_by(|a, b| better(&a.0, &b.0));
                    let mut ranks = vec![u32::MAX; members.len()];
                    for k in 0..vals.len() {
                        ranks[vals[k].1 as usize] =
                            if k > 0 && vals[k - 1].0 == vals[k].0 { ranks[vals[k - 1].1 as usize] } else { k as u32 + 1 };
                    }
                    Some(Peer { ranks, best: vals.first().map(|v| v.0) })
                }
                _ => None,
            })
            .collect()
        };
        let n = members.len();
        let part_rows = parts
            .iter()
            .filter(|r| p.contains(r.period) && r.period != p)
            .map(|r| {
                let mut by_pos: Vec<Option<&Row>> = vec![None; n];
                if let Some(cat) = r.categories.get(c as usize) {
                    for row in &cat.rows {
                        by_pos[sc.roster.position[row.subject as usize] as usize] = Some(row);
                    }
                }
                (r.period, by_pos)
            })
            .collect();
        Cx { sc, p, version, ver, c, data, part_rows, peers }
    }

    /// Sums, for every member, the points of the laid indicators whose method is a plain
    /// function of the member's own numeric fields, one indicator at a time with its
    /// constants computed once. Occurrence-type indicators are summed too: a constant for
    /// members without an occurrence of them this period, and the general step
    /// ([`Cx::indicator`]) for the few with one, as long as it only gives points in the
    /// total. Returns which laid indicators were summed, and per member the interval total,
    /// or `None` where a value was missing, a decision uncertain, or an occurrence had an
    /// effect (a veto, a demotion) or points kept out of the total (that member then takes
    /// the general path, which reports, decides or applies it).
    fn columns(&self, kernels: &[Option<ColumnKernel>], handled: &mut Vec<bool>, totals: &mut Vec<Option<Interval>>, occurrences: &mut Vec<(u32, u32)>) {
        let laid = &self.data.layout.indicators[self.c as usize];
        let members = &self.sc.roster.members[self.c as usize];
        handled.clear();
        handled.resize(laid.len(), false);
        totals.clear();
        totals.resize(members.len(), Some(Interval::from_int(0)));
        // Each member's occurrences, found by walking the sorted events alongside the
        // members (who are in subject order) rather than by two binary searches each.
        let all_events = self.data.events();
        occurrences.clear();
        if !all_events.is_empty() {
            let mut at = 0;
            for &s in members {
                let start = seek(all_events, at, s);
                let end = seek(all_events, start, s + 1);
                occurrences.push((start as u32, end as u32));
                at = end;
            }
        }
        for (k, li) in laid.iter().enumerate() {
            let ind = &self.ver.indicators[li.indicator as usize];
            if li.per_subject {
                continue;
            }
            // The shared kernel, unless this category weighs the indicator differently.
            let own;
            let ck = match kernels.get(li.indicator as usize) {
                Some(shared) if !ind.category_weights.iter().any(|(c, _)| *c == self.c) => shared.as_ref(),
                _ => {
                    own = ColumnKernel::new(ind, ind.weight_for(self.c));
                    own.as_ref()
                }
            };
            let Some(ColumnKernel { w, kernel, amplify }) = ck else { continue };
            handled[k] = true;
            let (block, stride) = self.data.block(self.c);
            let column = Column { block, stride, offset: li.offset as usize };
            debug_assert_eq!(li.fields as usize, match kernel {
                Kernel::Constant(_) => 0,
                Kernel::Completion { .. } | Kernel::Control { .. } => 2,
                Kernel::Blended { .. } => 4,
                _ => 1,
            });
            if !ind.method.is_event() || occurrences.is_empty() {
                kernel.add_column(self.data, column, w, amplify, totals);
                continue;
            }
            // An occurrence item: its constant for members without an occurrence of it, the
            // general step for the few with one.
            let Kernel::Constant(constant) = kernel else { unreachable!("occurrence items have constant kernels") };
            for (pos, total) in totals.iter_mut().enumerate() {
                let Some(t) = total else { continue };
                let (start, end) = occurrences[pos];
                if all_events[start as usize..end as usize].iter().any(|e| e.indicator == li.indicator) {
                    *total = match self.indicator::<Interval>(pos as u32, members[pos], k, li, None) {
                        Ok(c) if c.in_total && matches!(c.effect, Effect::None) => Some(t.add(&c.points)),
                        _ => None,
                    };
                } else {
                    *total = Some(t.add(constant));
                }
            }
        }
    }

    /// The coefficient factor of a subject as an interval, when it can be had without
    /// problems (otherwise the general path reports them); `Some(None)` means no coefficient.
    fn coefficient_interval(&self, s: u32, dynamic: &Option<Option<Interval>>) -> Option<Option<Interval>> {
        let model = self.sc.model;
        if !(model.categories[self.c as usize].coefficients && self.p.level == Level::Month) {
            return Some(None);
        }
        let coef = &model.coefficients;
        let mut factor = Interval::from_int(1);
        if !coef.static_levels.is_empty() {
            let level = model.subjects[s as usize].static_level?;
            factor = factor.mul(&Interval::from_dec(*coef.static_levels.get(usize::from(level).wrapping_sub(1))?));
        }
        if coef.dynamic.is_some() {
            factor = factor.mul(&(*dynamic)??);
        }
        if let Some(pc) = &coef.parent {
            let level = self.data.parent_level(model.subjects[s as usize].parent?)?;
            factor = factor.mul(&Interval::from_dec(pc.levels[usize::from(level)].1));
        }
        Some(Some(factor))
    }

    /// The dynamic coefficient of this period as an interval: `None` if there is none,
    /// `Some(None)` if it cannot be had as an interval (missing input, uncertain).
    fn dynamic_interval(&self) -> Option<Option<Interval>> {
        let coef = &self.sc.model.coefficients;
        let f = coef.dynamic.as_ref()?;
        let vars: Option<Vec<Interval>> = (0..coef.area_inputs.len()).map(|i| self.data.area.get(i).copied().flatten().map(Interval::from_dec)).collect();
        Some(vars.and_then(|v| f.eval(&v).ok()))
    }

    fn error(&self, s: u32, stop: Stop) -> ScoreError {
        let (indicator, kind) = match stop {
            Stop::MissingArea(input) => (None, ScoreErrorKind::MissingAreaInput { input }),
            Stop::MissingStaticLevel => (None, ScoreErrorKind::MissingStaticLevel),
            Stop::MissingParentLevel(input) => (None, ScoreErrorKind::MissingParentLevel { input }),
            Stop::Missing(i, field) => (Some(i), ScoreErrorKind::Missing { field }),
            Stop::Fail(Fail::DivZero, i) => (i, ScoreErrorKind::DivisionByZero),
            Stop::Fail(_, i) => (i, ScoreErrorKind::Overflow),
        };
        ScoreError { period: self.p, subject: Some(s), indicator, kind }
    }

    /// Scores one subject. `done`, if given, lists the laid indicators already summed
    /// column by column (see [`Cx::columns`]) and their total, which this adds to.
    fn subject<N: Num>(&self, pos: u32, s: u32, mut trace: Option<&mut ScoreTrace>, done: Option<(&[bool], N)>) -> Result<Outcome<N>, Stop> {
        let model = self.sc.model;
        let (handled, mut total) = match done {
            Some((h, t)) => (h, t),
            None => (&[][..], N::from_int(0)),
        };
        let mut extra = N::from_int(0);
        let mut veto: Option<VetoMark> = None;
        let mut demote = 0u32;
        let mut assigned = None;
        let mut flags = Vec::new();

        let laid_list = &self.data.layout.indicators[self.c as usize];
        let agg = if self.p.level == Level::Month { None } else { model.aggregation(self.c, self.version, self.p.level) };
        // Indicators that an aggregation component weighs are added by the component.
        let weighed: Vec<(usize, &str)> = agg
            .map(|a| {
                a.components
                    .iter()
                    .enumerate()
                    .filter_map(|(ci, c)| match &c.source {
                        ComponentSource::Indicator(k) => Some((ci, k.as_str())),
                        ComponentSource::Parts(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut component_points: Vec<(usize, N)> = Vec::new();

        for (k, li) in laid_list.iter().enumerate() {
            if handled.get(k).copied().unwrap_or(false) {
                continue;
            }
            if li.per_subject && !model.applies_ignoring_period(self.version, li.indicator, s) {
                continue;
            }
            let mut t = trace.as_ref().map(|_| IndicatorTrace::default());
            let contrib = self.indicator::<N>(pos, s, k, li, t.as_mut())?;
            let ind = &self.ver.indicators[li.indicator as usize];
            if let Some(&(ci, _)) = weighed.iter().find(|(_, key)| *key == ind.key) {
                component_points.push((ci, contrib.points.clone()));
            } else if contrib.in_total {
                total = total.add(&contrib.points);
            } else {
                extra = extra.add(&contrib.points);
            }
            match contrib.effect {
                Effect::None => {}
                Effect::Veto(scope, reasons) => {
                    veto = Some(VetoMark { period: self.p, indicator: li.indicator, scope, reasons });
                }
                Effect::Demote(n) => demote += n,
                Effect::Grade(g) => assigned = Some(g),
                Effect::Flags(mut f) => flags.append(&mut f),
            }
            if let (Some(tr), Some(t)) = (trace.as_deref_mut(), t) {
                tr.indicators.push(t);
            }
        }

        if let Some(agg) = agg {
            let mut composed = N::from_int(0);
            for (ci, comp) in agg.components.iter().enumerate() {
                let share = N::from_dec(comp.share);
                // The texts are for explanations only: build them only when tracing.
                let tracing = trace.is_some();
                let (value, what) = match &comp.source {
                    ComponentSource::Parts(level) => {
                        let mut sum = 0i64;
                        let mut count = 0i64;
                        let mut shown = Vec::new();
                        for (_, rows) in self.part_rows.iter().filter(|(pp, _)| pp.level == *level) {
                            if let Some(row) = rows[pos as usize] {
                                sum += row.cents;
                                count += 1;
                                if tracing {
                                    shown.push(crate::dec::format_cents(row.cents));
                                }
                            }
                        }
                        let mean = if count == 0 {
                            N::from_int(0)
                        } else {
                            N::from_int(sum).div(&N::from_int(count * 100))?
                        };
                        let what = if tracing { format!("mean({}: {}) = {}", level.key(), shown.join(", "), mean.display(4)) } else { String::new() };
                        (mean, what)
                    }
                    ComponentSource::Indicator(key) => {
                        let v = component_points.iter().find(|(i, _)| *i == ci).map(|(_, v)| v.clone());
                        let Some(v) = v else {
                            return Err(Stop::Missing(self.indicator_index(key), "value".into()));
                        };
                        let what = if tracing { format!("{key} = {}", v.display(4)) } else { String::new() };
                        (v, what)
                    }
                };
                let part = share.mul(&value);
                if let Some(tr) = trace.as_deref_mut() {
                    tr.components.push(format!("{} × {what} = {}", comp.share, part.display(4)));
                }
                composed = composed.add(&part);
            }
            if let Some(adj) = &agg.grade_adjust {
                for (part_period, rows) in self.part_rows.iter().filter(|(pp, _)| pp.level == adj.level) {
                    let Some(row) = rows[pos as usize] else { continue };
                    let set = model.categories[self.c as usize].grade_set;
                    let name = &model.grade_sets[set as usize].grades[row.grade as usize].name;
                    if let Some((_, pts)) = adj.points.iter().find(|(g, _)| g == name) {
                        composed = composed.add(&N::from_dec(*pts));
                        if let Some(tr) = trace.as_deref_mut() {
                            let sign = if pts.is_negative() { "" } else { "+" };
                            tr.components.push(format!("{part_period} {name}: {sign}{pts}"));
                        }
                    }
                }
            }
            total = total.add(&composed);
            // Vetoes recorded in any part of this period (a month, or a quarter or half with
            // its own veto indicator) with a year-wide scope carry over.
            if veto.is_none() {
                for (_, rows) in &self.part_rows {
                    if let Some(v) = rows[pos as usize].and_then(|row| row.veto.as_ref()) {
                        if v.scope == VetoScope::Year {
                            veto = Some((**v).clone());
                            break;
                        }
                    }
                }
            }
        }

        let cat = &model.categories[self.c as usize];
        let mut final_value = total.clone();
        if cat.coefficients && self.p.level == Level::Month {
            let coef = &model.coefficients;
            if !coef.static_levels.is_empty() {
                let level = model.subjects[s as usize].static_level;
                let Some(factor) = level.and_then(|l| coef.static_levels.get(usize::from(l).wrapping_sub(1))) else {
                    return Err(Stop::MissingStaticLevel);
                };
                final_value = final_value.mul(&N::from_dec(*factor));
                if let Some(tr) = trace.as_deref_mut() {
                    tr.coefficients.push(format!("static level {} = {factor}", level.unwrap_or(0)));
                }
            }
            if let Some(f) = &coef.dynamic {
                let mut vars = Vec::with_capacity(coef.area_inputs.len());
                for (i, name) in coef.area_inputs.iter().enumerate() {
                    match self.data.area.get(i).copied().flatten() {
                        Some(v) => vars.push(N::from_dec(v)),
                        None => return Err(Stop::MissingArea(name.clone())),
                    }
                }
                let d = f.eval(&vars).map_err(|e| Stop::Fail(e, None))?;
                final_value = final_value.mul(&d);
                if let Some(tr) = trace.as_deref_mut() {
                    let inputs: Vec<String> = coef
                        .area_inputs
                        .iter()
                        .zip(&vars)
                        .map(|(n, v)| format!("{n} = {}", v.display(4)))
                        .collect();
                    tr.coefficients.push(format!("dynamic = {} with {} = {}", f.source(), inputs.join(", "), d.display(4)));
                }
            }
            if let Some(pc) = &coef.parent {
                let parent = model.subjects[s as usize].parent;
                let Some((p, level)) = parent.and_then(|p| self.data.parent_level(p).map(|l| (p, l))) else {
                    return Err(Stop::MissingParentLevel(pc.input.clone()));
                };
                let (name, factor) = &pc.levels[usize::from(level)];
                final_value = final_value.mul(&N::from_dec(*factor));
                if let Some(tr) = trace.as_deref_mut() {
                    let parent = &model.subjects[p as usize];
                    tr.coefficients.push(format!("{} of {} ({}) = {name} → {factor}", pc.input, parent.key, parent.name));
                }
            }
        }
        if let Some(tr) = trace {
            tr.total = total.display(4);
            tr.final_value = final_value.display(4);
            tr.extra = extra.display(4);
        }
        Ok(Outcome { final_value, extra, veto, demote, assigned, flags })
    }

    fn indicator_index(&self, key: &str) -> u32 {
        self.ver.indicators.iter().position(|i| i.key == key).map_or(0, |i| i as u32)
    }

    fn indicator<N: Num>(
        &self,
        pos: u32,
        s: u32,
        k: usize,
        li: &LaidIndicator,
        mut t: Option<&mut IndicatorTrace>,
    ) -> Result<Contribution<N>, Stop> {
        let ind = &self.ver.indicators[li.indicator as usize];
        let wdec = ind.weight_for(self.c);
        let w = N::from_dec(wdec);
        let zero = N::from_int(0);
        let fail = |f: Fail| Stop::Fail(f, Some(li.indicator));
        let mut effect = Effect::None;
        macro_rules! step {
            ($($arg:tt)*) => { if let Some(t) = t.as_deref_mut() { t.steps.push(format!($($arg)*)); } };
        }
        // Inputs live on the stack for the usual few fields; this is the hot loop.
        let n = li.fields as usize;
        let mut small = [Dec::ZERO; 8];
        let mut big = Vec::new();
        let inputs: &mut [Dec] = if n <= small.len() {
            &mut small[..n]
        } else {
            big.resize(n, Dec::ZERO);
            &mut big[..]
        };
        let ballots = matches!(ind.method, Method::Ballots { .. });
        let optional_grade = matches!(ind.method, Method::AssignedGrade { optional: true });
        let mut no_grade = false;
        for (f, slot) in inputs.iter_mut().enumerate() {
            *slot = match self.data.cell(self.c, pos, li, f as u32) {
                Some(v) => v,
                // Ballot counts that were not given are zero votes.
                None if ballots => Dec::ZERO,
                // An optional grade not given leaves the grade to the score and the quotas.
                None if optional_grade => {
                    no_grade = true;
                    Dec::ZERO
                }
                None => return Err(Stop::Missing(li.indicator, ind.method.fields().swap_remove(f))),
            };
        }
        let inputs: &[Dec] = inputs;
        if let Some(t) = t.as_deref_mut() {
            t.indicator = li.indicator;
            t.method = ind.method.key();
            t.weight = wdec.to_string();
            t.in_total = ind.in_total;
            t.inputs = ind.method.fields().into_iter().zip(inputs).map(|(n, v)| (n, v.to_string())).collect();
        }
        // This indicator's occurrences for the subject (none for other methods).
        let own: &[crate::data::Event] = if ind.method.is_event() { self.data.events_of(s) } else { &[] };
        let events = || own.iter().filter(|e| e.indicator == li.indicator);
        if let Some(t) = t.as_deref_mut() {
            t.events = events().map(|e| (e.amount.to_string(), e.reason.clone())).collect();
        }
        let ratio = |a: Dec, b: Dec| N::ratio(a, b).map_err(fail);

        let base: N = match &ind.method {
            Method::Completion { floor, cap } => {
                let r = ratio(inputs[0], inputs[1])?;
                let c = r.clamp(&N::from_dec(*floor), &N::from_dec(*cap)).map_err(fail)?;
                step!("rate = actual / target = {} / {} = {}", inputs[0], inputs[1], r.display(4));
                step!("clamp(rate, {floor}, {cap}) = {}", c.display(4));
                let b = w.mul(&c);
                step!("points = {wdec} × {} = {}", c.display(4), b.display(4));
                b
            }
            Method::Control { max_ratio } => {
                let r = ratio(inputs[0], inputs[1])?;
                let c = N::from_int(2).sub(&r).clamp(&zero, &N::from_dec(*max_ratio)).map_err(fail)?;
                step!("ratio = actual / cap = {} / {} = {}", inputs[0], inputs[1], r.display(4));
                step!("clamp(2 − ratio, 0, {max_ratio}) = {}", c.display(4));
                let b = w.mul(&c);
                step!("points = {wdec} × {} = {}", c.display(4), b.display(4));
                b
            }
            Method::Blended { total_share, growth_share, floor, cap } => {
                let (lo, hi) = (N::from_dec(*floor), N::from_dec(*cap));
                let tr = ratio(inputs[0], inputs[1])?;
                let tc = tr.clamp(&lo, &hi).map_err(fail)?;
                let gr = ratio(inputs[2], inputs[3])?;
                let gc = gr.clamp(&lo, &hi).map_err(fail)?;
                step!("TC = clamp({} / {}, {floor}, {cap}) = {}", inputs[0], inputs[1], tc.display(4));
                step!("GC = clamp({} / {}, {floor}, {cap}) = {}", inputs[2], inputs[3], gc.display(4));
                let b = w.mul(&N::from_dec(*total_share).mul(&tc).add(&N::from_dec(*growth_share).mul(&gc)));
                step!("base = {wdec} × ({total_share} × TC + {growth_share} × GC) = {}", b.display(4));
                b
            }
            Method::Deduction { per, cap, from_full } => {
                let mut d = zero.clone();
                for e in events() {
                    d = d.add(&N::from_dec(e.amount).mul(&N::from_dec(*per)));
                }
                step!("deduction = Σ count × {per} = {}", d.display(4));
                if let Some(cap) = cap {
                    d = d.min(&N::from_dec(*cap)).map_err(fail)?;
                    step!("capped at {cap}: {}", d.display(4));
                }
                if *from_full {
                    let d = d.min(&w).map_err(fail)?;
                    let b = w.sub(&d);
                    step!("points = {wdec} − {} = {}", d.display(4), b.display(4));
                    b
                } else {
                    d.neg()
                }
            }
            Method::Veto { scope } => {
                // A row with a count of zero records that nothing happened.
                if events().any(|e| !e.amount.is_zero()) {
                    effect = Effect::Veto(*scope, events().map(|e| e.reason.clone()).collect());
                }
                zero.clone()
            }
            Method::Demotion { places } => {
                let mut n = 0u32;
                for e in events() {
                    let count = u32::try_from(e.amount.mantissa().max(0)).unwrap_or(u32::MAX);
                    n = n.saturating_add(count.saturating_mul(*places));
                }
                if n > 0 {
                    effect = Effect::Demote(n);
                    step!("demotion = Σ count × {places} = {n}");
                }
                zero.clone()
            }
            Method::Bonus { per, cap } => {
                let mut b = zero.clone();
                for e in events() {
                    let v = N::from_dec(e.amount);
                    b = b.add(&match per {
                        Some(p) => v.mul(&N::from_dec(*p)),
                        None => v,
                    });
                }
                step!("bonus = {}", b.display(4));
                if let Some(cap) = cap {
                    b = b.min(&N::from_dec(*cap)).map_err(fail)?;
                    step!("capped at {cap}: {}", b.display(4));
                }
                b
            }
            Method::Qualitative { levels } => {
                let idx = inputs[0].mantissa() as usize;
                let (label, share) = &levels[idx.min(levels.len() - 1)];
                if let Some(t) = t.as_deref_mut() {
                    t.inputs = vec![("level".into(), label.clone())];
                }
                let b = w.mul(&N::from_dec(*share));
                step!("{label} → {share} × {wdec} = {}", b.display(4));
                b
            }
            Method::Ballots { groups, answers, excluded, flags } => {
                let na = answers.len();
                let mut fraction = zero.clone();
                let mut all_valid = 0i128;
                let mut answer_totals = vec![0i128; na];
                // For the sample's margin of error (a statistic shown beside the score, not
                // part of it): Σ share² × variance / n over the groups, in f64.
                let (mut sampled, mut left_out, mut variance) = (0i128, 0i128, 0f64);
                for (g, (gname, gshare)) in groups.iter().enumerate() {
                    let mut valid = zero.clone();
                    let mut sum = zero.clone();
                    let counted: Vec<(f64, f64)> = answers
                        .iter()
                        .enumerate()
                        .filter(|(_, (aname, _))| !excluded.contains(aname))
                        .map(|(a, (_, v))| (inputs[g * na + a].to_f64(), v.to_f64()))
                        .collect();
                    let n: f64 = counted.iter().map(|c| c.0).sum();
                    if n > 1.0 {
                        let mean = counted.iter().map(|(c, v)| c * v).sum::<f64>() / n;
                        let s2 = counted.iter().map(|(c, v)| c * (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
                        variance += gshare.to_f64() * gshare.to_f64() * s2 / n;
                    }
                    for (a, (aname, avalue)) in answers.iter().enumerate() {
                        let count = inputs[g * na + a];
                        if excluded.contains(aname) {
                            left_out += i128::from(count.mantissa());
                            continue;
                        }
                        sampled += i128::from(count.mantissa());
                        answer_totals[a] += i128::from(count.mantissa());
                        all_valid += i128::from(count.mantissa());
                        valid = valid.add(&N::from_dec(count));
                        sum = sum.add(&N::from_dec(count).mul(&N::from_dec(*avalue)));
                    }
                    if valid.is_zero().map_err(fail)? {
                        step!("{gname}: no valid answers");
                        continue;
                    }
                    let mean = sum.div(&valid).map_err(fail)?;
                    step!("{gname}: mean = {} / {} = {} (share {gshare})", sum.display(4), valid.display(0), mean.display(4));
                    fraction = fraction.add(&N::from_dec(*gshare).mul(&mean));
                }
                let mut raised = Vec::new();
                for f in flags {
                    let hit: i128 = f.answers.iter().map(|&a| answer_totals[a as usize]).sum();
                    // Counts are whole numbers; compare hit/all with the share exactly.
                    let ((an, ad), (bn, bd)) = (f.share.0.as_fraction(), f.share.1.as_fraction());
                    let lhs = num_bigint::BigInt::from(hit) * bn * ad;
                    let rhs = num_bigint::BigInt::from(all_valid) * an * bd;
                    let fires = if f.above { lhs > rhs } else { lhs < rhs };
                    if fires && all_valid > 0 {
                        step!("flag: {} ({hit} / {all_valid})", f.message);
                        raised.push(format!("{} ({hit}/{all_valid})", f.message));
                    }
                }
                if !raised.is_empty() {
                    effect = Effect::Flags(raised);
                }
                let b = w.mul(&fraction);
                step!("points = {wdec} × {} = {}", fraction.display(4), b.display(4));
                if sampled > 0 {
                    let moe = 1.96 * variance.sqrt() * wdec.to_f64();
                    step!("sample: n = {sampled} answers counted, {left_out} left out; margin of error ±{moe:.2} points (95%)");
                }
                b
            }
            Method::Interpolate { points, below } => {
                let v = inputs[0];
                let desc = points.len() > 1 && points[0].0 > points[1].0;
                let before = |a: Dec, b: Dec| if desc { a > b } else { a < b };
                let share = if before(v, points[0].0) {
                    match below {
                        Below::Zero => zero.clone(),
                        Below::Hold => N::from_dec(points[0].1),
                        Below::Extrapolate => lerp::<N>(points[0], points[1], v).map_err(fail)?.max(&zero).map_err(fail)?,
                    }
                } else if let Some(k) = (1..points.len()).find(|&k| before(v, points[k].0)) {
                    lerp::<N>(points[k - 1], points[k], v).map_err(fail)?
                } else {
                    N::from_dec(points[points.len() - 1].1)
                };
                let b = w.mul(&share);
                step!("share at {v} = {}; points = {wdec} × share = {}", share.display(4), b.display(4));
                b
            }
            Method::Bands { bands } => {
                let v = inputs[0];
                let share = bands.iter().rev().find(|(lo, _)| v >= *lo).map_or(Dec::ZERO, |(_, s)| *s);
                let b = w.mul(&N::from_dec(share));
                step!("band for {v}: share {share}; points = {}", b.display(4));
                b
            }
            Method::RankPoints { table, rest, proportional, direction } => {
                let peer = self.peers[k].as_ref().expect("peers are computed for rank indicators");
                let rank = peer.ranks[pos as usize];
                if *proportional {
                    let best = peer.best.unwrap_or(Dec::ONE);
                    let (num, den) = match direction {
                        Direction::HigherIsBetter => (inputs[0], best),
                        Direction::LowerIsBetter => (best, inputs[0]),
                    };
                    let b = w.mul(&ratio(num, den)?);
                    step!("points = {wdec} × {num} / {den} (best {best}) = {}", b.display(4));
                    b
                } else {
                    let pts = table.get(rank as usize - 1).copied().unwrap_or(*rest);
                    step!("rank {rank} in category → {pts}");
                    N::from_dec(pts)
                }
            }
            Method::Direct => {
                step!("points = value = {}", inputs[0]);
                N::from_dec(inputs[0])
            }
            Method::Formula { formula, .. } => {
                let mut vars: Vec<N> = inputs.iter().map(|d| N::from_dec(*d)).collect();
                vars.push(w.clone());
                vars.push(N::from_dec(self.sc.model.categories[self.c as usize].total));
                let b = formula.eval(&vars).map_err(fail)?;
                step!("{} = {}", formula.source(), b.display(4));
                b
            }
            Method::AssignedGrade { .. } if no_grade => {
                step!("no grade assigned: graded by score");
                zero.clone()
            }
            Method::AssignedGrade { .. } => {
                let g = inputs[0].mantissa() as u32;
                let set = self.sc.model.categories[self.c as usize].grade_set;
                let name = &self.sc.model.grade_sets[set as usize].grades[g as usize].name;
                if let Some(t) = t.as_deref_mut() {
                    t.inputs = vec![("grade".into(), name.clone())];
                }
                effect = Effect::Grade(g);
                zero.clone()
            }
        };

        let points = match &ind.amplify {
            Some(a) => {
                let bonus = N::from_dec(a.bonus_factor).mul(&base.sub(&w).max(&zero).map_err(fail)?);
                let threshold = N::from_dec(a.penalty_below).mul(&w);
                let penalty = N::from_dec(a.penalty_factor).mul(&threshold.sub(&base).max(&zero).map_err(fail)?);
                step!("bonus = {} × max(0, base − {wdec}) = {}", a.bonus_factor, bonus.display(4));
                step!("penalty = {} × max(0, {} × {wdec} − base) = {}", a.penalty_factor, a.penalty_below, penalty.display(4));
                base.add(&bonus).sub(&penalty)
            }
            None => base,
        };
        if let Some(t) = t.as_deref_mut() {
            t.points = points.display(4);
            t.effect = match &effect {
                Effect::Veto(_, r) => Some(format!("veto: {}", r.join("; "))),
                Effect::Demote(n) => Some(format!("demote {n}")),
                Effect::Grade(g) => Some(format!("grade {g}")),
                Effect::Flags(f) => Some(f.join("; ")),
                Effect::None => None,
            };
        }
        Ok(Contribution { points, in_total: ind.in_total, effect })
    }
}

/// The first position at or after `from` whose event's subject is at least `s`, in events
/// sorted by subject. It gallops from `from`, so walking a category's members in order
/// costs one comparison for a member without occurrences.
fn seek(events: &[crate::data::Event], from: usize, s: u32) -> usize {
    let mut lo = from;
    let mut step = 1;
    loop {
        let probe = lo + step - 1;
        if probe >= events.len() || events[probe].subject >= s {
            let hi = probe.min(events.len());
            return lo + events[lo..hi].partition_point(|e| e.subject < s);
        }
        lo = probe + 1;
        step *= 2;
    }
}

fn lerp<N: Num>(a: (Dec, Dec), b: (Dec, Dec), v: Dec) -> Result<N, Fail> {
    let (x0, y0, x1, y1) = (N::from_dec(a.0), N::from_dec(a.1), N::from_dec(b.0), N::from_dec(b.1));
    let t = N::from_dec(v).sub(&x0).div(&x1.sub(&x0))?;
    Ok(y0.add(&t.mul(&y1.sub(&y0))))
}
