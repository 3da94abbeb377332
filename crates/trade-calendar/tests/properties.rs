//! Properties of the whole calendar: ordering, bells, consistency between
//! lookups, and no panics for any date or timestamp.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date, time};
use jiff::tz::TimeZone;
use proptest::prelude::*;
use trade_calendar::{FIRST_YEAR, LAST_YEAR, Nyse};
use trade_core::Timestamp;

/// Days from 1990-01-01 through 2035-12-31.
const DAYS_IN_RANGE: i32 = 16_801;

fn in_range_date() -> impl Strategy<Value = Date> {
    (0..DAYS_IN_RANGE).prop_map(|n| date(FIRST_YEAR, 1, 1).checked_add(n.days()).unwrap())
}

fn any_date() -> impl Strategy<Value = Date> {
    (-9999i16..=9999, 1i8..=12, 1i8..=31)
        .prop_filter_map("valid date", |(y, m, d)| Date::new(y, m, d).ok())
}

fn in_range_ts() -> impl Strategy<Value = Timestamp> {
    // 1989-12-01 .. 2036-02-01, to cover both edges.
    (628_473_600i64..2_085_436_800).prop_map(Timestamp::from_secs)
}

fn new_york(ts: Timestamp) -> jiff::Zoned {
    ts.to_jiff()
        .to_zoned(TimeZone::get("America/New_York").unwrap())
}

#[test]
fn range_constant_matches_the_calendar() {
    let last = date(LAST_YEAR, 12, 31);
    assert_eq!(
        date(FIRST_YEAR, 1, 1)
            .checked_add((DAYS_IN_RANGE - 1).days())
            .unwrap(),
        last
    );
}

#[test]
fn sessions_strictly_increase_and_never_overlap() {
    let all = Nyse.all_sessions();
    for s in all {
        assert!(s.open < s.close, "{s:?}");
    }
    for w in all.windows(2) {
        assert!(w[0].date < w[1].date, "{:?}", w);
        assert!(w[0].close < w[1].open, "{:?}", w);
    }
}

#[test]
fn bells_are_new_york_times() {
    for s in Nyse.all_sessions() {
        let (open, close) = (new_york(s.open), new_york(s.close));
        assert_eq!((open.date(), close.date()), (s.date, s.date));
        assert_eq!(open.time(), time(9, 30, 0, 0), "{s:?}");
        let expect_early = [time(13, 0, 0, 0), time(14, 0, 0, 0)].contains(&close.time());
        assert!(expect_early || close.time() == time(16, 0, 0, 0), "{s:?}");
        assert_eq!(s.early_close, expect_early, "{s:?}");
    }
}

proptest! {
    #[test]
    fn every_weekday_is_a_session_or_has_a_reason(d in in_range_date()) {
        let session = Nyse.session(d).unwrap();
        let reason = Nyse.closure_reason(d);
        if matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            prop_assert!(session.is_none() && reason.is_none());
        } else {
            prop_assert!(session.is_some() != reason.is_some(), "{d}: {session:?} {reason:?}");
        }
        prop_assert_eq!(Nyse.is_session(d).unwrap(), session.is_some());
    }

    #[test]
    fn bells_map_back_to_their_session(d in in_range_date()) {
        if let Some(s) = Nyse.session(d).unwrap() {
            prop_assert_eq!(s.date, d);
            prop_assert_eq!(Nyse.session_at(s.open), Some(s));
            prop_assert_eq!(Nyse.session_at(s.close), Some(s));
            prop_assert_eq!(Nyse.session_at(s.open.add_secs(-1)), None);
            prop_assert_eq!(Nyse.session_at(s.close.add_secs(1)), None);
        }
    }

    #[test]
    fn neighbours_are_adjacent(d in in_range_date()) {
        let all = Nyse.all_sessions();
        let next = Nyse.next_session(d).unwrap();
        prop_assert_eq!(next, all.iter().find(|s| s.date > d).copied());
        let prev = Nyse.previous_session(d).unwrap();
        prop_assert_eq!(prev, all.iter().rev().find(|s| s.date < d).copied());
    }

    #[test]
    fn sessions_in_is_a_filter(a in in_range_date(), b in in_range_date()) {
        let got = Nyse.sessions_in(a, b).unwrap();
        let want: Vec<_> =
            Nyse.all_sessions().iter().filter(|s| a <= s.date && s.date <= b).copied().collect();
        prop_assert_eq!(got, &want[..]);
        prop_assert_eq!(Nyse.sessions(a, b).unwrap(), want);
    }

    #[test]
    fn session_at_agrees_with_the_new_york_date(t in in_range_ts()) {
        let by_date = Nyse.session(new_york(t).date()).ok().flatten().filter(|s| s.contains(t));
        prop_assert_eq!(Nyse.session_at(t), by_date);
        let after = Nyse.session_at_or_after(t);
        prop_assert_eq!(after, Nyse.all_sessions().iter().find(|s| t <= s.close).copied());
    }

    #[test]
    fn sessions_between_is_an_overlap_filter(a in in_range_ts(), len in 0i64..10 * 86_400) {
        let b = a.add_secs(len);
        let got = Nyse.sessions_between(a, b);
        let want: Vec<_> =
            Nyse.all_sessions().iter().filter(|s| s.close >= a && s.open <= b).copied().collect();
        prop_assert_eq!(got, &want[..]);
        prop_assert!(Nyse.sessions_between(b.add_secs(1), a).is_empty());
    }

    #[test]
    fn any_date_is_answered_without_panic(d in any_date()) {
        let in_range = (FIRST_YEAR..=LAST_YEAR).contains(&d.year());
        prop_assert_eq!(Nyse.session(d).is_ok(), in_range);
        prop_assert_eq!(Nyse.is_session(d).is_ok(), in_range);
        prop_assert_eq!(Nyse.next_session(d).is_ok(), in_range);
        prop_assert_eq!(Nyse.previous_session(d).is_ok(), in_range);
        prop_assert_eq!(Nyse.sessions(d, d).is_ok(), in_range);
        if !in_range {
            prop_assert_eq!(Nyse.closure_reason(d), None);
        }
    }

    #[test]
    fn any_timestamp_is_answered_without_panic(n in any::<i64>(), m in any::<i64>()) {
        let (a, b) = (Timestamp::from_nanos(n), Timestamp::from_nanos(m));
        if let Some(s) = Nyse.session_at(a) {
            prop_assert!(s.contains(a));
        }
        if let Some(s) = Nyse.session_at_or_after(a) {
            prop_assert!(a <= s.close);
        }
        for s in Nyse.sessions_between(a, b) {
            prop_assert!(s.close >= a && s.open <= b);
        }
    }
}
