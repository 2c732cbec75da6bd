//! Reading urlencoded forms and queries (repeated fields allowed) into core values, collecting every
//! field error so a page can show each next to its field.

use knots_core::journal::FieldError;
use knots_core::units::{self, Unit};
use knots_core::{Km, Nrs, Region};
use std::str::FromStr;

/// The fields of a form or query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses `a=1&b=2&b=3`.
    pub fn parse(raw: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(raw)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// Every value of `name` as sent, empty ones included and untrimmed (a textarea's text, a
    /// field being cleared).
    pub fn all_raw(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether a checkbox `name` is ticked.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| matches!(v, "on" | "true" | "1" | "yes"))
    }

    /// Re-encodes the fields (for links back to the same query).
    pub fn encode(&self, skip: &[&str]) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.0.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
            out.append_pair(k, v);
        }
        out.finish()
    }
}

/// Collects field errors while reading a form.
#[derive(Debug, Default)]
pub struct Reader {
    /// Errors so far.
    pub errors: Vec<FieldError>,
    /// What a distance typed without a unit means (`Unit::Km` by default).
    pub unit: Unit,
}

impl Reader {
    /// A reader whose plain numbers for distances are in `unit` (`6.2mi`, `10k` and `800m`
    /// carry their own).
    pub fn in_unit(unit: Unit) -> Reader {
        Reader {
            errors: Vec::new(),
            unit,
        }
    }

    /// A required value parsed with `FromStr`.
    pub fn required<T: FromStr>(&mut self, f: &Fields, name: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        match f.get(name) {
            None => {
                self.errors.push(FieldError::new(name, "is required"));
                None
            }
            Some(v) => self.parse(name, v),
        }
    }

    /// An optional value parsed with `FromStr`.
    pub fn optional<T: FromStr>(&mut self, f: &Fields, name: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        f.get(name).and_then(|v| self.parse(name, v))
    }

    /// Parses one value (e.g. of a repeated field), recording an error under `name`.
    pub fn parse<T: FromStr>(&mut self, name: &str, v: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        match v.parse::<T>() {
            Ok(t) => Some(t),
            Err(e) => {
                self.errors.push(FieldError::new(name, e));
                None
            }
        }
    }

    /// A 0-10 score.
    pub fn nrs(&mut self, f: &Fields, name: &str, required: bool) -> Option<Nrs> {
        if required {
            self.required(f, name)
        } else {
            self.optional(f, name)
        }
    }

    /// An optional distance, typed with a unit (`10k`, `6.2mi`, `800m`) or as a plain number in
    /// the reader's unit; kilometres.
    pub fn km(&mut self, f: &Fields, name: &str) -> Option<Km> {
        let v = f.get(name)?;
        match units::parse_distance(v, self.unit) {
            Ok(km) => Some(km),
            Err(e) => {
                self.errors.push(FieldError::new(name, e));
                None
            }
        }
    }

    /// A required distance, as [`Reader::km`].
    pub fn required_km(&mut self, f: &Fields, name: &str) -> Option<Km> {
        if f.get(name).is_none() {
            self.errors.push(FieldError::new(name, "is required"));
            return None;
        }
        self.km(f, name)
    }

    /// An optional duration in minutes: `30`, `30:00` (mm:ss) or `1:05:00` (h:mm:ss).
    pub fn minutes(&mut self, f: &Fields, name: &str) -> Option<f64> {
        let v = f.get(name)?;
        match units::parse_minutes(v) {
            Ok(m) => Some(m),
            Err(e) => {
                self.errors.push(FieldError::new(name, e));
                None
            }
        }
    }

    /// Regions (repeated field), at least one.
    pub fn regions(&mut self, f: &Fields, name: &str) -> Vec<Region> {
        let given = f.all(name);
        if given.is_empty() {
            self.errors
                .push(FieldError::new(name, "pick at least one region"));
        }
        given
            .into_iter()
            .filter_map(|v| self.parse(name, v))
            .collect()
    }

    /// A non-negative number.
    pub fn amount(&mut self, f: &Fields, name: &str) -> Option<f64> {
        let v: f64 = self.optional(f, name)?;
        if v.is_finite() && v >= 0.0 {
            Some(v)
        } else {
            self.errors
                .push(FieldError::new(name, format!("must be 0 or more, got {v}")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_errors() {
        let f = Fields::parse(b"region=lateral_knee&region=lateral_kne&pain=11&x=");
        let mut r = Reader::default();
        assert_eq!(r.regions(&f, "region").len(), 1);
        assert!(r.nrs(&f, "pain", true).is_none());
        assert!(r.nrs(&f, "tenderness", true).is_none());
        let fields: Vec<&str> = r.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["region", "pain", "tenderness"]);
        assert_eq!(f.get("x"), None);
    }

    #[test]
    fn distances_take_units_and_default_to_the_readers() {
        let f = Fields::parse(b"a=6.2mi&b=10k&c=800m&d=5&e=5+furlongs&t=30%3A30");
        let mut r = Reader::in_unit(Unit::Mi);
        let km = |k: Option<Km>| k.map(Km::value);
        assert!((km(r.km(&f, "a")).unwrap() - 6.2 * units::KM_PER_MILE).abs() < 1e-9);
        assert_eq!(km(r.km(&f, "b")), Some(10.0));
        assert_eq!(km(r.km(&f, "c")), Some(0.8));
        assert!((km(r.km(&f, "d")).unwrap() - 5.0 * units::KM_PER_MILE).abs() < 1e-9);
        assert_eq!(r.km(&f, "none"), None);
        assert!(r.errors.is_empty());
        assert_eq!(r.km(&f, "e"), None);
        assert_eq!(r.required_km(&f, "none"), None);
        assert_eq!(r.minutes(&f, "t"), Some(30.5));
        let fields: Vec<&str> = r.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["e", "none"]);
        assert_eq!(km(Reader::default().km(&f, "d")), Some(5.0));
    }
}
