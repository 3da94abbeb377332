//! Rule 12, end-of-day and expiry protection for 0DTE: on expiry day,
//! close a set number of minutes before the session close (half days
//! included, via the view's session close), and earlier if a short strike
//! is pinned (the underlying within a distance of it) in the last part of
//! the day, when assignment and gap risk outweigh the little premium left.

use jiff::SignedDuration;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};
use trade_core::Price;

use super::{ExitRule, Fired, RuleContext};
use crate::exits::{Action, Distance, Evidence, ExitState, Urgency};

/// Rule 12 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExpiryProtection {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Close this many minutes before the session close on expiry day.
    pub minutes_before_close: u32,
    /// Watch for pins during this many minutes before the close.
    pub pin_window_minutes: u32,
    /// A short strike within this distance of the underlying (`Percent` of
    /// the underlying) counts as pinned.
    pub pin_distance: Option<Distance>,
}

impl Default for ExpiryProtection {
    fn default() -> Self {
        ExpiryProtection {
            enabled: true,
            minutes_before_close: 15,
            pin_window_minutes: 60,
            pin_distance: Some(Distance::Percent(0.002)),
        }
    }
}

/// What rule 12 saw when it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryProtectionInputs {
    /// The end-of-day cutoff was reached.
    EndOfDay {
        /// New York time now.
        now: Time,
        /// Session close.
        close: Time,
        /// The cutoff.
        cutoff: Time,
    },
    /// A short strike is pinned.
    Pin {
        /// Leg index.
        leg: usize,
        /// Its strike.
        strike: Price,
        /// Underlying now.
        underlying: Price,
        /// |underlying - strike|.
        distance: Price,
        /// The configured pin distance in dollars.
        within: Price,
        /// New York time now.
        now: Time,
    },
}

fn hm(t: &Time) -> String {
    t.strftime("%H:%M").to_string()
}

impl std::fmt::Display for ExpiryProtectionInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpiryProtectionInputs::EndOfDay { now, close, cutoff } => write!(
                f,
                "expiry protection: expiry day, New York time {} >= cutoff {} ({} close)",
                hm(now),
                hm(cutoff),
                hm(close)
            ),
            ExpiryProtectionInputs::Pin {
                leg,
                strike,
                underlying,
                distance,
                within,
                now,
            } => write!(
                f,
                "expiry protection: short strike {strike} (leg {leg}) pinned, underlying {underlying} is ${distance} away <= ${within} at {}",
                hm(now)
            ),
        }
    }
}

impl ExitRule for ExpiryProtection {
    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, ctx: &RuleContext<'_>, _state: &ExitState) -> Option<Fired> {
        let v = ctx.view;
        if v.dte != 0 {
            return None;
        }
        let fire = |inputs| Fired {
            action: Action::Close,
            urgency: Urgency::Immediate,
            evidence: Evidence::ExpiryProtection(inputs),
        };
        let now = ctx.ny.time();
        let close = v.session_close.unwrap_or(Time::constant(16, 0, 0, 0));
        let before = |m: u32| close.saturating_sub(SignedDuration::from_mins(i64::from(m)));
        let cutoff = before(self.minutes_before_close);
        if now >= cutoff {
            return Some(fire(ExpiryProtectionInputs::EndOfDay {
                now,
                close,
                cutoff,
            }));
        }
        if let Some(pin) = self.pin_distance
            && now >= before(self.pin_window_minutes)
        {
            for (leg, l) in v.structure.short_legs() {
                let distance = Price::from_raw((v.underlying.raw() - l.strike().raw()).abs());
                let within = pin.price(v.underlying, v.underlying, v.volatility);
                if distance <= within {
                    return Some(fire(ExpiryProtectionInputs::Pin {
                        leg,
                        strike: l.strike(),
                        underlying: v.underlying,
                        distance,
                        within,
                        now,
                    }));
                }
            }
        }
        None
    }

    fn validate(&self, errs: &mut Vec<String>) {
        if let Some(d) = self.pin_distance {
            d.validate("exits.expiry_protection.pin_distance", errs);
        }
        if self.minutes_before_close > 390 || self.pin_window_minutes > 390 {
            errs.push(format!(
                "exits.expiry_protection minutes must be within a 390-minute session, got {} and {}",
                self.minutes_before_close, self.pin_window_minutes
            ));
        }
    }
}
