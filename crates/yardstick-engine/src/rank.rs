//! Ranking within a category, demotion, vetoes and grades under strict quotas (M4.5, M4.6, M9).
//!
//! Everything here works on published scores in whole cents, so what people see
//! is consistent with their rank. The rules are the conventions of DOMAIN.md:
//! competition ranking (1, 2, 2, 4); demotion places a unit after every unit whose
//! rank is at most its target rank; vetoed subjects come last and take no quota
//! place; quotas are cumulative shares of the whole category, and a tie group is
//! admitted to a grade only whole.

use std::cmp::Ordering;

use crate::dec::Dec;
use crate::model::{GradeSet, QuotaRounding};

/// One subject's standing before ranking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub cents: i64,
    /// Points kept out of the total, in cents; a tie-breaker where the grade set says so.
    pub extra_cents: i64,
    pub vetoed: bool,
    pub demote: u32,
    /// A grade set directly (index into the grade set), if any.
    pub assigned_grade: Option<u32>,
}

/// Why a subject has its grade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GradeReason {
    Vetoed,
    Assigned,
    /// Admitted: the cumulative count including its tie group stayed within the quota.
    Admitted { cumulative: u32, limit: Option<u32> },
    /// Better grades were passed over: (grade, why) for each.
    PassedOver { skipped: Box<[(u32, Skip)]>, cumulative: u32, limit: Option<u32> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Taking the tie group would have made `would_be` against a quota of `limit`.
    Quota { would_be: u32, limit: u32 },
    BelowMinimum { min_cents: i64 },
}

/// One subject's place in the final order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// Index into the entries given to [`rank_and_grade`].
    pub entry: usize,
    pub rank: u32,
    /// Rank before demotion (among non-vetoed subjects).
    pub original_rank: u32,
    pub tied: bool,
    pub grade: u32,
    pub reason: GradeReason,
}

/// The cumulative number of places a quota share gives in a category of `n`.
pub fn quota_limit(share: Dec, n: u32, rounding: QuotaRounding) -> u32 {
    let (num, den) = share.as_fraction();
    let x = num * i128::from(n);
    let v = match rounding {
        QuotaRounding::Floor => x.div_euclid(den),
        QuotaRounding::Ceil => -(-x).div_euclid(den),
        QuotaRounding::HalfUp => (2 * x + den).div_euclid(2 * den),
    };
    v.clamp(0, i128::from(n)) as u32
}

/// Each grade's cumulative limit in a category of `n`, with the category's overrides.
/// Quotas are cumulative: at most `limit(g')` subjects may hold `g'` or better, so a later
/// grade's limit also bounds every better grade (优秀 without a quota, then 良好 ≤ 30%).
pub fn quota_limits(set: &GradeSet, overrides: &[(u32, Dec)], n: u32) -> Vec<Option<u32>> {
    let mut limits: Vec<Option<u32>> = set
        .grades
        .iter()
        .enumerate()
        .map(|(g, grade)| {
            let share = overrides.iter().find(|(og, _)| *og as usize == g).map(|(_, s)| *s).or(grade.quota);
            share.map(|s| quota_limit(s, n, set.rounding))
        })
        .collect();
    for g in (0..limits.len().saturating_sub(1)).rev() {
        if let Some(next) = limits[g + 1] {
            limits[g] = Some(limits[g].map_or(next, |l| l.min(next)));
        }
    }
    limits
}

fn score_key(e: &Entry, by_extra: bool) -> (i64, i64) {
    (e.cents, if by_extra { e.extra_cents } else { 0 })
}

/// Ranks and grades a category. `quotas[g]` overrides grade `g`'s quota share.
pub fn rank_and_grade(entries: &[Entry], set: &GradeSet, quota_overrides: &[(u32, Dec)]) -> Vec<Placed> {
    let limits = quota_limits(set, quota_overrides, entries.len() as u32);
    let mut out = Vec::with_capacity(entries.len());
    rank_and_grade_into(entries, set, &limits, &mut Scratch::default(), &mut out);
    out
}

/// Working space of [`rank_and_grade_into`], kept between categories so that ranking many
/// small categories does not allocate for each.
#[derive(Debug, Default)]
pub struct Scratch {
    packed: Vec<u64>,
    keys: Vec<(i64, i64, usize)>,
    live: Vec<usize>,
    vetoed: Vec<usize>,
    original: Vec<u32>,
    order: Vec<(usize, u32, bool)>,
}

