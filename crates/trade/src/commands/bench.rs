//! `trade bench`: throughput of the engine alone and of a whole
//! `trade backtest` on deterministic generated one-minute bars, plus ten
//! years of daily bars for four ETFs.
//!
//! The workload of the issue: `ma_crossover` 20/50 over 1,000,000
//! one-minute bars with full accounting and ledgers. Bars follow a seeded
//! random walk inside real NYSE regular sessions from 2010-01-04, so the
//! market-hours gate and DAY expiries run as in a real backtest.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use trade_calendar::Nyse;
use trade_core::{Bar, Instrument, InstrumentId, Price, Symbol, Timestamp};
use trade_engine::market_hours::{MarketHours, SessionTimes};
use trade_engine::strategy::{ParamValue, Registry};
use trade_engine::{BacktestSpec, StrategySlot, run_backtest};

use crate::cli::BenchArgs;
use crate::config::{self, Sources};
use crate::pipeline::{self, RunOptions};

/// xorshift64*: a tiny deterministic generator, so the bench data is the
/// same on every machine without a `rand` dependency.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// `n` one-minute bars of instrument 0 in NYSE regular sessions from
/// 2010-01-04, and those sessions. Prices are on the cent grid.
///
/// # Panics
/// If `n` needs sessions beyond the calendar's last year (about 4.5M bars).
pub fn generate_minute_bars(n: usize, seed: u64) -> (Vec<Bar>, Vec<SessionTimes>) {
    let sessions = Nyse
        .sessions(
            jiff::civil::date(2010, 1, 4),
            jiff::civil::date(trade_calendar::LAST_YEAR, 12, 31),
        )
        .expect("calendar range");
    let mut rng = Rng(seed | 1);
    let mut bars = Vec::with_capacity(n);
    let mut used = Vec::new();
    let mut price = 100.0f64;
    let cent = |x: f64| Price::from_cents((x * 100.0).round() as i64);
    'outer: for s in &sessions {
        used.push(SessionTimes {
            open: s.open,
            close: s.close,
        });
        let minutes = (s.close.secs() - s.open.secs()) / 60;
        for m in 1..=minutes {
            if bars.len() == n {
                break 'outer;
            }
            let open = price;
            let close = (open * (1.0 + 0.001 * rng.unit())).max(1.0);
            let high = open.max(close) * (1.0 + 0.0005 * (rng.unit() + 1.0));
            let low = open.min(close) * (1.0 - 0.0005 * (rng.unit() + 1.0));
            price = close;
            bars.push(Bar {
                instrument: InstrumentId(0),
                ts: Timestamp::from_secs(s.open.secs() + m * 60),
                open: cent(open),
                high: cent(high),
                low: cent(low),
                close: cent(close),
                volume: 1_000 + (rng.next() % 50_000),
            });
        }
    }
    (bars, used)
}

/// Writes bars as CSV with UTC end-labelled timestamps.
///
/// # Errors
/// I/O errors.
pub fn write_csv(path: &Path, bars: &[Bar]) -> anyhow::Result<()> {
    let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "timestamp,open,high,low,close,volume")?;
    for b in bars {
        writeln!(
            w,
            "{},{},{},{},{},{}",
            b.ts.to_jiff().strftime("%Y-%m-%dT%H:%M:%SZ"),
            b.open,
            b.high,
            b.low,
            b.close,
            b.volume
        )?;
    }
    w.flush()?;
    Ok(())
}

/// The issue's strategy: `ma_crossover` 20/50, long/short, fixed 100 shares.
///
/// # Errors
/// If the registry lacks `ma_crossover`.
pub fn bench_strategy(registry: &Registry) -> anyhow::Result<StrategySlot> {
    let given = BTreeMap::from([
        ("fast".to_string(), ParamValue::Int(20)),
        ("slow".to_string(), ParamValue::Int(50)),
        ("mode".to_string(), ParamValue::Str("long_short".into())),
        ("sizing".to_string(), ParamValue::Str("fixed".into())),
        ("qty".to_string(), ParamValue::Int(100)),
    ]);
    let params = registry.resolve("ma_crossover", &given)?;
    Ok(StrategySlot {
        id: trade_core::StrategyId("bench".into()),
        instruments: vec![InstrumentId(0)],
        strategy: registry.build(&params, &[InstrumentId(0)])?,
    })
}

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Minor page faults of this process so far (Linux `/proc/self/stat`
/// field 10), `None` where that file is missing.
pub fn minor_faults() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces; fields after it are plain.
    let rest = &s[s.rfind(')')? + 1..];
    rest.split_whitespace().nth(7)?.parse().ok()
}

fn rate(n: u64, d: Duration) -> String {
    format!("{:.1} M bars/s", n as f64 / d.as_secs_f64() / 1e6)
}

