//! The FIT wire format: headers, definition and data messages, CRC.
//!
//! The decoder walks the bytes once. A definition message is turned into a small plan that
//! lists only the fields knots reads (by global message and field number) with their offsets;
//! a data message then reads those fields and skips the rest by the size the definition gave,
//! developer fields included. Nothing is allocated per message: values land in a fixed array
//! of `f64` (NaN for "invalid"), which the message's handler copies out.
//!
//! Every read is bounds-checked; damage is reported as an offset and a reason, never a panic.

/// Seconds from the Unix epoch to the FIT epoch, 1989-12-31T00:00:00Z.
pub(crate) const FIT_EPOCH: i64 = 631_065_600;

/// FIT times below this are seconds since the device was switched on, not calendar times.
pub(crate) const RELATIVE_LIMIT: f64 = 268_435_456.0; // 0x10000000

/// The most field slots any message plan uses.
pub(crate) const MAX_SLOTS: usize = 20;

/// Declares the fields read from one message: slot constants and the field numbers in slot order.
/// Slot 0 is always field 253 (timestamp), which every message may carry.
macro_rules! fields {
    ($name:ident { $($slot:ident = $num:expr),* $(,)? }) => {
        pub(crate) mod $name {
            pub(crate) const NUMS: &[u8] = &[253, $($num),*];
            #[allow(dead_code)]
            pub(crate) const TS: usize = 0;
            fields!(@idx 1usize; $($slot),*);
        }
    };
    (@idx $i:expr; $first:ident $(, $rest:ident)*) => {
        pub(crate) const $first: usize = $i;
        fields!(@idx $i + 1usize; $($rest),*);
    };
    (@idx $i:expr;) => {};
}

// Field numbers from the FIT SDK profile (Profile.xlsx, messages file_id, session, lap, record,
// event, sport, activity).
fields!(file_id { TYPE = 0 });
fields!(session {
    START = 2, SPORT = 5, ELAPSED = 7, TIMER = 8, DISTANCE = 9, AVG_HR = 16, MAX_HR = 17,
    AVG_CAD = 18, MAX_CAD = 19, ASCENT = 22, DESCENT = 23, AVG_FRAC_CAD = 92,
    MAX_FRAC_CAD = 93, STANCE = 91, STANCE_BAL = 133, VERT_OSC = 89, VERT_RATIO = 132,
    STEP_LEN = 134,
});
fields!(lap {
    START = 2, ELAPSED = 7, TIMER = 8, DISTANCE = 9, AVG_HR = 15, MAX_HR = 16, AVG_CAD = 17,
    AVG_FRAC_CAD = 80, SPORT = 25,
});
fields!(record {
    LAT = 0, LON = 1, ALT = 2, ENH_ALT = 78, HR = 3, CAD = 4, FRAC_CAD = 53, DIST = 5,
    STANCE = 41, STANCE_BAL = 84, VERT_OSC = 39, VERT_RATIO = 83, STEP_LEN = 85,
});
fields!(event { EVENT = 0, EVENT_TYPE = 1 });
fields!(sport { SPORT = 0 });
fields!(activity { LOCAL_TS = 5 });
fields!(other {});

/// The messages knots reads, by global message number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    FileId,
    Session,
    Lap,
    Record,
    Event,
    Sport,
    Activity,
    Other,
}

impl Kind {
    fn of(global: u16) -> Kind {
        match global {
            0 => Kind::FileId,
            18 => Kind::Session,
            19 => Kind::Lap,
            20 => Kind::Record,
            21 => Kind::Event,
            12 => Kind::Sport,
            34 => Kind::Activity,
            _ => Kind::Other,
        }
    }

    fn fields(self) -> &'static [u8] {
        match self {
            Kind::FileId => file_id::NUMS,
            Kind::Session => session::NUMS,
            Kind::Lap => lap::NUMS,
            Kind::Record => record::NUMS,
            Kind::Event => event::NUMS,
            Kind::Sport => sport::NUMS,
            Kind::Activity => activity::NUMS,
            Kind::Other => other::NUMS,
        }
    }
}

