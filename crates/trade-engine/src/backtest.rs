//! The backtest loop: replays bars in time order through the simulated
//! broker, the strategies and the risk gate, and records the ledgers.
//!
//! Determinism: instants are processed in increasing time; bars of one
//! instant in instrument-id order; strategies in configuration order; order
//! ids are sequential. Nothing reads a clock, a hash map's iteration order
//! or the environment, so the same inputs give byte-identical ledgers.
//!
//! One instant (all bars closing at time `t`):
//! 1. a new session snapshots the day's starting equity;
//! 2. each bar first matches the working orders of its instrument (they
//!    were decided at an earlier close, so they trade at this bar's open or
//!    within its range), then marks the portfolio at its close;
//! 3. DAY orders whose session has closed expire;
//! 4. the kill switches look at the marked equity (and may flatten);
//! 5. each strategy receives its fills, its bars and `on_close`; its
//!    intents pass the risk gate and the approved ones start working;
//! 6. with `flat_at_close`, positions are closed at a session's closing bar;
//! 7. one equity row is recorded.

use thiserror::Error;
use trade_core::{
    Bar, ClientOrderId, Instrument, InstrumentId, Order, OrderIntent, OrderStatus, OrderType,
    Portfolio, Qty, Side, StrategyId, TimeInForce, Timestamp,
};

use crate::broker::{
    AccountConfig, BrokerEvents, CommissionModel, FillConfig, FillPhase, SimBroker,
};
use crate::ledger::{BacktestResult, EquityRow, FillRow, PositionRow, RiskEvent, TradeTracker};
use crate::market_hours::{MarketHours, SessionAt, SessionCursor};
use crate::risk::{GateView, RiskLimits, RiskRule, RiskState, Verdict, check};
use crate::strategy::{Context, Strategy};

/// How a backtest trades (everything but data and strategies).
#[derive(Debug, Clone, Default)]
pub struct BacktestSpec {
    /// Cash, leverage, shorting.
    pub account: AccountConfig,
    /// Fill model.
    pub fill: FillConfig,
    /// Commission model.
    pub commission: CommissionModel,
    /// Risk limits.
    pub risk: RiskLimits,
}

/// A strategy instance with its name and the instruments it trades.
#[derive(Debug)]
pub struct StrategySlot {
    /// Instance name.
    pub id: StrategyId,
    /// Instruments whose bars it receives.
    pub instruments: Vec<InstrumentId>,
    /// The strategy.
    pub strategy: Box<dyn Strategy>,
}

/// Inputs the loop cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BacktestError {
    /// `series` and `instruments` differ in length.
    #[error("{series} bar series for {instruments} instruments")]
    SeriesMismatch {
        /// Number of series.
        series: usize,
        /// Number of instruments.
        instruments: usize,
    },
    /// A series is not strictly increasing in time or has bars of another instrument.
    #[error("bars of {symbol} are not strictly increasing in time at index {index} ({ts})")]
    Unsorted {
        /// Symbol.
        symbol: String,
        /// Index in its series.
        index: usize,
        /// Offending timestamp.
        ts: Timestamp,
    },
    /// A bar's instrument id does not match its series.
    #[error("series of {symbol} contains a bar of instrument id {found}")]
    WrongInstrument {
        /// Symbol.
        symbol: String,
        /// Id found.
        found: u32,
    },
    /// A strategy names an instrument outside the run.
    #[error("strategy {strategy} trades instrument id {id}, which is not in the run")]
    UnknownInstrument {
        /// Strategy.
        strategy: String,
        /// Id.
        id: u32,
    },
}

/// Progress callback: (bars done, bars total).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Runs a backtest.
///
/// # Errors
/// [`BacktestError`] when the inputs are inconsistent (checked before the
/// first bar, in one pass over the data).
pub fn run_backtest(
    spec: &BacktestSpec,
    instruments: &[Instrument],
    series: &[Vec<Bar>],
    hours: &MarketHours,
    strategies: Vec<StrategySlot>,
    progress: Progress<'_>,
) -> Result<BacktestResult, BacktestError> {
    validate_inputs(instruments, series, &strategies)?;
    let mut run = Run::new(spec, instruments, series, hours, strategies);
    run.go(progress)?;
    Ok(run.finish())
}

