//! Generators of hostile inputs, shared by `tests/hostile.rs` and `examples/hostile.rs` (which
//! measures peak memory and writes fuzz corpus seeds).
#![allow(dead_code)]

use std::io::Write;

/// A FIT file: 14-byte header (CRC 0, "not computed"), `data`, file CRC 0.
pub fn fit_file(data: &[u8]) -> Vec<u8> {
    let mut out = vec![14u8, 0x10, 0x08, 0x08];
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(b".FIT");
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(data);
    out.extend_from_slice(&[0, 0]);
    out
}

/// The bomb of the hostile-input issue: session definitions with no fields, each followed by
/// `n` one-byte data messages (a definition message is 6 bytes, a data message 1).
pub fn fit_empty_sessions(n: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(n + 6);
    // Definition: header 0x40 (local 0), reserved, little-endian, global 18 (session), 0 fields.
    data.extend_from_slice(&[0x40, 0, 0, 18, 0, 0]);
    data.resize(6 + n, 0x00);
    fit_file(&data)
}

/// Records that each keep a timestamp from one byte: a record definition with only a
/// timestamp, one full record, then `n` compressed-timestamp records of local type 1 (a
/// record definition with no fields).
pub fn fit_tiny_records(n: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(n + 32);
    data.extend_from_slice(&[0x40, 0, 0, 20, 0, 1, 253, 4, 0x86]);
    data.push(0x00);
    data.extend_from_slice(&1_000_000_000u32.to_le_bytes()); // 2021-09-08
    data.extend_from_slice(&[0x41, 0, 0, 20, 0, 0]);
    for i in 0..n {
        // Compressed header: bit 7, local type 1 in bits 5-6, time offset in bits 0-4.
        data.push(0x80 | 0x20 | (i % 32) as u8);
    }
    fit_file(&data)
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data).expect("gzip");
    gz.finish().expect("gzip")
}

/// Gzip that decompresses to `mib` MiB of zeros: one 1 MiB member repeated (a multi-member
/// stream, read back to back), so it is cheap to build.
pub fn gzip_zeros_mib(mib: usize) -> Vec<u8> {
    let one = gzip(&vec![0u8; 1 << 20]);
    one.repeat(mib)
}

/// A zip of `members` members named `bomb{i}.fit`, each `mib` MiB of zeros (deflated).
pub fn zip_of_zeros(members: usize, mib: usize) -> Vec<u8> {
    let zeros = vec![0u8; mib << 20];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().large_file(mib >= 4096);
    for i in 0..members {
        zip.start_file(format!("bomb{i}.fit"), opts).expect("zip");
        zip.write_all(&zeros).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

/// A zip with one member per (name, bytes), stored as given (deflated).
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip");
        zip.write_all(bytes).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

/// A TCX run whose `<Notes>` hold `notes_bytes` bytes of text.
pub fn tcx_with_notes(notes_bytes: usize) -> Vec<u8> {
    let mut out = br#"<?xml version="1.0"?><TrainingCenterDatabase><Activities><Activity Sport="Running"><Id>2020-05-01T07:00:00Z</Id><Notes>"#.to_vec();
    out.resize(out.len() + notes_bytes, b'n');
    out.extend_from_slice(br#"</Notes><Lap StartTime="2020-05-01T07:00:00Z"><TotalTimeSeconds>600</TotalTimeSeconds><DistanceMeters>2000</DistanceMeters></Lap></Activity></Activities></TrainingCenterDatabase>"#);
    out
}

/// A GPX track named with `name_bytes` bytes of text, with two points.
pub fn gpx_with_name(name_bytes: usize) -> Vec<u8> {
    let mut out = br#"<gpx version="1.1"><trk><name>"#.to_vec();
    out.resize(out.len() + name_bytes, b'a');
    out.extend_from_slice(br#"</name><trkseg><trkpt lat="45.0" lon="14.0"><time>2010-08-05T14:00:00Z</time></trkpt><trkpt lat="45.001" lon="14.0"><time>2010-08-05T14:01:00Z</time></trkpt></trkseg></trk></gpx>"#);
    out
}

/// Peak resident memory of this process so far, in KiB (Linux), from `/proc/self/status`.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A zip of `members` members named `bomb{i}.fit`, each `mib` MiB of zeros: one member is
/// deflated once and its compressed bytes copied, so thousands of MiB cost seconds to build.
pub fn zip_of_zeros_copied(members: usize, mib: usize) -> Vec<u8> {
    let one = zip_of_zeros(1, mib);
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(one)).expect("zip");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..members {
        let file = source.by_index_raw(0).expect("member");
        zip.raw_copy_file_rename(file, format!("bomb{i}.fit"))
            .expect("copy");
    }
    zip.finish().expect("zip").into_inner()
}
