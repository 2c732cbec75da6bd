//! What the server computes from whole records — a record page's body, the report as JSON, a
//! therapist's client list — kept until a record it was computed from changes, so that a second
//! look costs a lookup rather than five years read and the report computed again.
//!
//! A result is keyed by an id (the client; for a list, the user), what it is ([`Use`]), a stamp of
//! the records it was computed from ([`Version`]: clinic migration `0013` keeps each client's
//! record version, which the audit trigger sets on every write to any of the client's clinical
//! rows, in the same transaction) and the day it was computed for; it is also dropped after
//! [`MAX_AGE`], so a report that depends on the time of day is at most that old. The caller reads
//! the stamp before the records (or in the same snapshot), so a result is never kept under a
//! stamp newer than its data. The cache holds at most [`Cache::new`]'s budget of bytes, dropping
//! the oldest results first. A record's results are the same for whoever may see the client (what
//! depends on the viewer — their role's controls, their CSRF token — is put in when the page is
//! served), and every request still checks that the viewer may see the client, and audits a
//! therapist's read, before it looks here.

use jiff::civil::Date;
use std::collections::HashMap;
use std::sync::Mutex;
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
    /// A user's client list (`GET /clients`, `GET /api/clients`), keyed by the user.
    List,
}

/// Where the record page's body takes the viewer's controls: an HTML comment, which text from
/// the journal can never produce (the templates escape `<`).
pub const CONTROLS: &str = "<!--controls-->";

/// What a result was computed from: it is valid while this is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The records': a client's record version (0 before its first write) for a record's
    /// results; for a list, the number of clients listed, their highest record version and the
    /// sum of their ids (so a client that joins or leaves the list changes it too).
    pub stamp: [i64; 3],
    /// The day it was computed for.
    pub day: Date,
}

impl Version {
    /// The version of one client's record.
    pub fn record(version: i64, day: Date) -> Version {
        Version {
            stamp: [version, 0, 0],
            day,
        }
    }
}

#[derive(Debug)]
struct Entry<V> {
    version: Version,
    made: Instant,
    bytes: usize,
    value: V,
}

#[derive(Debug)]
struct Entries<V> {
    map: HashMap<(i64, Use), Entry<V>>,
    bytes: usize,
}

/// The cache of computed results of one type (see the module's text).
#[derive(Debug)]
pub struct Cache<V> {
    entries: Mutex<Entries<V>>,
    budget: usize,
}

impl<V: Clone> Cache<V> {
    /// An empty cache that holds at most `budget` bytes of results.
    pub fn new(budget: usize) -> Cache<V> {
        Cache {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                bytes: 0,
            }),
            budget,
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries<V>> {
        // The map is consistent after any panic (each change is one insert or remove).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The result for `id`'s `what` at `version`, when one is kept and fresh.
    pub fn get(&self, id: i64, what: Use, version: Version) -> Option<V> {
        let entries = self.entries();
        let e = entries.map.get(&(id, what))?;
        (e.version == version && e.made.elapsed() < MAX_AGE).then(|| e.value.clone())
    }

    /// Keeps `value` (about `bytes` large) as `id`'s `what` at `version`, dropping the oldest
    /// results while the budget is exceeded (a result larger than the whole budget is not kept).
    pub fn put(&self, id: i64, what: Use, version: Version, value: V, bytes: usize) {
        if bytes > self.budget {
            return;
        }
        let mut entries = self.entries();
        if let Some(old) = entries.map.insert(
            (id, what),
            Entry {
                version,
                made: Instant::now(),
                bytes,
                value,
            },
        ) {
            entries.bytes -= old.bytes;
        }
        entries.bytes += bytes;
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
                entries.bytes -= e.bytes;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn v(record: i64) -> Version {
        Version::record(record, jiff::civil::date(2026, 11, 27))
    }

    fn put(cache: &Cache<Arc<str>>, id: i64, version: Version, text: &str) {
        cache.put(id, Use::Page, version, text.into(), text.len());
    }

    #[test]
    fn a_result_is_kept_for_its_version_and_day_only() {
        let cache = Cache::new(1 << 20);
        put(&cache, 1, v(7), "page");
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
        let cache: Cache<Arc<str>> = Cache::new(10);
        put(&cache, 1, v(1), "aaaa");
        put(&cache, 2, v(1), "bbbb");
        put(&cache, 3, v(1), "cccc");
        assert_eq!(cache.get(1, Use::Page, v(1)), None);
        assert!(cache.get(2, Use::Page, v(1)).is_some());
        assert!(cache.get(3, Use::Page, v(1)).is_some());
        // Replacing a result counts its new size only.
        put(&cache, 3, v(2), "cc");
        assert!(cache.get(2, Use::Page, v(1)).is_some());
        assert_eq!(cache.entries().bytes, 6);
        // Larger than the whole budget: not kept, nothing else dropped.
        put(&cache, 4, v(1), &"x".repeat(11));
        assert_eq!(cache.get(4, Use::Page, v(1)), None);
        assert_eq!(cache.entries().bytes, 6);
    }
}
