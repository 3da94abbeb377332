//! One module per subcommand.

/// `trade backtest`.
pub mod backtest;
/// `trade bench`.
pub mod bench;
/// `trade calendar`.
pub mod calendar;
/// `trade data check`.
pub mod data_check;
/// `trade gateway-sim`.
pub mod gateway_sim;
/// `trade options`.
pub mod options;
/// `trade plan`.
pub mod plan;
/// `trade serve`.
pub mod serve;
/// SIGINT/SIGTERM handling of the long-running commands.
pub mod shutdown;
/// `trade strategies`.
pub mod strategies;
