//! Zip archives of activity files, above all Strava's bulk export.
//!
//! A Strava export holds `activities.csv` (one row per activity, with the file's name under
//! `activities/`), `shoes.csv`, and the files themselves, mostly gzip'd. Members are read one
//! at a time into memory, each capped in decompressed size; nothing is written to disk.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};

use jiff::Timestamp;

use crate::activity::{Activity, DistanceSource, Format, Outcome, Parsed};
use crate::budget::{Limits, Reservation, read_capped};
use crate::error::Error;
use crate::original::Kept;
use crate::strava_csv::{read_activities_csv, read_shoes_csv};

/// A shoe listed in a Strava export's `shoes.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shoe {
    /// The name the runner gave it; `StravaRow::gear` refers to it.
    pub name: String,
    /// Brand, when given.
    pub brand: Option<String>,
    /// Model, when given.
    pub model: Option<String>,
}

/// The values of one row of a Strava export's `activities.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct StravaRow {
    /// 1-based line of the row in `activities.csv` (the header is line 1).
    pub line: u64,
    /// Strava's activity id.
    pub activity_id: Option<u64>,
    /// Start time (Strava writes it in UTC).
    pub start: Option<Timestamp>,
    /// The activity's title.
    pub name: Option<String>,
    /// Strava's type as written (`Run`, `Ride`, `Walk`…).
    pub activity_type: String,
    /// The type in FIT's sport vocabulary (`running`, `cycling`, `walking`…).
    pub sport: String,
    /// Elapsed time in seconds.
    pub elapsed_s: Option<f64>,
    /// Moving time in seconds.
    pub moving_s: Option<f64>,
    /// Distance in metres.
    pub distance_m: Option<f64>,
    /// The gear's name (a shoe or a bike), when set.
    pub gear: Option<String>,
    /// The activity file's member name, such as `activities/123.fit.gz`; `None` for a manual entry.
    pub file: Option<String>,
}

/// One result of an export: an activity file, a manual row of `activities.csv`, or a file that
/// is not an activity ([`Outcome::Skipped`] with the reason).
#[derive(Debug)]
pub struct ZipEntry {
    /// `zipname!member` (for a manual row, `zipname!activities.csv#<activity id>`; for a
    /// member of a nested zip, `zipname!inner.zip!member`), for reports.
    pub path: String,
    /// The `activities.csv` row this entry belongs to, in a Strava export.
    pub strava: Option<StravaRow>,
    /// What the member gave.
    pub result: Result<Outcome, Error>,
    /// The member's bytes, kept (with [`Limits::keep_originals`], for members that gave
    /// activities; for an Apple Health workout, its route file).
    pub original: Option<Kept>,
}

/// What kind of export a zip or folder is, judged by its layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportKind {
    /// Activity files with no export layout around them.
    #[default]
    Files,
    /// A Strava bulk export (`activities.csv` with `activities/`).
    Strava,
    /// A Garmin Connect data export (`DI_CONNECT/`, activity files in nested part zips).
    GarminConnect,
    /// An Apple Health export (`export.xml` with `workout-routes/`).
    AppleHealth,
}

/// Everything read from a zip (or a folder, through [`ExportFiles`]).
#[derive(Debug, Default)]
pub struct ZipImport {
    /// Whether the zip has an `activities.csv` (a Strava bulk export).
    pub is_strava: bool,
    /// What the layout says the export is.
    pub kind: ExportKind,
    /// Shoes from `shoes.csv`.
    pub shoes: Vec<Shoe>,
    /// One entry per member file and per manual row, in `activities.csv` order first; files
    /// that are not activities are entries too, as [`Outcome::Skipped`].
    pub entries: Vec<ZipEntry>,
    /// Problems with the zip as a whole (an unreadable `shoes.csv`, members that were skipped).
    pub warnings: Vec<String>,
}

