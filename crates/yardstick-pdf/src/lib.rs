//! Printable PDF of Yardstick's reports: a [`Report`] (the model shared with the workbook
//! renderer in `yardstick-sheets`) to the bytes of a PDF that looks like an official notice.
//!
//! - A4, portrait; landscape when a table's declared column widths do not fit a portrait page.
//! - The title centred and large, the particulars under it, headings, paragraphs (Chinese
//!   ones indented two characters), tables with borders, wrapped cells, numbers right-aligned
//!   and the header row repeated on every page a table runs onto, notes, and the closing
//!   lines (office, date) right-aligned; `第 N 页 共 M 页` at the foot of every page.
//! - Text in a CJK font read from a file (Debian's `fonts-noto-cjk` by default), embedded as
//!   a subset with a ToUnicode map, so the text can be copied, searched and extracted.
//!
//! No text shaping: each character is its font's glyph at its advance width, which is right
//! for Chinese and for Latin digits and punctuation. Lines break between any two CJK
//! characters (never before closing or after opening punctuation) and at spaces elsewhere.
//!
//! Figures are printed as the text the engine published; a number column's figure is only
//! padded with zeros to its declared decimals, as the workbook's number format shows it.

#![forbid(unsafe_code)]

mod draw;
mod font;
mod layout;

use std::fmt;

pub use font::{FontError, FontFace, Fonts};
pub use yardstick_formats::Lang;
use yardstick_sheets::report::Report;

/// Why a report could not be rendered (never the report's content: any text renders,
/// characters the font lacks as its blank glyph).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    Font(String),
    Layout,
    Pdf(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Font(e) => write!(f, "font: {e}"),
            RenderError::Layout => write!(f, "the page size is invalid"),
            RenderError::Pdf(e) => write!(f, "writing the PDF failed: {e}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// Renders a report to PDF. `lang` chooses the page numbers' wording (`第 1 页 共 3 页` or
/// `Page 1 of 3`), a continued table's caption and the document's language tag.
pub fn render(report: &Report, fonts: &Fonts, lang: Lang) -> Result<Vec<u8>, RenderError> {
    let regular = fonts.regular.metrics().map_err(|e| RenderError::Font(e.to_string()))?;
    let bold = fonts.bold.metrics().map_err(|e| RenderError::Font(e.to_string()))?;
    let laid = layout::layout(report, &regular, &bold, lang);
    draw::draw(&laid, fonts, &regular, &bold, &report.title, lang)
}

/// Whether the report is printed on landscape pages (a table too wide for portrait).
pub fn is_landscape(report: &Report) -> bool {
    layout::landscape(report)
}