/// [`rank_and_grade`] with the category's quota limits (from [`quota_limits`]) already
/// computed, reusing `scratch`; the placements are appended to `out`.
pub fn rank_and_grade_into(entries: &[Entry], set: &GradeSet, limits: &[Option<u32>], scratch: &mut Scratch, out: &mut Vec<Placed>) {
    let by_extra = set.tie_break_by_extra;
    let desc = |a: &usize, b: &usize| {
        score_key(&entries[*b], by_extra).cmp(&score_key(&entries[*a], by_extra)).then(a.cmp(b))
    };
    let Scratch { packed, keys, live, vetoed, original, order } = scratch;
    live.clear();
    vetoed.clear();
    order.clear();
    // Best first, then by entry: sorted as plain keys (`!x` reverses the order of an i64
    // without overflow), the same order as `desc`.
    // Where scores fit 32 bits (±21 million points) and extra points do not count, one
    // 64-bit word per subject: the reversed score above the entry's index.
    let narrow = !by_extra && entries.len() <= u32::MAX as usize && entries.iter().all(|e| i32::try_from(e.cents).is_ok());
    if narrow {
        packed.clear();
        packed.extend(entries.iter().enumerate().filter(|(_, e)| !e.vetoed).map(|(i, e)| (u64::from(!(e.cents as i32) as u32 ^ 0x8000_0000) << 32) | i as u64));
        packed.sort_unstable();
        live.extend(packed.iter().map(|k| (k & 0xFFFF_FFFF) as usize));
    } else {
        keys.clear();
        keys.extend(entries.iter().enumerate().filter(|(_, e)| !e.vetoed).map(|(i, e)| {
            let (cents, extra) = score_key(e, by_extra);
            (!cents, !extra, i)
        }));
        keys.sort_unstable();
        live.extend(keys.iter().map(|k| k.2));
    }
    vetoed.extend((0..entries.len()).filter(|&i| entries[i].vetoed));
    vetoed.sort_unstable_by(desc);

    // Competition ranks among the live subjects.
    original.clear();
    original.resize(entries.len(), 0);
    for pos in 0..live.len() {
        let i = live[pos];
        original[i] = if pos > 0 && score_key(&entries[live[pos - 1]], by_extra) == score_key(&entries[i], by_extra) {
            original[live[pos - 1]]
        } else {
            pos as u32 + 1
        };
    }

    // Demotion: a demoted subject sorts at its target rank, after everyone whose
    // original rank is at most that target. Keys: (rank or target, demoted?, score, index).
    // Without demotions the keys follow the order already there.
    let key = |i: usize| {
        let e = &entries[i];
        let at = if e.demote > 0 { original[i].saturating_add(e.demote) } else { original[i] };
        (at, e.demote > 0)
    };
    if live.iter().any(|&i| entries[i].demote > 0) {
        live.sort_unstable_by(|a, b| key(*a).cmp(&key(*b)).then_with(|| desc(a, b)));
    }

    let same = |a: usize, b: usize| key(a) == key(b) && score_key(&entries[a], by_extra) == score_key(&entries[b], by_extra);
    for (pos, &i) in live.iter().enumerate() {
        let rank = if pos > 0 && same(live[pos - 1], i) { order[pos - 1].1 } else { pos as u32 + 1 };
        order.push((i, rank, false));
    }
    let base = live.len() as u32;
    for (pos, &i) in vetoed.iter().enumerate() {
        let rank = if pos > 0 && score_key(&entries[vetoed[pos - 1]], by_extra) == score_key(&entries[i], by_extra) {
            order[order.len() - 1].1
        } else {
            base + pos as u32 + 1
        };
        order.push((i, rank, false));
    }
    for k in 0..order.len() {
        let r = order[k].1;
        let tied = (k > 0 && order[k - 1].1 == r) || (k + 1 < order.len() && order[k + 1].1 == r);
        order[k].2 = tied;
    }

    let last = set.grades.len() as u32 - 1;
    let min_cents = |g: u32| set.grades[g as usize].min_score.map(|m| min_score_cents(m));

    out.reserve(entries.len());
    let mut grade = 0u32;
    let mut cumulative = 0u32;
    // Assigned grades worse than the grade their group reached, not yet counted: each
    // counts from its own grade on (cumulative quotas count "this grade or better").
    let mut pending: Vec<u32> = Vec::new();
    let mut k = 0;
    while k < order.len() {
        // A tie group: consecutive subjects with the same rank.
        let mut end = k + 1;
        while end < order.len() && order[end].1 == order[k].1 {
            end += 1;
        }
        let group = &order[k..end];
        let is_vetoed = entries[group[0].0].vetoed;
        // The places counted at grade `g`: the group's members, except those assigned a worse
        // grade than `g` (a forced grade: 不称职 votes over the threshold, say), which take
        // no place there, and the earlier such members whose assigned grade is `g` or better.
        let holders = |g: u32| {
            let own = group.iter().filter(|(i, _, _)| entries[*i].assigned_grade.is_none_or(|a| a <= g)).count();
            (own + pending.iter().filter(|&&a| a <= g).count()) as u32
        };
        let mut skipped = Vec::new();
        if !is_vetoed {
            let low = group.iter().map(|(i, _, _)| entries[*i].cents).min().unwrap_or(0);
            while grade < last {
                let size = holders(grade);
                if let Some(limit) = limits[grade as usize] {
                    if cumulative + size > limit {
                        skipped.push((grade, Skip::Quota { would_be: cumulative + size, limit }));
                        grade += 1;
                        continue;
                    }
                }
                if let Some(min) = min_cents(grade) {
                    if low < min {
                        skipped.push((grade, Skip::BelowMinimum { min_cents: min }));
                        grade += 1;
                        continue;
                    }
                }
                break;
            }
            cumulative += holders(grade);
            pending.retain(|&a| a > grade);
            pending.extend(group.iter().filter_map(|(i, _, _)| entries[*i].assigned_grade.filter(|&a| a > grade)));
        }
        for &(i, rank, tied) in group {
            let e = &entries[i];
            let (g, reason) = if e.vetoed {
                (set.veto_grade, GradeReason::Vetoed)
            } else if let Some(a) = e.assigned_grade {
                (a, GradeReason::Assigned)
            } else if skipped.is_empty() {
                (grade, GradeReason::Admitted { cumulative, limit: limits[grade as usize] })
            } else {
                (grade, GradeReason::PassedOver { skipped: skipped.clone().into_boxed_slice(), cumulative, limit: limits[grade as usize] })
            };
            out.push(Placed { entry: i, rank, original_rank: original[i], tied, grade: g, reason });
        }
        k = end;
    }
}

