//! The SQLite engine: one file, WAL mode, migrations applied on open. The use cases are
//! [`crate::Db`]'s; this module only opens the file and runs transactions.

use crate::sql::{Engine, Tx, Value};
use crate::{Db, Error, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};
use std::path::Path;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/20261125_0001_init.sql"),
    include_str!("../migrations/sqlite/20261125_0002_activities.sql"),
    include_str!("../migrations/sqlite/20261127_0003_changes.sql"),
    include_str!("../migrations/sqlite/20261127_0007_reactions.sql"),
    include_str!("../migrations/sqlite/20261127_0009_originals.sql"),
    include_str!("../migrations/sqlite/20261127_0010_sync.sql"),
    include_str!("../migrations/sqlite/20261127_0011_programs.sql"),
];

/// A journal in one SQLite file.
pub type SqliteStore = Db<Sqlite>;

/// The SQLite engine: one connection to the journal file.
#[derive(Debug)]
pub struct Sqlite {
    conn: Connection,
    path: String,
    /// A bulk import is under way: commits do not wait for the disk until [`Engine::sync`] (or
    /// an ordinary write) ends it, and the WAL is copied into the database file by
    /// [`Checkpointer`] (when the journal is a file), not by the writing connection.
    bulk: Option<Option<Checkpointer>>,
}

