//! The two arithmetics the engine computes with: fast certified intervals and exact rationals.
//!
//! Every score is first computed with [`Interval`]: `f64` bounds widened by one ulp
//! after every operation, so the exact value is always inside. When a decision
//! (a comparison, a floor, the final rounding to cents) cannot be made from the
//! interval alone, the computation answers [`Fail::Uncertain`] and the subject is
//! computed again with [`Exact`] (arbitrary-precision rationals), which never is.
//! So every published number equals exact decimal arithmetic, and the fast path
//! only costs a few floating-point operations per input.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::dec::Dec;

/// Why an arithmetic step could not give an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// The interval is too wide to decide; compute exactly instead.
    Uncertain,
    /// Division by exactly zero.
    DivZero,
    /// A result does not fit the published range.
    Overflow,
}

/// Numbers the scoring code is generic over.
pub trait Num: Clone + fmt::Debug + Send + Sync {
    /// True for the exact arithmetic, which never answers `Uncertain`.
    const EXACT: bool;
    fn from_dec(d: Dec) -> Self;
    fn from_int(i: i64) -> Self;
    fn add(&self, o: &Self) -> Self;
    fn sub(&self, o: &Self) -> Self;
    fn mul(&self, o: &Self) -> Self;
    fn div(&self, o: &Self) -> Result<Self, Fail>;
    /// `a / b` for two input decimals: the most common step (a completion rate).
    fn ratio(a: Dec, b: Dec) -> Result<Self, Fail> {
        Self::from_dec(a).div(&Self::from_dec(b))
    }
    fn neg(&self) -> Self;
    fn cmp(&self, o: &Self) -> Result<Ordering, Fail>;
    fn min(&self, o: &Self) -> Result<Self, Fail> {
        Ok(if self.cmp(o)? == Ordering::Greater { o.clone() } else { self.clone() })
    }
    fn max(&self, o: &Self) -> Result<Self, Fail> {
        Ok(if self.cmp(o)? == Ordering::Less { o.clone() } else { self.clone() })
    }
    fn clamp(&self, lo: &Self, hi: &Self) -> Result<Self, Fail> {
        self.max(lo)?.min(hi)
    }
    fn floor(&self) -> Result<Self, Fail>;
    /// Rounds half away from zero to whole cents (two decimals).
    fn round_cents(&self) -> Result<i64, Fail>;
    /// Rounds half away from zero to `places` decimals and formats; for explanations.
    fn display(&self, places: u32) -> String;
    fn is_zero(&self) -> Result<bool, Fail> {
        Ok(self.cmp(&Self::from_int(0))? == Ordering::Equal)
    }
}

/// A closed interval `[lo, hi]` of `f64` that contains the exact value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    lo: f64,
    hi: f64,
}

impl Interval {
    /// Everything: what an overflowed or undefined (NaN) float could stand for. Any decision
    /// on it is uncertain, so the exact path takes over.
    const ALL: Interval = Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY };

    #[inline]
    fn widened(lo: f64, hi: f64) -> Interval {
        // The common case first: both bounds positive, normal and finite, where a step is one
        // bit pattern (what `down` and `up` do there), with three comparisons for all checks.
        if lo > f64::MIN_POSITIVE && hi > 0.0 && hi < f64::MAX {
            return Interval { lo: f64::from_bits(lo.to_bits() - 1), hi: f64::from_bits(hi.to_bits() + 1) };
        }
        if lo.is_nan() || hi.is_nan() {
            return Interval::ALL;
        }
        Interval { lo: down(lo), hi: up(hi) }
    }

    fn hull(p: [f64; 4]) -> Interval {
        // f64::min would silently skip a NaN, so check for one first.
        if p.iter().any(|v| v.is_nan()) {
            return Interval::ALL;
        }
        let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Interval::widened(lo, hi)
    }

    #[inline]
    pub fn bounds(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }
}

/// Rounds half away from zero to a whole number, for |x| < 2^52 (else `None`). The
/// difference between `x` and its truncation is exact in that range, so the comparison
/// with one half is too. (`f64::round` is a library call on baseline x86-64.)
#[inline(always)]
fn round_half_away(x: f64) -> Option<i64> {
    if !(x.abs() < 4.0e15) {
        return None;
    }
    let t = x as i64;
    let f = x - t as f64;
    Some(if f >= 0.5 {
        t + 1
    } else if f <= -0.5 {
        t - 1
    } else {
        t
    })
}

