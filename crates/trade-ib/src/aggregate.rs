//! 5-second real-time bars (IB's `reqRealTimeBars`, stamped at their start)
//! aggregated into the strategy's bars, stamped at their END as in the
//! backtest: a bar covering `[t - size, t)` carries `t`.
//!
//! Intraday sizes (up to an hour, dividing a day) are aligned to multiples
//! of the size since the epoch, so 1-, 5-, 15- and 30-minute bars line up
//! with the 09:30 New York open. Daily bars (a size of a day or more) are
//! NYSE sessions: from the open to the close (13:00 on half days), stamped
//! at the close. A bar is emitted as soon as the 5-second bar that ends it
//! arrives, or, if that one never comes, when the next bucket's first one
//! does.

use trade_calendar::Nyse;
use trade_core::{Bar, InstrumentId, Price, Timestamp};

/// The length of IB's real-time bars.
pub const FIVE_SECONDS: i64 = 5;

/// One 5-second bar as IB delivers it (start time, prices in dollars).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiveSecondBar {
    /// Start of the 5 seconds.
    pub start: Timestamp,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume (shares).
    pub volume: f64,
}

/// Why a 5-second bar was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// A price is NaN, infinite, zero or negative, or high < low.
    #[error("bad prices in the 5-second bar at {0}")]
    BadPrices(Timestamp),
    /// Outside any NYSE session (daily bars only).
    #[error("5-second bar at {0} is outside the NYSE session")]
    OutsideSession(Timestamp),
    /// Older than the bar being built.
    #[error("5-second bar at {0} is older than the bar in progress")]
    Late(Timestamp),
}

/// The bar size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarSize {
    /// Seconds, dividing a day, at most an hour, a multiple of 5.
    Intraday(u32),
    /// One NYSE session.
    Session,
}

impl BarSize {
    /// The size for `seconds`; `None` when it cannot be built from
    /// 5-second bars (not a multiple of 5, or not dividing a day).
    pub fn from_seconds(seconds: u32) -> Option<BarSize> {
        if seconds >= 86_400 {
            return Some(BarSize::Session);
        }
        (seconds >= 5
            && seconds.is_multiple_of(5)
            && 86_400_u32.is_multiple_of(seconds)
            && seconds <= 3_600)
            .then_some(BarSize::Intraday(seconds))
    }
}

#[derive(Debug, Clone, Copy)]
struct Partial {
    end: Timestamp,
    open: Price,
    high: Price,
    low: Price,
    close: Price,
    volume: f64,
}

/// The bar in progress of one instrument.
#[derive(Debug, Clone)]
pub struct Aggregator {
    instrument: InstrumentId,
    size: BarSize,
    partial: Option<Partial>,
}

impl Aggregator {
    /// Aggregates the 5-second bars of `instrument` into bars of `size`.
    pub fn new(instrument: InstrumentId, size: BarSize) -> Self {
        Aggregator {
            instrument,
            size,
            partial: None,
        }
    }

    /// The end of the bar containing the 5 seconds starting at `start`.
    fn bucket_end(&self, start: Timestamp) -> Result<Timestamp, Rejected> {
        match self.size {
            BarSize::Intraday(s) => {
                let s = i64::from(s);
                Ok(Timestamp::from_secs(start.secs().div_euclid(s) * s + s))
            }
            BarSize::Session => Nyse
                .session_at(start)
                .filter(|sess| start < sess.close)
                .map(|sess| sess.close)
                .ok_or(Rejected::OutsideSession(start)),
        }
    }

    /// Takes one 5-second bar; returns the bars it completes (the one in
    /// progress when a new bucket starts, and the new one when this bar
    /// ends it), in time order.
    ///
    /// # Errors
    /// [`Rejected`] for bars with impossible prices, outside the session
    /// (daily) or older than the bar in progress; nothing changes.
    pub fn push(&mut self, five: FiveSecondBar) -> Result<Vec<Bar>, Rejected> {
        let price = |x: f64| Price::from_f64(x).filter(|p| x.is_finite() && *p > Price::ZERO);
        let (Some(open), Some(high), Some(low), Some(close)) = (
            price(five.open),
            price(five.high),
            price(five.low),
            price(five.close),
        ) else {
            return Err(Rejected::BadPrices(five.start));
        };
        if high < low || !five.volume.is_finite() || five.volume < 0.0 {
            return Err(Rejected::BadPrices(five.start));
        }
        let end = self.bucket_end(five.start)?;
        let mut out = Vec::new();
        match &mut self.partial {
            Some(p) if p.end == end => {
                p.high = p.high.max(high);
                p.low = p.low.min(low);
                p.close = close;
                p.volume += five.volume;
            }
            Some(p) if p.end > end => return Err(Rejected::Late(five.start)),
            _ => {
                if let Some(done) = self.partial.take() {
                    out.push(self.bar(done));
                }
                self.partial = Some(Partial {
                    end,
                    open,
                    high,
                    low,
                    close,
                    volume: five.volume,
                });
            }
        }
        if five.start.secs() + FIVE_SECONDS >= end.secs()
            && let Some(done) = self.partial.take()
        {
            out.push(self.bar(done));
        }
        Ok(out)
    }

