//! The versioned JSON export: the lossless form of a journal (`knots export`, `knots import-json`).
//!
//! The body is the serde form of `knots_core::journal::Journal` inside an envelope naming the
//! format and version. Version 2 added `changes` (the change events), version 3 `reactions` (adverse
//! reactions); an older export has none of them and still restores. A reader refuses other formats and newer versions by name.

use knots_core::journal::Journal;

/// The format's name, written in every export.
pub const FORMAT: &str = "knots-journal";
/// The version this build writes and reads.
pub const VERSION: u32 = 3;

/// An export file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Export {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version.
    pub version: u32,
    /// Whether the journal is the demo one.
    pub demo: bool,
    /// The journal.
    #[serde(flatten)]
    pub journal: Journal,
}

impl Export {
    /// Wraps a journal.
    pub fn new(journal: Journal, demo: bool) -> Export {
        Export {
            format: FORMAT.into(),
            version: VERSION,
            demo,
            journal,
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self).map(|s| s + "\n")
    }

    /// Parses an export, checking the envelope first so a wrong file gets a clear message.
    ///
    /// # Errors
    /// A message naming the line and column of a syntax error, a missing or wrong `format`, or an
    /// unsupported `version`.
    pub fn parse(text: &str) -> Result<Export, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => return Err(format!("`format` is `{other}`, expected `{FORMAT}`")),
            None => return Err(format!("no `format` field: not a {FORMAT} export")),
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            // Versions 1 and 2 differ only by having no `changes` (1) and no `reactions` (1, 2):
            // they default to none.
            Some(1..=3) => {}
            Some(v) => {
                return Err(format!(
                    "`version` {v} is not supported (this build reads {VERSION})"
                ));
            }
            None => return Err("no `version` field".into()),
        }
        let export: Export = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        // serde drops fields it does not know; a typo (`max_pian`) would lose data silently.
        let known = serde_json::to_value(&export).map_err(|e| e.to_string())?;
        if let Some(path) = unknown_field(&value, &known, String::new()) {
            return Err(format!("unknown field `{path}`"));
        }
        Ok(export)
    }
}

/// The path of the first key of `given` that `known` (the same data, parsed and written back)
/// does not have.
fn unknown_field(
    given: &serde_json::Value,
    known: &serde_json::Value,
    at: String,
) -> Option<String> {
    use serde_json::Value;
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(key, v)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            match k.get(key) {
                None => Some(path),
                Some(kv) => unknown_field(v, kv, path),
            }
        }),
        (Value::Array(g), Value::Array(k)) => g
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (gv, kv))| unknown_field(gv, kv, format!("{at}[{i}]"))),
        _ => None,
    }
}
