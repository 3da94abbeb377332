//! The twelve exit rules, one per file. Each file owns the rule's config
//! (its parameters and `enabled`), the record of the inputs it decided on
//! (the journal's evidence, whose `Display` is the human reason), and the
//! check itself.

use jiff::civil::DateTime;
use trade_core::{Money, OptionRight, Price};

use super::config::PnlMark;
use super::decision::{Action, Evidence, Urgency};
use super::{ExitState, PositionView};
use crate::pricing::year_fraction;
use crate::structure::{Bound, Leg};

/// 1. Catastrophe.
pub mod catastrophe;
/// 6. Delta risk.
pub mod delta_risk;
/// 9. DTE roll.
pub mod dte_roll;
/// 12. Expiry-day protection.
pub mod expiry_protection;
/// 7. Gamma risk.
pub mod gamma_risk;
/// 8. IV crush or expansion.
pub mod iv_change;
/// 11. Portfolio limits.
pub mod portfolio_limits;
/// 5. Stop loss.
pub mod stop_loss;
/// 4. Take profit.
pub mod take_profit;
/// 3. Time exit.
pub mod time_exit;
/// 2. Trailing stop.
pub mod trailing_stop;
/// 10. VIX exit.
pub mod vix_exit;

pub use catastrophe::{Catastrophe, CatastropheInputs};
pub use delta_risk::{DeltaRisk, DeltaRiskInputs};
pub use dte_roll::{DteRoll, DteRollInputs};
pub use expiry_protection::{ExpiryProtection, ExpiryProtectionInputs};
pub use gamma_risk::{GammaRisk, GammaRiskInputs};
pub use iv_change::{IvChange, IvChangeInputs};
pub use portfolio_limits::{PortfolioLimitsInputs, PortfolioLimitsRule};
pub use stop_loss::{StopLoss, StopLossInputs};
pub use take_profit::{TakeProfit, TakeProfitInputs};
pub use time_exit::{TimeExit, TimeExitInputs};
pub use trailing_stop::{TrailingStop, TrailingStopInputs};
pub use vix_exit::{VixExit, VixExitInputs};

/// What a rule that fired asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fired {
    pub action: Action,
    pub urgency: Urgency,
    pub evidence: Evidence,
}

/// One rule: its switch, its check and its parameter validation.
pub(crate) trait ExitRule {
    /// Whether the rule takes part.
    fn enabled(&self) -> bool;
    /// Fires or not. Pure: reads the context and the state only.
    fn check(&self, ctx: &RuleContext<'_>, state: &ExitState) -> Option<Fired>;
    /// Appends one message per bad parameter, naming the key.
    fn validate(&self, errs: &mut Vec<String>);
    /// How close the rule is to firing, for people watching: 0 far, 1 at
    /// the threshold (the check fires there). `None` when the rule has no
    /// one-number distance (time of day, VIX jumps, portfolio signals).
    fn proximity(&self, _ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        None
    }
}

/// `value / threshold`, clamped to 0..=1 (0 for a non-positive threshold).
pub(crate) fn ratio(value: f64, threshold: f64) -> f64 {
    if threshold > 0.0 && value.is_finite() {
        (value / threshold).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Numbers derived once per evaluation and shared by the rules.
#[derive(Debug)]
pub(crate) struct RuleContext<'a> {
    pub view: &'a PositionView<'a>,
    /// New York wall time now.
    pub ny: DateTime,
    /// Open P&L of the whole position at the configured mark.
    pub pnl: Money,
    /// Net premium at entry: positive credit, negative debit.
    pub entry_premium: Money,
    /// Max profit at expiry from the entry prices (`Unlimited` when the
    /// structure has no single-expiry payoff).
    pub max_profit: Bound,
    /// Seconds since entry.
    pub held_secs: i64,
}

impl<'a> RuleContext<'a> {
    pub(crate) fn new(view: &'a PositionView<'a>, mark: PnlMark) -> Self {
        let s = view.structure;
        let q = i128::from(s.quantity().get());
        let pnl: i128 = s
            .legs()
            .iter()
            .zip(view.legs)
            .zip(&view.entry.leg_prices)
            .map(|((leg, m), entry)| {
                let exit = match mark {
                    PnlMark::Mid => m.mid(),
                    // Closing sells what is long at the bid and buys back
                    // what is short at the ask.
                    PnlMark::Natural if leg.is_long() => m.bid,
                    PnlMark::Natural => m.ask,
                };
                i128::from(leg.ratio)
                    * i128::from(leg.multiplier)
                    * q
                    * (i128::from(exit.raw()) - i128::from(entry.raw()))
            })
            .sum();
        let clamp =
            |v: i128| Money::from_raw(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
        let entry_premium = s.net_premium(&view.entry.leg_prices).unwrap_or(Money::ZERO);
        let max_profit = s
            .payoff(&view.entry.leg_prices)
            .map_or(Bound::Unlimited, |p| p.max_profit());
        RuleContext {
            view,
            ny: crate::structure::model_ny_wall(view.now),
            pnl: clamp(pnl),
            entry_premium,
            max_profit,
            held_secs: view.now.secs() - view.entry.time.secs(),
        }
    }

    pub(crate) fn spot(&self) -> f64 {
        self.view.underlying.to_f64()
    }

    /// Years since entry, ACT/365.
    pub(crate) fn held_years(&self) -> f64 {
        year_fraction(self.view.entry.time, self.view.now).max(0.0)
    }

    /// Units of the underlying per $1 of a leg, for the whole position.
    pub(crate) fn units(&self, leg: &Leg) -> f64 {
        f64::from(leg.ratio)
            * f64::from(leg.multiplier)
            * self.view.structure.quantity().get() as f64
    }

    /// Position delta in shares, its delta hedge included.
    pub(crate) fn position_delta(&self) -> f64 {
        let legs: f64 = self
            .view
            .structure
            .legs()
            .iter()
            .zip(self.view.legs)
            .map(|(l, m)| self.units(l) * m.delta)
            .sum();
        legs + self.view.hedge_shares as f64
    }

    /// Position gamma in shares per $1.
    pub(crate) fn position_gamma(&self) -> f64 {
        self.view
            .structure
            .legs()
            .iter()
            .zip(self.view.legs)
            .map(|(l, m)| self.units(l) * m.gamma)
            .sum()
    }

    /// Contracts (units of the structure), as a float divisor.
    pub(crate) fn quantity(&self) -> f64 {
        self.view.structure.quantity().get() as f64
    }
}

/// `m × fraction`, rounded at 10^-8 (fractions to a millionth).
pub(crate) fn fraction_of(m: Money, fraction: f64) -> Money {
    m.mul_div((fraction * 1e6).round() as i64, 1_000_000)
}

/// `$312.00`, `-$250.00`: rounded to cents for people.
pub(crate) fn usd(m: Money) -> String {
    let c = m.round_cents();
    if c.is_negative() {
        format!("-${}", -c)
    } else {
        format!("${c}")
    }
}

/// Whether a short leg's strike is in the money at `spot`.
pub(crate) fn is_tested(right: OptionRight, strike: Price, spot: Price) -> bool {
    match right {
        OptionRight::Put => spot < strike,
        OptionRight::Call => spot > strike,
    }
}

pub(crate) fn check_fraction(key: &str, v: f64, lo: f64, hi: f64, errs: &mut Vec<String>) {
    if !(v.is_finite() && v > lo && v <= hi) {
        errs.push(format!("exits.{key} must be in ({lo}, {hi}], got {v}"));
    }
}
