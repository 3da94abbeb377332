//! Implied volatility by Jäckel's "Let's Be Rational" (the `implied-vol`
//! crate), after turning spot prices into undiscounted forward prices.

use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};
use trade_core::OptionRight;

/// Why no implied volatility exists for a price.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum IvError {
    /// An input is NaN, infinite, or out of its domain (spot/strike <= 0,
    /// negative time, negative price).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The price is below the option's discounted intrinsic value.
    #[error("price {price} is below the intrinsic value {intrinsic}")]
    BelowIntrinsic {
        /// The price given.
        price: f64,
        /// The discounted intrinsic value on the forward.
        intrinsic: f64,
    },
    /// The price is at or above the no-arbitrage upper bound (the discounted
    /// forward for a call, the discounted strike for a put).
    #[error("price {price} is at or above the arbitrage bound {bound}")]
    AboveBound {
        /// The price given.
        price: f64,
        /// The upper bound.
        bound: f64,
    },
    /// The option has expired; only intrinsic value is attainable.
    #[error("the option has no time value left (expired)")]
    Expired,
}

/// Implied Black-Scholes-Merton volatility of a European option price.
pub fn implied_vol_bsm(
    right: OptionRight,
    price: f64,
    spot: f64,
    strike: f64,
    years: f64,
    rate: f64,
    dividend_yield: f64,
) -> Result<f64, IvError> {
    if !(spot.is_finite() && spot > 0.0) {
        return Err(IvError::InvalidInput("spot must be a positive number"));
    }
    if !(rate.is_finite() && dividend_yield.is_finite()) {
        return Err(IvError::InvalidInput(
            "rate and dividend yield must be finite",
        ));
    }
    let forward = spot * ((rate - dividend_yield) * years).exp();
    implied_vol_black76(right, price, forward, strike, years, rate)
}

/// Implied Black-76 volatility of a European option on a forward.
pub fn implied_vol_black76(
    right: OptionRight,
    price: f64,
    forward: f64,
    strike: f64,
    years: f64,
    rate: f64,
) -> Result<f64, IvError> {
    if !(price.is_finite() && price >= 0.0) {
        return Err(IvError::InvalidInput("price must be a non-negative number"));
    }
    if !(forward.is_finite() && forward > 0.0) {
        return Err(IvError::InvalidInput("forward must be a positive number"));
    }
    if !(strike.is_finite() && strike > 0.0) {
        return Err(IvError::InvalidInput("strike must be a positive number"));
    }
    if !(years.is_finite() && years >= 0.0) {
        return Err(IvError::InvalidInput("time to expiry must be >= 0"));
    }
    if !rate.is_finite() {
        return Err(IvError::InvalidInput("rate must be finite"));
    }
    let df = (-rate * years).exp();
    let undiscounted = price / df;
    let (intrinsic, bound) = match right {
        OptionRight::Call => ((forward - strike).max(0.0), forward),
        OptionRight::Put => ((strike - forward).max(0.0), strike),
    };
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
    if years == 0.0 {
        return Err(IvError::Expired);
    }
    ImpliedBlackVolatility::builder()
        .option_price(undiscounted)
        .forward(forward)
        .strike(strike)
        .expiry(years)
        .is_call(matches!(right, OptionRight::Call))
        .build()
        .and_then(|iv| iv.calculate::<DefaultSpecialFn>())
        .filter(|v| v.is_finite())
        .ok_or(IvError::BelowIntrinsic {
            price,
            intrinsic: intrinsic * df,
        })
}
