//! Date and time helpers: a fast ISO 8601 reader for XML times and conversions to `jiff`.

use jiff::Timestamp;

/// A time read from text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ParsedTime {
    /// Seconds since the Unix epoch, UTC.
    pub(crate) unix: f64,
    /// The offset written in the text as `±hh:mm`; `None` for `Z` or no zone (then UTC).
    pub(crate) offset_s: Option<i32>,
    /// Whether the text named a zone (`Z` or an offset).
    pub(crate) zoned: bool,
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let mut v = 0i64;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` (RFC 3339 and the ISO 8601 forms GPX and TCX
/// writers use, with a space or `T`, with or without zone); other forms go to jiff's parser.
/// What reading the times of one XML file found: the first local offset, and how many times had no
/// zone or could not be read (with the first of those, for the warning). Shared by GPX and TCX.
#[derive(Debug, Default)]
pub(crate) struct TimeLog {
    /// The first `±hh:mm` offset seen.
    pub(crate) offset_s: Option<i32>,
    unzoned: usize,
    bad: usize,
    first_bad: Option<(usize, String)>,
}

impl TimeLog {
    /// Parses a time found at byte `pos`, noting what it says about zones and whether it was read.
    pub(crate) fn read(&mut self, s: &str, pos: usize) -> Option<ParsedTime> {
        let t = parse_time(s);
        match &t {
            Some(t) => {
                if !t.zoned {
                    self.unzoned += 1;
                }
                if self.offset_s.is_none() {
                    self.offset_s = t.offset_s;
                }
            }
            None => {
                self.bad += 1;
                if self.first_bad.is_none() {
                    self.first_bad = Some((pos, crate::xml::excerpt(s)));
                }
            }
        }
        t
    }

    /// The warnings about unreadable and zoneless times, naming them `what` ("times", "track
    /// point times").
    pub(crate) fn warn(&self, text: &str, what: &str, warnings: &mut Vec<String>) {
        if self.bad > 0 {
            let (pos, example) = self.first_bad.clone().unwrap_or_default();
            let (line, column) = crate::xml::line_col(text, pos);
            warnings.push(format!(
                "{} {what} could not be read (the first, `{example}`, at line {line}, column {column}): those points have no time",
                self.bad
            ));
        }
        if self.unzoned > 0 {
            warnings.push(format!(
                "{} {what} have no time zone: read them as utc",
                self.unzoned
            ));
        }
    }
}

pub(crate) fn parse_time(text: &str) -> Option<ParsedTime> {
    let t = text.trim();
    fast_time(t.as_bytes()).or_else(|| {
        let ts: Timestamp = t.parse().ok()?;
        Some(ParsedTime {
            unix: ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) * 1e-9,
            offset_s: None,
            zoned: true,
        })
    })
}

fn fast_time(b: &[u8]) -> Option<ParsedTime> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (h, mi, s) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 24 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac = 0.0;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let mut scale = 0.1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            frac += f64::from(c - b'0') * scale;
            scale *= 0.1;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let zoned = i < b.len();
    let offset_s = match b.get(i) {
        None => None,
        Some(b'Z' | b'z') if i + 1 == b.len() => None,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let om = match b.len() - (i + 3) {
                0 => 0,
                3 if b[i + 3] == b':' => digits(b, i + 4, 2)?,
                2 => digits(b, i + 3, 2)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = (oh * 3600 + om * 60) as i32;
            Some(if sign == b'-' { -o } else { o })
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s
        - i64::from(offset_s.unwrap_or(0));
    Some(ParsedTime {
        unix: secs as f64 + frac,
        offset_s,
        zoned,
    })
}

/// A timestamp from seconds since the Unix epoch, or `None` when out of jiff's range.
///
/// Rounded to the microsecond: an `f64` of seconds near today carries only about 0.2 µs, and
/// no activity file records finer times.
pub(crate) fn timestamp(unix: f64) -> Option<Timestamp> {
    if !unix.is_finite() || unix.abs() > 1e15 {
        return None;
    }
    let secs = unix.floor();
    let micros = ((unix - secs) * 1e6).round() as i32;
    let (secs, micros) = if micros >= 1_000_000 {
        (secs as i64 + 1, 0)
    } else {
        (secs as i64, micros)
    };
    Timestamp::new(secs, micros * 1000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(&str, Option<i32>)>) {
        let got = parse_time(text).map(|p| (timestamp(p.unix).map(|t| t.to_string()), p.offset_s));
        let expected = expected.map(|(t, o)| (Some(t.to_string()), o));
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn reads_the_forms_found_in_gpx_and_tcx() {
        check("2012-12-26T21:29:53Z", Some(("2012-12-26T21:29:53Z", None)));
        check(
            "2015-12-11T15:43:13.994+01:00",
            Some(("2015-12-11T14:43:13.994Z", Some(3600))),
        );
        check(
            "2016-05-27T10:08:47.8Z",
            Some(("2016-05-27T10:08:47.8Z", None)),
        );
        check("2010-08-05T14:23:59", Some(("2010-08-05T14:23:59Z", None)));
        check(
            "2010-08-05 14:23:59-0500",
            Some(("2010-08-05T19:23:59Z", Some(-18000))),
        );
        check(
            "2024-02-29T00:00:00+00:00",
            Some(("2024-02-29T00:00:00Z", Some(0))),
        );
        check("1969-12-31T23:59:59Z", Some(("1969-12-31T23:59:59Z", None)));
        check("2023-02-29T00:00:00Z", None);
        check("yesterday-ish", None);
        check("2012-12-26T21:29:53Zjunk", None);
        check("", None);
    }
}
