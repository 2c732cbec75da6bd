//! Storing parsed activity files in the journal: the conversion of `knots-import` values into
//! journal records (with the plausibility rules), one transaction per file through
//! [`Store::import_file`], and the import report. Shared by `knots import` (which walks folders and
//! parses on all cores) and the web app's upload page.

use jiff::Zoned;
use knots_core::Km;
use knots_core::bounds::clean_text;
use knots_core::journal::{Activity, Camber, Now, Run, StreamPoint};
use knots_import::{ExportKind, Kept, Limits, Outcome, ZipImport};
use knots_store::{ImportFile, ImportItem, Imported, Original, Store};

/// Above this average speed a "run" is flagged.
const RUN_SPEED_LIMIT_KMH: f64 = 30.0;
/// A file that names no sport, moving at a pace in this range (km/h), is taken as a run: knots is a
/// runner's journal and GPX files often carry no type. Slower is walking, faster is riding.
const RUNNING_PACE_KMH: std::ops::RangeInclusive<f64> = 6.0..=20.0;

/// The import's report. `imported` counts activities new to the journal; `duplicates` counts
/// activities that were in the journal before this import began (listed in `duplicate_of`). An
/// activity found in several files of the same batch (a .fit and a .gpx of one run, a Strava copy)
/// is stored once and listed under each file in `activities` with the same `id` and `repeat_of`,
/// counted in `repeats`.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Activities new to the journal.
    pub imported: usize,
    /// Activities already in the journal before this import.
    pub duplicates: usize,
    /// Activities found again in a later file of the same batch.
    pub repeats: usize,
    /// Files that are not activities, with why.
    pub skipped: Vec<PathReason>,
    /// Files (or activities) that could not be stored, with why.
    pub failed: Vec<PathError>,
    /// Repairs and doubts.
    pub warnings: Vec<PathWarning>,
    /// One line per zip or export folder read: what it is and how many activities it held
    /// ("Garmin Connect export: 12 activities").
    pub exports: Vec<ExportLine>,
    /// What was stored (or found again).
    pub activities: Vec<ActivityLine>,
    /// Each duplicate: the file it came from and the stored activity it repeats.
    pub duplicate_of: Vec<DuplicateLine>,
    #[serde(skip)]
    added: std::collections::HashSet<i64>,
}

/// A duplicate and the stored activity it repeats.
#[derive(Debug, serde::Serialize)]
pub struct DuplicateLine {
    /// The file.
    pub path: String,
    /// The stored activity.
    pub activity: i64,
}

/// A zip or export folder, and what it turned out to be.
#[derive(Debug, serde::Serialize)]
pub struct ExportLine {
    /// The zip or folder.
    pub path: String,
    /// `strava`, `garmin_connect`, `apple_health` or `files` (a zip of activity files).
    pub kind: &'static str,
    /// The line for the user, from `knots_import::ZipImport::summary`.
    pub summary: String,
}

/// A file that was skipped, and why.
#[derive(Debug, serde::Serialize)]
pub struct PathReason {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// A file that failed, and why.
#[derive(Debug, serde::Serialize)]
pub struct PathError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub error: String,
}

/// A warning about one file.
#[derive(Debug, serde::Serialize)]
pub struct PathWarning {
    /// The file.
    pub path: String,
    /// The warning.
    pub warning: String,
}

/// One activity stored (or found again), for the report.
#[derive(Debug, serde::Serialize)]
pub struct ActivityLine {
    /// The stored activity.
    pub id: i64,
    /// Its run, for running activities.
    pub run: Option<i64>,
    /// The file (or `zip!member`).
    pub path: String,
    /// The sport.
    pub sport: String,
    /// The start (UTC).
    pub start: jiff::Timestamp,
    /// Distance, metres.
    pub distance_m: Option<f64>,
    /// Elapsed time, seconds.
    pub elapsed_s: f64,
    /// Timer time, seconds.
    pub timer_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Set when an earlier file of the batch held the same activity.
    pub repeat_of: Option<i64>,
}

