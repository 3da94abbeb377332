//! The chain-file reader against hostile input. Invariants:
//! 1. any bytes, with any preset, give `Ok` or a located `Err`, never a
//!    panic;
//! 2. real files with bytes flipped or cut short behave the same;
//! 3. whatever is returned holds only valid quotes (bid <= ask, ask > 0,
//!    sorted unique contracts, finite analytics);
//! 4. valid rows written as CSV are read back exactly.

use std::path::Path;

use proptest::prelude::*;
use trade_core::Price;
use trade_options::chain::{ChainFileSpec, LoadedChains, Preset, RowPolicy, read_chain_csv};

fn specs() -> Vec<ChainFileSpec> {
    let mut v: Vec<ChainFileSpec> = [
        Preset::CboeEod1545,
        Preset::CboeEod,
        Preset::IvolatilityRawiv,
    ]
    .into_iter()
    .map(ChainFileSpec::preset)
    .collect();
    v.push(
        toml::from_str("preset = \"yfinance\"\nunderlying = \"SPY\"\nquote_date = \"2025-08-26\"")
            .unwrap(),
    );
    let skipping: Vec<ChainFileSpec> = v
        .iter()
        .cloned()
        .map(|mut s| {
            s.on_bad_row = Some(RowPolicy::Skip);
            s
        })
        .collect();
    v.extend(skipping);
    v
}

fn check_invariants(out: &LoadedChains) {
    for s in &out.snapshots {
        assert!(s.underlying_price() > Price::ZERO);
        assert!(s.quotes().windows(2).all(|w| w[0].key < w[1].key));
        for q in s.quotes() {
            assert!(q.bid >= Price::ZERO && q.bid <= q.ask && q.ask > Price::ZERO);
            assert!(q.iv.is_none_or(|v| v.is_finite() && v > 0.0));
            assert!(q.greeks.is_none_or(|g| g.is_finite()));
        }
    }
}

fn real_heads() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/options");
    [
        "SPX_cboe_eod_calcs_tiny.csv",
        "SPX_ivolatility_RawIV_2011-01-03_07.csv",
        "SPY_yfinance_chain_2025-08-26.csv",
        "VIX_cboe_eod_2016-06-01.csv",
    ]
    .iter()
    .map(|f| {
        let mut b = std::fs::read(dir.join(f)).unwrap();
        b.truncate(3000);
        b
    })
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for spec in specs() {
            if let Ok(out) = read_chain_csv(&bytes, "fuzz", &spec, None) {
                check_invariants(&out);
            }
        }
    }

    #[test]
    fn arbitrary_text_rows_under_a_real_header_never_panic(
        rows in proptest::collection::vec("[0-9a-zA-Z ,./:^\"-]{0,80}", 0..12)
    ) {
        let header = "symbol,exchange,company_name,date,stock_price_close,option_symbol,option_expiration,strike,call/put,style,ask,bid,mean_price,settlement,iv,volume,open_interest,stock_price_for_iv,forward_price,isinterpolated,delta,vega,gamma,theta,rho\n";
        let text = format!("{header}{}", rows.join("\n"));
        for spec in specs() {
            if let Ok(out) = read_chain_csv(text.as_bytes(), "fuzz", &spec, None) {
                check_invariants(&out);
            }
        }
    }

    #[test]
    fn damaged_real_files_never_panic(
        which in 0usize..4,
        flips in proptest::collection::vec((0usize..3000, any::<u8>()), 0..20),
        cut in 0usize..3000,
    ) {
        let mut bytes = real_heads().swap_remove(which);
        for (at, b) in flips {
            if let Some(x) = bytes.get_mut(at) {
                *x = b;
            }
        }
        bytes.truncate(cut.max(1));
        for spec in specs() {
            if let Ok(out) = read_chain_csv(&bytes, "fuzz", &spec, None) {
                check_invariants(&out);
            }
        }
    }

    #[test]
    fn valid_rows_read_back_exactly(
        rows in proptest::collection::btree_map(
            (0u32..3, 1u32..2000, any::<bool>()),
            (0i64..50_000, 1i64..50_000, proptest::option::of(1u64..100_000)),
            1..40,
        )
    ) {
        // Strikes in half dollars, prices in cents, a spot of 1000 with
        // bounds checks off (arbitrary prices ignore arbitrage).
        let spec: ChainFileSpec = toml::from_str(
            "underlying = \"XYZ\"\nunderlying_price = { fixed = \"1000\" }\nvalidation = { price_bounds = false }\n[columns]\nquote_date = \"d\"\nexpiry = \"e\"\nstrike = \"k\"\nright = \"r\"\nbid = \"b\"\nask = \"a\"\nvolume = \"v\"",
        ).unwrap();
        let mut csv = String::from("d,e,k,r,b,a,v\n");
        let expiries = ["2024-02-16", "2024-03-15", "2024-06-21"];
        // The key's bool is "is a put": false sorts first, as calls do.
        for ((e, k, put), (bid, width, vol)) in &rows {
            let bid_c = *bid;
            let ask_c = bid + width;
            let v = vol.map(|v| v.to_string()).unwrap_or_default();
            csv.push_str(&format!(
                "2024-01-02,{},{}.{},{},{}.{:02},{}.{:02},{}\n",
                expiries[*e as usize], k / 2, if k % 2 == 1 { 5 } else { 0 },
                if *put { "P" } else { "C" },
                bid_c / 100, bid_c % 100, ask_c / 100, ask_c % 100, v
            ));
        }
        let out = read_chain_csv(csv.as_bytes(), "rt", &spec, None).unwrap();
        prop_assert_eq!(out.report.kept as usize, rows.len());
        let s = &out.snapshots[0];
        prop_assert_eq!(s.len(), rows.len());
        for (q, ((_, k, put), (bid, width, vol))) in s.quotes().iter().zip(&rows) {
            prop_assert_eq!(q.key.strike, Price::from_cents(i64::from(*k) * 50));
            prop_assert_eq!(q.key.right == trade_core::OptionRight::Put, *put);
            prop_assert_eq!(q.bid, Price::from_cents(*bid));
            prop_assert_eq!(q.ask, Price::from_cents(bid + width));
            prop_assert_eq!(q.volume, *vol);
        }
    }
}
