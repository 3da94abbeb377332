//! Closed-form European pricing and Greeks.
//!
//! Conventions (the same everywhere in `trade`):
//! - time to expiry is a year fraction ACT/365 from calendar time
//!   ([`year_fraction`]);
//! - rates and dividend yields are continuously compounded, per year;
//! - `vega` is per 1.00 of volatility (divide by 100 for "per vol point",
//!   see [`Greeks::vega_per_point`]);
//! - `theta` is the derivative of the price with respect to calendar time,
//!   per year (divide by 365 for "per calendar day", see
//!   [`Greeks::theta_per_day`]); it is negative for a long option that
//!   loses value as time passes;
//! - `rho` is per 1.00 of the rate.

mod bsm;
mod iv;

pub use bsm::{Black76, Bsm};
pub use iv::{IvError, implied_vol_black76, implied_vol_bsm};
pub use trade_core::OptionRight;

/// Price and first-order sensitivities of one option (per unit of the
/// underlying, not per contract).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Greeks {
    /// Model price.
    pub price: f64,
    /// dPrice/dSpot (dPrice/dForward for Black-76).
    pub delta: f64,
    /// d2Price/dSpot2.
    pub gamma: f64,
    /// dPrice/dVol, per 1.00 of volatility.
    pub vega: f64,
    /// dPrice/dt in calendar time, per year.
    pub theta: f64,
    /// dPrice/dRate, per 1.00 of the rate.
    pub rho: f64,
}

impl Greeks {
    /// Vega per volatility point (0.01).
    pub fn vega_per_point(&self) -> f64 {
        self.vega / 100.0
    }

    /// Theta per calendar day (1/365 of a year).
    pub fn theta_per_day(&self) -> f64 {
        self.theta / 365.0
    }
}

/// Seconds in the ACT/365 year.
const SECS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// Year fraction ACT/365 between two instants (negative if `to` is before
/// `from`).
pub fn year_fraction(from: trade_core::Timestamp, to: trade_core::Timestamp) -> f64 {
    (to.nanos() - from.nanos()) as f64 / 1e9 / SECS_PER_YEAR
}
