//! The Parquet chain store. Invariants:
//! 1. what is written is read back equal (real files, synthetic chains,
//!    arbitrary quotes with every optional field present or absent);
//! 2. a date-range read returns exactly the stored snapshots in range;
//! 3. writing a date again replaces it, other dates stay;
//! 4. writes leave no temporary files, and foreign files are refused.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::civil::{Date, date};
use proptest::prelude::*;
use trade_core::{OptionRight, Price, Symbol, Timestamp};
use trade_options::chain::{
    ChainFileSpec, ChainSnapshot, ChainStore, ContractKey, OptionQuote, Preset, QuoteGreeks,
    QuoteSource, load_chain_file,
};
use trade_options::synth::{ChainGenerator, SynthConfig};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "trade-options-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spx() -> Vec<ChainSnapshot> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/options/SPX_ivolatility_RawIV_2011-01-03_07.csv");
    load_chain_file(&path, &ChainFileSpec::preset(Preset::IvolatilityRawiv))
        .unwrap()
        .snapshots
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn real_chains_round_trip_and_range_reads() {
    let tmp = TempDir::new("store-real");
    let store = ChainStore::new(&tmp.0);
    let snaps = spx();
    let written = store.write(&snaps).unwrap();
    assert_eq!(written, vec![tmp.0.join("SPX").join("2011.parquet")]);
    assert_eq!(files_in(&tmp.0.join("SPX")), vec!["2011.parquet"]);
    let sym = Symbol::new("SPX").unwrap();
    let all = store
        .read(&sym, date(2011, 1, 1), date(2011, 12, 31))
        .unwrap();
    assert_eq!(all, snaps);
    let some = store
        .read(&sym, date(2011, 1, 4), date(2011, 1, 5))
        .unwrap();
    assert_eq!(some, snaps[1..3].to_vec());
    assert!(
        store
            .read(&sym, date(2012, 1, 1), date(2013, 1, 1))
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .read(&sym, date(2011, 1, 5), date(2011, 1, 4))
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.dates(&sym).unwrap().len(), 5);
    assert!(
        store
            .dates(&Symbol::new("SPY").unwrap())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn rewriting_a_date_replaces_it() {
    let tmp = TempDir::new("store-merge");
    let store = ChainStore::new(&tmp.0);
    let snaps = spx();
    store.write(&snaps[..3]).unwrap();
    // A different chain for 2011-01-05 (only its first ten quotes).
    let third = &snaps[2];
    let smaller = ChainSnapshot::new(
        third.underlying().clone(),
        third.date(),
        third.ts(),
        third.underlying_price(),
        third.quotes()[..10].to_vec(),
    )
    .unwrap();
    store
        .write(&[smaller.clone(), snaps[3].clone(), snaps[4].clone()])
        .unwrap();
    let sym = Symbol::new("SPX").unwrap();
    let all = store
        .read(&sym, date(2011, 1, 1), date(2011, 1, 31))
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[2], smaller);
    assert_eq!(all[..2], snaps[..2]);
    assert_eq!(all[3..], snaps[3..]);
    assert_eq!(
        files_in(&tmp.0.join("SPX")),
        vec!["2011.parquet"],
        "no temp files left"
    );
    // Two snapshots of one date in one write is refused.
    let err = store
        .write(&[snaps[0].clone(), snaps[0].clone()])
        .unwrap_err();
    assert!(err.to_string().contains("one per date"), "{err}");
}

#[test]
fn synthetic_years_split_by_file_and_month() {
    let tmp = TempDir::new("store-synth");
    let store = ChainStore::new(&tmp.0);
    let mut cfg = SynthConfig::default();
    cfg.dte.min = 20;
    cfg.dte.max = 50;
    cfg.strikes.moneyness = 0.05;
    let generator = ChainGenerator::new(Symbol::new("SPY").unwrap(), cfg).unwrap();
    let sessions = trade_calendar::Nyse
        .sessions(date(2019, 11, 1), date(2020, 2, 28))
        .unwrap();
    let snaps: Vec<ChainSnapshot> = sessions
        .iter()
        .step_by(5)
        .map(|s| {
            generator
                .generate(s.date, Price::from_cents(31_000), 15.0)
                .unwrap()
        })
        .collect();
    store.write(&snaps).unwrap();
    assert_eq!(
        files_in(&tmp.0.join("SPY")),
        vec!["2019.parquet", "2020.parquet"]
    );
    // One row group per month.
    let f = std::fs::File::open(tmp.0.join("SPY/2019.parquet")).unwrap();
    let reader = parquet::file::reader::SerializedFileReader::new(f).unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(reader.metadata().num_row_groups(), 2); // November, December
    let sym = Symbol::new("SPY").unwrap();
    let (from, to) = (date(2019, 12, 15), date(2020, 1, 15));
    let got = store.read(&sym, from, to).unwrap();
    let want: Vec<ChainSnapshot> = snaps
        .iter()
        .filter(|s| from <= s.date() && s.date() <= to)
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    assert!(got.iter().all(|s| s.provenance().real == 0));
}

#[test]
fn foreign_files_are_refused_with_their_path() {
    let tmp = TempDir::new("store-foreign");
    let dir = tmp.0.join("SPY");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("2020.parquet"), b"not parquet at all").unwrap();
    let store = ChainStore::new(&tmp.0);
    let err = store
        .read(
            &Symbol::new("SPY").unwrap(),
            date(2020, 1, 1),
            date(2020, 12, 31),
        )
        .unwrap_err();
    assert!(err.to_string().contains("2020.parquet"), "{err}");
}

