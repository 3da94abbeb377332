//! A scripted fake broker and feed around a session: the test holds the
//! adapter ends of the channels and plays the broker, the feed and the
//! operator.
#![allow(dead_code)]

use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use trade_core::{
    Bar, Instrument, InstrumentId, Money, OrderType, Price, Qty, Side, StrategyId, Symbol,
    TimeInForce, Timestamp,
};
use trade_engine::backtest::{BacktestSpec, StrategySlot};
use trade_engine::market_hours::MarketHours;
use trade_engine::strategy::{Context, Strategy};
use trade_journal::{Commission, Execution, Journal, LocalOrderId, SqliteJournal};
use trade_live::adapter::{
    AccountType, BrokerCommand, BrokerEvent, BrokerSnapshot, FeedCommand, FeedEvent,
    broker_channels, feed_channels,
};
use trade_live::{
    Connection, Mode, Session, SessionConfig, SessionError, SessionOutcome, SessionSetup,
    SessionStatus,
};

/// Buys `qty` whenever it holds nothing and has nothing pending: a market
/// order, or a DAY-less (GTC) limit order at `limit`.
#[derive(Debug)]
pub struct Buyer {
    pub qty: u64,
    pub limit: Option<Price>,
}

impl Strategy for Buyer {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let id = bar.instrument;
        if ctx.position(id) != 0 || ctx.pending(id) != 0 {
            return;
        }
        match self.limit {
            Some(limit) => ctx.limit(
                id,
                Side::Buy,
                Qty::new(self.qty),
                limit,
                TimeInForce::Gtc,
                "buy",
            ),
            None => ctx.submit(trade_core::OrderIntent {
                instrument: id,
                side: Side::Buy,
                qty: Qty::new(self.qty),
                order_type: OrderType::Market,
                tif: TimeInForce::Gtc,
                tag: "buy".into(),
            }),
        }
    }
}

pub const SPY: InstrumentId = InstrumentId(0);

pub fn spy() -> Instrument {
    Instrument::etf(Symbol::new("SPY").unwrap())
}

pub fn px(dollars: i64) -> Price {
    Price::from_cents(dollars * 100)
}

pub fn bar(secs: i64, price: Price) -> Bar {
    Bar {
        instrument: SPY,
        ts: Timestamp::from_secs(secs),
        open: price,
        high: price,
        low: price,
        close: price,
        volume: 1_000_000,
    }
}

pub fn config() -> SessionConfig {
    SessionConfig {
        cancel_on_exit: false,
        trade_outside_session: true,
        ..SessionConfig::default()
    }
}

pub fn spec() -> BacktestSpec {
    let mut spec = BacktestSpec::default();
    spec.risk.market_hours_only = false;
    spec
}

pub struct Harness {
    pub cmds: mpsc::Receiver<BrokerCommand>,
    pub events: mpsc::Sender<BrokerEvent>,
    pub _feed_cmds: mpsc::Receiver<FeedCommand>,
    pub feed: mpsc::Sender<FeedEvent>,
    pub status: watch::Receiver<SessionStatus>,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<Result<SessionOutcome, SessionError>>,
    pub clock: i64,
    /// Operators' controls into the session.
    pub controls: trade_live::control::ControlSender,
}

pub fn start_with(
    journal: Box<dyn Journal + Send>,
    config: SessionConfig,
    spec: BacktestSpec,
    hours: MarketHours,
    strategy: Box<dyn Strategy>,
    warmup: Vec<Vec<Bar>>,
) -> Harness {
    start_in(Mode::Live, journal, config, spec, hours, strategy, warmup)
}

/// A session in `mode` (the scripted broker plays IB unless `Mode::Paper`).
pub fn start_in(
    mode: Mode,
    journal: Box<dyn Journal + Send>,
    config: SessionConfig,
    spec: BacktestSpec,
    hours: MarketHours,
    strategy: Box<dyn Strategy>,
    warmup: Vec<Vec<Bar>>,
) -> Harness {
    let (broker, cmds, events) = broker_channels();
    let (feed_link, feed_cmds, feed) = feed_channels();
    let setup = SessionSetup {
        mode,
        dry_run: false,
        allow_live_account: false,
        spec,
        instruments: vec![spy()],
        hours,
        strategies: vec![StrategySlot {
            id: StrategyId("buyer".into()),
            instruments: vec![SPY],
            strategy,
        }],
        config,
        clock_speed: 1.0,
        warmup,
    };
    let (mut session, status) = Session::new(setup, journal, broker, feed_link).unwrap();
    let (controls, controls_rx) = trade_live::control::control_channel();
    session.set_controls(controls_rx);
    let (stop, stop_rx) = oneshot::channel();
    let task = tokio::spawn(session.run(stop_rx));
    Harness {
        cmds,
        events,
        _feed_cmds: feed_cmds,
        feed,
        status,
        stop: Some(stop),
        task,
        clock: 1000,
        controls,
    }
}