/// A minimum score in whole cents, rounded up so that `cents >= min` means `score >= min`.
fn min_score_cents(m: Dec) -> i64 {
    let (num, den) = m.as_fraction();
    let x = num * 100;
    (-((-x).div_euclid(den))) as i64
}

/// Orders published scores as ranking does (for callers that sort rows for display).
pub fn cmp_desc(a: i64, b: i64) -> Ordering {
    b.cmp(&a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Grade;

    fn set(grades: &[(&str, Option<&str>, Option<&str>)], veto: u32) -> GradeSet {
        GradeSet {
            key: "g".into(),
            name: "g".into(),
            grades: grades
                .iter()
                .map(|(n, q, m)| Grade {
                    name: n.to_string(),
                    quota: q.map(|s| Dec::parse(s).unwrap()),
                    min_score: m.map(|s| Dec::parse(s).unwrap()),
                })
                .collect(),
            veto_grade: veto,
            rounding: QuotaRounding::Floor,
            tie_break_by_extra: false,
        }
    }

    fn entry(cents: i64) -> Entry {
        Entry { cents, extra_cents: 0, vetoed: false, demote: 0, assigned_grade: None }
    }

    #[test]
    fn example_b() {
        let s = set(&[("优秀", Some("30%"), Some("90")), ("良好", Some("70%"), None), ("一般", None, None)], 2);
        let mut es: Vec<Entry> = [9250, 9010, 9010, 8640, 8530, 8530, 8000, 7820].into_iter().map(entry).collect();
        es[3].demote = 3;
        let placed = rank_and_grade(&es, &s, &[]);
        let got: Vec<(usize, u32, bool, u32)> = placed.iter().map(|p| (p.entry, p.rank, p.tied, p.grade)).collect();
        assert_eq!(
            got,
            [(0, 1, false, 0), (1, 2, true, 1), (2, 2, true, 1), (4, 4, true, 1), (5, 4, true, 1), (6, 6, false, 2), (3, 7, false, 2), (7, 8, false, 2)]
        );
        assert_eq!(placed[1].reason, GradeReason::PassedOver { skipped: vec![(0, Skip::Quota { would_be: 3, limit: 2 })].into(), cumulative: 3, limit: Some(5) });
    }

    #[test]
    fn example_d() {
        let s = set(&[("立功单位", Some("20%"), None), ("达标", None, Some("60")), ("不达标", None, None)], 2);
        let mut es: Vec<Entry> = [9100, 8850, 9520, 7200, 5800].into_iter().map(entry).collect();
        es[2].vetoed = true;
        let got: Vec<(usize, u32, u32)> = rank_and_grade(&es, &s, &[]).iter().map(|p| (p.entry, p.rank, p.grade)).collect();
        assert_eq!(got, [(0, 1, 0), (1, 2, 1), (3, 3, 1), (4, 4, 2), (2, 5, 2)]);
    }

    #[test]
    fn a_forced_worse_grade_takes_no_quota_place() {
        // 优秀 ≤ 20 % of 5 = 1. The best is forced to 不称职 (3): the place goes to the second.
        let s = set(&[("优秀", Some("20%"), None), ("称职", None, None), ("基本称职", None, None), ("不称职", None, None)], 3);
        let mut es: Vec<Entry> = [9500, 9000, 8500, 8000, 7000].into_iter().map(entry).collect();
        es[0].assigned_grade = Some(3);
        let got: Vec<(usize, u32, u32)> = rank_and_grade(&es, &s, &[]).iter().map(|p| (p.entry, p.rank, p.grade)).collect();
        assert_eq!(got, [(0, 1, 3), (1, 2, 0), (2, 3, 1), (3, 4, 1), (4, 5, 1)]);
        // Assigned the grade it reaches or a better one, a subject keeps its place.
        es[0].assigned_grade = Some(0);
        es[1].assigned_grade = Some(0);
        let got: Vec<u32> = rank_and_grade(&es, &s, &[]).iter().map(|p| p.grade).collect();
        assert_eq!(got, [0, 0, 1, 1, 1], "the second, assigned 优秀, does not take the first's place away");
        es[1].assigned_grade = None;
        es[0].assigned_grade = Some(1);
        let got: Vec<u32> = rank_and_grade(&es, &s, &[]).iter().map(|p| p.grade).collect();
        assert_eq!(got, [1, 0, 1, 1, 1], "assigned 称职 below 优秀: the place goes on");
    }

    #[test]
    fn quota_limits_are_exact() {
        let d = |s| Dec::parse(s).unwrap();
        assert_eq!(quota_limit(d("0.29"), 100, QuotaRounding::Floor), 29);
        assert_eq!(quota_limit(d("70%"), 10, QuotaRounding::Floor), 7);
        assert_eq!(quota_limit(d("0.3"), 8, QuotaRounding::Floor), 2);
        assert_eq!(quota_limit(d("0.3"), 8, QuotaRounding::Ceil), 3);
        assert_eq!(quota_limit(d("0.25"), 10, QuotaRounding::HalfUp), 3);
        assert_eq!(quota_limit(d("0.15"), 10, QuotaRounding::HalfUp), 2);
        assert_eq!(quota_limit(d("0.15"), 3, QuotaRounding::HalfUp), 0);
        assert_eq!(min_score_cents(d("89.995")), 9000);
        assert_eq!(min_score_cents(d("-1.5")), -150);
    }

    #[test]
    fn tie_break_by_extra_points() {
        let mut s = set(&[("优秀", Some("0.5"), None), ("良好", None, None)], 1);
        s.tie_break_by_extra = true;
        let mut es: Vec<Entry> = [9000, 9000].into_iter().map(entry).collect();
        es[1].extra_cents = 50;
        let got: Vec<(usize, u32, u32)> = rank_and_grade(&es, &s, &[]).iter().map(|p| (p.entry, p.rank, p.grade)).collect();
        assert_eq!(got, [(1, 1, 0), (0, 2, 1)]);
    }
}
