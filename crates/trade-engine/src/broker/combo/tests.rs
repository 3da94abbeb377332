use proptest::prelude::*;
use trade_core::{InstrumentId, Price};

use super::*;

fn p(s: &str) -> Price {
    s.parse().expect("price")
}

fn q(bid: &str, ask: &str) -> LegQuote {
    LegQuote {
        bid: p(bid),
        ask: p(ask),
    }
}

fn leg(i: u32, ratio: i32) -> ComboLeg {
    ComboLeg {
        instrument: InstrumentId(i),
        ratio,
    }
}

/// A short iron condor, wings bought: long 535 put, short 540 put, short
/// 580 call, long 585 call.
fn condor() -> (Vec<ComboLeg>, Vec<LegQuote>) {
    (
        vec![leg(0, 1), leg(1, -1), leg(2, -1), leg(3, 1)],
        vec![
            q("0.80", "0.82"),
            q("1.20", "1.23"),
            q("1.10", "1.12"),
            q("0.60", "0.62"),
        ],
    )
}

fn cfg(fill_fraction: f64, mode: ComboMode) -> ComboFillConfig {
    ComboFillConfig {
        fill_fraction,
        mode,
    }
}

// Worked by hand: natural = 0.82 - 1.20 - 1.10 + 0.62 = -0.86 (a 0.86
// credit); mid = 0.81 - 1.215 - 1.11 + 0.61 = -0.905. With fill_fraction
// 0.5 the market requires -0.905 + 0.5 * 0.045 = -0.8825, rounded to the
// cent against the trader: -0.88.
#[test]
fn condor_fills_halfway_between_mid_and_natural() {
    let (legs, quotes) = condor();
    let tick = p("0.01");
    let c = cfg(0.5, ComboMode::AllOrNone);
    assert_eq!(
        match_combo(&legs, p("-0.90"), &quotes, tick, &c),
        ComboOutcome::NotFilled(NoFill::LimitNotReached {
            required: p("-0.88")
        })
    );
    // Two cents of improvement over natural, one tick each on the first two
    // legs: 0.81 - 1.21 - 1.10 + 0.62 = -0.88.
    assert_eq!(
        match_combo(&legs, p("-0.88"), &quotes, tick, &c),
        ComboOutcome::Filled {
            leg_prices: vec![p("0.81"), p("1.21"), p("1.10"), p("0.62")],
            net: p("-0.88"),
        }
    );
}

#[test]
fn fill_fraction_spans_mid_to_natural() {
    let (legs, quotes) = condor();
    let tick = p("0.01");
    // At 0 the market fills at mid, -0.905, which on a cent grid is -0.90.
    let at_mid = match_combo(
        &legs,
        p("-0.90"),
        &quotes,
        tick,
        &cfg(0.0, ComboMode::AllOrNone),
    );
    assert!(
        matches!(at_mid, ComboOutcome::Filled { net, .. } if net == p("-0.90")),
        "{at_mid:?}"
    );
    // At 1 only natural fills.
    let c = cfg(1.0, ComboMode::AllOrNone);
    assert_eq!(
        match_combo(&legs, p("-0.87"), &quotes, tick, &c),
        ComboOutcome::NotFilled(NoFill::LimitNotReached {
            required: p("-0.86")
        })
    );
    // A limit better for the market than natural trades at natural.
    assert_eq!(
        match_combo(&legs, p("-0.50"), &quotes, tick, &c),
        ComboOutcome::Filled {
            leg_prices: vec![p("0.82"), p("1.20"), p("1.10"), p("0.62")],
            net: p("-0.86"),
        }
    );
}

#[test]
fn a_leg_without_its_side_of_the_book_blocks_the_combo() {
    let (legs, mut quotes) = condor();
    let c = ComboFillConfig::default();
    quotes[2] = q("0", "0.05"); // nobody bids for the call we sell
    assert_eq!(
        match_combo(&legs, p("-0.10"), &quotes, p("0.01"), &c),
        ComboOutcome::NotFilled(NoFill::NoQuote { leg: 2 })
    );
    quotes[2] = q("1.15", "1.10"); // crossed
    assert_eq!(
        match_combo(&legs, p("-0.10"), &quotes, p("0.01"), &c),
        ComboOutcome::NotFilled(NoFill::NoQuote { leg: 2 })
    );
    assert_eq!(
        match_combo(&[], p("-0.10"), &[], p("0.01"), &c),
        ComboOutcome::NotFilled(NoFill::Malformed)
    );
}