/// CRC-16 as the FIT SDK defines it (CRC-16/ARC), eight table lookups per eight bytes.
const CRC_TABLES: [[u16; 256]; 8] = {
    let mut t = [[0u16; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xA001
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut j = 1;
    while j < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[j - 1][i];
            t[j][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        j += 1;
    }
    t
};

/// Continues a FIT CRC over `data`.
pub(crate) fn crc16(mut crc: u16, data: &[u8]) -> u16 {
    let t = &CRC_TABLES;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let x = crc ^ u16::from_le_bytes([c[0], c[1]]);
        crc = t[7][(x & 0xFF) as usize]
            ^ t[6][(x >> 8) as usize]
            ^ t[5][c[2] as usize]
            ^ t[4][c[3] as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ u16::from(b)) & 0xFF) as usize];
    }
    crc
}

/// A FIT file header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    /// Header length in bytes (12 or 14).
    pub(crate) size: usize,
    /// Length of the message data that follows the header.
    pub(crate) data_size: usize,
    /// A 14-byte header's CRC did not match.
    pub(crate) bad_header_crc: bool,
}

/// Reads a FIT header at the start of `b`.
pub(crate) fn read_header(b: &[u8]) -> Result<Header, String> {
    if b.len() < 12 {
        return Err(format!(
            "expected a 12- or 14-byte fit header, found only {} bytes",
            b.len()
        ));
    }
    if &b[8..12] != b".FIT" {
        return Err(format!(
            "expected `.FIT` at bytes 8 to 11 of a fit header, found `{}`",
            b[8..12].escape_ascii()
        ));
    }
    let size = usize::from(b[0]);
    if size < 12 {
        return Err(format!(
            "fit header gives its size as {size} bytes, expected 12 or 14"
        ));
    }
    if size > b.len() {
        return Err(format!(
            "fit header of {size} bytes is cut off after {} bytes",
            b.len()
        ));
    }
    let data_size = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    let mut bad_header_crc = false;
    if size >= 14 {
        let stored = u16::from_le_bytes([b[12], b[13]]);
        // A header CRC of 0 means "not computed" (the SDK allows it).
        bad_header_crc = stored != 0 && stored != crc16(0, &b[..12]);
    }
    Ok(Header {
        size,
        data_size,
        bad_header_crc,
    })
}

/// One field that a plan reads: where it is in the message and how to read it.
#[derive(Debug, Clone, Copy)]
struct Planned {
    slot: u8,
    offset: u32,
    size: u8,
    base: u8,
}

/// A local message type's definition, compiled into a plan.
#[derive(Debug, Clone)]
struct Def {
    defined: bool,
    kind: Kind,
    big_endian: bool,
    /// Bytes of one data message after its header, developer fields included.
    size: usize,
    fields: Vec<Planned>,
}

impl Default for Def {
    fn default() -> Self {
        Def {
            defined: false,
            kind: Kind::Other,
            big_endian: false,
            size: 0,
            fields: Vec::new(),
        }
    }
}

/// Receives each decoded data message: its kind and the plan's slot values (NaN if invalid).
pub(crate) trait Sink {
    fn message(&mut self, kind: Kind, values: &[f64; MAX_SLOTS]);
}

