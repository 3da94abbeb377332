//! Portfolio Greeks and limits across option structures.
//!
//! [`PositionRisk`](crate::portfolio::PositionRisk) is what one open (or proposed) structure contributes:
//! its Greeks for the whole position, its maximum loss at risk, its open
//! P&L. [`exposure`](crate::portfolio::exposure) sums a [`PortfolioBook`](crate::portfolio::PortfolioBook) into an [`Exposure`](crate::portfolio::Exposure), with
//! delta and gamma beta-weighted into shares of the benchmark (SPY by
//! default). [`check_entry`](crate::portfolio::check_entry) is the pure pre-trade gate for a new
//! structure: it approves, or refuses with a typed [`Refusal`](crate::portfolio::Refusal) naming the
//! limit and the numbers. [`assess`](crate::portfolio::assess) finds the limits the current book
//! breaches and ranks the positions riskiest first, which feeds exit rule
//! 11 ([`crate::exits`]).
//!
//! Nothing here prices options: leg Greeks come in from the caller (see
//! [`crate::pricing`]), so the same code serves backtests, paper and live.

/// Breaches of the current book and the riskiest-first ranking.
mod assess;
/// The pre-trade gate for a new structure.
mod check;
/// Aggregation into portfolio exposure.
mod exposure;
/// Greeks of one position.
mod greeks;
/// Configured limits and betas.
mod limits;

pub use assess::{Assessment, Breach, PortfolioSignal, assess};
pub use check::{EntryApproved, Refusal, check_entry};
pub use exposure::{Exposure, PortfolioBook, UnderlyingExposure, exposure};
pub use greeks::{PositionGreeks, PositionRisk, StructureId};
pub use limits::{Limit, PortfolioError, PortfolioLimits};
