//! Strava's CSV files: `activities.csv` (one row per activity, manual ones included) and
//! `shoes.csv`.

use jiff::Timestamp;
use jiff::civil::DateTime;

use crate::activity::{MAX_NAME_BYTES, truncate};
use crate::error::Error;
use crate::strava::{Shoe, StravaRow};

/// Strava's activity types to FIT's sport vocabulary.
fn sport_from_strava(t: &str) -> String {
    match t.trim() {
        "Run" | "Trail Run" | "TrailRun" | "Virtual Run" | "VirtualRun" => "running".into(),
        // A run in the languages Strava writes its export in, where known (German, French,
        // Spanish, Italian, Dutch, Portuguese): a runner's runs must count as runs.
        "Lauf" | "Course à pied" | "Carrera" | "Corsa" | "Hardlopen" | "Corrida" => {
            "running".into()
        }
        "Ride" | "Virtual Ride" | "VirtualRide" | "Mountain Bike Ride" | "MountainBikeRide"
        | "Gravel Ride" | "GravelRide" | "Handcycle" | "Velomobile" => "cycling".into(),
        "E-Bike Ride" | "EBikeRide" | "E-Mountain Bike Ride" | "EMountainBikeRide" => {
            "e_biking".into()
        }
        "Radfahrt" => "cycling".into(),
        "Walk" | "Spaziergang" => "walking".into(),
        "Hike" | "Wanderung" => "hiking".into(),
        "Swim" | "Schwimmen" => "swimming".into(),
        "Rowing" | "Virtual Row" | "VirtualRow" => "rowing".into(),
        "Workout" | "" => "generic".into(),
        "Weight Training" | "WeightTraining" | "Crossfit" => "training".into(),
        other => {
            // Unknown types keep their name, in the same lowercase snake case.
            let mut s = String::new();
            for (i, c) in other.chars().enumerate() {
                if c.is_uppercase() && i > 0 && !s.ends_with('_') {
                    s.push('_');
                }
                if c.is_alphanumeric() {
                    s.extend(c.to_lowercase());
                } else if !s.ends_with('_') {
                    s.push('_');
                }
            }
            s.trim_matches('_').to_string()
        }
    }
}

/// Reads Strava's "Feb 6, 2013, 12:11:14 PM" (UTC), German "06.02.2013, 12:11:14", and a few
/// other forms seen in exports.
fn strava_date(s: &str) -> Option<Timestamp> {
    // Newer date formatting (CLDR 42 on) puts a narrow no-break space before "PM".
    let s = s.replace(['\u{202f}', '\u{a0}'], " ");
    let s = s.trim();
    const FORMATS: [&str; 7] = [
        "%b %d, %Y, %I:%M:%S %p",
        "%b %d, %Y %I:%M:%S %p",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%d %b %Y, %H:%M:%S",
        // German exports: "06.02.2013, 12:11:14".
        "%d.%m.%Y, %H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
    ];
    for f in FORMATS {
        if let Ok(dt) = DateTime::strptime(f, s)
            && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
        {
            return Some(z.timestamp());
        }
    }
    s.parse::<Timestamp>().ok()
}

fn number(s: &str) -> Option<f64> {
    let s: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    // A decimal comma, as German and French exports write their first distance ("9,55"): one
    // comma, no point, and not three digits after it (that is a thousands separator).
    let decimal_comma = s.matches(',').count() == 1
        && !s.contains('.')
        && s.rsplit(',').next().is_some_and(|d| d.len() != 3);
    let s = if decimal_comma {
        s.replace(',', ".")
    } else {
        s.replace(',', "")
    };
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The most rows of `activities.csv` read: thirty years of two activities a day and more.
const MAX_ROWS: usize = 100_000;

/// `s` cut to [`MAX_NAME_BYTES`], with a warning naming the CSV line when it was longer.
fn capped_name(s: &str, what: &str, csv: &str, line: u64, warnings: &mut Vec<String>) -> String {
    let (kept, cut) = truncate(s, MAX_NAME_BYTES);
    if cut {
        warnings.push(format!(
            "the {what} in {csv} line {line} is {} bytes long: kept the first {MAX_NAME_BYTES}",
            s.len()
        ));
    }
    kept.to_string()
}

/// What a column of `activities.csv` holds, for the columns read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Date,
    Name,
    Type,
    Gear,
    File,
    Elapsed,
    Moving,
    Distance,
}

