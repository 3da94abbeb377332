//! Session-aware gap report: which trading sessions (per the NYSE calendar)
//! have no bar between a file's first and last bar, which bars sit on days
//! the exchange was closed, and for intraday data how many regular-hours
//! bars each session is missing.

use std::fmt;

use jiff::civil::Date;
use trade_calendar::{FIRST_YEAR, LAST_YEAR, Nyse, Session};
use trade_core::{Bar, Timestamp};

use crate::spec::Interval;
use crate::timestamps::SessionLookup;

/// Regular-hours bar count of one session (intraday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCount {
    /// The session's date.
    pub date: Date,
    /// Bars a complete session has: session length / interval, rounded up
    /// (390 for one-minute bars, 210 on early-close days, 7 hourly bars).
    pub expected: u32,
    /// Regular-hours bars present.
    pub present: u32,
}

/// The gap report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GapReport {
    /// Date of the first bar (New York).
    pub first: Option<Date>,
    /// Date of the last bar.
    pub last: Option<Date>,
    /// Trading sessions from `first` to `last` per the calendar.
    pub sessions: usize,
    /// Sessions without any bar (intraday: without a regular-hours bar).
    pub missing_sessions: Vec<Date>,
    /// Dates with bars although the exchange was closed.
    pub non_session_dates: Vec<Date>,
    /// Intraday: every session in range with its bar count.
    pub per_session: Vec<SessionCount>,
    /// Intraday: regular-hours bars missing in total (including those of
    /// entirely missing sessions).
    pub missing_bars: u64,
    /// Set when part of the range lies outside the calendar's years and was
    /// not checked.
    pub unchecked_range: bool,
}

impl GapReport {
    /// Sessions with some but not all regular-hours bars.
    pub fn incomplete_sessions(&self) -> impl Iterator<Item = &SessionCount> {
        self.per_session
            .iter()
            .filter(|s| s.present > 0 && s.present < s.expected)
    }

    /// Whether nothing is missing and nothing is off-calendar.
    pub fn is_clean(&self) -> bool {
        self.missing_sessions.is_empty()
            && self.non_session_dates.is_empty()
            && self.missing_bars == 0
    }
}

fn clip(d: Date) -> (Date, bool) {
    let lo = jiff::civil::Date::new(FIRST_YEAR, 1, 1).unwrap_or(d);
    let hi = jiff::civil::Date::new(LAST_YEAR, 12, 31).unwrap_or(d);
    if d < lo {
        (lo, true)
    } else if d > hi {
        (hi, true)
    } else {
        (d, false)
    }
}

