//! The living demo (`yardstick serve --demo`): a realistic county in one step.
//!
//! Everything goes through the storage API, so every step is in the audit log: the area
//! whose growth drives the dynamic coefficient, 7 categories (A, B1, B2, C1, C2, D, E) and
//! 90 units with their static coefficient levels, one plan for 2026 (the synthetic plan of
//! `yardstick gen`: 40 weighted common and characteristic indicators per category,
//! deductions, bonus items, a veto, a demotion, static and dynamic coefficients, strict
//! quotas and a mid-year version), twelve months of data, the 19 periods of the year, the
//! months and quarters computed and published — except December, which stays an
//! office-only preview — and one user per role.
//!
//! Loading is idempotent and resumable: each step looks first and does only what is
//! missing, so a second run changes nothing (not one audit row) and prints the same
//! credentials again, and a run that was interrupted completes on the next start.
//!
//! `Scale::Province` (10,000 units, for benchmarks) takes the same steps but computes and
//! publishes only the first quarter: see [`Spec`].

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use rayon::prelude::*;
use yardstick_engine::{Level, Period};
use yardstick_formats::Lang;
use yardstick_project::r#gen::{AREA_INPUT, AREA_KEY, Cell, Scale, Synthetic, YEAR};
use yardstick_storage::plans::Plan;
use yardstick_storage::registry::{Area, Category, Unit};
use yardstick_storage::values::{BulkRow, OccurrenceInput, ValueInput};
use yardstick_storage::{Db, NewUser, Role};

use crate::compute::{self, ComputeError};

/// The password of every demo account (printed at start; never use it in production).
pub const DEMO_PASSWORD: &str = "yardstick-demo";
/// The seed of the demo's synthetic data (the same data as `yardstick gen --seed 2026`).
pub const DEMO_SEED: u64 = 2026;
/// Who the audit log says loaded the demo.
pub const DEMO_ACTOR: &str = "demo";

/// What a scale of the demo loads and publishes.
#[derive(Clone, Debug)]
pub struct Spec {
    pub scale: Scale,
    pub plan_key: &'static str,
    pub plan_name: &'static str,
    pub office: &'static str,
    pub area_name: &'static str,
    /// Periods computed and published, in this order.
    pub published: Vec<Period>,
    /// Periods computed but left unpublished (an office-only preview).
    pub preview: Vec<Period>,
}

impl Spec {
    pub fn of(scale: Scale) -> anyhow::Result<Spec> {
        let m = |i| Period::month(YEAR, i);
        let q = |i| Period { year: YEAR, level: Level::Quarter, index: i };
        let h = |i| Period { year: YEAR, level: Level::Half, index: i };
        match scale {
            Scale::County => {
                // Every month but December, with the quarters and the half-year they close.
                let mut published = Vec::new();
                for i in 1..=11 {
                    published.push(m(i));
                    if i.is_multiple_of(3) {
                        published.push(q(i / 3));
                    }
                    if i == 6 {
                        published.push(h(1));
                    }
                }
                Ok(Spec {
                    scale,
                    plan_key: "demo-2026",
                    plan_name: "演示县2026年度绩效考核方案",
                    office: "演示县考核办",
                    area_name: "全县",
                    published,
                    preview: vec![m(12), q(4), h(2), Period::year(YEAR)],
                })
            }
            // Each computed period stores every unit's explanation (about 26 KB: 260 MB a
            // period, 5 GB for the year's 19) and takes close to a minute on two cores; the
            // first quarter shows the scale without filling a disk.
            Scale::Province => Ok(Spec {
                scale,
                plan_key: "demo-province-2026",
                plan_name: "演示省2026年度绩效考核方案（10,000个单位）",
                office: "演示省考核办",
                area_name: "全省",
                published: vec![m(1), m(2), m(3), q(1)],
                preview: vec![],
            }),
            Scale::Country => bail!("the demo loads the county or the province; for the country scale use `yardstick gen` and `yardstick bench`"),
        }
    }

