//! Option pricing: closed-form European models (Black-Scholes-Merton with a
//! continuous dividend yield, Black-76 on a forward), American exercise
//! (Barone-Adesi-Whaley and a Cox-Ross-Rubinstein tree), Greeks and implied
//! volatility for all of them.
//!
//! # Conventions (the same everywhere in `trade`)
//! - Time to expiry is a year fraction ACT/365: calendar days (or calendar
//!   seconds) divided by 365 ([`year_fraction`], [`year_fraction_days`]).
//!   Weekends and holidays count; there is no business-day time.
//! - Rates and dividend yields are continuously compounded, per year.
//! - Prices and Greeks are per unit of the underlying, not per contract
//!   (multiply by the contract multiplier, usually 100, for positions).
//! - `delta` = dPrice/dSpot (dPrice/dForward for Black-76), `gamma` its
//!   derivative again.
//! - `vega` = dPrice/dVol per 1.00 of volatility; per vol point (0.01) is
//!   [`Greeks::vega_per_point`].
//! - `theta` = dPrice/dt in calendar time, per year, with everything else
//!   fixed: negative for a long option that loses value as time passes. Per
//!   calendar day (1/365 year) is [`Greeks::theta_per_day`].
//! - `rho` = dPrice/dRate per 1.00 of the rate, spot and dividend yield
//!   fixed (for Black-76 the forward is fixed, so rho is `-years * price`).
//!   Per 1% is [`Greeks::rho_per_point`].
//!
//! # Example
//! ```
//! use trade_options::pricing::{American, AmericanModel, Bsm, OptionRight, implied_vol_bsm};
//!
//! let put = Bsm {
//!     right: OptionRight::Put,
//!     spot: 560.0,
//!     strike: 550.0,
//!     years: 30.0 / 365.0,
//!     rate: 0.043,
//!     dividend_yield: 0.013,
//!     vol: 0.18,
//! };
//! let g = put.greeks()?;
//! assert!(g.delta < 0.0 && g.theta_per_day() < 0.0);
//! let vol = implied_vol_bsm(OptionRight::Put, g.price, 560.0, 550.0, 30.0 / 365.0, 0.043, 0.013)?;
//! assert!((vol - 0.18).abs() < 1e-12);
//!
//! let american = American { right: put.right, spot: put.spot, strike: put.strike, years: put.years,
//!                           rate: put.rate, dividend_yield: put.dividend_yield, vol: put.vol };
//! assert!(american.price(AmericanModel::BaroneAdesiWhaley)? >= g.price);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Bad input
//! Every model validates its inputs and returns `Result`: a NaN, an
//! infinity, a non-positive spot/strike, a negative time or volatility is an
//! [`InputError`] naming the field, never a number. A result that overflows
//! `f64` is [`PricingError::NotFinite`]. Implied volatility returns
//! [`IvError`], which tells apart a price below intrinsic, above the
//! arbitrage bound, an expired option and a solver failure.

mod american;
mod bsm;
mod iv;
mod normal;

pub use american::{
    American, AmericanModel, BINOMIAL_MAX_STEPS, IV_VOL_RANGE_AMERICAN, implied_vol_american,
};
pub use bsm::{Black76, Bsm};
pub use iv::{IvError, implied_vol_black76, implied_vol_bsm};
pub use trade_core::OptionRight;

/// Price and first-order sensitivities of one option (per unit of the
/// underlying, not per contract). See the module documentation for the
/// units.
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

    /// Rho per percentage point of the rate (0.01).
    pub fn rho_per_point(&self) -> f64 {
        self.rho / 100.0
    }

    pub(crate) fn is_finite(&self) -> bool {
        self.price.is_finite()
            && self.delta.is_finite()
            && self.gamma.is_finite()
            && self.vega.is_finite()
            && self.theta.is_finite()
            && self.rho.is_finite()
    }
}

/// A model input outside its domain.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("invalid {field} {value}: expected {expected}")]
pub struct InputError {
    /// The field, named as in the input struct (`spot`, `vol`, ...).
    pub field: &'static str,
    /// The value given.
    pub value: f64,
    /// What the model needs.
    pub expected: &'static str,
}

