//! Ballots of a democratic evaluation (民主测评, M12): which ballots are valid under the
//! evaluation's rules, and the count of each answer per evaluated subject and rater group
//! after trimming. The counts are what the `ballots` method scores (Example F), so a
//! tally feeds the same scoring and explanation as any plan indicator.
//!
//! Rules (each optional, set per evaluation):
//! - a ballot must not give more than `max` subjects a given answer (e.g. at most three
//!   优秀 per ballot), else it is void;
//! - a ballot that gives every subject the same answer, when it grades at least
//!   `uniform_void_min` subjects, is void (it does not distinguish anyone);
//! - a ballot that answers no subject is void (a blank paper ballot);
//! - when more than `trim_over` valid answers for a subject in a group remain, one highest
//!   and one lowest answer (by value) are dropped.
//!
//! Answers listed as `excluded` (不了解, 弃权) are kept on the ballot but left out of every
//! count and of the trimming, as the scoring leaves them out of the base.

use crate::Dec;

/// The validity and trimming rules of an evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BallotRules {
    /// `(answer, max)`: a ballot giving `answer` to more than `max` subjects is void.
    pub max_per_ballot: Vec<(u32, u32)>,
    /// A ballot giving one answer to all subjects is void when it grades at least this many.
    pub uniform_void_min: Option<u32>,
    /// More than this many valid answers for a subject in a group: drop the highest and lowest.
    pub trim_over: Option<u32>,
}

/// One ballot: its rater group and, per subject (in the evaluation's order), an answer
/// index or none (a subject left blank on paper).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    pub group: u32,
    pub answers: Vec<Option<u32>>,
}

/// Why a ballot is void.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Void {
    /// It answers no subject.
    Blank,
    /// It gives `answer` to `given` subjects, more than the `max` allowed.
    OverLimit { answer: u32, given: u32, max: u32 },
    /// It gives every one of its `subjects` subjects the same `answer`.
    Uniform { answer: u32, subjects: u32 },
}

/// Why a ballot cannot be taken at all (its shape does not fit the evaluation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// The group is not one of the evaluation's.
    Group(u32),
    /// The ballot has `got` answers for `expected` subjects.
    Length { expected: usize, got: usize },
    /// Subject `subject` has an answer index outside the evaluation's answers.
    Answer { subject: usize, answer: u32 },
}

/// Checks a ballot's shape against an evaluation of `subjects` subjects, `groups` groups
/// and `answers` answers.
pub fn shape(b: &Ballot, subjects: usize, groups: usize, answers: usize) -> Result<(), Malformed> {
    if b.group as usize >= groups {
        return Err(Malformed::Group(b.group));
    }
    if b.answers.len() != subjects {
        return Err(Malformed::Length { expected: subjects, got: b.answers.len() });
    }
    match b.answers.iter().enumerate().find(|(_, a)| a.is_some_and(|a| a as usize >= answers)) {
        Some((subject, a)) => Err(Malformed::Answer { subject, answer: a.unwrap_or_default() }),
        None => Ok(()),
    }
}

/// Whether a (well-shaped) ballot is valid under the rules; the first reason it is void.
/// Excluded answers count as no answer.
pub fn validity(rules: &BallotRules, excluded: &[bool], b: &Ballot) -> Result<(), Void> {
    let given: Vec<u32> = b.answers.iter().flatten().copied().filter(|&a| !excluded.get(a as usize).copied().unwrap_or(false)).collect();
    if given.is_empty() {
        return Err(Void::Blank);
    }
    for &(answer, max) in &rules.max_per_ballot {
        let n = given.iter().filter(|&&a| a == answer).count() as u32;
        if n > max {
            return Err(Void::OverLimit { answer, given: n, max });
        }
    }
    if let Some(min) = rules.uniform_void_min {
        let n = given.len() as u32;
        if n >= min.max(2) && given.iter().all(|&a| a == given[0]) {
            return Err(Void::Uniform { answer: given[0], subjects: n });
        }
    }
    Ok(())
}

/// The counts of one evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// `counts[subject][group][answer]`, after void ballots and trimming.
    pub counts: Vec<Vec<Vec<u64>>>,
    /// Ballots cast per group (valid and void).
    pub cast: Vec<u64>,
    /// Valid ballots per group.
    pub valid: Vec<u64>,
    /// Each void reason with how many ballots it voided, most frequent first.
    pub void: Vec<(Void, u64)>,
    /// `trimmed[subject][group]`: the (highest, lowest) answers dropped, if any.
    pub trimmed: Vec<Vec<Option<(u32, u32)>>>,
}

