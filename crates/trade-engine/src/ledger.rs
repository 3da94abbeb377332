//! What a run records: the rows of its ledgers (orders, fills, equity,
//! positions, trades) and its risk events. Plain data, written to Parquet
//! and JSON by the report crate.

use serde::Serialize;
use trade_core::{InstrumentId, Money, Order, Price, Side, Timestamp};

use crate::risk::{KillSwitch, RiskRule};

/// One execution with its strategy and realized P&L.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FillRow {
    /// The fill.
    pub fill: trade_core::Fill,
    /// Index of the strategy in the run.
    pub strategy: u32,
    /// Realized P&L of the fill, before commission.
    pub realized: Money,
}

/// Account state at the end of one instant (one row per distinct bar time).
///
/// Equity is not stored: it is always cash plus net exposure (see
/// [`EquityRow::equity`]), and leaving it out makes the row 32 bytes. A run
/// keeps one row per bar, so the ledger's size is what a long intraday run
/// pays first-touching fresh memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EquityRow {
    /// Instant.
    pub ts: Timestamp,
    /// Cash.
    pub cash: Money,
    /// Sum of absolute position values.
    pub gross_exposure: Money,
    /// Signed sum of position values.
    pub net_exposure: Money,
}

impl EquityRow {
    /// Cash plus marked positions.
    ///
    /// # Panics
    /// If the sum overflows `Money` (a row the engine built never does: its
    /// portfolio computed the same sum).
    #[inline]
    pub fn equity(&self) -> Money {
        self.cash + self.net_exposure
    }
}

/// A position after it changed (one row per execution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PositionRow {
    /// When.
    pub ts: Timestamp,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Signed units after the change.
    pub qty: i64,
    /// Signed cost basis of the units held.
    pub cost_basis: Money,
    /// Realized P&L of the instrument so far.
    pub realized: Money,
}

/// A round trip: from flat to flat (a flip closes one trade and opens another).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trade {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Long (buy first) or short (sell first).
    pub direction: Side,
    /// First fill.
    pub entry_ts: Timestamp,
    /// Last fill (the one that went flat).
    pub exit_ts: Timestamp,
    /// Largest absolute position during the trade.
    pub max_qty: u64,
    /// Average price of the opening fills.
    pub entry_price: f64,
    /// Average price of the closing fills.
    pub exit_price: f64,
    /// Realized P&L minus commissions of the trade's fills.
    pub pnl: Money,
    /// Commissions of the trade's fills.
    pub commission: Money,
    /// P&L over the opening notional.
    pub return_pct: f64,
}

/// A decision of the risk layer worth recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskEvent {
    /// When.
    pub ts: Timestamp,
    /// Which rule.
    pub rule: RiskRule,
    /// What happened: `refused`, `resized`, `kill_switch`, `blocked`, `flatten`.
    pub action: &'static str,
    /// Instrument concerned, if any.
    pub instrument: Option<InstrumentId>,
    /// Strategy concerned, if any (index in the run).
    pub strategy: Option<u32>,
    /// The human reason with numbers.
    pub message: String,
}

/// Everything a backtest produced.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestResult {
    /// Every order, in id order, in its final state.
    pub orders: Vec<Order>,
    /// Every execution, in time order.
    pub fills: Vec<FillRow>,
    /// One row per instant.
    pub equity: Vec<EquityRow>,
    /// Position changes.
    pub positions: Vec<PositionRow>,
    /// Closed round trips.
    pub trades: Vec<Trade>,
    /// Risk decisions.
    pub risk_events: Vec<RiskEvent>,
    /// The kill switch, if it tripped.
    pub kill_switch: Option<KillSwitch>,
    /// Bars processed.
    pub bars: u64,
    /// Final marks per instrument.
    pub final_marks: Vec<Price>,
    /// Starting cash.
    pub initial_cash: Money,
}

/// Builds [`Trade`]s from executions, per instrument.
#[derive(Debug, Clone, Default)]
pub struct TradeTracker {
    open: Vec<Option<OpenTrade>>,
}

#[derive(Debug, Clone)]
struct OpenTrade {
    direction: Side,
    entry_ts: Timestamp,
    max_qty: u64,
    open_units: f64,
    open_notional: f64,
    close_units: f64,
    close_notional: f64,
    realized: Money,
    commission: Money,
}

impl TradeTracker {
    /// A tracker for `n` instruments.
    pub fn new(n: usize) -> Self {
        TradeTracker {
            open: vec![None; n],
        }
    }

    /// Makes room for instruments listed mid-run (option contracts).
    pub(crate) fn grow_to(&mut self, n: usize) {
        if self.open.len() < n {
            self.open.resize(n, None);
        }
    }

    /// Books one fill (`before`: the position before it); pushes the trade
    /// it closes, if any, into `out`.
    pub fn on_fill(
        &mut self,
        row: &FillRow,
        pos_before: i64,
        multiplier: u32,
        out: &mut Vec<Trade>,
    ) {
        let f = &row.fill;
        let i = f.instrument.index();
        let d = f.qty.signed() * f.side.sign();
        let price = f.price.to_f64();
        let after = pos_before + d;
        // Part of the fill that closes, and part that opens.
        let closing = if pos_before != 0 && pos_before.signum() != d.signum() {
            d.abs().min(pos_before.abs())
        } else {
            0
        };
        let opening = d.abs() - closing;
        let share = |part: i64| -> Money { f.commission.mul_div(part, d.abs().max(1)) };
        if closing > 0
            && let Some(t) = self.open[i].as_mut()
        {
            t.close_units += closing as f64;
            t.close_notional += closing as f64 * price;
            t.realized += row.realized;
            t.commission += if opening > 0 {
                share(closing)
            } else {
                f.commission
            };
            if after == 0 || after.signum() != pos_before.signum() {
                let t = self.open[i].take().expect("checked above");
                let pnl = t.realized - t.commission;
                let basis = t.open_notional * f64::from(multiplier);
                out.push(Trade {
                    instrument: f.instrument,
                    direction: t.direction,
                    entry_ts: t.entry_ts,
                    exit_ts: f.ts,
                    max_qty: t.max_qty,
                    entry_price: t.open_notional / t.open_units,
                    exit_price: t.close_notional / t.close_units,
                    pnl,
                    commission: t.commission,
                    return_pct: if basis > 0.0 {
                        pnl.to_f64() / basis
                    } else {
                        0.0
                    },
                });
            }
        }
        if opening > 0 {
            let comm = if closing > 0 {
                f.commission - share(closing)
            } else {
                f.commission
            };
            let t = self.open[i].get_or_insert(OpenTrade {
                direction: f.side,
                entry_ts: f.ts,
                max_qty: 0,
                open_units: 0.0,
                open_notional: 0.0,
                close_units: 0.0,
                close_notional: 0.0,
                realized: Money::ZERO,
                commission: Money::ZERO,
            });
            t.open_units += opening as f64;
            t.open_notional += opening as f64 * price;
            t.commission += comm;
            t.max_qty = t.max_qty.max(after.unsigned_abs());
        }
    }
}
