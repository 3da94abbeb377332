//! Black-Scholes-Merton (spot, continuous dividend yield) and Black-76
//! (forward) closed forms.

use implied_vol::{DefaultSpecialFn, SpecialFn};

use super::Greeks;
use trade_core::OptionRight;

/// Standard normal cumulative distribution (Cody's erfc, as used by Let's Be
/// Rational).
#[inline]
pub(crate) fn norm_cdf(x: f64) -> f64 {
    DefaultSpecialFn::norm_cdf(x)
}

/// Standard normal density.
#[inline]
pub(crate) fn norm_pdf(x: f64) -> f64 {
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Inputs of a European option on a spot that pays a continuous dividend
/// yield (index ETFs, indices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bsm {
    /// Call or put.
    pub right: OptionRight,
    /// Spot price of the underlying.
    pub spot: f64,
    /// Strike.
    pub strike: f64,
    /// Time to expiry, ACT/365 years.
    pub years: f64,
    /// Risk-free rate, continuously compounded.
    pub rate: f64,
    /// Dividend yield, continuously compounded.
    pub dividend_yield: f64,
    /// Volatility (0.20 = 20%).
    pub vol: f64,
}

impl Bsm {
    /// Price only.
    pub fn price(&self) -> f64 {
        self.greeks().price
    }

    /// Price and Greeks. At expiry (or zero volatility) the option is worth
    /// its discounted intrinsic value on the forward and the Greeks other
    /// than delta are zero.
    pub fn greeks(&self) -> Greeks {
        let Bsm {
            right,
            spot: s,
            strike: k,
            years: t,
            rate: r,
            dividend_yield: q,
            vol,
        } = *self;
        let dq = (-q * t).exp();
        let dr = (-r * t).exp();
        let sdev = vol * t.sqrt();
        if sdev.is_nan() || sdev <= 0.0 {
            let fwd_value = s * dq - k * dr;
            let (price, delta) = match right {
                OptionRight::Call if fwd_value > 0.0 => (fwd_value, dq),
                OptionRight::Put if fwd_value < 0.0 => (-fwd_value, -dq),
                _ => (0.0, 0.0),
            };
            return Greeks {
                price,
                delta,
                ..Greeks::default()
            };
        }
        let d1 = ((s / k).ln() + (r - q) * t) / sdev + 0.5 * sdev;
        let d2 = d1 - sdev;
        let pdf = norm_pdf(d1);
        let gamma = dq * pdf / (s * sdev);
        let vega = s * dq * pdf * t.sqrt();
        let decay = -s * dq * pdf * vol / (2.0 * t.sqrt());
        match right {
            OptionRight::Call => {
                let (n1, n2) = (norm_cdf(d1), norm_cdf(d2));
                Greeks {
                    price: s * dq * n1 - k * dr * n2,
                    delta: dq * n1,
                    gamma,
                    vega,
                    theta: decay - r * k * dr * n2 + q * s * dq * n1,
                    rho: k * t * dr * n2,
                }
            }
            OptionRight::Put => {
                let (n1, n2) = (norm_cdf(-d1), norm_cdf(-d2));
                Greeks {
                    price: k * dr * n2 - s * dq * n1,
                    delta: -dq * n1,
                    gamma,
                    vega,
                    theta: decay + r * k * dr * n2 - q * s * dq * n1,
                    rho: -k * t * dr * n2,
                }
            }
        }
    }
}

/// Inputs of a European option on a forward or future (Black-76).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Black76 {
    /// Call or put.
    pub right: OptionRight,
    /// Forward (futures) price.
    pub forward: f64,
    /// Strike.
    pub strike: f64,
    /// Time to expiry, ACT/365 years.
    pub years: f64,
    /// Risk-free rate used to discount the payoff.
    pub rate: f64,
    /// Volatility of the forward.
    pub vol: f64,
}

impl Black76 {
    /// Price only.
    pub fn price(&self) -> f64 {
        self.greeks().price
    }

    /// Price and Greeks with respect to the forward (delta, gamma), the
    /// volatility, calendar time and the discount rate (rho holds the forward
    /// fixed: it is `-t * price`).
    pub fn greeks(&self) -> Greeks {
        let Black76 {
            right,
            forward: f,
            strike: k,
            years: t,
            rate: r,
            vol,
        } = *self;
        let dr = (-r * t).exp();
        let sdev = vol * t.sqrt();
        if sdev.is_nan() || sdev <= 0.0 {
            let (price, delta) = match right {
                OptionRight::Call if f > k => (dr * (f - k), dr),
                OptionRight::Put if f < k => (dr * (k - f), -dr),
                _ => (0.0, 0.0),
            };
            return Greeks {
                price,
                delta,
                theta: r * price,
                rho: -t * price,
                ..Greeks::default()
            };
        }
        let d1 = (f / k).ln() / sdev + 0.5 * sdev;
        let d2 = d1 - sdev;
        let pdf = norm_pdf(d1);
        let gamma = dr * pdf / (f * sdev);
        let vega = f * dr * pdf * t.sqrt();
        let (price, delta) = match right {
            OptionRight::Call => (
                dr * (f * norm_cdf(d1) - k * norm_cdf(d2)),
                dr * norm_cdf(d1),
            ),
            OptionRight::Put => (
                dr * (k * norm_cdf(-d2) - f * norm_cdf(-d1)),
                -dr * norm_cdf(-d1),
            ),
        };
        Greeks {
            price,
            delta,
            gamma,
            vega,
            theta: -f * dr * pdf * vol / (2.0 * t.sqrt()) + r * price,
            rho: -t * price,
        }
    }
}
