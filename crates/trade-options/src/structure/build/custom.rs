//! [`CustomSpec`]: any structure on one expiry from explicit leg specs.

use serde::{Deserialize, Serialize};
use trade_core::{OptionRight, Price, Qty};

use super::quotes::Economics;
use super::{BuildError, BuiltStructure, ExpiryQuotes, PriceBasis};
use crate::structure::{Structure, StructureKind};

/// One leg of a custom structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegSpec {
    /// Call or put.
    pub right: OptionRight,
    /// Strike; must be listed.
    pub strike: Price,
    /// Signed ratio: long `+`, short `-`.
    pub ratio: i32,
}

/// A custom structure: explicit legs on one expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomSpec {
    /// The legs, in the order the structure keeps.
    pub legs: Vec<LegSpec>,
    /// Contracts.
    pub quantity: Qty,
    /// Refuse an unbounded maximum loss.
    #[serde(default = "yes")]
    pub defined_risk: bool,
    /// Smallest acceptable credit per unit.
    #[serde(default)]
    pub min_credit: Option<Price>,
    /// Largest acceptable debit per unit.
    #[serde(default)]
    pub max_debit: Option<Price>,
    /// Prices the credit or debit is judged at.
    #[serde(default)]
    pub basis: PriceBasis,
}

fn yes() -> bool {
    true
}

impl CustomSpec {
    /// Looks each leg up in the quotes and builds the structure.
    ///
    /// # Errors
    /// [`BuildError::StrikeNotListed`] for a strike without a usable quote,
    /// the structure's own validation errors, or a credit/debit outside
    /// the limits.
    pub fn build(&self, quotes: &ExpiryQuotes) -> Result<BuiltStructure, BuildError> {
        let mut picked = Vec::with_capacity(self.legs.len());
        for (i, spec) in self.legs.iter().enumerate() {
            let q = quotes
                .find(spec.right, spec.strike)
                .ok_or(BuildError::StrikeNotListed {
                    leg: i,
                    right: spec.right,
                    strike: spec.strike,
                })?;
            picked.push((*q, spec.ratio));
        }
        let legs = picked.iter().map(|(q, r)| quotes.leg(q, *r)).collect();
        let structure = Structure::new(
            StructureKind::Custom {
                defined_risk: self.defined_risk,
            },
            legs,
            self.quantity,
        )?;
        let built = BuiltStructure {
            structure,
            quotes: picked.iter().map(|(q, _)| *q).collect(),
        };
        Economics {
            basis: self.basis,
            min_credit: self.min_credit,
            max_debit: self.max_debit,
            max_width: None,
        }
        .check(&built)?;
        Ok(built)
    }
}
