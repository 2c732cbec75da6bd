//! The one error type of this crate.

/// Why a file could not be read at all.
///
/// # Design
///
/// An `Error` means "nothing usable came out of this input". Damage that still leaves whole
/// activities behind (a wrong CRC, a chained FIT file whose second part is corrupt, XML cut
/// off after some whole track points) is not an error: the activities are returned in
/// [`Parsed`](crate::Parsed) together with warnings. Files that are valid but hold no activity
/// (a FIT settings file, a GPX file with only waypoints) are not errors either: they come back
/// as [`Outcome::Skipped`](crate::Outcome::Skipped).
///
/// Every variant names the place in the input where reading stopped, so a user can look at
/// the file: a byte offset for FIT data, a line and column for XML, a line for CSV. Messages
/// are lowercase, without a trailing period, and say what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input has no bytes.
    #[error("file is empty")]
    Empty,

    /// The bytes are none of the formats this crate reads.
    #[error("not an activity file: {reason}")]
    Unrecognized {
        /// What was found instead.
        reason: String,
    },

    /// FIT data that cannot be decoded, with the byte offset where decoding stopped.
    #[error("fit data at byte {offset}: {reason}")]
    Fit {
        /// Offset from the start of the input, in bytes.
        offset: u64,
        /// What was wrong there.
        reason: String,
    },

    /// XML (GPX or TCX) that cannot be parsed, with the place where parsing stopped.
    #[error("xml at line {line}, column {column}: {reason}")]
    Xml {
        /// 1-based line number.
        line: u64,
        /// 1-based column, in characters.
        column: u64,
        /// What was wrong there.
        reason: String,
    },

    /// The file is readable but cannot give an activity (for example, it has no calendar date).
    #[error("no usable activity: {reason}")]
    NoActivity {
        /// Why the data cannot make an activity.
        reason: String,
    },

    /// Decompressed data grew past the size limit (a defence against zip and gzip bombs).
    #[error("`{name}` is larger than the limit of {limit} bytes once decompressed")]
    TooLarge {
        /// The member or file name.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },

    /// Decompressed data would pass the shared [`MemoryBudget`](crate::MemoryBudget): too many
    /// large files are being read at the same time (or the budget is too small for one).
    #[error(
        "`{name}` would take decompressed data in memory past the import's budget of {limit} bytes (files read at the same time count too)"
    )]
    OverBudget {
        /// The member or file name.
        name: String,
        /// The budget's limit in bytes.
        limit: u64,
    },

    /// An archive passes a limit of [`Limits`](crate::Limits) as a whole: too many members,
    /// too deep a nesting of zips.
    #[error("archive `{name}`: {reason}")]
    ArchiveLimit {
        /// The archive's name (`outer.zip!inner.zip` for a nested one).
        name: String,
        /// Which limit, and by how much.
        reason: String,
    },

    /// A gzip stream that cannot be decompressed.
    #[error("gzip data in `{name}`: {reason}")]
    Gzip {
        /// The file name.
        name: String,
        /// The decoder's message.
        reason: String,
    },

    /// A zip archive that cannot be read.
    #[error("zip archive: {reason}")]
    Zip {
        /// The zip reader's message.
        reason: String,
    },

    /// A CSV file (inside a Strava export) that cannot be read.
    #[error("csv `{name}` at line {line}: {reason}")]
    Csv {
        /// The member name, such as `activities.csv`.
        name: String,
        /// 1-based line number (0 when unknown).
        line: u64,
        /// What was wrong there.
        reason: String,
    },

    /// Reading from the caller's reader failed.
    #[error("reading the input: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn fit(offset: usize, reason: impl Into<String>) -> Self {
        Error::Fit {
            offset: offset as u64,
            reason: reason.into(),
        }
    }

    pub(crate) fn no_activity(reason: impl Into<String>) -> Self {
        Error::NoActivity {
            reason: reason.into(),
        }
    }
}
