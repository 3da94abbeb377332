//! One option's quote: its contract key, bid/ask/last as fixed-point prices
//! (they become fill prices), the optional vendor analytics, and where the
//! numbers came from.

use std::cmp::Ordering;
use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_core::{OptionRight, Price};

use crate::pricing::Greeks;

/// Where a quote's prices came from. Travels with every quote, into the
/// chain store and the run artifacts, so that a report can say which fills
/// were priced off a real market and which off a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteSource {
    /// Read from a real end-of-day (or intraday) chain file.
    Real,
    /// Produced by the synthetic chain generator (model prices).
    Modelled,
}

impl QuoteSource {
    /// `"real"` or `"modelled"`, the text used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteSource::Real => "real",
            QuoteSource::Modelled => "modelled",
        }
    }

    /// The inverse of [`QuoteSource::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "real" => Some(QuoteSource::Real),
            "modelled" => Some(QuoteSource::Modelled),
            _ => None,
        }
    }
}

impl fmt::Display for QuoteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Sort rank of a right: calls before puts at the same strike.
pub(crate) const fn right_rank(right: OptionRight) -> u8 {
    match right {
        OptionRight::Call => 0,
        OptionRight::Put => 1,
    }
}

/// `"C"` or `"P"`.
pub(crate) const fn right_code(right: OptionRight) -> &'static str {
    match right {
        OptionRight::Call => "C",
        OptionRight::Put => "P",
    }
}

/// One contract of an underlying's chain: expiry (last trading day),
/// strike and right. Ordered by expiry, then strike, then call before put:
/// the order of a chain snapshot and of the chain store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContractKey {
    /// Last trading day.
    pub expiry: Date,
    /// Strike price.
    pub strike: Price,
    /// Call or put.
    pub right: OptionRight,
}

impl ContractKey {
    /// A key.
    pub const fn new(expiry: Date, strike: Price, right: OptionRight) -> Self {
        ContractKey {
            expiry,
            strike,
            right,
        }
    }
}

impl Ord for ContractKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.expiry
            .cmp(&other.expiry)
            .then(self.strike.cmp(&other.strike))
            .then(right_rank(self.right).cmp(&right_rank(other.right)))
    }
}

impl PartialOrd for ContractKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ContractKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.expiry,
            self.strike,
            right_code(self.right)
        )
    }
}

/// First-order sensitivities of one option, in the conventions of
/// [`crate::pricing`]: vega per 1.00 of volatility, theta per year of
/// calendar time, rho per 1.00 of the rate. Vendor files that quote vega
/// per vol point or theta per day are converted when loaded.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct QuoteGreeks {
    /// dPrice/dSpot.
    pub delta: f64,
    /// d2Price/dSpot2.
    pub gamma: f64,
    /// dPrice/dVol, per 1.00 of volatility.
    pub vega: f64,
    /// dPrice/dt, per year.
    pub theta: f64,
    /// dPrice/dRate, per 1.00 of the rate.
    pub rho: f64,
}

impl QuoteGreeks {
    /// Whether every value is a finite number.
    pub fn is_finite(&self) -> bool {
        [self.delta, self.gamma, self.vega, self.theta, self.rho]
            .iter()
            .all(|v| v.is_finite())
    }
}

impl From<Greeks> for QuoteGreeks {
    fn from(g: Greeks) -> Self {
        QuoteGreeks {
            delta: g.delta,
            gamma: g.gamma,
            vega: g.vega,
            theta: g.theta,
            rho: g.rho,
        }
    }
}

/// A two-sided quote of one contract, as used for fills.
///
/// Invariants of a quote inside a [`ChainSnapshot`](super::ChainSnapshot)
/// (checked by [`validate`](super::validate)): `0 <= bid <= ask`,
/// `ask > 0`, `iv` finite and positive when present, Greeks finite when
/// present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionQuote {
    /// The contract.
    pub key: ContractKey,
    /// Best bid (0 when nobody bids: a real, one-sided market).
    pub bid: Price,
    /// Best offer.
    pub ask: Price,
    /// Last trade price, when the source has one (may be stale).
    pub last: Option<Price>,
    /// Contracts traded that day.
    pub volume: Option<u64>,
    /// Open interest.
    pub open_interest: Option<u64>,
    /// Implied volatility (0.20 = 20%): the vendor's for real quotes, the
    /// surface's for modelled ones.
    pub iv: Option<f64>,
    /// Greeks, when known.
    pub greeks: Option<QuoteGreeks>,
    /// Real or modelled.
    pub source: QuoteSource,
}

impl OptionQuote {
    /// Mid price `(bid + ask) / 2`, exact at 10^-8 (a half unit rounds
    /// towards the bid).
    pub fn mid(&self) -> Price {
        let sum = i128::from(self.bid.raw()) + i128::from(self.ask.raw());
        // Both are within i64, so their half is too.
        Price::from_raw(sum.div_euclid(2) as i64)
    }

    /// `ask - bid`.
    pub fn spread(&self) -> Price {
        Price::from_raw(self.ask.raw().saturating_sub(self.bid.raw()))
    }

    /// The contract's expiry.
    pub fn expiry(&self) -> Date {
        self.key.expiry
    }

    /// The contract's strike.
    pub fn strike(&self) -> Price {
        self.key.strike
    }

    /// The contract's right.
    pub fn right(&self) -> OptionRight {
        self.key.right
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn keys_sort_by_expiry_strike_then_call_first() {
        let d1 = date(2024, 1, 19);
        let d2 = date(2024, 2, 16);
        let k = |d, c, r| ContractKey::new(d, Price::from_cents(c), r);
        let mut keys = vec![
            k(d2, 10_000, OptionRight::Call),
            k(d1, 10_100, OptionRight::Put),
            k(d1, 10_000, OptionRight::Put),
            k(d1, 10_000, OptionRight::Call),
        ];
        keys.sort();
        assert_eq!(
            keys,
            vec![
                k(d1, 10_000, OptionRight::Call),
                k(d1, 10_000, OptionRight::Put),
                k(d1, 10_100, OptionRight::Put),
                k(d2, 10_000, OptionRight::Call),
            ]
        );
    }

    #[test]
    fn mid_and_spread_are_exact() {
        let q = OptionQuote {
            key: ContractKey::new(date(2024, 1, 19), Price::from_cents(100), OptionRight::Call),
            bid: "1.01".parse().unwrap(),
            ask: "1.04".parse().unwrap(),
            last: None,
            volume: None,
            open_interest: None,
            iv: None,
            greeks: None,
            source: QuoteSource::Real,
        };
        assert_eq!(q.mid(), "1.025".parse().unwrap());
        assert_eq!(q.spread(), "0.03".parse().unwrap());
    }

    #[test]
    fn source_text_round_trips() {
        for s in [QuoteSource::Real, QuoteSource::Modelled] {
            assert_eq!(QuoteSource::parse(s.as_str()), Some(s));
        }
        assert_eq!(QuoteSource::parse("Real"), None);
    }
}
