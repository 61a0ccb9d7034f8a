//! Reading workbooks as offices make them: titles above the header, merged cells, formulas,
//! numbers stored as text, full-width digits, dates, blank rows, hidden sheets.

use rust_xlsxwriter::{ExcelDateTime, Formula, Workbook};
use yardstick_sheets::read::{Book, Cell, Col, Limits, Table, read_book};

const COLS: &[Col] = &[Col { key: "subject", names: &["单位编码"] }, Col { key: "actual", names: &["实际值"] }, Col { key: "period", names: &["期间"] }];

fn office_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("数据").unwrap();
    ws.merge_range(0, 0, 0, 3, "2026年3月 考核数据", &rust_xlsxwriter::Format::new()).unwrap();
    for (c, h) in ["单位编码", "实际值", "期间", "备注"].iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    ws.write_string(3, 0, "A1").unwrap();
    ws.write_number(3, 1, 1234.5).unwrap();
    ws.write_datetime(3, 2, ExcelDateTime::from_ymd(2026, 3, 31).unwrap()).unwrap();
    ws.write_string(4, 0, "A2").unwrap();
    ws.write_string(4, 1, "１,２３４.５").unwrap();
    ws.write_string(4, 2, "2026年3月").unwrap();
    // Row 6 is blank.
    ws.write_string(6, 0, "A3").unwrap();
    ws.write_formula(6, 1, Formula::new("=B4*2")).unwrap();
    ws.write_string(6, 2, "2026/03").unwrap();
    ws.write_string(7, 0, "A4").unwrap();
    ws.write_formula(7, 1, Formula::new("=B4*2").set_result("2469")).unwrap();
    ws.write_string(7, 2, "202603").unwrap();
    ws.merge_range(8, 0, 9, 0, "A5", &rust_xlsxwriter::Format::new()).unwrap();
    ws.write_number(8, 1, 1.0).unwrap();
    let meta = wb.add_worksheet();
    meta.set_name("yardstick").unwrap();
    meta.write_string(0, 0, "period").unwrap();
    meta.write_string(0, 1, "2026-03").unwrap();
    meta.set_hidden(true);
    wb.save_to_buffer().unwrap()
}

#[test]
fn an_office_workbook_is_understood_or_refused_cell_by_cell() {
    let bytes = office_workbook();
    let book: Book = read_book("三月.xlsx", &bytes, &Limits::default()).unwrap();
    assert_eq!(book.sheets.len(), 2);
    assert!(!book.sheets[1].visible);
    assert_eq!(book.meta(), vec![("period".to_string(), "2026-03".to_string())]);
    let sheet = book.data_sheet(&["数据"]).unwrap();
    let table = Table::find(&book, sheet, COLS, &["subject", "actual"]).unwrap();
    assert_eq!(table.header_row, 2, "the title row above the header is skipped");
    assert_eq!(table.column("note").is_none(), true);
    let rows: Vec<_> = table.rows().collect();
    assert_eq!(rows.iter().map(|r| r.row + 1).collect::<Vec<_>>(), vec![4, 5, 7, 8, 9], "the blank rows 6 and 10 (below a merge) are skipped");
    assert_eq!(rows[0].get("actual").number().unwrap().as_deref(), Some("1234.5"));
    assert_eq!(rows[0].get("period").month().unwrap().as_deref(), Some("2026-03"), "a date cell in the month");
    assert_eq!(rows[1].get("actual").number().unwrap().as_deref(), Some("1234.5"), "full-width digits stored as text");
    assert_eq!(rows[1].get("period").month().unwrap().as_deref(), Some("2026-03"));
    assert!(matches!(rows[2].get("actual"), Cell::Formula(f, _) if f == "B4*2"), "a formula");
    let msg = rows[2].get("actual").number().unwrap_err();
    assert!(msg.zh.contains("公式") && msg.en.contains("formula"));
    let msg = rows[3].get("actual").number().unwrap_err();
    assert!(msg.zh.contains("=B4*2，显示为 2469"), "a formula is refused even with its saved value, which is shown: {}", msg.zh);
    assert_eq!(rows[3].get("period").month().unwrap().as_deref(), Some("2026-03"));
    let merges = table.merge_problems(&book);
    assert_eq!(merges.len(), 1, "the title's merge is above the table; the one in column A is refused");
    assert_eq!(merges[0].place.line, Some(9));
    assert_eq!(merges[0].place.sheet.as_deref(), Some("数据"));
    assert!(merges[0].msg.zh.contains("A9:A10"), "{}", merges[0].msg.zh);
    let place = table.place(&book, rows[3].row, Some("actual"));
    assert_eq!(place.column.as_deref(), Some("B（实际值）"));
    assert_eq!(
        yardstick_formats::Problem { place, msg }.render(yardstick_formats::Lang::Zh),
        "三月.xlsx 工作表“数据” 第8行 列“B（实际值）”：单元格是公式（=B4*2，显示为 2469）：导入只接受数值，请复制后“选择性粘贴 → 数值”再导入"
    );
}

#[test]
fn what_is_not_a_workbook_is_refused_before_it_is_read() {
    let l = Limits::default();
    let docx_like = {
        // A ZIP that is not a workbook.
        let mut wb = Workbook::new();
        wb.add_worksheet();
        let mut b = wb.save_to_buffer().unwrap();
        let n = b.len();
        b.truncate(n / 2);
        b
    };
    let e = read_book("half.xlsx", &docx_like, &l).unwrap_err();
    assert!(e[0].msg.en.contains("damaged") || e[0].msg.en.contains("not an Excel workbook"), "{}", e[0].msg.en);
    let e = read_book("big.xlsx", &vec![0u8; 50 << 20], &l).unwrap_err();
    assert!(e[0].msg.zh.contains("超过上限"), "{}", e[0].msg.zh);
    let e = read_book("photo.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &l).unwrap_err();
    assert!(e[0].msg.en.contains("not an Excel workbook"));
    // A small workbook that unpacks to more than the limit is refused unopened.
    let bytes = office_workbook();
    let e = read_book("bomb.xlsx", &bytes, &Limits { max_unpacked: 1000, ..l }).unwrap_err();
    assert!(e[0].msg.en.contains("unpacks to"), "{}", e[0].msg.en);
}