/// Runs the benchmarks and renders the figures.
///
/// # Errors
/// I/O, config or engine errors.
pub fn run(args: &BenchArgs, registry: &Registry) -> anyhow::Result<String> {
    let mut out = String::new();
    let rss0 = peak_rss_kib();
    let t = Instant::now();
    let (bars, sessions) = generate_minute_bars(args.bars, 42);
    writeln!(
        out,
        "generated {} one-minute bars over {} sessions in {} ms",
        bars.len(),
        sessions.len(),
        t.elapsed().as_millis()
    )?;
    let instruments = vec![Instrument::etf(Symbol::new("SYN")?)];
    let series = vec![bars];
    let hours = MarketHours::new(sessions);
    let spec = BacktestSpec::default();
    // The first run is the fresh one: its ledgers land in memory the
    // process never touched (page faults included); later runs may reuse
    // what the previous run freed.
    let mut first = None;
    let mut best = Duration::MAX;
    let mut fills = 0;
    for _ in 0..args.repeat.max(1) {
        let slot = bench_strategy(registry)?;
        let faults0 = minor_faults();
        let t = Instant::now();
        let r = run_backtest(
            &spec,
            &instruments,
            &series,
            &hours,
            vec![slot],
            &mut |_, _| {},
        )?;
        let dt = t.elapsed();
        let faults = minor_faults().zip(faults0).map(|(b, a)| b - a);
        first.get_or_insert((dt, faults));
        best = best.min(dt);
        fills = r.fills.len();
    }
    let n = series[0].len() as u64;
    if let Some((dt, faults)) = first {
        writeln!(
            out,
            "engine fresh     {n} bars in {:.1} ms = {} (first run, {} minor page faults)",
            dt.as_secs_f64() * 1e3,
            rate(n, dt),
            faults.map_or("?".into(), |f| f.to_string())
        )?;
    }
    writeln!(
        out,
        "engine only      {n} bars in {:.1} ms = {} ({fills} fills, best of {})",
        best.as_secs_f64() * 1e3,
        rate(n, best),
        args.repeat.max(1)
    )?;
    if let (Some(a), Some(b)) = (rss0, peak_rss_kib()) {
        writeln!(
            out,
            "peak RSS         {} MiB ({:.0} bytes per bar incl. generated input and ledgers)",
            b / 1024,
            (b.saturating_sub(a) * 1024) as f64 / n as f64
        )?;
    }

    let dir = match &args.keep {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("trade-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("minute_bars.csv");
    write_csv(&csv, &series[0])?;
    let cfg_path = dir.join("bench.toml");
    std::fs::write(&cfg_path, bench_config(&csv))?;
    // cold: CSV parsed, no cache; first cached: parsed and the Parquet cache
    // written; warm: bars read back from the cache.
    let runs = [
        ("end-to-end cold", false, true),
        ("first cached run", true, false),
        ("end-to-end warm", true, true),
    ];
    for (label, cache, print) in runs {
        let sets = vec![format!("data.SYN.cache={cache}")];
        let t = Instant::now();
        let cfg = config::load(
            &cfg_path,
            &Sources {
                sets,
                ..Sources::default()
            },
            registry,
        )?;
        let opts = RunOptions {
            output_dir: Some(dir.join("runs")),
            run_id: None,
            progress: false,
        };
        let o = pipeline::run(&cfg, &opts, registry)?;
        let total = t.elapsed();
        if print {
            writeln!(
                out,
                "{label:<16} {n} bars in {:.0} ms (load {} ms, engine {} ms, write {} ms)",
                total.as_secs_f64() * 1e3,
                o.load_time.as_millis(),
                o.engine_time.as_millis(),
                o.write_time.as_millis()
            )?;
        }
    }
    let daily = PathBuf::from("examples/etf_momentum.toml");
    if daily.exists() {
        let sets = vec![
            "run.start=2012-11-19".to_string(),
            "run.end=2022-11-18".to_string(),
        ];
        let t = Instant::now();
        let cfg = config::load(
            &daily,
            &Sources {
                sets,
                ..Sources::default()
            },
            registry,
        )?;
        let opts = RunOptions {
            output_dir: Some(dir.join("runs")),
            run_id: Some("bench-daily".into()),
            progress: false,
        };
        let o = pipeline::run(&cfg, &opts, registry)?;
        writeln!(
            out,
            "daily 4 x 10 y   {} bars in {:.1} ms end to end (load {} ms, engine {} ms, write {} ms)",
            o.result.bars,
            t.elapsed().as_secs_f64() * 1e3,
            o.load_time.as_millis(),
            o.engine_time.as_millis(),
            o.write_time.as_millis()
        )?;
    } else {
        writeln!(
            out,
            "daily 4 x 10 y   skipped: run from the repository root to find examples/etf_momentum.toml"
        )?;
    }
    if args.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(out)
}

fn bench_config(csv: &Path) -> String {
    format!(
        r#"[run]
name = "bench"

[account]
initial_cash = 1000000
max_leverage = 2.0

[data.SYN]
path = "{}"
timezone = "UTC"
label = "end"
interval = "1m"

[[strategies]]
name = "bench"
type = "ma_crossover"
symbols = ["SYN"]

[strategies.params]
fast = 20
slow = 50
mode = "long_short"
sizing = "fixed"
qty = 100
"#,
        csv.display()
    )
}
