//! Implied volatility of European prices by Jäckel's "Let's Be Rational"
//! (the `implied-vol` crate's default hybrid solver), after turning the
//! price into an undiscounted price on the forward.
//!
//! Accuracy: Let's Be Rational inverts the Black formula to within a few
//! ulps of the normalised price, so the implied volatility is as exact as
//! the price allows: an error `dP` in the price moves the volatility by
//! `dP / vega`. With prices carrying a few ulps of `spot + strike` the
//! volatility is accurate to 1e-10 wherever vega (per 1.00) is at least
//! `1e-5 * (spot + strike)`; `tests/pricing_golden.rs` checks exactly that on
//! QuantLib prices.

use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};
use trade_core::OptionRight;

use super::{InputError, PricingError};

/// Why a price has no implied volatility. Each variant is a different
/// situation for the caller: a stale or crossed quote (below intrinsic,
/// above the bound), an expired contract, or a failure of the numerical
/// method.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum IvError {
    /// An input is NaN, infinite or out of its domain.
    #[error(transparent)]
    InvalidInput(#[from] InputError),
    /// The price is below the option's lower arbitrage bound: the
    /// discounted intrinsic value on the forward for a European option, the
    /// exercise value for an American one.
    #[error("price {price} is below the intrinsic value {intrinsic}: no volatility reproduces it")]
    BelowIntrinsic {
        /// The price given.
        price: f64,
        /// The lower bound it is below.
        intrinsic: f64,
    },
    /// The price is at or above the no-arbitrage upper bound (the discounted
    /// forward for a call, the discounted strike for a put; spot and strike
    /// for American options), which only an infinite volatility reaches.
    #[error(
        "price {price} is at or above the arbitrage bound {bound}: no finite volatility reproduces it"
    )]
    AboveBound {
        /// The price given.
        price: f64,
        /// The upper bound.
        bound: f64,
    },
    /// The option has no time left (`years == 0`): every volatility gives
    /// the intrinsic value, so none is implied.
    #[error(
        "the option has expired (years = 0): price {price} implies no volatility (intrinsic value {intrinsic})"
    )]
    Expired {
        /// The price given.
        price: f64,
        /// The intrinsic value, the only attainable price.
        intrinsic: f64,
    },
    /// The price is within the arbitrage bounds but outside what the model
    /// reaches over the volatility range searched (American models only; see
    /// [`super::IV_VOL_RANGE_AMERICAN`]).
    #[error(
        "price {price} is outside the model's range [{low}, {high}] over the volatilities searched"
    )]
    OutsideModelRange {
        /// The price given.
        price: f64,
        /// Model price at the lowest volatility searched.
        low: f64,
        /// Model price at the highest volatility searched.
        high: f64,
    },
    /// The price is attainable but the solver failed to find the
    /// volatility (a bug or an extreme input; report it).
    #[error("{solver} found no volatility for price {price}")]
    NoConvergence {
        /// The price given.
        price: f64,
        /// The method that failed.
        solver: &'static str,
    },
    /// The pricing model failed while being inverted (American models).
    #[error(transparent)]
    Model(PricingError),
}

/// Implied Black-Scholes-Merton volatility of a European option price.
///
/// A price exactly at the discounted intrinsic value gives `Ok(0.0)`.
///
/// # Errors
/// [`IvError::InvalidInput`] for NaN/infinite/out-of-domain inputs,
/// [`IvError::Expired`] when `years == 0`, [`IvError::BelowIntrinsic`] and
/// [`IvError::AboveBound`] for prices outside the arbitrage bounds,
/// [`IvError::NoConvergence`] if the solver fails.
pub fn implied_vol_bsm(
    right: OptionRight,
    price: f64,
    spot: f64,
    strike: f64,
    years: f64,
    rate: f64,
    dividend_yield: f64,
) -> Result<f64, IvError> {
    super::check_positive("spot", spot)?;
    super::check_finite("dividend_yield", dividend_yield)?;
    // Rate and years are checked again below; check them here so that the
    // forward below is built from valid numbers.
    super::check_finite("rate", rate)?;
    super::check_non_negative("years", years)?;
    let forward = spot * ((rate - dividend_yield) * years).exp();
    if !(forward.is_finite() && forward > 0.0) {
        return Err(IvError::Model(PricingError::NotFinite {
            model: "Black-Scholes-Merton forward",
        }));
    }
    implied_vol_black76(right, price, forward, strike, years, rate)
}

