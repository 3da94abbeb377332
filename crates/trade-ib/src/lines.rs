//! The market-data line budget. IB allows a fixed number of concurrent
//! streaming quote lines per login (100 by default, more with commission
//! or booster packs); a request beyond it is refused with error 101 and
//! the instrument then has no quotes at all. The slot manager streams
//! level-1 quotes for the instruments that come first (the session lists
//! its instruments in configuration order, so the trader decides), keeps
//! some lines in reserve for other programs on the same login (TWS itself,
//! a phone), and polls the rest with snapshots, which do not hold a line.

/// How one instrument gets its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A streaming subscription (one line).
    Stream,
    /// A snapshot every poll interval (no line held).
    Poll,
}

/// Line assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineBudget {
    /// Concurrent streaming lines the login has.
    pub lines: usize,
    /// Lines left for other programs on the same login.
    pub reserve: usize,
}

impl Default for LineBudget {
    /// IB's default allowance (100 lines), 10 kept in reserve.
    fn default() -> Self {
        LineBudget {
            lines: 100,
            reserve: 10,
        }
    }
}

impl LineBudget {
    /// Lines this program may stream on.
    pub fn usable(&self) -> usize {
        self.lines.saturating_sub(self.reserve)
    }

    /// How each of `n` instruments, in priority order, gets its quotes,
    /// given that `streaming` lines are already in use by this program.
    pub fn assign(&self, streaming: usize, n: usize) -> Vec<Line> {
        let free = self.usable().saturating_sub(streaming);
        (0..n)
            .map(|i| if i < free { Line::Stream } else { Line::Poll })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_instruments_stream_and_the_rest_are_polled() {
        let b = LineBudget {
            lines: 5,
            reserve: 2,
        };
        assert_eq!(b.usable(), 3);
        assert_eq!(
            b.assign(0, 5),
            [
                Line::Stream,
                Line::Stream,
                Line::Stream,
                Line::Poll,
                Line::Poll
            ]
        );
        // Two already streaming: one line left for the next subscription.
        assert_eq!(b.assign(2, 2), [Line::Stream, Line::Poll]);
        assert_eq!(b.assign(7, 1), [Line::Poll]);
        let none = LineBudget {
            lines: 1,
            reserve: 5,
        };
        assert_eq!(none.assign(0, 2), [Line::Poll, Line::Poll]);
    }
}
