//! The standard normal distribution as the pricing formulas need it.
//!
//! `N(x)` is built from Cody's rational approximations of `erf` (near zero)
//! and of the scaled complement `erfcx(y) = exp(y^2) erfc(y)` (elsewhere),
//! taken from the `implied-vol` crate, times the density `n(x)`:
//! `N(x) = sqrt(pi/2) * erfcx(|x|/sqrt 2) * n(x)` in the lower tail. The
//! Black formula needs `n(d1)` anyway and `n(d2) = n(d1) * F/K`, so both
//! cumulative values cost no exponential of their own ([`black_terms`]);
//! `erfc` itself would spend two. Relative accuracy holds far into the tail
//! (no `1 - N` cancellation): a few ulps, plus `x^2/2` ulps from rounding
//! the density's exponent.

use implied_vol::{DefaultSpecialFn, SpecialFn};

const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
const SQRT_PI_OVER_2: f64 = 1.253_314_137_315_500_3;
/// Below this `|x|/sqrt 2`, Cody's `erf` is a plain rational function.
const ERF_RATIONAL_LIMIT: f64 = 0.468_75;

/// Standard normal density.
#[inline]
pub(crate) fn pdf(x: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Standard normal cumulative distribution (the pricing code always has
/// the density at hand and calls [`cdf_with_pdf`]).
#[cfg(test)]
fn cdf(x: f64) -> f64 {
    cdf_with_pdf(x, pdf(x))
}

/// `N(x)` given `pdf_x = n(x)` (no exponential evaluated here).
// Inlined so that the two calls of one evaluation interleave.
#[inline(always)]
pub(crate) fn cdf_with_pdf(x: f64, pdf_x: f64) -> f64 {
    let y = x.abs() * std::f64::consts::FRAC_1_SQRT_2;
    if y <= ERF_RATIONAL_LIMIT {
        0.5 + 0.5 * DefaultSpecialFn::erf(x * std::f64::consts::FRAC_1_SQRT_2)
    } else {
        // erfcx of a positive argument above the limit is rational only.
        let tail = SQRT_PI_OVER_2 * DefaultSpecialFn::erfcx(y) * pdf_x;
        if x < 0.0 { tail } else { 1.0 - tail }
    }
}

/// The normal quantities of one Black formula evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlackTerms {
    /// `n(d1)`, `d1 = ln(F/K)/sdev + sdev/2`.
    pub pdf1: f64,
    /// `N(phi d1)`.
    pub n1: f64,
    /// `N(phi d2)`.
    pub n2: f64,
}

/// `n(d1)`, `N(phi d1)` and `N(phi d2)` for log-moneyness
/// `ln_fk = ln(F/K)`, `fk = F/K`, total standard deviation `sdev > 0` and
/// `inv_sdev = 1/sdev`,
/// with a single exponential.
#[inline(always)]
pub(crate) fn black_terms(phi: f64, ln_fk: f64, fk: f64, sdev: f64, inv_sdev: f64) -> BlackTerms {
    let d1 = ln_fk * inv_sdev + 0.5 * sdev;
    let d2 = d1 - sdev;
    let pdf1 = pdf(d1);
    // n(d2) = n(d1) * exp(d1 sdev - sdev^2/2) = n(d1) * F/K, exactly; when
    // n(d1) is subnormal or F/K overflows, evaluate it directly instead.
    let pdf2 = if pdf1 >= f64::MIN_POSITIVE && fk.is_finite() {
        pdf1 * fk
    } else {
        pdf(d2)
    };
    BlackTerms {
        pdf1,
        n1: cdf_with_pdf(phi * d1, pdf1),
        n2: cdf_with_pdf(phi * d2, pdf2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values of N(x) from mpmath (50 digits), rounded to double.
    #[test]
    fn cdf_is_accurate_in_relative_terms() {
        // python3 -c "import mpmath as mp; mp.mp.dps=50; print(repr(float(mp.ncdf(x))))"
        let cases = [
            (-40.0, 0.0),
            (-37.5, 4.605353009581955e-308),
            (-10.0, 7.619853024160525e-24),
            (-5.7, 5.990371401063528e-09),
            (-3.0, 0.0013498980316300946),
            (-0.66, 0.25462691467133614),
            (-0.1, 0.460172162722971),
            (0.0, 0.5),
            (0.3, 0.6179114221889527),
            (0.7, 0.758036347776927),
            (2.5, 0.9937903346742238),
            (9.0, 1.0),
        ];
        for (i, (x, want)) in cases.into_iter().enumerate() {
            let got = cdf(x);
            let tol = 8.0 * f64::EPSILON * (1.0 + 0.5 * x * x) * want;
            assert!(
                (got - want).abs() <= tol,
                "case {i}: N({x}) = {got:e}, want {want:e}"
            );
        }
    }
}
