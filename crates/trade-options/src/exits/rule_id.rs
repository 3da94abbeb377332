//! [`RuleId`]: names of the twelve exit rules, as in config and journals.

use serde::{Deserialize, Serialize};

/// One of the twelve exit rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// 1. Underlying moved N sigma, or a short strike breached by X.
    Catastrophe,
    /// 2. Trailing stop on P&L with whipsaw protection.
    TrailingStop,
    /// 3. Time of day or sessions before expiry.
    TimeExit,
    /// 4. Fraction of max profit reached.
    TakeProfit,
    /// 5. Loss a multiple of the credit.
    StopLoss,
    /// 6. Position or short-leg delta beyond limit.
    DeltaRisk,
    /// 7. Gamma beyond limit, tighter near expiry.
    GammaRisk,
    /// 8. IV crush or expansion since entry.
    IvChange,
    /// 9. Roll out when few sessions remain.
    DteRoll,
    /// 10. VIX level or intraday rise.
    VixExit,
    /// 11. Portfolio limits breached: riskiest first.
    PortfolioLimits,
    /// 12. End-of-day and pin protection on expiry day.
    ExpiryProtection,
}

impl RuleId {
    /// All rules, in the numbering.
    pub const ALL: [RuleId; 12] = [
        RuleId::Catastrophe,
        RuleId::TrailingStop,
        RuleId::TimeExit,
        RuleId::TakeProfit,
        RuleId::StopLoss,
        RuleId::DeltaRisk,
        RuleId::GammaRisk,
        RuleId::IvChange,
        RuleId::DteRoll,
        RuleId::VixExit,
        RuleId::PortfolioLimits,
        RuleId::ExpiryProtection,
    ];

    /// The default evaluation order: capital protection first, profit
    /// harvesting next, calendar rules last.
    pub const DEFAULT_ORDER: [RuleId; 12] = [
        RuleId::Catastrophe,
        RuleId::ExpiryProtection,
        RuleId::PortfolioLimits,
        RuleId::VixExit,
        RuleId::StopLoss,
        RuleId::DeltaRisk,
        RuleId::GammaRisk,
        RuleId::TrailingStop,
        RuleId::TakeProfit,
        RuleId::IvChange,
        RuleId::DteRoll,
        RuleId::TimeExit,
    ];

    /// Snake-case name, as in config and journals.
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleId::Catastrophe => "catastrophe",
            RuleId::TrailingStop => "trailing_stop",
            RuleId::TimeExit => "time_exit",
            RuleId::TakeProfit => "take_profit",
            RuleId::StopLoss => "stop_loss",
            RuleId::DeltaRisk => "delta_risk",
            RuleId::GammaRisk => "gamma_risk",
            RuleId::IvChange => "iv_change",
            RuleId::DteRoll => "dte_roll",
            RuleId::VixExit => "vix_exit",
            RuleId::PortfolioLimits => "portfolio_limits",
            RuleId::ExpiryProtection => "expiry_protection",
        }
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