/// Why a model produced no price.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// An input is NaN, infinite or out of its domain.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The inputs are valid but so extreme that the result overflows `f64`
    /// (for example `vol * sqrt(years)` beyond 1e308).
    #[error("{model}: the result is not a finite number (inputs too extreme for f64)")]
    NotFinite {
        /// The model that was evaluated.
        model: &'static str,
    },
    /// The model does not apply to these inputs.
    #[error("{model} does not apply: {reason}")]
    NotApplicable {
        /// The model that was asked.
        model: &'static str,
        /// Why not, and what to use instead.
        reason: &'static str,
    },
    /// An iterative step of the model did not converge.
    #[error("{model}: {what} did not converge in {iterations} iterations")]
    NoConvergence {
        /// The model that was evaluated.
        model: &'static str,
        /// The quantity being solved for.
        what: &'static str,
        /// Iterations spent.
        iterations: u32,
    },
}

/// Checks one input against a domain, naming the field on failure.
fn check(
    field: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), InputError> {
    if ok {
        Ok(())
    } else {
        Err(InputError {
            field,
            value,
            expected,
        })
    }
}

fn check_positive(field: &'static str, value: f64) -> Result<(), InputError> {
    check(
        field,
        value,
        value.is_finite() && value > 0.0,
        "a finite number > 0",
    )
}

fn check_non_negative(field: &'static str, value: f64) -> Result<(), InputError> {
    check(
        field,
        value,
        value.is_finite() && value >= 0.0,
        "a finite number >= 0",
    )
}

fn check_finite(field: &'static str, value: f64) -> Result<(), InputError> {
    check(field, value, value.is_finite(), "a finite number")
}

/// Seconds in the ACT/365 year.
const SECS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// Year fraction ACT/365 between two instants: calendar seconds / (365 *
/// 86400). Negative if `to` is before `from`.
pub fn year_fraction(from: trade_core::Timestamp, to: trade_core::Timestamp) -> f64 {
    // i128: the difference of two i64 nanosecond stamps can overflow i64.
    let nanos = i128::from(to.nanos()) - i128::from(from.nanos());
    nanos as f64 / 1e9 / SECS_PER_YEAR
}

/// Year fraction ACT/365 between two calendar dates: whole calendar days /
/// 365 (the convention of the QuantLib goldens, `Actual365Fixed`). Negative
/// if `to` is before `from`.
pub fn year_fraction_days(from: jiff::civil::Date, to: jiff::civil::Date) -> f64 {
    // Civil dates have no time zone, so the duration is a whole number of
    // 24-hour days.
    from.duration_until(to).as_secs() as f64 / 86_400.0 / 365.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_fraction_is_act_365() {
        let a = trade_core::Timestamp::from_secs(1_700_000_000);
        let b = a.add_secs(365 * 86_400);
        assert_eq!(year_fraction(a, b), 1.0);
        assert_eq!(year_fraction(b, a), -1.0);
        let ext = year_fraction(
            trade_core::Timestamp::from_nanos(i64::MIN),
            trade_core::Timestamp::from_nanos(i64::MAX),
        );
        assert!(ext > 584.0 && ext < 585.0, "{ext}");
    }

    #[test]
    fn year_fraction_days_counts_calendar_days() {
        let d = |y, m, dd| jiff::civil::Date::new(y, m, dd).unwrap();
        assert_eq!(
            year_fraction_days(d(2024, 1, 1), d(2025, 1, 1)),
            366.0 / 365.0
        );
        assert_eq!(
            year_fraction_days(d(2025, 4, 17), d(2025, 4, 18)),
            1.0 / 365.0
        );
        assert_eq!(
            year_fraction_days(d(2025, 4, 18), d(2025, 4, 11)),
            -7.0 / 365.0
        );
    }

    #[test]
    fn per_unit_conversions() {
        let g = Greeks {
            vega: 40.0,
            theta: -7.3,
            rho: 25.0,
            ..Greeks::default()
        };
        assert_eq!(g.vega_per_point(), 0.4);
        assert_eq!(g.theta_per_day(), -0.02);
        assert_eq!(g.rho_per_point(), 0.25);
    }
}
