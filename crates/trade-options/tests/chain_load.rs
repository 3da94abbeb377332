//! Loading the real chain files shipped in `data/options` with each preset
//! and with a custom mapping. Expected counts were computed independently
//! with Python's csv module; each test quotes its one-liner.

use std::path::{Path, PathBuf};

use jiff::civil::date;
use trade_core::{OptionRight, Price};
use trade_options::chain::{
    ChainFileSpec, ContractKey, Issue, Preset, QuoteSource, load_chain_file,
    load_chain_file_with_prices,
};
use trade_options::pricing::Bsm;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/options")
        .join(rel)
}

fn spec(text: &str) -> ChainFileSpec {
    toml::from_str(text).expect("spec parses")
}

fn p(s: &str) -> Price {
    s.parse().expect("price literal")
}

/// iVolatility Raw IV, SPX 2011-01-03..07.
/// python3 -c "import csv;r=list(csv.DictReader(open('SPX_ivolatility_RawIV_2011-01-03_07.csv')));
///   print(len(r), sum(float(x['ask'])==0 for x in r), sorted({x['date'] for x in r}),
///   len({x['option_expiration'] for x in r}))"
/// -> 8184 1 ['1/3/11', '1/4/11', '1/5/11', '1/6/11', '1/7/11'] 10
#[test]
fn ivolatility_rawiv_spx() {
    let out = load_chain_file(
        &data("SPX_ivolatility_RawIV_2011-01-03_07.csv"),
        &ChainFileSpec::preset(Preset::IvolatilityRawiv),
    )
    .unwrap();
    let r = &out.report;
    assert_eq!(r.rows, 8184);
    assert_eq!(r.kept, 8183, "{r}");
    assert_eq!(r.count(Issue::ZeroAsk), 1);
    assert_eq!(r.dropped(), 1);
    // The one zero-ask row: 1/4/11 SPX Dec-2011 2250 put, bid 0 ask 0.
    let ex = &r.examples()[0];
    assert!(
        ex.location
            .ends_with("SPX_ivolatility_RawIV_2011-01-03_07.csv:2965"),
        "{ex}"
    );
    let dates: Vec<_> = out.snapshots.iter().map(|s| s.date()).collect();
    assert_eq!(
        dates,
        vec![
            date(2011, 1, 3),
            date(2011, 1, 4),
            date(2011, 1, 5),
            date(2011, 1, 6),
            date(2011, 1, 7)
        ]
    );
    let lens: Vec<_> = out.snapshots.iter().map(|s| s.len()).collect();
    assert_eq!(lens, vec![1632, 1637, 1638, 1638, 1638]);
    let s = &out.snapshots[0];
    assert_eq!(s.underlying().as_str(), "SPX");
    assert_eq!(s.underlying_price(), p("1271.87"));
    assert_eq!(s.expiries().len(), 10);
    assert_eq!(s.expiries()[0], date(2011, 1, 21));
    assert_eq!(s.ts().to_string(), "2011-01-03T21:00:00Z"); // 16:00 New York
    assert!(s.quotes().iter().all(|q| q.source == QuoteSource::Real));

    // The 1270 call of 2011-01-03 (file line: ...,1270,C,E,15.7,14.1,...,
    // 0.129835,...,0.514004,1.116131,0.010947,-0.377808,0.310125).
    let key = ContractKey::new(date(2011, 1, 21), p("1270"), OptionRight::Call);
    let q = s.quote(&key).unwrap();
    assert_eq!((q.bid, q.ask), (p("14.1"), p("15.7")));
    assert_eq!(q.volume, Some(3537));
    assert_eq!(q.open_interest, Some(29822));
    let iv = q.iv.unwrap();
    assert!((iv - 0.129835).abs() < 1e-12);
    let g = q.greeks.unwrap();
    // Converted to our units: vega per 1.00 of vol, theta per year.
    assert!((g.vega - 111.6131).abs() < 1e-9, "{}", g.vega);
    assert!((g.theta - (-0.377808 * 365.0)).abs() < 1e-9, "{}", g.theta);
    assert!((g.rho - 31.0125).abs() < 1e-9);
    // Cross-check of the unit conversion against our own BSM at the
    // vendor's IV (18 calendar days; rate and yield of early 2011 are
    // small, 0.2% and 1.8% assumed): the vendor's vega and delta agree
    // within 2%.
    let model = Bsm {
        right: OptionRight::Call,
        spot: 1271.87,
        strike: 1270.0,
        years: 18.0 / 365.0,
        rate: 0.002,
        dividend_yield: 0.018,
        vol: iv,
    }
    .greeks()
    .expect("valid inputs");
    assert!(
        (model.vega / g.vega - 1.0).abs() < 0.02,
        "{} vs {}",
        model.vega,
        g.vega
    );
    assert!(
        (model.delta / g.delta - 1.0).abs() < 0.02,
        "{} vs {}",
        model.delta,
        g.delta
    );
}

