//! The engine shared by every mode: strategies see bars and the account
//! through a [`strategy::Context`], their intents pass the [`risk`] gate,
//! and a broker executes them. In a backtest the broker is the
//! [`broker::SimBroker`] (fill, commission and slippage models) and the
//! clock is the bars' own timestamps ([`backtest`]).
//!
//! The same strategy, gate and portfolio run in paper and live modes; only
//! the clock, the feed and the broker are swapped.
#![forbid(unsafe_code)]

pub mod backtest;
pub mod broker;
pub mod indicators;
pub mod ledger;
pub mod market_hours;
pub mod options;
pub mod risk;
pub mod sizing;
pub mod strategy;

pub use backtest::{BacktestError, BacktestSpec, StrategySlot, run_backtest};
pub use ledger::BacktestResult;
