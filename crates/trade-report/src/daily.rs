//! Resampling an intraday (or daily) series to one point per New York
//! calendar date: the last observation of each date, in `America/New_York`.
//!
//! US sessions (regular, early-close and extended hours alike) lie within
//! one New York calendar date, so "last row of each New York date" is "the
//! session's closing value" whatever the bar size, DST offset or early
//! close. Metrics annualised with 252 periods a year must use these daily
//! points, never minute-to-minute returns.
//!
//! The walk is O(n) with one time-zone conversion per *date*, not per row:
//! it keeps the UTC instants of the current date's New York midnights and
//! only converts again when a row falls outside them.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use trade_core::Timestamp;

/// The exchange time zone of US equities.
pub const EXCHANGE_TZ: &str = "America/New_York";

/// The `America/New_York` time zone (bundled tzdb, never fails).
pub(crate) fn new_york() -> TimeZone {
    // The tzdb is compiled in (`tzdb-bundle-always`), so the lookup cannot
    // fail; fall back to a fixed EST offset rather than panic regardless.
    TimeZone::get(EXCHANGE_TZ).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(-5)))
}

/// The last observation of one New York calendar date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyPoint<T> {
    /// The New York calendar date.
    pub date: Date,
    /// The instant of the observation kept (the date's last).
    pub ts: Timestamp,
    /// Its value.
    pub value: T,
}

/// The New York calendar date of an instant.
pub fn ny_date(tz: &TimeZone, ts: Timestamp) -> Date {
    tz.to_datetime(ts.to_jiff()).date()
}

/// `[start, end)` of New York date `date`, in nanoseconds since the epoch.
fn date_bounds(tz: &TimeZone, date: Date) -> (i64, i64) {
    let midnight = |d: Date| -> i64 {
        // New York midnight never falls in a DST gap (they are at 02:00), but
        // `compatible` resolves one anyway.
        tz.to_ambiguous_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .compatible()
            .ok()
            .and_then(|t| i64::try_from(t.as_nanosecond()).ok())
            .unwrap_or(i64::MIN)
    };
    let start = midnight(date);
    let end = date.tomorrow().map_or(i64::MAX, midnight);
    (start, end)
}

