//! Numbers as people type them: full-width digits, thousands separators, percent signs.

use yardstick_engine::Dec;
use yardstick_engine::dec::DecError;

use crate::Msg;

/// Parses a number typed by a person into an exact decimal.
///
/// Accepts full-width digits and signs (`１２３．５`), thousands separators in groups
/// of three (`1,234.5`), surrounding spaces and a trailing `%`.
pub fn parse_number(raw: &str) -> Result<Dec, Msg> {
    let fast = Dec::parse(raw);
    if let Ok(d) = fast {
        return Ok(d);
    }
    let mut s = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        let c = match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            '％' => '%',
            '，' => ',',
            _ => c,
        };
        s.push(c);
    }
    let s = strip_thousands(&s).unwrap_or(s);
    Dec::parse(&s).map_err(|e| match e {
        DecError::Empty => Msg::new("缺少数值", "the value is missing"),
        DecError::TooManyDigits => Msg::new(
            format!("数值“{raw}”位数过多（最多18位小数，整数部分不超过19位）"),
            format!("the number '{raw}' has too many digits (at most 18 decimals and 19 digits in all)"),
        ),
        DecError::NotANumber => Msg::new(format!("“{raw}”不是数字"), format!("'{raw}' is not a number")),
    })
}

fn strip_thousands(s: &str) -> Option<String> {
    if !s.contains(',') {
        return None;
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = int.trim_start_matches(['-', '+']);
    let groups: Vec<&str> = digits.split(',').collect();
    let ok = !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return None;
    }
    let mut out = int.replace(',', "");
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_people_type() {
        for (input, want) in [
            ("１２３", "123"),
            ("１２．５％", "0.125"),
            ("1,234.5", "1234.5"),
            ("-12,345", "-12345"),
            (" 7 ", "7"),
            ("－３", "-3"),
        ] {
            assert_eq!(parse_number(input).unwrap().to_string(), want, "{input}");
        }
        for bad in ["1,23", "12,3456", "abc", "", "1.2.3", "1,,234"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
    }
}
