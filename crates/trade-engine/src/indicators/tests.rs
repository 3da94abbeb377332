//! Property tests shared by the indicators (golden values against pandas
//! live in `tests/indicators_golden.rs`).

use proptest::prelude::*;

use super::{Atr, Ema, EwmaVol, ReturnKind, Roc, Sma};

/// Finite values of very different magnitudes, zero included.
fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![-1e100..1e100f64, -1e3..1e3f64, -1.0..1.0f64, Just(0.0)]
}

proptest! {
    /// The SMA equals the naive mean of the last `n` inputs.
    #[test]
    fn sma_is_the_window_mean(n in 1usize..40, xs in prop::collection::vec(-1e6..1e6f64, 0..300)) {
        let mut sma = Sma::new(n).unwrap();
        let mut max_abs = 0.0f64;
        for (i, &x) in xs.iter().enumerate() {
            max_abs = max_abs.max(x.abs());
            let got = sma.update(x);
            if i + 1 < n {
                prop_assert_eq!(got, None);
                prop_assert!(!sma.is_ready());
            } else {
                let naive = xs[i + 1 - n..=i].iter().sum::<f64>() / n as f64;
                let got = got.unwrap();
                prop_assert!((got - naive).abs() <= 1e-13 * max_abs * n as f64 + 1e-300,
                    "n={} i={} got={} naive={}", n, i, got, naive);
                prop_assert_eq!(sma.value(), Some(got));
            }
        }
    }

    /// The rate of change of a constant non-zero series is exactly 0.
    #[test]
    fn roc_of_constant_is_zero(n in 1usize..50, c in prop_oneof![1e-6..1e9f64, -1e9..-1e-6f64], len in 0usize..200) {
        let mut roc = Roc::new(n).unwrap();
        for i in 0..len {
            let got = roc.update(c);
            if i < n {
                prop_assert_eq!(got, None);
            } else {
                prop_assert_eq!(got, Some(0.0));
            }
        }
    }

    /// The EMA of a constant series is that constant.
    #[test]
    fn ema_of_constant_is_constant(n in 1usize..50, c in -1e6..1e6f64, len in 1usize..200) {
        let mut ema = Ema::new(n).unwrap();
        for _ in 0..len {
            if let Some(v) = ema.update(c) {
                prop_assert!((v - c).abs() <= 1e-12 * c.abs().max(1.0));
            }
        }
    }

    /// No indicator panics or outputs NaN on finite input; ATR and
    /// volatility are never negative.
    #[test]
    fn finite_in_no_nan_out(
        n in 1usize..30,
        lambda in 0.01..0.99f64,
        xs in prop::collection::vec((finite(), finite(), finite()), 0..200),
    ) {
        let mut sma = Sma::new(n).unwrap();
        let mut ema = Ema::new(n).unwrap();
        let mut atr = Atr::new(n).unwrap();
        let mut roc = Roc::new(n).unwrap();
        let mut vol_log = EwmaVol::new(n, lambda, ReturnKind::Log).unwrap();
        let mut vol_simple = EwmaVol::new(n, lambda, ReturnKind::Simple).unwrap();
        for (a, b, c) in xs {
            let (high, low) = if a >= b { (a, b) } else { (b, a) };
            let close = c.clamp(low, high);
            for v in [sma.update(c), ema.update(c), roc.update(c)].into_iter().flatten() {
                prop_assert!(!v.is_nan());
            }
            for v in [atr.update(high, low, close), vol_log.update(c), vol_simple.update(c)]
                .into_iter()
                .flatten()
            {
                prop_assert!(!v.is_nan() && v >= 0.0, "{}", v);
            }
        }
    }
}