impl ZipImport {
    /// Activities read, over all entries.
    pub fn activity_count(&self) -> usize {
        self.entries
            .iter()
            .filter_map(|e| e.result.as_ref().ok())
            .map(|o| o.activities().len())
            .sum()
    }

    /// One line for the user about what the export is and holds, such as
    /// `Garmin Connect export: 12 activities`.
    ///
    /// # Examples
    ///
    /// ```
    /// let import = knots_import::ZipImport::default();
    /// assert_eq!(import.summary(), "zip of activity files: 0 activities");
    /// ```
    pub fn summary(&self) -> String {
        let n = self.activity_count();
        let what = match self.kind {
            ExportKind::Files => "zip of activity files",
            ExportKind::Strava => "Strava export",
            ExportKind::GarminConnect => "Garmin Connect export",
            ExportKind::AppleHealth => "Apple Health export",
        };
        let plural = if n == 1 { "activity" } else { "activities" };
        match self.kind {
            ExportKind::Strava => format!("{what}: {n} {plural}, {} shoes", self.shoes.len()),
            _ => format!("{what}: {n} {plural}"),
        }
    }
}

/// The files of an export, for [`parse_export`]: a zip's members, or a folder's files that the
/// caller lists and opens (this crate never opens files by name).
///
/// A caller importing an extracted export walks the folder once, gives every regular file's
/// path relative to the folder (with `/` between parts, such as `activities/123.fit.gz`), and
/// opens them on request:
///
/// ```
/// use std::io::Read;
/// use std::path::PathBuf;
///
/// struct Folder { root: PathBuf, paths: Vec<String> }
///
/// impl knots_import::ExportFiles for Folder {
///     fn paths(&self) -> Vec<String> {
///         self.paths.clone()
///     }
///     fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>> {
///         Ok(Box::new(std::fs::File::open(self.root.join(path))?))
///     }
/// }
/// let mut folder = Folder { root: "/nowhere".into(), paths: vec![] };
/// let import = knots_import::parse_export(&mut folder, "export", &Default::default())?;
/// assert!(import.entries.is_empty());
/// # Ok::<(), knots_import::Error>(())
/// ```
pub trait ExportFiles {
    /// Every file's path relative to the export's root, `/`-separated, without directories.
    fn paths(&self) -> Vec<String>;
    /// A reader over the file at `path` (one of [`ExportFiles::paths`]); it is read once, up
    /// to the cap of [`Limits::file_bytes`] plus one byte.
    ///
    /// # Errors
    ///
    /// Whatever opening the file gives; it is reported in that file's entry.
    fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>>;
}

/// A zip archive's members as [`ExportFiles`].
struct ZipFiles<R: Read + Seek> {
    archive: zip::ZipArchive<R>,
    by_name: HashMap<String, usize>,
    names: Vec<String>,
}

impl<R: Read + Seek> ZipFiles<R> {
    fn new(mut reader: R, name: &str, limits: &Limits, members: &mut u64) -> Result<Self, Error> {
        if let Some(n) = declared_members(&mut reader) {
            *members = members.saturating_add(n);
            if *members > limits.archive_members {
                return Err(Error::ArchiveLimit {
                    name: name.to_string(),
                    reason: format!(
                        "it lists {n} members, past the limit of {} for one archive with its nested ones",
                        limits.archive_members
                    ),
                });
            }
        }
        let mut archive = zip::ZipArchive::new(reader).map_err(|e| Error::Zip {
            reason: format!("`{name}`: {e}"),
        })?;
        let mut names = Vec::with_capacity(archive.len());
        let mut by_name = HashMap::with_capacity(archive.len());
        for i in 0..archive.len() {
            let Ok(file) = archive.by_index_raw(i) else {
                continue;
            };
            if file.is_dir() {
                continue;
            }
            // A name that is not valid text keeps its bytes, lossily, so it still gets an entry.
            let n = String::from_utf8_lossy(file.name_raw()).into_owned();
            if by_name.contains_key(&n) {
                continue;
            }
            by_name.insert(n.clone(), i);
            names.push(n);
        }
        Ok(ZipFiles {
            archive,
            by_name,
            names,
        })
    }
}

