//! Peak memory of parsing hostile files, each in a child process of its own.
//!
//! `cargo run --release -p knots-import --example hostile` writes the files to a temporary
//! folder and prints, for each, the outcome and the peak resident memory (VmHWM, Linux) of a
//! child that only reads the file and parses it. `-- write DIR` writes the files only (for fuzz
//! corpora: `-- write DIR small` writes small versions); `-- parse FILE` is the child.

#[path = "../tests/common/hostile.rs"]
mod hostile;

use std::path::Path;

fn cases(small: bool) -> Vec<(&'static str, Vec<u8>)> {
    let k = if small { 1000 } else { 1 };
    vec![
        (
            "fit-bomb-2k.fit.gz",
            hostile::gzip(&hostile::fit_empty_sessions(2_000_000 / k)),
        ),
        (
            "fit-bomb-10k.fit.gz",
            hostile::gzip(&hostile::fit_empty_sessions(10_000_000 / k)),
        ),
        (
            "fit-bomb-200k.fit.gz",
            hostile::gzip(&hostile::fit_empty_sessions(200_000_000 / k)),
        ),
        (
            "fit-records.fit.gz",
            hostile::gzip(&hostile::fit_tiny_records(200_000_000 / k)),
        ),
        (
            "gzip-bomb.gpx.gz",
            hostile::gzip_zeros_mib(1024 / k.min(1024)),
        ),
        (
            "many-members.zip",
            hostile::zip_of_zeros_copied(40, 200 / k.min(200)),
        ),
        ("notes-300m.tcx", hostile::tcx_with_notes(300_000_000 / k)),
        ("name-64m.gpx", hostile::gpx_with_name(64_000_000 / k)),
    ]
}

fn parse(path: &Path) -> String {
    let name = path.display().to_string();
    if name.ends_with(".zip") {
        let file = std::fs::File::open(path).expect("open");
        match knots_import::parse_zip(file, &name) {
            Ok(z) => {
                let errors = z.entries.iter().filter(|e| e.result.is_err()).count();
                let first = z.entries.iter().find_map(|e| e.result.as_ref().err());
                format!(
                    "{} entries, {errors} errors (first: {})",
                    z.entries.len(),
                    first.map_or("none".into(), |e| e.to_string())
                )
            }
            Err(e) => format!("error: {e}"),
        }
    } else {
        let bytes = std::fs::read(path).expect("read");
        match knots_import::parse_file(&name, &bytes) {
            Ok(knots_import::Outcome::Parsed(p)) => format!(
                "{} activities, warnings: {:?}",
                p.activities.len(),
                p.warnings
                    .iter()
                    .map(|w| w.chars().take(90).collect::<String>())
                    .collect::<Vec<_>>()
            ),
            Ok(knots_import::Outcome::Skipped { reason }) => format!("skipped: {reason}"),
            Err(e) => format!("error: {e}"),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("parse") => {
            let path = Path::new(args.get(1).ok_or("parse FILE")?);
            let result = parse(path);
            let peak = hostile::peak_rss_kib().ok_or("no VmHWM")?;
            println!("{} MiB\t{result}", peak / 1024);
        }
        Some("write") => {
            let dir = Path::new(args.get(1).ok_or("write DIR")?);
            std::fs::create_dir_all(dir)?;
            for (name, bytes) in cases(args.get(2).is_some_and(|a| a == "small")) {
                std::fs::write(dir.join(name), bytes)?;
            }
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("knots-hostile-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let me = std::env::current_exe()?;
            for (name, bytes) in cases(false) {
                let path = dir.join(name);
                std::fs::write(&path, &bytes)?;
                let size = bytes.len();
                drop(bytes);
                let out = std::process::Command::new(&me)
                    .arg("parse")
                    .arg(&path)
                    .output()?;
                println!(
                    "{name} ({size} bytes): peak {}{}",
                    String::from_utf8_lossy(&out.stdout).trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                std::fs::remove_file(&path)?;
            }
            std::fs::remove_dir(&dir)?;
        }
    }
    Ok(())
}
