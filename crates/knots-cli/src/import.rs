//! `knots import PATH...`: walks files, folders (recursively), zips and `.gz`; parses them on all
//! cores with `knots-import`; stores each file's activities in its own transaction (a file is
//! stored whole or not at all, so a kill leaves whole runs only and a rerun completes the import);
//! reports imported, duplicates, skipped, failed and warnings.

use crate::output::{print, print_json};
use anyhow::{Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Zoned;
use knots_app::ingest::{Parsed, PathError, Summary};
use knots_store::Store;
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
/// Files parsed in parallel (a chunk) before their results are written, in order. Larger chunks
/// idle the cores less at each chunk's end (measured: 512 beat 16 and 128); memory stays bounded
/// by two chunks in flight, whatever the number of files.
const CHUNK: usize = 512;
/// Some files failed; the rest were imported.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {files} file(s) failed to import (the others were imported)")]
pub struct SomeFailed {
    failed: usize,
    files: usize,
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

/// Runs `knots import`.
///
/// # Errors
/// [`SomeFailed`] after printing the summary when any file failed; IO errors of the journal.
pub fn import(store: &mut impl Store, a: ImportArgs, now: &Zoned) -> Result<()> {
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
    // A pipeline: one thread parses chunk k+1 on all cores (rayon) while this one writes chunk k,
    // in file order (so which copy of a repeated activity is stored first does not depend on
    // thread timing). At most two parsed chunks wait in memory, whatever the number of files.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(2);
        let files = &files;
        scope.spawn(move || {
            for chunk in files.chunks(CHUNK) {
                let parsed: Vec<Parsed> = chunk.par_iter().map(|p| parse(p)).collect();
                if tx.send(parsed).is_err() {
                    return;
                }
            }
        });
        for parsed in rx {
            for p in parsed {
                summary.store(store, p, now);
                bar.inc(1);
            }
        }
    });
    bar.finish_and_clear();
    // The files were committed without waiting for the disk: make the batch durable now.
    store
        .sync()
        .context("making the imported activities durable")?;
    let failed_files = summary.failed_files();
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
