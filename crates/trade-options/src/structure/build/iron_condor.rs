//! [`IronCondorSpec`]: a short strangle with wings, strikes by delta or by
//! distance.

use serde::{Deserialize, Serialize};
use trade_core::{OptionRight, Price, Qty};

use super::quotes::Economics;
use super::select::{check_spot, positive_width, select, wing};
use super::{BuildError, BuiltStructure, ExpiryQuotes, PriceBasis, StrikeRule};
use crate::structure::{Structure, StructureKind};

/// How to build an iron condor from one expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IronCondorSpec {
    /// How to choose the short put.
    pub short_put: StrikeRule,
    /// How to choose the short call.
    pub short_call: StrikeRule,
    /// Long put strike = short put strike − this.
    pub put_wing: Price,
    /// Long call strike = short call strike + this.
    pub call_wing: Price,
    /// Contracts.
    pub quantity: Qty,
    /// Smallest acceptable credit per unit (before the multiplier).
    #[serde(default)]
    pub min_credit: Option<Price>,
    /// Widest acceptable wing.
    #[serde(default)]
    pub max_width: Option<Price>,
    /// Prices the credit is judged at.
    #[serde(default)]
    pub basis: PriceBasis,
}

impl IronCondorSpec {
    /// Chooses the four strikes and builds the condor. Legs are in the
    /// order long put, short put, short call, long call.
    ///
    /// # Errors
    /// [`BuildError`]: a bad spec, no strike near a target, a wing strike
    /// not listed, short strikes that cross, a credit below the minimum or
    /// a wing above the maximum width.
    pub fn build(&self, quotes: &ExpiryQuotes) -> Result<BuiltStructure, BuildError> {
        self.short_put.validate("short_put")?;
        self.short_call.validate("short_call")?;
        positive_width("put_wing", self.put_wing)?;
        positive_width("call_wing", self.call_wing)?;
        check_spot(quotes)?;
        let sp = *select(quotes, OptionRight::Put, self.short_put)?;
        let sc = *select(quotes, OptionRight::Call, self.short_call)?;
        if sp.strike >= sc.strike {
            return Err(BuildError::CrossedShorts {
                put: sp.strike,
                call: sc.strike,
            });
        }
        let lp = wing(quotes, &sp, self.put_wing)?;
        let lc = wing(quotes, &sc, self.call_wing)?;
        let picked = [(lp, 1), (sp, -1), (sc, -1), (lc, 1)];
        let legs = picked.iter().map(|(q, r)| quotes.leg(q, *r)).collect();
        let structure = Structure::new(StructureKind::IronCondor, legs, self.quantity)?;
        let built = BuiltStructure {
            structure,
            quotes: picked.iter().map(|(q, _)| *q).collect(),
        };
        Economics {
            basis: self.basis,
            min_credit: self.min_credit,
            max_debit: None,
            max_width: self.max_width,
        }
        .check(&built)?;
        Ok(built)
    }
}
