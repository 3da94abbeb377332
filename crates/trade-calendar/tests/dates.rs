//! Table tests: specific dates whose status is known from NYSE announcements
//! and history, each checked for open/closed, bells in UTC and closure name.

use jiff::civil::{Date, date};
use trade_calendar::{FIRST_YEAR, LAST_YEAR, Nyse, OutOfRange, Session};
use trade_core::Timestamp;

fn ts(s: &str) -> Timestamp {
    Timestamp::from_jiff(s.parse().expect("RFC 3339")).expect("in range")
}

fn session(d: Date) -> Option<Session> {
    Nyse.session(d).expect("in range")
}

/// Asserts `d` trades from `open` to `close` (UTC, RFC 3339).
fn open(d: Date, open: &str, close: &str, early: bool) {
    let s = session(d).unwrap_or_else(|| panic!("{d} should be a session"));
    assert_eq!(
        (s.open, s.close, s.early_close),
        (ts(open), ts(close), early),
        "{d}"
    );
    assert_eq!(Nyse.closure_reason(d), None, "{d}");
}

/// Asserts `d` is closed, for `reason`.
fn closed(d: Date, reason: &str) {
    assert_eq!(session(d), None, "{d} should be closed");
    assert_eq!(Nyse.closure_reason(d), Some(reason), "{d}");
}