/// Strava writes its CSV headers in the account's language. The headers known here, lower-cased:
/// English, German and French. A header in another language is found from the cells instead
/// (see [`Columns::find`]).
const HEADERS: [(Field, &[&str]); 9] = [
    (
        Field::Id,
        &["activity id", "aktivitäts-id", "id de l'activité"],
    ),
    (
        Field::Date,
        &["activity date", "aktivitätsdatum", "date de l'activité"],
    ),
    (
        Field::Name,
        &["activity name", "name der aktivität", "nom de l'activité"],
    ),
    (
        Field::Type,
        &["activity type", "aktivitätsart", "type d'activité"],
    ),
    (
        Field::Gear,
        &[
            "activity gear",
            "aktivitätsausrüstung",
            "équipement de l'activité",
        ],
    ),
    (Field::File, &["filename", "dateiname", "nom du fichier"]),
    (
        Field::Elapsed,
        &["elapsed time", "verstrichene zeit", "temps écoulé"],
    ),
    (
        Field::Moving,
        &["moving time", "bewegungszeit", "temps de déplacement"],
    ),
    (Field::Distance, &["distance", "distanz"]),
];

/// Where each field is in `activities.csv`.
#[derive(Debug, Default)]
struct Columns {
    id: Option<usize>,
    date: Option<usize>,
    name: Option<usize>,
    kind: Option<usize>,
    gear: Option<usize>,
    file: Option<usize>,
    moving: Option<usize>,
    /// Strava's header names the elapsed time twice: whole seconds, then with decimals.
    elapsed: Vec<usize>,
    /// Strava's header names the distance twice: in the runner's unit (km or miles), then in
    /// metres.
    distance: Vec<usize>,
    /// How the columns were found, when not all by their header (said in a warning).
    guessed: Vec<&'static str>,
}

/// A cell that names an activity file of the export, such as `activities/123.fit.gz`.
fn is_activity_path(cell: &str) -> bool {
    let lower = cell.trim().to_ascii_lowercase();
    lower.starts_with("activities/") && crate::strava::is_activity_name(&lower)
}

