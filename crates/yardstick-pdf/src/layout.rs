//! Layout: a `Report` into pages of positioned text runs, lines and shaded boxes, in points
//! from the page's top-left corner. Nothing here knows PDF; `crate::draw` paints the result.

use yardstick_formats::Lang;
use yardstick_sheets::report::{Block, ColumnKind, Report, Table, Value};

use crate::font::Metrics;

pub(crate) const MM: f32 = 72.0 / 25.4;
const A4: (f32, f32) = (210.0 * MM, 297.0 * MM);
const MARGIN_TOP: f32 = 25.0 * MM;
const MARGIN_BOTTOM: f32 = 22.0 * MM;
const MARGIN_X: f32 = 20.0 * MM;

const TITLE: f32 = 20.0;
const META: f32 = 12.0;
const HEADING: f32 = 14.0;
const BODY: f32 = 12.0;
const CAPTION: f32 = 12.0;
pub(crate) const CELL: f32 = 10.5;
const NOTE: f32 = 9.0;
const FOOTER: f32 = 12.0;
const PAGE_NUMBER: f32 = 9.0;

const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
const CELL_LEADING: f32 = 1.35;
const RULE: f32 = 0.6;
/// The header row's shade (0 black … 255 white).
pub(crate) const HEADER_SHADE: u8 = 232;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    /// A run of text; `y` is its baseline.
    Text { x: f32, y: f32, size: f32, bold: bool, text: String },
    Line { x1: f32, y1: f32, x2: f32, y2: f32, width: f32 },
    /// A filled box (a header row's background).
    Shade { x: f32, y: f32, w: f32, h: f32, gray: u8 },
}

pub(crate) struct Laid {
    pub width: f32,
    pub height: f32,
    pub pages: Vec<Vec<Op>>,
}

/// The page orientation: landscape when a table's natural width does not fit a portrait
/// page.
pub(crate) fn landscape(report: &Report) -> bool {
    let portrait = A4.0 - 2.0 * MARGIN_X;
    report.blocks.iter().any(|b| matches!(b, Block::Table(t) if natural_width(t) > portrait + 0.5))
}

fn natural_width(t: &Table) -> f32 {
    t.columns.iter().map(|c| natural_column(c.width)).sum()
}

/// A column `chars` Latin characters wide (a CJK character counts two) at the cell size.
fn natural_column(chars: f64) -> f32 {
    let chars = if chars.is_finite() { chars.clamp(2.0, 200.0) as f32 } else { 10.0 };
    chars * CELL / 2.0 + 2.0 * CELL_PAD_X
}

pub(crate) fn layout(report: &Report, regular: &Metrics<'_>, bold: &Metrics<'_>, lang: Lang) -> Laid {
    let (width, height) = if landscape(report) { (A4.1, A4.0) } else { A4 };
    let mut l = Layouter { regular, bold, lang, width, height, pages: vec![Vec::new()], y: MARGIN_TOP };
    l.title(report);
    for (i, block) in report.blocks.iter().enumerate() {
        match block {
            Block::Heading(h) => l.heading(h, report.blocks.get(i + 1)),
            Block::Paragraph(p) => l.paragraph(p),
            Block::Table(t) => l.table(t),
        }
    }
    l.footer(&report.footer);
    l.page_numbers();
    Laid { width, height, pages: l.pages }
}

struct Layouter<'a, 'f> {
    regular: &'a Metrics<'f>,
    bold: &'a Metrics<'f>,
    lang: Lang,
    width: f32,
    height: f32,
    pages: Vec<Vec<Op>>,
    /// The top of the free space on the current page.
    y: f32,
}

impl Layouter<'_, '_> {
    fn left(&self) -> f32 {
        MARGIN_X
    }

    fn content_width(&self) -> f32 {
        self.width - 2.0 * MARGIN_X
    }

    fn bottom(&self) -> f32 {
        self.height - MARGIN_BOTTOM
    }

