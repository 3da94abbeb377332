//! Loading a deterministic 1,000,000-row one-minute CSV (regular hours of
//! real NYSE sessions from 2010, naive New York timestamps, 2-decimal
//! prices, 49 MB): `cold` (parse + validate + sha256 + gap report, cache
//! off), `cold_and_store` (the same plus writing the Parquet cache: a first
//! load) and `cached` (sha256 + cache read + checks + gap report).

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trade_core::InstrumentId;
use trade_data::{BarFileSpec, CacheStatus, load_bars};

const ROWS: usize = 1_000_000;

fn generate(path: &Path) {
    let nyse = trade_calendar::Nyse;
    let sessions = nyse
        .sessions(jiff::civil::date(2010, 1, 4), jiff::civil::date(2035, 1, 1))
        .expect("calendar range");
    let ny = jiff::tz::TimeZone::get("America/New_York").expect("tz");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create bench file"));
    writeln!(out, "timestamp,open,high,low,close,volume").expect("write");
    let mut seed: u64 = 42;
    let mut rnd = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as i64
    };
    let mut price: i64 = 10_000; // cents
    let mut n = 0;
    'outer: for s in sessions {
        let mut t = s.open;
        while t < s.close {
            let local = t.to_jiff().to_zoned(ny.clone()).datetime();
            let open = price;
            let close = (open + rnd() % 21 - 10).max(100);
            let high = open.max(close) + rnd() % 5;
            let low = (open.min(close) - rnd() % 5).max(1);
            price = close;
            let c = |v: i64| format!("{}.{:02}", v / 100, v % 100);
            writeln!(
                out,
                "{},{},{},{},{},{}",
                local.strftime("%Y-%m-%d %H:%M:%S"),
                c(open),
                c(high),
                c(low),
                c(close),
                100 + rnd() % 10_000
            )
            .expect("write");
            n += 1;
            if n == ROWS {
                break 'outer;
            }
            t = t.add_secs(60);
        }
    }
    out.flush().expect("flush");
}

fn bench(c: &mut Criterion) {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("trade-data-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bench_1m.csv");
    generate(&file);
    let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);

    let mut cold = BarFileSpec::new(&file);
    cold.cache = false;
    let mut cached = BarFileSpec::new(&file);
    cached.cache_dir = Some(dir.join("cache"));
    let first = load_bars(&cached, InstrumentId(0)).expect("bench file loads");
    assert_eq!(first.bars.len(), ROWS);
    assert!(
        matches!(first.cache, CacheStatus::Stored(_)),
        "{:?}",
        first.cache
    );
    eprintln!(
        "bench file: {ROWS} rows, {bytes} bytes, {} bytes of bars in memory",
        ROWS * std::mem::size_of::<trade_core::Bar>()
    );

    let mut g = c.benchmark_group("load_csv_1m");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("cold", |b| {
        b.iter(|| {
            black_box(load_bars(&cold, InstrumentId(0)).expect("load"))
                .bars
                .len()
        })
    });
    let store_dir = dir.join("store");
    let mut store = BarFileSpec::new(&file);
    store.cache_dir = Some(store_dir.clone());
    g.bench_function("cold_and_store", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_dir_all(&store_dir);
            },
            |()| {
                let l = load_bars(&store, InstrumentId(0)).expect("load");
                assert!(matches!(l.cache, CacheStatus::Stored(_)));
                black_box(l.bars.len())
            },
            criterion::BatchSize::PerIteration,
        );
    });
    g.bench_function("cached", |b| {
        b.iter(|| {
            let l = load_bars(&cached, InstrumentId(0)).expect("load");
            assert!(matches!(l.cache, CacheStatus::Hit(_)));
            black_box(l.bars.len())
        });
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
