//! Rewards (M12, M14): a period's bonus pool allocated by grade (or tier, 档次), coefficient
//! and score under a rule written in the plan, or fixed amounts per grade.
//!
//! With a pool, a rewarded subject's weight is its grade's factor, times its static
//! coefficient when the rule says so, times its published score when the rule says so; its
//! exact share is `pool × weight ÷ Σ weights`. Shares are paid in whole fen (cents): each
//! gets the floor of its exact share, and the fen left over go one each to the largest
//! remainders (ties in the order given, which is the result order), so the amounts add
//! up to the pool exactly (the largest-remainder method). With fixed amounts a subject
//! gets its grade's amount, times the coefficient and score shares when asked (rounded
//! half away from zero to the fen). A grade the rule does not list gets nothing.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::dec::Dec;
use crate::oversight::rat;
use crate::period::Level;

/// What a grade is worth under a rule: a factor (share of the pool) or a fixed amount.
#[derive(Clone, Debug, PartialEq)]
pub struct RewardGrade {
    pub name: String,
    pub worth: Worth,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Worth {
    /// A weight in the split of the pool.
    Factor(Dec),
    /// A fixed amount in yuan, per subject.
    Amount(Dec),
}

/// A reward rule of the plan (`[[rewards]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct RewardRule {
    pub key: String,
    pub name: String,
    /// The level of the periods it pays for (monthly rewards, year-end rewards).
    pub level: Level,
    /// The categories whose subjects it rewards; empty for every category.
    pub categories: Vec<String>,
    /// The pool of a period, in yuan, when the plan sets it (the office may give another).
    pub pool: Option<Dec>,
    /// The grades rewarded, best first; all factors or all amounts.
    pub grades: Vec<RewardGrade>,
    /// Multiply by the subject's static coefficient (a post coefficient, 岗位系数).
    pub static_coefficient: bool,
    /// Multiply by the subject's published score.
    pub by_score: bool,
}

impl RewardRule {
    /// Whether it pays fixed amounts (no pool).
    pub fn fixed(&self) -> bool {
        self.grades
            .iter()
            .any(|g| matches!(g.worth, Worth::Amount(_)))
    }

    pub fn applies_to(&self, category: &str) -> bool {
        self.categories.is_empty() || self.categories.iter().any(|c| c == category)
    }
}

/// A subject of the period's published results.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    pub subject: &'a str,
    pub category: &'a str,
    pub grade: Option<&'a str>,
    pub score: Option<Dec>,
    /// The subject's static coefficient, if it has one.
    pub static_factor: Option<Dec>,
}

/// One subject's reward.
#[derive(Clone, Debug, PartialEq)]
pub struct Award {
    /// Index into the candidates.
    pub candidate: usize,
    pub grade: String,
    /// The grade's factor (pool) or amount (fixed).
    pub worth: Worth,
    pub static_factor: Option<Dec>,
    pub score: Option<Dec>,
    /// factor × coefficient × score (pool), or amount × coefficient × score (fixed).
    pub weight: BigRational,
    /// The exact amount in yuan before paying in fen.
    pub exact: BigRational,
    /// What is paid, in fen.
    pub cents: i64,
    /// Whether it got one of the fen left over by the floors (pool only).
    pub extra_cent: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Allocation {
    /// The pool in fen (pool rules), or the sum of the amounts (fixed rules).
    pub total_cents: i64,
    /// Σ weights (pool rules).
    pub weights: BigRational,
    pub awards: Vec<Award>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RewardError {
    /// A pool rule without a pool.
    NoPool,
    /// The pool is negative, not in whole fen, or too large.
    BadPool,
    /// The rule multiplies by the static coefficient and this subject has none.
    NoStaticFactor(String),
    /// The rule multiplies by the score and this subject has none (directly graded).
    NoScore(String),
    /// Nobody is rewarded (no subject has a rewarded grade, or every weight is zero) but
    /// the pool is not zero.
    NobodyToPay,
    /// An amount overflows.
    TooLarge,
}

impl std::fmt::Display for RewardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RewardError::NoPool => write!(f, "no pool given"),
            RewardError::BadPool => {
                write!(f, "the pool must be a non-negative amount in whole fen")
            }
            RewardError::NoStaticFactor(s) => write!(f, "'{s}' has no static coefficient"),
            RewardError::NoScore(s) => write!(f, "'{s}' has no score"),
            RewardError::NobodyToPay => write!(f, "nobody is rewarded, the pool cannot be paid"),
            RewardError::TooLarge => write!(f, "an amount is too large"),
        }
    }
}

