//! NYSE trading calendar, 1990–2035: every regular session with its opening
//! and closing bell in UTC, the exchange holidays (by rule, with the NYSE
//! weekend observance), one-off closures and early closes.
//!
//! The whole calendar is computed once, on first use, into a sorted table;
//! every lookup after that is a binary search with no allocation, so the
//! engine can ask [`Nyse::session_at`] on every event.
//!
//! ```
//! use jiff::civil::date;
//! use trade_calendar::Nyse;
//!
//! let nyse = Nyse;
//! // Good Friday 2024.
//! assert_eq!(nyse.session(date(2024, 3, 29)).unwrap(), None);
//! assert_eq!(nyse.closure_reason(date(2024, 3, 29)), Some("Good Friday"));
//! // The day before Independence Day closes at 13:00 New York = 17:00 UTC.
//! let s = nyse.session(date(2024, 7, 3)).unwrap().unwrap();
//! assert!(s.early_close);
//! assert_eq!(s.close.to_string(), "2024-07-03T17:00:00Z");
//! assert_eq!(nyse.session_at(s.open), Some(s));
//! ```
//!
//! Scope: scheduled hours only. Unscheduled intraday disruptions (trading
//! halts, delayed openings for moments of silence or system trouble,
//! weather-shortened days such as 1996-01-08) are not sessions' hours and are
//! not modelled; the golden test source, `exchange_calendars`' XNYS, does not
//! model them either (see `tests/data/README.md`).
#![forbid(unsafe_code)]

mod nyse;
mod rules;
mod session;
mod special;
mod table;

pub use nyse::Nyse;
pub use session::{OutOfRange, Session};

/// First calendar year covered.
pub const FIRST_YEAR: i16 = 1990;
/// Last calendar year covered.
pub const LAST_YEAR: i16 = 2035;