/// Copies the WAL into the database file on a thread and connection of its own while a bulk
/// import writes (a passive checkpoint after each bulk commit, skipped while one is running).
/// Done by the writing connection, the copy took about a third of the writer's time with the
/// original files kept, on the one thread every file waits for; here it overlaps the writing on
/// a second core. The writer's own automatic checkpoints are off meanwhile; [`Engine::sync`]
/// (or the next ordinary write) stops this thread and checkpoints what is left.
#[derive(Debug)]
struct Checkpointer {
    /// Taken (closing the channel, which ends the thread's loop) when dropped.
    wake: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// A checkpointer for the journal file at `path`; `None` when it cannot start (the writer
    /// then checkpoints as usual).
    fn start(path: &str) -> Option<Checkpointer> {
        let conn = Connection::open(path).ok()?;
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("knots-checkpoint".into())
            .spawn(move || {
                for () in woken {
                    // A passive checkpoint never waits for the writer; one that does not finish
                    // (or fails) leaves its frames to the next one, or to the final checkpoint.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok()?;
        Some(Checkpointer {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint, unless one is already asked for.
    fn nudge(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    /// Lets the running checkpoint (if any) finish and closes the thread's connection.
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The WAL size, in pages, at which SQLite checkpoints by itself outside a bulk import (its
/// default).
const WAL_AUTOCHECKPOINT: &str = "1000";

/// How a journal file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Created when missing, its schema brought up to date; reads and writes.
    ReadWrite,
    /// Reads only: never creates, migrates or writes the file (not even WAL bookkeeping), so a
    /// journal on read-only media can be read.
    ReadOnly,
}

impl Db<Sqlite> {
    /// Opens (creating if missing) the journal at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// As [`Db::open_with`].
    pub fn open(path: &Path) -> Result<SqliteStore> {
        Self::open_with(path, Access::ReadWrite)
    }

    /// Opens the journal at `path`.
    ///
    /// A file that holds another program's tables is refused before anything is written to it.
    /// Migrations run under an exclusive lock on the file, so programs opening a new journal at
    /// the same moment wait for each other instead of racing.
    ///
    /// # Errors
    /// [`Error::Open`] when the file cannot be opened or created (or, read-only, does not exist
    /// or needs an upgrade), [`Error::Corrupt`] when it is not a SQLite database, not a knots
    /// journal, or was written by a newer knots.
    pub fn open_with(path: &Path, access: Access) -> Result<SqliteStore> {
        let shown = path.display().to_string();
        let open_err = |e: rusqlite::Error| Error::Open {
            path: shown.clone(),
            message: e.to_string(),
        };
        let corrupt = |e: rusqlite::Error| classify(&shown, e);
        let conn = match access {
            Access::ReadWrite => Connection::open(path).map_err(open_err)?,
            Access::ReadOnly => open_read_only(path, &shown)?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        refuse_foreign(&conn, &shown)?;
        if access == Access::ReadOnly {
            let version: usize = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(corrupt)?;
            if version < MIGRATIONS.len() {
                return Err(Error::Open {
                    path: shown,
                    message: "the journal was written by an older knots: open it once with a \
                              command that writes, to upgrade it"
                        .into(),
                });
            }
            if version > MIGRATIONS.len() {
                return Err(Error::Corrupt {
                    path: shown,
                    message: format!(
                        "the schema is at version {version}, newer than this knots knows ({}): \
                         update knots",
                        MIGRATIONS.len()
                    ),
                });
            }
            return Ok(Db {
                engine: Sqlite {
                    conn,
                    path: shown,
                    bulk: None,
                },
            });
        }
        // One migrator at a time: an exclusive lock on the file itself (flock, which SQLite's
        // own fcntl locks do not see), held until the schema is up to date.
        // An in-memory journal (`:memory:`) has no file and no other migrator.
        let lock = if path.as_os_str() == ":memory:" {
            None
        } else {
            let file = std::fs::File::open(path).map_err(|e| Error::Open {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            file.lock().map_err(|e| Error::Open {
                path: shown.clone(),
                message: format!("cannot lock the journal for its upgrade: {e}"),
            })?;
            Some(file)
        };
        let mut conn = conn;
        // WAL keeps committed transactions across a crash; foreign keys guard session and shoe ids.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        // Every ordinary write waits for the disk; bulk import relaxes this per call (see
        // `write_bulk`).
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(corrupt)?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        migrations.to_latest(&mut conn).map_err(|e| match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => classify(&shown, err),
            other => Error::Corrupt {
                path: shown.clone(),
                message: other.to_string(),
            },
        })?;
        drop(lock);
        Ok(Db {
            engine: Sqlite {
                conn,
                path: shown,
                bulk: None,
            },
        })
    }
}

/// Opens an existing file without writing to it; a WAL journal on read-only media (where the
/// `-shm` file cannot be made) is opened as immutable.
fn open_read_only(path: &Path, shown: &str) -> Result<Connection> {
    use rusqlite::OpenFlags;
    if !path.exists() {
        return Err(Error::Open {
            path: shown.into(),
            message: "no journal here".into(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(shown, e))?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(conn),
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
            ) =>
        {
            let uri = format!("file:{}?immutable=1", path.display());
            Connection::open_with_flags(uri, flags).map_err(|e| classify(shown, e))
        }
        Err(e) => Err(classify(shown, e)),
    }
}

/// Refuses a database that holds tables but is not a knots journal (another program's file),
/// before anything is written to it.
fn refuse_foreign(conn: &Connection, shown: &str) -> Result<()> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(|e| classify(shown, e))?;
    if !tables.is_empty() && !tables.iter().any(|t| t == "meta") {
        let mut named: Vec<&str> = tables.iter().map(String::as_str).take(5).collect();
        if tables.len() > 5 {
            named.push("…");
        }
        return Err(Error::Corrupt {
            path: shown.into(),
            message: format!(
                "not a knots journal: it holds another program's tables ({}); nothing was changed",
                named.join(", ")
            ),
        });
    }
    Ok(())
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Bool(v) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*v))),
            Value::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

fn value(v: ValueRef<'_>) -> rusqlite::Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(rusqlite::Error::Utf8Error)?
                .to_string(),
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

struct SqliteTx<'a> {
    tx: &'a Transaction<'a>,
    path: &'a str,
}

impl Tx for SqliteTx<'_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        let run = || -> rusqlite::Result<Vec<Vec<Value>>> {
            let mut stmt = self.tx.prepare_cached(sql)?;
            let n = stmt.column_count();
            let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(
                    (0..n)
                        .map(|i| value(row.get_ref(i)?))
                        .collect::<rusqlite::Result<Vec<Value>>>()?,
                );
            }
            Ok(out)
        };
        run().map_err(|e| classify(self.path, e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(params.iter())))
            .map(|n| n as u64)
            .map_err(|e| classify(self.path, e))
    }

    fn shown(&self) -> &str {
        self.path
    }
}

impl Sqlite {
    fn run<T>(&self, tx: Transaction<'_>, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let out = f(&mut SqliteTx {
            tx: &tx,
            path: &self.path,
        })?;
        tx.commit().map_err(|e| classify(&self.path, e))?;
        Ok(out)
    }

    /// Back to ordinary writes that wait for the disk, after a bulk import.
    fn end_bulk(&mut self) -> Result<()> {
        if let Some(checkpointer) = self.bulk.take() {
            drop(checkpointer);
            self.pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
            self.pragma("synchronous", "FULL")?;
        }
        Ok(())
    }

    fn pragma(&self, name: &str, value: &str) -> Result<()> {
        self.conn
            .pragma_update(None, name, value)
            .map_err(|e| classify(&self.path, e))
    }
}

impl Engine for Sqlite {
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        // An ordinary write waits for the disk again (and makes the bulk commits before it
        // durable with its own).
        self.end_bulk()?;
        // BEGIN IMMEDIATE takes the write lock at once, so writers queue (up to the busy timeout)
        // instead of failing half way.
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| classify(&self.path, e))?;
        self.run(tx, f)
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        // One deferred transaction: every table of a read comes from the same snapshot.
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| classify(&self.path, e))?;
        self.run(tx, f)
    }

    fn write_bulk<T>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        // WAL with synchronous=NORMAL: the commit is atomic and survives a crash or kill of the
        // program, but does not wait for an fsync; waiting once per file made a 2-core import
        // disk-bound (1.4 cores busy instead of 1.8). `sync` makes the batch durable at its end.
        // The setting is made once for the batch, not around every file (two statements a file).
        if self.bulk.is_none() {
            self.pragma("synchronous", "NORMAL")?;
            let checkpointer = self
                .conn
                .path()
                .filter(|p| !p.is_empty())
                .and_then(Checkpointer::start);
            if checkpointer.is_some() {
                self.pragma("wal_autocheckpoint", "0")?;
            }
            self.bulk = Some(checkpointer);
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| classify(&self.path, e))?;
        let out = self.run(tx, f)?;
        if let Some(Some(checkpointer)) = &self.bulk {
            checkpointer.nudge();
        }
        Ok(out)
    }

    fn sync(&mut self) -> Result<()> {
        // The bulk import's checkpointer finishes first (it would make the full checkpoint wait).
        if let Some(checkpointer) = self.bulk.as_mut() {
            drop(checkpointer.take());
        }
        // A full checkpoint copies the WAL into the database file and fsyncs it.
        self.conn
            .query_row("PRAGMA wal_checkpoint(FULL)", [], |_| Ok(()))
            .map_err(|e| classify(&self.path, e))?;
        self.end_bulk()
    }
}