impl<R: Read + Seek> ExportFiles for ZipFiles<R> {
    fn paths(&self) -> Vec<String> {
        self.names.clone()
    }

    fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>> {
        let index = *self
            .by_name
            .get(path)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such member"))?;
        let file = self
            .archive
            .by_index(index)
            .map_err(std::io::Error::other)?;
        Ok(Box::new(file))
    }
}

/// The member count a zip's end-of-central-directory record declares (zip64 included), read
/// before the directory itself so that a zip listing millions of members is refused cheaply.
fn declared_members<R: Read + Seek>(r: &mut R) -> Option<u64> {
    use std::io::SeekFrom;
    let len = r.seek(SeekFrom::End(0)).ok()?;
    let tail_len = len.min(65_557);
    r.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0u8; tail_len as usize];
    let read = r.read_exact(&mut tail);
    r.seek(SeekFrom::Start(0)).ok()?;
    read.ok()?;
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let eocd = tail.get(at..at + 22)?;
    let n = u64::from(u16::from_le_bytes([eocd[10], eocd[11]]));
    if n != 0xFFFF {
        return Some(n);
    }
    // Zip64: the locator just before the record gives the zip64 record's offset.
    let loc = tail.get(at.checked_sub(20)?..at)?;
    if &loc[..4] != b"PK\x06\x07" {
        return Some(n);
    }
    let off = u64::from_le_bytes(loc[8..16].try_into().ok()?);
    let mut rec = [0u8; 40];
    r.seek(SeekFrom::Start(off)).ok()?;
    let read = r.read_exact(&mut rec);
    r.seek(SeekFrom::Start(0)).ok()?;
    read.ok()?;
    (&rec[..4] == b"PK\x06\x06")
        .then(|| u64::from_le_bytes(rec[32..40].try_into().unwrap_or_default()))
}

/// Reads a Strava bulk export, a Garmin Connect export, or any zip of FIT, GPX and TCX files
/// (plain or `.gz`), zips inside it included.
///
/// `zip_name` only prefixes the entries' paths (`export.zip!activities/1.fit.gz`). With an
/// `activities.csv`, each row gives an entry: the row's file parsed by
/// [`parse_file`](crate::parse_file), with the row's title, Strava type (as the sport) and
/// moving time filled in where the file lacks them; or, for a row without a file, a manual
/// activity built from the CSV values (format [`Format::StravaCsv`]). A row whose file is
/// missing or unreadable still gives an activity from the CSV values, with a warning that
/// names the problem. Activity files that no row names are parsed too; zips inside the zip
/// are read the same way (to [`Limits::zip_depth`]); every other file is an entry
/// [`Outcome::Skipped`] with the reason. The [`Limits::default`] apply.
///
/// # Errors
///
/// [`Error::Zip`] when the archive itself cannot be read, [`Error::ArchiveLimit`] when it lists
/// too many members, [`Error::Csv`] when `activities.csv` cannot be read or lacks the columns
/// needed, [`Error::Io`] from the reader. Problems with one member are reported in its entry.
///
/// # Examples
///
/// ```
/// let err = knots_import::parse_zip(std::io::Cursor::new(b"not a zip"), "x.zip").unwrap_err();
/// assert!(matches!(err, knots_import::Error::Zip { .. }));
/// ```
pub fn parse_zip<R: Read + Seek>(reader: R, zip_name: &str) -> Result<ZipImport, Error> {
    parse_zip_with(reader, zip_name, &Limits::default())
}

