//! Plan and data file formats.