fn classify(path: &str, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.into(),
            message: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            Error::Busy { path: path.into() }
        }
        Some(ErrorCode::ReadOnly) => Error::Open {
            path: path.into(),
            message: "the journal is read-only here (read-only media or permissions): it can be \
                      read but not changed"
                .into(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => Error::Open {
            path: path.into(),
            message: e.to_string(),
        },
        Some(ErrorCode::ConstraintViolation) => Error::Conflict(e.to_string()),
        _ => match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..) => Error::Corrupt {
                path: path.into(),
                message: e.to_string(),
            },
            other => Error::Backend(other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn pragma(db: &SqliteStore, name: &str) -> i64 {
        db.engine
            .conn
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .expect("pragma")
    }

    #[test]
    fn a_bulk_import_is_checkpointed_by_its_own_thread_and_sync_ends_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.db");
        let mut db = Db::<Sqlite>::open(&path).expect("opens");
        let before = std::fs::metadata(&path).expect("file").len();
        for i in 0..20 {
            db.engine
                .write_bulk(|tx| {
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        &[format!("bulk{i}").into(), "x".repeat(100_000).into()],
                    )
                })
                .expect("bulk write");
        }
        // While the import runs, the writer neither waits for the disk nor checkpoints.
        assert_eq!(pragma(&db, "synchronous"), 1, "NORMAL");
        assert_eq!(pragma(&db, "wal_autocheckpoint"), 0);
        // Stopping the checkpointer lets its last checkpoint (asked for after the last commit)
        // finish: the 2 MB written are in the database file, copied there by that thread alone.
        if let Some(checkpointer) = db.engine.bulk.as_mut() {
            assert!(checkpointer.is_some(), "a journal file gets a checkpointer");
            drop(checkpointer.take());
        }
        let after = std::fs::metadata(&path).expect("file").len();
        assert!(after >= before + 2_000_000, "{before} -> {after} bytes");
        db.sync().expect("sync");
        assert_eq!(pragma(&db, "synchronous"), 2, "FULL");
        assert_eq!(pragma(&db, "wal_autocheckpoint"), 1000);
        assert!(db.engine.bulk.is_none());
        let rows: i64 = db
            .engine
            .conn
            .query_row(
                "SELECT count(*) FROM meta WHERE key LIKE 'bulk%'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(rows, 20);
    }
}
