//! Periods: months, quarters, halves and years, and how they contain each other.

use std::fmt;

/// The length of a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Month,
    Quarter,
    Half,
    Year,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Month, Level::Quarter, Level::Half, Level::Year];

    pub fn key(self) -> &'static str {
        match self {
            Level::Month => "month",
            Level::Quarter => "quarter",
            Level::Half => "half",
            Level::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.key() == s)
    }

    /// Months in one period of this level.
    pub fn months(self) -> u8 {
        match self {
            Level::Month => 1,
            Level::Quarter => 3,
            Level::Half => 6,
            Level::Year => 12,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Level::Month => "月度",
            Level::Quarter => "季度",
            Level::Half => "半年",
            Level::Year => "年度",
        }
    }
}

/// A period of one year: `2026-03`, `2026-Q1`, `2026-H2` or `2026`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: u16,
    pub level: Level,
    /// 1-based index within the year (month 1–12, quarter 1–4, half 1–2, year 1).
    pub index: u8,
}

impl Period {
    pub fn month(year: u16, month: u8) -> Period {
        Period { year, level: Level::Month, index: month }
    }

    pub fn year(year: u16) -> Period {
        Period { year, level: Level::Year, index: 1 }
    }

    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let (y, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: u16 = y.parse().ok()?;
        let (level, index) = match rest {
            None => (Level::Year, 1),
            Some(r) => {
                let (level, num) = match r.as_bytes().first()? {
                    b'Q' | b'q' => (Level::Quarter, &r[1..]),
                    b'H' | b'h' => (Level::Half, &r[1..]),
                    b'0'..=b'9' => (Level::Month, r),
                    _ => return None,
                };
                if num.is_empty() || num.len() > 2 || !num.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (level, num.parse().ok()?)
            }
        };
        let max = 12 / level.months();
        (1..=max).contains(&index).then_some(Period { year, level, index })
    }

    pub fn first_month(self) -> u8 {
        (self.index - 1) * self.level.months() + 1
    }

    pub fn last_month(self) -> u8 {
        self.index * self.level.months()
    }

    /// Whether `other` lies within this period (a period contains itself).
    pub fn contains(self, other: Period) -> bool {
        self.year == other.year
            && other.level <= self.level
            && other.first_month() >= self.first_month()
            && other.last_month() <= self.last_month()
    }

    /// The periods of `level` that make up this one, in order.
    pub fn parts(self, level: Level) -> Vec<Period> {
        if level > self.level {
            return Vec::new();
        }
        let per = level.months();
        (self.first_month()..=self.last_month())
            .step_by(usize::from(per))
            .map(|m| Period { year: self.year, level, index: (m - 1) / per + 1 })
            .collect()
    }

    /// The period of `level` that contains this one.
    pub fn enclosing(self, level: Level) -> Period {
        let per = level.months();
        Period { year: self.year, level, index: (self.first_month() - 1) / per + 1 }
    }

    /// Chinese label, e.g. `2026年3月`, `2026年第一季度`.
    pub fn label_zh(self) -> String {
        const NUM: [&str; 4] = ["一", "二", "三", "四"];
        match self.level {
            Level::Month => format!("{}年{}月", self.year, self.index),
            Level::Quarter => format!("{}年第{}季度", self.year, NUM[usize::from(self.index - 1)]),
            Level::Half => format!("{}年{}半年", self.year, if self.index == 1 { "上" } else { "下" }),
            Level::Year => format!("{}年度", self.year),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            Level::Month => write!(f, "{}-{:02}", self.year, self.index),
            Level::Quarter => write!(f, "{}-Q{}", self.year, self.index),
            Level::Half => write!(f, "{}-H{}", self.year, self.index),
            Level::Year => write!(f, "{}", self.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_round_trip() {
        for s in ["2026-03", "2026-12", "2026-Q1", "2026-Q4", "2026-H2", "2026"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Period::parse("2026-3").unwrap().to_string(), "2026-03");
        for bad in ["2026-13", "2026-00", "2026-Q5", "2026-H3", "26-01", "2026-x", "", "2026-"] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn containment_and_parts() {
        let q2 = Period::parse("2026-Q2").unwrap();
        assert_eq!(q2.parts(Level::Month).iter().map(|p| p.to_string()).collect::<Vec<_>>(), ["2026-04", "2026-05", "2026-06"]);
        assert!(q2.contains(Period::month(2026, 6)));
        assert!(!q2.contains(Period::month(2026, 7)));
        assert_eq!(Period::month(2026, 8).enclosing(Level::Half).to_string(), "2026-H2");
        assert_eq!(Period::year(2026).parts(Level::Quarter).len(), 4);
        assert_eq!(Period::parse("2026-Q3").unwrap().label_zh(), "2026年第三季度");
    }
}
