//! Reading a workbook (.xlsx, .xlsm, .xls, .ods) or a CSV file, given as bytes, into sheets
//! of cells, and finding a table in a sheet by its header names.
//!
//! Everything a person may have done to a sheet is either understood or refused with its
//! place: numbers stored as text, full-width digits and thousands separators are numbers
//! (`yardstick_formats::numtext`); a formula is refused where a value is read (its saved
//! result may be stale, or absent when a program wrote the file: the import takes values as
//! people see and sign them, pasted as values); merged cells in a table are refused; rows above
//! the header (titles) and blank rows are skipped; a file that is too large, unpacks to too
//! much, or is not a workbook at all is refused before anything else is read.

use std::io::{Cursor, Read, Seek};

use calamine::{Data, Reader, Sheets, SheetVisible};
use yardstick_formats::numtext::parse_number;
use yardstick_formats::{Msg, Place, Problem};

/// How much a reader accepts.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The file's size in bytes.
    pub max_bytes: usize,
    /// The total size of a workbook's parts once unpacked (a zip bomb is refused unopened).
    pub max_unpacked: u64,
    /// Cells in all sheets together.
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_bytes: 32 << 20, max_unpacked: 1 << 30, max_cells: 8_000_000 }
    }
}

/// A cell as read.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    /// Text as typed (trimmed).
    Text(String),
    /// A numeric cell, as the shortest decimal text of the number Excel stored.
    Number(String),
    Bool(bool),
    /// A date cell (year, month, day).
    Date(i32, u32, u32),
    /// A formula (without its `=`) and the value saved with it, if any.
    Formula(String, Option<String>),
    /// An error value such as `#DIV/0!`.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.is_empty(),
            _ => false,
        }
    }

    /// The cell as text: numbers as their decimal text, dates as `YYYY-MM-DD`.
    pub fn text(&self) -> Result<String, Msg> {
        match self {
            Cell::Empty => Ok(String::new()),
            Cell::Text(s) | Cell::Number(s) => Ok(s.clone()),
            Cell::Bool(b) => Ok(if *b { "TRUE".into() } else { "FALSE".into() }),
            Cell::Date(y, m, d) => Ok(format!("{y:04}-{m:02}-{d:02}")),
            Cell::Formula(f, v) => Err(formula_msg(f, v.as_deref())),
            Cell::Error(e) => Err(error_msg(e)),
        }
    }

    /// The cell as an exact decimal's text (`"1234.5"`), accepting numbers stored as text,
    /// full-width digits, thousands separators and a trailing `%`. Empty gives `None`.
    pub fn number(&self) -> Result<Option<String>, Msg> {
        match self {
            Cell::Empty => Ok(None),
            Cell::Text(s) if s.is_empty() => Ok(None),
            Cell::Text(s) | Cell::Number(s) => parse_number(s).map(|d| Some(d.to_string())),
            Cell::Bool(_) => Err(Msg::new("应为数字，此处是逻辑值", "a number is expected, not TRUE/FALSE")),
            Cell::Date(y, m, d) => Err(Msg::new(
                format!("应为数字，此处是日期 {y}-{m:02}-{d:02}（请把单元格格式设为“数值”）"),
                format!("a number is expected, not the date {y}-{m:02}-{d:02} (format the cell as a number)"),
            )),
            Cell::Formula(f, v) => Err(formula_msg(f, v.as_deref())),
            Cell::Error(e) => Err(error_msg(e)),
        }
    }

    /// The cell as a date (year, month, day): a date cell, or text such as `2026-03-15`,
    /// `2026/3/15`, `2026.3.15`, `2026年3月15日`, `20260315`.
    pub fn date(&self) -> Result<Option<(i32, u32, u32)>, Msg> {
        match self {
            Cell::Date(y, m, d) => Ok(Some((*y, *m, *d))),
            Cell::Number(s) if serial_date(s).is_some() => Ok(serial_date(s)),
            Cell::Empty => Ok(None),
            Cell::Text(s) if s.is_empty() => Ok(None),
            Cell::Text(s) | Cell::Number(s) => parse_date(s).map(Some).ok_or_else(|| {
                Msg::new(
                    format!("“{s}”不是日期（如 2026-03-15、2026/3/15、2026年3月15日）"),
                    format!("'{s}' is not a date (e.g. 2026-03-15, 2026/3/15, 2026年3月15日)"),
                )
            }),
            Cell::Formula(f, v) => Err(formula_msg(f, v.as_deref())),
            Cell::Error(e) => Err(error_msg(e)),
            Cell::Bool(_) => Err(Msg::new("应为日期，此处是逻辑值", "a date is expected, not TRUE/FALSE")),
        }
    }

    /// The cell as a month period's text (`2026-03`): `2026-03`, `2026-3`, `2026/03`,
    /// `2026.3`, `2026年3月`, `202603`, or any date in the month (a date cell or text).
    pub fn month(&self) -> Result<Option<String>, Msg> {
        let bad = |s: &str| {
            Msg::new(
                format!("“{s}”不是月份（如 2026-03、2026年3月）"),
                format!("'{s}' is not a month (e.g. 2026-03, 2026年3月)"),
            )
        };
        match self {
            Cell::Date(y, m, _) => Ok(Some(format!("{y:04}-{m:02}"))),
            Cell::Number(s) if serial_date(s).is_some() => Ok(serial_date(s).map(|(y, m, _)| format!("{y:04}-{m:02}"))),
            Cell::Empty => Ok(None),
            Cell::Text(s) if s.is_empty() => Ok(None),
            Cell::Text(s) | Cell::Number(s) => {
                if let Some((y, m)) = parse_month(s) {
                    return Ok(Some(format!("{y:04}-{m:02}")));
                }
                parse_date(s).map(|(y, m, _)| Some(format!("{y:04}-{m:02}"))).ok_or_else(|| bad(s))
            }
            Cell::Formula(f, v) => Err(formula_msg(f, v.as_deref())),
            Cell::Error(e) => Err(error_msg(e)),
            Cell::Bool(_) => Err(bad("TRUE/FALSE")),
        }
    }
}

