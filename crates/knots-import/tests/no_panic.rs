//! No input makes a parser panic: arbitrary bytes, XML-shaped noise, and real files from
//! `testdata/` with random bytes flipped, chunks cut out or repeated, or cut short.
//!
//! `KNOTS_FUZZ_CASES` raises the number of cases per property (default 512) for longer runs.

use std::path::Path;
use std::sync::OnceLock;

use knots_import::{Outcome, parse_file, parse_fit, parse_gpx, parse_tcx, parse_zip};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("KNOTS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Real files to mutate: (name, bytes). Files over 200 KB are left out to keep runs short.
fn corpus() -> &'static [(String, Vec<u8>)] {
    static CORPUS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        assert!(
            dir.is_dir(),
            "the shared test data is missing: expected {}",
            dir.display()
        );
        let mut out = Vec::new();
        for folder in ["fit", "gpx", "tcx", "broken"] {
            for e in std::fs::read_dir(dir.join(folder)).expect("read test data") {
                let p = e.expect("entry").path();
                let bytes = std::fs::read(&p).expect("read file");
                if bytes.len() <= 200_000 {
                    out.push((
                        format!(
                            "{folder}/{}",
                            p.file_name().unwrap_or_default().to_string_lossy()
                        ),
                        bytes,
                    ));
                }
            }
        }
        out.sort();
        assert!(out.len() > 20, "too few test files");
        out
    })
}

/// The Strava sample export.
fn export_zip() -> &'static [u8] {
    static ZIP: OnceLock<Vec<u8>> = OnceLock::new();
    ZIP.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/strava/export_sample.zip");
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    })
}

/// Runs every parser that could see these bytes, and checks the results are sane.
fn run_all(name: &str, bytes: &[u8]) {
    for result in [
        parse_fit(bytes),
        parse_gpx(bytes),
        parse_tcx(bytes),
        parse_file(name, bytes),
    ] {
        if let Ok(Outcome::Parsed(p)) = result {
            for a in &p.activities {
                assert!(a.samples.len() <= knots_import::MAX_SAMPLES);
                assert!(!a.sport.is_empty());
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Set byte at (fraction of length) to value.
    Set(f64, u8),
    /// Flip one bit.
    Flip(f64, u8),
    /// Remove `n` bytes at a position.
    Cut(f64, usize),
    /// Repeat `n` bytes at a position.
    Repeat(f64, usize),
    /// Keep only the first fraction of the file.
    Truncate(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (0.0..1.0f64, any::<u8>()).prop_map(|(p, v)| Mutation::Set(p, v)),
        4 => (0.0..1.0f64, 0u8..8).prop_map(|(p, b)| Mutation::Flip(p, b)),
        1 => (0.0..1.0f64, 1usize..64).prop_map(|(p, n)| Mutation::Cut(p, n)),
        1 => (0.0..1.0f64, 1usize..64).prop_map(|(p, n)| Mutation::Repeat(p, n)),
        1 => (0.0..1.0f64).prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len - 1);
    match *m {
        Mutation::Set(p, v) => {
            let i = at(p, bytes.len());
            bytes[i] = v;
        }
        Mutation::Flip(p, b) => {
            let i = at(p, bytes.len());
            bytes[i] ^= 1 << b;
        }
        Mutation::Cut(p, n) => {
            let i = at(p, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Repeat(p, n) => {
            let i = at(p, bytes.len());
            let end = (i + n).min(bytes.len());
            let chunk = bytes[i..end].to_vec();
            bytes.splice(i..i, chunk);
        }
        Mutation::Truncate(p) => {
            let len = (p * bytes.len() as f64) as usize;
            bytes.truncate(len);
        }
    }
}

/// Pieces of GPX and TCX, to build XML-shaped noise that reaches past the root check.
const XML_PIECES: &[&str] = &[
    "<?xml version=\"1.0\"?>",
    "<gpx>",
    "</gpx>",
    "<trk>",
    "</trk>",
    "<trkseg>",
    "</trkseg>",
    "<trkpt lat=\"45.1\" lon=\"14.2\">",
    "<trkpt lat=\"x\" lon=\"1e400\">",
    "</trkpt>",
    "<trkpt/>",
    "<ele>",
    "</ele>",
    "<time>",
    "</time>",
    "2010-08-05T14:23:59Z",
    "2010-13-45T99:99:99+25:00",
    "<name>",
    "</name>",
    "&amp;",
    "&bogus;",
    "<wpt lat=\"1\" lon=\"2\"/>",
    "<rtept/>",
    "<gpxtpx:hr>",
    "</gpxtpx:hr>",
    "150",
    "-1",
    "NaN",
    "1e308",
    "<TrainingCenterDatabase>",
    "</TrainingCenterDatabase>",
    "<Activities>",
    "<Activity Sport=\"Running\">",
    "</Activity>",
    "<Lap StartTime=\"2012-12-26T21:29:53Z\">",
    "</Lap>",
    "<Track>",
    "</Track>",
    "<Trackpoint>",
    "</Trackpoint>",
    "<Time>",
    "</Time>",
    "<DistanceMeters>",
    "</DistanceMeters>",
    "<Value>",
    "</Value>",
    "<HeartRateBpm>",
    "</HeartRateBpm>",
    "<TotalTimeSeconds>",
    "</TotalTimeSeconds>",
    "<Id>",
    "</Id>",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "<",
    ">",
    "\"",
    "\u{feff}",
    "é",
    "\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        run_all("x.fit", &bytes);
        run_all("x.gpx.gz", &bytes);
    }

    #[test]
    fn fit_shaped_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048), size in 0u32..4096) {
        // A valid header in front of random messages reaches the message decoder.
        let mut bytes = vec![14u8, 0x10, 0, 0];
        bytes.extend_from_slice(&size.to_le_bytes());
        bytes.extend_from_slice(b".FIT\0\0");
        bytes.extend_from_slice(&body);
        run_all("x.fit", &bytes);
    }

    #[test]
    fn xml_shaped_noise(pieces in proptest::collection::vec(0..XML_PIECES.len(), 0..200)) {
        let text: String = pieces.iter().map(|&i| XML_PIECES[i]).collect();
        run_all("x.gpx", text.as_bytes());
        run_all("x.tcx", text.as_bytes());
    }

    #[test]
    fn mutated_real_files(
        file in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let files = corpus();
        let (name, original) = &files[file.index(files.len())];
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        run_all(name, &bytes);
    }

    #[test]
    fn mutated_strava_export(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let mut bytes = export_zip().to_vec();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Ok(import) = parse_zip(std::io::Cursor::new(&bytes), "export.zip") {
            for e in &import.entries {
                prop_assert!(e.path.starts_with("export.zip!"));
            }
        }
    }
}
