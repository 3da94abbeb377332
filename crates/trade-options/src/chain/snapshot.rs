//! [`ChainSnapshot`]: every quote of one underlying at one instant, sorted
//! by contract, with an expiry index so that the lookups a strategy makes
//! on every decision (expiries, the strikes of one expiry, one contract's
//! quote) are slices and binary searches, never scans of the whole chain.
//! Chains are often ragged (a strike quoted for calls but not puts, gaps
//! in the ladder, dropped quotes): a contract that is not there is `None`,
//! never a default.

use std::ops::Range;

use jiff::civil::Date;
use trade_core::{OptionRight, Price, Symbol, Timestamp};

use super::quote::{ContractKey, OptionQuote, QuoteSource};

/// Why quotes cannot form a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// Two quotes for the same contract.
    #[error("duplicate quote for {0}")]
    Duplicate(ContractKey),
    /// The underlying price is zero or negative.
    #[error("underlying price {0} is not positive")]
    BadUnderlying(Price),
}

/// How many quotes of a snapshot are real and how many modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Provenance {
    /// Quotes read from real chain files.
    pub real: usize,
    /// Quotes produced by the generator.
    pub modelled: usize,
}

/// The option chain of one underlying at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainSnapshot {
    underlying: Symbol,
    date: Date,
    ts: Timestamp,
    underlying_price: Price,
    quotes: Vec<OptionQuote>,
    /// Distinct expiries, ascending.
    expiries: Vec<Date>,
    /// `quotes[starts[i]..starts[i + 1]]` belong to `expiries[i]`; one
    /// more entry than `expiries`.
    starts: Vec<usize>,
}

impl ChainSnapshot {
    /// Builds a snapshot from quotes in any order.
    ///
    /// `date` is the trading date (New York) the snapshot belongs to, `ts`
    /// the instant of the quotes.
    ///
    /// # Errors
    /// [`SnapshotError`] on a duplicate contract or a non-positive
    /// underlying price. Quote-level checks (crossed, expired...) are the
    /// job of [`validate`](super::validate), which runs before this.
    pub fn new(
        underlying: Symbol,
        date: Date,
        ts: Timestamp,
        underlying_price: Price,
        mut quotes: Vec<OptionQuote>,
    ) -> Result<Self, SnapshotError> {
        if underlying_price <= Price::ZERO {
            return Err(SnapshotError::BadUnderlying(underlying_price));
        }
        if !quotes.windows(2).all(|w| w[0].key < w[1].key) {
            quotes.sort_by_key(|q| q.key);
            if let Some(w) = quotes.windows(2).find(|w| w[0].key == w[1].key) {
                return Err(SnapshotError::Duplicate(w[0].key));
            }
        }
        let mut expiries = Vec::new();
        let mut starts = Vec::new();
        for (i, q) in quotes.iter().enumerate() {
            if expiries.last() != Some(&q.key.expiry) {
                expiries.push(q.key.expiry);
                starts.push(i);
            }
        }
        starts.push(quotes.len());
        Ok(ChainSnapshot {
            underlying,
            date,
            ts,
            underlying_price,
            quotes,
            expiries,
            starts,
        })
    }

    /// The underlying's symbol.
    pub fn underlying(&self) -> &Symbol {
        &self.underlying
    }

    /// The trading date (New York) of the snapshot.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The instant of the quotes.
    pub fn ts(&self) -> Timestamp {
        self.ts
    }

    /// The underlying's price at that instant.
    pub fn underlying_price(&self) -> Price {
        self.underlying_price
    }

    /// All quotes, sorted by [`ContractKey`].
    pub fn quotes(&self) -> &[OptionQuote] {
        &self.quotes
    }

    /// Number of quotes.
    pub fn len(&self) -> usize {
        self.quotes.len()
    }

    /// Whether the chain has no quotes.
    pub fn is_empty(&self) -> bool {
        self.quotes.is_empty()
    }