/// [`parse_zip`] with a chosen cap, in bytes, on each member's decompressed size.
///
/// # Errors
///
/// As [`parse_zip`].
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
/// zip.start_file("a.gpx", zip::write::SimpleFileOptions::default()).unwrap();
/// zip.write_all(&vec![b' '; 10_000]).unwrap();
/// let bytes = zip.finish().unwrap().into_inner();
/// let import = knots_import::parse_zip_with_limit(std::io::Cursor::new(bytes), "z.zip", 100)?;
/// assert!(matches!(import.entries[0].result, Err(knots_import::Error::TooLarge { .. })));
/// # Ok::<(), knots_import::Error>(())
/// ```
pub fn parse_zip_with_limit<R: Read + Seek>(
    reader: R,
    zip_name: &str,
    limit: u64,
) -> Result<ZipImport, Error> {
    parse_zip_with(reader, zip_name, &Limits::with_file_bytes(limit))
}

/// [`parse_zip`] under chosen [`Limits`].
///
/// # Errors
///
/// As [`parse_zip`].
pub fn parse_zip_with<R: Read + Seek>(
    reader: R,
    zip_name: &str,
    limits: &Limits,
) -> Result<ZipImport, Error> {
    let mut state = ArchiveState::default();
    let mut files = ZipFiles::new(reader, zip_name, limits, &mut state.members)?;
    read_export(&mut files, zip_name, limits, &mut state, 0)
}

/// Reads an export given as [`ExportFiles`]: an extracted Strava or Garmin export folder gives
/// exactly what its zip gives to [`parse_zip`] (same entries, rows, shoes and warnings, with
/// `name` in place of the zip's name in the paths).
///
/// # Errors
///
/// As [`parse_zip`]; [`Error::ArchiveLimit`] when the folder lists more files than
/// [`Limits::archive_members`].
pub fn parse_export(
    files: &mut impl ExportFiles,
    name: &str,
    limits: &Limits,
) -> Result<ZipImport, Error> {
    let mut state = ArchiveState::default();
    let n = files.paths().len() as u64;
    if n > limits.archive_members {
        return Err(Error::ArchiveLimit {
            name: name.to_string(),
            reason: format!(
                "it holds {n} files, past the limit of {}",
                limits.archive_members
            ),
        });
    }
    state.members = n;
    read_export(files, name, limits, &mut state, 0)
}

/// What one export has used of the archive-wide limits, nested zips included.
#[derive(Debug, Default)]
struct ArchiveState {
    bytes: u64,
    members: u64,
    /// Set once [`Limits::archive_bytes`] is reached: the rest is not read.
    full: bool,
}

/// Reads one member into memory under the per-file cap, the archive's remaining bytes and the
/// memory budget. The reservation must live as long as the bytes are in use.
fn read_member(
    files: &mut dyn ExportFiles,
    path: &str,
    shown: &str,
    limits: &Limits,
    state: &mut ArchiveState,
) -> Result<(Vec<u8>, Reservation), Error> {
    let remaining = limits.archive_bytes.saturating_sub(state.bytes);
    let cap = limits.file_bytes.min(remaining);
    let mut reservation = Reservation::new(limits.budget);
    let wrap = |e: std::io::Error| Error::Zip {
        reason: format!("reading `{shown}`: {e}"),
    };
    let reader = files.open(path).map_err(wrap)?;
    let result = read_capped(reader, shown, cap, &mut reservation, wrap);
    match result {
        Ok(bytes) => {
            state.bytes += bytes.len() as u64;
            Ok((bytes, reservation))
        }
        Err(Error::TooLarge { .. }) if cap < limits.file_bytes => {
            state.full = true;
            state.bytes = limits.archive_bytes;
            Err(Error::ArchiveLimit {
                name: shown.to_string(),
                reason: format!(
                    "the archive's members decompress to more than the limit of {} bytes together: this member and the rest were not read",
                    limits.archive_bytes
                ),
            })
        }
        Err(e) => Err(e),
    }
}

