//! [`ReportError`]: everything that can go wrong writing or reading a run folder.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why a run folder (or one of its artifacts) could not be written or read.
///
/// Every variant that concerns a file names it, so the message alone says
/// where to look.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The Parquet writer or reader failed.
    #[error("{}: parquet: {source}", path.display())]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Building or decoding an Arrow record batch failed.
    #[error("{}: arrow: {source}", path.display())]
    Arrow {
        /// The Parquet file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// A ledger file does not have the expected columns or types.
    #[error("{}: {message}", path.display())]
    Schema {
        /// The Parquet file.
        path: PathBuf,
        /// What is wrong, with the column name.
        message: String,
    },
    /// `summary.json` could not be serialized or parsed.
    #[error("{}: json: {source}", path.display())]
    Json {
        /// The JSON file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The HTML template failed to render (a bug in the template).
    #[error("report template: {0}")]
    Template(#[from] minijinja::Error),
    /// A chart could not be drawn.
    #[error("chart {chart}: {message}")]
    Chart {
        /// Which chart.
        chart: &'static str,
        /// The plotting error.
        message: String,
    },
    /// The run id cannot be used as a folder name.
    #[error(
        "invalid run id {0:?}: expected 1-128 characters of A-Z, a-z, 0-9, '-', '_' or '.', not starting with '.'"
    )]
    InvalidRunId(String),
    /// `runs/<run_id>` exists already; runs are never overwritten.
    #[error("{} already exists; a run folder is never overwritten", .0.display())]
    RunExists(PathBuf),
    /// The input is inconsistent (an id outside the instrument or strategy
    /// table, an equity ledger out of time order, ...).
    #[error("invalid run input: {0}")]
    InvalidInput(String),
    /// A money amount does not fit the ledgers' `Decimal128(18, 8)` columns
    /// (|value| >= 10^10 dollars).
    #[error("{column} value {value} does not fit Decimal128(18, 8) (|value| must be below 1e10)")]
    DecimalOverflow {
        /// `table.column`.
        column: String,
        /// The value, as a decimal string.
        value: String,
    },
    /// An artificial failure injected by a test hook.
    #[error("injected failure before {0}")]
    Injected(String),
}

impl ReportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn schema(path: &Path, message: impl Into<String>) -> Self {
        ReportError::Schema {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