impl ActivityLine {
    fn new(
        id: i64,
        run: Option<i64>,
        path: &str,
        a: &Activity,
        repeat_of: Option<i64>,
    ) -> ActivityLine {
        ActivityLine {
            id,
            run,
            path: path.into(),
            sport: a.sport.clone(),
            start: a.start,
            distance_m: a.distance_m,
            elapsed_s: a.elapsed_s,
            timer_s: a.timer_s,
            repeat_of,
        }
    }
}

/// One input of an import, parsed (off the writing thread) and ready to store.
#[derive(Debug)]
pub enum Parsed {
    /// A single file (path, what parsing it gave, its bytes kept when it gave activities).
    File(String, Result<Outcome, String>, Option<Kept>),
    /// A zip (path, what reading it gave).
    Zip(String, Result<ZipImport, String>),
}

fn local_date(a: &knots_import::Activity, tz: &jiff::tz::TimeZone) -> jiff::civil::Date {
    match a
        .utc_offset_s
        .and_then(|s| jiff::tz::Offset::from_seconds(s).ok())
    {
        Some(offset) => offset.to_datetime(a.start).date(),
        None => a.start.to_zoned(tz.clone()).date(),
    }
}

fn to_item(
    a: &knots_import::Activity,
    path: &str,
    shoe: Option<String>,
    tz: &jiff::tz::TimeZone,
) -> ImportItem {
    let activity = Activity {
        run: None,
        sport: a.sport.to_lowercase(),
        start: a.start,
        utc_offset_s: a.utc_offset_s,
        // Text from files is data: control characters (terminal escapes, NUL) never reach the
        // journal, and both back ends hold the same text.
        source: clean_text("source", path),
        name: a.name.as_deref().map(|n| clean_text("name", n)),
        distance_m: a.distance_m,
        elapsed_s: a.elapsed_s,
        timer_s: a.timer_s,
        ascent_m: a.ascent_m,
        avg_hr: a.avg_hr,
        max_hr: a.max_hr,
        avg_cadence: a.avg_cadence,
        max_cadence: a.max_cadence,
        laps: u32::try_from(a.laps.len()).unwrap_or(u32::MAX),
        stream: a
            .samples
            .iter()
            .map(|s| StreamPoint {
                t: s.offset_s,
                d: s.distance_m,
                hr: s.hr,
                cad: s.cadence,
                alt: s.altitude_m,
            })
            .collect(),
    };
    let run = activity.is_running().then(|| Run {
        date: local_date(a, tz),
        km: Km::new(a.distance_m.unwrap_or(0.0) / 1000.0).unwrap_or(Km::ZERO),
        minutes: Some(a.timer_s.filter(|t| *t > 0.0).unwrap_or(a.elapsed_s) / 60.0),
        shoe: None,
        surface: None,
        camber: Camber::None,
        pain_onset_km: None,
        max_pain: None,
        pain_next_morning: None,
        rpe: None,
        note: a.name.clone(),
    });
    ImportItem {
        activity,
        run,
        shoe,
    }
}

/// Files written in one transaction by [`Summary::store_all`] (each in a savepoint of its own):
/// far fewer commits than one per file (each commit rewrites the same index pages to the WAL),
/// while a kill loses at most this many files' work, never part of a file.
pub const FILES_PER_TRANSACTION: usize = 64;

/// A file converted and checked, waiting to be written with its group.
#[derive(Debug)]
struct Pending {
    path: String,
    items: Vec<ImportItem>,
    original: Option<Original>,
}

