//! Editing and deleting any record from the page that shows it: `GET /journal/{kind}/{id}/edit`
//! is a form prefilled with the record's fields, its POST saves the fields that changed as a JSON
//! merge patch through `knots_app::record::edit` (a broken rule re-renders the form with 422 and
//! the errors next to their fields); `GET /journal/{kind}/{id}/delete` asks to confirm and says
//! what goes with the record, its POST deletes through `knots_app::record::delete`. Both POSTs
//! carry the CSRF token, and return to the page named by `back` (a local path).

use super::{distance_input, distance_value, field_error, layout, save, targets, with_status};
use crate::api::{kind_of, with_journal};
use crate::form::{Fields, Reader};
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use knots_app::Open;
use knots_app::record;
use knots_core::change::Kind;
use knots_core::journal::{
    By, Camber, Context, Entry, FieldError, ReactionKind, Shoe, Side, Surface, TreatmentKind,
};
use knots_core::units::Unit;
use knots_store::Deleted;
use maud::{Markup, html};
use serde_json::Value;
use std::sync::Arc;

/// The "Edit" and "Delete" links of one record, returning to `back` afterwards.
pub fn controls(kind: Kind, id: i64, back: &str) -> Markup {
    controls_to(kind, id, back, back)
}

/// [`controls`] for a record shown on its own page: after a delete, go to `gone` instead.
pub fn controls_to(kind: Kind, id: i64, back: &str, gone: &str) -> Markup {
    let enc = |path: &str| form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
    let (back, gone) = (enc(back), enc(gone));
    html! {
        span.controls {
            a href=(format!("/journal/{kind}/{id}/edit?back={back}")) aria-label=(format!("edit {} {id}", kind.noun())) { "Edit" }
            " "
            a href=(format!("/journal/{kind}/{id}/delete?back={gone}")) aria-label=(format!("delete {} {id}", kind.noun())) { "Delete" }
        }
    }
}

/// How a field is entered, and how its text becomes JSON.
#[derive(Debug)]
enum Input {
    /// One line; empty is `null`.
    Text,
    /// One line, offered the atlas's ids; empty is `null`.
    Target,
    /// A required line (a shoe's name); empty stays `""` for the rules to refuse.
    Name,
    /// Several lines that may be empty (a SOAP field).
    Soap,
    /// Several lines; empty is `null`.
    Note,
    /// A number; empty is `null`.
    Number,
    /// A distance in km, shown in the page's unit and typed with a unit or without (then in
    /// the page's unit); empty is `null`.
    Distance,
    /// A 0-10 score; empty is `null`.
    Score,
    /// `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 instant.
    Instant,
    /// A checkbox.
    Flag,
    /// One of these words; empty is `null`.
    Choice(Vec<String>),
    /// One of the journal's shoes by id; empty is `null`.
    Shoe,
}

/// One editable field: its JSON name, its label, its input.
#[derive(Debug)]
struct Field {
    name: &'static str,
    label: &'static str,
    input: Input,
}

fn words<T: std::fmt::Display>(all: &[T]) -> Input {
    Input::Choice(all.iter().map(ToString::to_string).collect())
}