    /// Every period of the year: 12 months, 4 quarters, 2 halves and the year.
    pub fn periods() -> Vec<Period> {
        let y = Period::year(YEAR);
        let mut v = Vec::new();
        for level in Level::ALL {
            v.extend(y.parts(level));
        }
        v
    }
}

/// The demo's accounts: (username, role, display name, unit: `A` first unit of category A,
/// `D` the statistics bureau or else the first unit of category D).
const USERS: [(&str, Role, &str, Option<&str>); 9] = [
    ("admin", Role::Admin, "王建平（考评办主任）", None),
    ("staff", Role::Staff, "李晓梅（考评办科员）", None),
    ("reporter", Role::Reporter, "张敏（填报员）", Some("A")),
    ("leader", Role::UnitLeader, "刘振华（单位负责人）", Some("A")),
    ("dept", Role::Department, "陈立新（统计员）", Some("D")),
    ("expert", Role::Expert, "赵文博（评审专家）", None),
    ("surveyor", Role::Surveyor, "周静（第三方评估机构）", None),
    ("viewer", Role::Viewer, "孙志强（县领导）", None),
    ("auditor", Role::Auditor, "吴海燕（审计纪检）", None),
];

/// What one run did or found.
#[derive(Default)]
struct Tally {
    created: usize,
    values: usize,
    occurrences: usize,
    registry: Duration,
    data: Duration,
    scoring: Duration,
    users: Duration,
    computed: usize,
    published: usize,
    /// Demo accounts found with a password other than the demo's.
    other_password: Vec<&'static str>,
}

fn compute_err(period: &str, e: ComputeError) -> anyhow::Error {
    match e {
        ComputeError::Storage(e) => anyhow!("computing {period}: {e}"),
        ComputeError::Problems(p) => {
            let shown: Vec<String> = p.iter().take(10).map(|x| x.render(Lang::En)).collect();
            anyhow!("computing {period}: {} problems:\n  {}", p.len(), shown.join("\n  "))
        }
    }
}

/// The synthetic plan text with the demo's key, name and office.
fn plan_text(syn: &Synthetic, spec: &Spec) -> String {
    let text = syn.plan_text();
    let mut out = String::with_capacity(text.len() + 256);
    let _ = writeln!(out, "# 演示方案：由 `yardstick serve --demo` 载入的合成数据（种子 {DEMO_SEED}），数据与人名均为虚构。");
    let mut in_plan = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_plan = line.trim() == "[plan]";
        }
        if in_plan && line.starts_with("key = ") {
            let _ = writeln!(out, "key = \"{}\"", spec.plan_key);
        } else if in_plan && line.starts_with("name = ") {
            let _ = writeln!(out, "name = \"{}\"", spec.plan_name);
        } else if in_plan && line.starts_with("office = ") {
            let _ = writeln!(out, "office = \"{}\"", spec.office);
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(OVERSIGHT_RULES);
    out
}

/// The demo's monitoring, consequence and rectification rules (M14, M15; see
/// `docs/plan-format.md`), with the grades of the demo's grade set.
const OVERSIGHT_RULES: &str = r#"
# 监测预警（M15）：地区生产总值完成率低于目标的 90%、增速低于上年同期、能耗超控制目标的单位，发预警通知单。
[[warnings]]
indicator = "G01"
measure = "target"
threshold = 0.9
text = "{period}“{indicator}”目标完成率为{value}，低于预警线{line}。请于收到本通知后 10 个工作日内分析原因、提出措施，并书面报告考核办。"

[[warnings]]
indicator = "G01"
measure = "last_year"
text = "{period}“{indicator}”增速为{value}，低于上年同期（预警线{line}）。请分析原因，采取有效措施扭转下滑态势。"

[[warnings]]
indicator = "CTL"
measure = "target"
text = "{period}“{indicator}”为控制目标的{value}，超过预警线{line}。请立即采取节能降耗措施。"

# 结果运用（M14）：季度、半年、年度排名靠后和年度等次“一般”的后续措施，由考核办确认。
[[consequences]]
level = "quarter"
bottom = 2
action = "提醒谈话"

[[consequences]]
level = "half"
bottom = 2
action = "调整岗位"

