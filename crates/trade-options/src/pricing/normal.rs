//! The standard normal distribution as the pricing formulas need it.
//!
//! The cumulative distribution is Cody's rational `erfc` with the
//! asymptotic tail used by Let's Be Rational (from the `implied-vol`
//! crate), so prices and implied volatilities share one implementation and
//! stay accurate in relative terms far into the tails (no `1 - N(x)`
//! cancellation).

use implied_vol::{DefaultSpecialFn, SpecialFn};

/// Standard normal cumulative distribution.
#[inline]
pub(crate) fn cdf(x: f64) -> f64 {
    DefaultSpecialFn::norm_cdf(x)
}

/// Standard normal density.
#[inline]
pub(crate) fn pdf(x: f64) -> f64 {
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}
