//! One module per subcommand.

/// `trade backtest`.
pub mod backtest;
/// `trade bench`.
pub mod bench;
/// `trade calendar`.
pub mod calendar;
/// `trade dashboard`.
pub mod dashboard;
/// `trade data check`.
pub mod data_check;
/// `trade gateway-sim`.
pub mod gateway_sim;
/// `trade journal`.
pub mod journal;
/// `trade live`.
pub mod live;
/// `trade options`.
pub mod options;
/// `trade paper`.
pub mod paper;
/// `trade plan`.
pub mod plan;
/// `trade serve`.
pub mod serve;
/// What `trade paper` and `trade live` share.
pub mod session_run;
/// SIGINT/SIGTERM handling of the long-running commands.
pub mod shutdown;
/// `trade strategies`.
pub mod strategies;
