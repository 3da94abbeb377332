//! Rule 4, take profit: P&L has reached a fraction of the max profit.
//! Needs a bounded, positive max profit (credit structures, debit spreads);
//! it never fires for a long straddle, whose max profit is unlimited.

use serde::{Deserialize, Serialize};
use trade_core::Money;

use super::{ExitRule, Fired, RuleContext, check_fraction, fraction_of, usd};
use crate::exits::{Action, Evidence, ExitState, Urgency};
use crate::structure::Bound;

/// Rule 4 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TakeProfit {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Fraction of the max profit to take (0.5 = 50%).
    pub fraction: f64,
}

impl Default for TakeProfit {
    fn default() -> Self {
        TakeProfit {
            enabled: true,
            fraction: 0.50,
        }
    }
}

/// What rule 4 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TakeProfitInputs {
    /// P&L now.
    pub pnl: Money,
    /// Max profit.
    pub max_profit: Money,
    /// The target fraction.
    pub fraction: f64,
}

impl std::fmt::Display for TakeProfitInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "take profit: P&L {} is {:.1}% of max profit {} >= {}%",
            usd(self.pnl),
            self.pnl.to_f64() / self.max_profit.to_f64() * 100.0,
            usd(self.max_profit),
            self.fraction * 100.0
        )
    }
}

impl ExitRule for TakeProfit {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let Bound::Limited(max_profit) = ctx.max_profit else {
            return None;
        };
        if max_profit <= Money::ZERO {
            return None;
        }
        (ctx.pnl >= fraction_of(max_profit, self.fraction)).then_some(Fired {
            action: Action::Close,
            urgency: Urgency::Normal,
            evidence: Evidence::TakeProfit(TakeProfitInputs {
                pnl: ctx.pnl,
                max_profit,
                fraction: self.fraction,
            }),
        })
    }

    fn validate(&self, errs: &mut Vec<String>) {
        check_fraction("take_profit.fraction", self.fraction, 0.0, 1.0, errs);
    }

    fn proximity(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        let Bound::Limited(max_profit) = ctx.max_profit else {
            return None;
        };
        let target = fraction_of(max_profit, self.fraction).to_f64();
        (target > 0.0).then(|| super::ratio(ctx.pnl.to_f64(), target))
    }
}
