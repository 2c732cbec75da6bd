//! Printing: data on stdout (text or JSON), messages on stderr, and exit codes.

use knots_core::UnknownId;
use knots_core::journal::FieldError;
use knots_core::scale::OutOfRange;
use std::io::Write;

/// Exit code 3 when an import stored some files and failed others, 2 for input the user can fix
/// (unknown ids, values out of range, refused records, a journal that does not exist), 1 for
/// everything else (IO, a damaged journal).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<crate::import::SomeFailed>()) {
        return 3;
    }
    let is_input = err.chain().any(|e| {
        e.is::<UnknownId>()
            || e.is::<FieldError>()
            || e.is::<OutOfRange>()
            || e.is::<InputError>()
            || matches!(
                e.downcast_ref::<knots_app::Error>(),
                Some(
                    knots_app::Error::Invalid(_)
                        | knots_app::Error::Unusual { .. }
                        | knots_app::Error::NotFound { .. }
                        | knots_app::Error::Conflict(_)
                )
            )
            || matches!(
                e.downcast_ref::<knots_store::Error>(),
                Some(
                    knots_store::Error::Invalid(_)
                        | knots_store::Error::NotFound { .. }
                        | knots_store::Error::Conflict(_)
                )
            )
    });
    if is_input { 2 } else { 1 }
}

/// A mistake in what the user gave that is not a single field (e.g. a file that is not an export).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Whether the error is a closed stdout (e.g. `knots log | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Text from files and users made safe for a terminal: control characters other than line
/// breaks and tabs (escape sequences that set the title, clear the screen or write the clipboard,
/// NUL, bells) are shown as `\x1b`-style escapes instead of being sent raw. Everything printed
/// goes through here.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let code = u32::from(c);
            if code <= 0xFF {
                out.push_str(&format!("\\x{code:02x}"));
            } else {
                out.push_str(&format!("\\u{{{code:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes text to stdout (made [`terminal_safe`]).
pub fn print(text: &str) -> anyhow::Result<()> {
    let text = terminal_safe(text);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Writes a value as pretty JSON to stdout, as an object carrying `"schema": "knots.<name>/1"`:
/// the CLI's JSON contract (README, "JSON output"). A value that is not an object (a list) is
/// put under `"items"`.
pub fn print_json<T: serde::Serialize>(name: &str, value: &T) -> anyhow::Result<()> {
    print(&serde_json::to_string_pretty(&with_schema(name, value)?)?)
}

/// `value` as a JSON object with `"schema": "knots.<name>/1"` (see [`print_json`]).
pub fn with_schema<T: serde::Serialize>(
    name: &str,
    value: &T,
) -> serde_json::Result<serde_json::Value> {
    let mut object = match serde_json::to_value(value)? {
        serde_json::Value::Object(map) => map,
        other => {
            let mut map = serde_json::Map::new();
            map.insert("items".into(), other);
            map
        }
    };
    object.insert("schema".into(), format!("knots.{name}/1").into());
    Ok(serde_json::Value::Object(object))
}

/// Wraps text at `width` columns with an indent on every line.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_from_files_never_reach_the_terminal_raw() {
        let hostile =
            "run\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{0}\u{9b}done\n\tok";
        let safe = terminal_safe(hostile);
        assert!(
            !safe
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        );
        assert_eq!(
            safe,
            "run\\x1b]0;owned\\x07\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\x00\\x9bdone\n\tok"
        );
        assert!(matches!(
            terminal_safe("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
