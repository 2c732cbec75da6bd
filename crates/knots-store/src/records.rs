//! How each kind of record maps to its table's columns, written once for every engine: a column
//! list and a conversion each way. Instants and dates are RFC 3339 / ISO 8601 text (they read back
//! exactly), lists are JSON text, a stream is the compact byte string of `shared.rs`.

use crate::shared::{decode_stream, encode_stream};
use crate::sql::Value;
use knots_core::change::{Change, Kind, Record};
use knots_core::journal::{
    Activity, Checkin, Finding, PainReport, Profile, Reaction, Run, Session, Shoe, Treatment,
};
use knots_core::{Km, Nrs, TriggerPointId};
use std::str::FromStr;

/// Reads one row's values in column order, naming the column when a value does not fit.
pub(crate) struct Row<'a> {
    values: &'a [Value],
    columns: &'static [&'static str],
    next: usize,
}

/// A stored value that does not fit its column's meaning: the column and why.
pub(crate) type Bad = String;

impl<'a> Row<'a> {
    pub(crate) fn new(values: &'a [Value], columns: &'static [&'static str]) -> Row<'a> {
        Row {
            values,
            columns,
            next: 0,
        }
    }

    fn take(&mut self) -> (&'static str, &'a Value) {
        let i = self.next;
        self.next += 1;
        let column = self.columns.get(i).copied().unwrap_or("?");
        (column, self.values.get(i).unwrap_or(&Value::Null))
    }

    fn bad(column: &str, what: &str, v: &Value) -> Bad {
        format!("column `{column}`: expected {what}, found {v:?}")
    }

    pub(crate) fn int_opt(&mut self) -> Result<Option<i64>, Bad> {
        match self.take() {
            (_, Value::Null) => Ok(None),
            (_, Value::Int(v)) => Ok(Some(*v)),
            (_, Value::Bool(b)) => Ok(Some(i64::from(*b))),
            (c, v) => Err(Self::bad(c, "an integer", v)),
        }
    }

    pub(crate) fn int(&mut self) -> Result<i64, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.int_opt()?
            .ok_or_else(|| format!("column `{column}`: NULL where a value is required"))
    }

    pub(crate) fn real_opt(&mut self) -> Result<Option<f64>, Bad> {
        match self.take() {
            (_, Value::Null) => Ok(None),
            (_, Value::Real(v)) => Ok(Some(*v)),
            // SQLite returns a whole float stored in a REAL column as a float, but a value
            // written by another program may be an integer.
            #[allow(clippy::cast_precision_loss)]
            (_, Value::Int(v)) => Ok(Some(*v as f64)),
            (c, v) => Err(Self::bad(c, "a number", v)),
        }
    }

    pub(crate) fn real(&mut self) -> Result<f64, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.real_opt()?
            .ok_or_else(|| format!("column `{column}`: NULL where a value is required"))
    }

    pub(crate) fn bool_opt(&mut self) -> Result<Option<bool>, Bad> {
        match self.take() {
            (_, Value::Null) => Ok(None),
            (_, Value::Bool(b)) => Ok(Some(*b)),
            (_, Value::Int(0)) => Ok(Some(false)),
            (_, Value::Int(1)) => Ok(Some(true)),
            (c, v) => Err(Self::bad(c, "a boolean", v)),
        }
    }

    pub(crate) fn bool(&mut self) -> Result<bool, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.bool_opt()?
            .ok_or_else(|| format!("column `{column}`: NULL where a value is required"))
    }

    pub(crate) fn text_opt(&mut self) -> Result<Option<String>, Bad> {
        match self.take() {
            (_, Value::Null) => Ok(None),
            (_, Value::Text(t)) => Ok(Some(t.clone())),
            (c, v) => Err(Self::bad(c, "text", v)),
        }
    }

    pub(crate) fn text(&mut self) -> Result<String, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.text_opt()?
            .ok_or_else(|| format!("column `{column}`: NULL where a value is required"))
    }

    pub(crate) fn parsed_opt<T: FromStr>(&mut self) -> Result<Option<T>, Bad>
    where
        T::Err: ToString,
    {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.text_opt()?
            .map(|t| {
                t.parse()
                    .map_err(|e: T::Err| format!("column `{column}`: {}", e.to_string()))
            })
            .transpose()
    }

    pub(crate) fn parsed<T: FromStr>(&mut self) -> Result<T, Bad>
    where
        T::Err: ToString,
    {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.parsed_opt()?
            .ok_or_else(|| format!("column `{column}`: NULL where a value is required"))
    }

    pub(crate) fn json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        let text = self.text()?;
        serde_json::from_str(&text).map_err(|e| format!("column `{column}`: {e}"))
    }

    pub(crate) fn nrs_opt(&mut self) -> Result<Option<Nrs>, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.int_opt()?
            .map(|v| {
                u8::try_from(v)
                    .ok()
                    .and_then(|v| Nrs::new(v).ok())
                    .ok_or_else(|| format!("column `{column}`: {v} is not 0-10"))
            })
            .transpose()
    }

    pub(crate) fn nrs(&mut self) -> Result<Nrs, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.nrs_opt()?
            .ok_or_else(|| format!("column `{column}`: NULL where a value is required"))
    }

    pub(crate) fn km_opt(&mut self) -> Result<Option<Km>, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.real_opt()?
            .map(|v| Km::new(v).map_err(|e| format!("column `{column}`: {e}")))
            .transpose()
    }

    pub(crate) fn km(&mut self) -> Result<Km, Bad> {
        let column = self.columns.get(self.next).copied().unwrap_or("?");
        self.km_opt()?
            .ok_or_else(|| format!("column `{column}`: NULL where a value is required"))
    }

    pub(crate) fn blob(&mut self) -> Result<Vec<u8>, Bad> {
        match self.take() {
            (_, Value::Blob(b)) => Ok(b.clone()),
            (c, v) => Err(Self::bad(c, "bytes", v)),
        }
    }
}

