//! Warm-up bars from the gateway simulator's history (the real wire
//! protocol through `ibapi`): bars stamped at their end like the
//! backtest's, and requests paced so that the simulator's pacing rules
//! (error 162 on a violation) are never broken.

use std::time::{Duration, Instant};

use trade_core::{Instrument, Symbol};
use trade_gateway_sim::{ClockMode, GatewaySim, SimConfig};
use trade_ib::aggregate::BarSize;
use trade_ib::history::{Pacer, warmup_bars};

async fn client() -> (trade_gateway_sim::SimHandle, ibapi::Client) {
    let sim = GatewaySim::bind("127.0.0.1:0").await.expect("bind");
    let sim = sim
        .start(SimConfig {
            clock: ClockMode::Manual,
            ..SimConfig::default()
        })
        .expect("start sim");
    // Three hours of simulated trading to read history from.
    sim.advance(3 * 3600);
    let c = ibapi::Client::connect(&format!("127.0.0.1:{}", sim.port()), 77)
        .await
        .expect("connect");
    (sim, c)
}

#[tokio::test]
async fn minute_bars_arrive_stamped_at_their_end_oldest_first() {
    let (sim, c) = client().await;
    let spy = Instrument::etf(Symbol::new("SPY").unwrap());
    let mut pacer = Pacer::new();
    let bars = warmup_bars(&c, &[spy], BarSize::Intraday(60), 100, &mut pacer)
        .await
        .unwrap();
    let spy = &bars[0];
    assert_eq!(spy.len(), 100, "the last 100 bars");
    assert!(
        spy.windows(2)
            .all(|w| w[1].ts.secs() - w[0].ts.secs() == 60)
    );
    assert!(spy.iter().all(|b| b.ts.secs() % 60 == 0));
    assert!(spy.last().unwrap().ts.secs() <= sim.now());
    assert!(
        spy.iter()
            .all(|b| b.low <= b.open.min(b.close) && b.high >= b.open.max(b.close))
    );
}

#[tokio::test]
async fn unpaced_the_gateway_refuses_the_sixth_request() {
    let (sim, c) = client().await;
    sim.set_historical_pacing(true);
    let spy = Instrument::etf(Symbol::new("SPY").unwrap());
    let mut refused = 0;
    for count in [10, 800, 1600, 2400, 3200, 4000, 4800] {
        // A fresh pacer each time: no memory, no waiting.
        let bars = warmup_bars(
            &c,
            std::slice::from_ref(&spy),
            BarSize::Intraday(30),
            count,
            &mut Pacer::new(),
        )
        .await
        .unwrap();
        refused += usize::from(bars[0].is_empty());
    }
    assert!(refused >= 1, "the simulator's pacing rules are in force");
}

#[tokio::test]
async fn paced_requests_never_break_the_gateways_pacing_rules() {
    let (sim, c) = client().await;
    sim.set_historical_pacing(true);
    let spy = Instrument::etf(Symbol::new("SPY").unwrap());
    let mut pacer = Pacer::new();
    let start = Instant::now();
    // Seven different requests (durations of 5 to 11 days of 30-second
    // bars) on one contract: the sixth and seventh must wait for the
    // two-second window (unpaced, the gateway answers the sixth with a
    // pacing violation, error 162, and no bars).
    for count in [10, 800, 1600, 2400, 3200, 4000, 4800] {
        let bars = warmup_bars(
            &c,
            std::slice::from_ref(&spy),
            BarSize::Intraday(30),
            count,
            &mut pacer,
        )
        .await
        .unwrap();
        assert!(!bars[0].is_empty(), "request for {count} bars refused");
    }
    assert!(
        start.elapsed() >= Duration::from_millis(1_900),
        "{:?}",
        start.elapsed()
    );
}
