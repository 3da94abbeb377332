use crate::config::MetricsConfig;
use crate::drawdown::max_drawdown;
use crate::returns::cagr;
use crate::stats::{dispersion, finite, mean, valid};

/// Annualised volatility: sample standard deviation (`ddof = 1`) of the
/// finite returns × √`periods_per_year` (empyrical's `annual_volatility`).
///
/// `None` with fewer than two finite observations. A constant series gives
/// exactly `0.0` (empyrical returns the rounding noise of `nanstd`, ~1e-19).
#[must_use]
pub fn annual_volatility(returns: &[f64], cfg: &MetricsConfig) -> Option<f64> {
    let ppy = cfg.ppy()?;
    let std = dispersion(valid(returns))?.std?;
    finite(std * ppy.sqrt())
}

/// Annualised Sharpe ratio (empyrical's `sharpe_ratio`):
/// `mean(r - rf_p) / std(r - rf_p, ddof = 1) × √ppy`, with
/// `rf_p` = [`MetricsConfig::risk_free_per_period`].
///
/// `None` with fewer than two finite observations or zero dispersion
/// (all returns equal), where empyrical gives `inf`/`NaN`.
#[must_use]
pub fn sharpe_ratio(returns: &[f64], cfg: &MetricsConfig) -> Option<f64> {
    let ppy = cfg.ppy()?;
    let rf = cfg.risk_free_per_period()?;
    let d = dispersion(valid(returns).map(|r| r - rf))?;
    let std = d.std.filter(|&s| s > 0.0)?;
    finite(d.mean / std * ppy.sqrt())
}

/// Annualised downside deviation below a required return of 0 (empyrical's
/// `downside_risk`): `sqrt(mean(min(r, 0)²)) × √ppy`, where the mean runs
/// over **all** finite observations, not only the losing ones.
///
/// `None` when there is no finite observation. `Some(0.0)` when no period
/// lost money.
#[must_use]
pub fn downside_risk(returns: &[f64], cfg: &MetricsConfig) -> Option<f64> {
    let ppy = cfg.ppy()?;
    let m = mean(valid(returns).map(|r| {
        let d = r.min(0.0);
        d * d
    }))?;
    finite(m.sqrt() * ppy.sqrt())
}

/// Annualised Sortino ratio with required return 0 (empyrical's
/// `sortino_ratio`): `mean(r) × ppy / downside_risk`.
///
/// The required return stays 0 whatever the risk-free rate (empyrical's
/// default). `None` with fewer than two finite observations or when no
/// period lost money (zero downside deviation; empyrical gives `inf`).
#[must_use]
pub fn sortino_ratio(returns: &[f64], cfg: &MetricsConfig) -> Option<f64> {
    let ppy = cfg.ppy()?;
    let d = dispersion(valid(returns))?;
    if d.n < 2 {
        return None;
    }
    let downside = downside_risk(returns, cfg).filter(|&x| x > 0.0)?;
    finite(d.mean * ppy / downside)
}

/// Calmar ratio (empyrical's `calmar_ratio`): `CAGR / |max drawdown|`.
///
/// `None` when the series never draws down (max drawdown 0) or either part
/// is undefined.
#[must_use]
pub fn calmar_ratio(returns: &[f64], cfg: &MetricsConfig) -> Option<f64> {
    let mdd = max_drawdown(returns).filter(|&m| m < 0.0)?;
    finite(cagr(returns, cfg)? / mdd.abs())
}
