//! The session core: the backtest's per-instant loop driven by events from
//! a feed and a broker adapter instead of a vector of bars and a simulated
//! broker.
//!
//! One instant (all bars closing at `t`, delivered as `Bar`s then
//! `Instant(t)`) runs as in [`trade_engine::backtest`]: the session's day
//! starts, the bars mark the portfolio, the kill switches look at the
//! equity (and may flatten), each strategy receives its fills and closed
//! orders since the previous instant, its bars and `on_close`, and its
//! intents pass the same risk gate. Executions are not simulated here: they
//! arrive from the broker adapter, are journaled (idempotent by exec id) and
//! applied to the portfolio exactly once.
//!
//! Order manager (the ordering contract of [`crate::adapter`]): every
//! approved intent is journaled first (`record_intent`, its local id goes in
//! `orderRef`), then `Place` is sent; `Sent` marks it sent, `SendFailed`
//! abandons it. After every `Connected`/`Restored` no new order leaves until
//! the broker's `Reconciled` view has been applied with
//! [`trade_journal::reconcile_and_apply`]; orders whose outcome is unknown
//! stay pending (they count as working for the strategies and the gate), and
//! are never resubmitted.
//!
//! Threading: the journal is synchronous (SQLite fsync on every write). The
//! session is a future meant to run on its own OS thread with a
//! current-thread runtime ([`spawn`]); the adapters run on any runtime and
//! talk to it over channels, so a journal fsync never stalls a socket task.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use thiserror::Error;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use trade_core::{
    Bar, ClientOrderId, Fill, Instrument, InstrumentId, Money, Order, OrderIntent, OrderStatus,
    OrderType, Portfolio, Qty, Side, StrategyId, TimeInForce, Timestamp,
};
use trade_engine::BacktestResult;
use trade_engine::backtest::{BacktestSpec, StrategySlot};
use trade_engine::ledger::{EquityRow, FillRow, PositionRow, RiskEvent, TradeTracker};
use trade_engine::market_hours::{MarketHours, SessionCursor};
use trade_engine::risk::{GateView, RiskLimits, RiskRule, RiskState, Verdict, check};
use trade_engine::strategy::Context;
use trade_journal::{
    BrokerAck, Execution, Journal, JournalError, LocalOrderId, NewIntent, OrderState, Recorded,
    StateChange,
};

use crate::adapter::{
    AccountType, BrokerCommand, BrokerEvent, BrokerLink, BrokerSnapshot, FeedCommand, FeedEvent,
    FeedLink, OutboundOrder,
};
use crate::config::{ExternalPolicy, LimitPolicy, SessionConfig, mask_account};
use crate::status::{
    Alert, AlertKind, Connection, MAX_ALERTS, Mode, OrderStatusLine, PausedInstrument,
    PositionStatus, SessionStatus,
};

/// Everything a session runs with, besides its journal and links.
#[derive(Debug)]
pub struct SessionSetup {
    /// Paper or live.
    pub mode: Mode,
    /// Journal orders but never send them.
    pub dry_run: bool,
    /// Whether a live (non-paper) account may be traded: `account_type =
    /// "live"` in the config *and* `--confirm-live` on the command line.
    pub allow_live_account: bool,
    /// Account, fill and commission models, risk limits (the backtest's).
    pub spec: BacktestSpec,
    /// Instruments by id.
    pub instruments: Vec<Instrument>,
    /// Regular sessions (calendar gating, DAY expiries, the daily loss day).
    pub hours: MarketHours,
    /// Strategies in configuration order.
    pub strategies: Vec<StrategySlot>,
    /// Order-manager policies.
    pub config: SessionConfig,
    /// Wall time runs this many times faster than the feed's time (a
    /// replay at `--speed N`): timeouts shrink by it. 1 for real time.
    pub clock_speed: f64,
    /// History to warm the strategies up with before the first live bar,
    /// per instrument (may be empty): each instant runs the strategies'
    /// callbacks, but what they ask for is dropped, nothing is journaled
    /// and no ledger row is written. Live bars must come after it.
    pub warmup: Vec<Vec<Bar>>,
}

/// Why a session could not run.
#[derive(Debug, Error)]
pub enum SessionError {
    /// The journal could not be read at start.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// The broker reported a live account and the config does not allow it.
    #[error(
        "refusing to trade live account {account}: set `account_type = \"live\"` in [live] and pass --confirm-live"
    )]
    LiveAccountRefused {
        /// The account id, masked.
        account: String,
    },
    /// A strategy names an instrument outside the session.
    #[error("strategy {strategy} trades instrument id {id}, which is not in the session")]
    UnknownInstrument {
        /// Strategy.
        strategy: String,
        /// Id.
        id: u32,
    },
}

/// What a finished session leaves behind.
#[derive(Debug)]
pub struct SessionOutcome {
    /// The ledgers, in the backtest's format (orders, fills, equity rows,
    /// positions, trades, risk events), for the run folder and report.
    pub result: BacktestResult,
    /// The last published status.
    pub status: SessionStatus,
    /// Every alert raised.
    pub alerts: Vec<Alert>,
    /// Executions of orders this program did not place that were taken
    /// into the portfolio (`external = "adopt"`, or positions carried in).
    pub adopted: Vec<Execution>,
    /// Orders still working when the session stopped.
    pub outstanding: Vec<Order>,
}

/// An order the session placed (or found in the journal at start).
#[derive(Debug, Clone)]
struct LiveOrder {
    order: Order,
    /// Strategy index; `None` for session orders without an owner.
    owner: Option<usize>,
    state: OrderState,
    broker_order_id: Option<i64>,
    perm_id: Option<i64>,
    /// When an unfilled limit order times out.
    deadline: Option<Instant>,
    /// A cancel was sent because of the limit timeout: replace it with a
    /// market order once the cancel is confirmed.
    replace_on_cancel: bool,
}

/// Base of the order ids given to intents the gate refused (they never
/// reach the journal, so they get ids outside the journal's range).
const REFUSED_ID_BASE: u64 = 1 << 62;

/// How long a stopping session waits for cancel confirmations.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// Wall-clock now.
fn now() -> Timestamp {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0);
    Timestamp::from_nanos(nanos)
}

/// The session core. Build with [`Session::new`], run with [`Session::run`]
/// (or on its own thread with [`spawn`]).
pub struct Session {
    mode: Mode,
    dry_run: bool,
    allow_live_account: bool,
    spec: BacktestSpec,
    /// The risk limits the gate applies (with calendar gating forced on
    /// unless `trade_outside_session`).
    limits: RiskLimits,
    config: SessionConfig,
    clock_speed: f64,
    instruments: Vec<Instrument>,
    by_symbol: HashMap<String, InstrumentId>,
    hours: MarketHours,
    cursor: SessionCursor,
    slots: Vec<StrategySlot>,
    journal: Box<dyn Journal + Send>,
    broker: BrokerLink,
    feed: FeedLink,
    broker_open: bool,
    status_tx: watch::Sender<SessionStatus>,

