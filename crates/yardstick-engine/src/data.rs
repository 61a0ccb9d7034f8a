//! A period's input values, stored compactly per category so that scoring is a linear scan.
//!
//! Each category has a block of cells: one row per member subject, one column per
//! input field of every indicator in force for the category. A cell is 4 bytes:
//! a compact decimal, or an index into a side table for wide values, or empty.
//! Occurrence-type data (deductions, vetoes, demotions, bonus items) is a sparse
//! list of events with their reasons. Builders take `&self` so that loaders can
//! fill one period from several threads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use crate::dec::Dec;
use crate::model::{Model, Scope};
use crate::period::Period;

const EMPTY: u32 = u32::MAX;
const WIDE: u32 = 1;
/// No parent level given (see [`PeriodData::parent_level`]).
const NO_LEVEL: u8 = u8::MAX;

/// Category membership, computed once per model.
#[derive(Clone, Debug)]
pub struct Roster {
    /// Member subjects of each category, in model order.
    pub members: Vec<Vec<u32>>,
    /// Each subject's position within its category's members.
    pub position: Vec<u32>,
}

impl Roster {
    pub fn new(model: &Model) -> Roster {
        let mut members = vec![Vec::new(); model.categories.len()];
        let mut position = vec![u32::MAX; model.subjects.len()];
        for (s, subj) in model.subjects.iter().enumerate() {
            if let Some(c) = subj.category {
                position[s] = members[c as usize].len() as u32;
                members[c as usize].push(s as u32);
            }
        }
        Roster { members, position }
    }
}

/// Where a period's fields live, per category.
#[derive(Clone, Debug)]
pub struct Layout {
    pub period: Period,
    pub version: u32,
    /// Per category: the indicators in force and the offset of their first field.
    pub indicators: Vec<Vec<LaidIndicator>>,
    pub stride: Vec<u32>,
    pub base: Vec<usize>,
    pub cells: usize,
    lookup: FxHashMap<u64, u32>,
}

#[derive(Clone, Debug)]
pub struct LaidIndicator {
    pub indicator: u32,
    pub offset: u32,
    pub fields: u32,
    /// Whether applicability must be checked subject by subject (differentiated plans).
    pub per_subject: bool,
}

impl Layout {
    pub fn new(model: &Model, roster: &Roster, period: Period) -> Layout {
        let version = model.version_for(period);
        let ver = &model.versions[version as usize];
        let replaced: Vec<u32> = ver
            .indicators
            .iter()
            .filter_map(|i| match &i.scope {
                Scope::Subjects { replaces: Some(r), .. } => Some(*r),
                _ => None,
            })
            .collect();
        let mut indicators = Vec::with_capacity(model.categories.len());
        let mut stride = Vec::with_capacity(model.categories.len());
        let mut base = Vec::with_capacity(model.categories.len());
        let mut lookup = FxHashMap::default();
        let mut cells = 0usize;
        for c in 0..model.categories.len() as u32 {
            let mut list = Vec::new();
            let mut off = 0u32;
            for (i, ind) in ver.indicators.iter().enumerate() {
                if ind.level != period.level || !ver.modules[ind.module as usize].active(period) {
                    continue;
                }
                let members = &roster.members[c as usize];
                let (in_cat, per_subject) = match &ind.scope {
                    Scope::Common => (true, replaced.contains(&(i as u32))),
                    Scope::Categories(cs) => (cs.contains(&c), replaced.contains(&(i as u32))),
                    Scope::Subjects { subjects, .. } => (subjects.iter().any(|s| members.contains(s)), true),
                };
                if !in_cat {
                    continue;
                }
                let fields = ind.method.fields().len() as u32;
                lookup.insert((u64::from(c) << 32) | i as u64, list.len() as u32);
                list.push(LaidIndicator { indicator: i as u32, offset: off, fields, per_subject });
                off += fields;
            }
            base.push(cells);
            cells += off as usize * roster.members[c as usize].len();
            stride.push(off);
            indicators.push(list);
        }
        Layout { period, version, indicators, stride, base, cells, lookup }
    }

    /// The laid-out entry of indicator `i` in category `c`, if in force there.
    pub fn find(&self, c: u32, i: u32) -> Option<&LaidIndicator> {
        self.lookup.get(&((u64::from(c) << 32) | u64::from(i))).map(|&k| &self.indicators[c as usize][k as usize])
    }

