//! The PostgreSQL engine (cargo feature `postgres`), for a clinic's shared server. The use cases
//! are [`crate::Db`]'s, the same as SQLite's; this module connects, migrates and runs
//! transactions.
//!
//! Writers take one transaction-scoped advisory lock, so two clients writing at once are
//! serialised as SQLite's `BEGIN IMMEDIATE` serialises them (the duplicate check of `import_file`
//! stays correct). Reads run in one `REPEATABLE READ` read-only transaction, so `journal()` is a
//! single snapshot. Instants and dates are stored as the same RFC 3339 / ISO 8601 text SQLite
//! holds, so values read back equal to what was written; floats are `DOUBLE PRECISION`.

use crate::sql::{Engine, Tx, Value};
use crate::{Db, Error, Result};
use postgres::config::Host;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Config, IsolationLevel, NoTls, Transaction};
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The migrations, in order; a migration's version is its position counted from 1. The file names
/// mirror `migrations/sqlite/`: a schema change adds a file to both folders.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261125_0001_init",
        include_str!("../migrations/postgres/20261125_0001_init.sql"),
    ),
    (
        "20261125_0002_activities",
        include_str!("../migrations/postgres/20261125_0002_activities.sql"),
    ),
    (
        "20261127_0003_changes",
        include_str!("../migrations/postgres/20261127_0003_changes.sql"),
    ),
    (
        "20261127_0005_tenants",
        include_str!("../migrations/postgres/20261127_0005_tenants.sql"),
    ),
    (
        "20261127_0007_reactions",
        include_str!("../migrations/postgres/20261127_0007_reactions.sql"),
    ),
    (
        "20261127_0009_originals",
        include_str!("../migrations/postgres/20261127_0009_originals.sql"),
    ),
    (
        "20261127_0010_sync",
        include_str!("../migrations/postgres/20261127_0010_sync.sql"),
    ),
    (
        "20261127_0011_programs",
        include_str!("../migrations/postgres/20261127_0011_programs.sql"),
    ),
];

/// The advisory lock every write (and the migration run) holds until it commits: "knots" in ASCII.
const WRITE_LOCK: i64 = 0x6b_6e6f_7473;

/// A journal in a PostgreSQL database.
pub type PostgresStore = Db<Postgres>;

/// The PostgreSQL engine: one connection.
///
/// Its `Debug` form shows the server and database, never the password.
pub struct Postgres {
    // Reads take `&self` but a client needs `&mut`; the mutex also keeps the engine `Sync`.
    client: Mutex<Client>,
    /// The connection URL with the password replaced, for messages.
    shown: String,
    /// Clinic mode: whom each transaction acts for (see [`Scope`]).
    scope: Option<Scope>,
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Postgres")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Db<Postgres> {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, or the
    /// `key=value` form) and brings its schema up to date. The database must exist.
    ///
    /// The connection is not encrypted (`NoTls`): use a local server, a private network or a
    /// tunnel.
    ///
    /// # Errors
    /// [`Error::Open`] when the URL is not valid or the server cannot be reached or refuses the
    /// login, [`Error::Corrupt`] when the database holds another program's `schema_migrations` or
    /// was migrated by a newer knots.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let shown = redact(url);
        let open_err = |message: String| Error::Open {
            path: shown.clone(),
            message,
        };
        let config = Config::from_str(url).map_err(|e| open_err(e.to_string()))?;
        let mut client = config.connect(NoTls).map_err(|e| open_err(message(&e)))?;
        migrate(&mut client).map_err(|e| match e {
            // Tables or columns not as the migrations made them (42501, no privilege, is not that).
            Fault::Pg(pg)
                if pg
                    .code()
                    .is_some_and(|c| c.code().starts_with("42") && c.code() != "42501") =>
            {
                Error::Corrupt {
                    path: shown.clone(),
                    message: format!("not a knots database: {}", message(&pg)),
                }
            }
            other => classify(&shown, other),
        })?;
        Ok(Db {
            engine: Postgres {
                client: Mutex::new(client),
                shown,
                scope: None,
            },
        })
    }
}

impl Postgres {
    /// Runs `f` in one transaction: a writer holds the write lock until it commits; a reader
    /// reads one `REPEATABLE READ` snapshot.
    fn run<T>(&self, write: bool, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut client = self.client();
        let fail = |e: postgres::Error| classify(&self.shown, Fault::Pg(e));
        let mut tx = if write {
            let mut tx = client.transaction().map_err(fail)?;
            let lock = self.scope.map_or(WRITE_LOCK, Scope::write_lock);
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                .map_err(fail)?;
            tx
        } else {
            // A read audited in clinic mode writes its audit row in the same transaction.
            let audited = self
                .scope
                .is_some_and(|s| s.audit_reads && s.client.is_some());
            client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(!audited)
                .start()
                .map_err(fail)?
        };
        if let Some(scope) = &self.scope {
            scope.begin(&mut tx, !write).map_err(fail)?;
        }
        let out = f(&mut PgTx {
            tx: &mut tx,
            shown: &self.shown,
        })?;
        tx.commit().map_err(fail)?;
        Ok(out)
    }

