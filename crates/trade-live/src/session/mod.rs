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

mod broker;
mod control;
mod instant;
mod orders;
mod stop;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot, watch};
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
use crate::control::Control;
use crate::status::{
    Alert, AlertKind, Connection, LimitStatus, MAX_ALERTS, Mode, OrderStatusLine, PausedInstrument,
    PausedStrategy, PositionStatus, SessionStatus,
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
    /// An operator paused all new entries (who and why).
    paused_all: Option<String>,
    /// Strategies an operator paused (who and why).
    paused_strategies: BTreeMap<usize, String>,
    /// An operator's kill switch (who and why).
    operator_kill: Option<String>,
    /// Operators' controls, once [`Session::set_controls`] gave a channel.
    controls: Option<mpsc::Receiver<Control>>,
    next_alert_id: u64,
    /// Active alerts (de-duplicated, resolvable, acknowledged, snoozed).
    alert_manager: trade_alerts::AlertManager,
    /// Where notifications go (Telegram, Discord, webhook), if anywhere.
    notifier: Option<trade_alerts::Dispatcher>,
    counters: crate::metrics::Counters,
    journal_writes: std::sync::Arc<std::sync::Mutex<crate::metrics::Histogram>>,
    bar_to_submit: crate::metrics::Histogram,
    /// When the current instant arrived (wall clock), while it runs.
    instant_started: Option<std::time::Instant>,
    /// Wall-clock arrival of each instrument's last bar.
    last_bar_wall: Vec<Option<Timestamp>>,
    /// Equity at bar closes, thinned (see [`crate::status::EQUITY_POINTS`]).
    equity_curve: Vec<(i64, f64)>,
    /// Keep every `equity_stride`-th close.
    equity_stride: u64,
    peak_equity: Money,
    max_drawdown: f64,
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
            paused_all: None,
            paused_strategies: Vec::new(),
            limits: Vec::new(),
            active_alerts: Vec::new(),
            halted: None,
            kill_switch: None,
            alerts: Vec::new(),
            counters: Default::default(),
            journal_write_seconds: Default::default(),
            bar_to_submit_seconds: Default::default(),
            feeds: Vec::new(),
            portfolio: Default::default(),
        };
        let (status_tx, status_rx) = watch::channel(status);
        let n_slots = setup.strategies.len();
        let journal_writes = std::sync::Arc::default();
        let journal: Box<dyn Journal + Send> = Box::new(crate::metrics::TimedJournal::new(
            journal,
            std::sync::Arc::clone(&journal_writes),
        ));
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
            paused_all: None,
            paused_strategies: BTreeMap::new(),
            operator_kill: None,
            controls: None,
            next_alert_id: 1,
            alert_manager: trade_alerts::AlertManager::new(),
            notifier: None,
            counters: Default::default(),
            journal_writes,
            bar_to_submit: Default::default(),
            instant_started: None,
            last_bar_wall: vec![None; n],
            equity_curve: Vec::new(),
            equity_stride: 1,
            peak_equity: cash,
            max_drawdown: 0.0,
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

    /// Takes operators' controls from `rx` (the dashboard, the notifiers);
    /// each is carried out between events and journaled.
    pub fn set_controls(&mut self, rx: mpsc::Receiver<Control>) {
        self.controls = Some(rx);
    }

    /// Sends alert notifications through `d` (routes decide which go where).
    pub fn set_notifier(&mut self, d: trade_alerts::Dispatcher) {
        self.notifier = Some(d);
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
        let mut next_check = self.config.reconcile_every.map(|d| Instant::now() + d);
        loop {
            if !feed_open && !self.broker_open {
                break;
            }
            let deadline = self.next_deadline();
            // Only when quiet: with no order working no fill can race the
            // broker's snapshot, so a difference is a trade made elsewhere.
            let quiet = self.connection == Connection::Up
                && self.orders.is_empty()
                && !self.stopping
                && self.broker_open;
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
                () = sleep_until_opt(next_check), if quiet && next_check.is_some() => {
                    tracing::debug!("periodic reconciliation");
                    self.start_reconcile().await;
                    next_check = self.config.reconcile_every.map(|d| Instant::now() + d);
                }
                c = recv_control(&mut self.controls), if self.controls.is_some() => match c {
                    Some(c) => {
                        self.drain_broker().await?;
                        self.on_control(c).await;
                    }
                    None => self.controls = None,
                },
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
}

async fn recv_control(rx: &mut Option<mpsc::Receiver<Control>>) -> Option<Control> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
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
