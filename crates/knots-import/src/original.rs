//! The bytes of an activity file kept as they were read, compressed, so that the journal can
//! give the file back byte for byte (`knots export --originals`).
//!
//! Compression happens where the file is parsed (on the parsing threads, off the single thread
//! that writes the journal). Bytes that are already gzip (a Strava `.fit.gz`) are kept as they
//! are; anything else is compressed with zstd at a low level, which costs little next to the
//! parse and shrinks GPX and TCX several times. A CRC-32 of the original bytes goes with them,
//! so a damaged copy is noticed when it is given back.

/// How a kept original is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// The bytes as they were (already compressed: gzip, or nothing to gain).
    Stored,
    /// A zstd frame of the bytes.
    Zstd,
}

impl Codec {
    /// The name kept in the journal: `none` or `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Stored => "none",
            Codec::Zstd => "zstd",
        }
    }

    /// The codec of a name given by [`Codec::name`].
    pub fn from_name(name: &str) -> Option<Codec> {
        match name {
            "none" => Some(Codec::Stored),
            "zstd" => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// The zstd level: 1 is the fastest of the ordinary levels (hundreds of MB/s on one core).
const ZSTD_LEVEL: i32 = 1;

/// An activity file's bytes, kept.
#[derive(Clone, PartialEq, Eq)]
pub struct Kept {
    /// How [`Kept::data`] encodes the bytes.
    pub codec: Codec,
    /// The size of the original bytes.
    pub size: u64,
    /// The CRC-32 (as in gzip and zip) of the original bytes.
    pub crc32: u32,
    /// The encoded bytes.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("codec", &self.codec)
            .field("size", &self.size)
            .field("crc32", &format_args!("{:08x}", self.crc32))
            .field("data", &format_args!("{} bytes", self.data.len()))
            .finish()
    }
}

impl Kept {
    /// Keeps `bytes`: gzip data as it is, anything else zstd-compressed (or as it is when that
    /// is not smaller).
    ///
    /// # Examples
    ///
    /// ```
    /// use knots_import::{Codec, Kept};
    /// let gpx = b"<gpx>".repeat(1000);
    /// let kept = Kept::keep(&gpx);
    /// assert_eq!(kept.codec, Codec::Zstd);
    /// assert!(kept.data.len() < gpx.len() / 10);
    /// assert_eq!(kept.unpack().unwrap(), gpx);
    /// ```
    pub fn keep(bytes: &[u8]) -> Kept {
        let size = bytes.len() as u64;
        let crc32 = crc32fast::hash(bytes);
        let stored = || Kept {
            codec: Codec::Stored,
            size,
            crc32,
            data: bytes.to_vec(),
        };
        if bytes.starts_with(&[0x1F, 0x8B]) {
            return stored();
        }
        match compress(bytes) {
            Ok(data) if data.len() < bytes.len() => Kept {
                codec: Codec::Zstd,
                size,
                crc32,
                data,
            },
            _ => stored(),
        }
    }

    /// The original bytes, checked against the size and CRC-32 kept with them.
    ///
    /// # Errors
    /// A message when the data does not decode to `size` bytes with the right CRC-32.
    pub fn unpack(&self) -> Result<Vec<u8>, String> {
        unpack(self.codec, &self.data, self.size, self.crc32)
    }
}

thread_local! {
    /// One zstd context per thread, used for every file it keeps: making a context per file
    /// (allocating and clearing its tables) cost about a tenth of the compression itself.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// `bytes` as one zstd frame, with this thread's context.
fn compress(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    COMPRESSOR.with_borrow_mut(|slot| {
        let compressor = match slot {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
        };
        compressor.compress(bytes)
    })
}

/// Decodes kept bytes and checks them against their size and CRC-32.
///
/// # Errors
/// A message saying what does not match.
pub fn unpack(codec: Codec, data: &[u8], size: u64, crc32: u32) -> Result<Vec<u8>, String> {
    let bytes = match codec {
        Codec::Stored => data.to_vec(),
        Codec::Zstd => {
            let capacity =
                usize::try_from(size).map_err(|_| format!("{size} bytes is too large"))?;
            zstd::bulk::decompress(data, capacity).map_err(|e| format!("zstd: {e}"))?
        }
    };
    if bytes.len() as u64 != size {
        return Err(format!(
            "the kept copy gives {} bytes where the file had {size}",
            bytes.len()
        ));
    }
    let found = crc32fast::hash(&bytes);
    if found != crc32 {
        return Err(format!(
            "the kept copy's CRC-32 is {found:08x} where the file's was {crc32:08x}"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_kept_as_it_is_and_others_round_trip() {
        let gz = [0x1F, 0x8B, 8, 0, 1, 2, 3];
        let kept = Kept::keep(&gz);
        assert_eq!((kept.codec, kept.data.as_slice()), (Codec::Stored, &gz[..]));
        let fit = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/fit/Activity.fit"
        ))
        .expect("testdata");
        let kept = Kept::keep(&fit);
        assert_eq!(kept.codec, Codec::Zstd);
        assert_eq!(kept.unpack().expect("unpacks"), fit);
        // Incompressible bytes are stored.
        let noise: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        assert_eq!(Kept::keep(&noise).codec, Codec::Stored);
    }

    #[test]
    fn damage_is_noticed() {
        let mut kept = Kept::keep(&b"<gpx>".repeat(100));
        kept.crc32 ^= 1;
        assert!(kept.unpack().unwrap_err().contains("CRC-32"));
        kept.crc32 ^= 1;
        kept.size += 1;
        assert!(kept.unpack().is_err());
        assert_eq!(Codec::from_name(Codec::Zstd.name()), Some(Codec::Zstd));
        assert_eq!(Codec::from_name("lz4"), None);
    }
}
