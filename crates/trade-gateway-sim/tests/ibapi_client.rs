//! The `ibapi` crate (5.5.0, protobuf-only, server version >= 213) against
//! the simulator over 127.0.0.1: connection, reference data, market data,
//! bars, orders, executions, commissions, positions, account values,
//! option chains and Greeks, combos.

mod common;

use common::{manual_config, start, within};
use ibapi::contracts::tick_types::TickType;
use ibapi::contracts::{ComboLeg, ComboLegOpenClose};
use ibapi::market_data::historical::{BarSize, ToDuration, WhatToShow as HistWhat};
use ibapi::market_data::realtime::WhatToShow as RtWhat;
use ibapi::prelude::*;
use jiff::civil::Date;
use trade_gateway_sim::{PriceSource, ReplayBar, SimConfig, UnderlyingSpec, config::DEFAULT_START};

const SPY: i32 = 756_733;

async fn connect(port: u16, client_id: i32) -> Client {
    within(
        10,
        "ibapi connect",
        Client::connect(&format!("127.0.0.1:{port}"), client_id),
    )
    .await
    .expect("ibapi connects")
}

#[tokio::test]
async fn connects_and_reads_time_ids_accounts_and_positions() {
    let sim = start(manual_config()).await;
    let client = connect(sim.port(), 7).await;
    assert_eq!(client.server_version(), 222);
    assert_eq!(
        client.handshake_managed_accounts(),
        ["DU1234567".to_string()]
    );

    // Server time is the simulated clock: 2025-03-18 13:30:00 UTC.
    let t = within(5, "server time", client.server_time())
        .await
        .expect("server_time");
    assert_eq!(t.unix_timestamp(), DEFAULT_START);
    assert_eq!(
        within(5, "next id", client.next_valid_order_id())
            .await
            .expect("reqIds"),
        1
    );

    // Opening balance 1,000,000 and no positions: NetLiquidation and cash
    // are the balance; Reg T margin-account buying power is 4 x available
    // funds (IB's published definition).
    let mut summary = within(
        5,
        "summary",
        client.account_summary(
            &AccountGroup::from("All"),
            &["NetLiquidation", "TotalCashValue", "BuyingPower"],
        ),
    )
    .await
    .expect("account summary");
    let mut values = std::collections::HashMap::new();
    while let Some(item) = within(5, "summary rows", summary.next()).await {
        match item.expect("summary item") {
            SubscriptionItem::Data(AccountSummaryResult::Summary(s)) => {
                assert_eq!(s.account, "DU1234567");
                values.insert(s.tag.clone(), s.value.clone());
            }
            SubscriptionItem::Data(AccountSummaryResult::End) => break,
            SubscriptionItem::Notice(_) => {}
        }
    }
    assert_eq!(
        values.get("NetLiquidation").map(String::as_str),
        Some("1000000.00")
    );
    assert_eq!(
        values.get("TotalCashValue").map(String::as_str),
        Some("1000000.00")
    );
    assert_eq!(
        values.get("BuyingPower").map(String::as_str),
        Some("4000000.00")
    );

    let mut positions = within(5, "positions", client.positions())
        .await
        .expect("positions");
    match within(5, "position end", positions.next()).await {
        Some(Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd))) => {}
        other => panic!("expected an empty position list, got {other:?}"),
    }
    client.disconnect().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn contract_details_for_spy() {
    let sim = start(manual_config()).await;
    let client = connect(sim.port(), 1).await;
    let details = within(
        5,
        "contract details",
        client.contract_details(&Contract::stock("SPY").build()),
    )
    .await
    .expect("details");
    assert_eq!(details.len(), 1);
    let d = &details[0];
    assert_eq!(d.contract.contract_id, SPY);
    assert_eq!(d.contract.symbol.to_string(), "SPY");
    assert_eq!(d.contract.primary_exchange.to_string(), "ARCA");
    assert_eq!(d.long_name, "SPDR S&P 500 ETF TRUST");
    assert_eq!(d.min_tick, 0.01);
    // An unknown symbol is IB error 200.
    let err = within(
        5,
        "unknown",
        client.contract_details(&Contract::stock("NOPE").build()),
    )
    .await
    .expect_err("unknown symbol");
    assert!(err.to_string().contains("200"), "{err}");
    client.disconnect().await;
    sim.shutdown().await;
}

