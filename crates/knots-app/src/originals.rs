//! `knots export --originals DIR`: every kept original activity file written back, byte for
//! byte, under a safe version of the name it was imported under.
//!
//! A name is the path as imported: `/home/me/runs/a.fit`, or `export.zip!activities/1.fit.gz`
//! for a zip member. It becomes a relative path under the folder: the file's own name for a
//! plain file (`a.fit`), the zip's file name and the member's path for a member
//! (`export.zip/activities/1.fit.gz`). Parts that are empty, `.`, `..` or a drive prefix are
//! dropped, so nothing is written outside the folder; a name already used gets a suffix
//! (`a-2.fit`). Files are created new, never overwritten.

use knots_import::Codec;
use knots_store::Store;
use std::path::{Path, PathBuf};

/// One file written.
#[derive(Debug, serde::Serialize)]
pub struct Written {
    /// The activity it was kept with.
    pub activity: i64,
    /// The name it was imported under.
    pub name: String,
    /// Where it was written, relative to the folder.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Why the export stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The journal could not be read.
    #[error("{0}")]
    Store(#[from] knots_store::Error),
    /// A kept copy is damaged (it does not decode, or not to its size and CRC-32).
    #[error("the original of activity {activity} (`{name}`) is damaged: {reason}")]
    Damaged {
        /// The activity.
        activity: i64,
        /// The name it was imported under.
        name: String,
        /// What does not match.
        reason: String,
    },
    /// A file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The relative path an original imported as `name` is written to (before collisions).
///
/// # Examples
///
/// ```
/// use knots_app::originals::safe_path;
/// assert_eq!(safe_path("/home/me/runs/a.fit"), "a.fit");
/// assert_eq!(safe_path("dl/export.zip!activities/1.fit.gz"), "export.zip/activities/1.fit.gz");
/// assert_eq!(safe_path("x.zip!../../etc/passwd"), "x.zip/etc/passwd");
/// ```
pub fn safe_path(name: &str) -> String {
    let parts = |s: &str| -> Vec<String> {
        s.split(['/', '\\'])
            .filter(|p| !p.is_empty() && *p != "." && *p != ".." && !p.ends_with(':'))
            .map(|p| p.chars().filter(|c| !c.is_control()).collect::<String>())
            .filter(|p| !p.is_empty())
            .collect()
    };
    let mut pieces = name.split('!');
    // The file on disk: its own name only.
    let mut out: Vec<String> = pieces
        .next()
        .map(|f| parts(f).pop().into_iter().collect())
        .unwrap_or_default();
    // Members of zips, each with its path inside its zip.
    for member in pieces {
        out.extend(parts(member));
    }
    if out.is_empty() {
        return "original".into();
    }
    out.join("/")
}

/// `path` with `-n` before its extensions (`a.fit.gz` → `a-2.fit.gz`).
fn suffixed(path: &str, n: u32) -> String {
    let (dir, file) = match path.rsplit_once('/') {
        Some((d, f)) => (format!("{d}/"), f),
        None => (String::new(), path),
    };
    match file.split_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}{stem}-{n}.{ext}"),
        _ => format!("{dir}{file}-{n}"),
    }
}

/// Writes every kept original under `dir` (created if missing), one at a time (memory holds one
/// file), in activity order.
///
/// # Errors
/// [`Error`]: a damaged copy or a failed write stops the export (what was written stays).
pub fn export<S: Store>(store: &S, dir: &Path) -> Result<Vec<Written>, Error> {
    let shown = |p: &Path| p.display().to_string();
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: shown(dir),
        source,
    })?;
    let mut used = std::collections::HashSet::new();
    let mut out = Vec::new();
    for info in store.originals()? {
        let Some(original) = store.original(info.activity)? else {
            continue;
        };
        let damaged = |reason: String| Error::Damaged {
            activity: info.activity,
            name: original.name.clone(),
            reason,
        };
        let codec = Codec::from_name(&original.codec)
            .ok_or_else(|| damaged(format!("unknown codec `{}`", original.codec)))?;
        let bytes = knots_import::unpack(codec, &original.data, original.size, original.crc32)
            .map_err(damaged)?;
        let base = safe_path(&original.name);
        let mut n = 1;
        let (rel, file) = loop {
            let rel = if n == 1 {
                base.clone()
            } else {
                suffixed(&base, n)
            };
            n += 1;
            if used.contains(&rel.to_lowercase()) {
                continue;
            }
            let path: PathBuf = dir.join(&rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                    path: shown(parent),
                    source,
                })?;
            }
            match std::fs::File::create_new(&path) {
                Ok(f) => break (rel, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(Error::Write {
                        path: shown(&path),
                        source,
                    });
                }
            }
        };
        used.insert(rel.to_lowercase());
        let mut file = file;
        std::io::Write::write_all(&mut file, &bytes)
            .and_then(|()| file.sync_all())
            .map_err(|source| Error::Write {
                path: shown(&dir.join(&rel)),
                source,
            })?;
        out.push(Written {
            activity: info.activity,
            name: original.name,
            path: rel,
            bytes: bytes.len() as u64,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_folder() {
        for (name, want) in [
            ("a.fit", "a.fit"),
            ("C:\\runs\\a.fit", "a.fit"),
            ("/", "original"),
            ("z.zip!", "z.zip"),
            ("z.zip!/abs/x.gpx", "z.zip/abs/x.gpx"),
            ("g.zip!DI/Part1.zip!x.fit", "g.zip/DI/Part1.zip/x.fit"),
            ("..!..", "original"),
        ] {
            assert_eq!(safe_path(name), want, "{name}");
        }
        assert_eq!(suffixed("z.zip/a.fit.gz", 2), "z.zip/a-2.fit.gz");
        assert_eq!(suffixed(".hidden", 3), ".hidden-3");
        assert_eq!(suffixed("noext", 2), "noext-2");
    }
}