/// A date cell saved without a date format reads as its serial number (days since
/// 1899-12-30 in Excel's 1900 system); a whole number between 1960 and 2099 is taken as one.
fn serial_date(s: &str) -> Option<(i32, u32, u32)> {
    let n: i64 = s.parse().ok()?;
    if !(21_916..=73_050).contains(&n) {
        return None;
    }
    // Days from 1970-01-01 (serial 25569), then the civil date (Howard Hinnant's algorithm).
    let z = n - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    Some((y, m, d))
}

fn formula_msg(f: &str, shown: Option<&str>) -> Msg {
    let (zh, en) = match shown {
        Some(v) if !v.is_empty() => (format!("，显示为 {v}"), format!(", showing {v}")),
        _ => (String::new(), String::new()),
    };
    Msg::new(
        format!("单元格是公式（={f}{zh}）：导入只接受数值，请复制后“选择性粘贴 → 数值”再导入"),
        format!("the cell holds a formula (={f}{en}): an import takes values only; copy and 'paste special → values', then import"),
    )
}

fn error_msg(e: &str) -> Msg {
    Msg::new(format!("单元格显示错误值 {e}"), format!("the cell shows the error {e}"))
}

/// Digits of a text, full-width turned half-width.
fn half_width(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | '／' | '．' => match c {
                '－' => '-',
                '／' => '/',
                _ => '.',
            },
            _ => c,
        })
        .collect()
}

fn split_numbers(s: &str, seps: &[char]) -> Option<Vec<u32>> {
    let parts: Vec<&str> = s.split(|c| seps.contains(&c)).filter(|p| !p.is_empty()).collect();
    parts.iter().map(|p| if p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 4 { p.parse().ok() } else { None }).collect()
}

fn valid_date(y: u32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2999).contains(&y) && (1..=days).contains(&d)
}