#[test]
fn legging_rolls_back_the_legs_that_traded() {
    let (legs, mut quotes) = condor();
    let c = cfg(0.5, ComboMode::Legging);
    quotes[2] = q("0", "0.05");
    // Legs 0 and 1 trade at natural (buy 0.82, sell 1.20), leg 2 cannot;
    // closing them again sells the put at its bid and buys the other back at
    // its ask. (The quoted legs' natural, 0.82 - 1.20 + 0.62 = 0.24, is
    // within the 0.50 limit, so the first leg goes out.)
    assert_eq!(
        match_combo(&legs, p("0.50"), &quotes, p("0.01"), &c),
        ComboOutcome::RolledBack {
            opened: vec![p("0.82"), p("1.20")],
            failed_leg: 2,
            rolled_back: vec![p("0.80"), p("1.23")],
        }
    );
    // With every quote present, legging pays natural when the limit allows it.
    let (legs, quotes) = condor();
    assert_eq!(
        match_combo(&legs, p("-0.86"), &quotes, p("0.01"), &c),
        ComboOutcome::Filled {
            leg_prices: vec![p("0.82"), p("1.20"), p("1.10"), p("0.62")],
            net: p("-0.86"),
        }
    );
    assert_eq!(
        match_combo(&legs, p("-0.87"), &quotes, p("0.01"), &c),
        ComboOutcome::NotFilled(NoFill::LimitNotReached {
            required: p("-0.86")
        })
    );
}

#[test]
fn config_rejects_fractions_outside_unit_interval() {
    assert!(cfg(0.3, ComboMode::AllOrNone).validate().is_ok());
    for f in [-0.1, 1.5, f64::NAN] {
        let e = cfg(f, ComboMode::AllOrNone).validate().unwrap_err();
        assert!(e.contains("combo.fill_fraction"), "{e}");
    }
}

proptest! {
    /// Whatever the quotes, ratios and limit: a fill never pays more than
    /// the limit, every leg trades inside its own bid/ask, the net is the
    /// ratio-weighted sum of the leg prices, and a refusal names a required
    /// net above the limit.
    #[test]
    fn fills_respect_limit_and_quotes(
        legs in prop::collection::vec((prop::sample::select(vec![-3, -2, -1, 1, 2, 3]), 1i64..500, 0i64..40), 1..6),
        limit_cents in -1500i64..1500,
        fraction in 0.0f64..=1.0,
    ) {
        let combo: Vec<ComboLeg> = legs.iter().enumerate().map(|(i, (r, _, _))| leg(i as u32, *r)).collect();
        let quotes: Vec<LegQuote> = legs
            .iter()
            .map(|(_, bid, spread)| LegQuote { bid: Price::from_cents(*bid), ask: Price::from_cents(bid + spread) })
            .collect();
        let limit = Price::from_cents(limit_cents);
        let out = match_combo(&combo, limit, &quotes, Price::from_cents(1), &cfg(fraction, ComboMode::AllOrNone));
        match out {
            ComboOutcome::Filled { leg_prices, net } => {
                prop_assert!(net <= limit, "net {net} above limit {limit}");
                let mut sum = 0i64;
                for ((l, q), p) in combo.iter().zip(&quotes).zip(&leg_prices) {
                    prop_assert!(*p >= q.bid && *p <= q.ask, "leg price {p} outside {}..{}", q.bid, q.ask);
                    sum += i64::from(l.ratio) * p.raw();
                }
                prop_assert_eq!(net.raw(), sum);
            }
            ComboOutcome::NotFilled(NoFill::LimitNotReached { required }) => {
                prop_assert!(limit < required);
            }
            ComboOutcome::NotFilled(NoFill::NoQuote { .. }) => {}
            other => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}
