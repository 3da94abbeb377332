//! [`MarketHours`]: the regular sessions the engine gates orders and fills
//! to. The caller supplies them (the NYSE calendar in a backtest, IB's
//! trading hours live), so the engine does not depend on a calendar.

use serde::{Deserialize, Serialize};
use trade_core::Timestamp;

/// One session's opening and closing instants (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTimes {
    /// Opening bell.
    pub open: Timestamp,
    /// Closing bell.
    pub close: Timestamp,
}

/// A forward-only position in a [`MarketHours`] for an event loop whose
/// clock never goes back. It keeps the bounds of its session, so the
/// per-bar question "same session?" is one comparison.
#[derive(Debug, Clone, Copy)]
pub struct SessionCursor {
    index: usize,
    /// Whether `open` and `close` are those of session `index` (not before
    /// the first query, nor past the last session).
    bounded: bool,
    /// Opening bell of session `index`.
    open: Timestamp,
    /// Closing bell of session `index`; the earliest instant before the
    /// first query (so it takes the slow path), the latest past the last
    /// session (so the cursor never moves again).
    close: Timestamp,
}

impl Default for SessionCursor {
    fn default() -> Self {
        SessionCursor {
            index: 0,
            bounded: false,
            open: Timestamp::from_nanos(i64::MIN),
            close: Timestamp::from_nanos(i64::MIN),
        }
    }
}

/// Where an instant lies, from [`MarketHours::locate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionAt {
    /// The [`session_index`](MarketHours::session_index) of the instant.
    pub index: usize,
    /// Whether a bar ending then lies inside that session
    /// ([`bar_in_session`](MarketHours::bar_in_session)).
    pub in_session: bool,
    /// Whether the instant is that session's closing bell
    /// ([`is_close`](MarketHours::is_close)).
    pub is_close: bool,
}

/// Sorted, non-overlapping sessions with a cursor for the monotonic
/// queries of an event loop (amortised O(1); out-of-order queries fall back
/// to binary search).
#[derive(Debug, Clone)]
pub struct MarketHours {
    sessions: Vec<SessionTimes>,
    always_open: bool,
}

impl MarketHours {
    /// Sessions sorted by open time (the caller's calendar guarantees order;
    /// they are sorted here again to be safe).
    pub fn new(mut sessions: Vec<SessionTimes>) -> Self {
        sessions.sort_by_key(|s| s.open);
        MarketHours {
            sessions,
            always_open: false,
        }
    }

    /// A market that never closes (one endless session), for tests and
    /// for data without a calendar.
    pub fn always_open() -> Self {
        MarketHours {
            sessions: Vec::new(),
            always_open: true,
        }
    }

    /// The sessions.
    pub fn sessions(&self) -> &[SessionTimes] {
        &self.sessions
    }

    /// Index of the first session whose close is at or after `ts`: the
    /// session `ts` belongs to, or the next one if `ts` is between sessions.
    /// Used as a "trading day" number for daily limits.
    pub fn session_index(&self, ts: Timestamp) -> usize {
        if self.always_open {
            return 0;
        }
        self.sessions.partition_point(|s| s.close < ts)
    }

    /// Moves `cursor` forward to the session of `ts` (see
    /// [`session_index`](Self::session_index)) and returns that index: the
    /// same answer in amortised O(1) for a clock that only moves forward.
    pub fn advance(&self, cursor: &mut SessionCursor, ts: Timestamp) -> usize {
        if self.always_open {
            return 0;
        }
        if ts > cursor.close {
            self.move_cursor(cursor, ts);
        }
        cursor.index
    }

    /// [`advance`](Self::advance) plus the session facts of `ts`, in a
    /// few comparisons while `ts` stays in the cursor's session.
    #[inline]
    pub fn locate(&self, cursor: &mut SessionCursor, ts: Timestamp) -> SessionAt {
        if self.always_open {
            return SessionAt {
                index: 0,
                in_session: true,
                is_close: false,
            };
        }
        if ts > cursor.close {
            self.move_cursor(cursor, ts);
        }
        SessionAt {
            index: cursor.index,
            in_session: cursor.bounded && cursor.open < ts && ts <= cursor.close,
            is_close: cursor.bounded && ts == cursor.close,
        }
    }