/// `2026-03-15`, `2026/3/15`, `2026.3.15`, `2026年3月15日`, `20260315`, with an optional
/// time after a space or `T`.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let s = half_width(s);
    let s = s.split([' ', 'T']).next().unwrap_or("");
    let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        (s[0..4].parse().ok()?, s[4..6].parse().ok()?, s[6..8].parse().ok()?)
    } else {
        let s = s.strip_suffix('日').or_else(|| s.strip_suffix('号')).unwrap_or(s);
        let n = split_numbers(s, &['-', '/', '.', '年', '月'])?;
        let [y, m, d] = n[..] else { return None };
        (y, m, d)
    };
    valid_date(y, m, d).then_some((y as i32, m, d))
}

/// `2026-03`, `2026-3`, `2026/03`, `2026.3`, `2026年3月`, `202603`.
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let s = half_width(s);
    let (y, m) = if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        (s[0..4].parse().ok()?, s[4..6].parse().ok()?)
    } else {
        let s = s.strip_suffix('月').unwrap_or(&s);
        let n = split_numbers(s, &['-', '/', '.', '年'])?;
        let [y, m] = n[..] else { return None };
        (y, m)
    };
    ((1900..=2999).contains(&y) && (1..=12).contains(&m)).then_some((y as i32, m))
}

/// A rectangle of merged cells, 0-based and inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merge {
    pub first_row: usize,
    pub first_col: usize,
    pub last_row: usize,
    pub last_col: usize,
}

/// A worksheet: its cells from A1 on, row by row.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub name: String,
    pub visible: bool,
    pub rows: Vec<Vec<Cell>>,
    pub merges: Vec<Merge>,
}

static EMPTY: Cell = Cell::Empty;

impl Sheet {
    /// The cell at a 0-based row and column.
    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        self.rows.get(row).and_then(|r| r.get(col)).unwrap_or(&EMPTY)
    }

    /// Key–value pairs from columns A and B (as in the hidden `yardstick` sheet).
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.rows
            .iter()
            .filter_map(|r| {
                let k = r.first()?.text().ok()?;
                let v = r.get(1).map_or(Ok(String::new()), Cell::text).ok()?;
                (!k.is_empty()).then_some((k, v))
            })
            .collect()
    }
}

/// A workbook (a CSV file is a workbook of one sheet, named after the file).
#[derive(Clone, Debug, Default)]
pub struct Book {
    /// The file's name, for messages.
    pub file: String,
    pub sheets: Vec<Sheet>,
}

