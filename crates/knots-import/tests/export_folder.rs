//! An extracted export folder, fed through `parse_export`, imports exactly what its zip does.

use std::io::Read;
use std::path::{Path, PathBuf};

use knots_import::{ExportFiles, ExportKind, Limits, ZipImport, parse_export, parse_zip};

/// A folder as the caller would give it: every file below `root`, by `/`-separated path.
struct Folder {
    root: PathBuf,
    paths: Vec<String>,
}

impl Folder {
    fn walk(root: &Path) -> Folder {
        fn visit(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .expect("read dir")
                .map(|e| e.expect("entry").path())
                .collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    visit(root, &p, out);
                } else {
                    let rel = p.strip_prefix(root).expect("inside root");
                    let parts: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    out.push(parts.join("/"));
                }
            }
        }
        let mut paths = Vec::new();
        visit(root, root, &mut paths);
        Folder {
            root: root.to_path_buf(),
            paths,
        }
    }
}

impl ExportFiles for Folder {
    fn paths(&self) -> Vec<String> {
        self.paths.clone()
    }

    fn open(&mut self, path: &str) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(std::fs::File::open(self.root.join(path))?))
    }
}

/// Everything an import holds, as text (errors are not comparable otherwise).
fn describe(import: &ZipImport) -> Vec<String> {
    let mut out = vec![
        format!("{:?} {:?}", import.kind, import.shoes),
        format!("{:?}", import.warnings),
    ];
    for e in &import.entries {
        out.push(format!("{} {:?} {:?}", e.path, e.strava, e.result));
    }
    out
}

#[test]
fn extracted_strava_export_matches_its_zip() {
    let zip_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/strava/export_sample.zip");
    let bytes = std::fs::read(&zip_path).expect("read the sample export");
    let from_zip = parse_zip(std::io::Cursor::new(&bytes), "export").expect("zip");

    let dir = tempfile::tempdir().expect("temp dir");
    zip::ZipArchive::new(std::io::Cursor::new(&bytes))
        .expect("zip")
        .extract(dir.path())
        .expect("extract");
    let mut folder = Folder::walk(dir.path());
    // The walk is in sorted order, the zip in its own: the entries must not depend on it.
    folder.paths.reverse();
    let from_folder = parse_export(&mut folder, "export", &Limits::default()).expect("folder");

    assert_eq!(from_zip.kind, ExportKind::Strava);
    assert_eq!(from_zip.summary(), "Strava export: 6 activities, 2 shoes");
    assert_eq!(describe(&from_folder), describe(&from_zip));
    // Real values: the manual row, gear names and a file's title all come through.
    let manual = from_folder
        .entries
        .iter()
        .find(|e| e.path.starts_with("export!activities.csv#"))
        .expect("a manual entry");
    assert_eq!(
        manual.result.as_ref().expect("manual").activities()[0].format,
        knots_import::Format::StravaCsv
    );
    assert!(from_folder.shoes.iter().any(|s| {
        from_folder
            .entries
            .iter()
            .any(|e| e.strava.as_ref().and_then(|r| r.gear.as_deref()) == Some(s.name.as_str()))
    }));
}
