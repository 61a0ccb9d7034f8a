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
use num_traits::{Signed, Zero};

use crate::dec::Dec;
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
    /// Index into the rule's grades.
    pub grade: u32,
    /// The grade's factor (pool) or amount (fixed).
    pub worth: Worth,
    pub static_factor: Option<Dec>,
    pub score: Option<Dec>,
    /// factor × coefficient × score (pool), or amount × coefficient × score (fixed), as an
    /// integer over 10^[`Allocation::scale`].
    pub weight: i128,
    /// What is paid, in fen.
    pub cents: i64,
    /// Pool rules: the exact share is `cents_before_extra + rem / weights` fen.
    pub rem: i128,
    /// Whether it got one of the fen left over by the floors (pool only).
    pub extra_cent: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Allocation {
    /// The pool in fen (pool rules), or the sum of the amounts (fixed rules).
    pub total_cents: i64,
    /// The decimals of every weight.
    pub scale: u32,
    /// Σ weights (over 10^scale).
    pub weights: i128,
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
    /// A weight or amount is too large or has too many decimals for exact integer
    /// arithmetic (beyond 10^38 in all).
    TooLarge,
}

impl std::fmt::Display for RewardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RewardError::NoPool => write!(f, "no pool given"),
            RewardError::BadPool => write!(f, "the pool must be a non-negative amount in whole fen"),
            RewardError::NoStaticFactor(s) => write!(f, "'{s}' has no static coefficient"),
            RewardError::NoScore(s) => write!(f, "'{s}' has no score"),
            RewardError::NobodyToPay => write!(f, "nobody is rewarded, the pool cannot be paid"),
            RewardError::TooLarge => write!(f, "an amount is too large"),
        }
    }
}

/// A decimal without trailing zeros, as (mantissa, scale).
fn trim(d: Dec) -> (i128, u32) {
    let (mut m, mut s) = (i128::from(d.mantissa()), u32::from(d.scale()));
    while s > 0 && m % 10 == 0 {
        m /= 10;
        s -= 1;
    }
    (m, s)
}

fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

