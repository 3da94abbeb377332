//! [`EwmaVol`]: RiskMetrics-style exponentially weighted volatility.
//!
//! From prices, each bar gives a return `r` (log `ln(p / p_prev)` or
//! simple `p / p_prev - 1`, see [`ReturnKind`]). The variance follows the
//! RiskMetrics recursion with a zero mean:
//! `var = lambda * var + (1 - lambda) * r^2` (J.P. Morgan/Reuters 1996 use
//! `lambda = 0.94` for daily data). The estimate after a bar includes that
//! bar's return (it is the forecast for the next bar).
//!
//! **Seed:** the mean of the first `n` squared returns (a zero-mean sample
//! variance), output on price `n + 1`; the recursion runs from there.
//! **Annualisation:** [`value`](EwmaVol::value) is `sqrt(var * 252)`, which
//! assumes one bar per trading day; [`variance`](EwmaVol::variance) gives
//! the per-bar variance for other bar sizes.
//!
//! In pandas: `r2 = np.log(p).diff() ** 2`, NaN on the first `n` rows and
//! `r2[1..=n].mean()` on row `n`, then `r2.ewm(alpha=1 - lambda,
//! adjust=False).mean()`, times 252, square root.
//!
//! A return that is not finite (a zero or negative price) is skipped: the
//! state is unchanged and the price becomes the new reference.

use super::IndicatorError;

/// Trading days per year used to annualise daily volatility.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// Which returns the volatility is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnKind {
    /// `ln(p / p_prev)` (the RiskMetrics choice).
    Log,
    /// `p / p_prev - 1`.
    Simple,
}

/// Exponentially weighted volatility of returns, annualised by
/// `sqrt(252)`; first value after `period + 1` prices.
#[derive(Debug, Clone)]
pub struct EwmaVol {
    period: usize,
    lambda: f64,
    kind: ReturnKind,
    prev: Option<f64>,
    count: usize,
    /// Sum of squared returns during warm-up, then the per-bar variance.
    var: f64,
}

impl EwmaVol {
    /// Volatility with decay `lambda` (weight of the previous variance),
    /// seeded over the first `period` returns.
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `period` is 0,
    /// [`IndicatorError::InvalidLambda`] unless `0 < lambda < 1`.
    pub fn new(period: usize, lambda: f64, kind: ReturnKind) -> Result<Self, IndicatorError> {
        if period == 0 {
            return Err(IndicatorError::ZeroPeriod);
        }
        if !(lambda > 0.0 && lambda < 1.0) {
            return Err(IndicatorError::InvalidLambda(lambda));
        }
        Ok(EwmaVol {
            period,
            lambda,
            kind,
            prev: None,
            count: 0,
            var: 0.0,
        })
    }

    /// RiskMetrics daily settings: log returns, `lambda = 0.94`.
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `period` is 0.
    pub fn riskmetrics(period: usize) -> Result<Self, IndicatorError> {
        Self::new(period, 0.94, ReturnKind::Log)
    }

    /// Log returns with the decay of an EMA of span `period`:
    /// `lambda = 1 - 2 / (period + 1)`, seeded over `period` returns.
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `period` is 0,
    /// [`IndicatorError::InvalidLambda`] if `period` is 1 (`lambda = 0`).
    pub fn with_span(period: usize) -> Result<Self, IndicatorError> {
        let lambda = 1.0 - 2.0 / (period as f64 + 1.0);
        Self::new(period, lambda, ReturnKind::Log)
    }

    /// The seed length in returns.
    pub fn period(&self) -> usize {
        self.period
    }

    /// The decay factor.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Feeds one price; the annualised volatility once `period` returns
    /// have been seen.
    #[inline]
    pub fn update(&mut self, price: f64) -> Option<f64> {
        if let Some(prev) = self.prev {
            let r = match self.kind {
                ReturnKind::Log => (price / prev).ln(),
                ReturnKind::Simple => price / prev - 1.0,
            };
            let r2 = r * r;
            if r2.is_finite() {
                if self.count >= self.period {
                    self.var = self.lambda * self.var + (1.0 - self.lambda) * r2;
                    if self.var < f64::MIN_POSITIVE {
                        // Flush instead of decaying into slow subnormals.
                        self.var = 0.0;
                    }
                } else {
                    self.var += r2;
                    self.count += 1;
                    if self.count == self.period {
                        self.var /= self.period as f64;
                    }
                }
            }
        }
        self.prev = Some(price);
        self.value()
    }

    /// The per-bar (not annualised) variance, `None` during warm-up.
    #[inline]
    pub fn variance(&self) -> Option<f64> {
        self.is_ready().then_some(self.var)
    }

    /// The annualised volatility `sqrt(variance * 252)`, `None` during
    /// warm-up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        self.variance().map(|v| (v * TRADING_DAYS_PER_YEAR).sqrt())
    }

    /// Whether `period` returns have been seen.
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.count >= self.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_simple_returns() {
        // n = 2, lambda = 0.5, simple returns: 100 -> 110 (+0.1) -> 99
        // (-0.1): seed var = (0.01 + 0.01) / 2 = 0.01.
        // 99 -> 99: r = 0, var = 0.5 * 0.01 = 0.005.
        let mut v = EwmaVol::new(2, 0.5, ReturnKind::Simple).unwrap();
        assert_eq!(v.update(100.0), None);
        assert_eq!(v.update(110.0), None);
        let seeded = v.update(99.0).unwrap();
        assert!((v.variance().unwrap() - 0.01).abs() < 1e-15);
        assert!((seeded - (0.01f64 * 252.0).sqrt()).abs() < 1e-12);
        v.update(99.0);
        assert!((v.variance().unwrap() - 0.005).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_settings_and_skips_bad_prices() {
        assert_eq!(
            EwmaVol::riskmetrics(0).unwrap_err(),
            IndicatorError::ZeroPeriod
        );
        assert!(EwmaVol::new(5, 1.0, ReturnKind::Log).is_err());
        assert!(EwmaVol::new(5, f64::NAN, ReturnKind::Log).is_err());
        assert!(EwmaVol::with_span(1).is_err());
        assert!((EwmaVol::with_span(20).unwrap().lambda() - 19.0 / 21.0).abs() < 1e-15);
        let mut v = EwmaVol::riskmetrics(1).unwrap();
        v.update(0.0);
        assert_eq!(v.update(10.0), None, "ln(10/0) is skipped");
        assert!(v.update(11.0).is_some());
    }
}