fn validate_inputs(
    instruments: &[Instrument],
    series: &[Vec<Bar>],
    strategies: &[StrategySlot],
) -> Result<(), BacktestError> {
    if instruments.len() != series.len() {
        return Err(BacktestError::SeriesMismatch {
            series: series.len(),
            instruments: instruments.len(),
        });
    }
    for st in strategies {
        if let Some(id) = st
            .instruments
            .iter()
            .find(|id| id.index() >= instruments.len())
        {
            return Err(BacktestError::UnknownInstrument {
                strategy: st.id.to_string(),
                id: id.0,
            });
        }
    }
    Ok(())
}

struct Run<'a> {
    spec: &'a BacktestSpec,
    instruments: &'a [Instrument],
    series: &'a [Vec<Bar>],
    hours: &'a MarketHours,
    slots: Vec<StrategySlot>,
    /// `subscribed[i * n_strategies + s]`: strategy `s` receives bars of instrument `i`.
    subscribed: Vec<bool>,
    /// Per strategy: it receives the bars of every instrument (the usual
    /// case), so no per-bar lookup in `subscribed` is needed.
    subscribed_all: Vec<bool>,
    portfolio: Portfolio,
    broker: SimBroker,
    risk: RiskState,
    seen: Vec<usize>,
    own: Vec<Vec<i64>>,
    pending: Vec<i64>,
    order_owner: Vec<u32>,
    next_id: u64,
    events: BrokerEvents,
    intents: Vec<OrderIntent>,
    cancels: Vec<ClientOrderId>,
    /// The instruments with a bar at the current instant, in id order,
    /// with that bar.
    group: Vec<(usize, &'a Bar)>,
    cursor: SessionCursor,
    trades: TradeTracker,
    out: BacktestResult,
    newly_blocked: Vec<(InstrumentId, String)>,
    touched: Vec<InstrumentId>,
    /// Orders the gate refused, told to their strategy at its next callback.
    refused: Vec<Order>,
    /// Whether instruments touched per instant are needed (per-instrument loss cap).
    track_touched: bool,
    /// Whether any kill switch or instrument loss cap is configured: without
    /// one, the post-mark risk check has nothing to look at.
    kill_checks: bool,
}

impl<'a> Run<'a> {
    fn new(
        spec: &'a BacktestSpec,
        instruments: &'a [Instrument],
        series: &'a [Vec<Bar>],
        hours: &'a MarketHours,
        slots: Vec<StrategySlot>,
    ) -> Self {
        let n = instruments.len();
        let multipliers: Vec<u32> = instruments.iter().map(|i| i.multiplier).collect();
        let cash = spec.account.initial_cash;
        let mut subscribed = vec![false; n * slots.len()];
        for (s, slot) in slots.iter().enumerate() {
            for id in &slot.instruments {
                subscribed[id.index() * slots.len() + s] = true;
            }
        }
        let subscribed_all: Vec<bool> = (0..slots.len())
            .map(|s| (0..n).all(|i| subscribed[i * slots.len() + s]))
            .collect();
        let total: usize = series.iter().map(Vec::len).sum();
        let n_slots = slots.len();
        Run {
            spec,
            instruments,
            series,
            hours,
            subscribed,
            subscribed_all,
            portfolio: Portfolio::new(cash, &multipliers),
            broker: SimBroker::new(
                spec.fill.clone(),
                spec.commission.clone(),
                spec.account.clone(),
                n,
            ),
            risk: RiskState::new(cash, n),
            seen: vec![0; n],
            own: vec![vec![0; n]; n_slots],
            pending: vec![0; n],
            order_owner: Vec::new(),
            next_id: 1,
            events: BrokerEvents::default(),
            intents: Vec::new(),
            cancels: Vec::new(),
            group: Vec::with_capacity(n),
            cursor: SessionCursor::default(),
            trades: TradeTracker::new(n),
            out: BacktestResult {
                orders: Vec::new(),
                fills: Vec::new(),
                equity: Vec::with_capacity(total / n.max(1) + 1),
                positions: Vec::new(),
                trades: Vec::new(),
                risk_events: Vec::new(),
                kill_switch: None,
                bars: 0,
                final_marks: Vec::new(),
                initial_cash: cash,
            },
            slots,
            newly_blocked: Vec::new(),
            touched: Vec::with_capacity(n),
            refused: Vec::new(),
            track_touched: spec.risk.instrument_daily_loss_pct.is_some(),
            kill_checks: spec.risk.daily_loss_limit_pct.is_some()
                || spec.risk.max_drawdown_pct.is_some()
                || spec.risk.instrument_daily_loss_pct.is_some(),
        }
    }

