//! [`Roc`]: rate of change over `n` bars, `x / x[n bars ago] - 1`.
//!
//! A fraction, not a percentage (0.05 is +5 %); pandas
//! `s.pct_change(n, fill_method=None)`. The first value arrives with input
//! `n + 1`. When the base value is zero the rate is undefined and the
//! output is `None` for that input (prices are positive, so this only
//! happens on bad data).

use super::{IndicatorError, Ring};

/// Rate of change over `period` bars; first value after `period + 1`
/// inputs.
#[derive(Debug, Clone)]
pub struct Roc {
    window: Ring,
    period: usize,
    ready: bool,
    value: Option<f64>,
}

impl Roc {
    /// A rate of change over `period` bars.
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `period` is 0.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        if period == 0 {
            return Err(IndicatorError::ZeroPeriod);
        }
        Ok(Roc {
            window: Ring::new(period),
            period,
            ready: false,
            value: None,
        })
    }

    /// The lookback in bars.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one input; `x / x[period ago] - 1` once there is such an
    /// input and it is not zero.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.value = match self.window.push(x) {
            Some(base) => {
                self.ready = true;
                if base == 0.0 {
                    None
                } else {
                    Some(x / base - 1.0).filter(|r| r.is_finite())
                }
            }
            None => None,
        };
        self.value
    }

    /// The last rate of change, `None` during warm-up (or after a zero
    /// base).
    #[inline]
    pub fn value(&self) -> Option<f64> {
        self.value
    }

    /// Whether `period + 1` inputs have been seen (the output can still
    /// be `None` after a zero base).
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        let mut r = Roc::new(2).unwrap();
        assert_eq!(r.update(100.0), None);
        assert_eq!(r.update(50.0), None);
        assert!(!r.is_ready());
        assert!((r.update(110.0).unwrap() - 0.1).abs() < 1e-15);
        assert_eq!(r.update(75.0), Some(0.5));
        assert!(r.is_ready());
        assert!(Roc::new(0).is_err());
    }

    #[test]
    fn zero_base_is_none() {
        let mut r = Roc::new(1).unwrap();
        r.update(0.0);
        assert_eq!(r.update(5.0), None);
        assert!(r.is_ready());
        assert_eq!(r.update(10.0), Some(1.0));
    }
}
