//! Rule 1, catastrophe: the underlying has moved N standard deviations
//! since entry, or has gone X beyond a short strike. Closes at once.
//!
//! The sigma move is `|ln(S / S_entry)| / (vol × √t)` with `t` the time
//! since entry (ACT/365) but at least one session (1/252 year), so a fresh
//! position is judged against a one-day move rather than an instant, and a
//! long-held one against the move its holding time makes ordinary.

use serde::{Deserialize, Serialize};
use trade_core::{OptionRight, Price};

use super::{ExitRule, Fired, RuleContext};
use crate::exits::distance::SESSIONS_PER_YEAR;
use crate::exits::{Action, Distance, Evidence, ExitState, Urgency};

/// Rule 1 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Catastrophe {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Fire at this many standard deviations of move since entry.
    pub max_sigma_move: Option<f64>,
    /// Fire when the underlying is this far beyond a short strike
    /// (`Percent` is of the strike; 0 fires at the strike itself).
    pub short_strike_breach: Option<Distance>,
}

impl Default for Catastrophe {
    fn default() -> Self {
        Catastrophe {
            enabled: true,
            max_sigma_move: Some(3.0),
            short_strike_breach: Some(Distance::Percent(0.005)),
        }
    }
}

/// What rule 1 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatastropheInputs {
    /// An N-sigma move.
    SigmaMove {
        /// Underlying now.
        underlying: Price,
        /// Underlying at entry.
        entry_underlying: Price,
        /// Log move.
        log_move: f64,
        /// Annual vol used.
        volatility: f64,
        /// Horizon in sessions (at least 1).
        horizon_sessions: f64,
        /// The move in standard deviations.
        sigmas: f64,
        /// The limit.
        limit: f64,
    },
    /// A short strike breached.
    StrikeBreach {
        /// Leg index.
        leg: usize,
        /// Its right.
        right: OptionRight,
        /// Its strike.
        strike: Price,
        /// Underlying now.
        underlying: Price,
        /// Dollars beyond the strike.
        beyond: Price,
        /// The configured cushion in dollars.
        cushion: Price,
    },
}

impl std::fmt::Display for CatastropheInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CatastropheInputs::SigmaMove {
                underlying,
                entry_underlying,
                log_move,
                volatility,
                horizon_sessions,
                sigmas,
                limit,
            } => write!(
                f,
                "catastrophe: underlying {entry_underlying} -> {underlying} ({:+.2}%) is a {sigmas:.2}-sigma move over {horizon_sessions:.2} sessions at {:.1}% vol >= {limit}",
                log_move.exp_m1() * 100.0,
                volatility * 100.0
            ),
            CatastropheInputs::StrikeBreach {
                leg,
                right,
                strike,
                underlying,
                beyond,
                cushion,
            } => write!(
                f,
                "catastrophe: underlying {underlying} is ${beyond} beyond short {right:?} strike {strike} (leg {leg}) >= ${cushion}"
            ),
        }
    }
}

impl ExitRule for Catastrophe {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let v = ctx.view;
        let fire = |inputs| Fired {
            action: Action::Close,
            urgency: Urgency::Immediate,
            evidence: Evidence::Catastrophe(inputs),
        };
        if let Some(limit) = self.max_sigma_move
            && v.volatility > 0.0
        {
            let years = ctx.held_years().max(1.0 / SESSIONS_PER_YEAR);
            let log_move = (ctx.spot() / v.entry.underlying.to_f64()).ln();
            let sigmas = log_move.abs() / (v.volatility * years.sqrt());
            if sigmas >= limit {
                return Some(fire(CatastropheInputs::SigmaMove {
                    underlying: v.underlying,
                    entry_underlying: v.entry.underlying,
                    log_move,
                    volatility: v.volatility,
                    horizon_sessions: years * SESSIONS_PER_YEAR,
                    sigmas,
                    limit,
                }));
            }
        }
        if let Some(cushion) = self.short_strike_breach {
            for (leg, l) in v.structure.short_legs() {
                let (k, s) = (l.strike().raw(), v.underlying.raw());
                let beyond = Price::from_raw(match l.right() {
                    OptionRight::Put => k - s,
                    OptionRight::Call => s - k,
                });
                let need = cushion.price(l.strike(), v.underlying, v.volatility);
                if beyond >= need {
                    return Some(fire(CatastropheInputs::StrikeBreach {
                        leg,
                        right: l.right(),
                        strike: l.strike(),
                        underlying: v.underlying,
                        beyond,
                        cushion: need,
                    }));
                }
            }
        }
        None
    }

    /// The largest of: the move in sigmas over its limit, and for each
    /// short strike, how much of the way from the entry price to the breach
    /// level the underlying has travelled.
    fn proximity(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<f64> {
        let v = ctx.view;
        let mut closest: Option<f64> = None;
        let mut note = |p: f64| closest = Some(closest.map_or(p, |c| c.max(p)));
        if let Some(limit) = self.max_sigma_move
            && v.volatility > 0.0
        {
            let years = ctx.held_years().max(1.0 / SESSIONS_PER_YEAR);
            let log_move = (ctx.spot() / v.entry.underlying.to_f64()).ln();
            note(super::ratio(
                log_move.abs() / (v.volatility * years.sqrt()),
                limit,
            ));
        }
        if let Some(cushion) = self.short_strike_breach {
            for (_, l) in v.structure.short_legs() {
                let need = cushion
                    .price(l.strike(), v.underlying, v.volatility)
                    .to_f64();
                let k = l.strike().to_f64();
                // Signed room left before the breach level, now and at entry.
                let room = |s: f64| match l.right() {
                    OptionRight::Put => s - (k - need),
                    OptionRight::Call => (k + need) - s,
                };
                let (now, then) = (room(ctx.spot()), room(v.entry.underlying.to_f64()));
                if then > 0.0 {
                    note(super::ratio(then - now, then));
                }
            }
        }
        closest
    }

    fn validate(&self, errs: &mut Vec<String>) {
        if let Some(n) = self.max_sigma_move
            && !(n.is_finite() && n > 0.0)
        {
            errs.push(format!(
                "exits.catastrophe.max_sigma_move must be > 0, got {n}"
            ));
        }
        if let Some(d) = self.short_strike_breach {
            d.validate("exits.catastrophe.short_strike_breach", errs);
        }
    }
}
