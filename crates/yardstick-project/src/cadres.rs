//! The country's cadres (issue 6, items 2 and 10; M12): a synthetic everyday appraisal
//! (平时考核) of 7 million cadres in 300,000 units, scored one month at a time.
//!
//! Every cadre (kind `cadre`) has its unit as parent and is compared only within its unit:
//! the plan has one category per unit (`K000001` for unit `U000001`), so ranks, ties and the
//! tiers' quotas (档次: 优秀 ≤ 20% and ≥ 90, 良好 ≤ 70% cumulative, 一般 ≥ 60, 较差) are per
//! unit. Units have 11 to 35 cadres (23.3 on average). Ten monthly items, all in the plan
//! language: attendance, key tasks, routine workload (over-fulfilment counted up to 120%) and
//! on-time handling as completion rates; work quality as a qualitative rating; service
//! satisfaction interpolated between a baseline and a challenge value; conduct and discipline
//! as a deduction per occurrence from full marks, capped; contribution (工作亮点) as a capped
//! bonus; a negative list (通报批评, 问责) as a bare deduction; and a veto for disciplinary
//! sanctions. Every occurrence has its reason. The unit's own result of the month — its grade
//! in the units' appraisal, 优秀, 良好 or 一般 — sets its cadres' coefficient (1.05, 1.00,
//! 0.95) through the plan's parent coefficient.
//!
//! As in [`crate::gen`], the model is made by parsing the generated plan and subjects text with
//! the formats crate (the product's loader), and every draw comes from splitmix64 keyed by
//! (seed, month, person), so the data never depends on how the work is split between threads.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use anyhow::{anyhow, bail};
use rayon::prelude::*;
use yardstick_engine::data::SetError;
use yardstick_engine::{DataSet, Dec, Event, Model, Period, PeriodData, PeriodDataBuilder, Roster};
use yardstick_formats::Lang;
use yardstick_formats::plan::{SubjectsSource, load_plan};

use crate::r#gen::{D, Reason, SplitMix64, YEAR, write_period, write_uint};

/// The country: 300,000 units.
pub const COUNTRY_UNITS: usize = 300_000;
/// The country: 7 million cadres.
pub const COUNTRY_PERSONS: usize = 7_000_000;

/// The key of the root subject (the country), the units' parent.
pub const ROOT_KEY: &str = "ROOT";
/// The data's name for a unit's level of the month (the parent coefficient's input).
pub const UNIT_GRADE: &str = "unit_grade";
/// The units' levels and the factor each gives its cadres.
pub const UNIT_LEVELS: [(&str, &str); 3] = [("优秀", "1.05"), ("良好", "1"), ("一般", "0.95")];
/// The tiers (档次), best first.
pub const TIERS: [&str; 4] = ["优秀", "良好", "一般", "较差"];

/// What an item's method is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `completion` with `floor = 0` and this cap; fields `actual`, `target`.
    Completion { cap: &'static str },
    /// `qualitative` with [`QUALITY_LEVELS`]; field `level`.
    Qualitative,
    /// `interpolate` through [`SATISFACTION_POINTS`], zero below the first; field `value` (%).
    Interpolate,
    /// `deduction` from full marks, `per` points per occurrence, capped at `cap`.
    DeductionFromFull { per: &'static str, cap: &'static str },
    /// `bonus`: each occurrence's amount, the total capped at `cap`.
    Bonus { cap: &'static str },
    /// `deduction` on top of the total, `per` points per occurrence, uncapped.
    Deduction { per: &'static str },
    /// `veto` for the month.
    Veto,
}

/// One monthly item of the plan.
#[derive(Clone, Copy, Debug)]
pub struct ItemDef {
    pub key: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    /// Points, as written in the plan ("0" for occurrence items outside the 100).
    pub weight: &'static str,
}

const fn item(key: &'static str, name: &'static str, kind: Kind, weight: &'static str) -> ItemDef {
    ItemDef { key, name, kind, weight }
}

/// The ten monthly items, in plan order. Weighted: 10 + 30 + 15 + 15 + 10 + 10 + 10 = 100.
pub const ITEMS: [ItemDef; 10] = [
    item("ATT", "出勤", Kind::Completion { cap: "1" }, "10"),
    item("TSK", "重点工作任务完成", Kind::Completion { cap: "1" }, "30"),
    item("ROU", "日常工作量", Kind::Completion { cap: "1.2" }, "15"),
    item("QLY", "工作质量", Kind::Qualitative, "15"),
    item("EFF", "按时办结", Kind::Completion { cap: "1" }, "10"),
    item("SAT", "服务对象满意度", Kind::Interpolate, "10"),
    item("DIS", "作风纪律", Kind::DeductionFromFull { per: "1", cap: "10" }, "10"),
    item("CON", "贡献加分（工作亮点）", Kind::Bonus { cap: "5" }, "0"),
    item("NEG", "负面清单扣分", Kind::Deduction { per: "2" }, "0"),
    item("VETO", "严重违纪违法一票否决", Kind::Veto, "0"),
];

/// Work quality levels and their shares of the weight.
pub const QUALITY_LEVELS: [(&str, &str); 4] = [("好", "1"), ("较好", "0.9"), ("一般", "0.75"), ("差", "0.6")];
/// Satisfaction (%) → share: nothing below 60, 0.6 at the baseline 80, full at the challenge 95.
pub const SATISFACTION_POINTS: [(&str, &str); 3] = [("60", "0"), ("80", "0.6"), ("95", "1")];

/// Working days of each month of 2026 (holidays taken out).
const WORKDAYS: [i64; 12] = [21, 15, 22, 22, 19, 22, 23, 21, 22, 17, 21, 23];

const DISCIPLINE_REASONS: [&str; 5] = ["迟到早退", "无故脱岗", "工作日志未按时填写", "会议无故缺席", "上班时间做与工作无关的事"];
const CONTRIBUTION_REASONS: [&str; 5] = ["承担急难险重任务", "工作信息被上级采用", "受到服务对象书面表扬", "提出合理化建议被采纳", "获上级通报表扬"];
const NEGATIVE_REASONS: [&str; 3] = ["被通报批评", "被诫勉谈话", "工作失误造成不良影响"];
const VETO_REASONS: [&str; 2] = ["受到党纪处分", "受到政务处分"];

/// Occurrence rates per cadre and month.
const P_DISCIPLINE: f64 = 0.06;
const P_CONTRIBUTION: f64 = 0.05;
const P_NEGATIVE: f64 = 0.01;
const P_VETO: f64 = 0.000_2;

const PLACE: [&str; 24] = [
    "东", "西", "南", "北", "新", "安", "和", "平", "永", "兴", "长", "乐", "宁", "丰", "康", "泰", "华", "阳", "河", "山", "清", "源", "金", "石",
];
const BODIES: [&str; 16] = [
    "发展和改革局", "财政局", "教育局", "科技局", "民政局", "司法局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水务局",
    "农业农村局", "商务局", "卫生健康委员会", "应急管理局", "市场监督管理局",
];
const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 32] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平", "刚", "桂", "华", "红", "建",
    "文", "玲", "斌", "辉", "鹏", "宇", "琳",
];

