//! Units at the edges: distances typed with a unit (`10k`, `6.2mi`, `800m`), durations typed as
//! `mm:ss`, `h:mm:ss` or minutes, and distances and paces formatted in the runner's preferred unit.
//!
//! The journal, the store and every JSON output stay metric (kilometres and minutes); this module
//! is only for what a person types and reads. It is pure: the preference comes in as a [`Unit`]
//! argument (the CLI reads it from `KNOTS_UNITS` or its config file; a web page may keep its own).
//!
//! ```
//! use knots_core::units::{self, Unit};
//! let onset = units::parse_distance("1mi", Unit::Km).unwrap();
//! assert!((onset.value() - 1.609344).abs() < 1e-9);
//! assert_eq!(units::format_distance(onset.value(), Unit::Mi), "1.0 mi");
//! assert_eq!(units::parse_minutes("30:00").unwrap(), 30.0);
//! assert_eq!(units::format_pace(25.0, 5.0, Unit::Km).as_deref(), Some("5:00 /km"));
//! ```

use crate::Km;
use std::fmt;

/// Kilometres in one international mile.
pub const KM_PER_MILE: f64 = 1.609_344;

/// A unit of distance for what a person reads and types.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Kilometres (paces in min/km).
    #[default]
    Km,
    /// Miles (paces in min/mi).
    Mi,
}

impl Unit {
    /// The unit's short name: `km` or `mi`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Km => "km",
            Unit::Mi => "mi",
        }
    }

    /// Kilometres in one of this unit.
    pub fn km(self) -> f64 {
        match self {
            Unit::Km => 1.0,
            Unit::Mi => KM_PER_MILE,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Unit {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "km" | "k" | "kilometres" | "kilometers" | "metric" => Ok(Unit::Km),
            "mi" | "mile" | "miles" | "imperial" => Ok(Unit::Mi),
            _ => Err(ParseError {
                expected: "km or mi",
                got: s.to_string(),
            }),
        }
    }
}

/// Text that is not a distance, a duration or a unit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{got}` is not {expected}")]
pub struct ParseError {
    /// What was expected.
    pub expected: &'static str,
    /// What was given.
    pub got: String,
}

const DISTANCE: &str =
    "a distance such as 10k, 10km, 6.2mi, 800m or a plain number in the preferred unit";
const DURATION: &str = "a duration such as 30 (minutes), 30:00 (mm:ss), 1:05:00 (h:mm:ss) or 1h05m";

/// Parses a typed distance into kilometres: `10k` and `10km`, `6.2mi` (also `mile`, `miles`),
/// `800m` (metres), or a plain number in `default` (the runner's preferred unit). Spaces between
/// number and unit, upper case and a decimal comma (`5,5km`; a comma before three digits, as in
/// `1,500m`, separates thousands) are accepted; negative, infinite and NaN values are not.
///
/// # Errors
/// [`ParseError`] naming what was expected.
///
/// # Examples
/// ```
/// use knots_core::units::{parse_distance, Unit};
/// assert_eq!(parse_distance("10k", Unit::Mi).unwrap().value(), 10.0);
/// assert_eq!(parse_distance("800m", Unit::Km).unwrap().value(), 0.8);
/// assert!((parse_distance("5", Unit::Mi).unwrap().value() - 8.04672).abs() < 1e-9);
/// assert!(parse_distance("-1km", Unit::Km).is_err());
/// ```
pub fn parse_distance(s: &str, default: Unit) -> Result<Km, ParseError> {
    let bad = || ParseError {
        expected: DISTANCE,
        got: s.to_string(),
    };
    let text = s.trim().to_ascii_lowercase();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number = match number.split_once(',') {
        None => number.to_string(),
        Some((whole, part)) if part.len() == 3 && !part.contains([',', '.']) => {
            format!("{whole}{part}")
        }
        Some((whole, part)) if !whole.contains('.') && !part.contains([',', '.']) => {
            format!("{whole}.{part}")
        }
        Some(_) => return Err(bad()),
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let km_per_unit = match unit.trim() {
        "" => default.km(),
        "k" | "km" | "kms" | "kilometre" | "kilometres" | "kilometer" | "kilometers" => 1.0,
        "mi" | "mile" | "miles" => KM_PER_MILE,
        "m" | "metre" | "metres" | "meter" | "meters" => 0.001,
        _ => return Err(bad()),
    };
    Km::new(value * km_per_unit).map_err(|_| bad())
}

/// Parses a duration into minutes: a plain number of minutes (`30`, `42.5`), `mm:ss` (`30:00`,
/// `4:30`), `h:mm:ss` (`1:05:00`), or with units (`45min`, `1h05`, `1h 5m 30s`, `90 minutes`;
/// hours, then minutes, then seconds, a bare number after one of them counting in the next).
/// Seconds and minutes after the first field must be below 60.
///
/// # Errors
/// [`ParseError`] naming what was expected.
///
/// # Examples
/// ```
/// use knots_core::units::parse_minutes;
/// assert_eq!(parse_minutes("42.5").unwrap(), 42.5);
/// assert_eq!(parse_minutes("4:30").unwrap(), 4.5);
/// assert_eq!(parse_minutes("1:05:00").unwrap(), 65.0);
/// assert_eq!(parse_minutes("1h05").unwrap(), 65.0);
/// assert_eq!(parse_minutes("4m30s").unwrap(), 4.5);
/// assert!(parse_minutes("4:75").is_err());
/// ```
pub fn parse_minutes(s: &str) -> Result<f64, ParseError> {
    let bad = || ParseError {
        expected: DURATION,
        got: s.to_string(),
    };
    let text = s.trim();
    if text.chars().any(|c| c.is_ascii_alphabetic()) {
        return with_units(text).ok_or_else(bad);
    }
    let fields: Vec<&str> = text.split(':').collect();
    let number = |f: &str| -> Result<f64, ParseError> {
        if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(bad());
        }
        f.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(bad)
    };
    let sixty = |f: &str| number(f).and_then(|v| if v < 60.0 { Ok(v) } else { Err(bad()) });
    match fields.as_slice() {
        [m] => number(m),
        [m, s] => Ok(number(m)? + sixty(s)? / 60.0),
        [h, m, s] => Ok(number(h)? * 60.0 + sixty(m)? + sixty(s)? / 60.0),
        _ => Err(bad()),
    }
}

