//! A stable-toolchain stand-in for the fuzz targets in `fuzz/`, run by the normal `cargo test`:
//! arbitrary text and mutations (bit flips, truncation, line duplication, deletion and swaps,
//! insertions of troublesome tokens) of the example plans and data files. `Formula::compile`,
//! `load_plan` and the data loader must answer Ok or Err and never panic; whatever loads is then
//! scored and explained, which must not panic either. A panic fails the case with the input.
//!
//! (A stack overflow aborts the process instead of panicking; the engine's property tests check
//! the one known way to cause one, a very long flat formula, in a child process.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use yardstick_engine::dec::Dec;
use yardstick_engine::formula::Formula;
use yardstick_engine::num::{Exact, Interval, Num};
use yardstick_engine::{Level, Model, Period, Roster, Scorer};
use yardstick_formats::data::DataLoader;
use yardstick_formats::plan::{SubjectsSource, load_plan};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// (name, plan, data) of every worked example.
const EXAMPLES: [(&str, &str, &str); 7] = [
    ("a-blended", include_str!("../../../examples/a-blended/plan.toml"), include_str!("../../../examples/a-blended/data.csv")),
    ("b-ranking", include_str!("../../../examples/b-ranking/plan.toml"), include_str!("../../../examples/b-ranking/data.csv")),
    ("c-coefficients", include_str!("../../../examples/c-coefficients/plan.toml"), include_str!("../../../examples/c-coefficients/data.csv")),
    ("d-veto", include_str!("../../../examples/d-veto/plan.toml"), include_str!("../../../examples/d-veto/data.csv")),
    ("e-annual", include_str!("../../../examples/e-annual/plan.toml"), include_str!("../../../examples/e-annual/data.csv")),
    ("f-democratic", include_str!("../../../examples/f-democratic/plan.toml"), include_str!("../../../examples/f-democratic/data.csv")),
    ("g-survey", include_str!("../../../examples/g-survey/plan.toml"), include_str!("../../../examples/g-survey/data.csv")),
];

/// A plan whose subjects come from a CSV file, for mutating the subjects loader too.
const PLAN_WITH_FILE: &str = r#"
[plan]
key = "s"
name = "subjects file"
year = 2026
subjects = "subjects.csv"

[coefficients]
static_levels = [1.00, 1.03, 1.06]

[[grade_sets]]
key = "g"
grades = [{ name = "优秀", quota = "30%", min_score = 90 }, { name = "良好", quota = "70%" }, { name = "一般" }]

[[categories]]
key = "towns"
name = "乡镇"
grade_set = "g"
coefficients = true

[[indicators]]
key = "SCORE"
name = "综合得分"
method = "direct"
weight = 100
"#;

