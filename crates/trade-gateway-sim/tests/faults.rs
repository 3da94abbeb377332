//! Fault injection driven from the test: dropped connections, refused
//! connections, restarts with a rolled-back nextValidId, fills while the
//! client is away, injected error codes, delayed and dropped responses,
//! message and historical pacing.

mod common;

use std::time::{Duration, Instant};

use common::{RawClient, manual_config, start, within};
use ibapi::prelude::*;
use prost::Message;
use trade_gateway_sim::messages::{self as msg, inc, out};
use trade_gateway_sim::{RestartSpec, Target};

fn spy() -> msg::Contract {
    msg::Contract {
        symbol: Some("SPY".into()),
        sec_type: Some("STK".into()),
        exchange: Some("SMART".into()),
        currency: Some("USD".into()),
        ..Default::default()
    }
}

fn place(
    order_id: i32,
    action: &str,
    qty: f64,
    order_type: &str,
    lmt: Option<f64>,
) -> msg::PlaceOrderRequest {
    msg::PlaceOrderRequest {
        order_id: Some(order_id),
        contract: Some(spy()),
        order: Some(msg::Order {
            action: Some(action.into()),
            total_quantity: Some(qty.to_string()),
            order_type: Some(order_type.into()),
            lmt_price: lmt,
            transmit: Some(true),
            ..Default::default()
        }),
    }
}

fn error_of(payload: &[u8]) -> (i32, i32, String) {
    let e = msg::ErrorMessage::decode(payload).expect("error frame decodes");
    (
        e.id.unwrap_or(0),
        e.error_code.unwrap_or(0),
        e.error_msg.unwrap_or_default(),
    )
}

/// Next error frame with a code other than the connect-time farm notices.
async fn next_error(c: &mut RawClient) -> (i32, i32, String) {
    loop {
        let e = error_of(&c.recv_until(inc::ERR_MSG).await);
        if ![2104, 2106, 2158].contains(&e.1) {
            return e;
        }
    }
}

