//! [`ExitEngine`]: runs the enabled rules in order for one position and
//! returns the first decision, with its journal record.

use trade_core::Money;

use crate::exits::RuleId;

use super::rules::RuleContext;
use super::{
    Action, Decision, Evaluation, ExitConfig, ExitRecord, ExitState, PositionView, Urgency,
    ViewError,
};

/// The ordered exit-rule engine. Built from a validated config; holds no
/// per-position data (that lives in each position's [`ExitState`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ExitEngine {
    config: ExitConfig,
}

impl ExitEngine {
    /// Validates the config and builds the engine.
    ///
    /// # Errors
    /// Every configuration problem, one message each.
    pub fn new(config: ExitConfig) -> Result<Self, Vec<String>> {
        config.validate()?;
        Ok(ExitEngine { config })
    }

    /// The configuration.
    pub fn config(&self) -> &ExitConfig {
        &self.config
    }

    /// How close each enabled rule that can say is to firing (0 far, 1 at
    /// its threshold), closest first. For display: it changes no state.
    ///
    /// # Errors
    /// As [`ExitEngine::evaluate`].
    pub fn proximity(
        &self,
        view: &PositionView<'_>,
        state: &ExitState,
    ) -> Result<Vec<(RuleId, f64)>, ViewError> {
        view.validate()?;
        let ctx = RuleContext::new(view, self.config.pnl_mark);
        let mut out: Vec<(RuleId, f64)> = self
            .config
            .order
            .iter()
            .filter(|id| self.config.rule(**id).enabled())
            .filter_map(|&id| self.config.rule(id).proximity(&ctx, state).map(|p| (id, p)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(out)
    }

    /// Evaluates one position: updates its state (high-water mark,
    /// trailing-stop arming, evaluation count), then runs the enabled rules
    /// in order; the first that fires decides. A hold has no record.
    ///
    /// # Errors
    /// [`ViewError`] when the view is inconsistent (per-leg lists of the
    /// wrong length, NaN Greeks, crossed markets); the state is then left
    /// untouched.
    pub fn evaluate(
        &self,
        view: &PositionView<'_>,
        state: &mut ExitState,
    ) -> Result<Evaluation, ViewError> {
        view.validate()?;
        let ctx = RuleContext::new(view, self.config.pnl_mark);
        self.config.trailing_stop.observe(&ctx, state);
        state.evaluations += 1;
        for &id in &self.config.order {
            let rule = self.config.rule(id);
            if !rule.enabled() {
                continue;
            }
            let Some(fired) = rule.check(&ctx, state) else {
                continue;
            };
            debug_assert_eq!(fired.evidence.rule(), id);
            let reason = fired.evidence.to_string();
            state.last_fired = Some(id);
            let record = ExitRecord {
                position: view.id,
                at: view.now,
                new_york: ctx.ny.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                rule: id,
                action: fired.action,
                urgency: fired.urgency,
                reason: reason.clone(),
                evidence: fired.evidence,
                underlying: view.underlying,
                pnl: ctx.pnl,
                dte: view.dte,
                evaluation: state.evaluations,
            };
            return Ok(Evaluation {
                decision: Decision {
                    action: fired.action,
                    urgency: fired.urgency,
                    rule: Some(id),
                    reason,
                },
                record: Some(record),
            });
        }
        Ok(Evaluation {
            decision: Decision {
                action: Action::Hold,
                urgency: Urgency::Low,
                rule: None,
                reason: format!("hold: no rule fired (P&L {})", pnl_text(ctx.pnl)),
            },
            record: None,
        })
    }
}

fn pnl_text(m: Money) -> String {
    super::rules::usd(m)
}
