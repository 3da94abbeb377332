//! [`assess`]: which limits the open book breaches now, and which
//! positions to close first (exit rule 11).
//!
//! "Riskiest first" is measured against the worst breach (largest
//! value/limit ratio): for a Greek limit, the positions that push the
//! total furthest in the breached direction (positions that offset it are
//! not ranked, since closing them makes it worse); for loss at risk, the
//! largest maximum loss (unbounded first); for open loss, the biggest
//! loser; for per-underlying and per-expiry counts and concentration, the
//! positions in that group by maximum loss. Ties go to the larger maximum
//! loss, then the lower id, so the order is deterministic.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use trade_core::Money;

use super::exposure::{Exposure, weighted};
use super::{Limit, PortfolioBook, PortfolioError, PortfolioLimits, PositionRisk, StructureId};

/// One limit the open book is beyond.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// Which limit.
    pub limit: Limit,
    /// The measured value (signed for Greeks; dollars for money limits;
    /// a count or a fraction otherwise).
    pub value: f64,
    /// The limit (absolute).
    pub max: f64,
    /// The underlying or expiry it applies to, for per-group limits.
    pub scope: Option<String>,
}

impl Breach {
    /// How far beyond the limit: `|value| / max` (infinite for a zero limit).
    pub fn severity(&self) -> f64 {
        if self.max > 0.0 {
            self.value.abs() / self.max
        } else {
            f64::INFINITY
        }
    }
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scope = self
            .scope
            .as_ref()
            .map_or(String::new(), |s| format!(" on {s}"));
        match self.limit {
            Limit::LossAtRisk | Limit::UnrealizedLoss => write!(
                f,
                "{}{scope}: ${:.2} beyond ${:.2}",
                self.limit, self.value, self.max
            ),
            Limit::PositionsPerUnderlying | Limit::PositionsPerExpiry => write!(
                f,
                "{}{scope}: {} open beyond {}",
                self.limit, self.value, self.max
            ),
            Limit::Concentration => write!(
                f,
                "{}{scope}: {:.1}% of equity beyond {:.1}%",
                self.limit,
                self.value * 100.0,
                self.max * 100.0
            ),
            _ => write!(
                f,
                "{}{scope}: {:.2} beyond ±{:.2}",
                self.limit, self.value, self.max
            ),
        }
    }
}

/// What exit rule 11 needs to know about one position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortfolioSignal {
    /// The worst breach of the book.
    pub breach: Breach,
    /// This position's place in the riskiest-first order (0 = riskiest).
    pub rank: usize,
    /// How many positions were ranked.
    pub ranked: usize,
}

/// The book measured against the limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Totals.
    pub exposure: Exposure,
    /// Limits beyond their value, worst first.
    pub breaches: Vec<Breach>,
    /// Positions to close first for the worst breach, riskiest first.
    pub ranking: Vec<StructureId>,
}

impl Assessment {
    /// The rule-11 signal for one position: `None` when nothing is
    /// breached or the position does not add to the worst breach.
    pub fn signal_for(&self, id: StructureId) -> Option<PortfolioSignal> {
        let breach = self.breaches.first()?;
        let rank = self.ranking.iter().position(|r| *r == id)?;
        Some(PortfolioSignal {
            breach: breach.clone(),
            rank,
            ranked: self.ranking.len(),
        })
    }
}

fn greek_breach(limit: Limit, value: f64, max: Option<f64>, out: &mut Vec<Breach>) {
    if let Some(max) = max
        && value.abs() > max
    {
        out.push(Breach {
            limit,
            value,
            max,
            scope: None,
        });
    }
}