    /// Moves `cursor` forward to the first session closing at or after
    /// `ts` and caches its bounds; past the last session the bounds make
    /// every later instant out of session without moving again.
    #[cold]
    #[inline(never)]
    fn move_cursor(&self, cursor: &mut SessionCursor, ts: Timestamp) {
        while cursor.index < self.sessions.len() && self.sessions[cursor.index].close < ts {
            cursor.index += 1;
        }
        match self.sessions.get(cursor.index) {
            Some(s) => {
                cursor.bounded = true;
                cursor.open = s.open;
                cursor.close = s.close;
            }
            None => {
                cursor.bounded = false;
                cursor.close = Timestamp::from_nanos(i64::MAX);
            }
        }
    }

    /// Whether a bar ending at `ts`, whose session index is `index`, lies
    /// inside that session: `open < ts <= close` (a bar ending exactly at
    /// the open is a pre-market bar).
    pub fn bar_in_session_at(&self, index: usize, ts: Timestamp) -> bool {
        self.always_open
            || self
                .sessions
                .get(index)
                .is_some_and(|s| s.open < ts && ts <= s.close)
    }

    /// Whether `ts`, whose session index is `index`, is that session's closing bell.
    pub fn is_close_at(&self, index: usize, ts: Timestamp) -> bool {
        !self.always_open && self.sessions.get(index).is_some_and(|s| s.close == ts)
    }

    /// Whether a bar ending at `ts` lies inside a session.
    pub fn bar_in_session(&self, ts: Timestamp) -> bool {
        self.bar_in_session_at(self.session_index(ts), ts)
    }

    /// Whether `ts` is a session's closing instant.
    pub fn is_close(&self, ts: Timestamp) -> bool {
        self.is_close_at(self.session_index(ts), ts)
    }

    /// The close of the first session that closes strictly after `ts`:
    /// when a DAY order submitted at `ts` expires. `None` past the last
    /// known session (the order then lives to the end of the run).
    pub fn next_close_after(&self, ts: Timestamp) -> Option<Timestamp> {
        if self.always_open {
            return None;
        }
        let i = self.sessions.partition_point(|s| s.close <= ts);
        self.sessions.get(i).map(|s| s.close)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> MarketHours {
        MarketHours::new(vec![
            SessionTimes {
                open: Timestamp::from_secs(100),
                close: Timestamp::from_secs(200),
            },
            SessionTimes {
                open: Timestamp::from_secs(300),
                close: Timestamp::from_secs(400),
            },
        ])
    }

    #[test]
    fn in_session_is_open_exclusive_close_inclusive() {
        let h = hours();
        let t = Timestamp::from_secs;
        assert!(!h.bar_in_session(t(100)));
        assert!(h.bar_in_session(t(101)));
        assert!(h.bar_in_session(t(200)));
        assert!(!h.bar_in_session(t(250)));
        assert!(!h.bar_in_session(t(401)));
        assert!(h.is_close(t(200)));
        assert!(!h.is_close(t(199)));
    }

    proptest::proptest! {
        /// The cursor's cached answers (`locate`, `advance`) equal the binary-search ones for
        /// any non-decreasing sequence of instants, inside, between,
        /// before and after sessions, and exactly at the bells.
        #[test]
        fn locate_matches_the_stateless_queries(
            steps in proptest::collection::vec(0i64..60, 1..80),
            start in 0i64..120,
        ) {
            let h = hours();
            let mut cursor = SessionCursor::default();
            let mut other = SessionCursor::default();
            let mut t = start;
            for d in steps {
                t += d;
                let ts = Timestamp::from_secs(t * 5);
                let at = h.locate(&mut cursor, ts);
                proptest::prop_assert_eq!(at.index, h.session_index(ts));
                proptest::prop_assert_eq!(h.advance(&mut other, ts), at.index);
                proptest::prop_assert_eq!(at.in_session, h.bar_in_session(ts));
                proptest::prop_assert_eq!(at.is_close, h.is_close(ts));
            }
        }
    }

    #[test]
    fn locate_always_open() {
        let h = MarketHours::always_open();
        let mut c = SessionCursor::default();
        let at = h.locate(&mut c, Timestamp::from_secs(5));
        assert_eq!(
            at,
            SessionAt {
                index: 0,
                in_session: true,
                is_close: false
            }
        );
    }

    #[test]
    fn day_order_expiry() {
        let h = hours();
        let t = Timestamp::from_secs;
        assert_eq!(h.next_close_after(t(150)), Some(t(200)));
        // Submitted at the close: good for the next session.
        assert_eq!(h.next_close_after(t(200)), Some(t(400)));
        assert_eq!(h.next_close_after(t(400)), None);
    }
}
