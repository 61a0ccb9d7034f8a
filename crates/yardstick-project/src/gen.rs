//! Synthetic plans and data sets at three scales, for demonstrations and benchmarks.
//!
//! One generator, two outputs that agree value for value:
//!
//! * files — `plan.toml`, `subjects.csv` and one data CSV per month
//!   (`data-2026-01.csv` …), written by `yardstick gen`;
//! * memory — a [`Model`] and a [`DataSet`] built directly through
//!   [`PeriodDataBuilder`], without any CSV, for `yardstick bench` and the criterion
//!   benchmarks. The model is made by parsing the same plan text and subjects CSV
//!   text with the formats crate, so both paths share one plan.
//!
//! Every random draw comes from a small splitmix64 generator keyed by
//! (seed, month, unit), so the output depends only on the seed and never on how
//! the work is split between threads.
//!
//! The plan is deliberately ordinary: 40 weighted indicators per category adding to
//! 100 (30 completion rates, 6 blended total/growth indicators with 3× amplified
//! bonus and penalty, one control-type indicator, one qualitative one and two
//! category-specific ones per series), four occurrence indicators (a deduction with
//! reasons, a bonus item, a rare year-wide veto and a rare demotion), a grade set
//! with strict quotas (优秀 ≤ 20% with at least 90 points, 良好 ≤ 70%, 一般),
//! static and dynamic coefficients, a mid-year plan version and an annual
//! composition that uses months, quarters and halves.
//!
//! The county (90 units, laid out like Liaoyang's 91 in A, B1, B2, C1, C2, D and E) has
//! unique, realistic unit names and one veto in September, and is the server's demo
//! (`yardstick serve --demo`); the other scales draw everything.

use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use rayon::prelude::*;
use yardstick_engine::data::SetError;
use yardstick_engine::{DataSet, Dec, Event, Model, Period, PeriodDataBuilder, Roster};
use yardstick_formats::Lang;
use yardstick_formats::plan::{SubjectsSource, load_plan};

/// The plan year of every synthetic data set.
pub const YEAR: u16 = 2026;

/// The size of a synthetic data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// 90 units in 7 categories (A, B1, B2, C1, C2, D, E): one county (Liaoyang has 91).
    County,
    /// 10,000 units in 100 categories.
    Province,
    /// 300,000 units in 3,000 categories.
    Country,
}

impl Scale {
    pub fn key(self) -> &'static str {
        match self {
            Scale::County => "county",
            Scale::Province => "province",
            Scale::Country => "country",
        }
    }

    /// (units, categories).
    pub fn size(self) -> (usize, usize) {
        match self {
            Scale::County => (90, 7),
            Scale::Province => (10_000, 100),
            Scale::Country => (300_000, 3_000),
        }
    }
}

// ---------------------------------------------------------------------------
// Random numbers.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// splitmix64 (Steele, Lea and Flood): tiny, fast and good enough for test data.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// An independent stream for a (seed, a, b) key.
    pub fn keyed(seed: u64, a: u64, b: u64) -> SplitMix64 {
        SplitMix64(mix(seed.wrapping_add(GOLDEN) ^ mix(a.wrapping_add(GOLDEN.wrapping_mul(3)) ^ mix(b.wrapping_add(GOLDEN.wrapping_mul(7))))))
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    #[inline]
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in 0..n.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Roughly normal with mean 0 and standard deviation `sd` (sum of four uniforms).
    #[inline]
    pub fn bell(&mut self, sd: f64) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit() - 2.0;
        // The sum of four uniforms has variance 4/12.
        s * sd * 1.732_050_8
    }
}

// ---------------------------------------------------------------------------
// Decimal values as generated: an exact mantissa and scale, written and built alike.

/// A generated decimal `m × 10^-s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D {
    pub m: i64,
    pub s: u8,
}

impl D {
    pub(crate) fn round(x: f64, s: u8) -> D {
        const P: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];
        D { m: (x * P[usize::from(s)]).round() as i64, s }
    }

    pub(crate) fn int(m: i64) -> D {
        D { m, s: 0 }
    }

    pub fn dec(self) -> Dec {
        Dec::new(self.m, self.s)
    }

    pub(crate) fn write(self, out: &mut Vec<u8>) {
        if self.m < 0 {
            out.push(b'-');
        }
        let a = self.m.unsigned_abs();
        if self.s == 0 {
            write_uint(out, a);
            return;
        }
        let p = 10u64.pow(u32::from(self.s));
        write_uint(out, a / p);
        out.push(b'.');
        let mut frac = a % p;
        let mut digits = [b'0'; 18];
        for k in (0..usize::from(self.s)).rev() {
            digits[k] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        out.extend_from_slice(&digits[..usize::from(self.s)]);
    }
}

impl std::fmt::Display for D {
    /// As the data files write it (`123.45`, `-0.5`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = Vec::with_capacity(24);
        self.write(&mut out);
        f.write_str(std::str::from_utf8(&out).map_err(|_| std::fmt::Error)?)
    }
}

pub(crate) fn write_uint(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

// ---------------------------------------------------------------------------
// The plan.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Completion,
    Blended,
    Control,
    Qualitative,
    Deduction,
    Bonus,
    Veto,
    Demotion,
}

/// Series: towns and streets (乡镇街道) or departments (部门).
const TOWNS: usize = 0;
const DEPTS: usize = 1;

#[derive(Clone, Copy, Debug)]
struct IndDef {
    key: &'static str,
    name: &'static str,
    kind: Kind,
    /// Points, as written in the plan.
    weight: &'static str,
    /// `None`: every category (共性指标); `Some(series)`: that series' categories (个性指标).
    series: Option<usize>,
    source: &'static str,
}

const fn ind(key: &'static str, name: &'static str, kind: Kind, weight: &'static str, source: &'static str) -> IndDef {
    IndDef { key, name, kind, weight, series: None, source }
}

