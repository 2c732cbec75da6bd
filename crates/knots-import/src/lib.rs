//! Activity files to plain values: FIT, GPX, TCX, gzip'd copies of them, and Strava bulk exports.
//!
//! This crate is pure parsing. It takes bytes (or, for a zip, a `Read + Seek`) and returns
//! [`Activity`] values with diagnostics; it never opens files by name, walks folders, writes to
//! disk, touches a database or reads the clock. The CLI walks folders and the store keeps the
//! results; both convert this crate's types to their own.
//!
//! Where to start reading:
//! - [`parse_file`] picks the parser from the content (and the name) of one file, gunzipping
//!   `.gz` with a size cap. [`parse_fit`], [`parse_gpx`] and [`parse_tcx`] are the parsers.
//! - [`parse_zip`] reads a Strava bulk export, a Garmin Connect export or any zip of activity
//!   files member by member, in memory, zips inside zips included; every member gives a
//!   [`ZipEntry`] (files that are not activities are [`Outcome::Skipped`] with the reason), and
//!   [`ZipImport::summary`] is a line for the user ("Garmin Connect export: 12 activities").
//! - [`parse_export`] is the same reader over an extracted export folder: the caller lists and
//!   opens the folder's files through the [`ExportFiles`] trait (this crate opens nothing by
//!   name), and gets exactly what the zip would give.
//! - [`Outcome`] says whether a file held activities ([`Parsed`], possibly with warnings about
//!   repaired damage) or was valid but not an activity ([`Outcome::Skipped`]). [`Error`] is for
//!   input that gives nothing usable, and always names the place: byte offset or line and column.
//!
//! - [`Kept`] is an activity file's bytes kept, compressed, to be given back byte for byte
//!   ([`Limits::keep_originals`] keeps zip members' bytes as they are read).
//! - [`parse_apple_health`] streams an Apple Health `export.xml` from any reader; inside an
//!   export zip or folder the running workouts get their `workout-routes/*.gpx` attached (and
//!   those routes are not imported a second time).
//!
//! How a caller walks its input: a `.zip` goes to [`parse_zip`] (or [`parse_zip_with`] with
//! its own [`Limits`]); a folder that holds an export's `activities.csv` (Strava),
//! `DI_CONNECT/` (Garmin) or `export.xml` (Apple Health) goes whole to [`parse_export`] rather
//! than file by file; any other file goes to [`parse_file`]. Threads may do this in parallel:
//! they share one [`MemoryBudget`].
//!
//! Hostile input: what a parser keeps is bounded by what the input can justify, and
//! decompression is bounded by [`Limits`]: per file ([`Limits::file_bytes`]), per archive with
//! its nested archives (total bytes, member count, depth), and process-wide
//! ([`MemoryBudget::global`], charged while decompressed bytes are in use, across threads).
//! FIT messages that carry nothing usable are not kept, and sessions, laps, records, timer
//! events and chained files have caps; GPX and TCX track points and TCX activities and laps
//! too; names are cut to [`MAX_NAME_BYTES`] and notes to [`MAX_NOTES_BYTES`] with a warning.
//! Every cap that drops data says so in a warning. `examples/hostile.rs` measures the peak
//! memory of hostile files (all under 512 MiB with the default limits).
//!
//! Invariants: no input makes a parser panic (property tests feed random and mutated files);
//! parsers stream over the input once and keep at most [`MAX_SAMPLES`] samples per activity.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod activity;
mod apple;
mod budget;
mod error;
mod fit;
mod gpx;
mod original;
mod strava;
mod strava_csv;
mod tcx;
mod time;
mod track;
mod xml;

pub use activity::{
    Activity, DistanceSource, Format, Lap, MAX_NAME_BYTES, MAX_NOTES_BYTES, MAX_SAMPLES, Outcome,
    Parsed, RunningDynamics, Sample,
};
pub use apple::{is_apple_health_main_xml, parse_apple_health};
pub use budget::{DEFAULT_MEMORY_BUDGET, Limits, MemoryBudget};
pub use error::Error;
pub use fit::parse_fit;
pub use gpx::parse_gpx;
pub use original::{Codec, Kept, unpack};
pub use strava::{
    ExportFiles, ExportKind, Shoe, StravaRow, ZipEntry, ZipImport, parse_export, parse_zip,
    parse_zip_with, parse_zip_with_limit,
};
pub use tcx::parse_tcx;

/// The default cap on the decompressed size of one file (a gzip stream or a zip member):
/// 256 MiB, well above the largest real activity files (tens of MB) and far below a zip bomb.
pub const MAX_DECOMPRESSED_BYTES: u64 = 256 * 1024 * 1024;

