//! A real (small) backtest through `trade_engine::run_backtest`, written
//! with `write_run`, read back and re-rendered.
//!
//! Set `TRADE_REPORT_KEEP=/some/dir` to keep the run folder (for looking at
//! `report.html` in a browser).

use std::path::PathBuf;

use trade_core::{Bar, Instrument, InstrumentId, Money, Price, StrategyId, Symbol, Timestamp};
use trade_engine::backtest::BacktestSpec;
use trade_engine::market_hours::MarketHours;
use trade_engine::risk::RiskLimits;
use trade_engine::strategy::{Context, Strategy};
use trade_engine::{StrategySlot, run_backtest};
use trade_report::{
    Benchmark, Closes, DataFileInfo, MetricsConfig, RunInput, Summary, ledgers, render_report,
    write_run,
};

/// Long (or short) when the fast SMA is above (below) the slow one.
#[derive(Debug)]
struct SmaCross {
    fast: usize,
    slow: usize,
    qty: i64,
    short: bool,
    closes: Vec<Vec<f64>>,
}

impl Strategy for SmaCross {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let i = bar.instrument.index();
        if self.closes.len() <= i {
            self.closes.resize(i + 1, Vec::new());
        }
        let c = &mut self.closes[i];
        c.push(bar.close.to_f64());
        if c.len() < self.slow {
            return;
        }
        let mean = |n: usize| c[c.len() - n..].iter().sum::<f64>() / n as f64;
        let target = if mean(self.fast) > mean(self.slow) {
            self.qty
        } else if self.short {
            -self.qty / 2
        } else {
            0
        };
        let have = ctx.position(bar.instrument) + ctx.pending(bar.instrument);
        if have != target {
            ctx.target_position(
                bar.instrument,
                target,
                if target > 0 { "fast>slow" } else { "fast<slow" },
            );
        }
    }
}

fn session_close(d: jiff::civil::Date) -> Timestamp {
    let z = d
        .at(16, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("America/New_York").unwrap())
        .unwrap();
    Timestamp::from_jiff(z.timestamp()).unwrap()
}

fn synthetic_bars(
    id: u32,
    days: &[jiff::civil::Date],
    start: f64,
    drift: f64,
    vol: f64,
    seed: u64,
) -> Vec<Bar> {
    let mut s = seed;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 1_000_000) as f64 / 1_000_000.0 - 0.5
    };
    let mut close = start;
    days.iter()
        .map(|&d| {
            let open = close * (1.0 + vol * 0.3 * next());
            close = open * (1.0 + drift + vol * next());
            let hi = open.max(close) * (1.0 + vol * 0.2 * (next() + 0.5));
            let lo = open.min(close) * (1.0 - vol * 0.2 * (next() + 0.5));
            let p = |x: f64| Price::from_f64((x * 100.0).round() / 100.0).unwrap();
            Bar {
                instrument: InstrumentId(id),
                ts: session_close(d),
                open: p(open),
                high: p(hi),
                low: p(lo),
                close: p(close),
                volume: 1_000_000,
            }
        })
        .collect()
}

