//! Rule 9, DTE roll: when few sessions remain, roll the position out to a
//! later expiry if the roll conditions hold (no short strike in the money,
//! P&L not below a floor), or optionally close it when they do not.

use serde::{Deserialize, Serialize};
use trade_core::Money;

use super::{ExitRule, Fired, RuleContext, fraction_of, is_tested, usd};
use crate::exits::{Action, Evidence, ExitState, Urgency};

/// Rule 9 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DteRoll {
    /// Whether the rule runs (off by default: it suits 14+ DTE strategies).
    pub enabled: bool,
    /// Roll when sessions to expiry are at or below this.
    pub at_or_below_dte: u32,
    /// Sessions to expiry of the new position.
    pub roll_to_dte: u32,
    /// Roll only if no short strike is in the money.
    pub require_untested: bool,
    /// Roll only if P&L is at least this fraction of |entry premium|
    /// (negative allows a bounded loss: -0.5 = lost at most half the credit).
    pub min_pnl_fraction: Option<f64>,
    /// Close instead when the conditions do not hold.
    pub close_if_not_rollable: bool,
}

impl Default for DteRoll {
    fn default() -> Self {
        DteRoll {
            enabled: false,
            at_or_below_dte: 21,
            roll_to_dte: 45,
            require_untested: true,
            min_pnl_fraction: None,
            close_if_not_rollable: false,
        }
    }
}

/// What rule 9 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DteRollInputs {
    /// Sessions to expiry.
    pub dte: u32,
    /// The threshold.
    pub threshold: u32,
    /// Target sessions to expiry.
    pub roll_to_dte: u32,
    /// First short leg in the money, if any.
    pub tested_leg: Option<usize>,
    /// P&L now.
    pub pnl: Money,
    /// The P&L floor, if any.
    pub pnl_floor: Option<Money>,
    /// Whether the conditions held.
    pub rollable: bool,
}

impl std::fmt::Display for DteRollInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DTE roll: {} sessions to expiry <= {}",
            self.dte, self.threshold
        )?;
        if self.rollable {
            return write!(
                f,
                ", untested and P&L {} ok: roll to {} DTE",
                usd(self.pnl),
                self.roll_to_dte
            );
        }
        f.write_str(", not rollable (")?;
        if let Some(leg) = self.tested_leg {
            write!(f, "short leg {leg} in the money")?;
        } else if let Some(floor) = self.pnl_floor {
            write!(f, "P&L {} below floor {}", usd(self.pnl), usd(floor))?;
        }
        f.write_str("): close")
    }
}

impl ExitRule for DteRoll {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn proximity(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        // 1 at the threshold; the remaining sessions above it count down.
        let dte = f64::from(ctx.view.dte);
        let at = f64::from(self.at_or_below_dte);
        Some(if dte <= at {
            1.0
        } else {
            super::ratio(at + 1.0, dte + 1.0)
        })
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let v = ctx.view;
        if v.dte > self.at_or_below_dte {
            return None;
        }
        let tested_leg = v
            .structure
            .short_legs()
            .find(|(_, l)| is_tested(l.right(), l.strike(), v.underlying))
            .map(|(i, _)| i);
        let pnl_floor = self
            .min_pnl_fraction
            .map(|f| fraction_of(ctx.entry_premium.abs(), f));
        let untested_ok = !self.require_untested || tested_leg.is_none();
        let pnl_ok = pnl_floor.is_none_or(|floor| ctx.pnl >= floor);
        let rollable = untested_ok && pnl_ok;
        let (action, urgency) = if rollable {
            (
                Action::Roll {
                    to_dte: self.roll_to_dte,
                },
                Urgency::Low,
            )
        } else if self.close_if_not_rollable {
            (Action::Close, Urgency::Normal)
        } else {
            return None;
        };
        Some(Fired {
            action,
            urgency,
            evidence: Evidence::DteRoll(DteRollInputs {
                dte: v.dte,
                threshold: self.at_or_below_dte,
                roll_to_dte: self.roll_to_dte,
                tested_leg: if self.require_untested {
                    tested_leg
                } else {
                    None
                },
                pnl: ctx.pnl,
                pnl_floor,
                rollable,
            }),
        })
    }

    fn validate(&self, errs: &mut Vec<String>) {
        if self.roll_to_dte <= self.at_or_below_dte {
            errs.push(format!(
                "exits.dte_roll.roll_to_dte ({}) must be above at_or_below_dte ({}), or the new position would roll at once",
                self.roll_to_dte, self.at_or_below_dte
            ));
        }
        if let Some(f) = self.min_pnl_fraction
            && !(f.is_finite() && f.abs() <= 10.0)
        {
            errs.push(format!(
                "exits.dte_roll.min_pnl_fraction must be in [-10, 10], got {f}"
            ));
        }
    }
}
