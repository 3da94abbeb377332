//! [`SimBroker`]: the simulated broker of backtest and paper modes. Holds
//! working orders, matches them against bars with the [fill model](super::fill),
//! charges [commissions](super::CommissionModel), enforces buying power,
//! and books executions into the portfolio.

use serde::{Deserialize, Serialize};
use trade_core::{
    Bar, ClientOrderId, Fill, Instrument, Money, Order, OrderStatus, Portfolio, Price, Qty, Side,
    Timestamp,
};

use super::CommissionModel;
use super::fill::{FillConfig, finalize_price, match_order};

/// Account terms (`[account]` in config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// Starting cash.
    pub initial_cash: Money,
    /// Gross exposure allowed as a multiple of equity: 1.0 is a cash
    /// account, 2.0 is Reg-T overnight margin, 4.0 intraday.
    pub max_leverage: f64,
    /// Whether short sales are allowed (needs a margin account at a real broker).
    pub allow_short: bool,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            initial_cash: Money::from_dollars(100_000),
            max_leverage: 1.0,
            allow_short: true,
        }
    }
}

impl AccountConfig {
    /// Checks ranges.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        if self.initial_cash.raw() <= 0 {
            return Err(format!(
                "account.initial_cash must be positive, got {}",
                self.initial_cash
            ));
        }
        if !(self.max_leverage.is_finite() && self.max_leverage > 0.0 && self.max_leverage <= 10.0)
        {
            return Err(format!(
                "account.max_leverage must be in (0, 10], got {}",
                self.max_leverage
            ));
        }
        Ok(())
    }
}

/// An execution as the broker reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    /// The fill.
    pub fill: Fill,
    /// Realized P&L of this fill before commission.
    pub realized: Money,
}

/// What happened during one broker step.
#[derive(Debug, Default)]
pub struct BrokerEvents {
    /// Executions, in the order they happened.
    pub executions: Vec<Execution>,
    /// Orders that reached a final state (filled, cancelled, expired, rejected).
    pub closed: Vec<Order>,
}

impl BrokerEvents {
    /// Whether nothing happened.
    pub fn is_empty(&self) -> bool {
        self.executions.is_empty() && self.closed.is_empty()
    }

    /// Empties both lists, keeping their capacity.
    pub fn clear(&mut self) {
        self.executions.clear();
        self.closed.clear();
    }
}

#[derive(Debug, Clone)]
/// Bookkeeping of a working order, kept beside it (same index) so the
/// orders themselves can be lent to strategies as a plain slice.
struct Meta {
    expiry: Option<Timestamp>,
    commission: Money,
    notional: Money,
}

/// Which working orders a pass over a bar may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillPhase {
    /// Only orders that reduce the current position without flipping it.
    Reducing,
    /// Every other order.
    Rest,
}

/// The simulated broker.
#[derive(Debug)]
pub struct SimBroker {
    fill: FillConfig,
    commission: CommissionModel,
    account: AccountConfig,
    working: Vec<Order>,
    meta: Vec<Meta>,
    /// Volume already filled on the current bar per instrument (for the cap).
    volume_used: Vec<(Timestamp, u64)>,
}

impl SimBroker {
    /// A broker for `n_instruments` instruments.
    pub fn new(
        fill: FillConfig,
        commission: CommissionModel,
        account: AccountConfig,
        n_instruments: usize,
    ) -> Self {
        SimBroker {
            fill,
            commission,
            account,
            working: Vec::new(),
            volume_used: vec![(Timestamp::from_nanos(i64::MIN), 0); n_instruments],
            meta: Vec::new(),
        }
    }

    /// Accepts an order (already risk-checked, with its id). `expiry` is
    /// when a DAY order lapses.
    pub fn accept(&mut self, order: Order, expiry: Option<Timestamp>) {
        self.working.push(order);
        self.meta.push(Meta {
            expiry,
            commission: Money::ZERO,
            notional: Money::ZERO,
        });
    }

    /// Working orders (for strategies' contexts).
    pub fn working(&self) -> &[Order] {
        &self.working
    }

    fn remove(&mut self, i: usize) -> Order {
        self.meta.remove(i);
        self.working.remove(i)
    }

    /// Whether any order is working on the instrument of `bar`.
    pub fn has_working(&self) -> bool {
        !self.working.is_empty()
    }

