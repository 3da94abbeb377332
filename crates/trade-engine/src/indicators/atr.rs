//! [`Atr`]: Wilder's average true range.
//!
//! The true range of a bar is `max(high - low, |high - prev_close|,
//! |low - prev_close|)`, so gaps count as range.
//!
//! **Seed convention (TA-Lib `ATR`):** the first bar has no previous close
//! and yields no true range; it only provides that close. The next `n`
//! bars give `n` true ranges whose simple mean is the first ATR, output on
//! bar `n + 1`. After that, Wilder's smoothing `atr = (atr * (n - 1) + tr) /
//! n` (an EMA with `alpha = 1 / n`). In pandas: `tr.ewm(alpha=1/n,
//! adjust=False).mean()` on a true-range series that is NaN on the first
//! `n` bars and holds the mean of `tr[1..=n]` on bar `n + 1`.
//! (pandas-ta's `atr(presma=True)` instead seeds with `n - 1` ranges, one
//! bar earlier; its values converge to these.)

use trade_core::Bar;

use super::IndicatorError;

/// Average true range with Wilder's smoothing; first value on bar
/// `period + 1`.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    /// `1 / period` and `1 - 1 / period`.
    alpha: f64,
    keep: f64,
    prev_close: Option<f64>,
    /// True ranges seen so far (saturates at `period`).
    count: usize,
    /// The sum of true ranges during warm-up, then the average.
    state: f64,
}

impl Atr {
    /// An ATR over `period` true ranges.
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `period` is 0.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        if period == 0 {
            return Err(IndicatorError::ZeroPeriod);
        }
        let alpha = 1.0 / period as f64;
        Ok(Atr {
            period,
            alpha,
            keep: 1.0 - alpha,
            prev_close: None,
            count: 0,
            state: 0.0,
        })
    }

    /// The smoothing length.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one bar's high, low and close; the ATR once `period` true
    /// ranges have been seen.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        if let Some(pc) = self.prev_close {
            let tr = (high - low).max((high - pc).abs()).max((low - pc).abs());
            if self.count >= self.period {
                // (atr * (n - 1) + tr) / n without a division on the chain.
                self.state = self.keep * self.state + self.alpha * tr;
                if self.state < f64::MIN_POSITIVE {
                    // Flat prices decay the ATR geometrically; flush before
                    // subnormals make every later update slow.
                    self.state = 0.0;
                }
            } else {
                self.state += tr;
                self.count += 1;
                if self.count == self.period {
                    self.state /= self.period as f64;
                }
            }
        }
        self.prev_close = Some(close);
        self.value()
    }

    /// [`update`](Atr::update) with a bar's prices.
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.high.to_f64(), bar.low.to_f64(), bar.close.to_f64())
    }

    /// The current ATR, `None` during warm-up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        self.is_ready().then_some(self.state)
    }

    /// Whether `period` true ranges have been seen (`period + 1` bars).
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
        // n = 2. Bar 1 only gives its close (10).
        // Bar 2: h 12, l 11 -> tr = max(1, |12-10|, |11-10|) = 2 (gap up).
        // Bar 3: h 12, l 10, prev close 11.5 -> tr = 2. Seed (2+2)/2 = 2.
        // Bar 4: h 11, l 10.5, prev close 11 -> tr = 0.5; atr = (2*1 + 0.5)/2 = 1.25.
        let mut a = Atr::new(2).unwrap();
        assert_eq!(a.update(10.5, 9.5, 10.0), None);
        assert_eq!(a.update(12.0, 11.0, 11.5), None);
        assert!(!a.is_ready());
        assert_eq!(a.update(12.0, 10.0, 11.0), Some(2.0));
        assert_eq!(a.update(11.0, 10.5, 10.75), Some(1.25));
        assert_eq!(a.value(), Some(1.25));
        assert!(Atr::new(0).is_err());
    }
}
