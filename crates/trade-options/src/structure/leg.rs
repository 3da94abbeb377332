//! [`Leg`]: one option contract inside a structure, with a signed ratio.

use serde::{Deserialize, Serialize};
use trade_core::{OptionRight, OptionTerms, Price};

/// One leg of a structure: a listed option and how many of it per unit of
/// the structure, signed (long `+`, short `-`). A 1x2 ratio spread has
/// ratios `+1` and `-2`; an iron condor has `+1, -1, -1, +1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leg {
    /// The contract.
    pub terms: OptionTerms,
    /// Units of the underlying per contract (100 for US equity and ETF
    /// options).
    pub multiplier: u32,
    /// Contracts of this leg per unit of the structure; long `+`, short `-`.
    pub ratio: i32,
}

impl Leg {
    /// Whether the leg is bought.
    pub fn is_long(&self) -> bool {
        self.ratio > 0
    }

    /// Whether the leg is sold.
    pub fn is_short(&self) -> bool {
        self.ratio < 0
    }

    /// Call or put.
    pub fn right(&self) -> OptionRight {
        self.terms.right
    }

    /// The strike.
    pub fn strike(&self) -> Price {
        self.terms.strike
    }

    /// Signed units of the underlying that one unit of the structure holds
    /// through this leg per $1 of intrinsic value: `ratio * multiplier`.
    pub(crate) fn units(&self) -> i64 {
        i64::from(self.ratio) * i64::from(self.multiplier)
    }

    /// A short description for messages: `-1 SPY 2024-03-15 500P`.
    pub fn describe(&self) -> String {
        let r = match self.terms.right {
            OptionRight::Call => 'C',
            OptionRight::Put => 'P',
        };
        format!(
            "{:+} {} {} {}{}",
            self.ratio, self.terms.underlying, self.terms.expiry, self.terms.strike, r
        )
    }
}