impl Summary {
    /// Converts and checks one file's activities (warnings, refusals and skips are reported
    /// here); `None` when nothing of it is to be written.
    fn prepare(
        &mut self,
        path: &str,
        outcome: Result<Outcome, String>,
        shoe: Option<String>,
        original: Option<Kept>,
        now: &Zoned,
    ) -> Option<Pending> {
        let outcome = match outcome {
            Ok(o) => o,
            Err(error) => {
                self.failed.push(PathError {
                    path: path.into(),
                    error,
                });
                return None;
            }
        };
        let parsed = match outcome {
            Outcome::Skipped { reason } => {
                self.skipped.push(PathReason {
                    path: path.into(),
                    reason,
                });
                return None;
            }
            Outcome::Parsed(p) => p,
        };
        if let Some(damage) = cut_short(&parsed.warnings) {
            self.failed.push(PathError {
                path: path.into(),
                error: format!(
                    "the file is cut short or damaged ({damage}): not stored, as it would give a partial activity; export it again"
                ),
            });
            return None;
        }
        for w in &parsed.warnings {
            self.warnings.push(PathWarning {
                path: path.into(),
                warning: w.clone(),
            });
        }
        let when = Now {
            at: now.timestamp(),
            today: now.date(),
        };
        let mut items = Vec::new();
        let mut refused = Vec::new();
        for (i, a) in parsed.activities.iter().enumerate() {
            let mut item = to_item(a, path, shoe.clone(), now.time_zone());
            if item.activity.sport == "generic"
                && let Some(speed) = item
                    .activity
                    .speed_kmh()
                    .filter(|s| RUNNING_PACE_KMH.contains(s))
            {
                item = to_item(
                    &knots_import::Activity {
                        sport: "running".into(),
                        ..a.clone()
                    },
                    path,
                    shoe.clone(),
                    now.time_zone(),
                );
                self.warnings.push(PathWarning {
                    path: path.into(),
                    warning: format!("activity {}: the file names no sport; taken as a run from its pace ({speed:.1} km/h)", i + 1),
                });
            }
            match item.activity.validate(when) {
                Ok(()) => {
                    if item.activity.is_running()
                        && let Some(speed) = item
                            .activity
                            .speed_kmh()
                            .filter(|s| *s > RUN_SPEED_LIMIT_KMH)
                    {
                        self.warnings.push(PathWarning {
                            path: path.into(),
                            warning: format!("activity {}: an average of {speed:.0} km/h is not plausible for a run: check the file", i + 1),
                        });
                    }
                    items.push(item);
                }
                Err(e) => refused.push(format!("activity {}: {e}", i + 1)),
            }
        }
        if !refused.is_empty() {
            self.failed.push(PathError {
                path: path.into(),
                error: refused.join("; "),
            });
            if items.is_empty() {
                return None;
            }
        }
        let original = original.map(|k| Original {
            name: clean_text("source", path),
            codec: k.codec.name().into(),
            size: k.size,
            crc32: k.crc32,
            data: k.data,
        });
        Some(Pending {
            path: path.to_string(),
            items,
            original,
        })
    }

    /// Records what writing a prepared file gave.
    fn finish(&mut self, pending: Pending, written: Result<Vec<Imported>, String>) {
        let Pending { path, items, .. } = pending;
        let path = path.as_str();
        match written {
            Ok(results) => {
                for (item, result) in items.iter().zip(results) {
                    match result {
                        Imported::Added { activity, run } => {
                            self.imported += 1;
                            self.added.insert(activity);
                            self.activities.push(ActivityLine::new(
                                activity,
                                run,
                                path,
                                &item.activity,
                                None,
                            ));
                        }
                        Imported::Duplicate { activity } if self.added.contains(&activity) => {
                            self.repeats += 1;
                            let line = ActivityLine::new(
                                activity,
                                None,
                                path,
                                &item.activity,
                                Some(activity),
                            );
                            self.activities.push(line);
                        }
                        Imported::Duplicate { activity } => {
                            self.duplicates += 1;
                            self.duplicate_of.push(DuplicateLine {
                                path: path.into(),
                                activity,
                            });
                        }
                    }
                }
            }
            Err(e) => self.failed.push(PathError {
                path: path.into(),
                error: format!("not stored: {e}"),
            }),
        }
    }

