//! The IB adapter against the TWS gateway simulator on 127.0.0.1 (the real
//! wire protocol through the `ibapi` crate): orders round-trip with their
//! states, executions and commissions; a dropped connection is noticed and
//! re-established with a new generation, and fills made while it was down
//! come back through reconciliation; a gateway restart with a rolled-back
//! nextValidId never makes the adapter reuse an order id; refused
//! connections are retried with backoff; an open circuit breaker refuses
//! orders; real-time bars are aggregated, resubscribed after a reconnect,
//! and a silent feed is reported stale and then fresh.

use std::time::Duration;

use tokio::sync::mpsc;
use trade_core::{
    ClientOrderId, Instrument, InstrumentId, Order, OrderIntent, OrderStatus, OrderType, Price,
    Qty, Side, StrategyId, Symbol, TimeInForce, Timestamp,
};
use trade_gateway_sim::{ClockMode, GatewaySim, RestartSpec, SimConfig, SimHandle};
use trade_ib::backoff::BackoffConfig;
use trade_ib::circuit::CircuitConfig;
use trade_ib::{IbConfig, start};
use trade_journal::{LocalOrderId, OrderState};
use trade_live::adapter::{
    BrokerCommand, BrokerEvent, BrokerLink, FeedCommand, FeedEvent, FeedLink, OutboundOrder,
};

async fn sim() -> SimHandle {
    let sim = GatewaySim::bind("127.0.0.1:0").await.expect("bind");
    sim.start(SimConfig {
        clock: ClockMode::Manual,
        ..SimConfig::default()
    })
    .expect("start sim")
}

fn config(port: u16, client_id: i32) -> IbConfig {
    IbConfig {
        port,
        client_id,
        heartbeat: Duration::from_millis(200),
        heartbeat_timeout: Duration::from_millis(1_000),
        stale_after: Duration::from_millis(600),
        stale_in_session_only: false,
        backoff: BackoffConfig {
            initial_ms: 50,
            max_ms: 300,
            multiplier: 2.0,
            jitter: 0.0,
        },
        bar_seconds: 10,
        instant_grace: Duration::from_millis(300),
        ..IbConfig::default()
    }
}

fn spy() -> Instrument {
    Instrument::etf(Symbol::new("SPY").unwrap())
}

fn outbound(local: i64, side: Side, qty: u64, order_type: OrderType) -> Box<OutboundOrder> {
    Box::new(OutboundOrder {
        local_id: LocalOrderId(local),
        order: Order {
            id: ClientOrderId(local as u64),
            broker_id: None,
            strategy: StrategyId("t".into()),
            intent: OrderIntent {
                instrument: InstrumentId(0),
                side,
                qty: Qty::new(qty),
                order_type,
                tif: TimeInForce::Gtc,
                tag: "test".into(),
            },
            created: Timestamp::from_secs(0),
            status: OrderStatus::Working,
            filled: Qty::ZERO,
            triggered: false,
            closed: None,
            reason: None,
        },
        instrument: spy(),
        legs: Vec::new(),
    })
}

fn limit(x: &str) -> OrderType {
    OrderType::Limit {
        limit: x.parse().unwrap(),
    }
}

/// The next broker event matching `want`, skipping others; fails after 10 s.
async fn until<T>(
    events: &mut mpsc::Receiver<BrokerEvent>,
    what: &str,
    mut want: impl FnMut(&BrokerEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .unwrap_or_else(|| panic!("broker link closed waiting for {what}"));
        if let Some(t) = want(&e) {
            return t;
        }
    }
}

async fn feed_until<T>(
    events: &mut mpsc::Receiver<FeedEvent>,
    what: &str,
    mut want: impl FnMut(&FeedEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .unwrap_or_else(|| panic!("feed link closed waiting for {what}"));
        if let Some(t) = want(&e) {
            return t;
        }
    }
}

async fn connected(b: &mut BrokerLink) -> u64 {
    until(&mut b.events, "Connected", |e| match e {
        BrokerEvent::Connected { generation, .. } => Some(*generation),
        _ => None,
    })
    .await
}