/// The indicators of the first plan version, in plan order.
/// Weighted per category: 10 × 3 + 20 × 2 (completion) + 6 × 3 (blended) + 3 (control)
/// + 5 (qualitative) + 2 × 2 (category-specific) = 100, in 40 indicators.
const INDICATORS: [IndDef; 46] = {
    use Kind::*;
    [
        ind("C01", "地区生产总值完成率", Completion, "3", "统计局"),
        ind("C02", "规模以上工业增加值", Completion, "3", "工信局"),
        ind("C03", "固定资产投资完成额", Completion, "3", "发改委"),
        ind("C04", "社会消费品零售总额", Completion, "3", "商务局"),
        ind("C05", "一般公共预算收入", Completion, "3", "财政局"),
        ind("C06", "税收收入", Completion, "3", "税务局"),
        ind("C07", "实际利用外资", Completion, "3", "商务局"),
        ind("C08", "招商引资到位资金", Completion, "3", "投资促进局"),
        ind("C09", "重点项目开工率", Completion, "3", "发改委"),
        ind("C10", "城镇新增就业人数", Completion, "3", "人社局"),
        ind("C11", "农村居民人均可支配收入", Completion, "2", "统计局"),
        ind("C12", "城镇居民人均可支配收入", Completion, "2", "统计局"),
        ind("C13", "高新技术企业数量", Completion, "2", "科技局"),
        ind("C14", "研发经费投入", Completion, "2", "科技局"),
        ind("C15", "专利授权量", Completion, "2", "市场监管局"),
        ind("C16", "外贸进出口总额", Completion, "2", "商务局"),
        ind("C17", "新增市场主体", Completion, "2", "市场监管局"),
        ind("C18", "重点工程投资完成率", Completion, "2", "发改委"),
        ind("C19", "民生实事完成率", Completion, "2", "政府办"),
        ind("C20", "老旧小区改造", Completion, "2", "住建局"),
        ind("C21", "保障性住房建设", Completion, "2", "住建局"),
        ind("C22", "农村公路建设里程", Completion, "2", "交通运输局"),
        ind("C23", "耕地保护任务", Completion, "2", "自然资源局"),
        ind("C24", "植树造林面积", Completion, "2", "林业局"),
        ind("C25", "污水处理量", Completion, "2", "水务局"),
        ind("C26", "垃圾分类覆盖户数", Completion, "2", "城管委"),
        ind("C27", "政务服务事项办结量", Completion, "2", "政务服务局"),
        ind("C28", "信访事项按期办结量", Completion, "2", "信访局"),
        ind("C29", "安全生产隐患整改量", Completion, "2", "应急管理局"),
        ind("C30", "营商环境改革任务", Completion, "2", "发改委"),
        ind("G01", "地区生产总值", Blended, "3", "统计局"),
        ind("G02", "第一产业增加值", Blended, "3", "统计局"),
        ind("G03", "第二产业增加值", Blended, "3", "统计局"),
        ind("G04", "第三产业增加值", Blended, "3", "统计局"),
        ind("G05", "工业投资", Blended, "3", "工信局"),
        ind("G06", "服务业营业收入", Blended, "3", "统计局"),
        ind("CTL", "单位地区生产总值能耗", Control, "3", "发改委"),
        ind("QLT", "党建工作评价", Qualitative, "5", "组织部"),
        IndDef { key: "T01", name: "乡村振兴重点任务", kind: Completion, weight: "2", series: Some(TOWNS), source: "农业农村局" },
        IndDef { key: "T02", name: "农业产业化项目", kind: Completion, weight: "2", series: Some(TOWNS), source: "农业农村局" },
        IndDef { key: "D01", name: "行政审批事项按时办结", kind: Completion, weight: "2", series: Some(DEPTS), source: "政务服务局" },
        IndDef { key: "D02", name: "服务承诺事项完成", kind: Completion, weight: "2", series: Some(DEPTS), source: "效能办" },
        ind("DED", "督查通报扣分", Deduction, "0", "督查室"),
        ind("BON", "创新争先加分", Bonus, "0", "考核办"),
        ind("VETO", "安全生产和生态环境一票否决", Veto, "0", "应急管理局"),
        ind("DEM", "重点工作推进不力降名次", Demotion, "0", "督查室"),
    ]
};

/// The plan version that starts in July re-weighs two indicators (weights still add to 100).
const V2_FROM: u8 = 7;
const V2_WEIGHTS: [(&str, &str); 2] = [("C01", "2"), ("C11", "3")];

const QUALITATIVE_LEVELS: [(&str, &str); 4] = [("好", "1"), ("较好", "0.9"), ("一般", "0.75"), ("差", "0.6")];

const DEDUCTION_REASONS: [&str; 7] = [
    "督查通报：重点任务推进滞后",
    "审计发现问题整改不到位",
    "信访事项办理超期",
    "安全生产检查隐患未按期整改",
    "环保督察反馈问题整改不力",
    "政务服务差评未及时处理",
    "统计数据迟报漏报",
];
const BONUS_REASONS: [&str; 4] = ["获国家级表彰", "获省级表彰", "工作经验被上级推广", "改革创新案例入选"];
const VETO_REASONS: [&str; 3] = ["发生较大安全生产责任事故", "发生重大生态环境破坏事件", "发生严重违纪违法案件"];
const DEMOTION_REASONS: [&str; 2] = ["重点工作推进不力被通报", "年度目标任务严重滞后"];

const PLACE: [&str; 24] = [
    "东", "西", "南", "北", "新", "安", "和", "平", "永", "兴", "长", "乐", "宁", "丰", "康", "泰", "华", "阳", "河", "山", "清", "源", "金", "石",
];
const TOWN_SUFFIX: [&str; 3] = ["镇", "乡", "街道"];
const DEPARTMENTS: [&str; 16] = [
    "发展和改革局", "财政局", "教育局", "科技局", "工业和信息化局", "民政局", "人力资源和社会保障局", "自然资源局",
    "生态环境局", "住房和城乡建设局", "交通运输局", "水务局", "农业农村局", "商务局", "卫生健康委员会", "市场监督管理局",
];

/// The county's one veto: (month, unit index), a C2 township in September.
const COUNTY_VETO: (u8, usize) = (9, 52);

/// Occurrence rates per unit and month.
const P_DEDUCTION: f64 = 0.03;
const P_SECOND_DEDUCTION: f64 = 0.15;
const P_BONUS: f64 = 0.02;
const P_VETO: f64 = 0.0002;
const P_DEMOTION: f64 = 0.001;

#[derive(Clone, Debug)]
struct CatDef {
    key: String,
    name: String,
    series: usize,
    units: Range<usize>,
}

#[derive(Clone, Debug)]
struct UnitDef {
    key: String,
    name: String,
    category: u32,
    static_level: u8,
    /// How well the unit does, around 0.945; drives every indicator.
    quality: f64,
}

