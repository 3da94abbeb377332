//! Rule 2, trailing stop on P&L with whipsaw protection: the stop arms
//! only once P&L reaches the activation level, fires only after the
//! minimum hold, and trails the high-water mark by a fixed distance.
//!
//! Both levels are fractions of a profit basis: the max profit when it is
//! bounded (credit structures), otherwise the debit paid (long options),
//! so one config serves both.

use serde::{Deserialize, Serialize};
use trade_core::{Money, Timestamp};

use super::{ExitRule, Fired, RuleContext, check_fraction, fraction_of, usd};
use crate::exits::{Action, Evidence, ExitState, Urgency};
use crate::structure::Bound;

/// Rule 2 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrailingStop {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Arm when P&L reaches this fraction of the profit basis.
    pub activation: f64,
    /// Fire when P&L falls this fraction of the basis below its high.
    pub trail: f64,
    /// Never fire within this many seconds of entry.
    pub min_hold_secs: u32,
}

impl Default for TrailingStop {
    fn default() -> Self {
        TrailingStop {
            enabled: true,
            activation: 0.25,
            trail: 0.15,
            min_hold_secs: 900,
        }
    }
}

/// What rule 2 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailingStopInputs {
    /// P&L now.
    pub pnl: Money,
    /// Highest P&L since entry.
    pub high_water: Money,
    /// The profit basis.
    pub basis: Money,
    /// Whether the basis is the max profit (else the debit).
    pub basis_is_max_profit: bool,
    /// The trail in dollars.
    pub trail: Money,
    /// High water minus trail.
    pub stop: Money,
    /// When the stop armed.
    pub armed_at: Timestamp,
    /// Seconds since entry.
    pub held_secs: i64,
}

impl std::fmt::Display for TrailingStopInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "trailing stop: P&L {} <= stop {} (high {} - trail {} of {} {}), held {}s",
            usd(self.pnl),
            usd(self.stop),
            usd(self.high_water),
            usd(self.trail),
            if self.basis_is_max_profit {
                "max profit"
            } else {
                "debit"
            },
            usd(self.basis),
            self.held_secs
        )
    }
}

impl TrailingStop {
    /// The profit basis: bounded positive max profit, else the debit paid.
    fn basis(ctx: &RuleContext<'_>) -> Option<(Money, bool)> {
        match ctx.max_profit {
            Bound::Limited(m) if m > Money::ZERO => Some((m, true)),
            _ if ctx.entry_premium.is_negative() => Some((-ctx.entry_premium, false)),
            _ => None,
        }
    }

    /// Updates the high-water mark and arms the stop; the engine calls it
    /// before any rule runs.
    pub(crate) fn observe(&self, ctx: &RuleContext<'_>, state: &mut ExitState) {
        state.high_water = Some(state.high_water.map_or(ctx.pnl, |h| h.max(ctx.pnl)));
        if state.trailing_armed_at.is_none()
            && let Some((basis, _)) = Self::basis(ctx)
            && ctx.pnl >= fraction_of(basis, self.activation)
        {
            state.trailing_armed_at = Some(ctx.view.now);
        }
    }
}

impl ExitRule for TrailingStop {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, state: &ExitState) -> Option<Fired> {
        let armed_at = state.trailing_armed_at?;
        if ctx.held_secs < i64::from(self.min_hold_secs) {
            return None;
        }
        let (basis, is_max) = Self::basis(ctx)?;
        let high = state.high_water?;
        let trail = fraction_of(basis, self.trail);
        let stop = high - trail;
        (ctx.pnl <= stop).then_some(Fired {
            action: Action::Close,
            urgency: Urgency::High,
            evidence: Evidence::TrailingStop(TrailingStopInputs {
                pnl: ctx.pnl,
                high_water: high,
                basis,
                basis_is_max_profit: is_max,
                trail,
                stop,
                armed_at,
                held_secs: ctx.held_secs,
            }),
        })
    }

    /// Once armed: the give-back from the high-water mark over the trail
    /// (0 at the high, 1 at the stop). Not armed: no distance yet.
    fn proximity(&self, ctx: &RuleContext<'_>, state: &ExitState) -> Option<f64> {
        state.trailing_armed_at?;
        let (basis, _) = Self::basis(ctx)?;
        let high = state.high_water?.max(ctx.pnl);
        let trail = fraction_of(basis, self.trail).to_f64();
        Some(super::ratio((high - ctx.pnl).to_f64(), trail))
    }

    fn validate(&self, errs: &mut Vec<String>) {
        check_fraction("trailing_stop.activation", self.activation, 0.0, 10.0, errs);
        check_fraction("trailing_stop.trail", self.trail, 0.0, 10.0, errs);
    }
}
