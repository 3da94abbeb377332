//! Comparison of a return series with a benchmark's, period by period.
//!
//! The two slices must have the same length and be aligned (entry `i` of
//! both is the same period); if the lengths differ every result is `None`.
//! A period is used only when both returns are finite (pairwise-complete,
//! as empyrical's `beta_aligned` masks the benchmark where the returns are
//! `NaN` and its nan-aware means drop the rest).

use serde::Serialize;

use crate::config::MetricsConfig;
use crate::stats::{dispersion, finite, mean};

/// The periods where both series are finite.
fn pairs<'a>(
    returns: &'a [f64],
    bench: &'a [f64],
) -> impl Iterator<Item = (f64, f64)> + Clone + 'a {
    returns
        .iter()
        .zip(bench)
        .map(|(&r, &b)| (r, b))
        .filter(|(r, b)| r.is_finite() && b.is_finite())
}

/// empyrical's `beta_aligned`: `mean((b - mean(b)) r) / mean((b - mean(b))²)`
/// (population moments; a benchmark variance below 1e-30 is undefined, as
/// in empyrical).
fn beta(returns: &[f64], bench: &[f64]) -> Option<f64> {
    if returns.len() != bench.len() {
        return None;
    }
    let p = pairs(returns, bench);
    let (n, sum_b) = p
        .clone()
        .fold((0usize, 0.0), |(n, s), (_, b)| (n + 1, s + b));
    if n < 2 {
        return None;
    }
    let mean_b = sum_b / n as f64;
    let (cov, var) = p.fold((0.0, 0.0), |(c, v), (r, b)| {
        let res = b - mean_b;
        (c + res * r, v + res * res)
    });
    let (cov, var) = (cov / n as f64, var / n as f64);
    if var.is_nan() || var < 1.0e-30 {
        return None;
    }
    finite(cov / var)
}

/// Annualised alpha and beta against a benchmark (empyrical's
/// `alpha_beta`):
///
/// * `beta = cov(r, b) / var(b)` (population moments over the paired periods);
/// * `alpha = (1 + mean((r - rf_p) - beta (b - rf_p)))^ppy - 1`, with
///   `rf_p` = [`MetricsConfig::risk_free_per_period`].
///
/// Returns `(alpha, beta)`. Both are `None` with fewer than two paired
/// periods, a constant benchmark or mismatched lengths; alpha is also `None`
/// when the config is invalid.
#[must_use]
pub fn alpha_beta(
    returns: &[f64],
    benchmark: &[f64],
    cfg: &MetricsConfig,
) -> (Option<f64>, Option<f64>) {
    let Some(beta) = beta(returns, benchmark) else {
        return (None, None);
    };
    let alpha = (|| {
        let ppy = cfg.ppy()?;
        let rf = cfg.risk_free_per_period()?;
        let m = mean(pairs(returns, benchmark).map(|(r, b)| (r - rf) - beta * (b - rf)))?;
        finite((1.0 + m).powf(ppy) - 1.0)
    })();
    (alpha, Some(beta))
}

/// Benchmark-relative metrics of a return series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BenchmarkMetrics {
    /// Periods where both series are finite.
    pub n_periods: usize,
    /// Annualised alpha, see [`alpha_beta`].
    pub alpha: Option<f64>,
    /// Beta, see [`alpha_beta`].
    pub beta: Option<f64>,
    /// Annualised tracking error: `std(r - b, ddof = 1) × √ppy` (empyrical's
    /// `annual_volatility` of the active return). `0.0` when the active
    /// return is constant.
    pub tracking_error: Option<f64>,
    /// Annualised information ratio: `mean(r - b) / std(r - b, ddof = 1) × √ppy`,
    /// i.e. empyrical's (unannualised) `excess_sharpe` × √ppy. `None` when
    /// the tracking error is zero.
    pub information_ratio: Option<f64>,
}

/// Alpha, beta, tracking error and information ratio in one call. See the
/// module docs for alignment and missing values.
#[must_use]
pub fn benchmark_metrics(
    returns: &[f64],
    benchmark: &[f64],
    cfg: &MetricsConfig,
) -> BenchmarkMetrics {
    let (alpha, beta) = alpha_beta(returns, benchmark, cfg);
    let mut out = BenchmarkMetrics {
        n_periods: 0,
        alpha,
        beta,
        tracking_error: None,
        information_ratio: None,
    };
    if returns.len() != benchmark.len() {
        return out;
    }
    let Some(active) = dispersion(pairs(returns, benchmark).map(|(r, b)| r - b)) else {
        return out;
    };
    out.n_periods = active.n;
    if let (Some(ppy), Some(std)) = (cfg.ppy(), active.std) {
        out.tracking_error = finite(std * ppy.sqrt());
        if std > 0.0 {
            out.information_ratio = finite(active.mean / std * ppy.sqrt());
        }
    }
    out
}
