//! Run artifacts of a backtest, written into `runs/<run_id>/` as a whole
//! or not at all:
//!
//! | file | contents |
//! |---|---|
//! | `orders.parquet`, `fills.parquet`, `equity.parquet`, `positions.parquet`, `trades.parquet`, `risk_events.parquet`, `benchmark.parquet` | the ledgers ([`ledgers`]; schema in `README.md`) |
//! | `summary.json` | identity, provenance and metrics ([`Summary`]) |
//! | `config.toml` | the effective configuration, verbatim |
//! | `report.html` | one self-contained page: metrics, charts, monthly heatmap, trades, risk events |
//!
//! Metrics are computed by `trade-metrics` from **daily** returns: the
//! equity ledger is resampled to the last value of each New York calendar
//! date ([`daily`]), so an intraday run never annualises minute returns.
//!
//! ```no_run
//! # fn demo(input: trade_report::RunInput<'_>) -> Result<(), trade_report::ReportError> {
//! let dir = trade_report::write_run(std::path::Path::new("runs"), &input)?;
//! // Later, for an old run (e.g. after a template change):
//! trade_report::render_report(&dir)?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod charts;
mod closes;
pub mod daily;
mod error;
mod format;
mod html;
mod input;
pub mod ledgers;
mod options;
mod records;
mod returns;
mod run_dir;
mod summary;

pub use closes::Closes;
pub use error::ReportError;
pub use input::{Benchmark, DataFileInfo, ExtraFile, RunInput};
pub use records::{
    BenchmarkSeries, FillRecord, Ledgers, OrderRecord, PositionRecord, RiskEventRecord, TradeRecord,
};
pub use run_dir::{
    CONFIG_FILE, REPORT_FILE, render_report, replace_run, validate_run_id, write_run,
};
pub use summary::{
    Activity, BenchmarkInfo, FileInfo, InstrumentInfo, KillSwitchInfo, Metrics, Performance,
    Period, Relative, RiskSummary, SUMMARY_FILE, SUMMARY_SCHEMA_VERSION, Summary, TradeSummary,
};
pub use trade_metrics::MetricsConfig;

#[cfg(test)]
mod tests;