fn quote_strategy() -> impl Strategy<Value = (u8, u32, bool, OptionQuote)> {
    (
        0u8..3,
        1u32..5000,
        any::<bool>(),
        0i64..1_000_000,
        0i64..100_000,
        proptest::option::of(0i64..1_000_000),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(0.01f64..3.0),
        proptest::option::of((
            -1.0f64..1.0,
            0.0f64..1.0,
            0.0f64..500.0,
            -500.0f64..0.0,
            -50.0f64..50.0,
        )),
        any::<bool>(),
    )
        .prop_map(|(e, k, put, bid, w, last, vol, oi, iv, g, modelled)| {
            let expiry = [date(2024, 1, 19), date(2024, 2, 16), date(2024, 3, 28)][e as usize];
            let right = if put {
                OptionRight::Put
            } else {
                OptionRight::Call
            };
            let q = OptionQuote {
                key: ContractKey::new(expiry, Price::from_cents(i64::from(k) * 50), right),
                bid: Price::from_raw(bid * 1000),
                ask: Price::from_raw((bid + w) * 1000 + 1000),
                last: last.map(|l| Price::from_raw(l * 1000)),
                volume: vol,
                open_interest: oi,
                iv,
                greeks: g.map(|(delta, gamma, vega, theta, rho)| QuoteGreeks {
                    delta,
                    gamma,
                    vega,
                    theta,
                    rho,
                }),
                source: if modelled {
                    QuoteSource::Modelled
                } else {
                    QuoteSource::Real
                },
            };
            (e, k, put, q)
        })
}

fn snapshot(day: Date, quotes: Vec<(u8, u32, bool, OptionQuote)>) -> ChainSnapshot {
    let mut seen = std::collections::BTreeSet::new();
    let qs: Vec<OptionQuote> = quotes
        .into_iter()
        .filter(|(e, k, p, _)| seen.insert((*e, *k, *p)))
        .map(|(_, _, _, q)| q)
        .collect();
    ChainSnapshot::new(
        Symbol::new("XYZ").unwrap(),
        day,
        Timestamp::from_secs(1_704_229_200 + i64::from(day.day()) * 86_400),
        Price::from_cents(12_345),
        qs,
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn arbitrary_snapshots_round_trip(
        days in proptest::collection::btree_set(2i8..=12, 1..5),
        quotes in proptest::collection::vec(quote_strategy(), 0..60),
    ) {
        let tmp = TempDir::new("store-prop");
        let store = ChainStore::new(&tmp.0);
        let snaps: Vec<ChainSnapshot> = days
            .iter()
            .map(|&d| snapshot(date(2024, 1, d), quotes.clone()))
            .collect();
        store.write(&snaps).unwrap();
        let back = store
            .read(&Symbol::new("XYZ").unwrap(), date(2024, 1, 1), date(2024, 1, 31))
            .unwrap();
        // Empty snapshots store no rows, so they do not come back.
        let want: Vec<ChainSnapshot> = snaps.into_iter().filter(|s| !s.is_empty()).collect();
        prop_assert_eq!(back, want);
    }
}