    fn go(&mut self, progress: Progress<'_>) -> Result<(), BacktestError> {
        let total: u64 = self.series.iter().map(|s| s.len() as u64).sum();
        {
            let ts = self.next_instant()?.unwrap_or_default();
            for s in 0..self.slots.len() {
                self.with_strategy(s, ts, |st, ctx| st.on_start(ctx));
                self.submit_pending(s, ts, false);
            }
        }
        let mut next_report = 1u64 << 16;
        while let Some(ts) = self.next_instant()? {
            self.instant(ts);
            if self.out.bars >= next_report {
                progress(self.out.bars, total);
                next_report += 1 << 16;
            }
        }
        progress(self.out.bars, total);
        Ok(())
    }

    /// Every bar of the instant belongs to its series and comes strictly
    /// after the previous bar of that series. Checked here, on data the
    /// loop reads anyway, instead of in a separate pass over all bars.
    #[inline(never)]
    fn check_order(&self, ts: Timestamp) -> Result<(), BacktestError> {
        for &(i, bar) in &self.group {
            let k = self.seen[i];
            if bar.instrument.index() != i || k > 0 && self.series[i][k - 1].ts >= ts {
                return Err(self.order_error(i, k, bar));
            }
        }
        Ok(())
    }

    /// The error for bar `k` of series `i`, found out of order or of another
    /// instrument.
    #[cold]
    #[inline(never)]
    fn order_error(&self, i: usize, k: usize, bar: &Bar) -> BacktestError {
        let symbol = self.instruments[i].symbol.to_string();
        if bar.instrument.index() != i {
            BacktestError::WrongInstrument {
                symbol,
                found: bar.instrument.0,
            }
        } else {
            BacktestError::Unsorted {
                symbol,
                index: k,
                ts: bar.ts,
            }
        }
    }

    /// The next instant and, in `self.group`, the instruments with a bar
    /// then, their order checked ([`Run::check_order`]).
    #[inline(always)]
    fn next_instant(&mut self) -> Result<Option<Timestamp>, BacktestError> {
        if let [series] = self.series {
            // One instrument: no merge needed; `group` is [(0, next bar)],
            // and the order check looks at that bar and the one before it.
            let k = self.seen[0];
            let Some(b) = series.get(k) else {
                return Ok(None);
            };
            if b.instrument.0 != 0 || k > 0 && series[k - 1].ts >= b.ts {
                return Err(self.order_error(0, k, b));
            }
            match self.group.as_mut_slice() {
                [(_, bar)] => *bar = b,
                _ => {
                    self.group.clear();
                    self.group.push((0, b));
                }
            }
            return Ok(Some(b.ts));
        }
        match self.merge_next() {
            Some(ts) => self.check_order(ts).map(|()| Some(ts)),
            None => Ok(None),
        }
    }

    /// [`Run::next_instant`] over several series: the earliest next bar
    /// time and every instrument with a bar then.
    #[inline(never)]
    fn merge_next(&mut self) -> Option<Timestamp> {
        self.group.clear();
        let mut best: Option<Timestamp> = None;
        let series: &'a [Vec<Bar>] = self.series;
        for (i, s) in series.iter().enumerate() {
            let Some(b) = s.get(self.seen[i]) else {
                continue;
            };
            match best {
                Some(t) if b.ts > t => {}
                Some(t) if b.ts == t => self.group.push((i, b)),
                _ => {
                    best = Some(b.ts);
                    self.group.clear();
                    self.group.push((i, b));
                }
            }
        }
        best
    }

