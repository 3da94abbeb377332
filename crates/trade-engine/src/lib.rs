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