/// A column's name as Excel writes it: 0 → A, 25 → Z, 26 → AA.
pub fn column_name(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl Book {
    /// The sheet with one of these names (compared without case), else the first visible
    /// sheet that is not `yardstick` or `说明`.
    pub fn data_sheet(&self, names: &[&str]) -> Option<&Sheet> {
        self.sheets
            .iter()
            .find(|s| names.iter().any(|n| s.name.trim().eq_ignore_ascii_case(n)))
            .or_else(|| self.sheets.iter().find(|s| s.visible && !is_meta_sheet(&s.name)))
    }

    /// The sheet with this name (compared without case), if any.
    pub fn sheet(&self, names: &[&str]) -> Option<&Sheet> {
        self.sheets.iter().find(|s| names.iter().any(|n| s.name.trim().eq_ignore_ascii_case(n)))
    }

    /// The key–value pairs of the hidden `yardstick` sheet, if the workbook has one.
    pub fn meta(&self) -> Vec<(String, String)> {
        self.sheet(&["yardstick"]).map(Sheet::pairs).unwrap_or_default()
    }

    /// A place in this book.
    pub fn place(&self, sheet: &Sheet, row: usize, col: Option<(usize, &str)>) -> Place {
        Place {
            file: self.file.clone(),
            sheet: Some(sheet.name.clone()),
            line: Some(row + 1),
            column: col.map(|(c, title)| if title.is_empty() { column_name(c) } else { format!("{}（{title}）", column_name(c)) }),
            field: None,
        }
    }
}

fn is_meta_sheet(name: &str) -> bool {
    name.eq_ignore_ascii_case("yardstick") || name == "说明"
}

fn whole_file(file: &str, msg: Msg) -> Vec<Problem> {
    vec![Problem { place: Place { file: file.into(), ..Place::default() }, msg }]
}

fn megabytes(n: u64) -> String {
    format!("{:.1}", n as f64 / (1 << 20) as f64)
}

/// Reads a workbook or a CSV file. The format is recognised by the content, not the name.
pub fn read_book(file: &str, bytes: &[u8], limits: &Limits) -> Result<Book, Vec<Problem>> {
    if bytes.len() > limits.max_bytes {
        let (got, max) = (megabytes(bytes.len() as u64), megabytes(limits.max_bytes as u64));
        return Err(whole_file(file, Msg::new(format!("文件有 {got} MB，超过上限 {max} MB"), format!("the file is {got} MB, over the limit of {max} MB"))));
    }
    let not_workbook = || {
        whole_file(
            file,
            Msg::new(
                "文件不是 Excel 工作簿（.xlsx、.xls）或 CSV 文件",
                "the file is not an Excel workbook (.xlsx, .xls) or a CSV file",
            ),
        )
    };
    let zip = bytes.starts_with(b"PK\x03\x04");
    if zip || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        if zip {
            check_unpacked(file, bytes, limits)?;
        }
        // A parser that trips over a malformed file must not take the request down with it:
        // whatever it cannot read is a damaged file, said as such.
        let read = std::panic::catch_unwind(|| {
            let sheets = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| not_workbook())?;
            read_sheets(file, sheets, limits)
        });
        read.unwrap_or_else(|_| Err(whole_file(file, Msg::new("文件已损坏，无法读取", "the file is damaged and cannot be read"))))
    } else {
        read_csv(file, bytes, limits).ok_or_else(not_workbook)?
    }
}

/// Refuses a ZIP whose parts unpack to more than the limit, from its central directory,
/// before anything is unpacked.
fn check_unpacked(file: &str, bytes: &[u8], limits: &Limits) -> Result<(), Vec<Problem>> {
    let total = zip_unpacked_size(bytes).ok_or_else(|| {
        whole_file(file, Msg::new("文件已损坏（不是完整的 .xlsx 压缩包）", "the file is damaged (not a complete .xlsx archive)"))
    })?;
    if total > limits.max_unpacked {
        let (got, max) = (megabytes(total), megabytes(limits.max_unpacked));
        return Err(whole_file(
            file,
            Msg::new(format!("工作簿解压后有 {got} MB，超过上限 {max} MB"), format!("the workbook unpacks to {got} MB, over the limit of {max} MB")),
        ));
    }
    Ok(())
}

/// The sum of the uncompressed sizes in a ZIP's central directory.
fn zip_unpacked_size(bytes: &[u8]) -> Option<u64> {
    // The end-of-central-directory record: signature PK\5\6, within the last 64 KiB + 22 bytes.
    let tail_start = bytes.len().saturating_sub(65_557);
    let eocd = (tail_start..bytes.len().saturating_sub(21)).rev().find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))?;
    let u16_at = |i: usize| -> Option<u64> { Some(u64::from(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?))) };
    let u32_at = |i: usize| -> Option<u64> { Some(u64::from(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?))) };
    let entries = u16_at(eocd + 10)?;
    let mut at = usize::try_from(u32_at(eocd + 16)?).ok()?;
    let mut total = 0u64;
    for _ in 0..entries {
        if !bytes.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let size = u32_at(at + 24)?;
        // A ZIP64 entry says 0xFFFFFFFF here; count it as over any sensible limit.
        total = total.saturating_add(if size == 0xFFFF_FFFF { u64::MAX / 2 } else { size });
        let name_len = usize::try_from(u16_at(at + 28)?).ok()?;
        let extra_len = usize::try_from(u16_at(at + 30)?).ok()?;
        let comment_len = usize::try_from(u16_at(at + 32)?).ok()?;
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(total)
}

