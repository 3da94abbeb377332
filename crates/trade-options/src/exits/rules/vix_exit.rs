//! Rule 10, VIX exit: VIX above a level, or up a fraction since today's
//! open. A missing VIX never fires (a data gap is no reason to close);
//! entries, by contrast, are refused without VIX (see
//! [`crate::structure::EntryCriteria`]).

use serde::{Deserialize, Serialize};

use super::{ExitRule, Fired, RuleContext, check_fraction};
use crate::exits::{Action, Evidence, ExitState, Urgency};

/// Rule 10 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VixExit {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Fire at or above this VIX level.
    pub max_level: Option<f64>,
    /// Fire when VIX is up this fraction since the open (0.2 = +20%).
    pub max_rise_from_open: Option<f64>,
}

impl Default for VixExit {
    fn default() -> Self {
        VixExit {
            enabled: true,
            max_level: Some(35.0),
            max_rise_from_open: Some(0.20),
        }
    }
}

/// What rule 10 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VixExitInputs {
    /// VIX at or above the level.
    Level {
        /// VIX now.
        vix: f64,
        /// The level.
        limit: f64,
    },
    /// VIX up since the open.
    Rise {
        /// VIX now.
        vix: f64,
        /// VIX at the open.
        open: f64,
        /// Fractional rise.
        rise: f64,
        /// The limit.
        limit: f64,
    },
}

impl std::fmt::Display for VixExitInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VixExitInputs::Level { vix, limit } => {
                write!(f, "VIX exit: VIX {vix:.2} >= {limit:.2}")
            }
            VixExitInputs::Rise {
                vix,
                open,
                rise,
                limit,
            } => write!(
                f,
                "VIX exit: VIX {vix:.2} is up {:.1}% from the open {open:.2} >= {:.1}%",
                rise * 100.0,
                limit * 100.0
            ),
        }
    }
}

impl ExitRule for VixExit {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let vix = ctx.view.vix?;
        let fire = |inputs| Fired {
            action: Action::Close,
            urgency: Urgency::High,
            evidence: Evidence::VixExit(inputs),
        };
        if let Some(limit) = self.max_level
            && vix >= limit
        {
            return Some(fire(VixExitInputs::Level { vix, limit }));
        }
        if let (Some(limit), Some(open)) = (self.max_rise_from_open, ctx.view.vix_open) {
            let rise = vix / open - 1.0;
            if rise >= limit {
                return Some(fire(VixExitInputs::Rise {
                    vix,
                    open,
                    rise,
                    limit,
                }));
            }
        }
        None
    }

    fn validate(&self, errs: &mut Vec<String>) {
        if let Some(l) = self.max_level
            && !(l.is_finite() && l > 0.0)
        {
            errs.push(format!("exits.vix_exit.max_level must be > 0, got {l}"));
        }
        if let Some(r) = self.max_rise_from_open {
            check_fraction("vix_exit.max_rise_from_open", r, 0.0, 10.0, errs);
        }
    }
}
