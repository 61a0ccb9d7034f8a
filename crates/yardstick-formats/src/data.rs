//! The period data file (CSV): one row per subject, indicator and period.
//!
//! Required columns: `period`, `subject`, `indicator`. Optional: `reason`. Every
//! other column is a field name (`actual`, `target`, `growth`, `target_growth`,
//! `value`, `count`, `level`, `grade`, formula inputs, ballot fields `group.answer`);
//! a row fills the fields its indicator's method reads and leaves the others empty.
//! Large files are parsed in parallel chunks; all problems are collected and
//! nothing is returned unless the whole input is valid.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use yardstick_engine::model::{Method, Model, SubjectKind};
use yardstick_engine::{DataSet, Dec, Event, Period, PeriodDataBuilder, Roster};

use crate::{Msg, Place, Problem, numtext};

/// At most this many problems are kept; the rest are counted.
pub const MAX_PROBLEMS: usize = 500;

/// Collects period data from one or more CSV texts.
pub struct DataLoader<'m> {
    model: &'m Model,
    roster: Arc<Roster>,
    subjects: FxHashMap<&'m str, u32>,
    area_inputs: FxHashMap<&'m str, usize>,
    /// Per version: indicator key → index.
    indicators: Vec<FxHashMap<&'m str, u32>>,
    /// Per version, per indicator: the method's field names.
    fields: Vec<Vec<Vec<String>>>,
    wanted: Option<Vec<Period>>,
    builders: Mutex<FxHashMap<Period, Arc<PeriodDataBuilder>>>,
    events_seen: Mutex<FxHashSet<(Period, u32, u32, String)>>,
    problems: Mutex<Vec<Problem>>,
    problem_count: AtomicUsize,
}

struct Header {
    period: usize,
    subject: usize,
    indicator: usize,
    reason: Option<usize>,
    /// (column index, field name) of every other column.
    fields: Vec<(usize, String)>,
}

/// A column-to-slot map for one indicator under one header.
struct Slots {
    /// (column, slot) pairs for the method's fields present in the header.
    present: Vec<(usize, u32)>,
    /// Columns that are not fields of this method.
    foreign: Vec<usize>,
}

impl<'m> DataLoader<'m> {
    /// `wanted`: if given, rows of other periods are checked for form but not kept.
    pub fn new(model: &'m Model, roster: Arc<Roster>, wanted: Option<Vec<Period>>) -> Self {
        let subjects = model.subjects.iter().enumerate().map(|(i, s)| (s.key.as_str(), i as u32)).collect();
        let area_inputs = model.coefficients.area_inputs.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
        let indicators = model
            .versions
            .iter()
            .map(|v| v.indicators.iter().enumerate().map(|(i, ind)| (ind.key.as_str(), i as u32)).collect())
            .collect();
        let fields = model.versions.iter().map(|v| v.indicators.iter().map(|i| i.method.fields()).collect()).collect();
        DataLoader {
            model,
            roster,
            subjects,
            area_inputs,
            indicators,
            fields,
            wanted,
            builders: Mutex::new(FxHashMap::default()),
            events_seen: Mutex::new(FxHashSet::default()),
            problems: Mutex::new(Vec::new()),
            problem_count: AtomicUsize::new(0),
        }
    }

    fn problem(&self, file: &str, line: usize, column: Option<&str>, msg: Msg) {
        let n = self.problem_count.fetch_add(1, Ordering::Relaxed);
        if n < MAX_PROBLEMS {
            let mut p = self.problems.lock().unwrap_or_else(|e| e.into_inner());
            p.push(Problem { place: Place { file: file.into(), line: Some(line), column: column.map(String::from), ..Place::default() }, msg });
        }
    }

    fn builder(&self, p: Period) -> Arc<PeriodDataBuilder> {
        let mut b = self.builders.lock().unwrap_or_else(|e| e.into_inner());
        b.entry(p).or_insert_with(|| Arc::new(PeriodDataBuilder::new(self.model, self.roster.clone(), p))).clone()
    }

