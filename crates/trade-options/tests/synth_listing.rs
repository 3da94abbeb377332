//! Listing rules against real, dated facts: the SPY chain of 2025-08-26
//! (the yfinance snapshot in `data/options`), exchange notices (weeklies
//! from 2010-06-04, Tuesday/Thursday from 2022-11-14), holiday moves, and
//! invariants over every session of the calendar.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::civil::{Date, Weekday, date};
use trade_calendar::Nyse;
use trade_core::Price;
use trade_options::chain::load_chain_file;
use trade_options::synth::ListingRules;

/// The real chain's expiries, the strikes of each, and the underlying.
struct RealChain {
    expiries: Vec<Date>,
    strikes: Vec<(Date, Vec<Price>)>,
    spot: Price,
}

fn spy_snapshot_expiries() -> RealChain {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/options/SPY_yfinance_chain_2025-08-26.csv");
    let spec = toml::from_str(
        "preset = \"yfinance\"\nunderlying = \"SPY\"\nquote_date = \"2025-08-26\"\nvalidation = { price_bounds = false }",
    )
    .unwrap();
    let out = load_chain_file(&path, &spec).unwrap();
    let s = &out.snapshots[0];
    let strikes = s
        .expiries()
        .iter()
        .map(|&e| {
            let set: BTreeSet<Price> = s.expiry_quotes(e).iter().map(|q| q.key.strike).collect();
            (e, set.into_iter().collect())
        })
        .collect();
    RealChain {
        expiries: s.expiries().to_vec(),
        strikes,
        spot: s.underlying_price(),
    }
}

/// Every expiry Yahoo listed for SPY after the close of 2025-08-26 (30 of
/// them: dailies, weeklies, end-of-month, quarterlies, monthlies with the
/// Juneteenth move to 2026-06-18, LEAPS to 2027-12-17) is in our listing,
/// and ours has nothing more.
#[test]
fn spy_listing_of_2025_08_26_matches_the_real_chain() {
    let real = spy_snapshot_expiries().expiries;
    assert_eq!(real.len(), 30);
    let ours = ListingRules::spy()
        .expiries(date(2025, 8, 26), 0, 2000)
        .unwrap();
    let missing: Vec<_> = real.iter().filter(|e| !ours.contains(e)).collect();
    let extra: Vec<_> = ours.iter().filter(|e| !real.contains(e)).collect();
    assert!(
        missing.is_empty(),
        "real expiries we do not list: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "expiries we list that did not exist: {extra:?}"
    );
}

