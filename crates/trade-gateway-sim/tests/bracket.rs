//! Bracket orders over the wire: untransmitted parent and take-profit wait
//! until the transmitting stop-loss arrives; children work only after the
//! parent fills; one child filling cancels the other.

mod common;

use std::time::Duration;

use common::{RawClient, manual_config, start, within};
use trade_gateway_sim::Status;
use trade_gateway_sim::messages::{self as msg, inc, out};

fn order(
    id: i32,
    parent: i32,
    action: &str,
    kind: &str,
    lmt: Option<f64>,
    aux: Option<f64>,
    transmit: bool,
) -> msg::PlaceOrderRequest {
    msg::PlaceOrderRequest {
        order_id: Some(id),
        contract: Some(msg::Contract {
            symbol: Some("SPY".into()),
            sec_type: Some("STK".into()),
            exchange: Some("SMART".into()),
            currency: Some("USD".into()),
            ..Default::default()
        }),
        order: Some(msg::Order {
            action: Some(action.into()),
            total_quantity: Some("100".into()),
            order_type: Some(kind.into()),
            lmt_price: lmt,
            aux_price: aux,
            parent_id: (parent != 0).then_some(parent),
            transmit: transmit.then_some(true),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn bracket_parent_then_take_profit_cancels_stop_loss() {
    let sim = start(manual_config()).await;
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 1)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    // Entry 559.00 (below the 560.01 ask: rests), take profit 562, stop 557.
    c.send(
        out::PLACE_ORDER,
        &order(1, 0, "BUY", "LMT", Some(559.0), None, false),
    )
    .await;
    c.send(
        out::PLACE_ORDER,
        &order(2, 1, "SELL", "LMT", Some(562.0), None, false),
    )
    .await;
    within(5, "held", sim.wait_requests(out::PLACE_ORDER, 2)).await;
    let statuses = |sim: &trade_gateway_sim::SimHandle| {
        sim.snapshot()
            .orders
            .iter()
            .map(|o| o.status)
            .collect::<Vec<_>>()
    };
    // Nothing transmitted yet: the orders are held and nothing is sent.
    assert_eq!(statuses(&sim), [Status::PreSubmitted, Status::PreSubmitted]);
    c.send(
        out::PLACE_ORDER,
        &order(3, 1, "SELL", "STP", None, Some(557.0), true),
    )
    .await;
    within(5, "transmitted", sim.wait_requests(out::PLACE_ORDER, 3)).await;
    assert_eq!(
        statuses(&sim),
        [
            Status::Submitted,
            Status::PreSubmitted,
            Status::PreSubmitted
        ]
    );

    sim.set_price("SPY", 558.9).expect("price");
    // Parent filled at the 558.91 ask; take profit works, the stop waits
    // for its trigger.
    assert_eq!(
        statuses(&sim),
        [Status::Filled, Status::Submitted, Status::PreSubmitted]
    );
    sim.set_price("SPY", 562.5).expect("price");
    assert_eq!(
        statuses(&sim),
        [Status::Filled, Status::Filled, Status::Cancelled]
    );
    let snap = sim.snapshot();
    assert_eq!(
        snap.executions
            .iter()
            .map(|e| (e.order_id, e.price))
            .collect::<Vec<_>>(),
        [(1, 558.91), (2, 562.49)]
    );
    assert!(snap.positions.is_empty());
    // The client saw the stop-loss cancelled.
    let cancelled = within(5, "cancel status", async {
        loop {
            let p = c.recv_until(inc::ORDER_STATUS).await;
            let s: msg::OrderStatus = prost::Message::decode(&*p).unwrap();
            if s.order_id == Some(3) && s.status.as_deref() == Some("Cancelled") {
                return true;
            }
        }
    })
    .await;
    assert!(cancelled);
    tokio::time::sleep(Duration::from_millis(10)).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn partial_fills_when_liquidity_per_second_is_capped() {
    let cfg = trade_gateway_sim::SimConfig {
        max_fill_per_step: Some(30.0),
        ..manual_config()
    };
    let sim = start(cfg).await;
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 1)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    c.send(
        out::PLACE_ORDER,
        &order(1, 0, "BUY", "MKT", None, None, true),
    )
    .await;
    within(5, "placed", sim.wait_requests(out::PLACE_ORDER, 1)).await;
    assert_eq!(sim.snapshot().orders[0].filled, 30.0);
    sim.advance(3);
    let snap = sim.snapshot();
    assert_eq!(snap.orders[0].status, Status::Filled);
    assert_eq!(
        snap.executions.iter().map(|e| e.shares).collect::<Vec<_>>(),
        [30.0, 30.0, 30.0, 10.0]
    );
    assert_eq!(snap.executions.last().map(|e| e.cum_qty), Some(100.0));
    // The client saw Submitted with 30/70, ..., then Filled 100/0.
    let mut seen = Vec::new();
    within(5, "statuses", async {
        while seen
            .last()
            .map(|(s, _, _): &(String, String, String)| s.as_str())
            != Some("Filled")
        {
            let s: msg::OrderStatus =
                prost::Message::decode(&*c.recv_until(inc::ORDER_STATUS).await).unwrap();
            seen.push((
                s.status.unwrap_or_default(),
                s.filled.unwrap_or_default(),
                s.remaining.unwrap_or_default(),
            ));
        }
    })
    .await;
    let tail: Vec<(&str, &str, &str)> = seen
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        tail,
        [
            ("Submitted", "30", "70"),
            ("Submitted", "60", "40"),
            ("Submitted", "90", "10"),
            ("Filled", "100", "0")
        ]
    );
    sim.shutdown().await;
}