fn text<T: ToString>(v: Option<T>) -> Value {
    v.map(|v| v.to_string()).into()
}

fn num(v: Option<Nrs>) -> Value {
    v.map(|v| i64::from(v.value())).into()
}

fn dist(v: Option<Km>) -> Value {
    v.map(Km::value).into()
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    // Lists of vocabulary words and journal values always serialize.
    Value::Text(serde_json::to_string(v).unwrap_or_else(|_| "null".into()))
}

/// A kind of record kept in a table of its own.
pub(crate) trait Table: Sized {
    /// The record kind (for messages and change events).
    const KIND: Kind;
    /// The table.
    const TABLE: &'static str;
    /// The columns besides `id`, in the order of [`Table::values`] and [`Table::read`].
    const COLUMNS: &'static [&'static str];
    /// The column values, in [`Table::COLUMNS`] order.
    fn values(&self) -> Vec<Value>;
    /// The record from its column values.
    fn read(row: &mut Row<'_>) -> Result<Self, Bad>;
    /// As a [`Record`].
    fn into_record(self) -> Record;
    /// From a [`Record`] of this kind.
    fn from_record(record: &Record) -> Option<&Self>;
}

macro_rules! record_kind {
    ($ty:ty, $variant:ident) => {
        fn into_record(self) -> Record {
            Record::$variant(self)
        }
        fn from_record(record: &Record) -> Option<&Self> {
            match record {
                Record::$variant(r) => Some(r),
                _ => None,
            }
        }
    };
}

impl Table for Shoe {
    const KIND: Kind = Kind::Shoe;
    const TABLE: &'static str = "shoes";
    const COLUMNS: &'static [&'static str] =
        &["name", "started", "retired", "initial_km", "limit_km"];
    fn values(&self) -> Vec<Value> {
        vec![
            self.name.as_str().into(),
            self.started.to_string().into(),
            text(self.retired),
            self.initial_km.into(),
            self.limit_km.into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Shoe {
            name: r.text()?,
            started: r.parsed()?,
            retired: r.parsed_opt()?,
            initial_km: r.real()?,
            limit_km: r.real()?,
        })
    }
    record_kind!(Shoe, Shoe);
}

impl Table for Run {
    const KIND: Kind = Kind::Run;
    const TABLE: &'static str = "runs";
    const COLUMNS: &'static [&'static str] = &[
        "date",
        "km",
        "minutes",
        "shoe_id",
        "surface",
        "camber",
        "pain_onset_km",
        "max_pain",
        "pain_next_morning",
        "rpe",
        "note",
    ];
    fn values(&self) -> Vec<Value> {
        vec![
            self.date.to_string().into(),
            self.km.value().into(),
            self.minutes.into(),
            self.shoe.into(),
            text(self.surface),
            self.camber.as_str().into(),
            dist(self.pain_onset_km),
            num(self.max_pain),
            num(self.pain_next_morning),
            num(self.rpe),
            self.note.clone().into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Run {
            date: r.parsed()?,
            km: r.km()?,
            minutes: r.real_opt()?,
            shoe: r.int_opt()?,
            surface: r.parsed_opt()?,
            camber: r.parsed()?,
            pain_onset_km: r.km_opt()?,
            max_pain: r.nrs_opt()?,
            pain_next_morning: r.nrs_opt()?,
            rpe: r.nrs_opt()?,
            note: r.text_opt()?,
        })
    }
    record_kind!(Run, Run);
}