/// The next float above `x`. For positive finite numbers that is the next bit pattern,
/// which is much cheaper than the general `f64::next_up`.
#[inline(always)]
fn up(x: f64) -> f64 {
    if x > 0.0 && x < f64::MAX { f64::from_bits(x.to_bits() + 1) } else { x.next_up() }
}

/// The next float below `x` (see [`up`]).
#[inline(always)]
fn down(x: f64) -> f64 {
    if x > f64::MIN_POSITIVE { f64::from_bits(x.to_bits() - 1) } else { x.next_down() }
}

const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

impl Interval {
    /// `a / b` when a mantissa is too wide for the one-division shortcut (or `b` is zero).
    #[cold]
    fn ratio_wide(a: Dec, b: Dec) -> Result<Interval, Fail> {
        Interval::from_dec(a).div(&Interval::from_dec(b))
    }
}

impl Num for Interval {
    const EXACT: bool = false;

    #[inline]
    fn from_dec(d: Dec) -> Self {
        let m = d.mantissa();
        // Integers below 2^53 and powers of ten up to 1e22 are exact in f64, so one
        // correctly rounded division lands within one ulp of the decimal's value.
        if d.scale() == 0 && m.unsigned_abs() < (1 << 53) {
            let v = m as f64;
            return Interval { lo: v, hi: v };
        }
        let v = m as f64 / POW10[usize::from(d.scale())];
        if m.unsigned_abs() < (1 << 53) {
            Interval::widened(v, v)
        } else {
            Interval { lo: down(down(v)), hi: up(up(v)) }
        }
    }

    #[inline]
    fn from_int(i: i64) -> Self {
        if i.unsigned_abs() < (1 << 53) {
            let v = i as f64;
            Interval { lo: v, hi: v }
        } else {
            let v = i as f64;
            Interval { lo: v.next_down(), hi: v.next_up() }
        }
    }

    #[inline]
    fn add(&self, o: &Self) -> Self {
        Interval::widened(self.lo + o.lo, self.hi + o.hi)
    }

    #[inline]
    fn sub(&self, o: &Self) -> Self {
        Interval::widened(self.lo - o.hi, self.hi - o.lo)
    }

    #[inline]
    fn mul(&self, o: &Self) -> Self {
        if self.lo >= 0.0 && o.lo >= 0.0 {
            return Interval::widened(self.lo * o.lo, self.hi * o.hi);
        }
        Interval::hull([self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi])
    }

    #[inline]
    fn div(&self, o: &Self) -> Result<Self, Fail> {
        if !(o.lo > 0.0 || o.hi < 0.0) {
            // The divisor may be zero: only the exact path can tell.
            return Err(Fail::Uncertain);
        }
        if self.lo >= 0.0 && o.lo > 0.0 {
            return Ok(Interval::widened(self.lo / o.hi, self.hi / o.lo));
        }
        Ok(Interval::hull([self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi]))
    }

    /// One division of the integer mantissas, then one exact power of ten (exact in f64 up
    /// to 10^22): two roundings instead of four. The result v errs by at most
    /// (2u + u²)|exact| with u = 2^-53, that is under 2 ulps of v (about 1 ulp when v is
    /// at the bottom of its binade). Three steps either side cover it, also where the
    /// steps below a power of two are half as large: from 2^j + m·ulp (m ≤ 2) three steps
    /// down span (3 + m)/2 ≥ 1.5 ulps.
    #[inline]
    fn ratio(a: Dec, b: Dec) -> Result<Self, Fail> {
        let (ma, mb) = (a.mantissa(), b.mantissa());
        if mb == 0 || ma.unsigned_abs() >= (1 << 53) || mb.unsigned_abs() >= (1 << 53) {
            return Interval::ratio_wide(a, b);
        }
        let q = ma as f64 / mb as f64;
        // value = q × 10^(scale b − scale a); both scales are at most 18.
        let k = i32::from(b.scale()) - i32::from(a.scale());
        let v = if k >= 0 { q * POW10[k as usize] } else { q / POW10[(-k) as usize] };
        if v == 0.0 {
            return Ok(Interval { lo: 0.0, hi: 0.0 });
        }
        // Three steps either way. Far from zero, the subnormals and infinity, a step is one
        // bit pattern (up for a positive value is +1, for a negative one −1), so three steps
        // are ±3: the very same bounds as three calls of `down` and `up`.
        let m = v.abs();
        if m > 1e-300 && m < 1e300 {
            let bits = v.to_bits();
            return Ok(if v > 0.0 {
                Interval { lo: f64::from_bits(bits - 3), hi: f64::from_bits(bits + 3) }
            } else {
                Interval { lo: f64::from_bits(bits + 3), hi: f64::from_bits(bits - 3) }
            });
        }
        Ok(Interval { lo: down(down(down(v))), hi: up(up(up(v))) })
    }

