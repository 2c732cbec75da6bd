//! An uploaded file, spooled to disk as it arrives instead of held in memory, then parsed: a zip
//! straight from the file (its members are read one at a time under the import's limits), any
//! other file read whole up to the per-file cap.

use crate::ingest::Parsed;
use std::io::{Read, Seek, SeekFrom, Write};

/// A file being received: an anonymous temporary file (removed by the OS when dropped) and the
/// name the client gave.
#[derive(Debug)]
pub struct Spooled {
    name: String,
    file: std::fs::File,
    len: u64,
}

impl Spooled {
    /// A new, empty spool for a file called `name`.
    ///
    /// # Errors
    /// When no temporary file can be made.
    pub fn new(name: &str) -> std::io::Result<Spooled> {
        Ok(Spooled {
            name: name.to_string(),
            file: tempfile::tempfile()?,
            len: 0,
        })
    }

    /// Appends a chunk of the upload.
    ///
    /// # Errors
    /// When the disk refuses the write.
    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk)?;
        self.len += chunk.len() as u64;
        Ok(())
    }

    /// How many bytes arrived.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing arrived.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Parses the spooled file (blocking: run it off the async workers).
    pub fn parse(mut self) -> Parsed {
        let name = self.name.clone();
        let failed = |e: String| Parsed::File(name.clone(), Err(e), None);
        if let Err(e) = self.file.seek(SeekFrom::Start(0)) {
            return failed(e.to_string());
        }
        let mut head = [0u8; 4];
        let n = self.file.read(&mut head).unwrap_or(0);
        if self.file.seek(SeekFrom::Start(0)).is_err() {
            return failed("the spooled upload cannot be read back".into());
        }
        let is_zip = name.to_ascii_lowercase().ends_with(".zip") || head[..n] == *b"PK\x03\x04";
        if is_zip {
            let result =
                knots_import::parse_zip_with(&mut self.file, &name, &crate::ingest::limits())
                    .map_err(|e| e.to_string());
            return Parsed::Zip(name, result);
        }
        let cap = knots_import::MAX_DECOMPRESSED_BYTES;
        let mut bytes = Vec::new();
        if let Err(e) = (&mut self.file).take(cap + 1).read_to_end(&mut bytes) {
            return failed(e.to_string());
        }
        if bytes.len() as u64 > cap {
            return failed(format!(
                "the file is larger than {} MiB: not an activity file",
                cap / (1024 * 1024)
            ));
        }
        crate::ingest::parse_bytes(&name, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_file_parses_like_its_bytes() {
        let gpx = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/gpx/cerknicko-jezero.gpx"
        ))
        .unwrap();
        check(&gpx);
    }

    fn check(bytes: &[u8]) {
        let mut spool = Spooled::new("run.gpx").unwrap();
        for chunk in bytes.chunks(1000) {
            spool.write(chunk).unwrap();
        }
        assert_eq!(spool.len(), bytes.len() as u64);
        let (Parsed::File(_, Ok(a), ka), Parsed::File(_, Ok(b), kb)) =
            (spool.parse(), crate::ingest::parse_bytes("run.gpx", bytes))
        else {
            panic!("both should parse")
        };
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(ka, kb);
        assert_eq!(ka.expect("kept").unpack().expect("unpacks"), bytes);
    }
}