    fn instant(&mut self, ts: Timestamp) {
        let SessionAt {
            index: session,
            in_session,
            is_close,
        } = self.hours.locate(&mut self.cursor, ts);
        self.risk.begin_instant(session, &self.portfolio);
        self.touched.clear();
        // Only this instant's executions and closed orders from here on.
        if !self.events.is_empty() {
            self.events.clear();
        }
        let busy = self.broker.has_working();
        // Orders that reduce a position fill before the others, across all
        // instruments of the instant: a rotation's sells free the buying
        // power its buys need, whatever the instruments' id order.
        if in_session && busy {
            for phase in [FillPhase::Reducing, FillPhase::Rest] {
                for &(i, bar) in &self.group {
                    self.broker.on_bar(
                        bar,
                        &self.instruments[i],
                        phase,
                        &mut self.portfolio,
                        &mut self.events,
                    );
                }
            }
        }
        for &(i, bar) in &self.group {
            self.portfolio.mark(bar.instrument, bar.close);
            self.seen[i] += 1;
        }
        if self.track_touched {
            self.touched
                .extend(self.group.iter().map(|&(_, bar)| bar.instrument));
        }
        self.out.bars += self.group.len() as u64;
        if busy {
            self.broker.expire(ts, &mut self.events);
            self.book_events();
        }
        // Orders the gate refused at the previous instant: their strategies
        // hear of them now, and the ledger takes them with the other closed orders.
        if !self.refused.is_empty() {
            self.events.closed.append(&mut self.refused);
        }
        if self.kill_checks {
            self.check_kill_switch(ts);
        }
        // Strategies change neither the executions nor the closed orders.
        let has_events = !self.events.is_empty();
        for s in 0..self.slots.len() {
            self.run_strategy(s, ts, has_events);
            if !self.cancels.is_empty() || !self.intents.is_empty() {
                self.submit_pending(s, ts, in_session);
            }
        }
        if self.spec.risk.flat_at_close && is_close {
            self.flatten(ts, RiskRule::FlatAtClose, "flat_at_close", true);
        }
        // The instant's closed orders were told to their strategies; the
        // ledger takes them over (moved, not cloned).
        if !self.events.closed.is_empty() {
            self.out.orders.append(&mut self.events.closed);
        }
        let p = &self.portfolio;
        self.out.equity.push(EquityRow {
            ts,
            cash: p.cash(),
            gross_exposure: p.gross_exposure(),
            net_exposure: p.net_exposure(),
        });
    }

    /// Books the broker's executions and closed orders into ledgers and
    /// per-strategy state. Strategy callbacks for them run later, in
    /// [`Run::run_strategy`], from `self.events`.
    #[inline(never)]
    fn book_events(&mut self) {
        for e in &self.events.executions {
            let f = &e.fill;
            let owner = self.order_owner[(f.order_id.0 - 1) as usize];
            let i = f.instrument.index();
            let d = f.qty.signed() * f.side.sign();
            let before = self.portfolio.position(f.instrument).qty - d;
            self.own[owner as usize][i] += d;
            self.pending[i] -= d;
            let row = FillRow {
                fill: *f,
                strategy: owner,
                realized: e.realized,
            };
            self.trades.on_fill(
                &row,
                before,
                self.instruments[i].multiplier,
                &mut self.out.trades,
            );
            self.out.fills.push(row);
            let p = self.portfolio.position(f.instrument);
            self.out.positions.push(PositionRow {
                ts: f.ts,
                instrument: f.instrument,
                qty: p.qty,
                cost_basis: p.cost_basis,
                realized: p.realized,
            });
        }
        for o in &self.events.closed {
            if o.status != OrderStatus::Filled {
                self.pending[o.intent.instrument.index()] -=
                    o.remaining().signed() * o.intent.side.sign();
            }
        }
    }

