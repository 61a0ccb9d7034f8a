//! The `yardstick` command's logic: loading files, rendering results, synthetic data and benchmarks.
//! `main.rs` only parses the command line and calls into here, so tests can use the same code.

#![forbid(unsafe_code)]

pub mod bench;
pub mod r#gen;
pub mod load;
pub mod render;
