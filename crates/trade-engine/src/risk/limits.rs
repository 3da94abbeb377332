//! [`RiskLimits`]: the configured limits (`[risk]`), and their consistency check.

use serde::{Deserialize, Serialize};

/// Risk limits. Fractions are of current equity; `None` disables a limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskLimits {
    /// Largest notional of one instrument's position, as a fraction of equity.
    pub max_position_pct: Option<f64>,
    /// Largest sum of absolute position notionals, as a fraction of equity.
    pub max_gross_exposure_pct: Option<f64>,
    /// Most instruments with a non-flat (or pending) position at once.
    pub max_open_positions: Option<usize>,
    /// Kill switch: equity below the previous session's closing equity by
    /// more than this fraction halts new entries for the rest of the run.
    pub daily_loss_limit_pct: Option<f64>,
    /// Kill switch: equity below its running peak by more than this fraction.
    pub max_drawdown_pct: Option<f64>,
    /// An instrument that lost more than this fraction of equity since the
    /// session began takes no new entries for the rest of that session.
    pub instrument_daily_loss_pct: Option<f64>,
    /// When a kill switch trips, also cancel working orders and close all
    /// positions at the next opportunity.
    pub flatten_on_kill: bool,
    /// Close every position at each session's close (market-on-close).
    pub flat_at_close: bool,
    /// Refuse orders decided outside regular trading hours.
    pub market_hours_only: bool,
}

impl Default for RiskLimits {
    fn default() -> Self {
        RiskLimits {
            max_position_pct: None,
            max_gross_exposure_pct: None,
            max_open_positions: None,
            daily_loss_limit_pct: None,
            max_drawdown_pct: None,
            instrument_daily_loss_pct: None,
            flatten_on_kill: true,
            flat_at_close: false,
            market_hours_only: true,
        }
    }
}

fn fraction(name: &str, v: Option<f64>, max: f64, errs: &mut Vec<String>) {
    if let Some(x) = v
        && !(x.is_finite() && x > 0.0 && x <= max)
    {
        errs.push(format!("risk.{name} must be in (0, {max}], got {x}"));
    }
}

impl RiskLimits {
    /// Checks each limit's range and that the limits do not contradict each
    /// other or the account.
    ///
    /// # Errors
    /// Every problem found, one message each, naming the keys.
    pub fn validate(&self, max_leverage: f64) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        fraction("max_position_pct", self.max_position_pct, 10.0, &mut errs);
        fraction(
            "max_gross_exposure_pct",
            self.max_gross_exposure_pct,
            10.0,
            &mut errs,
        );
        fraction(
            "daily_loss_limit_pct",
            self.daily_loss_limit_pct,
            1.0,
            &mut errs,
        );
        fraction("max_drawdown_pct", self.max_drawdown_pct, 1.0, &mut errs);
        fraction(
            "instrument_daily_loss_pct",
            self.instrument_daily_loss_pct,
            1.0,
            &mut errs,
        );
        if self.max_open_positions == Some(0) {
            errs.push(
                "risk.max_open_positions = 0 forbids every trade; remove it or set at least 1"
                    .into(),
            );
        }
        if let (Some(pos), Some(gross)) = (self.max_position_pct, self.max_gross_exposure_pct)
            && pos > gross
        {
            errs.push(format!(
                "risk.max_position_pct ({pos}) exceeds risk.max_gross_exposure_pct ({gross}): one position could never reach its cap"
            ));
        }
        if let Some(gross) = self.max_gross_exposure_pct
            && gross > max_leverage
        {
            errs.push(format!(
                "risk.max_gross_exposure_pct ({gross}) exceeds account.max_leverage ({max_leverage}): the broker would refuse what the gate allows"
            ));
        }
        if let (Some(inst), Some(day)) = (self.instrument_daily_loss_pct, self.daily_loss_limit_pct)
            && inst > day
        {
            errs.push(format!(
                "risk.instrument_daily_loss_pct ({inst}) exceeds risk.daily_loss_limit_pct ({day}): the account kill switch would always fire first"
            ));
        }
        if let (Some(day), Some(dd)) = (self.daily_loss_limit_pct, self.max_drawdown_pct)
            && day > dd
        {
            errs.push(format!(
                "risk.daily_loss_limit_pct ({day}) exceeds risk.max_drawdown_pct ({dd}): a day's loss beyond the drawdown limit trips the drawdown switch first"
            ));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contradictions_are_named() {
        let l = RiskLimits {
            max_position_pct: Some(0.8),
            max_gross_exposure_pct: Some(0.5),
            daily_loss_limit_pct: Some(0.3),
            max_drawdown_pct: Some(0.2),
            max_open_positions: Some(0),
            ..RiskLimits::default()
        };
        let errs = l.validate(1.0).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].contains("max_open_positions"));
        assert!(
            errs[1].contains("max_position_pct (0.8) exceeds risk.max_gross_exposure_pct (0.5)")
        );
        assert!(errs[2].contains("daily_loss_limit_pct (0.3) exceeds risk.max_drawdown_pct (0.2)"));
        let lev = RiskLimits {
            max_gross_exposure_pct: Some(2.0),
            ..RiskLimits::default()
        };
        assert!(lev.validate(1.0).unwrap_err()[0].contains("account.max_leverage"));
        assert!(RiskLimits::default().validate(1.0).is_ok());
    }
}