fn read_sheets<RS: Read + Seek>(file: &str, mut wb: Sheets<RS>, limits: &Limits) -> Result<Book, Vec<Problem>> {
    let meta: Vec<(String, bool)> = wb.sheets_metadata().iter().map(|s| (s.name.clone(), s.visible == SheetVisible::Visible)).collect();
    let mut book = Book { file: file.into(), sheets: Vec::with_capacity(meta.len()) };
    let mut cells = 0usize;
    for (name, visible) in meta {
        let Ok(range) = wb.worksheet_range(&name) else {
            // A chart sheet or a macro sheet has no cells.
            continue;
        };
        cells += range.get_size().0 * range.get_size().1;
        if cells > limits.max_cells {
            return Err(whole_file(
                file,
                Msg::new(format!("工作簿超过 {} 个单元格", limits.max_cells), format!("the workbook has more than {} cells", limits.max_cells)),
            ));
        }
        let formulas = wb.worksheet_formula(&name).ok();
        let merges = match &mut wb {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut sheet = Sheet {
            name: name.clone(),
            visible,
            rows: Vec::new(),
            merges: merges
                .iter()
                .map(|d| Merge { first_row: d.start.0 as usize, first_col: d.start.1 as usize, last_row: d.end.0 as usize, last_col: d.end.1 as usize })
                .collect(),
        };
        if let Some((r0, c0)) = range.start() {
            let (r0, c0) = (r0 as usize, c0 as usize);
            sheet.rows.resize(r0, Vec::new());
            for row in range.rows() {
                let mut out = vec![Cell::Empty; c0];
                out.extend(row.iter().map(cell_of));
                while out.last().is_some_and(Cell::is_empty) {
                    out.pop();
                }
                sheet.rows.push(out);
            }
        }
        // A formula cell is marked as one, with the value saved with it.
        if let Some(f) = formulas
            && let Some((fr, fc)) = f.start()
        {
            for (i, row) in f.rows().enumerate() {
                for (j, text) in row.iter().enumerate() {
                    if text.is_empty() {
                        continue;
                    }
                    let (r, c) = (fr as usize + i, fc as usize + j);
                    let shown = sheet.cell(r, c).text().ok().filter(|s| !s.is_empty());
                    if sheet.rows.len() <= r {
                        sheet.rows.resize(r + 1, Vec::new());
                    }
                    let cells = &mut sheet.rows[r];
                    if cells.len() <= c {
                        cells.resize(c + 1, Cell::Empty);
                    }
                    cells[c] = Cell::Formula(text.trim_start_matches('=').to_string(), shown);
                }
            }
        }
        book.sheets.push(sheet);
    }
    Ok(book)
}

fn shortest(f: f64) -> String {
    if f == f.trunc() && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.trim().to_string()),
        Data::Int(i) => Cell::Number(i.to_string()),
        Data::Float(f) => Cell::Number(shortest(*f)),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => {
            if dt.is_duration() {
                Cell::Number(shortest(dt.as_f64()))
            } else {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                Cell::Date(i32::from(y), u32::from(m), u32::from(d))
            }
        }
        Data::DateTimeIso(s) => match parse_date(s) {
            Some((y, m, d)) => Cell::Date(y, m, d),
            None => Cell::Text(s.clone()),
        },
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// A CSV file (UTF-8, with or without a BOM, comma, semicolon or tab separated) as one sheet.
/// `None` when the bytes are not text at all; a text file that is not UTF-8 is refused
/// with the line of the first bad byte.
fn read_csv(file: &str, bytes: &[u8], limits: &Limits) -> Option<Result<Book, Vec<Problem>>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Binary content (a PDF, an image, a zip-less office file) is not a CSV.
    if bytes.iter().take(4096).any(|&b| b == 0) || bytes.is_empty() {
        return None;
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        return Some(Err(vec![Problem {
            place: Place { file: file.into(), line: Some(line), ..Place::default() },
            msg: Msg::new("文件不是 UTF-8 编码（请在 Excel 中另存为“CSV UTF-8”）", "the file is not UTF-8 (save it as 'CSV UTF-8' in Excel)"),
        }]));
    }
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or(bytes);
    let delimiter = [b',', b'\t', b';'].into_iter().max_by_key(|d| first_line.iter().filter(|b| *b == d).count()).unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes);
    let stem = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let mut sheet = Sheet { name: stem.to_string(), visible: true, ..Sheet::default() };
    let mut cells = 0usize;
    for (i, rec) in reader.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                return Some(Err(vec![Problem {
                    place: Place { file: file.into(), line: Some(i + 1), ..Place::default() },
                    msg: Msg::new(format!("无法读取此行：{e}"), format!("cannot read this row: {e}")),
                }]));
            }
        };
        cells += rec.len();
        if cells > limits.max_cells {
            return Some(Err(whole_file(
                file,
                Msg::new(format!("文件超过 {} 个单元格", limits.max_cells), format!("the file has more than {} cells", limits.max_cells)),
            )));
        }
        let mut row: Vec<Cell> = rec.iter().map(|s| Cell::Text(s.trim().to_string())).collect();
        while row.last().is_some_and(Cell::is_empty) {
            row.pop();
        }
        sheet.rows.push(row);
    }
    Some(Ok(Book { file: file.into(), sheets: vec![sheet] }))
}