[[consequences]]
level = "year"
bottom = 2
action = "严肃处理"

[[consequences]]
level = "year"
bottom = 1
action = "组织约谈"

[[consequences]]
level = "year"
bottom = 1
consecutive = 2
action = "组织调整"

[[consequences]]
level = "year"
grade = "一般"
action = "书面整改报告"

[[consequences]]
level = "year"
grade = "一般"
consecutive = 2
action = "通报批评"

# 整改（M15）：扣分、一票否决、核验发现弄虚作假和月度等次“一般”的单位，30 天内报送整改报告。
[rectification]
days = 30
grades = ["一般"]

# 奖励（M12、M14）：月度先进单位按等次发固定奖金；季度绩效奖金池按等次系数 × 得分分配，以分为单位，合计等于奖金池。
[[rewards]]
key = "monthly"
name = "月度先进单位奖"
level = "month"
grades = [{ name = "优秀", amount = 20000 }, { name = "良好", amount = 5000 }]

[[rewards]]
key = "quarterly"
name = "季度绩效奖金"
level = "quarter"
pool = 1000000
grades = [{ name = "优秀", factor = 1.5 }, { name = "良好", factor = 1.2 }, { name = "一般", factor = 1 }]
by_score = true
"#;

/// One month's rows: the area's input, then every unit's values and occurrences.
fn month_rows(syn: &Synthetic, month: u8) -> Vec<BulkRow> {
    let period = Period::month(YEAR, month).to_string();
    let keys: Vec<&str> = syn.units().map(|u| u.key).collect();
    let mut rows = vec![BulkRow::Value {
        period: period.clone(),
        subject: AREA_KEY.into(),
        input: ValueInput { indicator: AREA_INPUT.into(), field: "value".into(), value: syn.area_input(month).to_string() },
    }];
    let per_unit: Vec<Vec<BulkRow>> = (0..keys.len())
        .into_par_iter()
        .with_min_len(256)
        .map(|u| {
            let mut out = Vec::with_capacity(48);
            syn.unit_month(month, u, |item| {
                item.cells(|cell| {
                    let (period, subject) = (period.clone(), keys[u].to_string());
                    out.push(match cell {
                        Cell::Value { indicator, field, value } => {
                            BulkRow::Value { period, subject, input: ValueInput { indicator: indicator.into(), field: field.into(), value } }
                        }
                        Cell::Occurrence { indicator, field, amount, reason } => {
                            BulkRow::Occurrence { period, subject, input: OccurrenceInput { indicator: indicator.into(), field: field.into(), amount, reason } }
                        }
                    })
                })
            });
            out
        })
        .collect();
    rows.extend(per_unit.into_iter().flatten());
    rows
}

