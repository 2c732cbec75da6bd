//! Running the real `knots` binary from the integration tests.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses some of these; a panic is the report

use serde_json::Value;
use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};

/// Runs `knots --db DB ARGS…` (no `KNOTS_DB` from the environment, no stdin).
pub fn knots<P: AsRef<OsStr> + ?Sized>(db: &P, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_knots"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("KNOTS_DB")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs knots, asserts it succeeded, and returns its stdout.
pub fn ok<P: AsRef<OsStr> + ?Sized>(db: &P, args: &[&str]) -> String {
    let out = knots(db, args);
    assert!(
        out.status.success(),
        "knots {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs knots, asserts it succeeded, and parses its stdout as JSON.
pub fn json<P: AsRef<OsStr> + ?Sized>(db: &P, args: &[&str]) -> Value {
    serde_json::from_str(&ok(db, args)).unwrap()
}
