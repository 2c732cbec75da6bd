//! Single-threaded parse throughput (MB/s of input) on the files in `shared/testdata`.
//!
//! `cargo bench -p knots-import --bench parse`
//!
//! Groups: `fit` (knots's decoder, then the `fitparser` crate as the anchor on the same bytes),
//! `gpx`, `tcx`. Each measures one pass over a corpus made of the test files; criterion prints
//! the throughput. The FIT corpus is the activity files that `fitparser` also decodes, so both
//! do the same work; `fitparser` runs under `catch_unwind` because it can panic on bad input.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn testdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    assert!(dir.is_dir(), "missing test data at {}", dir.display());
    dir
}

fn files(folder: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(testdata().join(folder))
        .expect("read test data folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read test file");
            (
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                bytes,
            )
        })
        .collect();
    out.sort();
    out
}

fn fitparser_ok(bytes: &[u8]) -> bool {
    std::panic::catch_unwind(|| fitparser::from_bytes(bytes).is_ok()).unwrap_or(false)
}

fn bench(c: &mut Criterion) {
    // Silence fitparser's panics (and their messages) while it runs under catch_unwind.
    std::panic::set_hook(Box::new(|_| {}));

    let fit: Vec<(String, Vec<u8>)> = files("fit", "fit")
        .into_iter()
        .filter(|(_, b)| {
            matches!(knots_import::parse_fit(b), Ok(knots_import::Outcome::Parsed(ref p)) if p.warnings.is_empty())
                && fitparser_ok(b)
        })
        .collect();
    let fit_bytes: u64 = fit.iter().map(|(_, b)| b.len() as u64).sum();
    eprintln!(
        "fit corpus: {} files, {} bytes: {}",
        fit.len(),
        fit_bytes,
        fit.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut g = c.benchmark_group("fit");
    g.throughput(Throughput::Bytes(fit_bytes));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("knots", |b| {
        b.iter(|| {
            for (_, bytes) in &fit {
                let _ = black_box(knots_import::parse_fit(black_box(bytes)));
            }
        })
    });
    g.sample_size(10);
    g.bench_function("fitparser", |b| {
        b.iter(|| {
            for (_, bytes) in &fit {
                let _ = black_box(std::panic::catch_unwind(|| {
                    fitparser::from_bytes(black_box(bytes)).map(|r| r.len())
                }));
            }
        })
    });
    g.finish();

    for (folder, parse) in [
        ("gpx", knots_import::parse_gpx as fn(&[u8]) -> _),
        ("tcx", knots_import::parse_tcx as fn(&[u8]) -> _),
    ] {
        let corpus: Vec<(String, Vec<u8>)> = files(folder, folder);
        let total: u64 = corpus.iter().map(|(_, b)| b.len() as u64).sum();
        let mut g = c.benchmark_group(folder);
        g.throughput(Throughput::Bytes(total));
        g.bench_function("knots", |b| {
            b.iter(|| {
                for (_, bytes) in &corpus {
                    let _ = black_box(parse(black_box(bytes)));
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
