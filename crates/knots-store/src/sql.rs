//! The few primitives an engine gives the store: a value type, a transaction that runs SQL text
//! with `?` placeholders, and read and write transactions. Everything else — which rows a use case
//! reads and writes, how a record maps to columns — is written once, in `records.rs` and `db.rs`.

use crate::Result;

/// A value bound to a placeholder or read from a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
    /// A boolean (SQLite keeps it as 0/1).
    Bool(bool),
    /// Bytes.
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// One open transaction. SQL is written with `?` placeholders, numbered in order of appearance;
/// an engine translates them to its own form.
pub trait Tx {
    /// Runs a query and returns its rows.
    ///
    /// # Errors
    /// The engine's error, classified ([`crate::Error`]).
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>>;
    /// Runs a statement and returns how many rows it changed.
    ///
    /// # Errors
    /// As [`Tx::query`].
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Where the journal is, for messages (a path or a URL without its password).
    fn shown(&self) -> &str;
}

/// A database engine: how to open transactions on it. Implemented by the SQLite and PostgreSQL
/// back ends; the store's use cases ([`crate::Db`]) are written once over it.
pub trait Engine {
    /// Runs `f` in a write transaction, serialised with every other writer, and commits it when
    /// `f` succeeds (rolls back otherwise).
    ///
    /// # Errors
    /// `f`'s error, or the engine's.
    fn write<T>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T>;
    /// Runs `f` in one read-only snapshot.
    ///
    /// # Errors
    /// As [`Engine::write`].
    fn read<T>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T>;
    /// A write transaction for a bulk import: atomic, but it may commit without waiting for the
    /// disk ([`Engine::sync`] ends the batch). The default is [`Engine::write`].
    ///
    /// # Errors
    /// As [`Engine::write`].
    fn write_bulk<T>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
        self.write(f)
    }
    /// Makes everything committed so far durable.
    ///
    /// # Errors
    /// The engine's.
    fn sync(&mut self) -> Result<()>;
    /// After rows were inserted with explicit ids (a restore), lets the next generated id of
    /// `table` follow them. The default does nothing (SQLite's rowids follow by themselves).
    ///
    /// # Errors
    /// The engine's.
    fn after_explicit_ids(tx: &mut dyn Tx, table: &str) -> Result<()>
    where
        Self: Sized,
    {
        let _ = (tx, table);
        Ok(())
    }
}
