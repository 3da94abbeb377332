//! The shipped SPY one-minute file: Polygon-style, New York offsets, bars
//! labelled by their start, extended hours, DST switch on 2024-03-10.

mod common;

use common::{spec, ts};
use trade_core::{Bar, InstrumentId};
use trade_data::{BarLabel, Interval, TradingHours, check_file, load_bars};

const FILE: &str = "intraday/SPY_1min_2024-02-20_2024-05-17.csv";

fn first_of_day<'a>(bars: &'a [Bar], day: &str) -> &'a Bar {
    bars.iter()
        .find(|b| {
            b.ts.to_jiff()
                .to_zoned(jiff::tz::TimeZone::get("America/New_York").unwrap())
                .date()
                .to_string()
                == day
        })
        .expect(day)
}

#[test]
fn regular_hours_are_63_sessions_of_390_bars() {
    let l = load_bars(&spec(FILE), InstrumentId(0)).unwrap();
    assert_eq!(
        l.sha256,
        "25aa7fbeb6e96a64ff41b29fb35eb9ae25277b05c8aaf1f8f2a79eab445bed29"
    );
    assert_eq!(l.interval, Interval::Seconds(60));
    assert_eq!(l.rows, 49_720);
    assert_eq!(l.bars.len(), 63 * 390);
    assert_eq!(l.skipped_outside_hours, 49_720 - 63 * 390);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);

    assert_eq!(l.gaps.per_session.len(), 63);
    assert!(
        l.gaps
            .per_session
            .iter()
            .all(|s| s.expected == 390 && s.present == 390),
        "{}",
        l.gaps
    );
    assert!(l.gaps.is_clean(), "{}", l.gaps);
    // Good Friday (2024-03-29) is not a session, so not missing.
    assert_eq!(l.gaps.sessions, 63);

    // DST began 2024-03-10: the 09:30 bar ends 14:31 UTC before, 13:31 after.
    assert_eq!(
        ts(first_of_day(&l.bars, "2024-03-08").ts),
        "2024-03-08T14:31:00Z"
    );
    assert_eq!(
        ts(first_of_day(&l.bars, "2024-03-11").ts),
        "2024-03-11T13:31:00Z"
    );
    assert_eq!(ts(l.first), "2024-02-20T14:31:00Z");
    assert_eq!(ts(l.last), "2024-05-17T20:00:00Z");
    // 2024-03-08 09:30 row: 515.46,515.9,515.36,515.64,653454.0
    let b = first_of_day(&l.bars, "2024-03-08");
    assert_eq!(
        (b.open.to_string(), b.close.to_string(), b.volume),
        ("515.46".into(), "515.64".into(), 653_454)
    );

    let text = check_file(&spec(FILE)).render(5);
    assert!(
        text.contains("63 of 63 present") && text.contains("regular-hours bars missing: 0"),
        "{text}"
    );
}

#[test]
fn all_hours_keeps_extended_bars() {
    let mut s = spec(FILE);
    s.hours = TradingHours::All;
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    assert_eq!(l.bars.len(), 49_720);
    assert_eq!(l.skipped_outside_hours, 0);
    assert_eq!(ts(l.first), "2024-02-20T09:01:00Z"); // 04:00 EST label, ends 04:01
    assert!(l.gaps.is_clean(), "{}", l.gaps);
}

#[test]
fn end_labels_shift_the_session_window() {
    let mut s = spec(FILE);
    s.label = BarLabel::End;
    let l = load_bars(&s, InstrumentId(0)).unwrap();
    // Labels 09:31 .. 16:00 are the regular bars when labels are ends.
    assert_eq!(l.bars.len(), 63 * 390);
    assert_eq!(
        ts(first_of_day(&l.bars, "2024-03-11").ts),
        "2024-03-11T13:31:00Z"
    );
    assert!(l.gaps.is_clean(), "{}", l.gaps);
}

#[test]
fn naive_new_york_times_give_the_same_bars() {
    // Strip the offsets: the loader must find them again from the zone,
    // across the DST switch.
    let text = std::fs::read_to_string(common::data(FILE)).unwrap();
    let naive: String = text
        .lines()
        .map(|l| match l.find(['-', '+']).map(|_| l.split_once(',')) {
            Some(Some((t, rest))) if t.len() == 25 => format!("{},{rest}\n", &t[..19]),
            _ => format!("{l}\n"),
        })
        .collect();
    let dir = common::TempDir::new("naive");
    let s = common::temp_spec(&dir.file("naive.csv", naive));
    let a = load_bars(&s, InstrumentId(0)).unwrap();
    let b = load_bars(&spec(FILE), InstrumentId(0)).unwrap();
    assert_eq!(a.bars, b.bars);
}
