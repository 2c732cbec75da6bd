//! The pure domain core of knots: the trigger-point atlas, the finder, the journal's record types
//! with their validation, safety rules (red flags, disclaimer) and the summaries the other crates show.
//!
//! This crate must never do IO: no files, no clock, no environment, no network, no randomness that is
//! not seeded by the caller. Time ("now", "today") always comes in as an argument. Start reading at
//! [`atlas`] (what knots knows), then [`finder`] (how it ranks), then [`journal`] (what a user records).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[macro_use]
mod vocab;

pub mod analytics;
pub mod atlas;
pub mod bounds;
pub mod change;
pub mod demo;
pub mod finder;
pub mod journal;
pub mod program;
pub mod region;
pub mod safety;
pub mod scale;
pub mod search;
pub mod summary;
pub mod sync;
pub mod units;

pub use atlas::{Atlas, Muscle, TriggerPoint, TriggerPointId};
pub use region::Region;
pub use scale::{Km, Nrs};
pub use vocab::UnknownId;