    /// The distinct expiries, ascending.
    pub fn expiries(&self) -> &[Date] {
        &self.expiries
    }

    fn expiry_range(&self, expiry: Date) -> Range<usize> {
        match self.expiries.binary_search(&expiry) {
            Ok(i) => self.starts[i]..self.starts[i + 1],
            Err(_) => 0..0,
        }
    }

    /// Every quote of one expiry (calls and puts interleaved by strike).
    pub fn expiry_quotes(&self, expiry: Date) -> &[OptionQuote] {
        &self.quotes[self.expiry_range(expiry)]
    }

    /// The quotes of one expiry and right, by ascending strike.
    pub fn quotes_of(
        &self,
        expiry: Date,
        right: OptionRight,
    ) -> impl DoubleEndedIterator<Item = &OptionQuote> + '_ {
        self.expiry_quotes(expiry)
            .iter()
            .filter(move |q| q.key.right == right)
    }

    /// The strikes of one expiry and right, ascending.
    pub fn strikes(
        &self,
        expiry: Date,
        right: OptionRight,
    ) -> impl DoubleEndedIterator<Item = Price> + '_ {
        self.quotes_of(expiry, right).map(|q| q.key.strike)
    }

    /// The quote of one contract.
    pub fn quote(&self, key: &ContractKey) -> Option<&OptionQuote> {
        let slice = self.expiry_quotes(key.expiry);
        slice
            .binary_search_by(|q| q.key.cmp(key))
            .ok()
            .map(|i| &slice[i])
    }

    /// The mid price of one contract.
    pub fn mid(&self, key: &ContractKey) -> Option<Price> {
        self.quote(key).map(OptionQuote::mid)
    }

    /// Calendar days from the snapshot's date to `expiry` (0 on expiry day).
    pub fn dte(&self, expiry: Date) -> i32 {
        days_between(self.date, expiry)
    }

    /// The expiry whose days-to-expiry is nearest `target_dte`; on a tie,
    /// the earlier one.
    pub fn nearest_expiry(&self, target_dte: i32) -> Option<Date> {
        self.expiries
            .iter()
            .copied()
            .min_by_key(|&e| ((self.dte(e) - target_dte).abs(), e))
    }

    /// The expiries with `min_dte <= dte <= max_dte`.
    pub fn expiries_within(&self, min_dte: i32, max_dte: i32) -> impl Iterator<Item = Date> + '_ {
        self.expiries.iter().copied().filter(move |&e| {
            let d = self.dte(e);
            min_dte <= d && d <= max_dte
        })
    }

    /// The quote of `expiry`/`right` whose strike is nearest `price`; on a
    /// tie, the lower strike.
    pub fn nearest_strike(
        &self,
        expiry: Date,
        right: OptionRight,
        price: Price,
    ) -> Option<&OptionQuote> {
        self.quotes_of(expiry, right)
            .min_by_key(|q| (q.key.strike.raw().abs_diff(price.raw()), q.key.strike))
    }

    /// How many quotes are real and how many modelled.
    pub fn provenance(&self) -> Provenance {
        let mut p = Provenance::default();
        for q in &self.quotes {
            match q.source {
                QuoteSource::Real => p.real += 1,
                QuoteSource::Modelled => p.modelled += 1,
            }
        }
        p
    }
}

/// Calendar days from `from` to `to` (negative if `to` is earlier).
pub(crate) fn days_between(from: Date, to: Date) -> i32 {
    epoch_days(to) - epoch_days(from)
}

