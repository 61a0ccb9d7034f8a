//! The `yardstick` command's logic: benchmarks here, and (re-exported) loading files,
//! rendering results and synthetic data from `yardstick-project`. `main.rs` only parses the
//! command line and calls into here, so tests can use the same code.

#![forbid(unsafe_code)]

pub mod bench;
pub use yardstick_project::{r#gen, load, render};