pub fn start(journal: Box<dyn Journal + Send>, config: SessionConfig, strategy: Buyer) -> Harness {
    start_with(
        journal,
        config,
        spec(),
        MarketHours::always_open(),
        Box::new(strategy),
        Vec::new(),
    )
}

pub fn exec(
    id: &str,
    order_ref: Option<&str>,
    side: Side,
    qty: u64,
    price: Price,
    secs: i64,
) -> Execution {
    Execution {
        exec_id: id.into(),
        order_ref: order_ref.map(str::to_string),
        perm_id: None,
        ts: Timestamp::from_secs(secs),
        instrument: "SPY".into(),
        side,
        qty: Qty::new(qty),
        price,
    }
}

pub fn commission(id: &str, dollars: i64) -> Commission {
    Commission {
        exec_id: id.into(),
        commission: Money::from_dollars(dollars),
        currency: "USD".into(),
        realized_pnl: None,
        ts: Timestamp::from_secs(0),
    }
}

impl Harness {
    pub async fn send(&self, ev: BrokerEvent) {
        self.events.send(ev).await.unwrap();
    }

    /// The next command, skipping account requests; fails after 5 s.
    pub async fn cmd(&mut self) -> BrokerCommand {
        tokio::time::timeout(Duration::from_secs(5), self.cmds.recv())
            .await
            .expect("a broker command within 5 s")
            .expect("command channel open")
    }

    pub fn no_cmd(&mut self) -> Option<BrokerCommand> {
        self.cmds.try_recv().ok()
    }

    pub async fn wait(&mut self, what: &str, f: impl Fn(&SessionStatus) -> bool) -> SessionStatus {
        let got = tokio::time::timeout(Duration::from_secs(5), self.status.wait_for(|s| f(s)))
            .await
            .map(|r| r.map(|s| s.clone()));
        match got {
            Ok(Ok(s)) => s,
            _ => panic!("timed out waiting for {what}: {:?}", *self.status.borrow()),
        }
    }

    /// Connects: `Connected`, the session's `Reconcile`, the given answer.
    pub async fn connect(
        &mut self,
        generation: u64,
        snapshot: BrokerSnapshot,
    ) -> Option<Timestamp> {
        self.send(BrokerEvent::Connected {
            accounts: vec!["DU1234567".into()],
            account_type: AccountType::Paper,
            generation,
        })
        .await;
        let since = match self.cmd().await {
            BrokerCommand::Reconcile { since } => since,
            other => panic!("expected Reconcile, got {other:?}"),
        };
        self.send(BrokerEvent::Reconciled(snapshot)).await;
        self.wait("reconciled", |s| s.connection == Connection::Up)
            .await;
        since
    }

    /// One instant with one SPY bar at `price`; returns once the session
    /// processed it (and every broker event sent before it).
    pub async fn instant(&mut self, price: Price) -> SessionStatus {
        self.clock += 60;
        let n = self.status.borrow().instants;
        self.feed
            .send(FeedEvent::Bar(bar(self.clock, price)))
            .await
            .unwrap();
        self.feed
            .send(FeedEvent::Instant(Timestamp::from_secs(self.clock)))
            .await
            .unwrap();
        self.wait("the instant", |s| s.instants > n).await
    }

    pub async fn place(&mut self) -> (LocalOrderId, trade_core::Order) {
        match self.cmd().await {
            BrokerCommand::Place(o) => (o.local_id, o.order),
            other => panic!("expected Place, got {other:?}"),
        }
    }

    pub async fn finish(mut self) -> SessionOutcome {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap()
    }
}

pub fn position(s: &SessionStatus) -> i64 {
    s.positions
        .iter()
        .find(|p| p.symbol == "SPY")
        .map_or(0, |p| p.qty)
}

pub fn journal_at(path: &std::path::Path) -> Box<dyn Journal + Send> {
    Box::new(SqliteJournal::open(path).unwrap())
}

pub fn mem_journal() -> Box<dyn Journal + Send> {
    Box::new(SqliteJournal::open_in_memory().unwrap())
}
