//! The paper broker: an adapter task that fills orders with the backtest's
//! own [`SimBroker`](trade_engine::broker::SimBroker) (fill model, slippage, volume cap, commissions, buying
//! power) against the bars the feed delivers, and reports like a real
//! broker: `Connected`, `Sent`, `Status`, `Execution`, `Commission`,
//! `Reconciled`, `Account`.
//!
//! It sits between the feed and the session (a tee): it reads the feed's
//! events, fills its working orders on each instant's bars (orders that
//! reduce a position first, across instruments, as the backtest does),
//! sends the resulting broker events, and only then forwards the bars and
//! the `Instant` to the session. The session drains queued broker events
//! before it handles a feed event, so it books an instant's fills before it
//! runs that instant's strategies — the backtest's order, over channels.
//! Commands are always taken before feed events, so an order placed at one
//! close is working before the next bar is matched.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use trade_core::{Bar, ClientOrderId, Instrument, Order, OrderStatus, Portfolio, Price, Timestamp};
use trade_engine::backtest::BacktestSpec;
use trade_engine::broker::{BrokerEvents, FillPhase, SimBroker};
use trade_engine::market_hours::{MarketHours, SessionCursor};
use trade_journal::{
    BrokerOrder, BrokerView, Commission, Execution, LocalOrderId, OrderState, PositionLine,
};

use crate::adapter::{
    AccountType, AccountValues, BrokerCommand, BrokerEvent, BrokerLink, BrokerSnapshot,
    FeedCommand, FeedEvent, FeedLink, broker_channels, feed_channels,
};

/// The account id the paper broker reports.
pub const PAPER_ACCOUNT: &str = "PAPER";

/// What the paper broker simulates.
#[derive(Debug, Clone)]
pub struct PaperSetup {
    /// Account, fill and commission models (the backtest's config).
    pub spec: BacktestSpec,
    /// Instruments by id.
    pub instruments: Vec<Instrument>,
    /// Regular sessions: orders fill only on in-session bars; DAY orders
    /// expire at the close.
    pub hours: MarketHours,
}

/// The session's links to a paper broker placed in front of `upstream`
/// (the real feed), and the task to spawn.
pub fn paper_links(
    setup: PaperSetup,
    upstream: FeedLink,
) -> (BrokerLink, FeedLink, impl Future<Output = ()> + Send) {
    let (broker, cmds, events) = broker_channels();
    let (feed, down_cmds, down_events) = feed_channels();
    let task = run(setup, cmds, events, upstream, down_cmds, down_events);
    (broker, feed, task)
}

struct Paper {
    sim: SimBroker,
    portfolio: Portfolio,
    instruments: Vec<Instrument>,
    hours: MarketHours,
    cursor: SessionCursor,
    group: Vec<Bar>,
    /// Local id and broker order id of each order, by the engine's id.
    ids: HashMap<ClientOrderId, (LocalOrderId, i64)>,
    next_broker_id: i64,
    next_exec: u64,
    /// Identifies this paper broker's run in exec ids and permIds, which
    /// must never repeat across processes sharing a journal (a repeated
    /// exec id would be taken for a duplicate and its fill dropped).
    run_tag: i64,
    executions: Vec<Execution>,
    completed: Vec<BrokerOrder>,
    last_ts: Timestamp,
    /// Gross exposure allowed per unit of equity (for buying power).
    leverage: f64,
    events: mpsc::Sender<BrokerEvent>,
}

fn wall_now() -> Timestamp {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0);
    Timestamp::from_nanos(nanos)
}

/// Runs the paper broker until the session sends `Shutdown` or goes away.
pub async fn run(
    setup: PaperSetup,
    mut commands: mpsc::Receiver<BrokerCommand>,
    events: mpsc::Sender<BrokerEvent>,
    mut upstream: FeedLink,
    mut down_commands: mpsc::Receiver<FeedCommand>,
    down_events: mpsc::Sender<FeedEvent>,
) {
    let n = setup.instruments.len();
    let multipliers: Vec<u32> = setup.instruments.iter().map(|i| i.multiplier).collect();
    let mut p = Paper {
        sim: SimBroker::new(
            setup.spec.fill.clone(),
            setup.spec.commission.clone(),
            setup.spec.account.clone(),
            n,
        ),
        portfolio: Portfolio::new(setup.spec.account.initial_cash, &multipliers),
        instruments: setup.instruments,
        hours: setup.hours,
        cursor: SessionCursor::default(),
        group: Vec::with_capacity(n),
        ids: HashMap::new(),
        next_broker_id: 1,
        next_exec: 1,
        run_tag: wall_now().nanos(),
        executions: Vec::new(),
        completed: Vec::new(),
        last_ts: Timestamp::default(),
        leverage: setup.spec.account.max_leverage,
        events,
    };
    let hello = BrokerEvent::Connected {
        accounts: vec![PAPER_ACCOUNT.to_string()],
        account_type: AccountType::Paper,
        generation: 0,
    };
    if p.events.send(hello).await.is_err() {
        return;
    }
    let mut upstream_open = true;
    let mut down_open = true;
    loop {
        tokio::select! {
            biased;
            cmd = commands.recv() => match cmd {
                Some(BrokerCommand::Shutdown) | None => break,
                Some(cmd) => {
                    if !p.command(cmd).await {
                        break;
                    }
                }
            },
            cmd = down_commands.recv(), if down_open => match cmd {
                Some(cmd) => {
                    if upstream.commands.send(cmd).await.is_err() {
                        tracing::debug!("feed gone; command dropped");
                    }
                }
                None => down_open = false,
            },
            ev = upstream.events.recv(), if upstream_open => {
                let ev = ev.unwrap_or(FeedEvent::End);
                if ev == FeedEvent::End {
                    upstream_open = false;
                }
                let forward = p.feed_event(ev).await;
                let Some(forward) = forward else { break };
                let mut gone = false;
                for ev in forward {
                    gone |= down_events.send(ev).await.is_err();
                }
                if gone {
                    break;
                }
            }
        }
    }
    let _ = upstream.commands.send(FeedCommand::Shutdown).await;
}

