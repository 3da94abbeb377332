//! Problems found in data files, where they are, and the crate's error type.
//!
//! Every message a user sees names the file and, when there is one, the
//! 1-based line (CSV) or row (Parquet) and the column, so that
//! `data/x.csv:1234: column "High": expected a decimal number, found "abc"`
//! can be pasted straight into an editor's "go to line".

use std::fmt;
use std::path::PathBuf;

use jiff::civil::Date;
use thiserror::Error;
use trade_core::BarProblem;

/// Where in a file a problem sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole.
    File,
    /// A 1-based physical line of a text file (the header is line 1).
    Line(u64),
    /// A 1-based data row of a Parquet file.
    Row(u64),
}

/// How serious a problem is, after the spec's policies were applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The file cannot be used as configured.
    Error,
    /// Reported; the row was kept or dropped as the policy says.
    Warning,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file has no bytes at all.
    EmptyFile,
    /// A header but no data rows.
    NoDataRows,
    /// Rows exist, but none survived filtering (symbol, hours, policies).
    NoBarsLeft,
    /// A configured column name is not in the header.
    UnknownColumn {
        /// What the column was for (`close`, `timestamp`, ...).
        role: &'static str,
        /// The configured name or index.
        wanted: String,
        /// The header's column names.
        available: Vec<String>,
    },
    /// Auto-detection found no column for a required role.
    MissingColumn {
        /// What the column is for.
        role: &'static str,
        /// The header's column names.
        available: Vec<String>,
    },
    /// Two roles resolved to the same column.
    ColumnUsedTwice {
        /// The column.
        column: String,
    },
    /// The spec itself is unusable (bad time zone, bad format string...).
    BadSpec(String),
    /// A number field is not a decimal number (includes NaN and inf).
    BadNumber {
        /// The text found.
        found: String,
    },
    /// A volume that is not a non-negative whole number.
    BadVolume {
        /// The text found.
        found: String,
    },
    /// A required field is empty.
    EmptyField,
    /// A timestamp that cannot be parsed.
    BadTimestamp {
        /// The text found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// A row with the wrong number of fields (a truncated line, say).
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// The CSV tokenizer or the text encoding failed.
    Malformed(String),
    /// The file could not be opened or read.
    Unreadable(String),
    /// A price is zero or negative.
    NonPositivePrice {
        /// The text or value found.
        found: String,
    },
    /// Prices of one row contradict each other.
    BadOhlc {
        /// What is inconsistent.
        problem: BarProblem,
        /// Open, high, low, close as found.
        ohlc: [String; 4],
    },
    /// The same timestamp as the previous row.
    Duplicate {
        /// The line or row it repeats.
        previous: u64,
        /// The timestamp, as text.
        ts: String,
    },
    /// A row out of order for a file that is otherwise sorted.
    OutOfOrder {
        /// The neighbouring line or row it conflicts with.
        previous: u64,
        /// The file's order as established by its first rows.
        order: &'static str,
    },
    /// A row dated on a day the exchange was closed.
    NonSession {
        /// The date.
        date: Date,
        /// Holiday name when the calendar knows it.
        reason: Option<&'static str>,
    },
    /// A date outside the exchange calendar's range.
    OutsideCalendar {
        /// The date.
        date: Date,
    },
    /// A file with several symbols and no `symbol` chosen.
    SeveralSymbols {
        /// Some of the symbols seen.
        symbols: Vec<String>,
    },
    /// The interval could not be detected.
    NoInterval,
    /// No volume column: volumes are zero.
    NoVolume,
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ProblemKind as K;
        match self {
            K::EmptyFile => f.write_str("the file is empty"),
            K::NoDataRows => f.write_str("no data rows after the header"),
            K::NoBarsLeft => f.write_str("no bars left after filtering"),
            K::UnknownColumn {
                role,
                wanted,
                available,
            } => write!(
                f,
                "{role} column {wanted:?} not found; available columns: {}",
                list(available)
            ),
            K::MissingColumn { role, available } => write!(
                f,
                "no {role} column found (set columns.{role}); available columns: {}",
                list(available)
            ),
            K::ColumnUsedTwice { column } => {
                write!(f, "column {column:?} is mapped to two roles")
            }
            K::BadSpec(m) => write!(f, "invalid data spec: {m}"),
            K::BadNumber { found } => write!(f, "expected a decimal number, found {found:?}"),
            K::BadVolume { found } => {
                write!(f, "expected a non-negative whole number, found {found:?}")
            }
            K::EmptyField => f.write_str("empty value"),
            K::BadTimestamp { found, expected } => {
                write!(f, "expected {expected}, found {found:?}")
            }
            K::FieldCount { expected, found } => write!(
                f,
                "expected {expected} fields like the header, found {found} (truncated line?)"
            ),
            K::Malformed(m) => write!(f, "malformed file: {m}"),
            K::Unreadable(m) => write!(f, "cannot read: {m}"),
            K::NonPositivePrice { found } => {
                write!(f, "price must be positive, found {found:?}")
            }
            K::BadOhlc { problem, ohlc } => write!(
                f,
                "inconsistent OHLC: {problem} (open {}, high {}, low {}, close {})",
                ohlc[0], ohlc[1], ohlc[2], ohlc[3]
            ),
            K::Duplicate { previous, ts } => {
                write!(f, "duplicate timestamp {ts} (same as line/row {previous})")
            }
            K::OutOfOrder { previous, order } => write!(
                f,
                "row out of order: the file is {order} up to line/row {previous} but not here"
            ),
            K::NonSession { date, reason } => match reason {
                Some(r) => write!(f, "{date} is not a trading session (exchange closed: {r})"),
                None => write!(f, "{date} is not a trading session (exchange closed)"),
            },
            K::OutsideCalendar { date } => write!(
                f,
                "{date} is outside the exchange calendar's years {}..={}",
                trade_calendar::FIRST_YEAR,
                trade_calendar::LAST_YEAR
            ),
            K::SeveralSymbols { symbols } => write!(
                f,
                "the file holds several symbols ({}); set `symbol` to choose one",
                symbols.join(", ")
            ),
            K::NoInterval => f.write_str(
                "cannot detect the bar interval (fewer than two bars per day); set `interval`",
            ),
            K::NoVolume => f.write_str("no volume column: volumes are set to 0"),
        }
    }
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as given in the spec.
    pub file: String,
    /// Line or row.
    pub location: Location,
    /// The column's header name, when one column is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Error or warning.
    pub severity: Severity,
    /// Whether the row was dropped (the `drop` policy).
    pub dropped: bool,
}