/// Reads one activity file given its name and bytes.
///
/// The content decides the parser: FIT data (`.FIT` at bytes 8 to 11) goes to [`parse_fit`],
/// XML whose root is `<gpx>` to [`parse_gpx`], `<TrainingCenterDatabase>` to [`parse_tcx`],
/// `<HealthData>` (an Apple Health `export.xml`, without its routes) to [`parse_apple_health`],
/// whatever the file is called (a warning notes a misleading extension). Content that is
/// neither falls back on the extension, so that the error explains what was wrong (`.fit`,
/// `.gpx`, `.tcx`). A name ending in `.gz`, or gzip content, is decompressed first, up to
/// [`MAX_DECOMPRESSED_BYTES`].
///
/// # Errors
///
/// Those of the parsers, [`Error::Gzip`] and [`Error::TooLarge`] for compressed input, and
/// [`Error::Unrecognized`] when neither the content nor the name is a known format.
///
/// # Examples
///
/// ```
/// let err = knots_import::parse_file("shopping-list.gpx", b"milk\neggs\n").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "xml at line 1, column 1: expected an xml element, found text `milk\\neggs`"
/// );
/// let err = knots_import::parse_file("notes.txt", b"hello").unwrap_err();
/// assert!(matches!(err, knots_import::Error::Unrecognized { .. }));
/// ```
pub fn parse_file(name: &str, bytes: &[u8]) -> Result<Outcome, Error> {
    parse_file_with_limit(name, bytes, MAX_DECOMPRESSED_BYTES)
}

/// [`parse_file`] with a chosen cap, in bytes, on the decompressed size of gzip input.
///
/// # Errors
///
/// As [`parse_file`].
///
/// # Examples
///
/// ```
/// // 1 MiB of zeros, gzip'd, is refused under a 1 KiB cap.
/// use std::io::Write;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&vec![0u8; 1 << 20]).unwrap();
/// let bomb = gz.finish().unwrap();
/// let err = knots_import::parse_file_with_limit("bomb.fit.gz", &bomb, 1024).unwrap_err();
/// assert!(matches!(err, knots_import::Error::TooLarge { limit: 1024, .. }));
/// ```
pub fn parse_file_with_limit(name: &str, bytes: &[u8], limit: u64) -> Result<Outcome, Error> {
    parse_file_with(name, bytes, &Limits::with_file_bytes(limit))
}

/// [`parse_file`] under chosen [`Limits`]: the cap on gzip input's decompressed size is
/// `limits.file_bytes`, and the decompressed bytes are charged to `limits.budget` until the
/// parse is over.
///
/// # Errors
///
/// As [`parse_file`], and [`Error::OverBudget`] when the budget has no room for the data.
///
/// # Examples
///
/// ```
/// use knots_import::{Error, Limits, MemoryBudget};
/// use std::io::Write;
/// static TINY: MemoryBudget = MemoryBudget::new(4096);
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(&vec![b' '; 100_000]).unwrap();
/// let gz = gz.finish().unwrap();
/// let limits = Limits { budget: &TINY, ..Limits::default() };
/// let err = knots_import::parse_file_with("a.gpx.gz", &gz, &limits).unwrap_err();
/// assert!(matches!(err, Error::OverBudget { limit: 4096, .. }));
/// assert_eq!(TINY.in_use(), 0);
/// ```
pub fn parse_file_with(name: &str, bytes: &[u8], limits: &Limits) -> Result<Outcome, Error> {
    if bytes.starts_with(&APPLE_DOUBLE_MAGIC) {
        return Ok(Outcome::Skipped {
            reason:
                "macOS metadata (an AppleDouble `._` file, which macOS writes beside a file on \
                     other disks and in zips under `__MACOSX/`), not an activity"
                    .into(),
        });
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".gz") || bytes.starts_with(&[0x1F, 0x8B]) {
        let mut reservation = budget::Reservation::new(limits.budget);
        let inner = gunzip_reserved(name, bytes, limits.file_bytes, &mut reservation)?;
        let inner_name = name
            .get(..name.len().saturating_sub(3))
            .filter(|_| lower.ends_with(".gz"));
        return dispatch(inner_name.unwrap_or(name), &inner);
    }
    dispatch(name, bytes)
}

/// The first bytes of an AppleDouble file: `._run.fit` beside `run.fit` on a watch or a USB disk
/// that a Mac has written to, or under `__MACOSX/` in a zip a Mac made. Named like the activity
/// file, it holds only Finder metadata.
const APPLE_DOUBLE_MAGIC: [u8; 4] = [0x00, 0x05, 0x16, 0x07];

/// Decompresses gzip data (several members back to back are read as one stream), refusing to
/// produce more than `limit` bytes.
///
/// The bytes are charged to [`MemoryBudget::global`] while they are decompressed (and given
/// back when this returns), so that many threads unpacking bombs at once fail instead of
/// exhausting memory.
///
/// # Errors
///
/// [`Error::Gzip`] when the data is not gzip or is damaged, [`Error::TooLarge`] past the limit,
/// [`Error::OverBudget`] when the global budget has no room.
///
/// # Examples
///
/// ```
/// let err = knots_import::gunzip("x.gz", b"not gzip", 1024).unwrap_err();
/// assert!(matches!(err, knots_import::Error::Gzip { .. }));
/// ```
pub fn gunzip(name: &str, bytes: &[u8], limit: u64) -> Result<Vec<u8>, Error> {
    let mut reservation = budget::Reservation::new(MemoryBudget::global());
    gunzip_reserved(name, bytes, limit, &mut reservation)
}

