//! What the server computes from a client's whole record — the record page's body, the report
//! as JSON — kept until the record changes, so that a therapist's second look at a record costs
//! a lookup rather than five years read and the report computed again.
//!
//! A result is keyed by the client, what it is ([`Use`]), the client's record version (clinic
//! migration `0013`: the audit trigger sets it on every write to any of the client's clinical rows,
//! in the same transaction) and the day it was computed for; it is also dropped after
//! [`MAX_AGE`], so a report that depends on the time of day is at most that old. The caller reads
//! the version before the record, so a cached result is never keyed by a version newer than its
//! data. The cache holds at most [`Cache::new`]'s byte budget of results, dropping the oldest
//! first. It holds rendered text only: whoever may see the client gets the same text (what
//! depends on the viewer — their role's controls, their CSRF token — is put in when the page is
//! served), and every request still checks that the viewer may see the client, and audits a
//! therapist's read, before it looks here.

use jiff::civil::Date;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a result is kept at most, whatever the version.
pub const MAX_AGE: Duration = Duration::from_secs(10 * 60);

/// What a cached result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Use {
    /// The record page's body (`GET /clients/{id}`), with [`CONTROLS`] where the viewer's
    /// controls go.
    Page,
    /// The report API's answer (`GET /api/clients/{id}/report`).
    Report,
}

/// Where the record page's body takes the viewer's controls: an HTML comment, which text from
/// the journal can never produce (the templates escape `<`).
pub const CONTROLS: &str = "<!--controls-->";

/// The key a result is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The client's record version (0 before its first write).
    pub record: i64,
    /// The day it was computed for.
    pub day: Date,
}

#[derive(Debug)]
struct Entry {
    version: Version,
    made: Instant,
    text: Arc<str>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<(i64, Use), Entry>,
    bytes: usize,
}

/// The cache of computed results (see the module's text).
#[derive(Debug)]
pub struct Cache {
    entries: Mutex<Entries>,
    budget: usize,
}

impl Cache {
    /// An empty cache that holds at most `budget` bytes of text.
    pub fn new(budget: usize) -> Cache {
        Cache {
            entries: Mutex::new(Entries::default()),
            budget,
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map is consistent after any panic (each change is one insert or remove).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The result for `client`'s `what` at `version`, when one is kept and fresh.
    pub fn get(&self, client: i64, what: Use, version: Version) -> Option<Arc<str>> {
        let entries = self.entries();
        let e = entries.map.get(&(client, what))?;
        (e.version == version && e.made.elapsed() < MAX_AGE).then(|| e.text.clone())
    }

    /// Keeps `text` as `client`'s `what` at `version`, dropping the oldest results while the
    /// budget is exceeded (a text larger than the whole budget is not kept).
    pub fn put(&self, client: i64, what: Use, version: Version, text: Arc<str>) {
        if text.len() > self.budget {
            return;
        }
        let mut entries = self.entries();
        let size = text.len();
        if let Some(old) = entries.map.insert(
            (client, what),
            Entry {
                version,
                made: Instant::now(),
                text,
            },
        ) {
            entries.bytes -= old.text.len();
        }
        entries.bytes += size;
        while entries.bytes > self.budget {
            let Some(oldest) = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.made)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(e) = entries.map.remove(&oldest) {
                entries.bytes -= e.text.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(record: i64) -> Version {
        Version {
            record,
            day: jiff::civil::date(2026, 11, 27),
        }
    }

    #[test]
    fn a_result_is_kept_for_its_version_and_day_only() {
        let cache = Cache::new(1 << 20);
        cache.put(1, Use::Page, v(7), "page".into());
        assert_eq!(cache.get(1, Use::Page, v(7)).as_deref(), Some("page"));
        assert_eq!(cache.get(1, Use::Page, v(8)), None, "the record changed");
        assert_eq!(cache.get(1, Use::Report, v(7)), None, "another use");
        assert_eq!(cache.get(2, Use::Page, v(7)), None, "another client");
        let tomorrow = Version {
            day: jiff::civil::date(2026, 11, 28),
            ..v(7)
        };
        assert_eq!(cache.get(1, Use::Page, tomorrow), None, "another day");
    }

    #[test]
    fn the_oldest_results_go_when_the_budget_is_spent() {
        let cache = Cache::new(10);
        cache.put(1, Use::Page, v(1), "aaaa".into());
        cache.put(2, Use::Page, v(1), "bbbb".into());
        cache.put(3, Use::Page, v(1), "cccc".into());
        assert_eq!(cache.get(1, Use::Page, v(1)), None);
        assert!(cache.get(2, Use::Page, v(1)).is_some());
        assert!(cache.get(3, Use::Page, v(1)).is_some());
        // Replacing a result counts its new size only.
        cache.put(3, Use::Page, v(2), "cc".into());
        assert!(cache.get(2, Use::Page, v(1)).is_some());
        assert_eq!(cache.entries().bytes, 6);
        // Larger than the whole budget: not kept, nothing else dropped.
        cache.put(4, Use::Page, v(1), "x".repeat(11).into());
        assert_eq!(cache.get(4, Use::Page, v(1)), None);
        assert_eq!(cache.entries().bytes, 6);
    }
}
