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
    total: Total,
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
            total: Total::new(period),
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
        self.total.add(x, old);
        self.value()
    }

    /// The current mean, `None` during warm-up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        self.window.is_full().then(|| self.total.mean())
    }

    /// Whether `period` inputs have been seen.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }
}

/// Two SMAs of the same inputs, a fast one (`fast` inputs) and a slow one
/// (`slow` ≥ `fast` inputs), over one shared window: the fast window is
/// the newest `fast` slots of the slow one. Bit for bit the values of two
/// separate [`Sma`]s (the same compensated totals of the same evicted
/// inputs), with one ring buffer to store into and advance per input
/// instead of two: a crossover strategy's hot path.
#[derive(Debug, Clone)]
pub struct SmaPair {
    window: Ring,
    fast_period: usize,
    fast: Total,
    slow: Total,
}

impl SmaPair {
    /// SMAs over the last `fast` and the last `slow` inputs.
    ///
    /// # Errors
    /// [`IndicatorError::ZeroPeriod`] if `fast` is 0;
    /// [`IndicatorError::FastNotShorter`] if `fast` exceeds `slow`.
    pub fn new(fast: usize, slow: usize) -> Result<Self, IndicatorError> {
        if fast == 0 {
            return Err(IndicatorError::ZeroPeriod);
        }
        if fast > slow {
            return Err(IndicatorError::FastNotShorter { fast, slow });
        }
        Ok(SmaPair {
            window: Ring::new(slow),
            fast_period: fast,
            fast: Total::new(fast),
            slow: Total::new(slow),
        })
    }

    /// Feeds one input; `(fast mean, slow mean)` once `slow` inputs were seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<(f64, f64)> {
        // Read before the push: the input `fast` pushes ago leaves the fast
        // window now (0.0 while it fills, as for `Sma`).
        let fast_old = self.window.ago(self.fast_period);
        let slow_old = self.window.replace_oldest(x);
        self.fast.add(x, fast_old);
        self.slow.add(x, slow_old);
        self.window
            .is_full()
            .then(|| (self.fast.mean(), self.slow.mean()))
    }
}

/// A compensated running total of a window and its mean (see the module
/// documentation for why compensated).
#[derive(Debug, Clone)]
struct Total {
    /// `1 / period`: the mean is a multiplication (within an ulp of the
    /// division, and off the hot path's divider).
    inv_period: f64,
    sum: f64,
    comp: f64,
}

impl Total {
    fn new(period: usize) -> Self {
        Total {
            inv_period: 1.0 / period as f64,
            sum: 0.0,
            comp: 0.0,
        }
    }

    /// `x` enters the window, `old` leaves it.
    #[inline]
    fn add(&mut self, x: f64, old: f64) {
        let (delta, e1) = two_sum(x, -old);
        let (sum, e2) = two_sum(self.sum, delta);
        self.sum = sum;
        self.comp += e1 + e2;
    }

    #[inline]
    fn mean(&self) -> f64 {
        (self.sum + self.comp) * self.inv_period
    }
}

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
    fn pair_is_two_smas_bit_for_bit() {
        // Irregular inputs with a spike, for several (fast, slow) shapes,
        // including equal periods and a fast window of one.
        let xs: Vec<f64> = (0..500u32)
            .map(|i| {
                let x = 100.0 + f64::from(i % 17) * 0.37 - f64::from(i % 5) * 1.1;
                if i == 123 { 1e9 + 0.3 } else { x }
            })
            .collect();
        for (f, sl) in [(1, 1), (1, 5), (2, 4), (20, 50), (7, 7), (3, 200)] {
            let mut pair = SmaPair::new(f, sl).unwrap();
            let (mut fast, mut slow) = (Sma::new(f).unwrap(), Sma::new(sl).unwrap());
            for (i, &x) in xs.iter().enumerate() {
                let want = match (fast.update(x), slow.update(x)) {
                    (Some(a), Some(b)) => Some((a.to_bits(), b.to_bits())),
                    _ => None,
                };
                let got = pair.update(x).map(|(a, b)| (a.to_bits(), b.to_bits()));
                assert_eq!(got, want, "fast {f} slow {sl} input {i}");
            }
        }
        assert_eq!(SmaPair::new(0, 3).unwrap_err(), IndicatorError::ZeroPeriod);
        assert_eq!(
            SmaPair::new(4, 3).unwrap_err(),
            IndicatorError::FastNotShorter { fast: 4, slow: 3 }
        );
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
