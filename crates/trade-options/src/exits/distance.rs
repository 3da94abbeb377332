//! [`Distance`]: a price distance given in points, as a fraction of a
//! reference price, or in one-day standard deviations of the underlying
//! (so it widens when volatility rises).

use serde::{Deserialize, Serialize};
use trade_core::Price;

/// Trading sessions per year, to turn an annual volatility into a daily one.
pub(crate) const SESSIONS_PER_YEAR: f64 = 252.0;

/// A distance in the underlying's price.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distance {
    /// Dollars of the underlying (may be negative: "within X of").
    Points(Price),
    /// Fraction of the reference price (a strike, or the underlying).
    Percent(f64),
    /// Multiples of the underlying's one-day standard deviation,
    /// `spot × vol / √252`.
    DailySigmas(f64),
}

impl Distance {
    /// The distance as a price, given the reference price, the underlying
    /// price and its annual volatility. Rounded to 10^-8 so that comparisons
    /// with exact price differences do not hinge on binary float noise
    /// (`60.30 - 60` must count as 0.30).
    pub(crate) fn price(self, reference: Price, spot: Price, vol: f64) -> Price {
        let dollars = match self {
            Distance::Points(p) => return p,
            Distance::Percent(f) => f * reference.to_f64(),
            Distance::DailySigmas(n) => n * spot.to_f64() * vol / SESSIONS_PER_YEAR.sqrt(),
        };
        Price::from_f64(dollars).unwrap_or(Price::from_raw(i64::MAX))
    }

    pub(crate) fn validate(self, key: &str, errs: &mut Vec<String>) {
        let ok = match self {
            Distance::Points(_) => true,
            Distance::Percent(f) => f.is_finite() && f.abs() < 1.0,
            Distance::DailySigmas(n) => n.is_finite(),
        };
        if !ok {
            errs.push(format!(
                "{key} = {self:?} is invalid: percent must be in (-1, 1), sigmas finite"
            ));
        }
    }
}
