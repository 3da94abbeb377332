//! The calendar's value types: one [`Session`] and the [`OutOfRange`] error.

use jiff::civil::Date;
use serde::Serialize;
use thiserror::Error;
use trade_core::Timestamp;

use crate::{FIRST_YEAR, LAST_YEAR};

/// One regular trading session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The trading date (New York).
    pub date: Date,
    /// Opening bell, UTC (09:30 New York).
    pub open: Timestamp,
    /// Closing bell, UTC (16:00 New York; 13:00 on early-close days, 14:00
    /// on the early-close days before 1993).
    pub close: Timestamp,
    /// Whether the market closes before 16:00 New York that day.
    pub early_close: bool,
}

impl Session {
    /// Whether `ts` lies within `[open, close]` (both bells included).
    pub fn contains(&self, ts: Timestamp) -> bool {
        self.open <= ts && ts <= self.close
    }
}

/// Dates outside the covered years.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("date {date} is outside the NYSE calendar's range {FIRST_YEAR}-01-01..{LAST_YEAR}-12-31")]
pub struct OutOfRange {
    /// The offending date.
    pub date: Date,
}

impl OutOfRange {
    /// `Ok(())` if `date` is within `FIRST_YEAR..=LAST_YEAR`.
    pub(crate) fn check(date: Date) -> Result<(), OutOfRange> {
        if (FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            Ok(())
        } else {
            Err(OutOfRange { date })
        }
    }
}
