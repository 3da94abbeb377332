//! [`Sma`]: simple moving average of the last `n` inputs.
//!
//! A ring buffer holds the window and a running total is updated with the
//! entering and leaving values, so an update is O(1) whatever `n`.
//!
//! **Why the total is compensated.** A plain running total `s += x_new -
//! x_old` never re-reads the window, so every rounding error it makes stays
//! in it forever: over millions of bars the errors random-walk away, and one
//! large value passing through the window (a bad tick at 1e9 among prices
//! near 100) leaves its rounding residue (~1e9 · 2^-53 ≈ 1e-7) in every
//! later average. The total is therefore compensated (Kahan/Neumaier style,
//! with Knuth's branch-free *TwoSum*): the exact rounding error of `x_new -
//! x_old` and of adding that to the total go into a second accumulator, and
//! the mean is `(total + compensation) / n`. The result stays within about
//! one ulp of the exact window sum, plus a second-order term of order
//! `updates · 2^-106 · Σ|x|` that is negligible for any realistic run
//! (1e-14 relative after 1e9 updates). The total's own dependency chain is
//! one addition per update, so this costs a few independent flops, not
//! latency; a periodic full re-sum would also bound the drift but makes one
//! update in `n` cost O(n).

use super::{IndicatorError, Ring};

/// Simple moving average over `period` inputs; first value after
/// `period` inputs.
#[derive(Debug, Clone)]
pub struct Sma {
    window: Ring,
    period: usize,
    /// `1 / period`: the mean is a multiplication (within an ulp of the
    /// division, and off the hot path's divider).
    inv_period: f64,
    sum: f64,
    comp: f64,
}

impl Sma {
    /// An SMA over `period` inputs.
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `period` is 0.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        if period == 0 {
            return Err(IndicatorError::ZeroPeriod);
        }
        Ok(Sma {
            window: Ring::new(period),
            period,
            inv_period: 1.0 / period as f64,
            sum: 0.0,
            comp: 0.0,
        })
    }

    /// The window length.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one input; the mean of the last `period` inputs once there
    /// are that many.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let old = self.window.replace_oldest(x);
        let (delta, e1) = two_sum(x, -old);
        let (sum, e2) = two_sum(self.sum, delta);
        self.sum = sum;
        self.comp += e1 + e2;
        self.value()
    }

    /// The current mean, `None` during warm-up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        if self.window.is_full() {
            Some((self.sum + self.comp) * self.inv_period)
        } else {
            None
        }
    }

    /// Whether `period` inputs have been seen.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }
}

/// Knuth's TwoSum: `a + b` rounded, and its exact rounding error.
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        let mut s = Sma::new(3).unwrap();
        assert_eq!(s.update(1.0), None);
        assert_eq!(s.update(2.0), None);
        assert!(!s.is_ready());
        assert_eq!(s.update(3.0), Some(2.0));
        assert_eq!(s.update(10.0), Some(5.0));
        assert_eq!(s.value(), Some(5.0));
        assert!(Sma::new(0).is_err());
    }

    #[test]
    fn spike_leaves_no_residue() {
        // A naive running sum keeps ~1e-7 of rounding error after a 1e9
        // spike has left the window; the compensated one does not.
        let mut s = Sma::new(4).unwrap();
        let xs = [100.1, 100.2, 1e9 + 0.3, 100.4, 100.5, 100.6, 100.7, 100.8];
        for x in xs {
            s.update(x);
        }
        let want = (100.5 + 100.6 + 100.7 + 100.8) / 4.0;
        assert!((s.value().unwrap() - want).abs() < 1e-12, "{:?}", s.value());
    }

    #[test]
    fn no_drift_over_millions_of_updates() {
        // A deterministic, irregular series around 100 (logistic map).
        let series = |i: u32, x: &mut f64| {
            *x = (*x * 3.9 * (1.0 - *x)).clamp(1e-6, 1.0 - 1e-6);
            100.0 + *x + f64::from(i % 13) * 1e-3
        };
        let mut s = Sma::new(7).unwrap();
        let mut x = 0.1;
        let mut tail = [0.0; 7];
        for i in 0..3_000_000u32 {
            let v = series(i, &mut x);
            tail[(i % 7) as usize] = v;
            s.update(v);
        }
        let naive = tail.iter().sum::<f64>() / 7.0;
        let got = s.value().unwrap();
        assert!((got - naive).abs() < 1e-12, "{got} vs {naive}");
    }
}
