//! [`ExitConfig`]: the order of the rules, the P&L mark, and each rule's
//! parameters (`[exits]` in a strategy's config). Unknown keys are errors;
//! omitted keys take the documented defaults.

use serde::{Deserialize, Serialize};

use super::RuleId;
use super::rules::{
    Catastrophe, DeltaRisk, DteRoll, ExitRule, ExpiryProtection, GammaRisk, IvChange,
    PortfolioLimitsRule, StopLoss, TakeProfit, TimeExit, TrailingStop, VixExit,
};

/// Which prices P&L is measured at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PnlMark {
    /// Leg midpoints (what most platforms show).
    #[default]
    Mid,
    /// What closing now would get: long legs at the bid, short legs at the
    /// ask (conservative: a wide market never looks like a profit).
    Natural,
}

/// Exit-engine configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExitConfig {
    /// Evaluation order; the first rule that fires wins. Every enabled
    /// rule must appear exactly once.
    pub order: Vec<RuleId>,
    /// Prices P&L is measured at.
    pub pnl_mark: PnlMark,
    /// Rule 1.
    pub catastrophe: Catastrophe,
    /// Rule 2.
    pub trailing_stop: TrailingStop,
    /// Rule 3.
    pub time_exit: TimeExit,
    /// Rule 4.
    pub take_profit: TakeProfit,
    /// Rule 5.
    pub stop_loss: StopLoss,
    /// Rule 6.
    pub delta_risk: DeltaRisk,
    /// Rule 7.
    pub gamma_risk: GammaRisk,
    /// Rule 8.
    pub iv_change: IvChange,
    /// Rule 9.
    pub dte_roll: DteRoll,
    /// Rule 10.
    pub vix_exit: VixExit,
    /// Rule 11.
    pub portfolio_limits: PortfolioLimitsRule,
    /// Rule 12.
    pub expiry_protection: ExpiryProtection,
}

impl Default for ExitConfig {
    fn default() -> Self {
        ExitConfig {
            order: RuleId::DEFAULT_ORDER.to_vec(),
            pnl_mark: PnlMark::Mid,
            catastrophe: Catastrophe::default(),
            trailing_stop: TrailingStop::default(),
            time_exit: TimeExit::default(),
            take_profit: TakeProfit::default(),
            stop_loss: StopLoss::default(),
            delta_risk: DeltaRisk::default(),
            gamma_risk: GammaRisk::default(),
            iv_change: IvChange::default(),
            dte_roll: DteRoll::default(),
            vix_exit: VixExit::default(),
            portfolio_limits: PortfolioLimitsRule::default(),
            expiry_protection: ExpiryProtection::default(),
        }
    }
}

impl ExitConfig {
    pub(crate) fn rule(&self, id: RuleId) -> &dyn ExitRule {
        match id {
            RuleId::Catastrophe => &self.catastrophe,
            RuleId::TrailingStop => &self.trailing_stop,
            RuleId::TimeExit => &self.time_exit,
            RuleId::TakeProfit => &self.take_profit,
            RuleId::StopLoss => &self.stop_loss,
            RuleId::DeltaRisk => &self.delta_risk,
            RuleId::GammaRisk => &self.gamma_risk,
            RuleId::IvChange => &self.iv_change,
            RuleId::DteRoll => &self.dte_roll,
            RuleId::VixExit => &self.vix_exit,
            RuleId::PortfolioLimits => &self.portfolio_limits,
            RuleId::ExpiryProtection => &self.expiry_protection,
        }
    }

    /// Turns one rule on or off.
    pub fn set_enabled(&mut self, id: RuleId, on: bool) {
        match id {
            RuleId::Catastrophe => self.catastrophe.enabled = on,
            RuleId::TrailingStop => self.trailing_stop.enabled = on,
            RuleId::TimeExit => self.time_exit.enabled = on,
            RuleId::TakeProfit => self.take_profit.enabled = on,
            RuleId::StopLoss => self.stop_loss.enabled = on,
            RuleId::DeltaRisk => self.delta_risk.enabled = on,
            RuleId::GammaRisk => self.gamma_risk.enabled = on,
            RuleId::IvChange => self.iv_change.enabled = on,
            RuleId::DteRoll => self.dte_roll.enabled = on,
            RuleId::VixExit => self.vix_exit.enabled = on,
            RuleId::PortfolioLimits => self.portfolio_limits.enabled = on,
            RuleId::ExpiryProtection => self.expiry_protection.enabled = on,
        }
    }

    /// Whether a rule is on.
    pub fn is_enabled(&self, id: RuleId) -> bool {
        self.rule(id).enabled()
    }

    /// The defaults with only `id` enabled: the rule on its own.
    pub fn only(id: RuleId) -> Self {
        let mut c = ExitConfig::default();
        for r in RuleId::ALL {
            c.set_enabled(r, r == id);
        }
        c
    }

    /// Checks the order and every rule's parameters.
    ///
    /// # Errors
    /// Every problem found, one message each, naming the key.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        for (i, id) in self.order.iter().enumerate() {
            if self.order[..i].contains(id) {
                errs.push(format!("exits.order lists {id} twice"));
            }
        }
        for id in RuleId::ALL {
            let rule = self.rule(id);
            if rule.enabled() && !self.order.contains(&id) {
                errs.push(format!(
                    "exits.{id} is enabled but missing from exits.order; add it or set enabled = false"
                ));
            }
            rule.validate(&mut errs);
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}
