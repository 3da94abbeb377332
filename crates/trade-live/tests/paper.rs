//! The paper broker on its own: it answers like a broker (Sent, Status,
//! Execution, Commission, Reconciled, Notice) and fills with the
//! backtest's fill model.

use std::time::Duration;

use tokio::sync::mpsc;
use trade_core::{
    Bar, ClientOrderId, Instrument, InstrumentId, Order, OrderIntent, OrderStatus, OrderType,
    Price, Qty, Side, StrategyId, Symbol, TimeInForce, Timestamp,
};
use trade_engine::backtest::BacktestSpec;
use trade_engine::market_hours::MarketHours;
use trade_journal::{LocalOrderId, OrderState};
use trade_live::adapter::{BrokerCommand, BrokerEvent, FeedEvent, OutboundOrder, feed_channels};
use trade_live::paper::{PaperSetup, paper_links};

fn order(local: i64, order_type: OrderType) -> OutboundOrder {
    let instrument = Instrument::etf(Symbol::new("SPY").unwrap());
    OutboundOrder {
        local_id: LocalOrderId(local),
        order: Order {
            id: ClientOrderId(local as u64),
            broker_id: None,
            strategy: StrategyId("t".into()),
            intent: OrderIntent {
                instrument: InstrumentId(0),
                side: Side::Buy,
                qty: Qty::new(10),
                order_type,
                tif: TimeInForce::Gtc,
                tag: "t".into(),
            },
            created: Timestamp::from_secs(0),
            status: OrderStatus::Working,
            filled: Qty::ZERO,
            triggered: false,
            closed: None,
            reason: None,
        },
        instrument,
        legs: Vec::new(),
    }
}

async fn next(rx: &mut mpsc::Receiver<BrokerEvent>) -> BrokerEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("an event")
        .expect("open")
}

#[tokio::test]
async fn the_paper_broker_fills_at_the_next_open_and_reports_like_a_broker() {
    let spec = BacktestSpec::default(); // next-open fills, IB per-share commission
    let setup = PaperSetup {
        spec,
        instruments: vec![Instrument::etf(Symbol::new("SPY").unwrap())],
        hours: MarketHours::always_open(),
    };
    let (up_link, _up_cmds, up_events) = feed_channels();
    let (mut broker, mut feed, task) = paper_links(setup, up_link);
    tokio::spawn(task);
    assert!(matches!(
        next(&mut broker.events).await,
        BrokerEvent::Connected { .. }
    ));
    broker
        .commands
        .send(BrokerCommand::Place(Box::new(order(1, OrderType::Market))))
        .await
        .unwrap();
    broker
        .commands
        .send(BrokerCommand::Place(Box::new(order(
            2,
            OrderType::Limit {
                limit: Price::from_cents(5_000),
            },
        ))))
        .await
        .unwrap();
    for local in [1, 2] {
        assert!(
            matches!(next(&mut broker.events).await, BrokerEvent::Sent { local_id, .. } if local_id.0 == local)
        );
        assert!(matches!(
            next(&mut broker.events).await,
            BrokerEvent::Status {
                state: OrderState::Working,
                ..
            }
        ));
    }
    let b = Bar {
        instrument: InstrumentId(0),
        ts: Timestamp::from_secs(60),
        open: Price::from_cents(10_000),
        high: Price::from_cents(10_100),
        low: Price::from_cents(9_900),
        close: Price::from_cents(10_050),
        volume: 1_000_000,
    };
    up_events.send(FeedEvent::Bar(b)).await.unwrap();
    up_events.send(FeedEvent::Instant(b.ts)).await.unwrap();
    let BrokerEvent::Execution(e) = next(&mut broker.events).await else {
        panic!("execution first")
    };
    // Market order: the bar's open (the default fill model has no slippage).
    assert_eq!((e.qty, e.price), (Qty::new(10), Price::from_cents(10_000)));
    assert_eq!(e.order_ref.as_deref(), Some("trade-1"));
    let BrokerEvent::Commission(c) = next(&mut broker.events).await else {
        panic!("then its commission")
    };
    assert_eq!(c.exec_id, e.exec_id);
    assert!(matches!(
        next(&mut broker.events).await,
        BrokerEvent::Status {
            state: OrderState::Filled,
            ..
        }
    ));
    // The bars reach the session only after the fills they caused.
    assert_eq!(feed.events.recv().await, Some(FeedEvent::Bar(b)));
    assert_eq!(feed.events.recv().await, Some(FeedEvent::Instant(b.ts)));
    // The limit at 50 did not trade; cancel it, then cancel it again.
    for _ in 0..2 {
        broker
            .commands
            .send(BrokerCommand::Cancel {
                local_id: LocalOrderId(2),
                broker_order_id: Some(2),
            })
            .await
            .unwrap();
    }
    assert!(matches!(
        next(&mut broker.events).await,
        BrokerEvent::Status {
            state: OrderState::Cancelled,
            ..
        }
    ));
    assert!(matches!(
        next(&mut broker.events).await,
        BrokerEvent::Notice { code: 161, .. }
    ));
    broker
        .commands
        .send(BrokerCommand::Reconcile { since: None })
        .await
        .unwrap();
    let BrokerEvent::Reconciled(snap) = next(&mut broker.events).await else {
        panic!("reconciled")
    };
    assert!(snap.view.open_orders.is_empty());
    assert_eq!(snap.view.completed_orders.len(), 2);
    assert_eq!(snap.view.executions, vec![e]);
    assert_eq!(snap.positions.len(), 1);
    assert_eq!(
        (snap.positions[0].qty, snap.positions[0].avg_cost),
        (10, Price::from_cents(10_000))
    );
}