/// The fields a form edits, per kind (`None`: not editable here). A pain report's regions and
/// warning signs, and an activity's recorded numbers, are not offered.
fn fields(kind: Kind) -> Option<Vec<Field>> {
    let f = |name, label, input| Field { name, label, input };
    let at = || f("at", "When (RFC 3339, UTC)", Input::Instant);
    let note = || f("note", "Note", Input::Note);
    let side = || f("side", "Side", words(Side::ALL));
    Some(match kind {
        Kind::Pain => vec![
            at(),
            side(),
            f("pain", "Pain 0-10", Input::Score),
            f("context", "When it hurts", words(Context::ALL)),
            f("onset_km", "Starts after (km)", Input::Distance),
            note(),
        ],
        Kind::Finding => vec![
            at(),
            f("trigger_point", "Trigger point", Input::Target),
            side(),
            f("tenderness", "Tenderness 0-10", Input::Score),
            f("taut_band", "Taut band", Input::Flag),
            f("reproduces", "Reproduces the symptom", Input::Flag),
            f(
                "ppt_kg_cm2",
                "Pressure-pain threshold kg/cm²",
                Input::Number,
            ),
            note(),
        ],
        Kind::Treatment => vec![
            at(),
            f("kind", "Kind", words(TreatmentKind::ALL)),
            f("target", "Target", Input::Target),
            side(),
            f("pressure", "Pressure 0-10", Input::Score),
            f("minutes", "Minutes", Input::Number),
            f("by", "By", words(By::ALL)),
            note(),
        ],
        Kind::Session => vec![
            at(),
            f("therapist", "Therapist", Input::Text),
            f("subjective", "Subjective", Input::Soap),
            f("objective", "Objective", Input::Soap),
            f("assessment", "Assessment (not a diagnosis)", Input::Soap),
            f("plan", "Plan", Input::Soap),
            f("pressure_ceiling", "Pressure ceiling 0-10", Input::Score),
            f("relaxation", "Client relaxed 0-10", Input::Score),
            f("minutes", "Minutes", Input::Number),
        ],
        Kind::Run => vec![
            f("date", "Date", Input::Date),
            f("km", "Distance (km)", Input::Distance),
            f("minutes", "Minutes", Input::Number),
            f("shoe", "Shoe", Input::Shoe),
            f("surface", "Surface", words(Surface::ALL)),
            f("camber", "Camber", words(Camber::ALL)),
            f("pain_onset_km", "Pain began after (km)", Input::Distance),
            f("max_pain", "Worst pain 0-10", Input::Score),
            f("pain_next_morning", "Pain next morning 0-10", Input::Score),
            f("rpe", "RPE 0-10", Input::Score),
            note(),
        ],
        Kind::Shoe => vec![
            f("name", "Name", Input::Name),
            f("started", "First worn", Input::Date),
            f("retired", "Retired on", Input::Date),
            f("initial_km", "Distance already on it (km)", Input::Distance),
            f("limit_km", "Replace after (km)", Input::Distance),
        ],
        Kind::Checkin => vec![
            f("date", "Date", Input::Date),
            f("morning_pain", "Morning pain 0-10", Input::Score),
            f("stiffness", "Stiffness 0-10", Input::Score),
            f("water_l", "Water, litres", Input::Number),
            f("potassium", "Potassium-rich food", Input::Flag),
            f("sleep_h", "Sleep, hours", Input::Number),
            note(),
        ],
        Kind::Reaction => vec![
            at(),
            f("kind", "Reaction", words(ReactionKind::ALL)),
            f("severity", "How bad 0-10", Input::Score),
            f("hours", "Lasted, hours", Input::Number),
            note(),
        ],
        Kind::Activity => vec![f("name", "Name", Input::Text)],
        Kind::Profile => return None,
    })
}

/// A stored JSON value as the text of its input.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The form's value of `field` as JSON, or a field error.
fn value(field: &Field, f: &Fields, r: &mut Reader) -> Option<Value> {
    let given = f.get(field.name);
    let raw = || {
        f.all_raw(field.name)
            .first()
            .map_or_else(String::new, |v| v.replace("\r\n", "\n"))
    };
    Some(match (&field.input, given) {
        (Input::Flag, _) => Value::Bool(f.flag(field.name)),
        (Input::Name, _) => Value::String(given.unwrap_or("").into()),
        (Input::Soap, _) => Value::String(raw().trim().into()),
        (_, None) => Value::Null,
        (Input::Number, Some(v)) => {
            let n: f64 = r.parse(field.name, v)?;
            serde_json::Number::from_f64(n).map(Value::Number)?
        }
        (Input::Distance, Some(_)) => {
            let km = r.km(f, field.name)?;
            serde_json::Number::from_f64(km.value()).map(Value::Number)?
        }
        (Input::Score, Some(v)) => Value::from(r.parse::<knots_core::Nrs>(field.name, v)?.value()),
        (Input::Shoe, Some(v)) => Value::from(r.parse::<i64>(field.name, v)?),
        (Input::Note, Some(_)) => Value::String(raw().trim().into()),
        (_, Some(v)) => Value::String(v.into()),
    })
}

/// A stored distance (km) as the text of its input in `unit`.
fn distance_text(v: &Value, unit: Unit) -> String {
    v.as_f64()
        .map_or_else(String::new, |km| distance_value(km, unit))
}

/// The merge patch of the fields whose form value differs from the stored one.
fn patch_of(spec: &[Field], f: &Fields, old: &Value, r: &mut Reader) -> Value {
    let mut patch = serde_json::Map::new();
    for field in spec {
        let Some(new) = value(field, f, r) else {
            continue;
        };
        let stored = old.get(field.name).unwrap_or(&Value::Null);
        // A distance left as the form showed it (rounded in miles) is unchanged.
        if matches!(field.input, Input::Distance)
            && f.get(field.name) == Some(distance_text(stored, r.unit).as_str())
        {
            continue;
        }
        // An unticked box for a check-in's unknown potassium stays unknown.
        let unchanged = new == *stored || (stored.is_null() && new == Value::Bool(false));
        if !unchanged {
            patch.insert(field.name.into(), new);
        }
    }
    Value::Object(patch)
}

