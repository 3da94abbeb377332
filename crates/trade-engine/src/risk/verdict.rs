//! The gate's answers. [`Approved`] can only be made by the gate, so code
//! after it (the order manager) can demand proof that the checks ran.

use serde::Serialize;
use trade_core::{OrderIntent, Qty};

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskRule {
    /// The order is invalid on its face (quantity, tick, tradeable).
    InvalidOrder,
    /// A kill switch has tripped: no new entries.
    KillSwitch,
    /// Decided outside regular trading hours.
    MarketHours,
    /// Per-instrument notional cap.
    MaxPosition,
    /// Gross exposure cap.
    MaxGrossExposure,
    /// Too many open positions.
    MaxOpenPositions,
    /// Instrument blocked after its daily loss cap.
    InstrumentDailyLoss,
    /// Daily loss kill switch.
    DailyLossLimit,
    /// Drawdown kill switch.
    MaxDrawdown,
    /// Closing everything at the session close.
    FlatAtClose,
}

impl RiskRule {
    /// Snake-case name, as in config and ledgers.
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskRule::InvalidOrder => "invalid_order",
            RiskRule::KillSwitch => "kill_switch",
            RiskRule::MarketHours => "market_hours",
            RiskRule::MaxPosition => "max_position_pct",
            RiskRule::MaxGrossExposure => "max_gross_exposure_pct",
            RiskRule::MaxOpenPositions => "max_open_positions",
            RiskRule::InstrumentDailyLoss => "instrument_daily_loss_pct",
            RiskRule::DailyLossLimit => "daily_loss_limit_pct",
            RiskRule::MaxDrawdown => "max_drawdown_pct",
            RiskRule::FlatAtClose => "flat_at_close",
        }
    }
}

/// An intent that passed every check (possibly made smaller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    intent: OrderIntent,
    resized: Option<(Qty, RiskRule, String)>,
}

impl Approved {
    pub(super) fn new(intent: OrderIntent, resized: Option<(Qty, RiskRule, String)>) -> Self {
        Approved { intent, resized }
    }

    /// The (possibly resized) intent.
    pub fn intent(&self) -> &OrderIntent {
        &self.intent
    }

    /// Consumes the approval.
    pub fn into_intent(self) -> OrderIntent {
        self.intent
    }

    /// If the gate cut the size: the original quantity, the rule and why.
    pub fn resized(&self) -> Option<&(Qty, RiskRule, String)> {
        self.resized.as_ref()
    }
}

/// An intent the gate refused, with the rule and the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The intent as submitted.
    pub intent: OrderIntent,
    /// The rule that refused it.
    pub rule: RiskRule,
    /// Why, with the numbers.
    pub reason: String,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go (maybe smaller).
    Approved(Approved),
    /// No.
    Refused(Refused),
}
