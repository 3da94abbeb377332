//! [`Closes`]: a benchmark's closes, borrowed from the run's bars when a
//! run is written (a one-minute benchmark is a million rows: copying them
//! into pairs cost ~10 ms and 16 MB of fresh pages per 1M bars), owned
//! when read back from `benchmark.parquet`.

use std::borrow::Cow;
use std::ops::Range;

use trade_core::{Bar, Price, Timestamp};

/// Closes in time order, as `(time, close)` pairs.
///
/// Equality compares the pairs, whichever way they are stored.
#[derive(Debug, Clone)]
pub enum Closes<'a> {
    /// The close of each bar of a series.
    Bars(&'a [Bar]),
    /// Explicit pairs.
    Pairs(Cow<'a, [(Timestamp, Price)]>),
}

impl Closes<'_> {
    /// Number of closes.
    pub fn len(&self) -> usize {
        match self {
            Closes::Bars(b) => b.len(),
            Closes::Pairs(p) => p.len(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th close, if there is one.
    #[inline]
    pub fn get(&self, i: usize) -> Option<(Timestamp, Price)> {
        match self {
            Closes::Bars(b) => b.get(i).map(|b| (b.ts, b.close)),
            Closes::Pairs(p) => p.get(i).copied(),
        }
    }

    /// The closes in order.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, Price)> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The closes at positions `range` (clamped to the series), borrowed.
    pub fn slice(&self, range: Range<usize>) -> Closes<'_> {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        match self {
            Closes::Bars(b) => Closes::Bars(&b[start..end]),
            Closes::Pairs(p) => Closes::Pairs(Cow::Borrowed(&p[start..end])),
        }
    }

    /// The same closes, borrowed.
    pub fn borrowed(&self) -> Closes<'_> {
        self.slice(0..self.len())
    }

    /// The number of leading closes whose time satisfies `pred` (which
    /// must hold for a prefix only), as [`slice::partition_point`].
    pub fn partition_point(&self, mut pred: impl FnMut(Timestamp) -> bool) -> usize {
        match self {
            Closes::Bars(b) => b.partition_point(|b| pred(b.ts)),
            Closes::Pairs(p) => p.partition_point(|c| pred(c.0)),
        }
    }

    /// Index of the first close earlier than the one before it, if any.
    pub fn first_out_of_order(&self) -> Option<usize> {
        match self {
            Closes::Bars(b) => b.windows(2).position(|w| w[1].ts < w[0].ts),
            Closes::Pairs(p) => p.windows(2).position(|w| w[1].0 < w[0].0),
        }
        .map(|i| i + 1)
    }
}

impl PartialEq for Closes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Closes<'_> {}

impl From<Vec<(Timestamp, Price)>> for Closes<'static> {
    fn from(pairs: Vec<(Timestamp, Price)>) -> Self {
        Closes::Pairs(Cow::Owned(pairs))
    }
}

#[cfg(test)]
mod tests {
    use trade_core::InstrumentId;

    use super::*;

    fn bars() -> Vec<Bar> {
        (1..=5)
            .map(|i| Bar {
                instrument: InstrumentId(0),
                ts: Timestamp::from_secs(i * 60),
                open: Price::from_cents(100),
                high: Price::from_cents(110),
                low: Price::from_cents(90),
                close: Price::from_cents(100 + i),
                volume: 10,
            })
            .collect()
    }

    #[test]
    fn bars_and_pairs_agree() {
        let b = bars();
        let pairs: Vec<(Timestamp, Price)> = b.iter().map(|b| (b.ts, b.close)).collect();
        let from_bars = Closes::Bars(&b);
        let from_pairs = Closes::from(pairs.clone());
        assert_eq!(from_bars, from_pairs);
        assert_eq!(from_bars.iter().collect::<Vec<_>>(), pairs);
        assert_eq!(from_bars.get(4), Some(pairs[4]));
        assert_eq!(from_bars.get(5), None);
        let cut = Timestamp::from_secs(150);
        assert_eq!(from_bars.partition_point(|t| t < cut), 2);
        assert_eq!(from_pairs.partition_point(|t| t < cut), 2);
        assert_eq!(from_bars.slice(1..3), Closes::from(pairs[1..3].to_vec()));
        assert_eq!(from_bars.slice(4..9).len(), 1);
        assert_eq!(from_bars.slice(7..9).len(), 0);
        assert_ne!(from_bars.slice(0..4), from_pairs);
        assert_eq!(from_bars.first_out_of_order(), None);
    }

    #[test]
    fn out_of_order_is_located() {
        let mut b = bars();
        b.swap(2, 3);
        assert_eq!(Closes::Bars(&b).first_out_of_order(), Some(3));
        let pairs: Vec<(Timestamp, Price)> = b.iter().map(|b| (b.ts, b.close)).collect();
        assert_eq!(Closes::from(pairs).first_out_of_order(), Some(3));
    }
}
