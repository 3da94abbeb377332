//! Bar close to order on the wire, in process: the time from the feed's
//! `Instant` to the `Place` command on the broker channel, for a strategy
//! that orders on every bar. Runs the session on its own thread (as
//! `trade paper`/`trade live` do) with an in-memory journal and with an
//! SQLite file journal (fsync on every write), and prints p50, p99 and max
//! over many instants. `cargo bench -p trade-live --bench order_latency`.

use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use trade_core::{
    Bar, Instrument, InstrumentId, OrderIntent, OrderType, Price, Qty, Side, StrategyId, Symbol,
    TimeInForce, Timestamp,
};
use trade_engine::backtest::{BacktestSpec, StrategySlot};
use trade_engine::market_hours::MarketHours;
use trade_engine::strategy::{Context, Strategy};
use trade_journal::{Journal, SqliteJournal};
use trade_live::adapter::{
    AccountType, BrokerCommand, BrokerEvent, BrokerSnapshot, FeedEvent, broker_channels,
    feed_channels,
};
use trade_live::{Mode, Session, SessionConfig, SessionSetup};

/// Buys one unit on one bar and sells it on the next: an order per instant
/// that the gate always approves.
#[derive(Debug)]
struct Flipper {
    buy: bool,
}

impl Strategy for Flipper {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        ctx.submit(OrderIntent {
            instrument: bar.instrument,
            side: if self.buy { Side::Buy } else { Side::Sell },
            qty: Qty::new(1),
            order_type: OrderType::Market,
            tif: TimeInForce::Gtc,
            tag: "bench".into(),
        });
        self.buy = !self.buy;
    }
}

fn measure(journal: Box<dyn Journal + Send>, instants: usize) -> Vec<Duration> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (broker, mut cmds, events) = broker_channels();
    let (feed_link, _feed_cmds, feed) = feed_channels();
    let mut spec = BacktestSpec::default();
    spec.risk.market_hours_only = false;
    let setup = SessionSetup {
        mode: Mode::Paper,
        dry_run: false,
        allow_live_account: false,
        spec,
        instruments: vec![Instrument::etf(Symbol::new("SPY").unwrap())],
        hours: MarketHours::always_open(),
        strategies: vec![StrategySlot {
            id: StrategyId("flipper".into()),
            instruments: vec![InstrumentId(0)],
            strategy: Box::new(Flipper { buy: true }),
        }],
        config: SessionConfig {
            trade_outside_session: true,
            cancel_on_exit: false,
            ..SessionConfig::default()
        },
        clock_speed: 1.0,
        warmup: Vec::new(),
    };
    let (session, mut status) = Session::new(setup, journal, broker, feed_link).unwrap();
    let (stop, stop_rx) = oneshot::channel();
    let handle = trade_live::spawn(session, stop_rx).unwrap();
    let lat = rt.block_on(async move {
        events
            .send(BrokerEvent::Connected {
                accounts: vec![],
                account_type: AccountType::Paper,
                generation: 0,
            })
            .await
            .unwrap();
        assert!(matches!(
            cmds.recv().await,
            Some(BrokerCommand::Reconcile { .. })
        ));
        events
            .send(BrokerEvent::Reconciled(BrokerSnapshot::default()))
            .await
            .unwrap();
        let mut lat = Vec::with_capacity(instants);
        let p = Price::from_cents(10_000);
        for k in 0..instants {
            let ts = Timestamp::from_secs(60 * (k as i64 + 1));
            let bar = Bar {
                instrument: InstrumentId(0),
                ts,
                open: p,
                high: p,
                low: p,
                close: p,
                volume: 1_000,
            };
            feed.send(FeedEvent::Bar(bar)).await.unwrap();
            let t0 = Instant::now();
            feed.send(FeedEvent::Instant(ts)).await.unwrap();
            // The first instant may also see the subscription; skip non-Place.
            let local = loop {
                match cmds.recv().await {
                    Some(BrokerCommand::Place(o)) => break o.local_id,
                    Some(_) => {}
                    None => panic!("session ended"),
                }
            };
            lat.push(t0.elapsed());
            // The broker rejects it at once (outside the measured time), so
            // working orders do not pile up as they would never do live.
            events
                .send(BrokerEvent::Status {
                    local_id: local,
                    broker_order_id: None,
                    perm_id: None,
                    state: trade_journal::OrderState::Rejected,
                    filled: Qty::ZERO,
                    avg_price: None,
                    detail: "bench".into(),
                    ts,
                })
                .await
                .unwrap();
            // Bars are a minute apart live: let the session finish its
            // audit writes before the next close, so one instant's journal
            // work is not billed to the next.
            status
                .wait_for(|s| s.instants == k as u64 + 1 && s.working_orders.is_empty())
                .await
                .unwrap();
        }
        let _ = stop.send(());
        lat
    });
    handle.join().unwrap().unwrap();
    lat
}

fn report(name: &str, mut lat: Vec<Duration>) {
    lat.sort();
    let q = |f: f64| lat[((lat.len() as f64 * f) as usize).min(lat.len() - 1)];
    println!(
        "{name}: {} instants, p50 {:?}, p99 {:?}, max {:?}",
        lat.len(),
        q(0.50),
        q(0.99),
        lat[lat.len() - 1]
    );
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent: keep it short then.
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 5_000 } else { 50 };
    report(
        "in-memory journal",
        measure(Box::new(SqliteJournal::open_in_memory().unwrap()), n),
    );
    let dir = tempfile::tempdir().unwrap();
    report(
        "sqlite file journal (fsync)",
        measure(
            Box::new(SqliteJournal::open(dir.path().join("bench.sqlite")).unwrap()),
            if full { 1_000 } else { 20 },
        ),
    );
}