impl Paper {
    /// Handles a command; false when the session is gone.
    async fn command(&mut self, cmd: BrokerCommand) -> bool {
        match cmd {
            BrokerCommand::Place(out) => {
                let local = out.local_id;
                let mut order: Order = out.order;
                let broker_id = self.next_broker_id;
                self.next_broker_id += 1;
                if order.intent.instrument.index() >= self.instruments.len() {
                    return self
                        .send(BrokerEvent::Status {
                            local_id: local,
                            broker_order_id: Some(broker_id),
                            perm_id: Some(self.perm(broker_id)),
                            state: OrderState::Rejected,
                            filled: trade_core::Qty::ZERO,
                            avg_price: None,
                            detail: "unknown instrument".into(),
                            ts: wall_now(),
                        })
                        .await;
                }
                let expiry = match order.intent.tif {
                    trade_core::TimeInForce::Day => self.hours.next_close_after(order.created),
                    trade_core::TimeInForce::Gtc => None,
                };
                order.status = OrderStatus::Working;
                self.ids.insert(order.id, (local, broker_id));
                self.sim.accept(order, expiry);
                let ts = wall_now();
                self.send(BrokerEvent::Sent {
                    local_id: local,
                    broker_order_id: broker_id,
                    ts,
                })
                .await
                    && self
                        .send(BrokerEvent::Status {
                            local_id: local,
                            broker_order_id: Some(broker_id),
                            perm_id: Some(self.perm(broker_id)),
                            state: OrderState::Working,
                            filled: trade_core::Qty::ZERO,
                            avg_price: None,
                            detail: "Submitted".into(),
                            ts,
                        })
                        .await
            }
            BrokerCommand::Cancel { local_id, .. } => {
                let mut ev = BrokerEvents::default();
                let id = ClientOrderId(local_id.0 as u64);
                if self
                    .sim
                    .cancel(id, self.last_ts, "cancelled on request", &mut ev)
                {
                    self.report(&ev).await
                } else {
                    // IB: "Cancel attempted when order is not in a cancellable state".
                    self.send(BrokerEvent::Notice {
                        code: 161,
                        request_id: self.ids.get(&id).map(|(_, b)| *b),
                        message: format!("order {local_id} is not working; nothing to cancel"),
                    })
                    .await
                }
            }
            BrokerCommand::Reconcile { since } => {
                let snapshot = self.snapshot(since);
                self.send(BrokerEvent::Reconciled(snapshot)).await
            }
            BrokerCommand::RequestAccount => {
                let values = AccountValues {
                    cash: self.portfolio.cash(),
                    buying_power: trade_core::Money::from_f64(
                        self.portfolio.equity().to_f64() * self.leverage,
                    )
                    .unwrap_or(self.portfolio.equity()),
                    net_liquidation: self.portfolio.equity(),
                };
                self.send(BrokerEvent::Account(values)).await
            }
            BrokerCommand::Shutdown => false,
        }
    }

    /// A permId unique across runs (IB's are unique per account): the run's
    /// start second times a million plus the order id.
    fn perm(&self, broker_id: i64) -> i64 {
        (self.run_tag / 1_000_000_000)
            .saturating_mul(1_000_000)
            .saturating_add(broker_id)
    }

    async fn send(&self, ev: BrokerEvent) -> bool {
        self.events.send(ev).await.is_ok()
    }

