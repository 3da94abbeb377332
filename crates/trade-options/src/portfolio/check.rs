//! [`check_entry`]: the pure pre-trade gate for a new structure against
//! the portfolio limits.
//!
//! Greek limits refuse only an entry that leaves the measure beyond its
//! limit *and* larger in size than before: a trade that brings an
//! over-limit delta back towards zero is always allowed, since refusing
//! it would keep the book riskier.

use jiff::civil::Date;
use thiserror::Error;
use trade_core::{Money, Symbol};

use super::exposure::Exposure;
use super::{Limit, PortfolioBook, PortfolioError, PortfolioLimits, PositionRisk, StructureId};

/// Why a new structure is refused, with the numbers.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Refusal {
    /// The candidate's loss is unbounded.
    #[error("structure {id} has an unbounded maximum loss")]
    UndefinedRisk {
        /// The candidate.
        id: StructureId,
    },
    /// Not enough buying power.
    #[error("buying power: needs ${required}, ${available} available")]
    BuyingPower {
        /// Requirement of the candidate.
        required: Money,
        /// Available now.
        available: Money,
    },
    /// A Greek limit.
    #[error("{limit}: {before:.2} now, {after:.2} with the entry, limit ±{max}")]
    Greek {
        /// Delta, gamma or vega.
        limit: Limit,
        /// Portfolio value before.
        before: f64,
        /// Portfolio value with the candidate.
        after: f64,
        /// The limit (absolute).
        max: f64,
    },
    /// Total maximum loss at risk.
    #[error("max_loss_at_risk: ${before} now, ${after} with the entry, limit ${max}")]
    LossAtRisk {
        /// Before.
        before: Money,
        /// With the candidate.
        after: Money,
        /// The limit.
        max: Money,
    },
    /// Too many structures on one underlying.
    #[error("max_positions_per_underlying: {open} open on {underlying}, limit {max}")]
    PositionsPerUnderlying {
        /// The underlying.
        underlying: Symbol,
        /// Open now.
        open: usize,
        /// The limit.
        max: usize,
    },
    /// Too many structures on one expiry.
    #[error("max_positions_per_expiry: {open} open expiring {expiry}, limit {max}")]
    PositionsPerExpiry {
        /// The expiry.
        expiry: Date,
        /// Open now.
        open: usize,
        /// The limit.
        max: usize,
    },
    /// Too much of the equity at risk on one underlying.
    #[error(
        "max_underlying_risk_pct: ${at_risk} at risk on {underlying} with the entry is {:.1}% of equity ${equity}, limit {:.1}%",
        pct * 100.0,
        max * 100.0
    )]
    Concentration {
        /// The underlying.
        underlying: Symbol,
        /// Loss at risk on it with the candidate.
        at_risk: Money,
        /// Account equity.
        equity: Money,
        /// `at_risk / equity`.
        pct: f64,
        /// The limit.
        max: f64,
    },
    /// The numbers could not be computed (missing beta, bad price); an
    /// entry is never approved on numbers that do not exist.
    #[error("portfolio numbers unavailable: {0}")]
    Unavailable(PortfolioError),
}

impl Refusal {
    /// The limit that refused.
    pub fn limit(&self) -> Option<Limit> {
        Some(match self {
            Refusal::UndefinedRisk { .. } => Limit::UndefinedRisk,
            Refusal::BuyingPower { .. } => Limit::BuyingPower,
            Refusal::Greek { limit, .. } => *limit,
            Refusal::LossAtRisk { .. } => Limit::LossAtRisk,
            Refusal::PositionsPerUnderlying { .. } => Limit::PositionsPerUnderlying,
            Refusal::PositionsPerExpiry { .. } => Limit::PositionsPerExpiry,
            Refusal::Concentration { .. } => Limit::Concentration,
            Refusal::Unavailable(_) => return None,
        })
    }
}

/// Proof that a candidate passed [`check_entry`], with the exposure it
/// leads to. Only the gate makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryApproved {
    id: StructureId,
    after: Exposure,
}

impl EntryApproved {
    /// The approved structure.
    pub fn id(&self) -> StructureId {
        self.id
    }

    /// Portfolio exposure with the candidate included.
    pub fn exposure_after(&self) -> &Exposure {
        &self.after
    }
}

/// Checks a candidate structure against the limits, in the order: defined
/// risk, buying power, positions per underlying and per expiry, loss at
/// risk, concentration, delta, gamma, vega.
///
/// `buying_power_required` is the candidate's requirement (for
/// defined-risk structures, [`Structure::buying_power`](crate::structure::Structure::buying_power)).
///
/// # Errors
/// The first [`Refusal`].
pub fn check_entry(
    limits: &PortfolioLimits,
    book: &PortfolioBook,
    candidate: &PositionRisk,
    buying_power_required: Money,
) -> Result<EntryApproved, Refusal> {
    let Some(candidate_loss) = candidate.loss_at_risk() else {
        return Err(Refusal::UndefinedRisk { id: candidate.id });
    };
    if buying_power_required > book.buying_power {
        return Err(Refusal::BuyingPower {
            required: buying_power_required,
            available: book.buying_power,
        });
    }
    let before = super::exposure(limits, book).map_err(Refusal::Unavailable)?;
    let mut after = before.clone();
    after
        .add(limits, candidate, book.benchmark_price)
        .map_err(Refusal::Unavailable)?;

    let open_on = before
        .per_underlying
        .get(&candidate.underlying)
        .map_or(0, |u| u.positions);
    if let Some(max) = limits.max_positions_per_underlying
        && open_on + 1 > max
    {
        return Err(Refusal::PositionsPerUnderlying {
            underlying: candidate.underlying.clone(),
            open: open_on,
            max,
        });
    }
    let open_exp = before
        .per_expiry
        .get(&candidate.expiry)
        .copied()
        .unwrap_or(0);
    if let Some(max) = limits.max_positions_per_expiry
        && open_exp + 1 > max
    {
        return Err(Refusal::PositionsPerExpiry {
            expiry: candidate.expiry,
            open: open_exp,
            max,
        });
    }
    if let Some(max) = limits.max_loss_at_risk
        && after.loss_at_risk > max
    {
        return Err(Refusal::LossAtRisk {
            before: before.loss_at_risk,
            after: after.loss_at_risk,
            max,
        });
    }
    if let Some(max) = limits.max_underlying_risk_pct {
        let at_risk = after
            .per_underlying
            .get(&candidate.underlying)
            .map_or(candidate_loss, |u| u.loss_at_risk);
        let equity = book.equity;
        let pct = if equity > Money::ZERO {
            at_risk.to_f64() / equity.to_f64()
        } else {
            f64::INFINITY
        };
        if pct > max {
            return Err(Refusal::Concentration {
                underlying: candidate.underlying.clone(),
                at_risk,
                equity,
                pct,
                max,
            });
        }
    }
    for (limit, max, b, a) in [
        (
            Limit::Delta,
            limits.max_abs_delta,
            before.delta,
            after.delta,
        ),
        (
            Limit::Gamma,
            limits.max_abs_gamma,
            before.gamma,
            after.gamma,
        ),
        (Limit::Vega, limits.max_abs_vega, before.vega, after.vega),
    ] {
        if let Some(max) = max
            && a.abs() > max
            && a.abs() > b.abs()
        {
            return Err(Refusal::Greek {
                limit,
                before: b,
                after: a,
                max,
            });
        }
    }
    Ok(EntryApproved {
        id: candidate.id,
        after,
    })
}
