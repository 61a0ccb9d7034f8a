//! The content of a printed document — a ranking, a scorecard, a notice (通报), a summary —
//! independent of its form. The same `Report` becomes a workbook (`crate::write`), a PDF
//! (`yardstick-pdf`) and, where a page shows it, HTML; so all three say the same thing.

/// A document: a title, lines of particulars, then blocks in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The title, e.g. "2026年3月乡镇类考评结果通报".
    pub title: String,
    /// Particulars shown under the title as "label：value", e.g. ("期间", "2026年3月").
    pub meta: Vec<(String, String)>,
    pub blocks: Vec<Block>,
    /// Closing lines (the issuing office, the date), printed at the end, right-aligned.
    pub footer: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    Table(Table),
}

/// A table. In a workbook each table is a sheet of its own, named `name`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The sheet name (at most 31 characters, none of `[]:*?/\`), e.g. "乡镇".
    pub name: String,
    /// A caption printed above the table, e.g. "乡镇类（12个）".
    pub caption: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Notes printed under the table.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub title: String,
    pub kind: ColumnKind,
    /// Width in characters of a Latin font (a CJK character counts two).
    pub width: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    /// A number shown with this many decimals.
    Number(u8),
    Integer,
}

/// A cell's value. Numbers are kept as the exact decimal text the engine published
/// ("92.35"), never as a float, so no renderer can change a published figure.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(String),
    Int(i64),
}

impl Column {
    pub fn text(title: impl Into<String>, width: f64) -> Column {
        Column { title: title.into(), kind: ColumnKind::Text, width }
    }

    pub fn number(title: impl Into<String>, decimals: u8, width: f64) -> Column {
        Column { title: title.into(), kind: ColumnKind::Number(decimals), width }
    }

    pub fn integer(title: impl Into<String>, width: f64) -> Column {
        Column { title: title.into(), kind: ColumnKind::Integer, width }
    }
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// The value as it is printed.
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) | Value::Number(s) => s.clone(),
            Value::Int(i) => i.to_string(),
        }
    }
}
