//! `knots import PATH...`: walks files, folders (recursively), zips and `.gz`; parses them on all
//! cores with `knots-import`; stores each file's activities in its own transaction (a file is
//! stored whole or not at all, so a kill leaves whole runs only and a rerun completes the import);
//! reports imported, duplicates, skipped, failed and warnings.

use crate::output::{print, print_json};
use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Zoned;
use knots_core::Km;
use knots_core::journal::{Activity, Camber, Now, Run, StreamPoint};
use knots_import::{Outcome, ZipImport};
use knots_store::{ImportItem, Imported, SqliteStore, Store};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Arguments of `knots import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files (.fit, .gpx, .tcx, optionally .gz), folders (searched recursively) or zips (a Strava
    /// bulk export or any zip of activity files).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

/// Files larger than this are refused unread.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Files parsed in parallel before their results are written, in order.
const CHUNK: usize = 64;
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
struct Summary {
    imported: usize,
    duplicates: usize,
    repeats: usize,
    skipped: Vec<PathReason>,
    failed: Vec<PathError>,
    warnings: Vec<PathWarning>,
    activities: Vec<ActivityLine>,
    /// Each duplicate: the file it came from and the stored activity it repeats.
    duplicate_of: Vec<DuplicateLine>,
    #[serde(skip)]
    added: std::collections::HashSet<i64>,
}

#[derive(Debug, serde::Serialize)]
struct DuplicateLine {
    path: String,
    activity: i64,
}

#[derive(Debug, serde::Serialize)]
struct PathReason {
    path: String,
    reason: String,
}

#[derive(Debug, serde::Serialize)]
struct PathError {
    path: String,
    error: String,
}

#[derive(Debug, serde::Serialize)]
struct PathWarning {
    path: String,
    warning: String,
}

#[derive(Debug, serde::Serialize)]
struct ActivityLine {
    id: i64,
    run: Option<i64>,
    path: String,
    sport: String,
    start: jiff::Timestamp,
    distance_m: Option<f64>,
    elapsed_s: f64,
    timer_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_of: Option<i64>,
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

/// Some files failed; the rest were imported.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {files} file(s) failed to import (the others were imported)")]
pub struct SomeFailed {
    failed: usize,
    files: usize,
}

enum Parsed {
    File(String, Result<Outcome, String>),
    Zip(String, Result<ZipImport, String>),
}

fn walk(path: &Path, out: &mut Vec<PathBuf>, missing: &mut Vec<PathError>) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut children: Vec<PathBuf> =
                    entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for child in children {
                    walk(&child, out, missing);
                }
            }
            Err(e) => missing.push(PathError {
                path: path.display().to_string(),
                error: e.to_string(),
            }),
        },
        Ok(_) => out.push(path.to_path_buf()),
        Err(e) => missing.push(PathError {
            path: path.display().to_string(),
            error: e.to_string(),
        }),
    }
}

fn parse(path: &Path) -> Parsed {
    let name = path.display().to_string();
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return Parsed::File(name, Err(e.to_string())),
    };
    if size > MAX_FILE_BYTES {
        return Parsed::File(
            name,
            Err(format!(
                "{size} bytes is larger than the {MAX_FILE_BYTES}-byte limit"
            )),
        );
    }
    if is_zip {
        let result = std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| {
                knots_import::parse_zip(std::io::BufReader::new(f), &name)
                    .map_err(|e| e.to_string())
            });
        return Parsed::Zip(name, result);
    }
    let result = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| knots_import::parse_file(&name, &bytes).map_err(|e| e.to_string()));
    Parsed::File(name, result)
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
        source: path.to_string(),
        name: a.name.clone(),
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

impl Summary {
    fn store_file(
        &mut self,
        store: &mut SqliteStore,
        path: &str,
        outcome: Result<Outcome, String>,
        shoe: Option<String>,
        now: &Zoned,
    ) -> bool {
        let outcome = match outcome {
            Ok(o) => o,
            Err(error) => {
                self.failed.push(PathError {
                    path: path.into(),
                    error,
                });
                return false;
            }
        };
        let parsed = match outcome {
            Outcome::Skipped { reason } => {
                self.skipped.push(PathReason {
                    path: path.into(),
                    reason,
                });
                return true;
            }
            Outcome::Parsed(p) => p,
        };
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
                return false;
            }
        }
        match store.import_file(&items) {
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
                refused.is_empty()
            }
            Err(e) => {
                self.failed.push(PathError {
                    path: path.into(),
                    error: format!("not stored: {e}"),
                });
                false
            }
        }
    }

    fn store(&mut self, store: &mut SqliteStore, parsed: Parsed, now: &Zoned) {
        match parsed {
            Parsed::File(path, outcome) => {
                self.store_file(store, &path, outcome, None, now);
            }
            Parsed::Zip(path, Err(error)) => self.failed.push(PathError { path, error }),
            Parsed::Zip(path, Ok(zip)) => {
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
                        .and_then(|row| row.gear.clone())
                        .filter(|g| !g.trim().is_empty());
                    let outcome = entry.result.map_err(|e| e.to_string());
                    self.store_file(store, &entry.path, outcome, shoe, now);
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
    }
}

/// Adds a shoe named in `shoes.csv` that no activity named (so it still shows in the shoe list).
fn ensure_shoe(store: &mut SqliteStore, name: &str, now: &Zoned) -> knots_store::Result<()> {
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

/// Runs `knots import`.
///
/// # Errors
/// [`SomeFailed`] after printing the summary when any file failed; IO errors of the journal.
pub fn import(store: &mut SqliteStore, a: ImportArgs, now: &Zoned) -> Result<()> {
    let mut files = Vec::new();
    let mut summary = Summary::default();
    for p in &a.paths {
        walk(p, &mut files, &mut summary.failed);
    }
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    for chunk in files.chunks(CHUNK) {
        let parsed: Vec<Parsed> = chunk.par_iter().map(|p| parse(p)).collect();
        for p in parsed {
            summary.store(store, p, now);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let failed_files = {
        let mut paths: Vec<&str> = summary.failed.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        paths.len()
    };
    if a.json {
        print_json(&summary)?;
    } else {
        let mut out = vec![format!(
            "imported {} activities ({} found in more than one file), {} already in the journal, {} skipped, {} failed",
            summary.imported,
            summary.repeats,
            summary.duplicates,
            summary.skipped.len(),
            failed_files
        )];
        out.extend(
            summary
                .failed
                .iter()
                .map(|f| format!("failed: {}: {}", f.path, f.error)),
        );
        out.extend(
            summary
                .skipped
                .iter()
                .map(|s| format!("skipped: {}: {}", s.path, s.reason)),
        );
        out.extend(
            summary
                .warnings
                .iter()
                .map(|w| format!("warning: {}: {}", w.path, w.warning)),
        );
        print(&out.join("\n"))?;
    }
    if failed_files > 0 {
        return Err(SomeFailed {
            failed: failed_files,
            files: files.len().max(failed_files),
        }
        .into());
    }
    Ok(())
}