    #[inline]
    fn neg(&self) -> Self {
        Interval { lo: -self.hi, hi: -self.lo }
    }

    #[inline]
    fn cmp(&self, o: &Self) -> Result<Ordering, Fail> {
        if self.hi < o.lo {
            Ok(Ordering::Less)
        } else if self.lo > o.hi {
            Ok(Ordering::Greater)
        } else if self.lo == self.hi && o.lo == o.hi && self.lo == o.lo {
            // Both are points, so both are exact and equal.
            Ok(Ordering::Equal)
        } else {
            Err(Fail::Uncertain)
        }
    }

    // min and max are continuous, so bounds carry over without any decision.
    #[inline]
    fn min(&self, o: &Self) -> Result<Self, Fail> {
        Ok(Interval { lo: self.lo.min(o.lo), hi: self.hi.min(o.hi) })
    }

    #[inline]
    fn max(&self, o: &Self) -> Result<Self, Fail> {
        Ok(Interval { lo: self.lo.max(o.lo), hi: self.hi.max(o.hi) })
    }

    #[inline]
    fn floor(&self) -> Result<Self, Fail> {
        let (a, b) = (self.lo.floor(), self.hi.floor());
        if a == b && a.is_finite() { Ok(Interval { lo: a, hi: a }) } else { Err(Fail::Uncertain) }
    }

    #[inline]
    fn round_cents(&self) -> Result<i64, Fail> {
        let lo = round_half_away(down(self.lo * 100.0));
        let hi = round_half_away(up(self.hi * 100.0));
        match (lo, hi) {
            (Some(a), Some(b)) if a == b => Ok(a),
            _ => Err(Fail::Uncertain),
        }
    }

    #[inline]
    fn display(&self, places: u32) -> String {
        format!("{:.*}", places as usize, (self.lo + self.hi) / 2.0)
    }
}

/// An exact rational with `i128` numerator and denominator: the exact path for the common
/// case, tried before [`Exact`] when the interval path cannot decide (a score exactly on a
/// half cent, say), at a small fraction of `BigRational`'s cost. An operation that would
/// overflow gives a *poisoned* value; any decision on a poisoned value (a comparison, a
/// division by it, the rounding) answers [`Fail::Uncertain`], and the subject is computed
/// again with `Exact`. Whatever it does decide equals exact arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Small {
    /// In lowest terms, `d > 0`; `d == 0` marks a poisoned value.
    n: i128,
    d: i128,
}

impl Small {
    const POISON: Small = Small { n: 0, d: 0 };

    #[inline]
    fn poisoned(self) -> bool {
        self.d == 0
    }

    /// `n / d` in lowest terms, for `d > 0`.
    #[inline]
    fn reduced(n: i128, d: i128) -> Small {
        let g = gcd(n.unsigned_abs(), d.unsigned_abs()) as i128;
        if g <= 1 { Small { n, d } } else { Small { n: quot(n, g), d: quot(d, g) } }
    }

    /// The value as numerator and denominator, unless poisoned (for tests and traces).
    pub fn parts(self) -> Option<(i128, i128)> {
        (!self.poisoned()).then_some((self.n, self.d))
    }