    fn client(&self) -> MutexGuard<'_, Client> {
        // A panic while the lock was held left at most an unfinished transaction, which the
        // client rolls back before its next statement.
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (the store's SQL has no `?` inside literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Real(v) => match *ty {
                #[allow(clippy::cast_possible_truncation)]
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bool(v) => v.to_sql(ty, out),
            Value::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::INT2,
            Type::INT4,
            Type::INT8,
            Type::FLOAT4,
            Type::FLOAT8,
            Type::BOOL,
            Type::TEXT,
            Type::VARCHAR,
            Type::BYTEA,
        ]
        .contains(ty)
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(
        _: &Type,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

struct PgTx<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    shown: &'a str,
}

impl Tx for PgTx<'_, '_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self
            .tx
            .query(&numbered(sql), &refs)
            .map_err(|e| classify(self.shown, Fault::Pg(e)))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        row.try_get::<_, Value>(i)
                            .map_err(|e| classify(self.shown, Fault::Pg(e)))
                    })
                    .collect()
            })
            .collect()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.tx
            .execute(&numbered(sql), &refs)
            .map_err(|e| classify(self.shown, Fault::Pg(e)))
    }

    fn shown(&self) -> &str {
        self.shown
    }
}

impl Engine for Postgres {
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.run(true, f)
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.run(false, f)
    }

    fn sync(&mut self) -> Result<()> {
        // Every commit already waited for the server's WAL flush.
        Ok(())
    }

    fn after_explicit_ids(tx: &mut dyn Tx, table: &str) -> Result<()> {
        // Explicit ids do not move the identity sequences: the next new row of each table gets
        // the id after the largest kept one (SQLite's rowid does the same). `profile` has none.
        if table == "profile" {
            return Ok(());
        }
        tx.query(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            ),
            &[],
        )?;
        Ok(())
    }
}

/// A connection string (URL or `key=value` form) as it may be shown: parsed, then written back as
/// a URL without the password. A string that does not parse is not shown at all (it could be
/// mostly password).
pub fn redact(url: &str) -> String {
    let Ok(config) = Config::from_str(url) else {
        return "(an invalid PostgreSQL URL)".into();
    };
    let mut out = String::from("postgres://");
    if let Some(user) = config.get_user() {
        out.push_str(user);
        if config.get_password().is_some() {
            out.push_str(":***");
        }
        out.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(dir) => dir.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    out.push_str(&hosts.join(","));
    if let Some(db) = config.get_dbname() {
        out.push('/');
        out.push_str(db);
    }
    out
}

/// Why a call failed, before it is named for the caller by [`classify`].
#[derive(Debug)]
enum Fault {
    Pg(postgres::Error),
    /// The database is not (this version of) a knots journal.
    Schema(String),
    /// A value could not be encoded.
    Encode(String),
}

type Res<T> = std::result::Result<T, Fault>;

impl From<postgres::Error> for Fault {
    fn from(e: postgres::Error) -> Fault {
        Fault::Pg(e)
    }
}

/// The server's message (with its detail), or the client's.
fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

fn classify(shown: &str, fault: Fault) -> Error {
    let corrupt = |message: String| Error::Corrupt {
        path: shown.into(),
        message,
    };
    match fault {
        Fault::Schema(message) => corrupt(message),
        Fault::Encode(message) => Error::Backend(message),
        Fault::Pg(e) => {
            let text = message(&e);
            let Some(code) = e.code().map(|c| c.code()) else {
                return if e.is_closed() {
                    Error::Open {
                        path: shown.into(),
                        message: format!("the connection to the server was lost: {text}"),
                    }
                } else {
                    Error::Backend(text)
                };
            };
            match code {
                // Integrity constraint violations: unique, foreign key, check, not null.
                c if c.starts_with("23") => Error::Conflict(text),
                // Connection exceptions, refused logins, a missing database, no privilege on it,
                // a server going down.
                c if c.starts_with("08")
                    || c == "42501"
                    || c.starts_with("28")
                    || c.starts_with("3D")
                    || c.starts_with("57P") =>
                {
                    Error::Open {
                        path: shown.into(),
                        message: text,
                    }
                }
                "XX001" | "XX002" => corrupt(text),
                _ => Error::Backend(text),
            }
        }
    }
}

/// Applies the migrations not yet recorded in `schema_migrations`, all in one transaction under
/// the write lock (two clients opening a new database at once do not race).
fn migrate(client: &mut Client) -> Res<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, \
         name TEXT NOT NULL, \
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )?;
    let applied = tx.query(
        "SELECT version, name FROM schema_migrations ORDER BY version",
        &[],
    )?;
    for (i, row) in applied.iter().enumerate() {
        let version: i64 = row.try_get("version")?;
        let name: &str = row.try_get("name")?;
        match MIGRATIONS.get(i) {
            Some((known, _)) if *known == name && usize::try_from(version) == Ok(i + 1) => {}
            Some(_) => {
                return Err(Fault::Schema(format!(
                    "`schema_migrations` lists `{name}` as version {version}, which this knots does \
                     not know: not a knots database"
                )));
            }
            None => {
                return Err(Fault::Schema(format!(
                    "the schema is at version {version}, newer than this knots knows ({}): \
                     update knots",
                    MIGRATIONS.len()
                )));
            }
        }
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied.len()) {
        tx.batch_execute(sql)?;
        let version = i64::try_from(i + 1).map_err(|e| Fault::Encode(e.to_string()))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, name],
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{PostgresStore, redact};

    #[test]
    fn the_store_can_be_shared_like_the_sqlite_one() {
        // knots-web keeps its store in a mutex across tasks: `Store + Send + 'static`.
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<PostgresStore>();
    }

    #[test]
    fn redact_hides_the_password_in_every_form() {
        for (url, shown) in [
            (
                "postgres://knots:s3cret@db.example:5433/journal?sslmode=disable",
                "postgres://knots:***@db.example:5433/journal",
            ),
            (
                "postgresql://knots:s3cr%2Fet@localhost/journal",
                "postgres://knots:***@localhost:5432/journal",
            ),
            (
                "postgres://knots@localhost/journal?password=s3cret",
                "postgres://knots:***@localhost:5432/journal",
            ),
            (
                "host=localhost user=knots password='s3 cret' dbname=journal",
                "postgres://knots:***@localhost/journal",
            ),
            (
                "postgres://localhost/journal",
                "postgres://localhost:5432/journal",
            ),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
        assert!(!redact("postgres://knots:s3cret@[::1").contains("s3cret"));
    }
}