/// Allocates a period's rewards under `rule`. `pool` overrides the rule's pool.
pub fn allocate(
    rule: &RewardRule,
    pool: Option<Dec>,
    candidates: &[Candidate<'_>],
) -> Result<Allocation, RewardError> {
    let mut awards = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if !rule.applies_to(c.category) {
            continue;
        }
        let Some(g) = c
            .grade
            .and_then(|g| rule.grades.iter().find(|x| x.name == g))
        else {
            continue;
        };
        let mut weight = match g.worth {
            Worth::Factor(f) | Worth::Amount(f) => rat(f),
        };
        let static_factor = if rule.static_coefficient {
            let f = c
                .static_factor
                .ok_or_else(|| RewardError::NoStaticFactor(c.subject.to_string()))?;
            weight *= rat(f);
            Some(f)
        } else {
            None
        };
        let score = if rule.by_score {
            let s = c
                .score
                .ok_or_else(|| RewardError::NoScore(c.subject.to_string()))?;
            weight *= rat(s);
            Some(s)
        } else {
            None
        };
        awards.push(Award {
            candidate: i,
            grade: g.name.clone(),
            worth: g.worth,
            static_factor,
            score,
            weight,
            exact: BigRational::zero(),
            cents: 0,
            extra_cent: false,
        });
    }
    let hundred = BigRational::from_integer(BigInt::from(100));
    if rule.fixed() {
        let mut total: i64 = 0;
        for a in &mut awards {
            a.exact = a.weight.clone();
            a.cents = round_half_away(&(&a.exact * &hundred)).ok_or(RewardError::TooLarge)?;
            total = total.checked_add(a.cents).ok_or(RewardError::TooLarge)?;
        }
        awards.retain(|a| a.cents != 0);
        let weights = awards
            .iter()
            .fold(BigRational::zero(), |s, a| s + &a.weight);
        return Ok(Allocation {
            total_cents: total,
            weights,
            awards,
        });
    }
    let pool = pool.or(rule.pool).ok_or(RewardError::NoPool)?;
    let fen = rat(pool) * &hundred;
    // At most a hundred billion yuan, in whole fen.
    let pool_cents = Some(fen)
        .filter(|f| f.is_integer() && !f.is_negative())
        .and_then(|f| f.to_integer().to_i64())
        .filter(|&c| c <= 10_000_000_000_000)
        .ok_or(RewardError::BadPool)?;
    awards.retain(|a| !a.weight.is_zero());
    let weights = awards
        .iter()
        .fold(BigRational::zero(), |s, a| s + &a.weight);
    if awards.is_empty() {
        return if pool_cents == 0 {
            Ok(Allocation {
                total_cents: 0,
                weights,
                awards,
            })
        } else {
            Err(RewardError::NobodyToPay)
        };
    }
    let pool_rat = BigRational::from_integer(BigInt::from(pool_cents)) / &hundred;
    let mut remainders = Vec::with_capacity(awards.len());
    let mut paid: i64 = 0;
    for (k, a) in awards.iter_mut().enumerate() {
        a.exact = &pool_rat * &a.weight / &weights;
        let fen = &a.exact * &hundred;
        let (q, r) = fen.numer().div_mod_floor(fen.denom());
        a.cents = q.to_i64().ok_or(RewardError::TooLarge)?;
        paid += a.cents;
        remainders.push((BigRational::new(r, fen.denom().clone()), k));
    }
    let left = pool_cents - paid;
    // Largest remainders first; equal remainders in the order given.
    remainders.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    for &(_, k) in remainders.iter().take(usize::try_from(left).unwrap_or(0)) {
        awards[k].cents += 1;
        awards[k].extra_cent = true;
    }
    Ok(Allocation {
        total_cents: pool_cents,
        weights,
        awards,
    })
}

