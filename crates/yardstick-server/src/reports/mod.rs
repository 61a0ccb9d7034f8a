//! The content of printed documents, built once from the database and shown as a page, a
//! PDF (`yardstick-pdf`) or a workbook, so that all of them say the same thing.

pub mod notice;
pub mod scorecard_pdf;

use std::fmt::Write as _;

/// A `Content-Disposition: attachment` header value: an ASCII `filename` for old clients and
/// the real (UTF-8, percent-encoded) name as `filename*` (RFC 6266, RFC 8187).
pub fn attachment(ascii_fallback: &str, utf8_name: &str) -> String {
    let fallback: String = ascii_fallback.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in utf8_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A sheet name a workbook accepts: at most 31 characters, none of `[]:*?/\`.
pub fn sheet_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if clean.trim().is_empty() { "Sheet".into() } else { clean }
}