fn gunzip_reserved(
    name: &str,
    bytes: &[u8],
    limit: u64,
    reservation: &mut budget::Reservation,
) -> Result<Vec<u8>, Error> {
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    budget::read_capped(decoder, name, limit, reservation, |e| Error::Gzip {
        name: name.to_string(),
        reason: e.to_string(),
    })
}

/// The file formats [`parse_file`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Fit,
    Gpx,
    Tcx,
    AppleHealth,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Fit => "fit",
            FileKind::Gpx => "gpx",
            FileKind::Tcx => "tcx",
            FileKind::AppleHealth => "apple health",
        }
    }
}

/// How far into a file [`sniff`] looks for the root element of XML: past any declaration,
/// comments and a DOCTYPE (Apple Health's runs to some 10 KB).
const SNIFF_BYTES: usize = 64 * 1024;

/// What the content of a file looks like, from its first bytes only (the parser then decodes
/// the whole file once; a multi-byte character cut at the end of the prefix only makes the
/// prefix read as Latin-1, which leaves the ASCII tag names as they are).
fn sniff(bytes: &[u8]) -> Option<FileKind> {
    if bytes.get(8..12) == Some(b".FIT") {
        return Some(FileKind::Fit);
    }
    let (text, _) = xml::decode(&bytes[..bytes.len().min(SNIFF_BYTES)]).ok()?;
    if !text.trim_start().starts_with('<') {
        return None;
    }
    match xml::root_name(&text).ok()?.as_str() {
        "gpx" => Some(FileKind::Gpx),
        "TrainingCenterDatabase" => Some(FileKind::Tcx),
        "HealthData" => Some(FileKind::AppleHealth),
        _ => None,
    }
}

fn dispatch(name: &str, bytes: &[u8]) -> Result<Outcome, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let lower = name.to_ascii_lowercase();
    let by_name = [
        (".fit", FileKind::Fit),
        (".gpx", FileKind::Gpx),
        (".tcx", FileKind::Tcx),
    ]
    .into_iter()
    .find(|(ext, _)| lower.ends_with(ext))
    .map(|(_, f)| f);
    let by_content = sniff(bytes);
    let format = match (by_content, by_name) {
        (Some(f), _) => f,
        (None, Some(f)) => f,
        (None, None) if bytes.starts_with(b"PK\x03\x04") => {
            return Err(Error::Unrecognized {
                reason: format!("`{name}` is a zip archive, not a single activity file"),
            });
        }
        (None, None) => {
            return Err(Error::Unrecognized {
                reason: format!(
                    "`{name}` holds neither fit data nor gpx or tcx xml, and its name does not end in .fit, .gpx or .tcx"
                ),
            });
        }
    };
    let mut outcome = match format {
        FileKind::Fit => parse_fit(bytes)?,
        FileKind::Gpx => parse_gpx(bytes)?,
        FileKind::Tcx => parse_tcx(bytes)?,
        FileKind::AppleHealth => parse_apple_health(bytes)?,
    };
    if let (Some(content), Some(named)) = (by_content, by_name)
        && content != named
        && let Outcome::Parsed(p) = &mut outcome
    {
        p.warnings.push(format!(
            "`{name}` is named as {} but holds {} data: read it as {}",
            named.name(),
            content.name(),
            content.name()
        ));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_content_and_name_is_unrecognized() {
        assert!(matches!(
            parse_file("a.txt", b"hello"),
            Err(Error::Unrecognized { .. })
        ));
        assert!(matches!(parse_file("a.fit", b""), Err(Error::Empty)));
        assert!(matches!(
            parse_file("a.fit", b"hello"),
            Err(Error::Fit { offset: 0, .. })
        ));
        assert!(matches!(
            parse_file("a.gpx", b"<kml/>"),
            Err(Error::Xml {
                line: 1,
                column: 1,
                ..
            })
        ));
    }

    #[test]
    fn apple_double_files_are_skipped_whatever_their_name() {
        let mut bytes = APPLE_DOUBLE_MAGIC.to_vec();
        bytes.extend_from_slice(&[0, 2, 0, 0, b'M', b'a', b'c', b' ', b'O', b'S', b' ', b'X']);
        for name in ["._run.fit", "__MACOSX/activities/._1.fit.gz", "._track.gpx"] {
            match parse_file(name, &bytes) {
                Ok(Outcome::Skipped { reason }) => {
                    assert!(reason.contains("AppleDouble"), "{reason}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn gzip_is_capped() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&[b'x'; 5000]).expect("write");
        let data = gz.finish().expect("finish");
        assert!(matches!(
            gunzip("a.gz", &data, 4999),
            Err(Error::TooLarge { limit: 4999, .. })
        ));
        assert_eq!(gunzip("a.gz", &data, 5000).expect("fits").len(), 5000);
    }
}
