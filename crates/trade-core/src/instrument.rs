//! Instruments: what can be traded, with the facts accounting and order
//! validation need (tick size, contract multiplier).
//!
//! Stocks and ETFs are what the engine trades today; options and futures
//! are modelled here already so that chains, multi-leg positions and the IB
//! adapter plug in without changing these types.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{Price, Symbol};

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionRight {
    /// The right to buy the underlying.
    Call,
    /// The right to sell the underlying.
    Put,
}

/// When an option may be exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExerciseStyle {
    /// Any day up to expiry (US equity and ETF options).
    American,
    /// At expiry only (SPX, XSP index options).
    European,
}

/// How an option or future settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Settlement {
    /// Delivers the underlying (ETF options deliver shares).
    Physical,
    /// Pays the intrinsic value in cash (index options).
    Cash,
}

/// The terms of one listed option.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptionTerms {
    /// The underlying's symbol (`SPY`, `SPX`).
    pub underlying: Symbol,
    /// Last trading day.
    pub expiry: Date,
    /// Strike price.
    pub strike: Price,
    /// Call or put.
    pub right: OptionRight,
    /// Exercise style.
    pub style: ExerciseStyle,
    /// Settlement.
    pub settlement: Settlement,
}

/// The terms of one futures contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FutureTerms {
    /// The root (`ES`).
    pub root: String,
    /// Last trading day.
    pub expiry: Date,
}

/// The asset class of an instrument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InstrumentKind {
    /// A common stock.
    Stock,
    /// An exchange-traded fund (SPY, QQQ, IWM, DIA).
    Etf,
    /// A cash index (SPX, VIX): quoted, not traded directly.
    Index,
    /// A listed option.
    Option(OptionTerms),
    /// A futures contract.
    Future(FutureTerms),
}

/// A tradeable (or quoted) instrument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Instrument {
    /// The exchange symbol.
    pub symbol: Symbol,
    /// Asset class and its terms.
    pub kind: InstrumentKind,
    /// Minimum price increment; order prices must be multiples of it.
    pub tick_size: Price,
    /// Units of the underlying per contract (1 for shares, 100 for US
    /// equity options, 50 for ES).
    pub multiplier: u32,
}

impl Instrument {
    /// A US-listed ETF: tick $0.01, multiplier 1.
    pub fn etf(symbol: Symbol) -> Self {
        Instrument {
            symbol,
            kind: InstrumentKind::Etf,
            tick_size: Price::from_cents(1),
            multiplier: 1,
        }
    }

    /// A US-listed stock: tick $0.01, multiplier 1.
    pub fn stock(symbol: Symbol) -> Self {
        Instrument {
            symbol,
            kind: InstrumentKind::Stock,
            tick_size: Price::from_cents(1),
            multiplier: 1,
        }
    }

    /// Whether orders may be sent for it (indices are quote-only).
    pub fn is_tradeable(&self) -> bool {
        !matches!(self.kind, InstrumentKind::Index)
    }
}
