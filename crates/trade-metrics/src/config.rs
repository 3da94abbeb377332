use serde::{Deserialize, Serialize};

/// How a return series is annualised and what the risk-free rate is.
///
/// Both fields are plain numbers so the struct can be read from a config
/// file. Invalid values never panic: a `periods_per_year` that is not finite
/// and positive makes every annualised metric `None`, and a
/// `risk_free_annual` that is not finite or is `<= -1` makes the metrics that
/// use it (Sharpe, alpha) `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsConfig {
    /// Number of return periods in a year: 252 for US trading days
    /// (empyrical's default), 52 for weeks, 12 for months.
    pub periods_per_year: f64,
    /// Annual risk-free rate as a fraction (0.02 = 2 % a year), default 0.
    /// Converted to a per-period rate by [`MetricsConfig::risk_free_per_period`].
    pub risk_free_annual: f64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            periods_per_year: 252.0,
            risk_free_annual: 0.0,
        }
    }
}

impl MetricsConfig {
    /// `periods_per_year` if it is finite and positive.
    #[must_use]
    pub fn ppy(&self) -> Option<f64> {
        (self.periods_per_year.is_finite() && self.periods_per_year > 0.0)
            .then_some(self.periods_per_year)
    }

    /// The per-period risk-free rate, converted geometrically from the annual
    /// rate: `(1 + risk_free_annual)^(1 / periods_per_year) - 1` (the
    /// conversion quantstats uses before calling empyrical, which takes a
    /// per-period rate). Exactly `0.0` when the annual rate is 0.
    #[must_use]
    pub fn risk_free_per_period(&self) -> Option<f64> {
        let ppy = self.ppy()?;
        let rf = self.risk_free_annual;
        if !rf.is_finite() || rf <= -1.0 {
            return None;
        }
        if rf == 0.0 {
            return Some(0.0);
        }
        crate::stats::finite((1.0 + rf).powf(1.0 / ppy) - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_free_conversion_is_geometric() {
        let cfg = MetricsConfig {
            periods_per_year: 12.0,
            risk_free_annual: 0.04,
        };
        let rf = cfg.risk_free_per_period().unwrap();
        assert!(((1.0 + rf).powi(12) - 1.04).abs() < 1e-15);
        assert_eq!(MetricsConfig::default().risk_free_per_period(), Some(0.0));
    }

    #[test]
    fn invalid_config_is_none_not_nan() {
        for ppy in [0.0, -252.0, f64::NAN, f64::INFINITY] {
            let cfg = MetricsConfig {
                periods_per_year: ppy,
                ..MetricsConfig::default()
            };
            assert_eq!(cfg.ppy(), None);
            assert_eq!(cfg.risk_free_per_period(), None);
        }
        for rf in [-1.0, -2.0, f64::NAN, f64::NEG_INFINITY] {
            let cfg = MetricsConfig {
                risk_free_annual: rf,
                ..MetricsConfig::default()
            };
            assert_eq!(cfg.risk_free_per_period(), None);
        }
    }
}