    fn cell(&self, roster: &Roster, c: u32, s: u32, laid: &LaidIndicator, field: u32) -> usize {
        self.base[c as usize]
            + roster.position[s as usize] as usize * self.stride[c as usize] as usize
            + (laid.offset + field) as usize
    }
}

/// An occurrence: a deduction, veto, demotion or bonus item, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub subject: u32,
    pub indicator: u32,
    pub amount: Dec,
    pub reason: String,
}

/// Inputs of one period.
#[derive(Clone, Debug)]
pub struct PeriodData {
    pub layout: Arc<Layout>,
    cells: Vec<u32>,
    wide: Vec<Dec>,
    /// Sorted by (subject, indicator).
    events: Vec<Event>,
    /// Area-level inputs of the dynamic coefficient, by `Coefficients::area_inputs` position.
    pub area: Vec<Option<Dec>>,
    /// Per subject, the level it was given as a parent (`Coefficients::parent`), or
    /// `NO_LEVEL`; empty when the plan has no parent coefficient.
    parent_levels: Vec<u8>,
}

impl PeriodData {
    pub fn period(&self) -> Period {
        self.layout.period
    }

    /// The value of a field, by category-relative layout.
    #[inline]
    pub fn cell(&self, c: u32, pos: u32, laid: &LaidIndicator, field: u32) -> Option<Dec> {
        let idx = self.layout.base[c as usize]
            + pos as usize * self.layout.stride[c as usize] as usize
            + (laid.offset + field) as usize;
        self.decode(self.cells[idx])
    }

    /// Category `c`'s raw cells, one row of `stride` cells per member, and the stride; a
    /// cell's value is [`PeriodData::decode`]d.
    #[inline]
    pub fn block(&self, c: u32) -> (&[u32], usize) {
        let start = self.layout.base[c as usize];
        let end = self.layout.base.get(c as usize + 1).copied().unwrap_or(self.layout.cells);
        (&self.cells[start..end], self.layout.stride[c as usize] as usize)
    }

    /// The value of a raw cell.
    #[inline]
    pub fn decode(&self, raw: u32) -> Option<Dec> {
        if raw == EMPTY {
            None
        } else if raw & WIDE == 0 {
            Some(Dec::from_compact(raw))
        } else {
            Some(self.wide[(raw >> 1) as usize])
        }
    }