/// `back` when it is a path on this server (never another site), else the timeline.
fn back_of(f: &Fields) -> String {
    match f.get("back") {
        // Visible ASCII only: it goes into a Location header (a CR or LF would break it).
        Some(b)
            if b.starts_with('/')
                && !b.starts_with("//")
                && !b.contains('\\')
                && b.bytes().all(|c| c.is_ascii_graphic()) =>
        {
            b.into()
        }
        _ => "/timeline".into(),
    }
}

/// What the form shows in each input: the stored values, or what was just entered.
enum Shown<'a> {
    Stored(&'a Value),
    Entered(&'a Fields),
}

impl Shown<'_> {
    fn text(&self, field: &Field, unit: Unit) -> String {
        let name = field.name;
        match self {
            Shown::Stored(v) if matches!(field.input, Input::Distance) => {
                distance_text(v.get(name).unwrap_or(&Value::Null), unit)
            }
            Shown::Stored(v) => text(v.get(name)),
            Shown::Entered(f) => f
                .all_raw(name)
                .first()
                .map_or_else(String::new, |v| (*v).into()),
        }
    }

    fn flag(&self, name: &str) -> bool {
        match self {
            Shown::Stored(v) => v.get(name) == Some(&Value::Bool(true)),
            Shown::Entered(f) => f.flag(name),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn edit_page(
    csrf: &str,
    unit: Unit,
    kind: Kind,
    id: i64,
    spec: &[Field],
    shown: &Shown<'_>,
    shoes: &[Entry<Shoe>],
    back: &str,
    errors: &[FieldError],
) -> Markup {
    let noun = kind.noun();
    layout(
        &format!("Edit {noun} {id}"),
        csrf,
        html! {
            h1 { "Edit " (noun) " " (id) }
            @if !errors.is_empty() {
                div.error role="alert" { p { "Nothing was saved:" } ul { @for e in errors { li { (e.field) ": " (e.message) } } } }
            }
            form #edit method="post" action=(format!("/journal/{kind}/{id}/edit")) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="back" value=(back);
                @for field in spec {
                    @let name = field.name;
                    @let current = shown.text(field, unit);
                    div.row {
                        @match &field.input {
                            Input::Flag => { label { input type="checkbox" name=(name) checked[shown.flag(name)]; " " (field.label) } }
                            Input::Soap | Input::Note => { label.wide { (field.label) " " textarea name=(name) rows="3" { (current) } } }
                            Input::Choice(words) => {
                                label { (field.label) " " select name=(name) {
                                    option value="" { "—" }
                                    @for w in words { option value=(w) selected[*w == current] { (w) } }
                                } }
                            }
                            Input::Shoe => {
                                label { (field.label) " " select name=(name) {
                                    option value="" { "—" }
                                    @for s in shoes { option value=(s.id) selected[s.id.to_string() == current] { (s.item.name) } }
                                } }
                            }
                            Input::Distance => {
                                label { (field.label.replace("km", unit.as_str())) " " (distance_input(name, Some(&current), unit, false)) }
                            }
                            Input::Number | Input::Score => {
                                label { (field.label) " " input type="number" name=(name) step="any" min="0" max=[matches!(field.input, Input::Score).then_some(10)] value=(current); }
                            }
                            Input::Date => { label { (field.label) " " input type="date" name=(name) value=(current); } }
                            Input::Target => { label { (field.label) " " input name=(name) list="targets" value=(current); } }
                            Input::Text | Input::Name | Input::Instant => { label { (field.label) " " input name=(name) value=(current); } }
                        }
                        (field_error(errors, name))
                    }
                }
                (field_error(errors, "record"))
                button type="submit" { "Save changes" }
                " " a href=(back) { "Cancel" }
            }
            (targets())
        },
    )
}

/// `GET /journal/{kind}/{id}/edit?back=…`: the record's fields in a form.
pub async fn edit_form<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path((kind, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Markup, AppError> {
    let kind = kind_of(&kind)?;
    let spec = fields(kind).ok_or_else(|| not_editable(kind))?;
    let q = Fields::parse(raw.unwrap_or_default().as_bytes());
    let (old, shoes) = with_journal(&state, |s| {
        Ok::<_, knots_store::Error>((s.record(kind, id)?, s.shoes()?))
    })?;
    let old = old.to_json();
    Ok(edit_page(
        &state.csrf,
        state.unit,
        kind,
        id,
        &spec,
        &Shown::Stored(&old),
        &shoes,
        &back_of(&q),
        &[],
    ))
}

/// `POST /journal/{kind}/{id}/edit`: saves the changed fields, or shows the form again (422).
pub async fn edit<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path((kind, id)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    check_token(f.get("csrf"), &state.csrf)?;
    let kind = kind_of(&kind)?;
    let spec = fields(kind).ok_or_else(|| not_editable(kind))?;
    let back = back_of(&f);
    let (old, shoes) = with_journal(&state, |s| {
        Ok::<_, knots_store::Error>((s.record(kind, id)?, s.shoes()?))
    })?;
    let mut r = Reader::in_unit(state.unit);
    let patch = patch_of(&spec, &f, &old.to_json(), &mut r);
    if r.errors.is_empty() && patch.as_object().is_some_and(serde_json::Map::is_empty) {
        return Ok(Redirect::to(&back).into_response());
    }
    match save(&state, r, |s, cx| record::edit(s, kind, id, &patch, cx))? {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            edit_page(
                &state.csrf,
                state.unit,
                kind,
                id,
                &spec,
                &Shown::Entered(&f),
                &shoes,
                &back,
                &errors,
            ),
        )),
    }
}

fn not_editable(kind: Kind) -> AppError {
    AppError::NotFound(format!("a {} is not edited here", kind.noun()))
}

/// What deleting a record takes with it, read before asking.
fn consequences(kind: Kind, goes: &Deleted, runs_wearing: usize) -> Vec<String> {
    let mut out = Vec::new();
    match kind {
        Kind::Session => out.push(format!(
            "Its {} finding(s) and {} treatment(s) are deleted with it.",
            goes.findings, goes.treatments
        )),
        Kind::Shoe if runs_wearing > 0 => out.push(format!(
            "{runs_wearing} run(s) wear this shoe: they are kept, without a shoe, if you tick \
             “detach”."
        )),
        Kind::Run if goes.activities_detached > 0 => {
            out.push("Its imported activity is kept, without its run.".into());
        }
        _ => {}
    }
    out
}

/// Reads the record (404 when missing) and what a delete would take with it.
fn delete_preview<S: Open>(
    state: &AppState<S>,
    kind: Kind,
    id: i64,
) -> Result<(Value, Deleted, usize), AppError> {
    with_journal(state, |s| {
        let record = s.record(kind, id)?;
        let mut goes = Deleted::default();
        let mut wearing = 0;
        match kind {
            Kind::Session => {
                let sr = s.session_record(id)?;
                goes.findings = sr.findings.len();
                goes.treatments = sr.treatments.len();
            }
            Kind::Shoe => {
                wearing = s.runs()?.iter().filter(|r| r.item.shoe == Some(id)).count();
            }
            Kind::Run => {
                goes.activities_detached = usize::from(s.activity_of_run(id)?.is_some());
            }
            _ => {}
        }
        let mut json = record.to_json();
        if let Some(fields) = json.as_object_mut() {
            fields.remove("stream");
        }
        Ok::<_, knots_store::Error>((json, goes, wearing))
    })
}

#[allow(clippy::too_many_arguments)]
fn delete_page(
    csrf: &str,
    kind: Kind,
    id: i64,
    record: &Value,
    goes: &Deleted,
    wearing: usize,
    back: &str,
    error: Option<&str>,
) -> Markup {
    let noun = kind.noun();
    layout(
        &format!("Delete {noun} {id}"),
        csrf,
        html! {
            h1 { "Delete " (noun) " " (id) "?" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            dl.record {
                @if let Some(fields) = record.as_object() {
                    @for (k, v) in fields.iter().filter(|(_, v)| !v.is_null()) { dt { (k) } dd { (text(Some(v))) } }
                }
            }
            @for c in consequences(kind, goes, wearing) { p.consequence { (c) } }
            p { "The change is kept in the journal's audit trail." }
            form #delete method="post" action=(format!("/journal/{kind}/{id}/delete")) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="back" value=(back);
                @if kind == Kind::Shoe && wearing > 0 {
                    label { input type="checkbox" name="detach"; " detach the " (wearing) " run(s) from this shoe" }
                }
                button type="submit" { "Delete " (noun) }
                " " a href=(back) { "Cancel" }
            }
        },
    )
}

/// `GET /journal/{kind}/{id}/delete?back=…`: the record, what goes with it, and a confirm button.
pub async fn delete_form<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path((kind, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Markup, AppError> {
    let kind = kind_of(&kind)?;
    let q = Fields::parse(raw.unwrap_or_default().as_bytes());
    let (record, goes, wearing) = delete_preview(&state, kind, id)?;
    Ok(delete_page(
        &state.csrf,
        kind,
        id,
        &record,
        &goes,
        wearing,
        &back_of(&q),
        None,
    ))
}

/// `POST /journal/{kind}/{id}/delete[ detach=on]`: deletes and returns to `back`; a worn shoe
/// without `detach` shows the question again (409).
pub async fn delete<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path((kind, id)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    check_token(f.get("csrf"), &state.csrf)?;
    let kind = kind_of(&kind)?;
    let back = back_of(&f);
    let at = jiff::Timestamp::now();
    let result = with_journal(&state, |s| {
        Ok::<_, AppError>(record::delete(s, kind, id, at, f.flag("detach")))
    })?;
    match result {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(knots_app::Error::Conflict(message)) => {
            let (record, goes, wearing) = delete_preview(&state, kind, id)?;
            Ok(with_status(
                StatusCode::CONFLICT,
                delete_page(
                    &state.csrf,
                    kind,
                    id,
                    &record,
                    &goes,
                    wearing,
                    &back,
                    Some(&message),
                ),
            ))
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_holds_only_the_changed_fields() {
        let spec = fields(Kind::Run).expect("runs are editable");
        let old = serde_json::json!({
            "date": "2026-05-01", "km": 5.0, "minutes": 30.0, "shoe": null, "surface": "road",
            "camber": "none", "pain_onset_km": null, "max_pain": 3, "pain_next_morning": null,
            "rpe": null, "note": "easy"
        });
        let f = Fields::parse(
            b"date=2026-05-01&km=5.5&minutes=30&shoe=&surface=road&camber=none&pain_onset_km=\
              &max_pain=3&pain_next_morning=&rpe=&note=",
        );
        let mut r = Reader::default();
        let patch = patch_of(&spec, &f, &old, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(patch, serde_json::json!({"km": 5.5, "note": null}));
    }

    #[test]
    fn distances_are_edited_in_the_pages_unit() {
        let spec = fields(Kind::Run).expect("runs are editable");
        let old = serde_json::json!({"km": 10.0, "pain_onset_km": 2.0});
        // What the form showed in miles, sent back unchanged: no patch (no rounding drift).
        let shown = format!(
            "km={}&pain_onset_km={}",
            distance_value(10.0, Unit::Mi),
            distance_value(2.0, Unit::Mi)
        );
        let mut r = Reader::in_unit(Unit::Mi);
        let patch = patch_of(&spec, &Fields::parse(shown.as_bytes()), &old, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(patch.get("km").is_none(), "{patch}");
        assert!(patch.get("pain_onset_km").is_none(), "{patch}");
        // Typed: a plain number is miles, a unit is its own.
        let f = Fields::parse(b"km=6.2&pain_onset_km=800m");
        let patch = patch_of(&spec, &f, &old, &mut r);
        let km = patch["km"].as_f64().expect("km");
        assert!((km - 6.2 * knots_core::units::KM_PER_MILE).abs() < 1e-9);
        assert_eq!(patch["pain_onset_km"], serde_json::json!(0.8));
    }

    #[test]
    fn a_bad_number_is_a_field_error_and_back_stays_on_this_server() {
        let spec = fields(Kind::Checkin).expect("check-ins are editable");
        let f = Fields::parse(b"date=2026-05-01&water_l=lots&back=//evil.example/");
        let mut r = Reader::default();
        patch_of(
            &spec,
            &f,
            &serde_json::json!({"date": "2026-05-01"}),
            &mut r,
        );
        assert_eq!(r.errors[0].field, "water_l");
        assert_eq!(back_of(&f), "/timeline");
        let spec = fields(Kind::Run).expect("runs are editable");
        patch_of(&spec, &Fields::parse(b"max_pain=11"), &Value::Null, &mut r);
        assert_eq!(
            r.errors[1].field, "max_pain",
            "a score out of range names its field"
        );
        assert_eq!(back_of(&Fields::parse(b"back=/runs/3")), "/runs/3");
        assert_eq!(
            back_of(&Fields::parse(b"back=/runs/3%0D%0AX:1")),
            "/timeline"
        );
    }
}
