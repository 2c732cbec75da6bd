//! Single-threaded parse throughput, in MB/s (10^6 bytes) of input, printed as JSON.
//!
//! `cargo run --release -p knots-import --example throughput -- [--repeats N] [--size-mb M]
//! [--fitparser] FILE...`
//!
//! The files are grouped by extension (`.fit`, `.gpx`, `.tcx`). For each format, the files that
//! knots parses cleanly (activities, and for FIT no warnings; for FIT, with `--fitparser`, also those the
//! `fitparser` crate decodes without error or panic) are copied in memory, each copy its own
//! allocation, round-robin until the corpus holds at least `M` MB. One pass parses every copy
//! once, in one thread; the pass is timed `N` times and the median, minimum and maximum MB/s are
//! printed. With `--fitparser`, the `fitparser` crate is timed on the same FIT corpus (it is the
//! anchor of the criterion bench; it runs under `catch_unwind` because it can panic on bad input).
//! `scripts/bench-import` runs this next to the Python parsers.

/// The `knots` binary's allocator, so that this parse-only figure and the end-to-end import it
/// anchors (`scripts/bench_write.py`) are measured with the same one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::Instant;

use knots_import::{Error, Outcome};
use serde_json::{Value, json};

type Parser = fn(&[u8]) -> Result<Outcome, Error>;

struct Args {
    repeats: usize,
    size_bytes: usize,
    fitparser: bool,
    files: Vec<String>,
}

fn parse_args() -> Result<Args, Box<dyn std::error::Error>> {
    let mut args = Args {
        repeats: 5,
        size_bytes: 50_000_000,
        fitparser: false,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--repeats" => {
                args.repeats = it.next().ok_or("--repeats needs a value")?.parse()?;
            }
            "--size-mb" => {
                let mb: f64 = it.next().ok_or("--size-mb needs a value")?.parse()?;
                // Saturating float-to-int conversion; a corpus is never near usize::MAX.
                args.size_bytes = (mb * 1e6) as usize;
            }
            "--fitparser" => args.fitparser = true,
            "-h" | "--help" => {
                println!(
                    "usage: throughput [--repeats N] [--size-mb M] [--fitparser] FILE...\n\
                     prints per-format single-threaded MB/s (median over N passes) as JSON"
                );
                std::process::exit(0);
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a}").into()),
            _ => args.files.push(a),
        }
    }
    if args.repeats == 0 {
        return Err("--repeats must be at least 1".into());
    }
    Ok(args)
}

/// Why knots does not read the file cleanly, if it does not: it must give at least one
/// activity, and for FIT no warnings (a FIT warning means damage: a bad CRC, a cut-off
/// message). GPX warnings are about the track (points without a time), not the parse, so such
/// files stay in.
fn unclean(ext: &str, parse: Parser, bytes: &[u8]) -> Option<String> {
    match parse(bytes) {
        Err(e) => Some(format!("knots: {e}")),
        Ok(Outcome::Skipped { reason }) => Some(format!("knots skips it: {reason}")),
        Ok(Outcome::Parsed(p)) if p.activities.is_empty() => Some("knots: no activity".into()),
        Ok(Outcome::Parsed(p)) if ext == "fit" && !p.warnings.is_empty() => {
            Some(format!("knots warns: {}", p.warnings.join("; ")))
        }
        Ok(Outcome::Parsed(_)) => None,
    }
}

fn fitparser_error(bytes: &[u8]) -> Option<String> {
    match std::panic::catch_unwind(|| fitparser::from_bytes(bytes).map(|r| r.len())) {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(format!("fitparser: {e}")),
        Err(_) => Some("fitparser panics".into()),
    }
}

/// Copies of the files, round-robin, until at least `target` bytes (at least one copy of each).
fn replicate(files: &[(String, Vec<u8>)], target: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut total = 0;
    if files.is_empty() {
        return out;
    }
    while total < target || out.len() < files.len() {
        let bytes = &files[out.len() % files.len()].1;
        total += bytes.len();
        out.push(bytes.clone());
    }
    out
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Times `repeats` passes of `pass` over a corpus of `bytes` bytes; `pass` returns a count
/// (activities decoded) so the work cannot be optimised away.
fn time_passes(repeats: usize, bytes: usize, mut pass: impl FnMut() -> usize) -> Value {
    let mut rates = Vec::with_capacity(repeats);
    let mut count = 0;
    for _ in 0..repeats {
        let t = Instant::now();
        count = black_box(pass());
        let secs = t.elapsed().as_secs_f64();
        rates.push(bytes as f64 / 1e6 / secs);
    }
    let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let max = rates.iter().copied().fold(0.0, f64::max);
    json!({
        "mb_per_s": median(&mut rates),
        "min_mb_per_s": min,
        "max_mb_per_s": max,
        "repeats": repeats,
        "items_per_pass": count,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    // Silence fitparser's panic messages while it runs under catch_unwind.
    std::panic::set_hook(Box::new(|_| {}));

    let formats: [(&str, Parser); 3] = [
        ("fit", knots_import::parse_fit),
        ("gpx", knots_import::parse_gpx),
        ("tcx", knots_import::parse_tcx),
    ];
    let mut results = Vec::new();
    for (ext, parse) in formats {
        let mut used: Vec<(String, Vec<u8>)> = Vec::new();
        let mut rejected: Vec<Value> = Vec::new();
        for path in &args.files {
            if !path.to_ascii_lowercase().ends_with(&format!(".{ext}")) {
                continue;
            }
            let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            let why = unclean(ext, parse, &bytes).or_else(|| {
                (ext == "fit" && args.fitparser)
                    .then(|| fitparser_error(&bytes))
                    .flatten()
            });
            match why {
                None => used.push((path.clone(), bytes)),
                Some(reason) => rejected.push(json!({ "path": path, "reason": reason })),
            }
        }
        if used.is_empty() {
            continue;
        }
        let corpus = replicate(&used, args.size_bytes);
        let corpus_bytes: usize = corpus.iter().map(Vec::len).sum();
        let files_json = json!(used.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>());
        let distinct_bytes: usize = used.iter().map(|(_, b)| b.len()).sum();

        let mut knots = time_passes(args.repeats, corpus_bytes, || {
            corpus
                .iter()
                .map(|b| parse(black_box(b)).map_or(0, |o| o.activities().len()))
                .sum()
        });
        knots["format"] = json!(ext);
        knots["tool"] = json!("knots");
        knots["corpus_bytes"] = json!(corpus_bytes);
        knots["distinct_bytes"] = json!(distinct_bytes);
        knots["files"] = files_json.clone();
        knots["rejected"] = json!(rejected);
        results.push(knots);

        if ext == "fit" && args.fitparser {
            let mut fp = time_passes(args.repeats, corpus_bytes, || {
                corpus
                    .iter()
                    .map(|b| {
                        std::panic::catch_unwind(|| {
                            fitparser::from_bytes(black_box(b)).map_or(0, |r| r.len())
                        })
                        .unwrap_or(0)
                    })
                    .sum()
            });
            fp["format"] = json!(ext);
            fp["tool"] = json!("fitparser");
            fp["corpus_bytes"] = json!(corpus_bytes);
            fp["distinct_bytes"] = json!(distinct_bytes);
            fp["files"] = files_json;
            results.push(fp);
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({ "results": results }))?
    );
    Ok(())
}
