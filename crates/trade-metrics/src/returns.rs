use crate::config::MetricsConfig;
use crate::stats::finite;

/// Simple returns between consecutive equity (or price) values:
/// `r_i = (equity[i+1] - equity[i]) / equity[i]`, like
/// `empyrical.simple_returns` on an array. The output has `len - 1` entries
/// (empty for fewer than two values) and stays index-aligned with the input.
///
/// A return that is undefined — either value non-finite, or the earlier
/// value zero or negative — is emitted as `NaN`, the crate's marker for a
/// *missing observation* that every other function skips (see the crate
/// docs). This is the one place the crate produces `NaN`, and only to keep
/// the series aligned; empyrical would emit `inf`/`NaN` or a sign-flipped
/// return there.
#[must_use]
pub fn returns_from_equity(equity: &[f64]) -> Vec<f64> {
    equity
        .windows(2)
        .map(|w| {
            let (prev, next) = (w[0], w[1]);
            if prev.is_finite() && next.is_finite() && prev > 0.0 {
                (next - prev) / prev
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// One step of the wealth index: `wealth × (1 + r)`, with a missing
/// (non-finite) return leaving wealth unchanged, as `empyrical.cum_returns`
/// fills `NaN` with 0. Never returns `NaN`: the only way to get one,
/// `inf × 0` (a −100 % return after wealth overflowed), is the total loss it
/// describes, 0.
pub(crate) fn compound(wealth: f64, r: f64) -> f64 {
    if !r.is_finite() {
        return wealth;
    }
    let next = wealth * (1.0 + r);
    if next.is_nan() { 0.0 } else { next }
}

/// The ending value of the wealth index started at 1, or `None` when the
/// series has no finite observation.
pub(crate) fn ending_wealth(returns: &[f64]) -> Option<f64> {
    if !returns.iter().any(|r| r.is_finite()) {
        return None;
    }
    Some(returns.iter().fold(1.0, |w, &r| compound(w, r)))
}

/// Total compounded return `prod(1 + r) - 1` over the finite observations
/// (empyrical's `cum_returns_final`). `None` when there is no finite
/// observation or the product overflows.
#[must_use]
pub fn total_return(returns: &[f64]) -> Option<f64> {
    finite(ending_wealth(returns)? - 1.0)
}

/// Compound annual growth rate, empyrical's `cagr` / `annual_return`:
/// `ending^(1 / years) - 1` with `ending = prod(1 + r)` and
/// `years = returns.len() / periods_per_year` (missing observations count as
/// elapsed periods, as `len(returns)` does in empyrical).
///
/// `None` when there is no finite observation, `periods_per_year` is
/// invalid, or the ending wealth is negative (only possible with a return
/// below −100 %). A total loss (ending wealth 0) gives −1.
#[must_use]
pub fn cagr(returns: &[f64], cfg: &MetricsConfig) -> Option<f64> {
    let ppy = cfg.ppy()?;
    let ending = ending_wealth(returns)?;
    if ending < 0.0 {
        // `powf` would happily give (-1)^252 = 1 here.
        return None;
    }
    let years = returns.len() as f64 / ppy;
    finite(ending.powf(1.0 / years) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_from_equity_marks_undefined_returns_missing() {
        let r = returns_from_equity(&[100.0, 110.0, 0.0, 50.0, f64::NAN, 10.0, -5.0, 5.0]);
        assert_eq!(r.len(), 7);
        assert!((r[0] - 0.1).abs() < 1e-15);
        assert_eq!(r[1], -1.0);
        assert!(r[2].is_nan(), "previous equity 0");
        assert!(r[3].is_nan() && r[4].is_nan(), "NaN on either side");
        assert_eq!(r[5], -1.5);
        assert!(r[6].is_nan(), "previous equity negative");
        assert!(returns_from_equity(&[]).is_empty());
        assert!(returns_from_equity(&[1.0]).is_empty());
    }

    #[test]
    fn compounding_never_produces_nan() {
        // Wealth overflows to +inf, then a -100 % return: total loss, not NaN.
        let r = [1e300, 1e300, -1.0];
        assert_eq!(total_return(&r), Some(-1.0));
        assert_eq!(total_return(&[1e300, 1e300]), None, "overflow is undefined");
        assert_eq!(compound(f64::INFINITY, -1.0), 0.0);
        assert_eq!(compound(2.0, f64::NAN), 2.0);
    }

    #[test]
    fn cagr_edge_cases() {
        let cfg = MetricsConfig::default();
        assert_eq!(cagr(&[], &cfg), None);
        assert_eq!(cagr(&[f64::NAN], &cfg), None);
        assert_eq!(cagr(&[0.1, -1.0], &cfg), Some(-1.0));
        assert_eq!(cagr(&[-2.0], &cfg), None, "negative ending wealth");
        // 252 daily returns compounding to +10 % is a 10 % CAGR.
        let daily = 1.1f64.powf(1.0 / 252.0) - 1.0;
        let g = cagr(&[daily; 252], &cfg).unwrap();
        assert!((g - 0.1).abs() < 1e-12);
        // Missing observations still count as elapsed periods.
        let mut with_gap = vec![daily; 252];
        with_gap.extend([f64::NAN; 252]);
        let g = cagr(&with_gap, &cfg).unwrap();
        assert!((g - (1.1f64.sqrt() - 1.0)).abs() < 1e-12);
    }
}
