//! Market data for the `trade` platform: CSV and Parquet bar files
//! normalised to [`trade_core::Bar`], validated with located errors,
//! checked against the NYSE calendar, cached locally as Parquet, and
//! adjusted for corporate actions.
//!
//! * [`load_bars`]: fail-fast loading for backtests (uses the cache).
//! * [`check_file`]: every problem of a file, for `trade data check`.
//! * [`BarFileSpec`]: how to read a file; deserialisable from TOML, with
//!   header auto-detection when nothing is configured.
//! * [`adjust()`]: split / dividend back-adjustment that refuses to adjust
//!   already-adjusted prices.
//!
//! Conventions: `Bar.ts` is the bar's **end** in UTC. Daily bars end at
//! their session's close per [`trade_calendar::Nyse`] (16:00 New York,
//! 13:00 on early-close days). Intraday timestamps without an offset are
//! read in [`BarFileSpec::timezone`]; bars are labelled by their start
//! unless [`BarFileSpec::label`] says `end`.
//!
//! ```no_run
//! use trade_data::{load_bars, BarFileSpec};
//! use trade_core::InstrumentId;
//!
//! let spec = BarFileSpec::new("data/daily/pandas_ta/SPY.csv");
//! let loaded = load_bars(&spec, InstrumentId(0))?;
//! println!("{} bars, sha256 {}", loaded.bars.len(), loaded.sha256);
//! # Ok::<(), trade_data::DataError>(())
//! ```
//!
//! Memory: a [`Bar`](trade_core::Bar) is 56 bytes (4-byte instrument id
//! padded to 8, then six 8-byte fields), so a million bars take 56 MB.
#![forbid(unsafe_code)]
#![warn(missing_docs, clippy::missing_errors_doc, clippy::missing_panics_doc)]

/// Corporate actions and the actions-file format.
pub mod actions;
/// Split and dividend back-adjustment.
pub mod adjust;
mod cache;
/// Column mapping and header auto-detection.
pub mod columns;
mod csv_reader;
/// Problems, locations and the error type.
pub mod error;
/// Session-aware gap report.
pub mod gaps;
mod load;
/// Parquet reading and our own bar format.
pub mod parquet_io;
/// The `trade data check` report.
pub mod report;
/// File specs and their settings.
pub mod spec;
mod table;
mod timestamps;
mod validate;

pub use actions::{
    ActionKind, CorporateAction, SplitRatio, actions_for, parse_actions, read_actions_file,
};
pub use adjust::{
    AdjustError, AdjustMode, AdjustOptions, Adjusted, AlreadyAdjusted, AppliedAction, adjust,
};
pub use cache::FORMAT_VERSION as CACHE_FORMAT_VERSION;
pub use columns::{ColumnMap, ColumnSel};
pub use error::{DataError, Location, Problem, ProblemKind, Severity};
pub use gaps::{GapReport, SessionCount, gap_report};
pub use load::{CacheStatus, LoadedBars, check_file, load_bars};
pub use parquet_io::{BarsFile, read_bars, write_bars};
pub use report::DataReport;
pub use spec::{
    BarFileSpec, BarLabel, FileFormat, Interval, IntervalSpec, Policy, RowOrder, TimestampFormat,
    TradingHours,
};

#[cfg(test)]
mod tests {
    #[test]
    fn bar_is_56_bytes() {
        assert_eq!(std::mem::size_of::<trade_core::Bar>(), 56);
    }
}