    #[inline(never)]
    fn check_kill_switch(&mut self, ts: Timestamp) {
        self.newly_blocked.clear();
        let tripped = self.risk.after_marks(
            ts,
            &self.portfolio,
            &self.spec.risk,
            &self.touched,
            &mut self.newly_blocked,
        );
        for (id, msg) in self.newly_blocked.drain(..) {
            self.out.risk_events.push(RiskEvent {
                ts,
                rule: RiskRule::InstrumentDailyLoss,
                action: "blocked",
                instrument: Some(id),
                strategy: None,
                message: format!("{}: {msg}", self.instruments[id.index()].symbol),
            });
        }
        if let Some(k) = tripped {
            self.out.risk_events.push(RiskEvent {
                ts,
                rule: k.rule,
                action: "kill_switch",
                instrument: None,
                strategy: None,
                message: k.reason.clone(),
            });
            self.out.kill_switch = Some(k.clone());
            if self.spec.risk.flatten_on_kill {
                let mut ev = BrokerEvents::default();
                self.broker.cancel_all(ts, "kill switch tripped", &mut ev);
                for o in &ev.closed {
                    self.pending[o.intent.instrument.index()] -=
                        o.remaining().signed() * o.intent.side.sign();
                }
                self.out.orders.append(&mut ev.closed);
                self.flatten(ts, k.rule, "kill_switch_flatten", false);
            }
        }
    }

    /// Closes every strategy's positions: at this bar's close when `now`
    /// (flat-at-close), else with market orders for the next open.
    fn flatten(&mut self, ts: Timestamp, rule: RiskRule, tag: &'static str, now: bool) {
        let mut ev = BrokerEvents::default();
        for s in 0..self.slots.len() {
            for i in 0..self.instruments.len() {
                let q = self.own[s][i];
                if q == 0 {
                    continue;
                }
                let intent = OrderIntent {
                    instrument: InstrumentId(i as u32),
                    side: if q > 0 { Side::Sell } else { Side::Buy },
                    qty: Qty::new(q.unsigned_abs()),
                    order_type: OrderType::Market,
                    tif: TimeInForce::Gtc,
                    tag: tag.into(),
                };
                let order = self.new_order(s, intent, ts);
                self.out.risk_events.push(RiskEvent {
                    ts,
                    rule,
                    action: "flatten",
                    instrument: Some(InstrumentId(i as u32)),
                    strategy: Some(s as u32),
                    message: format!(
                        "closing {q} {} of {} ({})",
                        self.instruments[i].symbol, self.slots[s].id, order.id
                    ),
                });
                self.pending[i] -= q;
                if now {
                    let price = self.portfolio.mark_of(InstrumentId(i as u32));
                    self.broker.execute_now(
                        order,
                        price,
                        &self.instruments[i],
                        ts,
                        &mut self.portfolio,
                        &mut ev,
                    );
                } else {
                    self.broker.accept(order, None);
                }
            }
        }
        if !ev.executions.is_empty() || !ev.closed.is_empty() {
            std::mem::swap(&mut self.events, &mut ev);
            self.book_events();
            std::mem::swap(&mut self.events, &mut ev);
            self.out.orders.append(&mut ev.closed);
        }
    }

    fn new_order(&mut self, strategy: usize, intent: OrderIntent, ts: Timestamp) -> Order {
        let id = ClientOrderId(self.next_id);
        self.next_id += 1;
        self.order_owner.push(strategy as u32);
        Order {
            id,
            broker_id: None,
            strategy: self.slots[strategy].id.clone(),
            intent,
            created: ts,
            status: OrderStatus::Working,
            filled: Qty::ZERO,
            triggered: false,
            closed: None,
            reason: None,
        }
    }