    fn bar(&self, p: Partial) -> Bar {
        Bar {
            instrument: self.instrument,
            ts: p.end,
            open: p.open,
            high: p.high,
            low: p.low,
            close: p.close,
            volume: p.volume.round() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn five(secs: i64, o: f64, h: f64, l: f64, c: f64) -> FiveSecondBar {
        FiveSecondBar {
            start: Timestamp::from_secs(secs),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 100.0,
        }
    }

    fn p(x: &str) -> Price {
        x.parse().unwrap()
    }

    /// 2025-03-18 13:30:00 UTC = 09:30 New York (EDT).
    const OPEN: i64 = 1_742_304_600;

    #[test]
    fn twelve_five_second_bars_make_one_minute_bar_stamped_at_its_end() {
        let mut a = Aggregator::new(InstrumentId(3), BarSize::from_seconds(60).unwrap());
        let mut bars = Vec::new();
        for k in 0..12 {
            let base = 100.0 + k as f64;
            bars.extend(
                a.push(five(
                    OPEN + 5 * k,
                    base,
                    base + 0.5,
                    base - 0.25,
                    base + 0.1,
                ))
                .unwrap(),
            );
            if k < 11 {
                assert!(bars.is_empty(), "emitted early at {k}");
            }
        }
        assert_eq!(bars.len(), 1);
        let b = bars[0];
        assert_eq!(b.instrument, InstrumentId(3));
        assert_eq!(b.ts, Timestamp::from_secs(OPEN + 60));
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (p("100"), p("111.5"), p("99.75"), p("111.1"), 1200)
        );
    }

    #[test]
    fn a_missing_last_five_seconds_closes_the_bar_when_the_next_bucket_starts() {
        let mut a = Aggregator::new(InstrumentId(0), BarSize::Intraday(60));
        assert!(a.push(five(OPEN, 1.0, 1.0, 1.0, 1.0)).unwrap().is_empty());
        assert!(
            a.push(five(OPEN + 30, 2.0, 2.0, 2.0, 2.0))
                .unwrap()
                .is_empty()
        );
        let out = a.push(five(OPEN + 60, 3.0, 3.0, 3.0, 3.0)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].ts, Timestamp::from_secs(OPEN + 60));
        assert_eq!(out[0].close, p("2"));
        // Late data for the closed minute is refused.
        assert_eq!(
            a.push(five(OPEN + 55, 1.0, 1.0, 1.0, 1.0)),
            Err(Rejected::Late(Timestamp::from_secs(OPEN + 55)))
        );
    }

    #[test]
    fn daily_bars_are_sessions_stamped_at_the_close_including_half_days() {
        // 2025-11-28 (day after Thanksgiving) closes at 13:00 New York = 18:00 UTC.
        let open = 1_764_340_200; // 2025-11-28 14:30 UTC
        let close = 1_764_352_800; // 18:00 UTC
        let mut a = Aggregator::new(InstrumentId(0), BarSize::from_seconds(86_400).unwrap());
        assert!(
            a.push(five(open, 10.0, 11.0, 9.0, 10.5))
                .unwrap()
                .is_empty()
        );
        let out = a.push(five(close - 5, 10.5, 12.0, 10.0, 11.5)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].ts, Timestamp::from_secs(close));
        assert_eq!((out[0].high, out[0].low), (p("12"), p("9")));
        // Saturday: no session.
        assert!(matches!(
            a.push(five(close + 86_400, 1.0, 1.0, 1.0, 1.0)),
            Err(Rejected::OutsideSession(_))
        ));
    }

    #[test]
    fn impossible_prices_are_refused_and_change_nothing() {
        let mut a = Aggregator::new(InstrumentId(0), BarSize::Intraday(60));
        for bad in [
            five(OPEN, f64::NAN, 1.0, 1.0, 1.0),
            five(OPEN, 1.0, 1.0, 1.0, -1.0),
            five(OPEN, 1.0, 0.5, 1.0, 1.0),
            five(OPEN, 0.0, 1.0, 1.0, 1.0),
        ] {
            assert_eq!(
                a.push(bad),
                Err(Rejected::BadPrices(Timestamp::from_secs(OPEN)))
            );
        }
        assert!(a.push(five(OPEN + 55, 1.0, 1.0, 1.0, 1.0)).unwrap().len() == 1);
    }

    #[test]
    fn sizes_that_5_second_bars_cannot_build_are_refused() {
        assert_eq!(BarSize::from_seconds(7), None);
        assert_eq!(BarSize::from_seconds(7_200), None);
        assert_eq!(BarSize::from_seconds(300), Some(BarSize::Intraday(300)));
    }
}