/// Allocates a period's rewards under `rule`. `pool` overrides the rule's pool.
///
/// All arithmetic is on integers: each weight is an exact integer over 10^scale (the
/// largest number of decimals of any weight), Σ weights likewise, and a share in fen is
/// `pool_fen × weight ÷ Σ weights` by integer division, its remainder kept for the
/// largest-remainder step. Weights beyond `i128` are refused (`TooLarge`), never rounded.
pub fn allocate(rule: &RewardRule, pool: Option<Dec>, candidates: &[Candidate<'_>]) -> Result<Allocation, RewardError> {
    let fixed = rule.fixed();
    let grades: Vec<(i128, u32)> = rule.grades.iter().map(|g| match g.worth {
        Worth::Factor(f) | Worth::Amount(f) => trim(f),
    }).collect();
    // Pass 1: who is rewarded, each weight as (mantissa, scale).
    // Each award's weight as a mantissa first, with its scale beside it.
    let mut awards = Vec::new();
    let mut scales: Vec<u32> = Vec::new();
    let mut scale = 0u32;
    for (i, c) in candidates.iter().enumerate() {
        if !rule.applies_to(c.category) {
            continue;
        }
        let Some(g) = c.grade.and_then(|g| rule.grades.iter().position(|x| x.name == g)) else { continue };
        let (mut m, mut s) = grades[g];
        let static_factor = if rule.static_coefficient {
            let f = c.static_factor.ok_or_else(|| RewardError::NoStaticFactor(c.subject.to_string()))?;
            let (fm, fs) = trim(f);
            m = m.checked_mul(fm).ok_or(RewardError::TooLarge)?;
            s += fs;
            Some(f)
        } else {
            None
        };
        let score = if rule.by_score {
            let x = c.score.ok_or_else(|| RewardError::NoScore(c.subject.to_string()))?;
            let (xm, xs) = trim(x);
            m = m.checked_mul(xm).ok_or(RewardError::TooLarge)?;
            s += xs;
            Some(x)
        } else {
            None
        };
        scale = scale.max(s);
        scales.push(s);
        awards.push(Award { candidate: i, grade: g as u32, worth: rule.grades[g].worth, static_factor, score, weight: m, cents: 0, rem: 0, extra_cent: false });
    }
    for (a, s) in awards.iter_mut().zip(scales) {
        a.weight = pow10(scale - s).and_then(|p| a.weight.checked_mul(p)).ok_or(RewardError::TooLarge)?;
    }
    let unit = pow10(scale).ok_or(RewardError::TooLarge)?;
    if fixed {
        // Fen = weight × 100 / 10^scale, half away from zero.
        let mut total: i64 = 0;
        for a in &mut awards {
            let num = a.weight.checked_mul(100).ok_or(RewardError::TooLarge)?;
            let (q, r) = (num / unit, num % unit);
            let q = if 2 * r.abs() >= unit { q + num.signum() } else { q };
            a.cents = i64::try_from(q).map_err(|_| RewardError::TooLarge)?;
            total = total.checked_add(a.cents).ok_or(RewardError::TooLarge)?;
        }
        awards.retain(|a| a.cents != 0);
        let weights = awards.iter().try_fold(0i128, |s, a| s.checked_add(a.weight)).ok_or(RewardError::TooLarge)?;
        return Ok(Allocation { total_cents: total, scale, weights, awards });
    }
    let pool = pool.or(rule.pool).ok_or(RewardError::NoPool)?;
    let (pm, ps) = trim(pool);
    // At most a hundred billion yuan, in whole fen.
    if pm < 0 || ps > 2 {
        return Err(RewardError::BadPool);
    }
    let pool_cents = i64::try_from(pm * 10i128.pow(2 - ps)).ok().filter(|&c| c <= 10_000_000_000_000).ok_or(RewardError::BadPool)?;
    awards.retain(|a| a.weight != 0);
    let weights = awards.iter().try_fold(0i128, |s, a| s.checked_add(a.weight)).ok_or(RewardError::TooLarge)?;
    if awards.is_empty() {
        return if pool_cents == 0 { Ok(Allocation { total_cents: 0, scale, weights, awards }) } else { Err(RewardError::NobodyToPay) };
    }
    let mut paid: i64 = 0;
    for a in &mut awards {
        let num = i128::from(pool_cents).checked_mul(a.weight).ok_or(RewardError::TooLarge)?;
        a.cents = (num / weights) as i64;
        a.rem = num % weights;
        paid += a.cents;
    }
    let left = usize::try_from(pool_cents - paid).unwrap_or(0);
    // Largest remainders first (all over the same Σ weights); equal ones in the order given.
    if left > 0 {
        let mut order: Vec<usize> = (0..awards.len()).collect();
        let key = |k: &usize| (std::cmp::Reverse(awards[*k].rem), *k);
        if left < order.len() {
            order.select_nth_unstable_by_key(left - 1, key);
            order.truncate(left);
        }
        for k in order {
            awards[k].cents += 1;
            awards[k].extra_cent = true;
        }
    }
    Ok(Allocation { total_cents: pool_cents, scale, weights, awards })
}

impl Allocation {
    /// A weight (or Σ weights) as an exact rational.
    pub fn rational(&self, w: i128) -> BigRational {
        BigRational::new(BigInt::from(w), BigInt::from(10u32).pow(self.scale))
    }

    /// An award's exact amount in yuan before paying in fen.
    pub fn exact(&self, a: &Award, fixed: bool) -> BigRational {
        if fixed {
            self.rational(a.weight)
        } else {
            BigRational::new(BigInt::from(self.total_cents) * BigInt::from(a.weight), BigInt::from(self.weights) * BigInt::from(100))
        }
    }
}

impl Award {
    /// How the amount was reached, in words (Chinese, as the published explanations are):
    /// `奖金池 10000.00 × 1.95（一档 1.5 × 固定系数 1.3） ÷ 权重合计 5.35 = 3644.8598… → 3644.86 元（分配尾差 +0.01）`.
    pub fn working(&self, rule: &RewardRule, alloc: &Allocation) -> String {
        let grade = &rule.grades[self.grade as usize].name;
        let mut parts = vec![match self.worth {
            Worth::Factor(f) => format!("{grade} {f}"),
            Worth::Amount(a) => format!("{grade} {a} 元"),
        }];
        if let Some(f) = self.static_factor {
            parts.push(format!("固定系数 {f}"));
        }
        if let Some(s) = self.score {
            parts.push(format!("得分 {s}"));
        }
        let amount = crate::dec::format_cents(self.cents);
        let fixed = rule.fixed();
        let exact = alloc.exact(self, fixed);
        if fixed {
            if parts.len() == 1 {
                return format!("{grade}：{amount} 元");
            }
            return format!("{} = {} → {amount} 元", parts.join(" × "), decimal(&exact, 4));
        }
        let weight = decimal(&alloc.rational(self.weight), 6);
        let shown = if parts.len() == 1 { weight } else { format!("{weight}（{}）", parts.join(" × ")) };
        let extra = if self.extra_cent { "（分配尾差 +0.01）" } else { "" };
        format!(
            "奖金池 {} × {shown} ÷ 权重合计 {} = {} → {amount} 元{extra}",
            crate::dec::format_cents(alloc.total_cents),
            decimal(&alloc.rational(alloc.weights), 6),
            decimal(&exact, 4),
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
    let mut f = format!("{:0>width$}", frac.abs().to_string(), width = places as usize);
    if exact {
        while f.ends_with('0') {
            f.pop();
        }
    }
    let sign = if x.is_negative() && (int.is_zero() && !frac.is_zero()) { "-" } else { "" };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oversight::rat;
    use num_traits::ToPrimitive;
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
        assert_eq!(a.rational(a.weights), rat(d("5.35")));
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
                        let fen = a.exact(x, false) * BigRational::from_integer(BigInt::from(100));
                        let floor = fen.floor().to_integer().to_i64().unwrap();
                        prop_assert!(x.cents == floor || x.cents == floor + 1);
                        // The same as the rational arithmetic: pool × weight ÷ Σ weights.
                        let w = rat(Dec::from_cents(pool)) * a.rational(x.weight) / a.rational(a.weights) * BigRational::from_integer(BigInt::from(100));
                        prop_assert_eq!(fen, w);
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