    /// Stores one parsed file (or each member of a zip) and records what happened.
    pub fn store<S: Store>(&mut self, store: &mut S, parsed: Parsed, now: &Zoned) {
        self.store_all(store, vec![parsed], now);
    }

    /// Stores parsed files in order, [`FILES_PER_TRANSACTION`] files to a transaction (each file
    /// whole or not at all), and records what happened.
    pub fn store_all<S: Store>(&mut self, store: &mut S, parsed: Vec<Parsed>, now: &Zoned) {
        let mut group: Vec<Pending> = Vec::new();
        for p in parsed {
            match p {
                Parsed::File(path, outcome, original) => {
                    group.extend(self.prepare(&path, outcome, None, original, now));
                }
                Parsed::Zip(path, Err(error)) => self.failed.push(PathError { path, error }),
                Parsed::Zip(path, Ok(zip)) => {
                    self.exports.push(ExportLine {
                        path: path.clone(),
                        kind: match zip.kind {
                            ExportKind::Strava => "strava",
                            ExportKind::GarminConnect => "garmin_connect",
                            ExportKind::AppleHealth => "apple_health",
                            _ => "files",
                        },
                        summary: zip.summary(),
                    });
                    for w in zip.warnings {
                        self.warnings.push(PathWarning {
                            path: path.clone(),
                            warning: w,
                        });
                    }
                    for entry in zip.entries {
                        let shoe = entry
                            .strava
                            .as_ref()
                            .and_then(|row| row.gear.as_deref())
                            .map(|g| clean_text("name", g))
                            .filter(|g| !g.trim().is_empty());
                        let outcome = entry.result.map_err(|e| e.to_string());
                        group.extend(self.prepare(&entry.path, outcome, shoe, entry.original, now));
                        if group.len() >= FILES_PER_TRANSACTION {
                            self.write(store, &mut group);
                        }
                    }
                    if !zip.shoes.is_empty() {
                        // The export's activities first, so that their shoes are found by name.
                        self.write(store, &mut group);
                    }
                    for shoe in zip.shoes {
                        if let Err(e) = ensure_shoe(store, &shoe.name, now) {
                            self.warnings.push(PathWarning {
                                path: path.clone(),
                                warning: format!("shoe `{}`: {e}", shoe.name),
                            });
                        }
                    }
                }
            }
            if group.len() >= FILES_PER_TRANSACTION {
                self.write(store, &mut group);
            }
        }
        self.write(store, &mut group);
    }