/// Cboe "EOD with calcs" tiny sample: 6 rows, 3 dates, quotes at 15:45.
/// Its IVs and Greeks are all 0 (vendor placeholder): they load as absent.
#[test]
fn cboe_eod_1545_tiny() {
    let out = load_chain_file(
        &data("SPX_cboe_eod_calcs_tiny.csv"),
        &ChainFileSpec::preset(Preset::CboeEod1545),
    )
    .unwrap();
    assert_eq!(out.report.rows, 6);
    assert_eq!(out.report.kept, 6, "{}", out.report);
    assert_eq!(out.snapshots.len(), 3);
    let s = &out.snapshots[0];
    assert_eq!(s.underlying().as_str(), "SPX"); // "^SPX" in the file
    assert_eq!(s.date(), date(2016, 1, 4));
    assert_eq!(s.ts().to_string(), "2016-01-04T20:45:00Z"); // 15:45 New York
    assert_eq!(s.underlying_price(), p("2003.82"));
    let call = s
        .quote(&ContractKey::new(
            date(2016, 1, 8),
            p("700"),
            OptionRight::Call,
        ))
        .unwrap();
    assert_eq!((call.bid, call.ask), (p("1299.60"), p("1305.30")));
    assert_eq!(call.iv, None);
    assert_eq!(call.greeks, None);
    let put = s
        .quote(&ContractKey::new(
            date(2016, 1, 8),
            p("700"),
            OptionRight::Put,
        ))
        .unwrap();
    assert_eq!(
        (put.bid, put.ask, put.open_interest),
        (p("0"), p("0.05"), Some(350))
    );
}

/// Cboe DataShop EOD summary, VIX options of 2016-06-01.
/// python3 -c "import csv;r=list(csv.DictReader(open('VIX_cboe_eod_2016-06-01.csv')));
///   v=[x for x in r if x['root']=='VIX'];print(len(r),len(r)-len(v),
///   sum(float(x['ask_eod'])==0 for x in v))"  -> 882 158 76
#[test]
fn cboe_eod_vix_with_root_filter_and_no_spot_bounds() {
    // VIX options are priced off VIX futures, not the spot index, so the
    // spot-based bounds are off; BVZ rows are another root.
    let out = load_chain_file(
        &data("VIX_cboe_eod_2016-06-01.csv"),
        &spec("preset = \"cboe_eod\"\nroots = [\"VIX\"]\nvalidation = { price_bounds = false }"),
    )
    .unwrap();
    let r = &out.report;
    assert_eq!((r.rows, r.filtered, r.kept), (882, 158, 648), "{r}");
    assert_eq!(r.count(Issue::ZeroAsk), 76);
    assert_eq!(r.dropped(), 76);
    let s = &out.snapshots[0];
    assert_eq!(s.underlying().as_str(), "VIX");
    assert_eq!(s.underlying_price(), p("14.65")); // mid of 14.65/14.65 at the close
    // The expiry of the day itself (AM-settled that morning) has no offers.
    assert_eq!(s.expiries().len(), 9);
    assert_eq!(s.expiries()[0], date(2016, 6, 8));
}

/// Without the root filter the BVZ rows duplicate VIX contracts, and with
/// spot bounds the futures-priced puts look "below intrinsic": both are
/// counted, by name.
#[test]
fn cboe_eod_vix_unfiltered_counts_duplicates_and_bound_violations() {
    let out = load_chain_file(
        &data("VIX_cboe_eod_2016-06-01.csv"),
        &ChainFileSpec::preset(Preset::CboeEod),
    )
    .unwrap();
    let r = &out.report;
    assert_eq!(r.count(Issue::Duplicate), 158, "{r}");
    assert!(r.count(Issue::BelowIntrinsic) > 0, "{r}");
    let dup = r
        .examples()
        .iter()
        .find(|e| e.issue == Issue::Duplicate)
        .unwrap();
    // BVZ 2016-06-15 10 call (line 154) comes before the VIX one (line 212).
    assert!(dup.location.ends_with(":212"), "{dup}");
    assert!(dup.detail.contains("line 154"), "{dup}");
}

