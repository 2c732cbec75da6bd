//! Helpers shared by the GPX and TCX readers: text decoding, error places, root sniffing.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::error::Error;

/// The document as UTF-8 text, plus a warning when it had to be transcoded.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Option<String>), Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let utf16 = |le: bool, body: &[u8]| -> Result<(Cow<'static, str>, Option<String>), Error> {
        let units = body.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        Ok((Cow::Owned(text), None))
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8_or_latin1(rest),
        [0xFF, 0xFE, rest @ ..] => utf16(true, rest),
        [0xFE, 0xFF, rest @ ..] => utf16(false, rest),
        _ => utf8_or_latin1(bytes),
    }
}

fn utf8_or_latin1(bytes: &[u8]) -> Result<(Cow<'_, str>, Option<String>), Error> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((Cow::Borrowed(s), None)),
        Err(e) => {
            // Old GPX writers declare ISO-8859-1 (or nothing) and write Latin-1 names. Every byte
            // is a valid Latin-1 character, so this never fails; numbers and times are ASCII.
            let text: String = bytes.iter().map(|&b| char::from(b)).collect();
            let warning = (!declares_latin1(bytes)).then(|| {
                format!(
                    "the file is not valid utf-8 (first bad byte at {}): read it as latin-1",
                    e.valid_up_to()
                )
            });
            Ok((Cow::Owned(text), warning))
        }
    }
}

fn declares_latin1(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.starts_with("<?xml")
        && (head.contains("iso-8859-1") || head.contains("latin1") || head.contains("windows-1252"))
}

/// 1-based line and column (in characters) of byte `pos` of `text`.
pub(crate) fn line_col(text: &str, pos: usize) -> (u64, u64) {
    let b = text.as_bytes();
    let pos = pos.min(b.len());
    let before = &b[..pos];
    let line = before.iter().filter(|&&c| c == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = before[line_start..]
        .iter()
        .filter(|&&c| c & 0xC0 != 0x80)
        .count() as u64
        + 1;
    (line, column)
}

/// The first byte at or after `pos` that is not XML whitespace (events start after the
/// whitespace the reader trimmed).
pub(crate) fn skip_ws(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let mut i = pos.min(b.len());
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// An [`Error::Xml`] at byte `pos` of `text`.
pub(crate) fn error_at(text: &str, pos: usize, reason: impl Into<String>) -> Error {
    let (line, column) = line_col(text, pos);
    Error::Xml {
        line,
        column,
        reason: reason.into(),
    }
}

/// The text of an element's raw content: entity and character references resolved, CDATA
/// markers removed. (Reading names from the source span keeps the spaces around `&amp;`
/// that the reader's text trimming would drop.)
/// Checks that the document's first element is `expected`; otherwise an error at `pos` naming
/// what was found (GPX and TCX both start this way).
pub(crate) fn expect_root(
    text: &str,
    pos: usize,
    found: &str,
    expected: &str,
) -> Result<(), Error> {
    if found == expected {
        return Ok(());
    }
    Err(error_at(
        text,
        skip_ws(text, pos),
        format!("expected a `<{expected}>` root element, found `<{found}>`"),
    ))
}

/// [`unescape`] of at most `cap` bytes of the result: a text of hundreds of MB costs `cap`.
/// Returns the text and, when it was cut, the raw length in bytes (for the warning).
pub(crate) fn unescape_capped(raw: &str, cap: usize) -> (String, Option<usize>) {
    // A reference is at most 12 bytes (`&#x10FFFF;`), so `12 * cap` raw bytes give at least
    // `cap` bytes of text.
    let (head, cut) = crate::activity::truncate(raw.trim(), cap.saturating_mul(12));
    let text = unescape(head);
    let (kept, cut_again) = crate::activity::truncate(&text, cap);
    if cut || cut_again {
        (kept.to_string(), Some(raw.trim().len()))
    } else {
        (text, None)
    }
}

pub(crate) fn unescape(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
        .map_or(raw, |inner| inner);
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let name = &after[..end];
        let resolved = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match resolved {
            Some(c) => out.push(c),
            None => {
                out.push('&');
                out.push_str(name);
                out.push(';');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// A short, printable excerpt of text for messages.
pub(crate) fn excerpt(s: &str) -> String {
    let s = s.trim();
    let cut: String = s.chars().take(24).collect();
    let cut = cut.escape_debug().to_string();
    if s.chars().count() > 24 {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The local name of the document's root element.
///
/// # Errors
///
/// [`Error::Xml`] when the text is not XML (text or garbage before any element) or has no element.
pub(crate) fn root_name(text: &str) -> Result<String, Error> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    loop {
        let pos = reader.buffer_position() as usize;
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return Ok(e.local_name().as_ref().to_string());
            }
            Ok(Event::Text(t)) => {
                return Err(error_at(
                    text,
                    skip_ws(text, pos),
                    format!("expected an xml element, found text `{}`", excerpt(&t)),
                ));
            }
            Ok(Event::Eof) => {
                return Err(error_at(
                    text,
                    pos,
                    "expected an xml element, found the end of the file",
                ));
            }
            Ok(_) => {}
            Err(e) => {
                return Err(error_at(
                    text,
                    reader.error_position() as usize,
                    e.to_string(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_lines_and_character_columns() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\né", 5), (2, 2));
        assert_eq!(line_col("abc", 99), (1, 4));
    }

    #[test]
    fn sniffs_roots_and_rejects_plain_text() {
        assert_eq!(
            root_name("<?xml version=\"1.0\"?>\n<!-- hi -->\n<gpx/>").ok(),
            Some("gpx".into())
        );
        assert_eq!(
            root_name("<a:TrainingCenterDatabase xmlns:a='x'>").ok(),
            Some("TrainingCenterDatabase".into())
        );
        let err = root_name("milk\neggs\n").expect_err("plain text");
        assert_eq!(
            err.to_string(),
            "xml at line 1, column 1: expected an xml element, found text `milk\\neggs`"
        );
    }

    #[test]
    fn caps_unescaped_text() {
        assert_eq!(unescape_capped("a &amp; b", 5), ("a & b".to_string(), None));
        assert_eq!(
            unescape_capped("a &amp; bc", 5),
            ("a & b".to_string(), Some(10))
        );
        let huge = "x".repeat(1 << 20);
        let (kept, cut) = unescape_capped(&huge, 1024);
        assert_eq!((kept.len(), cut), (1024, Some(1 << 20)));
    }

    #[test]
    fn unescapes_names() {
        assert_eq!(unescape(" Run &amp; coffee "), "Run & coffee");
        assert_eq!(unescape("&#233;t&#xE9; &bogus; & x"), "été &bogus; & x");
        assert_eq!(unescape("<![CDATA[a & b]]>"), "a & b");
    }

    #[test]
    fn decodes_boms_and_latin1() {
        let (t, w) = decode(b"\xEF\xBB\xBF<gpx/>").expect("utf-8 bom");
        assert_eq!((t.as_ref(), w), ("<gpx/>", None));
        let (t, w) = decode(b"\xFF\xFE<\0g\0/\0>\0").expect("utf-16");
        assert_eq!((t.as_ref(), w), ("<g/>", None));
        let (t, w) =
            decode(b"<?xml version='1.0' encoding='ISO-8859-1'?><n>J\xFCrg</n>").expect("latin-1");
        assert!(t.ends_with("<n>Jürg</n>"));
        assert_eq!(w, None);
        let (_, w) = decode(b"<n>J\xFCrg</n>").expect("undeclared latin-1");
        assert!(w.is_some());
    }
}
