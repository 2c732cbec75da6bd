//! `knots plan --ics FILE`: the plan's sessions as an iCalendar file (RFC 5545), one all-day event
//! per planned session, for any calendar app.
//!
//! Written by hand (a dozen property lines) rather than with a crate: content lines end in CRLF,
//! lines longer than 75 octets are folded (CRLF and a space, never inside a UTF-8 character), and
//! TEXT values escape `\`, `;`, `,` and newlines (RFC 5545 3.1 and 3.3.11). A session's UID is
//! made from its date, so importing a redrawn plan again updates each day's event instead of adding
//! a second one.

use jiff::Timestamp;
use knots_core::analytics::plan::Plan;
use knots_core::units::{self, Unit};

/// The longest content line, in octets, before it is folded (RFC 5545 3.1).
const LINE_OCTETS: usize = 75;

/// `text` as an iCalendar TEXT value: `\` `;` `,` escaped, newlines as `\n`, carriage returns
/// dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at [`LINE_OCTETS`] octets (continuation lines start with a space,
/// which counts), each physical line ending in CRLF.
fn fold(line: &str, out: &mut String) {
    let mut room = LINE_OCTETS;
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > room {
            out.push_str("\r\n ");
            room = LINE_OCTETS - 1;
            used = 0;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The plan as an iCalendar document: one all-day `VEVENT` per session, its distance in `unit` in
/// the summary, and in the description the session, the week's condition, the plan's rules and
/// the disclaimer. `stamp` is the `DTSTAMP` of every event (when the file was made).
pub fn calendar(plan: &Plan, disclaimer: &str, unit: Unit, stamp: Timestamp) -> String {
    let stamp = stamp.strftime("%Y%m%dT%H%M%SZ").to_string();
    let day = |d: jiff::civil::Date| d.strftime("%Y%m%d").to_string();
    let rules: Vec<String> = plan
        .rules
        .iter()
        .map(|r| format!("- {}", units::localize(r, unit)))
        .collect();
    let mut out = String::new();
    let mut line = |l: String| fold(&l, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//knots//return-to-run plan//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line("X-WR-CALNAME:knots return-to-run plan".into());
    for week in &plan.weeks {
        for s in &week.sessions {
            let next = s.date.tomorrow().unwrap_or(s.date);
            let what = units::localize(&s.text, unit);
            let description = format!(
                "{what}\nWeek {} ({}): {}\n\nRules:\n{}\n\n{disclaimer}",
                week.number,
                units::format_distance(week.km, unit),
                week.condition,
                rules.join("\n")
            );
            line("BEGIN:VEVENT".into());
            line(format!("UID:knots-plan-{}@knots", s.date));
            line(format!("DTSTAMP:{stamp}"));
            line(format!("DTSTART;VALUE=DATE:{}", day(s.date)));
            line(format!("DTEND;VALUE=DATE:{}", day(next)));
            line(format!(
                "SUMMARY:{}",
                escape(&format!(
                    "knots: {} {}",
                    s.kind,
                    units::format_distance(s.km, unit)
                ))
            ));
            line(format!("DESCRIPTION:{}", escape(&description)));
            line("TRANSP:TRANSPARENT".into());
            line("END:VEVENT".into());
        }
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Zoned;
    use knots_core::analytics::{Options, report};

    /// The content lines of `ics`, unfolded (RFC 5545 3.1), after checking every physical line.
    fn unfold(ics: &str) -> Vec<String> {
        assert!(ics.ends_with("\r\n"));
        let mut lines: Vec<String> = Vec::new();
        for physical in ics.strip_suffix("\r\n").unwrap_or(ics).split("\r\n") {
            assert!(!physical.contains(['\r', '\n']), "a bare CR or LF");
            assert!(physical.len() <= LINE_OCTETS, "{} octets", physical.len());
            match physical.strip_prefix(' ') {
                Some(rest) => lines.last_mut().expect("a first line").push_str(rest),
                None => lines.push(physical.to_string()),
            }
        }
        lines
    }

    /// A TEXT value unescaped.
    fn unescape(value: &str) -> String {
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(x) => out.push(x),
                    None => panic!("a lone backslash"),
                }
            } else {
                assert!(c != ',' && c != ';', "unescaped {c} in {value}");
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn escaping_and_folding() {
        assert_eq!(escape("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        let long = format!("DESCRIPTION:{}", "é".repeat(100));
        fold(&long, &mut out);
        let lines = unfold(&out);
        assert_eq!(lines, vec![long]);
        // Never split inside a character: every physical line is valid UTF-8 by construction.
        assert!(out.split("\r\n").all(|l| l.len() <= LINE_OCTETS));
    }

    #[test]
    fn the_demo_plan_is_one_event_per_session_and_reads_back() {
        let now: Zoned = "2026-11-25T20:00[UTC]".parse().unwrap();
        let j = knots_core::demo::journal(now.date(), now.time_zone().clone());
        let r = report(&j, &now, Options::default());
        let ics = calendar(&r.plan, r.disclaimer, Unit::Mi, now.timestamp());
        let lines = unfold(&ics);
        assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
        assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
        let sessions: Vec<_> = r.plan.weeks.iter().flat_map(|w| &w.sessions).collect();
        assert_eq!(
            lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(),
            sessions.len()
        );
        let get = |name: &str| -> Vec<&str> {
            lines.iter().filter_map(|l| l.strip_prefix(name)).collect()
        };
        let starts = get("DTSTART;VALUE=DATE:");
        assert_eq!(starts[0], sessions[0].date.strftime("%Y%m%d").to_string());
        let uids = get("UID:");
        let unique: std::collections::BTreeSet<_> = uids.iter().collect();
        assert_eq!(unique.len(), sessions.len(), "one stable UID per session");
        assert!(get("DTSTAMP:").iter().all(|s| *s == "20261125T200000Z"));
        let description = unescape(get("DESCRIPTION:")[0]);
        assert!(description.contains("Rules:\n- no week more than 30% above"));
        assert!(description.contains(" mi") && !description.contains(" km,"));
        assert!(description.ends_with(r.disclaimer));
        assert!(unescape(get("SUMMARY:")[0]).starts_with("knots: "));
        // The same plan gives the same file.
        assert_eq!(
            ics,
            calendar(&r.plan, r.disclaimer, Unit::Mi, now.timestamp())
        );
    }
}