/// One generated input of one cadre in one month (or of a unit: its level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// `actual` and `target` of a completion item.
    Fields { item: usize, actual: D, target: D },
    /// A qualitative level (index into [`QUALITY_LEVELS`]).
    Level { item: usize, level: u8 },
    /// The `value` of an item that reads one number (satisfaction, %).
    Value { item: usize, value: D },
    /// An occurrence: its count or amount, and its reason.
    Event { item: usize, amount: D, reason: Reason },
}

#[derive(Clone, Debug)]
struct UnitDef {
    name: String,
    persons: Range<usize>,
}

/// A synthetic cadres data set: its units, their cadres and a deterministic source of values.
pub struct Cadres {
    pub seed: u64,
    units: Vec<UnitDef>,
    persons: usize,
}

impl Cadres {
    /// The country: 300,000 units, 7 million cadres.
    pub fn country(seed: u64) -> Cadres {
        Cadres::new(COUNTRY_UNITS, COUNTRY_PERSONS, seed)
    }

    /// `persons` cadres spread over `units` units: on average persons / units each, varied in
    /// pairs (by up to ±12, or half the average) so that the total is exact.
    pub fn new(units: usize, persons: usize, seed: u64) -> Cadres {
        assert!(units >= 1 && persons >= units, "at least one unit and one cadre per unit");
        let base = persons / units;
        let extra = persons - base * units;
        let mut sizes: Vec<usize> = (0..units).map(|u| base + usize::from(u < extra)).collect();
        let spread = (base / 2).min(12) as u64;
        let mut r = SplitMix64::keyed(seed, u64::MAX, 11);
        for pair in sizes.chunks_mut(2) {
            if let [a, b] = pair {
                let d = r.below(spread + 1) as usize;
                *a += d;
                *b -= d;
            }
        }
        let mut start = 0;
        let units = sizes
            .into_iter()
            .enumerate()
            .map(|(u, n)| {
                let mut r = SplitMix64::keyed(seed, 0, u as u64 + 1);
                let a = r.below(24) as usize;
                let b = (a + 1 + r.below(23) as usize) % 24;
                let name = format!("{}{}县{}", PLACE[a], PLACE[b], BODIES[r.below(BODIES.len() as u64) as usize]);
                let def = UnitDef { name, persons: start..start + n };
                start += n;
                def
            })
            .collect();
        Cadres { seed, units, persons }
    }

    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    pub fn person_count(&self) -> usize {
        self.persons
    }

    /// The cadres of unit `u` (indices in generation order).
    pub fn persons_of(&self, u: usize) -> Range<usize> {
        self.units[u].persons.clone()
    }

    /// The unit of cadre `p`.
    pub fn unit_of(&self, p: usize) -> usize {
        self.units.partition_point(|u| u.persons.end <= p)
    }

    pub fn unit_key(u: usize) -> String {
        format!("U{:06}", u + 1)
    }