/// Near the money, short-dated SPY strikes are $1 apart: every real strike
/// within 5% of the spot for the expiries of the next ten days is on our
/// grid.
#[test]
fn spy_near_money_strikes_are_on_the_grid() {
    let RealChain { strikes, spot, .. } = spy_snapshot_expiries();
    let s = spot.to_f64();
    let grid: BTreeSet<Price> = ListingRules::spy()
        .strikes(s, s * 0.85, s * 1.15)
        .into_iter()
        .collect();
    let mut checked = 0;
    for (e, ks) in strikes.iter().filter(|(e, _)| *e <= date(2025, 9, 5)) {
        for k in ks.iter().filter(|k| (k.to_f64() / s - 1.0).abs() <= 0.05) {
            assert!(grid.contains(k), "{e} strike {k} is not on the grid");
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn weeklies_start_on_2010_06_04() {
    let spy = ListingRules::spy();
    let before = spy.expiries(date(2010, 6, 3), 0, 30).unwrap();
    assert!(!before.contains(&date(2010, 6, 11)));
    assert_eq!(before, vec![date(2010, 6, 18), date(2010, 6, 30)]); // monthly, quarterly
    let after = spy.expiries(date(2010, 6, 4), 0, 10).unwrap();
    assert!(after.contains(&date(2010, 6, 11)), "{after:?}");
    // Five consecutive weeks from 2012-11-15 (Reuters, 2012-11-15: Nov 23,
    // Nov 30, Dec 7 and Dec 14 listed that day).
    let five = spy.expiries(date(2012, 11, 15), 0, 30).unwrap();
    for d in [
        date(2012, 11, 23),
        date(2012, 11, 30),
        date(2012, 12, 7),
        date(2012, 12, 14),
    ] {
        assert!(five.contains(&d), "{d} missing from {five:?}");
    }
}

#[test]
fn spy_dailies_every_session_from_november_2022() {
    let spy = ListingRules::spy();
    // Before: no Tuesday expiries in October 2022 (none of them is a
    // month or quarter end).
    for d in [
        date(2022, 10, 4),
        date(2022, 10, 11),
        date(2022, 10, 18),
        date(2022, 10, 25),
    ] {
        assert!(!spy.expiries(d, 0, 0).unwrap().contains(&d), "{d}");
    }
    // From the Tuesday/Thursday launch, every session has a 0DTE expiry.
    let sessions = Nyse
        .sessions(date(2022, 11, 14), date(2025, 12, 31))
        .unwrap();
    for s in &sessions {
        assert_eq!(
            spy.expiries(s.date, 0, 0).unwrap(),
            vec![s.date],
            "{}",
            s.date
        );
    }
    // QQQ too; IWM keeps Monday/Wednesday/Friday only.
    let qqq = ListingRules::qqq();
    assert_eq!(
        qqq.expiries(date(2023, 3, 14), 0, 0).unwrap(),
        vec![date(2023, 3, 14)]
    );
    let iwm = ListingRules::iwm();
    assert!(iwm.expiries(date(2024, 3, 12), 0, 0).unwrap().is_empty()); // a Tuesday
    assert_eq!(
        iwm.expiries(date(2024, 3, 13), 0, 0).unwrap(),
        vec![date(2024, 3, 13)]
    );
}

#[test]
fn introduction_dates_of_monday_and_wednesday_series() {
    let spy = ListingRules::spy();
    let wed = |r: &ListingRules, d: Date| {
        r.expiries(d, 0, 40)
            .unwrap()
            .iter()
            .any(|e| e.weekday() == Weekday::Wednesday && !is_month_end(*e))
    };
    assert!(!wed(&spy, date(2016, 9, 6)));
    assert!(wed(&spy, date(2016, 9, 7)));
    let mon = |r: &ListingRules, d: Date| {
        r.expiries(d, 0, 40)
            .unwrap()
            .iter()
            .any(|e| e.weekday() == Weekday::Monday && !is_month_end(*e))
    };
    assert!(!mon(&spy, date(2018, 2, 15)));
    assert!(mon(&spy, date(2018, 2, 16)));
    // QQQ's Monday 2021-05-10 series existed by 2021-05-08 (a Tradier API
    // user's report); none before the Phlx approval.
    let qqq = ListingRules::qqq();
    assert!(
        qqq.expiries(date(2021, 5, 7), 0, 10)
            .unwrap()
            .contains(&date(2021, 5, 10))
    );
    assert!(!mon(&qqq, date(2021, 4, 20)));
}

fn is_month_end(d: Date) -> bool {
    trade_options::synth::last_session_of_month(d.year(), d.month()) == Some(d)
}

#[test]
fn holiday_moves() {
    let spy = ListingRules::spy();
    // Good Friday 2014-04-18 was the third Friday: the monthly expired
    // Thursday 2014-04-17.
    let e = spy.expiries(date(2014, 4, 1), 0, 30).unwrap();
    assert!(
        e.contains(&date(2014, 4, 17)) && !e.contains(&date(2014, 4, 18)),
        "{e:?}"
    );
    // A Monday holiday moves a SPY Monday expiry to the next session
    // (Cboe's SPY Monday notice): Presidents' Day 2019-02-18 -> 02-19.
    let e = spy.expiries(date(2019, 2, 11), 0, 10).unwrap();
    assert!(e.contains(&date(2019, 2, 19)), "{e:?}");
    // A Wednesday holiday moves back (MIAX notice): 2018-07-04 -> 07-03.
    let e = spy.expiries(date(2018, 6, 28), 0, 10).unwrap();
    assert!(
        e.contains(&date(2018, 7, 3)) && !e.contains(&date(2018, 7, 4)),
        "{e:?}"
    );
}

#[test]
fn invariants_over_the_calendar() {
    let rules = [
        ListingRules::spy(),
        ListingRules::qqq(),
        ListingRules::iwm(),
        ListingRules::generic(),
    ];
    let sessions = Nyse.sessions(date(2004, 1, 2), date(2025, 12, 31)).unwrap();
    for r in &rules {
        for s in sessions.iter().step_by(7) {
            let e = r.expiries(s.date, 0, 400).unwrap();
            if s.date < r.first_listed {
                assert!(e.is_empty(), "{} {}", r.name, s.date);
                continue;
            }
            assert!(
                e.windows(2).all(|w| w[0] < w[1]),
                "{} {} not sorted/unique",
                r.name,
                s.date
            );
            assert!(e.iter().all(|&x| x >= s.date), "{} {}", r.name, s.date);
            assert!(
                e.iter().all(|&x| Nyse.is_session(x).unwrap()),
                "{} {}: expiry on a closed day",
                r.name,
                s.date
            );
            // A month always has a monthly within its next 35 days.
            assert!(
                e.iter().any(|&x| (x - s.date).get_days() <= 35),
                "{} {}",
                r.name,
                s.date
            );
        }
    }
    assert!(
        ListingRules::spy()
            .expiries(date(2004, 12, 31), 0, 400)
            .unwrap()
            .is_empty()
    );
    assert!(
        ListingRules::spy()
            .expiries(date(1989, 12, 29), 0, 1)
            .is_err()
    );
}
