//! [`JournalError`]: everything that can go wrong reading or writing the journal.

use std::path::PathBuf;

use thiserror::Error;

use crate::LocalOrderId;

/// A journal failure. Every variant names the file, order or column involved so
/// the log line alone tells the operator what to look at. Callers should treat
/// any error from a write as "stop trading, keep what is known": the journal is
/// the precondition for sending orders.
#[derive(Debug, Error)]
pub enum JournalError {
    /// The database file could not be opened or configured.
    #[error("journal {path}: cannot open: {source}")]
    Open {
        /// The journal file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// Another process (or another handle in this one) has the journal open
    /// for writing. Two writers would reconcile and send independently.
    #[error("journal {path}: already open for writing by another process (lock file {lock})")]
    Locked {
        /// The journal file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The lock file could not be created or locked.
    #[error("journal {path}: lock file: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file was written by a newer version of this program; opening it
    /// could misread rows, so it is refused untouched.
    #[error(
        "journal {path}: schema version {found} is newer than this program supports ({supported}); upgrade the program, the file was not modified"
    )]
    NewerSchema {
        /// The journal file.
        path: PathBuf,
        /// The version stored in the file.
        found: i64,
        /// The newest version this build understands.
        supported: i64,
    },
    /// The file is not a SQLite database, or its pages fail SQLite's
    /// consistency check (torn or truncated file, disk corruption).
    #[error("journal {path}: corrupted: {detail}; stop trading and restore from backup")]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// What was found.
        detail: String,
    },
    /// A statement failed.
    #[error("journal: {op}: {source}")]
    Sqlite {
        /// What the journal was doing.
        op: &'static str,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A call referred to a local order id the journal has never allocated.
    #[error("journal: unknown local order id {0}")]
    UnknownOrder(LocalOrderId),
    /// A stored value could not be decoded (written by a buggy or foreign tool).
    #[error("journal: table {table}, row {row}, column {column}: {detail}")]
    Decode {
        /// The table.
        table: &'static str,
        /// The row key.
        row: String,
        /// The column.
        column: &'static str,
        /// What was expected and found.
        detail: String,
    },
    /// A PostgreSQL journal operation failed (connection refused or lost,
    /// statement error). `target` is `host:port/db`, never the password.
    #[error("journal postgres {target}: {op}: {detail}")]
    Postgres {
        /// Where (masked).
        target: String,
        /// What the journal was doing.
        op: &'static str,
        /// What the server or driver said.
        detail: String,
    },
    /// Another process holds the PostgreSQL journal's writer lock.
    #[error(
        "journal postgres {target}: already open for writing by another process (advisory lock {key} is held)"
    )]
    PgLocked {
        /// Where (masked).
        target: String,
        /// The advisory lock key.
        key: i64,
    },
    /// A quantity or price does not fit SQLite's signed 64-bit integer.
    #[error("journal: {what} {value} does not fit a signed 64-bit integer")]
    OutOfRange {
        /// Which field.
        what: &'static str,
        /// The value.
        value: u64,
    },
}

impl JournalError {
    pub(crate) fn sql(op: &'static str) -> impl FnOnce(rusqlite::Error) -> JournalError {
        move |source| JournalError::Sqlite { op, source }
    }
}

/// Shorthand for journal results.
pub type Result<T, E = JournalError> = std::result::Result<T, E>;
