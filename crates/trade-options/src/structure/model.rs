//! The model value of a structure before expiry (the "T+0 line" of a
//! payoff diagram): each leg priced with Black-Scholes-Merton at its own
//! volatility, minus what was paid for it.
//!
//! Time to expiry runs to 16:00 New York time on the expiry date, when US
//! equity, ETF and PM-settled index options stop trading. AM-settled index
//! options (monthly SPX) settle at the open; the few hours of difference
//! are below what a diagram can show.

use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use trade_core::{Money, Price, Timestamp};

use super::payoff::DiagramPoint;
use super::{Structure, StructureError};
use crate::pricing::{Bsm, year_fraction};

static NEW_YORK: LazyLock<TimeZone> = LazyLock::new(|| {
    // The workspace builds jiff with `tzdb-bundle-always`, so the zone is
    // compiled in and cannot be missing.
    TimeZone::get("America/New_York").expect("jiff's bundled tzdb has America/New_York")
});

/// The America/New_York time zone (compiled in).
pub(crate) fn new_york() -> &'static TimeZone {
    &NEW_YORK
}

/// The New York wall time of an instant.
pub(crate) fn ny_wall(ts: Timestamp) -> jiff::civil::DateTime {
    ts.to_jiff().to_zoned(new_york().clone()).datetime()
}

/// 16:00 New York time on `date`, the end of trading of an option expiring
/// that day. `None` only for dates outside the timestamp range.
pub fn expiry_close(date: Date) -> Option<Timestamp> {
    let zoned = date.at(16, 0, 0, 0).to_zoned(new_york().clone()).ok()?;
    Timestamp::from_jiff(zoned.timestamp())
}

/// Market inputs of the model value, other than the underlying price.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInputs {
    /// The valuation instant.
    pub now: Timestamp,
    /// Risk-free rate, continuously compounded.
    pub rate: f64,
    /// Dividend yield of the underlying, continuously compounded.
    pub dividend_yield: f64,
    /// Volatility of each leg (its implied vol), in leg order.
    pub vols: Vec<f64>,
}

impl Structure {
    /// Model profit or loss now, with the underlying at `spot`, of a
    /// position opened at `entry_prices`: `Σ ratio × multiplier × quantity ×
    /// (model price − entry price)`, each leg priced with
    /// Black-Scholes-Merton at its own volatility and time to its expiry.
    /// American exercise is ignored (a European value), which understates
    /// deep in-the-money puts slightly.
    ///
    /// # Errors
    /// Wrong number of prices or vols, a negative price, a non-finite or
    /// negative vol, a non-finite rate or yield, a non-positive spot, or a
    /// result outside the money range.
    pub fn model_pnl(
        &self,
        entry_prices: &[Price],
        spot: Price,
        inputs: &ModelInputs,
    ) -> Result<Money, StructureError> {
        self.check_prices("entry prices", entry_prices)?;
        if inputs.vols.len() != self.legs().len() {
            return Err(StructureError::LegCount {
                what: "model vols",
                expected: self.legs().len(),
                found: inputs.vols.len(),
            });
        }
        let bad = |field: String, value: f64, expected: &'static str| StructureError::ModelInput {
            field,
            value,
            expected,
        };
        if spot <= Price::ZERO {
            return Err(bad("spot".into(), spot.to_f64(), "a positive price"));
        }
        if !inputs.rate.is_finite() {
            return Err(bad("rate".into(), inputs.rate, "a finite number"));
        }
        if !inputs.dividend_yield.is_finite() {
            return Err(bad(
                "dividend_yield".into(),
                inputs.dividend_yield,
                "a finite number",
            ));
        }
        let q = self.quantity().get() as f64;
        let mut total = 0.0;
        for (i, ((leg, entry), &vol)) in self
            .legs()
            .iter()
            .zip(entry_prices)
            .zip(&inputs.vols)
            .enumerate()
        {
            if !(vol.is_finite() && vol >= 0.0) {
                return Err(bad(format!("vols[{i}]"), vol, "a finite volatility >= 0"));
            }
            let expiry = expiry_close(leg.terms.expiry).ok_or_else(|| {
                bad(
                    format!("legs[{i}].expiry"),
                    f64::NAN,
                    "a date in the timestamp range",
                )
            })?;
            let years = year_fraction(inputs.now, expiry).max(0.0);
            let price = Bsm {
                right: leg.right(),
                spot: spot.to_f64(),
                strike: leg.strike().to_f64(),
                years,
                rate: inputs.rate,
                dividend_yield: inputs.dividend_yield,
                vol,
            }
            .price()
            .map_err(|e| bad(format!("legs[{i}]"), f64::NAN, pricing_reason(&e)))?;
            total += leg.units() as f64 * q * (price - entry.to_f64());
        }
        Money::from_f64(total).ok_or(StructureError::Overflow {
            what: "model value",
        })
    }

    /// Payoff-diagram points between `lo` and `hi` (see
    /// [`Payoff::points`](super::Payoff::points)), with the model line when
    /// `model` is given.
    ///
    /// # Errors
    /// The errors of [`Structure::payoff`] and [`Structure::model_pnl`].
    pub fn diagram(
        &self,
        entry_prices: &[Price],
        lo: Price,
        hi: Price,
        steps: usize,
        model: Option<&ModelInputs>,
    ) -> Result<Vec<DiagramPoint>, StructureError> {
        let mut points = self.payoff(entry_prices)?.points(lo, hi, steps)?;
        if let Some(inputs) = model {
            for p in &mut points {
                if p.underlying > Price::ZERO {
                    p.model = Some(self.model_pnl(entry_prices, p.underlying, inputs)?);
                }
            }
        }
        Ok(points)
    }
}

/// The model's refusal as the "expected" text of a [`StructureError::ModelInput`].
fn pricing_reason(e: &crate::pricing::PricingError) -> &'static str {
    match e {
        crate::pricing::PricingError::Input(_) => "inputs the pricing model accepts",
        _ => "inputs whose model value is a finite number",
    }
}
