//! Options: contracts and OCC symbols, Black-Scholes-Merton and Black-76
//! pricing with Greeks and implied volatility, option chains (real files and
//! a synthetic generator), multi-leg structures with their payoff, the
//! ordered exit-rule engine and portfolio Greeks with limits.
//!
//! Pricing is `f64` (models are approximations); money that is booked
//! (premiums, commissions, P&L) stays in `trade_core`'s fixed-point types.

// Module summaries are the first lines of their `//!` docs (an outer `///`
// here would make rustdoc resolve their links from the crate root).
pub mod chain;
pub mod exits;
pub mod occ;
pub mod portfolio;
pub mod pricing;
pub mod structure;
pub mod synth;
