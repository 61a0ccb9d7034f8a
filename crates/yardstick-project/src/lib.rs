//! What sits around the engine for both the `yardstick` command and the server: loading
//! plan and data files, rendering results and explanations, and synthetic data sets.

#![forbid(unsafe_code)]

pub mod cadres;
pub mod r#gen;
pub mod load;
pub mod render;