/// A column a table may have: its key, and the names people write for it.
#[derive(Clone, Copy, Debug)]
pub struct Col {
    pub key: &'static str,
    /// Chinese (and other) names, e.g. `["单位编码", "编码"]`.
    pub names: &'static [&'static str],
}

/// Normalises a header for comparison: trimmed, no inner spaces, lower case, full-width
/// parentheses half-width, and a trailing required-mark (`*`, `（必填）`) dropped.
fn norm_header(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).map(|c| match c {
        '（' => '(',
        '）' => ')',
        _ => c,
    }).collect();
    let s = s.trim_end_matches('*').trim_start_matches('*');
    let s = s.strip_suffix("(必填)").unwrap_or(s);
    s.to_lowercase()
}

/// The key a header names: a known column by key or name, `名称(key)`, or else the header
/// itself (a field column named by its key, e.g. `干部职工.称职`).
pub fn header_key(header: &str, cols: &[Col]) -> String {
    let h = norm_header(header);
    for c in cols {
        if h == c.key || c.names.iter().any(|n| norm_header(n) == h) {
            return c.key.to_string();
        }
    }
    if h.ends_with(')')
        && let Some(open) = h.rfind('(')
    {
        let inner = &h[open + 1..h.len() - 1];
        if !inner.is_empty() {
            // Keep the key's own case from the original header.
            let orig: String = header.chars().filter(|c| !c.is_whitespace()).map(|c| match c {
                '（' => '(',
                '）' => ')',
                _ => c,
            }).collect();
            if let Some(o) = orig.rfind('(') {
                return orig[o + 1..orig.len() - 1].to_string();
            }
            return inner.to_string();
        }
    }
    let trimmed = header.trim();
    trimmed.trim_end_matches('*').trim().to_string()
}

/// A table found in a sheet: its header row and the key of each of its columns.
#[derive(Debug)]
pub struct Table<'a> {
    pub sheet: &'a Sheet,
    /// 0-based row of the header.
    pub header_row: usize,
    /// (0-based column, key, header as written), for each non-empty header cell.
    pub columns: Vec<(usize, String, String)>,
}

/// One data row of a table.
pub struct Row<'a> {
    /// 0-based row in the sheet (Excel's row number is `row + 1`).
    pub row: usize,
    table: &'a Table<'a>,
}

impl<'a> Row<'a> {
    /// The cell in the column with this key (empty when the table has no such column).
    pub fn get(&self, key: &str) -> &'a Cell {
        match self.table.column(key) {
            Some(c) => self.table.sheet.cell(self.row, c),
            None => &EMPTY,
        }
    }

    /// Every (key, cell) of the row, in column order.
    pub fn cells(&self) -> impl Iterator<Item = (&'a str, &'a Cell)> + '_ {
        let t: &'a Table<'a> = self.table;
        t.columns.iter().map(move |(c, k, _)| (k.as_str(), t.sheet.cell(self.row, *c)))
    }
}

