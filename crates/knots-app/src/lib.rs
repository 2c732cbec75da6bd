//! The knots use cases, between the edges (the CLI and the web app) and the store: choosing the
//! back end from `--db` (with the password never shown), recording, editing and deleting any
//! record with the same rules on every entry path, and importing activity files ([`ingest`]).
//!
//! The CLI and the web call this crate; neither calls the other. Rules live in `knots-core`
//! (`validate`, plausibility); this crate applies them and decides what a use case reads and
//! writes. Start at [`Target`], then [`record`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ingest;
pub mod originals;
pub mod record;
pub mod spool;
pub mod sync;
mod target;

pub use record::{Context, Error};
pub use target::{Open, Target, TargetError, WithStore, redact};
