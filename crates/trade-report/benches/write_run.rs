//! Writing a whole run folder for a 1,000,000-row equity ledger (about ten
//! years of one-minute bars): Parquet ledgers, summary (daily resampling and
//! metrics), both charts and the HTML page, with every fsync.
//!
//! `cargo bench -p trade-report --bench write_run`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use trade_core::{
    ClientOrderId, Fill, Instrument, InstrumentId, Money, Order, OrderIntent, OrderStatus,
    OrderType, Price, Qty, Side, StrategyId, Symbol, TimeInForce, Timestamp,
};
use trade_engine::BacktestResult;
use trade_engine::ledger::{EquityRow, FillRow, PositionRow, Trade};
use trade_report::{Benchmark, DataFileInfo, MetricsConfig, RunInput, write_run};

const ROWS: usize = 1_000_000;
const TRADES: usize = 5_000;

/// Minute closes of regular sessions (390 a day, weekdays), from 2014-01-02.
fn minute_times(n: usize) -> Vec<Timestamp> {
    let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let mut out = Vec::with_capacity(n);
    let mut d = jiff::civil::date(2014, 1, 2);
    while out.len() < n {
        if d.weekday().to_monday_one_offset() <= 5 {
            let open = d
                .at(9, 30, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_second();
            for m in 1..=390 {
                if out.len() == n {
                    break;
                }
                out.push(Timestamp::from_secs(open + m * 60));
            }
        }
        d = d.tomorrow().unwrap();
    }
    out
}

fn result(times: &[Timestamp]) -> (BacktestResult, Vec<(Timestamp, Price)>) {
    let mut s = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 1_000_000) as f64 / 1_000_000.0 - 0.5
    };
    let mut px = 180.0_f64;
    let mut closes = Vec::with_capacity(times.len());
    let mut equity = Vec::with_capacity(times.len());
    let cash = Money::from_dollars(40_000);
    for &t in times {
        px *= 1.0 + 0.000_002 + 0.0008 * rnd();
        let p = Price::from_f64((px * 100.0).round() / 100.0).unwrap();
        closes.push((t, p));
        let pos = Money::notional(p, Qty::new(300), 1);
        equity.push(EquityRow {
            ts: t,
            cash,
            gross_exposure: pos,
            net_exposure: pos,
        });
    }
    let mut orders = Vec::new();
    let mut fills = Vec::new();
    let mut positions = Vec::new();
    let mut trades = Vec::new();
    let step = times.len() / TRADES;
    for k in 0..TRADES {
        let (a, b) = (k * step, k * step + step / 2);
        for (j, (i, side)) in [(a, Side::Buy), (b, Side::Sell)].into_iter().enumerate() {
            let id = ClientOrderId((2 * k + j) as u64 + 1);
            orders.push(Order {
                id,
                broker_id: None,
                strategy: StrategyId("spy_minute_meanrev".into()),
                intent: OrderIntent {
                    instrument: InstrumentId(0),
                    side,
                    qty: Qty::new(100),
                    order_type: OrderType::Market,
                    tif: TimeInForce::Day,
                    tag: if j == 0 {
                        "entry".into()
                    } else {
                        "exit".into()
                    },
                },
                created: times[i],
                status: OrderStatus::Filled,
                filled: Qty::new(100),
                triggered: false,
                closed: Some(times[i]),
                reason: None,
            });
            fills.push(FillRow {
                fill: Fill {
                    order_id: id,
                    instrument: InstrumentId(0),
                    side,
                    qty: Qty::new(100),
                    price: closes[i].1,
                    commission: Money::from_cents(50),
                    ts: times[i],
                },
                strategy: 0,
                realized: Money::ZERO,
            });
            positions.push(PositionRow {
                ts: times[i],
                instrument: InstrumentId(0),
                qty: if j == 0 { 100 } else { 0 },
                cost_basis: Money::notional(closes[a].1, Qty::new(100), 1),
                realized: Money::ZERO,
            });
        }
        let pnl = Money::notional(closes[b].1, Qty::new(100), 1)
            - Money::notional(closes[a].1, Qty::new(100), 1);
        trades.push(Trade {
            instrument: InstrumentId(0),
            direction: Side::Buy,
            entry_ts: times[a],
            exit_ts: times[b],
            max_qty: 100,
            entry_price: closes[a].1.to_f64(),
            exit_price: closes[b].1.to_f64(),
            pnl,
            commission: Money::from_dollars(1),
            return_pct: pnl.to_f64() / (closes[a].1.to_f64() * 100.0),
        });
    }
    let r = BacktestResult {
        orders,
        fills,
        equity,
        positions,
        trades,
        risk_events: Vec::new(),
        kill_switch: None,
        bars: times.len() as u64,
        final_marks: vec![closes.last().unwrap().1],
        initial_cash: Money::from_dollars(100_000),
    };
    (r, closes)
}

fn bench(c: &mut Criterion) {
    let times = minute_times(ROWS);
    let (res, closes) = result(&times);
    let root = std::env::temp_dir().join(format!("trade-report-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let input = |id: String, bench: Option<Benchmark<'static>>| RunInput {
        run_id: id,
        version: "0.1.0".into(),
        git_sha: None,
        config_toml: "[data]\n".into(),
        config_hash: "0".repeat(64),
        data_files: vec![DataFileInfo {
            path: "SPY_1m.parquet".into(),
            symbol: "SPY".into(),
            sha256: "0".repeat(64),
            rows: ROWS as u64,
        }],
        instruments: vec![Instrument::etf(Symbol::new("SPY").unwrap())],
        strategy_names: vec!["spy_minute_meanrev".into()],
        benchmark: bench,
        result: &res,
        metrics_config: MetricsConfig::default(),
        extra_files: Vec::new(),
    };
    let mut group = c.benchmark_group("write_run");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    let mut n = 0u64;
    let mut run = |name: &str, with_bench: bool| {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    n += 1;
                    let inp = input(
                        format!("r{n}"),
                        with_bench.then(|| Benchmark {
                            symbol: "SPY".into(),
                            closes: closes.clone().into(),
                        }),
                    );
                    let t = Instant::now();
                    let dir: PathBuf = black_box(write_run(&root, &inp).unwrap());
                    total += t.elapsed();
                    std::fs::remove_dir_all(dir).unwrap();
                }
                total
            });
        });
    };
    run("1M equity rows, 5k trades", false);
    run("1M equity rows, 5k trades, 1M-close benchmark", true);
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, bench);
criterion_main!(benches);