    portfolio: Portfolio,
    risk: RiskState,
    series: Vec<Vec<Bar>>,
    seen: Vec<usize>,
    own: Vec<Vec<i64>>,
    pending: Vec<i64>,
    orders: BTreeMap<LocalOrderId, LiveOrder>,
    working: Vec<Order>,
    next_refused: u64,
    /// Bars of the instant being delivered.
    group: Vec<Bar>,
    /// Executions and closed orders since the last instant, per owner.
    fills_since: Vec<(usize, Fill)>,
    closed_since: Vec<(usize, Order)>,
    refused: Vec<(usize, Order)>,
    intents: Vec<OrderIntent>,
    cancels: Vec<ClientOrderId>,
    /// Market orders replacing timed-out limit orders, per owner, sent
    /// once the event that confirmed the cancel has been handled.
    replacements: Vec<(usize, OrderIntent)>,
    /// Whether the last instant was inside a regular session.
    last_in_session: bool,
    /// Executions applied, by exec id: the fill row, for the commission.
    applied: HashMap<String, Option<usize>>,
    /// Commissions that arrived before their execution was booked.
    early_commissions: HashMap<String, Money>,
    /// Fill rows not yet booked into round trips (booked at the next
    /// instant, when their commission is known).
    unbooked: Vec<(usize, i64)>,
    trades: TradeTracker,
    out: BacktestResult,
    adopted: Vec<Execution>,
    alerts: Vec<Alert>,
    paused: BTreeMap<InstrumentId, String>,
    halted: Option<String>,
    connection: Connection,
    account_type: Option<AccountType>,
    reconciled_once: bool,
    started: bool,
    session_index: Option<usize>,
    last_instant: Option<Timestamp>,
    day_start_equity: Money,
    instants: u64,
    stopping: bool,
    warmup: Vec<Vec<Bar>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("mode", &self.mode)
            .field("dry_run", &self.dry_run)
            .field("connection", &self.connection)
            .field("instants", &self.instants)
            .field("orders", &self.orders.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session over a journal and an adapter pair. Orders the journal
    /// holds in a non-final state are loaded (they count as working) and
    /// resolved by the first reconciliation. Returns the session and the
    /// receiver of its published [`SessionStatus`].
    ///
    /// # Errors
    /// The journal cannot be read, or a strategy names an unknown instrument.
    pub fn new(
        setup: SessionSetup,
        journal: Box<dyn Journal + Send>,
        broker: BrokerLink,
        feed: FeedLink,
    ) -> Result<(Session, watch::Receiver<SessionStatus>), SessionError> {
        let n = setup.instruments.len();
        for s in &setup.strategies {
            if let Some(id) = s.instruments.iter().find(|id| id.index() >= n) {
                return Err(SessionError::UnknownInstrument {
                    strategy: s.id.to_string(),
                    id: id.0,
                });
            }
        }
        let cash = setup.spec.account.initial_cash;
        let multipliers: Vec<u32> = setup.instruments.iter().map(|i| i.multiplier).collect();
        let mut limits = setup.spec.risk.clone();
        if !setup.config.trade_outside_session {
            limits.market_hours_only = true;
        }
        let portfolio = Portfolio::new(cash, &multipliers);
        let status = SessionStatus {
            mode: setup.mode,
            dry_run: setup.dry_run,
            connection: Connection::Connecting,
            account_type: None,
            cash,
            equity: cash,
            day_pnl: Money::ZERO,
            positions: Vec::new(),
            working_orders: Vec::new(),
            last_bar_time: None,
            instants: 0,
            paused: Vec::new(),
            halted: None,
            kill_switch: None,
            alerts: Vec::new(),
        };
        let (status_tx, status_rx) = watch::channel(status);
        let n_slots = setup.strategies.len();
        let mut session = Session {
            mode: setup.mode,
            dry_run: setup.dry_run,
            allow_live_account: setup.allow_live_account,
            limits,
            config: setup.config,
            clock_speed: if setup.clock_speed.is_finite() && setup.clock_speed > 0.0 {
                setup.clock_speed
            } else {
                1.0
            },
            by_symbol: setup
                .instruments
                .iter()
                .enumerate()
                .map(|(i, ins)| (ins.symbol.to_string(), InstrumentId(i as u32)))
                .collect(),
            hours: setup.hours,
            cursor: SessionCursor::default(),
            slots: setup.strategies,
            journal,
            broker,
            feed,
            broker_open: true,
            status_tx,
            portfolio,
            risk: RiskState::new(cash, n),
            series: vec![Vec::new(); n],
            seen: vec![0; n],
            own: vec![vec![0; n]; n_slots],
            pending: vec![0; n],
            orders: BTreeMap::new(),
            working: Vec::new(),
            next_refused: REFUSED_ID_BASE,
            group: Vec::with_capacity(n),
            fills_since: Vec::new(),
            closed_since: Vec::new(),
            refused: Vec::new(),
            intents: Vec::new(),
            cancels: Vec::new(),
            replacements: Vec::new(),
            last_in_session: false,
            applied: HashMap::new(),
            early_commissions: HashMap::new(),
            unbooked: Vec::new(),
            trades: TradeTracker::new(n),
            out: BacktestResult {
                orders: Vec::new(),
                fills: Vec::new(),
                equity: Vec::new(),
                positions: Vec::new(),
                trades: Vec::new(),
                risk_events: Vec::new(),
                kill_switch: None,
                bars: 0,
                final_marks: Vec::new(),
                initial_cash: cash,
            },
            adopted: Vec::new(),
            alerts: Vec::new(),
            paused: BTreeMap::new(),
            halted: None,
            connection: Connection::Connecting,
            account_type: None,
            reconciled_once: false,
            started: false,
            session_index: None,
            last_instant: None,
            day_start_equity: cash,
            instants: 0,
            stopping: false,
            warmup: setup.warmup,
            spec: setup.spec,
            instruments: setup.instruments,
        };
        session.load_open_orders()?;
        session.publish();
        Ok((session, status_rx))
    }

    /// Orders the journal left in a non-final state: they may be live at
    /// the broker, so they count as working until reconciliation says.
    fn load_open_orders(&mut self) -> Result<(), SessionError> {
        for jo in self.journal.open_orders()? {
            let Some(&id) = self.by_symbol.get(&jo.instrument) else {
                self.alert(
                    AlertKind::Unknown,
                    Some(jo.instrument.clone()),
                    format!(
                        "journal order {} is on {}, which this session does not trade; it stays pending in the journal",
                        jo.local_id, jo.instrument
                    ),
                );
                continue;
            };
            let intent =
                serde_json::from_value::<OrderIntent>(jo.order.clone()).unwrap_or(OrderIntent {
                    instrument: id,
                    side: jo.side,
                    qty: jo.qty,
                    order_type: match jo.limit_price {
                        Some(limit) => OrderType::Limit { limit },
                        None => OrderType::Market,
                    },
                    tif: TimeInForce::Gtc,
                    tag: "journal".into(),
                });
            let owner = self.slots.iter().position(|s| s.id.0 == jo.strategy);
            let order = Order {
                id: ClientOrderId(jo.local_id.0 as u64),
                broker_id: None,
                strategy: StrategyId(jo.strategy.clone()),
                intent: OrderIntent {
                    instrument: id,
                    ..intent
                },
                created: jo.created,
                status: OrderStatus::Working,
                filled: jo.filled,
                triggered: false,
                closed: None,
                reason: None,
            };
            self.pending[id.index()] += order.remaining().signed() * order.intent.side.sign();
            self.orders.insert(
                jo.local_id,
                LiveOrder {
                    order,
                    owner,
                    state: jo.state,
                    broker_order_id: jo.broker_order_id,
                    perm_id: jo.perm_id,
                    deadline: None,
                    replace_on_cancel: false,
                },
            );
        }
        self.rebuild_working();
        Ok(())
    }

    /// Runs until the feed ends (a replay), `stop` fires (SIGINT/SIGTERM)
    /// or both adapters are gone; then stops cleanly: no new orders,
    /// working orders cancelled if `cancel_on_exit`, adapters told to shut
    /// down. A dropped `stop` sender never stops the session.
    ///
    /// # Errors
    /// [`SessionError::LiveAccountRefused`] when the broker reports a live
    /// account this config may not trade.
    pub async fn run(
        mut self,
        stop: oneshot::Receiver<()>,
    ) -> Result<SessionOutcome, SessionError> {
        self.warm_up();
        let subscribe: Vec<(InstrumentId, Instrument)> = self
            .instruments
            .iter()
            .enumerate()
            .map(|(i, ins)| (InstrumentId(i as u32), ins.clone()))
            .collect();
        let feed_open = self
            .feed
            .commands
            .send(FeedCommand::Subscribe(subscribe))
            .await
            .is_ok();
        let stop = async move {
            if stop.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(stop);
        loop {
            if !feed_open && !self.broker_open {
                break;
            }
            let deadline = self.next_deadline();
            tokio::select! {
                biased;
                () = &mut stop => break,
                ev = self.broker.events.recv(), if self.broker_open => match ev {
                    Some(ev) => self.on_broker(ev).await?,
                    None => {
                        self.broker_open = false;
                        self.connection = Connection::Down;
                        self.alert(AlertKind::Connection, None, "broker adapter ended".into());
                        self.publish();
                    }
                },
                ev = self.feed.events.recv(), if feed_open => match ev {
                    Some(FeedEvent::End) | None => {
                        self.drain_broker().await?;
                        break;
                    }
                    Some(ev) => {
                        // Whatever the broker reported before this feed event
                        // belongs before it (fills of this instant's bars).
                        self.drain_broker().await?;
                        self.on_feed(ev).await;
                    }
                },
                () = sleep_until_opt(deadline), if deadline.is_some() => self.on_timeouts().await,
            }
        }
        Ok(self.shutdown().await)
    }

    /// Runs the warm-up history through the strategies (see
    /// [`SessionSetup::warmup`]).
    fn warm_up(&mut self) {
        let history = std::mem::take(&mut self.warmup);
        let instants = crate::replay::instants(&history);
        drop(history);
        let n = instants.len();
        for (ts, bars) in instants {
            let bars: Vec<Bar> = bars
                .into_iter()
                .filter(|b| {
                    let i = b.instrument.index();
                    i < self.instruments.len()
                        && b.close.raw() > 0
                        && self.series[i].last().is_none_or(|l| l.ts < b.ts)
                })
                .collect();
            if !self.started {
                self.started = true;
                for s in 0..self.slots.len() {
                    self.with_strategy(s, ts, |st, ctx| st.on_start(ctx));
                }
            }
            for bar in &bars {
                let i = bar.instrument.index();
                self.portfolio.mark(bar.instrument, bar.close);
                self.series[i].push(*bar);
                self.seen[i] = self.series[i].len();
            }
            for s in 0..self.slots.len() {
                if bars
                    .iter()
                    .any(|b| self.slots[s].instruments.contains(&b.instrument))
                {
                    self.run_strategy(s, ts, &[], &[], &bars, true);
                }
            }
            // Warm-up decisions are not orders: the market they were
            // made in is gone.
            self.intents.clear();
            self.cancels.clear();
            self.last_instant = Some(ts);
        }
        if n > 0 {
            tracing::info!(instants = n, last = ?self.last_instant, "strategies warmed up");
            self.publish();
        }
    }

    /// Handles every broker event already queued.
    async fn drain_broker(&mut self) -> Result<(), SessionError> {
        while self.broker_open {
            match self.broker.events.try_recv() {
                Ok(ev) => self.on_broker(ev).await?,
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    self.broker_open = false;
                }
            }
        }
        Ok(())
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.orders.values().filter_map(|o| o.deadline).min()
    }

    // ---------------------------------------------------------------- feed

    async fn on_feed(&mut self, ev: FeedEvent) {
        match ev {
            FeedEvent::Bar(bar) => self.on_bar(bar),
            FeedEvent::Instant(ts) => self.on_instant(ts).await,
            FeedEvent::Stale {
                instrument,
                silent_for,
            } => {
                let Some(sym) = self.symbol(instrument) else {
                    self.alert(
                        AlertKind::Unknown,
                        None,
                        format!("stale notice for unknown instrument id {}", instrument.0),
                    );
                    return;
                };
                let reason = format!("feed stale: nothing for {}s", silent_for.as_secs());
                self.alert(
                    AlertKind::StaleFeed,
                    Some(sym.clone()),
                    format!("{sym}: {reason}; new orders on it are paused"),
                );
                self.paused.insert(instrument, reason);
                self.publish();
            }
            FeedEvent::Fresh(instrument) => {
                if self
                    .paused
                    .get(&instrument)
                    .is_some_and(|r| r.starts_with("feed stale"))
                {
                    self.paused.remove(&instrument);
                    let sym = self.symbol(instrument).unwrap_or_default();
                    self.alert(
                        AlertKind::StaleFeed,
                        Some(sym.clone()),
                        format!("{sym}: data flows again; trading resumed"),
                    );
                    self.publish();
                }
            }
            FeedEvent::Down(why) => {
                self.alert(AlertKind::Connection, None, format!("feed down: {why:?}"));
            }
            FeedEvent::Up | FeedEvent::Quote(_) | FeedEvent::End => {}
        }
    }

    fn symbol(&self, id: InstrumentId) -> Option<String> {
        self.instruments
            .get(id.index())
            .map(|i| i.symbol.to_string())
    }

    fn on_bar(&mut self, bar: Bar) {
        let i = bar.instrument.index();
        if i >= self.instruments.len() {
            self.alert(
                AlertKind::Unknown,
                None,
                format!("bar of unknown instrument id {} dropped", bar.instrument.0),
            );
            return;
        }
        let bad = bar.close.raw() <= 0 || bar.low.raw() <= 0;
        let stale = self.series[i].last().is_some_and(|b| b.ts >= bar.ts)
            || self.group.iter().any(|b| b.instrument == bar.instrument);
        if bad || stale {
            let sym = self.instruments[i].symbol.to_string();
            self.alert(
                AlertKind::Unknown,
                Some(sym.clone()),
                format!(
                    "{sym}: bar at {} dropped ({})",
                    bar.ts,
                    if bad {
                        "non-positive price"
                    } else {
                        "not after the previous bar"
                    }
                ),
            );
            return;
        }
        self.group.push(bar);
    }

    /// Starts the exchange session of `ts` if it is a new one (the daily
    /// loss limit's starting equity). Called before the fills of an instant
    /// are applied, as the backtest does.
    fn begin_at(&mut self, ts: Timestamp) -> trade_engine::market_hours::SessionAt {
        let at = self.hours.locate(&mut self.cursor, ts);
        if self.session_index != Some(at.index) {
            self.session_index = Some(at.index);
            self.day_start_equity = self.portfolio.equity();
        }
        self.risk.begin_instant(at.index, &self.portfolio);
        at
    }

    async fn on_instant(&mut self, ts: Timestamp) {
        if self.last_instant.is_some_and(|l| ts <= l) {
            self.alert(
                AlertKind::Unknown,
                None,
                format!("instant {ts} is not after the previous one; ignored"),
            );
            self.group.clear();
            return;
        }
        let mut group = std::mem::take(&mut self.group);
        group.retain(|b| b.ts == ts);
        group.sort_by_key(|b| b.instrument);
        if !self.started {
            self.started = true;
            for s in 0..self.slots.len() {
                self.with_strategy(s, ts, |st, ctx| st.on_start(ctx));
                self.submit_pending(s, ts, false).await;
            }
        }
        let at = self.begin_at(ts);
        self.book_trades();
        let mut touched = Vec::with_capacity(group.len());
        for bar in &group {
            let i = bar.instrument.index();
            self.portfolio.mark(bar.instrument, bar.close);
            self.series[i].push(*bar);
            self.seen[i] = self.series[i].len();
            touched.push(bar.instrument);
        }
        self.out.bars += group.len() as u64;
        // Refusals of the previous instant reach their strategies now.
        let refused = std::mem::take(&mut self.refused);
        for (owner, o) in refused {
            self.out.orders.push(o.clone());
            self.closed_since.push((owner, o));
        }
        self.check_kill_switch(ts, &touched).await;
        self.rebuild_working();
        let fills = std::mem::take(&mut self.fills_since);
        let closed = std::mem::take(&mut self.closed_since);
        for s in 0..self.slots.len() {
            let subscribed = group
                .iter()
                .any(|b| self.slots[s].instruments.contains(&b.instrument));
            let has_events =
                fills.iter().any(|(o, _)| *o == s) || closed.iter().any(|(o, _)| *o == s);
            if !subscribed && !has_events {
                continue;
            }
            self.run_strategy(s, ts, &fills, &closed, &group, subscribed);
            if !self.cancels.is_empty() || !self.intents.is_empty() {
                self.submit_pending(s, ts, at.in_session).await;
                self.rebuild_working();
            }
        }
        if self.spec.risk.flat_at_close && at.is_close {
            self.flatten(ts, RiskRule::FlatAtClose, "flat_at_close")
                .await;
        }
        let p = &self.portfolio;
        self.out.equity.push(EquityRow {
            ts,
            cash: p.cash(),
            gross_exposure: p.gross_exposure(),
            net_exposure: p.net_exposure(),
        });
        self.last_instant = Some(ts);
        self.last_in_session = at.in_session;
        self.instants += 1;
        self.publish();
    }

    /// Books fill rows into round trips (their commission is known by now).
    fn book_trades(&mut self) {
        for (row, before) in std::mem::take(&mut self.unbooked) {
            let r = self.out.fills[row];
            let m = self.instruments[r.fill.instrument.index()].multiplier;
            self.trades.on_fill(&r, before, m, &mut self.out.trades);
        }
    }

    fn rebuild_working(&mut self) {
        self.working.clear();
        self.working
            .extend(self.orders.values().map(|o| o.order.clone()));
    }

    fn with_strategy(
        &mut self,
        s: usize,
        ts: Timestamp,
        f: impl FnOnce(&mut dyn trade_engine::strategy::Strategy, &mut Context<'_>),
    ) {
        let slot = &mut self.slots[s];
        let mut ctx = Context::new(
            ts,
            &self.instruments,
            &self.series,
            &self.seen,
            &self.portfolio,
            &self.own[s],
            &self.working,
            &slot.id,
            &mut self.intents,
            &mut self.cancels,
        );
        f(slot.strategy.as_mut(), &mut ctx);
    }

    fn run_strategy(
        &mut self,
        s: usize,
        ts: Timestamp,
        fills: &[(usize, Fill)],
        closed: &[(usize, Order)],
        group: &[Bar],
        subscribed: bool,
    ) {
        let slot = &mut self.slots[s];
        let mut ctx = Context::new(
            ts,
            &self.instruments,
            &self.series,
            &self.seen,
            &self.portfolio,
            &self.own[s],
            &self.working,
            &slot.id,
            &mut self.intents,
            &mut self.cancels,
        );
        for (_, f) in fills.iter().filter(|(o, _)| *o == s) {
            slot.strategy.on_fill(&mut ctx, f);
        }
        for (_, o) in closed.iter().filter(|(o, _)| *o == s) {
            slot.strategy.on_order_closed(&mut ctx, o);
        }
        if subscribed {
            for bar in group {
                if slot.instruments.contains(&bar.instrument) {
                    slot.strategy.on_bar(&mut ctx, bar);
                }
            }
            slot.strategy.on_close(&mut ctx);
        }
    }

    async fn check_kill_switch(&mut self, ts: Timestamp, touched: &[InstrumentId]) {
        let mut newly_blocked = Vec::new();
        let tripped = self.risk.after_marks(
            ts,
            &self.portfolio,
            &self.spec.risk,
            touched,
            &mut newly_blocked,
        );
        for (id, msg) in newly_blocked {
            let sym = self.instruments[id.index()].symbol.to_string();
            self.risk_event(
                ts,
                RiskRule::InstrumentDailyLoss,
                "blocked",
                Some(id),
                None,
                format!("{sym}: {msg}"),
            );
        }
        if let Some(k) = tripped {
            self.risk_event(ts, k.rule, "kill_switch", None, None, k.reason.clone());
            self.alert(
                AlertKind::KillSwitch,
                None,
                format!("kill switch ({}): {}", k.rule.as_str(), k.reason),
            );
            self.out.kill_switch = Some(k.clone());
            if self.spec.risk.flatten_on_kill {
                let ids: Vec<LocalOrderId> = self.orders.keys().copied().collect();
                for id in ids {
                    self.send_cancel(id).await;
                }
                self.flatten(ts, k.rule, "kill_switch_flatten").await;
            }
        }
    }

    /// Closes every strategy's positions with market orders (they fill at
    /// the next bar; a real broker has no "at this close" fill).
    async fn flatten(&mut self, ts: Timestamp, rule: RiskRule, tag: &'static str) {
        if self.connection != Connection::Up || self.halted.is_some() {
            // Nothing can go out; say so loudly instead of queueing orders
            // for a broker that is not there.
            let why = self
                .halted
                .clone()
                .unwrap_or_else(|| format!("broker {:?}", self.connection));
            self.alert(
                AlertKind::KillSwitch,
                None,
                format!(
                    "{} wants to flatten, but orders cannot go out ({why}): flatten by hand",
                    rule.as_str()
                ),
            );
            return;
        }
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
                let msg = format!(
                    "closing {q} {} of {}",
                    self.instruments[i].symbol, self.slots[s].id
                );
                self.risk_event(
                    ts,
                    rule,
                    "flatten",
                    Some(InstrumentId(i as u32)),
                    Some(s as u32),
                    msg,
                );
                self.place(
                    Some(s),
                    intent,
                    ts,
                    None,
                    json!({"rule": rule.as_str(), "action": "flatten"}),
                )
                .await;
            }
        }
    }

