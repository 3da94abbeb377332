//! [`Bar`]: one OHLCV bar, stamped with the instant it *closed*.

use serde::{Deserialize, Serialize};

use crate::{InstrumentId, Price, Timestamp};

/// One OHLCV bar of an instrument.
///
/// `ts` is the bar's **end** (close) time in UTC: a daily bar of a regular
/// session ends at 16:00 New York time (13:00 on early-close days), a
/// one-minute bar labelled 09:30 by its vendor ends at 09:31. Stamping by
/// the close is what makes "decide at the close, fill at the next open"
/// free of look-ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// Which instrument (index into the run's instrument table).
    pub instrument: InstrumentId,
    /// Close time of the bar, UTC.
    pub ts: Timestamp,
    /// First trade price.
    pub open: Price,
    /// Highest trade price.
    pub high: Price,
    /// Lowest trade price.
    pub low: Price,
    /// Last trade price.
    pub close: Price,
    /// Units traded.
    pub volume: u64,
}

/// What is inconsistent about a bar's prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarProblem {
    /// A price is zero or negative.
    NonPositivePrice,
    /// High is below the open, close or low.
    HighTooLow,
    /// Low is above the open, close or high.
    LowTooHigh,
}

impl std::fmt::Display for BarProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BarProblem::NonPositivePrice => "a price is zero or negative",
            BarProblem::HighTooLow => "high is below open, close or low",
            BarProblem::LowTooHigh => "low is above open, close or high",
        })
    }
}

impl Bar {
    /// Checks price consistency: all prices positive, `low <= open, close
    /// <= high`.
    ///
    /// # Errors
    /// The first [`BarProblem`] found.
    pub fn check(&self) -> Result<(), BarProblem> {
        if self.open.raw() <= 0
            || self.high.raw() <= 0
            || self.low.raw() <= 0
            || self.close.raw() <= 0
        {
            return Err(BarProblem::NonPositivePrice);
        }
        if self.high < self.open || self.high < self.close || self.high < self.low {
            return Err(BarProblem::HighTooLow);
        }
        if self.low > self.open || self.low > self.close {
            return Err(BarProblem::LowTooHigh);
        }
        Ok(())
    }
}
