//! The precomputed calendar: every session and weekday closure of
//! `FIRST_YEAR..=LAST_YEAR`, built once on first use and searched by date or
//! by timestamp without allocating.

use std::sync::OnceLock;

use jiff::civil::{Date, Time, Weekday, date};
use jiff::tz::TimeZone;
use trade_core::Timestamp;

use crate::rules::{self, CLOSE, Closure, EarlyClose, OPEN};
use crate::{FIRST_YEAR, LAST_YEAR, Session, special};

/// All sessions and weekday closures, each sorted by date.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) sessions: Box<[Session]>,
    closures: Box<[Closure]>,
}

/// The table, built on first call.
pub(crate) fn get() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build)
}

impl Table {
    /// The session on `date`.
    pub(crate) fn session(&self, date: Date) -> Option<&Session> {
        let i = self.sessions.binary_search_by(|s| s.date.cmp(&date)).ok()?;
        self.sessions.get(i)
    }

    /// Index of the first session dated after `date`.
    pub(crate) fn first_after(&self, date: Date) -> usize {
        self.sessions.partition_point(|s| s.date <= date)
    }

    /// Index of the first session dated on or after `date`.
    pub(crate) fn first_on_or_after(&self, date: Date) -> usize {
        self.sessions.partition_point(|s| s.date < date)
    }

    /// Index of the first session that has not closed by `ts` (`close >= ts`).
    pub(crate) fn first_open_at_or_after(&self, ts: Timestamp) -> usize {
        self.sessions.partition_point(|s| s.close < ts)
    }

    /// Index of the first session opening after `ts`.
    pub(crate) fn first_opening_after(&self, ts: Timestamp) -> usize {
        self.sessions.partition_point(|s| s.open <= ts)
    }

    /// Why the exchange is closed on weekday `date`, if it is.
    pub(crate) fn closure_reason(&self, date: Date) -> Option<&'static str> {
        let i = self.closures.binary_search_by(|c| c.date.cmp(&date)).ok()?;
        self.closures.get(i).map(|c| c.reason)
    }
}

fn build() -> Table {
    // With jiff's bundled tzdb this lookup cannot fail; it runs once.
    let ny = TimeZone::get("America/New_York").expect("jiff's bundled tzdb has America/New_York");
    // Up to 262 weekdays a year, about 10 of them closed: sized once, no regrowth.
    let years = usize::from(LAST_YEAR.abs_diff(FIRST_YEAR)) + 1;
    let mut sessions = Vec::with_capacity(years * 262);
    let mut closures = Vec::with_capacity(years * 12);
    for year in FIRST_YEAR..=LAST_YEAR {
        let closed = of_year(year, rules::holidays(year), special::CLOSURES);
        let early = of_year(year, rules::early_closes(year), special::EARLY_CLOSES);
        for month in 1..=12 {
            for day in 1..=date(year, month, 1).days_in_month() {
                let d = date(year, month, day);
                if matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    continue;
                }
                if let Some(c) = closed.iter().find(|c| c.date == d) {
                    closures.push(*c);
                    continue;
                }
                let close = early
                    .iter()
                    .find(|e| e.date == d)
                    .map_or(CLOSE, |e| e.close);
                sessions.push(Session {
                    date: d,
                    open: utc(&ny, d, OPEN),
                    close: utc(&ny, d, close),
                    early_close: close < CLOSE,
                });
            }
        }
    }
    Table {
        sessions: sessions.into(),
        closures: closures.into(),
    }
}

/// The rule-based entries of a year plus the one-off entries dated in it.
fn of_year<T: Copy + Dated>(year: i16, mut rule: Vec<T>, one_off: &[T]) -> Vec<T> {
    rule.extend(one_off.iter().filter(|x| x.date().year() == year));
    rule
}

trait Dated {
    fn date(&self) -> Date;
}

impl Dated for Closure {
    fn date(&self) -> Date {
        self.date
    }
}

impl Dated for EarlyClose {
    fn date(&self) -> Date {
        self.date
    }
}

/// `time` on `date` in New York, as a UTC instant. The bells (09:30–16:00)
/// never fall in a DST gap or fold, which happen at 02:00.
fn utc(ny: &TimeZone, date: Date, time: Time) -> Timestamp {
    let ts = ny
        .to_timestamp(date.to_datetime(time))
        .expect("1990..=2035 is within jiff's range");
    Timestamp::from_jiff(ts).expect("1990..=2035 is within trade_core::Timestamp's range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_closures_are_sorted_and_disjoint() {
        let t = get();
        assert!(t.sessions.windows(2).all(|w| w[0].date < w[1].date));
        assert!(t.closures.windows(2).all(|w| w[0].date < w[1].date));
        for c in t.closures.iter() {
            assert!(
                t.session(c.date).is_none(),
                "{} is both closed and a session",
                c.date
            );
        }
    }

    #[test]
    fn every_rule_early_close_lands_on_a_session() {
        // An early close on a closed day would be silently dropped: a rule bug.
        for year in FIRST_YEAR..=LAST_YEAR {
            let early = of_year(year, rules::early_closes(year), special::EARLY_CLOSES);
            for e in early {
                let s = get()
                    .session(e.date)
                    .unwrap_or_else(|| panic!("{} is closed", e.date));
                assert!(s.early_close);
            }
        }
    }
}