impl Award {
    /// How the amount was reached, in words (Chinese, as the published explanations are):
    /// `奖金池 10000.00 × 1.95（一档 1.5 × 系数 1.3）÷ 5.35 = 3644.8598… → 3644.86（分配尾差 +0.01）`.
    pub fn working(&self, rule: &RewardRule, alloc: &Allocation) -> String {
        let mut parts = vec![match self.worth {
            Worth::Factor(f) => format!("{} {f}", self.grade),
            Worth::Amount(a) => format!("{} {a} 元", self.grade),
        }];
        if let Some(f) = self.static_factor {
            parts.push(format!("固定系数 {f}"));
        }
        if let Some(s) = self.score {
            parts.push(format!("得分 {s}"));
        }
        let amount = crate::dec::format_cents(self.cents);
        if rule.fixed() {
            if parts.len() == 1 {
                return format!("{}：{amount} 元", self.grade);
            }
            return format!(
                "{} = {} → {amount} 元",
                parts.join(" × "),
                decimal(&self.exact, 4)
            );
        }
        let weight = decimal(&self.weight, 6);
        let shown = if parts.len() == 1 {
            weight
        } else {
            format!("{weight}（{}）", parts.join(" × "))
        };
        let extra = if self.extra_cent {
            "（分配尾差 +0.01）"
        } else {
            ""
        };
        format!(
            "奖金池 {} × {shown} ÷ 权重合计 {} = {} → {amount} 元{extra}",
            crate::dec::format_cents(alloc.total_cents),
            decimal(&alloc.weights, 6),
            decimal(&self.exact, 4),
        )
    }
}

/// A non-negative rational in decimals: exact when it has at most `places` decimals (and
/// no trailing zeros), else cut after `places` with `…`.
pub fn decimal(x: &BigRational, places: u32) -> String {
    let scale = BigInt::from(10u32).pow(places);
    let scaled = x * BigRational::from_integer(scale.clone());
    let exact = scaled.is_integer();
    let t = scaled.trunc().to_integer();
    let (int, frac) = t.div_rem(&scale);
    let mut f = format!(
        "{:0>width$}",
        frac.abs().to_string(),
        width = places as usize
    );
    if exact {
        while f.ends_with('0') {
            f.pop();
        }
    }
    let sign = if x.is_negative() && (int.is_zero() && !frac.is_zero()) {
        "-"
    } else {
        ""
    };
    let mut out = format!("{sign}{int}");
    if !f.is_empty() {
        out.push('.');
        out.push_str(&f);
    }
    if !exact {
        out.push('…');
    }
    out
}

/// A rational rounded half away from zero to an integer.
fn round_half_away(x: &BigRational) -> Option<i64> {
    let (q, r) = x.numer().abs().div_rem(x.denom());
    let q = if r * BigInt::from(2) >= *x.denom() {
        q + 1
    } else {
        q
    };
    let q = if x.is_negative() { -q } else { q };
    q.to_i64()
}

