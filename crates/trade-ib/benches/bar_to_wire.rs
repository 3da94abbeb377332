//! Bar close to order on the wire, through every real part in one process:
//! the feed's `Instant` for a closed bar → the session (strategy, risk gate,
//! the journal write of the intent) → the IB adapter (ibapi encoding, the
//! pacing limiter) → a TCP socket on 127.0.0.1 → the TWS gateway simulator,
//! which stamps each placeOrder request when it has read and decoded it.
//! A strategy orders on every bar; the feed is driven by the bench so the
//! clock starts at the bar close. Prints p50, p99 and max for an in-memory
//! journal and for an SQLite file journal (fsync on every write).
//! `cargo bench -p trade-ib --bench bar_to_wire`.

use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use trade_core::{
    Bar, Instrument, InstrumentId, OrderIntent, OrderType, Price, Qty, Side, StrategyId, Symbol,
    TimeInForce, Timestamp,
};
use trade_engine::backtest::{BacktestSpec, StrategySlot};
use trade_engine::market_hours::MarketHours;
use trade_engine::strategy::{Context, Strategy};
use trade_gateway_sim::{ClockMode, GatewaySim, SimConfig};
use trade_journal::{Journal, SqliteJournal};
use trade_live::adapter::{FeedEvent, feed_channels};
use trade_live::{Connection, Mode, Session, SessionConfig, SessionSetup};

/// Buys one share on one bar and sells it on the next.
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt.block_on(async {
        GatewaySim::bind("127.0.0.1:0")
            .await
            .expect("bind")
            .start(SimConfig {
                clock: ClockMode::Manual,
                ..SimConfig::default()
            })
            .expect("sim")
    });
    let (broker, _feed_ib, _handle) = {
        let _guard = rt.enter();
        trade_ib::start(trade_ib::IbConfig {
            port: sim.port(),
            client_id: 9,
            ..trade_ib::IbConfig::default()
        })
        .expect("adapter")
    };
    let (feed_link, _feed_cmds, feed) = feed_channels();
    let mut spec = BacktestSpec::default();
    spec.risk.market_hours_only = false;
    let setup = SessionSetup {
        mode: Mode::Live,
        dry_run: false,
        allow_live_account: false,
        spec,
        instruments: vec![Instrument::etf(Symbol::new("SPY").expect("symbol"))],
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
    let (session, mut status) = {
        let _guard = rt.enter();
        Session::new(setup, journal, broker, feed_link).expect("session")
    };
    let (stop, stop_rx) = oneshot::channel();
    let handle = trade_live::spawn(session, stop_rx).expect("session thread");
    let lat = rt.block_on(async {
        status
            .wait_for(|s| s.connection == Connection::Up)
            .await
            .expect("connected and reconciled");
        let mut lat = Vec::with_capacity(instants);
        let p = Price::from_cents(56_000);
        for k in 0..instants {
            let ts = Timestamp::from_secs(1_742_304_600 + 60 * (k as i64 + 1));
            let bar = Bar {
                instrument: InstrumentId(0),
                ts,
                open: p,
                high: p,
                low: p,
                close: p,
                volume: 1_000,
            };
            feed.send(FeedEvent::Bar(bar)).await.expect("bar");
            let t0 = Instant::now();
            feed.send(FeedEvent::Instant(ts)).await.expect("instant");
            let arrived = loop {
                if let Some(t) = sim.order_arrivals().get(k) {
                    break *t;
                }
                // The gateway stamps the arrival itself: polling slowly
                // costs no accuracy and leaves the cores to the path measured.
                tokio::time::sleep(Duration::from_micros(500)).await;
            };
            lat.push(arrived.saturating_duration_since(t0));
            // Let the fill come back and the session settle before the next
            // close, as a minute between bars would; and stay under IB's
            // pacing (45 messages/s here): bars faster than that would
            // measure the rate limiter's queue, not the path.
            status
                .wait_for(|s| s.instants == k as u64 + 1 && s.working_orders.is_empty())
                .await
                .expect("settled");
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        lat
    });
    let _ = stop.send(());
    handle.join().expect("join").expect("session");
    rt.block_on(sim.shutdown());
    lat
}

fn report(name: &str, mut lat: Vec<Duration>) {
    lat.sort();
    let q = |f: f64| lat[((lat.len() as f64 * f) as usize).min(lat.len() - 1)];
    println!(
        "{name}: {} orders, bar close to placeOrder read by the gateway: p50 {:?}, p99 {:?}, max {:?}",
        lat.len(),
        q(0.50),
        q(0.99),
        lat[lat.len() - 1]
    );
}

fn main() {
    // `cargo test --benches` runs bench binaries without `--bench`: keep it short then.
    let full = std::env::args().any(|a| a == "--bench");
    report(
        "in-memory journal",
        measure(
            Box::new(SqliteJournal::open_in_memory().expect("journal")),
            if full { 1_000 } else { 20 },
        ),
    );
    let dir = std::env::temp_dir().join(format!("trade-ib-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    report(
        "sqlite file journal (fsync)",
        measure(
            Box::new(SqliteJournal::open(dir.join("bench.sqlite")).expect("journal")),
            if full { 500 } else { 10 },
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
