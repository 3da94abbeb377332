//! The adapter task: one connection to TWS / IB Gateway serving the
//! session's broker and feed links.
//!
//! One task owns the connection and all state (order-id floor, id maps,
//! bar aggregation, staleness), so nothing is shared or locked. Streams of
//! the current connection (order updates, notices, real-time bars) are
//! forwarded into one internal channel per connection; when the connection
//! is lost, its forwarders end with it and a new connection starts new ones.
//!
//! Connection life: connect (ibapi's own reconnect disabled: this task
//! decides when and how often) → `Connected{generation}` and every feed
//! subscription re-established → serve until a heartbeat fails, a stream
//! reports the connection lost, or IB says so (502/504) → `Down` → wait
//! with exponential backoff and jitter (commands meanwhile: orders refused
//! with `SendFailed`, nothing queued to go out later) → connect again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibapi::RateLimiter;
use ibapi::contracts::tick_types::TickType;
use ibapi::prelude::*;
use tokio::sync::{mpsc, watch};
use trade_core::{Instrument, InstrumentId, Money, Qty, Timestamp};
use trade_journal::{
    BrokerOrder, BrokerView, Commission, Execution, LocalOrderId, OrderState, PositionLine,
};
use trade_live::adapter::Quote as L1Quote;
use trade_live::adapter::{
    AccountType, AccountValues, BrokerCommand, BrokerEvent, BrokerSnapshot, FeedCommand, FeedEvent,
    LinkDown, OutboundOrder, broker_channels, feed_channels,
};
use trade_live::config::mask_account;

use crate::aggregate::{Aggregator, BarSize, FiveSecondBar};
use crate::backoff::Backoff;
use crate::circuit::{Circuit, CircuitState};
use crate::config::IbConfig;
use crate::contracts;
use crate::status::{ConnectionStatus, SubscriptionStatus};

/// What the connection's streams report to the task.
enum Internal {
    Update(Box<OrderUpdate>),
    Notice(Notice),
    Five(InstrumentId, Box<ibapi::market_data::realtime::Bar>),
    Tick(InstrumentId, Box<TickTypes>),
    Lost(String),
}

/// Why `serve` returned.
enum Ended {
    Lost(String),
    Shutdown,
}

/// The running adapter's handle: its status and its task.
#[derive(Debug)]
pub struct IbHandle {
    /// Connection, heartbeat, circuit and subscription state, updated as it changes.
    pub status: watch::Receiver<ConnectionStatus>,
    /// The adapter task; it ends after `Shutdown` on either link.
    pub task: tokio::task::JoinHandle<()>,
}

/// Why the adapter cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbError {
    /// The configuration is inconsistent.
    #[error("[live] {0}")]
    Config(String),
}

/// Starts the adapter on the current tokio runtime and returns the
/// session's links (the session subscribes its instruments on the feed). The first connection is attempted at once;
/// the links work before it succeeds (orders are refused until `Connected`).
///
/// # Errors
/// [`IbError::Config`] when the configuration cannot work.
pub fn start(
    cfg: IbConfig,
) -> Result<
    (
        trade_live::adapter::BrokerLink,
        trade_live::adapter::FeedLink,
        IbHandle,
    ),
    IbError,
> {
    let problems = cfg.problems();
    if !problems.is_empty() {
        return Err(IbError::Config(problems.join("; ")));
    }
    let size = BarSize::from_seconds(cfg.bar_seconds)
        .ok_or_else(|| IbError::Config(format!("bar size {}", cfg.bar_seconds)))?;
    let (broker_link, broker_cmds, broker_tx) = broker_channels();
    let (feed_link, feed_cmds, feed_tx) = feed_channels();
    let (status_tx, status) = watch::channel(ConnectionStatus::default());
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let adapter = Adapter {
        backoff: Backoff::new(cfg.backoff, seed),
        circuit: Circuit::new(cfg.circuit),
        next_id: cfg.min_order_id.max(1),
        size,
        cfg,
        subscribed: Vec::new(),
        broker_cmds,
        broker_tx,
        feed_cmds,
        feed_tx,
        status: status_tx,
        generation: 0,
        connected_once: false,
        by_broker_id: HashMap::new(),
        by_perm: HashMap::new(),
        aggregators: HashMap::new(),
        last_data: HashMap::new(),
        stale: HashSet::new(),
        pending: BTreeMap::new(),
        con_ids: HashMap::new(),
        quotes: HashMap::new(),
        down_reported: false,
    };
    let task = tokio::spawn(adapter.run());
    Ok((broker_link, feed_link, IbHandle { status, task }))
}