    /// Events of one subject (all its indicators).
    pub fn events_of(&self, s: u32) -> &[Event] {
        let start = self.events.partition_point(|e| e.subject < s);
        let end = self.events.partition_point(|e| e.subject <= s);
        &self.events[start..end]
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The level subject `s` was given this period as a parent (index into
    /// `Coefficients::parent`'s levels), if any.
    #[inline]
    pub fn parent_level(&self, s: u32) -> Option<u8> {
        self.parent_levels.get(s as usize).copied().filter(|&l| l != NO_LEVEL)
    }
}

/// Why a value could not be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    /// The subject has no category, or the indicator is not in force for it in this period.
    NotApplicable,
    Duplicate,
}

/// Fills one period; safe to share between threads.
pub struct PeriodDataBuilder {
    layout: Arc<Layout>,
    roster: Arc<Roster>,
    cells: Vec<AtomicU32>,
    wide: Mutex<Vec<Dec>>,
    events: Mutex<Vec<Event>>,
    area: Mutex<Vec<Option<Dec>>>,
    parent_levels: Vec<AtomicU8>,
    /// How many levels the plan's parent coefficient has (0: none).
    parent_level_count: usize,
}

impl PeriodDataBuilder {
    pub fn new(model: &Model, roster: Arc<Roster>, period: Period) -> PeriodDataBuilder {
        let layout = Arc::new(Layout::new(model, &roster, period));
        let cells = (0..layout.cells).map(|_| AtomicU32::new(EMPTY)).collect();
        PeriodDataBuilder {
            layout,
            roster,
            cells,
            wide: Mutex::new(Vec::new()),
            events: Mutex::new(Vec::new()),
            area: Mutex::new(vec![None; model.coefficients.area_inputs.len()]),
            parent_levels: match &model.coefficients.parent {
                Some(_) => (0..model.subjects.len()).map(|_| AtomicU8::new(NO_LEVEL)).collect(),
                None => Vec::new(),
            },
            parent_level_count: model.coefficients.parent.as_ref().map_or(0, |p| p.levels.len()),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Sets field `field` (slot position in the method's fields) of indicator `i` for subject `s`.
    pub fn set(&self, model: &Model, s: u32, i: u32, field: u32, value: Dec) -> Result<(), SetError> {
        let c = model.subjects[s as usize].category.ok_or(SetError::NotApplicable)?;
        let laid = self.layout.find(c, i).ok_or(SetError::NotApplicable)?;
        if laid.per_subject && !model.applies_ignoring_period(self.layout.version, i, s) {
            return Err(SetError::NotApplicable);
        }
        debug_assert!(field < laid.fields);
        let idx = self.layout.cell(&self.roster, c, s, laid, field);
        let raw = match value.to_compact() {
            Some(c) => c,
            None => {
                let mut wide = self.wide.lock().unwrap_or_else(|p| p.into_inner());
                wide.push(value);
                (((wide.len() - 1) as u32) << 1) | WIDE
            }
        };
        self.cells[idx]
            .compare_exchange(EMPTY, raw, AtomicOrdering::Relaxed, AtomicOrdering::Relaxed)
            .map(|_| ())
            .map_err(|_| SetError::Duplicate)
    }

    /// Records an occurrence of an event-type indicator.
    pub fn push_event(&self, model: &Model, event: Event) -> Result<(), SetError> {
        let (s, i) = (event.subject, event.indicator);
        let c = model.subjects[s as usize].category.ok_or(SetError::NotApplicable)?;
        let laid = self.layout.find(c, i).ok_or(SetError::NotApplicable)?;
        if laid.per_subject && !model.applies_ignoring_period(self.layout.version, i, s) {
            return Err(SetError::NotApplicable);
        }
        // Several occurrences of one indicator are normal; a loader that wants to refuse
        // repeated rows checks that itself, where it knows the rows.
        self.events.lock().unwrap_or_else(|p| p.into_inner()).push(event);
        Ok(())
    }

    pub fn set_area(&self, input: usize, value: Dec) -> Result<(), SetError> {
        let mut area = self.area.lock().unwrap_or_else(|p| p.into_inner());
        match area.get_mut(input) {
            None => Err(SetError::NotApplicable),
            Some(Some(_)) => Err(SetError::Duplicate),
            Some(slot) => {
                *slot = Some(value);
                Ok(())
            }
        }
    }

    /// Gives subject `s`, as a parent, its level of the period for the parent coefficient
    /// (index into the plan's levels).
    pub fn set_parent_level(&self, s: u32, level: u8) -> Result<(), SetError> {
        if usize::from(level) >= self.parent_level_count {
            return Err(SetError::NotApplicable);
        }
        let slot = self.parent_levels.get(s as usize).ok_or(SetError::NotApplicable)?;
        slot.compare_exchange(NO_LEVEL, level, AtomicOrdering::Relaxed, AtomicOrdering::Relaxed)
            .map(|_| ())
            .map_err(|_| SetError::Duplicate)
    }

    pub fn finish(self) -> PeriodData {
        let mut events = self.events.into_inner().unwrap_or_else(|p| p.into_inner());
        events.sort_by(|a, b| (a.subject, a.indicator).cmp(&(b.subject, b.indicator)));
        PeriodData {
            layout: self.layout,
            cells: self.cells.into_iter().map(AtomicU32::into_inner).collect(),
            wide: self.wide.into_inner().unwrap_or_else(|p| p.into_inner()),
            events,
            area: self.area.into_inner().unwrap_or_else(|p| p.into_inner()),
            parent_levels: self.parent_levels.into_iter().map(AtomicU8::into_inner).collect(),
        }
    }
}

/// All periods' inputs for one plan year.
#[derive(Clone, Debug, Default)]
pub struct DataSet {
    pub periods: HashMap<Period, Arc<PeriodData>>,
}

impl DataSet {
    pub fn get(&self, p: Period) -> Option<&PeriodData> {
        self.periods.get(&p).map(|d| &**d)
    }

    pub fn insert(&mut self, d: PeriodData) {
        self.periods.insert(d.period(), Arc::new(d));
    }
}