    fn risk_event(
        &mut self,
        ts: Timestamp,
        rule: RiskRule,
        action: &'static str,
        instrument: Option<InstrumentId>,
        strategy: Option<u32>,
        message: String,
    ) {
        self.out.risk_events.push(RiskEvent {
            ts,
            rule,
            action,
            instrument,
            strategy,
            message,
        });
    }

    /// Why new orders on `id` cannot go out now, if they cannot.
    fn blocked_reason(&self, id: InstrumentId) -> Option<String> {
        if let Some(h) = &self.halted {
            return Some(format!("orders halted: {h}"));
        }
        if self.stopping {
            return Some("the session is stopping".into());
        }
        match self.connection {
            Connection::Up => {}
            Connection::Connecting => return Some("not connected to the broker yet".into()),
            Connection::Reconciling => {
                return Some("reconciling with the broker after a (re)connect".into());
            }
            Connection::Down => return Some("broker connection down".into()),
            Connection::Stopped => return Some("the session stopped".into()),
        }
        self.paused
            .get(&id)
            .map(|r| format!("{} paused: {r}", self.instruments[id.index()].symbol))
    }

    async fn submit_pending(&mut self, s: usize, ts: Timestamp, in_session: bool) {
        for id in std::mem::take(&mut self.cancels) {
            let local = LocalOrderId(id.0 as i64);
            if self.orders.get(&local).is_some_and(|o| o.owner == Some(s)) {
                self.send_cancel(local).await;
            }
        }
        for intent in std::mem::take(&mut self.intents) {
            let strategy = self.slots[s].id.0.clone();
            let decision = json!({ "intent": &intent, "in_session": in_session });
            if let Some(reason) = self.blocked_reason(intent.instrument) {
                self.record_decision(ts, &strategy, &decision);
                self.refuse(s, intent, ts, RiskRule::InvalidOrder, "paused", reason);
                continue;
            }
            let verdict = {
                let view = GateView {
                    portfolio: &self.portfolio,
                    instruments: &self.instruments,
                    pending: &self.pending,
                    in_session,
                    kill_switch: self.risk.kill_switch().is_some(),
                    blocked: self.risk.blocked(),
                    ts,
                };
                check(&self.limits, intent, &view)
            };
            match verdict {
                Verdict::Approved(a) => {
                    let mut verdict = json!({"verdict": "approved", "strategy": strategy});
                    if let Some((from, rule, why)) = a.resized() {
                        let (rule, why, from) = (*rule, why.clone(), *from);
                        let id = a.intent().instrument;
                        self.risk_event(
                            ts,
                            rule,
                            "resized",
                            Some(id),
                            Some(s as u32),
                            format!("{why} (asked {from})"),
                        );
                        verdict = json!({"verdict": "resized", "rule": rule.as_str(), "reason": why, "asked": from.get(), "strategy": strategy});
                    }
                    self.place(Some(s), a.into_intent(), ts, Some(decision), verdict)
                        .await;
                }
                Verdict::Refused(r) => {
                    self.record_decision(ts, &strategy, &decision);
                    self.refuse(s, r.intent, ts, r.rule, "refused", r.reason);
                }
            }
        }
    }

