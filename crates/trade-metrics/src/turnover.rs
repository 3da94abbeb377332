use serde::Serialize;

use crate::config::MetricsConfig;
use crate::stats::{finite, mean, valid};

/// Traded notional relative to the capital that traded it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Turnover {
    /// Mean of the finite equity values.
    pub avg_equity: Option<f64>,
    /// `total_traded_notional / avg_equity` over the whole series (2.0 = the
    /// average capital was bought and sold once, or bought twice).
    pub total: Option<f64>,
    /// `total / years` with `years = equity.len() / periods_per_year`.
    pub annual: Option<f64>,
}

/// Turnover: total traded notional divided by average equity, and per year.
///
/// `total_traded_notional` is **two-sided**: the sum of `|quantity × price|`
/// over every fill, buys and sells alike, so a round trip of the whole book
/// is 2.0 (pyfolio's `get_turnover` also sums both sides). Each element of
/// `equity` is one period (for example one daily close), so
/// `years = equity.len() / periods_per_year`; the annual figure equals the
/// mean per-period turnover × `periods_per_year`.
///
/// `None` results: negative or non-finite notional, no finite equity,
/// average equity not positive, or invalid `periods_per_year` (annual only).
#[must_use]
pub fn turnover(total_traded_notional: f64, equity: &[f64], cfg: &MetricsConfig) -> Turnover {
    let avg_equity = mean(valid(equity)).and_then(finite);
    let total = match avg_equity {
        Some(avg)
            if avg > 0.0 && total_traded_notional.is_finite() && total_traded_notional >= 0.0 =>
        {
            finite(total_traded_notional / avg)
        }
        _ => None,
    };
    let annual = (|| {
        let ppy = cfg.ppy()?;
        let years = equity.len() as f64 / ppy;
        finite(total? / years)
    })();
    Turnover {
        avg_equity,
        total,
        annual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_round_trip_a_year() {
        // Buy and sell the whole 100k book once over 252 days: 200k two-sided.
        let t = turnover(200_000.0, &[100_000.0; 252], &MetricsConfig::default());
        assert_eq!(t.avg_equity, Some(100_000.0));
        assert_eq!(t.total, Some(2.0));
        assert_eq!(t.annual, Some(2.0));
    }

    #[test]
    fn undefined_inputs_are_none() {
        let cfg = MetricsConfig::default();
        assert_eq!(turnover(1.0, &[], &cfg).total, None);
        assert_eq!(turnover(-1.0, &[1.0], &cfg).total, None);
        assert_eq!(turnover(f64::NAN, &[1.0], &cfg).total, None);
        assert_eq!(turnover(1.0, &[-5.0, 1.0], &cfg).total, None);
    }
}
