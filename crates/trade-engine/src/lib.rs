//! The engine shared by every mode: strategies see bars and the account
//! through a [`strategy::Context`], their intents pass the [`risk`] gate,
//! and a broker executes them. In a backtest the broker is the
//! [`broker::SimBroker`] (fill, commission and slippage models) and the
//! clock is the bars' own timestamps ([`backtest`]).
#![forbid(unsafe_code)]

/// The strategy trait, its context, parameters and registry.
pub mod strategy;
/// Incremental (O(1) per bar) technical indicators.
pub mod indicators;
/// Position sizing: fixed quantity, fraction of equity, volatility target.
pub mod sizing;
/// The simulated broker, fill model and commission models.
pub mod broker;
/// Market sessions the engine gates orders and fills to.
pub mod market_hours;
/// Risk limits, the pre-trade gate and kill switches.
pub mod risk;
/// The backtest loop.
pub mod backtest;
/// Ledger rows and the result of a run.
pub mod ledger;

pub use backtest::{BacktestError, BacktestSpec, StrategySlot, run_backtest};
pub use ledger::BacktestResult;