/// Counts the ballots. `values` are the answers' values (for trimming), `excluded` marks
/// the answers left out of the base. Ballots must have passed [`shape`].
pub fn tally(rules: &BallotRules, values: &[Dec], excluded: &[bool], subjects: usize, groups: usize, ballots: &[Ballot]) -> Tally {
    let na = values.len();
    let mut counts = vec![vec![vec![0u64; na]; groups]; subjects];
    let mut cast = vec![0u64; groups];
    let mut valid = vec![0u64; groups];
    let mut void = std::collections::BTreeMap::<Void, u64>::new();
    for b in ballots {
        let g = b.group as usize;
        cast[g] += 1;
        if let Err(v) = validity(rules, excluded, b) {
            *void.entry(v).or_default() += 1;
            continue;
        }
        valid[g] += 1;
        for (s, a) in b.answers.iter().enumerate() {
            if let Some(a) = *a {
                if !excluded.get(a as usize).copied().unwrap_or(false) {
                    counts[s][g][a as usize] += 1;
                }
            }
        }
    }
    // The answers by value, highest first (ties by order); excluded ones never counted.
    let mut by_value: Vec<usize> = (0..na).collect();
    by_value.sort_by(|&a, &b| values[b].cmp(&values[a]).then(a.cmp(&b)));
    let mut trimmed = vec![vec![None; groups]; subjects];
    if let Some(over) = rules.trim_over {
        for (s, per_group) in counts.iter_mut().enumerate() {
            for (g, c) in per_group.iter_mut().enumerate() {
                let n: u64 = c.iter().sum();
                if n <= u64::from(over) || n < 3 {
                    continue;
                }
                let hi = by_value.iter().copied().find(|&a| c[a] > 0);
                let lo = by_value.iter().rev().copied().find(|&a| c[a] > 0);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    c[hi] -= 1;
                    c[lo] -= 1;
                    trimmed[s][g] = Some((hi as u32, lo as u32));
                }
            }
        }
    }
    let mut void: Vec<(Void, u64)> = void.into_iter().collect();
    void.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Tally { counts, cast, valid, void, trimmed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values() -> Vec<Dec> {
        ["1", "0.8", "0.6", "0.4", "0"].iter().map(|v| Dec::parse(v).unwrap()).collect()
    }
    // 优秀, 称职, 基本称职, 不称职, 不了解 (excluded)
    const EXCLUDED: [bool; 5] = [false, false, false, false, true];

    fn b(group: u32, answers: &[Option<u32>]) -> Ballot {
        Ballot { group, answers: answers.to_vec() }
    }

    #[test]
    fn shape_names_what_does_not_fit() {
        assert_eq!(shape(&b(2, &[Some(0)]), 1, 2, 5), Err(Malformed::Group(2)));
        assert_eq!(shape(&b(0, &[Some(0)]), 2, 2, 5), Err(Malformed::Length { expected: 2, got: 1 }));
        assert_eq!(shape(&b(0, &[Some(0), Some(5)]), 2, 2, 5), Err(Malformed::Answer { subject: 1, answer: 5 }));
        assert_eq!(shape(&b(1, &[Some(0), None]), 2, 2, 5), Ok(()));
    }

    #[test]
    fn void_rules() {
        let rules = BallotRules { max_per_ballot: vec![(0, 1)], uniform_void_min: Some(3), trim_over: None };
        assert_eq!(validity(&rules, &EXCLUDED, &b(0, &[None, Some(4), None])), Err(Void::Blank));
        assert_eq!(validity(&rules, &EXCLUDED, &b(0, &[Some(0), Some(0), Some(1)])), Err(Void::OverLimit { answer: 0, given: 2, max: 1 }));
        assert_eq!(validity(&rules, &EXCLUDED, &b(0, &[Some(1), Some(1), Some(1)])), Err(Void::Uniform { answer: 1, subjects: 3 }));
        // Two graded subjects are fewer than the three the uniform rule needs.
        assert_eq!(validity(&rules, &EXCLUDED, &b(0, &[Some(1), Some(1), Some(4)])), Ok(()));
        assert_eq!(validity(&rules, &EXCLUDED, &b(0, &[Some(1), Some(2), Some(1)])), Ok(()));
        assert_eq!(validity(&BallotRules::default(), &EXCLUDED, &b(0, &[Some(1), Some(1), Some(1)])), Ok(()));
    }

    #[test]
    fn trimming_drops_one_highest_and_one_lowest_over_the_threshold() {
        let rules = BallotRules { trim_over: Some(5), ..Default::default() };
        // Seven raters in group 0 grade one subject: 优秀 ×2, 称职 ×3, 不称职 ×1; one 不了解.
        let mut ballots: Vec<Ballot> = [0, 0, 1, 1, 1, 3, 4].iter().map(|&a| b(0, &[Some(a)])).collect();
        // Five in group 1: not trimmed.
        ballots.extend([0, 1, 1, 2, 3].iter().map(|&a| b(1, &[Some(a)])));
        let t = tally(&rules, &values(), &EXCLUDED, 1, 2, &ballots);
        assert_eq!(t.counts[0][0], [1, 3, 0, 0, 0]);
        assert_eq!(t.trimmed[0][0], Some((0, 3)));
        assert_eq!(t.counts[0][1], [1, 2, 1, 1, 0]);
        assert_eq!(t.trimmed[0][1], None);
        // The ballot answering only 不了解 counts nothing: it is blank.
        assert_eq!((t.cast.clone(), t.valid.clone()), (vec![7, 5], vec![6, 5]));
        assert_eq!(t.void, [(Void::Blank, 1)]);
    }

    #[test]
    fn example_f_counts_come_back_unchanged_without_rules() {
        // L1's 干部职工 line of Example F: 优秀 22, 称职 14, 基本称职 3, 不称职 1.
        let ballots: Vec<Ballot> =
            [(0, 22), (1, 14), (2, 3), (3, 1)].iter().flat_map(|&(a, n)| std::iter::repeat_n(b(0, &[Some(a)]), n)).collect();
        let t = tally(&BallotRules::default(), &values(), &EXCLUDED, 1, 1, &ballots);
        assert_eq!(t.counts[0][0], [22, 14, 3, 1, 0]);
        assert!(t.void.is_empty());
    }

    fn arb_ballot(subjects: usize, groups: u32) -> impl Strategy<Value = Ballot> {
        (0..groups, proptest::collection::vec(proptest::option::weighted(0.9, 0u32..5), subjects)).prop_map(|(group, answers)| Ballot { group, answers })
    }

    proptest! {
        #[test]
        fn tally_accounts_for_every_ballot(
            ballots in proptest::collection::vec(arb_ballot(4, 3), 0..60),
            max in 0u32..4, uniform in proptest::option::of(2u32..5), trim in proptest::option::of(2u32..8),
        ) {
            let rules = BallotRules { max_per_ballot: vec![(0, max)], uniform_void_min: uniform, trim_over: trim };
            let t = tally(&rules, &values(), &EXCLUDED, 4, 3, &ballots);
            let voided: u64 = t.void.iter().map(|v| v.1).sum();
            prop_assert_eq!(t.cast.iter().sum::<u64>(), ballots.len() as u64);
            prop_assert_eq!(t.valid.iter().sum::<u64>() + voided, ballots.len() as u64);
            for s in 0..4 {
                for g in 0..3 {
                    // Every valid, non-excluded answer is counted, less two when trimmed.
                    let answered = ballots.iter()
                        .filter(|b| b.group == g as u32 && validity(&rules, &EXCLUDED, b).is_ok())
                        .filter(|b| b.answers[s].is_some_and(|a| !EXCLUDED[a as usize]))
                        .count() as u64;
                    let counted: u64 = t.counts[s][g].iter().sum();
                    let dropped = if t.trimmed[s][g].is_some() { 2 } else { 0 };
                    prop_assert_eq!(counted + dropped, answered);
                    prop_assert_eq!(t.counts[s][g][4], 0);
                    if let Some(over) = trim {
                        prop_assert_eq!(t.trimmed[s][g].is_some(), answered > u64::from(over) && answered >= 3);
                    }
                }
            }
        }

        #[test]
        fn trimming_never_raises_the_top_or_lowers_the_bottom(answers in proptest::collection::vec(0u32..4, 3..30)) {
            let ballots: Vec<Ballot> = answers.iter().map(|&a| b(0, &[Some(a)])).collect();
            let rules = BallotRules { trim_over: Some(2), ..Default::default() };
            let t = tally(&rules, &values(), &EXCLUDED, 1, 1, &ballots);
            let (hi, lo) = t.trimmed[0][0].unwrap();
            prop_assert_eq!(hi, *answers.iter().min().unwrap());
            prop_assert_eq!(lo, *answers.iter().max().unwrap());
        }
    }
}
