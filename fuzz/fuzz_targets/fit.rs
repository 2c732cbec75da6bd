//! `parse_fit` on arbitrary bytes: it may return an error, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = knots_import::parse_fit(data);
});