/// Builds the report for bars sorted by `ts` (as the loaders return them).
pub fn gap_report(bars: &[Bar], interval: Interval) -> GapReport {
    let mut lookup = SessionLookup::new();
    // Bar ends are stamped; the New York date of an intraday bar is that of
    // its start, and a daily bar ends at its session's close.
    let step = interval.seconds().unwrap_or(0);
    let date_of = |lookup: &mut SessionLookup, b: &Bar| lookup.at(b.ts.secs() - step).0;
    let (Some(first), Some(last)) = (
        bars.first().and_then(|b| date_of(&mut lookup, b)),
        bars.last().and_then(|b| date_of(&mut lookup, b)),
    ) else {
        return GapReport::default();
    };
    let (from, clipped_lo) = clip(first);
    let (to, clipped_hi) = clip(last);
    let sessions: Vec<Session> = if from <= to {
        Nyse.sessions(from, to).unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut report = GapReport {
        first: Some(first),
        last: Some(last),
        sessions: sessions.len(),
        unchecked_range: clipped_lo || clipped_hi,
        ..GapReport::default()
    };
    match interval {
        Interval::Daily => daily(bars, &sessions, &mut lookup, &mut report),
        Interval::Seconds(s) => intraday(bars, &sessions, i64::from(s), &mut lookup, &mut report),
    }
    report
}

fn daily(bars: &[Bar], sessions: &[Session], lookup: &mut SessionLookup, report: &mut GapReport) {
    let mut dates: Vec<Date> = bars
        .iter()
        .filter_map(|b| lookup.at(b.ts.secs()).0)
        .collect();
    dates.dedup();
    let mut j = 0;
    for s in sessions {
        while j < dates.len() && dates[j] < s.date {
            report.non_session_dates.push(dates[j]);
            j += 1;
        }
        if j < dates.len() && dates[j] == s.date {
            j += 1;
        } else {
            report.missing_sessions.push(s.date);
        }
    }
    report.non_session_dates.extend_from_slice(&dates[j..]);
    // Out-of-calendar dates are not known to be closed days.
    report
        .non_session_dates
        .retain(|d| lookup.on(*d).is_ok_and(|s| s.is_none()));
}

fn intraday(
    bars: &[Bar],
    sessions: &[Session],
    step: i64,
    lookup: &mut SessionLookup,
    report: &mut GapReport,
) {
    let mut counts = vec![0u32; sessions.len()];
    let mut j = 0;
    let mut last_closed: Option<Date> = None;
    let step_ns = step * trade_core::time::NANOS_PER_SEC;
    for b in bars {
        // A bar counts for the session its start falls in (a bar cut at
        // the close starts no later than `ts - step`). Nanosecond
        // comparisons: no division per bar.
        let start = Timestamp::from_nanos(b.ts.nanos() - step_ns);
        while j < sessions.len() && sessions[j].close <= start {
            j += 1;
        }
        if let Some(s) = sessions.get(j)
            && start >= s.open
            && start < s.close
        {
            counts[j] += 1;
            continue;
        }
        let (date, session) = lookup.at(start.secs());
        if let (Some(d), Ok(None)) = (date, session)
            && last_closed != Some(d)
        {
            report.non_session_dates.push(d);
            last_closed = Some(d);
        }
    }
    for (s, &present) in sessions.iter().zip(&counts) {
        // A last, shorter bar counts: 7 hourly bars in a 6.5-hour session.
        let expected =
            u32::try_from((s.close.secs() - s.open.secs() + step - 1) / step).unwrap_or(0);
        if present == 0 {
            report.missing_sessions.push(s.date);
        }
        report.missing_bars += u64::from(expected.saturating_sub(present));
        report.per_session.push(SessionCount {
            date: s.date,
            expected,
            present,
        });
    }
}

impl fmt::Display for GapReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return f.write_str("gaps: no bars");
        };
        let present = self.sessions - self.missing_sessions.len();
        writeln!(
            f,
            "sessions {first} .. {last}: {present} of {} present",
            self.sessions
        )?;
        if self.unchecked_range {
            writeln!(
                f,
                "  (dates outside {FIRST_YEAR}..={LAST_YEAR} were not checked)"
            )?;
        }
        let show = |f: &mut fmt::Formatter<'_>, title: &str, dates: &[Date]| -> fmt::Result {
            if dates.is_empty() {
                return Ok(());
            }
            let shown: Vec<String> = dates.iter().take(20).map(Date::to_string).collect();
            let more = if dates.len() > 20 {
                format!(" ... and {} more", dates.len() - 20)
            } else {
                String::new()
            };
            writeln!(f, "  {title} ({}): {}{more}", dates.len(), shown.join(", "))
        };
        show(f, "missing sessions", &self.missing_sessions)?;
        show(f, "bars on closed days", &self.non_session_dates)?;
        if !self.per_session.is_empty() {
            let incomplete: Vec<&SessionCount> = self.incomplete_sessions().collect();
            writeln!(
                f,
                "  regular-hours bars missing: {} ({} incomplete sessions)",
                self.missing_bars,
                incomplete.len()
            )?;
            for s in incomplete.iter().take(20) {
                writeln!(f, "    {}: {} of {} bars", s.date, s.present, s.expected)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use trade_core::{InstrumentId, Price};

    fn bar_at(ts: Timestamp) -> Bar {
        let p = Price::from_cents(100);
        Bar {
            instrument: InstrumentId(0),
            ts,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: 1,
        }
    }

    fn daily(d: Date) -> Bar {
        let close = Nyse.session(d).ok().flatten().map_or_else(
            || {
                let z = d
                    .at(16, 0, 0, 0)
                    .to_zoned(crate::timestamps::new_york())
                    .unwrap();
                Timestamp::from_jiff(z.timestamp()).unwrap()
            },
            |s| s.close,
        );
        bar_at(close)
    }

    #[test]
    fn daily_table() {
        // (case, bar dates, missing sessions, closed-day dates)
        type Case = (&'static str, Vec<Date>, Vec<Date>, Vec<Date>);
        let cases: Vec<Case> = vec![
            (
                "complete week",
                vec![
                    date(2024, 3, 25),
                    date(2024, 3, 26),
                    date(2024, 3, 27),
                    date(2024, 3, 28),
                    date(2024, 4, 1),
                ],
                vec![],
                vec![],
            ),
            (
                "one missing",
                vec![date(2024, 3, 25), date(2024, 3, 27), date(2024, 3, 28)],
                vec![date(2024, 3, 26)],
                vec![],
            ),
            (
                "Good Friday bar",
                vec![date(2024, 3, 28), date(2024, 3, 29), date(2024, 4, 1)],
                vec![],
                vec![date(2024, 3, 29)],
            ),
            (
                "Saturday last",
                vec![date(2024, 4, 5), date(2024, 4, 6)],
                vec![],
                vec![date(2024, 4, 6)],
            ),
        ];
        for (name, dates, missing, closed) in cases {
            let bars: Vec<Bar> = dates.iter().map(|&d| daily(d)).collect();
            let r = gap_report(&bars, Interval::Daily);
            assert_eq!(r.missing_sessions, missing, "case {name}: {r}");
            assert_eq!(r.non_session_dates, closed, "case {name}: {r}");
            assert!(r.per_session.is_empty(), "case {name}");
        }
    }

    #[test]
    fn intraday_counts_per_session() {
        // Three sessions; a full hour of 5-minute bars on the first, nothing
        // on the second, the whole early-close day on the third.
        let mut bars = Vec::new();
        for (d, n) in [(date(2024, 11, 27), 12), (date(2024, 11, 29), 42)] {
            let s = Nyse.session(d).unwrap().unwrap();
            for k in 1..=n {
                bars.push(bar_at(s.open.add_secs(300 * k)));
            }
        }
        let r = gap_report(&bars, Interval::Seconds(300));
        let counts: Vec<(Date, u32, u32)> = r
            .per_session
            .iter()
            .map(|s| (s.date, s.expected, s.present))
            .collect();
        // 2024-11-28 is Thanksgiving; 2024-11-29 closes at 13:00 (42 bars).
        assert_eq!(
            counts,
            vec![(date(2024, 11, 27), 78, 12), (date(2024, 11, 29), 42, 42)],
            "{r}"
        );
        assert_eq!(r.missing_bars, 66);
        assert!(r.missing_sessions.is_empty());
        assert_eq!(r.incomplete_sessions().count(), 1);
        assert!(
            r.to_string()
                .contains("regular-hours bars missing: 66 (1 incomplete sessions)"),
            "{r}"
        );
    }
}