const SUBJECTS: &str = "key,name,kind,parent,category,static_level\nAREA,新区,area,,,\nT1,城关镇,unit,AREA,towns,1\nT2,大王古庄镇,unit,AREA,towns,2\nT3,高村镇,unit,T1,towns,3\n";
const SUBJECTS_DATA: &str = "period,subject,indicator,value\n2026-03,T1,SCORE,92.5\n2026-03,T2,SCORE,90.10\n2026-03,T3,SCORE,90.1\n";

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    DuplicateLine(usize),
    DeleteLine(usize),
    SwapLines(usize, usize),
    Insert(usize, &'static str),
    InsertLine(usize, &'static str),
    /// Replaces the n-th number in the text.
    ReplaceNumber(usize, &'static str),
    /// Replaces the n-th word (a run of letters, digits, `_` or CJK) in the text.
    ReplaceWord(usize, &'static str),
}

/// Numbers that keep a file well-formed but stress the arithmetic and the checks.
const NUMBERS: &[&str] = &[
    "0", "1", "-1", "2", "3", "0.5", "0.005", "1.005", "-0.005", "100", "1000000", "12", "13", "2026", "2027",
    "9223372036854775807", "-9223372036854775807", "4294967296", "99999999999999999999", "0.000000000000000001",
    "1.999999999999999999", "1e5", "1.5", "-3", "0.1", "0.9", "1.2", "80", "90.005", "89.995", "1,000", "１０", "7%",
];

const WORDS: &[&str] = &[
    "T1", "T2", "SCORE", "DEMOTE", "ECO_VETO", "GDP", "MONTHLY", "QGRADE", "ANNUAL", "DEMO", "SAT", "AREA", "g", "towns",
    "parks", "优秀", "良好", "一般", "不达标", "不评等次", "period", "subject", "indicator", "value", "count", "reason", "grade",
    "actual", "target", "growth", "target_growth", "month", "quarter", "half", "year", "direct", "completion", "blended",
    "veto", "demotion", "formula", "bonus", "deduction", "ballots", "rank_points", "assigned_grade", "floor", "ceil",
    "half_up", "above", "below", "true", "false", "x", "",
];

const TOKENS: &[&str] = &[
    "\"", "'", "[", "]", "[[", "]]", "{", "}", "=", ",", ",,", "\n", "\r\n", "\r", "\t", "#", "-", "+", ".", "%", "/", "\\",
    "0", "-1", "1e400", "nan", "inf", "-inf", "1.7976931348623157e308", "\"30%\"", "\"150%\"", "\"-5%\"", "\"2/3\"", "\"1/0\"",
    "99999999999999999999", "9223372036854775807", "-9223372036854775808", "0.0000000000000000001", "0.005", "1.005",
    "\u{feff}", "１２３", "．", "％", "－", "，", "；", "𝔘", "\u{0}", "\"\"", "2026-13", "2026-Q5", "2026-H3", "2027-01", "2026",
    "2026-Q1", "2026-12", "true", "false", "T1", "SCORE", "DEMOTE", "reason", "value", "count", "grade", "level", "actual",
    "target", "growth", "target_growth", "优秀", "一般", "不达标", "a/0", "(((((", ")))))", "min(", "if(", "weight", "total",
];

/// Whole lines that make structural changes plausible to a TOML or CSV parser.
const LINES: &[&str] = &[
    "[[indicators]]",
    "key = \"X\"",
    "name = \"X\"",
    "method = \"formula\"",
    "formula = \"actual / target * weight\"",
    "formula = \"1 / 0\"",
    "inputs = [\"actual\", \"target\"]",
    "method = \"rank_points\"",
    "table = [60, 57, 54]",
    "method = \"interpolate\"",
    "points = [[0, 0], [0, 1]]",
    "method = \"bands\"",
    "bands = [[0, 0.5], [-1, 1]]",
    "level = \"quarter\"",
    "level = \"year\"",
    "[[versions]]",
    "from = \"2026-04\"",
    "remove = [\"SCORE\"]",
    "[aggregation.year]",
    "components = [{ parts = \"quarter\", share = 0.5 }, { indicator = \"SCORE\", share = 0.5 }]",
    "grade_adjust = { level = \"month\", points = { \"优秀\" = 1 } }",
    "[[modules]]",
    "until = \"2026-02\"",
    "weight = 0",
    "weight = -5",
    "replaces = \"SCORE\"",
    "subjects = [\"T1\"]",
    "categories = [\"towns\"]",
    "quota_overrides = { \"优秀\" = \"150%\" }",
    "veto_grade = \"优秀\"",
    "static_level = 9",
    "parent = \"T1\"",
    "[[subjects]]",
    "2026-03,T1,SCORE,1e9,",
    "2026-03,T1,DEMOTE,4294967296,why",
    "2026-03,T1,DEMOTE,99999999999999999999,why",
    "2026-03,D3,ECO_VETO,0,none",
    "2026-Q1,TEAM1,QGRADE,,不存在",
    "2026-03,AREA,g,８．５",
    "\"2026-03\",\"T1\",\"SCORE\",\"9\"\"0\"",
];

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(p, b)| Mutation::FlipBit(p, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::SetByte(p, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        2 => any::<usize>().prop_map(Mutation::DuplicateLine),
        2 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        4 => (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(p, t)| Mutation::Insert(p, t)),
        3 => (any::<usize>(), prop::sample::select(LINES)).prop_map(|(p, l)| Mutation::InsertLine(p, l)),
        8 => (any::<usize>(), prop::sample::select(NUMBERS)).prop_map(|(k, t)| Mutation::ReplaceNumber(k, t)),
        4 => (any::<usize>(), prop::sample::select(WORDS)).prop_map(|(k, t)| Mutation::ReplaceWord(k, t)),
    ]
}

/// Replaces the (k mod count)-th maximal run of bytes in `class` with `with`.
fn replace_nth(b: &[u8], k: usize, with: &str, class: impl Fn(u8) -> bool) -> Vec<u8> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if class(b[i]) {
            let start = i;
            while i < b.len() && class(b[i]) {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    if runs.is_empty() {
        return b.to_vec();
    }
    let (start, end) = runs[k % runs.len()];
    let mut out = b[..start].to_vec();
    out.extend_from_slice(with.as_bytes());
    out.extend_from_slice(&b[end..]);
    out
}

fn mutate(text: &str, ms: &[Mutation]) -> String {
    let mut b = text.as_bytes().to_vec();
    for m in ms {
        let lines = |b: &[u8]| -> Vec<Vec<u8>> { b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
        match *m {
            Mutation::FlipBit(p, bit) if !b.is_empty() => {
                let i = p % b.len();
                b[i] ^= 1 << bit;
            }
            Mutation::SetByte(p, v) if !b.is_empty() => {
                let i = p % b.len();
                b[i] = v;
            }
            Mutation::Truncate(p) => b.truncate(p % (b.len() + 1)),
            Mutation::DuplicateLine(p) => {
                let mut ls = lines(&b);
                let i = p % ls.len();
                ls.insert(i, ls[i].clone());
                b = ls.join(&b'\n');
            }
            Mutation::DeleteLine(p) => {
                let mut ls = lines(&b);
                ls.remove(p % ls.len());
                b = ls.join(&b'\n');
            }
            Mutation::SwapLines(x, y) => {
                let mut ls = lines(&b);
                let n = ls.len();
                ls.swap(x % n, y % n);
                b = ls.join(&b'\n');
            }
            Mutation::Insert(p, t) => {
                let i = p % (b.len() + 1);
                b.splice(i..i, t.bytes());
            }
            Mutation::InsertLine(p, l) => {
                let mut ls = lines(&b);
                ls.insert(p % (ls.len() + 1), l.as_bytes().to_vec());
                b = ls.join(&b'\n');
            }
            Mutation::ReplaceNumber(k, t) => b = replace_nth(&b, k, t, |c| c.is_ascii_digit() || c == b'.'),
            Mutation::ReplaceWord(k, t) => b = replace_nth(&b, k, t, |c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80),
            _ => {}
        }
    }
    // The loaders take text; files that are not UTF-8 are refused before them.
    String::from_utf8_lossy(&b).into_owned()
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/// Runs `f`, turning a panic into a failed case that shows the input.
fn no_panic<T>(what: &str, input: &dyn std::fmt::Debug, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
        TestCaseError::fail(format!("{what} panicked ({msg}) on input:\n{input:?}"))
    })
}

/// Scores every period the data has, the periods enclosing them, and explains every subject.
fn score_everything(model: &Model, ds: &yardstick_engine::DataSet) {
    let roster = Arc::new(Roster::new(model));
    let scorer = Scorer::new(model, roster, ds);
    let mut periods: Vec<Period> = Vec::new();
    for p in ds.periods.keys() {
        for level in Level::ALL {
            if level >= p.level {
                periods.push(p.enclosing(level));
            }
        }
    }
    periods.sort();
    periods.dedup();
    for p in periods {
        if let Ok(r) = scorer.score(p) {
            for c in &r.categories {
                for row in &c.rows {
                    let _ = scorer.explain(p, row.subject);
                }
            }
        }
    }
}

fn load_data(model: &Model, files: &[(&str, &str)]) -> Option<yardstick_engine::DataSet> {
    let loader = DataLoader::new(model, Arc::new(Roster::new(model)), None);
    for (name, text) in files {
        loader.add_csv(name, text);
    }
    loader.finish().ok()
}

/// Loads a plan (with an optional subjects file) and data, scoring whatever loads.
fn pipeline(plan: &str, subjects: Option<&str>, data: &[(&str, &str)]) {
    let src = subjects.map(|text| SubjectsSource { file: "subjects.csv", text });
    let Ok(loaded) = load_plan("plan.toml", plan, src) else { return };
    // Messages are rendered for people: render them all, in both languages.
    if let Some(ds) = load_data(&loaded.model, data) {
        score_everything(&loaded.model, &ds);
    }
}

fn problems_render(plan: &str) {
    if let Err(problems) = load_plan("plan.toml", plan, None) {
        for p in problems {
            let _ = (p.render(yardstick_formats::Lang::Zh), p.render(yardstick_formats::Lang::En));
        }
    }
}

const FORMULA_ALPHABET: &[&str] = &[
    "a", "b", "c", "weight", "total", "x", "中", "_", " ", "0", "1", "2.5", ".5", "5.", "1.2.3", "30%", "%", "0.005",
    "99999999999999999999", "+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!=", "=", "!", "&&", "||", "&", "|", "(",
    ")", ",", "min", "max", "clamp", "abs", "floor", "ceil", "round", "if", "sqrt", "round(a, 7)", "round(a, 2)", "１",
    "\u{0}", "\u{301}", "𝔘", "\n",
];

/// Well-formed formulas from the grammar (numbers, names, operators, every function, conditions),
/// so that evaluation is exercised, not only the error paths.
fn arb_wellformed_formula() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["a", "b", "c"]).prop_map(String::from),
        prop::sample::select(vec!["0", "1", "2", "0.5", ".5", "0.005", "30%", "12.5%", "100", "9223372036854775807", "0.000000000000000001"]).prop_map(String::from),
    ];
    leaf.prop_recursive(6, 64, 4, |inner| {
        let cmp = (inner.clone(), prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]), inner.clone()).prop_map(|(a, o, b)| format!("{a} {o} {b}"));
        let cond = prop_oneof![
            3 => cmp.clone(),
            1 => cmp.clone().prop_map(|c| format!("!({c})")),
            1 => (cmp.clone(), prop::sample::select(vec!["&&", "||"]), cmp).prop_map(|(a, o, b)| format!("({a}) {o} ({b})")),
        ];
        prop_oneof![
            6 => (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/"]), inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
            1 => inner.clone().prop_map(|a| format!("-{a}")),
            2 => (prop::sample::select(vec!["min", "max"]), vec(inner.clone(), 2..4)).prop_map(|(f, v)| format!("{f}({})", v.join(", "))),
            1 => vec(inner.clone(), 3).prop_map(|v| format!("clamp({})", v.join(", "))),
            2 => (prop::sample::select(vec!["abs", "floor", "ceil"]), inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            1 => (inner.clone(), 0u32..=6).prop_map(|(a, k)| format!("round({a}, {k})")),
            2 => (cond, inner.clone(), inner).prop_map(|(c, a, b)| format!("if({c}, {a}, {b})")),
        ]
    })
}

fn arb_formula_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => ".{0,60}",
        3 => vec(prop::sample::select(FORMULA_ALPHABET), 0..40).prop_map(|v| v.concat()),
        5 => arb_wellformed_formula(),
        // Well-formed, then damaged in one place.
        2 => (arb_wellformed_formula(), any::<usize>(), prop::sample::select(FORMULA_ALPHABET)).prop_map(|(f, at, t)| {
            let cut = f.char_indices().map(|(i, _)| i).nth(at % (f.chars().count() + 1)).unwrap_or(f.len());
            format!("{}{t}{}", &f[..cut], &f[cut..])
        }),
    ]
}

