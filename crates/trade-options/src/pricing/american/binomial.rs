//! Cox-Ross-Rubinstein (1979) binomial tree with a continuous dividend
//! yield: up factor `u = exp(vol * sqrt(dt))`, `d = 1/u`, risk-neutral
//! probability `p = (exp((r-q) dt) - d) / (u - d)` (Hull's form, exactly
//! martingale per step), early exercise checked at every node.
//!
//! Greeks come from the tree itself by growing it two steps into the past
//! (Pelsser & Vorst, 1994): the root sits at `t = -2 dt`, so at `t = 0`
//! there are three nodes `S u^2, S, S d^2`. The middle one is exactly the
//! value of the plain `steps`-step tree from `S` (its subtree *is* that
//! tree); the outer two give delta and gamma by differences across the
//! same time slice, and the node with spot `S` at `t = 2 dt` gives theta.
//! Vega and rho are left to the caller (bump and reprice).

use super::super::PricingError;
use super::American;
use trade_core::OptionRight;

const MODEL: &str = "binomial tree (CRR)";

/// Price, delta, gamma and theta from one tree.
#[derive(Debug, Clone, Copy)]
pub(super) struct TreeGreeks {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
}

/// Prices `o` on a CRR tree of `steps` steps (`steps >= 2`, `years > 0`,
/// `vol > 0`, checked by the caller); `american = false` rolls back without
/// early exercise (a European option, for testing the tree itself).
pub(super) fn tree(o: &American, steps: u32, american: bool) -> Result<TreeGreeks, PricingError> {
    let n = steps as usize;
    let levels = n + 2;
    let dt = o.years / f64::from(steps);
    let dx = o.vol * dt.sqrt();
    let carry_dt = (o.rate - o.dividend_yield) * dt;
    // p and 1-p from expm1 so that neither loses digits when dx is small.
    let up_minus_down = dx.exp_m1() - (-dx).exp_m1();
    let p_up = (carry_dt.exp_m1() - (-dx).exp_m1()) / up_minus_down;
    let p_down = (dx.exp_m1() - carry_dt.exp_m1()) / up_minus_down;
    if !(p_up > 0.0 && p_down > 0.0) {
        return Err(PricingError::NotApplicable {
            model: MODEL,
            reason: "the risk-neutral probability is outside (0, 1) because |rate - dividend_yield| * sqrt(dt) >= vol: use more steps",
        });
    }
    let disc = (-o.rate * dt).exp();
    let (pu, pd) = (disc * p_up, disc * p_down);
    let phi = match o.right {
        OptionRight::Call => 1.0,
        OptionRight::Put => -1.0,
    };
    let (s0, k) = (o.spot, o.strike);

    // spot(level, j) = s0 * u^(2j - level); one exp per exponent, not per
    // node, and no drift from repeated multiplication.
    let powers: Vec<f64> = (0..=2 * levels)
        .map(|i| ((i as f64 - levels as f64) * dx).exp())
        .collect();
    let spot = |level: usize, j: usize| s0 * powers[2 * j + levels - level];

    let mut v: Vec<f64> = (0..=levels)
        .map(|j| (phi * (spot(levels, j) - k)).max(0.0))
        .collect();
    // The node with spot s0 at t = 2 dt (level 4), for theta.
    let mut later = if levels == 4 { v[2] } else { f64::NAN };
    for level in (2..levels).rev() {
        for j in 0..=level {
            let hold = pu * v[j + 1] + pd * v[j];
            v[j] = if american {
                hold.max(phi * (spot(level, j) - k))
            } else {
                hold
            };
        }
        if level == 4 {
            later = v[2];
        }
    }
    let (low, mid, high) = (v[0], v[1], v[2]);
    let (s_low, s_high) = (spot(2, 0), spot(2, 2));
    let up_gap = s_high - s0;
    let down_gap = s0 - s_low;
    let out = TreeGreeks {
        price: mid,
        delta: (high - low) / (s_high - s_low),
        gamma: 2.0 * ((high - mid) / up_gap - (mid - low) / down_gap) / (s_high - s_low),
        theta: (later - mid) / (2.0 * dt),
    };
    if [out.price, out.delta, out.gamma, out.theta]
        .iter()
        .all(|x| x.is_finite())
    {
        Ok(out)
    } else {
        Err(PricingError::NotFinite { model: MODEL })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::Bsm;

    /// Without early exercise the tree converges to Black-Scholes-Merton at
    /// rate 1/steps; 2000 steps are within 0.2% of the spot-scaled vega.
    #[test]
    fn european_tree_converges_to_bsm() {
        for right in [OptionRight::Call, OptionRight::Put] {
            for (strike, q) in [(90.0, 0.0), (100.0, 0.03), (120.0, 0.01)] {
                let o = American {
                    right,
                    spot: 100.0,
                    strike,
                    years: 0.75,
                    rate: 0.04,
                    dividend_yield: q,
                    vol: 0.3,
                };
                let t = tree(&o, 2000, false).unwrap();
                let e = Bsm {
                    right,
                    spot: 100.0,
                    strike,
                    years: 0.75,
                    rate: 0.04,
                    dividend_yield: q,
                    vol: 0.3,
                }
                .greeks()
                .unwrap();
                assert!(
                    (t.price - e.price).abs() < 2e-3 * 100.0 * 0.3,
                    "{right:?} {strike}: {} vs {}",
                    t.price,
                    e.price
                );
                assert!(
                    (t.delta - e.delta).abs() < 1e-3,
                    "{right:?} {strike}: {} vs {}",
                    t.delta,
                    e.delta
                );
                assert!(
                    (t.gamma - e.gamma).abs() < 1e-2 * e.gamma,
                    "{right:?} {strike}: {} vs {}",
                    t.gamma,
                    e.gamma
                );
                assert!(
                    (t.theta - e.theta).abs() < 1e-2 * e.theta.abs(),
                    "{right:?} {strike}: {} vs {}",
                    t.theta,
                    e.theta
                );
            }
        }
    }

    #[test]
    fn too_few_steps_for_the_carry_is_an_error() {
        let o = American {
            right: OptionRight::Put,
            spot: 100.0,
            strike: 100.0,
            years: 2.0,
            rate: 0.5,
            dividend_yield: 0.0,
            vol: 0.05,
        };
        assert!(matches!(
            tree(&o, 2, true),
            Err(PricingError::NotApplicable { .. })
        ));
        assert!(tree(&o, 1000, true).is_ok());
    }
}
