//! `knots import PATH...`: walks files, folders (recursively), zips and `.gz`; parses them on all
//! cores with `knots-import`; stores the files in groups, one transaction per group and a
//! savepoint per file (a file is stored whole or not at all, so a kill leaves whole runs only and
//! a rerun completes the import);
//! reports imported, duplicates, skipped, failed and warnings. Each file that gives activities is
//! kept too (compressed on the parsing threads), for `knots export --originals`.

use crate::output::{print, print_json};
use anyhow::{Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Zoned;
use knots_app::ingest::{FILES_PER_TRANSACTION, Parsed, PathError, PathReason, Summary};
use knots_store::Store;
use std::io::Read;
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
    /// Do not keep the original files in the journal (they are kept by default, compressed,
    /// for `knots export --originals`).
    #[arg(long)]
    pub no_originals: bool,
}

/// Files larger than this are refused unread.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Files parsed ahead of the one being written, at most: memory stays bounded by this many
/// parsed files (with their kept originals), whatever the number of files.
const WINDOW: usize = 512;
/// Some files failed; the rest were imported (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {files} file(s) failed to import (the others were imported)")]
pub struct SomeFailed {
    failed: usize,
    files: usize,
}

/// One thing the walk found to read.
#[derive(Debug)]
enum Input {
    /// A regular file: a zip or a single activity file.
    File(PathBuf),
    /// An extracted export folder (Strava, Garmin Connect or Apple Health), read whole.
    Export(PathBuf),
}

/// Which export a folder is, by the file or folder that marks it, if any: `activities.csv`
/// (Strava), `DI_CONNECT` (Garmin Connect: the folder holding it, or that folder itself), or an XML file that begins as Apple Health's does
/// (`export.xml`, or named in the phone's language, such as `Exportieren.xml`).
fn export_marker(dir: &Path) -> Option<&'static str> {
    if dir.join("activities.csv").exists() {
        return Some("Strava");
    }
    if dir.join("DI_CONNECT").exists() || dir.file_name().is_some_and(|n| n == "DI_CONNECT") {
        return Some("Garmin Connect");
    }
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .any(|e| {
            knots_import::is_apple_health_main_xml(&e.file_name().to_string_lossy(), || {
                std::fs::File::open(e.path())
            })
        })
        .then_some("Apple Health")
}

/// Why a path that is not a regular file or a folder is skipped, unread.
fn not_regular(meta: &std::fs::Metadata) -> Option<String> {
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return Some("a named pipe (FIFO), not a regular file: not read".into());
        }
        if t.is_socket() {
            return Some("a socket, not a regular file: not read".into());
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device, not a regular file: not read".into());
        }
    }
    Some("not a regular file: not read".into())
}

/// Collects what to read under `path`. Folders are searched recursively (a folder that is an
/// export goes whole to the export reader); symbolic links are followed to regular files only
/// (a link to a folder or a device is skipped, so a walk cannot loop or read endless data);
/// FIFOs, sockets and devices are skipped with the reason.
fn walk(path: &Path, top: bool, out: &mut Vec<Input>, summary: &mut Summary) {
    let shown = path.display().to_string();
    let is_link = match std::fs::symlink_metadata(path) {
        Ok(m) => m.file_type().is_symlink(),
        Err(e) => {
            summary.failed.push(PathError {
                path: shown,
                error: e.to_string(),
            });
            return;
        }
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            summary.skipped.push(PathReason {
                path: shown,
                reason: format!("a symbolic link that leads nowhere readable ({e})"),
            });
            return;
        }
    };
    if let Some(reason) = not_regular(&meta) {
        summary.skipped.push(PathReason {
            path: shown,
            reason: if is_link {
                format!("a symbolic link to {}", reason.replacen("a ", "", 1))
            } else {
                reason
            },
        });
        return;
    }
    if meta.is_file() {
        out.push(Input::File(path.to_path_buf()));
        return;
    }
    if is_link && !top {
        summary.skipped.push(PathReason {
            path: shown,
            reason: "a symbolic link to a folder: not followed".into(),
        });
        return;
    }
    if export_marker(path).is_some() {
        out.push(Input::Export(path.to_path_buf()));
        return;
    }
    match std::fs::read_dir(path) {
        Ok(entries) => {
            // The entry's type comes with the folder listing: a plain regular file needs no
            // `stat` of its own here (it is checked again on its open handle when read).
            let mut children: Vec<(PathBuf, bool)> = entries
                .filter_map(|e| {
                    let e = e.ok()?;
                    let plain_file = e.file_type().is_ok_and(|t| t.is_file());
                    Some((e.path(), plain_file))
                })
                .collect();
            children.sort();
            for (child, plain_file) in children {
                if plain_file {
                    out.push(Input::File(child));
                } else {
                    walk(&child, false, out, summary);
                }
            }
        }
        Err(e) => summary.failed.push(PathError {
            path: shown,
            error: e.to_string(),
        }),
    }
}