    fn metrics(&self, bold: bool) -> &Metrics<'_> {
        if bold { self.bold } else { self.regular }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `h` points fit below the current position.
    fn ensure(&mut self, h: f32) {
        if self.y + h > self.bottom() + 0.01 && self.y > MARGIN_TOP + 0.01 {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    /// One line of text whose line box starts at `top`.
    fn text_line(&mut self, x: f32, top: f32, leading: f32, size: f32, bold: bool, text: String) {
        if text.is_empty() {
            return;
        }
        self.push(Op::Text { x, y: baseline(top, leading, size), size, bold, text });
    }

    /// Lines of text flowing down the page (each line may start a new page).
    fn lines(&mut self, lines: Vec<String>, size: f32, leading: f32, bold: bool, align: Align, first_indent: f32) {
        let lh = size * leading;
        for (i, line) in lines.into_iter().enumerate() {
            self.ensure(lh);
            let indent = if i == 0 { first_indent } else { 0.0 };
            let w = self.metrics(bold).width(&line, size);
            let x = align.x(self.left() + indent, self.content_width() - indent, w);
            let top = self.y;
            self.text_line(x, top, leading, size, bold, line);
            self.y += lh;
        }
    }

    fn title(&mut self, r: &Report) {
        if !r.title.is_empty() {
            let lines = wrap(self.bold, &r.title, TITLE, self.content_width() * 0.9, 0.0);
            self.lines(lines, TITLE, 1.45, true, Align::Center, 0.0);
            self.y += 6.0;
        }
        if !r.meta.is_empty() {
            let sep = if self.lang == Lang::Zh { "　　" } else { "    " };
            let colon = if self.lang == Lang::Zh { "：" } else { ": " };
            let text = r.meta.iter().map(|(k, v)| if k.is_empty() { v.clone() } else { format!("{k}{colon}{v}") }).collect::<Vec<_>>().join(sep);
            let lines = wrap(self.regular, &text, META, self.content_width(), 0.0);
            self.lines(lines, META, 1.6, false, Align::Center, 0.0);
        }
        self.y += 10.0;
    }

    fn heading(&mut self, h: &str, next: Option<&Block>) {
        // Keep a heading with the start of what follows it.
        let follow = match next {
            Some(Block::Table(t)) => CAPTION * 1.6 * f32::from(!t.caption.is_empty()) + 2.0 * (CELL * CELL_LEADING + 2.0 * CELL_PAD_Y),
            Some(_) => 2.0 * BODY * 1.75,
            None => 0.0,
        };
        let lines = wrap(self.bold, h, HEADING, self.content_width(), 0.0);
        let own = lines.len() as f32 * HEADING * 1.6;
        self.y += 8.0;
        self.ensure(own + follow);
        self.lines(lines, HEADING, 1.6, true, Align::Left, 0.0);
        self.y += 2.0;
    }

    fn paragraph(&mut self, p: &str) {
        // Chinese paragraphs start two characters in, except an addressee line ("各考核单位：").
        let trimmed = p.trim_end();
        let indent = if trimmed.chars().next().is_some_and(is_cjk) && !trimmed.ends_with('：') { 2.0 * BODY } else { 0.0 };
        let lines = wrap(self.regular, p, BODY, self.content_width(), indent);
        self.lines(lines, BODY, 1.75, false, Align::Left, indent);
        self.y += 4.0;
    }

    fn footer(&mut self, footer: &[String]) {
        if footer.is_empty() {
            return;
        }
        let lh = FOOTER * 1.75;
        let lines: Vec<String> = footer.iter().flat_map(|f| wrap(self.regular, f, FOOTER, self.content_width(), 0.0)).collect();
        self.y += 2.0 * lh;
        self.ensure(lines.len() as f32 * lh);
        // Right-aligned, two characters in from the margin, as a notice's signature is.
        let inset = 2.0 * FOOTER;
        for line in lines {
            let w = self.regular.width(&line, FOOTER);
            let x = self.left() + self.content_width() - inset - w;
            let top = self.y;
            self.text_line(x.max(self.left()), top, 1.75, FOOTER, false, line);
            self.y += lh;
        }
    }

    fn page_numbers(&mut self) {
        let total = self.pages.len();
        let y = self.height - MARGIN_BOTTOM / 2.0;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = match self.lang {
                Lang::Zh => format!("第 {} 页 共 {total} 页", i + 1),
                _ => format!("Page {} of {total}", i + 1),
            };
            let w = self.regular.width(&text, PAGE_NUMBER);
            page.push(Op::Text { x: (self.width - w) / 2.0, y, size: PAGE_NUMBER, bold: false, text });
        }
    }

    fn table(&mut self, t: &Table) {
        let widths = column_widths(t, self.content_width());
        if widths.is_empty() {
            return;
        }
        let lh = CELL * CELL_LEADING;
        // At most this many lines in a cell: a row never needs more than a page.
        let page_room = self.bottom() - MARGIN_TOP - CAPTION * 1.6;
        let header = self.cells(t.columns.iter().map(|c| c.title.clone()), &widths, true, usize::MAX);
        let header_h = row_height(&header, lh);
        let max_lines = (((page_room - header_h - 2.0 * CELL_PAD_Y) / lh).floor() as usize).max(1);
        let rows: Vec<Vec<Vec<String>>> = t
            .rows
            .iter()
            .map(|r| {
                let texts = t.columns.iter().enumerate().map(|(i, c)| shown(r.get(i).unwrap_or(&Value::Empty), c.kind));
                self.cells(texts, &widths, false, max_lines)
            })
            .collect();
        let caption_lines = if t.caption.is_empty() { Vec::new() } else { wrap(self.bold, &t.caption, CAPTION, self.content_width(), 0.0) };
        let caption_h = caption_lines.len() as f32 * CAPTION * 1.6;
        let first = rows.first().map(|r| row_height(r, lh)).unwrap_or(0.0);
        self.y += 4.0;
        self.ensure(caption_h + header_h + first);
        self.lines(caption_lines, CAPTION, 1.6, true, Align::Center, 0.0);
        let aligns: Vec<Align> = t.columns.iter().map(|c| if matches!(c.kind, ColumnKind::Text) { Align::Left } else { Align::Right }).collect();
        let header_aligns = vec![Align::Center; widths.len()];
        self.row(&header, &widths, &header_aligns, true);
        for r in &rows {
            let h = row_height(r, lh);
            if self.y + h > self.bottom() + 0.01 {
                self.new_page();
                if !t.caption.is_empty() {
                    let more = match self.lang {
                        Lang::Zh => format!("{}（续）", t.caption),
                        _ => format!("{} (continued)", t.caption),
                    };
                    let lines = wrap(self.regular, &more, NOTE, self.content_width(), 0.0);
                    self.lines(lines, NOTE, 1.6, false, Align::Left, 0.0);
                }
                self.row(&header, &widths, &header_aligns, true);
            }
            self.row(r, &widths, &aligns, false);
        }
        if !t.notes.is_empty() {
            self.y += 3.0;
            for n in &t.notes {
                let lines = wrap(self.regular, n, NOTE, self.content_width(), 0.0);
                self.lines(lines, NOTE, 1.6, false, Align::Left, 0.0);
            }
        }
        self.y += 6.0;
    }

    /// The lines of each cell of a row.
    fn cells(&self, texts: impl Iterator<Item = String>, widths: &[f32], bold: bool, max_lines: usize) -> Vec<Vec<String>> {
        let m = self.metrics(bold);
        texts
            .zip(widths)
            .map(|(s, w)| {
                let mut lines = wrap(m, &s, CELL, w - 2.0 * CELL_PAD_X, 0.0);
                if lines.len() > max_lines {
                    lines.truncate(max_lines);
                    if let Some(last) = lines.last_mut() {
                        last.pop();
                        last.push('…');
                    }
                }
                if lines.len() == 1 && lines[0].is_empty() {
                    lines.clear();
                }
                lines
            })
            .collect()
    }

    /// One row of a table at the current position, with its borders.
    fn row(&mut self, cells: &[Vec<String>], widths: &[f32], aligns: &[Align], header: bool) {
        let lh = CELL * CELL_LEADING;
        let h = row_height(cells, lh);
        let (x0, y0) = (self.left(), self.y);
        let total: f32 = widths.iter().sum();
        if header {
            self.push(Op::Shade { x: x0, y: y0, w: total, h, gray: HEADER_SHADE });
        }
        let mut x = x0;
        for ((lines, w), align) in cells.iter().zip(widths).zip(aligns) {
            // Vertically centred in the row.
            let mut top = y0 + (h - lines.len() as f32 * lh) / 2.0;
            for line in lines {
                let tw = self.metrics(header).width(line, CELL);
                let tx = align.x(x + CELL_PAD_X, w - 2.0 * CELL_PAD_X, tw);
                self.text_line(tx, top, CELL_LEADING, CELL, header, line.clone());
                top += lh;
            }
            x += w;
        }
        // Borders: top, bottom, and every column's edges.
        self.push(Op::Line { x1: x0, y1: y0, x2: x0 + total, y2: y0, width: RULE });
        self.push(Op::Line { x1: x0, y1: y0 + h, x2: x0 + total, y2: y0 + h, width: RULE });
        let mut x = x0;
        self.push(Op::Line { x1: x, y1: y0, x2: x, y2: y0 + h, width: RULE });
        for w in widths {
            x += w;
            self.push(Op::Line { x1: x, y1: y0, x2: x, y2: y0 + h, width: RULE });
        }
        self.y += h;
    }
}

fn row_height(cells: &[Vec<String>], lh: f32) -> f32 {
    cells.iter().map(Vec::len).max().unwrap_or(0).max(1) as f32 * lh + 2.0 * CELL_PAD_Y
}

/// Column widths filling `available`: proportional to the columns' declared widths.
fn column_widths(t: &Table, available: f32) -> Vec<f32> {
    let natural: Vec<f32> = t.columns.iter().map(|c| natural_column(c.width)).collect();
    let sum: f32 = natural.iter().sum();
    if sum <= 0.0 {
        return natural;
    }
    let scale = available / sum;
    natural.iter().map(|w| w * scale).collect()
}

/// The baseline of a line of text at `size` in a line box `size × leading` high starting at
/// `top`: the CJK em box (0.88 em above the baseline, 0.12 below) centred in the box.
fn baseline(top: f32, leading: f32, size: f32) -> f32 {
    top + (size * leading - size) / 2.0 + 0.88 * size
}

#[derive(Clone, Copy, Debug)]
enum Align {
    Left,
    Center,
    Right,
}

impl Align {
    fn x(self, left: f32, width: f32, text: f32) -> f32 {
        match self {
            Align::Left => left,
            Align::Center => left + ((width - text) / 2.0).max(0.0),
            Align::Right => left + (width - text).max(0.0),
        }
    }
}

/// A cell's text as printed: a number column's figure padded with zeros to its decimals, as
/// the workbook's number format shows it (never rounded: a published figure keeps its
/// digits).
pub(crate) fn shown(v: &Value, kind: ColumnKind) -> String {
    let s = v.display();
    match (v, kind) {
        (Value::Number(_), ColumnKind::Number(d)) if d > 0 && is_plain_decimal(&s) => {
            let have = s.split_once('.').map(|(_, f)| f.len()).unwrap_or(0);
            let want = usize::from(d);
            if have >= want {
                s
            } else if have == 0 {
                format!("{s}.{}", "0".repeat(want))
            } else {
                format!("{s}{}", "0".repeat(want - have))
            }
        }
        _ => s,
    }
}

fn is_plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

// Line breaking.

/// Whether a character is set as a CJK ideograph (a line may break on either side of it).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{20000}'..='\u{3FFFD}')
}

