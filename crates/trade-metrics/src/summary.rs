use serde::Serialize;

use crate::config::MetricsConfig;
use crate::drawdown::{DrawdownPeriod, drawdown_stats};
use crate::ratios::{annual_volatility, calmar_ratio, downside_risk, sharpe_ratio, sortino_ratio};
use crate::returns::{cagr, total_return};
use crate::stats::valid;

/// The standard performance summary of a return series. Every `Option` is
/// `None` exactly when the metric is undefined (see the crate docs) and
/// serializes as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReturnMetrics {
    /// Number of return periods, including missing ones.
    pub n_periods: usize,
    /// Missing (non-finite) returns, skipped by every statistic.
    pub n_missing: usize,
    /// `prod(1 + r) - 1` ([`total_return`]).
    pub total_return: Option<f64>,
    /// Compound annual growth rate ([`cagr`]); empyrical's `annual_return`
    /// is the same number, so it is not repeated.
    pub cagr: Option<f64>,
    /// Annualised volatility ([`annual_volatility`]).
    pub annual_volatility: Option<f64>,
    /// Annualised Sharpe ratio with the configured risk-free rate ([`sharpe_ratio`]).
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio, required return 0 ([`sortino_ratio`]).
    pub sortino: Option<f64>,
    /// Annualised downside deviation ([`downside_risk`]).
    pub downside_risk: Option<f64>,
    /// Maximum drawdown, a fraction in `[-1, 0]`.
    pub max_drawdown: Option<f64>,
    /// Longest drawdown in periods, peak to recovery (or to the end).
    pub max_drawdown_duration: Option<usize>,
    /// The deepest drawdown episode (positions: see [`crate::drawdown`]).
    pub deepest_drawdown: Option<DrawdownPeriod>,
    /// The longest drawdown episode.
    pub longest_drawdown: Option<DrawdownPeriod>,
    /// `cagr / |max_drawdown|` ([`calmar_ratio`]).
    pub calmar: Option<f64>,
    /// Largest single-period return.
    pub best_period: Option<f64>,
    /// Smallest single-period return.
    pub worst_period: Option<f64>,
}

/// Computes [`ReturnMetrics`] for a series of simple returns, in a handful
/// of O(n) passes.
#[must_use]
pub fn return_metrics(returns: &[f64], cfg: &MetricsConfig) -> ReturnMetrics {
    let dd = drawdown_stats(returns);
    let best = valid(returns).reduce(f64::max);
    let worst = valid(returns).reduce(f64::min);
    let n_valid = valid(returns).count();
    ReturnMetrics {
        n_periods: returns.len(),
        n_missing: returns.len() - n_valid,
        total_return: total_return(returns),
        cagr: cagr(returns, cfg),
        annual_volatility: annual_volatility(returns, cfg),
        sharpe: sharpe_ratio(returns, cfg),
        sortino: sortino_ratio(returns, cfg),
        downside_risk: downside_risk(returns, cfg),
        max_drawdown: dd.and_then(|d| d.max_drawdown),
        max_drawdown_duration: dd.map(|d| d.max_drawdown_duration),
        deepest_drawdown: dd.and_then(|d| d.deepest),
        longest_drawdown: dd.and_then(|d| d.longest),
        calmar: calmar_ratio(returns, cfg),
        best_period: best,
        worst_period: worst,
    }
}
