//! [`ChainError`]: why a chain file, spec or store could not be used. Every
//! message names the file and, where there is one, the 1-based line and
//! the column, so it can be pasted into an editor's "go to line".

use std::path::PathBuf;

use thiserror::Error;

/// A chain file, spec or store that cannot be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The spec is unusable (unknown preset field, bad date pattern,
    /// missing required setting).
    #[error("chain spec: {0}")]
    Spec(String),
    /// The file has no bytes or no header.
    #[error("{file}: empty file: expected a header line and data rows")]
    Empty {
        /// The file.
        file: String,
    },
    /// A column the spec needs is not in the header.
    #[error("{file}: no column {wanted:?} for {role}; the header has {available:?}")]
    MissingColumn {
        /// The file.
        file: String,
        /// What the column is for (`bid`, `expiry`, ...).
        role: &'static str,
        /// The column name looked for.
        wanted: String,
        /// The header's column names.
        available: Vec<String>,
    },
    /// A field that cannot be read.
    #[error("{file}:{line}: column {column:?}: expected {expected}, found {found:?}")]
    Field {
        /// The file.
        file: String,
        /// 1-based line (the header is line 1).
        line: u64,
        /// The column name.
        column: String,
        /// What was expected.
        expected: String,
        /// The text found.
        found: String,
    },
    /// The CSV tokenizer failed (bad quoting, invalid UTF-8) or a row has
    /// the wrong number of fields.
    #[error("{file}:{line}: {message}")]
    Malformed {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// Rows were read but no quote date could be built for any of them.
    #[error("{file}: no data rows")]
    NoRows {
        /// The file.
        file: String,
    },
    /// A Parquet chain-store file could not be written or read.
    #[error("{path}: {message}")]
    Store {
        /// The store file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
