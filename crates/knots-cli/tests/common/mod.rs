//! Running the real `knots` binary from the integration tests.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses some of these; a panic is the report

use serde_json::Value;
use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};

/// `knots` with none of the caller's preferences: no `KNOTS_DB`, `KNOTS_UNITS` or config file.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_knots"));
    c.env_remove("KNOTS_DB")
        .env_remove("KNOTS_UNITS")
        .env("KNOTS_CONFIG", "/nonexistent/knots-test/config.toml")
        .stdin(Stdio::null());
    c
}

/// Runs `knots --db DB ARGS…` (no preferences from the environment, no stdin).
pub fn knots<P: AsRef<OsStr> + ?Sized>(db: &P, args: &[&str]) -> Output {
    command().arg("--db").arg(db).args(args).output().unwrap()
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
