//! [`VerticalSpec`]: bull put, bear call, bull call and bear put spreads.

use serde::{Deserialize, Serialize};
use trade_core::{Price, Qty};

use super::quotes::Economics;
use super::select::{check_spot, positive_width, select, wing};
use super::{BuildError, BuiltStructure, ExpiryQuotes, PriceBasis, StrikeRule};
use crate::structure::{Structure, StructureKind, VerticalKind};

/// How to build a vertical spread from one expiry.
///
/// The `anchor` rule chooses the leg nearer the money (the short leg of a
/// credit spread, the long leg of a debit spread); the other leg is
/// `width` further out of the money (lower for puts, higher for calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerticalSpec {
    /// Which vertical.
    pub kind: VerticalKind,
    /// How to choose the leg nearer the money.
    pub anchor: StrikeRule,
    /// Distance to the other leg.
    pub width: Price,
    /// Contracts.
    pub quantity: Qty,
    /// Smallest acceptable credit per unit (credit spreads).
    #[serde(default)]
    pub min_credit: Option<Price>,
    /// Largest acceptable debit per unit (debit spreads).
    #[serde(default)]
    pub max_debit: Option<Price>,
    /// Widest acceptable spread.
    #[serde(default)]
    pub max_width: Option<Price>,
    /// Prices the credit or debit is judged at.
    #[serde(default)]
    pub basis: PriceBasis,
}

impl VerticalSpec {
    /// Chooses the two strikes and builds the spread. Legs are in the
    /// order anchor, then the further leg.
    ///
    /// # Errors
    /// [`BuildError`]: a bad spec, no strike near the target, the far strike
    /// not listed, a credit below the minimum, a debit above the maximum,
    /// or a width above the maximum.
    pub fn build(&self, quotes: &ExpiryQuotes) -> Result<BuiltStructure, BuildError> {
        self.anchor.validate("anchor")?;
        positive_width("width", self.width)?;
        check_spot(quotes)?;
        let right = self.kind.right();
        let near = *select(quotes, right, self.anchor)?;
        let far = wing(quotes, &near, self.width)?;
        let near_ratio = if self.kind.is_credit() { -1 } else { 1 };
        let legs = vec![quotes.leg(&near, near_ratio), quotes.leg(&far, -near_ratio)];
        let structure = Structure::new(StructureKind::Vertical(self.kind), legs, self.quantity)?;
        let built = BuiltStructure {
            structure,
            quotes: vec![near, far],
        };
        Economics {
            basis: self.basis,
            min_credit: self.min_credit,
            max_debit: self.max_debit,
            max_width: self.max_width,
        }
        .check(&built)?;
        Ok(built)
    }
}