impl<'a> Table<'a> {
    /// Finds the table whose header row is the first row holding every `required` key,
    /// within the first 20 rows.
    pub fn find(book: &Book, sheet: &'a Sheet, cols: &[Col], required: &[&str]) -> Result<Table<'a>, Problem> {
        for (r, row) in sheet.rows.iter().enumerate().take(20) {
            let columns: Vec<(usize, String, String)> = row
                .iter()
                .enumerate()
                .filter_map(|(c, cell)| match cell {
                    Cell::Text(s) if !s.is_empty() => Some((c, header_key(s, cols), s.clone())),
                    Cell::Number(s) => Some((c, s.clone(), s.clone())),
                    _ => None,
                })
                .collect();
            if required.iter().all(|k| columns.iter().any(|(_, key, _)| key == k)) {
                return Ok(Table { sheet, header_row: r, columns });
            }
        }
        let names: Vec<String> = required
            .iter()
            .map(|k| match cols.iter().find(|c| c.key == *k).and_then(|c| c.names.first()) {
                Some(n) => format!("{n}({k})"),
                None => (*k).to_string(),
            })
            .collect();
        Err(Problem {
            place: Place { file: book.file.clone(), sheet: Some(sheet.name.clone()), ..Place::default() },
            msg: Msg::new(
                format!("找不到表头：前20行中没有一行同时含有 {}", names.join("、")),
                format!("no header row: none of the first 20 rows has all of {}", names.join(", ")),
            ),
        })
    }

    /// The 0-based column with this key.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().find(|(_, k, _)| k == key).map(|(c, _, _)| *c)
    }

    /// The header as written above a column.
    pub fn header(&self, col: usize) -> &str {
        self.columns.iter().find(|(c, _, _)| *c == col).map_or("", |(_, _, h)| h.as_str())
    }

    /// The place of a cell of this table.
    pub fn place(&self, book: &Book, row: usize, key: Option<&str>) -> Place {
        let col = key.and_then(|k| self.column(k));
        book.place(self.sheet, row, col.map(|c| (c, self.header(c))))
    }

    /// Problems for merged cells that reach into the table (its header row or below, in a
    /// column of the table): a merged cell stands for several cells with one value, which
    /// an import cannot read without guessing.
    pub fn merge_problems(&self, book: &Book) -> Vec<Problem> {
        self.sheet
            .merges
            .iter()
            .filter(|m| m.last_row >= self.header_row && self.columns.iter().any(|(c, _, _)| (m.first_col..=m.last_col).contains(c)))
            .map(|m| {
                let range = format!("{}{}:{}{}", column_name(m.first_col), m.first_row + 1, column_name(m.last_col), m.last_row + 1);
                Problem {
                    place: book.place(self.sheet, m.first_row, Some((m.first_col, ""))),
                    msg: Msg::new(
                        format!("合并单元格 {range}：表格中不能有合并单元格，请取消合并并在每一行填写完整"),
                        format!("merged cells {range}: a table may not hold merged cells; unmerge them and fill every row"),
                    ),
                }
            })
            .collect()
    }

