//! The content of the exported documents, as [`yardstick_sheets::report::Report`]s: read
//! from result sets, publications and stored values exactly as the results API and pages
//! read them, and rendered by `yardstick_sheets::write` (and by the PDF renderer). Nothing
//! here decides who may see what: the handlers in `api/exports.rs` ask `authz` first and
//! pass in only what the caller may reach (the result set, the categories, the unit).
//!
//! - [`rankings`]: each category's ranking for a period as the office circulates it.
//! - [`scorecard`]: a unit's scorecard (the workbook and the PDF): every indicator's points and points lost, every
//!   deduction and bonus with its reason, the positive and negative lists.
//! - [`raw_data`]: a period's values and occurrences in the long form of
//!   docs/workbooks.md, with the hidden `yardstick` sheet, to be imported again.
//! - [`notice`]: the period notice (通报), shown as a page and printed as a PDF.
//! - [`summary`]: the annual summary: each unit's published scores in the year's periods and
//!   the year's score, rank and grade.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Deserialize;
use yardstick_formats::Lang;
use yardstick_storage::results::{Publication, ResultSetInfo};

use crate::ui::datetime;

pub mod notice;
pub mod rankings;
pub mod raw_data;
pub mod scorecard;
pub mod summary;

/// Which result set a document shows: a publication (a version, or the one in force) or,
/// for the office, the latest computation (a preview, always marked so).
#[derive(Clone, Debug)]
pub enum Source {
    Published(Publication),
    Preview(ResultSetInfo),
}

impl Source {
    pub fn set_id(&self) -> i64 {
        match self {
            Source::Published(p) => p.set_id,
            Source::Preview(s) => s.id,
        }
    }

    pub fn is_preview(&self) -> bool {
        matches!(self, Source::Preview(_))
    }

    /// "第 2 版，2026-04-05 10:00 发布，事由：…" or "预览（未发布）：…".
    pub fn line(&self, lang: Lang) -> String {
        match (self, lang) {
            (Source::Published(p), Lang::Zh) => format!("第 {} 版，{} 发布，事由：{}", p.version, datetime(p.published_ms), p.reason),
            (Source::Published(p), _) => format!("version {}, published {}: {}", p.version, datetime(p.published_ms), p.reason),
            (Source::Preview(s), Lang::Zh) => format!("预览（未发布）：{} 由 {} 计算，方案第 {} 版；各单位看不到这些结果", datetime(s.computed_ms), s.computed_by, s.plan_version),
            (Source::Preview(s), _) => format!("preview (not published): computed {} by {} with plan version {}; units cannot see these results", datetime(s.computed_ms), s.computed_by, s.plan_version),
        }
    }

    /// The date printed under the office's name.
    pub fn date(&self) -> String {
        let ms = match self {
            Source::Published(p) => p.published_ms,
            Source::Preview(s) => s.computed_ms,
        };
        datetime(ms).chars().take(10).collect()
    }
}

/// What a stored explanation says that a ranking needs: the remark (veto reasons, a
/// demotion, extra points) and each indicator's points. Read with a partial parse.
#[derive(Deserialize, Default, Debug, Clone)]
pub struct Detail {
    #[serde(default)]
    pub remark: Texts,
    #[serde(default)]
    pub explain: ExplainPart,
}

#[derive(Deserialize, Default, Debug, Clone)]
pub struct Texts {
    #[serde(default)]
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl Texts {
    pub fn pick(&self, lang: Lang) -> &str {
        if lang == Lang::Zh { &self.zh } else { &self.en }
    }
}

#[derive(Deserialize, Default, Debug, Clone)]
pub struct ExplainPart {
    #[serde(default)]
    pub indicators: Vec<IndicatorPoints>,
}

#[derive(Deserialize, Debug, Clone)]
pub struct IndicatorPoints {
    pub indicator: String,
    #[serde(default)]
    pub points: String,
}

/// `并列第2名` / `第2名` (tied: `=2` in English), as the notice writes ranks.
pub use notice::rank_words;

/// The label of a period: `2026年3月` / `Mar 2026`.
pub fn period_label(p: &str, lang: Lang) -> String {
    crate::ui::period_label(p, lang)
}

/// A score as the pages print it: the published text, or a dash for a graded-only row.
pub fn score_value(s: Option<&str>) -> yardstick_sheets::report::Value {
    match s {
        Some(x) => yardstick_sheets::report::Value::Number(x.to_string()),
        None => yardstick_sheets::report::Value::text("—"),
    }
}

/// Unit key → name.
pub type Names = HashMap<String, String>;

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