/// Punctuation that may not start a line.
fn is_closing(c: char) -> bool {
    "，。、；：？！）》」』】〕〉”’％…·,.;:?!)]}%".contains(c)
}

/// Punctuation that may not end a line.
fn is_opening(c: char) -> bool {
    "（《「『【〔〈“‘([{".contains(c)
}

/// A piece of a line that is never broken: a CJK character with the punctuation glued to
/// it, a Latin word or number, or a space.
struct Piece {
    text: String,
    width: f32,
    space: bool,
}

/// Breaks `text` into lines at most `max` points wide (the first line `indent` less): CJK
/// between any two characters, but never before closing or after opening punctuation;
/// other text at spaces; a piece wider than a line, character by character. `\n` breaks.
pub(crate) fn wrap(m: &Metrics<'_>, text: &str, size: f32, max: f32, indent: f32) -> Vec<String> {
    let max = max.max(size);
    let mut out: Vec<String> = Vec::new();
    for (n, hard) in text.split('\n').enumerate() {
        let first = n == 0;
        let pieces = pieces(m, hard, size);
        let mut line = String::new();
        let mut width = 0.0;
        let mut gap = String::new();
        let mut gap_width = 0.0;
        let mut avail = if first { max - indent } else { max };
        let mut lines: Vec<String> = Vec::new();
        for p in pieces {
            if p.space {
                if !line.is_empty() {
                    gap.push(' ');
                    gap_width += p.width;
                }
                continue;
            }
            if !line.is_empty() && width + gap_width + p.width > avail + 0.01 {
                lines.push(std::mem::take(&mut line));
                (width, avail) = (0.0, max);
            }
            if !line.is_empty() {
                line.push_str(&gap);
                width += gap_width;
            }
            gap.clear();
            gap_width = 0.0;
            if line.is_empty() && p.width > avail + 0.01 {
                for c in p.text.chars() {
                    let w = m.glyph(c).1 * size;
                    if !line.is_empty() && width + w > avail + 0.01 {
                        lines.push(std::mem::take(&mut line));
                        (width, avail) = (0.0, max);
                    }
                    line.push(c);
                    width += w;
                }
                continue;
            }
            line.push_str(&p.text);
            width += p.width;
        }
        lines.push(line);
        out.extend(lines);
    }
    out
}

fn pieces(m: &Metrics<'_>, text: &str, size: f32) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut glue_next = false;
    let mut last: Option<char> = None;
    for c in text.chars() {
        if c == '\r' {
            continue;
        }
        let c = if c.is_control() { ' ' } else { c };
        let w = m.glyph(c).1 * size;
        if c == ' ' {
            out.push(Piece { text: " ".into(), width: w, space: true });
            glue_next = false;
            last = Some(c);
            continue;
        }
        let word = !is_cjk(c);
        let after_word = last.is_some_and(|l| l != ' ' && !is_cjk(l));
        let glue = glue_next || is_closing(c) || (word && after_word);
        match out.last_mut() {
            Some(p) if glue && !p.space => {
                p.text.push(c);
                p.width += w;
            }
            _ => out.push(Piece { text: c.to_string(), width: w, space: false }),
        }
        glue_next = is_opening(c);
        last = Some(c);
    }
    out
}