impl Columns {
    /// Finds the columns by their headers, in any language listed in [`HEADERS`]; in another
    /// language, by their cells: the file column is the one whose cells name activity files
    /// (`activities/….fit.gz`), the date column the one whose cells read as dates, and, when
    /// the date is the second column as in every Strava export, the columns before and after
    /// it and the elapsed time and distance pairs from Strava's fixed layout (ID, date, name,
    /// type; elapsed time sixth and distance seventh, each named again further on).
    fn find(headers: &[String], records: &[(u64, csv::StringRecord)]) -> Columns {
        let mut c = Columns::default();
        for (i, h) in headers.iter().enumerate() {
            let h = h.to_lowercase();
            let Some((field, _)) = HEADERS
                .iter()
                .find(|(_, names)| names.contains(&h.as_str()))
            else {
                continue;
            };
            match field {
                Field::Id => c.id = c.id.or(Some(i)),
                Field::Date => c.date = c.date.or(Some(i)),
                Field::Name => c.name = c.name.or(Some(i)),
                Field::Type => c.kind = c.kind.or(Some(i)),
                Field::Gear => c.gear = c.gear.or(Some(i)),
                Field::File => c.file = c.file.or(Some(i)),
                Field::Moving => c.moving = c.moving.or(Some(i)),
                Field::Elapsed => c.elapsed.push(i),
                Field::Distance => c.distance.push(i),
            }
        }
        // The column whose cells most often pass `test` (at least one).
        let best = |test: &dyn Fn(&str) -> bool| -> Option<usize> {
            (0..headers.len())
                .map(|col| {
                    let hits = records
                        .iter()
                        .filter(|(_, r)| r.get(col).is_some_and(test))
                        .count();
                    (hits, std::cmp::Reverse(col))
                })
                .max()
                .filter(|(hits, _)| *hits > 0)
                .map(|(_, std::cmp::Reverse(col))| col)
        };
        if c.file.is_none() {
            c.file = best(&is_activity_path);
            if c.file.is_some() {
                c.guessed.push("the file column by its cells");
            }
        }
        if c.date.is_none() {
            c.date = best(&|s| strava_date(s).is_some());
            if c.date.is_some() {
                c.guessed.push("the date column by its cells");
            }
        }
        if c.date == Some(1) && headers.len() >= 4 {
            if c.id.is_none() && c.name.is_none() && c.kind.is_none() {
                (c.id, c.name, c.kind) = (Some(0), Some(2), Some(3));
                c.guessed.push(
                    "the ID, name and type columns by Strava's layout (first, third, fourth)",
                );
            }
            let again = |col: usize| -> Vec<usize> {
                headers
                    .get(col)
                    .filter(|h| headers.iter().filter(|o| o == h).count() > 1)
                    .map(|h| {
                        headers
                            .iter()
                            .enumerate()
                            .filter(|(_, o)| *o == h)
                            .map(|(i, _)| i)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if c.elapsed.is_empty() && c.distance.is_empty() {
                (c.elapsed, c.distance) = (again(5), again(6));
                if !c.elapsed.is_empty() || !c.distance.is_empty() {
                    c.guessed.push(
                        "the elapsed time and distance columns by Strava's layout (sixth and seventh, named twice)",
                    );
                }
            }
        }
        c
    }
}

/// Reads `activities.csv`: one [`StravaRow`] per row with a date or a file. Headers in English,
/// German or French are read by name; in other languages the columns are found from their
/// cells and Strava's layout, with a warning saying so.
pub(crate) fn read_activities_csv(
    bytes: &[u8],
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<StravaRow>, Error> {
    let csv_err = |line: u64, reason: String| Error::Csv {
        name: name.to_string(),
        line,
        reason,
    };
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| csv_err(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect::<Vec<_>>();
    let mut records = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if records.len() == MAX_ROWS {
            warnings.push(format!(
                "{name} has more than {MAX_ROWS} rows: read the first {MAX_ROWS}"
            ));
            break;
        }
        // The line from the byte offset: after a CRLF header (Strava writes CRLF) the csv
        // crate's line count is one short and its offset points at the header's `\n`.
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position().map(|p| p.byte() as usize))
            .and_then(|b| bytes.get(..=b))
            .map_or(i as u64 + 2, |before| {
                before.iter().filter(|&&c| c == b'\n').count() as u64 + 1
            });
        records.push((line, record.map_err(|e| csv_err(line, e.to_string()))?));
    }
    let cols = Columns::find(&headers, &records);
    if cols.date.is_none() && cols.file.is_none() {
        return Err(csv_err(
            1,
            "expected the date and file columns of a Strava export (`Activity Date` and \
             `Filename`), and found no column of dates or of activity files either"
                .to_string(),
        ));
    }
    if !cols.guessed.is_empty() {
        warnings.push(format!(
            "{name}: headers in a language not known here; found {}",
            cols.guessed.join(", ")
        ));
    }

    let mut rows = Vec::new();
    let mut unusable = 0usize;
    for (line, record) in records {
        let get = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let activity_type = get(cols.kind).unwrap_or("").to_string();
        let elapsed_s = cols
            .elapsed
            .iter()
            .rev()
            .find_map(|&c| get(Some(c)).and_then(number));
        // The metres column is written by a program (a plain decimal point); the first is in
        // the runner's unit and locale, so it is read only when there is no second, as km.
        let distance_m = match cols.distance.as_slice() {
            [km, metres, ..] => get(Some(*metres))
                .and_then(number)
                .or_else(|| get(Some(*km)).and_then(number).map(|d| d * 1000.0)),
            [km] => get(Some(*km)).and_then(number).map(|d| d * 1000.0),
            [] => None,
        };
        let start = get(cols.date).and_then(strava_date);
        let file = get(cols.file).map(|f| capped_name(f, "file name", name, line, warnings));
        if start.is_none() && file.is_none() {
            // Nothing to build an activity from or to look up: not worth an entry each.
            unusable += 1;
            continue;
        }
        rows.push(StravaRow {
            line,
            activity_id: get(cols.id).and_then(|s| s.parse().ok()),
            start,
            name: get(cols.name).map(|n| capped_name(n, "activity name", name, line, warnings)),
            sport: sport_from_strava(&activity_type),
            activity_type,
            elapsed_s,
            moving_s: get(cols.moving).and_then(number),
            distance_m,
            gear: get(cols.gear).map(|g| capped_name(g, "gear name", name, line, warnings)),
            file,
        });
    }
    if unusable > 0 {
        warnings.push(format!(
            "{name} has {unusable} rows with neither a readable date nor a file: left them out"
        ));
    }
    Ok(rows)
}

/// The most shoes read from `shoes.csv`.
const MAX_SHOES: usize = 10_000;

pub(crate) fn read_shoes_csv(bytes: &[u8], warnings: &mut Vec<String>) -> Result<Vec<Shoe>, Error> {
    let csv_err = |line: u64, reason: String| Error::Csv {
        name: "shoes.csv".to_string(),
        line,
        reason,
    };
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_err(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.to_lowercase().as_str()))
    };
    // By name in English and German; in another language by Strava's layout (name, brand,
    // model, default sport types), said in a warning.
    let (name_col, brand_col, model_col) =
        match col(&["shoe name", "schuhname", "nom de la chaussure"]) {
            Some(name) => (
                name,
                col(&["shoe brand", "schuhmarke", "marque de la chaussure"]),
                col(&["shoe model", "schuhmodell", "modèle de la chaussure"]),
            ),
            None if headers.len() >= 3 => {
                warnings.push(
                    "shoes.csv: headers in a language not known here; read the name, brand and \
                     model from the first three columns (Strava's layout)"
                        .to_string(),
                );
                (0, Some(1), Some(2))
            }
            None => return Err(csv_err(1, "expected a `Shoe Name` column".to_string())),
        };
    let mut shoes = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if shoes.len() == MAX_SHOES {
            warnings.push(format!(
                "shoes.csv lists more than {MAX_SHOES} shoes: read the first {MAX_SHOES}"
            ));
            break;
        }
        let line = i as u64 + 2;
        let record = record.map_err(|e| csv_err(line, e.to_string()))?;
        let mut get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| capped_name(s, "shoe", "shoes.csv", line, warnings))
        };
        if let Some(name) = get(Some(name_col)) {
            shoes.push(Shoe {
                name,
                brand: get(brand_col),
                model: get(model_col),
            });
        }
    }
    Ok(shoes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strava_dates() {
        let t = |s: &str| strava_date(s).map(|t| t.to_string());
        assert_eq!(
            t("Feb 6, 2013, 12:11:14 PM").as_deref(),
            Some("2013-02-06T12:11:14Z")
        );
        assert_eq!(
            t("Aug 15, 2015, 2:45:08 PM").as_deref(),
            Some("2015-08-15T14:45:08Z")
        );
        assert_eq!(
            t("Feb 8, 2013, 7:00:00 AM").as_deref(),
            Some("2013-02-08T07:00:00Z")
        );
        assert_eq!(
            t("Dec 26, 2012, 12:05:00 AM").as_deref(),
            Some("2012-12-26T00:05:00Z")
        );
        assert_eq!(
            t("2013-02-06 12:11:14").as_deref(),
            Some("2013-02-06T12:11:14Z")
        );
        assert_eq!(
            t("Feb 6, 2013, 12:11:14\u{202f}PM").as_deref(),
            Some("2013-02-06T12:11:14Z")
        );
        assert_eq!(
            t("06.02.2013, 12:11:14").as_deref(),
            Some("2013-02-06T12:11:14Z")
        );
        assert_eq!(t("someday"), None);
    }

    #[test]
    fn strava_types() {
        for (t, s) in [
            ("Run", "running"),
            ("Ride", "cycling"),
            ("Walk", "walking"),
            ("Hike", "hiking"),
            ("Swim", "swimming"),
            ("AlpineSki", "alpine_ski"),
            ("Lauf", "running"),
            ("Course à pied", "running"),
            ("Stand Up Paddling", "stand_up_paddling"),
        ] {
            assert_eq!(sport_from_strava(t), s);
        }
    }

    #[test]
    fn csv_with_duplicate_columns() {
        let csv = "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,Activity Gear,Filename,Elapsed Time,Moving Time,Distance\n\
                   1,\"Feb 6, 2013, 12:11:14 PM\",Morning Run,Run,2625,4.84,Brooks,,2625.1,2600.0,4835.4\n\
                   2,\"Feb 7, 2013, 12:11:14 PM\",,Run,100,\"1,234.5\",,,,,\n";
        let rows =
            read_activities_csv(csv.as_bytes(), "activities.csv", &mut Vec::new()).expect("reads");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].distance_m, Some(4835.4));
        assert_eq!(rows[0].elapsed_s, Some(2625.1));
        assert_eq!(rows[0].moving_s, Some(2600.0));
        assert_eq!(rows[0].gear.as_deref(), Some("Brooks"));
        assert_eq!(rows[0].file, None);
        assert_eq!(rows[1].distance_m, Some(1_234_500.0));
        assert_eq!(rows[1].elapsed_s, Some(100.0));
        assert_eq!(rows[1].line, 3);
        let crlf = csv.replace('\n', "\r\n");
        let rows =
            read_activities_csv(crlf.as_bytes(), "activities.csv", &mut Vec::new()).expect("reads");
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
    }

    #[test]
    fn numbers_in_either_locale() {
        assert_eq!(number("9,55"), Some(9.55));
        assert_eq!(number("1,234.5"), Some(1234.5));
        assert_eq!(number("4835.4"), Some(4835.4));
        assert_eq!(number("1 234,5"), Some(1234.5));
        assert_eq!(number("1,234"), Some(1234.0));
        assert_eq!(number("n/a"), None);
    }

    #[test]
    fn german_export() {
        let csv = "Aktivitäts-ID,Aktivitätsdatum,Name der Aktivität,Aktivitätsart,Aktivitätsbeschreibung,Verstrichene Zeit,Distanz,Aktivitätsausrüstung,Dateiname,Verstrichene Zeit,Bewegungszeit,Distanz\n\
                   11,\"06.02.2013, 12:11:14\",Morgenlauf,Lauf,,2625,\"4,84\",Brooks Ghost 5,activities/11.fit.gz,2625.1,2600.0,4835.4\n\
                   12,\"08.02.2013, 07:00:00\",Laufband,Lauf,,1800,\"5,00\",,,,,\n";
        let mut warnings = Vec::new();
        let rows =
            read_activities_csv(csv.as_bytes(), "activities.csv", &mut warnings).expect("reads");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(rows.len(), 2);
        let r = &rows[0];
        assert_eq!(r.activity_id, Some(11));
        assert_eq!(
            r.start.map(|t| t.to_string()).as_deref(),
            Some("2013-02-06T12:11:14Z")
        );
        assert_eq!(r.name.as_deref(), Some("Morgenlauf"));
        assert_eq!(r.sport, "running");
        assert_eq!(
            (r.elapsed_s, r.moving_s, r.distance_m),
            (Some(2625.1), Some(2600.0), Some(4835.4))
        );
        assert_eq!(r.gear.as_deref(), Some("Brooks Ghost 5"));
        assert_eq!(r.file.as_deref(), Some("activities/11.fit.gz"));
        // The manual row has only the first (km, decimal comma) distance.
        assert_eq!(
            (rows[1].file.as_deref(), rows[1].distance_m),
            (None, Some(5000.0))
        );
    }

    #[test]
    fn unknown_language_by_cells_and_layout() {
        // Headers in a language not listed: the columns come from the cells and Strava's layout.
        let csv = "ID attività,Data attività,Nome attività,Tipo attività,Descrizione,Tempo trascorso,Distanza,Nome file,Tempo trascorso,Distanza\n\
                   21,\"Feb 6, 2013, 12:11:14 PM\",Corsetta,Corsa,,2625,\"4,84\",activities/21.gpx.gz,2625.1,4835.4\n\
                   22,\"Feb 8, 2013, 7:00:00 AM\",Tapis roulant,Corsa,,1800,\"5,00\",,1800.0,5000.0\n";
        let mut warnings = Vec::new();
        let rows =
            read_activities_csv(csv.as_bytes(), "activities.csv", &mut warnings).expect("reads");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].file.as_deref(), Some("activities/21.gpx.gz"));
        assert_eq!(rows[0].activity_id, Some(21));
        assert_eq!(rows[0].name.as_deref(), Some("Corsetta"));
        assert_eq!(rows[0].sport, "running");
        assert_eq!(
            (rows[1].elapsed_s, rows[1].distance_m),
            (Some(1800.0), Some(5000.0))
        );
        assert_eq!(
            rows[1].start.map(|t| t.to_string()).as_deref(),
            Some("2013-02-08T07:00:00Z")
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("file column by its cells"),
            "{warnings:?}"
        );
        // Neither a date nor a file anywhere: refused, saying what was looked for.
        let err =
            read_activities_csv(b"a,b\n1,2\n", "activities.csv", &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("date and file columns"), "{err}");
    }

    #[test]
    fn shoes_in_another_language() {
        let csv =
            "Nome scarpa,Marca scarpa,Modello scarpa,Sport\nBrooks Ghost 5,Brooks,Ghost 5,Run\n";
        let mut warnings = Vec::new();
        let shoes = read_shoes_csv(csv.as_bytes(), &mut warnings).expect("reads");
        assert_eq!(shoes[0].name, "Brooks Ghost 5");
        assert_eq!(shoes[0].model.as_deref(), Some("Ghost 5"));
        assert_eq!(warnings.len(), 1);
    }
}
