//! The risk gate: a pure function from (intent, account view, limits) to a
//! [`Verdict`]. The same gate runs in backtest, paper and live.
//!
//! Exposure is judged on the *projected* position: the current position
//! plus every working order and every intent already approved in this
//! step, so three simultaneous buys cannot each use the whole budget.
//! Orders that only reduce the projected position are always allowed
//! (except outside market hours): risk rules must never trap a position.

use trade_core::{Instrument, OrderIntent, Portfolio, Qty, Timestamp};

use super::{Approved, Refused, RiskLimits, RiskRule, Verdict};

/// What the gate may look at.
#[derive(Debug)]
pub struct GateView<'a> {
    /// The account.
    pub portfolio: &'a Portfolio,
    /// Instruments by id.
    pub instruments: &'a [Instrument],
    /// Signed units of working orders (and approvals of this step) per instrument.
    pub pending: &'a [i64],
    /// Whether the decision instant is inside a regular session.
    pub in_session: bool,
    /// Whether a kill switch has tripped.
    pub kill_switch: bool,
    /// Instruments blocked for the session by their daily loss cap.
    pub blocked: &'a [bool],
    /// Decision instant.
    pub ts: Timestamp,
}

fn refuse(intent: OrderIntent, rule: RiskRule, reason: String) -> Verdict {
    Verdict::Refused(Refused {
        intent,
        rule,
        reason,
    })
}

/// Cuts a signed delta `d` from `before` so that `|before + d| <= max_abs`,
/// keeping its direction. `None` if nothing of it fits.
fn cut(before: i64, d: i64, max_abs: i64) -> Option<i64> {
    let after = before + d;
    if after.abs() <= max_abs {
        return Some(d);
    }
    let target = after.signum() * max_abs;
    let nd = target - before;
    (nd != 0 && nd.signum() == d.signum()).then_some(nd)
}