    /// Records a refusal: risk event, journal verdict, and a rejected order
    /// that reaches its strategy at the next instant.
    fn refuse(
        &mut self,
        s: usize,
        intent: OrderIntent,
        ts: Timestamp,
        rule: RiskRule,
        action: &'static str,
        reason: String,
    ) {
        let payload = json!({
            "verdict": action,
            "rule": rule.as_str(),
            "reason": &reason,
            "strategy": &self.slots[s].id.0,
            "intent": &intent,
        });
        if let Err(e) = self.journal.record_risk_verdict(ts, None, &payload) {
            self.journal_failed("record_risk_verdict", &e);
        }
        self.risk_event(
            ts,
            rule,
            "refused",
            Some(intent.instrument),
            Some(s as u32),
            reason.clone(),
        );
        let id = ClientOrderId(self.next_refused);
        self.next_refused += 1;
        let order = Order {
            id,
            broker_id: None,
            strategy: self.slots[s].id.clone(),
            intent,
            created: ts,
            status: OrderStatus::Rejected,
            filled: Qty::ZERO,
            triggered: false,
            closed: Some(ts),
            reason: Some(format!("{}: {reason}", rule.as_str())),
        };
        self.refused.push((s, order));
    }

    fn journal_failed(&mut self, what: &str, e: &JournalError) {
        let msg = format!("journal {what} failed: {e}");
        tracing::error!("{msg}; new orders halted");
        if self.halted.is_none() {
            self.halted = Some(msg.clone());
        }
        self.alert(AlertKind::Journal, None, msg);
    }