/// Why a file that is not an activity file is skipped, judged by its name.
fn skip_reason(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    if file == "shoes.csv" {
        "the export's list of shoes (read for the shoes, not an activity)".to_string()
    } else if file == "activities.csv" {
        "the export's list of activities (read for its rows, not an activity itself)".to_string()
    } else if lower.ends_with(".json") {
        "a json file (summaries, settings or profile data), not an activity".to_string()
    } else if lower.ends_with(".csv") {
        "a csv file (profile or account data), not an activity".to_string()
    } else {
        match file.rsplit_once('.') {
            Some((_, ext)) => {
                format!("a .{ext} file, not an activity file (.fit, .gpx, .tcx, .zip)")
            }
            None => "a file without an extension, not an activity file".to_string(),
        }
    }
}

pub(crate) fn is_activity_name(lower: &str) -> bool {
    let stem = lower.strip_suffix(".gz").unwrap_or(lower);
    stem.ends_with(".fit") || stem.ends_with(".gpx") || stem.ends_with(".tcx")
}

fn read_export(
    files: &mut dyn ExportFiles,
    zip_name: &str,
    limits: &Limits,
    state: &mut ArchiveState,
    depth: u32,
) -> Result<ZipImport, Error> {
    let mut out = ZipImport::default();
    // In path order, whatever order the source lists them in, so that a folder and its zip
    // give the same entries in the same order.
    let mut names = files.paths();
    names.sort();
    // Garmin's layout: `DI_CONNECT/DI-Connect-…/` (or those folders alone, when the
    // `DI_CONNECT` folder itself is what was given).
    if names.iter().any(|n| {
        n.split('/')
            .rev()
            .skip(1)
            .any(|dir| dir == "DI_CONNECT" || dir.starts_with("DI-Connect-"))
    }) {
        out.kind = ExportKind::GarminConnect;
    }
    // Files by name, and by name without a top folder (some zips of an export add one), so
    // each of thousands of rows finds its file in constant time.
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(names.len() * 2);
    for (i, n) in names.iter().enumerate() {
        by_name.entry(n.as_str()).or_insert(i);
        if let Some((_, rest)) = n.split_once('/') {
            by_name.entry(rest).or_insert(i);
        }
    }
    let find =
        |wanted: &str| -> Option<usize> { by_name.get(wanted.trim_start_matches("./")).copied() };

    let mut used: HashSet<usize> = HashSet::new();
    let csv_index = names
        .iter()
        .position(|n| n == "activities.csv" || n.ends_with("/activities.csv"));

    if let Some(index) = csv_index {
        let csv_name = names[index].clone();
        out.is_strava = true;
        out.kind = ExportKind::Strava;
        let (csv, _held) = read_member(files, &csv_name, &csv_name, limits, state)?;
        let rows = read_activities_csv(&csv, &csv_name, &mut out.warnings)?;
        drop(csv);
        out.entries.push(ZipEntry {
            original: None,
            path: format!("{zip_name}!{csv_name}"),
            strava: None,
            result: Ok(Outcome::Skipped {
                reason: skip_reason(&csv_name),
            }),
        });
        used.insert(index);
        if let Some(shoes_index) = find(&csv_name.replace("activities.csv", "shoes.csv")) {
            used.insert(shoes_index);
            let shoes_name = names[shoes_index].clone();
            match read_member(files, &shoes_name, &shoes_name, limits, state)
                .and_then(|(b, _held)| read_shoes_csv(&b, &mut out.warnings))
            {
                Ok(shoes) => out.shoes = shoes,
                Err(e) => out.warnings.push(format!("could not read the shoes: {e}")),
            }
            out.entries.push(ZipEntry {
                original: None,
                path: format!("{zip_name}!{shoes_name}"),
                strava: None,
                result: Ok(Outcome::Skipped {
                    reason: skip_reason(&shoes_name),
                }),
            });
        }
        for row in rows {
            let member = row.file.as_deref().and_then(&find);
            let entry = match (&row.file, member) {
                (None, _) => ZipEntry {
                    original: None,
                    path: format!(
                        "{zip_name}!{csv_name}#{}",
                        row.activity_id
                            .map_or_else(|| format!("line{}", row.line), |id| id.to_string())
                    ),
                    result: manual(&row, &csv_name, None),
                    strava: Some(row),
                },
                (Some(file), None) => ZipEntry {
                    original: None,
                    path: format!("{zip_name}!{file}"),
                    result: manual(
                        &row,
                        &csv_name,
                        Some(format!(
                            "`{file}`, named in {csv_name} line {}, is not in the export",
                            row.line
                        )),
                    ),
                    strava: Some(row),
                },
                (Some(_), Some(index)) => {
                    used.insert(index);
                    let file = names[index].clone();
                    let shown = format!("{zip_name}!{file}");
                    let (parsed, original) = if state.full {
                        (Err(archive_full(&shown, limits)), None)
                    } else {
                        match read_member(files, &file, &shown, limits, state) {
                            Ok((bytes, _held)) => parse_member(&file, &bytes, limits),
                            Err(e) => (Err(e), None),
                        }
                    };
                    let result = match parsed {
                        Ok(Outcome::Parsed(mut p)) => {
                            enrich(&mut p, &row);
                            Ok(Outcome::Parsed(p))
                        }
                        Ok(Outcome::Skipped { reason }) => manual(
                            &row,
                            &csv_name,
                            Some(format!("`{file}` holds no activity ({reason})")),
                        ),
                        Err(e) => manual(
                            &row,
                            &csv_name,
                            Some(format!("could not read `{file}`: {e}")),
                        ),
                    };
                    ZipEntry {
                        original: original.filter(|_| result.is_ok()),
                        path: shown,
                        strava: Some(row),
                        result,
                    }
                }
            };
            out.entries.push(entry);
        }
    }

    if let Some(index) = apple_health_xml(files, &names) {
        used.insert(index);
        out.kind = ExportKind::AppleHealth;
        apple_health(
            files, &names, index, zip_name, limits, state, &find, &mut used, &mut out,
        )?;
    }

    // Files that no row names (or every file, in an export that is not Strava's).
    for (index, name) in names.iter().enumerate() {
        if used.contains(&index) {
            continue;
        }
        let shown = format!("{zip_name}!{name}");
        let lower = name.to_ascii_lowercase();
        let mut original = None;
        let result = if lower.ends_with(".zip") {
            if state.full {
                Err(archive_full(&shown, limits))
            } else if depth >= limits.zip_depth {
                Err(Error::ArchiveLimit {
                    name: shown.clone(),
                    reason: format!(
                        "a zip nested {} deep, past the limit of {}",
                        depth + 1,
                        limits.zip_depth
                    ),
                })
            } else {
                match read_nested(files, name, &shown, limits, state, depth) {
                    Ok(inner) => {
                        out.is_strava |= inner.is_strava;
                        if out.kind == ExportKind::Files {
                            out.kind = inner.kind;
                        }
                        out.shoes.extend(inner.shoes);
                        out.warnings.extend(inner.warnings);
                        out.entries.extend(inner.entries);
                        continue;
                    }
                    Err(e) => Err(e),
                }
            }
        } else if !is_activity_name(&lower) {
            Ok(Outcome::Skipped {
                reason: skip_reason(name),
            })
        } else if state.full {
            Err(archive_full(&shown, limits))
        } else {
            match read_member(files, name, &shown, limits, state) {
                Ok((bytes, _held)) => {
                    let (result, kept) = parse_member(name, &bytes, limits);
                    original = kept;
                    result
                }
                Err(e) => Err(e),
            }
        };
        out.entries.push(ZipEntry {
            original,
            path: shown,
            strava: None,
            result,
        });
    }
    Ok(out)
}