/// The last observation of each New York calendar date, in date order.
///
/// `rows` must be in non-decreasing time order (ledgers are); a row earlier
/// than its predecessor starts a new point rather than being merged, so
/// unsorted input gives more points, never a wrong "last" value silently
/// taken from another date.
pub fn last_per_ny_date<T: Copy>(
    rows: impl IntoIterator<Item = (Timestamp, T)>,
) -> Vec<DailyPoint<T>> {
    let tz = new_york();
    let mut out: Vec<DailyPoint<T>> = Vec::new();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN); // empty window: first row converts
    for (ts, value) in rows {
        let ns = ts.nanos();
        if ns >= lo
            && ns < hi
            && let Some(last) = out.last_mut()
            && ns >= last.ts.nanos()
        {
            last.ts = ts;
            last.value = value;
            continue;
        }
        let date = ny_date(&tz, ts);
        (lo, hi) = date_bounds(&tz, date);
        out.push(DailyPoint { date, ts, value });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        Timestamp::from_jiff(s.parse().unwrap()).unwrap()
    }

    fn dates<T: Copy>(p: &[DailyPoint<T>]) -> Vec<Date> {
        p.iter().map(|d| d.date).collect()
    }

    #[test]
    fn minute_bars_across_spring_forward() {
        // Fri 2024-03-08 is EST (UTC-5): the session is 14:30Z-21:00Z.
        // Mon 2024-03-11 is EDT (UTC-4): the session is 13:30Z-20:00Z.
        let rows = [
            (ts("2024-03-08T14:31:00Z"), 1),
            (ts("2024-03-08T20:59:00Z"), 2),
            (ts("2024-03-08T21:00:00Z"), 3), // close, 16:00 EST
            (ts("2024-03-09T00:30:00Z"), 4), // 19:30 EST, still Friday in New York
            (ts("2024-03-11T13:31:00Z"), 5),
            (ts("2024-03-11T20:00:00Z"), 6), // close, 16:00 EDT
            (ts("2024-03-12T03:59:00Z"), 7), // 23:59 EDT Monday
            (ts("2024-03-12T04:00:00Z"), 8), // 00:00 EDT Tuesday
        ];
        let d = last_per_ny_date(rows);
        assert_eq!(
            dates(&d),
            [date(2024, 3, 8), date(2024, 3, 11), date(2024, 3, 12)]
        );
        assert_eq!(d.iter().map(|p| p.value).collect::<Vec<_>>(), [4, 7, 8]);
        assert_eq!(d[0].ts, ts("2024-03-09T00:30:00Z"));
    }

    #[test]
    fn fall_back_and_utc_midnight_do_not_split_a_session() {
        // Fri 2024-11-01 EDT close 20:00Z; Mon 2024-11-04 EST close 21:00Z.
        // A 19:00-20:00 EST after-hours bar on Monday is 00:00-01:00Z Tuesday.
        let rows = [
            (ts("2024-11-01T19:59:00Z"), 1.0),
            (ts("2024-11-01T20:00:00Z"), 2.0),
            (ts("2024-11-04T14:31:00Z"), 3.0),
            (ts("2024-11-04T21:00:00Z"), 4.0),
            (ts("2024-11-05T00:59:00Z"), 5.0), // 19:59 EST Monday
            (ts("2024-11-05T05:00:00Z"), 6.0), // 00:00 EST Tuesday
        ];
        let d = last_per_ny_date(rows);
        assert_eq!(
            dates(&d),
            [date(2024, 11, 1), date(2024, 11, 4), date(2024, 11, 5)]
        );
        assert_eq!(
            d.iter().map(|p| p.value).collect::<Vec<_>>(),
            [2.0, 5.0, 6.0]
        );
    }

    #[test]
    fn early_close_keeps_the_early_closing_value() {
        // Day after Thanksgiving 2024 closes at 13:00 EST = 18:00Z.
        let rows = [
            (ts("2024-11-27T21:00:00Z"), 10),
            (ts("2024-11-29T14:31:00Z"), 11),
            (ts("2024-11-29T18:00:00Z"), 12),
            (ts("2024-12-02T14:31:00Z"), 13),
            (ts("2024-12-02T21:00:00Z"), 14),
        ];
        let d = last_per_ny_date(rows);
        assert_eq!(
            dates(&d),
            [date(2024, 11, 27), date(2024, 11, 29), date(2024, 12, 2)]
        );
        assert_eq!(d.iter().map(|p| p.value).collect::<Vec<_>>(), [10, 12, 14]);
        assert_eq!(d[1].ts, ts("2024-11-29T18:00:00Z"));
    }

    #[test]
    fn daily_bars_map_one_to_one_and_empty_is_empty() {
        let rows = [
            (ts("2023-12-29T21:00:00Z"), 1),
            (ts("2024-01-02T21:00:00Z"), 2),
            (ts("2024-01-03T21:00:00Z"), 3),
        ];
        let d = last_per_ny_date(rows);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].date, date(2023, 12, 29));
        assert!(last_per_ny_date(std::iter::empty::<(Timestamp, i32)>()).is_empty());
    }

    #[test]
    fn out_of_order_row_is_not_merged_into_a_later_value() {
        let rows = [
            (ts("2024-01-02T20:00:00Z"), 1),
            (ts("2024-01-02T15:00:00Z"), 2),
        ];
        let d = last_per_ny_date(rows);
        assert_eq!(d.len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn matches_per_row_conversion(mut secs in proptest::collection::vec(1_600_000_000i64..1_800_000_000, 0..300)) {
            secs.sort_unstable();
            let tz = new_york();
            let rows: Vec<(Timestamp, usize)> = secs.iter().enumerate().map(|(i, &s)| (Timestamp::from_secs(s), i)).collect();
            let got = last_per_ny_date(rows.iter().copied());
            // Reference: convert every row.
            let mut want: Vec<(Date, usize)> = Vec::new();
            for &(t, i) in &rows {
                let d = ny_date(&tz, t);
                match want.last_mut() {
                    Some(last) if last.0 == d => last.1 = i,
                    _ => want.push((d, i)),
                }
            }
            let got: Vec<(Date, usize)> = got.iter().map(|p| (p.date, p.value)).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