    /// Writes a group of prepared files in one transaction and records the outcome of each.
    fn write<S: Store>(&mut self, store: &mut S, group: &mut Vec<Pending>) {
        if group.is_empty() {
            return;
        }
        let files: Vec<ImportFile<'_>> = group
            .iter()
            .map(|p| ImportFile {
                items: &p.items,
                original: p.original.as_ref(),
            })
            .collect();
        let written = store.import_files(&files);
        drop(files);
        match written {
            Ok(results) => {
                for (pending, result) in group.drain(..).zip(results) {
                    self.finish(pending, result.map_err(|e| e.to_string()));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for pending in group.drain(..) {
                    self.finish(pending, Err(message.clone()));
                }
            }
        }
    }
}

/// The parser's warning saying that the file's activity ends early (cut off in a copy or a
/// download), if any. The parsers keep what came before the cut and say so in a warning; a
/// partial run would understate the distance and load, so such a file is reported as failed
/// instead. A FIT file whose activity is whole and only a later chained part is damaged
/// ("ignored the fit data from byte …") keeps its activity, with the warning. The warnings'
/// wording is pinned by the tests below on cut copies of real files.
fn cut_short(warnings: &[String]) -> Option<&str> {
    warnings
        .iter()
        .filter(|w| !w.starts_with("ignored the fit data from byte"))
        .find(|w| {
            w.starts_with("xml at line")
                || w.contains("(cut off?)")
                || w.contains("bytes short of the size its header")
                || w.contains("file ends in the middle of")
        })
        .map(String::as_str)
}

/// Adds a shoe named in `shoes.csv` that no activity named (so it still shows in the shoe list).
fn ensure_shoe<S: Store>(store: &mut S, name: &str, now: &Zoned) -> knots_store::Result<()> {
    let name = clean_text("name", name);
    let name = name.as_str();
    if store.shoes()?.iter().any(|s| s.item.name == name) {
        return Ok(());
    }
    let shoe = knots_core::journal::Shoe {
        name: name.into(),
        started: now.date(),
        retired: None,
        initial_km: 0.0,
        limit_km: 700.0,
    };
    store.add_shoe(&shoe).map(|_| ())
}

impl Summary {
    /// How many distinct files failed.
    pub fn failed_files(&self) -> usize {
        let mut paths: Vec<&str> = self.failed.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        paths.len()
    }
}

/// The import's limits: the defaults, keeping the original files (zip members are compressed
/// as they are read, on the parsing thread).
pub fn limits() -> Limits {
    Limits {
        keep_originals: true,
        ..Limits::default()
    }
}

/// Parses one activity file's bytes (not a zip) and, with `keep`, keeps them, compressed, when
/// they gave an activity. Call it where files are parsed (on parsing threads): compression costs
/// about what parsing does, and the thread that writes the journal should not pay it.
///
/// A file that neither is named nor holds an activity format (a note, a photo, a journal next
/// to the activities) is skipped with the reason, as it is inside a zip: only a file that is
/// named or looks like an activity file and cannot be read has failed.
pub fn parse_file(name: &str, bytes: &[u8], keep: bool) -> Parsed {
    let result = match knots_import::parse_file(name, bytes) {
        Err(e @ knots_import::Error::Unrecognized { .. }) => Ok(Outcome::Skipped {
            reason: e.to_string(),
        }),
        other => other.map_err(|e| e.to_string()),
    };
    let kept = (keep && matches!(&result, Ok(Outcome::Parsed(p)) if !p.activities.is_empty()))
        .then(|| Kept::keep(bytes));
    Parsed::File(name.to_string(), result, kept)
}

/// Parses one file's bytes: a zip (by name or content) is read as a Strava export or a zip of
/// activity files; anything else by `knots_import::parse_file`. Originals are kept.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Parsed {
    let is_zip = name.to_ascii_lowercase().ends_with(".zip") || bytes.starts_with(b"PK\x03\x04");
    if is_zip {
        let result = knots_import::parse_zip_with(std::io::Cursor::new(bytes), name, &limits())
            .map_err(|e| e.to_string());
        return Parsed::Zip(name.to_string(), result);
    }
    parse_file(name, bytes, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn warnings(name: &str, bytes: &[u8]) -> Vec<String> {
        match knots_import::parse_file(name, bytes) {
            Ok(Outcome::Parsed(p)) => p.warnings,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn files_cut_short_are_recognised_whole_files_are_not() {
        for name in ["gpx/cerknicko-jezero.gpx", "fit/Activity.fit"] {
            let whole = testdata(name);
            assert_eq!(cut_short(&warnings(name, &whole)), None, "{name}");
            let cut = &whole[..whole.len() * 2 / 3];
            assert!(
                cut_short(&warnings(name, cut)).is_some(),
                "{name} cut to {} bytes: {:?}",
                cut.len(),
                warnings(name, cut)
            );
        }
        // A whole activity followed by a chained part cut off after its header: the activity
        // is kept, with the warning.
        let name = "fit/activity-settings-nodata.fit";
        let w = warnings(name, &testdata(name));
        assert!(!w.is_empty(), "{name} warns");
        assert_eq!(cut_short(&w), None, "{name}: {w:?}");
    }
}
