//! Exact decimal input values (`Dec`) and their compact 4-byte cell encoding.
//!
//! Every number that enters the engine — a target, an actual figure, a weight, a
//! share — is a finite decimal written by a person. `Dec` keeps it exactly as
//! written (mantissa and scale), so the exact arithmetic path can reproduce it and
//! explanations can quote it.

use std::cmp::Ordering;
use std::fmt;

/// The largest scale (digits after the point) an input may have.
pub const MAX_SCALE: u8 = 18;

/// A finite decimal number `mantissa × 10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dec {
    mantissa: i64,
    scale: u8,
}

/// Why a text is not a decimal number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecError {
    Empty,
    NotANumber,
    TooManyDigits,
}

impl Dec {
    pub const ZERO: Dec = Dec { mantissa: 0, scale: 0 };
    pub const ONE: Dec = Dec { mantissa: 1, scale: 0 };

    /// `mantissa × 10^-scale`, normalised so that equal values have equal representations.
    pub fn new(mantissa: i64, scale: u8) -> Dec {
        assert!(scale <= MAX_SCALE, "scale above {MAX_SCALE}");
        let mut d = Dec { mantissa, scale };
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        if d.mantissa == 0 {
            d.scale = 0;
        }
        d
    }

    pub fn from_int(i: i64) -> Dec {
        Dec { mantissa: i, scale: 0 }
    }

    pub fn mantissa(self) -> i64 {
        self.mantissa
    }

    pub fn scale(self) -> u8 {
        self.scale
    }

    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// Parses a plain decimal: optional sign, digits, optional point and digits.
    /// A trailing `%` divides by 100 (so `30%` is `0.3`). No exponent, no separators:
    /// the formats crate normalises user input (full-width digits, thousands
    /// separators) before calling this.
    pub fn parse(s: &str) -> Result<Dec, DecError> {
        let s = s.trim();
        let (s, percent) = match s.strip_suffix('%') {
            Some(rest) => (rest.trim_end(), true),
            None => (s, false),
        };
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(DecError::Empty);
        }
        let (neg, digits) = match b[0] {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        if digits.is_empty() {
            return Err(DecError::NotANumber);
        }
        let mut mantissa: i128 = 0;
        let mut scale: u32 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        for &c in digits {
            match c {
                b'0'..=b'9' => {
                    seen_digit = true;
                    mantissa = mantissa * 10 + i128::from(c - b'0');
                    if seen_point {
                        scale += 1;
                    }
                    if mantissa > i128::from(i64::MAX) || scale > u32::from(MAX_SCALE) {
                        return Err(DecError::TooManyDigits);
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => return Err(DecError::NotANumber),
            }
        }
        if !seen_digit {
            return Err(DecError::NotANumber);
        }
        if percent {
            scale += 2;
            if scale > u32::from(MAX_SCALE) {
                return Err(DecError::TooManyDigits);
            }
        }
        let m = if neg { -mantissa } else { mantissa } as i64;
        Ok(Dec::new(m, scale as u8))
    }

    /// Exact sum, if it fits.
    pub fn checked_add(self, o: Dec) -> Option<Dec> {
        let s = self.scale.max(o.scale);
        let a = self.mantissa.checked_mul(10i64.checked_pow(u32::from(s - self.scale))?)?;
        let b = o.mantissa.checked_mul(10i64.checked_pow(u32::from(s - o.scale))?)?;
        Some(Dec::new(a.checked_add(b)?, s))
    }

    pub fn neg(self) -> Dec {
        Dec { mantissa: -self.mantissa, scale: self.scale }
    }

    /// Nearest `f64`; used for display-only purposes such as charts, never for results.
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(i32::from(self.scale))
    }

    /// The value as an exact fraction `numerator / denominator` with a positive denominator.
    pub fn as_fraction(self) -> (i128, i128) {
        (i128::from(self.mantissa), 10i128.pow(u32::from(self.scale)))
    }

    /// Whole cents, if the value has at most two decimals and fits.
    pub fn to_cents(self) -> Option<i64> {
        if self.scale > 2 {
            return None;
        }
        self.mantissa.checked_mul(10i64.pow(2 - u32::from(self.scale)))
    }

    pub fn from_cents(cents: i64) -> Dec {
        Dec::new(cents, 2)
    }

    /// Packs the value into 4 bytes when it fits (|mantissa| < 2^27, scale ≤ 7).
    pub fn to_compact(self) -> Option<u32> {
        if self.scale <= 7 && self.mantissa.abs() < (1 << 27) {
            let m = (self.mantissa as i32) as u32;
            Some((m << 4) | (u32::from(self.scale) << 1))
        } else {
            None
        }
    }

    /// Inverse of [`Dec::to_compact`]; the low bit must be clear.
    pub fn from_compact(c: u32) -> Dec {
        debug_assert_eq!(c & 1, 0);
        let m = (c as i32) >> 4;
        let scale = ((c >> 1) & 7) as u8;
        Dec { mantissa: i64::from(m), scale }
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, da) = self.as_fraction();
        let (b, db) = other.as_fraction();
        (a * db).cmp(&(b * da))
    }
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.mantissa < 0;
        let abs = self.mantissa.unsigned_abs().to_string();
        let scale = usize::from(self.scale);
        let s = if scale == 0 {
            abs
        } else if abs.len() > scale {
            format!("{}.{}", &abs[..abs.len() - scale], &abs[abs.len() - scale..])
        } else {
            format!("0.{}{}", "0".repeat(scale - abs.len()), abs)
        };
        if neg { write!(f, "-{s}") } else { write!(f, "{s}") }
    }
}

/// Formats whole cents as a number with exactly two decimals (`9250` → `92.50`).
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        for (input, shown) in [
            ("61.2", "61.2"),
            ("-1.50", "-1.5"),
            ("0.005", "0.005"),
            ("30%", "0.3"),
            ("+7", "7"),
            ("100.00", "100"),
            ("-0", "0"),
            (".5", "0.5"),
        ] {
            assert_eq!(Dec::parse(input).unwrap().to_string(), shown, "{input}");
        }
        for bad in ["", "abc", "1.2.3", "1e5", "-", "1,000", "."] {
            assert!(Dec::parse(bad).is_err(), "{bad} should not parse");
        }
        assert_eq!(Dec::parse("99999999999999999999"), Err(DecError::TooManyDigits));
    }

    #[test]
    fn compact_round_trip() {
        for s in ["0", "1", "-1", "12345.67", "-134217.727", "0.0000001", "13421772.7"] {
            let d = Dec::parse(s).unwrap();
            let c = d.to_compact().unwrap();
            assert_eq!(Dec::from_compact(c), d, "{s}");
        }
        assert!(Dec::parse("134217728").unwrap().to_compact().is_none());
        assert!(Dec::parse("0.00000001").unwrap().to_compact().is_none());
    }

    #[test]
    fn ordering_is_exact() {
        assert!(Dec::parse("0.1").unwrap() < Dec::parse("0.10000000001").unwrap());
        assert_eq!(Dec::parse("2.50").unwrap(), Dec::parse("2.5").unwrap());
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(9250), "92.50");
    }
}
