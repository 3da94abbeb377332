//! Options in paper mode: the same options desk a backtest runs, stepped by
//! a live or replayed feed on the wall clock, with every decision, refusal,
//! order and fill in the journal.
//!
//! The desk trades its combos against the chain snapshot it decided on, as
//! in a backtest, so its orders are filled (or not placed) within the step.
//! Each leg order is journaled with the exactly-once sequence a broker
//! order goes through (intent, sent, acknowledged, executions, final state);
//! the simulated broker's order id is the desk's order id and each
//! execution id is `paper-<local id>`, unique within the journal.
//!
//! An open structure lives in the desk's memory: a paper options session
//! that stops does not resume its structures on restart (the journal keeps
//! what happened; a replay reproduces it).

use std::collections::HashMap;

use thiserror::Error;
use trade_core::{Bar, ClientOrderId, Instrument, InstrumentId, OrderStatus, Timestamp};
use trade_engine::ledger::BacktestResult;
use trade_engine::options::{
    ChainSource, OptionsBacktestError, OptionsDesk, OptionsLedger, OptionsSpec,
};
use trade_journal::{
    BrokerAck, Commission, Execution, Journal, JournalError, LocalOrderId, NewIntent, OrderState,
};

use crate::adapter::{FeedEvent, FeedLink};

/// Why a paper options session stopped early.
#[derive(Debug, Error)]
pub enum OptionsPaperError {
    /// The desk could not run (configuration or chain source).
    #[error(transparent)]
    Desk(#[from] OptionsBacktestError),
    /// A journal write failed: the session stops rather than trade unrecorded.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
}

/// What one step changed, for logs and status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepSummary {
    /// Orders journaled in this step.
    pub orders: usize,
    /// Executions journaled in this step.
    pub fills: usize,
    /// Exit decisions journaled in this step.
    pub decisions: usize,
    /// Structures open after the step.
    pub open_positions: usize,
}

/// The desk with its journal.
pub struct OptionsPaper<'a> {
    desk: OptionsDesk<'a>,
    journal: Box<dyn Journal + Send>,
    orders_seen: usize,
    fills_seen: usize,
    decisions_seen: usize,
    refusals_seen: usize,
    positions_seen: usize,
    local: HashMap<ClientOrderId, LocalOrderId>,
    strategy: String,
}

impl std::fmt::Debug for OptionsPaper<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptionsPaper")
            .field("orders_journaled", &self.orders_seen)
            .field("fills_journaled", &self.fills_seen)
            .field("open_positions", &self.desk.open_positions())
            .finish_non_exhaustive()
    }
}

impl<'a> OptionsPaper<'a> {
    /// A paper desk journaling into `journal`.
    ///
    /// # Errors
    /// The desk's configuration errors.
    pub fn new(
        spec: &'a OptionsSpec,
        underlying: Instrument,
        source: &dyn ChainSource,
        journal: Box<dyn Journal + Send>,
    ) -> Result<Self, OptionsPaperError> {
        Ok(OptionsPaper {
            desk: OptionsDesk::new(spec, underlying, source)?,
            journal,
            orders_seen: 0,
            fills_seen: 0,
            decisions_seen: 0,
            refusals_seen: 0,
            positions_seen: 0,
            local: HashMap::new(),
            strategy: spec.strategy.name.clone(),
        })
    }