/// Opens a file for reading only if it is a regular file (checked on the open handle, so a file
/// swapped for a FIFO after the walk is still refused) no larger than `limit`.
fn open_regular(path: &Path, limit: u64) -> Result<std::fs::File, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if let Some(reason) = not_regular(&meta).or_else(|| meta.is_dir().then(|| "a folder".into())) {
        return Err(reason);
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file: not read".into());
    }
    if meta.len() > limit {
        return Err(format!(
            "{} bytes is larger than the {limit}-byte limit",
            meta.len()
        ));
    }
    Ok(file)
}

/// Reads at most `limit` bytes into `bytes` (emptied first); one more byte means the file grew
/// past the limit.
fn read_capped(file: std::fs::File, limit: u64, bytes: &mut Vec<u8>) -> Result<(), String> {
    bytes.clear();
    file.take(limit + 1)
        .read_to_end(bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than the {limit}-byte limit"));
    }
    Ok(())
}

/// A read buffer above this capacity is not kept for the next file (one odd large file must not
/// hold its memory for the rest of the import).
const KEPT_BUFFER_BYTES: usize = 16 * 1024 * 1024;

thread_local! {
    /// Each parsing thread reads every file into the same buffer: the parsed values own their
    /// data, so the bytes are not needed once parsed (and kept originals are compressed copies).
    /// A fresh buffer per file cost fresh pages from the kernel, zeroed, for every file read
    /// (BENCHMARKS.md, "The write path, again").
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An extracted export folder as `knots_import::ExportFiles`: its regular files, by
/// `/`-separated path relative to the folder. Files are opened uncapped: `knots_import` caps
/// what it reads into memory at `Limits::file_bytes` and streams Apple Health's main XML (often
/// gigabytes) in flat memory, as it does a zip's members.
struct Folder {
    root: PathBuf,
    paths: Vec<String>,
}

impl Folder {
    /// Lists the regular files below `root` (links to anything else, FIFOs and devices are left
    /// out and returned as skipped, with why).
    fn new(root: &Path) -> (Folder, Vec<PathReason>) {
        fn visit(root: &Path, dir: &Path, out: &mut Vec<String>, skipped: &mut Vec<PathReason>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                skipped.push(PathReason {
                    path: dir.display().to_string(),
                    reason: "a folder that cannot be read".into(),
                });
                return;
            };
            let mut children: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            children.sort();
            for p in children {
                let Ok(own) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                if own.is_dir() {
                    visit(root, &p, out, skipped);
                    continue;
                }
                let regular = std::fs::metadata(&p).is_ok_and(|m| m.is_file());
                if !regular {
                    skipped.push(PathReason {
                        path: p.display().to_string(),
                        reason: "not a regular file (or a link to one): not read".into(),
                    });
                    continue;
                }
                if let Ok(rel) = p.strip_prefix(root) {
                    let parts: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    out.push(parts.join("/"));
                }
            }
        }
        let mut paths = Vec::new();
        let mut skipped = Vec::new();
        visit(root, root, &mut paths, &mut skipped);
        (
            Folder {
                root: root.to_path_buf(),
                paths,
            },
            skipped,
        )
    }
}

impl knots_import::ExportFiles for Folder {
    fn paths(&self) -> Vec<String> {
        self.paths.clone()
    }

    fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>> {
        let file = open_regular(&self.root.join(path), u64::MAX).map_err(std::io::Error::other)?;
        Ok(Box::new(file))
    }
}

fn parse(input: &Input, keep: bool) -> Vec<Parsed> {
    match input {
        Input::Export(dir) => {
            let name = dir.display().to_string();
            let limits = limits(keep);
            let (mut folder, skipped) = Folder::new(dir);
            let result =
                knots_import::parse_export(&mut folder, &name, &limits).map_err(|e| e.to_string());
            let mut out = vec![Parsed::Zip(name, result)];
            out.extend(skipped.into_iter().map(|s| {
                Parsed::File(
                    s.path,
                    Ok(knots_import::Outcome::Skipped { reason: s.reason }),
                    None,
                )
            }));
            out
        }
        Input::File(path) => vec![parse_file(path, keep)],
    }
}

