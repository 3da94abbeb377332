//! Payoff, extremes, breakevens and buying power on worked examples from
//! published sources. Every expectation is the source's number (or the
//! source's formula applied to its numbers), times the 100 multiplier; none
//! is taken from this crate's output.

mod structure_support;

use structure_support::*;
use trade_core::{Money, Price, Qty};
use trade_options::structure::{Bound, ModelInputs, StructureKind, VerticalKind, expiry_close};

fn limited(m: &str) -> Bound {
    Bound::Limited(structure_support::m(m))
}

/// Hull, "Options, Futures, and Other Derivatives", chapter "Trading
/// strategies involving options", bull spread example: buy a $30 call for
/// $3, sell a $35 call for $1. Cost $2; payoff 0 below 30, S-30 between,
/// 5 above. Profit: max 5-2 = 3, max loss 2, breakeven 30+2 = 32.
#[test]
fn hull_bull_call_spread() {
    let s = vertical(VerticalKind::BullCall, vec![call(1, "30"), call(-1, "35")]);
    let px = prices(&["3", "1"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(s.net_premium(&px).unwrap(), m("-200"));
    assert_eq!(s.combo_price(&px).unwrap(), p("2"));
    assert_eq!(pay.max_profit(), limited("300"));
    assert_eq!(pay.max_loss(), limited("200"));
    assert_eq!(pay.breakevens(), vec![p("32")]);
    // Hull's payoff table: S <= 30 -> 0, 30 < S < 35 -> S - 30, S >= 35 -> 5 (before the $2 cost).
    for (spot, payoff) in [("25", "0"), ("33", "3"), ("40", "5")] {
        let want = (m(payoff) - m("2")).mul_div(100, 1);
        assert_eq!(pay.value_at(p(spot)).unwrap(), want, "spot {spot}");
    }
    assert_eq!(s.buying_power(&px).unwrap(), m("200"));
}

/// Hull, same chapter, bear spread example: buy a $35 put for $3, sell a
/// $30 put for $1. Cost $2; payoff 5 below 30, 35-S between, 0 above.
/// Max profit 3, max loss 2, breakeven 35-2 = 33.
#[test]
fn hull_bear_put_spread() {
    let s = vertical(VerticalKind::BearPut, vec![put(1, "35"), put(-1, "30")]);
    let px = prices(&["3", "1"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(s.net_premium(&px).unwrap(), m("-200"));
    assert_eq!(pay.max_profit(), limited("300"));
    assert_eq!(pay.max_loss(), limited("200"));
    assert_eq!(pay.breakevens(), vec![p("33")]);
    assert_eq!(pay.value_at(p("20")).unwrap(), m("300"));
    assert_eq!(pay.value_at(p("50")).unwrap(), m("-200"));
}

/// Hull, same chapter, butterfly example: calls at 55, 60, 65 cost $10,
/// $7, $5; buy one 55, one 65, sell two 60. Cost 10 + 5 - 2x7 = $1. Payoff
/// peaks at 60 with 5, so max profit 5-1 = 4; max loss 1; breakevens
/// 55+1 = 56 and 65-1 = 64.
#[test]
fn hull_butterfly_with_a_two_ratio() {
    let s = custom(vec![call(1, "55"), call(-2, "60"), call(1, "65")], true);
    let px = prices(&["10", "7", "5"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(s.net_premium(&px).unwrap(), m("-100"));
    assert_eq!(pay.max_profit(), limited("400"));
    assert_eq!(pay.max_loss(), limited("100"));
    assert_eq!(pay.breakevens(), vec![p("56"), p("64")]);
    assert_eq!(pay.value_at(p("60")).unwrap(), m("400"));
}

/// Hull, same chapter, straddle example: a $70 call costs $4 and a $70 put
/// $3. "If the stock price stays at $69 ... the strategy costs the
/// investor $6", "if the stock price jumps to $90, a profit of $13 is
/// made; if the stock moves down to $55, a profit of $8". Max loss 7 at
/// 70; unlimited profit; breakevens 70 ± 7.
#[test]
fn hull_straddle_unlimited_profit() {
    let s = custom(vec![call(1, "70"), put(1, "70")], true);
    let px = prices(&["4", "3"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(pay.value_at(p("69")).unwrap(), m("-600"));
    assert_eq!(pay.value_at(p("90")).unwrap(), m("1300"));
    assert_eq!(pay.value_at(p("55")).unwrap(), m("800"));
    assert_eq!(pay.max_loss(), limited("700"));
    assert_eq!(pay.max_profit(), Bound::Unlimited);
    assert_eq!(pay.breakevens(), vec![p("63"), p("77")]);
}

/// Leavitt Brothers, "Long Iron Condor" (leavittbrothers.com/education/
/// option_strategies/long_iron_condor.cfm): XYZ at 57.50, sell the 55 put
/// for 2.00, buy the 50 put for 0.50, sell the 60 call for 2.00, buy the
/// 65 call for 0.50. "The net credit is $3.00"; at $70 and at $45 the net
/// is "a $2.00 loss". The iron-condor formulas published with it (max
/// profit = credit, max loss = width - credit, breakevens = short put -
/// credit and short call + credit) give 3, 2, 52 and 63.
#[test]
fn leavitt_iron_condor() {
    let s = condor("50", "55", "60", "65", 1);
    let px = prices(&["0.50", "2.00", "2.00", "0.50"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(s.net_premium(&px).unwrap(), m("300"));
    assert_eq!(s.combo_price(&px).unwrap(), p("-3"));
    assert_eq!(pay.value_at(p("70")).unwrap(), m("-200"));
    assert_eq!(pay.value_at(p("45")).unwrap(), m("-200"));
    assert_eq!(pay.max_profit(), limited("300"));
    assert_eq!(pay.max_loss(), limited("200"));
    assert_eq!(pay.breakevens(), vec![p("52"), p("63")]);
    assert_eq!(s.buying_power(&px).unwrap(), m("200"));
    assert_eq!(s.width(), Some(p("5")));
}

/// The same trade as its two halves, with the published vertical formulas:
/// bull put 55/50 for 2.00 - 0.50 = 1.50 credit -> max loss 5 - 1.50 =
/// 3.50, breakeven 55 - 1.50 = 53.50; bear call 60/65 for 1.50 -> max loss
/// 3.50, breakeven 61.50.
#[test]
fn leavitt_halves_as_credit_verticals() {
    let bp = vertical(VerticalKind::BullPut, vec![put(-1, "55"), put(1, "50")]);
    let pay = bp.payoff(&prices(&["2.00", "0.50"])).unwrap();
    assert_eq!(pay.max_profit(), limited("150"));
    assert_eq!(pay.max_loss(), limited("350"));
    assert_eq!(pay.breakevens(), vec![p("53.50")]);

    let bc = vertical(VerticalKind::BearCall, vec![call(-1, "60"), call(1, "65")]);
    let pay = bc.payoff(&prices(&["2.00", "0.50"])).unwrap();
    assert_eq!(pay.max_profit(), limited("150"));
    assert_eq!(pay.max_loss(), limited("350"));
    assert_eq!(pay.breakevens(), vec![p("61.50")]);
}

/// Quantra glossary, "Iron Condor" (quantra.quantinsti.com/glossary/
/// Iron-Condor): XYZ at 55, buy the 45 put for $50, write the 50 put for
/// $100, write the 60 call for $100, buy the 65 call for $50 (per
/// contract). "The net credit ... is $100"; at 45 "his maximum possible
/// loss of $400".
#[test]
fn quantra_iron_condor() {
    let s = condor("45", "50", "60", "65", 1);
    let px = prices(&["0.50", "1.00", "1.00", "0.50"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(s.net_premium(&px).unwrap(), m("100"));
    assert_eq!(pay.value_at(p("55")).unwrap(), m("100"));
    assert_eq!(pay.value_at(p("45")).unwrap(), m("-400"));
    assert_eq!(pay.max_loss(), limited("400"));
    assert_eq!(s.buying_power(&px).unwrap(), m("400"));
}

/// Achievable, FINRA Series 9 textbook, "Iron condors": the long iron
/// condor short 50 put at 1, long 55 put at 2, long 60 call at 3, short 65
/// call at 1: "$300 debit", "maximum gain is $200", "breakeven points are
/// $52 and $63", "maximum loss is $300". A long condor is not the
/// `IronCondor` kind (that one is short the inner strikes), so it is custom.
#[test]
fn achievable_long_iron_condor_as_custom() {
    let s = custom(
        vec![put(-1, "50"), put(1, "55"), call(1, "60"), call(-1, "65")],
        true,
    );
    let px = prices(&["1", "2", "3", "1"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(s.net_premium(&px).unwrap(), m("-300"));
    assert_eq!(pay.max_profit(), limited("200"));
    assert_eq!(pay.max_loss(), limited("300"));
    assert_eq!(pay.breakevens(), vec![p("52"), p("63")]);
}

/// Quantity scales money but not breakevens: ten Leavitt condors.
#[test]
fn quantity_scales_money_not_breakevens() {
    let s = condor("50", "55", "60", "65", 10);
    let px = prices(&["0.50", "2.00", "2.00", "0.50"]);
    let pay = s.payoff(&px).unwrap();
    assert_eq!(pay.max_profit(), limited("3000"));
    assert_eq!(pay.max_loss(), limited("2000"));
    assert_eq!(pay.breakevens(), vec![p("52"), p("63")]);
    assert_eq!(s.buying_power(&px).unwrap(), m("2000"));
}

/// A naked short call: loss grows without bound and no buying power is
/// defined; a naked short put's loss stops at the strike minus premium
/// (the underlying cannot go below zero): 50 put sold at 2 -> 4800.
#[test]
fn unbounded_and_bounded_naked_shorts() {
    let s = custom(vec![call(-1, "60")], false);
    let pay = s.payoff(&prices(&["2"])).unwrap();
    assert_eq!(pay.max_loss(), Bound::Unlimited);
    assert_eq!(pay.max_profit(), limited("200"));
    assert_eq!(pay.breakevens(), vec![p("62")]);
    assert!(s.buying_power(&prices(&["2"])).is_err());

    let s = custom(vec![put(-1, "50")], true);
    let pay = s.payoff(&prices(&["2"])).unwrap();
    assert_eq!(pay.max_loss(), limited("4800"));
    assert_eq!(pay.value_at(Price::ZERO).unwrap(), m("-4800"));
}

/// Breakevens that are not on a cent: 1x2 put ratio, long 100 put at 3.00,
/// short two 95 puts at 1.33, worked by hand: premium = -3.00 + 2.66 =
/// -0.34 (a debit); between 95 and 100 the payoff is 100 - S - 0.34,
/// zero at 99.66; below 95 it is (100 - S) - 2(95 - S) - 0.34 = S - 90.34,
/// zero at 90.34.
#[test]
fn ratio_spread_breakevens_by_hand() {
    let s = custom(vec![put(1, "100"), put(-2, "95")], true);
    let pay = s.payoff(&prices(&["3.00", "1.33"])).unwrap();
    assert_eq!(pay.breakevens(), vec![p("90.34"), p("99.66")]);
    assert_eq!(pay.max_loss(), limited("9034"));
    assert_eq!(pay.max_profit(), limited("466"));
}

/// Diagram points include every strike in range and the range ends.
#[test]
fn diagram_points_hit_the_kinks() {
    let s = condor("50", "55", "60", "65", 1);
    let px = prices(&["0.50", "2.00", "2.00", "0.50"]);
    let pts = s.diagram(&px, p("40"), p("75"), 7, None).unwrap();
    let xs: Vec<Price> = pts.iter().map(|d| d.underlying).collect();
    for k in ["40", "50", "55", "60", "65", "75"] {
        assert!(xs.contains(&p(k)), "missing {k} in {xs:?}");
    }
    assert!(xs.windows(2).all(|w| w[0] < w[1]));
    let at = |k: &str| pts.iter().find(|d| d.underlying == p(k)).unwrap().at_expiry;
    assert_eq!(at("55"), m("300"));
    assert_eq!(at("75"), m("-200"));
}

/// The T+0 line before expiry uses Black-Scholes: Hull's worked example
/// (chapter "The Black-Scholes-Merton model"): S = 42, K = 40, r = 10%,
/// sigma = 20%, T = 0.5 gives c = 4.76 and p = 0.81. A long call bought
/// for 0 is then worth $476 per contract, a long put $81 (to the cent of
/// the published rounding). At expiry the model equals the payoff.
#[test]
fn model_line_matches_hull_bsm_and_expiry_payoff() {
    let expiry_at = expiry_close(EXPIRY).unwrap();
    let now = expiry_at.add_secs(-(365 * 86_400 / 2));
    let inputs = ModelInputs {
        now,
        rate: 0.10,
        dividend_yield: 0.0,
        vols: vec![0.20],
    };
    let c = custom(vec![call(1, "40")], true);
    let v = c.model_pnl(&prices(&["0"]), p("42"), &inputs).unwrap();
    assert!((v.to_f64() - 476.0).abs() <= 0.5, "call {v}");
    let pt = custom(vec![put(1, "40")], true);
    let v = pt.model_pnl(&prices(&["0"]), p("42"), &inputs).unwrap();
    assert!((v.to_f64() - 81.0).abs() <= 0.5, "put {v}");

    let s = condor("50", "55", "60", "65", 1);
    let px = prices(&["0.50", "2.00", "2.00", "0.50"]);
    let at_expiry = ModelInputs {
        now: expiry_at,
        rate: 0.05,
        dividend_yield: 0.0,
        vols: vec![0.3; 4],
    };
    let pay = s.payoff(&px).unwrap();
    for spot in ["45", "52", "57.5", "61", "70"] {
        let model = s.model_pnl(&px, p(spot), &at_expiry).unwrap();
        assert_eq!(model, pay.value_at(p(spot)).unwrap(), "spot {spot}");
    }
}

/// Expiry close is 16:00 New York: 21:00 UTC in winter, 20:00 UTC in summer.
#[test]
fn expiry_close_is_four_pm_new_york() {
    let winter = expiry_close(jiff::civil::date(2024, 1, 19)).unwrap();
    assert_eq!(winter.to_string(), "2024-01-19T21:00:00Z");
    let summer = expiry_close(jiff::civil::date(2024, 7, 19)).unwrap();
    assert_eq!(summer.to_string(), "2024-07-19T20:00:00Z");
}

#[test]
fn with_quantity_and_kind_accessors() {
    let s = condor("50", "55", "60", "65", 1);
    assert_eq!(s.kind(), StructureKind::IronCondor);
    let s3 = s.with_quantity(Qty::new(3)).unwrap();
    assert_eq!(s3.quantity(), Qty::new(3));
    assert!(s.with_quantity(Qty::ZERO).is_err());
    assert_eq!(
        s.short_legs().map(|(i, _)| i).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(Money::ZERO, Money::from_raw(0));
}