    pub fn category_key(u: usize) -> String {
        format!("K{:06}", u + 1)
    }

    pub fn person_key(p: usize) -> String {
        format!("P{:07}", p + 1)
    }

    /// The model's subject index of unit `u` (the root comes first, then the units, then the cadres).
    pub fn unit_subject(&self, u: usize) -> u32 {
        u as u32 + 1
    }

    /// The model's subject index of cadre `p`.
    pub fn person_subject(&self, p: usize) -> u32 {
        (1 + self.units.len() + p) as u32
    }

    /// The plan file's text; it names `subjects.csv` for its subjects.
    pub fn plan_text(&self) -> String {
        let mut t = String::with_capacity(8 * 1024 + self.units.len() * 110);
        let _ = writeln!(
            t,
            "# Synthetic plan: the everyday monthly appraisal (平时考核) of {} cadres in {} units.\n\
             # One category per unit, so cadres are ranked and given tiers within their unit; the\n\
             # unit's own grade of the month sets its cadres' coefficient.\n",
            self.persons,
            self.units.len()
        );
        let _ = writeln!(
            t,
            "[plan]\nkey = \"cadres\"\nname = \"合成数据：干部平时考核（{}个单位、{}名干部）\"\nyear = {YEAR}\noffice = \"合成考核办\"\nsubjects = \"subjects.csv\"\n",
            self.units.len(),
            self.persons
        );
        t.push_str(
            "[[grade_sets]]\nkey = \"tiers\"\nname = \"平时考核档次\"\nveto_grade = \"较差\"\nrounding = \"floor\"\ngrades = [\n  \
             { name = \"优秀\", quota = \"20%\", min_score = 90 },\n  { name = \"良好\", quota = \"70%\" },\n  \
             { name = \"一般\", min_score = 60 },\n  { name = \"较差\" },\n]\n\n",
        );
        let levels: Vec<String> = UNIT_LEVELS.iter().map(|(n, v)| format!("{{ name = \"{n}\", value = {v} }}")).collect();
        let _ = writeln!(
            t,
            "# The unit's grade of the month in the units' appraisal sets its cadres' coefficient.\n\
             [coefficients]\nparent_input = \"{UNIT_GRADE}\"\nparent_levels = [{}]\n",
            levels.join(", ")
        );
        for d in &ITEMS {
            item_toml(&mut t, d);
        }
        for (u, unit) in self.units.iter().enumerate() {
            let _ = writeln!(
                t,
                "[[categories]]\nkey = \"{}\"\nname = \"{}干部\"\ngrade_set = \"tiers\"\ncoefficients = true\n",
                Cadres::category_key(u),
                unit.name
            );
        }
        t
    }

    /// The subjects file's text: the root, the units (not ranked here), then every cadre.
    pub fn subjects_csv(&self) -> String {
        let mut t = String::with_capacity(self.units.len() * 48 + self.persons * 36 + 64);
        t.push_str("key,name,kind,parent,category\n");
        let _ = writeln!(t, "{ROOT_KEY},全国,area,,");
        for (u, unit) in self.units.iter().enumerate() {
            let _ = writeln!(t, "{},{},unit,{ROOT_KEY},", Cadres::unit_key(u), unit.name);
        }
        for (u, unit) in self.units.iter().enumerate() {
            let (uk, ck) = (Cadres::unit_key(u), Cadres::category_key(u));
            for p in unit.persons.clone() {
                let _ = writeln!(t, "{},{},cadre,{uk},{ck}", Cadres::person_key(p), self.person_name(p));
            }
        }
        t
    }

    fn person_name(&self, p: usize) -> String {
        let mut r = SplitMix64::keyed(self.seed, 1, p as u64 + 1);
        let mut name = String::with_capacity(9);
        name.push_str(SURNAMES[r.below(SURNAMES.len() as u64) as usize]);
        name.push_str(GIVEN[r.below(GIVEN.len() as u64) as usize]);
        if r.unit() < 0.6 {
            name.push_str(GIVEN[r.below(GIVEN.len() as u64) as usize]);
        }
        name
    }

    /// The model, by parsing the generated plan text and subjects text.
    pub fn model(&self) -> anyhow::Result<Model> {
        self.load(&self.plan_text(), &self.subjects_csv())
    }

    /// The model from this data set's plan and subjects text, through the plan loader.
    pub fn load(&self, plan: &str, subjects: &str) -> anyhow::Result<Model> {
        let loaded = load_plan("plan.toml", plan, Some(SubjectsSource { file: "subjects.csv", text: subjects })).map_err(|problems| {
            let shown: Vec<String> = problems.iter().take(20).map(|p| p.render(Lang::En)).collect();
            anyhow!("the generated plan does not load ({} problems):\n  {}", problems.len(), shown.join("\n  "))
        })?;
        let model = loaded.model;
        // The data builder relies on the subjects being in generation order.
        let expected = 1 + self.units.len() + self.persons;
        if model.subjects.len() != expected
            || model.subjects[0].key != ROOT_KEY
            || model.subjects.get(1).is_some_and(|s| s.key != Cadres::unit_key(0))
            || model.subjects.last().is_some_and(|s| s.key != Cadres::person_key(self.persons - 1))
        {
            bail!("the loaded subjects are not in generation order");
        }
        Ok(model)
    }