/// 5-second replay bars: bar i opens at 500 + 0.10 i, trades 0.20 either
/// side, closes 0.05 above the open; volume 100 (i + 1) * 5.
fn replay_bars(start: i64, n: usize) -> Vec<ReplayBar> {
    (0..n)
        .map(|i| {
            let open = 500.0 + 0.10 * i as f64;
            ReplayBar {
                time: start + 5 * i as i64,
                open: round2(open),
                high: round2(open + 0.20),
                low: round2(open - 0.20),
                close: round2(open + 0.05),
                volume: 500.0 * (i as f64 + 1.0),
            }
        })
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn replay_config() -> (SimConfig, Vec<ReplayBar>) {
    // 60 bars (5 minutes) of history before the start, 60 after.
    let bars = replay_bars(DEFAULT_START - 300, 120);
    let mut spy = UnderlyingSpec::generated("SPY", SPY, 1.0, 0.1);
    spy.prices = PriceSource::Replay {
        bar_secs: 5,
        bars: bars.clone(),
    };
    (
        SimConfig {
            underlyings: vec![spy],
            ..manual_config()
        },
        bars,
    )
}

#[tokio::test]
async fn market_data_and_realtime_bars_follow_the_replayed_path() {
    let (cfg, bars) = replay_config();
    let sim = start(cfg).await;
    let client = connect(sim.port(), 2).await;
    let spy = Contract::stock("SPY").build();

    let mut ticks = within(5, "market data", client.market_data(&spy).subscribe())
        .await
        .expect("reqMktData");
    // At the start the price is bar 60's open; the book is one cent wide.
    let open = bars[60].open;
    let (mut bid, mut ask, mut last) = (None, None, None);
    while bid.is_none() || ask.is_none() || last.is_none() {
        let item = within(5, "ticks", ticks.next())
            .await
            .expect("tick stream open")
            .expect("tick");
        if let SubscriptionItem::Data(TickTypes::PriceSize(p)) = item {
            match p.price_tick_type {
                TickType::Bid => bid = Some(p.price),
                TickType::Ask => ask = Some(p.price),
                TickType::Last => last = Some(p.price),
                _ => {}
            }
        }
    }
    assert_eq!(
        (bid, last, ask),
        (
            Some(round2(open - 0.01)),
            Some(open),
            Some(round2(open + 0.01))
        )
    );

    let mut rt = within(
        5,
        "rt bars",
        client
            .realtime_bars(&spy)
            .what_to_show(RtWhat::Trades)
            .subscribe(),
    )
    .await
    .expect("reqRealTimeBars");
    within(5, "reqRealTimeBars handled", sim.wait_requests(50, 1)).await;
    sim.advance(10);
    for k in [60usize, 61] {
        let bar = match within(5, "rt bar", rt.next()).await {
            Some(Ok(SubscriptionItem::Data(b))) => b,
            other => panic!("expected a bar, got {other:?}"),
        };
        let src = &bars[k];
        assert_eq!(bar.date.unix_timestamp(), src.time);
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close),
            (src.open, src.high, src.low, src.close)
        );
        assert_eq!(bar.volume, src.volume);
    }
    drop(rt);
    drop(ticks);

    // One-minute history over the five minutes before the start: each bar
    // aggregates twelve replayed 5-second bars.
    let hist = within(
        5,
        "historical",
        client
            .historical_data(&spy, BarSize::Min)
            .duration(300.seconds())
            .what_to_show(HistWhat::Trades)
            .ending(time::OffsetDateTime::from_unix_timestamp(DEFAULT_START).unwrap())
            .fetch(),
    )
    .await
    .expect("reqHistoricalData");
    assert_eq!(hist.bars.len(), 5);
    for (m, bar) in hist.bars.iter().enumerate() {
        let chunk = &bars[m * 12..(m + 1) * 12];
        let high = chunk.iter().map(|b| b.high).fold(f64::MIN, f64::max);
        let low = chunk.iter().map(|b| b.low).fold(f64::MAX, f64::min);
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close),
            (chunk[0].open, high, low, chunk[11].close),
            "minute {m}"
        );
        assert_eq!(bar.volume, chunk.iter().map(|b| b.volume).sum::<f64>());
    }

    // keepUpToDate: the initial bars, then updates of the forming bar.
    let mut stream = within(
        5,
        "hist stream",
        client
            .historical_data(&spy, BarSize::Min)
            .duration(120.seconds())
            .stream(),
    )
    .await
    .expect("stream");
    let mut saw_initial = false;
    let mut update = None;
    within(5, "reqHistoricalData handled", sim.wait_requests(20, 2)).await;
    sim.advance(5);
    while update.is_none() {
        match within(5, "hist update", stream.next()).await {
            Some(Ok(SubscriptionItem::Data(
                ibapi::market_data::historical::HistoricalBarUpdate::Historical(h),
            ))) => {
                saw_initial = !h.bars.is_empty();
            }
            Some(Ok(SubscriptionItem::Data(
                ibapi::market_data::historical::HistoricalBarUpdate::Update(b),
            ))) => update = Some(b),
            Some(Ok(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_initial);
    // The forming minute started at the sim start: bars 60 and 61 so far
    // (sim advanced 15 s in total: 60, 61, 62 -> it spans 60..=62).
    let b = update.unwrap();
    assert_eq!(b.open, bars[60].open);
    assert_eq!(b.close, bars[62].close);
    client.disconnect().await;
    sim.shutdown().await;
}

async fn next_place_event(sub: &mut Subscription<PlaceOrder>) -> PlaceOrder {
    loop {
        match within(5, "order event", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(e))) => return e,
            Some(Ok(SubscriptionItem::Notice(_))) => continue,
            other => panic!("order stream ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn limit_and_market_orders_fill_with_executions_and_commissions() {
    let sim = start(manual_config()).await;
    let client = connect(sim.port(), 3).await;
    let spy = Contract::stock("SPY").build();
    let id = client.next_order_id();
    assert_eq!(id, 1);

    // Resting limit: PreSubmitted -> Submitted, nothing filled.
    let mut sub = within(
        5,
        "place",
        client.place_order(
            id,
            &spy,
            &order_builder::limit_order(Action::Buy, 100.0, 559.0),
        ),
    )
    .await
    .expect("place LMT");
    let mut states = Vec::new();
    while states.last().map(String::as_str) != Some("Submitted") {
        if let PlaceOrder::OrderStatus(s) = next_place_event(&mut sub).await {
            assert_eq!(s.filled, 0.0);
            states.push(s.status.as_str().to_string());
        }
    }
    assert_eq!(states, ["PreSubmitted", "Submitted"]);

    // The price drops to 558.50: the ask (558.51) crosses the limit.
    sim.set_price("SPY", 558.50).expect("set price");
    let (mut exec, mut filled, mut commission) = (None, None, None);
    while exec.is_none() || filled.is_none() || commission.is_none() {
        match next_place_event(&mut sub).await {
            PlaceOrder::ExecutionData(e) => exec = Some(e),
            PlaceOrder::OrderStatus(s) if s.status.as_str() == "Filled" => filled = Some(s),
            PlaceOrder::CommissionReport(c) => commission = Some(c),
            _ => {}
        }
    }
    let exec = exec.unwrap();
    assert_eq!(exec.execution.order_id, id);
    assert_eq!(exec.execution.shares, 100.0);
    assert_eq!(exec.execution.price, 558.51);
    assert_eq!(exec.execution.side.to_string(), "BOT");
    assert_eq!(exec.contract.contract_id, SPY);
    let filled = filled.unwrap();
    assert_eq!(
        (filled.filled, filled.remaining, filled.average_fill_price),
        (100.0, 0.0, Some(558.51))
    );
    let commission = commission.unwrap();
    // IBKR Pro fixed: 100 x 0.005 = 0.50, raised to the 1.00 minimum.
    assert_eq!(commission.commission, 1.0);
    assert_eq!(commission.execution_id, exec.execution.execution_id);
    assert_eq!(commission.realized_pnl, None);

    // Market sell of half: fills at the bid (558.49). Average cost per IB
    // includes the buy commission: (55851 + 1) / 100 = 558.52, so realized
    // = (558.49 - 558.52) x 50 - 1.00 = -2.50.
    let mut sub2 = within(
        5,
        "place mkt",
        client.place_order(
            id + 1,
            &spy,
            &order_builder::market_order(Action::Sell, 50.0),
        ),
    )
    .await
    .expect("place MKT");
    let (mut price, mut pnl) = (None, None);
    while price.is_none() || pnl.is_none() {
        match next_place_event(&mut sub2).await {
            PlaceOrder::ExecutionData(e) => price = Some(e.execution.price),
            PlaceOrder::CommissionReport(c) => pnl = Some(c.realized_pnl),
            _ => {}
        }
    }
    assert_eq!(price, Some(558.49));
    let pnl = pnl.unwrap().expect("realized pnl on a closing fill");
    assert!((pnl - -2.5).abs() < 1e-6, "{pnl}");

    // Cancel a resting order: Cancelled (and the 202 notice).
    let mut sub3 = within(
        5,
        "place",
        client.place_order(
            id + 2,
            &spy,
            &order_builder::limit_order(Action::Buy, 10.0, 500.0),
        ),
    )
    .await
    .expect("place");
    loop {
        if let PlaceOrder::OrderStatus(s) = next_place_event(&mut sub3).await
            && s.status.as_str() == "Submitted"
        {
            break;
        }
    }
    let mut cancel = within(5, "cancel", client.cancel_order(id + 2, ""))
        .await
        .expect("cancel");
    let mut cancelled = false;
    while !cancelled {
        match within(5, "cancel events", cancel.next()).await {
            Some(Ok(SubscriptionItem::Data(ibapi::orders::CancelOrder::OrderStatus(s)))) => {
                cancelled = s.status.as_str() == "Cancelled"
            }
            Some(Ok(_)) => {}
            other => panic!("cancel stream ended: {other:?}"),
        }
    }

    // Positions: 50 SPY at 558.52.
    let mut positions = within(5, "positions", client.positions())
        .await
        .expect("positions");
    let mut found = None;
    while let Some(item) = within(5, "position rows", positions.next()).await {
        match item.expect("position") {
            SubscriptionItem::Data(PositionUpdate::Position(p)) => found = Some(p),
            SubscriptionItem::Data(PositionUpdate::PositionEnd) => break,
            SubscriptionItem::Notice(_) => {}
        }
    }
    let p = found.expect("SPY position");
    assert_eq!((p.contract.contract_id, p.position), (SPY, 50.0));
    assert!((p.average_cost - 558.52).abs() < 1e-9, "{}", p.average_cost);

    // reqExecutions: both fills with their commission reports.
    drop(sub);
    drop(sub2);
    let mut execs = within(
        5,
        "executions",
        client.executions(ExecutionFilter::default()),
    )
    .await
    .expect("executions");
    let mut seen = Vec::new();
    let mut reports = 0;
    while let Some(item) = within(5, "exec rows", execs.next()).await {
        match item.expect("exec") {
            SubscriptionItem::Data(ibapi::orders::Executions::ExecutionData(e)) => {
                seen.push((e.execution.order_id, e.execution.shares))
            }
            SubscriptionItem::Data(ibapi::orders::Executions::CommissionReport(_)) => reports += 1,
            _ => {}
        }
    }
    assert_eq!(seen, [(1, 100.0), (2, 50.0)]);
    assert_eq!(reports, 2);
    client.disconnect().await;
    sim.shutdown().await;
}

fn first_expiry() -> Date {
    Date::new(2025, 3, 21).unwrap()
}

#[tokio::test]
async fn option_chain_greeks_and_a_combo_order() {
    let sim = start(manual_config()).await;
    let client = connect(sim.port(), 4).await;

    let mut chain = within(
        5,
        "option chain",
        client
            .option_chain("SPY", SecurityType::Stock, SPY)
            .subscribe(),
    )
    .await
    .expect("reqSecDefOptParams");
    let mut chains = Vec::new();
    while let Some(item) = within(5, "chain rows", chain.next()).await {
        match item {
            Ok(SubscriptionItem::Data(c)) => chains.push(c),
            Ok(SubscriptionItem::Notice(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(chains.len(), 2);
    let smart = chains
        .iter()
        .find(|c| c.exchange == "SMART")
        .expect("SMART chain");
    assert_eq!(smart.underlying_contract_id, SPY);
    // The four Fridays after Tuesday 2025-03-18; strikes 510..=610 by 5
    // around the 560 start price.
    assert_eq!(
        smart.expirations,
        ["20250321", "20250328", "20250404", "20250411"]
    );
    assert_eq!(smart.strikes.len(), 21);
    assert_eq!(smart.strikes.first(), Some(&510.0));
    assert_eq!(smart.strikes.last(), Some(&610.0));

    // Greeks of the ATM call: BSM S=K=560, T = 3 d 6.5 h (ACT/365),
    // r 4.5 %, q 1.3 %, vol 18 %. Golden values from
    // tests/python/bsm_golden.py (closed form, standard library only):
    // call 3.886516505505938, delta 0.5100522007169618.
    let call = Contract::call("SPY")
        .strike(560.0)
        .expires_on(2025, 3, 21)
        .build();
    let mut md = within(5, "option md", client.market_data(&call).subscribe())
        .await
        .expect("reqMktData option");
    let model = loop {
        match within(5, "greeks", md.next()).await {
            Some(Ok(SubscriptionItem::Data(TickTypes::OptionComputation(c))))
                if c.field == TickType::ModelOption =>
            {
                break c;
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(model.underlying_price, Some(560.0));
    assert_eq!(model.implied_volatility, Some(0.18));
    assert!(
        (model.option_price.unwrap() - 3.886516505505938).abs() < 1e-9,
        "{:?}",
        model.option_price
    );
    assert!(
        (model.delta.unwrap() - 0.5100522007169618).abs() < 1e-9,
        "{:?}",
        model.delta
    );
    drop(md);

    // BAG: buy the 560/565 call vertical, all-or-none, limit at the
    // natural debit: the 560C ask minus the 565C bid.
    let long = sim
        .option_con_id("SPY", first_expiry(), 560.0, trade_core::OptionRight::Call)
        .expect("560C");
    let short = sim
        .option_con_id("SPY", first_expiry(), 565.0, trade_core::OptionRight::Call)
        .expect("565C");
    let natural =
        round2(sim.quote_con_id(long).unwrap().ask - sim.quote_con_id(short).unwrap().bid);
    let bag = Contract {
        symbol: "SPY".into(),
        security_type: SecurityType::Spread,
        currency: "USD".into(),
        exchange: "SMART".into(),
        combo_legs: vec![
            ComboLeg {
                contract_id: long,
                ratio: 1,
                action: LegAction::Buy,
                exchange: "SMART".into(),
                open_close: ComboLegOpenClose::Same,
                ..Default::default()
            },
            ComboLeg {
                contract_id: short,
                ratio: 1,
                action: LegAction::Sell,
                exchange: "SMART".into(),
                open_close: ComboLegOpenClose::Same,
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let mut order = order_builder::combo_limit_order(Action::Buy, 2.0, natural);
    order.all_or_none = true;
    let id = client.next_order_id();
    let mut sub = within(5, "place bag", client.place_order(id, &bag, &order))
        .await
        .expect("place BAG");
    let mut legs = Vec::new();
    let mut filled = None;
    while legs.len() < 2 || filled.is_none() {
        match next_place_event(&mut sub).await {
            PlaceOrder::ExecutionData(e) => legs.push((
                e.contract.contract_id,
                e.execution.side.to_string(),
                e.execution.shares,
            )),
            PlaceOrder::OrderStatus(s) if s.status.as_str() == "Filled" => filled = Some(s),
            PlaceOrder::OpenOrder(o) => assert!(o.order.all_or_none),
            _ => {}
        }
    }
    assert_eq!(
        legs,
        [
            (long, "BOT".to_string(), 2.0),
            (short, "SLD".to_string(), 2.0)
        ]
    );
    let filled = filled.unwrap();
    assert_eq!(filled.filled, 2.0);
    assert!((filled.average_fill_price.unwrap() - natural).abs() < 1e-9);
    client.disconnect().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn stop_order_waits_presubmitted_until_the_last_trade_reaches_the_stop() {
    let sim = start(manual_config()).await;
    let client = connect(sim.port(), 6).await;
    let spy = Contract::stock("SPY").build();
    let id = client.next_order_id();
    let mut sub = within(
        5,
        "place stop",
        client.place_order(id, &spy, &order_builder::stop(Action::Sell, 10.0, 555.0)),
    )
    .await
    .expect("place STP");
    // 560 > 555: the stop is accepted but not working yet.
    match next_place_event(&mut sub).await {
        PlaceOrder::OpenOrder(o) => assert_eq!(o.order_state.status.as_str(), "PreSubmitted"),
        other => panic!("{other:?}"),
    }
    match next_place_event(&mut sub).await {
        PlaceOrder::OrderStatus(s) => assert_eq!(s.status.as_str(), "PreSubmitted"),
        other => panic!("{other:?}"),
    }
    sim.advance(3);
    assert_eq!(
        sim.snapshot().orders[0].status,
        trade_gateway_sim::Status::PreSubmitted
    );
    // Last trade 554.90 <= 555: triggered, becomes a market order, sells at
    // the bid 554.89.
    sim.set_price("SPY", 554.90).expect("price");
    let mut seen = Vec::new();
    let mut price = None;
    while seen.last().map(String::as_str) != Some("Filled") {
        match next_place_event(&mut sub).await {
            PlaceOrder::OrderStatus(s) => seen.push(s.status.as_str().to_string()),
            PlaceOrder::ExecutionData(e) => price = Some(e.execution.price),
            _ => {}
        }
    }
    assert_eq!(seen, ["Submitted", "Filled"]);
    assert_eq!(price, Some(554.89));
    client.disconnect().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn auto_clock_streams_realtime_bars_without_manual_steps() {
    let cfg = SimConfig {
        clock: trade_gateway_sim::ClockMode::Auto {
            step_every: std::time::Duration::from_millis(5),
        },
        ..SimConfig::default()
    };
    let sim = start(cfg).await;
    let client = connect(sim.port(), 7).await;
    let mut rt = client
        .realtime_bars(&Contract::stock("SPY").build())
        .subscribe()
        .await
        .expect("bars");
    let mut times = Vec::new();
    while times.len() < 3 {
        match within(5, "auto bars", rt.next()).await {
            Some(Ok(SubscriptionItem::Data(b))) => {
                assert!(
                    b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high
                );
                times.push(b.date.unix_timestamp());
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    // Consecutive 5-second bars on the simulated clock.
    assert_eq!(times[1] - times[0], 5);
    assert_eq!(times[2] - times[1], 5);
    assert_eq!(times[0] % 5, 0);
    client.disconnect().await;
    sim.shutdown().await;
}