/// Yuan with two decimals, rounded half away from zero (for showing exact shares).
pub fn yuan(x: &BigRational) -> String {
    let c =
        round_half_away(&(x * BigRational::from_integer(BigInt::from(100)))).unwrap_or(i64::MAX);
    crate::dec::format_cents(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    fn rule(grades: &[(&str, Worth)]) -> RewardRule {
        RewardRule {
            key: "r".into(),
            name: "奖励".into(),
            level: Level::Month,
            categories: vec![],
            pool: None,
            grades: grades
                .iter()
                .map(|(n, w)| RewardGrade {
                    name: (*n).into(),
                    worth: *w,
                })
                .collect(),
            static_coefficient: false,
            by_score: false,
        }
    }

    fn cand<'a>(subject: &'a str, grade: &'a str, f: Option<&str>) -> Candidate<'a> {
        Candidate {
            subject,
            category: "c",
            grade: Some(grade),
            score: None,
            static_factor: f.map(d),
        }
    }

    #[test]
    fn a_pool_split_by_tier_and_post_coefficient_adds_up_to_the_fen() {
        let mut r = rule(&[
            ("一档", Worth::Factor(d("1.5"))),
            ("二档", Worth::Factor(d("1.2"))),
            ("三档", Worth::Factor(d("1"))),
        ]);
        r.static_coefficient = true;
        let cs = [
            cand("A", "一档", Some("1.3")),
            cand("B", "二档", Some("1")),
            cand("C", "二档", Some("1")),
            cand("D", "三档", Some("1")),
            cand("E", "不合格", Some("1")),
        ];
        let a = allocate(&r, Some(d("10000")), &cs).unwrap();
        // Weights 1.95, 1.2, 1.2, 1 → Σ 5.35; 10000 × 1.95 / 5.35 = 3644.859…
        assert_eq!(a.weights, rat(d("5.35")));
        let paid: Vec<_> = a
            .awards
            .iter()
            .map(|x| (cs[x.candidate].subject, x.cents))
            .collect();
        assert_eq!(
            paid,
            vec![("A", 364486), ("B", 224299), ("C", 224299), ("D", 186916)]
        );
        assert_eq!(a.awards.iter().map(|x| x.cents).sum::<i64>(), 1_000_000);
        assert!(a.awards[0].extra_cent && !a.awards[1].extra_cent);
        assert_eq!(
            a.awards[0].working(&r, &a),
            "奖金池 10000.00 × 1.95（一档 1.5 × 固定系数 1.3） ÷ 权重合计 5.35 = 3644.8598… → 3644.86 元（分配尾差 +0.01）"
        );
        assert_eq!(
            a.awards[1].working(&r, &a),
            "奖金池 10000.00 × 1.2（二档 1.2 × 固定系数 1） ÷ 权重合计 5.35 = 2242.9906… → 2242.99 元"
        );
    }

    #[test]
    fn fixed_amounts_and_refusals() {
        let r = rule(&[
            ("优秀", Worth::Amount(d("3000"))),
            ("称职", Worth::Amount(d("1000.005"))),
        ]);
        let cs = [
            cand("A", "优秀", None),
            cand("B", "称职", None),
            cand("C", "基本称职", None),
        ];
        let a = allocate(&r, None, &cs).unwrap();
        assert_eq!(
            a.awards.iter().map(|x| x.cents).collect::<Vec<_>>(),
            vec![300000, 100001]
        );
        assert_eq!(a.total_cents, 400001);
        assert_eq!(a.awards[0].working(&r, &a), "优秀：3000.00 元");
        assert_eq!(decimal(&rat(d("2.5")), 4), "2.5");
        assert_eq!(decimal(&(rat(d("1")) / rat(d("3"))), 4), "0.3333…");
        let mut p = rule(&[("优秀", Worth::Factor(d("1")))]);
        assert_eq!(allocate(&p, None, &cs), Err(RewardError::NoPool));
        assert_eq!(
            allocate(&p, Some(d("10.001")), &cs),
            Err(RewardError::BadPool)
        );
        assert_eq!(allocate(&p, Some(d("-1")), &cs), Err(RewardError::BadPool));
        assert_eq!(
            allocate(&p, Some(d("100")), &[cand("C", "基本称职", None)]),
            Err(RewardError::NobodyToPay)
        );
        p.static_coefficient = true;
        assert_eq!(
            allocate(&p, Some(d("100")), &cs),
            Err(RewardError::NoStaticFactor("A".into()))
        );
        p.static_coefficient = false;
        p.by_score = true;
        assert_eq!(
            allocate(&p, Some(d("100")), &cs),
            Err(RewardError::NoScore("A".into()))
        );
        p.categories = vec!["other".into()];
        assert_eq!(allocate(&p, Some(d("0")), &cs).unwrap().awards.len(), 0);
    }

    proptest! {
        /// The amounts add up to the pool exactly; each is its exact share rounded down or
        /// up by one fen; a larger weight never gets less.
        #[test]
        fn pool_is_paid_exactly(pool in 0i64..100_000_000, ws in proptest::collection::vec((0u8..4, 50i64..200, 0i64..10_000), 1..40)) {
            let grades = [("甲", Worth::Factor(d("1.5"))), ("乙", Worth::Factor(d("1"))), ("丙", Worth::Factor(d("0.5")))];
            let mut r = rule(&grades);
            r.static_coefficient = true;
            r.by_score = true;
            let names: Vec<String> = (0..ws.len()).map(|i| format!("S{i}")).collect();
            let gnames = ["甲", "乙", "丙", "丁"];
            let cs: Vec<Candidate> = ws.iter().enumerate().map(|(i, (g, f, s))| Candidate {
                subject: &names[i], category: "c", grade: Some(gnames[*g as usize]), score: Some(Dec::from_cents(*s)), static_factor: Some(Dec::new(*f, 2)),
            }).collect();
            match allocate(&r, Some(Dec::from_cents(pool)), &cs) {
                Ok(a) => {
                    prop_assert_eq!(a.awards.iter().map(|x| x.cents).sum::<i64>(), pool);
                    for x in &a.awards {
                        let fen = &x.exact * BigRational::from_integer(BigInt::from(100));
                        let floor = fen.floor().to_integer().to_i64().unwrap();
                        prop_assert!(x.cents == floor || x.cents == floor + 1);
                    }
                    for x in &a.awards {
                        for y in &a.awards {
                            if x.weight > y.weight { prop_assert!(x.cents >= y.cents); }
                        }
                    }
                }
                Err(e) => prop_assert_eq!(e, RewardError::NobodyToPay),
            }
        }
    }
}
