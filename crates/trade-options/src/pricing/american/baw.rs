//! Barone-Adesi & Whaley (1987), "Efficient Analytic Approximation of
//! American Option Values", Journal of Finance 42(2): the early-exercise
//! premium as `A * (S/S*)^Q` on top of the European price, with the
//! critical spot `S*` found by Newton's iteration from the paper's seed.
//!
//! The steps follow the paper (and QuantLib's
//! `BaroneAdesiWhaleyApproximationEngine`, which the goldens come from),
//! with two differences: the iteration stops at a relative residual of
//! 1e-12 instead of 1e-6, so that finite-difference Greeks and the implied
//! volatility built on this price are smooth; and `2r / (1 - exp(-rT))` is
//! evaluated with `expm1`, which needs no special case at `r = 0`.

use super::super::{Greeks, PricingError, normal};
use super::American;
use trade_core::OptionRight;

const MODEL: &str = "Barone-Adesi-Whaley";

/// Newton iterations allowed for the critical price; it converges in well
/// under 20 on every input seen (quadratically once near).
const MAX_ITERATIONS: u32 = 100;
/// Target residual of the critical-price equation, relative to `K + S*`.
const TOLERANCE: f64 = 1e-12;
/// Residual accepted when rounding stops the iteration short of
/// [`TOLERANCE`] (huge `S*/K`, where one ulp of `S*` exceeds the target).
const ROUNDING_FLOOR: f64 = 1e-9;

/// The early-exercise boundary and premium of one option: the price is the
/// European price plus `a * (S/critical)^q` on the continuation side of
/// `critical`, and the exercise value beyond it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Premium {
    /// Critical spot `S*`.
    pub critical: f64,
    /// Exponent `Q`.
    pub q: f64,
    /// Coefficient `A`.
    pub a: f64,
}

/// Undiscounted Black price of a call (`phi = 1`) or put (`phi = -1`) on
/// forward `f` with total standard deviation `sdev > 0`, with its normal
/// terms (`n1 = N(phi d1)`, `pdf1 = n(d1)`).
#[inline]
fn black(phi: f64, f: f64, k: f64, sdev: f64) -> (f64, normal::BlackTerms) {
    let b = normal::black_terms(phi, (f / k).ln(), f / k, sdev, 1.0 / sdev);
    (phi * (f * b.n1 - k * b.n2), b)
}

/// `x / (1 - exp(-x))`, 1 at `x = 0`.
fn x_over_one_minus_exp(x: f64) -> f64 {
    if x == 0.0 { 1.0 } else { x / -(-x).exp_m1() }
}

/// When to stop the critical-price iteration.
#[derive(Debug, Clone, Copy)]
enum Stop {
    /// Ours: residual <= 1e-12 * (K + S*), or <= 1e-9 * (K + S*) once
    /// rounding stalls the iteration.
    Tight,
    /// QuantLib's: residual / K <= 1e-6 (used only to reproduce its numbers
    /// in tests).
    #[cfg(test)]
    QuantLib,
}

/// Solves for the critical price and premium. Requires `years > 0`,
/// `vol > 0`, `rate >= 0` (checked by the caller).
pub(super) fn premium(o: &American) -> Result<Premium, PricingError> {
    premium_until(o, Stop::Tight)
}