/// Clinic mode: whom a connection's transactions act for. A scoped engine starts every
/// transaction with `SET LOCAL knots.user`, `knots.clinic` and `knots.client` (through
/// `set_config(…, true)`), so the row-level security policies of a clinic database
/// (`crates/knots-clinic/sql/`) show it only the rows this user may see and new rows get this
/// clinic and client by their column defaults. The store's use cases run unchanged on a scoped
/// engine: `Db<Postgres>` scoped to one client is that client's journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The signed-in user's id.
    pub user: i64,
    /// Their clinic's id.
    pub clinic: i64,
    /// The client whose journal this is, if any (a client list has none).
    pub client: Option<i64>,
    /// Whether each read transaction on a client writes a `read` audit row first (a
    /// therapist's or admin's reads; needs the clinic schema's `knots_audit_read()`).
    pub audit_reads: bool,
}

impl Scope {
    /// Writers of one client wait for each other (the duplicate check of `import_file` is per
    /// journal); different clients write in parallel.
    fn write_lock(self) -> i64 {
        WRITE_LOCK ^ self.client.unwrap_or(0).rotate_left(40)
    }

    fn begin(
        &self,
        tx: &mut Transaction<'_>,
        read: bool,
    ) -> std::result::Result<(), postgres::Error> {
        let client = self.client.map(|c| c.to_string()).unwrap_or_default();
        tx.execute(
            "SELECT set_config('knots.user', $1, true), set_config('knots.clinic', $2, true), \
             set_config('knots.client', $3, true)",
            &[&self.user.to_string(), &self.clinic.to_string(), &client],
        )?;
        if read && self.audit_reads && self.client.is_some() {
            tx.execute("SELECT knots_audit_read()", &[])?;
        }
        Ok(())
    }
}

impl Db<Postgres> {
    /// Scopes every later transaction of this connection to `scope` (`None`: unscoped, as a
    /// single-user journal).
    pub fn set_scope(&mut self, scope: Option<Scope>) {
        self.engine.scope = scope;
    }

    /// The current scope.
    pub fn scope(&self) -> Option<Scope> {
        self.engine.scope
    }

    /// Switches the connection to `role` for the rest of its life (`SET ROLE`): a clinic server
    /// connects with the URL it was given and then acts as the clinic's app role, which owns no
    /// table and cannot bypass row-level security.
    ///
    /// # Errors
    /// [`Error::Open`] when the role does not exist or may not be taken.
    pub fn set_role(&mut self, role: &str) -> Result<()> {
        let quoted = format!("\"{}\"", role.replace('"', "\"\""));
        self.engine
            .client()
            .batch_execute(&format!("SET ROLE {quoted}"))
            .map_err(|e| classify(&self.engine.shown, Fault::Pg(e)))
    }

    /// Runs `f` in a write transaction of this connection (scoped as set), for clinic tables the
    /// journal's use cases do not cover.
    ///
    /// # Errors
    /// `f`'s, or the engine's.
    pub fn write_tx<T>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.engine.write(f)
    }

    /// Runs `f` in one read snapshot of this connection (scoped as set).
    ///
    /// # Errors
    /// `f`'s, or the engine's.
    pub fn read_tx<T>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.engine.read(f)
    }
}
