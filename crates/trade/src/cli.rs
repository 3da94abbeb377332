//! Command-line definitions (clap derive). Each subcommand's help is the
//! user's reference; keep it complete.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// An autonomous trading platform for US index ETFs, equities and options:
/// backtest a strategy on history, then run the same strategy on paper and live.
#[derive(Debug, Parser)]
#[command(name = "trade", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human, env = "TRADE_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info`, `debug`, `trade=debug` (also RUST_LOG).
    #[arg(long, global = true, default_value = "info", env = "TRADE_LOG")]
    pub log: String,
    /// Only errors on stderr; no progress bar.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// Output format of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text table.
    Table,
    /// Comma-separated values with a header.
    Csv,
    /// A JSON array.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a backtest and write a run folder (ledgers, summary.json, report.html).
    Backtest(BacktestArgs),
    /// Run the strategies as a paper-trading session: simulated fills with
    /// the backtest's fill model over replayed bars, every order journaled
    /// before it is sent; writes a run folder with an end-of-session report.
    Paper(crate::commands::paper::PaperArgs),
    /// Run the strategies against Interactive Brokers (paper or live
    /// account; a live account needs `account_type = "live"` and
    /// --confirm-live). Stops cleanly on SIGINT/SIGTERM.
    Live(crate::commands::live::LiveArgs),
    /// The order journal as an audit trail: orders, one order's history,
    /// fills, decisions and risk verdicts, pending outcomes, a health check.
    Journal(crate::commands::journal::JournalArgs),
    /// Resolve a config and show what a run would do, without running it:
    /// the effective config, its hash, the data files and the risk limits.
    Plan(ConfigArgs),
    /// List registered strategies with their parameters and defaults.
    Strategies {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// NYSE sessions in a date range: open and close in UTC and New York time.
    Calendar {
        /// First date (YYYY-MM-DD).
        #[arg(long)]
        from: jiff::civil::Date,
        /// Last date (YYYY-MM-DD, inclusive).
        #[arg(long)]
        to: jiff::civil::Date,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Also list weekdays the exchange is closed, with the reason.
        #[arg(long)]
        closures: bool,
    },
    /// Inspect data files.
    Data {
        /// What to do.
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Re-render report.html of an existing run folder from its ledgers.
    Report {
        /// The run folder (runs/<run_id>).
        run_dir: PathBuf,
    },
    /// Measure engine and end-to-end throughput on generated bars.
    Bench(BenchArgs),
    /// Dashboard configuration helpers (password hashes for logins).
    Dashboard {
        /// What to do.
        #[command(subcommand)]
        command: crate::commands::dashboard::DashboardCommand,
    },
    /// Serve the web dashboard and JSON API over the run folders.
    Serve(crate::commands::serve::ServeArgs),
    /// Run the TWS API gateway simulator on 127.0.0.1 (offline IB testing).
    GatewaySim(crate::commands::gateway_sim::GatewaySimArgs),
    /// Options calculator: price and Greeks, implied volatility, payoff.
    Options {
        #[command(subcommand)]
        command: OptionsCommand,
    },
}

/// `trade options ...`.
#[derive(Debug, Subcommand)]
pub enum OptionsCommand {
    /// Price one option and print its Greeks (vega per vol point, theta per
    /// calendar day; time ACT/365).
    Price(crate::commands::options::PriceArgs),
    /// Implied volatility of an option price (Let's Be Rational); a price
    /// with no solution is an error naming why.
    Iv(crate::commands::options::IvArgs),
    /// Payoff at expiry of a multi-leg position: max profit, max loss,
    /// breakevens (exact) and a table of points.
    Payoff(crate::commands::options::PayoffArgs),
    /// One option chain near the money: synthetic (from --spot and --vix) or
    /// real (--file with --file-format), with each quote's source.
    Chain(crate::commands::options::ChainArgs),
}

/// `trade data ...`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Validate a bar file and report every problem found (exit code 2 if
    /// any is an error): unparseable fields, unsorted or duplicate
    /// timestamps, inconsistent OHLC, non-positive prices, rows on days the
    /// exchange was closed, and missing sessions.
    Check(DataCheckArgs),
}

/// Arguments of `trade data check`.
#[derive(Debug, Args)]
pub struct DataCheckArgs {
    /// The bar file (CSV or Parquet); columns are auto-detected.
    pub file: PathBuf,
    /// Use the `[data.SYMBOL]` settings of this config instead of auto-detection.
    #[arg(long, requires = "symbol")]
    pub config: Option<PathBuf>,
    /// The symbol whose settings to use from `--config`.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A config file and overrides.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The TOML config file.
    #[arg(long, short, env = "TRADE_CONFIG")]
    pub config: PathBuf,
    /// Override a config key (repeatable), e.g. `--set risk.max_drawdown_pct=0.2`
    /// or `--set strategies.0.params.fast=10`. Wins over the file, `.env`
    /// and `TRADE_*` environment variables.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// Arguments of `trade backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Config and overrides.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Where run folders go (overrides `run.output_dir`).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Run id (default: `<name>-<first 12 hex of the run hash>`; the same
    /// config and data give the same id, and the folder is replaced).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `trade bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Number of generated one-minute bars.
    #[arg(long, default_value_t = 1_000_000)]
    pub bars: usize,
    /// Repetitions of the engine-only measurement (the best is reported).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Keep the generated files and run folders in this directory.
    #[arg(long)]
    pub keep: Option<PathBuf>,
}
