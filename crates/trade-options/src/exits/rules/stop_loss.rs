//! Rule 5, stop loss: the loss has reached a multiple of the credit
//! received (credit structures) or a fraction of the debit paid (debit
//! structures).

use serde::{Deserialize, Serialize};
use trade_core::Money;

use super::{ExitRule, Fired, RuleContext, check_fraction, fraction_of, usd};
use crate::exits::{Action, Evidence, ExitState, Urgency};

/// Rule 5 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StopLoss {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Credit structures: fire when the loss is this many times the credit.
    pub credit_multiple: f64,
    /// Debit structures: fire when the loss is this fraction of the debit.
    pub debit_fraction: f64,
}

impl Default for StopLoss {
    fn default() -> Self {
        StopLoss {
            enabled: true,
            credit_multiple: 2.0,
            debit_fraction: 0.5,
        }
    }
}

/// What rule 5 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopLossInputs {
    /// P&L now (negative).
    pub pnl: Money,
    /// Credit received (positive) or debit paid (negative) at entry.
    pub entry_premium: Money,
    /// The configured multiple (of the credit) or fraction (of the debit).
    pub limit: f64,
}

impl std::fmt::Display for StopLossInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let premium = self.entry_premium.abs();
        let ratio = -self.pnl.to_f64() / premium.to_f64();
        if self.entry_premium.is_negative() {
            write!(
                f,
                "stop loss: P&L {} is a loss of {:.1}% of the {} debit >= {:.1}%",
                usd(self.pnl),
                ratio * 100.0,
                usd(premium),
                self.limit * 100.0
            )
        } else {
            write!(
                f,
                "stop loss: P&L {} is a loss of {ratio:.2}x the {} credit >= {:.2}x",
                usd(self.pnl),
                usd(premium),
                self.limit
            )
        }
    }
}

impl ExitRule for StopLoss {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let premium = ctx.entry_premium;
        if premium == Money::ZERO {
            return None;
        }
        let limit = if premium.is_negative() {
            self.debit_fraction
        } else {
            self.credit_multiple
        };
        let max_loss = fraction_of(premium.abs(), limit);
        (-ctx.pnl >= max_loss).then_some(Fired {
            action: Action::Close,
            urgency: Urgency::High,
            evidence: Evidence::StopLoss(StopLossInputs {
                pnl: ctx.pnl,
                entry_premium: premium,
                limit,
            }),
        })
    }

    fn proximity(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        let premium = ctx.entry_premium;
        if premium == Money::ZERO {
            return None;
        }
        let limit = if premium.is_negative() {
            self.debit_fraction
        } else {
            self.credit_multiple
        };
        let max_loss = fraction_of(premium.abs(), limit).to_f64();
        Some(super::ratio(-ctx.pnl.to_f64(), max_loss))
    }

    fn validate(&self, errs: &mut Vec<String>) {
        check_fraction(
            "stop_loss.credit_multiple",
            self.credit_multiple,
            0.0,
            100.0,
            errs,
        );
        check_fraction(
            "stop_loss.debit_fraction",
            self.debit_fraction,
            0.0,
            1.0,
            errs,
        );
    }
}
