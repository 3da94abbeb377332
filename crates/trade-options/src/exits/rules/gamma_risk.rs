//! Rule 7, gamma risk: how much a 1% move of the underlying would change
//! P&L through gamma alone, per contract of the structure:
//! `½ · |Γ| · (1% · S)²` dollars. Measured in dollars rather than raw
//! gamma so that one limit means the same on SPY and on SPX. A separate,
//! usually tighter limit applies near expiry, where gamma explodes for
//! strikes near the money.

use serde::{Deserialize, Serialize};
use trade_core::Money;

use super::{ExitRule, Fired, RuleContext, usd};
use crate::exits::{Action, Evidence, ExitState, Urgency};

/// Rule 7 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GammaRisk {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Largest gamma P&L of a 1% move per contract, any day.
    pub max_gamma_pnl_1pct: Option<Money>,
    /// Sessions to expiry at or below which the near-expiry limit applies.
    pub near_expiry_dte: u32,
    /// Largest gamma P&L of a 1% move per contract near expiry.
    pub max_gamma_pnl_1pct_near_expiry: Option<Money>,
}

impl Default for GammaRisk {
    fn default() -> Self {
        GammaRisk {
            enabled: true,
            max_gamma_pnl_1pct: None,
            near_expiry_dte: 0,
            max_gamma_pnl_1pct_near_expiry: Some(Money::from_dollars(150)),
        }
    }
}

/// What rule 7 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaRiskInputs {
    /// Position gamma per contract (shares per $1).
    pub gamma_per_unit: f64,
    /// Underlying price.
    pub underlying: f64,
    /// `½ |Γ| (0.01 S)²` per contract, dollars.
    pub gamma_pnl_1pct: f64,
    /// The limit that applied.
    pub limit: Money,
    /// Sessions to expiry.
    pub dte: u32,
    /// Whether the near-expiry limit applied.
    pub near_expiry: bool,
}

impl std::fmt::Display for GammaRiskInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "gamma risk: a 1% move is ${:.2} of gamma P&L per contract (gamma {:+.3}/$ at {:.2}) > {}{}",
            self.gamma_pnl_1pct,
            self.gamma_per_unit,
            self.underlying,
            usd(self.limit),
            if self.near_expiry {
                format!(" (near-expiry limit, {} sessions left)", self.dte)
            } else {
                String::new()
            }
        )
    }
}

impl ExitRule for GammaRisk {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn proximity(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        let near = ctx.view.dte <= self.near_expiry_dte;
        let limit = if near {
            self.max_gamma_pnl_1pct_near_expiry
                .or(self.max_gamma_pnl_1pct)
        } else {
            self.max_gamma_pnl_1pct
        }?;
        let gamma_per_unit = ctx.position_gamma() / ctx.quantity();
        let move_1pct = 0.01 * ctx.spot();
        let pnl = 0.5 * gamma_per_unit.abs() * move_1pct * move_1pct;
        Some(super::ratio(pnl, limit.to_f64()))
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let near = ctx.view.dte <= self.near_expiry_dte;
        let limit = if near {
            self.max_gamma_pnl_1pct_near_expiry
                .or(self.max_gamma_pnl_1pct)
        } else {
            self.max_gamma_pnl_1pct
        }?;
        let gamma_per_unit = ctx.position_gamma() / ctx.quantity();
        let move_1pct = 0.01 * ctx.spot();
        let pnl = 0.5 * gamma_per_unit.abs() * move_1pct * move_1pct;
        (pnl > limit.to_f64()).then_some(Fired {
            action: Action::Close,
            urgency: Urgency::High,
            evidence: Evidence::GammaRisk(GammaRiskInputs {
                gamma_per_unit,
                underlying: ctx.spot(),
                gamma_pnl_1pct: pnl,
                limit,
                dte: ctx.view.dte,
                near_expiry: near && self.max_gamma_pnl_1pct_near_expiry.is_some(),
            }),
        })
    }

    fn validate(&self, errs: &mut Vec<String>) {
        for (k, v) in [
            ("max_gamma_pnl_1pct", self.max_gamma_pnl_1pct),
            (
                "max_gamma_pnl_1pct_near_expiry",
                self.max_gamma_pnl_1pct_near_expiry,
            ),
        ] {
            if let Some(m) = v
                && m <= Money::ZERO
            {
                errs.push(format!("exits.gamma_risk.{k} must be > 0, got {m}"));
            }
        }
    }
}
