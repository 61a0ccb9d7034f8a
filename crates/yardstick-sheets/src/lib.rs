//! Workbooks in and out.
//!
//! - [`read`]: a workbook (.xlsx, .xls) or a CSV file, as bytes, into sheets of located
//!   cells; tables found by their header names; every problem names sheet, row and column.
//! - [`plan`]: the plan (TOML) as a workbook and back, every problem placed in the workbook.
//! - [`report`]: the content of what Yardstick prints (rankings, scorecards, notices), one
//!   model rendered to a workbook here and to PDF by `yardstick-pdf`.
//! - [`write`]: formatted, printable workbooks.
//! - [`template`]: fill-in templates (填报模板) for a unit or a responsible department.

#![forbid(unsafe_code)]

pub mod plan;
pub mod read;
pub mod report;
pub mod write;
pub mod template;
