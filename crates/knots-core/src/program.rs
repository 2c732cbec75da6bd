//! Home programs as a runner's own journal holds them: read-only copies of what their practice
//! prescribed (clinic mode's `programs` and `program_items`), pulled by sync
//! (ARCHITECTURE.md, "Sync"). A program is a title and items; an item says what to do, how much
//! (the dose, in words), how many days a week and from when to when, and which days were ticked
//! (adherence, as the practice's server knows it).
//!
//! The practice owns programs: the journal never edits one, it only replaces or removes its copy
//! when a newer change arrives ([`ProgramChange`], last-writer-wins by the server's sequence).

use crate::bounds::check_text;
use crate::journal::FieldError;
use jiff::civil::Date;

/// Longest title, as the clinic accepts it.
pub const MAX_TITLE: usize = 200;
/// Longest "what", as the clinic accepts it.
pub const MAX_WHAT: usize = 300;
/// Longest dose, as the clinic accepts it.
pub const MAX_DOSE: usize = 200;
/// Most items in a program, as the clinic accepts it.
pub const MAX_ITEMS: usize = 50;
/// Most ticks one item may carry (one a day for twenty years).
pub const MAX_TICKS: usize = 7400;

/// One prescribed item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramItem {
    /// Its global id (the same on the server and here).
    pub uid: String,
    /// What to do: "foam roll vastus lateralis".
    pub what: String,
    /// How much, in words: "60 s at ≤ 7/10".
    #[serde(default)]
    pub dose: String,
    /// Days a week, 1-7 (7: daily).
    pub per_week: u8,
    /// First day.
    pub start: Date,
    /// Last day (inclusive).
    pub end: Date,
    /// The days it was ticked done, ascending.
    #[serde(default)]
    pub ticks: Vec<Date>,
}

/// A home program: a title and its items.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// "Weeks 1-4 after the first session".
    pub title: String,
    /// The items, in the practice's order.
    pub items: Vec<ProgramItem>,
}

/// A change to one program as it travels: the server's sequence number, the program's global
/// id, and the program after the change or `None` when it was deleted (a tombstone).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProgramChange {
    /// The server's sequence number of this change.
    pub seq: i64,
    /// The program's global id.
    pub uid: String,
    /// The program after the change; `None`: deleted.
    pub program: Option<Program>,
}

/// A tick made in the runner's own journal, as it travels to the server: the item's global id,
/// the day, and whether it is done (`false`: the tick taken back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickChange {
    /// The item's global id.
    pub item: String,
    /// The day.
    pub date: Date,
    /// Done (`true`) or taken back.
    pub done: bool,
}

/// Whether `id` looks like a global id (a UUID's hex digits and dashes).
pub fn global_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

impl Program {
    /// Checks what the clinic checks, and the text rules of every record, naming the field.
    ///
    /// # Errors
    /// The first broken rule, naming `title` or `items[i].field`.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.title.trim().is_empty() || self.title.len() > MAX_TITLE {
            return Err(FieldError::new("title", "1 to 200 characters"));
        }
        check_text("title", &self.title)?;
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(FieldError::new("items", "a program has 1 to 50 items"));
        }
        for (i, item) in self.items.iter().enumerate() {
            let at = |f: &str| format!("items[{i}].{f}");
            if !global_id(&item.uid) {
                return Err(FieldError::new(at("uid"), "a global id is a UUID"));
            }
            if item.what.trim().is_empty() || item.what.len() > MAX_WHAT {
                return Err(FieldError::new(at("what"), "1 to 300 characters"));
            }
            check_text(&at("what"), &item.what)?;
            if item.dose.len() > MAX_DOSE {
                return Err(FieldError::new(at("dose"), "at most 200 characters"));
            }
            check_text(&at("dose"), &item.dose)?;
            if !(1..=7).contains(&item.per_week) {
                return Err(FieldError::new(at("per_week"), "1 to 7 days a week"));
            }
            if item.end < item.start {
                return Err(FieldError::new(at("end"), "the end is before the start"));
            }
            if item.ticks.len() > MAX_TICKS {
                return Err(FieldError::new(at("ticks"), "too many ticks"));
            }
        }
        Ok(())
    }
}

impl ProgramItem {
    /// Whether the item runs on `day`.
    pub fn runs_on(&self, day: Date) -> bool {
        self.start <= day && day <= self.end
    }

    /// Whether `day` is ticked done.
    pub fn done_on(&self, day: Date) -> bool {
        self.ticks.contains(&day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn item() -> ProgramItem {
        ProgramItem {
            uid: "0190a1b2-0000-4000-8000-000000000001".into(),
            what: "foam roll vastus lateralis".into(),
            dose: "60 s".into(),
            per_week: 7,
            start: date(2026, 11, 1),
            end: date(2026, 11, 30),
            ticks: vec![date(2026, 11, 2)],
        }
    }

    #[test]
    fn a_program_is_checked_field_by_field() {
        let ok = Program {
            title: "Weeks 1-4".into(),
            items: vec![item()],
        };
        assert_eq!(ok.validate(), Ok(()));
        let mut bad = ok.clone();
        bad.items[0].per_week = 8;
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("items[0].per_week".into())
        );
        let mut bad = ok.clone();
        bad.items[0].end = date(2026, 10, 1);
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("items[0].end".into())
        );
        let mut bad = ok.clone();
        bad.title = "a\u{7}b".into();
        assert_eq!(bad.validate().map_err(|e| e.field), Err("title".into()));
        let mut bad = ok;
        bad.items[0].uid = "x; DROP".into();
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("items[0].uid".into())
        );
    }

    #[test]
    fn an_item_runs_between_its_dates_and_is_done_on_its_ticks() {
        let i = item();
        assert!(i.runs_on(date(2026, 11, 1)) && i.runs_on(date(2026, 11, 30)));
        assert!(!i.runs_on(date(2026, 12, 1)));
        assert!(i.done_on(date(2026, 11, 2)) && !i.done_on(date(2026, 11, 3)));
    }
}