async fn sent(b: &mut BrokerLink, local: i64) -> i64 {
    until(&mut b.events, "Sent", |e| match e {
        BrokerEvent::Sent {
            local_id,
            broker_order_id,
            ..
        } if local_id.0 == local => Some(*broker_order_id),
        BrokerEvent::SendFailed { local_id, reason } if local_id.0 == local => {
            panic!("order {local} not sent: {reason}")
        }
        _ => None,
    })
    .await
}

async fn state(b: &mut BrokerLink, local: i64, want: OrderState) {
    until(
        &mut b.events,
        &format!("{want:?} of {local}"),
        |e| match e {
            BrokerEvent::Status {
                local_id, state, ..
            } if local_id.0 == local && *state == want => Some(()),
            _ => None,
        },
    )
    .await
}

async fn stop(b: BrokerLink, f: FeedLink, sim: SimHandle) {
    let _ = b.commands.send(BrokerCommand::Shutdown).await;
    let _ = f.commands.send(FeedCommand::Shutdown).await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_round_trip_with_states_executions_and_commissions() {
    let sim = sim().await;
    let (mut b, f, handle) = start(config(sim.port(), 31)).expect("start");
    assert_eq!(connected(&mut b).await, 0);
    assert!(handle.status.borrow().connected);

    // A resting limit: sent under id 1 with our orderRef, then Working.
    b.commands
        .send(BrokerCommand::Place(outbound(
            1,
            Side::Buy,
            100,
            limit("559"),
        )))
        .await
        .unwrap();
    assert_eq!(sent(&mut b, 1).await, 1);
    state(&mut b, 1, OrderState::Working).await;
    let open = sim.snapshot().orders;
    assert_eq!(open.len(), 1);

    // The market falls through: filled at the ask (558.51, the simulator's
    // one-cent book), IB Pro fixed commission $1.00 (the minimum).
    sim.set_price("SPY", 558.50).expect("price");
    let exec = until(&mut b.events, "execution", |e| match e {
        BrokerEvent::Execution(x) => Some(x.clone()),
        _ => None,
    })
    .await;
    assert_eq!(exec.order_ref.as_deref(), Some("trade-1"));
    assert_eq!((exec.side, exec.qty), (Side::Buy, Qty::new(100)));
    assert_eq!(exec.price, "558.51".parse::<Price>().unwrap());
    assert_eq!(exec.instrument, "SPY");
    let commission = until(&mut b.events, "commission", |e| match e {
        BrokerEvent::Commission(c) => Some(c.clone()),
        _ => None,
    })
    .await;
    assert_eq!(commission.exec_id, exec.exec_id);
    assert_eq!(commission.commission, "1.00".parse().unwrap());
    state(&mut b, 1, OrderState::Filled).await;

    // Cancel a resting order.
    b.commands
        .send(BrokerCommand::Place(outbound(
            2,
            Side::Buy,
            10,
            limit("500"),
        )))
        .await
        .unwrap();
    let id = sent(&mut b, 2).await;
    assert_eq!(id, 2);
    state(&mut b, 2, OrderState::Working).await;
    b.commands
        .send(BrokerCommand::Cancel {
            local_id: LocalOrderId(2),
            broker_order_id: Some(id),
        })
        .await
        .unwrap();
    state(&mut b, 2, OrderState::Cancelled).await;

    // The reconciliation view: no open order, both orders completed, the
    // fill with our orderRef, 100 SPY held.
    b.commands
        .send(BrokerCommand::Reconcile { since: None })
        .await
        .unwrap();
    let snap = until(&mut b.events, "Reconciled", |e| match e {
        BrokerEvent::Reconciled(s) => Some(s.clone()),
        _ => None,
    })
    .await;
    assert!(
        snap.view.open_orders.is_empty(),
        "{:?}",
        snap.view.open_orders
    );
    assert_eq!(snap.view.executions.len(), 1);
    assert_eq!(snap.view.executions[0].exec_id, exec.exec_id);
    let refs: Vec<_> = snap
        .view
        .completed_orders
        .iter()
        .map(|o| (o.order_ref.clone(), o.status.clone()))
        .collect();
    assert!(
        refs.contains(&(Some("trade-1".into()), "Filled".into())),
        "{refs:?}"
    );
    assert!(
        refs.contains(&(Some("trade-2".into()), "Cancelled".into())),
        "{refs:?}"
    );
    assert_eq!(snap.positions.len(), 1);
    assert_eq!(
        (snap.positions[0].instrument.as_str(), snap.positions[0].qty),
        ("SPY", 100)
    );
    stop(b, f, sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_reconnects_and_fills_made_meanwhile_come_back_in_reconciliation() {
    let sim = sim().await;
    let (mut b, f, handle) = start(config(sim.port(), 32)).expect("start");
    assert_eq!(connected(&mut b).await, 0);
    b.commands
        .send(BrokerCommand::Place(outbound(
            7,
            Side::Buy,
            100,
            limit("555"),
        )))
        .await
        .unwrap();
    sent(&mut b, 7).await;
    state(&mut b, 7, OrderState::Working).await;

    // Refuse reconnects for a moment so the fill happens while we are out.
    sim.refuse_connections_for(Duration::from_millis(700));
    sim.drop_connections();
    until(&mut b.events, "Down", |e| {
        matches!(e, BrokerEvent::Down(_)).then_some(())
    })
    .await;
    sim.set_price("SPY", 554.0).expect("price");
    assert_eq!(
        connected(&mut b).await,
        1,
        "a new generation after the reconnect"
    );
    assert!(handle.status.borrow().reconnects >= 1);

    b.commands
        .send(BrokerCommand::Reconcile { since: None })
        .await
        .unwrap();
    let snap = until(&mut b.events, "Reconciled", |e| match e {
        BrokerEvent::Reconciled(s) => Some(s.clone()),
        _ => None,
    })
    .await;
    let fill = snap
        .view
        .executions
        .iter()
        .find(|x| x.order_ref.as_deref() == Some("trade-7"))
        .expect("the fill made while disconnected");
    assert_eq!(
        (fill.qty, fill.price),
        (Qty::new(100), "554.01".parse().unwrap())
    );
    assert!(
        snap.view
            .completed_orders
            .iter()
            .any(|o| o.order_ref.as_deref() == Some("trade-7") && o.status == "Filled")
    );
    stop(b, f, sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_restart_with_a_rolled_back_next_valid_id_never_reuses_an_order_id() {
    let sim = sim().await;
    let (mut b, f, _h) = start(config(sim.port(), 33)).expect("start");
    connected(&mut b).await;
    let mut used = Vec::new();
    for k in 1..=3 {
        b.commands
            .send(BrokerCommand::Place(outbound(
                k,
                Side::Buy,
                1,
                limit("400"),
            )))
            .await
            .unwrap();
        used.push(sent(&mut b, k).await);
    }
    assert_eq!(used, [1, 2, 3]);
    sim.restart(RestartSpec {
        down_for: Duration::from_millis(200),
        roll_back_next_id_by: 3,
    });
    assert_eq!(connected(&mut b).await, 1);
    b.commands
        .send(BrokerCommand::Place(outbound(
            4,
            Side::Buy,
            1,
            limit("400"),
        )))
        .await
        .unwrap();
    let next = sent(&mut b, 4).await;
    assert!(
        next > 3,
        "id {next} reused after the restart (used {used:?})"
    );
    stop(b, f, sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_floor_keeps_ids_above_those_sent_by_an_earlier_process() {
    let sim = sim().await;
    let mut cfg = config(sim.port(), 34);
    cfg.min_order_id = 41;
    let (mut b, f, _h) = start(cfg).expect("start");
    connected(&mut b).await;
    b.commands
        .send(BrokerCommand::Place(outbound(
            1,
            Side::Buy,
            1,
            limit("400"),
        )))
        .await
        .unwrap();
    assert_eq!(sent(&mut b, 1).await, 41);
    stop(b, f, sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_are_retried_and_an_open_circuit_refuses_orders() {
    let sim = sim().await;
    sim.refuse_connections_for(Duration::from_millis(500));
    let mut cfg = config(sim.port(), 35);
    // One failure opens the circuit for a minute.
    cfg.circuit = CircuitConfig {
        failures_to_open: 1,
        window_secs: 60,
        cooldown_secs: 60,
    };
    let (mut b, f, handle) = start(cfg).expect("start");
    until(&mut b.events, "Down", |e| {
        matches!(e, BrokerEvent::Down(_)).then_some(())
    })
    .await;
    // Orders while down are refused, never queued.
    b.commands
        .send(BrokerCommand::Place(outbound(
            1,
            Side::Buy,
            1,
            limit("400"),
        )))
        .await
        .unwrap();
    let reason = until(&mut b.events, "SendFailed", |e| match e {
        BrokerEvent::SendFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("not connected"), "{reason}");
    connected(&mut b).await;
    // Connected, but the circuit is still open: refused with the reason.
    b.commands
        .send(BrokerCommand::Place(outbound(
            2,
            Side::Buy,
            1,
            limit("400"),
        )))
        .await
        .unwrap();
    let reason = until(&mut b.events, "SendFailed", |e| match e {
        BrokerEvent::SendFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("circuit breaker open"), "{reason}");
    assert_eq!(
        handle.status.borrow().circuit,
        trade_ib::circuit::CircuitState::Open
    );
    assert!(
        sim.snapshot().orders.is_empty(),
        "nothing reached the gateway"
    );
    stop(b, f, sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bars_are_aggregated_resubscribed_after_a_reconnect_and_staleness_is_reported() {
    let sim = sim().await;
    let (mut b, mut f, _h) = start(config(sim.port(), 36)).expect("start");
    connected(&mut b).await;
    f.commands
        .send(FeedCommand::Subscribe(vec![(InstrumentId(0), spy())]))
        .await
        .unwrap();
    feed_until(&mut f.events, "Up", |e| {
        matches!(e, FeedEvent::Up).then_some(())
    })
    .await;
    within_requests(&sim, 1).await;
    // 10 s of simulated time: two 5-second bars make one 10-second bar,
    // stamped at its end, then its instant.
    let t0 = sim.now();
    sim.advance(10);
    let bar = feed_until(&mut f.events, "bar", |e| match e {
        FeedEvent::Bar(b) => Some(*b),
        _ => None,
    })
    .await;
    assert_eq!(bar.instrument, InstrumentId(0));
    assert_eq!(bar.ts.secs() % 10, 0);
    assert!(
        bar.ts.secs() > t0 && bar.ts.secs() <= t0 + 10,
        "{} vs {t0}",
        bar.ts.secs()
    );
    let instant = feed_until(&mut f.events, "instant", |e| match e {
        FeedEvent::Instant(t) => Some(*t),
        _ => None,
    })
    .await;
    assert_eq!(instant, bar.ts);

    // Silence: stale after 600 ms.
    let stale = feed_until(&mut f.events, "stale", |e| match e {
        FeedEvent::Stale { instrument, .. } => Some(*instrument),
        _ => None,
    })
    .await;
    assert_eq!(stale, InstrumentId(0));

    // A dropped connection: the subscription comes back by itself.
    sim.drop_connections();
    feed_until(&mut f.events, "Down", |e| {
        matches!(e, FeedEvent::Down(_)).then_some(())
    })
    .await;
    feed_until(&mut f.events, "Up", |e| {
        matches!(e, FeedEvent::Up).then_some(())
    })
    .await;
    within_requests(&sim, 2).await;
    sim.advance(10);
    let fresh = feed_until(&mut f.events, "fresh", |e| match e {
        FeedEvent::Fresh(i) => Some(*i),
        _ => None,
    })
    .await;
    assert_eq!(fresh, InstrumentId(0));
    let again = feed_until(&mut f.events, "bar after reconnect", |e| match e {
        FeedEvent::Bar(b) => Some(*b),
        _ => None,
    })
    .await;
    assert!(again.ts > bar.ts);
    stop(b, f, sim).await;
}

/// Waits until the simulator has received `n` real-time bar requests.
async fn within_requests(sim: &SimHandle, n: usize) {
    tokio::time::timeout(Duration::from_secs(10), sim.wait_requests(50, n))
        .await
        .expect("reqRealTimeBars reached the simulator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_one_quotes_stream_with_the_gateways_bid_ask_and_last() {
    let sim = sim().await;
    let (mut b, mut f, _h) = start(config(sim.port(), 37)).expect("start");
    connected(&mut b).await;
    f.commands
        .send(FeedCommand::Subscribe(vec![(InstrumentId(0), spy())]))
        .await
        .unwrap();
    let want = sim.quote("SPY").expect("SPY quote");
    let p = |x: f64| Price::from_f64(x).unwrap();
    // Ticks arrive one field at a time: wait for a quote with all three.
    let q = feed_until(&mut f.events, "full quote", |e| match e {
        FeedEvent::Quote(q) if q.bid.is_some() && q.ask.is_some() && q.last.is_some() => Some(*q),
        _ => None,
    })
    .await;
    assert_eq!(q.instrument, InstrumentId(0));
    assert_eq!(
        (q.bid, q.ask, q.last),
        (Some(p(want.bid)), Some(p(want.ask)), Some(p(want.last)))
    );
    assert!(q.bid < q.ask);
    stop(b, f, sim).await;
}

fn qqq() -> Instrument {
    Instrument::etf(Symbol::new("QQQ").unwrap())
}

/// A simulator with one streaming line.
async fn one_line_sim() -> SimHandle {
    let sim = GatewaySim::bind("127.0.0.1:0").await.expect("bind");
    sim.start(SimConfig {
        clock: ClockMode::Manual,
        max_market_data_lines: 1,
        ..SimConfig::default()
    })
    .expect("start sim")
}

async fn full_quote_of(f: &mut FeedLink, id: InstrumentId, within: Duration) -> bool {
    tokio::time::timeout(within, async {
        loop {
            match f.events.recv().await {
                Some(FeedEvent::Quote(q))
                    if q.instrument == id && q.bid.is_some() && q.ask.is_some() =>
                {
                    return true;
                }
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await
    .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instruments_beyond_the_line_budget_are_polled_instead_of_refused() {
    let sim = one_line_sim().await;
    let mut cfg = config(sim.port(), 38);
    cfg.lines = trade_ib::lines::LineBudget {
        lines: 1,
        reserve: 0,
    };
    cfg.quote_poll = Duration::from_millis(200);
    let (mut b, mut f, _h) = start(cfg).expect("start");
    connected(&mut b).await;
    f.commands
        .send(FeedCommand::Subscribe(vec![
            (InstrumentId(0), spy()),
            (InstrumentId(1), qqq()),
        ]))
        .await
        .unwrap();
    assert!(full_quote_of(&mut f, InstrumentId(0), Duration::from_secs(10)).await);
    assert!(
        full_quote_of(&mut f, InstrumentId(1), Duration::from_secs(10)).await,
        "QQQ, beyond the budget, gets polled quotes"
    );
    // Snapshots keep coming (reqMktData is message 1).
    let before = sim.requests_received(1);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        sim.requests_received(1) >= before + 2,
        "QQQ is polled again"
    );
    stop(b, f, sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_budget_the_gateway_refuses_the_second_stream() {
    let sim = one_line_sim().await;
    let (mut b, mut f, _h) = start(config(sim.port(), 39)).expect("start");
    connected(&mut b).await;
    f.commands
        .send(FeedCommand::Subscribe(vec![
            (InstrumentId(0), spy()),
            (InstrumentId(1), qqq()),
        ]))
        .await
        .unwrap();
    // Both ask for a stream; whichever reaches the one-line gateway second
    // is refused (error 101) and never gets a quote.
    let mut quoted = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, f.events.recv()).await {
        if let FeedEvent::Quote(q) = e
            && q.bid.is_some()
            && q.ask.is_some()
        {
            quoted.insert(q.instrument);
        }
    }
    assert_eq!(quoted.len(), 1, "{quoted:?}");
    stop(b, f, sim).await;
}