    fn with_strategy(
        &mut self,
        s: usize,
        ts: Timestamp,
        f: impl FnOnce(&mut dyn Strategy, &mut Context<'_>),
    ) {
        let working = self.broker.working();
        let slot = &mut self.slots[s];
        let mut ctx = Context::new(
            ts,
            self.instruments,
            self.series,
            &self.seen,
            &self.portfolio,
            &self.own[s],
            working,
            &slot.id,
            &mut self.intents,
            &mut self.cancels,
        );
        f(slot.strategy.as_mut(), &mut ctx);
    }

    /// Tells strategy `s` the instant's events (`has_events`: whether
    /// `self.events` holds any, computed once for all strategies) and bars.
    fn run_strategy(&mut self, s: usize, ts: Timestamp, has_events: bool) {
        let s32 = s as u32;
        let ns = self.slots.len();
        let all = self.subscribed_all[s];
        let subscribed = if all {
            !self.group.is_empty()
        } else {
            self.group.iter().any(|&(i, _)| self.subscribed[i * ns + s])
        };
        if !subscribed && !has_events {
            return;
        }
        let owner = &self.order_owner;
        let series = self.series;
        let seen = &self.seen;
        let sub = &self.subscribed;
        let working = self.broker.working();
        let slot = &mut self.slots[s];
        let mut ctx = Context::new(
            ts,
            self.instruments,
            series,
            seen,
            &self.portfolio,
            &self.own[s],
            working,
            &slot.id,
            &mut self.intents,
            &mut self.cancels,
        );
        if has_events {
            for e in &self.events.executions {
                if owner[(e.fill.order_id.0 - 1) as usize] == s32 {
                    slot.strategy.on_fill(&mut ctx, &e.fill);
                }
            }
            for o in &self.events.closed {
                if o.status != OrderStatus::Filled && owner[(o.id.0 - 1) as usize] == s32 {
                    slot.strategy.on_order_closed(&mut ctx, o);
                }
            }
        }
        if subscribed {
            for &(i, bar) in &self.group {
                if all || sub[i * ns + s] {
                    slot.strategy.on_bar(&mut ctx, bar);
                }
            }
            slot.strategy.on_close(&mut ctx);
        }
    }

    /// Cancels and risk-checks what strategy `s` asked for.
    #[inline(never)]
    fn submit_pending(&mut self, s: usize, ts: Timestamp, in_session: bool) {
        if !self.cancels.is_empty() {
            let mut ev = BrokerEvents::default();
            for id in std::mem::take(&mut self.cancels) {
                if self.order_owner.get((id.0.wrapping_sub(1)) as usize) == Some(&(s as u32)) {
                    self.broker.cancel(id, ts, "cancelled by strategy", &mut ev);
                }
            }
            for o in &ev.closed {
                self.pending[o.intent.instrument.index()] -=
                    o.remaining().signed() * o.intent.side.sign();
            }
            self.out.orders.append(&mut ev.closed);
        }
        if self.intents.is_empty() {
            return;
        }
        let intents = std::mem::take(&mut self.intents);
        for intent in intents {
            let verdict = {
                let view = GateView {
                    portfolio: &self.portfolio,
                    instruments: self.instruments,
                    pending: &self.pending,
                    in_session,
                    kill_switch: self.risk.kill_switch().is_some(),
                    blocked: self.risk.blocked(),
                    ts,
                };
                check(&self.spec.risk, intent, &view)
            };
            match verdict {
                Verdict::Approved(a) => {
                    if let Some((from, rule, why)) = a.resized() {
                        self.out.risk_events.push(RiskEvent {
                            ts,
                            rule: *rule,
                            action: "resized",
                            instrument: Some(a.intent().instrument),
                            strategy: Some(s as u32),
                            message: format!("{why} (asked {from})"),
                        });
                    }
                    let intent = a.into_intent();
                    let i = intent.instrument.index();
                    self.pending[i] += intent.qty.signed() * intent.side.sign();
                    let expiry = match intent.tif {
                        TimeInForce::Day => self.hours.next_close_after(ts),
                        TimeInForce::Gtc => None,
                    };
                    let order = self.new_order(s, intent, ts);
                    self.broker.accept(order, expiry);
                }
                Verdict::Refused(r) => {
                    self.out.risk_events.push(RiskEvent {
                        ts,
                        rule: r.rule,
                        action: "refused",
                        instrument: Some(r.intent.instrument),
                        strategy: Some(s as u32),
                        message: r.reason.clone(),
                    });
                    let mut order = self.new_order(s, r.intent, ts);
                    order.status = OrderStatus::Rejected;
                    order.closed = Some(ts);
                    order.reason = Some(format!("{}: {}", r.rule.as_str(), r.reason));
                    // Enters the ledger after its strategy heard of it.
                    self.refused.push(order);
                }
            }
        }
    }

    fn finish(mut self) -> BacktestResult {
        let end = self.out.equity.last().map(|e| e.ts).unwrap_or_default();
        let rest = self.broker.drain(end);
        self.out.orders.extend(rest);
        // Refusals of the last instant that no later callback delivered.
        self.out.orders.append(&mut self.refused);
        self.out.orders.append(&mut self.events.closed);
        self.out.orders.sort_by_key(|o| o.id);
        self.out.final_marks = (0..self.instruments.len())
            .map(|i| self.portfolio.mark_of(InstrumentId(i as u32)))
            .collect();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use trade_core::{Price, Symbol};

    use super::*;

    #[derive(Debug)]
    struct Idle;

    impl Strategy for Idle {
        fn on_bar(&mut self, _ctx: &mut Context<'_>, _bar: &Bar) {}
    }

    fn bar(instrument: u32, secs: i64) -> Bar {
        let p = Price::from_cents(10_000);
        Bar {
            instrument: InstrumentId(instrument),
            ts: Timestamp::from_secs(secs),
            open: p,
            high: p,
            low: p,
            close: p,
            volume: 100,
        }
    }

    fn run(series: &[Vec<Bar>]) -> Result<BacktestResult, BacktestError> {
        let instruments: Vec<Instrument> = ["AAA", "BBB"][..series.len()]
            .iter()
            .map(|s| Instrument::etf(Symbol::new(s).unwrap()))
            .collect();
        let slot = StrategySlot {
            id: StrategyId("idle".into()),
            instruments: (0..series.len() as u32).map(InstrumentId).collect(),
            strategy: Box::new(Idle),
        };
        run_backtest(
            &BacktestSpec::default(),
            &instruments,
            series,
            &MarketHours::always_open(),
            vec![slot],
            &mut |_, _| {},
        )
    }

    #[test]
    fn a_bar_not_after_the_previous_one_is_refused_with_its_index() {
        // Equal times count as out of order; index and time name the offender.
        for (times, index) in [(vec![60, 120, 120], 2), (vec![60, 180, 120, 240], 2)] {
            let s = vec![times.iter().map(|&t| bar(0, t)).collect::<Vec<_>>()];
            let err = run(&s).unwrap_err();
            assert_eq!(
                err,
                BacktestError::Unsorted {
                    symbol: "AAA".into(),
                    index,
                    ts: Timestamp::from_secs(times[index]),
                },
                "{times:?}"
            );
        }
        // In the merge of two series, the unsorted one is named.
        let s = vec![
            vec![bar(0, 60), bar(0, 120), bar(0, 180)],
            vec![bar(1, 60), bar(1, 150), bar(1, 90)],
        ];
        assert_eq!(
            run(&s).unwrap_err(),
            BacktestError::Unsorted {
                symbol: "BBB".into(),
                index: 2,
                ts: Timestamp::from_secs(90),
            }
        );
    }

    #[test]
    fn a_bar_of_another_instrument_is_refused() {
        let s = vec![vec![bar(0, 60), bar(1, 120)]];
        assert_eq!(
            run(&s).unwrap_err(),
            BacktestError::WrongInstrument {
                symbol: "AAA".into(),
                found: 1,
            }
        );
        // The same in the merge of several series.
        let s = vec![vec![bar(0, 60), bar(0, 120)], vec![bar(1, 60), bar(0, 120)]];
        assert_eq!(
            run(&s).unwrap_err(),
            BacktestError::WrongInstrument {
                symbol: "BBB".into(),
                found: 0,
            }
        );
    }

    #[test]
    fn sorted_series_run_every_bar_with_one_equity_row_per_instant() {
        let s = vec![
            vec![bar(0, 60), bar(0, 120), bar(0, 180)],
            vec![bar(1, 120), bar(1, 240)],
        ];
        let r = run(&s).unwrap();
        assert_eq!(r.bars, 5);
        let times: Vec<i64> = r.equity.iter().map(|e| e.ts.secs()).collect();
        assert_eq!(times, [60, 120, 180, 240]);
    }
}