    /// The desk (positions, ledgers so far).
    pub fn desk(&self) -> &OptionsDesk<'a> {
        &self.desk
    }

    /// Steps the desk over a closed bar of the underlying and journals what
    /// it did.
    ///
    /// # Errors
    /// The chain source failed, or a journal write failed.
    pub fn on_bar(
        &mut self,
        bar: &Bar,
        source: &mut dyn ChainSource,
    ) -> Result<StepSummary, OptionsPaperError> {
        self.desk.bar(bar, source)?;
        self.journal_step(bar.ts)
    }

    fn journal_step(&mut self, ts: Timestamp) -> Result<StepSummary, OptionsPaperError> {
        let strategy = self.strategy.as_str();
        let mut summary = StepSummary::default();
        let ledger: &OptionsLedger = self.desk.ledger();
        for d in &ledger.decisions[self.decisions_seen..] {
            let payload = serde_json::json!({ "kind": "exit_rule", "rule": d });
            self.journal.record_decision(ts, strategy, &payload)?;
            summary.decisions += 1;
        }
        self.decisions_seen = ledger.decisions.len();
        for p in &ledger.positions[self.positions_seen..] {
            let payload = serde_json::json!({ "kind": "open_structure", "position": p });
            self.journal.record_decision(ts, &p.strategy, &payload)?;
        }
        self.positions_seen = ledger.positions.len();
        for r in &ledger.refusals[self.refusals_seen..] {
            let payload = serde_json::json!({ "kind": "entry_refused", "refusal": r });
            self.journal.record_risk_verdict(r.ts, None, &payload)?;
        }
        self.refusals_seen = ledger.refusals.len();

        let instruments = self.desk.instruments();
        for o in &self.desk.orders()[self.orders_seen..] {
            let instrument = key(instruments, o.intent.instrument);
            let intent = NewIntent {
                ts: o.created,
                strategy: o.strategy.to_string(),
                instrument,
                side: o.intent.side,
                qty: o.intent.qty,
                limit_price: o.intent.order_type.limit(),
                order: serde_json::json!({
                    "type": o.intent.order_type.name(),
                    "tif": o.intent.tif.as_str(),
                    "tag": o.intent.tag,
                    "paper_order_id": o.id.0,
                }),
            };
            let id = self.journal.record_intent(&intent)?;
            self.journal.mark_sent(id, o.created)?;
            let ack = BrokerAck {
                broker_order_id: i64::try_from(o.id.0).ok(),
                perm_id: None,
            };
            self.journal.record_broker_ack(id, ack, o.created)?;
            self.local.insert(o.id, id);
            summary.orders += 1;
        }
        for row in &self.desk.fills()[self.fills_seen..] {
            let f = &row.fill;
            let Some(&id) = self.local.get(&f.order_id) else {
                // The desk books every fill with its order in one step.
                continue;
            };
            let exec_id = format!("paper-{id}");
            let exec = Execution {
                exec_id: exec_id.clone(),
                order_ref: Some(id.order_ref()),
                perm_id: None,
                ts: f.ts,
                instrument: key(instruments, f.instrument),
                side: f.side,
                qty: f.qty,
                price: f.price,
            };
            self.journal.record_execution(&exec)?;
            self.journal.record_commission(&Commission {
                exec_id,
                commission: f.commission,
                currency: "USD".into(),
                realized_pnl: Some(row.realized),
                ts: f.ts,
            })?;
            summary.fills += 1;
        }
        for o in &self.desk.orders()[self.orders_seen..] {
            let state = match o.status {
                OrderStatus::Filled => OrderState::Filled,
                OrderStatus::Rejected => OrderState::Rejected,
                OrderStatus::Cancelled | OrderStatus::Expired => OrderState::Cancelled,
                _ => continue,
            };
            if let Some(&id) = self.local.get(&o.id) {
                let detail = o.reason.as_deref().unwrap_or("paper");
                self.journal
                    .record_status(id, state, o.closed.unwrap_or(ts), detail)?;
            }
        }
        self.orders_seen = self.desk.orders().len();
        self.fills_seen = self.desk.fills().len();
        summary.open_positions = self.desk.open_positions();
        Ok(summary)
    }

    /// Consumes a feed until it ends (a replay's [`FeedEvent::End`], or
    /// the feed closing its channel on shutdown): each bar of `underlying`
    /// (its id in the feed) steps the desk. Blocking: call it on a
    /// thread of its own (journal writes fsync), not on an async runtime.
    ///
    /// # Errors
    /// As [`OptionsPaper::on_bar`].
    pub fn run_blocking(
        &mut self,
        feed: &mut FeedLink,
        underlying: InstrumentId,
        source: &mut dyn ChainSource,
        mut on_step: impl FnMut(&Self, &Bar, &StepSummary),
    ) -> Result<(), OptionsPaperError> {
        while let Some(event) = feed.events.blocking_recv() {
            match event {
                FeedEvent::Bar(bar) if bar.instrument == underlying => {
                    let step = self.on_bar(&bar, source)?;
                    on_step(self, &bar, &step);
                }
                FeedEvent::End => break,
                _ => {}
            }
        }
        Ok(())
    }

    /// The session's state for the dashboard, in the shape of a stock
    /// session's status (`mode`, `connection`, `equity`, `positions`, ...)
    /// plus `options`: each open structure with its legs, Greeks, P&L,
    /// sessions to expiry and how close each exit rule is to firing, and
    /// the portfolio's Greeks.
    pub fn status_json(&self, day_start_equity: trade_core::Money) -> serde_json::Value {
        let p = self.desk.portfolio();
        let instruments = self.desk.instruments();
        let positions: Vec<serde_json::Value> = (0..instruments.len())
            .filter_map(|i| {
                let id = InstrumentId(i as u32);
                let pos = p.position(id);
                (pos.qty != 0).then(|| {
                    serde_json::json!({
                        "symbol": instruments[i].symbol.to_string(),
                        "qty": pos.qty,
                        "mark": p.mark_of(id),
                        "market_value": pos.market_value(p.mark_of(id)),
                        "avg_price": pos.avg_price(),
                        "unrealized": pos.unrealized(p.mark_of(id)),
                    })
                })
            })
            .collect();
        let greeks = self.desk.ledger().greeks.last();
        let equity = p.equity();
        let structures = self.desk.open_structures();
        let portfolio = self.portfolio_json(&structures, greeks);
        serde_json::json!({
            "mode": "paper",
            "dry_run": false,
            "connection": "up",
            "account_type": null,
            "cash": p.cash(),
            "equity": equity,
            "day_pnl": equity - day_start_equity,
            "positions": positions,
            "working_orders": [],
            "last_bar_time": self.desk.equity().last().map(|e| e.ts),
            "instants": self.desk.equity().len(),
            "paused": [],
            "paused_all": null,
            "paused_strategies": [],
            "limits": [],
            "halted": null,
            "kill_switch": null,
            "alerts": [],
            "active_alerts": [],
            "counters": {"fills": self.fills_seen, "orders_submitted": self.orders_seen},
            "feeds": [],
            "portfolio": portfolio,
            "options": {
                "strategy": self.strategy,
                "structures": structures,
                "greeks": greeks.map(|g| serde_json::json!({
                    "delta": g.delta, "gamma": g.gamma, "vega": g.vega, "theta": g.theta,
                    "underlying": g.underlying, "loss_at_risk": g.loss_at_risk,
                })),
                "structures_opened": self.desk.ledger().positions.len(),
                "exit_decisions": self.desk.ledger().decisions.len(),
            },
        })
    }

    /// Exposure by underlying and expiry, the Greeks limits in use, and
    /// the equity curve (thinned to at most 512 points) with its drawdown,
    /// in the shape of a stock session's `portfolio`.
    fn portfolio_json(
        &self,
        structures: &[trade_engine::options::OpenStructure],
        greeks: Option<&trade_engine::options::GreeksRow>,
    ) -> serde_json::Value {
        let p = self.desk.portfolio();
        let equity = p.equity().to_f64();
        let multiplier = f64::from(self.desk.spec().contract.multiplier);
        let mut by_expiry: std::collections::BTreeMap<String, f64> = Default::default();
        for s in structures {
            for l in &s.legs {
                let mid = (l.bid.to_f64() + l.ask.to_f64()) / 2.0;
                let label = format!(
                    "{} {}",
                    l.symbol.split_whitespace().next().unwrap_or(""),
                    l.expiry
                );
                *by_expiry.entry(label).or_default() +=
                    f64::from(l.ratio) * s.quantity as f64 * multiplier * mid;
            }
        }
        let by_instrument: Vec<serde_json::Value> = by_expiry
            .into_iter()
            .map(|(symbol, mv)| {
                serde_json::json!({
                    "symbol": symbol,
                    "market_value": format!("{mv:.2}"),
                    "of_equity": if equity > 0.0 { mv / equity } else { 0.0 },
                })
            })
            .collect();
        let limits = &self.desk.spec().limits;
        let mut limits_used = Vec::new();
        if let Some(g) = greeks {
            for (name, limit, value) in [
                (
                    "max_abs_delta (shares, not beta-weighted)",
                    limits.max_abs_delta,
                    g.delta.abs(),
                ),
                ("max_abs_gamma", limits.max_abs_gamma, g.gamma.abs()),
                ("max_abs_vega", limits.max_abs_vega, g.vega.abs()),
                (
                    "max_loss_at_risk",
                    limits.max_loss_at_risk.map(|m| m.to_f64()),
                    g.loss_at_risk.to_f64(),
                ),
            ] {
                if let Some(limit) = limit.filter(|l| *l > 0.0) {
                    limits_used.push(serde_json::json!({
                        "name": name, "limit": limit, "value": value, "used": value / limit,
                    }));
                }
            }
        }
        let rows = self.desk.equity();
        let stride = rows.len().div_ceil(512).max(1);
        let mut peak = f64::MIN;
        let mut max_dd: f64 = 0.0;
        for r in rows {
            let e = r.equity().to_f64();
            peak = peak.max(e);
            if peak > 0.0 {
                max_dd = max_dd.max(1.0 - e / peak);
            }
        }
        let curve: Vec<(i64, f64)> = rows
            .iter()
            .step_by(stride)
            .map(|r| (r.ts.nanos().div_euclid(1_000_000_000), r.equity().to_f64()))
            .collect();
        let drawdown = if peak > 0.0 {
            (1.0 - equity / peak).max(0.0)
        } else {
            0.0
        };
        serde_json::json!({
            "gross_exposure": p.gross_exposure(),
            "net_exposure": p.net_exposure(),
            "by_instrument": by_instrument,
            "limits_used": limits_used,
            "peak_equity": format!("{:.2}", peak.max(equity)),
            "drawdown": drawdown,
            "max_drawdown": max_dd,
            "equity_curve": curve,
        })
    }

    /// The session's ledgers, as a backtest over the same bars returns them.
    pub fn finish(self) -> (BacktestResult, OptionsLedger, Vec<Instrument>) {
        self.desk.finish()
    }
}

/// The journal's instrument key: the symbol, padded OCC for options.
fn key(instruments: &[Instrument], id: InstrumentId) -> String {
    instruments
        .get(id.index())
        .map_or_else(|| format!("instrument#{}", id.0), |i| i.symbol.to_string())
}
