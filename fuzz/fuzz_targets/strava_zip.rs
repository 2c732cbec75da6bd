//! `parse_zip_with_limit` (a Strava bulk export, or any zip of activity files) on arbitrary
//! bytes: it may return an error, never panic or hang. Every member it reads goes through
//! `parse_file` (gzip, then FIT/GPX/TCX). The cap on a member's decompressed size is 1 MiB here,
//! not the default 256 MiB, so that zip bombs stay quick to reject. Seeds with the hostile files
//! (FIT bombs, gzip and zip bombs, huge names): `cargo run -p knots-import --example hostile --
//! write fuzz/corpus/strava_zip small` (the same command fills the other targets' corpora).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = knots_import::parse_zip_with_limit(std::io::Cursor::new(data), "fuzz.zip", 1 << 20);
});
