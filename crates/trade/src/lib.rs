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

// mimalloc advises its OS regions for transparent huge pages, so a long
// run's ledgers fault in 2 MiB pages instead of 4 KiB ones (35 faults
// instead of ~10,000 for a fresh 1M-bar run; docs/decisions.md). Declared
// in the library so the binary, its tests, benches and examples share it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The version stamped into run summaries.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