    /// Matches working orders of `bar.instrument` against `bar` and books
    /// executions into `portfolio`. Call before marking the bar's close.
    pub fn on_bar(
        &mut self,
        bar: &Bar,
        instrument: &Instrument,
        phase: FillPhase,
        portfolio: &mut Portfolio,
        out: &mut BrokerEvents,
    ) {
        let mut i = 0;
        while i < self.working.len() {
            let o = &self.working[i];
            if o.intent.instrument != bar.instrument {
                i += 1;
                continue;
            }
            let pos = portfolio.position(bar.instrument).qty;
            let d = o.remaining().signed() * o.intent.side.sign();
            let reducing = pos != 0 && d.signum() != pos.signum() && d.abs() <= pos.abs();
            if reducing != (phase == FillPhase::Reducing) {
                i += 1;
                continue;
            }
            let done = self.try_fill(i, bar, instrument, portfolio, out);
            if done {
                let o = self.remove(i);
                out.closed.push(o);
            } else {
                i += 1;
            }
        }
    }

    /// Returns whether the order reached a final state.
    fn try_fill(
        &mut self,
        i: usize,
        bar: &Bar,
        instrument: &Instrument,
        portfolio: &mut Portfolio,
        out: &mut BrokerEvents,
    ) -> bool {
        let w = &mut self.working[i];
        let meta = &mut self.meta[i];
        let side = w.intent.side;
        let m = match match_order(
            w.intent.order_type,
            side,
            w.triggered,
            bar,
            self.fill.market,
        ) {
            Ok(m) => m,
            Err(triggered) => {
                if triggered && !w.triggered {
                    w.triggered = true;
                }
                return false;
            }
        };
        w.triggered |= m.triggered;
        let price = finalize_price(m, side, instrument.tick_size, self.fill.slippage_bps);
        let mut qty = w.remaining();
        if let Some(cap) = self.fill.volume_cap {
            let slot = &mut self.volume_used[bar.instrument.index()];
            if slot.0 != bar.ts {
                *slot = (bar.ts, 0);
            }
            let allowed = ((bar.volume as f64 * cap).floor() as u64).saturating_sub(slot.1);
            qty = qty.min(Qty::new(allowed));
            if qty.is_zero() {
                return false;
            }
        }
        let (qty, limited_by) = buying_power_cap(
            &self.account,
            &self.commission,
            w,
            meta,
            portfolio,
            instrument,
            side,
            qty,
            price,
        );
        if qty.is_zero() {
            let o = &mut *w;
            o.status = if o.filled.is_zero() {
                OrderStatus::Rejected
            } else {
                OrderStatus::Cancelled
            };
            o.closed = Some(bar.ts);
            o.reason = Some(limited_by.unwrap_or_else(|| "no buying power".to_string()));
            return true;
        }
        if self.fill.volume_cap.is_some() {
            self.volume_used[bar.instrument.index()].1 += qty.get();
        }
        let trade_notional = Money::notional(price, qty, instrument.multiplier);
        let new_notional = meta.notional + trade_notional;
        let total = self
            .commission
            .order_total(w.filled.get() + qty.get(), new_notional);
        let commission = (total - meta.commission).max(Money::ZERO);
        meta.commission += commission;
        meta.notional = new_notional;
        let fill = Fill {
            order_id: w.id,
            instrument: bar.instrument,
            side,
            qty,
            price,
            commission,
            ts: bar.ts,
        };
        let realized = portfolio.apply_fill(&fill);
        out.executions.push(Execution { fill, realized });
        let o = &mut *w;
        o.filled = Qty::new(o.filled.get() + qty.get());
        if o.remaining().is_zero() {
            o.status = OrderStatus::Filled;
            o.closed = Some(bar.ts);
            return true;
        }
        if let Some(reason) = limited_by {
            o.status = OrderStatus::Cancelled;
            o.closed = Some(bar.ts);
            o.reason = Some(format!("partly filled, rest cancelled: {reason}"));
            return true;
        }
        false
    }

    /// Executes an order immediately at `price` (market-on-close style,
    /// used for flat-at-close and kill-switch flattening at a known price).
    pub fn execute_now(
        &mut self,
        mut order: Order,
        price: Price,
        instrument: &Instrument,
        ts: Timestamp,
        portfolio: &mut Portfolio,
        out: &mut BrokerEvents,
    ) {
        let side = order.intent.side;
        let m = super::fill::Match {
            price,
            slips: true,
            triggered: false,
        };
        let price = finalize_price(m, side, instrument.tick_size, self.fill.slippage_bps);
        let qty = order.intent.qty;
        let commission = self.commission.order_total(
            qty.get(),
            Money::notional(price, qty, instrument.multiplier),
        );
        let fill = Fill {
            order_id: order.id,
            instrument: order.intent.instrument,
            side,
            qty,
            price,
            commission,
            ts,
        };
        let realized = portfolio.apply_fill(&fill);
        out.executions.push(Execution { fill, realized });
        order.filled = qty;
        order.status = OrderStatus::Filled;
        order.closed = Some(ts);
        out.closed.push(order);
    }