/// Checks one intent.
pub fn check(limits: &RiskLimits, intent: OrderIntent, view: &GateView<'_>) -> Verdict {
    let i = intent.instrument.index();
    let Some(instrument) = view.instruments.get(i) else {
        let reason = format!("unknown instrument id {}", intent.instrument.0);
        return refuse(intent, RiskRule::InvalidOrder, reason);
    };
    if let Err(e) = intent.validate(instrument) {
        return refuse(intent, RiskRule::InvalidOrder, e.to_string());
    }
    if limits.market_hours_only && !view.in_session {
        let reason = format!("market closed at {}", view.ts);
        return refuse(intent, RiskRule::MarketHours, reason);
    }
    let price = view.portfolio.mark_of(intent.instrument);
    if price.raw() <= 0 {
        let reason = format!("no price yet for {}", instrument.symbol);
        return refuse(intent, RiskRule::InvalidOrder, reason);
    }
    let before = view.portfolio.position(intent.instrument).qty + view.pending[i];
    let mut d = intent.qty.signed() * intent.side.sign();
    if (before + d).abs() <= before.abs() {
        return Verdict::Approved(Approved::new(intent, None));
    }
    let sym = &instrument.symbol;
    if view.kill_switch {
        return refuse(
            intent,
            RiskRule::KillSwitch,
            "kill switch tripped: new entries are halted".into(),
        );
    }
    if view.blocked[i] {
        let reason = format!("{sym} hit its daily loss cap: no new entries until the next session");
        return refuse(intent, RiskRule::InstrumentDailyLoss, reason);
    }
    if let Some(max) = limits.max_open_positions
        && before == 0
    {
        let open = (0..view.instruments.len())
            .filter(|&j| view.portfolio.positions()[j].qty + view.pending[j] != 0)
            .count();
        if open >= max {
            let reason = format!("{open} positions open or pending, limit {max}");
            return refuse(intent, RiskRule::MaxOpenPositions, reason);
        }
    }
    let equity = view.portfolio.equity().to_f64();
    let unit = price.to_f64() * f64::from(instrument.multiplier);
    let mut resized = None;
    let original = intent.qty;
    if let Some(pct) = limits.max_position_pct {
        let cap = (pct * equity / unit).floor().max(0.0) as i64;
        match cut(before, d, cap) {
            Some(nd) if nd == d => {}
            Some(nd) => {
                let why = format!(
                    "{sym}: {} units cut to {} so the position stays within {pct} x equity {equity:.2} = {:.2} at {price}",
                    original.get(),
                    nd.abs(),
                    pct * equity
                );
                resized = Some((original, RiskRule::MaxPosition, why));
                d = nd;
            }
            None => {
                let reason = format!(
                    "{sym}: position of {} units at {price} would exceed {pct} x equity {equity:.2} = {:.2}",
                    (before + d).abs(),
                    pct * equity
                );
                return refuse(intent, RiskRule::MaxPosition, reason);
            }
        }
    }
    if let Some(pct) = limits.max_gross_exposure_pct {
        let other: f64 = (0..view.instruments.len())
            .filter(|&j| j != i)
            .map(|j| {
                let q = view.portfolio.positions()[j].qty + view.pending[j];
                let m = view
                    .portfolio
                    .mark_of(trade_core::InstrumentId(j as u32))
                    .to_f64();
                q.abs() as f64 * m * f64::from(view.instruments[j].multiplier)
            })
            .sum();
        let budget = pct * equity;
        let cap = ((budget - other) / unit).floor().max(0.0) as i64;
        match cut(before, d, cap) {
            Some(nd) if nd == d => {}
            Some(nd) => {
                let why = format!(
                    "{sym}: {} units cut to {} so gross exposure stays within {pct} x equity = {budget:.2} (other positions {other:.2})",
                    original.get(),
                    nd.abs()
                );
                resized = Some((original, RiskRule::MaxGrossExposure, why));
                d = nd;
            }
            None => {
                let reason = format!(
                    "{sym}: gross exposure {:.2} would exceed {pct} x equity = {budget:.2}",
                    other + (before + d).abs() as f64 * unit
                );
                return refuse(intent, RiskRule::MaxGrossExposure, reason);
            }
        }
    }
    let mut intent = intent;
    intent.qty = Qty::new(d.unsigned_abs());
    Verdict::Approved(Approved::new(intent, resized))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trade_core::{
        ClientOrderId, Fill, InstrumentId, Money, OrderType, Price, Side, Symbol, TimeInForce,
    };

    fn setup() -> (Vec<Instrument>, Portfolio) {
        let inst = vec![
            Instrument::etf(Symbol::new("SPY").unwrap()),
            Instrument::etf(Symbol::new("QQQ").unwrap()),
        ];
        let mut pf = Portfolio::new(Money::from_dollars(100_000), &[1, 1]);
        pf.mark(InstrumentId(0), Price::from_cents(10_000));
        pf.mark(InstrumentId(1), Price::from_cents(20_000));
        (inst, pf)
    }

    fn buy(inst: u32, qty: u64) -> OrderIntent {
        OrderIntent {
            instrument: InstrumentId(inst),
            side: Side::Buy,
            qty: Qty::new(qty),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            tag: "".into(),
        }
    }

    fn verdict(
        limits: &RiskLimits,
        pf: &Portfolio,
        inst: &[Instrument],
        pending: &[i64],
        kill: bool,
        in_session: bool,
        intent: OrderIntent,
    ) -> Result<u64, RiskRule> {
        let view = GateView {
            portfolio: pf,
            instruments: inst,
            pending,
            in_session,
            kill_switch: kill,
            blocked: &[false, false],
            ts: Timestamp::from_secs(0),
        };
        match check(limits, intent, &view) {
            Verdict::Approved(a) => Ok(a.intent().qty.get()),
            Verdict::Refused(r) => Err(r.rule),
        }
    }

    #[test]
    fn gate_table() {
        let (inst, mut pf) = setup();
        let none = RiskLimits::default();
        let pos_cap = RiskLimits {
            max_position_pct: Some(0.5),
            ..RiskLimits::default()
        };
        let gross = RiskLimits {
            max_gross_exposure_pct: Some(1.0),
            ..RiskLimits::default()
        };
        let one = RiskLimits {
            max_open_positions: Some(1),
            ..RiskLimits::default()
        };
        // 100k equity; SPY at 100, QQQ at 200.
        assert_eq!(
            verdict(&none, &pf, &inst, &[0, 0], false, true, buy(0, 100)),
            Ok(100),
            "no limits"
        );
        assert_eq!(
            verdict(&none, &pf, &inst, &[0, 0], false, false, buy(0, 100)),
            Err(RiskRule::MarketHours),
            "closed"
        );
        assert_eq!(
            verdict(&pos_cap, &pf, &inst, &[0, 0], false, true, buy(0, 800)),
            Ok(500),
            "cut to 50k/100"
        );
        assert_eq!(
            verdict(&pos_cap, &pf, &inst, &[500, 0], false, true, buy(0, 10)),
            Err(RiskRule::MaxPosition),
            "pending counts"
        );
        assert_eq!(
            verdict(&gross, &pf, &inst, &[0, 400], false, true, buy(0, 800)),
            Ok(200),
            "80k pending in QQQ leaves 20k"
        );
        assert_eq!(
            verdict(&none, &pf, &inst, &[0, 0], true, true, buy(0, 1)),
            Err(RiskRule::KillSwitch),
            "kill switch"
        );
        assert_eq!(
            verdict(&one, &pf, &inst, &[0, 10], false, true, buy(0, 1)),
            Err(RiskRule::MaxOpenPositions),
            "one open"
        );
        let bad_tick = OrderIntent {
            order_type: OrderType::Limit {
                limit: "100.001".parse().unwrap(),
            },
            ..buy(0, 1)
        };
        assert_eq!(
            verdict(&none, &pf, &inst, &[0, 0], false, true, bad_tick),
            Err(RiskRule::InvalidOrder),
            "tick"
        );
        // Reductions pass even with the kill switch on.
        pf.apply_fill(&Fill {
            order_id: ClientOrderId(1),
            instrument: InstrumentId(0),
            side: Side::Buy,
            qty: Qty::new(10),
            price: Price::from_cents(10_000),
            commission: Money::ZERO,
            ts: Timestamp::from_secs(0),
        });
        let sell = OrderIntent {
            side: Side::Sell,
            ..buy(0, 10)
        };
        assert_eq!(
            verdict(&none, &pf, &inst, &[0, 0], true, true, sell),
            Ok(10),
            "reduce under kill switch"
        );
    }

    #[test]
    fn cut_keeps_direction() {
        assert_eq!(cut(0, 800, 500), Some(500));
        assert_eq!(cut(0, -800, 500), Some(-500));
        assert_eq!(cut(500, 10, 500), None);
        assert_eq!(cut(-100, 800, 500), Some(600)); // cover 100, then long 500
        assert_eq!(cut(0, 300, 500), Some(300));
    }
}