/// A duration with units (`1h05m30s`, `45 min`) in minutes: each unit at most once, larger
/// ones first; a bare number after hours is minutes and after minutes is seconds (`1h05`, `4m30`).
fn with_units(text: &str) -> Option<f64> {
    // Minutes per unit, largest first: a later part must use a smaller unit.
    const UNITS: [(&[&str], f64); 3] = [
        (&["h", "hr", "hrs", "hour", "hours"], 60.0),
        (&["m", "min", "mins", "minute", "minutes"], 1.0),
        (&["s", "sec", "secs", "second", "seconds"], 1.0 / 60.0),
    ];
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.trim();
    let mut total = 0.0;
    // The index in UNITS the next part may use, at the smallest.
    let mut next = 0usize;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..end].parse().ok().filter(|v: &f64| v.is_finite())?;
        rest = rest[end..].trim_start();
        let unit_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let (unit, after) = rest.split_at(unit_end);
        rest = after.trim_start();
        let index = if unit.is_empty() {
            // A bare number ends the text and counts in the unit after the last one.
            (rest.is_empty() && next > 0 && next < UNITS.len()).then_some(next)?
        } else {
            UNITS
                .iter()
                .position(|(names, _)| names.contains(&unit))
                .filter(|i| *i >= next)?
        };
        total += value * UNITS[index].1;
        next = index + 1;
    }
    (next > 0).then_some(total)
}

/// A distance in kilometres as text in `unit`, one decimal: `5.0 km`, `3.1 mi`. Never `-0.0`.
///
/// # Examples
/// ```
/// use knots_core::units::{format_distance, Unit};
/// assert_eq!(format_distance(10.0, Unit::Mi), "6.2 mi");
/// assert_eq!(format_distance(-0.0, Unit::Km), "0.0 km");
/// ```
pub fn format_distance(km: f64, unit: Unit) -> String {
    format!("{} {unit}", number(km / unit.km(), 1))
}

/// A number with `decimals` decimals, for tables (convert with [`Unit::km`] first). A value that
/// rounds to zero is written without a minus sign.
pub fn number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