    fn try_add(self, o: Small) -> Option<Small> {
        if self.poisoned() || o.poisoned() {
            return None;
        }
        if self.d == o.d {
            return Some(Small::reduced(self.n.checked_add(o.n)?, self.d));
        }
        let g = gcd(self.d.unsigned_abs(), o.d.unsigned_abs()) as i128;
        let (a, b) = (quot(self.d, g), quot(o.d, g));
        let d = prod(self.d, b)?;
        let n = prod(self.n, b)?.checked_add(prod(o.n, a)?)?;
        Some(Small::reduced(n, d))
    }

    fn try_mul(self, o: Small) -> Option<Small> {
        if self.poisoned() || o.poisoned() {
            return None;
        }
        if self.n == 0 || o.n == 0 {
            return Some(Small { n: 0, d: 1 });
        }
        // Cross-reduce first: both factors are in lowest terms, so the product is too.
        let g1 = gcd(self.n.unsigned_abs(), o.d.unsigned_abs()) as i128;
        let g2 = gcd(o.n.unsigned_abs(), self.d.unsigned_abs()) as i128;
        Some(Small { n: prod(quot(self.n, g1), quot(o.n, g2))?, d: prod(quot(self.d, g2), quot(o.d, g1))? })
    }
}

/// Whether `x` fits an `i64`: then the machine's own instructions do, where `i128` division
/// and checked multiplication are library calls.
#[inline(always)]
fn fits(x: i128) -> bool {
    x as i64 as i128 == x
}

/// `a × b`, or `None` on overflow.
#[inline(always)]
fn prod(a: i128, b: i128) -> Option<i128> {
    if fits(a) && fits(b) { Some(a * b) } else { a.checked_mul(b) }
}

/// `a / b` (truncated) for `b > 0`.
#[inline(always)]
fn quot(a: i128, b: i128) -> i128 {
    if fits(a) && fits(b) { i128::from(a as i64 / b as i64) } else { a / b }
}

/// `a % b` (sign of `a`) for `b > 0`.
#[inline(always)]
fn rem(a: i128, b: i128) -> i128 {
    if fits(a) && fits(b) { i128::from(a as i64 % b as i64) } else { a % b }
}

