//! Property tests of the entry gate and the ranking.
//!
//! Invariants:
//! 1. an approved entry leaves every count, loss and concentration limit
//!    satisfied, and every Greek limit either satisfied or no worse than
//!    before (risk-reducing entries);
//! 2. the riskiest-first ranking for a Greek breach holds only positions
//!    that push the total in the breached direction, in non-increasing
//!    order of that push.

use proptest::prelude::*;
use trade_core::{Money, Price, Symbol};
use trade_options::portfolio::{
    Limit, PortfolioBook, PortfolioLimits, PositionGreeks, PositionRisk, StructureId, assess,
    check_entry, exposure,
};
use trade_options::structure::Bound;

fn position() -> impl Strategy<Value = (u8, f64, f64, f64, i64, u8)> {
    (
        0u8..3,
        -300.0f64..300.0,
        -20.0f64..20.0,
        -500.0f64..500.0,
        0i64..5_000,
        0u8..3,
    )
}

fn build(id: u64, (u, d, g, v, loss, e): (u8, f64, f64, f64, i64, u8)) -> PositionRisk {
    let (sym, price) = [("SPY", 500), ("QQQ", 400), ("IWM", 200)][u as usize];
    PositionRisk {
        id: StructureId(id),
        underlying: Symbol::new(sym).unwrap(),
        expiry: jiff::civil::date(2024, 3, 15 + e as i8),
        underlying_price: Price::from_cents(price * 100),
        greeks: PositionGreeks {
            delta: d,
            gamma: g,
            vega: v,
            theta: 0.0,
        },
        max_loss: Bound::Limited(Money::from_dollars(loss)),
        unrealized_pnl: Money::ZERO,
    }
}

fn limits(cfg: (f64, f64, f64, i64, usize, usize, f64)) -> PortfolioLimits {
    let mut l = PortfolioLimits::default();
    l.betas.insert(Symbol::new("QQQ").unwrap(), 1.2);
    l.betas.insert(Symbol::new("IWM").unwrap(), 1.1);
    l.max_abs_delta = Some(cfg.0);
    l.max_abs_gamma = Some(cfg.1);
    l.max_abs_vega = Some(cfg.2);
    l.max_loss_at_risk = Some(Money::from_dollars(cfg.3));
    l.max_positions_per_underlying = Some(cfg.4);
    l.max_positions_per_expiry = Some(cfg.5);
    l.max_underlying_risk_pct = Some(cfg.6);
    l
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn approved_entries_respect_the_limits(
        open in proptest::collection::vec(position(), 0..8),
        cand in position(),
        cfg in (50.0f64..800.0, 5.0f64..60.0, 100.0f64..2_000.0, 1_000i64..30_000, 1usize..6, 1usize..6, 0.02f64..0.5),
    ) {
        let l = limits(cfg);
        let book = PortfolioBook {
            positions: open.into_iter().enumerate().map(|(i, p)| build(i as u64, p)).collect(),
            equity: Money::from_dollars(100_000),
            buying_power: Money::from_dollars(1_000_000),
            benchmark_price: Price::from_cents(50_000),
        };
        let cand = build(99, cand);
        let before = exposure(&l, &book).unwrap();
        if let Ok(ok) = check_entry(&l, &book, &cand, Money::from_dollars(100)) {
            let after = ok.exposure_after();
            prop_assert!(after.loss_at_risk <= l.max_loss_at_risk.unwrap());
            prop_assert!(after.per_underlying[&cand.underlying].positions <= cfg.4);
            prop_assert!(after.per_expiry[&cand.expiry] <= cfg.5);
            let conc = after.per_underlying[&cand.underlying].loss_at_risk.to_f64() / 100_000.0;
            prop_assert!(conc <= cfg.6);
            for (a, b, max) in [(after.delta, before.delta, cfg.0), (after.gamma, before.gamma, cfg.1), (after.vega, before.vega, cfg.2)] {
                prop_assert!(a.abs() <= max || a.abs() <= b.abs());
            }
        }
    }

    #[test]
    fn greek_ranking_holds_only_contributors_in_order(
        open in proptest::collection::vec(position(), 1..10),
        max in 10.0f64..400.0,
    ) {
        let mut l = limits((1e9, 1e9, 1e9, 1_000_000_000, 100, 100, 1.0));
        l.max_abs_delta = Some(max);
        let book = PortfolioBook {
            positions: open.into_iter().enumerate().map(|(i, p)| build(i as u64, p)).collect(),
            equity: Money::from_dollars(100_000),
            buying_power: Money::ZERO,
            benchmark_price: Price::from_cents(50_000),
        };
        let a = assess(&l, &book).unwrap();
        if let Some(worst) = a.breaches.first() {
            prop_assert_eq!(worst.limit, Limit::Delta);
            let sign = worst.value.signum();
            let push = |id: StructureId| {
                let p = book.positions.iter().find(|p| p.id == id).unwrap();
                let beta = l.beta(&p.underlying).unwrap();
                p.greeks.delta * beta * p.underlying_price.to_f64() / 500.0 * sign
            };
            let pushes: Vec<f64> = a.ranking.iter().map(|id| push(*id)).collect();
            prop_assert!(pushes.iter().all(|x| *x > 0.0));
            prop_assert!(pushes.windows(2).all(|w| w[0] >= w[1] - 1e-9));
            let contributors = book.positions.iter().filter(|p| push(p.id) > 0.0).count();
            prop_assert_eq!(a.ranking.len(), contributors);
        } else {
            prop_assert!(a.ranking.is_empty());
        }
    }
}
