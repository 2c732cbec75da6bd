//! Limits against hostile input: what one file may decompress to, what one archive may hold,
//! and a memory budget for decompressed bytes shared by every thread of the process.
//!
//! Parsers bound what they keep by what the input can justify (see [`Limits`]); decompressed
//! data is the one thing that can grow a thousandfold from a small input, so every gzip stream
//! and zip member is read through `take(limit + 1)` and, chunk by chunk, charged to a
//! [`MemoryBudget`] until the parse that needed it is over.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// The default [`MemoryBudget::global`] size: 512 MiB of decompressed bytes in flight at once,
/// across all threads (two maximal files, or hundreds of real ones).
pub const DEFAULT_MEMORY_BUDGET: u64 = 512 * 1024 * 1024;

/// A count of decompressed bytes held in memory, shared by threads, with a ceiling.
///
/// Every decompressed file or zip member is charged to a budget while it is read and parsed,
/// and released when the parse is over. A reservation that would pass the ceiling fails with
/// [`Error::OverBudget`] (it does not wait). Use [`MemoryBudget::global`] unless a caller wants
/// its own pool (a `static` works: [`MemoryBudget::new`] is `const`).
///
/// # Examples
///
/// ```
/// use knots_import::{Limits, MemoryBudget};
/// static SMALL: MemoryBudget = MemoryBudget::new(64 * 1024);
/// let limits = Limits { budget: &SMALL, ..Limits::default() };
/// assert_eq!(limits.budget.limit(), 65_536);
/// assert_eq!(SMALL.in_use(), 0);
/// ```
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    /// A budget of `limit` bytes, none of them in use.
    pub const fn new(limit: u64) -> Self {
        MemoryBudget {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// The process-wide budget of [`DEFAULT_MEMORY_BUDGET`] bytes that [`Limits::default`] uses.
    pub fn global() -> &'static MemoryBudget {
        static GLOBAL: MemoryBudget = MemoryBudget::new(DEFAULT_MEMORY_BUDGET);
        &GLOBAL
    }

    /// The ceiling in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes reserved right now, by all threads.
    pub fn in_use(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Reserves `bytes` more, or returns false (reserving nothing) when that passes the limit.
    fn try_add(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(bytes).filter(|&n| n <= self.limit)
            })
            .is_ok()
    }
}

/// Bytes reserved in a [`MemoryBudget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: &'static MemoryBudget,
    bytes: u64,
}

impl Reservation {
    pub(crate) fn new(budget: &'static MemoryBudget) -> Self {
        Reservation { budget, bytes: 0 }
    }

    fn grow(&mut self, bytes: u64) -> bool {
        let ok = self.budget.try_add(bytes);
        if ok {
            self.bytes += bytes;
        }
        ok
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// Bounds on what one parse may decompress and keep.
///
/// [`Limits::default`] suits real exports (the largest real activity files are tens of MB, a
/// decade of Strava or Garmin activities a few GB) and keeps hostile files far below 512 MiB.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes one gzip stream or zip member may decompress to
    /// (default [`MAX_DECOMPRESSED_BYTES`](crate::MAX_DECOMPRESSED_BYTES)).
    pub file_bytes: u64,
    /// The most bytes all members of one archive may decompress to together, nested archives
    /// included (default 16 GiB). Past it the rest of the archive is left unread, with a warning.
    pub archive_bytes: u64,
    /// The most members one archive may hold, nested archives' members included (default
    /// 200,000). An archive that lists more is refused before its directory is read.
    pub archive_members: u64,
    /// How deep zips may nest inside zips (default 4: a Garmin export's part zips are at 1).
    pub zip_depth: u32,
    /// The budget that decompressed bytes are charged to (default [`MemoryBudget::global`]).
    pub budget: &'static MemoryBudget,
    /// Keep each activity member's bytes, compressed, in [`ZipEntry::original`](crate::ZipEntry)
    /// (default false): done here, while the member is in memory, so that the caller need not
    /// read it again.
    pub keep_originals: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: crate::MAX_DECOMPRESSED_BYTES,
            archive_bytes: 16 * 1024 * 1024 * 1024,
            archive_members: 200_000,
            zip_depth: 4,
            budget: MemoryBudget::global(),
            keep_originals: false,
        }
    }
}

impl Limits {
    /// The default limits with another cap on one file's decompressed size.
    pub(crate) fn with_file_bytes(file_bytes: u64) -> Self {
        Limits {
            file_bytes,
            ..Limits::default()
        }
    }
}

/// Reads all of `reader` into memory through `take(limit + 1)`, charging every chunk to
/// `reservation`. `name` goes into errors; `wrap` turns a read error into this source's error.
pub(crate) fn read_capped(
    reader: impl Read,
    name: &str,
    limit: u64,
    reservation: &mut Reservation,
    wrap: impl Fn(std::io::Error) -> Error,
) -> Result<Vec<u8>, Error> {
    const CHUNK: usize = 64 * 1024;
    let mut reader = reader.take(limit.saturating_add(1));
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(wrap(e)),
        };
        if out.len() as u64 + n as u64 > limit {
            return Err(Error::TooLarge {
                name: name.to_string(),
                limit,
            });
        }
        // Charge what the vector will really hold: its capacity after growing.
        let need = out.len() + n;
        if need > out.capacity() {
            let new_cap = need
                .max(out.capacity().saturating_mul(2))
                .min(limit as usize);
            let new_cap = new_cap.max(need);
            if !reservation.grow((new_cap - out.capacity()) as u64) {
                return Err(Error::OverBudget {
                    name: name.to_string(),
                    limit: reservation.budget.limit(),
                });
            }
            out.reserve_exact(new_cap - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_given_back() {
        static B: MemoryBudget = MemoryBudget::new(1000);
        {
            let mut r = Reservation::new(&B);
            assert!(r.grow(600));
            let mut r2 = Reservation::new(&B);
            assert!(!r2.grow(500), "600 + 500 passes 1000");
            assert!(r2.grow(400));
            assert_eq!(B.in_use(), 1000);
        }
        assert_eq!(B.in_use(), 0);
    }

    #[test]
    fn reads_are_capped_and_charged() {
        static B: MemoryBudget = MemoryBudget::new(1 << 20);
        let data = vec![7u8; 600_000];
        let err = read_capped(
            &data[..],
            "x",
            599_999,
            &mut Reservation::new(&B),
            Error::Io,
        )
        .expect_err("one byte over");
        assert!(matches!(err, Error::TooLarge { limit: 599_999, .. }));
        assert_eq!(B.in_use(), 0);
        let mut r = Reservation::new(&B);
        let got = read_capped(&data[..], "x", 600_000, &mut r, Error::Io).expect("fits");
        assert_eq!(got.len(), 600_000);
        assert!(B.in_use() >= 600_000 && B.in_use() <= 1 << 20);
        // The first reservation still holds its bytes, so a second copy does not fit.
        let err = read_capped(
            &data[..],
            "y",
            1 << 20,
            &mut Reservation::new(&B),
            Error::Io,
        )
        .expect_err("over budget");
        assert_eq!(
            err.to_string(),
            "`y` would take decompressed data in memory past the import's budget of 1048576 bytes (files read at the same time count too)"
        );
        drop(r);
        assert_eq!(B.in_use(), 0);
    }
}