/// Binary GCD; `gcd(0, b) = b`.
#[inline]
fn gcd(mut a: u128, mut b: u128) -> u128 {
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    // Small operands are the rule here: try the machine word first.
    if a <= u128::from(u64::MAX) && b <= u128::from(u64::MAX) {
        return u128::from(gcd64(a as u64, b as u64));
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

#[inline]
fn gcd64(mut a: u64, mut b: u64) -> u64 {
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

impl Num for Small {
    const EXACT: bool = false;

    #[inline]
    fn from_dec(d: Dec) -> Self {
        Small::reduced(i128::from(d.mantissa()), 10i128.pow(u32::from(d.scale())))
    }

    #[inline]
    fn from_int(i: i64) -> Self {
        Small { n: i128::from(i), d: 1 }
    }

    #[inline]
    fn add(&self, o: &Self) -> Self {
        self.try_add(*o).unwrap_or(Small::POISON)
    }

    #[inline]
    fn sub(&self, o: &Self) -> Self {
        self.add(&o.neg())
    }

    #[inline]
    fn mul(&self, o: &Self) -> Self {
        self.try_mul(*o).unwrap_or(Small::POISON)
    }

    fn div(&self, o: &Self) -> Result<Self, Fail> {
        if o.poisoned() {
            return Err(Fail::Uncertain);
        }
        if o.n == 0 {
            return Err(Fail::DivZero);
        }
        let Some(n) = o.d.checked_mul(o.n.signum()) else { return Ok(Small::POISON) };
        Ok(self.mul(&Small { n, d: o.n.unsigned_abs().try_into().unwrap_or(0) }))
    }

    #[inline]
    fn neg(&self) -> Self {
        match self.n.checked_neg() {
            Some(n) if !self.poisoned() => Small { n, d: self.d },
            _ => Small::POISON,
        }
    }

    fn cmp(&self, o: &Self) -> Result<Ordering, Fail> {
        if self.poisoned() || o.poisoned() {
            return Err(Fail::Uncertain);
        }
        if self.d == o.d {
            return Ok(self.n.cmp(&o.n));
        }
        match (prod(self.n, o.d), prod(o.n, self.d)) {
            (Some(a), Some(b)) => Ok(a.cmp(&b)),
            _ => Err(Fail::Uncertain),
        }
    }

    fn floor(&self) -> Result<Self, Fail> {
        if self.poisoned() {
            return Err(Fail::Uncertain);
        }
        Ok(Small { n: self.n.div_euclid(self.d), d: 1 })
    }

    fn round_cents(&self) -> Result<i64, Fail> {
        if self.poisoned() {
            return Err(Fail::Uncertain);
        }
        let x = prod(self.n, 100).ok_or(Fail::Uncertain)?;
        let (q, r) = (quot(x, self.d), rem(x, self.d));
        // Half away from zero: |r| / d ≥ 1/2 moves one cent away from zero.
        let q = if r.unsigned_abs() * 2 >= self.d.unsigned_abs() { q + x.signum() } else { q };
        i64::try_from(q).map_err(|_| Fail::Overflow)
    }

    fn display(&self, places: u32) -> String {
        match self.parts() {
            Some((n, d)) => Exact(BigRational::new(BigInt::from(n), BigInt::from(d))).display(places),
            None => "?".into(),
        }
    }
}

/// An exact rational number.
#[derive(Clone, Debug, PartialEq)]
pub struct Exact(pub BigRational);

impl Exact {
    fn half_away_scaled(&self, scale: &BigInt) -> BigInt {
        let x = &self.0 * BigRational::from_integer(scale.clone());
        let half = BigRational::new(BigInt::one(), BigInt::from(2));
        if x.is_negative() { -((-x) + half).floor().to_integer() } else { (x + half).floor().to_integer() }
    }

    pub fn to_f64(&self) -> f64 {
        self.0.numer().to_f64().unwrap_or(f64::NAN) / self.0.denom().to_f64().unwrap_or(f64::NAN)
    }
}

impl Num for Exact {
    const EXACT: bool = true;

    fn from_dec(d: Dec) -> Self {
        let (n, den) = d.as_fraction();
        Exact(BigRational::new(BigInt::from(n), BigInt::from(den)))
    }

    fn from_int(i: i64) -> Self {
        Exact(BigRational::from_integer(BigInt::from(i)))
    }

    fn add(&self, o: &Self) -> Self {
        Exact(&self.0 + &o.0)
    }

    fn sub(&self, o: &Self) -> Self {
        Exact(&self.0 - &o.0)
    }

    fn mul(&self, o: &Self) -> Self {
        Exact(&self.0 * &o.0)
    }

    fn div(&self, o: &Self) -> Result<Self, Fail> {
        if o.0.is_zero() { Err(Fail::DivZero) } else { Ok(Exact(&self.0 / &o.0)) }
    }

    fn neg(&self) -> Self {
        Exact(-&self.0)
    }

    fn cmp(&self, o: &Self) -> Result<Ordering, Fail> {
        Ok(self.0.cmp(&o.0))
    }

    fn floor(&self) -> Result<Self, Fail> {
        Ok(Exact(self.0.floor()))
    }

    fn round_cents(&self) -> Result<i64, Fail> {
        self.half_away_scaled(&BigInt::from(100)).to_i64().ok_or(Fail::Overflow)
    }

    fn display(&self, places: u32) -> String {
        let scaled = self.half_away_scaled(&BigInt::from(10u64.pow(places)));
        let neg = scaled.is_negative();
        let (q, r) = scaled.abs().div_rem(&BigInt::from(10u64.pow(places)));
        let sign = if neg { "-" } else { "" };
        if places == 0 {
            format!("{sign}{q}")
        } else {
            format!("{sign}{q}.{:0>width$}", r.to_string(), width = places as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    #[test]
    fn interval_contains_exact_and_defers_on_half_cents() {
        // 0.335 / 3 * 3 is exactly 0.335, which rounds half away to 0.34.
        let x = Interval::from_dec(d("0.335")).div(&Interval::from_int(3)).unwrap().mul(&Interval::from_int(3));
        assert_eq!(x.round_cents(), Err(Fail::Uncertain));
        let e = Exact::from_dec(d("0.335")).div(&Exact::from_int(3)).unwrap().mul(&Exact::from_int(3));
        assert_eq!(e.round_cents(), Ok(34));
        assert_eq!(Exact::from_dec(d("-0.335")).round_cents(), Ok(-34));
        assert_eq!(Exact::from_dec(d("2.344999")).round_cents(), Ok(234));
        // Far from a half cent, the interval decides alone.
        assert_eq!(Interval::from_dec(d("8.9975")).add(&Interval::from_dec(d("0.001"))).round_cents(), Ok(900));
    }

    #[test]
    fn interval_division_by_possible_zero_is_uncertain() {
        let z = Interval::from_dec(d("0.1")).sub(&Interval::from_dec(d("0.1")));
        assert_eq!(Interval::from_int(1).div(&z), Err(Fail::Uncertain));
        assert_eq!(Exact::from_int(1).div(&Exact::from_int(0)), Err(Fail::DivZero));
    }

    #[test]
    fn overflow_and_nan_become_the_whole_line() {
        let big = Interval::from_dec(d("9000000000000000000"));
        let mut x = big;
        for _ in 0..20 {
            x = x.mul(&big);
        }
        let nan = x.sub(&x).mul(&Interval::from_int(0));
        assert_eq!(nan.bounds(), (f64::NEG_INFINITY, f64::INFINITY));
        assert_eq!(nan.min(&Interval::from_int(1)).unwrap().round_cents(), Err(Fail::Uncertain));
        assert_eq!(x.cmp(&x), Err(Fail::Uncertain));
    }

    #[test]
    fn three_steps_are_three_bit_patterns() {
        for v in [1.0, -1.0, 0.1, -0.1, 2.0, 1.5e-300, -1.5e-300, 3.0e299, 0.5, 1.0 - f64::EPSILON / 2.0, 4.0 * (1.0 + f64::EPSILON)] {
            let bits = v.to_bits();
            let (lo, hi) = if v > 0.0 { (bits - 3, bits + 3) } else { (bits + 3, bits - 3) };
            assert_eq!((f64::from_bits(lo), f64::from_bits(hi)), (down(down(down(v))), up(up(up(v)))), "{v}");
        }
    }

    #[test]
    fn small_rationals_are_exact_or_poisoned() {
        // 0.335 / 3 × 3 is exactly 0.335: 34 cents, where the interval cannot decide.
        let x = Small::from_dec(d("0.335")).div(&Small::from_int(3)).unwrap().mul(&Small::from_int(3));
        assert_eq!(x.round_cents(), Ok(34));
        assert_eq!(x.neg().round_cents(), Ok(-34));
        assert_eq!(Small::from_int(-1).div(&Small::from_int(8)).unwrap().round_cents(), Ok(-13));
        assert_eq!(Small::from_dec(d("2.344999")).round_cents(), Ok(234));
        assert_eq!(Small::from_dec(d("-7.5")).floor().unwrap().parts(), Some((-8, 1)));
        assert_eq!(Small::from_int(1).div(&Small::from_int(0)), Err(Fail::DivZero));
        assert_eq!(Small::from_dec(d("0.1")).add(&Small::from_dec(d("0.2"))).cmp(&Small::from_dec(d("0.3"))), Ok(Ordering::Equal));
        // Overflow poisons; every decision on the poison is uncertain, never wrong.
        let mut big = Small::from_int(i64::MAX);
        for _ in 0..3 {
            big = big.mul(&big);
        }
        assert_eq!(big.parts(), None);
        assert_eq!(big.round_cents(), Err(Fail::Uncertain));
        assert_eq!(big.cmp(&Small::from_int(0)), Err(Fail::Uncertain));
        assert_eq!(Small::from_int(1).div(&big), Err(Fail::Uncertain));
        assert_eq!(big.sub(&big).parts(), None);
        let tiny = Small::from_int(1).div(&Small::from_dec(d("1000000000000000000"))).unwrap();
        assert_eq!(tiny.mul(&tiny).mul(&tiny).parts(), None);
    }

    #[test]
    fn exact_display_rounds_half_away() {
        let third = Exact::from_int(280).div(&Exact::from_int(3)).unwrap();
        assert_eq!(third.display(4), "93.3333");
        assert_eq!(Exact::from_dec(d("-1.005")).display(2), "-1.01");
        assert_eq!(Exact::from_dec(d("0.5")).display(0), "1");
    }
}