/// The most candidate XML files looked into for an Apple Health export's main file.
const MAX_XML_SNIFFED: usize = 16;

/// The index in `names` of an Apple Health export's main XML file, if the export has one:
/// `export.xml`, or a file of another name (the phone's language) whose first bytes are
/// Apple's `HealthData`.
fn apple_health_xml(files: &mut dyn ExportFiles, names: &[String]) -> Option<usize> {
    let candidates: Vec<usize> = (0..names.len())
        .filter(|&i| crate::apple::apple_health_xml_candidate(&names[i]))
        .collect();
    let is_export_xml = |n: &str| {
        n.rsplit('/')
            .next()
            .is_some_and(|f| f.eq_ignore_ascii_case("export.xml"))
    };
    if let Some(&i) = candidates.iter().find(|&&i| is_export_xml(&names[i])) {
        return Some(i);
    }
    candidates
        .into_iter()
        .take(MAX_XML_SNIFFED)
        .find(|&i| crate::apple::is_apple_health_main_xml(&names[i], || files.open(&names[i])))
}

/// The running workouts of an Apple Health export, each with its route (which is then not read
/// again as a file of its own).
#[allow(clippy::too_many_arguments)]
fn apple_health(
    files: &mut dyn ExportFiles,
    names: &[String],
    index: usize,
    zip_name: &str,
    limits: &Limits,
    state: &mut ArchiveState,
    find: &dyn Fn(&str) -> Option<usize>,
    used: &mut HashSet<usize>,
    out: &mut ZipImport,
) -> Result<(), Error> {
    let xml_name = &names[index];
    let folder = xml_name
        .rsplit_once('/')
        .map_or("", |(dir, _)| &xml_name[..=dir.len()]);
    let workouts = {
        let reader = files.open(xml_name).map_err(|e| Error::Zip {
            reason: format!("reading `{xml_name}`: {e}"),
        })?;
        crate::apple::read_workouts(std::io::BufReader::new(reader), &mut out.warnings)?
    };
    out.entries.push(ZipEntry {
        original: None,
        path: format!("{zip_name}!{xml_name}"),
        strava: None,
        result: Ok(Outcome::Skipped {
            reason: format!(
                "the apple health records ({} workouts; the running ones are entries of their own)",
                workouts.len()
            ),
        }),
    });
    for (i, w) in workouts.into_iter().enumerate() {
        let route = w
            .route
            .as_deref()
            .and_then(|r| find(&format!("{folder}{r}")));
        if let Some(r) = route {
            used.insert(r);
        }
        let Some(mut activity) = w.activity else {
            if let Some(r) = route {
                out.entries.push(ZipEntry {
                    original: None,
                    path: format!("{zip_name}!{}", names[r]),
                    strava: None,
                    result: Ok(Outcome::Skipped {
                        reason: format!(
                            "the route of workout {} in {xml_name}, which is not a run",
                            i + 1
                        ),
                    }),
                });
            }
            continue;
        };
        let mut warnings = Vec::new();
        match (route, &w.route) {
            (Some(r), _) => {
                let shown = format!("{zip_name}!{}", names[r]);
                let parsed = read_member(files, &names[r], &shown, limits, state)
                    .and_then(|(bytes, _held)| crate::parse_file_with(&names[r], &bytes, limits));
                match parsed {
                    Ok(Outcome::Parsed(p)) if !p.activities.is_empty() => {
                        crate::apple::attach_route(&mut activity, &p.activities[0]);
                    }
                    Ok(Outcome::Parsed(_)) => {}
                    Ok(Outcome::Skipped { reason }) => {
                        warnings.push(format!("the route `{}` holds no track: {reason}", names[r]));
                    }
                    Err(e) => {
                        warnings.push(format!("could not read the route `{}`: {e}", names[r]))
                    }
                }
            }
            (None, Some(missing)) => warnings.push(format!(
                "the route `{missing}` named in {xml_name} is not in the export"
            )),
            (None, None) => {}
        }
        crate::activity::check(&activity, &mut warnings);
        out.entries.push(ZipEntry {
            original: None,
            path: format!("{zip_name}!{xml_name}#workout{}", i + 1),
            strava: None,
            result: Ok(Outcome::Parsed(Parsed {
                activities: vec![activity],
                warnings,
            })),
        });
    }
    Ok(())
}