impl Problem {
    /// An error-severity problem.
    pub fn error(file: &str, location: Location, column: Option<&str>, kind: ProblemKind) -> Self {
        Problem {
            file: file.to_string(),
            location,
            column: column.map(str::to_string),
            kind,
            severity: Severity::Error,
            dropped: false,
        }
    }

    /// The 1-based line or row, if any.
    pub fn line(&self) -> Option<u64> {
        match self.location {
            Location::File => None,
            Location::Line(n) | Location::Row(n) => Some(n),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Location::File => write!(f, "{}: ", self.file)?,
            Location::Line(n) => write!(f, "{}:{n}: ", self.file)?,
            Location::Row(n) => write!(f, "{}: row {n}: ", self.file)?,
        }
        if let Some(c) = &self.column {
            write!(f, "column {c:?}: ")?;
        }
        write!(f, "{}", self.kind)?;
        if self.dropped {
            f.write_str(" (row dropped)")?;
        }
        Ok(())
    }
}

/// Why data could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A located problem in the data (the first one, in fail-fast mode).
    #[error("{0}")]
    Invalid(Box<Problem>),
    /// A Parquet file could not be decoded or written.
    #[error("{}: parquet: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What the Parquet or Arrow layer said.
        message: String,
    },
    /// Corporate actions could not be applied.
    #[error(transparent)]
    Adjust(#[from] crate::adjust::AdjustError),
}

impl From<Problem> for DataError {
    fn from(p: Problem) -> Self {
        DataError::Invalid(Box::new(p))
    }
}

impl DataError {
    /// The located problem, if this error is one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            DataError::Invalid(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_line_and_column() {
        let cases: Vec<(&str, Problem, &str)> = vec![
            (
                "bad number",
                Problem::error(
                    "data/x.csv",
                    Location::Line(1234),
                    Some("High"),
                    ProblemKind::BadNumber {
                        found: "abc".into(),
                    },
                ),
                r#"data/x.csv:1234: column "High": expected a decimal number, found "abc""#,
            ),
            (
                "file level",
                Problem::error("a.csv", Location::File, None, ProblemKind::EmptyFile),
                "a.csv: the file is empty",
            ),
            (
                "parquet row",
                Problem::error("a.parquet", Location::Row(3), None, ProblemKind::EmptyField),
                "a.parquet: row 3: empty value",
            ),
            (
                "unknown column lists available",
                Problem::error(
                    "a.csv",
                    Location::Line(1),
                    None,
                    ProblemKind::UnknownColumn {
                        role: "close",
                        wanted: "Adj Clse".into(),
                        available: vec!["Date".into(), "Adj Close".into()],
                    },
                ),
                r#"a.csv:1: close column "Adj Clse" not found; available columns: "Date", "Adj Close""#,
            ),
        ];
        for (name, p, want) in cases {
            assert_eq!(p.to_string(), want, "case {name}");
        }
    }
}