/// One generated input of one unit in one month.
#[derive(Clone, Copy, Debug)]
pub enum Item {
    /// Numeric fields in the method's slot order (`n` of them).
    Fields { indicator: usize, vals: [D; 4], n: u8 },
    /// A qualitative level (index into the plan's levels).
    Level { indicator: usize, level: u8 },
    /// An occurrence: amount (`None`: one occurrence) and reason.
    Event { indicator: usize, amount: Option<D>, reason: Reason },
}

/// An occurrence's reason: "{month}月{text}".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reason {
    pub month: u8,
    pub text: &'static str,
}

impl Reason {
    fn write(self, out: &mut Vec<u8>) {
        write_uint(out, u64::from(self.month));
        out.extend_from_slice("月".as_bytes());
        out.extend_from_slice(self.text.as_bytes());
    }

    pub fn to_text(self) -> String {
        format!("{}月{}", self.month, self.text)
    }
}

/// A synthetic data set: its plan, its units and a deterministic source of values.
pub struct Synthetic {
    pub scale: Scale,
    pub seed: u64,
    pub months: u8,
    categories: Vec<CatDef>,
    units: Vec<UnitDef>,
}

/// The key of the area subject that carries the dynamic coefficient's input.
pub const AREA_KEY: &str = "AREA";
/// The name of the dynamic coefficient's area input (the area's GDP growth, %).
pub const AREA_INPUT: &str = "g";

/// A category as laid out by the generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryInfo<'a> {
    pub key: &'a str,
    pub name: &'a str,
    /// The plan's series key: `towns` or `depts`.
    pub series: &'static str,
    /// Its units' indices in generation order.
    pub units: Range<usize>,
}

/// A unit as laid out by the generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitInfo<'a> {
    pub key: &'a str,
    pub name: &'a str,
    /// Its category's key.
    pub category: &'a str,
    /// Static coefficient level, 1–6.
    pub static_level: u8,
}

/// One generated input in the form a database stores it: a field's value, or an
/// occurrence with its amount and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Value { indicator: &'static str, field: &'static str, value: String },
    /// `field` is `count` (deductions, vetoes, demotions) or `value` (bonus items); an
    /// absent amount means one occurrence.
    Occurrence { indicator: &'static str, field: &'static str, amount: Option<String>, reason: String },
}

/// The data columns of numeric fields, in the methods' slot order (as the files write them).
const FIELD_COLUMNS: [&str; 4] = ["actual", "target", "growth", "target_growth"];

impl Item {
    /// The key of the item's indicator in the plan.
    pub fn indicator_key(&self) -> &'static str {
        match *self {
            Item::Fields { indicator, .. } | Item::Level { indicator, .. } | Item::Event { indicator, .. } => INDICATORS[indicator].key,
        }
    }

    /// The item as stored cells: one per numeric field, the level's name, or the occurrence.
    /// The same values as the data files, whose occurrence rows put any amount under `value`
    /// (`count` and `value` read the same for occurrences).
    pub fn cells(self, mut emit: impl FnMut(Cell)) {
        let key = self.indicator_key();
        match self {
            Item::Fields { vals, n, .. } => {
                for (k, v) in vals.iter().take(usize::from(n)).enumerate() {
                    emit(Cell::Value { indicator: key, field: FIELD_COLUMNS[k], value: v.to_string() });
                }
            }
            Item::Level { level, .. } => {
                emit(Cell::Value { indicator: key, field: "level", value: QUALITATIVE_LEVELS[usize::from(level)].0.to_string() });
            }
            Item::Event { indicator, amount, reason } => {
                let field = if INDICATORS[indicator].kind == Kind::Bonus { "value" } else { "count" };
                emit(Cell::Occurrence { indicator: key, field, amount: amount.map(|a| a.to_string()), reason: reason.to_text() });
            }
        }
    }
}

/// Town place names for the county: two characters, none repeated.
const COUNTY_TOWN_SUFFIX: [(&str, &str); 5] = [("A", "街道"), ("B1", "镇"), ("B2", "镇"), ("C1", "镇"), ("C2", "乡")];
/// The county's departments (16 economic, 12 comprehensive), each once.
const COUNTY_DEPARTMENTS: [(&str, &[&str]); 2] = [
    (
        "D",
        &[
            "县发展和改革局", "县工业和信息化局", "县财政局", "县统计局", "县商务局", "县自然资源局", "县住房和城乡建设局", "县交通运输局",
            "县农业农村局", "县水利局", "县文化旅游和广播电视局", "县市场监督管理局", "县科学技术局", "县投资促进中心", "县税务局",
            "县生态环境分局",
        ],
    ),
    (
        "E",
        &[
            "县教育局", "县民政局", "县人力资源和社会保障局", "县卫生健康局", "县司法局", "县应急管理局", "县退役军人事务局", "县医疗保障局",
            "县信访局", "县营商环境建设局", "县城市管理综合行政执法局", "县机关事务服务中心",
        ],
    ),
];

/// Gives the county's units unique, realistic names (a database requires unique unit names):
/// towns get distinct two-character place names with their category's suffix, departments
/// the county's department names in order.
fn county_names(seed: u64, categories: &[CatDef], units: &mut [UnitDef]) {
    let mut pairs: Vec<(usize, usize)> = (0..PLACE.len()).flat_map(|a| (0..PLACE.len()).filter(move |&b| b != a).map(move |b| (a, b))).collect();
    let mut r = SplitMix64::keyed(seed, u64::MAX, 1);
    for i in (1..pairs.len()).rev() {
        pairs.swap(i, r.below(i as u64 + 1) as usize);
    }
    let mut next_pair = pairs.into_iter();
    for c in categories {
        let suffix = COUNTY_TOWN_SUFFIX.iter().find(|(k, _)| *k == c.key).map(|(_, s)| *s);
        let depts = COUNTY_DEPARTMENTS.iter().find(|(k, _)| *k == c.key).map(|(_, d)| *d);
        for (i, u) in c.units.clone().enumerate() {
            if let Some(suffix) = suffix {
                let (a, b) = next_pair.next().expect("enough place names for the county");
                units[u].name = format!("{}{}{suffix}", PLACE[a], PLACE[b]);
            } else if let Some(name) = depts.and_then(|d| d.get(i)) {
                units[u].name = (*name).to_string();
            }
        }
    }
}