/// The import's limits, keeping the originals (compressed as they are read) or not.
fn limits(keep: bool) -> knots_import::Limits {
    knots_import::Limits {
        keep_originals: keep,
        ..knots_app::ingest::limits()
    }
}

fn parse_file(path: &Path, keep: bool) -> Parsed {
    let name = path.display().to_string();
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let file = match open_regular(path, MAX_FILE_BYTES) {
        Ok(f) => f,
        Err(e) => return Parsed::File(name, Err(e), None),
    };
    if is_zip {
        let result =
            knots_import::parse_zip_with(std::io::BufReader::new(file), &name, &limits(keep))
                .map_err(|e| e.to_string());
        return Parsed::Zip(name, result);
    }
    READ_BUFFER.with_borrow_mut(|bytes| {
        let parsed = match read_capped(file, MAX_FILE_BYTES, bytes) {
            // Parsed here, on a parsing thread, and compressed here too when kept.
            Ok(()) => knots_app::ingest::parse_file(&name, bytes, keep),
            Err(e) => Parsed::File(name, Err(e), None),
        };
        if bytes.capacity() > KEPT_BUFFER_BYTES {
            *bytes = Vec::new();
        }
        parsed
    })
}

/// Runs `knots import`.
///
/// # Errors
/// [`SomeFailed`] after printing the summary when any file failed; IO errors of the journal.
pub fn import(store: &mut impl Store, a: ImportArgs, now: &Zoned) -> Result<()> {
    let mut files = Vec::new();
    let mut summary = Summary::default();
    for p in &a.paths {
        walk(p, true, &mut files, &mut summary);
    }
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Parsed on every core, written on this thread in file order (so which copy of a repeated
    // activity is stored first does not depend on thread timing), a transaction's worth of
    // files at a time; at most WINDOW parsed files wait in memory, whatever the number of files.
    let keep = !a.no_originals;
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    crate::pipeline::ordered(
        &files,
        workers,
        WINDOW,
        FILES_PER_TRANSACTION,
        |input| parse(input, keep),
        |batch| {
            let n = batch.len() as u64;
            summary.store_all(store, batch.into_iter().flatten().collect(), now);
            bar.inc(n);
        },
    );
    bar.finish_and_clear();
    // The files were committed without waiting for the disk: make the batch durable now.
    store
        .sync()
        .context("making the imported activities durable")?;
    let failed_files = summary.failed_files();
    if a.json {
        print_json("import", &summary)?;
    } else {
        let mut out: Vec<String> = summary
            .exports
            .iter()
            .map(|e| format!("{}: {}", e.path, e.summary))
            .collect();
        out.push(format!(
            "imported {} activities ({} found in more than one file), {} already in the journal, {} skipped, {} failed",
            summary.imported,
            summary.repeats,
            summary.duplicates,
            summary.skipped.len(),
            failed_files
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An extracted Apple Health export whose `export.xml` is larger than the per-file cap is
    /// still read whole (streamed), while an activity file over the cap is refused with why.
    #[test]
    fn an_export_folder_streams_its_main_xml_past_the_file_cap() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("apple_health_export");
        std::fs::create_dir_all(root.join("workout-routes")).expect("mkdir");
        let run = |day: u32| {
            format!(
                r#"<Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" totalDistance="5" totalDistanceUnit="km" startDate="2020-05-{day:02} 07:00:00 +0200" endDate="2020-05-{day:02} 07:30:00 +0200"/>"#
            )
        };
        let padding =
            "<Record type=\"HKQuantityTypeIdentifierStepCount\" value=\"10\"/>\n".repeat(200);
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<HealthData locale=\"de_DE\">\n{}\n{padding}{}\n</HealthData>\n",
            run(1),
            run(2)
        );
        std::fs::write(root.join("Exportieren.xml"), &xml).expect("write");
        std::fs::write(root.join("workout-routes/big.gpx"), "x".repeat(5000)).expect("write");
        assert_eq!(export_marker(&root), Some("Apple Health"));
        let (mut folder, skipped) = Folder::new(&root);
        assert!(skipped.is_empty());
        let limits = knots_import::Limits {
            file_bytes: 4096,
            ..knots_import::Limits::default()
        };
        assert!(xml.len() > 4096);
        let import = knots_import::parse_export(&mut folder, "apple_health_export", &limits)
            .expect("the export reads");
        assert_eq!(import.summary(), "Apple Health export: 2 activities");
        let big = import
            .entries
            .iter()
            .find(|e| e.path.ends_with("big.gpx"))
            .expect("the large route has an entry");
        let err = big.result.as_ref().expect_err("over the cap");
        assert!(err.to_string().contains("4096"), "{err}");
    }
}
