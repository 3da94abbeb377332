//! Choosing one strike of an expiry by a [`StrikeRule`].

use serde::{Deserialize, Serialize};
use trade_core::{OptionRight, Price};

use super::{BuildError, ExpiryQuotes, StrikeQuote};

/// A distance from the underlying price.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Offset {
    /// Dollars of the underlying.
    Points(Price),
    /// Fraction of the underlying price (0.02 = 2%).
    Percent(f64),
}

/// How to choose the strike of a leg.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrikeRule {
    /// The usable strike whose |delta| is nearest `target` (ties go to the
    /// smaller |delta|, further out of the money); fails if the nearest is
    /// further than `tolerance` from the target.
    Delta {
        /// Target |delta|, in (0, 1).
        target: f64,
        /// Largest accepted | |delta| - target |.
        tolerance: f64,
    },
    /// The first usable strike at least this far out of the money: for
    /// puts the highest strike at or below `spot - offset`, for calls the
    /// lowest at or above `spot + offset`.
    Distance(Offset),
}

impl StrikeRule {
    pub(crate) fn validate(&self, field: &'static str) -> Result<(), BuildError> {
        let bad = |value: String, expected| BuildError::BadSpec {
            field,
            value,
            expected,
        };
        match *self {
            StrikeRule::Delta { target, tolerance } => {
                if !(target > 0.0 && target < 1.0) {
                    return Err(bad(
                        format!("target {target}"),
                        "a |delta| target in (0, 1)",
                    ));
                }
                if !(tolerance.is_finite() && tolerance >= 0.0) {
                    return Err(bad(format!("tolerance {tolerance}"), "a tolerance >= 0"));
                }
            }
            StrikeRule::Distance(Offset::Percent(p)) => {
                if !(p.is_finite() && p > -1.0 && p < 1.0) {
                    return Err(bad(format!("percent {p}"), "a fraction in (-1, 1)"));
                }
            }
            StrikeRule::Distance(Offset::Points(_)) => {}
        }
        Ok(())
    }

    fn describe(&self) -> String {
        match self {
            StrikeRule::Delta { target, tolerance } => format!("|delta| {target} ± {tolerance}"),
            StrikeRule::Distance(Offset::Points(p)) => format!("{p} points out of the money"),
            StrikeRule::Distance(Offset::Percent(p)) => {
                format!("{:.2}% out of the money", p * 100.0)
            }
        }
    }
}

/// The strike level `offset` beyond `spot` on the out-of-the-money side.
fn level(spot: Price, right: OptionRight, offset: Offset) -> Price {
    let sign: i64 = match right {
        OptionRight::Put => -1,
        OptionRight::Call => 1,
    };
    match offset {
        Offset::Points(p) => Price::from_raw(spot.raw().saturating_add(sign * p.raw())),
        Offset::Percent(f) => spot.offset_ppm(sign * (f * 1e6).round() as i64),
    }
}

/// Chooses the strike of `right` that `rule` asks for.
pub(crate) fn select(
    quotes: &ExpiryQuotes,
    right: OptionRight,
    rule: StrikeRule,
) -> Result<&StrikeQuote, BuildError> {
    let not_found = |nearest: Option<&StrikeQuote>| BuildError::NoStrikeNearTarget {
        right,
        wanted: rule.describe(),
        nearest: nearest.map(|q| (q.strike, q.delta)),
    };
    match rule {
        StrikeRule::Delta { target, tolerance } => {
            let key = |q: &StrikeQuote| ((q.delta.abs() - target).abs(), q.delta.abs());
            let best = quotes.usable(right).min_by(|a, b| {
                key(a)
                    .partial_cmp(&key(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            match best {
                Some(q) if key(q).0 <= tolerance => Ok(q),
                other => Err(not_found(other)),
            }
        }
        StrikeRule::Distance(offset) => {
            let lvl = level(quotes.spot, right, offset);
            let chosen = match right {
                OptionRight::Put => quotes
                    .usable(right)
                    .filter(|q| q.strike <= lvl)
                    .max_by_key(|q| q.strike),
                OptionRight::Call => quotes
                    .usable(right)
                    .filter(|q| q.strike >= lvl)
                    .min_by_key(|q| q.strike),
            };
            chosen.ok_or_else(|| {
                let nearest = quotes
                    .usable(right)
                    .min_by_key(|q| (q.strike.raw() - lvl.raw()).unsigned_abs());
                not_found(nearest)
            })
        }
    }
}

/// The wing of `from` at `width` further out of the money.
pub(crate) fn wing(
    quotes: &ExpiryQuotes,
    from: &StrikeQuote,
    width: Price,
) -> Result<StrikeQuote, BuildError> {
    let wanted = match from.right {
        OptionRight::Put => from.strike.checked_sub(width),
        OptionRight::Call => from.strike.checked_add(width),
    }
    .unwrap_or(Price::ZERO);
    quotes
        .find(from.right, wanted)
        .copied()
        .ok_or(BuildError::WingMissing {
            right: from.right,
            from: from.strike,
            width,
            wanted,
        })
}

pub(crate) fn positive_width(field: &'static str, width: Price) -> Result<(), BuildError> {
    if width <= Price::ZERO {
        return Err(BuildError::BadSpec {
            field,
            value: width.to_string(),
            expected: "a positive width",
        });
    }
    Ok(())
}

pub(crate) fn check_spot(quotes: &ExpiryQuotes) -> Result<(), BuildError> {
    if quotes.spot <= Price::ZERO {
        return Err(BuildError::BadSpot(quotes.spot));
    }
    Ok(())
}