    fn record_decision(&mut self, ts: Timestamp, strategy: &str, decision: &serde_json::Value) {
        if let Err(e) = self.journal.record_decision(ts, strategy, decision) {
            self.journal_failed("record_decision", &e);
        }
    }

    /// The order manager: journal the intent, send it, then write the
    /// decision and the gate's verdict (tied to the order) to the audit
    /// trail. Only the intent must be durable before the send; the audit
    /// lines follow at once, so the send waits for one fsync, not three.
    async fn place(
        &mut self,
        owner: Option<usize>,
        intent: OrderIntent,
        ts: Timestamp,
        decision: Option<serde_json::Value>,
        verdict: serde_json::Value,
    ) {
        let i = intent.instrument.index();
        let strategy = match owner {
            Some(s) => self.slots[s].id.clone(),
            None => StrategyId("session".into()),
        };
        let new = NewIntent {
            ts,
            strategy: strategy.0.clone(),
            instrument: self.instruments[i].symbol.to_string(),
            side: intent.side,
            qty: intent.qty,
            limit_price: intent.order_type.limit(),
            order: serde_json::to_value(&intent).unwrap_or_default(),
        };
        let local = match self.journal.record_intent(&new) {
            Ok(id) => id,
            Err(e) => {
                self.journal_failed("record_intent", &e);
                if let Some(d) = &decision {
                    self.record_decision(ts, &strategy.0, d);
                }
                if let Some(s) = owner {
                    self.refuse(
                        s,
                        intent,
                        ts,
                        RiskRule::InvalidOrder,
                        "refused",
                        "journal unavailable: not sent".into(),
                    );
                }
                return;
            }
        };
        let audit_strategy = strategy.0.clone();
        let order = Order {
            id: ClientOrderId(local.0 as u64),
            broker_id: None,
            strategy,
            intent,
            created: ts,
            status: OrderStatus::Working,
            filled: Qty::ZERO,
            triggered: false,
            closed: None,
            reason: None,
        };
        let d = order.intent.qty.signed() * order.intent.side.sign();
        self.pending[i] += d;
        let deadline = match (order.intent.order_type, self.config.limit_timeout) {
            (OrderType::Limit { .. }, Some(t)) => {
                Some(Instant::now() + t.div_f64(self.clock_speed))
            }
            _ => None,
        };
        self.orders.insert(
            local,
            LiveOrder {
                order: order.clone(),
                owner,
                state: OrderState::PendingSubmit,
                broker_order_id: None,
                perm_id: None,
                deadline,
                replace_on_cancel: false,
            },
        );
        if self.dry_run {
            // Dry run: journaled like any order, then closed as never sent.
            self.close_order(local, OrderState::Abandoned, ts, "dry-run: not sent");
        } else {
            let instrument = self.instruments[i].clone();
            let cmd = BrokerCommand::Place(Box::new(OutboundOrder {
                local_id: local,
                order,
                instrument,
                legs: Vec::new(),
            }));
            if self.broker.commands.send(cmd).await.is_err() {
                self.close_order(
                    local,
                    OrderState::Abandoned,
                    ts,
                    "send failed: broker adapter gone",
                );
            }
        }
        if let Some(d) = &decision {
            self.record_decision(ts, &audit_strategy, d);
        }
        if let Err(e) = self.journal.record_risk_verdict(ts, Some(local), &verdict) {
            self.journal_failed("record_risk_verdict", &e);
        }
    }

    async fn send_cancel(&mut self, local: LocalOrderId) {
        let Some(o) = self.orders.get(&local) else {
            return;
        };
        let cmd = BrokerCommand::Cancel {
            local_id: local,
            broker_order_id: o.broker_order_id,
        };
        if self.dry_run || self.broker.commands.send(cmd).await.is_err() {
            tracing::warn!(order = %local, "cancel not sent (dry run or adapter gone)");
        }
    }

    /// Moves an order to a final state (journal + ledger + its strategy).
    fn close_order(&mut self, local: LocalOrderId, state: OrderState, ts: Timestamp, detail: &str) {
        match self.journal.record_status(local, state, ts, detail) {
            Ok(StateChange::Applied | StateChange::Stale) => {}
            Err(e) => self.journal_failed("record_status", &e),
        }
        self.finish_order(local, state, ts, detail);
    }

    /// The in-memory side of a final state (the journal already has it).
    fn finish_order(
        &mut self,
        local: LocalOrderId,
        state: OrderState,
        ts: Timestamp,
        detail: &str,
    ) {
        let Some(mut lo) = self.orders.remove(&local) else {
            return;
        };
        let o = &mut lo.order;
        let i = o.intent.instrument.index();
        self.pending[i] -= o.remaining().signed() * o.intent.side.sign();
        o.status = match state {
            OrderState::Filled => OrderStatus::Filled,
            OrderState::Rejected => OrderStatus::Rejected,
            _ => OrderStatus::Cancelled,
        };
        o.closed = Some(ts);
        if o.status != OrderStatus::Filled {
            o.reason = Some(detail.to_string());
        }
        self.out.orders.push(o.clone());
        if let Some(s) = lo.owner
            && o.status != OrderStatus::Filled
        {
            self.closed_since.push((s, o.clone()));
        }
        if lo.replace_on_cancel && state == OrderState::Cancelled && !o.remaining().is_zero() {
            let intent = OrderIntent {
                order_type: OrderType::Market,
                qty: o.remaining(),
                tag: "limit_timeout_marketable".into(),
                ..o.intent.clone()
            };
            if let Some(s) = lo.owner {
                self.replacements.push((s, intent));
            }
        }
        self.rebuild_working();
    }

    // -------------------------------------------------------------- broker

    async fn on_broker(&mut self, ev: BrokerEvent) -> Result<(), SessionError> {
        self.handle_broker(ev).await?;
        self.publish();
        if !self.replacements.is_empty() && !self.stopping {
            let ts = self.last_instant.unwrap_or_else(now);
            for (s, intent) in std::mem::take(&mut self.replacements) {
                self.intents.push(intent);
                self.submit_pending(s, ts, self.last_in_session).await;
            }
            self.rebuild_working();
        }
        Ok(())
    }