fn archive_full(shown: &str, limits: &Limits) -> Error {
    Error::ArchiveLimit {
        name: shown.to_string(),
        reason: format!(
            "not read: the archive's members already decompressed to the limit of {} bytes",
            limits.archive_bytes
        ),
    }
}

/// Parses a member's bytes and, with [`Limits::keep_originals`], keeps them when they gave an
/// activity (compressed here, on the parsing thread, while the bytes are in memory).
fn parse_member(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> (Result<Outcome, Error>, Option<Kept>) {
    let result = crate::parse_file_with(name, bytes, limits);
    let gave_activities = matches!(&result, Ok(Outcome::Parsed(p)) if !p.activities.is_empty());
    let kept = (limits.keep_originals && gave_activities).then(|| Kept::keep(bytes));
    (result, kept)
}

/// Reads a zip inside the export, in memory, as an export of its own that shares the limits.
fn read_nested(
    files: &mut dyn ExportFiles,
    name: &str,
    shown: &str,
    limits: &Limits,
    state: &mut ArchiveState,
    depth: u32,
) -> Result<ZipImport, Error> {
    let (bytes, _held) = read_member(files, name, shown, limits, state)?;
    let mut inner = ZipFiles::new(
        std::io::Cursor::new(bytes.as_slice()),
        shown,
        limits,
        &mut state.members,
    )?;
    read_export(&mut inner, shown, limits, state, depth + 1)
}

/// Fills in what the file lacks from the row: title, moving time, and the sport when the file
/// does not say (Strava's type is the runner's own choice, so it wins over `generic`).
fn enrich(p: &mut Parsed, row: &StravaRow) {
    let single = p.activities.len() == 1;
    for a in &mut p.activities {
        if a.name.is_none() {
            a.name = row.name.clone();
        }
        if single {
            if a.sport == "generic" && row.sport != "generic" {
                a.sport = row.sport.clone();
            }
            if a.timer_s.is_none() {
                a.timer_s = row.moving_s;
            }
        }
    }
}

/// An activity made from the CSV row alone (a manual entry, or a file that could not be read).
fn manual(row: &StravaRow, csv_name: &str, problem: Option<String>) -> Result<Outcome, Error> {
    let Some(start) = row.start else {
        return Err(Error::Csv {
            name: csv_name.to_string(),
            line: row.line,
            reason: match problem {
                Some(p) => format!("{p}, and the row has no readable date"),
                None => "the row has no file and no readable date".to_string(),
            },
        });
    };
    let elapsed = row.elapsed_s.or(row.moving_s).unwrap_or(0.0);
    let activity = Activity {
        format: Format::StravaCsv,
        sport: row.sport.clone(),
        name: row.name.clone(),
        start,
        utc_offset_s: None,
        elapsed_s: elapsed,
        timer_s: row.moving_s,
        distance_m: row.distance_m,
        distance_source: row.distance_m.map(|_| DistanceSource::Device),
        ascent_m: None,
        energy_kcal: None,
        descent_m: None,
        avg_hr: None,
        max_hr: None,
        avg_cadence: None,
        max_cadence: None,
        dynamics: None,
        laps: Vec::new(),
        samples: Vec::new(),
        track_points: 0,
    };
    let warnings = problem
        .map(|p| format!("{p}: built the activity from {csv_name} line {}", row.line))
        .into_iter()
        .collect();
    Ok(Outcome::Parsed(Parsed {
        activities: vec![activity],
        warnings,
    }))
}
