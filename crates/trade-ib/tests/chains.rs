//! Option chains fetched from the gateway simulator through `ibapi` (the
//! real wire protocol): the listed expiries and strikes inside the
//! requested window, each contract's quote as the gateway has it, and the
//! Greeks converted from IB's units (vega per volatility point, theta per
//! day) to the chain's (per 1.00 of volatility, per year).

use std::time::Duration;

use trade_core::{Instrument, OptionRight, Price, Symbol, Timestamp};
use trade_gateway_sim::config::{DEFAULT_START, fridays_after};
use trade_gateway_sim::{ClockMode, GatewaySim, SimConfig, timefmt};
use trade_ib::chains::{ChainRequest, fetch_chain};

fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Black-Scholes-Merton vega per 1.00 of volatility (Hull, "Options,
/// Futures, and Other Derivatives", 17.8 and 17.13): S e^{-qT} n(d1) sqrt(T).
fn bsm_vega(s: f64, k: f64, t: f64, r: f64, q: f64, vol: f64) -> f64 {
    let d1 = ((s / k).ln() + (r - q + vol * vol / 2.0) * t) / (vol * t.sqrt());
    s * (-q * t).exp() * norm_pdf(d1) * t.sqrt()
}

#[tokio::test]
async fn chain_window_quotes_and_greeks_come_from_the_gateway() {
    let cfg = SimConfig {
        clock: ClockMode::Manual,
        ..SimConfig::default()
    };
    let (rate, q) = (cfg.rate, cfg.underlyings[0].dividend_yield);
    let sim = GatewaySim::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .start(cfg)
        .expect("start sim");
    let client = ibapi::Client::connect(&format!("127.0.0.1:{}", sim.port()), 31)
        .await
        .expect("connect");
    let spot = sim.quote("SPY").expect("SPY is listed").last;
    let today = timefmt::eastern_date(sim.now());
    let req = ChainRequest {
        underlying: Instrument::etf(Symbol::new("SPY").unwrap()),
        min_days: 0,
        max_days: 10,
        moneyness: 0.02,
        snapshot_timeout: Duration::from_secs(5),
    };
    let chain = fetch_chain(
        &client,
        &req,
        today,
        Timestamp::from_secs(sim.now()),
        Price::from_f64(spot).unwrap(),
    )
    .await
    .expect("chain");

    // The simulator lists four weekly Fridays after 2025-03-18 (Tuesday):
    // 3 and 10 days away are inside 0..=10, 17 and 24 are not.
    let listed = fridays_after(DEFAULT_START, 4);
    assert_eq!(chain.expiries(), &listed[..2]);
    // Strikes every 5 within 2% of the spot (about 560): 550..=570.
    let strikes: Vec<f64> = chain
        .strikes(listed[0], OptionRight::Call)
        .map(|k| k.to_f64())
        .collect();
    assert!(!strikes.is_empty());
    assert!(strikes.iter().all(|k| (k / spot - 1.0).abs() <= 0.02));
    assert!(strikes.iter().all(|k| (k % 5.0).abs() < 1e-9));
    assert_eq!(
        chain.len(),
        2 * 2 * strikes.len(),
        "calls and puts, two expiries"
    );

    for quote in chain.quotes() {
        let k = quote.key;
        let con_id = sim
            .option_con_id("SPY", k.expiry, k.strike.to_f64(), k.right)
            .expect("listed");
        let book = sim.quote_con_id(con_id).expect("quoted");
        assert!((quote.bid.to_f64() - book.bid).abs() < 0.005, "{k:?} bid");
        assert!((quote.ask.to_f64() - book.ask).abs() < 0.005, "{k:?} ask");
        let g = quote.greeks.expect("model Greeks");
        let iv = quote.iv.expect("model volatility");
        let years = (timefmt::eastern_at(k.expiry, 16, 0) - sim.now()) as f64 / (365.0 * 86_400.0);
        let vega = bsm_vega(spot, k.strike.to_f64(), years, rate, q, iv);
        assert!(
            (g.vega - vega).abs() <= 0.01 * vega.max(1e-3),
            "{k:?}: vega {} per 1.00 of vol, Hull's formula gives {vega}",
            g.vega
        );
        assert!(
            g.theta < 0.0 && g.theta.abs() > 1.0,
            "{k:?}: theta per year, {}",
            g.theta
        );
    }
    // Put-call relations of the model (Hull 19.1/19.4): delta_c - delta_p =
    // e^{-qT}, equal gamma and vega for the same strike and expiry.
    for e in chain.expiries() {
        let years = (timefmt::eastern_at(*e, 16, 0) - sim.now()) as f64 / (365.0 * 86_400.0);
        for (c, p) in chain
            .quotes_of(*e, OptionRight::Call)
            .zip(chain.quotes_of(*e, OptionRight::Put))
        {
            assert_eq!(c.key.strike, p.key.strike);
            let (gc, gp) = (c.greeks.unwrap(), p.greeks.unwrap());
            assert!((gc.delta - gp.delta - (-q * years).exp()).abs() < 1e-6);
            assert!((gc.gamma - gp.gamma).abs() < 1e-9);
            assert!((gc.vega - gp.vega).abs() < 1e-6);
        }
    }
    drop(client);
    drop(sim);
}

#[tokio::test]
async fn an_underlying_without_listed_options_is_a_clear_error() {
    let sim = GatewaySim::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .start(SimConfig {
            clock: ClockMode::Manual,
            ..SimConfig::default()
        })
        .expect("start sim");
    let client = ibapi::Client::connect(&format!("127.0.0.1:{}", sim.port()), 32)
        .await
        .expect("connect");
    let spot = sim.quote("QQQ").expect("QQQ is listed").last;
    let req = ChainRequest {
        underlying: Instrument::etf(Symbol::new("QQQ").unwrap()),
        min_days: 0,
        max_days: 30,
        moneyness: 0.05,
        snapshot_timeout: Duration::from_secs(5),
    };
    let err = fetch_chain(
        &client,
        &req,
        timefmt::eastern_date(sim.now()),
        Timestamp::from_secs(sim.now()),
        Price::from_f64(spot).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(err.starts_with("QQQ: "), "{err}");
}
