//! The options backtest of issue 3's performance goal: 10 years of SPY
//! daily closes (2012-11-19 .. 2022-11-18), a 45-DTE iron condor on
//! synthetic chains regenerated every session from the real VIX, with the
//! default exit rules and a max-loss-at-risk limit. Engine only (bars and
//! VIX already loaded); `trade backtest --config
//! examples/spy_iron_condor_45dte.toml` prints the end-to-end timings.
//!
//! `cargo bench -p trade-engine --bench options`

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::Time;
use trade_core::{Instrument, InstrumentId, Money, Price, Qty, Symbol};
use trade_data::{BarFileSpec, load_bars};
use trade_engine::broker::{ComboFillConfig, CommissionModel};
use trade_engine::options::{
    ContractSpec, OptionsSpec, OptionsStrategy, StructureChoice, SyntheticChains,
    run_options_backtest,
};
use trade_options::exits::ExitConfig;
use trade_options::portfolio::PortfolioLimits;
use trade_options::structure::EntryCriteria;
use trade_options::synth::{ChainGenerator, SynthConfig, VixSeries};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn bench(c: &mut Criterion) {
    let bars = load_bars(
        &BarFileSpec::new(repo("data/daily/yahoo_xjcarter_2022/SPY.csv")),
        InstrumentId(0),
    )
    .expect("SPY")
    .bars;
    let from = bars.len().saturating_sub(2519);
    let bars = &bars[from..];
    let vix = VixSeries::load(&repo("data/vix/VIX_History_cboe.csv")).expect("VIX");
    let mut entry = EntryCriteria::swing();
    entry.window_start = Time::constant(15, 0, 0, 0);
    entry.window_end = Time::constant(16, 0, 0, 0);
    entry.min_credit = Price::from_cents(50);
    let spec = OptionsSpec {
        initial_cash: Money::from_dollars(100_000),
        commission: CommissionModel::PerShare {
            rate: Money::from_raw(65_000_000),
            min: Money::from_dollars(1),
            max_pct: None,
        },
        stock_commission: CommissionModel::default(),
        combo: ComboFillConfig::default(),
        exits: ExitConfig::default(),
        limits: PortfolioLimits {
            max_loss_at_risk: Some(Money::from_dollars(1500)),
            ..PortfolioLimits::default()
        },
        contract: ContractSpec::default(),
        rate: 0.02,
        dividend_yield: 0.015,
        benchmark_closes: Vec::new(),
        strategy: OptionsStrategy {
            name: "spy_ic45".into(),
            structure: StructureChoice::IronCondor {
                wing: Price::from_cents(500),
            },
            entry,
            target_dte: 45,
            contracts: Qty::new(1),
            max_open: 3,
            concession: Price::from_cents(10),
            concession_fraction: 0.0,
        },
    };
    let spy = Symbol::new("SPY").expect("symbol");
    let mut g = c.benchmark_group("options_backtest");
    g.sample_size(10);
    g.bench_function("spy_ic45_10y_synthetic_daily", |b| {
        b.iter(|| {
            let generator =
                ChainGenerator::new(spy.clone(), SynthConfig::default()).expect("generator");
            let mut source = SyntheticChains::new(generator, vix.clone(), "VIX".into());
            run_options_backtest(&spec, Instrument::etf(spy.clone()), bars, &mut source)
                .expect("backtest")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
