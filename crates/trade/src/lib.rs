//! The `trade` command as a library, so integration tests, benches and the
//! binary share one implementation. `main.rs` only parses arguments,
//! installs logging and maps errors to exit codes.
#![forbid(unsafe_code)]

/// Command-line definitions.
pub mod cli;
/// The subcommands.
pub mod commands;
/// Configuration loading, layering, validation and hashing.
pub mod config;
/// Loading the configured bar files through `trade-data`.
pub mod data_source;
/// Logging setup.
pub mod logging;
pub mod options_run;
/// The backtest pipeline: config → data → engine → run folder.
pub mod pipeline;
/// Text tables.
pub mod table;

/// The version stamped into run summaries.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
