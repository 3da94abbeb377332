//! Rule 8, IV crush or expansion: the implied vol of the short legs (all
//! legs when nothing is short), weighted by |ratio|, has risen or fallen a
//! fraction since entry. Expansion hurts short-vol positions (condors,
//! credit spreads); crush hurts long-vol ones, or has already paid a
//! short-vol one most of what it will.

use serde::{Deserialize, Serialize};

use super::{ExitRule, Fired, RuleContext, check_fraction};
use crate::exits::{Action, Evidence, ExitState, Urgency};

/// Rule 8 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IvChange {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Fire when IV is up this fraction since entry (0.5 = +50%).
    pub expansion: Option<f64>,
    /// Fire when IV is down this fraction since entry (0.3 = -30%).
    pub crush: Option<f64>,
}

impl Default for IvChange {
    fn default() -> Self {
        IvChange {
            enabled: true,
            expansion: Some(0.50),
            crush: None,
        }
    }
}

/// What rule 8 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IvChangeInputs {
    /// Weighted IV now.
    pub iv_now: f64,
    /// Weighted IV at entry.
    pub iv_entry: f64,
    /// `iv_now / iv_entry - 1`.
    pub change: f64,
    /// The threshold that was crossed (positive for expansion, negative for crush).
    pub threshold: f64,
}

impl std::fmt::Display for IvChangeInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, cmp) = if self.threshold >= 0.0 {
            ("IV expansion", ">=")
        } else {
            ("IV crush", "<=")
        };
        write!(
            f,
            "{name}: short-leg IV {:.1}% vs {:.1}% at entry ({:+.1}% {cmp} {:+.1}%)",
            self.iv_now * 100.0,
            self.iv_entry * 100.0,
            self.change * 100.0,
            self.threshold * 100.0
        )
    }
}

impl IvChange {
    /// The ratio-weighted IV of the short legs (all legs when none is
    /// short), now and at entry.
    fn ivs(ctx: &RuleContext<'_>) -> Option<(f64, f64)> {
        let v = ctx.view;
        let legs = v.structure.legs();
        let any_short = legs.iter().any(|l| l.is_short());
        let (mut w, mut now, mut then) = (0.0, 0.0, 0.0);
        for (i, l) in legs.iter().enumerate() {
            if any_short && !l.is_short() {
                continue;
            }
            let r = f64::from(l.ratio.unsigned_abs());
            w += r;
            now += r * v.legs[i].iv;
            then += r * v.entry.leg_ivs[i];
        }
        (w > 0.0 && then > 0.0).then(|| (now / w, then / w))
    }
}

impl ExitRule for IvChange {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let (iv_now, iv_entry) = Self::ivs(ctx)?;
        let change = iv_now / iv_entry - 1.0;
        let threshold = match (self.expansion, self.crush) {
            (Some(up), _) if change >= up => up,
            (_, Some(down)) if change <= -down => -down,
            _ => return None,
        };
        Some(Fired {
            action: Action::Close,
            urgency: Urgency::Normal,
            evidence: Evidence::IvChange(IvChangeInputs {
                iv_now,
                iv_entry,
                change,
                threshold,
            }),
        })
    }

    /// The larger of the expansion over its threshold and the crush over
    /// its threshold.
    fn proximity(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        let (iv_now, iv_entry) = Self::ivs(ctx)?;
        let change = iv_now / iv_entry - 1.0;
        let up = self.expansion.map(|t| super::ratio(change, t));
        let down = self.crush.map(|t| super::ratio(-change, t));
        up.into_iter().chain(down).reduce(f64::max)
    }

    fn validate(&self, errs: &mut Vec<String>) {
        if let Some(x) = self.expansion {
            check_fraction("iv_change.expansion", x, 0.0, 100.0, errs);
        }
        if let Some(x) = self.crush {
            check_fraction("iv_change.crush", x, 0.0, 1.0, errs);
        }
    }
}