    async fn handle_broker(&mut self, ev: BrokerEvent) -> Result<(), SessionError> {
        match ev {
            BrokerEvent::Connected {
                accounts,
                account_type,
                generation,
            } => {
                self.account_type = Some(account_type);
                if account_type == AccountType::Live && !self.allow_live_account {
                    let account = accounts
                        .first()
                        .map(|a| mask_account(a))
                        .unwrap_or_else(|| "(unnamed)".into());
                    let _ = self.broker.commands.send(BrokerCommand::Shutdown).await;
                    let _ = self.feed.commands.send(FeedCommand::Shutdown).await;
                    self.connection = Connection::Stopped;
                    self.publish();
                    return Err(SessionError::LiveAccountRefused { account });
                }
                self.alert(
                    AlertKind::Connection,
                    None,
                    format!(
                        "broker connected (generation {generation}); reconciling before trading"
                    ),
                );
                self.start_reconcile().await;
            }
            BrokerEvent::Restored { data_lost } => {
                self.alert(
                    AlertKind::Connection,
                    None,
                    format!("broker connectivity restored (data lost: {data_lost}); reconciling"),
                );
                self.start_reconcile().await;
            }
            BrokerEvent::Down(why) => {
                self.connection = Connection::Down;
                self.alert(
                    AlertKind::Connection,
                    None,
                    format!("broker down: {why:?}; new orders paused"),
                );
                self.publish();
            }
            BrokerEvent::Sent {
                local_id,
                broker_order_id,
                ts,
            } => {
                if let Err(e) = self.journal.mark_sent(local_id, ts) {
                    self.journal_failed("mark_sent", &e);
                }
                if let Some(o) = self.orders.get_mut(&local_id) {
                    o.broker_order_id = Some(broker_order_id);
                    if o.state.accepts(OrderState::Sent) {
                        o.state = OrderState::Sent;
                    }
                } else {
                    self.unknown_order(local_id, "sent");
                }
            }
            BrokerEvent::SendFailed { local_id, reason } => {
                if self.orders.contains_key(&local_id) {
                    self.close_order(
                        local_id,
                        OrderState::Abandoned,
                        now(),
                        &format!("send failed: {reason}"),
                    );
                } else {
                    self.unknown_order(local_id, "send failure");
                }
            }
            BrokerEvent::Status {
                local_id,
                broker_order_id,
                perm_id,
                state,
                detail,
                ts,
                ..
            } => self.on_status(local_id, broker_order_id, perm_id, state, &detail, ts),
            BrokerEvent::ExternalOrder(bo) => {
                let sym = bo.instrument.clone();
                let id = self.by_symbol.get(&sym).copied();
                let msg = format!(
                    "external order at the broker: {} {} {} ({}), ref {:?}",
                    bo.side.as_str(),
                    bo.qty.get(),
                    sym,
                    bo.status,
                    bo.order_ref
                );
                self.external(id, sym, msg, AlertKind::ExternalOrder);
            }
            BrokerEvent::Execution(exec) => self.on_execution(exec),
            BrokerEvent::Commission(c) => match self.journal.record_commission(&c) {
                Ok(Recorded::New) => self.apply_commission(&c.exec_id, c.commission),
                Ok(Recorded::AlreadyKnown) => {}
                Err(e) => self.journal_failed("record_commission", &e),
            },
            BrokerEvent::Reconciled(snapshot) => self.on_reconciled(snapshot),
            BrokerEvent::Account(values) => {
                tracing::info!(
                    cash = %values.cash,
                    net_liquidation = %values.net_liquidation,
                    "account values"
                );
            }
            BrokerEvent::Notice {
                code,
                request_id,
                message,
            } => {
                tracing::info!(code, request_id, "broker notice: {message}");
                if (100..1000).contains(&code) {
                    self.alert(
                        AlertKind::Broker,
                        None,
                        format!("broker error {code}: {message}"),
                    );
                }
            }
        }
        Ok(())
    }

    fn unknown_order(&mut self, id: LocalOrderId, what: &str) {
        self.alert(
            AlertKind::Unknown,
            None,
            format!("{what} for order {id}, which this session does not hold; ignored"),
        );
    }

    async fn start_reconcile(&mut self) {
        self.connection = Connection::Reconciling;
        let since = match self.journal.last_execution_time() {
            Ok(t) => t,
            Err(e) => {
                self.journal_failed("last_execution_time", &e);
                None
            }
        };
        if self
            .broker
            .commands
            .send(BrokerCommand::Reconcile { since })
            .await
            .is_err()
        {
            self.connection = Connection::Down;
        }
        self.publish();
    }

    fn on_status(
        &mut self,
        local: LocalOrderId,
        broker_order_id: Option<i64>,
        perm_id: Option<i64>,
        state: OrderState,
        detail: &str,
        ts: Timestamp,
    ) {
        if !self.orders.contains_key(&local) {
            // Final orders are gone from memory; the journal still takes the
            // report (it ignores stale ones).
            match self.journal.record_status(local, state, ts, detail) {
                Ok(_) => {}
                Err(JournalError::UnknownOrder(_)) => self.unknown_order(local, "status"),
                Err(e) => self.journal_failed("record_status", &e),
            }
            return;
        }
        let res =
            if state == OrderState::Working && (broker_order_id.is_some() || perm_id.is_some()) {
                self.journal.record_broker_ack(
                    local,
                    BrokerAck {
                        broker_order_id,
                        perm_id,
                    },
                    ts,
                )
            } else {
                self.journal.record_status(local, state, ts, detail)
            };
        if let Err(e) = res {
            self.journal_failed("order status", &e);
        }
        let Some(o) = self.orders.get_mut(&local) else {
            return;
        };
        if broker_order_id.is_some() {
            o.broker_order_id = broker_order_id;
        }
        if perm_id.is_some() {
            o.perm_id = perm_id;
        }
        if !o.state.accepts(state) {
            return;
        }
        match state {
            OrderState::Cancelled | OrderState::Rejected | OrderState::Abandoned => {
                self.finish_order(local, state, ts, detail);
            }
            // Filled closes when its executions add up (they carry the fills).
            OrderState::Filled => {
                if o.order.remaining().is_zero() {
                    self.finish_order(local, state, ts, detail);
                }
            }
            _ => o.state = state,
        }
    }

    fn on_execution(&mut self, exec: Execution) {
        if exec.qty.is_zero() || exec.price.raw() <= 0 || exec.exec_id.is_empty() {
            self.alert(
                AlertKind::Unknown,
                Some(exec.instrument.clone()),
                format!(
                    "malformed execution {:?} ({} {} at {}) ignored",
                    exec.exec_id,
                    exec.side.as_str(),
                    exec.qty.get(),
                    exec.price
                ),
            );
            return;
        }
        match self.journal.record_execution(&exec) {
            Ok(Recorded::New) => {}
            Ok(Recorded::AlreadyKnown) => return,
            Err(e) => {
                // Without the journal the exactly-once guarantee is gone;
                // the fill still happened, so book it and stop trading.
                self.journal_failed("record_execution", &e);
                if self.applied.contains_key(&exec.exec_id) {
                    return;
                }
            }
        }
        let local = self.local_of(&exec);
        self.apply_execution(exec, local);
    }

    fn local_of(&self, exec: &Execution) -> Option<LocalOrderId> {
        exec.order_ref
            .as_deref()
            .and_then(LocalOrderId::from_order_ref)
            .filter(|id| self.orders.contains_key(id))
            .or_else(|| {
                let perm = exec.perm_id?;
                self.orders
                    .iter()
                    .find(|(_, o)| o.perm_id == Some(perm))
                    .map(|(id, _)| *id)
            })
    }

