//! [`PositionView`]: everything the exit rules may read about one position
//! at one instant, and its consistency check ([`ViewError`]).

use jiff::civil::Time;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use trade_core::{Price, Timestamp};

use crate::portfolio::{PortfolioSignal, StructureId};
use crate::structure::Structure;

/// Facts fixed when the position was opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntrySnapshot {
    /// When it was opened.
    pub time: Timestamp,
    /// Fill price of each leg, in leg order.
    pub leg_prices: Vec<Price>,
    /// Underlying price at entry.
    pub underlying: Price,
    /// Implied vol of each leg at entry, in leg order.
    pub leg_ivs: Vec<f64>,
}

/// One leg now: its market and its per-unit Greeks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegMark {
    /// Best bid.
    pub bid: Price,
    /// Best ask.
    pub ask: Price,
    /// Delta per unit of the underlying.
    pub delta: f64,
    /// Gamma per unit of the underlying.
    pub gamma: f64,
    /// Implied volatility.
    pub iv: f64,
}

impl LegMark {
    /// Midpoint of bid and ask.
    pub fn mid(&self) -> Price {
        let sum = i128::from(self.bid.raw()) + i128::from(self.ask.raw());
        Price::from_raw(((sum + sum.signum()) / 2) as i64)
    }
}

/// One structure position at one instant.
#[derive(Debug, Clone, Copy)]
pub struct PositionView<'a> {
    /// Which position.
    pub id: StructureId,
    /// Its legs and size.
    pub structure: &'a Structure,
    /// What it was opened at.
    pub entry: &'a EntrySnapshot,
    /// Each leg now, in leg order.
    pub legs: &'a [LegMark],
    /// Underlying price now.
    pub underlying: Price,
    /// Annual volatility used for sigma moves (ATM implied or realised).
    pub volatility: f64,
    /// VIX now, if known.
    pub vix: Option<f64>,
    /// VIX at today's open, if known.
    pub vix_open: Option<f64>,
    /// Now.
    pub now: Timestamp,
    /// Trading sessions to the nearest expiry (0 on expiry day).
    pub dte: u32,
    /// Today's close, New York time (`None` = 16:00; 13:00 on half days).
    pub session_close: Option<Time>,
    /// Rule 11's view of the portfolio, when the book breaches a limit.
    pub portfolio: Option<&'a PortfolioSignal>,
    /// Shares of the underlying held against this position as its delta
    /// hedge (+ long), part of the position's delta.
    pub hedge_shares: i64,
}

/// Why a view cannot be evaluated. Rules never run on inconsistent data:
/// a NaN delta must not silently pass a delta limit.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ViewError {
    /// A per-leg list has the wrong length.
    #[error("position {id}: {what} has {found} entries, the structure has {expected} legs")]
    LegCount {
        /// Position.
        id: StructureId,
        /// Which list.
        what: &'static str,
        /// Legs in the structure.
        expected: usize,
        /// Entries given.
        found: usize,
    },
    /// A number is NaN, infinite or out of its domain.
    #[error("position {id}: {field} = {value} is invalid: expected {expected}")]
    Invalid {
        /// Position.
        id: StructureId,
        /// Which field.
        field: String,
        /// The value, as text.
        value: String,
        /// What is expected.
        expected: &'static str,
    },
}

impl PositionView<'_> {
    pub(crate) fn validate(&self) -> Result<(), ViewError> {
        let n = self.structure.legs().len();
        let id = self.id;
        for (what, found) in [
            ("legs", self.legs.len()),
            ("entry.leg_prices", self.entry.leg_prices.len()),
            ("entry.leg_ivs", self.entry.leg_ivs.len()),
        ] {
            if found != n {
                return Err(ViewError::LegCount {
                    id,
                    what,
                    expected: n,
                    found,
                });
            }
        }
        let bad = |field: String, value: String, expected| ViewError::Invalid {
            id,
            field,
            value,
            expected,
        };
        if self.underlying <= Price::ZERO {
            return Err(bad(
                "underlying".into(),
                self.underlying.to_string(),
                "a positive price",
            ));
        }
        if self.entry.underlying <= Price::ZERO {
            return Err(bad(
                "entry.underlying".into(),
                self.entry.underlying.to_string(),
                "a positive price",
            ));
        }
        if !(self.volatility.is_finite() && self.volatility >= 0.0) {
            return Err(bad(
                "volatility".into(),
                self.volatility.to_string(),
                "a finite volatility >= 0",
            ));
        }
        for (name, v) in [("vix", self.vix), ("vix_open", self.vix_open)] {
            if let Some(x) = v
                && !(x.is_finite() && x > 0.0)
            {
                return Err(bad(name.into(), x.to_string(), "a positive number or none"));
            }
        }
        for (i, (m, (p, iv))) in self
            .legs
            .iter()
            .zip(self.entry.leg_prices.iter().zip(&self.entry.leg_ivs))
            .enumerate()
        {
            if m.bid < Price::ZERO || m.ask < m.bid {
                return Err(bad(
                    format!("legs[{i}] bid/ask"),
                    format!("{}/{}", m.bid, m.ask),
                    "0 <= bid <= ask",
                ));
            }
            for (f, v) in [("delta", m.delta), ("gamma", m.gamma), ("iv", m.iv)] {
                if !v.is_finite() {
                    return Err(bad(
                        format!("legs[{i}].{f}"),
                        v.to_string(),
                        "a finite number",
                    ));
                }
            }
            if m.iv < 0.0 || !(iv.is_finite() && *iv >= 0.0) {
                return Err(bad(
                    format!("legs[{i}] iv now/at entry"),
                    format!("{}/{}", m.iv, iv),
                    "volatilities >= 0",
                ));
            }
            if *p < Price::ZERO {
                return Err(bad(
                    format!("entry.leg_prices[{i}]"),
                    p.to_string(),
                    "a price >= 0",
                ));
            }
        }
        Ok(())
    }
}