fn premium_until(o: &American, stop: Stop) -> Result<Premium, PricingError> {
    let phi = match o.right {
        OptionRight::Call => 1.0,
        OptionRight::Put => -1.0,
    };
    let k = o.strike;
    let t = o.years;
    let variance = o.vol * o.vol * t;
    let sdev = variance.sqrt();
    let dr = (-o.rate * t).exp();
    let dq = (-o.dividend_yield * t).exp();
    let carry_t = (o.rate - o.dividend_yield) * t;
    let n = 2.0 * carry_t / variance;
    let m = 2.0 * o.rate * t / variance;
    let big_k = 2.0 / variance * x_over_one_minus_exp(o.rate * t);
    let root = |c: f64| 0.5 * (-(n - 1.0) + phi * ((n - 1.0) * (n - 1.0) + 4.0 * c).sqrt());
    let q = root(big_k);

    // Seed: the perpetual (T -> infinity) boundary pulled towards the
    // strike. At tiny variance (vol^2 T << carry) the formula overflows;
    // the strike itself, on the right side of every boundary, replaces it.
    let q_inf = root(m);
    let s_inf = k / (1.0 - 1.0 / q_inf);
    let seed = if phi > 0.0 {
        let h = -(carry_t + 2.0 * sdev) * k / (s_inf - k);
        k + (s_inf - k) * (-h.exp_m1())
    } else {
        let h = (carry_t - 2.0 * sdev) * k / (k - s_inf);
        s_inf + (k - s_inf) * h.exp()
    };
    let mut s = if seed.is_finite() && seed > 0.0 && phi * (seed - k) >= 0.0 {
        seed
    } else {
        k
    };

    // Value matching at S*: phi*(S* - K) = c(S*) + phi*(1 - dq N(phi d1)) S*/Q.
    let residual_and_slope = |s: f64| {
        let (undiscounted, b) = black(phi, s * dq / dr, k, sdev);
        let n1 = b.n1;
        let rhs = dr * undiscounted + phi * (1.0 - dq * n1) * s / q;
        let lhs = phi * (s - k);
        // d(rhs)/d(S*), the paper's b_i.
        let slope = phi * (dq * n1 * (1.0 - 1.0 / q) + (1.0 - phi * dq * b.pdf1 / sdev) / q);
        (lhs - rhs, rhs, slope)
    };
    let mut iterations = 0;
    loop {
        let (residual, rhs, slope) = residual_and_slope(s);
        let scale = k + s;
        let converged = match stop {
            Stop::Tight => residual.abs() <= TOLERANCE * scale,
            #[cfg(test)]
            Stop::QuantLib => residual.abs() / k <= 1e-6,
        };
        if converged {
            break;
        }
        if iterations == MAX_ITERATIONS || !residual.is_finite() {
            if residual.abs() <= ROUNDING_FLOOR * scale {
                break;
            }
            return Err(PricingError::NoConvergence {
                model: MODEL,
                what: "critical price",
                iterations,
            });
        }
        // Newton on lhs(S) - rhs(S), written as in the paper:
        // S = (K + RHS - b_i S) / (1 - b_i) for a call.
        let b = slope;
        let next = if phi > 0.0 {
            (k + rhs - b * s) / (1.0 - b)
        } else {
            (k - rhs + b * s) / (1.0 + b)
        };
        // The boundary is above the strike for a call and below it (and
        // above zero) for a put; a step that leaves that side goes halfway
        // to the strike, or halves/doubles towards zero/infinity.
        s = if next.is_nan() || phi * (next - k) < 0.0 {
            0.5 * (s + k)
        } else if next <= 0.0 {
            0.5 * s
        } else if next.is_infinite() {
            2.0 * s
        } else {
            next
        };
        iterations += 1;
    }
    let (_, b) = black(phi, s * dq / dr, k, sdev);
    let a = phi * (s / q) * (1.0 - dq * b.n1);
    let premium = Premium { critical: s, q, a };
    if premium.critical.is_finite() && premium.critical > 0.0 && premium.a.is_finite() {
        Ok(premium)
    } else {
        Err(PricingError::NotFinite { model: MODEL })
    }
}

/// BAW price and the spot Greeks, given the European Greeks; theta, vega
/// and rho of the premium are left to the caller (finite differences).
pub(super) fn value(o: &American, p: &Premium, european: &Greeks) -> Greeks {
    let exercise_region = match o.right {
        OptionRight::Call => o.spot >= p.critical,
        OptionRight::Put => o.spot <= p.critical,
    };
    if exercise_region {
        let phi = if o.right == OptionRight::Call {
            1.0
        } else {
            -1.0
        };
        return Greeks {
            price: phi * (o.spot - o.strike),
            delta: phi,
            ..Greeks::default()
        };
    }
    let ratio_pow = (o.spot / p.critical).powf(p.q);
    let extra = p.a * ratio_pow;
    Greeks {
        price: european.price + extra,
        delta: european.delta + extra * p.q / o.spot,
        gamma: european.gamma + extra * p.q * (p.q - 1.0) / (o.spot * o.spot),
        ..*european
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With QuantLib's stopping rule our iteration lands on QuantLib's
    /// critical price, so the prices agree to rounding: the algorithm, not
    /// just its limit, is the one QuantLib implements. (The public price
    /// iterates further; `tests/pricing_golden.rs` bounds that difference.)
    #[test]
    fn reproduces_quantlib_with_its_tolerance() {
        let csv = include_str!("../../../tests/golden/quantlib_grid.csv");
        let mut checked = 0;
        for line in csv.lines().filter(|l| l.starts_with("american_baw_ql,")) {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| f[i].parse::<f64>().unwrap();
            let o = American {
                right: if f[1] == "call" {
                    OptionRight::Call
                } else {
                    OptionRight::Put
                },
                spot: num(2),
                strike: num(3),
                years: num(4) / 365.0,
                rate: num(5),
                dividend_yield: num(6),
                vol: num(7),
            };
            let want = num(8);
            let european = o.european().greeks().unwrap();
            // QuantLib 1.44 also prices calls with q <= 0 and puts with
            // r <= 0 as European (the grid has no negative rates here).
            let got = match o.baw_case().unwrap() {
                super::super::BawCase::Premium => {
                    let p = premium_until(&o, Stop::QuantLib).unwrap();
                    value(&o, &p, &european).price
                }
                super::super::BawCase::European => european.price,
            };
            // QuantLib's normal CDF is off by up to ~4e-16 in absolute terms
            // (0.5 * (1 + erf)); prices therefore agree to ~1e-13 of S + K.
            let tol = 1e-12 * want.abs() + 1e-13 * (o.spot + o.strike);
            assert!((got - want).abs() <= tol, "{line}: got {got}");
            checked += 1;
        }
        assert_eq!(checked, 720);
    }
}
