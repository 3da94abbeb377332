//! Portfolio Greeks (sign-correct aggregation checked against Hull's
//! published Greeks), beta weighting, the entry gate's refusals and the
//! riskiest-first ranking that feeds exit rule 11.

mod structure_support;

use jiff::civil::date;
use structure_support::*;
use trade_core::{Money, OptionRight, Price, Qty, Symbol};
use trade_options::portfolio::{
    Limit, PortfolioBook, PortfolioLimits, PositionGreeks, PositionRisk, Refusal, StructureId,
    assess, check_entry, exposure,
};
use trade_options::pricing::{Bsm, Greeks};
use trade_options::structure::{Bound, Structure, StructureKind};

/// Hull, "Options, Futures, and Other Derivatives", chapter "The Greek
/// letters": a bank has sold a European call on 100,000 shares, S = 49,
/// K = 50, r = 5%, sigma = 20%, T = 20 weeks (0.3846 years). Per share the
/// option has delta 0.522, gamma 0.066, vega 12.1 (per 1.00 of vol) and
/// theta -4.31 (per year). The bank's position is short all of that:
/// delta -52,200 shares, gamma -6,600 per $, vega -$12,100 per vol point
/// (12.1 x 100,000 / 100), theta +$1,181 per day (4.31 x 100,000 / 365).
#[test]
fn hull_short_call_position_greeks() {
    let s = Structure::new(
        StructureKind::Custom {
            defined_risk: false,
        },
        vec![call(-1, "50")],
        Qty::new(1_000),
    )
    .unwrap();
    let g = Bsm {
        right: OptionRight::Call,
        spot: 49.0,
        strike: 50.0,
        years: 0.3846,
        rate: 0.05,
        dividend_yield: 0.0,
        vol: 0.20,
    }
    .greeks()
    .expect("valid inputs");
    let pg = PositionGreeks::of(&s, &[g]).unwrap();
    // Hull prints three significant figures.
    assert!((pg.delta - -52_200.0).abs() <= 50.0, "delta {}", pg.delta);
    assert!((pg.gamma - -6_600.0).abs() <= 50.0, "gamma {}", pg.gamma);
    assert!((pg.vega - -12_100.0).abs() <= 50.0, "vega {}", pg.vega);
    assert!((pg.theta - 1_181.0).abs() <= 2.0, "theta {}", pg.theta);
}

fn greeks(delta: f64, gamma: f64, vega: f64, theta: f64) -> Greeks {
    Greeks {
        price: 0.0,
        delta,
        gamma,
        vega,
        theta,
        rho: 0.0,
    }
}

