//! Yardstick's file formats: the plan (TOML), the subjects and the period data (CSV).
//!
//! Everything here is parsing and checking of text already in memory; reading files
//! is the caller's business. Every problem names its place (file, line, column,
//! field) and reads in Chinese or English; loaders report all problems at once and
//! return nothing half-built.

#![forbid(unsafe_code)]

pub mod data;
pub mod numtext;
pub mod plan;
pub mod subjects;

use std::fmt;

/// The language of messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" | "cn" => Some(Lang::Zh),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A message in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub zh: String,
    pub en: String,
}

impl Msg {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Msg {
        Msg { zh: zh.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// Where a problem is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    /// The worksheet, for a workbook.
    pub sheet: Option<String>,
    /// The line of a text file, or the row of a worksheet (1-based, as Excel shows it).
    pub line: Option<usize>,
    pub column: Option<String>,
    pub field: Option<String>,
}

/// One problem in an input, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    pub msg: Msg,
}

impl Problem {
    pub fn render(&self, lang: Lang) -> String {
        let mut out = self.place.file.clone();
        if let Some(s) = &self.place.sheet {
            out.push_str(&match lang {
                Lang::Zh => format!(" 工作表“{s}”"),
                Lang::En => format!(" sheet '{s}'"),
            });
        }
        if let Some(l) = self.place.line {
            out.push_str(&match (lang, self.place.sheet.is_some()) {
                (Lang::Zh, _) => format!(" 第{l}行"),
                (Lang::En, true) => format!(" row {l}"),
                (Lang::En, false) => format!(" line {l}"),
            });
        }
        if let Some(c) = &self.place.column {
            out.push_str(&match lang {
                Lang::Zh => format!(" 列“{c}”"),
                Lang::En => format!(" column '{c}'"),
            });
        }
        if let Some(f) = &self.place.field {
            out.push_str(&match lang {
                Lang::Zh => format!(" 字段 {f}"),
                Lang::En => format!(" field {f}"),
            });
        }
        out.push_str(lang.pick("：", ": "));
        out.push_str(self.msg.get(lang));
        out
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// The 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let col = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
    (line, col)
}