    /// Unit `u`'s level in `month` (index into [`UNIT_LEVELS`]): 20 % 优秀, 60 % 良好, 20 % 一般.
    pub fn unit_level(&self, month: u8, u: usize) -> u8 {
        let x = SplitMix64::keyed(self.seed, 1000 + u64::from(month), u as u64 + 1).unit();
        if x < 0.2 {
            0
        } else if x < 0.8 {
            1
        } else {
            2
        }
    }

    /// Every input of cadre `p` in `month`, in plan order, occurrences at their item's place.
    pub fn person_month(&self, month: u8, p: usize, mut emit: impl FnMut(Item)) {
        // How well the cadre works, around 0.93, and how this month went.
        let mut base = SplitMix64::keyed(self.seed, 2, p as u64 + 1);
        let quality = 0.93 + base.bell(0.035);
        let workload = 20 + base.below(100) as i64;
        let mut r = SplitMix64::keyed(self.seed, u64::from(month), p as u64 + 1);
        let q = quality + r.bell(0.02);
        let reason = |r: &mut SplitMix64, texts: &[&'static str]| Reason { month, text: texts[r.below(texts.len() as u64) as usize] };
        for (j, d) in ITEMS.iter().enumerate() {
            match d.key {
                "ATT" => {
                    let due = WORKDAYS[usize::from(month) - 1];
                    let absent = if r.unit() < 0.85 { 0 } else { 1 + r.below(3) as i64 };
                    emit(Item::Fields { item: j, actual: D::int(due - absent), target: D::int(due) });
                }
                "TSK" => {
                    let assigned = 3 + r.below(8) as i64;
                    let done = ((assigned as f64) * (q + r.bell(0.08)).clamp(0.3, 1.0)).round() as i64;
                    emit(Item::Fields { item: j, actual: D::int(done), target: D::int(assigned) });
                }
                "ROU" => {
                    let handled = ((workload as f64) * (q + r.bell(0.1)).clamp(0.4, 1.4)).round() as i64;
                    emit(Item::Fields { item: j, actual: D::int(handled), target: D::int(workload) });
                }
                "QLY" => {
                    let z = q + r.bell(0.03);
                    let level = if z > 0.97 {
                        0
                    } else if z > 0.92 {
                        1
                    } else if z > 0.86 {
                        2
                    } else {
                        3
                    };
                    emit(Item::Level { item: j, level });
                }
                "EFF" => {
                    let due = 5 + r.below(36) as i64;
                    let late = if r.unit() < 0.7 { 0 } else { r.below(1 + due as u64 / 5) as i64 };
                    emit(Item::Fields { item: j, actual: D::int(due - late), target: D::int(due) });
                }
                "SAT" => {
                    let rate = (100.0 * (q + 0.02 + r.bell(0.04))).clamp(50.0, 100.0);
                    emit(Item::Value { item: j, value: D::round(rate, 1) });
                }
                "DIS" => {
                    if r.unit() < P_DISCIPLINE {
                        let count = if r.unit() < 0.8 { 1 } else { 2 };
                        let first = reason(&mut r, &DISCIPLINE_REASONS);
                        emit(Item::Event { item: j, amount: D::int(count), reason: first });
                        if r.unit() < 0.1 {
                            let second = reason(&mut r, &DISCIPLINE_REASONS);
                            if second.text != first.text {
                                emit(Item::Event { item: j, amount: D::int(1), reason: second });
                            }
                        }
                    }
                }
                "CON" => {
                    if r.unit() < P_CONTRIBUTION {
                        let amount = D::int(1 + r.below(3) as i64);
                        emit(Item::Event { item: j, amount, reason: reason(&mut r, &CONTRIBUTION_REASONS) });
                    }
                }
                "NEG" => {
                    if r.unit() < P_NEGATIVE {
                        emit(Item::Event { item: j, amount: D::int(1), reason: reason(&mut r, &NEGATIVE_REASONS) });
                    }
                }
                "VETO" => {
                    if r.unit() < P_VETO {
                        emit(Item::Event { item: j, amount: D::int(1), reason: reason(&mut r, &VETO_REASONS) });
                    }
                }
                other => unreachable!("item {other} has no generator"),
            }
        }
    }

    /// One month's data, built directly (in parallel, unit by unit) without CSV.
    pub fn period_data(&self, model: &Model, roster: &Arc<Roster>, month: u8) -> anyhow::Result<PeriodData> {
        let p = Period::month(YEAR, month);
        let b = PeriodDataBuilder::new(model, roster.clone(), p);
        let ver = &model.versions[model.version_for(p) as usize];
        let index: Vec<u32> = ITEMS
            .iter()
            .map(|d| {
                ver.indicators.iter().position(|i| i.key == d.key).map(|i| i as u32).ok_or_else(|| anyhow!("item {} is missing from the plan", d.key))
            })
            .collect::<anyhow::Result<_>>()?;
        (0..self.units.len()).into_par_iter().with_min_len(64).try_for_each(|u| -> anyhow::Result<()> {
            b.set_parent_level(self.unit_subject(u), self.unit_level(month, u)).map_err(|e| anyhow!("{p}: level of {}: {e:?}", Cadres::unit_key(u)))?;
            for person in self.units[u].persons.clone() {
                let s = self.person_subject(person);
                let mut err: Option<(usize, SetError)> = None;
                self.person_month(month, person, |it| {
                    if err.is_some() {
                        return;
                    }
                    let r = match it {
                        Item::Fields { item, actual, target } => {
                            b.set(model, s, index[item], 0, actual.dec()).and_then(|()| b.set(model, s, index[item], 1, target.dec())).map_err(|e| (item, e))
                        }
                        Item::Level { item, level } => b.set(model, s, index[item], 0, Dec::from_int(i64::from(level))).map_err(|e| (item, e)),
                        Item::Value { item, value } => b.set(model, s, index[item], 0, value.dec()).map_err(|e| (item, e)),
                        Item::Event { item, amount, reason } => {
                            let event = Event { subject: s, indicator: index[item], amount: amount.dec(), reason: reason.to_text() };
                            b.push_event(model, event).map_err(|e| (item, e))
                        }
                    };
                    err = r.err();
                });
                if let Some((item, e)) = err {
                    bail!("{p}: cannot set {} of {}: {e:?}", ITEMS[item].key, Cadres::person_key(person));
                }
            }
            Ok(())
        })?;
        Ok(b.finish())
    }

    /// Months `months` of data, built directly.
    pub fn data(&self, model: &Model, roster: &Arc<Roster>, months: Range<u8>) -> anyhow::Result<DataSet> {
        let mut ds = DataSet::default();
        for month in months {
            ds.insert(self.period_data(model, roster, month)?);
        }
        Ok(ds)
    }

    /// One month as a data file (header included): every unit's level, then every cadre's rows.
    pub fn data_csv(&self, month: u8) -> String {
        let mut out = b"period,subject,indicator,actual,target,level,value,reason\n".to_vec();
        let mut prefix = Vec::new();
        write_period(&mut prefix, month);
        for u in 0..self.units.len() {
            out.extend_from_slice(&prefix);
            let _ = writeln!(VecWriter(&mut out), "{},{UNIT_GRADE},,,{},,", Cadres::unit_key(u), UNIT_LEVELS[usize::from(self.unit_level(month, u))].0);
        }
        for p in 0..self.persons {
            let key = Cadres::person_key(p);
            self.person_month(month, p, |it| {
                out.extend_from_slice(&prefix);
                out.extend_from_slice(key.as_bytes());
                out.push(b',');
                // Columns after the subject: indicator,actual,target,level,value,reason.
                match it {
                    Item::Fields { item, actual, target } => {
                        out.extend_from_slice(ITEMS[item].key.as_bytes());
                        out.push(b',');
                        actual.write(&mut out);
                        out.push(b',');
                        target.write(&mut out);
                        out.extend_from_slice(b",,,\n");
                    }
                    Item::Level { item, level } => {
                        out.extend_from_slice(ITEMS[item].key.as_bytes());
                        out.extend_from_slice(b",,,");
                        out.extend_from_slice(QUALITY_LEVELS[usize::from(level)].0.as_bytes());
                        out.extend_from_slice(b",,\n");
                    }
                    Item::Value { item, value } => {
                        out.extend_from_slice(ITEMS[item].key.as_bytes());
                        out.extend_from_slice(b",,,,");
                        value.write(&mut out);
                        out.extend_from_slice(b",\n");
                    }
                    Item::Event { item, amount, reason } => {
                        out.extend_from_slice(ITEMS[item].key.as_bytes());
                        out.extend_from_slice(b",,,,");
                        amount.write(&mut out);
                        out.push(b',');
                        write_uint(&mut out, u64::from(reason.month));
                        out.extend_from_slice("月".as_bytes());
                        out.extend_from_slice(reason.text.as_bytes());
                        out.push(b'\n');
                    }
                }
            });
        }
        String::from_utf8(out).expect("the generated rows are UTF-8")
    }
}

/// `write!` into a byte vector.
struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn item_toml(t: &mut String, d: &ItemDef) {
    let _ = writeln!(t, "[[indicators]]\nkey = \"{}\"\nname = \"{}\"", d.key, d.name);
    match d.kind {
        Kind::Completion { cap } => {
            let _ = writeln!(t, "method = \"completion\"\nweight = {}\nfloor = 0\ncap = {cap}", d.weight);
        }
        Kind::Qualitative => {
            let levels: Vec<String> = QUALITY_LEVELS.iter().map(|(n, s)| format!("{{ name = \"{n}\", share = {s} }}")).collect();
            let _ = writeln!(t, "kind = \"evaluation\"\nmethod = \"qualitative\"\nweight = {}\nlevels = [{}]", d.weight, levels.join(", "));
        }
        Kind::Interpolate => {
            let points: Vec<String> = SATISFACTION_POINTS.iter().map(|(v, s)| format!("[{v}, {s}]")).collect();
            let _ = writeln!(
                t,
                "kind = \"evaluation\"\nunit = \"%\"\nmethod = \"interpolate\"\nweight = {}\npoints = [{}]\nbelow = \"zero\"",
                d.weight,
                points.join(", ")
            );
        }
        Kind::DeductionFromFull { per, cap } => {
            let _ = writeln!(t, "kind = \"constraint\"\nmethod = \"deduction\"\nweight = {}\nfrom_full = true\nper = {per}\ncap = {cap}", d.weight);
        }
        Kind::Bonus { cap } => {
            let _ = writeln!(t, "kind = \"bonus\"\nmethod = \"bonus\"\ncap = {cap}");
        }
        Kind::Deduction { per } => {
            let _ = writeln!(t, "kind = \"constraint\"\nmethod = \"deduction\"\nper = {per}");
        }
        Kind::Veto => {
            let _ = writeln!(t, "kind = \"constraint\"\nmethod = \"veto\"\nscope = \"period\"");
        }
    }
    t.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use yardstick_engine::data::DataSet;
    use yardstick_engine::{PeriodResult, Scorer};
    use yardstick_formats::data::DataLoader;

    /// An exact fraction for recomputing scores by hand (small values only).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Q(i128, i128);

    fn gcd(a: i128, b: i128) -> i128 {
        if b == 0 { a.abs() } else { gcd(b, a % b) }
    }

    impl Q {
        fn new(n: i128, d: i128) -> Q {
            let g = gcd(n, d).max(1) * d.signum();
            Q(n / g, d / g)
        }
        fn dec(s: &str) -> Q {
            let d = Dec::parse(s).unwrap();
            Q::d(d)
        }
        fn d(d: Dec) -> Q {
            Q::new(i128::from(d.mantissa()), 10i128.pow(u32::from(d.scale())))
        }
        fn int(i: i64) -> Q {
            Q(i128::from(i), 1)
        }
        fn add(self, o: Q) -> Q {
            Q::new(self.0 * o.1 + o.0 * self.1, self.1 * o.1)
        }
        fn sub(self, o: Q) -> Q {
            self.add(Q(-o.0, o.1))
        }
        fn mul(self, o: Q) -> Q {
            Q::new(self.0 * o.0, self.1 * o.1)
        }
        fn div(self, o: Q) -> Q {
            Q::new(self.0 * o.1, self.1 * o.0)
        }
        fn min(self, o: Q) -> Q {
            if self.0 * o.1 <= o.0 * self.1 { self } else { o }
        }
        fn max(self, o: Q) -> Q {
            if self.0 * o.1 >= o.0 * self.1 { self } else { o }
        }
        fn lt(self, o: Q) -> bool {
            self.0 * o.1 < o.0 * self.1
        }
        /// Half away from zero, to whole cents.
        fn cents(self) -> i64 {
            let (n, d) = (self.0 * 100, self.1);
            let (q, r) = (n / d, n % d);
            (if 2 * r.abs() >= d { q + n.signum() } else { q }) as i64
        }
    }

    /// One cadre's month as the plan says, computed by hand: (cents, vetoed).
    fn by_hand(syn: &Cadres, month: u8, p: usize) -> (i64, bool) {
        let mut total = Q::int(0);
        let (mut dis, mut con, mut neg, mut veto) = (Q::int(0), Q::int(0), Q::int(0), false);
        syn.person_month(month, p, |it| match it {
            Item::Fields { item, actual, target } => {
                let Kind::Completion { cap } = ITEMS[item].kind else { panic!("fields of a completion item") };
                let rate = Q::d(actual.dec()).div(Q::d(target.dec())).max(Q::int(0)).min(Q::dec(cap));
                total = total.add(Q::dec(ITEMS[item].weight).mul(rate));
            }
            Item::Level { item, level } => total = total.add(Q::dec(ITEMS[item].weight).mul(Q::dec(QUALITY_LEVELS[usize::from(level)].1))),
            Item::Value { item, value } => {
                // Satisfaction: 0 below 60, then linear 60 → 0, 80 → 0.6, 95 → 1, then 1.
                let v = Q::d(value.dec());
                let share = if v.lt(Q::int(60)) {
                    Q::int(0)
                } else if v.lt(Q::int(80)) {
                    v.sub(Q::int(60)).div(Q::int(20)).mul(Q::dec("0.6"))
                } else if v.lt(Q::int(95)) {
                    Q::dec("0.6").add(v.sub(Q::int(80)).div(Q::int(15)).mul(Q::dec("0.4")))
                } else {
                    Q::int(1)
                };
                total = total.add(Q::dec(ITEMS[item].weight).mul(share));
            }
            Item::Event { item, amount, .. } => match ITEMS[item].key {
                "DIS" => dis = dis.add(Q::d(amount.dec())),
                "CON" => con = con.add(Q::d(amount.dec())),
                "NEG" => neg = neg.add(Q::d(amount.dec())),
                "VETO" => veto = true,
                other => panic!("no occurrences of {other}"),
            },
        });
        // 作风纪律: 10 − min(1 × count, 10); 贡献: min(Σ, 5); 负面清单: −2 × count.
        total = total.add(Q::int(10).sub(dis.min(Q::int(10))));
        total = total.add(con.min(Q::int(5)));
        total = total.sub(neg.mul(Q::int(2)));
        let factor = Q::dec(UNIT_LEVELS[usize::from(syn.unit_level(month, syn.unit_of(p)))].1);
        (total.mul(factor).cents(), veto)
    }

    fn rows(r: &PeriodResult) -> Vec<yardstick_engine::Row> {
        r.categories.iter().flat_map(|c| c.rows.clone()).collect()
    }

    fn load_csv(model: &Model, roster: &Arc<Roster>, text: &str) -> DataSet {
        let loader = DataLoader::new(model, roster.clone(), None);
        loader.add_csv("data.csv", text);
        loader.finish().unwrap_or_else(|p| panic!("{:?}", p.iter().take(5).map(|x| x.render(Lang::En)).collect::<Vec<_>>()))
    }

    #[test]
    fn layout_and_plan() {
        let syn = Cadres::new(10, 233, 3);
        assert_eq!((syn.unit_count(), syn.person_count()), (10, 233));
        let sizes: Vec<usize> = (0..10).map(|u| syn.persons_of(u).len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 233);
        assert!(sizes.iter().all(|n| (11..=35).contains(n)), "{sizes:?}");
        assert!(sizes.iter().any(|&n| n != 23), "sizes vary: {sizes:?}");
        assert_eq!(syn.unit_of(0), 0);
        assert_eq!(syn.unit_of(232), 9);
        assert_eq!(syn.unit_of(syn.persons_of(4).start), 4);
        let model = syn.model().unwrap();
        assert_eq!(model.categories.len(), 10);
        assert_eq!(model.versions[0].indicators.len(), 10);
        let p = syn.person_subject(syn.persons_of(4).start) as usize;
        assert_eq!(model.subjects[p].kind, yardstick_engine::model::SubjectKind::Cadre);
        assert_eq!(model.subjects[p].parent, Some(syn.unit_subject(4)));
        assert_eq!(model.subjects[p].category, Some(4));
        assert_eq!(model.subjects[syn.unit_subject(4) as usize].category, None, "units are not ranked here");
    }

    /// The data files and the in-memory builder give the same data, and the same rows.
    #[test]
    fn files_and_memory_agree() {
        let syn = Cadres::new(6, 140, 5);
        let model = syn.model().unwrap();
        let roster = Arc::new(Roster::new(&model));
        for month in [1u8, 6, 12] {
            let p = Period::month(YEAR, month);
            let mem = syn.data(&model, &roster, month..month + 1).unwrap();
            let csv = load_csv(&model, &roster, &syn.data_csv(month));
            assert_eq!(mem.get(p).unwrap().events(), csv.get(p).unwrap().events());
            let a = Scorer::new(&model, roster.clone(), &mem).score(p).unwrap();
            let b = Scorer::new(&model, roster.clone(), &csv).score(p).unwrap();
            assert_eq!(rows(&a), rows(&b));
            assert_eq!(rows(&a).len(), 140);
        }
    }

    /// Every cadre's published score recomputed by hand with exact fractions, and every rank
    /// and tier derived from those scores by the rules: within the unit only, ties share a
    /// rank (1, 2, 2, 4), vetoed cadres last and 较差, 优秀 ≤ floor(20 % × n) and ≥ 90,
    /// 优秀 + 良好 ≤ floor(70 % × n), a tie group admitted to a tier only whole, 一般 ≥ 60.
    #[test]
    fn scores_ranks_and_tiers_recomputed_by_hand() {
        let syn = Cadres::new(8, 180, 7);
        let model = syn.model().unwrap();
        let roster = Arc::new(Roster::new(&model));
        let (mut ties, mut events, mut deducted, mut coefficients, mut vetoes) = (0, 0, 0, [0usize; 3], 0);
        for month in 1..=12u8 {
            let p = Period::month(YEAR, month);
            let mut text = syn.data_csv(month);
            // One veto a month (the generator draws them too rarely for 180 cadres).
            let vetoed_person = usize::from(month) * 13 % 180;
            let mut drawn_veto = false;
            syn.person_month(month, vetoed_person, |it| drawn_veto |= matches!(it, Item::Event { item: 9, .. }));
            if !drawn_veto {
                text.push_str(&format!("{YEAR}-{month:02},{},VETO,,,,1,{month}月受到政务处分\n", Cadres::person_key(vetoed_person)));
            }
            let ds = load_csv(&model, &roster, &text);
            events += ds.get(p).unwrap().events().len();
            let r = Scorer::new(&model, roster.clone(), &ds).score(p).unwrap();
            assert_eq!(r.categories.len(), 8);
            for (u, cat) in r.categories.iter().enumerate() {
                // Only the unit's cadres, each once.
                let mut who: Vec<u32> = cat.rows.iter().map(|row| row.subject).collect();
                who.sort_unstable();
                let want: Vec<u32> = syn.persons_of(u).map(|q| syn.person_subject(q)).collect();
                assert_eq!(who, want, "month {month}, unit {u}");
                coefficients[usize::from(syn.unit_level(month, u))] += cat.rows.len();
                // Scores by hand.
                let mut expected: Vec<(i64, bool, u32)> = syn
                    .persons_of(u)
                    .map(|q| {
                        let (cents, mut vetoed) = by_hand(&syn, month, q);
                        vetoed |= q == vetoed_person;
                        (cents, vetoed, syn.person_subject(q))
                    })
                    .collect();
                for row in &cat.rows {
                    let e = expected.iter().find(|e| e.2 == row.subject).unwrap();
                    assert_eq!((row.cents, row.veto.is_some()), (e.0, e.1), "month {month}, {}", model.subjects[row.subject as usize].key);
                }
                // Ranks and tiers by the rules.
                expected.sort_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
                let n = expected.len();
                let live = expected.iter().filter(|e| !e.1).count();
                let (best_limit, good_limit) = (n * 20 / 100, n * 70 / 100);
                let mut k = 0;
                let mut tier = 0usize;
                while k < n {
                    let mut end = k + 1;
                    while end < n && expected[end].1 == expected[k].1 && (expected[k].1 || expected[end].0 == expected[k].0) {
                        end += 1;
                    }
                    let group = &expected[k..end];
                    let cents = group[0].0;
                    let group_tier = if group[0].1 {
                        3
                    } else {
                        if tier == 0 && (end > best_limit || cents < 9000) {
                            tier = 1;
                        }
                        if tier == 1 && end > good_limit {
                            tier = 2;
                        }
                        if tier == 2 && cents < 6000 {
                            tier = 3;
                        }
                        tier
                    };
                    for e in group {
                        let row = cat.rows.iter().find(|row| row.subject == e.2).unwrap();
                        let want_rank = if e.1 { live as u32 + 1 + (k - live) as u32 } else { k as u32 + 1 };
                        assert_eq!((row.rank, row.tied, row.grade as usize), (want_rank, group.len() > 1 && !e.1, group_tier), "month {month}, {}", model.subjects[e.2 as usize].key);
                    }
                    if group.len() > 1 && !group[0].1 {
                        ties += 1;
                    }
                    k = end;
                }
                deducted += cat.rows.iter().filter(|row| row.cents < 10_000 && row.veto.is_none()).count();
            }
            vetoes += rows(&r).iter().filter(|row| row.veto.is_some()).count();
        }
        // The data exercised what the test checks.
        assert!(ties >= 5, "only {ties} tie groups");
        assert!(events >= 150, "only {events} occurrences");
        assert!(vetoes >= 12 && deducted > 0);
        assert!(coefficients.iter().all(|&n| n > 0), "every unit level occurs: {coefficients:?}");
    }

    /// A cadre's explanation shows its occurrences with their reasons and its unit's coefficient.
    #[test]
    fn explanations_show_reasons_and_the_units_coefficient() {
        let syn = Cadres::new(6, 140, 5);
        let model = syn.model().unwrap();
        let roster = Arc::new(Roster::new(&model));
        let month = 4u8;
        let p = Period::month(YEAR, month);
        let ds = syn.data(&model, &roster, month..month + 1).unwrap();
        let scorer = Scorer::new(&model, roster.clone(), &ds);
        let r = scorer.score(p).unwrap();
        let dis = model.versions[0].indicators.iter().position(|i| i.key == "DIS").unwrap() as u32;
        let event = ds.get(p).unwrap().events().iter().find(|e| e.indicator == dis).expect("a deduction this month").clone();
        let t = scorer.explain(p, event.subject).unwrap();
        let line = t.indicators.iter().find(|i| i.indicator == dis).unwrap();
        assert!(line.events.contains(&(event.amount.to_string(), event.reason.clone())), "{:?}", line.events);
        assert!(event.reason.starts_with("4月"));
        let person = event.subject as usize - 1 - syn.unit_count();
        let u = syn.unit_of(person);
        let (level, factor) = UNIT_LEVELS[usize::from(syn.unit_level(month, u))];
        assert_eq!(t.coefficients, [format!("{UNIT_GRADE} of {} ({}) = {level} → {}", Cadres::unit_key(u), syn.units[u].name, Dec::parse(factor).unwrap())]);
        // The explanation's final value rounds to the published score.
        let row = r.row(event.subject).unwrap();
        // (The explanation shows four decimals, so compare within half a cent.)
        let fin = Q::d(Dec::parse(&t.final_value).unwrap());
        let diff = fin.sub(Q::new(i128::from(row.cents), 100));
        assert!(!diff.lt(Q::dec("-0.005")) && !Q::dec("0.005").lt(diff), "{} vs {}", t.final_value, row.cents);
    }
}