/// Days since 1970-01-01 of a civil date.
///
/// Howard Hinnant's `days_from_civil`: exact for the proleptic Gregorian
/// calendar and free of allocation, where `Date::since` would build a span
/// (this runs for every expiry of every generated chain).
pub(crate) fn epoch_days(date: Date) -> i32 {
    let y = i32::from(date.year()) - i32::from(date.month() <= 2);
    let m = i32::from(date.month());
    let d = i32::from(date.day());
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn q(expiry: Date, strike_cents: i64, right: OptionRight) -> OptionQuote {
        OptionQuote {
            key: ContractKey::new(expiry, Price::from_cents(strike_cents), right),
            bid: Price::from_cents(100),
            ask: Price::from_cents(110),
            last: None,
            volume: None,
            open_interest: None,
            iv: None,
            greeks: None,
            source: QuoteSource::Real,
        }
    }

    fn snap() -> ChainSnapshot {
        let (a, b) = (date(2024, 1, 19), date(2024, 2, 16));
        ChainSnapshot::new(
            Symbol::new("SPY").unwrap(),
            date(2024, 1, 2),
            Timestamp::from_secs(0),
            Price::from_cents(47_000),
            vec![
                q(b, 47_000, OptionRight::Put),
                q(a, 47_100, OptionRight::Call),
                q(a, 47_000, OptionRight::Put),
                q(a, 47_000, OptionRight::Call),
                q(b, 47_000, OptionRight::Call),
                q(a, 46_900, OptionRight::Put),
            ],
        )
        .unwrap()
    }

    #[test]
    fn lookups() {
        let s = snap();
        let (a, b) = (date(2024, 1, 19), date(2024, 2, 16));
        assert_eq!(s.expiries(), &[a, b]);
        assert_eq!(s.expiry_quotes(a).len(), 4);
        assert_eq!(s.expiry_quotes(date(2024, 3, 15)).len(), 0);
        let puts: Vec<Price> = s.strikes(a, OptionRight::Put).collect();
        assert_eq!(
            puts,
            vec![Price::from_cents(46_900), Price::from_cents(47_000)]
        );
        let key = ContractKey::new(b, Price::from_cents(47_000), OptionRight::Call);
        assert_eq!(s.quote(&key).map(|q| q.key), Some(key));
        let missing = ContractKey::new(b, Price::from_cents(47_100), OptionRight::Call);
        assert!(s.quote(&missing).is_none());
        assert_eq!(s.dte(a), 17);
        assert_eq!(s.dte(b), 45);
        assert_eq!(s.nearest_expiry(30), Some(a)); // 13 vs 15 days away
        assert_eq!(s.nearest_expiry(40), Some(b));
        assert_eq!(s.expiries_within(20, 60).collect::<Vec<_>>(), vec![b]);
        let near = s
            .nearest_strike(a, OptionRight::Put, Price::from_cents(46_960))
            .unwrap();
        assert_eq!(near.key.strike, Price::from_cents(47_000));
        assert_eq!(
            s.provenance(),
            Provenance {
                real: 6,
                modelled: 0
            }
        );
    }

    #[test]
    fn duplicates_and_bad_underlying_are_rejected() {
        let a = date(2024, 1, 19);
        let sym = Symbol::new("SPY").unwrap();
        let dup = ChainSnapshot::new(
            sym.clone(),
            date(2024, 1, 2),
            Timestamp::from_secs(0),
            Price::from_cents(100),
            vec![q(a, 100, OptionRight::Call), q(a, 100, OptionRight::Call)],
        );
        assert!(matches!(dup, Err(SnapshotError::Duplicate(_))));
        let bad = ChainSnapshot::new(
            sym,
            date(2024, 1, 2),
            Timestamp::from_secs(0),
            Price::ZERO,
            vec![],
        );
        assert!(matches!(bad, Err(SnapshotError::BadUnderlying(_))));
    }

    #[test]
    fn civil_days_match_jiff() {
        for d in [
            date(1970, 1, 1),
            date(2000, 2, 29),
            date(2024, 12, 31),
            date(1899, 3, 1),
        ] {
            let want = d.since(date(1970, 1, 1)).unwrap().get_days();
            assert_eq!(epoch_days(d), want, "{d}");
        }
    }
}