/// Measures the book against the limits.
///
/// # Errors
/// [`PortfolioError`] when a beta or the benchmark price is missing.
pub fn assess(
    limits: &PortfolioLimits,
    book: &PortfolioBook,
) -> Result<Assessment, PortfolioError> {
    let e = super::exposure(limits, book)?;
    let mut breaches = Vec::new();
    greek_breach(Limit::Delta, e.delta, limits.max_abs_delta, &mut breaches);
    greek_breach(Limit::Gamma, e.gamma, limits.max_abs_gamma, &mut breaches);
    greek_breach(Limit::Vega, e.vega, limits.max_abs_vega, &mut breaches);
    if let Some(max) = limits.max_loss_at_risk
        && e.loss_at_risk > max
    {
        breaches.push(Breach {
            limit: Limit::LossAtRisk,
            value: e.loss_at_risk.to_f64(),
            max: max.to_f64(),
            scope: None,
        });
    }
    if let Some(max) = limits.max_unrealized_loss
        && -e.unrealized_pnl > max
    {
        breaches.push(Breach {
            limit: Limit::UnrealizedLoss,
            value: (-e.unrealized_pnl).to_f64(),
            max: max.to_f64(),
            scope: None,
        });
    }
    for (sym, u) in &e.per_underlying {
        if let Some(max) = limits.max_positions_per_underlying
            && u.positions > max
        {
            breaches.push(Breach {
                limit: Limit::PositionsPerUnderlying,
                value: u.positions as f64,
                max: max as f64,
                scope: Some(sym.to_string()),
            });
        }
        if let Some(max) = limits.max_underlying_risk_pct
            && book.equity > Money::ZERO
        {
            let pct = u.loss_at_risk.to_f64() / book.equity.to_f64();
            if pct > max {
                breaches.push(Breach {
                    limit: Limit::Concentration,
                    value: pct,
                    max,
                    scope: Some(sym.to_string()),
                });
            }
        }
    }
    for (date, n) in &e.per_expiry {
        if let Some(max) = limits.max_positions_per_expiry
            && *n > max
        {
            breaches.push(Breach {
                limit: Limit::PositionsPerExpiry,
                value: *n as f64,
                max: max as f64,
                scope: Some(date.to_string()),
            });
        }
    }
    // Worst first; equal severities keep the limit order above.
    breaches.sort_by(|a, b| {
        b.severity()
            .partial_cmp(&a.severity())
            .unwrap_or(Ordering::Equal)
    });
    let ranking = match breaches.first() {
        Some(worst) => rank(limits, book, &e, worst)?,
        None => Vec::new(),
    };
    Ok(Assessment {
        exposure: e,
        breaches,
        ranking,
    })
}

/// Larger maximum loss first (unbounded before any bounded), then lower id.
fn by_loss(a: &PositionRisk, b: &PositionRisk) -> Ordering {
    let key = |p: &PositionRisk| p.loss_at_risk().map_or(i64::MAX, |m| m.raw());
    key(b).cmp(&key(a)).then(a.id.cmp(&b.id))
}

fn rank(
    limits: &PortfolioLimits,
    book: &PortfolioBook,
    e: &Exposure,
    breach: &Breach,
) -> Result<Vec<StructureId>, PortfolioError> {
    let mut scored: Vec<(f64, &PositionRisk)> = Vec::new();
    for p in &book.positions {
        let score = match breach.limit {
            Limit::Delta | Limit::Gamma | Limit::Vega => {
                let (d, g) = weighted(limits, p, book.benchmark_price)?;
                let (own, total) = match breach.limit {
                    Limit::Delta => (d, e.delta),
                    Limit::Gamma => (g, e.gamma),
                    _ => (p.greeks.vega, e.vega),
                };
                // Only positions that push in the breached direction.
                let push = own * total.signum();
                if push <= 0.0 {
                    continue;
                }
                push
            }
            Limit::UnrealizedLoss => {
                if !p.unrealized_pnl.is_negative() {
                    continue;
                }
                -p.unrealized_pnl.to_f64()
            }
            Limit::PositionsPerUnderlying | Limit::Concentration => {
                if breach.scope.as_deref() != Some(p.underlying.as_str()) {
                    continue;
                }
                0.0
            }
            Limit::PositionsPerExpiry => {
                if breach.scope.as_deref() != Some(p.expiry.to_string().as_str()) {
                    continue;
                }
                0.0
            }
            Limit::LossAtRisk | Limit::UndefinedRisk | Limit::BuyingPower => 0.0,
        };
        scored.push((score, p));
    }
    scored.sort_by(|(sa, a), (sb, b)| {
        sb.partial_cmp(sa)
            .unwrap_or(Ordering::Equal)
            .then_with(|| by_loss(a, b))
    });
    Ok(scored.into_iter().map(|(_, p)| p.id).collect())
}