/// (values, occurrences) in the twelve months, counted without building them.
fn data_counts(syn: &Synthetic) -> (usize, usize) {
    (1..=12u8)
        .into_par_iter()
        .map(|month| {
            let (mut v, mut o) = (1, 0);
            for u in 0..syn.unit_count() {
                syn.unit_month(month, u, |item| {
                    item.cells(|cell| match cell {
                        Cell::Value { .. } => v += 1,
                        Cell::Occurrence { .. } => o += 1,
                    })
                });
            }
            (v, o)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Loads the demo (or completes a partial load); returns the text to print, with the
/// credentials. A second run changes nothing and prints the credentials again.
pub async fn load_demo(db: &Db, scale: Scale, now_ms: i64) -> anyhow::Result<String> {
    let started = Instant::now();
    let spec = Spec::of(scale)?;
    for other in [Scale::County, Scale::Province].into_iter().filter(|s| *s != scale) {
        let key = Spec::of(other)?.plan_key;
        if db.plan(key).await?.is_some() {
            bail!("this database already holds the {} demo (plan '{key}'); load the {} demo into a fresh database", other.key(), scale.key());
        }
    }
    let syn = Arc::new(tokio::task::spawn_blocking(move || Synthetic::new(scale, DEMO_SEED, 12)).await?);
    let actor = DEMO_ACTOR;
    let mut t = Tally::default();
    // The registry's units are every plan's subjects: units of someone else's would join the
    // demo's rankings. A first load therefore wants a registry holding nothing but the demo's
    // (an interrupted load leaves only those).
    if db.plan(spec.plan_key).await?.is_none() {
        let ours: HashSet<&str> = syn.units().map(|u| u.key).collect();
        let foreign = db.units(None).await?.into_iter().filter(|u| !ours.contains(u.key.as_str())).count();
        if foreign > 0 {
            bail!("the demo needs a database of its own, but this one already holds {foreign} other units; start with an empty data directory or database");
        }
    }

    // 1. The registry: the area, the categories, the units.
    let clock = Instant::now();
    if !db.areas().await?.iter().any(|a| a.key == AREA_KEY) {
        db.create_area(&Area { key: AREA_KEY.into(), name: spec.area_name.into(), parent_key: None }, actor, now_ms).await?;
        t.created += 1;
    }
    let have: HashSet<String> = db.categories().await?.into_iter().map(|c| c.key).collect();
    for (i, c) in syn.categories().enumerate() {
        if !have.contains(c.key) {
            let series = if c.series == "towns" { "乡镇街道系列" } else { "部门系列" };
            db.create_category(&Category { key: c.key.into(), name: c.name.into(), series: series.into(), sort: i as i64 + 1 }, actor, now_ms).await?;
            t.created += 1;
        }
    }
    let have: HashSet<String> = db.units(None).await?.into_iter().map(|u| u.key).collect();
    // Unit names are unique in the registry; the province's generated names repeat.
    let mut seen = HashSet::new();
    for u in syn.units() {
        let name = if seen.insert(u.name) { u.name.to_string() } else { format!("{}（{}）", u.name, u.key) };
        if !have.contains(u.key) {
            let unit = Unit {
                key: u.key.into(),
                name,
                category_key: Some(u.category.into()),
                area_key: Some(AREA_KEY.into()),
                static_level: Some(i64::from(u.static_level)),
                active: true,
            };
            db.create_unit(&unit, actor, now_ms).await?;
            t.created += 1;
        }
    }

    // 2. The plan, its one version and the year's periods.
    if db.plan(spec.plan_key).await?.is_none() {
        db.create_plan(&Plan { key: spec.plan_key.into(), year: i64::from(YEAR), name: spec.plan_name.into() }, actor, now_ms).await?;
        t.created += 1;
    }
    if db.plan_versions(spec.plan_key).await?.is_empty() {
        let text = plan_text(&syn, &spec);
        compute::check_plan(db, &text).await.map_err(|e| compute_err("the plan", e))?;
        db.add_plan_version(spec.plan_key, &text, "演示方案：40项共性与个性指标、扣分、加分、一票否决、降名次、静态与动态系数；7月起年中调整", actor, now_ms).await?;
        t.created += 1;
    }
    let open: HashSet<String> = db.periods(spec.plan_key).await?.into_iter().map(|p| p.period).collect();
    for p in Spec::periods() {
        if !open.contains(&p.to_string()) {
            db.open_period(spec.plan_key, &p.to_string(), actor, now_ms).await?;
            t.created += 1;
        }
    }
    t.registry = clock.elapsed();

    // 3. Twelve months of data, one transaction (and one audit row) per month.
    let clock = Instant::now();
    for month in 1..=12u8 {
        let period = Period::month(YEAR, month).to_string();
        if !db.values(spec.plan_key, std::slice::from_ref(&period), Some(AREA_KEY)).await?.is_empty() {
            continue;
        }
        let s = syn.clone();
        let rows = tokio::task::spawn_blocking(move || month_rows(&s, month)).await?;
        db.bulk_load(spec.plan_key, &rows, &period, actor, now_ms).await.with_context(|| format!("loading the data of {period}"))?;
        t.created += 1;
    }
    let s = syn.clone();
    (t.values, t.occurrences) = tokio::task::spawn_blocking(move || data_counts(&s)).await?;
    t.data = clock.elapsed();

    // 4. Compute, then publish; December and what contains it stay an office-only preview.
    let clock = Instant::now();
    let todo = spec.published.iter().map(|p| (*p, true)).chain(spec.preview.iter().map(|p| (*p, false)));
    for (period, publish) in todo {
        let name = period.to_string();
        let set_id = match db.latest_result_set(spec.plan_key, &name).await? {
            Some(s) => s.id,
            None => {
                let c = compute::compute_period(db, spec.plan_key, &name, actor, now_ms).await.map_err(|e| compute_err(&name, e))?;
                t.created += 1;
                t.computed += 1;
                c.set_id
            }
        };
        if publish && db.current_publication(spec.plan_key, &name).await?.is_none() {
            db.publish(set_id, &format!("{}考核结果首次发布", period.label_zh()), actor, now_ms).await?;
            t.created += 1;
            t.published += 1;
        }
    }
    t.scoring = clock.elapsed();

    // 4b. The monthly cycle (the county): October submitted and accepted, four units late;
    // November under way, its deadline a week ahead: most units submitted, some accepted,
    // two returned with a reason, the rest still filling. The demo backdates these steps
    // (its audit rows carry the moments it pretends).
    if spec.scale == Scale::County && db.deadlines(spec.plan_key, "2026-10").await?.is_empty() {
        t.created += cycle_demo(db, spec.plan_key, now_ms).await?;
    }

    // 4c. Monitoring and rectification (the county): the plan's rules run on October and
    // November and on the published quarter and half-year; a second load makes nothing twice.
    if spec.scale == Scale::County {
        t.created += oversight_demo(db, spec.plan_key, now_ms).await?;
    }

    // 5. One user per role, all with the demo password (hashed in parallel, off the async threads).
    let clock = Instant::now();
    let units = db.units(None).await?;
    let first = syn.categories().next().map(|c| c.key.to_string());
    let depts = syn.categories().find(|c| c.series == "depts").map(|c| c.key.to_string());
    let first_unit = units.iter().find(|u| first.is_some() && u.category_key == first).map(|u| u.key.clone());
    let dept_units: Vec<&Unit> = units.iter().filter(|u| depts.is_some() && u.category_key == depts).collect();
    let stats_bureau = dept_units.iter().find(|u| u.name.contains("统计局")).or(dept_units.first()).map(|u| u.key.clone());
    let existing: HashSet<String> = db.users().await?.into_iter().map(|u| u.username).collect();
    let mut hashing = tokio::task::JoinSet::new();
    for (i, (username, ..)) in USERS.iter().enumerate() {
        if !existing.contains(*username) {
            hashing.spawn_blocking(move || (i, yardstick_storage::accounts::hash_password(DEMO_PASSWORD)));
        }
    }
    let mut hashes = BTreeMap::new();
    while let Some(r) = hashing.join_next().await {
        let (i, h) = r?;
        hashes.insert(i, h.map_err(|e| anyhow!("hashing the demo password: {e}"))?);
    }
    for (i, hash) in hashes {
        let (username, role, display, unit) = USERS[i];
        let unit_key = match unit {
            Some("A") => first_unit.clone(),
            Some(_) => stats_bureau.clone(),
            None => None,
        };
        if role.needs_unit() && unit_key.is_none() {
            bail!("no unit for the demo user '{username}'");
        }
        db.create_user(&NewUser { username: username.into(), display_name: display.into(), password_hash: hash, role, unit_key }, actor, now_ms).await?;
        t.created += 1;
    }
    // Accounts that were there already may have another password: say so rather than print a wrong one.
    let mut checking = tokio::task::JoinSet::new();
    for (username, ..) in USERS.iter().filter(|u| existing.contains(u.0)) {
        if let Some((_, hash, _)) = db.user_credentials(username).await? {
            checking.spawn_blocking(move || (*username, yardstick_storage::accounts::verify_password(DEMO_PASSWORD, &hash)));
        }
    }
    while let Some(r) = checking.join_next().await {
        let (username, ok) = r?;
        if !ok {
            t.other_password.push(username);
        }
    }
    t.other_password.sort_unstable();
    t.users = clock.elapsed();

    report(db, &spec, &syn, &t, started.elapsed()).await
}

/// Runs the plan's warning, rectification and consequence rules on a few periods; how many
/// notices, tasks and follow-ups it made.
async fn oversight_demo(db: &Db, plan: &str, now_ms: i64) -> anyhow::Result<usize> {
    let (_, text) = db.plan_text(plan, None).await?.ok_or_else(|| anyhow!("the demo plan has no version"))?;
    let model = Arc::new(compute::check_plan(db, &text).await.map_err(|e| compute_err("the plan", e))?);
    let roster = Arc::new(yardstick_engine::Roster::new(&model));
    let mut made = 0;
    for p in ["2026-10", "2026-11", "2026-Q3", "2026-H1"] {
        let period = Period::parse(p).expect("a valid period");
        let g = crate::api::oversight::apply_rules(db, model.clone(), roster.clone(), plan, period, DEMO_ACTOR, now_ms)
            .await
            .map_err(|e| anyhow!("the oversight rules of {p}: {}", e.json(yardstick_formats::Lang::En)))?;
        made += g.notices.len() + g.tasks.len() + g.follow_ups.len();
    }
    Ok(made)
}

/// `10920012` → `10,920,012`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Pads to a display width (CJK characters take two columns).
fn pad(s: &str, width: usize) -> String {
    let w: usize = s.chars().map(|c| if u32::from(c) >= 0x1100 { 2 } else { 1 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// The text printed at start: credentials, what is loaded, what is published, timings.
async fn report(db: &Db, spec: &Spec, syn: &Synthetic, t: &Tally, total: Duration) -> anyhow::Result<String> {
    let users = db.users().await?;
    let units = db.units(None).await?;
    let unit_name = |k: &Option<String>| k.as_ref().and_then(|k| units.iter().find(|u| &u.key == k)).map(|u| u.name.clone());
    let plan = spec.plan_key;
    let county = spec.scale == Scale::County;
    let list = |ps: &[Period], zh: bool| -> String {
        let months: Vec<&Period> = ps.iter().filter(|p| p.level == Level::Month).collect();
        let mut parts = Vec::new();
        match (months.first(), months.last()) {
            (Some(a), Some(b)) if a != b && zh => parts.push(format!("{}至{}月", a.label_zh(), b.index)),
            (Some(a), Some(b)) if a != b => parts.push(format!("{a} to {b}")),
            (Some(a), _) => parts.push(if zh { a.label_zh() } else { a.to_string() }),
            _ => {}
        }
        parts.extend(ps.iter().filter(|p| p.level != Level::Month).map(|p| if zh { p.label_zh() } else { p.to_string() }));
        parts.join(if zh { "、" } else { ", " })
    };
    let nothing_new = t.created == 0;
    let (n_units, n_cats) = (thousands(syn.unit_count()), syn.category_count());
    let mut cats: Vec<&str> = syn.categories().map(|c| c.key).take(7).collect();
    if n_cats > 7 {
        cats.push("…");
    }
    let cats = cats.join(", ");
    let n_periods = Spec::periods().len();

    let mut o = String::new();
    let rule = "═".repeat(78);
    let _ = writeln!(o, "{rule}");
    let _ = writeln!(o, "标尺 Yardstick 演示{}已就绪（方案 {plan}）", if county { "县" } else { "省" });
    if nothing_new {
        let _ = writeln!(o, "演示数据已在数据库中，本次未作任何改动。");
    }
    let _ = writeln!(o, "请打开 http://127.0.0.1:8080（或 --listen 指定的地址）并登录。");
    let _ = writeln!(o, "所有演示账号的密码均为：{DEMO_PASSWORD}（仅供本机演示，公开部署前请删除或改密）\n");
    let _ = writeln!(o, "  {}{}{}所属单位", pad("用户名", 11), pad("角色", 16), pad("姓名", 26));
    for (username, role, ..) in USERS {
        if let Some(u) = users.iter().find(|u| u.username == username) {
            let _ = writeln!(o, "  {}{}{}{}", pad(&u.username, 11), pad(role.name_zh(), 16), pad(&u.display_name, 26), unit_name(&u.unit_key).unwrap_or_default());
        }
    }
    if !t.other_password.is_empty() {
        let _ = writeln!(o, "  注意：账号 {} 的密码不是演示密码（载入前已存在或已被修改），未作改动。", t.other_password.join("、"));
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "已载入：地区“{}”；{n_cats} 个类别（{cats}）；{n_units} 个单位（含静态系数等级）；\n\
         方案 {plan}（{YEAR} 年度：每类 40 项加权的共性与个性指标，扣分、加分、一票否决、降名次，静态与动态系数，7 月起年中调整）；\n\
         12 个月数据：{} 个数值、{} 条扣分/加分/否决/降名次记录（均写明原因）；{n_periods} 个考核期间（12 个月、4 个季度、2 个半年、全年）。",
        spec.area_name,
        thousands(t.values),
        thousands(t.occurrences)
    );
    let _ = writeln!(o, "已计算并发布：{}。", list(&spec.published, true));
    if spec.preview.is_empty() {
        let _ = writeln!(o, "省级规模只计算并发布第一季度（每个单位的得分说明都要存储）；其余期间可在界面中计算。");
    } else {
        let _ = writeln!(o, "已计算但未发布（仅考评办可预览，各单位看不到）：{}。", list(&spec.preview, true));
    }
    let _ = writeln!(
        o,
        "用时：名录与方案 {}，数据 {}，计算与发布 {}（计算 {} 次、发布 {} 次），账号 {}；合计 {}（{}）。",
        secs(t.registry),
        secs(t.data),
        secs(t.scoring),
        t.computed,
        t.published,
        secs(t.users),
        secs(total),
        db.backend()
    );
    let _ = writeln!(o, "{}", "─".repeat(78));

    let _ = writeln!(o, "Yardstick demo {} ready (plan {plan})", if county { "county" } else { "province" });
    if nothing_new {
        let _ = writeln!(o, "The demo is already in this database; nothing was changed.");
    }
    let _ = writeln!(o, "Open http://127.0.0.1:8080 (or the --listen address) and sign in.");
    let _ = writeln!(o, "Every demo account's password is: {DEMO_PASSWORD} (local demonstration only: remove or change before exposing the server)\n");
    let _ = writeln!(o, "  {}{}unit", pad("username", 11), pad("role", 13));
    for (username, role, ..) in USERS {
        if let Some(u) = users.iter().find(|u| u.username == username) {
            let unit = u.unit_key.as_ref().map(|k| format!("{k} {}", unit_name(&u.unit_key).unwrap_or_default())).unwrap_or_default();
            let _ = writeln!(o, "  {}{}{unit}", pad(&u.username, 11), pad(role.key(), 13));
        }
    }
    if !t.other_password.is_empty() {
        let _ = writeln!(o, "  Note: {} have a password other than the demo's (they existed before or were changed); left as they are.", t.other_password.join(", "));
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Loaded: the area {AREA_KEY} ({}); {n_cats} categories ({cats}); {n_units} units with static coefficient levels;\n\
         plan {plan} ({YEAR}: 40 weighted common and characteristic indicators per category, deductions, bonus items, a veto and a demotion,\n\
         static and dynamic coefficients, a mid-year version from July); 12 months of data: {} values and {} occurrences with reasons;\n\
         {n_periods} periods (12 months, 4 quarters, 2 halves, the year).",
        spec.area_name,
        thousands(t.values),
        thousands(t.occurrences)
    );
    let _ = writeln!(o, "Computed and published: {}.", list(&spec.published, false));
    if spec.preview.is_empty() {
        let _ = writeln!(o, "At province scale only the first quarter is computed and published (every unit's explanation is stored); compute the rest from the UI.");
    } else {
        let _ = writeln!(o, "Computed but NOT published (an office-only preview; units cannot see it): {}.", list(&spec.preview, false));
    }
    let _ = writeln!(
        o,
        "Timings: registry and plan {}, data {}, computing and publishing {} ({} computed, {} published), accounts {}; total {} ({}).",
        secs(t.registry),
        secs(t.data),
        secs(t.scoring),
        t.computed,
        t.published,
        secs(t.users),
        secs(total),
        db.backend()
    );
    let _ = write!(o, "{rule}");
    Ok(o.lines().map(str::trim_end).collect::<Vec<_>>().join("\n"))
}

/// The county's October and November submissions (see `load_demo`); returns the steps taken.
async fn cycle_demo(db: &Db, plan: &str, now_ms: i64) -> anyhow::Result<usize> {
    use yardstick_storage::cycle::Decision;
    const DAY: i64 = 86_400_000;
    let actor = DEMO_ACTOR;
    let units: Vec<_> = db.units(None).await?.into_iter().filter(|u| u.active && u.category_key.is_some()).collect();
    let mut steps = 0;
    let oct_due = now_ms - 11 * DAY;
    db.set_deadline(plan, "2026-10", "", oct_due, actor, now_ms - 40 * DAY).await?;
    for (i, u) in units.iter().enumerate() {
        let late = i % 23 == 7;
        let at = if late { oct_due + (1 + i as i64 % 3) * DAY } else { oct_due - (1 + i as i64 % 5) * DAY };
        db.submit(plan, "2026-10", &u.key, actor, at).await?;
        db.decide_submission(plan, "2026-10", &u.key, Decision::Accept, None, actor, at + DAY / 2).await?;
        steps += 2;
    }
    db.set_deadline(plan, "2026-11", "", now_ms + 7 * DAY, actor, now_ms - 10 * DAY).await?;
    for (i, u) in units.iter().enumerate() {
        let at = now_ms - (1 + i as i64 % 5) * DAY / 4;
        match i % 10 {
            0..=6 => {
                db.submit(plan, "2026-11", &u.key, actor, at).await?;
                steps += 1;
                if i % 10 <= 3 {
                    db.decide_submission(plan, "2026-11", &u.key, Decision::Accept, None, actor, at + DAY / 8).await?;
                    steps += 1;
                } else if i % 10 == 6 && i % 20 == 6 {
                    let why = "固定资产投资完成额与统计快报不一致，请核实后重新报送";
                    db.decide_submission(plan, "2026-11", &u.key, Decision::Return, Some(why), actor, at + DAY / 8).await?;
                    steps += 1;
                }
            }
            _ => {}
        }
    }
    // After October's publication: a correction request awaiting the office, and two
    // appeals — one just filed by the first unit, one with the statistics bureau.
    let stats = units.iter().find(|u| u.name.contains("统计局")).map(|u| u.key.clone());
    if let Some(first) = units.first() {
        let v = db.values(plan, &["2026-10".to_string()], Some(&first.key)).await?;
        if let Some(x) = v.iter().find(|x| x.field == "actual") {
            let bumped = x.value.parse::<f64>().map(|f| format!("{:.2}", f * 1.02)).unwrap_or_else(|_| x.value.clone());
            let c = yardstick_storage::values::ValueInput { indicator: x.indicator.clone(), field: x.field.clone(), value: bumped };
            db.request_correction(plan, "2026-10", &first.key, &c, "统计快报修订后数据上调，附修订说明", actor, now_ms - DAY / 2).await?;
            let a = yardstick_storage::appeals::NewAppeal { plan_key: plan, period: "2026-10", unit: &first.key, indicator: &x.indicator, occurrence_id: None, reason: "10月该项数据口径与统计局快报不一致，得分偏低，请核实" };
            db.file_appeal(&a, actor, now_ms).await?;
            steps += 2;
        }
    }
    let occ = db.occurrences(plan, &["2026-10".to_string()], None).await?;
    if let (Some(o), Some(stats)) = (occ.first(), stats) {
        let a = yardstick_storage::appeals::NewAppeal { plan_key: plan, period: "2026-10", unit: &o.subject, indicator: &o.indicator, occurrence_id: Some(o.id), reason: "该扣分事项已于当月整改到位，且不属本单位责任，请复核" };
        let x = db.file_appeal(&a, actor, now_ms).await?;
        db.route_appeal(x.id, &stats, actor, now_ms).await?;
        steps += 2;
    }
    Ok(steps + 2)
}
