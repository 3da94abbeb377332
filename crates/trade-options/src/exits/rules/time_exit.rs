//! Rule 3, time exit: close at a New York time of day, or once the
//! position is within N sessions of expiry.

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use super::{ExitRule, Fired, RuleContext};
use crate::exits::{Action, Evidence, ExitState, Urgency};

/// Rule 3 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeExit {
    /// Whether the rule runs (off by default: it is strategy-specific).
    pub enabled: bool,
    /// Close at or after this New York time, any day.
    pub close_at: Option<Time>,
    /// Close when sessions to expiry are at or below this.
    pub sessions_before_expiry: Option<u32>,
}

/// What rule 3 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeExitInputs {
    /// The time of day was reached.
    TimeOfDay {
        /// New York time now.
        now: Time,
        /// The configured time.
        close_at: Time,
    },
    /// Few sessions remain.
    DaysBeforeExpiry {
        /// Sessions to expiry.
        dte: u32,
        /// The threshold.
        threshold: u32,
    },
}

impl std::fmt::Display for TimeExitInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimeExitInputs::TimeOfDay { now, close_at } => write!(
                f,
                "time exit: New York time {} >= {}",
                now.strftime("%H:%M:%S"),
                close_at.strftime("%H:%M:%S")
            ),
            TimeExitInputs::DaysBeforeExpiry { dte, threshold } => {
                write!(f, "time exit: {dte} sessions to expiry <= {threshold}")
            }
        }
    }
}

impl ExitRule for TimeExit {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let fire = |inputs| Fired {
            action: Action::Close,
            urgency: Urgency::Normal,
            evidence: Evidence::TimeExit(inputs),
        };
        let now = ctx.ny.time();
        if let Some(close_at) = self.close_at
            && now >= close_at
        {
            return Some(fire(TimeExitInputs::TimeOfDay { now, close_at }));
        }
        if let Some(threshold) = self.sessions_before_expiry
            && ctx.view.dte <= threshold
        {
            return Some(fire(TimeExitInputs::DaysBeforeExpiry {
                dte: ctx.view.dte,
                threshold,
            }));
        }
        None
    }

    fn validate(&self, _errs: &mut Vec<String>) {}
}