/// Decodes the message data of one FIT file (between its header and CRC).
#[derive(Debug)]
pub(crate) struct Decoder {
    defs: Vec<Def>,
    last_timestamp: Option<u32>,
    /// Data messages decoded so far.
    pub(crate) messages: usize,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Decoder {
            defs: vec![Def::default(); 16],
            last_timestamp: None,
            messages: 0,
        }
    }

    /// Decodes the messages in `data[start..end]`; offsets in errors are positions in `data`.
    ///
    /// On error the messages before the offset have already reached `sink`.
    pub(crate) fn run(
        &mut self,
        data: &[u8],
        start: usize,
        end: usize,
        sink: &mut impl Sink,
    ) -> Result<(), (usize, String)> {
        let end = end.min(data.len());
        let mut p = start;
        let mut values = [f64::NAN; MAX_SLOTS];
        while p < end {
            let h = data[p];
            if h & 0x80 != 0 {
                // Compressed-timestamp header: a data message whose time is an offset of up to
                // 31 s from the last full timestamp, in the header's low five bits.
                let local = usize::from((h >> 5) & 0x03);
                let offset = u32::from(h & 0x1F);
                let ts = self.last_timestamp.map(|last| {
                    let mut t = (last & !0x1F).wrapping_add(offset);
                    if offset < (last & 0x1F) {
                        t = t.wrapping_add(0x20);
                    }
                    t
                });
                p = self.data_message(data, p, end, local, ts, &mut values, sink)?;
            } else if h & 0x40 != 0 {
                p = self.definition(data, p, end, h)?;
            } else {
                let local = usize::from(h & 0x0F);
                p = self.data_message(data, p, end, local, None, &mut values, sink)?;
            }
        }
        Ok(())
    }

    fn definition(
        &mut self,
        data: &[u8],
        p: usize,
        end: usize,
        h: u8,
    ) -> Result<usize, (usize, String)> {
        let short = |need: usize| {
            (
                p,
                format!(
                    "file ends in the middle of a definition message ({need} bytes needed, {} left)",
                    end - p
                ),
            )
        };
        let fixed = data
            .get(p..(p + 6).min(end))
            .filter(|s| s.len() == 6)
            .ok_or_else(|| short(6))?;
        let big_endian = match fixed[2] {
            0 => false,
            1 => true,
            other => {
                return Err((
                    p + 2,
                    format!("definition message gives byte order {other}, expected 0 or 1"),
                ));
            }
        };
        let global = if big_endian {
            u16::from_be_bytes([fixed[3], fixed[4]])
        } else {
            u16::from_le_bytes([fixed[3], fixed[4]])
        };
        let n = usize::from(fixed[5]);
        let fields_end = p + 6 + 3 * n;
        let has_dev = h & 0x20 != 0;
        let mut total = fields_end;
        if has_dev {
            let c = *data
                .get(fields_end)
                .filter(|_| fields_end < end)
                .ok_or_else(|| short(fields_end + 1 - p))?;
            total = fields_end + 1 + 3 * usize::from(c);
        }
        if total > end {
            return Err(short(total - p));
        }
        let kind = Kind::of(global);
        let wanted = kind.fields();
        let def = &mut self.defs[usize::from(h & 0x0F)];
        def.defined = true;
        def.kind = kind;
        def.big_endian = big_endian;
        def.fields.clear();
        let mut offset = 0usize;
        for f in data[p + 6..fields_end].chunks_exact(3) {
            let (num, size, base) = (f[0], f[1], f[2]);
            if let Some(slot) = wanted.iter().position(|&w| w == num) {
                def.fields.push(Planned {
                    slot: slot as u8,
                    offset: offset as u32,
                    size,
                    base,
                });
            }
            offset += usize::from(size);
        }
        if has_dev {
            // Developer fields are skipped by the size their definition gives; knots reads none.
            for f in data[fields_end + 1..total].chunks_exact(3) {
                offset += usize::from(f[1]);
            }
        }
        def.size = offset;
        Ok(total)
    }

    #[allow(clippy::too_many_arguments)]
    fn data_message(
        &mut self,
        data: &[u8],
        p: usize,
        end: usize,
        local: usize,
        compressed_ts: Option<u32>,
        values: &mut [f64; MAX_SLOTS],
        sink: &mut impl Sink,
    ) -> Result<usize, (usize, String)> {
        let Some(def) = self.defs.get(local).filter(|d| d.defined) else {
            return Err((
                p,
                format!("data message of local type {local}, which has no definition before it"),
            ));
        };
        let body_start = p + 1;
        let next = body_start + def.size;
        if next > end {
            return Err((
                p,
                format!(
                    "file ends in the middle of a data message ({} bytes needed, {} left)",
                    def.size + 1,
                    end - p
                ),
            ));
        }
        let body = &data[body_start..next];
        values.fill(f64::NAN);
        for f in &def.fields {
            let at = f.offset as usize;
            if let Some(raw) = body.get(at..at + usize::from(f.size)) {
                values[usize::from(f.slot)] = read_value(raw, f.base, def.big_endian);
            }
        }
        let ts = values[0];
        if ts.is_finite() {
            self.last_timestamp = Some(ts as u32);
        } else if let Some(t) = compressed_ts {
            values[0] = f64::from(t);
            self.last_timestamp = Some(t);
        }
        self.messages += 1;
        if def.kind != Kind::Other {
            sink.message(def.kind, values);
        }
        Ok(next)
    }
}

