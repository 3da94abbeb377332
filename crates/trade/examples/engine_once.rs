//! One run of the engine workload (`ma_crossover` 20/50 over
//! 1,000,000 generated one-minute bars), or of the idle-strategy loop, for
//! instruction-count profiling: `valgrind --tool=callgrind
//! --toggle-collect='*run_backtest*' target/release/examples/engine_once [ma|idle] [bars]`.
//! Prints the figures that must not change (fills, final equity), the
//! run's wall time and the minor page faults it took (fresh memory: this is
//! the process's only run).

use trade::commands::bench::{bench_strategy, generate_minute_bars};
use trade_core::{Bar, Instrument, InstrumentId, StrategyId, Symbol};
use trade_engine::market_hours::MarketHours;
use trade_engine::strategy::{Context, Strategy};
use trade_engine::{BacktestSpec, StrategySlot, run_backtest};

#[derive(Debug)]
struct Idle;

impl Strategy for Idle {
    fn on_bar(&mut self, _ctx: &mut Context<'_>, _bar: &Bar) {}
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "ma".into());
    let n: usize = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let registry = trade_engine::strategy::builtin::registry();
    let (bars, sessions) = generate_minute_bars(n, 42);
    let instruments = vec![Instrument::etf(Symbol::new("SYN")?)];
    let series = vec![bars];
    let hours = MarketHours::new(sessions);
    let slot = match which.as_str() {
        "idle" => StrategySlot {
            id: StrategyId("idle".into()),
            instruments: vec![InstrumentId(0)],
            strategy: Box::new(Idle),
        },
        _ => bench_strategy(&registry)?,
    };
    let faults0 = trade::commands::bench::minor_faults();
    let t = std::time::Instant::now();
    let r = run_backtest(
        &BacktestSpec::default(),
        &instruments,
        &series,
        &hours,
        vec![slot],
        &mut |_, _| {},
    )?;
    let dt = t.elapsed();
    let faults = trade::commands::bench::minor_faults()
        .zip(faults0)
        .map(|(b, a)| b - a);
    let last = r.equity.last().map(|e| e.equity().to_string());
    println!(
        "{which}: {} bars, {} fills, {} orders, final equity {last:?}, {:.1} ms, {} minor page faults",
        r.bars,
        r.fills.len(),
        r.orders.len(),
        dt.as_secs_f64() * 1e3,
        faults.map_or("?".into(), |f| f.to_string())
    );
    Ok(())
}
