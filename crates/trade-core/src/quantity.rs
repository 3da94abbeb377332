//! [`Qty`]: a whole number of shares or contracts.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A non-negative whole number of units (shares, option contracts, futures
/// contracts). Direction lives in [`Side`](crate::Side) for orders and in
/// the sign of a position's signed quantity. Fractional shares are out of
/// scope (IB does not route them through the TWS API for options, and our
/// instruments trade in whole units).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Qty(u64);

impl Qty {
    /// Zero units.
    pub const ZERO: Qty = Qty(0);

    /// `n` units.
    pub const fn new(n: u64) -> Self {
        Qty(n)
    }

    /// The number of units.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Whether this is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// As a signed count (positive), for position arithmetic.
    #[inline]
    pub fn signed(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// `self - other`, saturating at zero.
    pub fn saturating_sub(self, other: Qty) -> Qty {
        Qty(self.0.saturating_sub(other.0))
    }

    /// The smaller of the two.
    #[inline]
    pub fn min(self, other: Qty) -> Qty {
        Qty(self.0.min(other.0))
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