/// Reads the first value of a field as `f64`; NaN when the field holds the type's "invalid" value,
/// is shorter than its type or is a string.
fn read_value(raw: &[u8], base: u8, big_endian: bool) -> f64 {
    macro_rules! num {
        ($t:ty, $n:expr) => {{
            let Some(b) = raw.get(..$n) else {
                return f64::NAN;
            };
            let mut a = [0u8; $n];
            a.copy_from_slice(b);
            if big_endian {
                <$t>::from_be_bytes(a)
            } else {
                <$t>::from_le_bytes(a)
            }
        }};
    }
    match base & 0x1F {
        // enum, uint8, byte
        0x00 | 0x02 | 0x0D => match raw.first() {
            Some(&v) if v != 0xFF => f64::from(v),
            _ => f64::NAN,
        },
        0x01 => match raw.first() {
            Some(&v) if v != 0x7F => f64::from(v as i8),
            _ => f64::NAN,
        },
        0x0A => match raw.first() {
            Some(&v) if v != 0 => f64::from(v),
            _ => f64::NAN,
        },
        0x03 => match num!(i16, 2) {
            i16::MAX => f64::NAN,
            v => f64::from(v),
        },
        0x04 => match num!(u16, 2) {
            u16::MAX => f64::NAN,
            v => f64::from(v),
        },
        0x0B => match num!(u16, 2) {
            0 => f64::NAN,
            v => f64::from(v),
        },
        0x05 => match num!(i32, 4) {
            i32::MAX => f64::NAN,
            v => f64::from(v),
        },
        0x06 => match num!(u32, 4) {
            u32::MAX => f64::NAN,
            v => f64::from(v),
        },
        0x0C => match num!(u32, 4) {
            0 => f64::NAN,
            v => f64::from(v),
        },
        0x08 => f64::from(f32::from_bits(num!(u32, 4))),
        0x09 => f64::from_bits(num!(u64, 8)),
        0x0E => match num!(i64, 8) {
            i64::MAX => f64::NAN,
            v => v as f64,
        },
        0x0F => match num!(u64, 8) {
            u64::MAX => f64::NAN,
            v => v as f64,
        },
        0x10 => match num!(u64, 8) {
            0 => f64::NAN,
            v => v as f64,
        },
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc_bytewise(data: &[u8]) -> u16 {
        // The FIT SDK's reference implementation, four bits at a time.
        const T: [u16; 16] = [
            0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
            0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
        ];
        let mut crc = 0u16;
        for &b in data {
            let mut tmp = T[(crc & 0xF) as usize];
            crc = (crc >> 4) & 0x0FFF;
            crc = crc ^ tmp ^ T[(b & 0xF) as usize];
            tmp = T[(crc & 0xF) as usize];
            crc = (crc >> 4) & 0x0FFF;
            crc = crc ^ tmp ^ T[((b >> 4) & 0xF) as usize];
        }
        crc
    }

    #[test]
    fn crc_matches_the_sdk_reference() {
        let data: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000] {
            assert_eq!(crc16(0, &data[..n]), crc_bytewise(&data[..n]), "n = {n}");
        }
        // CRC-16/ARC check value.
        assert_eq!(crc16(0, b"123456789"), 0xBB3D);
    }

    #[test]
    fn reads_values_and_invalid_markers() {
        assert_eq!(read_value(&[7], 0x02, false), 7.0);
        assert!(read_value(&[0xFF], 0x02, false).is_nan());
        assert_eq!(read_value(&[0x34, 0x12], 0x84, false), 4660.0);
        assert_eq!(read_value(&[0x12, 0x34], 0x84, true), 4660.0);
        assert!(read_value(&[0xFF, 0xFF], 0x84, false).is_nan());
        assert!(read_value(&[0x12], 0x84, false).is_nan(), "too short");
        assert_eq!(read_value(&[0xFE, 0xFF, 0xFF, 0xFF], 0x85, false), -2.0);
        assert!(read_value(&[0, 0, 0, 0], 0x8C, false).is_nan());
        assert!(read_value(b"abc", 0x07, false).is_nan());
        assert_eq!(
            read_value(&[1, 0, 2, 0], 0x84, false),
            1.0,
            "arrays give their first value"
        );
    }

    #[test]
    fn headers() {
        assert!(read_header(b"").is_err());
        let mut h = [0u8; 14];
        h[0] = 14;
        h[4] = 10;
        h[8..12].copy_from_slice(b".FIT");
        let hd = read_header(&h).expect("valid");
        assert_eq!((hd.size, hd.data_size, hd.bad_header_crc), (14, 10, false));
        h[12] = 1;
        assert!(read_header(&h).expect("valid").bad_header_crc);
        h[9] = b'G';
        assert!(read_header(&h).is_err());
    }
}