#[test]
fn one_off_closures() {
    closed(
        date(1994, 4, 27),
        "National Day of Mourning for President Richard Nixon",
    );
    for day in 11..=14 {
        closed(date(2001, 9, day), "September 11 attacks");
    }
    open(
        date(2001, 9, 17),
        "2001-09-17T13:30:00Z",
        "2001-09-17T20:00:00Z",
        false,
    );
    closed(
        date(2004, 6, 11),
        "National Day of Mourning for President Ronald Reagan",
    );
    closed(
        date(2007, 1, 2),
        "National Day of Mourning for President Gerald R. Ford",
    );
    closed(date(2012, 10, 29), "Hurricane Sandy");
    closed(date(2012, 10, 30), "Hurricane Sandy");
    open(
        date(2012, 10, 31),
        "2012-10-31T13:30:00Z",
        "2012-10-31T20:00:00Z",
        false,
    );
    closed(
        date(2018, 12, 5),
        "National Day of Mourning for President George H. W. Bush",
    );
    closed(
        date(2025, 1, 9),
        "National Day of Mourning for President Jimmy Carter",
    );
    assert_eq!(
        Nyse.sessions(date(2025, 1, 6), date(2025, 1, 10))
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn rule_holidays() {
    closed(date(2024, 3, 29), "Good Friday");
    closed(date(2018, 3, 30), "Good Friday");
    closed(date(2024, 1, 15), "Martin Luther King Jr. Day");
    closed(date(2024, 2, 19), "Washington's Birthday");
    closed(date(2024, 5, 27), "Memorial Day");
    closed(date(2024, 9, 2), "Labor Day");
    closed(date(2024, 11, 28), "Thanksgiving Day");
    closed(date(2024, 12, 25), "Christmas Day");
    closed(date(2024, 1, 1), "New Year's Day");
    closed(date(1990, 1, 1), "New Year's Day");
}

#[test]
fn mlk_day_only_from_1998() {
    open(
        date(1997, 1, 20),
        "1997-01-20T14:30:00Z",
        "1997-01-20T21:00:00Z",
        false,
    );
    closed(date(1998, 1, 19), "Martin Luther King Jr. Day");
}

#[test]
fn juneteenth_only_from_2022() {
    // 2021: signed into law two days before; the NYSE stayed open.
    open(
        date(2021, 6, 18),
        "2021-06-18T13:30:00Z",
        "2021-06-18T20:00:00Z",
        false,
    );
    closed(
        date(2022, 6, 20),
        "Juneteenth National Independence Day (observed)",
    );
    open(
        date(2022, 6, 17),
        "2022-06-17T13:30:00Z",
        "2022-06-17T20:00:00Z",
        false,
    );
    closed(date(2023, 6, 19), "Juneteenth National Independence Day");
    // Saturday in 2027: observed the Friday before.
    closed(
        date(2027, 6, 18),
        "Juneteenth National Independence Day (observed)",
    );
}

#[test]
fn weekend_observance() {
    // New Year's Day on a Saturday is not moved to Friday.
    open(
        date(2021, 12, 31),
        "2021-12-31T14:30:00Z",
        "2021-12-31T21:00:00Z",
        false,
    );
    open(
        date(2010, 12, 31),
        "2010-12-31T14:30:00Z",
        "2010-12-31T21:00:00Z",
        false,
    );
    assert_eq!(Nyse.closure_reason(date(2022, 1, 1)), None);
    // ... but on a Sunday it moves to Monday.
    closed(date(2023, 1, 2), "New Year's Day (observed)");
    // Saturday holidays move to Friday, Sunday holidays to Monday.
    closed(date(2015, 7, 3), "Independence Day (observed)");
    closed(date(2021, 7, 5), "Independence Day (observed)");
    closed(date(2021, 12, 24), "Christmas Day (observed)");
    closed(date(2022, 12, 26), "Christmas Day (observed)");
    // No half day before a Friday holiday or after a Monday one.
    open(
        date(2015, 7, 2),
        "2015-07-02T13:30:00Z",
        "2015-07-02T20:00:00Z",
        false,
    );
    open(
        date(2021, 12, 23),
        "2021-12-23T14:30:00Z",
        "2021-12-23T21:00:00Z",
        false,
    );
    open(
        date(2022, 12, 23),
        "2022-12-23T14:30:00Z",
        "2022-12-23T21:00:00Z",
        false,
    );
}

#[test]
fn early_closes() {
    open(
        date(2024, 7, 3),
        "2024-07-03T13:30:00Z",
        "2024-07-03T17:00:00Z",
        true,
    );
    open(
        date(2024, 11, 29),
        "2024-11-29T14:30:00Z",
        "2024-11-29T18:00:00Z",
        true,
    );
    open(
        date(2024, 12, 24),
        "2024-12-24T14:30:00Z",
        "2024-12-24T18:00:00Z",
        true,
    );
    // July 4 on a Thursday: Friday the 5th shortened until 2012, Wednesday the
    // 3rd from 2013.
    open(
        date(2002, 7, 5),
        "2002-07-05T13:30:00Z",
        "2002-07-05T17:00:00Z",
        true,
    );
    open(
        date(2013, 7, 3),
        "2013-07-03T13:30:00Z",
        "2013-07-03T17:00:00Z",
        true,
    );
    open(
        date(2013, 7, 5),
        "2013-07-05T13:30:00Z",
        "2013-07-05T20:00:00Z",
        false,
    );
    open(
        date(2019, 7, 5),
        "2019-07-05T13:30:00Z",
        "2019-07-05T20:00:00Z",
        false,
    );
    // Before 1993 half days closed at 14:00 New York.
    open(
        date(1990, 12, 24),
        "1990-12-24T14:30:00Z",
        "1990-12-24T19:00:00Z",
        true,
    );
    open(
        date(1992, 11, 27),
        "1992-11-27T14:30:00Z",
        "1992-11-27T19:00:00Z",
        true,
    );
    open(
        date(1991, 11, 29),
        "1991-11-29T14:30:00Z",
        "1991-11-29T21:00:00Z",
        false,
    );
    // One-offs, and the Fridays after Christmas that were not shortened.
    open(
        date(1999, 12, 31),
        "1999-12-31T14:30:00Z",
        "1999-12-31T18:00:00Z",
        true,
    );
    open(
        date(2003, 12, 26),
        "2003-12-26T14:30:00Z",
        "2003-12-26T18:00:00Z",
        true,
    );
    open(
        date(2008, 12, 26),
        "2008-12-26T14:30:00Z",
        "2008-12-26T21:00:00Z",
        false,
    );
    open(
        date(2025, 12, 26),
        "2025-12-26T14:30:00Z",
        "2025-12-26T21:00:00Z",
        false,
    );
}

#[test]
fn dst_changes_move_the_utc_bells() {
    // US DST began Sunday 2024-03-10.
    open(
        date(2024, 3, 8),
        "2024-03-08T14:30:00Z",
        "2024-03-08T21:00:00Z",
        false,
    );
    open(
        date(2024, 3, 11),
        "2024-03-11T13:30:00Z",
        "2024-03-11T20:00:00Z",
        false,
    );
    // ... and ended Sunday 2024-11-03.
    open(
        date(2024, 11, 1),
        "2024-11-01T13:30:00Z",
        "2024-11-01T20:00:00Z",
        false,
    );
    open(
        date(2024, 11, 4),
        "2024-11-04T14:30:00Z",
        "2024-11-04T21:00:00Z",
        false,
    );
    // Before 2007 DST ran from the first Sunday of April.
    open(
        date(2006, 3, 31),
        "2006-03-31T14:30:00Z",
        "2006-03-31T21:00:00Z",
        false,
    );
    open(
        date(2006, 4, 3),
        "2006-04-03T13:30:00Z",
        "2006-04-03T20:00:00Z",
        false,
    );
}

#[test]
fn sessions_per_year() {
    let count = |y| Nyse.sessions(date(y, 1, 1), date(y, 12, 31)).unwrap().len();
    assert_eq!(count(2022), 251);
    assert_eq!(count(2023), 250);
    assert_eq!(count(2024), 252);
}

#[test]
fn neighbours() {
    let next = Nyse.next_session(date(2024, 3, 28)).unwrap().unwrap();
    assert_eq!(next.date, date(2024, 4, 1));
    let prev = Nyse.previous_session(date(2024, 4, 1)).unwrap().unwrap();
    assert_eq!(prev.date, date(2024, 3, 28));
    assert_eq!(Nyse.next_session(date(2035, 12, 31)).unwrap(), None);
    assert_eq!(Nyse.previous_session(date(1990, 1, 2)).unwrap(), None);
    assert!(Nyse.is_session(date(2024, 3, 28)).unwrap());
    assert!(!Nyse.is_session(date(2024, 3, 30)).unwrap());
}

#[test]
fn timestamp_lookups() {
    let s = session(date(2024, 3, 8)).unwrap();
    assert_eq!(Nyse.session_at(ts("2024-03-08T14:30:00Z")), Some(s));
    assert_eq!(Nyse.session_at(ts("2024-03-08T21:00:00Z")), Some(s));
    assert_eq!(
        Nyse.session_at(ts("2024-03-08T21:00:00Z").add_secs(1)),
        None
    );
    assert_eq!(Nyse.session_at(ts("2024-03-08T14:29:59Z")), None);
    // Saturday: nothing in progress; the next session is Monday's.
    let monday = session(date(2024, 3, 11)).unwrap();
    assert_eq!(Nyse.session_at(ts("2024-03-09T15:00:00Z")), None);
    assert_eq!(
        Nyse.session_at_or_after(ts("2024-03-09T15:00:00Z")),
        Some(monday)
    );
    assert_eq!(
        Nyse.session_at_or_after(ts("2024-03-08T20:59:00Z")),
        Some(s)
    );
    let week = Nyse.sessions_between(ts("2024-03-08T20:00:00Z"), ts("2024-03-11T13:30:00Z"));
    assert_eq!(week, &[s, monday]);
    assert!(
        Nyse.sessions_between(ts("2024-03-09T00:00:00Z"), ts("2024-03-10T00:00:00Z"))
            .is_empty()
    );
    assert_eq!(Nyse.session_at(Timestamp::from_nanos(i64::MIN)), None);
    assert_eq!(Nyse.session_at(Timestamp::from_nanos(i64::MAX)), None);
    assert_eq!(
        Nyse.session_at_or_after(Timestamp::from_nanos(i64::MAX)),
        None
    );
}

#[test]
fn out_of_range() {
    let before = date(FIRST_YEAR - 1, 12, 29);
    let after = date(LAST_YEAR + 1, 1, 2);
    assert_eq!(Nyse.session(before), Err(OutOfRange { date: before }));
    assert_eq!(Nyse.session(after), Err(OutOfRange { date: after }));
    assert!(Nyse.sessions(before, date(1990, 1, 5)).is_err());
    assert!(Nyse.sessions(date(2035, 12, 1), after).is_err());
    assert!(Nyse.next_session(after).is_err());
    assert!(Nyse.previous_session(before).is_err());
    assert_eq!(Nyse.closure_reason(before), None);
    assert_eq!(
        Nyse.session(after).unwrap_err().to_string(),
        "date 2036-01-02 is outside the NYSE calendar's range 1990-01-01..2035-12-31"
    );
    assert!(
        Nyse.sessions(date(2024, 1, 5), date(2024, 1, 1))
            .unwrap()
            .is_empty()
    );
}

/// Regression: a reversed range whose end is exactly an opening bell used
/// to return that session (found by the overlap-filter property test with
/// a = 2020-07-01T13:30:00Z, len = 0).
#[test]
fn reversed_range_at_an_opening_bell_is_empty() {
    let open = trade_core::Timestamp::from_secs(1_593_610_200);
    assert_eq!(trade_calendar::Nyse.sessions_between(open, open).len(), 1);
    assert!(
        trade_calendar::Nyse
            .sessions_between(open.add_secs(1), open)
            .is_empty()
    );
}
