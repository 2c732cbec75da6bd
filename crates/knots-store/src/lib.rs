//! The knots journal store: the [`Store`] trait (use cases, not tables), its SQLite back end, an
//! optional PostgreSQL back end (cargo feature `postgres`), and the versioned JSON export format.
//!
//! Only this crate knows SQL. Every write is one transaction: a call either stores all it was given
//! or nothing. Records are validated by `knots-core` before they reach a store; the schema's CHECK
//! constraints are a second line. Start reading at [`Store`], then [`sqlite::SqliteStore`].
#![forbid(unsafe_code)]

pub mod export;
#[cfg(feature = "postgres")]
pub mod postgres;
mod shared;
pub mod sqlite;

use knots_core::journal::{
    Activity, Checkin, Entry, FieldError, Finding, Journal, PainReport, Profile, Run,
    SessionRecord, Shoe, Treatment,
};
use knots_core::{Km, Nrs};

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Errors of a store.
///
/// Variants follow what the caller can do: fix the input (`Invalid`, `Conflict`, `NotFound`), point
/// the user at a damaged file (`Corrupt`, `Open`), or report an internal fault (`Backend`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The journal file could not be opened or created.
    #[error("cannot open the journal at `{path}`: {message}")]
    Open {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
    /// The file is not a knots journal, or its contents are damaged.
    #[error("the journal at `{path}` is damaged or not a knots journal: {message}")]
    Corrupt {
        /// The path.
        path: String,
        /// What was found.
        message: String,
    },
    /// A record breaks a rule.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// A record refers to something that does not exist.
    #[error("no {kind} `{key}`")]
    NotFound {
        /// What was looked for.
        kind: &'static str,
        /// The key.
        key: String,
    },
    /// The write conflicts with what is stored (e.g. a duplicate shoe name).
    #[error("{0}")]
    Conflict(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Backend(String),
}

/// Result alias for store calls.
pub type Result<T> = std::result::Result<T, Error>;

/// One activity of an imported file, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportItem {
    /// The activity (its `run` is set when stored).
    pub activity: Activity,
    /// The run to make from it (running activities only).
    pub run: Option<Run>,
    /// The shoe named for it (a Strava gear name): found by name, or added.
    pub shoe: Option<String>,
}

/// What happened to one [`ImportItem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Stored, with the new activity id and run id.
    Added {
        /// The activity's id.
        activity: i64,
        /// The run's id, for running activities.
        run: Option<i64>,
    },
    /// Already in the journal (same start within [`DUPLICATE_WINDOW_S`] and about the same
    /// distance): nothing stored.
    Duplicate {
        /// The stored activity it duplicates.
        activity: i64,
    },
}

/// Two activities starting within this many seconds of each other, with distances within
/// [`DUPLICATE_DISTANCE_FRACTION`] (or 100 m), are the same activity recorded twice.
pub const DUPLICATE_WINDOW_S: i64 = 120;
/// See [`DUPLICATE_WINDOW_S`].
pub const DUPLICATE_DISTANCE_FRACTION: f64 = 0.03;

/// What a journal can do, as use cases. Implemented by [`SqliteStore`] and, with the `postgres`
/// feature, by `PostgresStore`.
pub trait Store {
    /// The whole journal, every list in id order.
    fn journal(&self) -> Result<Journal>;
    /// All palpation findings, in id order (the finder's input).
    fn findings(&self) -> Result<Vec<Entry<Finding>>>;
    /// All pain reports, in id order.
    fn pain_reports(&self) -> Result<Vec<Entry<PainReport>>>;
    /// All shoes, in id order.
    fn shoes(&self) -> Result<Vec<Entry<Shoe>>>;
    /// Whether the journal holds no records at all.
    fn is_empty(&self) -> Result<bool>;
    /// Whether the journal was made by `knots demo`.
    fn is_demo(&self) -> Result<bool>;

    /// Stores a pain report.
    fn add_pain_report(&mut self, report: &PainReport) -> Result<i64>;
    /// Stores a palpation finding.
    fn add_finding(&mut self, finding: &Finding) -> Result<i64>;
    /// Stores a treatment.
    fn add_treatment(&mut self, treatment: &Treatment) -> Result<i64>;
    /// Stores a therapist session with its findings and treatments, linked to it.
    fn add_session(&mut self, record: &SessionRecord) -> Result<i64>;
    /// Stores a run.
    fn add_run(&mut self, run: &Run) -> Result<i64>;
    /// Stores a shoe.
    fn add_shoe(&mut self, shoe: &Shoe) -> Result<i64>;
    /// Marks a shoe retired on `date`.
    fn retire_shoe(&mut self, id: i64, date: jiff::civil::Date) -> Result<()>;
    /// Stores the day's check-in, replacing an earlier one of the same day.
    fn put_checkin(&mut self, checkin: &Checkin) -> Result<i64>;
    /// Replaces the profile.
    fn set_profile(&mut self, profile: &Profile) -> Result<()>;
    /// Stores the activities of one imported file in one transaction: each is checked against the
    /// journal (and the earlier items of the same call) for duplicates; new running activities get
    /// a run, and named shoes are found or added.
    ///
    /// Bulk import commits without waiting for the disk (a crash or kill of the program never loses
    /// or tears a committed file; only a power cut may roll back the last few): call
    /// [`Store::sync`] when the batch is done.
    fn import_file(&mut self, items: &[ImportItem]) -> Result<Vec<Imported>>;
    /// Makes everything committed so far durable on disk (after a bulk import).
    fn sync(&mut self) -> Result<()>;
    /// Marks where the pain began on a run (and how bad it got).
    fn set_run_pain(
        &mut self,
        run: i64,
        onset_km: Option<Km>,
        max_pain: Option<Nrs>,
        pain_next_morning: Option<Nrs>,
    ) -> Result<()>;
    /// Replaces everything with `journal`, keeping its ids; marks it a demo journal or not.
    fn replace_all(&mut self, journal: &Journal, demo: bool) -> Result<()>;
}