/// Implied Black-76 volatility of a European option on a forward.
///
/// A price exactly at the discounted intrinsic value gives `Ok(0.0)`.
///
/// # Errors
/// As [`implied_vol_bsm`].
pub fn implied_vol_black76(
    right: OptionRight,
    price: f64,
    forward: f64,
    strike: f64,
    years: f64,
    rate: f64,
) -> Result<f64, IvError> {
    super::check_non_negative("price", price)?;
    super::check_positive("forward", forward)?;
    super::check_positive("strike", strike)?;
    super::check_non_negative("years", years)?;
    super::check_finite("rate", rate)?;
    let df = (-rate * years).exp();
    let undiscounted = price / df;
    if !(df > 0.0 && undiscounted.is_finite()) {
        return Err(IvError::Model(PricingError::NotFinite {
            model: "Black-76 discounting",
        }));
    }
    let (intrinsic, bound) = match right {
        OptionRight::Call => ((forward - strike).max(0.0), forward),
        OptionRight::Put => ((strike - forward).max(0.0), strike),
    };
    if years == 0.0 {
        return Err(IvError::Expired {
            price,
            intrinsic: intrinsic * df,
        });
    }
    // The same comparisons, on the same numbers, as the solver's own
    // classification, so that every rejection gets its true reason.
    if undiscounted < intrinsic {
        return Err(IvError::BelowIntrinsic {
            price,
            intrinsic: intrinsic * df,
        });
    }
    if undiscounted >= bound {
        return Err(IvError::AboveBound {
            price,
            bound: bound * df,
        });
    }
    let vol = ImpliedBlackVolatility::builder()
        .option_price(undiscounted)
        .forward(forward)
        .strike(strike)
        .expiry(years)
        .is_call(matches!(right, OptionRight::Call))
        .build()
        .and_then(|iv| iv.calculate::<DefaultSpecialFn>());
    match vol {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ if time_value_at_cap(undiscounted - intrinsic, forward, strike) => {
            // The time value reaches the out-of-the-money option's cap after
            // rounding: the price is at the bound in all but the last ulps.
            Err(IvError::AboveBound {
                price,
                bound: bound * df,
            })
        }
        _ => Err(IvError::NoConvergence {
            price,
            solver: "Let's Be Rational",
        }),
    }
}

/// Whether a time value is at or above the largest time value a Black price
/// can have, `sqrt(F*K) * exp(-|ln(F/K)|/2)` (= min(F, K)), computed the way
/// the solver normalises it.
fn time_value_at_cap(time_value: f64, forward: f64, strike: f64) -> bool {
    let beta = time_value / (forward.sqrt() * strike.sqrt());
    let cap = (-0.5 * (forward / strike).ln().abs()).exp();
    beta >= cap
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::Bsm;

    #[test]
    fn recovers_a_textbook_vol() {
        let o = Bsm {
            right: OptionRight::Put,
            spot: 100.0,
            strike: 95.0,
            years: 0.25,
            rate: 0.03,
            dividend_yield: 0.01,
            vol: 0.27,
        };
        let p = o.price().unwrap();
        let v = implied_vol_bsm(OptionRight::Put, p, 100.0, 95.0, 0.25, 0.03, 0.01).unwrap();
        assert!((v - 0.27).abs() < 1e-13, "{v}");
    }

    #[test]
    fn each_unsolvable_price_gets_its_reason() {
        let call = |p: f64, t: f64| implied_vol_black76(OptionRight::Call, p, 110.0, 100.0, t, 0.0);
        assert!(
            matches!(call(9.99, 1.0), Err(IvError::BelowIntrinsic { intrinsic, .. }) if intrinsic == 10.0)
        );
        assert!(
            matches!(call(110.0, 1.0), Err(IvError::AboveBound { bound, .. }) if bound == 110.0)
        );
        assert!(matches!(call(10.0, 0.0), Err(IvError::Expired { .. })));
        assert!(matches!(
            call(f64::NAN, 1.0),
            Err(IvError::InvalidInput(InputError { field: "price", .. }))
        ));
        assert!(matches!(
            call(-0.5, 1.0),
            Err(IvError::InvalidInput(InputError { field: "price", .. }))
        ));
        assert_eq!(call(10.0, 1.0), Ok(0.0));
        let put = implied_vol_bsm(OptionRight::Put, 1.0, 100.0, 100.0, 1.0, f64::INFINITY, 0.0);
        assert!(matches!(
            put,
            Err(IvError::InvalidInput(InputError { field: "rate", .. }))
        ));
    }

    #[test]
    fn discounted_bounds_are_reported_discounted() {
        let r = 0.05;
        let df = (-r * 2.0f64).exp();
        let err =
            implied_vol_black76(OptionRight::Put, 100.0 * df, 90.0, 100.0, 2.0, r).unwrap_err();
        assert_eq!(
            err,
            IvError::AboveBound {
                price: 100.0 * df,
                bound: 100.0 * df
            }
        );
    }
}
