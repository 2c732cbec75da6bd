//! Regenerates the guided-search table in BENCHMARKS.md: 1,000 simulated runners per symptom
//! pattern, the guided search against the finder's static order and textbook order, all in the
//! same run on the same runners.
//!
//! `cargo bench -p knots-core --bench search` (add `-- --runners N` for another count). Prints
//! Markdown on stdout.

#[path = "../tests/sim/mod.rs"]
mod sim;

use knots_core::Atlas;
use knots_core::search::Settings;
use sim::{PATTERNS, STRATEGIES, Strategy, Tally};
use std::time::Instant;

const SEED: u64 = 20_261_125;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runners = args
        .iter()
        .position(|a| a == "--runners")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let atlas = Atlas::shipped();
    let started = Instant::now();
    let mut per_pattern = Vec::new();
    for (i, pattern) in PATTERNS.iter().enumerate() {
        per_pattern.push(sim::evaluate(
            atlas,
            pattern,
            runners,
            sim::pattern_seed(SEED, i),
            Settings::default(),
        ));
    }
    let elapsed = started.elapsed();

    let idx = |s: Strategy| STRATEGIES.iter().position(|&x| x == s).unwrap_or(0);
    let guided = idx(Strategy::Guided(knots_core::search::Rule::InformationGain));
    let stat = idx(Strategy::Static);
    let text = idx(Strategy::Textbook);
    let stat1 = idx(Strategy::StaticThresholdOnly);
    let text1 = idx(Strategy::TextbookThresholdOnly);

    println!(
        "{runners} simulated runners per pattern, seed {SEED}. Each cell: median presses to identify the \
         true mother knot / share found within 5 presses / accuracy (the knot named at the end is the \
         true one). Mean presses used in brackets.\n"
    );
    println!(
        "| pattern | candidates | guided search | finder's static order | textbook order | \
         static order, 90% only | textbook order, 90% only |"
    );
    println!("|---|---:|---|---|---|---|---|");
    let cell = |t: &Tally| {
        format!(
            "{} / {:.0}% / {:.0}% ({:.1})",
            t.median_to_identify()
                .map_or("never".to_string(), |m| m.to_string()),
            100.0 * t.within(5),
            100.0 * t.accuracy(),
            t.mean_presses()
        )
    };
    let mut totals = vec![Tally::default(); STRATEGIES.len()];
    for (pattern, tallies) in PATTERNS.iter().zip(&per_pattern) {
        let query = pattern.query();
        let n = knots_core::finder::score_all(atlas, &query, &[])
            .iter()
            .filter(|s| s.score > 0.0)
            .count();
        println!(
            "| {} | {n} | {} | {} | {} | {} | {} |",
            pattern.name,
            cell(&tallies[guided]),
            cell(&tallies[stat]),
            cell(&tallies[text]),
            cell(&tallies[stat1]),
            cell(&tallies[text1])
        );
        for (t, x) in totals.iter_mut().zip(tallies) {
            t.add(x);
        }
    }
    println!(
        "| **all {} patterns** | | {} | {} | {} | {} | {} |",
        PATTERNS.len(),
        cell(&totals[guided]),
        cell(&totals[stat]),
        cell(&totals[text]),
        cell(&totals[stat1]),
        cell(&totals[text1])
    );

    println!("\nAll patterns together, by strategy and kind of runner:\n");
    println!(
        "| strategy | runners | median presses to identify | found within 5 | accuracy | mean presses |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (k, &s) in STRATEGIES.iter().enumerate() {
        for (who, t) in [
            ("all", totals[k].clone()),
            ("relaxed", totals[k].only(false)),
            ("tense (over-reports)", totals[k].only(true)),
        ] {
            println!(
                "| {} | {who} | {} | {:.1}% | {:.1}% | {:.2} |",
                s.name(),
                t.median_to_identify()
                    .map_or("never".to_string(), |m| m.to_string()),
                100.0 * t.within(5),
                100.0 * t.accuracy(),
                t.mean_presses()
            );
        }
    }
    println!(
        "\nThe confidence threshold trades presses for accuracy (all patterns, same runners; \
         budget {}):\n",
        Settings::default().budget
    );
    println!("| threshold | strategy | found within 5 | accuracy | mean presses |");
    println!("|---:|---|---:|---:|---:|");
    for threshold in [0.6, 0.7, 0.8, 0.9, 0.95] {
        let settings = Settings {
            threshold,
            ..Settings::default()
        };
        let mut totals = vec![Tally::default(); STRATEGIES.len()];
        for (i, pattern) in PATTERNS.iter().enumerate() {
            let tallies = sim::evaluate(
                atlas,
                pattern,
                runners,
                sim::pattern_seed(SEED, i),
                settings,
            );
            for (t, x) in totals.iter_mut().zip(&tallies) {
                t.add(x);
            }
        }
        for k in [guided, stat, text] {
            let t = &totals[k];
            println!(
                "| {threshold} | {} | {:.1}% | {:.1}% | {:.2} |",
                STRATEGIES[k].name(),
                100.0 * t.within(5),
                100.0 * t.accuracy(),
                t.mean_presses()
            );
        }
    }
    eprintln!(
        "{} runners x {} strategies in {:.1} s",
        runners * PATTERNS.len(),
        STRATEGIES.len(),
        elapsed.as_secs_f64()
    );
}