fn arb_value() -> impl Strategy<Value = Dec> {
    prop_oneof![
        4 => (-1_000_000i64..1_000_000, 0u8..=4).prop_map(|(m, s)| Dec::new(m, s)),
        1 => (-i64::MAX..=i64::MAX, 0u8..=18).prop_map(|(m, s)| Dec::new(m, s)),
        1 => Just(Dec::ZERO),
    ]
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn formula_compile_and_eval_never_panic(src in arb_formula_text(), vals in [arb_value(), arb_value(), arb_value()]) {
        let f = no_panic("Formula::compile", &src, || Formula::compile(&src, &["a", "b", "c"]))?;
        match f {
            Ok(f) => {
                let ex: Vec<Exact> = vals.iter().map(|v| Exact::from_dec(*v)).collect();
                let iv: Vec<Interval> = vals.iter().map(|v| Interval::from_dec(*v)).collect();
                let input = (&src, vals);
                let e = no_panic("eval::<Exact>", &input, || f.eval(&ex).map(|x| (x.round_cents(), x.display(4))))?;
                let i = no_panic("eval::<Interval>", &input, || f.eval(&iv).map(|x| x.round_cents()))?;
                // Where the fast path decides, it agrees.
                if let (Ok((exact, _)), Ok(Ok(fast))) = (&e, &i) {
                    prop_assert_eq!(*exact, Ok(*fast), "{:?}: interval and exact disagree", input);
                }
            }
            Err(e) => {
                // The message names a place inside the text (or its end).
                prop_assert!(e.offset <= src.chars().count(), "{:?}: offset {} beyond the end", src, e.offset);
                let _ = (e.message(true), e.message(false));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn load_plan_never_panics_on_arbitrary_text(text in prop_oneof![".{0,300}", "[\\[\\]{}=,\"'a-z0-9 .\\n#%-]{0,300}"]) {
        no_panic("load_plan", &text, || problems_render(&text))?;
    }

    #[test]
    fn plan_mutations_never_panic(ex in 0..EXAMPLES.len(), ms in vec(arb_mutation(), 1..4)) {
        let (name, plan, data) = EXAMPLES[ex];
        let text = mutate(plan, &ms);
        no_panic("load_plan and scoring", &(name, &ms, &text), || {
            problems_render(&text);
            pipeline(&text, None, &[("data.csv", data)]);
        })?;
    }

    #[test]
    fn data_mutations_never_panic(ex in 0..EXAMPLES.len(), ms in vec(arb_mutation(), 1..4)) {
        let (name, plan, data) = EXAMPLES[ex];
        let text = mutate(data, &ms);
        no_panic("data loading and scoring", &(name, &ms, &text), || pipeline(plan, None, &[("data.csv", &text)]))?;
    }

    #[test]
    fn plan_and_data_mutations_never_panic(ex in 0..EXAMPLES.len(), mp in vec(arb_mutation(), 1..3), md in vec(arb_mutation(), 1..3)) {
        let (name, plan, data) = EXAMPLES[ex];
        let (plan, data) = (mutate(plan, &mp), mutate(data, &md));
        no_panic("loading and scoring", &(name, &mp, &md, &plan, &data), || pipeline(&plan, None, &[("data.csv", &data)]))?;
    }

    #[test]
    fn data_loader_never_panics_on_arbitrary_text(text in prop_oneof![".{0,300}", "[,\"\\n\\r0-9.%-]{0,200}", "period,subject,indicator,value,reason\\n[,\"\\nT0-9.%-]{0,200}"]) {
        let (_, plan, _) = EXAMPLES[1];
        no_panic("data loading and scoring", &text, || pipeline(plan, None, &[("data.csv", &text)]))?;
    }

    #[test]
    fn subjects_file_mutations_never_panic(ms in vec(arb_mutation(), 1..4), on_plan in any::<bool>()) {
        let (plan, subjects) = if on_plan { (mutate(PLAN_WITH_FILE, &ms), SUBJECTS.to_string()) } else { (PLAN_WITH_FILE.to_string(), mutate(SUBJECTS, &ms)) };
        no_panic("subjects loading and scoring", &(&ms, &plan, &subjects), || {
            pipeline(&plan, Some(&subjects), &[("data.csv", SUBJECTS_DATA)]);
        })?;
    }
}

/// The unmutated examples load and score: the mutation tests start from valid inputs, and the
/// checks above are not passing merely because nothing ever loads.
#[test]
fn unmutated_examples_load_and_score() {
    for (name, plan, data) in EXAMPLES {
        let model = load_plan("plan.toml", plan, None).unwrap_or_else(|p| panic!("{name}: {p:?}")).model;
        let ds = load_data(&model, &[("data.csv", data)]).unwrap_or_else(|| panic!("{name}: data refused"));
        assert!(!ds.periods.is_empty(), "{name}");
        score_everything(&model, &ds);
    }
    let model = load_plan("plan.toml", PLAN_WITH_FILE, Some(SubjectsSource { file: "subjects.csv", text: SUBJECTS }))
        .unwrap_or_else(|p| panic!("{p:?}"))
        .model;
    let ds = load_data(&model, &[("data.csv", SUBJECTS_DATA)]).unwrap();
    let scorer = Scorer::new(&model, Arc::new(Roster::new(&model)), &ds);
    assert!(scorer.score(Period::parse("2026-03").unwrap()).is_ok());
}

/// FAILS (finding): ballot flags compare `hit × b.num × a.den` with `all × a.num × b.den` in
/// `i128` (score.rs, `Method::Ballots`), which overflows (a panic in debug builds, a wrong flag in
/// release) for counts the data loader accepts and a share written with large numbers.
#[test]
fn ballot_flags_with_extreme_counts_do_not_panic() {
    let (_, plan, _) = EXAMPLES[5];
    let plan = plan.replace("share = \"2/3\"", "share = \"2000000000000000000/3000000000000000000\"");
    assert!(plan.contains("2000000000000000000/3000000000000000000"));
    let max = i64::MAX.to_string();
    let data = format!(
        "period,subject,indicator,分管领导.优秀,分管领导.称职,分管领导.基本称职,分管领导.不称职,干部职工.优秀,干部职工.称职,干部职工.基本称职,干部职工.不称职,考核组.优秀,考核组.称职,考核组.基本称职,考核组.不称职\n2026-12,L1,DEMO{}\n2026-12,L2,DEMO,2,1,0,0,22,14,3,1,3,2,0,0\n",
        format!(",{max}").repeat(12)
    );
    let model = load_plan("plan.toml", &plan, None).unwrap_or_else(|p| panic!("{p:?}")).model;
    let ds = load_data(&model, &[("data.csv", &data)]).expect("the data loader accepts these counts");
    let r = no_panic("scoring ballots", &data, || {
        let scorer = Scorer::new(&model, Arc::new(Roster::new(&model)), &ds);
        scorer.score(Period::parse("2026-12").unwrap()).map(|r| r.categories[0].rows.iter().map(|row| row.flags.clone()).collect::<Vec<_>>())
    });
    match r {
        Ok(Ok(flags)) => {
            // Every answer counted equally often: 优秀 and 称职 make exactly half, below 2/3.
            assert!(flags.iter().any(|f| f.iter().any(|m| m.contains("优秀和称职票不足三分之二"))), "flags: {flags:?}");
        }
        Ok(Err(e)) => panic!("scoring refused: {e:?}"),
        Err(e) => panic!("{e}"),
    }
}
