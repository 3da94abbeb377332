use serde::Serialize;

use crate::stats::finite;

/// How much of the time, and how heavily, capital was in the market.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Exposure {
    /// Periods used: both values finite and equity `> 0`.
    pub n_periods: usize,
    /// Fraction of used periods with non-zero gross exposure.
    pub time_in_market: Option<f64>,
    /// Mean of `|gross_exposure| / equity` over the used periods (flat
    /// periods count as 0): 1.0 = fully invested on average, 2.0 = 2×
    /// gross leverage.
    pub avg_gross_exposure: Option<f64>,
}

/// Time in market and average gross exposure from per-period gross exposure
/// (sum of `|position market value|`, in the same currency as `equity`) and
/// equity, both sampled at the same instants.
///
/// Periods where either value is non-finite or equity is not positive are
/// skipped. If the slices differ in length nothing is used and both results
/// are `None`, as they are when no period is usable.
#[must_use]
pub fn exposure(gross_exposure: &[f64], equity: &[f64]) -> Exposure {
    let mut out = Exposure {
        n_periods: 0,
        time_in_market: None,
        avg_gross_exposure: None,
    };
    if gross_exposure.len() != equity.len() {
        return out;
    }
    let (mut n, mut invested, mut sum) = (0usize, 0usize, 0.0_f64);
    for (&g, &e) in gross_exposure.iter().zip(equity) {
        if g.is_finite() && e.is_finite() && e > 0.0 {
            n += 1;
            if g != 0.0 {
                invested += 1;
            }
            sum += g.abs() / e;
        }
    }
    out.n_periods = n;
    if n > 0 {
        out.time_in_market = finite(invested as f64 / n as f64);
        out.avg_gross_exposure = finite(sum / n as f64);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_counts_invested_periods() {
        let e = exposure(&[0.0, 50.0, -100.0, 0.0], &[100.0, 100.0, 100.0, 100.0]);
        assert_eq!(e.n_periods, 4);
        assert_eq!(e.time_in_market, Some(0.5));
        assert_eq!(e.avg_gross_exposure, Some(0.375));
    }

    #[test]
    fn mismatched_or_empty_is_none() {
        let e = exposure(&[1.0], &[1.0, 2.0]);
        assert_eq!(
            (e.n_periods, e.time_in_market, e.avg_gross_exposure),
            (0, None, None)
        );
        assert_eq!(exposure(&[], &[]).time_in_market, None);
    }
}
