//! The bounds every number and text of a record must keep, in one table, so that every entry path
//! (CLI, forms, the JSON API, session files, `import-json`, imported files) refuses the same
//! values and the analytics never meet an infinite distance, a NaN or a million-day series.
//!
//! Numbers: [`BOUNDS`], checked by [`check_number`]. Dates are kept between 1900 and now by the
//! record rules (`journal.rs`). Text: no NUL or other control characters (line breaks and tabs
//! are allowed in free text), at most [`MAX_TEXT_BYTES`] (free text) or [`MAX_NAME_BYTES`]
//! (names), and a name needs a visible character — checked by [`check_text`] over a record's
//! export form, so both back ends hold the same text.

use crate::journal::FieldError;

/// The largest number and its unit for a numeric field of a record, by field name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The field, as in the export (`km`, `minutes`, …).
    pub field: &'static str,
    /// The largest value accepted (the smallest is 0 for all of them).
    pub max: f64,
    /// What the number counts, for messages.
    pub unit: &'static str,
}

/// Every numeric field's bound. A value must be finite, 0 or more and at most `max`. Fields that
/// appear in several kinds share a bound that fits all (a run's `minutes` is also bounded by the
/// run rules' speed checks).
pub const BOUNDS: &[Bound] = &[
    Bound {
        field: "km",
        max: 250.0,
        unit: "km",
    },
    Bound {
        field: "minutes",
        max: 2880.0,
        unit: "minutes",
    },
    Bound {
        field: "pain_onset_km",
        max: 250.0,
        unit: "km",
    },
    Bound {
        field: "onset_km",
        max: 250.0,
        unit: "km",
    },
    Bound {
        field: "ppt_kg_cm2",
        max: 20.0,
        unit: "kg/cm²",
    },
    Bound {
        field: "water_l",
        max: 20.0,
        unit: "litres",
    },
    Bound {
        field: "sleep_h",
        max: 24.0,
        unit: "hours",
    },
    Bound {
        field: "initial_km",
        max: 20_000.0,
        unit: "km",
    },
    Bound {
        field: "limit_km",
        max: 20_000.0,
        unit: "km",
    },
    Bound {
        field: "leg_length_diff_mm",
        max: 100.0,
        unit: "mm",
    },
    Bound {
        field: "hours",
        max: crate::journal::MAX_REACTION_HOURS,
        unit: "hours",
    },
    Bound {
        field: "distance_m",
        max: 1_000_000.0,
        unit: "m",
    },
    Bound {
        field: "elapsed_s",
        max: 2_592_000.0,
        unit: "s",
    },
    Bound {
        field: "timer_s",
        max: 2_592_000.0,
        unit: "s",
    },
    Bound {
        field: "ascent_m",
        max: 20_000.0,
        unit: "m",
    },
    Bound {
        field: "avg_hr",
        max: 300.0,
        unit: "beats/min",
    },
    Bound {
        field: "max_hr",
        max: 300.0,
        unit: "beats/min",
    },
    Bound {
        field: "avg_cadence",
        max: 400.0,
        unit: "per minute",
    },
    Bound {
        field: "max_cadence",
        max: 400.0,
        unit: "per minute",
    },
];

/// The most bytes of a free-text field (a note, a SOAP field): 64 KiB.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// The most bytes of a name (a shoe, a therapist, an activity, a target): 1 KiB.
pub const MAX_NAME_BYTES: usize = 1024;

/// Text fields that are names: short, one line, with a visible character.
const NAMES: &[&str] = &["name", "therapist", "target", "sport"];

/// Checks one number against its bound in [`BOUNDS`] (a field without a bound only has to be
/// finite).
///
/// # Errors
/// The field, with the bound, for a value that is not finite, negative, or above the bound.
///
/// # Examples
/// ```
/// use knots_core::bounds::check_number;
/// assert!(check_number("km", 42.2).is_ok());
/// assert!(check_number("km", 1e308).is_err());
/// assert!(check_number("water_l", f64::NAN).is_err());
/// ```
pub fn check_number(field: &str, value: f64) -> Result<(), FieldError> {
    if !value.is_finite() {
        return Err(FieldError::new(
            field,
            format!("must be a number, got {value}"),
        ));
    }
    let Some(bound) = BOUNDS.iter().find(|b| b.field == field) else {
        return Ok(());
    };
    if !(0.0..=bound.max).contains(&value) {
        return Err(FieldError::new(
            field,
            format!("must be 0-{} {}, got {value}", bound.max, bound.unit),
        ));
    }
    Ok(())
}

