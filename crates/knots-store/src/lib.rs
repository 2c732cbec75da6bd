//! The knots journal store: the [`Store`] trait (use cases, not tables), its SQLite back end, an
//! optional PostgreSQL back end (cargo feature `postgres`), and the versioned JSON export format.
//!
//! Only this crate knows SQL. Every write is one transaction: a call either stores all it was given
//! or nothing. Records are validated by `knots-core` before they reach a store; the schema's CHECK
//! constraints are a second line. Start reading at [`Store`], then [`sqlite::SqliteStore`].
#![forbid(unsafe_code)]

mod db;
pub mod export;
#[cfg(feature = "postgres")]
pub mod postgres;
mod records;
mod shared;
pub mod sql;
pub mod sqlite;
pub mod sync;
#[cfg(feature = "pg-tests")]
pub mod testing;

use jiff::Timestamp;
use knots_core::change::{Change, Kind, Record};
use knots_core::journal::{
    Activity, Checkin, Entry, FieldError, Finding, Journal, PainReport, Reaction, Run,
    SessionRecord, Shoe, Treatment,
};

pub use db::Db;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use sqlite::{Access, SqliteStore};

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
    /// Another connection holds the journal's write lock longer than the busy timeout: retry.
    #[error("the journal at `{path}` is busy (another program is writing to it): retry")]
    Busy {
        /// The path or URL.
        path: String,
    },
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

/// An imported file's bytes, kept so that they can be given back byte for byte. The store keeps
/// them as it is given them; the encoding is the importer's (`knots_import::Kept`).
#[derive(Clone, PartialEq, Eq)]
pub struct Original {
    /// The path as imported (`export.zip!activities/1.fit.gz` for a zip member).
    pub name: String,
    /// How `data` is encoded: `zstd`, or `none` for the bytes as they were.
    pub codec: String,
    /// The size of the original bytes.
    pub size: u64,
    /// The CRC-32 of the original bytes.
    pub crc32: u32,
    /// The encoded bytes.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Original {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Original")
            .field("name", &self.name)
            .field("codec", &self.codec)
            .field("size", &self.size)
            .field("crc32", &format_args!("{:08x}", self.crc32))
            .field("data", &format_args!("{} bytes", self.data.len()))
            .finish()
    }
}

/// One file of [`Store::import_files`]: its activities and, when kept, its original bytes.
#[derive(Debug, Clone, Copy)]
pub struct ImportFile<'a> {
    /// The file's activities.
    pub items: &'a [ImportItem],
    /// The file's bytes, kept with the first activity it adds.
    pub original: Option<&'a Original>,
}

/// A kept original, listed without its bytes ([`Store::originals`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalInfo {
    /// The activity it is kept with.
    pub activity: i64,
    /// The path as imported.
    pub name: String,
    /// The size of the original bytes.
    pub size: u64,
    /// The size kept in the journal.
    pub stored: u64,
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

/// What a delete took with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Deleted {
    /// Findings of a deleted session.
    pub findings: usize,
    /// Treatments of a deleted session.
    pub treatments: usize,
    /// Runs that wore a deleted shoe (now without a shoe).
    pub runs_detached: usize,
    /// Imported activities of a deleted run (kept, now without a run).
    pub activities_detached: usize,
    /// Reactions that named a deleted treatment (kept, now without a treatment).
    pub reactions_detached: usize,
}