    /// Handles a feed event; returns what to forward to the session, or
    /// `None` when the session is gone.
    async fn feed_event(&mut self, ev: FeedEvent) -> Option<Vec<FeedEvent>> {
        match ev {
            FeedEvent::Bar(bar) => {
                self.group.push(bar);
                Some(Vec::new())
            }
            FeedEvent::Instant(ts) => {
                let mut group = std::mem::take(&mut self.group);
                group.sort_by_key(|b| b.instrument);
                self.last_ts = ts;
                let at = self.hours.locate(&mut self.cursor, ts);
                let mut ev = BrokerEvents::default();
                let busy = self.sim.has_working();
                if at.in_session && busy {
                    for phase in [FillPhase::Reducing, FillPhase::Rest] {
                        for bar in group.iter().filter(|b| b.ts == ts) {
                            let Some(ins) = self.instruments.get(bar.instrument.index()) else {
                                continue;
                            };
                            self.sim
                                .on_bar(bar, ins, phase, &mut self.portfolio, &mut ev);
                        }
                    }
                }
                for bar in group.iter().filter(|b| b.ts == ts) {
                    if bar.instrument.index() < self.instruments.len() {
                        self.portfolio.mark(bar.instrument, bar.close);
                    }
                }
                if busy {
                    self.sim.expire(ts, &mut ev);
                }
                if !self.report(&ev).await {
                    return None;
                }
                let mut out: Vec<FeedEvent> = group.into_iter().map(FeedEvent::Bar).collect();
                out.push(FeedEvent::Instant(ts));
                Some(out)
            }
            other => Some(vec![other]),
        }
    }

    /// Reports executions (with their commissions) and closed orders.
    async fn report(&mut self, ev: &BrokerEvents) -> bool {
        for e in &ev.executions {
            let f = &e.fill;
            let Some(&(local, broker_id)) = self.ids.get(&f.order_id) else {
                continue;
            };
            let exec_id = format!("paper-{}-{:08}", self.run_tag, self.next_exec);
            self.next_exec += 1;
            let exec = Execution {
                exec_id: exec_id.clone(),
                order_ref: Some(local.order_ref()),
                perm_id: Some(self.perm(broker_id)),
                ts: f.ts,
                instrument: self.instruments[f.instrument.index()].symbol.to_string(),
                side: f.side,
                qty: f.qty,
                price: f.price,
            };
            self.executions.push(exec.clone());
            let commission = Commission {
                exec_id,
                commission: f.commission,
                currency: "USD".into(),
                realized_pnl: Some(e.realized),
                ts: f.ts,
            };
            if !self.send(BrokerEvent::Execution(exec)).await
                || !self.send(BrokerEvent::Commission(commission)).await
            {
                return false;
            }
        }
        for o in &ev.closed {
            let Some(&(local, broker_id)) = self.ids.get(&o.id) else {
                continue;
            };
            let (state, status) = match o.status {
                OrderStatus::Filled => (OrderState::Filled, "Filled"),
                OrderStatus::Rejected => (OrderState::Rejected, "Inactive"),
                _ => (OrderState::Cancelled, "Cancelled"),
            };
            self.completed
                .push(self.broker_order(o, local, broker_id, status));
            let ok = self
                .send(BrokerEvent::Status {
                    local_id: local,
                    broker_order_id: Some(broker_id),
                    perm_id: Some(self.perm(broker_id)),
                    state,
                    filled: o.filled,
                    avg_price: None,
                    detail: o.reason.clone().unwrap_or_else(|| status.to_string()),
                    ts: o.closed.unwrap_or(self.last_ts),
                })
                .await;
            if !ok {
                return false;
            }
        }
        true
    }

    fn broker_order(
        &self,
        o: &Order,
        local: LocalOrderId,
        broker_id: i64,
        status: &str,
    ) -> BrokerOrder {
        BrokerOrder {
            order_ref: Some(local.order_ref()),
            broker_order_id: Some(broker_id),
            perm_id: Some(self.perm(broker_id)),
            status: status.to_string(),
            instrument: self.instruments[o.intent.instrument.index()]
                .symbol
                .to_string(),
            side: o.intent.side,
            qty: o.intent.qty,
            filled: o.filled,
        }
    }

    fn snapshot(&self, since: Option<Timestamp>) -> BrokerSnapshot {
        let open_orders = self
            .sim
            .working()
            .iter()
            .filter_map(|o| {
                let &(local, broker_id) = self.ids.get(&o.id)?;
                Some(self.broker_order(o, local, broker_id, "Submitted"))
            })
            .collect();
        let executions = self
            .executions
            .iter()
            .filter(|e| since.is_none_or(|s| e.ts >= s))
            .cloned()
            .collect();
        let positions = (0..self.instruments.len())
            .filter_map(|i| {
                let pos = self.portfolio.position(trade_core::InstrumentId(i as u32));
                if pos.qty == 0 {
                    return None;
                }
                let units = pos.qty as f64 * f64::from(pos.multiplier);
                let avg = Price::from_f64(pos.cost_basis.to_f64() / units).unwrap_or_default();
                Some(PositionLine {
                    instrument: self.instruments[i].symbol.to_string(),
                    qty: pos.qty,
                    avg_cost: avg,
                })
            })
            .collect();
        BrokerSnapshot {
            view: BrokerView {
                open_orders,
                completed_orders: self.completed.clone(),
                executions,
            },
            positions,
        }
    }
}