/// yfinance dump of SPY after the close of 2025-08-26.
/// python3 -c "import csv;r=list(csv.DictReader(open('SPY_yfinance_chain_2025-08-26.csv')));
///   S=645.75;t=0.01+0.001*S;print(len(r),sum(float(x['ask'])==0 for x in r),
///   sum(float(x['ask'])>0 and float(x['ask'])<max((S-float(x['strike'])) if x['Type']=='c'
///   else (float(x['strike'])-S),0)-t for x in r))"  -> 7011 21 90
/// Implausible IVs (< 0.005) among the rest: 32.
#[test]
fn yfinance_spy_snapshot() {
    let out = load_chain_file(
        &data("SPY_yfinance_chain_2025-08-26.csv"),
        &spec("preset = \"yfinance\"\nunderlying = \"SPY\"\nquote_date = \"2025-08-26\""),
    )
    .unwrap();
    let r = &out.report;
    assert_eq!(r.rows, 7011);
    assert_eq!(r.count(Issue::ZeroAsk), 21, "{r}");
    assert_eq!(r.count(Issue::BelowIntrinsic), 90, "{r}");
    assert_eq!(r.count(Issue::ImplausibleIv), 32, "{r}");
    assert_eq!(r.kept, 7011 - 21 - 90);
    let s = &out.snapshots[0];
    // Put-call parity at the nearest expiry a day out (2025-08-27, strike
    // 646: call 1.47/1.48, put 1.71/1.74): 646 + 1.475 - 1.725.
    assert_eq!(s.underlying_price(), p("645.75"));
    assert_eq!(s.expiries().len(), 30);
    // 45 days out falls between 2025-10-03 (38) and 2025-10-17 (52): a tie
    // goes to the earlier.
    assert_eq!(s.nearest_expiry(45), Some(date(2025, 10, 3)));
    let q = s
        .quote(&ContractKey::new(
            date(2025, 10, 3),
            p("645"),
            OptionRight::Call,
        ))
        .unwrap();
    assert_eq!(
        (q.bid, q.ask, q.last),
        (p("10.88"), p("10.93"), Some(p("10.87")))
    );
}

/// The same VIX file through a mapping of our own: the 15:45 columns, a
/// fixed underlying name, strikes and dates as written.
#[test]
fn custom_column_mapping() {
    let s = spec(
        r#"
        underlying = "VIX"
        roots = ["VIX"]
        quote_time = "15:45"
        underlying_price = { mid = { bid = "underlying_bid_1545", ask = "underlying_ask_1545" } }
        rights = { call = ["C"], put = ["P"] }
        date_format = "%Y-%m-%d"
        validation = { price_bounds = false }
        [columns]
        root = "root"
        quote_date = "quote_date"
        expiry = "expiration"
        strike = "strike"
        right = "option_type"
        bid = "bid_1545"
        ask = "ask_1545"
        volume = "trade_volume"
        "#,
    );
    let out = load_chain_file(&data("VIX_cboe_eod_2016-06-01.csv"), &s).unwrap();
    let snap = &out.snapshots[0];
    assert_eq!(snap.ts().to_string(), "2016-06-01T19:45:00Z");
    assert_eq!(snap.underlying_price(), p("14.575"));
    // Line 212: VIX 2016-06-15 10 C, bid_1545 5.1000, ask_1545 5.3000, volume 5.
    let q = snap
        .quote(&ContractKey::new(
            date(2016, 6, 15),
            p("10"),
            OptionRight::Call,
        ))
        .unwrap();
    assert_eq!((q.bid, q.ask, q.volume), (p("5.1"), p("5.3"), Some(5)));
}

/// `underlying_price = "external"`: prices come from the caller (a bar
/// series); dates it lacks are counted, not guessed.
#[test]
fn external_underlying_prices() {
    let s = spec("preset = \"ivolatility_rawiv\"\nunderlying_price = \"external\"");
    let out =
        load_chain_file_with_prices(&data("SPX_ivolatility_RawIV_2011-01-03_07.csv"), &s, &|d| {
            (d != date(2011, 1, 7)).then(|| p("1270"))
        })
        .unwrap();
    assert_eq!(out.snapshots.len(), 4);
    assert!(
        out.snapshots
            .iter()
            .all(|s| s.underlying_price() == p("1270"))
    );
    // python3: sum(x['date']=='1/7/11' for x in r) -> 1638
    assert_eq!(out.report.count(Issue::NoUnderlyingPrice), 1638);
    let err = load_chain_file(&data("SPX_ivolatility_RawIV_2011-01-03_07.csv"), &s).unwrap_err();
    assert!(err.to_string().contains("external"), "{err}");
}

#[test]
fn missing_file_names_the_path() {
    let err = load_chain_file(
        &data("no_such_chain.csv"),
        &ChainFileSpec::preset(Preset::IvolatilityRawiv),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no_such_chain.csv"), "{err}");
}