impl Table for PainReport {
    const KIND: Kind = Kind::Pain;
    const TABLE: &'static str = "pain_reports";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "regions",
        "side",
        "pain",
        "context",
        "onset_km",
        "red_flags",
        "note",
    ];
    fn values(&self) -> Vec<Value> {
        vec![
            self.at.to_string().into(),
            json(&self.regions),
            self.side.as_str().into(),
            i64::from(self.pain.value()).into(),
            self.context.as_str().into(),
            dist(self.onset_km),
            json(&self.red_flags),
            self.note.clone().into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(PainReport {
            at: r.parsed()?,
            regions: r.json()?,
            side: r.parsed()?,
            pain: r.nrs()?,
            context: r.parsed()?,
            onset_km: r.km_opt()?,
            red_flags: r.json()?,
            note: r.text_opt()?,
        })
    }
    record_kind!(PainReport, Pain);
}

impl Table for Session {
    const KIND: Kind = Kind::Session;
    const TABLE: &'static str = "sessions";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "therapist",
        "subjective",
        "objective",
        "assessment",
        "plan",
        "pressure_ceiling",
        "relaxation",
        "minutes",
    ];
    fn values(&self) -> Vec<Value> {
        vec![
            self.at.to_string().into(),
            self.therapist.clone().into(),
            self.subjective.as_str().into(),
            self.objective.as_str().into(),
            self.assessment.as_str().into(),
            self.plan.as_str().into(),
            i64::from(self.pressure_ceiling.value()).into(),
            num(self.relaxation),
            self.minutes.into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Session {
            at: r.parsed()?,
            therapist: r.text_opt()?,
            subjective: r.text()?,
            objective: r.text()?,
            assessment: r.text()?,
            plan: r.text()?,
            pressure_ceiling: r.nrs()?,
            relaxation: r.nrs_opt()?,
            minutes: r.real_opt()?,
        })
    }
    record_kind!(Session, Session);
}

impl Table for Finding {
    const KIND: Kind = Kind::Finding;
    const TABLE: &'static str = "findings";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "trigger_point",
        "side",
        "tenderness",
        "taut_band",
        "reproduces",
        "ppt_kg_cm2",
        "session_id",
        "note",
    ];
    fn values(&self) -> Vec<Value> {
        vec![
            self.at.to_string().into(),
            self.trigger_point.as_str().into(),
            self.side.as_str().into(),
            i64::from(self.tenderness.value()).into(),
            self.taut_band.into(),
            self.reproduces.into(),
            self.ppt_kg_cm2.into(),
            self.session.into(),
            self.note.clone().into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Finding {
            at: r.parsed()?,
            trigger_point: TriggerPointId(r.text()?),
            side: r.parsed()?,
            tenderness: r.nrs()?,
            taut_band: r.bool()?,
            reproduces: r.bool()?,
            ppt_kg_cm2: r.real_opt()?,
            session: r.int_opt()?,
            note: r.text_opt()?,
        })
    }
    record_kind!(Finding, Finding);
}

impl Table for Treatment {
    const KIND: Kind = Kind::Treatment;
    const TABLE: &'static str = "treatments";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "kind",
        "target",
        "side",
        "pressure",
        "minutes",
        "given_by",
        "session_id",
        "note",
    ];
    fn values(&self) -> Vec<Value> {
        vec![
            self.at.to_string().into(),
            self.kind.as_str().into(),
            self.target.clone().into(),
            self.side.as_str().into(),
            num(self.pressure),
            self.minutes.into(),
            self.by.as_str().into(),
            self.session.into(),
            self.note.clone().into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Treatment {
            at: r.parsed()?,
            kind: r.parsed()?,
            target: r.text_opt()?,
            side: r.parsed()?,
            pressure: r.nrs_opt()?,
            minutes: r.real_opt()?,
            by: r.parsed()?,
            session: r.int_opt()?,
            note: r.text_opt()?,
        })
    }
    record_kind!(Treatment, Treatment);
}

impl Table for Reaction {
    const KIND: Kind = Kind::Reaction;
    const TABLE: &'static str = "reactions";
    const COLUMNS: &'static [&'static str] =
        &["at", "kind", "severity", "hours", "treatment_id", "note"];
    fn values(&self) -> Vec<Value> {
        vec![
            self.at.to_string().into(),
            self.kind.as_str().into(),
            i64::from(self.severity.value()).into(),
            self.hours.into(),
            self.treatment.into(),
            self.note.clone().into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Reaction {
            at: r.parsed()?,
            kind: r.parsed()?,
            severity: r.nrs()?,
            hours: r.real_opt()?,
            treatment: r.int_opt()?,
            note: r.text_opt()?,
        })
    }
    record_kind!(Reaction, Reaction);
}

