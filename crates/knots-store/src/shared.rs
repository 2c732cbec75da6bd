//! What both back ends must do the same way: the stream's byte format, the duplicate rule of
//! `import_file`, and the tables a journal is made of.

use crate::DUPLICATE_DISTANCE_FRACTION;
use knots_core::journal::{Activity, StreamPoint};

/// The journal's tables, children before parents (the order `replace_all` empties them in).
/// `meta` is not listed: it describes the journal rather than holding records. `changes` holds
/// the change events.
pub(crate) const TABLES: &[&str] = &[
    "changes",
    "reactions",
    "originals",
    "activities",
    "findings",
    "treatments",
    "sessions",
    "runs",
    "shoes",
    "pain_reports",
    "checkins",
    "profile",
];

/// Encodes a stream as 5 little-endian f32 per point, NaN for a missing value.
pub(crate) fn encode_stream(points: &[StreamPoint]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 20);
    for p in points {
        for v in [Some(p.t), p.d, p.hr, p.cad, p.alt] {
            // f32 keeps a plot's precision at half the size; NaN marks "not recorded".
            #[allow(clippy::cast_possible_truncation)]
            let f = v.map_or(f32::NAN, |v| v as f32);
            out.extend_from_slice(&f.to_le_bytes());
        }
    }
    out
}

/// Decodes [`encode_stream`]'s bytes, or says why they are not a stream.
pub(crate) fn decode_stream(bytes: &[u8]) -> Result<Vec<StreamPoint>, String> {
    if !bytes.len().is_multiple_of(20) {
        return Err(format!(
            "stream of {} bytes is not whole points",
            bytes.len()
        ));
    }
    let value = |chunk: &[u8]| -> Option<f64> {
        let f = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        (!f.is_nan()).then_some(f64::from(f))
    };
    Ok(bytes
        .chunks_exact(20)
        .map(|p| StreamPoint {
            t: value(&p[0..4]).unwrap_or(0.0),
            d: value(&p[4..8]),
            hr: value(&p[8..12]),
            cad: value(&p[12..16]),
            alt: value(&p[16..20]),
        })
        .collect())
}

/// Whether a stored activity (its sport and distance), already known to start within
/// [`crate::DUPLICATE_WINDOW_S`] of `a`, is `a` recorded twice.
pub(crate) fn same_activity(a: &Activity, sport: &str, distance_m: Option<f64>) -> bool {
    // A file without a sport says "generic": it can repeat an activity of any sport.
    let sport_matches = sport == a.sport || sport == "generic" || a.sport == "generic";
    if !sport_matches {
        return false;
    }
    match (distance_m, a.distance_m) {
        (Some(x), Some(y)) => (x - y).abs() <= (DUPLICATE_DISTANCE_FRACTION * x.max(y)).max(100.0),
        (None, None) => true,
        _ => false,
    }
}