#[tokio::test]
async fn dropped_connection_is_seen_and_the_client_reconnects() {
    let sim = start(manual_config()).await;
    let client = within(
        10,
        "connect",
        Client::builder()
            .address(format!("127.0.0.1:{}", sim.port()))
            .client_id(21)
            .max_reconnect_attempts(5)
            .connect(),
    )
    .await
    .expect("connect");
    let mut ticks = client
        .market_data(&Contract::stock("SPY").build())
        .subscribe()
        .await
        .expect("subscribe");
    within(5, "first tick", ticks.next())
        .await
        .expect("tick")
        .expect("tick ok");
    within(
        5,
        "mkt data handled",
        sim.wait_requests(out::REQ_MKT_DATA, 1),
    )
    .await;

    sim.drop_connections();
    // The live subscription ends with a connection-lost error.
    let lost = loop {
        match within(5, "disconnect", ticks.next()).await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("stream ended without an error"),
        }
    };
    assert!(lost.is_connection_lost(), "{lost:?}");
    // ibapi reconnects by itself (1 s backoff) and the session works again.
    within(10, "reconnect", client.wait_connected())
        .await
        .expect("reconnected");
    let t = within(5, "time after reconnect", client.server_time())
        .await
        .expect("server time");
    assert_eq!(t.unix_timestamp(), sim.now());
    assert_eq!(sim.snapshot().connected_clients, [21]);
    client.disconnect().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn connections_are_refused_for_the_requested_time() {
    let sim = start(manual_config()).await;
    sim.refuse_connections_for(Duration::from_millis(800));
    let t0 = Instant::now();
    // Give the accept loop a moment to close the listener.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
        .await
        .expect_err("refused while down");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    // After the window the same port accepts and the handshake works.
    let mut ok = None;
    while t0.elapsed() < Duration::from_secs(5) {
        if tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
            .await
            .is_ok()
        {
            ok = Some(t0.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let up_after = ok.expect("accepting again");
    assert!(up_after >= Duration::from_millis(800), "{up_after:?}");
    let mut c = within(5, "handshake", RawClient::connect(sim.port(), 1)).await;
    assert_eq!(c.server_version, 222);
    let next = msg::NextValidId::decode(&*c.recv_until(inc::NEXT_VALID_ID).await).unwrap();
    assert_eq!(next.order_id, Some(1));
    sim.shutdown().await;
}

#[tokio::test]
async fn restart_rolls_back_next_valid_id_and_reused_ids_are_duplicates() {
    let sim = start(manual_config()).await;
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 5)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    for id in 1..=3 {
        c.send(out::PLACE_ORDER, &place(id, "BUY", 1.0, "MKT", None))
            .await;
    }
    within(5, "fills", async {
        while sim.snapshot().executions.len() < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(sim.snapshot().next_valid_id, 4);

    sim.restart(RestartSpec {
        down_for: Duration::from_millis(300),
        roll_back_next_id_by: 3,
    });
    assert!(within(5, "socket closed by restart", c.recv_until_eof()).await);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut c = within(5, "reconnect", RawClient::connect(sim.port(), 5)).await;
    let next = msg::NextValidId::decode(&*c.recv_until(inc::NEXT_VALID_ID).await).unwrap();
    assert_eq!(
        next.order_id,
        Some(1),
        "the new session hands out an id already used"
    );
    c.send(out::PLACE_ORDER, &place(1, "BUY", 1.0, "MKT", None))
        .await;
    let (id, code, text) = within(5, "duplicate", next_error(&mut c)).await;
    assert_eq!((id, code), (1, 103), "{text}");
    assert_eq!(
        sim.snapshot().executions.len(),
        3,
        "the duplicate did not trade"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn fills_while_disconnected_show_up_in_executions_after_reconnect() {
    let sim = start(manual_config()).await;
    let addr = format!("127.0.0.1:{}", sim.port());
    let client = within(10, "connect", Client::connect(&addr, 8))
        .await
        .expect("connect");
    let spy = Contract::stock("SPY").build();
    let id = client.next_order_id();
    let mut sub = client
        .place_order(
            id,
            &spy,
            &order_builder::limit_order(Action::Buy, 100.0, 555.0),
        )
        .await
        .expect("place");
    loop {
        if let Some(Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(s)))) =
            within(5, "status", sub.next()).await
            && s.status.as_str() == "Submitted"
        {
            break;
        }
    }
    drop(sub);
    client.disconnect().await;
    within(5, "gone", async {
        while !sim.snapshot().connected_clients.is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;

    // The market falls through the limit while nobody is connected.
    sim.set_price("SPY", 554.0).expect("price");
    let snap = sim.snapshot();
    assert_eq!(snap.orders[0].status, trade_gateway_sim::Status::Filled);

    let client = within(10, "reconnect", Client::connect(&addr, 8))
        .await
        .expect("reconnect");
    let mut execs = client
        .executions(ExecutionFilter::default())
        .await
        .expect("executions");
    let mut got = Vec::new();
    while let Some(item) = within(5, "exec rows", execs.next()).await {
        if let SubscriptionItem::Data(ibapi::orders::Executions::ExecutionData(e)) =
            item.expect("exec")
        {
            got.push((e.execution.order_id, e.execution.shares, e.execution.price));
        }
    }
    assert_eq!(got, [(id, 100.0, 554.01)]);

    let mut open = client.open_orders().await.expect("open orders");
    while let Some(item) = within(5, "open rows", open.next()).await {
        if let Ok(SubscriptionItem::Data(Orders::OrderData(o))) = item {
            panic!("filled order still open: {}", o.order_id);
        }
    }
    let mut done = client.completed_orders(true).await.expect("completed");
    let mut completed = Vec::new();
    while let Some(item) = within(5, "completed rows", done.next()).await {
        if let Ok(SubscriptionItem::Data(Orders::OrderData(o))) = item {
            completed.push((o.order.order_id, o.order_state.status.as_str().to_string()));
        }
    }
    assert_eq!(completed, [(id, "Filled".to_string())]);
    client.disconnect().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_error_codes_and_order_rejects_reach_the_client() {
    let sim = start(manual_config()).await;
    let client = within(
        10,
        "connect",
        Client::connect(&format!("127.0.0.1:{}", sim.port()), 9),
    )
    .await
    .expect("connect");
    let mut notices = client.notice_stream().expect("notice stream");
    sim.inject_error(
        Target::All,
        -1,
        1100,
        "Connectivity between IB and Trader Workstation has been lost.",
    );
    sim.inject_error(
        Target::Client(9),
        -1,
        1102,
        "Connectivity between IB and Trader Workstation has been restored - data maintained.",
    );
    sim.inject_error(Target::Client(99), -1, 2103, "not for this client");
    let mut codes = Vec::new();
    while codes.len() < 2 {
        let n = within(5, "notice", notices.next()).await.expect("notice");
        if (1100..=1300).contains(&n.code) {
            codes.push(n.code);
        }
    }
    assert_eq!(codes, [1100, 1102]);

    // A scripted reject: error 201 and the order goes Inactive.
    sim.reject_next_order(201, "Order rejected - reason:simulated margin call");
    let id = client.next_order_id();
    let mut sub = client
        .place_order(
            id,
            &Contract::stock("SPY").build(),
            &order_builder::limit_order(Action::Buy, 1.0, 500.0),
        )
        .await
        .expect("place");
    let mut inactive = false;
    let mut rejected = false;
    while !(inactive && rejected) {
        match within(5, "reject", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(s)))) => {
                inactive |= s.status.as_str() == "Inactive"
            }
            Some(Ok(SubscriptionItem::Notice(n))) => rejected |= n.code == 201,
            Some(Err(e)) => rejected |= e.to_string().contains("201"),
            Some(Ok(_)) => {}
            None => break,
        }
    }
    assert!(
        inactive && rejected,
        "inactive={inactive} rejected={rejected}"
    );
    client.disconnect().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn delayed_and_dropped_responses() {
    let sim = start(manual_config()).await;
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 1)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    sim.set_response_delay(Duration::from_millis(300));
    let t0 = Instant::now();
    c.send(out::REQ_CURRENT_TIME, &msg::Empty {}).await;
    c.recv_until(inc::CURRENT_TIME).await;
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    sim.set_response_delay(Duration::ZERO);

    sim.drop_next_responses(inc::CURRENT_TIME, 1);
    c.send(out::REQ_CURRENT_TIME, &msg::Empty {}).await;
    let first =
        tokio::time::timeout(Duration::from_millis(300), c.recv_until(inc::CURRENT_TIME)).await;
    assert!(first.is_err(), "the first answer was dropped");
    c.send(out::REQ_CURRENT_TIME, &msg::Empty {}).await;
    let t = msg::CurrentTime::decode(
        &*within(5, "second answer", c.recv_until(inc::CURRENT_TIME)).await,
    )
    .unwrap();
    assert_eq!(t.current_time, Some(sim.now()));
    sim.shutdown().await;
}

#[tokio::test]
async fn more_than_fifty_messages_a_second_get_error_100() {
    let sim = start(manual_config()).await;
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 1)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    let mut burst = Vec::new();
    for _ in 0..60 {
        burst.extend(trade_gateway_sim::codec::proto_frame(
            out::REQ_CURRENT_TIME,
            &[],
        ));
    }
    c.send_raw(&burst).await;
    let (mut times, mut pacing) = (0, 0);
    within(5, "60 answers", async {
        while times + pacing < 60 {
            let (id, payload) = c.recv().await.expect("open");
            match id {
                inc::CURRENT_TIME => times += 1,
                inc::ERR_MSG if error_of(&payload).1 == 100 => pacing += 1,
                _ => {}
            }
        }
    })
    .await;
    assert_eq!((times, pacing), (50, 10));
    sim.shutdown().await;
}

#[tokio::test]
async fn identical_small_bar_history_requests_within_15s_are_pacing_violations() {
    let sim = start(manual_config()).await;
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 1)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    let req = |id| msg::HistoricalDataRequest {
        req_id: Some(id),
        contract: Some(spy()),
        end_date_time: Some(String::new()),
        bar_size_setting: Some("5 secs".into()),
        duration: Some("60 S".into()),
        what_to_show: Some("TRADES".into()),
        format_date: Some(2),
        ..Default::default()
    };
    c.send(out::REQ_HISTORICAL_DATA, &req(1)).await;
    let bars = msg::HistoricalData::decode(&*c.recv_until(inc::HISTORICAL_DATA).await).unwrap();
    assert_eq!(bars.historical_data_bars.len(), 12);
    c.send(out::REQ_HISTORICAL_DATA, &req(2)).await;
    let (id, code, text) = next_error(&mut c).await;
    assert_eq!((id, code), (2, 162), "{text}");
    assert!(text.contains("pacing violation"), "{text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn orders_placed_before_a_reconnect_are_replayed_and_fill_on_the_new_session() {
    let sim = start(manual_config()).await;
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 12)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    c.send(out::PLACE_ORDER, &place(1, "BUY", 5.0, "LMT", Some(555.0)))
        .await;
    within(5, "placed", sim.wait_requests(out::PLACE_ORDER, 1)).await;
    sim.drop_client(12);
    assert!(within(5, "dropped", c.recv_until_eof()).await);
    tokio::time::sleep(Duration::from_millis(20)).await;

    let mut c = within(5, "reconnect", RawClient::connect(sim.port(), 12)).await;
    // The working order is announced on connect, as TWS does.
    let oo =
        msg::OpenOrder::decode(&*within(5, "replay", c.recv_until(inc::OPEN_ORDER)).await).unwrap();
    assert_eq!(oo.order_id, Some(1));
    assert_eq!(
        oo.order_state.and_then(|s| s.status).as_deref(),
        Some("Submitted")
    );
    // Its fill arrives on the new session.
    sim.set_price("SPY", 554.0).expect("price");
    let e =
        msg::ExecutionDetails::decode(&*within(5, "fill", c.recv_until(inc::EXECUTION_DATA)).await)
            .unwrap();
    let ex = e.execution.expect("execution");
    assert_eq!(
        (e.req_id, ex.order_id, ex.shares.as_deref(), ex.price),
        (Some(-1), Some(1), Some("5"), Some(554.01))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_second_session_with_the_same_client_id_gets_326_and_is_closed() {
    let sim = start(manual_config()).await;
    let mut first = within(5, "connect", RawClient::connect(sim.port(), 3)).await;
    first.recv_until(inc::NEXT_VALID_ID).await;
    let mut second = within(5, "connect", RawClient::connect(sim.port(), 3)).await;
    let (id, code, text) = within(5, "326", next_error(&mut second)).await;
    assert_eq!((id, code), (-1, 326), "{text}");
    assert!(within(5, "closed", second.recv_until_eof()).await);
    // The first session is unaffected.
    first.send(out::REQ_CURRENT_TIME, &msg::Empty {}).await;
    within(5, "time", first.recv_until(inc::CURRENT_TIME)).await;
    sim.shutdown().await;
}
