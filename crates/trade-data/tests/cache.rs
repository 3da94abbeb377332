//! The Parquet cache: hit after store, identical results, keyed by content
//! and spec, atomic, and never trusted when damaged.

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, data};
use trade_core::InstrumentId;
use trade_data::{BarFileSpec, CacheStatus, LoadedBars, Policy, TradingHours, load_bars};

fn copy_into(dir: &TempDir, rel: &str) -> PathBuf {
    let name = Path::new(rel).file_name().unwrap().to_str().unwrap();
    dir.file(name, std::fs::read(data(rel)).unwrap())
}

fn cached_spec(file: &Path, cache: &Path) -> BarFileSpec {
    let mut s = BarFileSpec::new(file);
    s.cache_dir = Some(cache.to_path_buf());
    s
}

fn same(a: &LoadedBars, b: &LoadedBars) {
    assert_eq!(a.bars, b.bars);
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(
        (a.rows, a.first, a.last, a.interval, a.order),
        (b.rows, b.first, b.last, b.interval, b.order)
    );
    assert_eq!(a.warnings, b.warnings);
    assert_eq!(a.actions, b.actions);
    assert_eq!(a.gaps, b.gaps);
    assert_eq!(a.skipped_outside_hours, b.skipped_outside_hours);
}

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn second_load_hits_and_is_identical() {
    let dir = TempDir::new("cache-hit");
    let cache = dir.path().join("c");
    // (case, file, spec tweak): warnings, column actions, intraday skipping.
    type Tweak = fn(&mut BarFileSpec);
    let cases: [(&str, &str, Tweak); 3] = [
        ("warnings kept", "daily/mplfinance/SPY_2008_2017.csv", |s| {
            s.on_bad_ohlc = Policy::Warn
        }),
        ("dividend column", "daily/pandas_ta/SPY.csv", |_| {}),
        (
            "intraday",
            "intraday/SPY_1min_2024-02-20_2024-05-17.csv",
            |_| {},
        ),
    ];
    for (name, rel, tweak) in cases {
        let mut s = cached_spec(&copy_into(&dir, rel), &cache);
        tweak(&mut s);
        let first = load_bars(&s, InstrumentId(1)).unwrap();
        let CacheStatus::Stored(path) = &first.cache else {
            panic!("case {name}: {:?}", first.cache)
        };
        assert!(path.starts_with(&cache), "case {name}");
        let second = load_bars(&s, InstrumentId(1)).unwrap();
        assert_eq!(second.cache, CacheStatus::Hit(path.clone()), "case {name}");
        same(&first, &second);
        // The instrument id is the caller's, not the cache's.
        let other = load_bars(&s, InstrumentId(7)).unwrap();
        assert!(
            other.bars.iter().all(|b| b.instrument == InstrumentId(7)),
            "case {name}"
        );
    }
    // Writes are atomic: no temporary files left behind.
    assert!(
        cache_files(&cache)
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "parquet")),
        "{:?}",
        cache_files(&cache)
    );
}

#[test]
fn default_dir_is_next_to_the_file() {
    let dir = TempDir::new("cache-default");
    let file = copy_into(&dir, "daily/yahoo_xjcarter_2022/DIA.csv");
    let l = load_bars(&BarFileSpec::new(&file), InstrumentId(0)).unwrap();
    let CacheStatus::Stored(path) = l.cache else {
        panic!("{:?}", l.cache)
    };
    assert_eq!(
        path.parent(),
        Some(dir.path().join(".trade-cache").as_path())
    );
}

