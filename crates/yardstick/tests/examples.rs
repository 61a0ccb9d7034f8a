//! The worked examples of DOMAIN.md (A–G), loaded from `examples/` and checked figure by figure.

use std::path::{Path, PathBuf};

use yardstick::load::{self, Project};
use yardstick_engine::dec::format_cents;
use yardstick_engine::{Period, Scorer};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn project(example: &str) -> Project {
    let dir = root().join("examples").join(example);
    load::load_project(&dir.join("plan.toml"), None, &[dir.join("data.csv")], None)
        .unwrap_or_else(|p| panic!("{example}: {:?}", p.iter().map(|x| x.to_string()).collect::<Vec<_>>()))
}

/// Expected rows in ranking order: (subject, score, rank, tied, grade).
fn check(example: &str, period: &str, expected: &[(&str, &str, u32, bool, &str)]) {
    let p = project(example);
    let scorer = Scorer::new(&p.model, p.roster.clone(), &p.data);
    let r = scorer.score(Period::parse(period).unwrap()).unwrap_or_else(|e| panic!("{example}: {e:?}"));
    let got: Vec<(String, String, u32, bool, String)> = r
        .categories
        .iter()
        .flat_map(|c| c.rows.iter().map(move |row| (c.category, row)))
        .map(|(c, row)| {
            let set = p.model.categories[c as usize].grade_set;
            (
                p.model.subjects[row.subject as usize].key.clone(),
                format_cents(row.cents),
                row.rank,
                row.tied,
                p.model.grade_sets[set as usize].grades[row.grade as usize].name.clone(),
            )
        })
        .collect();
    let want: Vec<(String, String, u32, bool, String)> =
        expected.iter().map(|(s, sc, r, t, g)| (s.to_string(), sc.to_string(), *r, *t, g.to_string())).collect();
    assert_eq!(got, want, "{example} {period}");
}

#[test]
fn example_a_blended_completion_with_amplification() {
    check("a-blended", "2026-06", &[
        ("P1", "121.79", 1, false, "不评等次"),
        ("P3", "103.14", 2, false, "不评等次"),
        ("P2", "81.27", 3, false, "不评等次"),
    ]);
}

#[test]
fn example_a_intermediate_lines() {
    let p = project("a-blended");
    let scorer = Scorer::new(&p.model, p.roster.clone(), &p.data);
    let period = Period::parse("2026-06").unwrap();
    let line = |subject: &str, indicator: &str| {
        let s = p.model.subject_index(subject).unwrap();
        let t = scorer.explain(period, s).unwrap();
        let ver = &p.model.versions[0];
        t.indicators.into_iter().find(|l| ver.indicators[l.indicator as usize].key == indicator).unwrap()
    };
    let fai = line("P2", "FAI");
    assert!(fai.steps.iter().any(|s| s.starts_with("TC = ") && s.ends_with("= 0.7000")), "{:?}", fai.steps);
    assert!(fai.steps.iter().any(|s| s.starts_with("GC = ") && s.ends_with("= 0.0000")), "{:?}", fai.steps);
    assert!(fai.steps.iter().any(|s| s.starts_with("base = ") && s.ends_with("= 8.4000")), "{:?}", fai.steps);
    assert!(fai.steps.iter().any(|s| s.starts_with("penalty = ") && s.ends_with("= 15.3000")), "{:?}", fai.steps);
    assert_eq!(fai.points, "-6.9000");
    let ret = line("P3", "RET");
    assert!(ret.steps.iter().any(|s| s.starts_with("base = ") && s.ends_with("= 6.8000")), "{:?}", ret.steps);
    assert!(ret.steps.iter().any(|s| s.starts_with("penalty = ") && s.ends_with("= 6.6000")), "{:?}", ret.steps);
    let sec = line("P1", "SEC");
    assert!(sec.steps.iter().any(|s| s.starts_with("base = ") && s.ends_with("= 17.4000")), "{:?}", sec.steps);
    assert!(sec.steps.iter().any(|s| s.starts_with("bonus = ") && s.ends_with("= 7.2000")), "{:?}", sec.steps);
}

