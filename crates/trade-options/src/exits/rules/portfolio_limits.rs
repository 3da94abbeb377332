//! Rule 11, portfolio limits: the book breaches a limit (Greeks, loss at
//! risk, open loss, counts, concentration) and this position is among the
//! `close_per_update` riskiest for that breach. Closing the riskiest few
//! per update, rather than everything, lets the next update re-measure the
//! book and stop as soon as it is back inside its limits.
//!
//! The breach and the ranking come from [`crate::portfolio::assess`]; the
//! engine hands each position its [`PortfolioSignal`](crate::portfolio::PortfolioSignal).

use serde::{Deserialize, Serialize};

use super::{ExitRule, Fired, RuleContext};
use crate::exits::{Action, Evidence, ExitState, Urgency};
use crate::portfolio::Breach;

/// Rule 11 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortfolioLimitsRule {
    /// Whether the rule runs.
    pub enabled: bool,
    /// How many of the riskiest positions to close per update.
    pub close_per_update: usize,
}

impl Default for PortfolioLimitsRule {
    fn default() -> Self {
        PortfolioLimitsRule {
            enabled: true,
            close_per_update: 1,
        }
    }
}

/// What rule 11 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortfolioLimitsInputs {
    /// The worst breach of the book.
    pub breach: Breach,
    /// This position's rank (0 = riskiest).
    pub rank: usize,
    /// Positions ranked.
    pub ranked: usize,
    /// Positions closed per update.
    pub close_per_update: usize,
}

impl std::fmt::Display for PortfolioLimitsInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "portfolio limits: {}; this position ranks {} of {} riskiest (closing {} per update)",
            self.breach,
            self.rank + 1,
            self.ranked,
            self.close_per_update
        )
    }
}

impl ExitRule for PortfolioLimitsRule {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let s = ctx.view.portfolio?;
        (s.rank < self.close_per_update).then_some(Fired {
            action: Action::Close,
            urgency: Urgency::High,
            evidence: Evidence::PortfolioLimits(PortfolioLimitsInputs {
                breach: s.breach.clone(),
                rank: s.rank,
                ranked: s.ranked,
                close_per_update: self.close_per_update,
            }),
        })
    }

    fn validate(&self, errs: &mut Vec<String>) {
        if self.close_per_update == 0 {
            errs.push(
                "exits.portfolio_limits.close_per_update = 0 never closes anything; disable the rule instead"
                    .into(),
            );
        }
    }
}
