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
    /// The distance in dollars, given the reference price, the underlying
    /// price and its annual volatility.
    pub(crate) fn dollars(self, reference: f64, spot: f64, vol: f64) -> f64 {
        match self {
            Distance::Points(p) => p.to_f64(),
            Distance::Percent(f) => f * reference,
            Distance::DailySigmas(n) => n * spot * vol / SESSIONS_PER_YEAR.sqrt(),
        }
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