struct Adapter {
    cfg: IbConfig,
    size: BarSize,
    /// The feed's subscriptions, re-established on every connection.
    subscribed: Vec<(InstrumentId, Instrument)>,
    broker_cmds: mpsc::Receiver<BrokerCommand>,
    broker_tx: mpsc::Sender<BrokerEvent>,
    feed_cmds: mpsc::Receiver<FeedCommand>,
    feed_tx: mpsc::Sender<FeedEvent>,
    status: watch::Sender<ConnectionStatus>,
    backoff: Backoff,
    circuit: Circuit,
    /// The next order id: never below the gateway's nextValidId nor below
    /// any id this process (or, via `min_order_id`, the journal) used.
    next_id: i32,
    generation: u64,
    connected_once: bool,
    by_broker_id: HashMap<i32, LocalOrderId>,
    by_perm: HashMap<i64, LocalOrderId>,
    aggregators: HashMap<InstrumentId, Aggregator>,
    last_data: HashMap<InstrumentId, Instant>,
    stale: HashSet<InstrumentId>,
    /// Bars sent per bar time, waiting for the rest of the instant.
    pending: BTreeMap<Timestamp, (Instant, HashSet<InstrumentId>)>,
    /// Contract ids of combo legs, by instrument key.
    con_ids: HashMap<String, i32>,
    /// The latest level-1 quote per instrument.
    quotes: HashMap<InstrumentId, L1Quote>,
    down_reported: bool,
}

fn now_ts() -> Timestamp {
    Timestamp::from_jiff(jiff::Timestamp::now()).unwrap_or_default()
}

impl Adapter {
    async fn run(mut self) {
        loop {
            let ended = match self.connect().await {
                Ok((client, notices)) => {
                    self.backoff.reset();
                    self.serve(Arc::new(client), notices).await
                }
                Err(reason) => {
                    self.circuit.failure(Instant::now(), &reason);
                    self.report_down(LinkDown::Disconnected(reason)).await;
                    Ended::Lost(String::new())
                }
            };
            if matches!(ended, Ended::Shutdown) {
                break;
            }
            if let Ended::Lost(reason) = ended
                && !reason.is_empty()
            {
                self.circuit.failure(Instant::now(), &reason);
                self.report_down(LinkDown::Disconnected(reason)).await;
            }
            let delay = self.backoff.next_delay();
            self.update_status(|s| {
                s.connected = false;
                s.retry_in_ms = Some(delay.as_millis() as u64);
            });
            if self.wait_down(delay).await {
                break;
            }
        }
        self.update_status(|s| s.connected = false);
        tracing::info!("IB adapter stopped");
    }

    async fn report_down(&mut self, why: LinkDown) {
        self.update_status(|s| {
            s.connected = false;
            s.last_error = Some(format!("{why:?}"));
        });
        if !self.down_reported {
            self.down_reported = true;
            tracing::warn!(reason = ?why, "IB connection down");
            let _ = self.broker_tx.send(BrokerEvent::Down(why.clone())).await;
            let _ = self.feed_tx.send(FeedEvent::Down(why)).await;
        }
    }

    fn update_status(&self, f: impl FnOnce(&mut ConnectionStatus)) {
        self.status.send_modify(|s| {
            f(s);
            s.circuit = self.circuit.state();
            s.circuit_reason = self.circuit.reason().to_string();
            s.next_order_id = self.next_id;
        });
    }

    async fn connect(&mut self) -> Result<(Client, NoticeStream), String> {
        let address = format!("{}:{}", self.cfg.host, self.cfg.port);
        let attempt = Client::builder()
            .address(address.as_str())
            .client_id(self.cfg.client_id)
            .tcp_no_delay(true)
            .max_reconnect_attempts(0)
            .rate_limiter(RateLimiter::per_second(self.cfg.messages_per_second))
            .one_shot_timeout(self.cfg.heartbeat_timeout * 2)
            .connect_with_notice_stream();
        match tokio::time::timeout(Duration::from_secs(10), attempt).await {
            Ok(Ok(pair)) => Ok(pair),
            Ok(Err(e)) => Err(format!(
                "connecting to {address} as client {}: {e}",
                self.cfg.client_id
            )),
            Err(_) => Err(format!("connecting to {address}: no handshake within 10 s")),
        }
    }

