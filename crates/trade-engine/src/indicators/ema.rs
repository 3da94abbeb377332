//! [`Ema`]: exponential moving average with `alpha = 2 / (n + 1)`.
//!
//! **Convention (TA-Lib `EMA`, pandas-ta `ema(sma=True)`):** nothing is
//! output for the first `n - 1` inputs; the `n`-th input outputs the simple
//! mean of the first `n` inputs (the seed), and every later input `x`
//! updates `ema += alpha * (x - ema)`. In pandas this is
//! `s.ewm(span=n, adjust=False).mean()` on a series whose first `n - 1`
//! values are NaN and whose `n`-th value is replaced by the mean of the
//! first `n`. (Unseeded `ewm(span=n, adjust=False)` starts from the first
//! input instead and converges to the same values after a few `n`.)

use super::IndicatorError;

/// Exponential moving average seeded with the SMA of the first `period`
/// inputs; first value after `period` inputs.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    count: usize,
    /// The seed sum during warm-up, then the average.
    state: f64,
}

impl Ema {
    /// An EMA of span `period` (`alpha = 2 / (period + 1)`).
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `period` is 0.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        if period == 0 {
            return Err(IndicatorError::ZeroPeriod);
        }
        Ok(Ema {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            count: 0,
            state: 0.0,
        })
    }

    /// The span.
    pub fn period(&self) -> usize {
        self.period
    }

    /// The smoothing factor `2 / (period + 1)`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Feeds one input; the average once `period` inputs have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.count >= self.period {
            self.state += self.alpha * (x - self.state);
        } else {
            self.state += x;
            self.count += 1;
            if self.count == self.period {
                self.state /= self.period as f64;
            }
        }
        self.value()
    }

    /// The current average, `None` during warm-up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        self.is_ready().then_some(self.state)
    }

    /// Whether `period` inputs have been seen.
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.count >= self.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // n = 3, alpha = 0.5: seed (1+2+3)/3 = 2, then 2 + 0.5*(6-2) = 4,
        // then 4 + 0.5*(0-4) = 2.
        let mut e = Ema::new(3).unwrap();
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(2.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        assert_eq!(e.update(6.0), Some(4.0));
        assert_eq!(e.update(0.0), Some(2.0));
        assert_eq!(e.alpha(), 0.5);
        assert!(Ema::new(0).is_err());
    }

    #[test]
    fn period_one_is_identity() {
        let mut e = Ema::new(1).unwrap();
        assert_eq!(e.update(5.0), Some(5.0));
        assert_eq!(e.update(7.5), Some(7.5));
    }
}
