//! [`Nyse`], the public query interface over the precomputed calendar.

use jiff::civil::Date;
use trade_core::Timestamp;

use crate::{OutOfRange, Session, table};

/// The New York Stock Exchange calendar.
///
/// Regular sessions run 09:30–16:00 America/New_York; half days close at
/// 13:00 (14:00 before 1993). All lookups are binary searches over a table
/// built once per process; none allocates except [`Nyse::sessions`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Nyse;

impl Nyse {
    /// The session on `date`, or `None` if the exchange is closed that day.
    ///
    /// # Errors
    /// [`OutOfRange`] outside 1990..=2035.
    pub fn session(&self, date: Date) -> Result<Option<Session>, OutOfRange> {
        OutOfRange::check(date)?;
        Ok(table::get().session(date).copied())
    }

    /// Whether the exchange trades on `date`.
    ///
    /// # Errors
    /// [`OutOfRange`] outside 1990..=2035.
    pub fn is_session(&self, date: Date) -> Result<bool, OutOfRange> {
        Ok(self.session(date)?.is_some())
    }

    /// All sessions with `from <= date <= to`, in order (empty if
    /// `from > to`). [`Nyse::sessions_in`] returns the same without copying.
    ///
    /// # Errors
    /// [`OutOfRange`] if either end is outside 1990..=2035.
    pub fn sessions(&self, from: Date, to: Date) -> Result<Vec<Session>, OutOfRange> {
        Ok(self.sessions_in(from, to)?.to_vec())
    }

    /// All sessions with `from <= date <= to`, in order (empty if
    /// `from > to`), borrowed from the calendar's table.
    ///
    /// # Errors
    /// [`OutOfRange`] if either end is outside 1990..=2035.
    pub fn sessions_in(&self, from: Date, to: Date) -> Result<&'static [Session], OutOfRange> {
        OutOfRange::check(from)?;
        OutOfRange::check(to)?;
        let t = table::get();
        let start = t.first_on_or_after(from);
        let end = t.first_after(to).max(start);
        Ok(t.sessions.get(start..end).unwrap_or_default())
    }

    /// Every session of 1990..=2035, in order.
    pub fn all_sessions(&self) -> &'static [Session] {
        &table::get().sessions
    }

    /// The first session dated strictly after `date`; `None` after the last
    /// covered session.
    ///
    /// # Errors
    /// [`OutOfRange`] outside 1990..=2035.
    pub fn next_session(&self, date: Date) -> Result<Option<Session>, OutOfRange> {
        OutOfRange::check(date)?;
        let t = table::get();
        Ok(t.sessions.get(t.first_after(date)).copied())
    }

    /// The last session dated strictly before `date`; `None` before the first
    /// covered session.
    ///
    /// # Errors
    /// [`OutOfRange`] outside 1990..=2035.
    pub fn previous_session(&self, date: Date) -> Result<Option<Session>, OutOfRange> {
        OutOfRange::check(date)?;
        let t = table::get();
        Ok(t.first_on_or_after(date)
            .checked_sub(1)
            .and_then(|i| t.sessions.get(i))
            .copied())
    }

    /// The session whose `[open, close]` contains `ts`, if any.
    pub fn session_at(&self, ts: Timestamp) -> Option<Session> {
        let t = table::get();
        let i = t.first_opening_after(ts).checked_sub(1)?;
        t.sessions.get(i).filter(|s| ts <= s.close).copied()
    }

    /// The session in progress at `ts` (as in [`Nyse::session_at`]), or else
    /// the next one to open; `None` after the last covered close.
    pub fn session_at_or_after(&self, ts: Timestamp) -> Option<Session> {
        let t = table::get();
        t.sessions.get(t.first_open_at_or_after(ts)).copied()
    }

    /// The sessions whose `[open, close]` overlaps `[from, to]`, in order
    /// (empty if `from > to` or outside the covered years).
    pub fn sessions_between(&self, from: Timestamp, to: Timestamp) -> &'static [Session] {
        if from > to {
            return &[];
        }
        let t = table::get();
        let start = t.first_open_at_or_after(from);
        let end = t.first_opening_after(to).max(start);
        t.sessions.get(start..end).unwrap_or_default()
    }

    /// Why the exchange is closed on a weekday `date` (holiday or special
    /// closure name, with " (observed)" when a weekend holiday moved), or
    /// `None` if it is open, the date is a weekend, or it is outside
    /// 1990..=2035.
    pub fn closure_reason(&self, date: Date) -> Option<&'static str> {
        table::get().closure_reason(date)
    }
}
