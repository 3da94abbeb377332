//! [`Decision`] (what to do with a position), [`Evidence`] (the inputs of
//! the rule that decided) and [`ExitRecord`] (the journal line).

use serde::{Deserialize, Serialize};
use trade_core::{Money, Price, Timestamp};

use super::RuleId;
use super::rules::{
    CatastropheInputs, DeltaRiskInputs, DteRollInputs, ExpiryProtectionInputs, GammaRiskInputs,
    IvChangeInputs, PortfolioLimitsInputs, StopLossInputs, TakeProfitInputs, TimeExitInputs,
    TrailingStopInputs, VixExitInputs,
};
use crate::portfolio::StructureId;

/// How soon the order manager should act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// No hurry (a roll can be worked over minutes).
    Low,
    /// Work a limit order near the mid.
    Normal,
    /// Cross the spread if the mid does not fill quickly.
    High,
    /// Now, at the market if need be.
    Immediate,
}

/// A change short of closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adjustment {
    /// Roll the tested short leg (and its wing) further out of the money.
    RollTestedSide {
        /// The short leg's index.
        leg: usize,
        /// Its strike.
        strike: Price,
    },
    /// Trade this many shares of the underlying to flatten delta.
    HedgeDelta {
        /// Signed shares (buy `+`, sell `-`).
        shares: i64,
    },
}

/// What to do with the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Keep it.
    Hold,
    /// Close every leg.
    Close,
    /// Close and reopen the same structure at a later expiry.
    Roll {
        /// Sessions to expiry of the new position.
        to_dte: u32,
    },
    /// Adjust it.
    Adjust(Adjustment),
}

/// The inputs of the rule that fired; `Display` is the human reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Rule 1.
    Catastrophe(CatastropheInputs),
    /// Rule 2.
    TrailingStop(TrailingStopInputs),
    /// Rule 3.
    TimeExit(TimeExitInputs),
    /// Rule 4.
    TakeProfit(TakeProfitInputs),
    /// Rule 5.
    StopLoss(StopLossInputs),
    /// Rule 6.
    DeltaRisk(DeltaRiskInputs),
    /// Rule 7.
    GammaRisk(GammaRiskInputs),
    /// Rule 8.
    IvChange(IvChangeInputs),
    /// Rule 9.
    DteRoll(DteRollInputs),
    /// Rule 10.
    VixExit(VixExitInputs),
    /// Rule 11.
    PortfolioLimits(PortfolioLimitsInputs),
    /// Rule 12.
    ExpiryProtection(ExpiryProtectionInputs),
}

impl Evidence {
    /// The rule this evidence belongs to.
    pub fn rule(&self) -> RuleId {
        match self {
            Evidence::Catastrophe(_) => RuleId::Catastrophe,
            Evidence::TrailingStop(_) => RuleId::TrailingStop,
            Evidence::TimeExit(_) => RuleId::TimeExit,
            Evidence::TakeProfit(_) => RuleId::TakeProfit,
            Evidence::StopLoss(_) => RuleId::StopLoss,
            Evidence::DeltaRisk(_) => RuleId::DeltaRisk,
            Evidence::GammaRisk(_) => RuleId::GammaRisk,
            Evidence::IvChange(_) => RuleId::IvChange,
            Evidence::DteRoll(_) => RuleId::DteRoll,
            Evidence::VixExit(_) => RuleId::VixExit,
            Evidence::PortfolioLimits(_) => RuleId::PortfolioLimits,
            Evidence::ExpiryProtection(_) => RuleId::ExpiryProtection,
        }
    }
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Evidence::Catastrophe(x) => x.fmt(f),
            Evidence::TrailingStop(x) => x.fmt(f),
            Evidence::TimeExit(x) => x.fmt(f),
            Evidence::TakeProfit(x) => x.fmt(f),
            Evidence::StopLoss(x) => x.fmt(f),
            Evidence::DeltaRisk(x) => x.fmt(f),
            Evidence::GammaRisk(x) => x.fmt(f),
            Evidence::IvChange(x) => x.fmt(f),
            Evidence::DteRoll(x) => x.fmt(f),
            Evidence::VixExit(x) => x.fmt(f),
            Evidence::PortfolioLimits(x) => x.fmt(f),
            Evidence::ExpiryProtection(x) => x.fmt(f),
        }
    }
}

/// The engine's answer for one position at one update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// What to do.
    pub action: Action,
    /// How soon (`Low` for a hold).
    pub urgency: Urgency,
    /// The rule that fired; `None` for a hold.
    pub rule: Option<RuleId>,
    /// Why, with the numbers.
    pub reason: String,
}

/// A journal line for an evaluation in which a rule fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// The position.
    pub position: StructureId,
    /// When.
    pub at: Timestamp,
    /// New York wall time, for people reading the journal.
    pub new_york: String,
    /// The rule that fired.
    pub rule: RuleId,
    /// What it asked for.
    pub action: Action,
    /// How soon.
    pub urgency: Urgency,
    /// The human reason.
    pub reason: String,
    /// The rule's inputs.
    pub evidence: Evidence,
    /// Underlying price.
    pub underlying: Price,
    /// Open P&L at the engine's mark.
    pub pnl: Money,
    /// Sessions to expiry.
    pub dte: u32,
    /// Evaluation count of this position (1 = first).
    pub evaluation: u64,
}

/// The result of one evaluation: the decision, and the journal record when
/// a rule fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// What to do.
    pub decision: Decision,
    /// What to journal (`None` for a hold).
    pub record: Option<ExitRecord>,
}