/// A duration in minutes as `m:ss` or `h:mm:ss`, rounded to the second.
///
/// # Examples
/// ```
/// assert_eq!(knots_core::units::format_minutes(30.0), "30:00");
/// assert_eq!(knots_core::units::format_minutes(65.5), "1:05:30");
/// ```
pub fn format_minutes(minutes: f64) -> String {
    let total = (minutes.max(0.0) * 60.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The pace of `km` covered in `minutes`, per `unit`: `5:30 /km`, `8:51 /mi`. `None` without a
/// positive, finite distance and duration.
pub fn format_pace(minutes: f64, km: f64, unit: Unit) -> Option<String> {
    let per_unit = minutes / (km / unit.km());
    (km > 0.0 && minutes > 0.0 && per_unit.is_finite())
        .then(|| format!("{} /{unit}", format_minutes(per_unit)))
}

/// `text` (written in kilometres, as the analytics words are) with every distance and pace turned
/// into `unit`: a number directly followed by ` km` (`10.0 km`, `+0.4 km`, `1.07 km per week`)
/// and a pace followed by ` min/km` are converted, keeping the number's decimals and its sign.
/// Words such as "pain-free km" or "10K" are left alone; in [`Unit::Km`] the text is unchanged.
///
/// # Examples
/// ```
/// use knots_core::units::{localize, Unit};
/// assert_eq!(localize("run 10.0 km, then (+1.6 km)", Unit::Mi), "run 6.2 mi, then (+1.0 mi)");
/// assert_eq!(localize("pace 6.0 min/km; 5 kms", Unit::Mi), "pace 9.7 min/mi; 5 kms");
/// assert_eq!(localize("run 10.0 km", Unit::Km), "run 10.0 km");
/// ```
pub fn localize(text: &str, unit: Unit) -> String {
    if unit == Unit::Km {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        // The earliest " km" or " min/km" ending at a word boundary.
        let found = [(" min/km", true), (" km", false)]
            .iter()
            .filter_map(|(pat, pace)| {
                let mut from = 0;
                while let Some(i) = rest[from..].find(pat) {
                    let at = from + i;
                    let end = at + pat.len();
                    if !rest[end..].starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                        return Some((at, end, *pace));
                    }
                    from = end;
                }
                None
            })
            .min_by_key(|(at, _, _)| *at);
        let Some((at, end, pace)) = found else {
            out.push_str(rest);
            return out;
        };
        let before = &rest[..at];
        let digits = before.len()
            - before
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
                .len();
        let mut start = at - digits;
        let signed = before[..start].ends_with(['+', '-']);
        if signed {
            start -= 1;
        }
        let boundary = !before[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        match before[start..].parse::<f64>() {
            Ok(value) if digits > 0 && boundary && value.is_finite() => {
                let decimals = before[at - digits..at]
                    .split_once('.')
                    .map_or(0, |(_, d)| d.len());
                let converted = if pace {
                    value * unit.km()
                } else {
                    value / unit.km()
                };
                out.push_str(&before[..start]);
                if signed {
                    out.push_str(&format!("{converted:+.decimals$}"));
                } else {
                    out.push_str(&number(converted, decimals));
                }
                out.push_str(if pace { " min/" } else { " " });
                out.push_str(unit.as_str());
            }
            _ => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations_with_units() {
        let m = |s: &str| parse_minutes(s).ok();
        assert_eq!(m("45m"), Some(45.0));
        assert_eq!(m("45 min"), Some(45.0));
        assert_eq!(m("90 minutes"), Some(90.0));
        assert_eq!(m("1h"), Some(60.0));
        assert_eq!(m("1h05"), Some(65.0));
        assert_eq!(m("1h 5m"), Some(65.0));
        assert_eq!(m("1H05M30S"), Some(65.5));
        assert_eq!(m("4m30"), Some(4.5));
        assert_eq!(m("30s"), Some(0.5));
        // Units out of order, repeated or unknown, and bare numbers not after a unit.
        for bad in ["5m1h", "5m5m", "1h05x", "1h 5 6", "h", "1d", "30s5", "m5"] {
            assert_eq!(m(bad), None, "{bad}");
        }
    }

    #[test]
    fn distances_with_a_decimal_comma() {
        let km = |s: &str| parse_distance(s, Unit::Km).map(Km::value).ok();
        assert_eq!(km("5,5km"), Some(5.5));
        assert_eq!(km("5,5"), Some(5.5));
        assert_eq!(km("1,500m"), Some(1.5));
        assert_eq!(km("1.5,5km"), None);
        assert_eq!(km("1,5,5km"), None);
    }

    #[test]
    fn units_and_suffixes() {
        let km = |s: &str, d| parse_distance(s, d).map(Km::value);
        assert_eq!(km("10k", Unit::Km), Ok(10.0));
        assert_eq!(km(" 10 KM ", Unit::Mi), Ok(10.0));
        assert_eq!(km("1mi", Unit::Km), Ok(KM_PER_MILE));
        assert_eq!(km("2 miles", Unit::Km), Ok(2.0 * KM_PER_MILE));
        assert_eq!(km("800m", Unit::Mi), Ok(0.8));
        assert_eq!(km("5", Unit::Km), Ok(5.0));
        assert_eq!(km("1", Unit::Mi), Ok(KM_PER_MILE));
        for bad in ["", "k", "10 furlongs", "1e3", "-5", "inf", "NaN", "1.2.3km"] {
            assert!(parse_distance(bad, Unit::Km).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_without_negative_zero() {
        assert_eq!(format_distance(-0.0, Unit::Mi), "0.0 mi");
        assert_eq!(format_distance(-0.01, Unit::Km), "0.0 km");
        assert_eq!(format_distance(-1.0, Unit::Km), "-1.0 km");
        assert_eq!(
            format_pace(44.0, 8.0, Unit::Km).as_deref(),
            Some("5:30 /km")
        );
        assert_eq!(format_pace(30.0, 0.0, Unit::Km), None);
        assert_eq!(format_minutes(0.0), "0:00");
    }

    #[test]
    fn localize_converts_numbers_before_km_only() {
        assert_eq!(
            localize("the last 7 days (23.0 km), at most 29.9 km.", Unit::Mi),
            "the last 7 days (14.3 mi), at most 18.6 mi."
        );
        assert_eq!(
            localize("growing (+1.07 km per week); -0.0 km", Unit::Mi),
            "growing (+0.66 mi per week); -0.0 mi"
        );
        // Not a distance: no number, a number glued to a word, "kms", "10K".
        for same in [
            "pain-free km",
            "v2 km",
            "step3 km",
            "5 kms",
            "a 10K",
            "km 5",
            "x.km",
        ] {
            assert_eq!(localize(same, Unit::Mi), same);
        }
        assert_eq!(localize("5 km", Unit::Mi), "3 mi");
        assert_eq!(localize("é 5 km", Unit::Mi), "é 3 mi");
    }

    proptest! {
        /// A distance formatted with its unit and three decimals parses back to itself.
        #[test]
        fn distance_round_trips(v in 0.0f64..10_000.0, mi in any::<bool>(), default_mi in any::<bool>()) {
            let unit = if mi { Unit::Mi } else { Unit::Km };
            let default = if default_mi { Unit::Mi } else { Unit::Km };
            let typed = format!("{:.3}{unit}", v);
            let km = parse_distance(&typed, default).unwrap().value();
            prop_assert!((km / unit.km() - v).abs() < 0.001);
        }

        /// A plain number is read in the preferred unit.
        #[test]
        fn plain_number_is_the_preference(v in 0.0f64..1000.0) {
            let typed = format!("{v:.4}");
            let mi = parse_distance(&typed, Unit::Mi).unwrap().value();
            let km = parse_distance(&typed, Unit::Km).unwrap().value();
            prop_assert!((mi - km * KM_PER_MILE).abs() < 1e-9);
        }

        /// Any text gives a non-negative finite distance or an error, never a panic.
        #[test]
        fn any_text_is_safe(s in "\\PC{0,12}") {
            if let Ok(km) = parse_distance(&s, Unit::Km) {
                prop_assert!(km.value().is_finite() && km.value() >= 0.0);
            }
            if let Ok(m) = parse_minutes(&s) {
                prop_assert!(m.is_finite() && m >= 0.0);
            }
        }

        /// The same time written with units, in any spelling and spacing, is the same minutes.
        #[test]
        fn unit_durations_match_clock_ones(h in 0u64..48, m in 0u64..60, sec in 0u64..60, spaced in any::<bool>(), long in any::<bool>()) {
            let gap = if spaced { " " } else { "" };
            let (hn, mn, sn) = if long { ("hours", "min", "sec") } else { ("h", "m", "s") };
            let text = format!("{h}{hn}{gap}{m}{mn}{gap}{sec}{sn}");
            let clock = format!("{h}:{m:02}:{sec:02}");
            let (a, b) = (parse_minutes(&text).unwrap(), parse_minutes(&clock).unwrap());
            prop_assert!((a - b).abs() < 1e-9, "{text} {a} vs {clock} {b}");
        }

        /// `h:mm:ss` written from whole seconds parses back to the same minutes.
        #[test]
        fn clock_durations_round_trip(seconds in 0u64..360_000) {
            let text = format_minutes(seconds as f64 / 60.0);
            let back = parse_minutes(&text).unwrap();
            prop_assert!((back * 60.0 - seconds as f64).abs() < 1e-6);
        }

        /// Localizing never panics and leaves text without " km" alone.
        #[test]
        fn localize_is_safe(s in "\\PC{0,24}") {
            let out = localize(&s, Unit::Mi);
            if !s.contains(" km") {
                prop_assert_eq!(out, s);
            }
        }
    }
}
