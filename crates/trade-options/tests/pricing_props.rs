//! Property tests of the pricing models over a wide domain (spot 1..1000,
//! log-moneyness -2..2, 1 hour to 10 years, rates and yields -5%..15%,
//! vols 1%..300%). Invariants:
//! 1. Put-call parity for prices and every Greek (BSM and Black-76).
//! 2. Each closed-form Greek equals a central finite difference of our own
//!    price (BSM and Black-76), and BAW's analytic delta and gamma equal
//!    differences of the BAW price.
//! 3. Implied vol inverts the price: the vol comes back to 1e-10 where the
//!    price carries the information (vega >= 1e-5 * (S + K)), and always
//!    reprices to rounding; the American solver inverts BAW and the tree.
//! 4. Prices lie within the arbitrage bounds, delta within its range,
//!    gamma and vega are non-negative.
//! 5. American >= European >= 0, American >= exercise value, and an
//!    American call with q <= 0 <= r is worth the European call.
//! 6. Any input, however bad (NaN, infinities, negatives), gives a finite
//!    result or an error, never a NaN and never a panic.

use proptest::prelude::*;
use trade_options::pricing::{
    American, AmericanModel, Black76, Bsm, IvError, OptionRight, PricingError,
    implied_vol_american, implied_vol_black76, implied_vol_bsm,
};

fn right() -> impl Strategy<Value = OptionRight> {
    prop_oneof![Just(OptionRight::Call), Just(OptionRight::Put)]
}

prop_compose! {
    fn bsm()(
        right in right(),
        spot in 1.0..1000.0f64,
        log_moneyness in -2.0..2.0f64,
        hours in 1.0..(10.0 * 365.0 * 24.0f64),
        rate in -0.05..0.15f64,
        dividend_yield in -0.05..0.15f64,
        vol in 0.01..3.0f64,
    ) -> Bsm {
        Bsm {
            right,
            spot,
            strike: spot * log_moneyness.exp(),
            years: hours / 24.0 / 365.0,
            rate,
            dividend_yield,
            vol,
        }
    }
}

fn phi(right: OptionRight) -> f64 {
    match right {
        OptionRight::Call => 1.0,
        OptionRight::Put => -1.0,
    }
}

/// Size of the terms each Greek's formula adds up: price, delta, gamma,
/// vega, theta, rho (see `tests/pricing_golden.rs`).
fn scales(o: &Bsm) -> [f64; 6] {
    let sq = o.years.sqrt();
    [
        o.spot + o.strike,
        1.0,
        1.0 / (o.spot * o.vol * sq),
        o.spot * sq,
        o.spot * o.vol / sq + o.rate.abs() * o.strike + o.dividend_yield.abs() * o.spot,
        o.strike * o.years,
    ]
}

fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    (got - want).abs() <= rel * want.abs() + abs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn put_call_parity(o in bsm()) {
        let call = Bsm { right: OptionRight::Call, ..o }.greeks().unwrap();
        let put = Bsm { right: OptionRight::Put, ..o }.greeks().unwrap();
        let dq = (-o.dividend_yield * o.years).exp();
        let dr = (-o.rate * o.years).exp();
        let sc = scales(&o);
        let eps = 1e-14;
        prop_assert!(close(call.price - put.price, o.spot * dq - o.strike * dr, 0.0, eps * sc[0]));
        prop_assert!(close(call.delta - put.delta, dq, 0.0, eps));
        prop_assert!(close(call.gamma, put.gamma, eps, 0.0));
        prop_assert!(close(call.vega, put.vega, eps, 0.0));
        prop_assert!(close(
            call.theta - put.theta,
            o.dividend_yield * o.spot * dq - o.rate * o.strike * dr,
            0.0,
            eps * sc[4]
        ));
        prop_assert!(close(call.rho - put.rho, o.strike * o.years * dr, 0.0, eps * sc[5]));

        let f = Black76 { right: OptionRight::Call, forward: o.spot, strike: o.strike, years: o.years, rate: o.rate, vol: o.vol };
        let (c, p) = (f.price().unwrap(), Black76 { right: OptionRight::Put, ..f }.price().unwrap());
        prop_assert!(close(c - p, dr * (o.spot - o.strike), 0.0, eps * dr * sc[0]));
    }

    #[test]
    fn greeks_are_derivatives_of_the_price(o in bsm()) {
        let g = o.greeks().unwrap();
        let price = |b: Bsm| b.price().unwrap();
        let sc = scales(&o);
        let sdev = o.vol * o.years.sqrt();
        // Bumps small against each variable's scale, large against rounding.
        let hs = 1e-3 * o.spot * sdev;
        let up = price(Bsm { spot: o.spot + hs, ..o });
        let mid = price(o);
        let down = price(Bsm { spot: o.spot - hs, ..o });
        let delta = (up - down) / (2.0 * hs);
        let gamma = (up - 2.0 * mid + down) / (hs * hs);
        let hv = 1e-4 * o.vol;
        let vega = (price(Bsm { vol: o.vol + hv, ..o }) - price(Bsm { vol: o.vol - hv, ..o })) / (2.0 * hv);
        let ht = 1e-4 * o.years;
        let theta = -(price(Bsm { years: o.years + ht, ..o }) - price(Bsm { years: o.years - ht, ..o })) / (2.0 * ht);
        let hr = 1e-6;
        let rho = (price(Bsm { rate: o.rate + hr, ..o }) - price(Bsm { rate: o.rate - hr, ..o })) / (2.0 * hr);
        // Truncation ~ (relative bump)^2 ~ 1e-7 of the Greek; rounding ~
        // 1e-16 * (S + K) / bump, at most ~1e-6 of the Greek's scale.
        let (rel, abs) = (1e-5, 1e-6);
        prop_assert!(close(g.delta, delta, rel, abs * sc[1]), "delta {} vs {}", g.delta, delta);
        prop_assert!(close(g.gamma, gamma, rel, abs * sc[2]), "gamma {} vs {}", g.gamma, gamma);
        prop_assert!(close(g.vega, vega, rel, abs * sc[3]), "vega {} vs {}", g.vega, vega);
        prop_assert!(close(g.theta, theta, rel, abs * sc[4]), "theta {} vs {}", g.theta, theta);
        prop_assert!(close(g.rho, rho, rel, abs * sc[5]), "rho {} vs {}", g.rho, rho);

        let f = Black76 { right: o.right, forward: o.spot, strike: o.strike, years: o.years, rate: o.rate, vol: o.vol };
        let fg = f.greeks().unwrap();
        let fp = |b: Black76| b.price().unwrap();
        let (up, mid, down) = (fp(Black76 { forward: o.spot + hs, ..f }), fp(f), fp(Black76 { forward: o.spot - hs, ..f }));
        prop_assert!(close(fg.delta, (up - down) / (2.0 * hs), rel, abs));
        prop_assert!(close(fg.gamma, (up - 2.0 * mid + down) / (hs * hs), rel, abs * sc[2]));
        let theta = -(fp(Black76 { years: o.years + ht, ..f }) - fp(Black76 { years: o.years - ht, ..f })) / (2.0 * ht);
        prop_assert!(close(fg.theta, theta, rel, abs * sc[4]), "b76 theta {} vs {}", fg.theta, theta);
        let rho = (fp(Black76 { rate: o.rate + hr, ..f }) - fp(Black76 { rate: o.rate - hr, ..f })) / (2.0 * hr);
        prop_assert!(close(fg.rho, rho, rel, abs * sc[5]), "b76 rho {} vs {}", fg.rho, rho);
        let vega = (fp(Black76 { vol: o.vol + hv, ..f }) - fp(Black76 { vol: o.vol - hv, ..f })) / (2.0 * hv);
        prop_assert!(close(fg.vega, vega, rel, abs * sc[3]));
    }

    #[test]
    fn implied_vol_inverts_the_price(
        o in bsm(),
        vol in 0.005..5.0f64,
    ) {
        let o = Bsm { vol, ..o };
        let g = o.greeks().unwrap();
        let scale = o.spot + o.strike;
        match implied_vol_bsm(o.right, g.price, o.spot, o.strike, o.years, o.rate, o.dividend_yield) {
            Ok(v) => {
                if g.vega >= 1e-5 * scale {
                    prop_assert!((v - vol).abs() <= 1e-10, "{v} vs {vol}, vega {}", g.vega);
                }
                let p = Bsm { vol: v, ..o }.price().unwrap();
                prop_assert!(close(p, g.price, 1e-12, 1e-14 * scale), "{p} vs {}", g.price);
            }
            // A price that rounds onto a bound carries no vol.
            Err(IvError::BelowIntrinsic { price, intrinsic }) => {
                prop_assert!(intrinsic - price <= 1e-13 * scale && g.vega < 1e-5 * scale);
            }
            Err(IvError::AboveBound { price, bound }) => {
                prop_assert!(bound - price <= 1e-13 * scale && g.vega < 1e-5 * scale);
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
        let f = Black76 { right: o.right, forward: o.spot, strike: o.strike, years: o.years, rate: o.rate, vol };
        let fg = f.greeks().unwrap();
        if fg.vega >= 1e-5 * scale {
            let v = implied_vol_black76(o.right, fg.price, o.spot, o.strike, o.years, o.rate).unwrap();
            prop_assert!((v - vol).abs() <= 1e-10, "b76 {v} vs {vol}");
        }
    }

    #[test]
    fn prices_and_greeks_respect_arbitrage_bounds(o in bsm()) {
        let g = o.greeks().unwrap();
        let dq = (-o.dividend_yield * o.years).exp();
        let dr = (-o.rate * o.years).exp();
        let p = phi(o.right);
        let slack = 1e-14 * (o.spot + o.strike);
        let lower = (p * (o.spot * dq - o.strike * dr)).max(0.0);
        let upper = match o.right { OptionRight::Call => o.spot * dq, OptionRight::Put => o.strike * dr };
        prop_assert!(g.price >= lower - slack && g.price <= upper + slack, "{} not in [{lower}, {upper}]", g.price);
        prop_assert!(p * g.delta >= 0.0 && p * g.delta <= dq * (1.0 + 1e-15));
        prop_assert!(g.gamma >= 0.0 && g.vega >= 0.0);
        // A call on a higher strike is worth less; a put more.
        let wider = Bsm { strike: o.strike * 1.01, ..o }.price().unwrap();
        prop_assert!(p * (g.price - wider) >= -slack);
    }

    #[test]
    fn iv_errors_name_the_bound(o in bsm(), below in 1e-6..1.0f64) {
        let dq = (-o.dividend_yield * o.years).exp();
        let dr = (-o.rate * o.years).exp();
        let intrinsic = (phi(o.right) * (o.spot * dq - o.strike * dr)).max(0.0);
        let bound = match o.right { OptionRight::Call => o.spot * dq, OptionRight::Put => o.strike * dr };
        let iv = |price| implied_vol_bsm(o.right, price, o.spot, o.strike, o.years, o.rate, o.dividend_yield);
        if intrinsic > below {
            let is_below = matches!(iv(intrinsic - below), Err(IvError::BelowIntrinsic { .. }));
            prop_assert!(is_below);
        }
        let is_above = matches!(iv(bound * (1.0 + below)), Err(IvError::AboveBound { .. }));
        prop_assert!(is_above);
        let expired = implied_vol_bsm(o.right, intrinsic + 1.0, o.spot, o.strike, 0.0, o.rate, o.dividend_yield);
        let is_expired = matches!(expired, Err(IvError::Expired { .. }));
        prop_assert!(is_expired);
    }
}

prop_compose! {
    fn american()(
        o in bsm(),
        days in 1.0..(2.0 * 365.0f64),
        rate in 0.0..0.1f64,
        vol in 0.05..1.5f64,
    ) -> American {
        American {
            right: o.right,
            spot: o.spot,
            strike: o.spot * (o.strike / o.spot).powf(0.25),
            years: days / 365.0,
            rate,
            dividend_yield: o.dividend_yield,
            vol,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn american_is_worth_at_least_european_and_exercise(a in american()) {
        let european = a.european().price().unwrap();
        let exercise = a.exercise_value();
        let baw = a.price(AmericanModel::BaroneAdesiWhaley).unwrap();
        prop_assert!(baw >= european - 1e-12 * (a.spot + a.strike), "{baw} < {european}");
        prop_assert!(baw >= exercise, "{baw} < {exercise}");
        let steps = 200;
        let tree = a.price(AmericanModel::Binomial { steps }).unwrap();
        prop_assert!(tree >= exercise);
        // The tree is American on a lattice whose European value converges
        // to Black-Scholes-Merton like 1/steps; 0.5 * S (vol sqrt T +
        // |r - q| T) / steps is about 1.5 times the worst European error
        // over this domain (strong carry skews the lattice, hence the
        // second term).
        let tree_error = 0.5 * a.spot * (a.vol * a.years.sqrt() + (a.rate - a.dividend_yield).abs() * a.years)
            / f64::from(steps);
        prop_assert!(tree >= european - tree_error, "{tree} < {european} - {tree_error}");
        if a.right == OptionRight::Call && a.dividend_yield <= 0.0 {
            prop_assert_eq!(baw, european);
            prop_assert!((tree - european).abs() <= tree_error);
        }
    }

    #[test]
    fn baw_delta_and_gamma_are_derivatives_of_its_price(a in american()) {
        let g = a.greeks(AmericanModel::BaroneAdesiWhaley).unwrap();
        let price = |spot| American { spot, ..a }.price(AmericanModel::BaroneAdesiWhaley).unwrap();
        let h = 1e-4 * a.spot * a.vol * a.years.sqrt();
        let (up, mid, down) = (price(a.spot + h), price(a.spot), price(a.spot - h));
        // Skip spots within a bump of the critical price, where gamma jumps.
        let exercise = |p: f64, s: f64| (p - (phi(a.right) * (s - a.strike)).max(0.0)).abs() < 1e-12 * a.strike;
        prop_assume!(!exercise(up, a.spot + h) && !exercise(down, a.spot - h) && !exercise(mid, a.spot));
        let sdev = a.vol * a.years.sqrt();
        prop_assert!(close(g.delta, (up - down) / (2.0 * h), 1e-5, 1e-7));
        let gamma = (up - 2.0 * mid + down) / (h * h);
        prop_assert!(close(g.gamma, gamma, 1e-4, 1e-5 / (a.spot * sdev)), "{} vs {gamma}", g.gamma);
        let dq = (-a.dividend_yield * a.years).exp();
        prop_assert!(g.vega >= -1e-9 && g.delta.abs() <= dq.max(1.0) * (1.0 + 1e-12));
    }

    #[test]
    fn american_implied_vol_inverts_baw(a in american()) {
        let g = a.greeks(AmericanModel::BaroneAdesiWhaley).unwrap();
        prop_assume!(g.vega >= 1e-3 * (a.spot + a.strike) && g.price > a.exercise_value() + 1e-6);
        let v = implied_vol_american(a.right, g.price, a.spot, a.strike, a.years, a.rate, a.dividend_yield, AmericanModel::BaroneAdesiWhaley).unwrap();
        prop_assert!((v - a.vol).abs() <= 1e-9, "{v} vs {}", a.vol);
    }

    #[test]
    fn american_implied_vol_inverts_the_tree(a in american()) {
        let model = AmericanModel::Binomial { steps: 100 };
        let g = a.greeks(model).unwrap();
        prop_assume!(g.vega >= 1e-3 * (a.spot + a.strike) && g.price > a.exercise_value() + 1e-6);
        let v = implied_vol_american(a.right, g.price, a.spot, a.strike, a.years, a.rate, a.dividend_yield, model).unwrap();
        // The vol is found to 1e-12; the tree price it reproduces may sit on
        // a flat step of the lattice, so compare prices, then vols loosely.
        let p = American { vol: v, ..a }.price(model).unwrap();
        prop_assert!((p - g.price).abs() <= 1e-9 * (a.spot + a.strike), "{p} vs {}", g.price);
        prop_assert!((v - a.vol).abs() <= 1e-6, "{v} vs {}", a.vol);
    }
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        -1e6..1e6f64,
        proptest::num::f64::ANY,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn bad_inputs_never_give_a_number_that_is_not_one(
        right in right(),
        x in proptest::array::uniform7(any_f64()),
    ) {
        let [spot, strike, years, rate, q, vol, price] = x;
        let o = Bsm { right, spot, strike, years, rate, dividend_yield: q, vol };
        if let Ok(g) = o.greeks() {
            prop_assert!([g.price, g.delta, g.gamma, g.vega, g.theta, g.rho].iter().all(|v| v.is_finite()));
            prop_assert!(o.validate().is_ok());
        }
        if let Ok(p) = o.price() { prop_assert!(p.is_finite()); }
        let f = Black76 { right, forward: spot, strike, years, rate, vol };
        if let Ok(g) = f.greeks() { prop_assert!(g.price.is_finite() && g.theta.is_finite()); }
        for v in [
            implied_vol_bsm(right, price, spot, strike, years, rate, q),
            implied_vol_black76(right, price, spot, strike, years, rate),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
        let a = American { right, spot, strike, years, rate, dividend_yield: q, vol };
        for model in [AmericanModel::BaroneAdesiWhaley, AmericanModel::Binomial { steps: 20 }] {
            match a.greeks(model) {
                Ok(g) => prop_assert!([g.price, g.delta, g.gamma, g.vega, g.theta, g.rho].iter().all(|v| v.is_finite())),
                Err(PricingError::Input(e)) => prop_assert!(!e.field.is_empty()),
                Err(_) => {}
            }
            if let Ok(v) = implied_vol_american(right, price, spot, strike, years, rate, q, model) {
                prop_assert!(v.is_finite() && v > 0.0);
            }
        }
    }
}

#[test]
fn a_nan_vol_is_named_not_priced() {
    let o = Bsm {
        right: OptionRight::Call,
        spot: 100.0,
        strike: 100.0,
        years: 1.0,
        rate: 0.05,
        dividend_yield: 0.0,
        vol: f64::NAN,
    };
    let msg = o.greeks().unwrap_err().to_string();
    assert_eq!(msg, "invalid vol NaN: expected a finite number >= 0");
}
