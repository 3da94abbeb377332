//! NYSE trading calendar. (PLACEHOLDER IMPLEMENTATION: weekdays only, no
//! holidays. The real rule-based calendar replaces the bodies; the public
//! API below is the contract other crates code against.)
#![forbid(unsafe_code)]

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;
use thiserror::Error;
use trade_core::Timestamp;

/// First calendar year covered.
pub const FIRST_YEAR: i16 = 1990;
/// Last calendar year covered.
pub const LAST_YEAR: i16 = 2035;

/// One regular trading session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The trading date (New York).
    pub date: Date,
    /// Opening bell, UTC.
    pub open: Timestamp,
    /// Closing bell, UTC (13:00 New York on early-close days).
    pub close: Timestamp,
    /// Whether the market closes early (13:00) that day.
    pub early_close: bool,
}

/// Dates outside the covered years.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("date {date} is outside the NYSE calendar's range {FIRST_YEAR}-01-01..{LAST_YEAR}-12-31")]
pub struct OutOfRange {
    /// The offending date.
    pub date: Date,
}

/// The New York Stock Exchange calendar.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nyse;

fn ny() -> TimeZone {
    TimeZone::get("America/New_York").expect("bundled tzdb has America/New_York")
}

fn check(date: Date) -> Result<(), OutOfRange> {
    if date.year() < FIRST_YEAR || date.year() > LAST_YEAR {
        Err(OutOfRange { date })
    } else {
        Ok(())
    }
}

fn at(date: Date, h: i8, m: i8) -> Timestamp {
    let z = date.at(h, m, 0, 0).to_zoned(ny()).expect("valid New York time");
    Timestamp::from_jiff(z.timestamp()).expect("in range")
}

impl Nyse {
    /// The session on `date`, or `None` if the exchange is closed that day.
    ///
    /// # Errors
    /// [`OutOfRange`] outside 1990..=2035.
    pub fn session(&self, date: Date) -> Result<Option<Session>, OutOfRange> {
        check(date)?;
        if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return Ok(None);
        }
        Ok(Some(Session { date, open: at(date, 9, 30), close: at(date, 16, 0), early_close: false }))
    }

    /// All sessions with `from <= date <= to`, in order.
    ///
    /// # Errors
    /// [`OutOfRange`] if either end is outside 1990..=2035.
    pub fn sessions(&self, from: Date, to: Date) -> Result<Vec<Session>, OutOfRange> {
        check(from)?;
        check(to)?;
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            if let Some(s) = self.session(d)? {
                out.push(s);
            }
            d = d.tomorrow().expect("in range");
        }
        Ok(out)
    }

    /// The session whose `[open, close]` contains `ts`, if any.
    pub fn session_at(&self, ts: Timestamp) -> Option<Session> {
        let date = ts.to_jiff().to_zoned(ny()).date();
        self.session(date).ok().flatten().filter(|s| s.open <= ts && ts <= s.close)
    }

    /// Why the exchange is closed on a weekday `date` (holiday or special
    /// closure name), or `None` if it is open or the date is a weekend.
    pub fn closure_reason(&self, _date: Date) -> Option<&'static str> {
        None
    }
}
