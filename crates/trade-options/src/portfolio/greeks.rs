//! [`PositionGreeks`] and [`PositionRisk`]: what one structure contributes
//! to the portfolio.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_core::{Money, Price, Symbol};

use super::PortfolioError;
use crate::pricing::Greeks;
use crate::structure::{Bound, Structure};

/// Identifies one structure position within a run or a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StructureId(pub u64);

impl std::fmt::Display for StructureId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Greeks of a whole position (every leg, multiplier and contract count
/// included), in the units a trader reads.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PositionGreeks {
    /// Shares of the underlying the position behaves like.
    pub delta: f64,
    /// Change of `delta` (shares) per $1 move of the underlying.
    pub gamma: f64,
    /// Dollars per volatility point (0.01).
    pub vega: f64,
    /// Dollars per calendar day.
    pub theta: f64,
}

impl PositionGreeks {
    /// Sums `ratio × multiplier × quantity × greek` over the legs; `legs`
    /// are per-unit Greeks of each leg in leg order (from
    /// [`crate::pricing::Bsm::greeks`] or the broker).
    ///
    /// # Errors
    /// [`PortfolioError::LegCount`] for a wrong number of legs,
    /// [`PortfolioError::NotFinite`] for a NaN or infinite Greek.
    pub fn of(structure: &Structure, legs: &[Greeks]) -> Result<Self, PortfolioError> {
        if legs.len() != structure.legs().len() {
            return Err(PortfolioError::LegCount {
                expected: structure.legs().len(),
                found: legs.len(),
            });
        }
        let q = structure.quantity().get() as f64;
        let mut out = PositionGreeks::default();
        for (i, (leg, g)) in structure.legs().iter().zip(legs).enumerate() {
            for (field, v) in [
                ("delta", g.delta),
                ("gamma", g.gamma),
                ("vega", g.vega),
                ("theta", g.theta),
            ] {
                if !v.is_finite() {
                    return Err(PortfolioError::NotFinite {
                        what: format!("legs[{i}].{field}"),
                        value: v,
                    });
                }
            }
            let units = f64::from(leg.ratio) * f64::from(leg.multiplier) * q;
            out.delta += units * g.delta;
            out.gamma += units * g.gamma;
            out.vega += units * g.vega_per_point();
            out.theta += units * g.theta_per_day();
        }
        Ok(out)
    }
}

/// One structure's contribution to portfolio risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionRisk {
    /// Which position.
    pub id: StructureId,
    /// Its underlying.
    pub underlying: Symbol,
    /// Its nearest expiry.
    pub expiry: Date,
    /// Underlying price now.
    pub underlying_price: Price,
    /// Whole-position Greeks.
    pub greeks: PositionGreeks,
    /// Maximum loss at expiry from the entry prices.
    pub max_loss: Bound,
    /// Open profit or loss now.
    pub unrealized_pnl: Money,
}

impl PositionRisk {
    /// Builds the risk record of a structure opened at `entry_prices`,
    /// with per-unit leg Greeks now and its open P&L.
    ///
    /// # Errors
    /// The structure's payoff errors (prices), and those of
    /// [`PositionGreeks::of`]; a non-positive underlying price.
    pub fn new(
        id: StructureId,
        structure: &Structure,
        entry_prices: &[Price],
        leg_greeks: &[Greeks],
        underlying_price: Price,
        unrealized_pnl: Money,
    ) -> Result<Self, PortfolioError> {
        if underlying_price <= Price::ZERO {
            return Err(PortfolioError::NotFinite {
                what: "underlying_price".into(),
                value: underlying_price.to_f64(),
            });
        }
        let max_loss = match structure.payoff(entry_prices) {
            Ok(p) => p.max_loss(),
            // Calendars and diagonals have no single-expiry payoff; their
            // risk is bounded by the debit only if every short is covered,
            // which `has_defined_risk` alone cannot prove, so treat them as
            // unbounded until a model-based bound exists.
            Err(crate::structure::StructureError::PayoffNeedsOneExpiry { .. }) => Bound::Unlimited,
            Err(e) => return Err(PortfolioError::Structure(e)),
        };
        Ok(PositionRisk {
            id,
            underlying: structure.underlying().clone(),
            expiry: structure.nearest_expiry(),
            underlying_price,
            greeks: PositionGreeks::of(structure, leg_greeks)?,
            max_loss,
            unrealized_pnl,
        })
    }

    /// The maximum loss as an amount, `None` when unbounded.
    pub fn loss_at_risk(&self) -> Option<Money> {
        self.max_loss.limited().map(|m| m.max(Money::ZERO))
    }
}