#[test]
fn key_follows_content_and_spec() {
    let dir = TempDir::new("cache-key");
    let cache = dir.path().join("c");
    let file = copy_into(&dir, "intraday/SPY_1min_2024-02-20_2024-05-17.csv");
    let regular = cached_spec(&file, &cache);
    let mut all = regular.clone();
    all.hours = TradingHours::All;
    let a = load_bars(&regular, InstrumentId(0)).unwrap();
    let b = load_bars(&all, InstrumentId(0)).unwrap();
    assert!(
        matches!(b.cache, CacheStatus::Stored(_)),
        "another spec, another entry: {:?}",
        b.cache
    );
    assert_ne!(a.bars.len(), b.bars.len());
    assert_eq!(cache_files(&cache).len(), 2);

    // Same bytes under another name share the entry.
    let renamed = dir.file("renamed.csv", std::fs::read(&file).unwrap());
    assert!(matches!(
        load_bars(&cached_spec(&renamed, &cache), InstrumentId(0))
            .unwrap()
            .cache,
        CacheStatus::Hit(_)
    ));

    // Changed bytes: a new entry, never the stale one.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text = text.replacen(
        "498.33,498.42,498.3,498.39",
        "498.33,498.52,498.3,498.39",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let c = load_bars(&regular, InstrumentId(0)).unwrap();
    assert!(matches!(c.cache, CacheStatus::Stored(_)), "{:?}", c.cache);
    assert_ne!(c.sha256, a.sha256);
}

#[test]
fn damaged_cache_files_are_rebuilt() {
    let dir = TempDir::new("cache-corrupt");
    let cache = dir.path().join("c");
    let s = cached_spec(&copy_into(&dir, "daily/pandas_ta/SPY.csv"), &cache);
    let good = load_bars(&s, InstrumentId(0)).unwrap();
    let CacheStatus::Stored(path) = good.cache.clone() else {
        panic!()
    };
    let original = std::fs::read(&path).unwrap();
    // (case, damage)
    let flip_middle = |b: &mut Vec<u8>| {
        let i = b.len() / 2;
        b[i] ^= 0x40;
    };
    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Damage)> = vec![
        (
            "truncated",
            Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 3)),
        ),
        ("empty", Box::new(|b: &mut Vec<u8>| b.clear())),
        (
            "garbage",
            Box::new(|b: &mut Vec<u8>| *b = b"not parquet at all".to_vec()),
        ),
        ("one bit in the data", Box::new(flip_middle)),
        (
            "stored action text",
            Box::new(|b: &mut Vec<u8>| {
                // A dividend amount inside the actions metadata: 1993-03-19's 0.213.
                let pat = b"\tD\t21300000";
                let at = b
                    .windows(pat.len())
                    .position(|w| w == pat)
                    .expect("encoded action");
                b[at + 3] = b'3';
            }),
        ),
    ];
    for (name, damage) in cases {
        let mut bytes = original.clone();
        damage(&mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        let l = load_bars(&s, InstrumentId(0)).unwrap();
        assert!(
            matches!(&l.cache, CacheStatus::Rebuilt { path: p, .. } if *p == path),
            "case {name}: {:?}",
            l.cache
        );
        assert_eq!(l.bars, good.bars, "case {name}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            original,
            "case {name}: rebuilt file differs"
        );
        assert!(
            matches!(
                load_bars(&s, InstrumentId(0)).unwrap().cache,
                CacheStatus::Hit(_)
            ),
            "case {name}"
        );
    }

    // Any single damaged byte: either rebuilt, or (bytes nothing depends
    // on, such as the writer's name) exactly the original result.
    let n = original.len();
    for k in 0..64 {
        let at = (k * 7919 + n / 3) % n;
        let mut bytes = original.clone();
        bytes[at] ^= 1 << (k % 8);
        std::fs::write(&path, &bytes).unwrap();
        let l = load_bars(&s, InstrumentId(0)).unwrap();
        assert_eq!(l.bars, good.bars, "byte {at}");
        assert_eq!(
            (&l.actions, &l.warnings),
            (&good.actions, &good.warnings),
            "byte {at}"
        );
    }
}

#[test]
fn unwritable_cache_dir_does_not_fail_the_load() {
    let dir = TempDir::new("cache-ro");
    let blocker = dir.file("not-a-dir", "x");
    let s = cached_spec(
        &copy_into(&dir, "daily/yahoo_xjcarter_2022/IWM.csv"),
        &blocker.join("cache"),
    );
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    assert!(
        matches!(l.cache, CacheStatus::StoreFailed(_)),
        "{:?}",
        l.cache
    );
    assert_eq!(l.bars.len(), 5658);
}
