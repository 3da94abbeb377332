//! [`RunInput`]: everything [`write_run`](crate::write_run) needs, gathered
//! by the caller (the CLI) after a backtest.

use serde::{Deserialize, Serialize};
use trade_core::Instrument;
use trade_engine::BacktestResult;
use trade_metrics::MetricsConfig;

use crate::Closes;

/// One market-data file the run read, for provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFileInfo {
    /// The path as configured (relative paths stay relative).
    pub path: String,
    /// The symbol whose bars it holds.
    pub symbol: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Bars read from it.
    pub rows: u64,
}

/// The benchmark: a symbol held from the first close to the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benchmark<'a> {
    /// Its symbol (`SPY`).
    pub symbol: String,
    /// Closes in time order (daily or intraday; resampled to one close per
    /// New York date for the metrics), usually borrowed from its bars.
    pub closes: Closes<'a>,
}

/// Everything a run folder is made from.
#[derive(Debug, Clone)]
pub struct RunInput<'a> {
    /// The run's id, also the folder name: 1-128 characters of `A-Z a-z
    /// 0-9 - _ .`, not starting with `.`.
    pub run_id: String,
    /// The `trade` version that produced the run.
    pub version: String,
    /// The git commit of the code, if known.
    pub git_sha: Option<String>,
    /// The effective configuration, written verbatim to `config.toml`.
    pub config_toml: String,
    /// Hash of the effective configuration (computed by the caller).
    pub config_hash: String,
    /// Data files read, with their hashes.
    pub data_files: Vec<DataFileInfo>,
    /// The run's instrument table: `InstrumentId(i)` is `instruments[i]`.
    pub instruments: Vec<Instrument>,
    /// Strategy names: strategy index `i` in the ledgers is `strategy_names[i]`.
    pub strategy_names: Vec<String>,
    /// Benchmark to compare against, if any.
    pub benchmark: Option<Benchmark<'a>>,
    /// What the backtest produced.
    pub result: &'a BacktestResult,
    /// Annualisation and risk-free rate for the metrics.
    pub metrics_config: MetricsConfig,
    /// Further artifacts written into the folder as they are (the options
    /// desk's `options.json`): plain file names, no separators.
    pub extra_files: Vec<ExtraFile>,
}

/// One further artifact of a run folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraFile {
    /// File name inside the run folder (`[A-Za-z0-9._-]`, not starting with `.`).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}
