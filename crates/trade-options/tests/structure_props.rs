//! Property tests of the payoff and the builders.
//!
//! Invariants:
//! 1. max loss equals minus the minimum of the payoff over a dense grid
//!    (every strike lies on the grid), and is `Unlimited` exactly when
//!    more calls are sold than bought; likewise max profit.
//! 2. the payoff at each breakeven is zero to within half a slope step,
//!    and every sign change on the grid has a breakeven inside it.
//! 3. an iron condor's max profit is its net credit and its max loss the
//!    wider wing minus the credit.
//! 4. builders never return crossed strikes.
//!
//! The reference payoff here is the textbook formula summed leg by leg in
//! cents, independent of the kink/slope logic under test.

mod structure_support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use structure_support::*;
use trade_core::{OptionRight, Price, Qty, Symbol};
use trade_options::structure::{
    Bound, ExpiryQuotes, IronCondorSpec, Leg, Offset, PriceBasis, StrikeQuote, StrikeRule,
    Structure, StructureKind, VerticalKind, VerticalSpec,
};

const CENT: i128 = 1_000_000;

/// (right is call, strike in cents, ratio, price in cents)
type LegCase = (bool, i64, i32, i64);

fn legs_strategy() -> impl Strategy<Value = (Vec<LegCase>, u64)> {
    let leg = (
        any::<bool>(),
        1i64..=40,
        prop_oneof![-3i32..=-1, 1i32..=3],
        0i64..=2_000,
    )
        .prop_map(|(c, k, r, px)| (c, k * 250, r, px));
    (proptest::collection::vec(leg, 1..=5), 1u64..=5).prop_map(|(legs, q)| {
        // One leg per contract: later duplicates are dropped.
        let mut seen = BTreeMap::new();
        for l in legs {
            seen.entry((l.0, l.1)).or_insert(l);
        }
        (seen.into_values().collect(), q)
    })
}

fn build(legs: &[LegCase], q: u64) -> (Structure, Vec<Price>) {
    let ls: Vec<Leg> = legs
        .iter()
        .map(|&(c, k, r, _)| {
            let strike = format!("{}.{:02}", k / 100, k % 100);
            if c { call(r, &strike) } else { put(r, &strike) }
        })
        .collect();
    let s = Structure::new(
        StructureKind::Custom {
            defined_risk: false,
        },
        ls,
        Qty::new(q),
    )
    .expect("generated legs are valid");
    let px = legs.iter().map(|l| Price::from_cents(l.3)).collect();
    (s, px)
}