impl Synthetic {
    /// Lays out categories and units for a scale; `months` (1–12) of data will be generated.
    pub fn new(scale: Scale, seed: u64, months: u8) -> Synthetic {
        assert!((1..=12).contains(&months), "months must be 1–12");
        let (n_units, n_cats) = scale.size();
        let mut rng = SplitMix64::keyed(seed, u64::MAX, 0);
        // Category sizes: fixed for the county, 70–130 in pairs adding to 200 otherwise,
        // so that the total is exact.
        let specs: Vec<(String, String, usize, usize)> = match scale {
            Scale::County => [
                ("A", "A类：城区街道", TOWNS, 10),
                ("B1", "B1类：工业重镇", TOWNS, 14),
                ("B2", "B2类：工业乡镇", TOWNS, 13),
                ("C1", "C1类：农业重镇", TOWNS, 12),
                ("C2", "C2类：农业乡镇", TOWNS, 13),
                ("D", "D类：经济部门", DEPTS, 16),
                ("E", "E类：综合部门", DEPTS, 12),
            ]
            .into_iter()
            .map(|(k, n, s, size)| (k.to_string(), n.to_string(), s, size))
            .collect(),
            _ => {
                let base = n_units / n_cats;
                let mut sizes = vec![base; n_cats];
                for pair in sizes.chunks_mut(2) {
                    if pair.len() == 2 {
                        let d = rng.below(base as u64 * 3 / 10 + 1) as usize;
                        pair[0] += d;
                        pair[1] -= d;
                    }
                }
                sizes[n_cats - 1] += n_units - base * n_cats;
                let half = n_cats / 2;
                sizes
                    .into_iter()
                    .enumerate()
                    .map(|(i, size)| {
                        let series = if i < half { TOWNS } else { DEPTS };
                        let name = match series {
                            TOWNS => format!("第{}类乡镇（街道）", i + 1),
                            _ => format!("第{}类部门", i - half + 1),
                        };
                        (format!("CAT{:04}", i + 1), name, series, size)
                    })
                    .collect()
            }
        };
        let mut categories = Vec::with_capacity(specs.len());
        let mut start = 0;
        for (key, name, series, size) in specs {
            categories.push(CatDef { key, name, series, units: start..start + size });
            start += size;
        }
        debug_assert_eq!(start, n_units);
        let mut units: Vec<UnitDef> = categories
            .par_iter()
            .enumerate()
            .flat_map_iter(|(c, cat)| {
                cat.units.clone().map(move |u| {
                    let mut r = SplitMix64::keyed(seed, 0, u as u64 + 1);
                    let first = r.below(24) as usize;
                    let place = format!("{}{}", PLACE[first], PLACE[(first + 1 + r.below(23) as usize) % 24]);
                    let name = match cat.series {
                        TOWNS => format!("{place}{}", TOWN_SUFFIX[r.below(3) as usize]),
                        _ => format!("{place}区{}", DEPARTMENTS[r.below(16) as usize]),
                    };
                    let static_level = 1 + r.below(6) as u8;
                    // Mostly 0.88–1.00, a few weak units below.
                    let quality = 0.945 + r.bell(0.035) - if r.unit() < 0.03 { 0.08 } else { 0.0 };
                    UnitDef { key: format!("U{:06}", u + 1), name, category: c as u32, static_level, quality }
                })
            })
            .collect();
        if scale == Scale::County {
            county_names(seed, &categories, &mut units);
        }
        Synthetic { scale, seed, months, categories, units }
    }