#[test]
fn example_b_ties_demotion_and_strict_quotas() {
    check("b-ranking", "2026-03", &[
        ("T1", "92.50", 1, false, "优秀"),
        ("T2", "90.10", 2, true, "良好"),
        ("T3", "90.10", 2, true, "良好"),
        ("T5", "85.30", 4, true, "良好"),
        ("T6", "85.30", 4, true, "良好"),
        ("T7", "80.00", 6, false, "一般"),
        ("T4", "86.40", 7, false, "一般"),
        ("T8", "78.20", 8, false, "一般"),
    ]);
}

#[test]
fn example_c_coefficients_reverse_the_order() {
    check("c-coefficients", "2026-05", &[
        ("U1", "97.44", 1, false, "不评等次"),
        ("U3", "97.23", 2, false, "不评等次"),
        ("U2", "92.70", 3, false, "不评等次"),
    ]);
}

#[test]
fn example_d_veto() {
    check("d-veto", "2026-09", &[
        ("D1", "91.00", 1, false, "立功单位"),
        ("D2", "88.50", 2, false, "达标"),
        ("D4", "72.00", 3, false, "达标"),
        ("D5", "58.00", 4, false, "不达标"),
        ("D3", "95.20", 5, false, "不达标"),
    ]);
    let p = project("d-veto");
    let scorer = Scorer::new(&p.model, p.roster.clone(), &p.data);
    let r = scorer.score(Period::parse("2026-09").unwrap()).unwrap();
    let d3 = r.row(p.model.subject_index("D3").unwrap()).unwrap();
    assert_eq!(d3.veto.as_ref().unwrap().reasons, ["发生重大生态环境破坏事件"]);
}

#[test]
fn example_e_annual_composition() {
    check("e-annual", "2026", &[("TEAM1", "89.17", 1, false, "优秀"), ("CADRE1", "87.50", 1, false, "优秀")]);
    // The quarterly grades were assigned and are what the year's adjustment used.
    let p = project("e-annual");
    let scorer = Scorer::new(&p.model, p.roster.clone(), &p.data);
    let team = p.model.subject_index("TEAM1").unwrap();
    let grades: Vec<String> = (1..=4)
        .map(|q| {
            let r = scorer.score(Period::parse(&format!("2026-Q{q}")).unwrap()).unwrap();
            let row = r.row(team).unwrap();
            p.model.grade_sets[0].grades[row.grade as usize].name.clone()
        })
        .collect();
    assert_eq!(grades, ["优秀", "良好", "一般", "优秀"]);
    let q1 = scorer.score(Period::parse("2026-Q1").unwrap()).unwrap();
    assert_eq!(format_cents(q1.row(team).unwrap().cents), "87.33");
}

#[test]
fn example_f_democratic_evaluation() {
    check("f-democratic", "2026-12", &[("L1", "90.87", 1, false, "称职"), ("L2", "70.07", 2, false, "称职")]);
    let p = project("f-democratic");
    let scorer = Scorer::new(&p.model, p.roster.clone(), &p.data);
    let r = scorer.score(Period::parse("2026-12").unwrap()).unwrap();
    assert!(r.row(0).unwrap().flags.is_empty());
    assert_eq!(&r.row(1).unwrap().flags[..], ["优秀和称职票不足三分之二 (27/48)"]);
}

#[test]
fn example_g_survey() {
    check("g-survey", "2026-12", &[("S1", "9.00", 1, false, "不评等次")]);
    let p = project("g-survey");
    let scorer = Scorer::new(&p.model, p.roster.clone(), &p.data);
    let t = scorer.explain(Period::parse("2026-12").unwrap(), 0).unwrap();
    assert_eq!(t.total, "8.9975");
}