/// Reference payoff in raw 10^-8 dollars at `s` cents.
fn reference(legs: &[LegCase], q: u64, s: i64) -> i128 {
    legs.iter()
        .map(|&(c, k, r, px)| {
            let intrinsic = if c { (s - k).max(0) } else { (k - s).max(0) };
            i128::from(r) * 100 * i128::from(q) * i128::from(intrinsic - px) * CENT
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn extremes_match_a_dense_grid((legs, q) in legs_strategy()) {
        let (s, px) = build(&legs, q);
        let pay = s.payoff(&px).unwrap();
        let max_k = legs.iter().map(|l| l.1).max().unwrap();
        let grid: Vec<i64> = (0..=(max_k + 1_000) / 25).map(|i| i * 25).collect();
        let values: Vec<i128> = grid.iter().map(|&x| reference(&legs, q, x)).collect();
        let (lo, hi) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
        let net_calls: i64 = legs.iter().filter(|l| l.0).map(|l| i64::from(l.2)).sum();
        let far = reference(&legs, q, max_k * 10);
        match pay.max_loss() {
            Bound::Unlimited => {
                prop_assert!(net_calls < 0);
                prop_assert!(far < lo);
            }
            Bound::Limited(loss) => {
                prop_assert!(net_calls >= 0);
                prop_assert_eq!(i128::from(loss.raw()), -lo);
                prop_assert!(far >= lo);
            }
        }
        match pay.max_profit() {
            Bound::Unlimited => {
                prop_assert!(net_calls > 0);
                prop_assert!(far > hi);
            }
            Bound::Limited(profit) => {
                prop_assert!(net_calls <= 0);
                prop_assert_eq!(i128::from(profit.raw()), hi);
            }
        }
        // The exact value at grid points agrees with the reference.
        for (&x, &v) in grid.iter().zip(&values).step_by(7) {
            prop_assert_eq!(i128::from(pay.value_at(Price::from_cents(x)).unwrap().raw()), v);
        }
    }

    #[test]
    fn breakevens_are_roots((legs, q) in legs_strategy()) {
        let (s, px) = build(&legs, q);
        let pay = s.payoff(&px).unwrap();
        let bes = pay.breakevens();
        // The steepest slope anywhere is at most the sum of |coefficients|.
        let steepest: i128 = legs.iter().map(|l| i128::from(l.2.abs()) * 100 * i128::from(q)).sum();
        for be in &bes {
            let v = i128::from(pay.value_at(*be).unwrap().raw());
            prop_assert!(2 * v.abs() <= steepest, "payoff {} at breakeven {}", v, be);
        }
        prop_assert!(bes.windows(2).all(|w| w[0] < w[1]));
        let max_k = legs.iter().map(|l| l.1).max().unwrap();
        let grid: Vec<i64> = (0..=(max_k * 3) / 25).map(|i| i * 25).collect();
        for w in grid.windows(2) {
            let (a, b) = (reference(&legs, q, w[0]), reference(&legs, q, w[1]));
            if (a < 0 && b > 0) || (a > 0 && b < 0) {
                let inside = bes.iter().any(|be| *be >= Price::from_cents(w[0]) && *be <= Price::from_cents(w[1]));
                prop_assert!(inside, "sign change in [{}, {}] cents but breakevens {:?}", w[0], w[1], bes);
            }
        }
    }

    #[test]
    fn iron_condor_max_profit_is_the_credit(
        k in (1i64..=20, 1i64..=10, 1i64..=20, 1i64..=10),
        px in proptest::collection::vec(0i64..=1_500, 4),
        q in 1u64..=10,
    ) {
        let a = 500 + k.0 * 100;
        let b = a + k.1 * 100;
        let c = b + k.2 * 100;
        let d = c + k.3 * 100;
        let strike = |x: i64| format!("{}", x / 100);
        let s = condor(&strike(a), &strike(b), &strike(c), &strike(d), q);
        let prices: Vec<Price> = px.iter().map(|&c| Price::from_cents(c)).collect();
        let pay = s.payoff(&prices).unwrap();
        let credit = s.net_premium(&prices).unwrap();
        prop_assert_eq!(pay.max_profit(), Bound::Limited(credit));
        let wider = (b - a).max(d - c);
        let want_loss = i128::from(wider) * 100 * i128::from(q) * CENT - i128::from(credit.raw());
        prop_assert_eq!(pay.max_loss(), Bound::Limited(trade_core::Money::from_raw(want_loss as i64)));
    }

    #[test]
    fn builders_never_cross_strikes(
        spot in 80i64..=120,
        deltas in proptest::collection::vec(0.0f64..1.0, 41),
        put_rule in rule_strategy(),
        call_rule in rule_strategy(),
        wings in (1i64..=6, 1i64..=6),
        kind in prop_oneof![
            Just(VerticalKind::BullPut), Just(VerticalKind::BearCall),
            Just(VerticalKind::BullCall), Just(VerticalKind::BearPut)
        ],
    ) {
        let quotes = chain(spot, &deltas);
        let spec = IronCondorSpec {
            short_put: put_rule,
            short_call: call_rule,
            put_wing: Price::from_cents(wings.0 * 100),
            call_wing: Price::from_cents(wings.1 * 100),
            quantity: Qty::new(1),
            min_credit: None,
            max_width: None,
            basis: PriceBasis::Mid,
        };
        if let Ok(b) = spec.build(&quotes) {
            let k: Vec<Price> = b.structure.legs().iter().map(|l| l.strike()).collect();
            prop_assert!(k[0] < k[1] && k[1] < k[2] && k[2] < k[3], "{:?}", k);
            prop_assert_eq!(k[1].checked_sub(k[0]), Some(Price::from_cents(wings.0 * 100)));
        }
        let v = VerticalSpec {
            kind,
            anchor: put_rule,
            width: Price::from_cents(wings.0 * 100),
            quantity: Qty::new(1),
            min_credit: None,
            max_debit: None,
            max_width: None,
            basis: PriceBasis::Natural,
        };
        if let Ok(b) = v.build(&quotes) {
            let legs = b.structure.legs();
            let (short, long) = if legs[0].is_short() { (&legs[0], &legs[1]) } else { (&legs[1], &legs[0]) };
            let short_higher = matches!(kind, VerticalKind::BullPut | VerticalKind::BullCall);
            prop_assert_eq!(short.strike() > long.strike(), short_higher);
            prop_assert!(short.strike() != long.strike());
        }
    }
}

fn rule_strategy() -> impl Strategy<Value = StrikeRule> {
    prop_oneof![
        (0.02f64..0.6, 0.0f64..0.1)
            .prop_map(|(target, tolerance)| StrikeRule::Delta { target, tolerance }),
        (0i64..=30)
            .prop_map(|pts| StrikeRule::Distance(Offset::Points(Price::from_cents(pts * 100)))),
        (0.0f64..0.3).prop_map(|f| StrikeRule::Distance(Offset::Percent(f))),
    ]
}

/// A chain of 41 strikes around 100 with arbitrary (not even monotone)
/// deltas, so the builders are tested on messy data too.
fn chain(spot: i64, deltas: &[f64]) -> ExpiryQuotes {
    let mut quotes = Vec::new();
    for (i, d) in deltas.iter().enumerate() {
        let strike = Price::from_cents((80 + i as i64) * 100);
        quotes.push(StrikeQuote {
            strike,
            right: OptionRight::Call,
            bid: Price::from_cents(10),
            ask: Price::from_cents(20),
            delta: *d,
        });
        quotes.push(StrikeQuote {
            strike,
            right: OptionRight::Put,
            bid: Price::from_cents(10),
            ask: Price::from_cents(20),
            delta: -(1.0 - d),
        });
    }
    ExpiryQuotes {
        underlying: Symbol::new("XYZ").unwrap(),
        expiry: EXPIRY,
        style: trade_core::ExerciseStyle::American,
        settlement: trade_core::Settlement::Physical,
        multiplier: 100,
        spot: Price::from_cents(spot * 100),
        quotes,
    }
}