    /// Applies an execution the journal just took as new.
    fn apply_execution(&mut self, exec: Execution, local: Option<LocalOrderId>) {
        let Some(&id) = self.by_symbol.get(&exec.instrument) else {
            self.alert(
                AlertKind::Unknown,
                Some(exec.instrument.clone()),
                format!(
                    "execution {} on {}, which this session does not trade: journaled, not booked",
                    exec.exec_id, exec.instrument
                ),
            );
            return;
        };
        let Some(local) = local else {
            let ours = exec
                .order_ref
                .as_deref()
                .and_then(LocalOrderId::from_order_ref);
            if let Some(l) = ours {
                // Our prefix, but no order of this session: flag, never guess.
                self.alert(
                    AlertKind::Unknown,
                    Some(exec.instrument.clone()),
                    format!(
                        "execution {} names order {l}, which this session does not hold: journaled and flagged, not booked",
                        exec.exec_id
                    ),
                );
                self.paused.insert(
                    id,
                    format!("execution {} for unknown order {l}", exec.exec_id),
                );
                self.publish();
                return;
            }
            let msg = format!(
                "external execution {}: {} {} {} at {}",
                exec.exec_id,
                exec.side.as_str(),
                exec.qty.get(),
                exec.instrument,
                exec.price
            );
            if self.external(
                Some(id),
                exec.instrument.clone(),
                msg,
                AlertKind::ExternalExecution,
            ) {
                self.book_external(id, &exec);
            }
            return;
        };
        let (owner, order_id) = match self.orders.get(&local) {
            Some(o) => (o.owner, o.order.id),
            None => return,
        };
        let fill = Fill {
            order_id,
            instrument: id,
            side: exec.side,
            qty: exec.qty,
            price: exec.price,
            commission: Money::ZERO,
            ts: exec.ts,
        };
        if self.last_instant.is_none_or(|l| exec.ts > l) {
            self.begin_at(exec.ts);
        }
        let i = id.index();
        let d = fill.qty.signed() * fill.side.sign();
        let before = self.portfolio.position(id).qty;
        let realized = self.portfolio.apply_fill(&fill);
        self.pending[i] -= d;
        let row = FillRow {
            fill,
            strategy: owner.map_or(u32::MAX, |s| s as u32),
            realized,
        };
        let row_index = if let Some(s) = owner {
            self.own[s][i] += d;
            self.fills_since.push((s, fill));
            self.out.fills.push(row);
            self.unbooked.push((self.out.fills.len() - 1, before));
            Some(self.out.fills.len() - 1)
        } else {
            None
        };
        self.applied.insert(exec.exec_id.clone(), row_index);
        if let Some(c) = self.early_commissions.remove(&exec.exec_id) {
            self.apply_commission(&exec.exec_id, c);
        }
        self.position_row(id, exec.ts);
        let done = match self.orders.get_mut(&local) {
            Some(lo) => {
                lo.order.filled = Qty::new(lo.order.filled.get() + exec.qty.get());
                if lo.state.outcome_unknown() {
                    lo.state = OrderState::Working;
                }
                lo.order.remaining().is_zero()
            }
            None => false,
        };
        if done {
            // The journal moves it to Filled on the broker's status (or the
            // reconciliation); the session closes it now.
            self.finish_order(local, OrderState::Filled, exec.ts, "filled");
        } else {
            self.rebuild_working();
        }
        self.publish();
    }

    fn position_row(&mut self, id: InstrumentId, ts: Timestamp) {
        let p = self.portfolio.position(id);
        self.out.positions.push(PositionRow {
            ts,
            instrument: id,
            qty: p.qty,
            cost_basis: p.cost_basis,
            realized: p.realized,
        });
    }

    /// Books an execution nobody here placed into the portfolio (owner: none).
    fn book_external(&mut self, id: InstrumentId, exec: &Execution) {
        let fill = Fill {
            order_id: ClientOrderId(0),
            instrument: id,
            side: exec.side,
            qty: exec.qty,
            price: exec.price,
            commission: Money::ZERO,
            ts: exec.ts,
        };
        self.portfolio.apply_fill(&fill);
        self.applied.insert(exec.exec_id.clone(), None);
        if let Some(c) = self.early_commissions.remove(&exec.exec_id) {
            self.apply_commission(&exec.exec_id, c);
        }
        self.adopted.push(exec.clone());
        self.position_row(id, exec.ts);
        self.publish();
    }

    /// Applies the external policy; returns whether to adopt.
    fn external(
        &mut self,
        id: Option<InstrumentId>,
        sym: String,
        msg: String,
        kind: AlertKind,
    ) -> bool {
        match (self.config.external, id) {
            (ExternalPolicy::Adopt, Some(_)) => {
                self.alert(
                    kind,
                    Some(sym),
                    format!("{msg}: adopted into the portfolio"),
                );
                true
            }
            (ExternalPolicy::Flag, Some(id)) => {
                self.alert(
                    kind,
                    Some(sym.clone()),
                    format!("{msg}: flagged, trading on {sym} paused"),
                );
                self.paused.insert(id, format!("external activity: {msg}"));
                self.publish();
                false
            }
            (_, None) => {
                self.alert(
                    kind,
                    Some(sym),
                    format!("{msg}: instrument not traded by this session"),
                );
                false
            }
        }
    }

    fn apply_commission(&mut self, exec_id: &str, commission: Money) {
        let Some(row) = self.applied.get(exec_id).copied() else {
            // Not booked (yet): charged when its execution is, never if it
            // is flagged. The journal has it either way.
            self.early_commissions
                .insert(exec_id.to_string(), commission);
            return;
        };
        self.portfolio.charge_commission(commission);
        if let Some(r) = row {
            self.out.fills[r].fill.commission += commission;
        }
    }

    fn on_reconciled(&mut self, snapshot: BrokerSnapshot) {
        let ts = now();
        let (plan, summary) =
            match trade_journal::reconcile_and_apply(self.journal.as_mut(), &snapshot.view, ts) {
                Ok(r) => r,
                Err(e) => {
                    // Stay out of trading: the next reconnect tries again.
                    self.journal_failed("reconcile", &e);
                    return;
                }
            };
        tracing::info!(
            fills = summary.fills_applied,
            states = summary.states_applied,
            external = plan.external_orders.len(),
            unresolved = plan.unresolved.len(),
            anomalies = plan.anomalies.len(),
            "reconciled"
        );
        // Missed fills: journaled by the plan just now, so booked exactly once.
        for f in &plan.fills {
            let local = f.local_id.filter(|id| self.orders.contains_key(id));
            if f.local_id.is_some() && local.is_none() {
                self.alert(
                    AlertKind::Reconcile,
                    Some(f.exec.instrument.clone()),
                    format!(
                        "missed execution {} of a closed order; journaled, not booked",
                        f.exec.exec_id
                    ),
                );
                continue;
            }
            self.apply_execution(f.exec.clone(), local);
        }
        for st in &plan.states {
            if let Some(o) = self.orders.get_mut(&st.local_id) {
                if st.ack.broker_order_id.is_some() {
                    o.broker_order_id = st.ack.broker_order_id;
                }
                if st.ack.perm_id.is_some() {
                    o.perm_id = st.ack.perm_id;
                }
                if st.state.is_terminal() {
                    if st.state != OrderState::Filled || o.order.remaining().is_zero() {
                        self.finish_order(st.local_id, st.state, ts, "reconciled");
                    }
                } else if o.state.accepts(st.state) {
                    o.state = st.state;
                }
            }
        }
        for bo in &plan.external_orders {
            let id = self.by_symbol.get(&bo.instrument).copied();
            let msg = format!(
                "external order at the broker: {} {} {} ({})",
                bo.side.as_str(),
                bo.qty.get(),
                bo.instrument,
                bo.status
            );
            self.external(id, bo.instrument.clone(), msg, AlertKind::ExternalOrder);
        }
        if !plan.unresolved.is_empty() {
            let ids: Vec<String> = plan.unresolved.iter().map(ToString::to_string).collect();
            self.alert(
                AlertKind::Reconcile,
                None,
                format!(
                    "orders with unknown outcome stay pending until the broker confirms (never resubmitted): {}",
                    ids.join(", ")
                ),
            );
        }
        for a in &plan.anomalies {
            self.alert(AlertKind::Reconcile, None, a.clone());
        }
        if let Err(e) = self.journal.record_positions(ts, &snapshot.positions) {
            self.journal_failed("record_positions", &e);
        }
        self.compare_positions(&snapshot, ts);
        self.reconciled_once = true;
        self.connection = Connection::Up;
        self.rebuild_working();
        self.publish();
    }