/// Whether a character shows nothing: whitespace, zero-width and format characters.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{034F}')
}

/// Checks one text field: no NUL or control character (free text may hold line breaks and
/// tabs), within its length, and a name shows something.
///
/// # Errors
/// The field and what is wrong.
pub fn check_text(field: &str, text: &str) -> Result<(), FieldError> {
    let is_name = NAMES.contains(&field);
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && (is_name || !matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(FieldError::new(
            field,
            format!("must not hold the control character U+{:04X}", u32::from(c)),
        ));
    }
    let max = if is_name {
        MAX_NAME_BYTES
    } else {
        MAX_TEXT_BYTES
    };
    if text.len() > max {
        return Err(FieldError::new(
            field,
            format!("is {} bytes long; at most {max}", text.len()),
        ));
    }
    if is_name && !text.is_empty() && text.chars().all(invisible) {
        return Err(FieldError::new(field, "must show at least one character"));
    }
    Ok(())
}

/// Checks every number and text of a record in its export form (a JSON object, possibly with
/// nested lists) against [`BOUNDS`] and the text rules.
///
/// # Errors
/// The first value out of bounds, naming its field.
pub fn check_record(value: &serde_json::Value) -> Result<(), FieldError> {
    fn walk(field: &str, v: &serde_json::Value) -> Result<(), FieldError> {
        match v {
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(x) => check_number(field, x),
                None => Err(FieldError::new(field, "is not a number")),
            },
            serde_json::Value::String(s) => check_text(field, s),
            serde_json::Value::Array(items) => items.iter().try_for_each(|i| walk(field, i)),
            serde_json::Value::Object(fields) => fields.iter().try_for_each(|(k, v)| walk(k, v)),
            _ => Ok(()),
        }
    }
    walk("record", value)
}

/// Makes text read from a file fit the text rules: control characters dropped (line breaks and
/// tabs kept in free text), cut to its length on a character boundary.
pub fn clean_text(field: &str, text: &str) -> String {
    let is_name = NAMES.contains(&field);
    let max = if is_name {
        MAX_NAME_BYTES
    } else {
        MAX_TEXT_BYTES
    };
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        if c.is_control() && (is_name || !matches!(c, '\n' | '\r' | '\t')) {
            continue;
        }
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_outside_their_bounds_name_the_field() {
        assert_eq!(check_number("km", 250.5).unwrap_err().field, "km");
        assert!(check_number("minutes", -1.0).is_err());
        assert!(check_number("sleep_h", 24.0).is_ok());
        assert!(check_number("unbounded", 1e300).is_ok());
        assert!(check_number("unbounded", f64::INFINITY).is_err());
    }

    #[test]
    fn text_rules() {
        assert!(check_text("note", "line one\nline two\tok").is_ok());
        assert!(check_text("note", "nul\0here").is_err());
        assert!(check_text("note", "\u{1b}]0;title\u{7}").is_err());
        assert!(check_text("name", "two\nlines").is_err());
        assert!(check_text("name", "\u{200B}").is_err(), "zero width only");
        assert!(check_text("name", " \u{200B} ").is_err());
        assert!(check_text("name", "Pegasus 40").is_ok());
        assert!(check_text("name", &"x".repeat(1025)).is_err());
        assert!(check_text("note", &"x".repeat(64 * 1024)).is_ok());
        assert!(check_text("note", &"x".repeat(64 * 1024 + 1)).is_err());
    }

    #[test]
    fn a_record_is_walked_whole() {
        let ok = serde_json::json!({"km": 5.0, "note": "fine", "regions": ["lateral_knee"]});
        assert!(check_record(&ok).is_ok());
        let bad = serde_json::json!({"km": 5.0, "findings": [{"note": "a\0b"}]});
        assert_eq!(check_record(&bad).unwrap_err().field, "note");
        let far = serde_json::json!({"session": {"minutes": 1e9}});
        assert_eq!(check_record(&far).unwrap_err().field, "minutes");
    }

    proptest! {
        #[test]
        fn cleaned_text_always_passes(field in prop::sample::select(vec!["name", "note"]), text in ".{0,3000}") {
            let cleaned = clean_text(field, &text);
            // A name of only invisible characters stays one: cleaning does not invent text.
            if !(field == "name" && !cleaned.is_empty() && cleaned.chars().all(invisible)) {
                prop_assert!(check_text(field, &cleaned).is_ok(), "{:?}", cleaned);
            }
        }
    }
}
