//! `parse_file_with_limit` on arbitrary bytes under a few names: content sniffing, gzip, then
//! the parser it picks. It may return an error, never panic or hang. The first byte chooses the
//! name, so that the extension fallback and the `.gz` path are both reached.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 5] = ["a.fit", "a.gpx", "a.tcx", "a.fit.gz", "a.txt"];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(first) % NAMES.len()];
    let _ = knots_import::parse_file_with_limit(name, rest, 1 << 20);
});