fn temp_root() -> (PathBuf, bool) {
    match std::env::var_os("TRADE_REPORT_KEEP") {
        Some(p) => (PathBuf::from(p), true),
        None => {
            let p = std::env::temp_dir().join(format!("trade-report-e2e-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            (p, false)
        }
    }
}

#[test]
fn backtest_to_run_folder_and_back() {
    let mut days = Vec::new();
    let mut d = jiff::civil::date(2021, 1, 4);
    while d <= jiff::civil::date(2023, 12, 29) {
        if d.weekday().to_monday_one_offset() <= 5 {
            days.push(d);
        }
        d = d.tomorrow().unwrap();
    }
    let instruments = vec![
        Instrument::etf(Symbol::new("SPY").unwrap()),
        Instrument::etf(Symbol::new("QQQ").unwrap()),
    ];
    let series = vec![
        synthetic_bars(0, &days, 370.0, 0.0004, 0.022, 0x9e37_79b9_7f4a_7c15),
        synthetic_bars(1, &days, 310.0, 0.0005, 0.03, 0x2545_f491_4f6c_dd1d),
    ];
    let spec = BacktestSpec {
        risk: RiskLimits {
            max_position_pct: Some(0.45),
            max_drawdown_pct: Some(0.12),
            ..RiskLimits::default()
        },
        ..BacktestSpec::default()
    };
    let strategies = vec![
        StrategySlot {
            id: StrategyId("spy_sma_10_30".into()),
            instruments: vec![InstrumentId(0)],
            strategy: Box::new(SmaCross {
                fast: 10,
                slow: 30,
                qty: 100,
                short: false,
                closes: Vec::new(),
            }),
        },
        StrategySlot {
            id: StrategyId("qqq_sma_5_20_ls".into()),
            instruments: vec![InstrumentId(1)],
            strategy: Box::new(SmaCross {
                fast: 5,
                slow: 20,
                qty: 120,
                short: true,
                closes: Vec::new(),
            }),
        },
    ];
    let result = run_backtest(
        &spec,
        &instruments,
        &series,
        &MarketHours::always_open(),
        strategies,
        &mut |_, _| {},
    )
    .unwrap();
    assert!(!result.trades.is_empty());

    let benchmark = Benchmark {
        symbol: "SPY".into(),
        closes: Closes::Bars(&series[0]),
    };
    let input = RunInput {
        run_id: "2024-01-02T10-00-00Z_sma".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        git_sha: Some("a350f9c0d1e2f3a4b5c6d7e8f90123456789abcd".into()),
        config_toml: "[account]\ninitial_cash = 100000\n".into(),
        config_hash: "sha256:3f1a9c2e77b04d5e8a6b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"
            .into(),
        data_files: vec![
            DataFileInfo {
                path: "data/SPY_1d.parquet".into(),
                symbol: "SPY".into(),
                sha256: "ab".repeat(32),
                rows: days.len() as u64,
            },
            DataFileInfo {
                path: "data/QQQ_1d.parquet".into(),
                symbol: "QQQ".into(),
                sha256: "cd".repeat(32),
                rows: days.len() as u64,
            },
        ],
        instruments,
        strategy_names: vec!["spy_sma_10_30".into(), "qqq_sma_5_20_ls".into()],
        benchmark: Some(benchmark),
        result: &result,
        metrics_config: MetricsConfig::default(),
        extra_files: Vec::new(),
    };
    let (root, keep) = temp_root();
    let dir = write_run(&root, &input).unwrap();

    let summary = Summary::read(&dir).unwrap();
    assert_eq!(summary.final_equity, result.equity.last().unwrap().equity());
    assert_eq!(summary.initial_equity, Money::from_dollars(100_000));
    assert_eq!(summary.trades.count, result.trades.len());
    assert_eq!(summary.period.sessions, days.len());
    assert_eq!(summary.risk.events, result.risk_events.len());
    assert_eq!(
        summary.risk.kill_switch.is_some(),
        result.kill_switch.is_some()
    );
    assert_eq!(ledgers::read_equity(&dir).unwrap(), result.equity);
    assert_eq!(ledgers::read_fills(&dir).unwrap().len(), result.fills.len());
    // The benchmark was handed over as the SPY bars themselves; the file
    // holds their (time, close) pairs.
    let bench = ledgers::read_benchmark(&dir).unwrap().unwrap();
    let pairs: Vec<(Timestamp, Price)> = series[0].iter().map(|b| (b.ts, b.close)).collect();
    assert_eq!(bench.symbol, "SPY");
    assert_eq!(bench.closes.iter().collect::<Vec<_>>(), pairs);

    let page = std::fs::read(dir.join("report.html")).unwrap();
    render_report(&dir).unwrap();
    assert_eq!(std::fs::read(dir.join("report.html")).unwrap(), page);
    if !keep {
        std::fs::remove_dir_all(&root).unwrap();
    }
}