    /// Expires DAY orders whose session has closed by `ts`.
    pub fn expire(&mut self, ts: Timestamp, out: &mut BrokerEvents) {
        let mut i = 0;
        while i < self.working.len() {
            if self.meta[i].expiry.is_some_and(|e| e <= ts) {
                let mut o = self.remove(i);
                o.status = OrderStatus::Expired;
                o.closed = Some(ts);
                o.reason = Some("DAY order reached the session close".to_string());
                out.closed.push(o);
            } else {
                i += 1;
            }
        }
    }

    /// Cancels a working order. Returns false if no such order is working.
    pub fn cancel(
        &mut self,
        id: ClientOrderId,
        ts: Timestamp,
        reason: &str,
        out: &mut BrokerEvents,
    ) -> bool {
        let Some(i) = self.working.iter().position(|o| o.id == id) else {
            return false;
        };
        let mut o = self.remove(i);
        o.status = OrderStatus::Cancelled;
        o.closed = Some(ts);
        o.reason = Some(reason.to_string());
        out.closed.push(o);
        true
    }

    /// Cancels every working order.
    pub fn cancel_all(&mut self, ts: Timestamp, reason: &str, out: &mut BrokerEvents) {
        let ids: Vec<ClientOrderId> = self.working.iter().map(|o| o.id).collect();
        for id in ids {
            self.cancel(id, ts, reason, out);
        }
    }

    /// Orders still working at the end of a run, closed as cancelled.
    pub fn drain(&mut self, ts: Timestamp) -> Vec<Order> {
        self.meta.clear();
        self.working
            .drain(..)
            .map(|mut o| {
                o.status = OrderStatus::Cancelled;
                o.closed = Some(ts);
                o.reason = Some("end of data".to_string());
                o
            })
            .collect()
    }
}

/// The largest part of `qty` the account can afford: gross exposure after
/// the fill (plus its commission) must stay within equity × max leverage,
/// and no short position may open if shorting is off. Reducing a position
/// is always allowed. Returns the quantity and, if it was cut, why.
#[allow(clippy::too_many_arguments)]
fn buying_power_cap(
    account: &AccountConfig,
    commission: &CommissionModel,
    w: &Order,
    m: &Meta,
    portfolio: &Portfolio,
    instrument: &Instrument,
    side: Side,
    qty: Qty,
    price: Price,
) -> (Qty, Option<String>) {
    let id = w.intent.instrument;
    let pos = portfolio.position(id).qty;
    let mut reason = None;
    let mut q = qty.signed();
    // Shorting off: never go below zero.
    if !account.allow_short && side == Side::Sell && pos - q < 0 {
        q = pos.max(0);
        reason = Some(format!(
            "short selling is disabled (position {pos}, sell {})",
            qty.get()
        ));
    }
    let unit = price.raw() as f64 * f64::from(instrument.multiplier) / 1e8;
    if unit <= 0.0 {
        return (Qty::new(q.max(0) as u64), reason);
    }
    let equity = portfolio.equity().to_f64();
    let budget = equity * account.max_leverage;
    let mark = portfolio.mark_of(id);
    let this_gross = portfolio.position(id).market_value(mark).abs().to_f64();
    let other_gross = portfolio.gross_exposure().to_f64() - this_gross;
    // The commission depends on the quantity and the quantity on the money
    // left after commission: a few rounds settle it (each round only shrinks q).
    for _ in 0..4 {
        let after = pos + side.sign() * q;
        if q == 0 || after.abs() <= pos.abs() {
            break; // nothing, or a pure reduction: always allowed
        }
        let notional = Money::notional(price, Qty::new(q as u64), instrument.multiplier);
        let fee = (commission.order_total(w.filled.get() + q as u64, m.notional + notional)
            - m.commission)
            .to_f64()
            .max(0.0);
        let needed = other_gross + after.abs() as f64 * unit + fee;
        if needed <= budget + 1e-9 {
            break;
        }
        let max_abs = ((budget - other_gross - fee) / unit).floor().max(0.0) as i64;
        let max_q = if pos != 0 && pos.signum() != side.sign() {
            pos.abs() + max_abs // close the position, then flip up to the budget
        } else {
            (max_abs - pos.abs()).max(0)
        };
        reason = Some(format!(
            "insufficient buying power: {} units at {price} need {needed:.2} of gross exposure, equity {equity:.2} x leverage {} allows {budget:.2}",
            qty.get(),
            account.max_leverage,
        ));
        q = max_q.min(q - 1);
    }
    (Qty::new(q.max(0) as u64), reason)
}