    /// The categories in plan order.
    pub fn categories(&self) -> impl ExactSizeIterator<Item = CategoryInfo<'_>> {
        self.categories.iter().map(|c| CategoryInfo {
            key: &c.key,
            name: &c.name,
            series: if c.series == TOWNS { "towns" } else { "depts" },
            units: c.units.clone(),
        })
    }

    /// The units in generation order (category by category), as `subjects_csv` lists them.
    pub fn units(&self) -> impl ExactSizeIterator<Item = UnitInfo<'_>> {
        self.units.iter().map(|u| UnitInfo {
            key: &u.key,
            name: &u.name,
            category: &self.categories[u.category as usize].key,
            static_level: u.static_level,
        })
    }

    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    pub fn category_count(&self) -> usize {
        self.categories.len()
    }

    /// Weighted indicators per category and occurrence indicators.
    pub fn indicator_counts() -> (usize, usize) {
        let weighted = INDICATORS.iter().filter(|i| i.series.is_none_or(|s| s == TOWNS) && !is_event(i.kind)).count();
        let events = INDICATORS.iter().filter(|i| is_event(i.kind)).count();
        (weighted, events)
    }

    /// The plan file's text; it names `subjects.csv` for its subjects.
    pub fn plan_text(&self) -> String {
        let mut t = String::with_capacity(64 * 1024 + self.categories.len() * 160);
        let (n_units, _) = self.scale.size();
        let _ = writeln!(
            t,
            "# Synthetic plan written by `yardstick gen --scale {} --seed {}`.\n\
             # {} units in {} categories; 40 weighted indicators per category adding to 100,\n\
             # four occurrence indicators, strict quotas, static and dynamic coefficients,\n\
             # a plan version from {YEAR}-{V2_FROM:02} and an annual composition.\n",
            self.scale.key(),
            self.seed,
            self.units.len(),
            self.categories.len(),
        );
        let _ = writeln!(
            t,
            "[plan]\nkey = \"synthetic-{}\"\nname = \"合成数据：{}绩效考核（{}个单位）\"\nyear = {YEAR}\noffice = \"合成考核办\"\nsubjects = \"subjects.csv\"\n",
            self.scale.key(),
            match self.scale {
                Scale::County => "县级",
                Scale::Province => "省级规模",
                Scale::Country => "全国规模",
            },
            n_units
        );
        t.push_str("[[series]]\nkey = \"towns\"\nname = \"乡镇街道系列\"\n\n[[series]]\nkey = \"depts\"\nname = \"部门系列\"\n\n");
        t.push_str(
            "[[grade_sets]]\nkey = \"standard\"\nname = \"优秀/良好/一般\"\nveto_grade = \"一般\"\nrounding = \"floor\"\ngrades = [\n  \
             { name = \"优秀\", quota = \"20%\", min_score = 90 },\n  { name = \"良好\", quota = \"70%\" },\n  { name = \"一般\" },\n]\n\n",
        );
        for c in &self.categories {
            let _ = writeln!(
                t,
                "[[categories]]\nkey = \"{}\"\nname = \"{}\"\nseries = \"{}\"\ngrade_set = \"standard\"\ncoefficients = {}\n",
                c.key,
                c.name,
                if c.series == TOWNS { "towns" } else { "depts" },
                c.series == TOWNS
            );
        }
        let _ = writeln!(
            t,
            "# Towns are scored × static level × dynamic coefficient from the area's growth g.\n\
             [coefficients]\nstatic_levels = [1.00, 1.03, 1.06, 1.10, 1.14, 1.18]\narea_inputs = [\"{AREA_INPUT}\"]\n\
             dynamic = \"clamp(1 + 0.02 * ({AREA_INPUT} - 7.0), 0.95, 1.05)\"\n"
        );
        t.push_str(
            "# Quarters are the mean of their months (the default), halves the mean of their quarters;\n\
             # the year is 0.4 × mean of months + 0.6 × mean of halves, ± quarterly grades.\n\
             [aggregation.half]\ncomponents = [{ parts = \"quarter\", share = 1 }]\n\n\
             [aggregation.year]\ncomponents = [{ parts = \"month\", share = 0.4 }, { parts = \"half\", share = 0.6 }]\n\
             grade_adjust = { level = \"quarter\", points = { \"优秀\" = 0.5, \"一般\" = -0.5 } }\n\n",
        );
        for d in &INDICATORS {
            self.indicator_toml(&mut t, d, d.weight, "indicators");
        }
        let _ = writeln!(t, "[[versions]]\nkey = \"v2\"\nfrom = \"{YEAR}-{V2_FROM:02}\"\nnote = \"年中调整：地区生产总值完成率与农村居民收入的分值对调\"\n");
        for (key, w) in V2_WEIGHTS {
            let d = INDICATORS.iter().find(|d| d.key == key).expect("re-weighted indicators exist");
            self.indicator_toml(&mut t, d, w, "versions.indicators");
        }
        t
    }

    fn indicator_toml(&self, t: &mut String, d: &IndDef, weight: &str, table: &str) {
        let _ = writeln!(t, "[[{table}]]\nkey = \"{}\"\nname = \"{}\"\nsource = \"{}\"", d.key, d.name, d.source);
        if let Some(series) = d.series {
            let keys: Vec<String> = self.categories.iter().filter(|c| c.series == series).map(|c| format!("\"{}\"", c.key)).collect();
            let _ = writeln!(t, "categories = [{}]", keys.join(", "));
        }
        match d.kind {
            Kind::Completion => {
                // The second half of the completion indicators counts over-fulfilment up to 110%.
                let cap = if d.key.starts_with('C') && &d.key[1..] > "20" { "1.1" } else { "1" };
                let _ = writeln!(t, "method = \"completion\"\nweight = {weight}\nfloor = 0\ncap = {cap}");
            }
            Kind::Blended => {
                let _ = writeln!(
                    t,
                    "unit = \"亿元\"\nmethod = \"blended\"\nweight = {weight}\ntotal_share = 0.8\ngrowth_share = 0.2\nfloor = 0\ncap = 1.2\n\
                     amplify = {{ bonus_factor = 3, penalty_factor = 3, penalty_below = 0.9 }}"
                );
            }
            Kind::Control => {
                let _ = writeln!(t, "unit = \"吨标准煤/万元\"\nkind = \"constraint\"\nmethod = \"control\"\nweight = {weight}\nmax_ratio = 1.2");
            }
            Kind::Qualitative => {
                let levels: Vec<String> = QUALITATIVE_LEVELS.iter().map(|(n, s)| format!("{{ name = \"{n}\", share = {s} }}")).collect();
                let _ = writeln!(t, "kind = \"evaluation\"\nmethod = \"qualitative\"\nweight = {weight}\nlevels = [{}]", levels.join(", "));
            }
            Kind::Deduction => {
                let _ = writeln!(t, "kind = \"constraint\"\nmethod = \"deduction\"\nper = 0.5\ncap = 5");
            }
            Kind::Bonus => {
                let _ = writeln!(t, "kind = \"bonus\"\nmethod = \"bonus\"\ncap = 3");
            }
            Kind::Veto => {
                let _ = writeln!(t, "kind = \"constraint\"\nmethod = \"veto\"\nscope = \"year\"");
            }
            Kind::Demotion => {
                let _ = writeln!(t, "kind = \"constraint\"\nmethod = \"demotion\"\nplaces = 3");
            }
        }
        t.push('\n');
    }

    /// The subjects file's text: the area, then every unit.
    pub fn subjects_csv(&self) -> String {
        let mut t = String::with_capacity(self.units.len() * 48 + 64);
        t.push_str("key,name,kind,parent,category,static_level\n");
        let _ = writeln!(t, "{AREA_KEY},全域,area,,,");
        for u in &self.units {
            let _ = writeln!(t, "{},{},unit,{AREA_KEY},{},{}", u.key, u.name, self.categories[u.category as usize].key, u.static_level);
        }
        t
    }

    /// The area's input `g` (GDP growth, %) in a month.
    pub fn area_input(&self, month: u8) -> D {
        let mut r = SplitMix64::keyed(self.seed, u64::from(month), 0);
        D::round(r.range(4.0, 10.0), 1)
    }

    /// Every input of unit `u` in `month`, in plan order, then its occurrences.
    pub fn unit_month(&self, month: u8, u: usize, mut emit: impl FnMut(Item)) {
        let unit = &self.units[u];
        let series = self.categories[unit.category as usize].series;
        let mut r = SplitMix64::keyed(self.seed, u64::from(month), u as u64 + 1);
        let q = unit.quality + r.bell(0.015);
        for (j, d) in INDICATORS.iter().enumerate() {
            if d.series.is_some_and(|s| s != series) {
                continue;
            }
            // Targets depend on the unit and indicator only, with a little seasonality.
            let mut base = SplitMix64::keyed(self.seed, 100 + j as u64, u as u64 + 1);
            // Log-uniform between 20 and 2000.
            let size = SIZES[base.below(SIZES.len() as u64) as usize];
            match d.kind {
                Kind::Completion => {
                    let target = D::round(size * r.range(0.95, 1.05), 1);
                    let rate = (q + r.bell(0.06)).clamp(0.3, 1.6);
                    let actual = D::round(target.m as f64 / 10.0 * rate, 2);
                    emit(Item::Fields { indicator: j, vals: [actual, target, D::int(0), D::int(0)], n: 2 });
                }
                Kind::Blended => {
                    let target = D::round(size * r.range(0.95, 1.05), 1);
                    let rate = (q + r.bell(0.07)).clamp(0.3, 1.6);
                    let actual = D::round(target.m as f64 / 10.0 * rate, 2);
                    let target_growth = D::round(base.range(3.0, 12.0), 1);
                    let growth = if r.unit() < 0.02 {
                        D::round(-r.range(0.0, 3.0), 1)
                    } else {
                        D::round(target_growth.m as f64 / 10.0 * (q + r.bell(0.12)), 1)
                    };
                    emit(Item::Fields { indicator: j, vals: [actual, target, growth, target_growth], n: 4 });
                }
                Kind::Control => {
                    let cap = D::round(base.range(0.3, 1.5), 2);
                    let ratio = (2.0 - q - 0.06 + r.bell(0.05)).max(0.2);
                    let actual = D::round(cap.m as f64 / 100.0 * ratio, 3);
                    emit(Item::Fields { indicator: j, vals: [actual, cap, D::int(0), D::int(0)], n: 2 });
                }
                Kind::Qualitative => {
                    let z = q + r.bell(0.03);
                    let level = if z > 0.99 {
                        0
                    } else if z > 0.95 {
                        1
                    } else if z > 0.91 {
                        2
                    } else {
                        3
                    };
                    emit(Item::Level { indicator: j, level });
                }
                Kind::Deduction => {
                    if r.unit() < P_DEDUCTION {
                        let first = r.below(DEDUCTION_REASONS.len() as u64) as usize;
                        let count = match r.below(20) {
                            0 => 3,
                            1..=5 => 2,
                            _ => 1,
                        };
                        emit(Item::Event { indicator: j, amount: Some(D::int(count)), reason: Reason { month, text: DEDUCTION_REASONS[first] } });
                        if r.unit() < P_SECOND_DEDUCTION {
                            let second = (first + 1 + r.below(DEDUCTION_REASONS.len() as u64 - 1) as usize) % DEDUCTION_REASONS.len();
                            emit(Item::Event { indicator: j, amount: Some(D::int(1)), reason: Reason { month, text: DEDUCTION_REASONS[second] } });
                        }
                    }
                }
                Kind::Bonus => {
                    if r.unit() < P_BONUS {
                        let amount = [D { m: 5, s: 1 }, D::int(1), D::int(2)][r.below(3) as usize];
                        let text = BONUS_REASONS[r.below(BONUS_REASONS.len() as u64) as usize];
                        emit(Item::Event { indicator: j, amount: Some(amount), reason: Reason { month, text } });
                    }
                }
                Kind::Veto => {
                    if r.unit() < P_VETO {
                        let text = VETO_REASONS[r.below(VETO_REASONS.len() as u64) as usize];
                        emit(Item::Event { indicator: j, amount: None, reason: Reason { month, text } });
                    } else if self.scale == Scale::County && (month, u) == COUNTY_VETO {
                        // Drawn vetoes are too rare to show in 90 units; the county has one, without a draw.
                        emit(Item::Event { indicator: j, amount: None, reason: Reason { month, text: VETO_REASONS[0] } });
                    }
                }
                Kind::Demotion => {
                    if r.unit() < P_DEMOTION {
                        let text = DEMOTION_REASONS[r.below(DEMOTION_REASONS.len() as u64) as usize];
                        emit(Item::Event { indicator: j, amount: Some(D::int(1)), reason: Reason { month, text } });
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------
    // Files.

    /// Appends the data rows of units `range` in `month` to `out`.
    fn format_units(&self, month: u8, range: Range<usize>, out: &mut Vec<u8>) {
        let mut prefix = Vec::with_capacity(8);
        write_period(&mut prefix, month);
        for u in range {
            let key = self.units[u].key.as_bytes();
            self.unit_month(month, u, |item| {
                out.extend_from_slice(&prefix);
                out.extend_from_slice(key);
                out.push(b',');
                // Columns after the indicator: actual,target,growth,target_growth,level,value,reason.
                match item {
                    Item::Fields { indicator, vals, n } => {
                        out.extend_from_slice(INDICATORS[indicator].key.as_bytes());
                        for (k, v) in vals.iter().enumerate() {
                            out.push(b',');
                            if k < usize::from(n) {
                                v.write(out);
                            }
                        }
                        out.extend_from_slice(b",,,\n");
                    }
                    Item::Level { indicator, level } => {
                        out.extend_from_slice(INDICATORS[indicator].key.as_bytes());
                        out.extend_from_slice(b",,,,,");
                        out.extend_from_slice(QUALITATIVE_LEVELS[usize::from(level)].0.as_bytes());
                        out.extend_from_slice(b",,\n");
                    }
                    Item::Event { indicator, amount, reason } => {
                        out.extend_from_slice(INDICATORS[indicator].key.as_bytes());
                        out.extend_from_slice(b",,,,,,");
                        if let Some(a) = amount {
                            a.write(out);
                        }
                        out.push(b',');
                        reason.write(out);
                        out.push(b'\n');
                    }
                }
            });
        }
    }

    /// Writes `plan.toml`, `subjects.csv` and `data-YYYY-MM.csv` for each month into `dir`.
    /// Returns each file with its size in bytes.
    pub fn write_files(&self, dir: &Path) -> anyhow::Result<Vec<(PathBuf, u64)>> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut written = Vec::new();
        let mut put = |name: &str, text: &str| -> anyhow::Result<()> {
            let path = dir.join(name);
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
            written.push((path, text.len() as u64));
            Ok(())
        };
        put("plan.toml", &self.plan_text())?;
        put("subjects.csv", &self.subjects_csv())?;
        const CHUNK: usize = 1024;
        let batch = rayon::current_num_threads().max(1) * 8 * CHUNK;
        for month in 1..=self.months {
            let path = dir.join(format!("data-{YEAR}-{month:02}.csv"));
            let file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            let mut size = 0u64;
            let mut head = Vec::new();
            head.extend_from_slice(b"period,subject,indicator,actual,target,growth,target_growth,level,value,reason\n");
            write_period(&mut head, month);
            head.extend_from_slice(AREA_KEY.as_bytes());
            head.push(b',');
            head.extend_from_slice(AREA_INPUT.as_bytes());
            head.extend_from_slice(b",,,,,,");
            self.area_input(month).write(&mut head);
            head.extend_from_slice(b",\n");
            w.write_all(&head)?;
            size += head.len() as u64;
            // Format a batch in parallel, in chunks, then write the chunks in order.
            let mut start = 0;
            while start < self.units.len() {
                let end = (start + batch).min(self.units.len());
                let chunks: Vec<Vec<u8>> = (start..end)
                    .step_by(CHUNK)
                    .collect::<Vec<_>>()
                    .into_par_iter()
                    .map(|a| {
                        let b = (a + CHUNK).min(end);
                        let mut out = Vec::with_capacity((b - a) * 42 * 40);
                        self.format_units(month, a..b, &mut out);
                        out
                    })
                    .collect();
                for c in &chunks {
                    w.write_all(c)?;
                    size += c.len() as u64;
                }
                start = end;
            }
            w.flush().with_context(|| format!("cannot write {}", path.display()))?;
            written.push((path, size));
        }
        Ok(written)
    }

    // -----------------------------------------------------------------------
    // Memory.

    /// The model, by parsing the generated plan text and subjects text.
    pub fn model(&self) -> anyhow::Result<Model> {
        let plan = self.plan_text();
        let subjects = self.subjects_csv();
        let loaded = load_plan("plan.toml", &plan, Some(SubjectsSource { file: "subjects.csv", text: &subjects }))
            .map_err(|problems| {
                let shown: Vec<String> = problems.iter().take(20).map(|p| p.render(Lang::En)).collect();
                anyhow!("the generated plan does not load ({} problems):\n  {}", problems.len(), shown.join("\n  "))
            })?;
        let model = loaded.model;
        // Units follow the area, in generation order; the data builder relies on it.
        if model.subjects.len() != self.units.len() + 1
            || model.subjects[0].key != AREA_KEY
            || model.subjects[1..].iter().zip(&self.units).any(|(s, u)| s.key != u.key)
        {
            bail!("the loaded subjects are not in generation order");
        }
        Ok(model)
    }

    /// The data of every month, built directly (in parallel) without CSV.
    pub fn data(&self, model: &Model, roster: &Arc<Roster>) -> anyhow::Result<DataSet> {
        let mut ds = DataSet::default();
        for month in 1..=self.months {
            ds.insert(self.period_data(model, roster, month)?);
        }
        Ok(ds)
    }

    /// One month's data, built directly.
    pub fn period_data(&self, model: &Model, roster: &Arc<Roster>, month: u8) -> anyhow::Result<yardstick_engine::PeriodData> {
        let p = Period::month(YEAR, month);
        let b = PeriodDataBuilder::new(model, roster.clone(), p);
        let ver = &model.versions[model.version_for(p) as usize];
        let index: Vec<u32> = INDICATORS
            .iter()
            .map(|d| {
                ver.indicators
                    .iter()
                    .position(|i| i.key == d.key)
                    .map(|i| i as u32)
                    .ok_or_else(|| anyhow!("indicator {} is missing from plan version {}", d.key, ver.key))
            })
            .collect::<anyhow::Result<_>>()?;
        let area = model
            .coefficients
            .area_inputs
            .iter()
            .position(|a| a == AREA_INPUT)
            .ok_or_else(|| anyhow!("the plan has no area input {AREA_INPUT}"))?;
        b.set_area(area, self.area_input(month).dec()).map_err(|e| anyhow!("area input: {e:?}"))?;
        let fail = |u: usize, j: usize, e: SetError| anyhow!("{p}: cannot set {} of {}: {e:?}", INDICATORS[j].key, self.units[u].key);
        (0..self.units.len()).into_par_iter().with_min_len(512).try_for_each(|u| {
            let s = u as u32 + 1;
            let mut err = None;
            self.unit_month(month, u, |item| {
                if err.is_some() {
                    return;
                }
                let r = match item {
                    Item::Fields { indicator, vals, n } => {
                        (0..n).try_for_each(|k| b.set(model, s, index[indicator], u32::from(k), vals[usize::from(k)].dec())).map_err(|e| (indicator, e))
                    }
                    Item::Level { indicator, level } => {
                        b.set(model, s, index[indicator], 0, Dec::from_int(i64::from(level))).map_err(|e| (indicator, e))
                    }
                    Item::Event { indicator, amount, reason } => {
                        let event = Event { subject: s, indicator: index[indicator], amount: amount.map_or(Dec::ONE, D::dec), reason: reason.to_text() };
                        b.push_event(model, event).map_err(|e| (indicator, e))
                    }
                };
                if let Err((j, e)) = r {
                    err = Some(fail(u, j, e));
                }
            });
            err.map_or(Ok(()), Err)
        })?;
        Ok(b.finish())
    }
}

/// 20 × 100^(k/64): target sizes spread log-uniformly between 20 and 2000.
const SIZES: [f64; 64] = {
    let mut t = [0.0; 64];
    let step = 1.074_607_828_321_317_5; // 100^(1/64)
    let mut v = 20.0;
    let mut k = 0;
    while k < 64 {
        t[k] = v;
        v *= step;
        k += 1;
    }
    t
};

fn is_event(k: Kind) -> bool {
    matches!(k, Kind::Deduction | Kind::Bonus | Kind::Veto | Kind::Demotion)
}

pub(crate) fn write_period(out: &mut Vec<u8>, month: u8) {
    write_uint(out, u64::from(YEAR));
    out.push(b'-');
    out.push(b'0' + month / 10);
    out.push(b'0' + month % 10);
    out.push(b',');
}

/// A model with its roster and data, generated in memory, and how long each part took.
pub struct InMemory {
    pub model: Model,
    pub roster: Arc<Roster>,
    pub data: DataSet,
    pub model_time: Duration,
    pub data_time: Duration,
}

/// Generates a data set in memory: the model from the plan text, then `months` of data.
pub fn in_memory(scale: Scale, seed: u64, months: u8) -> anyhow::Result<InMemory> {
    let t = Instant::now();
    let syn = Synthetic::new(scale, seed, months);
    let model = syn.model()?;
    let roster = Arc::new(Roster::new(&model));
    let model_time = t.elapsed();
    let t = Instant::now();
    let data = syn.data(&model, &roster)?;
    let data_time = t.elapsed();
    Ok(InMemory { model, roster, data, model_time, data_time })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use yardstick_engine::Scorer;
    use yardstick_formats::data::DataLoader;

    #[test]
    fn decimals_are_written_exactly() {
        for (d, s) in [(D { m: 12345, s: 2 }, "123.45"), (D { m: -5, s: 1 }, "-0.5"), (D { m: 7, s: 3 }, "0.007"), (D::int(0), "0"), (D { m: 100, s: 1 }, "10.0")] {
            let mut out = Vec::new();
            d.write(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), s);
            assert_eq!(Dec::parse(s).unwrap(), d.dec());
        }
    }

    #[test]
    fn weights_and_counts() {
        assert_eq!(Synthetic::indicator_counts(), (40, 4));
        let syn = Synthetic::new(Scale::Province, 3, 1);
        assert_eq!(syn.unit_count(), 10_000);
        assert_eq!(syn.category_count(), 100);
    }

    /// The files and the in-memory builder give the same data, and it scores.
    #[test]
    fn files_and_memory_agree() {
        let syn = Synthetic::new(Scale::County, 7, 3);
        let model = syn.model().unwrap();
        let roster = Arc::new(Roster::new(&model));
        let mem = syn.data(&model, &roster).unwrap();

        let loader = DataLoader::new(&model, roster.clone(), None);
        for month in 1..=3u8 {
            let mut text = b"period,subject,indicator,actual,target,growth,target_growth,level,value,reason\n".to_vec();
            write_period(&mut text, month);
            text.extend_from_slice(b"AREA,g,,,,,,");
            syn.area_input(month).write(&mut text);
            text.extend_from_slice(b",\n");
            syn.format_units(month, 0..syn.unit_count(), &mut text);
            loader.add_csv(&format!("data-{month}.csv"), std::str::from_utf8(&text).unwrap());
        }
        let csv = loader.finish().map_err(|p| p.iter().map(|x| x.render(Lang::En)).collect::<Vec<_>>()).unwrap();

        let p = Period::month(YEAR, 3);
        let a = Scorer::new(&model, roster.clone(), &mem).score(p).unwrap();
        let b = Scorer::new(&model, roster.clone(), &csv).score(p).unwrap();
        let rows = |r: &yardstick_engine::PeriodResult| r.categories.iter().flat_map(|c| c.rows.clone()).collect::<Vec<_>>();
        assert_eq!(rows(&a), rows(&b));
        assert_eq!(rows(&a).len(), 90);
        // Both quota grades are used and nobody passes 优秀 below 90.
        assert!(rows(&a).iter().any(|r| r.grade == 0) && rows(&a).iter().any(|r| r.grade == 2));
        assert!(rows(&a).iter().filter(|r| r.grade == 0).all(|r| r.cents >= 9000));
    }

    /// The county: 90 units in A, B1, B2, C1, C2, D, E with unique names, one veto in
    /// September, and cells that say what the data files say.
    #[test]
    fn county_layout_and_cells() {
        let syn = Synthetic::new(Scale::County, 2026, 12);
        let sizes: Vec<(&str, usize)> = syn.categories().map(|c| (c.key, c.units.len())).collect();
        assert_eq!(sizes, [("A", 10), ("B1", 14), ("B2", 13), ("C1", 12), ("C2", 13), ("D", 16), ("E", 12)]);
        assert_eq!(syn.units().len(), 90);
        let names: std::collections::HashSet<&str> = syn.units().map(|u| u.name).collect();
        assert_eq!(names.len(), 90, "unit names are unique");
        assert!(syn.units().take(10).all(|u| u.name.ends_with("街道") && u.category == "A"));
        assert!(syn.units().any(|u| u.name == "县统计局" && u.category == "D"));
        let mut vetoes = Vec::new();
        let mut per_month = Vec::new();
        for month in 1..=12u8 {
            let mut cells = Vec::new();
            for u in 0..syn.unit_count() {
                syn.unit_month(month, u, |item| {
                    item.cells(|c| {
                        if let Cell::Occurrence { indicator: "VETO", .. } = &c {
                            vetoes.push((month, u));
                        }
                        cells.push((u, item.indicator_key(), c));
                    })
                });
            }
            per_month.push(cells);
        }
        assert_eq!(vetoes, [COUNTY_VETO]);
        // The cells of March, written as CSV rows, are the file's rows.
        let mut file = Vec::new();
        syn.format_units(3, 0..syn.unit_count(), &mut file);
        let mut rows: Vec<String> = String::from_utf8(file).unwrap().lines().map(str::to_string).collect();
        let mut from_cells = BTreeMap::<(usize, &str, Option<String>), [String; 7]>::new();
        let col = |f: &str| ["actual", "target", "growth", "target_growth", "level", "value", "count"].iter().position(|x| *x == f).unwrap();
        for (u, ind, c) in &per_month[2] {
            match c {
                Cell::Value { field, value, .. } => from_cells.entry((*u, ind, None)).or_default()[col(field)] = value.clone(),
                Cell::Occurrence { field, amount, reason, .. } => {
                    // The files write any amount under `value`.
                    let _ = col(field);
                    let e = from_cells.entry((*u, ind, Some(reason.clone()))).or_default();
                    e[5] = amount.clone().unwrap_or_default();
                }
            }
        }
        let mut rebuilt: Vec<String> = from_cells
            .iter()
            .map(|((u, ind, reason), c)| {
                format!("2026-03,{},{ind},{},{},{},{},{},{},{}", syn.units[*u].key, c[0], c[1], c[2], c[3], c[4], c[5], reason.clone().unwrap_or_default())
            })
            .collect();
        rows.sort();
        rebuilt.sort();
        assert_eq!(rows, rebuilt);
    }

    #[test]
    fn same_seed_same_data() {
        let one = |seed| {
            let syn = Synthetic::new(Scale::County, seed, 1);
            let mut out = Vec::new();
            syn.format_units(1, 0..syn.unit_count(), &mut out);
            out
        };
        assert_eq!(one(5), one(5));
        assert_ne!(one(5), one(6));
    }
}
