//! `parse_zip_with` (a Strava bulk export, or any zip of activity files) on arbitrary bytes: it
//! may return an error, never panic or hang. Every member it reads goes through `parse_file`
//! (gzip, then FIT/GPX/TCX). The caps are small here — 64 KiB per decompressed member, 1 MiB for
//! the whole archive — not the defaults (256 MiB, 16 GiB), so that zip bombs are rejected after
//! the same code paths at a fraction of the cost and the target runs thousands of inputs a second.
//! Seeds with the hostile files (FIT bombs, gzip and zip bombs, huge names): `cargo run -p
//! knots-import --example hostile -- write fuzz/corpus/strava_zip small` (the same command fills
//! the other targets' corpora).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = knots_import::Limits {
        file_bytes: 64 << 10,
        archive_bytes: 1 << 20,
        ..knots_import::Limits::default()
    };
    let _ = knots_import::parse_zip_with(std::io::Cursor::new(data), "fuzz.zip", &limits);
});