    /// Adds one CSV text. Problems are collected; call [`DataLoader::finish`] for the result.
    pub fn add_csv(&self, file: &str, text: &str) {
        let text = text.trim_start_matches('\u{feff}');
        let header_end = memchr::memchr(b'\n', text.as_bytes()).map_or(text.len(), |i| i + 1);
        let header = match self.header(file, &text[..header_end]) {
            Some(h) => h,
            None => return,
        };
        let body = &text.as_bytes()[header_end..];
        let slots = self.slots(&header);
        // Quoted fields may hide newlines, so only unquoted text is split into chunks.
        let quoted = memchr::memchr(b'"', body).is_some();
        let chunks: Vec<(usize, &[u8])> = if quoted || body.len() < (1 << 20) {
            vec![(2, body)]
        } else {
            split_lines(body, rayon::current_num_threads() * 8, 2)
        };
        chunks.par_iter().for_each(|(first_line, chunk)| self.parse_chunk(file, &header, &slots, chunk, *first_line, quoted));
    }

    fn header(&self, file: &str, line: &str) -> Option<Header> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        let rec = match rdr.records().next() {
            Some(Ok(r)) => r,
            _ => {
                self.problem(file, 1, None, Msg::new("文件为空或表头无法读取", "the file is empty or its header cannot be read"));
                return None;
            }
        };
        let find = |name: &str| rec.iter().position(|h| h.trim() == name);
        let (period, subject, indicator) = (find("period"), find("subject"), find("indicator"));
        let reason = find("reason");
        for (name, col) in [("period", period), ("subject", subject), ("indicator", indicator)] {
            if col.is_none() {
                self.problem(file, 1, Some(name), Msg::new("缺少必需的列", "a required column is missing"));
            }
        }
        let fields = rec
            .iter()
            .enumerate()
            .filter(|(i, _)| ![period, subject, indicator, reason].contains(&Some(*i)))
            .map(|(i, h)| (i, h.trim().to_string()))
            .collect();
        Some(Header { period: period?, subject: subject?, indicator: indicator?, reason, fields })
    }

    fn slots(&self, h: &Header) -> Vec<Vec<Slots>> {
        self.fields
            .iter()
            .zip(&self.model.versions)
            .map(|(per_ind, ver)| {
                per_ind
                    .iter()
                    .zip(&ver.indicators)
                    .map(|(names, ind)| {
                        let mut present = Vec::new();
                        let mut foreign = Vec::new();
                        for (col, name) in &h.fields {
                            match names.iter().position(|n| n == name) {
                                Some(slot) => present.push((*col, slot as u32)),
                                // Occurrences carry their amount in `count` or `value`.
                                None if ind.method.is_event() && (name == "count" || name == "value") => {}
                                None => foreign.push(*col),
                            }
                        }
                        Slots { present, foreign }
                    })
                    .collect()
            })
            .collect()
    }

    fn parse_chunk(&self, file: &str, h: &Header, slots: &[Vec<Slots>], chunk: &[u8], first_line: usize, quoted: bool) {
        // Text without quotes is split by hand (a field is what lies between commas); the
        // CSV reader handles quotes, and reports rows that are not UTF-8.
        let mut source = match (quoted, std::str::from_utf8(chunk)) {
            (false, Ok(text)) => Source::Plain { lines: text.split('\n'), next: 0 },
            _ => Source::Csv(csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(chunk)),
        };
        let mut rec = csv::StringRecord::new();
        let mut last_period: Option<(String, Option<Period>)> = None;
        let mut builder: Option<Arc<PeriodDataBuilder>> = None;
        let mut last_subject: Option<(String, u32)> = None;
        loop {
            let line = match &mut source {
                Source::Plain { lines, next } => {
                    let Some(l) = lines.next() else { break };
                    *next += 1;
                    rec.clear();
                    for f in l.strip_suffix('\r').unwrap_or(l).split(',') {
                        rec.push_field(f);
                    }
                    first_line + *next - 1
                }
                Source::Csv(rdr) => {
                    let line_in_chunk = rdr.position().line() as usize;
                    match rdr.read_record(&mut rec) {
                        Ok(false) => break,
                        Ok(true) => {}
                        Err(e) => {
                            let line = first_line + line_in_chunk - 1;
                            let msg = match e.kind() {
                                csv::ErrorKind::Utf8 { .. } => Msg::new("此行不是 UTF-8 编码的文本", "this row is not UTF-8 text"),
                                _ => Msg::new(format!("无法读取此行：{e}"), format!("cannot read this row: {e}")),
                            };
                            self.problem(file, line, None, msg);
                            continue;
                        }
                    }
                    first_line + rec.position().map_or(line_in_chunk, |p| p.line() as usize) - 1
                }
            };
            // A blank row: all fields empty or spaces (the first visible character ends the check).
            if rec.as_slice().chars().all(char::is_whitespace) {
                continue;
            }
            let get = |i: usize| rec.get(i).map(str::trim).unwrap_or("");

            // Period.
            let ptext = get(h.period);
            let period = match &last_period {
                Some((t, p)) if t == ptext => *p,
                _ => {
                    let p = Period::parse(ptext);
                    last_period = Some((ptext.to_string(), p));
                    builder = None;
                    p
                }
            };
            let Some(period) = period else {
                self.problem(file, line, Some("period"), Msg::new(
                    format!("期间“{ptext}”无效（应为 2026-03、2026-Q1、2026-H1 或 2026）"),
                    format!("period '{ptext}' is invalid (write 2026-03, 2026-Q1, 2026-H1 or 2026)"),
                ));
                continue;
            };
            if period.year != self.model.plan.year {
                self.problem(file, line, Some("period"), Msg::new(
                    format!("期间 {period} 不在方案年度 {} 内", self.model.plan.year),
                    format!("period {period} is outside the plan year {}", self.model.plan.year),
                ));
                continue;
            }
            if self.wanted.as_ref().is_some_and(|w| !w.contains(&period)) {
                continue;
            }
            let version = self.model.version_for(period) as usize;

            // Subject.
            let stext = get(h.subject);
            let subject = match &last_subject {
                Some((t, s)) if t == stext => Some(*s),
                _ => {
                    let s = self.subjects.get(stext).copied();
                    if let Some(s) = s {
                        last_subject = Some((stext.to_string(), s));
                    }
                    s
                }
            };
            let Some(subject) = subject else {
                self.problem(file, line, Some("subject"), Msg::new(format!("被考核对象“{stext}”不存在"), format!("subject '{stext}' does not exist")));
                continue;
            };
            let itext = get(h.indicator);
            // Borrowed, not cloned: an Arc clone and drop per row is two contended atomics.
            let b: &PeriodDataBuilder = builder.get_or_insert_with(|| self.builder(period));

            // A parent's level of the month, for the parent coefficient of the subjects under it.
            if let Some(pc) = self.model.coefficients.parent.as_ref().filter(|pc| pc.input == itext) {
                let col = h.fields.iter().find(|(_, n)| n == "level").map(|(c, _)| *c);
                match col.map(get).filter(|v| !v.is_empty()) {
                    None => self.problem(file, line, Some("level"), Msg::new("缺少档次", "the level is missing")),
                    Some(v) => match pc.levels.iter().position(|(n, _)| n == v) {
                        None => {
                            let names: Vec<&str> = pc.levels.iter().map(|(n, _)| n.as_str()).collect();
                            self.problem(file, line, Some("level"), Msg::new(
                                format!("“{v}”不是可选值（{}）", names.join("、")),
                                format!("'{v}' is not one of {}", names.join(", ")),
                            ));
                        }
                        Some(l) => {
                            // The plan allows at most 100 levels, so the index fits a byte.
                            if b.set_parent_level(subject, l as u8).is_err() {
                                self.problem(file, line, None, dup_msg());
                            }
                        }
                    },
                }
                continue;
            }

            // Area-level inputs of the dynamic coefficient.
            if self.model.subjects[subject as usize].kind == SubjectKind::Area {
                let Some(&input) = self.area_inputs.get(itext) else {
                    self.problem(file, line, Some("indicator"), Msg::new(
                        format!("“{itext}”不是地区级输入（可用：{}）", self.model.coefficients.area_inputs.join("、")),
                        format!("'{itext}' is not an area input (known: {})", self.model.coefficients.area_inputs.join(", ")),
                    ));
                    continue;
                };
                let col = h.fields.iter().find(|(_, n)| n == "value").map(|(c, _)| *c);
                match col.map(get).filter(|v| !v.is_empty()) {
                    None => self.problem(file, line, Some("value"), Msg::new("缺少数值", "the value is missing")),
                    Some(v) => match numtext::parse_number(v) {
                        Err(m) => self.problem(file, line, Some("value"), m),
                        Ok(d) => {
                            if b.set_area(input, d).is_err() {
                                self.problem(file, line, None, dup_msg());
                            }
                        }
                    },
                }
                continue;
            }

            let Some(&indicator) = self.indicators[version].get(itext) else {
                self.problem(file, line, Some("indicator"), Msg::new(
                    format!("指标“{itext}”不在 {period} 适用的方案版本中"),
                    format!("indicator '{itext}' is not in the plan version in force for {period}"),
                ));
                continue;
            };
            let ind = &self.model.versions[version].indicators[indicator as usize];
            if ind.level != period.level {
                self.problem(file, line, Some("period"), Msg::new(
                    format!("指标“{itext}”按{}填报，不能填在 {period}", ind.level.name_zh()),
                    format!("indicator '{itext}' is entered per {}, not for {period}", ind.level.key()),
                ));
                continue;
            }
            // The period's layout already knows which indicators are in force for each
            // category; only differentiated plans need the subject-by-subject check.
            let applies = self.model.subjects[subject as usize]
                .category
                .and_then(|c| b.layout().find(c, indicator))
                .is_some_and(|li| !li.per_subject || self.model.applies_ignoring_period(version as u32, indicator, subject));
            if !applies {
                self.problem(file, line, Some("indicator"), Msg::new(
                    format!("指标“{itext}”在 {period} 不适用于“{stext}”"),
                    format!("indicator '{itext}' does not apply to '{stext}' in {period}"),
                ));
                continue;
            }
            let sl = &slots[version][indicator as usize];
            for &col in &sl.foreign {
                if !get(col).is_empty() {
                    let name = &h.fields.iter().find(|(c, _)| *c == col).map_or("", |(_, n)| n.as_str());
                    let known = &self.fields[version][indicator as usize];
                    let known: Vec<&str> = if ind.method.is_event() { vec!["count", "value"] } else { known.iter().map(String::as_str).collect() };
                    self.problem(file, line, Some(name), Msg::new(
                        format!("指标“{itext}”（{}）没有字段“{name}”（可用：{}）", ind.method.key(), known.join("、")),
                        format!("indicator '{itext}' ({}) has no field '{name}' (known: {})", ind.method.key(), known.join(", ")),
                    ));
                }
            }

            if ind.method.is_event() {
                self.event(file, line, h, &rec, b, period, subject, indicator, ind);
                continue;
            }
            for &(col, slot) in &sl.present {
                let raw = get(col);
                if raw.is_empty() {
                    continue;
                }
                let name = &self.fields[version][indicator as usize][slot as usize];
                let value = match self.value(&ind.method, subject, name, raw) {
                    Ok(v) => v,
                    Err(m) => {
                        self.problem(file, line, Some(name), m);
                        continue;
                    }
                };
                if let Err(e) = b.set(self.model, subject, indicator, slot, value) {
                    let msg = match e {
                        yardstick_engine::data::SetError::Duplicate => dup_msg(),
                        yardstick_engine::data::SetError::NotApplicable => Msg::new("此指标不适用于该对象", "this indicator does not apply to this subject"),
                    };
                    self.problem(file, line, Some(name), msg);
                }
            }
        }
    }

    fn value(&self, method: &Method, subject: u32, field: &str, raw: &str) -> Result<Dec, Msg> {
        // Only an assigned grade needs the grade names; do not build them for every number.
        let grade_names = match self.model.subjects[subject as usize].category {
            Some(c) if matches!(method, Method::AssignedGrade { .. }) => self.model.grade_names(self.model.categories[c as usize].grade_set),
            _ => Vec::new(),
        };
        if let Some(labels) = method.text_labels(&grade_names) {
            return labels
                .iter()
                .position(|l| *l == raw)
                .map(|p| Dec::from_int(p as i64))
                .ok_or_else(|| Msg::new(format!("“{raw}”不是可选值（{}）", labels.join("、")), format!("'{raw}' is not one of {}", labels.join(", "))));
        }
        let v = numtext::parse_number(raw)?;
        if v.is_zero() && method.divides_by(field) {
            return Err(Msg::new(format!("{field} 为零，无法计算完成率"), format!("{field} is zero, so no rate can be computed")));
        }
        if matches!(method, Method::Ballots { .. }) && (v.is_negative() || v.scale() > 0) {
            return Err(Msg::new("票数须为非负整数", "a ballot count must be a whole number, not negative"));
        }
        Ok(v)
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        file: &str,
        line: usize,
        h: &Header,
        rec: &csv::StringRecord,
        b: &PeriodDataBuilder,
        period: Period,
        subject: u32,
        indicator: u32,
        ind: &yardstick_engine::model::Indicator,
    ) {
        let get = |i: usize| rec.get(i).map(str::trim).unwrap_or("");
        let col_of = |n: &str| h.fields.iter().find(|(_, x)| x == n).map(|(c, _)| *c);
        let count = col_of("count").map(get).filter(|v| !v.is_empty());
        let value = col_of("value").map(get).filter(|v| !v.is_empty());
        let (column, raw) = match (count, value) {
            (Some(_), Some(_)) => {
                self.problem(file, line, Some("count"), Msg::new("count 与 value 只能填一个", "fill count or value, not both"));
                return;
            }
            (Some(c), None) => ("count", Some(c)),
            (None, Some(v)) => ("value", Some(v)),
            (None, None) => ("count", None),
        };
        let amount = match raw.map(numtext::parse_number) {
            None => Dec::ONE,
            Some(Ok(d)) => d,
            Some(Err(m)) => {
                self.problem(file, line, Some(column), m);
                return;
            }
        };
        if amount.is_negative() {
            self.problem(file, line, Some(column), Msg::new("次数或分值不能为负", "a count or amount cannot be negative"));
            return;
        }
        if matches!(ind.method, Method::Demotion { .. } | Method::Deduction { .. }) && amount.scale() > 0 {
            self.problem(file, line, Some(column), Msg::new("次数须为整数", "a count must be a whole number"));
            return;
        }
        let reason = h.reason.map(get).unwrap_or("").to_string();
        if reason.is_empty() {
            self.problem(file, line, Some("reason"), Msg::new(
                format!("“{}”的每次记录都须写明原因", ind.key),
                format!("every occurrence of '{}' needs a reason", ind.key),
            ));
            return;
        }
        let fresh = self.events_seen.lock().unwrap_or_else(|e| e.into_inner()).insert((period, subject, indicator, reason.clone()));
        if !fresh {
            self.problem(file, line, None, dup_msg());
            return;
        }
        if b.push_event(self.model, Event { subject, indicator, amount, reason }).is_err() {
            self.problem(file, line, None, Msg::new("此指标不适用于该对象", "this indicator does not apply to this subject"));
        }
    }

    /// The data set, or every problem found (sorted by file and line).
    pub fn finish(self) -> Result<DataSet, Vec<Problem>> {
        let total = self.problem_count.load(Ordering::Relaxed);
        let mut problems = self.problems.into_inner().unwrap_or_else(|e| e.into_inner());
        if total > 0 {
            problems.sort_by(|a, b| (&a.place.file, a.place.line).cmp(&(&b.place.file, b.place.line)));
            if total > problems.len() {
                problems.push(Problem {
                    place: Place::default(),
                    msg: Msg::new(format!("另有 {} 个问题未列出", total - problems.len()), format!("{} more problems not listed", total - problems.len())),
                });
            }
            return Err(problems);
        }
        let builders = self.builders.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut ds = DataSet::default();
        let finished: Vec<_> = builders
            .into_values()
            .map(|b| Arc::try_unwrap(b).unwrap_or_else(|_| unreachable!("chunks are done, so no other owner remains")))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(PeriodDataBuilder::finish)
            .collect();
        for d in finished {
            ds.insert(d);
        }
        Ok(ds)
    }
}

/// Where a chunk's rows come from.
enum Source<'a> {
    Plain { lines: std::str::Split<'a, char>, next: usize },
    Csv(csv::Reader<&'a [u8]>),
}

fn dup_msg() -> Msg {
    Msg::new("重复的行：此值已在前面的行中给出", "duplicate row: this value was already given in an earlier row")
}

/// Splits text into about `n` chunks at line ends; returns each with its first line number.
fn split_lines(body: &[u8], n: usize, first_line: usize) -> Vec<(usize, &[u8])> {
    let target = body.len() / n.max(1) + 1;
    let mut out = Vec::new();
    let mut start = 0;
    let mut line = first_line;
    while start < body.len() {
        let mut end = (start + target).min(body.len());
        if end < body.len() {
            end = memchr::memchr(b'\n', &body[end..]).map_or(body.len(), |i| end + i + 1);
        }
        let chunk = &body[start..end];
        out.push((line, chunk));
        line += memchr::memchr_iter(b'\n', chunk).count();
        start = end;
    }
    out
}
