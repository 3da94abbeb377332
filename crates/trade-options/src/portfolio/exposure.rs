//! [`Exposure`]: a [`PortfolioBook`] summed, with delta and gamma
//! beta-weighted into benchmark shares.
//!
//! Beta weighting: if the underlying moves `β` times the benchmark's
//! return, `dS = β · S / S_b · dS_b`, so a delta of `Δ` shares of the
//! underlying is `Δ · β · S / S_b` benchmark shares and a gamma of `Γ` is
//! `Γ · (β · S / S_b)²` benchmark shares per benchmark dollar.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;
use trade_core::{Money, Price, Symbol};

use super::{PortfolioError, PortfolioLimits, PositionRisk};

/// The open option book, as the risk code sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioBook {
    /// Open structures.
    pub positions: Vec<PositionRisk>,
    /// Account equity now.
    pub equity: Money,
    /// Buying power available for new positions.
    pub buying_power: Money,
    /// Benchmark (SPY) price now.
    pub benchmark_price: Price,
}

/// What one underlying holds.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct UnderlyingExposure {
    /// Open structures.
    pub positions: usize,
    /// Sum of bounded maximum losses.
    pub loss_at_risk: Money,
    /// Structures with unbounded loss.
    pub unbounded: usize,
    /// Delta in shares of this underlying (not beta-weighted).
    pub delta: f64,
}

/// Portfolio totals.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Exposure {
    /// Beta-weighted delta, benchmark shares.
    pub delta: f64,
    /// Beta-weighted gamma, benchmark shares per benchmark dollar.
    pub gamma: f64,
    /// Dollars per volatility point.
    pub vega: f64,
    /// Dollars per calendar day.
    pub theta: f64,
    /// Sum of bounded maximum losses.
    pub loss_at_risk: Money,
    /// Structures with unbounded loss.
    pub unbounded_positions: usize,
    /// Open profit or loss.
    pub unrealized_pnl: Money,
    /// Per underlying.
    pub per_underlying: BTreeMap<Symbol, UnderlyingExposure>,
    /// Open structures per expiry date.
    pub per_expiry: BTreeMap<Date, usize>,
}

/// Beta-weighted `(delta, gamma)` of one position in benchmark units.
pub(crate) fn weighted(
    limits: &PortfolioLimits,
    pos: &PositionRisk,
    benchmark_price: Price,
) -> Result<(f64, f64), PortfolioError> {
    if benchmark_price <= Price::ZERO {
        return Err(PortfolioError::BenchmarkPrice(benchmark_price));
    }
    let beta = limits.beta(&pos.underlying)?;
    let k = beta * pos.underlying_price.to_f64() / benchmark_price.to_f64();
    Ok((pos.greeks.delta * k, pos.greeks.gamma * k * k))
}

impl Exposure {
    /// Adds one position.
    pub(crate) fn add(
        &mut self,
        limits: &PortfolioLimits,
        pos: &PositionRisk,
        benchmark_price: Price,
    ) -> Result<(), PortfolioError> {
        let (d, g) = weighted(limits, pos, benchmark_price)?;
        self.delta += d;
        self.gamma += g;
        self.vega += pos.greeks.vega;
        self.theta += pos.greeks.theta;
        self.unrealized_pnl += pos.unrealized_pnl;
        let u = self
            .per_underlying
            .entry(pos.underlying.clone())
            .or_default();
        u.positions += 1;
        u.delta += pos.greeks.delta;
        match pos.loss_at_risk() {
            Some(loss) => {
                self.loss_at_risk += loss;
                u.loss_at_risk += loss;
            }
            None => {
                self.unbounded_positions += 1;
                u.unbounded += 1;
            }
        }
        *self.per_expiry.entry(pos.expiry).or_default() += 1;
        Ok(())
    }
}

/// Sums the book.
///
/// # Errors
/// [`PortfolioError::MissingBeta`] for an underlying without a beta,
/// [`PortfolioError::BenchmarkPrice`] for a non-positive benchmark price.
pub fn exposure(
    limits: &PortfolioLimits,
    book: &PortfolioBook,
) -> Result<Exposure, PortfolioError> {
    let mut e = Exposure::default();
    for pos in &book.positions {
        e.add(limits, pos, book.benchmark_price)?;
    }
    Ok(e)
}