/// What a journal can do, as use cases. Implemented once, by [`Db`], over an engine: SQLite
/// ([`SqliteStore`]) and, with the `postgres` feature, PostgreSQL (`PostgresStore`).
///
/// Every call is one transaction. Every edit and delete writes a change event in the same
/// transaction (the audit trail, [`Store::changes`]).
pub trait Store {
    /// The whole journal, every list in id order, read in one snapshot.
    fn journal(&self) -> Result<Journal>;
    /// All palpation findings, in id order (the finder's input).
    fn findings(&self) -> Result<Vec<Entry<Finding>>>;
    /// The findings of one trigger point, in id order.
    fn findings_of(&self, trigger_point: &str) -> Result<Vec<Entry<Finding>>>;
    /// All pain reports, in id order.
    fn pain_reports(&self) -> Result<Vec<Entry<PainReport>>>;
    /// All shoes, in id order.
    fn shoes(&self) -> Result<Vec<Entry<Shoe>>>;
    /// All runs, in id order.
    fn runs(&self) -> Result<Vec<Entry<Run>>>;
    /// All treatments, in id order.
    fn treatments(&self) -> Result<Vec<Entry<Treatment>>>;
    /// The imported activity a run was made from, if any.
    fn activity_of_run(&self, run: i64) -> Result<Option<Entry<Activity>>>;
    /// One record.
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the kind and id.
    fn record(&self, kind: Kind, id: i64) -> Result<Record>;
    /// A session with its findings and treatments.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id.
    fn session_record(&self, id: i64) -> Result<SessionRecord>;
    /// Every change event, oldest first.
    fn changes(&self) -> Result<Vec<Entry<Change>>>;
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
    /// Stores an adverse reaction.
    fn add_reaction(&mut self, reaction: &Reaction) -> Result<i64>;
    /// Stores a therapist session with its findings and treatments, linked to it.
    fn add_session(&mut self, record: &SessionRecord) -> Result<i64>;
    /// Stores a run.
    fn add_run(&mut self, run: &Run) -> Result<i64>;
    /// Stores a shoe.
    ///
    /// # Errors
    /// [`Error::Conflict`] when the name is taken.
    fn add_shoe(&mut self, shoe: &Shoe) -> Result<i64>;
    /// Stores a check-in.
    ///
    /// # Errors
    /// [`Error::Conflict`] when the day has one (merge it with [`Store::edit`]).
    fn add_checkin(&mut self, checkin: &Checkin) -> Result<i64>;
    /// Replaces record `id` of `new`'s kind with `new` (already validated) and records the change
    /// event (old and new values) in the same transaction. The profile's id is 1.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id, [`Error::Conflict`] for a taken shoe name.
    fn edit(&mut self, id: i64, new: &Record, at: Timestamp) -> Result<Change>;
    /// Deletes record `id` of `kind` and records the change event in the same transaction. A
    /// session goes with its findings and treatments; a run's imported activity stays, without
    /// its run; a reaction stays without the treatment it named; a shoe that runs still wear is refused unless `detach` (then they lose the shoe).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id, [`Error::Conflict`] for a worn shoe without
    /// `detach`.
    fn delete(&mut self, kind: Kind, id: i64, at: Timestamp, detach: bool) -> Result<Deleted>;
    /// Stores the activities of one imported file in one transaction: each is checked against the
    /// journal (and the earlier items of the same call) for duplicates; new running activities get
    /// a run, and named shoes are found or added.
    ///
    /// The file's `original` bytes, when given, are kept with the first activity the call adds
    /// (none when every activity was a duplicate), in the same transaction.
    ///
    /// Bulk import commits without waiting for the disk (a crash or kill of the program never loses
    /// or tears a committed file; only a power cut may roll back the last few): call
    /// [`Store::sync`] when the batch is done.
    ///
    /// # Errors
    /// The store's (then nothing of the file is stored).
    fn import_file(
        &mut self,
        items: &[ImportItem],
        original: Option<&Original>,
    ) -> Result<Vec<Imported>> {
        self.import_files(&[ImportFile { items, original }])?
            .into_iter()
            .next()
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// [`Store::import_file`] for several files in one transaction: a file is stored whole or
    /// not at all (its error is its entry of the result, and the files after it are still
    /// stored), and the group commits together, so a kill loses at most the group in progress,
    /// never part of a file. (The group is tried without savepoints first; when a file is
    /// refused, it is tried again with a savepoint for each file.)
    ///
    /// # Errors
    /// When the transaction itself fails (then none of the group is stored).
    fn import_files(&mut self, files: &[ImportFile<'_>]) -> Result<Vec<Result<Vec<Imported>>>>;
    /// The kept original files, by activity id, without their bytes.
    fn originals(&self) -> Result<Vec<OriginalInfo>>;
    /// The original file kept with `activity`, if any.
    fn original(&self, activity: i64) -> Result<Option<Original>>;
    /// Makes everything committed so far durable on disk (after a bulk import).
    fn sync(&mut self) -> Result<()>;
    /// Replaces everything with `journal` (its change events included), keeping its ids; marks it
    /// a demo journal or not.
    fn replace_all(&mut self, journal: &Journal, demo: bool) -> Result<()>;
}