#[test]
fn leg_signs_and_ratios() {
    // Iron condor, 3 contracts: long put -0.05, short put -0.20, short call
    // 0.25, long call 0.08 -> per unit 100 x (-0.05 + 0.20 - 0.25 + 0.08) =
    // -2 shares, times 3 = -6.
    let s = condor("50", "55", "60", "65", 3);
    let legs = [
        greeks(-0.05, 0.01, 2.0, -3.65),
        greeks(-0.20, 0.03, 5.0, -7.30),
        greeks(0.25, 0.04, 6.0, -10.95),
        greeks(0.08, 0.02, 3.0, -3.65),
    ];
    let pg = PositionGreeks::of(&s, &legs).unwrap();
    assert!((pg.delta - -6.0).abs() < 1e-9, "{}", pg.delta);
    // Gamma 300 x (0.01 - 0.03 - 0.04 + 0.02) = -12; vega 3 x (2-5-6+3) = -18
    // ($/pt); theta 300 x (-3.65 + 7.30 + 10.95 - 3.65)/365 = +9.
    assert!((pg.gamma - -12.0).abs() < 1e-9);
    assert!((pg.vega - -18.0).abs() < 1e-9);
    assert!((pg.theta - 9.0).abs() < 1e-9);
    assert!(PositionGreeks::of(&s, &legs[..3]).is_err());
    let mut nan = legs;
    nan[2].gamma = f64::NAN;
    assert!(PositionGreeks::of(&s, &nan).is_err());
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn risk(
    id: u64,
    under: &str,
    price: &str,
    delta: f64,
    gamma: f64,
    vega: f64,
    loss: i64,
) -> PositionRisk {
    PositionRisk {
        id: StructureId(id),
        underlying: sym(under),
        expiry: EXPIRY,
        underlying_price: p(price),
        greeks: PositionGreeks {
            delta,
            gamma,
            vega,
            theta: 0.0,
        },
        max_loss: Bound::Limited(Money::from_dollars(loss)),
        unrealized_pnl: Money::ZERO,
    }
}

fn limits() -> PortfolioLimits {
    let mut l = PortfolioLimits::default();
    l.betas.insert(sym("QQQ"), 1.2);
    l
}

fn book(positions: Vec<PositionRisk>) -> PortfolioBook {
    PortfolioBook {
        positions,
        equity: Money::from_dollars(100_000),
        buying_power: Money::from_dollars(50_000),
        benchmark_price: p("500"),
    }
}

#[test]
fn beta_weighted_delta_in_spy_shares() {
    // 100 QQQ-delta at 400 with beta 1.2 vs SPY 500: 100 x 1.2 x 400/500 = 96.
    // Gamma 10 becomes 10 x (1.2 x 400/500)^2 = 9.216. SPY itself is beta 1.
    let b = book(vec![
        risk(1, "QQQ", "400", 100.0, 10.0, -50.0, 500),
        risk(2, "SPY", "500", -30.0, -2.0, -20.0, 300),
    ]);
    let e = exposure(&limits(), &b).unwrap();
    assert!((e.delta - (96.0 - 30.0)).abs() < 1e-9, "{}", e.delta);
    assert!((e.gamma - (9.216 - 2.0)).abs() < 1e-9, "{}", e.gamma);
    assert!((e.vega - -70.0).abs() < 1e-12);
    assert_eq!(e.loss_at_risk, Money::from_dollars(800));
    assert_eq!(e.per_underlying[&sym("QQQ")].positions, 1);
    assert_eq!(e.per_expiry[&EXPIRY], 2);
    // No beta for IWM and no default: an error naming it.
    let b = book(vec![risk(3, "IWM", "200", 10.0, 0.0, 0.0, 100)]);
    let err = exposure(&limits(), &b).unwrap_err();
    assert!(
        err.to_string().contains("no beta configured for IWM"),
        "{err}"
    );
    let mut l = limits();
    l.default_beta = Some(1.1);
    assert!(exposure(&l, &b).is_ok());
}

#[test]
fn entry_refusals_name_the_limit_and_numbers() {
    let open = vec![
        risk(1, "SPY", "500", 300.0, -5.0, -400.0, 2_000),
        risk(2, "SPY", "500", 100.0, -5.0, -100.0, 1_000),
    ];
    let cand = risk(9, "SPY", "500", 150.0, -1.0, -50.0, 500);
    let bp = Money::from_dollars(500);

    let mut l = limits();
    l.max_abs_delta = Some(500.0);
    let r = check_entry(&l, &book(open.clone()), &cand, bp).unwrap_err();
    assert_eq!(
        r,
        Refusal::Greek {
            limit: Limit::Delta,
            before: 400.0,
            after: 550.0,
            max: 500.0
        }
    );
    assert_eq!(
        r.to_string(),
        "max_abs_delta: 400.00 now, 550.00 with the entry, limit ±500"
    );
    // An entry that brings delta back towards zero is allowed even over the limit.
    let hedge = risk(10, "SPY", "500", -100.0, 0.0, 0.0, 500);
    l.max_abs_delta = Some(250.0);
    let ok = check_entry(&l, &book(open.clone()), &hedge, bp).unwrap();
    assert!((ok.exposure_after().delta - 300.0).abs() < 1e-9);
    assert_eq!(ok.id(), StructureId(10));

    let mut l = limits();
    l.max_abs_vega = Some(520.0);
    assert!(matches!(
        check_entry(&l, &book(open.clone()), &cand, bp),
        Err(Refusal::Greek {
            limit: Limit::Vega,
            ..
        })
    ));
    l.max_abs_vega = Some(550.0);
    check_entry(&l, &book(open.clone()), &cand, bp).unwrap();

    let mut l = limits();
    l.max_loss_at_risk = Some(Money::from_dollars(3_499));
    let r = check_entry(&l, &book(open.clone()), &cand, bp).unwrap_err();
    assert_eq!(
        r.to_string(),
        "max_loss_at_risk: $3000.00 now, $3500.00 with the entry, limit $3499.00"
    );
    l.max_loss_at_risk = Some(Money::from_dollars(3_500));
    check_entry(&l, &book(open.clone()), &cand, bp).unwrap();

    let mut l = limits();
    l.max_positions_per_underlying = Some(2);
    assert_eq!(
        check_entry(&l, &book(open.clone()), &cand, bp).unwrap_err(),
        Refusal::PositionsPerUnderlying {
            underlying: sym("SPY"),
            open: 2,
            max: 2
        }
    );
    let mut l = limits();
    l.max_positions_per_expiry = Some(2);
    assert_eq!(
        check_entry(&l, &book(open.clone()), &cand, bp).unwrap_err(),
        Refusal::PositionsPerExpiry {
            expiry: EXPIRY,
            open: 2,
            max: 2
        }
    );
    let mut other = cand.clone();
    other.expiry = date(2024, 3, 22);
    check_entry(&l, &book(open.clone()), &other, bp).unwrap();

    // Concentration: $3,500 on SPY of $100,000 equity is 3.5%.
    let mut l = limits();
    l.max_underlying_risk_pct = Some(0.03);
    let r = check_entry(&l, &book(open.clone()), &cand, bp).unwrap_err();
    assert!(matches!(r, Refusal::Concentration { pct, .. } if (pct - 0.035).abs() < 1e-12));
    assert_eq!(r.limit(), Some(Limit::Concentration));

    // Buying power and undefined risk.
    let r = check_entry(
        &limits(),
        &book(open.clone()),
        &cand,
        Money::from_dollars(50_001),
    )
    .unwrap_err();
    assert_eq!(
        r.to_string(),
        "buying power: needs $50001.00, $50000.00 available"
    );
    let mut naked = cand.clone();
    naked.max_loss = Bound::Unlimited;
    assert_eq!(
        check_entry(&limits(), &book(open), &naked, bp).unwrap_err(),
        Refusal::UndefinedRisk { id: StructureId(9) }
    );
}

#[test]
fn assess_ranks_the_riskiest_for_the_worst_breach() {
    let mut l = limits();
    l.max_abs_delta = Some(300.0);
    l.max_loss_at_risk = Some(Money::from_dollars(5_000));
    // Delta 96 + 250 + 120 - 80 = 386 > 300 (ratio 1.29); loss at risk 4,200 < 5,000.
    let b = book(vec![
        risk(1, "QQQ", "400", 100.0, 0.0, 0.0, 1_000), // 96 SPY shares
        risk(2, "SPY", "500", 250.0, 0.0, 0.0, 1_200),
        risk(3, "SPY", "500", 120.0, 0.0, 0.0, 1_500),
        risk(4, "SPY", "500", -80.0, 0.0, 0.0, 500), // offsets: never ranked
    ]);
    let a = assess(&l, &b).unwrap();
    assert_eq!(a.breaches.len(), 1);
    assert_eq!(a.breaches[0].limit, Limit::Delta);
    assert!((a.breaches[0].value - 386.0).abs() < 1e-9);
    assert_eq!(
        a.ranking,
        vec![StructureId(2), StructureId(3), StructureId(1)]
    );
    let sig = a.signal_for(StructureId(2)).unwrap();
    assert_eq!((sig.rank, sig.ranked), (0, 3));
    assert!(a.signal_for(StructureId(4)).is_none());

    // Make loss at risk the worst breach (4,200 / 2,000 = 2.1 > 1.29):
    // ranking by max loss, unbounded first.
    l.max_loss_at_risk = Some(Money::from_dollars(2_000));
    let a = assess(&l, &b).unwrap();
    assert_eq!(a.breaches[0].limit, Limit::LossAtRisk);
    assert_eq!(a.breaches[1].limit, Limit::Delta);
    assert_eq!(
        a.ranking,
        vec![
            StructureId(3),
            StructureId(2),
            StructureId(1),
            StructureId(4)
        ]
    );
    assert_eq!(
        a.breaches[0].to_string(),
        "max_loss_at_risk: $4200.00 beyond $2000.00"
    );

    // Per-underlying count: only SPY positions are ranked.
    let mut l = limits();
    l.max_positions_per_underlying = Some(2);
    let a = assess(&l, &b).unwrap();
    assert_eq!(a.breaches[0].scope.as_deref(), Some("SPY"));
    assert_eq!(
        a.ranking,
        vec![StructureId(3), StructureId(2), StructureId(4)]
    );

    // Nothing breached: no signals.
    let a = assess(&limits(), &b).unwrap();
    assert!(a.breaches.is_empty() && a.ranking.is_empty());
    assert!(a.signal_for(StructureId(1)).is_none());
}

#[test]
fn unrealized_loss_ranks_biggest_loser_first() {
    let mut l = limits();
    l.max_unrealized_loss = Some(Money::from_dollars(1_000));
    let mut a = risk(1, "SPY", "500", 0.0, 0.0, 0.0, 100);
    a.unrealized_pnl = Money::from_dollars(-700);
    let mut b = risk(2, "SPY", "500", 0.0, 0.0, 0.0, 100);
    b.unrealized_pnl = Money::from_dollars(-900);
    let mut c = risk(3, "SPY", "500", 0.0, 0.0, 0.0, 100);
    c.unrealized_pnl = Money::from_dollars(200);
    let r = assess(&l, &book(vec![a, b, c])).unwrap();
    assert_eq!(r.breaches[0].limit, Limit::UnrealizedLoss);
    assert_eq!(r.ranking, vec![StructureId(2), StructureId(1)]);
}

#[test]
fn position_risk_from_a_structure() {
    let s = condor("50", "55", "60", "65", 2);
    let px = prices(&["0.50", "2.00", "2.00", "0.50"]);
    let g = [greeks(0.0, 0.0, 0.0, 0.0); 4];
    let r = PositionRisk::new(StructureId(5), &s, &px, &g, p("57.5"), Money::ZERO).unwrap();
    assert_eq!(r.loss_at_risk(), Some(Money::from_dollars(400)));
    assert_eq!(r.underlying, sym("XYZ"));
    assert!(PositionRisk::new(StructureId(5), &s, &px, &g, Price::ZERO, Money::ZERO).is_err());
}

#[test]
fn limits_config_is_strict() {
    let l: PortfolioLimits = serde_json::from_str(
        r#"{"betas": {"QQQ": 1.2}, "max_abs_delta": 500, "max_loss_at_risk": "10000", "max_underlying_risk_pct": 0.25}"#,
    )
    .unwrap();
    assert_eq!(l.beta(&sym("QQQ")).unwrap(), 1.2);
    assert_eq!(l.beta(&sym("SPY")).unwrap(), 1.0);
    assert_eq!(l.max_loss_at_risk, Some(Money::from_dollars(10_000)));
    l.validate().unwrap();
    assert!(serde_json::from_str::<PortfolioLimits>(r#"{"max_delta": 5}"#).is_err());
    let mut bad = l.clone();
    bad.max_underlying_risk_pct = Some(1.5);
    bad.max_positions_per_expiry = Some(0);
    assert_eq!(bad.validate().unwrap_err().len(), 2);
}