impl Table for Checkin {
    const KIND: Kind = Kind::Checkin;
    const TABLE: &'static str = "checkins";
    const COLUMNS: &'static [&'static str] = &[
        "date",
        "morning_pain",
        "stiffness",
        "water_l",
        "potassium",
        "sleep_h",
        "note",
    ];
    fn values(&self) -> Vec<Value> {
        vec![
            self.date.to_string().into(),
            num(self.morning_pain),
            num(self.stiffness),
            self.water_l.into(),
            self.potassium.into(),
            self.sleep_h.into(),
            self.note.clone().into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Checkin {
            date: r.parsed()?,
            morning_pain: r.nrs_opt()?,
            stiffness: r.nrs_opt()?,
            water_l: r.real_opt()?,
            potassium: r.bool_opt()?,
            sleep_h: r.real_opt()?,
            note: r.text_opt()?,
        })
    }
    record_kind!(Checkin, Checkin);
}

impl Table for Activity {
    const KIND: Kind = Kind::Activity;
    const TABLE: &'static str = "activities";
    const COLUMNS: &'static [&'static str] = &[
        "run_id",
        "sport",
        "start",
        "start_s",
        "utc_offset_s",
        "source",
        "name",
        "distance_m",
        "elapsed_s",
        "timer_s",
        "ascent_m",
        "avg_hr",
        "max_hr",
        "avg_cadence",
        "max_cadence",
        "laps",
        "stream",
    ];
    fn values(&self) -> Vec<Value> {
        vec![
            self.run.into(),
            self.sport.as_str().into(),
            self.start.to_string().into(),
            self.start.as_second().into(),
            self.utc_offset_s.map(i64::from).into(),
            self.source.as_str().into(),
            self.name.clone().into(),
            self.distance_m.into(),
            self.elapsed_s.into(),
            self.timer_s.into(),
            self.ascent_m.into(),
            self.avg_hr.into(),
            self.max_hr.into(),
            self.avg_cadence.into(),
            self.max_cadence.into(),
            i64::from(self.laps).into(),
            Value::Blob(encode_stream(&self.stream)),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        let run = r.int_opt()?;
        let sport = r.text()?;
        let start = r.parsed()?;
        let _start_s = r.int()?;
        Ok(Activity {
            run,
            sport,
            start,
            utc_offset_s: r
                .int_opt()?
                .map(|v| i32::try_from(v).map_err(|e| format!("column `utc_offset_s`: {e}")))
                .transpose()?,
            source: r.text()?,
            name: r.text_opt()?,
            distance_m: r.real_opt()?,
            elapsed_s: r.real()?,
            timer_s: r.real_opt()?,
            ascent_m: r.real_opt()?,
            avg_hr: r.real_opt()?,
            max_hr: r.real_opt()?,
            avg_cadence: r.real_opt()?,
            max_cadence: r.real_opt()?,
            laps: u32::try_from(r.int()?).map_err(|e| format!("column `laps`: {e}"))?,
            stream: decode_stream(&r.blob()?).map_err(|e| format!("column `stream`: {e}"))?,
        })
    }
    record_kind!(Activity, Activity);
}

impl Table for Profile {
    const KIND: Kind = Kind::Profile;
    const TABLE: &'static str = "profile";
    const COLUMNS: &'static [&'static str] = &["leg_length_diff_mm", "longer_leg", "note"];
    fn values(&self) -> Vec<Value> {
        vec![
            self.leg_length_diff_mm.into(),
            text(self.longer_leg),
            self.note.clone().into(),
        ]
    }
    fn read(r: &mut Row<'_>) -> Result<Self, Bad> {
        Ok(Profile {
            leg_length_diff_mm: r.real_opt()?,
            longer_leg: r.parsed_opt()?,
            note: r.text_opt()?,
        })
    }
    record_kind!(Profile, Profile);
}

/// Change events are rows too, though not a [`Record`] kind: they are never edited.
pub(crate) const CHANGE_COLUMNS: &[&str] = &["at", "kind", "record_id", "action", "old", "new"];

pub(crate) fn change_values(c: &Change) -> Vec<Value> {
    vec![
        c.at.to_string().into(),
        c.kind.as_str().into(),
        c.record.into(),
        c.action.as_str().into(),
        json(&c.old),
        json(&c.new),
    ]
}

pub(crate) fn read_change(r: &mut Row<'_>) -> Result<Change, Bad> {
    Ok(Change {
        at: r.parsed()?,
        kind: r.parsed()?,
        record: r.int()?,
        action: r.parsed()?,
        old: r.json()?,
        new: r.json()?,
    })
}