    /// The data rows: every row below the header that is not blank.
    pub fn rows(&'a self) -> impl Iterator<Item = Row<'a>> + 'a {
        let cols: Vec<usize> = self.columns.iter().map(|(c, _, _)| *c).collect();
        (self.header_row + 1..self.sheet.rows.len())
            .filter(move |&r| cols.iter().any(|&c| !self.sheet.cell(r, c).is_empty()))
            .map(move |row| Row { row, table: self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_months_as_people_write_them() {
        for s in ["2026-03-15", "2026/3/15", "2026.3.15", "2026年3月15日", "20260315", "２０２６－０３－１５", "2026-03-15 08:00:00", "2026-03-15T08:00"] {
            assert_eq!(parse_date(s), Some((2026, 3, 15)), "{s}");
        }
        for s in ["2026-02-30", "15/3/2026", "2026-13-01", "abc", "2026-03"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        for s in ["2026-03", "2026-3", "2026/03", "2026.3", "2026年3月", "202603", "２０２６年３月"] {
            assert_eq!(parse_month(s), Some((2026, 3)), "{s}");
        }
        assert_eq!(Cell::Date(2026, 3, 31).month().unwrap().as_deref(), Some("2026-03"));
        assert_eq!(Cell::Text("2026-03-31".into()).month().unwrap().as_deref(), Some("2026-03"));
        assert!(Cell::Text("March".into()).month().is_err());
    }

    #[test]
    fn numbers_as_people_store_them() {
        assert_eq!(Cell::Number("1234.5".into()).number().unwrap().as_deref(), Some("1234.5"));
        assert_eq!(Cell::Text("1,234.5".into()).number().unwrap().as_deref(), Some("1234.5"));
        assert_eq!(Cell::Text("１２３".into()).number().unwrap().as_deref(), Some("123"));
        assert_eq!(Cell::Text(String::new()).number().unwrap(), None);
        assert!(Cell::Formula("B2*2".into(), None).number().unwrap_err().en.contains("formula"));
        assert!(Cell::Formula("B2*2".into(), Some("4".into())).number().unwrap_err().zh.contains("显示为 4"));
        assert!(Cell::Error("#DIV/0!".into()).number().unwrap_err().en.contains("#DIV/0!"));
        assert!(Cell::Date(2026, 3, 1).number().is_err());
        assert_eq!(shortest(0.1), "0.1");
        assert_eq!(shortest(120.0), "120");
        assert_eq!(shortest(1.0e-7), "0.0000001");
    }

    #[test]
    fn serial_dates() {
        assert_eq!(serial_date("46112"), Some((2026, 3, 31)));
        assert_eq!(serial_date("45658"), Some((2025, 1, 1)));
        assert_eq!(serial_date("100"), None);
        assert_eq!(Cell::Number("46112".into()).month().unwrap().as_deref(), Some("2026-03"));
        assert!(Cell::Number("46112".into()).number().is_ok(), "still a number where a number is wanted");
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27 * 26), "AAA");
    }

    #[test]
    fn headers_by_key_name_or_both() {
        let cols = [Col { key: "subject", names: &["单位编码"] }, Col { key: "actual", names: &["实际值", "完成值"] }];
        assert_eq!(header_key("单位编码", &cols), "subject");
        assert_eq!(header_key(" Subject ", &cols), "subject");
        assert_eq!(header_key("完成值（必填）", &cols), "actual");
        assert_eq!(header_key("实际值(actual)", &cols), "actual");
        assert_eq!(header_key("增速（growth）", &cols), "growth");
        assert_eq!(header_key("干部职工.称职", &cols), "干部职工.称职");
        assert_eq!(header_key("* 单位编码", &cols), "subject");
    }

    #[test]
    fn csv_refusals_and_reading() {
        let l = Limits::default();
        let b = read_book("x.csv", "\u{feff}a,b\n1,\"1,234\"\n\n".as_bytes(), &l).unwrap();
        assert_eq!(b.sheets[0].name, "x");
        assert_eq!(b.sheets[0].rows[1], vec![Cell::Text("1".into()), Cell::Text("1,234".into())]);
        let gbk = read_book("x.csv", b"a,b\n\xb5\xa5,1\n", &l).unwrap_err();
        assert_eq!(gbk[0].place.line, Some(2));
        assert!(gbk[0].msg.en.contains("UTF-8"));
        let pdf = read_book("x.xlsx", b"%PDF-1.7\n\x00\x01binary", &l).unwrap_err();
        assert!(pdf[0].msg.en.contains("not an Excel workbook"));
        let zip = read_book("x.xlsx", b"PK\x03\x04 not really a zip", &l).unwrap_err();
        assert!(zip[0].msg.en.contains("damaged"), "{}", zip[0].msg.en);
        let big = read_book("x.csv", &vec![b'1'; 100], &Limits { max_bytes: 10, ..l }).unwrap_err();
        assert!(big[0].msg.en.contains("over the limit"));
    }
}
