//! Rule 6, delta risk: a short leg's |delta| (how likely it finishes in
//! the money) or the position's delta per contract is beyond its limit.
//! Closes, or with `adjust` asks to roll the tested side (short leg) or to
//! hedge the delta (position).

use serde::{Deserialize, Serialize};
use trade_core::Price;

use super::{ExitRule, Fired, RuleContext, check_fraction};
use crate::exits::{Action, Adjustment, Evidence, ExitState, Urgency};

/// Rule 6 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeltaRisk {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Largest |delta| of any short leg (per unit, 0..1).
    pub max_short_leg_delta: Option<f64>,
    /// Largest |position delta| per contract of the structure, in shares.
    pub max_delta_per_unit: Option<f64>,
    /// Ask for an adjustment instead of a close.
    pub adjust: bool,
}

impl Default for DeltaRisk {
    fn default() -> Self {
        DeltaRisk {
            enabled: true,
            max_short_leg_delta: Some(0.30),
            max_delta_per_unit: None,
            adjust: false,
        }
    }
}

/// What rule 6 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaRiskInputs {
    /// A short leg's delta.
    ShortLeg {
        /// Leg index.
        leg: usize,
        /// Its strike.
        strike: Price,
        /// Its delta.
        delta: f64,
        /// The limit.
        limit: f64,
    },
    /// The position's delta.
    Position {
        /// Shares per contract of the structure.
        delta_per_unit: f64,
        /// Shares for the whole position.
        delta: f64,
        /// The limit per contract.
        limit: f64,
    },
}

impl std::fmt::Display for DeltaRiskInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeltaRiskInputs::ShortLeg {
                leg,
                strike,
                delta,
                limit,
            } => write!(
                f,
                "delta risk: short leg {leg} (strike {strike}) |delta| {:.3} > {limit}",
                delta.abs()
            ),
            DeltaRiskInputs::Position {
                delta_per_unit,
                delta,
                limit,
            } => write!(
                f,
                "delta risk: position delta {delta_per_unit:+.1} shares per contract ({delta:+.1} total) beyond ±{limit}"
            ),
        }
    }
}

impl ExitRule for DeltaRisk {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn proximity(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        let v = ctx.view;
        let short = self.max_short_leg_delta.and_then(|limit| {
            v.structure
                .short_legs()
                .map(|(i, _)| v.legs[i].delta.abs())
                .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))))
                .map(|d| super::ratio(d, limit))
        });
        let unit = self
            .max_delta_per_unit
            .map(|limit| super::ratio((ctx.position_delta() / ctx.quantity()).abs(), limit));
        match (short, unit) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let v = ctx.view;
        let fire = |adjustment, inputs| Fired {
            action: if self.adjust {
                Action::Adjust(adjustment)
            } else {
                Action::Close
            },
            urgency: Urgency::High,
            evidence: Evidence::DeltaRisk(inputs),
        };
        if let Some(limit) = self.max_short_leg_delta {
            // The most tested short leg first.
            let worst = v
                .structure
                .short_legs()
                .map(|(i, l)| (i, l, v.legs[i].delta))
                .max_by(|a, b| a.2.abs().total_cmp(&b.2.abs()));
            if let Some((leg, l, delta)) = worst
                && delta.abs() > limit
            {
                return Some(fire(
                    Adjustment::RollTestedSide {
                        leg,
                        strike: l.strike(),
                    },
                    DeltaRiskInputs::ShortLeg {
                        leg,
                        strike: l.strike(),
                        delta,
                        limit,
                    },
                ));
            }
        }
        if let Some(limit) = self.max_delta_per_unit {
            let delta = ctx.position_delta();
            let per_unit = delta / ctx.quantity();
            if per_unit.abs() > limit {
                return Some(fire(
                    Adjustment::HedgeDelta {
                        shares: -delta.round() as i64,
                    },
                    DeltaRiskInputs::Position {
                        delta_per_unit: per_unit,
                        delta,
                        limit,
                    },
                ));
            }
        }
        None
    }

    fn validate(&self, errs: &mut Vec<String>) {
        if let Some(d) = self.max_short_leg_delta {
            check_fraction("delta_risk.max_short_leg_delta", d, 0.0, 1.0, errs);
        }
        if let Some(d) = self.max_delta_per_unit
            && !(d.is_finite() && d > 0.0)
        {
            errs.push(format!(
                "exits.delta_risk.max_delta_per_unit must be > 0, got {d}"
            ));
        }
    }
}
