//! Yardstick's scoring engine: plans and a period's data in; scores, ranks, grades and
//! explanations out. It performs no IO, reads no clock and draws no random numbers,
//! so it cannot fail because of the outside world.
//!
//! The flow: a [`model::Model`] (built and checked by the formats crate), a
//! [`data::DataSet`] of period inputs, and a [`score::Scorer`] that scores a period
//! (months directly, quarters, halves and years by aggregation) and explains any
//! subject's score on demand.

#![forbid(unsafe_code)]

pub mod ballot;
pub mod data;
pub mod dec;
pub mod formula;
pub mod model;
pub mod num;
pub mod oversight;
pub mod period;
pub mod rank;
pub mod rewards;
pub mod score;

pub use data::{DataSet, Event, PeriodData, PeriodDataBuilder, Roster};
pub use dec::Dec;
pub use model::Model;
pub use period::{Level, Period};
pub use score::{PeriodResult, Row, ScoreError, ScoreErrorKind, ScoreTrace, Scorer};
