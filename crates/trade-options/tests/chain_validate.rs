//! Validation of crafted bad rows (`tests/data/chain_bad_rows.csv`, one
//! problem per line): each is dropped or has its analytics cleared under
//! its own named reason, located by line; nothing panics, no bad Greek
//! survives.

use std::path::{Path, PathBuf};

use jiff::civil::date;
use trade_core::{OptionRight, Price};
use trade_options::chain::{ChainFileSpec, ContractKey, Issue, RowPolicy, load_chain_file};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chain_bad_rows.csv")
}

fn spec() -> ChainFileSpec {
    toml::from_str(
        r#"
        underlying = "SPY"
        underlying_price = { column = "spot" }
        [columns]
        quote_date = "date"
        expiry = "exp"
        strike = "strike"
        right = "cp"
        bid = "bid"
        ask = "ask"
        iv = "iv"
        delta = "delta"
        gamma = "gamma"
        vega = "vega"
        theta = "theta"
        rho = "rho"
        "#,
    )
    .unwrap()
}

#[test]
fn every_crafted_problem_is_counted_under_its_name_and_line() {
    let out = load_chain_file(&fixture(), &spec()).unwrap();
    let r = &out.report;
    // (issue, line of the only example)
    let table = [
        (Issue::Crossed, 3),
        (Issue::ZeroAsk, 4),
        (Issue::MissingBid, 5),
        (Issue::MissingAsk, 6),
        (Issue::Expired, 7),
        (Issue::BadIv, 8),
        (Issue::BelowIntrinsic, 10),
        (Issue::AboveBound, 11),
        (Issue::Duplicate, 12),
        (Issue::BadStrike, 13),
        (Issue::ImplausibleIv, 14),
        (Issue::BadGreeks, 15),
        (Issue::NegativePrice, 16),
    ];
    for (i, (issue, line)) in table.iter().enumerate() {
        let ex = r
            .examples()
            .iter()
            .find(|e| e.issue == *issue)
            .unwrap_or_else(|| panic!("case {i}: {issue} not reported\n{r}"));
        assert!(
            ex.location.ends_with(&format!("chain_bad_rows.csv:{line}")),
            "case {i}: {ex}"
        );
    }
    assert_eq!(r.count(Issue::BadIv), 2, "NaN and negative IV\n{r}");
    assert_eq!(r.rows, 16);
    assert_eq!(r.dropped(), 10, "{r}");
    assert_eq!(r.kept, 6, "{r}");

    let s = &out.snapshots[0];
    let k = |strike: i64, right| {
        ContractKey::new(date(2024, 2, 16), Price::from_cents(strike * 100), right)
    };
    // The first of the duplicates is the one kept.
    let first = s.quote(&k(470, OptionRight::Call)).unwrap();
    assert_eq!(first.bid, Price::from_cents(500));
    // NaN / negative / implausible IV: quote kept, IV and Greeks gone.
    for key in [
        k(480, OptionRight::Put),
        k(485, OptionRight::Call),
        k(490, OptionRight::Call),
    ] {
        let q = s.quote(&key).unwrap();
        assert_eq!((q.iv, q.greeks), (None, None), "{key}");
    }
    // Infinite vega: IV kept, Greeks gone.
    let q = s.quote(&k(490, OptionRight::Put)).unwrap();
    assert_eq!(q.iv, Some(0.15));
    assert_eq!(q.greeks, None);
    // A zero bid is a real one-sided market and stays.
    let q = s.quote(&k(500, OptionRight::Call)).unwrap();
    assert_eq!(q.bid, Price::ZERO);
    // Nothing that survived is crossed, free or non-finite.
    for q in s.quotes() {
        assert!(q.bid <= q.ask && q.ask > Price::ZERO, "{}", q.key);
        assert!(q.iv.is_none_or(|v| v.is_finite() && v > 0.0));
        assert!(q.greeks.is_none_or(|g| g.is_finite()));
    }
}

#[test]
fn zero_bids_can_be_dropped_by_rule() {
    let mut s = spec();
    s.validation.skip_zero_bid = true;
    let out = load_chain_file(&fixture(), &s).unwrap();
    // Line 17, and line 11 (bid 0, ask above the bound): the first failing
    // check names the row, and the zero bid is checked before the bounds.
    assert_eq!(out.report.count(Issue::ZeroBid), 2, "{}", out.report);
    assert_eq!(out.report.count(Issue::AboveBound), 0);
    assert_eq!(out.report.kept, 5);
}

#[test]
fn example_count_is_bounded_per_issue() {
    // 40 crossed rows: all counted, three examples kept (the default).
    let mut csv = String::from("date,exp,strike,cp,bid,ask,iv,delta,gamma,vega,theta,rho,spot\n");
    for i in 0..40 {
        csv.push_str(&format!(
            "2024-01-02,2024-02-16,{},C,2,1,0.2,0.5,0.01,1,1,1,470\n",
            400 + i
        ));
    }
    let out =
        trade_options::chain::read_chain_csv(csv.as_bytes(), "many.csv", &spec(), None).unwrap();
    assert_eq!(out.report.count(Issue::Crossed), 40);
    assert_eq!(out.report.examples().len(), 3);
    assert_eq!(out.report.examples()[2].location, "many.csv:4");
}

#[test]
fn unparseable_rows_error_or_skip_by_policy() {
    let csv = "date,exp,strike,cp,bid,ask,iv,delta,gamma,vega,theta,rho,spot\n\
               2024-01-02,2024-02-16,470,C,5.00,5.10,0.15,0.5,0.02,60,-40,30,470.5\n\
               2024-01-02,2024-02-16,470,P,five,5.10,0.15,-0.5,0.02,60,-40,-30,470.5\n\
               2024-13-02,2024-02-16,475,P,5.00,5.10,0.15,-0.5,0.02,60,-40,-30,470.5\n";
    let err = trade_options::chain::read_chain_csv(csv.as_bytes(), "bad.csv", &spec(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "bad.csv:3: column \"bid\": expected a decimal number such as 12.35, found \"five\""
    );
    let mut s = spec();
    s.on_bad_row = Some(RowPolicy::Skip);
    let out = trade_options::chain::read_chain_csv(csv.as_bytes(), "bad.csv", &s, None).unwrap();
    assert_eq!(out.report.count(Issue::Malformed), 2);
    let lines: Vec<_> = out
        .report
        .examples()
        .iter()
        .map(|e| e.location.clone())
        .collect();
    assert_eq!(lines, vec!["bad.csv:3", "bad.csv:4"]);
    assert!(
        out.report.examples()[1].detail.contains("quote date"),
        "{:?}",
        out.report.examples()
    );
    assert_eq!(out.report.kept, 1);
}
