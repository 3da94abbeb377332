//! Backtest performance metrics from plain `f64` series. Pure analytics: no
//! I/O, no clocks, no dependency on other `trade` crates.
//!
//! # Conventions (empyrical)
//!
//! The definitions follow [empyrical](https://github.com/stefan-jansen/empyrical-reloaded),
//! the library that quantstats and pyfolio build on, and the golden tests
//! check them against `empyrical-reloaded` 0.7.1 (see `tests/data/README.md`):
//!
//! * **Simple returns**: `r_t = E_t / E_{t-1} - 1` ([`returns_from_equity`],
//!   like `empyrical.simple_returns`).
//! * **Annualisation**: [`MetricsConfig::periods_per_year`] periods per year,
//!   252 by default (empyrical's `DAILY`).
//! * **Annual volatility**: sample standard deviation (`ddof = 1`) × √ppy
//!   ([`annual_volatility`]).
//! * **Risk-free rate**: configured as an *annual* rate
//!   ([`MetricsConfig::risk_free_annual`], default 0). empyrical takes a
//!   per-period rate; this crate converts it geometrically,
//!   `rf_p = (1 + rf_annual)^(1/ppy) - 1` (as quantstats does), see
//!   [`MetricsConfig::risk_free_per_period`].
//! * **Sharpe**: `mean(r - rf_p) / std(r - rf_p, ddof = 1) × √ppy`
//!   ([`sharpe_ratio`]).
//! * **Sortino**: required return 0; numerator `mean(r) × ppy`, denominator
//!   empyrical's downside deviation `sqrt(mean(min(r, 0)²)) × √ppy`, the mean
//!   taken over **all** observations ([`sortino_ratio`], [`downside_risk`]).
//! * **Max drawdown**: on the compounded wealth index `cumprod(1 + r)`
//!   anchored at 1 before the first return; a negative fraction
//!   ([`max_drawdown`]).
//! * **CAGR**: `(ending / starting)^(1 / years) - 1`, `years = n_periods / ppy`
//!   ([`cagr`]; empyrical's `annual_return` is the same number).
//! * **Calmar**: `CAGR / |max drawdown|` ([`calmar_ratio`]).
//! * **Alpha / beta**: empyrical `alpha_beta`: `beta = cov(r, b) / var(b)`
//!   (population moments), `alpha = (1 + mean((r - rf_p) - beta (b - rf_p)))^ppy - 1`
//!   ([`alpha_beta`]).
//!
//! # Undefined results and non-finite input
//!
//! An undefined result (empty input, zero variance, no losing period for
//! Sortino, no drawdown for Calmar, …) is `None` (serialized as `null`),
//! never `NaN`, `inf` or a panic: every `Option<f64>` this crate returns is
//! finite when it is `Some`.
//!
//! Non-finite inputs (`NaN`, `±inf`) are **missing observations**, the way
//! empyrical treats `NaN` with its nan-aware functions: they are left out of
//! means, standard deviations, minima and maxima, and leave the wealth index
//! unchanged (a zero return), as `empyrical.cum_returns` does. They still
//! count as periods of elapsed time for CAGR, as in empyrical, where
//! `len(returns)` includes `NaN`s. [`returns_from_equity`] uses the same
//! marker: an undefined return (non-positive or non-finite previous equity)
//! comes out as `NaN`, so the series stays aligned with the equity curve.
//!
//! # Beyond empyrical
//!
//! Drawdown durations and episodes ([`drawdown`]: positions, peak to
//! recovery), closed-trade statistics ([`trades`]: a zero-P&L trade is
//! neither win nor loss, as in backtesting.py), [`exposure()`] and
//! [`turnover()`] (two-sided traded notional over average equity, as pyfolio)
//! state their own conventions in their docs. [`return_metrics`] bundles the
//! return-series metrics into one serializable [`ReturnMetrics`].
//!
//! # Example
//!
//! ```
//! use trade_metrics::{MetricsConfig, return_metrics, returns_from_equity};
//!
//! let equity = [100.0, 101.0, 99.0, 102.0];
//! let returns = returns_from_equity(&equity);
//! let m = return_metrics(&returns, &MetricsConfig::default());
//! assert!((m.total_return.unwrap() - 0.02).abs() < 1e-12);
//! assert!((m.max_drawdown.unwrap() - (99.0 / 101.0 - 1.0)).abs() < 1e-12);
//! assert_eq!(m.max_drawdown_duration, Some(2)); // peak at 101, regained at 102
//! assert!(m.sortino.is_some());
//! ```
#![forbid(unsafe_code)]

/// Calendar aggregation of returns (monthly, yearly).
pub mod aggregate;
/// Alpha, beta, tracking error and information ratio against a benchmark.
pub mod benchmark;
/// Annualisation and risk-free configuration.
pub mod config;
/// Wealth-index drawdowns: underwater curve, depth and duration.
pub mod drawdown;
/// Time in market and average gross exposure.
pub mod exposure;
/// Risk-adjusted ratios: volatility, Sharpe, Sortino, Calmar.
pub mod ratios;
/// Simple returns, compounding, total return and CAGR.
pub mod returns;
mod stats;
/// The one-call summary of a return series.
pub mod summary;
/// Closed-trade statistics.
pub mod trades;
/// Traded notional relative to equity.
pub mod turnover;

pub use aggregate::{MonthlyReturn, YearlyReturn, aggregate_monthly, aggregate_yearly};
pub use benchmark::{BenchmarkMetrics, alpha_beta, benchmark_metrics};
pub use config::MetricsConfig;
pub use drawdown::{DrawdownPeriod, DrawdownStats, drawdown_series, drawdown_stats, max_drawdown};
pub use exposure::{Exposure, exposure};
pub use ratios::{annual_volatility, calmar_ratio, downside_risk, sharpe_ratio, sortino_ratio};
pub use returns::{cagr, returns_from_equity, total_return};
pub use summary::{ReturnMetrics, return_metrics};
pub use trades::{TradeStats, trade_stats};
pub use turnover::{Turnover, turnover};
