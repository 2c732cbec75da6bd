//! Prints what the importer makes of the files given on the command line.
//!
//! `cargo run -p knots-import --example dump -- FILE...`

fn show(path: &str, r: &Result<knots_import::Outcome, knots_import::Error>) {
    match r {
        Ok(knots_import::Outcome::Parsed(p)) => {
            println!(
                "{path}: {} activities, warnings {:?}",
                p.activities.len(),
                p.warnings
            );
            for a in &p.activities {
                println!(
                    "  {} {} el={:.3} tm={:?} d={:?} {:?} hr={:?}/{:?} cad={:?} asc={:?} off={:?} laps={} samples={} pts={} name={:?}",
                    a.sport,
                    a.start,
                    a.elapsed_s,
                    a.timer_s,
                    a.distance_m,
                    a.distance_source,
                    a.avg_hr,
                    a.max_hr,
                    a.avg_cadence,
                    a.ascent_m,
                    a.utc_offset_s,
                    a.laps.len(),
                    a.samples.len(),
                    a.track_points,
                    a.name
                );
            }
        }
        Ok(o) => println!("{path}: {o:?}"),
        Err(e) => println!("{path}: ERROR {e}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        if path.ends_with(".zip") {
            let file = std::fs::File::open(&path)?;
            let z = knots_import::parse_zip(file, &path)?;
            println!(
                "{path}: strava={} shoes={:?} warnings={:?}",
                z.is_strava, z.shoes, z.warnings
            );
            for e in &z.entries {
                println!("  row {:?}", e.strava);
                show(&e.path, &e.result);
            }
        } else {
            let bytes = std::fs::read(&path)?;
            show(&path, &knots_import::parse_file(&path, &bytes));
        }
    }
    Ok(())
}