    /// Positions at the broker that the portfolio does not hold: carried in
    /// from an earlier process at the first reconciliation (taken over, by
    /// the only strategy trading the instrument if there is one), external
    /// afterwards (per policy).
    fn compare_positions(&mut self, snapshot: &BrokerSnapshot, ts: Timestamp) {
        for line in &snapshot.positions {
            let Some(&id) = self.by_symbol.get(&line.instrument) else {
                if line.qty != 0 {
                    self.alert(
                        AlertKind::PositionMismatch,
                        Some(line.instrument.clone()),
                        format!(
                            "broker holds {} {} outside this session's instruments",
                            line.qty, line.instrument
                        ),
                    );
                }
                continue;
            };
            let diff = line.qty - self.portfolio.position(id).qty;
            if diff == 0 {
                continue;
            }
            let exec = Execution {
                exec_id: format!("position-{}-{}-{}", line.instrument, ts.nanos(), diff),
                order_ref: None,
                perm_id: None,
                ts,
                instrument: line.instrument.clone(),
                side: if diff > 0 { Side::Buy } else { Side::Sell },
                qty: Qty::new(diff.unsigned_abs()),
                price: line.avg_cost,
            };
            if !self.reconciled_once {
                let owners: Vec<usize> = (0..self.slots.len())
                    .filter(|&s| self.slots[s].instruments.contains(&id))
                    .collect();
                self.book_external(id, &exec);
                let owner = if let [s] = owners[..] {
                    self.own[s][id.index()] += diff;
                    format!("strategy {}", self.slots[s].id)
                } else {
                    "no strategy".to_string()
                };
                self.alert(
                    AlertKind::PositionMismatch,
                    Some(line.instrument.clone()),
                    format!(
                        "carried in: {} {} at {} from the broker, owned by {owner}",
                        line.qty, line.instrument, line.avg_cost
                    ),
                );
                continue;
            }
            let msg = format!(
                "broker holds {} {}, the portfolio {}",
                line.qty,
                line.instrument,
                line.qty - diff
            );
            if self.external(
                Some(id),
                line.instrument.clone(),
                msg,
                AlertKind::PositionMismatch,
            ) {
                self.book_external(id, &exec);
            }
        }
    }

    // ------------------------------------------------------------ timeouts

    async fn on_timeouts(&mut self) {
        let now_i = Instant::now();
        let due: Vec<LocalOrderId> = self
            .orders
            .iter()
            .filter(|(_, o)| o.deadline.is_some_and(|d| d <= now_i))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(o) = self.orders.get_mut(&id) else {
                continue;
            };
            o.deadline = None;
            o.replace_on_cancel = self.config.limit_policy == LimitPolicy::Marketable;
            let sym = self.instruments[o.order.intent.instrument.index()]
                .symbol
                .to_string();
            let what = match self.config.limit_policy {
                LimitPolicy::Cancel => "cancelling",
                LimitPolicy::Marketable => "cancelling, then a market order for the rest",
            };
            let msg = format!("limit order {id} on {sym} unfilled after its timeout: {what}");
            self.alert(AlertKind::LimitTimeout, Some(sym), msg);
            self.send_cancel(id).await;
        }
    }

    // ------------------------------------------------------------ shutdown

    async fn shutdown(mut self) -> SessionOutcome {
        self.stopping = true;
        // Orders the broker is known to have (acknowledged, or sent with
        // an order id); an intent never confirmed sent has nothing to cancel.
        let cancellable =
            |o: &LiveOrder| o.state == OrderState::Working || o.broker_order_id.is_some();
        if self.config.cancel_on_exit && !self.orders.is_empty() && self.broker_open {
            let ids: Vec<LocalOrderId> = self
                .orders
                .iter()
                .filter(|(_, o)| cancellable(o))
                .map(|(id, _)| *id)
                .collect();
            for id in ids {
                self.send_cancel(id).await;
            }
            let until = Instant::now() + CANCEL_GRACE;
            while self.orders.values().any(cancellable) && self.broker_open {
                match tokio::time::timeout_at(until, self.broker.events.recv()).await {
                    Ok(Some(ev)) => {
                        if let Err(e) = self.on_broker(ev).await {
                            tracing::warn!("while stopping: {e}");
                        }
                    }
                    Ok(None) => self.broker_open = false,
                    Err(_) => break,
                }
            }
        }
        let _ = self.broker.commands.send(BrokerCommand::Shutdown).await;
        let _ = self.feed.commands.send(FeedCommand::Shutdown).await;
        self.book_trades();
        self.connection = Connection::Stopped;
        self.publish();
        let outstanding: Vec<Order> = self.orders.values().map(|o| o.order.clone()).collect();
        let mut result = self.out;
        result.orders.extend(outstanding.iter().cloned());
        result.orders.sort_by_key(|o| o.id);
        result.final_marks = (0..self.instruments.len())
            .map(|i| self.portfolio.mark_of(InstrumentId(i as u32)))
            .collect();
        SessionOutcome {
            result,
            status: self.status_tx.borrow().clone(),
            alerts: self.alerts,
            adopted: self.adopted,
            outstanding,
        }
    }

    // -------------------------------------------------------------- status

    fn alert(&mut self, kind: AlertKind, instrument: Option<String>, message: String) {
        tracing::warn!(kind = ?kind, instrument = instrument.as_deref().unwrap_or(""), "{message}");
        self.alerts.push(Alert {
            ts: now(),
            kind,
            instrument,
            message,
        });
    }

    fn publish(&self) {
        let p = &self.portfolio;
        let positions = (0..self.instruments.len())
            .filter_map(|i| {
                let id = InstrumentId(i as u32);
                let pos = p.position(id);
                (pos.qty != 0).then(|| PositionStatus {
                    symbol: self.instruments[i].symbol.to_string(),
                    qty: pos.qty,
                    mark: p.mark_of(id),
                    market_value: pos.market_value(p.mark_of(id)),
                })
            })
            .collect();
        let working_orders = self
            .orders
            .iter()
            .map(|(id, o)| OrderStatusLine {
                local_id: *id,
                strategy: o.order.strategy.0.clone(),
                symbol: self.instruments[o.order.intent.instrument.index()]
                    .symbol
                    .to_string(),
                side: o.order.intent.side.as_str(),
                qty: o.order.intent.qty.get(),
                filled: o.order.filled.get(),
                order_type: o.order.intent.order_type.name(),
                state: o.state,
            })
            .collect();
        let paused = self
            .paused
            .iter()
            .map(|(id, r)| PausedInstrument {
                symbol: self.instruments[id.index()].symbol.to_string(),
                reason: r.clone(),
            })
            .collect();
        let skip = self.alerts.len().saturating_sub(MAX_ALERTS);
        let status = SessionStatus {
            mode: self.mode,
            dry_run: self.dry_run,
            connection: self.connection,
            account_type: self.account_type,
            cash: p.cash(),
            equity: p.equity(),
            day_pnl: p.equity() - self.day_start_equity,
            positions,
            working_orders,
            last_bar_time: self.last_instant,
            instants: self.instants,
            paused,
            halted: self.halted.clone(),
            kill_switch: self
                .out
                .kill_switch
                .as_ref()
                .map(|k| format!("{}: {}", k.rule.as_str(), k.reason)),
            alerts: self.alerts[skip..].to_vec(),
        };
        self.status_tx.send_replace(status);
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Runs a session on its own OS thread with a current-thread runtime, so
/// its synchronous journal writes never block the adapters' runtime.
/// Returns the thread's handle (join it for the outcome).
///
/// # Errors
/// The thread or its runtime cannot start.
pub fn spawn(
    session: Session,
    stop: oneshot::Receiver<()>,
) -> std::io::Result<std::thread::JoinHandle<Result<SessionOutcome, SessionError>>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    std::thread::Builder::new()
        .name("trade-session".into())
        .spawn(move || rt.block_on(session.run(stop)))
}