    /// Waits `delay` while the connection is down, refusing orders; true
    /// when a shutdown came in.
    async fn wait_down(&mut self, delay: Duration) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return false,
                cmd = self.broker_cmds.recv() => match cmd {
                    None | Some(BrokerCommand::Shutdown) => return true,
                    Some(BrokerCommand::Place(o)) => {
                        let _ = self.broker_tx.send(BrokerEvent::SendFailed {
                            local_id: o.local_id,
                            reason: "not connected to Interactive Brokers".into(),
                        }).await;
                    }
                    Some(other) => tracing::debug!(?other, "command while disconnected: answered after the reconnect's reconciliation"),
                },
                cmd = self.feed_cmds.recv() => match cmd {
                    None | Some(FeedCommand::Shutdown) => return true,
                    Some(FeedCommand::Subscribe(list)) => self.add_subscriptions(list),
                },
            }
        }
    }

    fn add_subscriptions(&mut self, list: Vec<(InstrumentId, Instrument)>) {
        for (id, ins) in list {
            if !self.subscribed.iter().any(|(i, _)| *i == id) {
                self.aggregators.insert(id, Aggregator::new(id, self.size));
                self.subscribed.push((id, ins));
            }
        }
    }

    /// One instrument's subscriptions on this connection: real-time bars
    /// and level-1 quotes.
    fn spawn_market_data(
        &self,
        client: &Arc<Client>,
        tx: &mpsc::Sender<Internal>,
        id: InstrumentId,
        ins: &Instrument,
    ) {
        self.spawn_bars(client, tx, id, ins);
        // Priority is the subscription order: the first instruments stream.
        let index = self
            .subscribed
            .iter()
            .position(|(i, _)| *i == id)
            .unwrap_or(usize::MAX);
        if index < self.cfg.lines.usable() {
            self.spawn_quotes(client, tx, id, ins);
        } else {
            self.spawn_quote_polls(client, tx, id, ins);
        }
    }

    /// Level-1 quotes of an instrument beyond the line budget: a snapshot
    /// (which holds no line) every `quote_poll`, until the connection or
    /// the adapter goes.
    fn spawn_quote_polls(
        &self,
        client: &Arc<Client>,
        tx: &mpsc::Sender<Internal>,
        id: InstrumentId,
        ins: &Instrument,
    ) {
        let client = client.clone();
        let tx = tx.clone();
        let contract = contracts::contract(ins);
        let symbol = ins.symbol.to_string();
        let every = self.cfg.quote_poll;
        tracing::info!(%symbol, every_ms = every.as_millis() as u64, "beyond the market-data line budget: quotes polled");
        tokio::spawn(async move {
            loop {
                let mut ticks = match client.market_data(&contract).snapshot().subscribe().await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(%symbol, error = %e, "quote snapshot refused; polling stops with this connection");
                        return;
                    }
                };
                while let Some(item) = ticks.next().await {
                    match item {
                        // The snapshot is complete: wait for the next one.
                        Ok(SubscriptionItem::Data(TickTypes::SnapshotEnd)) => break,
                        Ok(SubscriptionItem::Data(t)) => {
                            if tx.send(Internal::Tick(id, Box::new(t))).await.is_err() {
                                return;
                            }
                        }
                        Ok(SubscriptionItem::Notice(n)) => {
                            let _ = tx.send(Internal::Notice(n)).await;
                        }
                        Err(_) => return,
                    }
                }
                tokio::time::sleep(every).await;
                if tx.is_closed() {
                    return;
                }
            }
        });
    }

    /// Level-1 quotes (bid, ask, last) of one instrument, streamed.
    fn spawn_quotes(
        &self,
        client: &Arc<Client>,
        tx: &mpsc::Sender<Internal>,
        id: InstrumentId,
        ins: &Instrument,
    ) {
        let client = client.clone();
        let tx = tx.clone();
        let contract = contracts::contract(ins);
        let symbol = ins.symbol.to_string();
        tokio::spawn(async move {
            let mut ticks = match client.market_data(&contract).subscribe().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(%symbol, error = %e, "L1 quotes not available");
                    return;
                }
            };
            while let Some(item) = ticks.next().await {
                match item {
                    Ok(SubscriptionItem::Data(t)) => {
                        if tx.send(Internal::Tick(id, Box::new(t))).await.is_err() {
                            return;
                        }
                    }
                    Ok(SubscriptionItem::Notice(n)) => {
                        let _ = tx.send(Internal::Notice(n)).await;
                    }
                    // The bars' stream reports a lost connection; quotes just end.
                    Err(_) => return,
                }
            }
        });
    }

    fn spawn_bars(
        &self,
        client: &Arc<Client>,
        tx: &mpsc::Sender<Internal>,
        id: InstrumentId,
        ins: &Instrument,
    ) {
        let client = client.clone();
        let tx = tx.clone();
        let contract = contracts::contract(ins);
        let symbol = ins.symbol.to_string();
        tokio::spawn(async move {
            let mut bars = match client.realtime_bars(&contract).subscribe().await {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx
                        .send(Internal::Lost(format!("real-time bars of {symbol}: {e}")))
                        .await;
                    return;
                }
            };
            while let Some(item) = bars.next().await {
                match item {
                    Ok(SubscriptionItem::Data(b)) => {
                        if tx.send(Internal::Five(id, Box::new(b))).await.is_err() {
                            return;
                        }
                    }
                    Ok(SubscriptionItem::Notice(n)) => {
                        let _ = tx.send(Internal::Notice(n)).await;
                    }
                    Err(e) => {
                        let _ = tx
                            .send(Internal::Lost(format!("real-time bars of {symbol}: {e}")))
                            .await;
                        return;
                    }
                }
            }
        });
    }

    async fn serve(&mut self, client: Arc<Client>, mut notices: NoticeStream) -> Ended {
        if self.connected_once {
            self.generation += 1;
        }
        self.connected_once = true;
        self.down_reported = false;
        // Never below the gateway's nextValidId, never below an id used before.
        let gateway_next = client.next_order_id();
        self.next_id = self.next_id.max(gateway_next);
        let accounts: Vec<String> = client.handshake_managed_accounts().to_vec();
        let account = self
            .cfg
            .account
            .clone()
            .or_else(|| accounts.first().cloned())
            .unwrap_or_default();
        let account_type = AccountType::of_ib_account(&account);
        tracing::info!(
            generation = self.generation,
            server_version = client.server_version(),
            next_order_id = self.next_id,
            gateway_next_valid_id = gateway_next,
            account = %mask_account(&account),
            "connected to Interactive Brokers"
        );
        let (tx, mut internal) = mpsc::channel::<Internal>(4096);
        // Order updates for every order of this client, including fills of
        // orders placed before a reconnect.
        {
            let client = client.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut updates = match client.order_update_stream().await {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Internal::Lost(format!("order updates: {e}"))).await;
                        return;
                    }
                };
                while let Some(item) = updates.next().await {
                    let msg = match item {
                        Ok(SubscriptionItem::Data(u)) => Internal::Update(Box::new(u)),
                        Ok(SubscriptionItem::Notice(n)) => Internal::Notice(n),
                        Err(e) => Internal::Lost(format!("order updates: {e}")),
                    };
                    let lost = matches!(msg, Internal::Lost(_));
                    if tx.send(msg).await.is_err() || lost {
                        return;
                    }
                }
                let _ = tx
                    .send(Internal::Lost("order update stream ended".into()))
                    .await;
            });
        }
        {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(n) = notices.next().await {
                    if tx.send(Internal::Notice(n)).await.is_err() {
                        return;
                    }
                }
            });
        }
        for (id, ins) in self.subscribed.clone() {
            self.spawn_market_data(&client, &tx, id, &ins);
        }
        self.update_status(|s| {
            s.connected = true;
            s.generation = self.generation;
            s.reconnects = self.generation;
            s.retry_in_ms = None;
            s.account_type = Some(account_type);
            s.last_heartbeat = Some(now_ts());
        });
        let _ = self
            .broker_tx
            .send(BrokerEvent::Connected {
                accounts: accounts.iter().map(|a| mask_account(a)).collect(),
                account_type,
                generation: self.generation,
            })
            .await;
        let _ = self.feed_tx.send(FeedEvent::Up).await;
        let mut heartbeat = tokio::time::interval(self.cfg.heartbeat);
        heartbeat.tick().await;
        let mut checks = tokio::time::interval(Duration::from_millis(500));
        let ended = loop {
            tokio::select! {
                cmd = self.broker_cmds.recv() => match cmd {
                    None | Some(BrokerCommand::Shutdown) => break Ended::Shutdown,
                    Some(cmd) => if let Some(lost) = self.command(&client, cmd).await {
                        break Ended::Lost(lost);
                    },
                },
                cmd = self.feed_cmds.recv() => match cmd {
                    None | Some(FeedCommand::Shutdown) => break Ended::Shutdown,
                    Some(FeedCommand::Subscribe(list)) => {
                        let before = self.subscribed.len();
                        self.add_subscriptions(list);
                        for (id, ins) in &self.subscribed[before..] {
                            self.spawn_market_data(&client, &tx, *id, ins);
                        }
                        let _ = self.feed_tx.send(FeedEvent::Up).await;
                    }
                },
                Some(msg) = internal.recv() => match msg {
                    Internal::Lost(reason) => break Ended::Lost(reason),
                    Internal::Update(u) => self.update(*u).await,
                    Internal::Notice(n) => if let Some(lost) = self.notice(&client, &tx, n).await {
                        break Ended::Lost(lost);
                    },
                    Internal::Five(id, b) => self.five(id, &b).await,
                    Internal::Tick(id, t) => self.tick(id, *t).await,
                },
                _ = heartbeat.tick() => {
                    match tokio::time::timeout(self.cfg.heartbeat_timeout, client.server_time()).await {
                        Ok(Ok(_)) => {
                            self.circuit.healthy(Instant::now());
                            self.update_status(|s| s.last_heartbeat = Some(now_ts()));
                        }
                        Ok(Err(e)) => break Ended::Lost(format!("heartbeat: {e}")),
                        Err(_) => break Ended::Lost(format!(
                            "heartbeat: no answer within {} ms",
                            self.cfg.heartbeat_timeout.as_millis()
                        )),
                    }
                },
                _ = checks.tick() => {
                    self.check_staleness().await;
                    self.flush_instants(false).await;
                },
            }
        };
        // Bars decided before the loss still make their instant.
        self.flush_instants(true).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), client.disconnect()).await;
        ended
    }

    /// Handles one session command; `Some(reason)` when the connection turned
    /// out to be lost.
    async fn command(&mut self, client: &Arc<Client>, cmd: BrokerCommand) -> Option<String> {
        match cmd {
            BrokerCommand::Place(o) => self.place(client, *o).await,
            BrokerCommand::Cancel {
                local_id,
                broker_order_id,
            } => {
                let id = broker_order_id
                    .and_then(|b| i32::try_from(b).ok())
                    .or_else(|| {
                        self.by_broker_id
                            .iter()
                            .find(|(_, l)| **l == local_id)
                            .map(|(b, _)| *b)
                    });
                match id {
                    Some(id) => {
                        if let Err(e) = client.cancel_order(id, "").await {
                            let _ = self
                                .broker_tx
                                .send(BrokerEvent::Notice {
                                    code: 0,
                                    request_id: Some(i64::from(id)),
                                    message: format!("cancel of order {local_id} not sent: {e}"),
                                })
                                .await;
                        }
                    }
                    None => {
                        let _ = self
                            .broker_tx
                            .send(BrokerEvent::Notice {
                                code: 0,
                                request_id: None,
                                message: format!("cancel of order {local_id}: no broker id known"),
                            })
                            .await;
                    }
                }
                None
            }
            BrokerCommand::Reconcile { since } => match self.reconcile(client, since).await {
                Ok(snapshot) => {
                    let _ = self.broker_tx.send(BrokerEvent::Reconciled(snapshot)).await;
                    None
                }
                Err(e) => Some(format!("reconciliation: {e}")),
            },
            BrokerCommand::RequestAccount => {
                match self.account(client).await {
                    Ok(v) => {
                        let _ = self.broker_tx.send(BrokerEvent::Account(v)).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "account summary"),
                }
                None
            }
            BrokerCommand::Shutdown => None,
        }
    }

    async fn place(&mut self, client: &Arc<Client>, o: OutboundOrder) -> Option<String> {
        let local_id = o.local_id;
        if self.circuit.state() == CircuitState::Open {
            let reason = format!("circuit breaker open: {}", self.circuit.reason());
            let _ = self
                .broker_tx
                .send(BrokerEvent::SendFailed { local_id, reason })
                .await;
            return None;
        }
        let contract = if o.legs.is_empty() {
            contracts::contract(&o.instrument)
        } else {
            let mut legs = Vec::with_capacity(o.legs.len());
            for leg in &o.legs {
                match self.con_id(client, &leg.instrument).await {
                    Ok(id) => legs.push((id, leg.ratio)),
                    Err(reason) => {
                        let _ = self
                            .broker_tx
                            .send(BrokerEvent::SendFailed { local_id, reason })
                            .await;
                        return None;
                    }
                }
            }
            contracts::bag(o.instrument.symbol.as_str(), &legs)
        };
        let order = contracts::order(&o, self.cfg.account.as_deref());
        let id = self.next_id;
        self.next_id += 1;
        match client.submit_order(id, &contract, &order).await {
            Ok(()) => {
                self.by_broker_id.insert(id, local_id);
                self.update_status(|_| {});
                let _ = self
                    .broker_tx
                    .send(BrokerEvent::Sent {
                        local_id,
                        broker_order_id: i64::from(id),
                        ts: now_ts(),
                    })
                    .await;
                None
            }
            Err(e) => {
                let lost = e.is_connection_lost();
                let reason = format!("order {local_id} (id {id}) not sent: {e}");
                self.circuit.failure(Instant::now(), &reason);
                let _ = self
                    .broker_tx
                    .send(BrokerEvent::SendFailed {
                        local_id,
                        reason: reason.clone(),
                    })
                    .await;
                lost.then_some(reason)
            }
        }
    }

    /// The contract id of a combo leg (looked up once per connection life).
    async fn con_id(&mut self, client: &Arc<Client>, ins: &Instrument) -> Result<i32, String> {
        let key = ins.symbol.to_string();
        if let Some(id) = self.con_ids.get(&key) {
            return Ok(*id);
        }
        let details = client
            .contract_details(&contracts::contract(ins))
            .await
            .map_err(|e| format!("contract details of {key}: {e}"))?;
        let id = details
            .first()
            .map(|d| d.contract.contract_id)
            .filter(|id| *id > 0)
            .ok_or_else(|| format!("contract details of {key}: no such contract"))?;
        self.con_ids.insert(key, id);
        Ok(id)
    }

    fn ours(&self, order_ref: &str) -> Option<LocalOrderId> {
        LocalOrderId::from_order_ref(order_ref)
    }

    async fn update(&mut self, u: OrderUpdate) {
        let event = match u {
            OrderUpdate::OpenOrder(d) => match self.ours(&d.order.order_ref) {
                Some(local) => {
                    self.by_broker_id.insert(d.order_id, local);
                    if d.order.perm_id != 0 {
                        self.by_perm.insert(d.order.perm_id, local);
                    }
                    None
                }
                None => broker_order(&d, None).map(BrokerEvent::ExternalOrder).ok(),
            },
            OrderUpdate::OrderStatus(s) => {
                let local = self
                    .by_broker_id
                    .get(&s.order_id)
                    .or_else(|| self.by_perm.get(&s.perm_id))
                    .copied();
                match local {
                    Some(local_id) => Some(self.status_event(local_id, &s)),
                    None => {
                        tracing::debug!(
                            order_id = s.order_id,
                            perm_id = s.perm_id,
                            status = s.status.as_str(),
                            "status of an order not placed by this session"
                        );
                        None
                    }
                }
            }
            OrderUpdate::ExecutionData(e) => match execution(&e) {
                Ok(Some(x)) => Some(BrokerEvent::Execution(x)),
                Ok(None) => None,
                Err(problem) => Some(malformed(&problem)),
            },
            OrderUpdate::CommissionReport(c) => match commission(&c) {
                Ok(x) => Some(BrokerEvent::Commission(x)),
                Err(problem) => Some(malformed(&problem)),
            },
            OrderUpdate::OrderBound(_) => None,
        };
        if let Some(e) = event {
            let _ = self.broker_tx.send(e).await;
        }
    }

    fn status_event(&self, local_id: LocalOrderId, s: &ibapi::orders::OrderStatus) -> BrokerEvent {
        let text = s.status.as_str().to_string();
        let Some(state) = OrderState::from_ib_status(&text) else {
            return malformed(&format!("order {local_id}: unknown IB status {text:?}"));
        };
        let filled = match contracts::quantity("orderStatus.filled", s.filled) {
            Ok(q) => q,
            Err(e) => return malformed(&format!("order {local_id}: {e}")),
        };
        let detail = if s.why_held.is_empty() {
            text
        } else {
            format!("{text} ({})", s.why_held)
        };
        BrokerEvent::Status {
            local_id,
            broker_order_id: Some(i64::from(s.order_id)),
            perm_id: (s.perm_id != 0).then_some(s.perm_id),
            state,
            filled,
            avg_price: s
                .average_fill_price
                .and_then(|p| contracts::price("orderStatus.avgFillPrice", p).ok()),
            detail,
            ts: now_ts(),
        }
    }

    /// Handles a notice; `Some(reason)` when it means the connection is gone.
    async fn notice(
        &mut self,
        client: &Arc<Client>,
        tx: &mpsc::Sender<Internal>,
        n: Notice,
    ) -> Option<String> {
        match n.code {
            1100 => {
                tracing::warn!(code = n.code, "IB lost its connection to IB's servers");
                let _ = self
                    .broker_tx
                    .send(BrokerEvent::Down(LinkDown::UpstreamLost))
                    .await;
                let _ = self
                    .feed_tx
                    .send(FeedEvent::Down(LinkDown::UpstreamLost))
                    .await;
                None
            }
            1101 | 1102 => {
                let data_lost = n.code == 1101;
                tracing::info!(
                    code = n.code,
                    data_lost,
                    "IB restored its connection to IB's servers"
                );
                if data_lost {
                    for (id, ins) in self.subscribed.clone() {
                        self.spawn_market_data(client, tx, id, &ins);
                    }
                }
                let _ = self
                    .broker_tx
                    .send(BrokerEvent::Restored { data_lost })
                    .await;
                let _ = self.feed_tx.send(FeedEvent::Up).await;
                None
            }
            502 | 504 => Some(format!("{} {}", n.code, n.message)),
            2103 | 2105 | 2157 => {
                tracing::warn!(code = n.code, message = %n.message, "IB data farm connection broken");
                None
            }
            2104 | 2106 | 2158 | 2107 | 2108 => {
                tracing::debug!(code = n.code, message = %n.message, "IB data farm status");
                None
            }
            _ => {
                let _ = self
                    .broker_tx
                    .send(BrokerEvent::Notice {
                        code: n.code,
                        request_id: n.request_id.map(i64::from),
                        message: n.message,
                    })
                    .await;
                None
            }
        }
    }

    async fn five(&mut self, id: InstrumentId, b: &ibapi::market_data::realtime::Bar) {
        let start = Timestamp::from_secs(b.date.unix_timestamp());
        let Some(agg) = self.aggregators.get_mut(&id) else {
            return;
        };
        let five = FiveSecondBar {
            start,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            volume: b.volume,
        };
        self.last_data.insert(id, Instant::now());
        if self.stale.remove(&id) {
            let _ = self.feed_tx.send(FeedEvent::Fresh(id)).await;
        }
        match agg.push(five) {
            Ok(bars) => {
                for bar in bars {
                    let entry = self
                        .pending
                        .entry(bar.ts)
                        .or_insert_with(|| (Instant::now(), HashSet::new()));
                    entry.1.insert(id);
                    let _ = self.feed_tx.send(FeedEvent::Bar(bar)).await;
                }
                self.flush_instants(false).await;
            }
            Err(e) => tracing::warn!(instrument = id.0, error = %e, "5-second bar not used"),
        }
        self.update_status(|s| {
            let key = id.0;
            match s.subscriptions.iter_mut().find(|x| x.instrument_id == key) {
                Some(x) => {
                    x.last_data = Some(now_ts());
                    x.stale = false;
                }
                None => s.subscriptions.push(SubscriptionStatus {
                    instrument_id: key,
                    last_data: Some(now_ts()),
                    stale: false,
                }),
            }
        });
    }

    /// A level-1 tick: updates the instrument's quote and sends it. IB's
    /// "no data" (-1) and any NaN, zero or negative price are dropped.
    async fn tick(&mut self, id: InstrumentId, t: TickTypes) {
        let (kind, px) = match &t {
            TickTypes::Price(p) => (p.tick_type, p.price),
            TickTypes::PriceSize(p) => (p.price_tick_type, p.price),
            _ => return,
        };
        let Ok(price) = contracts::price("tick.price", px) else {
            return;
        };
        let q = self.quotes.entry(id).or_insert(L1Quote {
            instrument: id,
            bid: None,
            ask: None,
            last: None,
            ts: now_ts(),
        });
        match kind {
            TickType::Bid | TickType::DelayedBid => q.bid = Some(price),
            TickType::Ask | TickType::DelayedAsk => q.ask = Some(price),
            TickType::Last | TickType::DelayedLast => q.last = Some(price),
            _ => return,
        }
        q.ts = now_ts();
        let quote = *q;
        self.last_data.insert(id, Instant::now());
        let _ = self.feed_tx.send(FeedEvent::Quote(quote)).await;
    }

    /// Sends `Instant(t)` for every bar time whose instruments all
    /// delivered, or whose grace ran out (`all`: every pending one, in order).
    async fn flush_instants(&mut self, all: bool) {
        let want = self.subscribed.len();
        while let Some((&t, (first, got))) = self.pending.iter().next() {
            let complete = got.len() >= want;
            if !(all || complete || first.elapsed() >= self.cfg.instant_grace) {
                break;
            }
            self.pending.remove(&t);
            let _ = self.feed_tx.send(FeedEvent::Instant(t)).await;
        }
    }

    async fn check_staleness(&mut self) {
        if self.cfg.stale_in_session_only && trade_calendar::Nyse.session_at(now_ts()).is_none() {
            return;
        }
        for (id, _) in self.subscribed.clone() {
            let since = *self.last_data.entry(id).or_insert_with(Instant::now);
            let silent = since.elapsed();
            if silent >= self.cfg.stale_after && self.stale.insert(id) {
                tracing::warn!(
                    instrument = id.0,
                    silent_ms = silent.as_millis() as u64,
                    "market data stale"
                );
                let _ = self
                    .feed_tx
                    .send(FeedEvent::Stale {
                        instrument: id,
                        silent_for: silent,
                    })
                    .await;
                self.update_status(|s| {
                    if let Some(x) = s.subscriptions.iter_mut().find(|x| x.instrument_id == id.0) {
                        x.stale = true;
                    }
                });
            }
        }
    }

    async fn reconcile(
        &mut self,
        client: &Arc<Client>,
        since: Option<Timestamp>,
    ) -> Result<BrokerSnapshot, String> {
        let limit = Duration::from_secs(15);
        let mut view = BrokerView::default();
        let mut statuses: HashMap<i32, f64> = HashMap::new();
        let mut open = tokio::time::timeout(limit, client.all_open_orders())
            .await
            .map_err(|_| "open orders: timed out".to_string())?
            .map_err(|e| format!("open orders: {e}"))?;
        let mut open_data = Vec::new();
        while let Some(item) = tokio::time::timeout(limit, open.next())
            .await
            .map_err(|_| "open orders: timed out".to_string())?
        {
            match item {
                Ok(SubscriptionItem::Data(Orders::OrderData(d))) => open_data.push(d),
                Ok(SubscriptionItem::Data(Orders::OrderStatus(s))) => {
                    statuses.insert(s.order_id, s.filled);
                }
                Ok(SubscriptionItem::Notice(_)) => {}
                Err(e) => return Err(format!("open orders: {e}")),
            }
        }
        for d in &open_data {
            if let Some(local) = self.ours(&d.order.order_ref) {
                self.by_broker_id.insert(d.order_id, local);
                if d.order.perm_id != 0 {
                    self.by_perm.insert(d.order.perm_id, local);
                }
            }
            match broker_order(d, statuses.get(&d.order_id).copied()) {
                Ok(o) => view.open_orders.push(o),
                Err(e) => tracing::warn!(error = %e, "open order skipped"),
            }
        }
        let mut completed = tokio::time::timeout(limit, client.completed_orders(false))
            .await
            .map_err(|_| "completed orders: timed out".to_string())?
            .map_err(|e| format!("completed orders: {e}"))?;
        while let Some(item) = tokio::time::timeout(limit, completed.next())
            .await
            .map_err(|_| "completed orders: timed out".to_string())?
        {
            match item {
                Ok(SubscriptionItem::Data(Orders::OrderData(d))) => match broker_order(&d, None) {
                    Ok(o) => view.completed_orders.push(o),
                    Err(e) => tracing::warn!(error = %e, "completed order skipped"),
                },
                Ok(_) => {}
                Err(e) => return Err(format!("completed orders: {e}")),
            }
        }
        let filter = ExecutionFilter {
            time: since
                .map(|t| t.to_jiff().strftime("%Y%m%d-%H:%M:%S").to_string())
                .unwrap_or_default(),
            ..Default::default()
        };
        let mut execs = tokio::time::timeout(limit, client.executions(filter))
            .await
            .map_err(|_| "executions: timed out".to_string())?
            .map_err(|e| format!("executions: {e}"))?;
        while let Some(item) = tokio::time::timeout(limit, execs.next())
            .await
            .map_err(|_| "executions: timed out".to_string())?
        {
            match item {
                Ok(SubscriptionItem::Data(ibapi::orders::Executions::ExecutionData(e))) => {
                    match execution(&e) {
                        Ok(Some(x)) => view.executions.push(x),
                        Ok(None) => {}
                        Err(problem) => tracing::warn!(%problem, "execution skipped"),
                    }
                }
                Ok(SubscriptionItem::Data(ibapi::orders::Executions::CommissionReport(c))) => {
                    if let Ok(x) = commission(&c) {
                        let _ = self.broker_tx.send(BrokerEvent::Commission(x)).await;
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(format!("executions: {e}")),
            }
        }
        let mut positions = Vec::new();
        let mut stream = tokio::time::timeout(limit, client.positions())
            .await
            .map_err(|_| "positions: timed out".to_string())?
            .map_err(|e| format!("positions: {e}"))?;
        while let Some(item) = tokio::time::timeout(limit, stream.next())
            .await
            .map_err(|_| "positions: timed out".to_string())?
        {
            match item {
                Ok(SubscriptionItem::Data(PositionUpdate::Position(p))) => {
                    if self.cfg.account.as_deref().is_some_and(|a| a != p.account) {
                        continue;
                    }
                    match position_line(&p) {
                        Ok(line) => positions.push(line),
                        Err(problem) => tracing::warn!(%problem, "position skipped"),
                    }
                }
                Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd)) => break,
                Ok(SubscriptionItem::Notice(_)) => {}
                Err(e) => return Err(format!("positions: {e}")),
            }
        }
        Ok(BrokerSnapshot { view, positions })
    }

    async fn account(&self, client: &Arc<Client>) -> Result<AccountValues, String> {
        let tags = ["TotalCashValue", "BuyingPower", "NetLiquidation"];
        let mut sub = client
            .account_summary(&AccountGroup::from("All"), &tags)
            .await
            .map_err(|e| e.to_string())?;
        let mut values: HashMap<String, Money> = HashMap::new();
        let limit = Duration::from_secs(10);
        while let Some(item) = tokio::time::timeout(limit, sub.next())
            .await
            .map_err(|_| "timed out".to_string())?
        {
            match item {
                Ok(SubscriptionItem::Data(AccountSummaryResult::Summary(s))) => {
                    if self.cfg.account.as_deref().is_some_and(|a| a != s.account) {
                        continue;
                    }
                    if let Ok(m) = s.value.parse::<Money>() {
                        values.insert(s.tag.clone(), m);
                    }
                }
                Ok(SubscriptionItem::Data(AccountSummaryResult::End)) => break,
                Ok(SubscriptionItem::Notice(_)) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        let get = |t: &str| {
            values
                .get(t)
                .copied()
                .ok_or_else(|| format!("account summary has no {t}"))
        };
        Ok(AccountValues {
            cash: get("TotalCashValue")?,
            buying_power: get("BuyingPower")?,
            net_liquidation: get("NetLiquidation")?,
        })
    }
}

fn malformed(problem: &str) -> BrokerEvent {
    tracing::warn!(%problem, "malformed broker message ignored");
    BrokerEvent::Notice {
        code: -1,
        request_id: None,
        message: format!("malformed broker message ignored: {problem}"),
    }
}

/// An execution in our terms; `None` for the BAG line of a combination
/// (its legs are reported one by one).
fn execution(e: &ibapi::orders::ExecutionData) -> Result<Option<Execution>, String> {
    if e.contract.security_type == SecurityType::Spread {
        return Ok(None);
    }
    let x = &e.execution;
    if x.execution_id.is_empty() {
        return Err("execution without an execId".into());
    }
    fn map<T>(id: &str, r: Result<T, contracts::BadField>) -> Result<T, String> {
        r.map_err(|b| format!("execution {id}: {b}"))
    }
    let id = x.execution_id.as_str();
    let qty = map(id, contracts::quantity("execution.shares", x.shares))?;
    if qty.is_zero() {
        return Err(format!("execution {id}: zero shares"));
    }
    Ok(Some(Execution {
        exec_id: x.execution_id.clone(),
        order_ref: (!x.order_reference.is_empty()).then(|| x.order_reference.clone()),
        perm_id: (x.perm_id != 0).then_some(x.perm_id),
        ts: contracts::execution_time(&x.time).unwrap_or_else(now_ts),
        instrument: map(id, contracts::instrument_key(&e.contract))?,
        side: contracts::side(&x.side),
        qty,
        price: map(id, contracts::price("execution.price", x.price))?,
    }))
}

fn commission(c: &ibapi::orders::CommissionReport) -> Result<Commission, String> {
    if c.execution_id.is_empty() {
        return Err("commission report without an execId".into());
    }
    let amount = Money::from_f64(c.commission)
        .filter(|_| c.commission.is_finite() && c.commission >= 0.0)
        .ok_or_else(|| format!("commission {} of {}", c.commission, c.execution_id))?;
    Ok(Commission {
        exec_id: c.execution_id.clone(),
        commission: amount,
        currency: c.currency.clone(),
        // IB sends Double.MAX_VALUE for "no realized P&L".
        realized_pnl: c
            .realized_pnl
            .filter(|p| p.is_finite() && p.abs() < 1e300)
            .and_then(Money::from_f64),
        ts: now_ts(),
    })
}

fn broker_order(d: &ibapi::orders::OrderData, filled: Option<f64>) -> Result<BrokerOrder, String> {
    let qty = contracts::quantity("order.totalQuantity", d.order.total_quantity)
        .map_err(|e| e.to_string())?;
    let filled = match filled {
        Some(f) => contracts::quantity("orderStatus.filled", f).map_err(|e| e.to_string())?,
        None => Qty::ZERO,
    };
    Ok(BrokerOrder {
        order_ref: (!d.order.order_ref.is_empty()).then(|| d.order.order_ref.clone()),
        // Completed orders carry no API order id (IB sends -1 or 0).
        broker_order_id: (d.order_id > 0).then_some(i64::from(d.order_id)),
        perm_id: (d.order.perm_id > 0).then_some(d.order.perm_id),
        status: d.order_state.status.as_str().to_string(),
        instrument: contracts::instrument_key(&d.contract).map_err(|e| e.to_string())?,
        side: contracts::action_side(&d.order.action),
        qty,
        filled,
    })
}

fn position_line(p: &ibapi::accounts::Position) -> Result<PositionLine, String> {
    if !p.position.is_finite() || p.position.fract() != 0.0 {
        return Err(format!("position {} is not a whole number", p.position));
    }
    Ok(PositionLine {
        instrument: contracts::instrument_key(&p.contract).map_err(|e| e.to_string())?,
        qty: p.position as i64,
        avg_cost: trade_core::Price::from_f64(p.average_cost)
            .filter(|_| p.average_cost.is_finite())
            .ok_or_else(|| format!("average cost {}", p.average_cost))?,
    })
}
