//! Multi-leg (combo) order matching against the legs' quotes.
//!
//! A combo is priced as one net amount per unit of the underlying, debit
//! positive and credit negative, the convention of IB's BAG orders: an
//! iron condor sold for $1.25 is a combo with limit `-1.25`. The simulated
//! market fills it all-or-none, or leg by leg with a rollback when a leg
//! cannot trade.
//!
//! The fill rule: with `natural` the net of buying every long leg at its ask
//! and selling every short leg at its bid, and `mid` the net at the legs'
//! mids, a combo fills when its limit is at least
//! `mid + fill_fraction * (natural - mid)`, at its limit (or at natural when
//! the limit is better than natural). `fill_fraction` 0 fills at mid, 1 only
//! at natural; market makers in liquid index options typically fill spreads
//! somewhere between.

use serde::{Deserialize, Serialize};
use trade_core::{InstrumentId, Price};

/// One leg of a combo: `ratio` units of `instrument` per combo unit, bought
/// when positive, sold when negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComboLeg {
    /// The leg's contract.
    pub instrument: InstrumentId,
    /// Signed units per combo unit (+1 buy one, -1 sell one, -2 sell two).
    pub ratio: i32,
}

/// A leg's quote at the matching instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegQuote {
    /// Best bid (zero when nobody bids).
    pub bid: Price,
    /// Best ask.
    pub ask: Price,
}

/// How a combo reaches the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComboMode {
    /// One order for the whole structure; all legs fill together or none.
    #[default]
    AllOrNone,
    /// Each leg is sent on its own, at its natural price, in leg order; if a
    /// leg cannot trade, the legs that did are closed again.
    Legging,
}

/// The simulated market's willingness to fill combos.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComboFillConfig {
    /// Where between mid (0) and natural (1) a combo's limit must be to fill.
    #[serde(default = "default_fill_fraction")]
    pub fill_fraction: f64,
    /// All-or-none or legging.
    #[serde(default)]
    pub mode: ComboMode,
}

fn default_fill_fraction() -> f64 {
    0.5
}

impl Default for ComboFillConfig {
    fn default() -> Self {
        ComboFillConfig {
            fill_fraction: default_fill_fraction(),
            mode: ComboMode::AllOrNone,
        }
    }
}

impl ComboFillConfig {
    /// Checks the fraction is in [0, 1].
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.fill_fraction.is_finite() && (0.0..=1.0).contains(&self.fill_fraction) {
            Ok(())
        } else {
            Err(format!(
                "combo.fill_fraction must be in [0, 1] (0 = mid, 1 = natural), got {}",
                self.fill_fraction
            ))
        }
    }
}

/// Why a combo did not fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoFill {
    /// The legs and quotes differ in number, or there are no legs.
    Malformed,
    /// A leg has no tradeable quote on the side it needs (no bid to sell
    /// into, no ask to buy from, or a crossed quote).
    NoQuote {
        /// Index of the leg.
        leg: usize,
    },
    /// The limit is not good enough.
    LimitNotReached {
        /// The net the market requires to fill.
        required: Price,
    },
}

/// The result of matching one combo against quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComboOutcome {
    /// Every leg traded; `leg_prices[i]` is leg `i`'s price.
    Filled {
        /// Per-leg execution prices, each within its leg's bid/ask.
        leg_prices: Vec<Price>,
        /// The net achieved, `sum(ratio * price)`.
        net: Price,
    },
    /// Nothing traded.
    NotFilled(NoFill),
    /// Legging: legs `0..failed_leg` traded at `opened`, leg `failed_leg`
    /// could not, and the opened legs were closed again at `rolled_back`.
    RolledBack {
        /// Prices the first legs traded at.
        opened: Vec<Price>,
        /// The leg that failed.
        failed_leg: usize,
        /// Prices the opened legs were closed at (opposite side).
        rolled_back: Vec<Price>,
    },
}

/// The side of the book a leg trades against: buys lift the ask, sells hit
/// the bid. `None` when that side is empty or the quote is crossed.
fn natural_price(ratio: i32, q: LegQuote) -> Option<Price> {
    if q.bid.raw() < 0 || q.ask.raw() <= 0 || q.bid > q.ask {
        return None;
    }
    match ratio {
        r if r > 0 => Some(q.ask),
        r if r < 0 && q.bid.raw() > 0 => Some(q.bid),
        _ => None,
    }
}

/// The price to close a leg opened at its natural price: the opposite side.
fn closing_price(ratio: i32, q: LegQuote) -> Price {
    if ratio > 0 { q.bid } else { q.ask }
}

/// Matches one combo (per unit; the caller books `qty` units) against the
/// legs' quotes.
pub fn match_combo(
    legs: &[ComboLeg],
    limit: Price,
    quotes: &[LegQuote],
    tick: Price,
    cfg: &ComboFillConfig,
) -> ComboOutcome {
    if legs.is_empty() || legs.len() != quotes.len() || legs.iter().any(|l| l.ratio == 0) {
        return ComboOutcome::NotFilled(NoFill::Malformed);
    }
    match cfg.mode {
        ComboMode::AllOrNone => all_or_none(legs, limit, quotes, tick, cfg.fill_fraction),
        ComboMode::Legging => legging(legs, limit, quotes),
    }
}

fn all_or_none(
    legs: &[ComboLeg],
    limit: Price,
    quotes: &[LegQuote],
    tick: Price,
    fill_fraction: f64,
) -> ComboOutcome {
    let mut natural = 0i128;
    let mut mid2 = 0i128; // twice the mid net: mids may be half a raw unit
    let mut prices = Vec::with_capacity(legs.len());
    for (i, (l, q)) in legs.iter().zip(quotes).enumerate() {
        let Some(p) = natural_price(l.ratio, *q) else {
            return ComboOutcome::NotFilled(NoFill::NoQuote { leg: i });
        };
        let r = i128::from(l.ratio);
        natural += r * i128::from(p.raw());
        mid2 += r * (i128::from(q.bid.raw()) + i128::from(q.ask.raw()));
        prices.push(p);
    }
    // required = mid + f * (natural - mid), rounded up to the tick against
    // the trader so a fill never beats the configured edge.
    let half_spread = natural as f64 - mid2 as f64 / 2.0;
    let required_raw = (mid2 as f64 / 2.0 + fill_fraction * half_spread).ceil();
    let tick_raw = tick.raw().max(1) as f64;
    let required_raw = ((required_raw / tick_raw).ceil() * tick_raw).min(natural as f64);
    let required = Price::from_raw(required_raw as i64);
    if limit < required {
        return ComboOutcome::NotFilled(NoFill::LimitNotReached { required });
    }
    let target = i128::from(limit.raw()).min(natural);
    // Start every leg at its natural price and give back the improvement
    // (natural - target) one tick at a time, round-robin over the legs, so
    // that each leg ends near its mid rather than one leg at its far side.
    let tick_i = i128::from(tick.raw().max(1));
    let mut improve = natural - target;
    let mut room: Vec<i128> = quotes
        .iter()
        .map(|q| i128::from(q.ask.raw() - q.bid.raw()) / tick_i)
        .collect();
    let step = |ratio: i32, p: Price| {
        let d = if ratio > 0 { -tick.raw() } else { tick.raw() };
        Price::from_raw(p.raw() + d)
    };
    while improve > 0 {
        let mut moved = false;
        for (i, l) in legs.iter().enumerate() {
            let r = i128::from(l.ratio.unsigned_abs());
            if room[i] > 0 && improve >= r * tick_i {
                prices[i] = step(l.ratio, prices[i]);
                room[i] -= 1;
                improve -= r * tick_i;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    if improve > 0 {
        // A ratio leg left less than its own tick step: improve one leg by
        // one more tick (a price improvement for the trader) where the
        // spread allows.
        match (0..legs.len()).find(|&i| room[i] > 0) {
            Some(i) => prices[i] = step(legs[i].ratio, prices[i]),
            // Off-tick quotes can leave no room to reach the limit.
            None => {
                return ComboOutcome::NotFilled(NoFill::LimitNotReached {
                    required: Price::from_raw((target + improve) as i64),
                });
            }
        }
    }
    let net: i128 = legs
        .iter()
        .zip(&prices)
        .map(|(l, p)| i128::from(l.ratio) * i128::from(p.raw()))
        .sum();
    ComboOutcome::Filled {
        leg_prices: prices,
        net: Price::from_raw(net as i64),
    }
}

fn legging(legs: &[ComboLeg], limit: Price, quotes: &[LegQuote]) -> ComboOutcome {
    // The structure must be affordable at natural before the first leg goes
    // out; a leg without a quote is only discovered in its turn.
    let natural: i128 = legs
        .iter()
        .zip(quotes)
        .filter_map(|(l, q)| {
            natural_price(l.ratio, *q).map(|p| i128::from(l.ratio) * i128::from(p.raw()))
        })
        .sum();
    if natural > i128::from(limit.raw()) {
        return ComboOutcome::NotFilled(NoFill::LimitNotReached {
            required: Price::from_raw(natural as i64),
        });
    }
    let mut opened = Vec::with_capacity(legs.len());
    for (i, (l, q)) in legs.iter().zip(quotes).enumerate() {
        match natural_price(l.ratio, *q) {
            Some(p) => opened.push(p),
            None if i == 0 => return ComboOutcome::NotFilled(NoFill::NoQuote { leg: 0 }),
            None => {
                let rolled_back = legs[..i]
                    .iter()
                    .zip(&quotes[..i])
                    .map(|(l, q)| closing_price(l.ratio, *q))
                    .collect();
                return ComboOutcome::RolledBack {
                    opened,
                    failed_leg: i,
                    rolled_back,
                };
            }
        }
    }
    let net = legs
        .iter()
        .zip(&opened)
        .map(|(l, p)| i128::from(l.ratio) * i128::from(p.raw()))
        .sum::<i128>();
    ComboOutcome::Filled {
        leg_prices: opened,
        net: Price::from_raw(net as i64),
    }
}

#[cfg(test)]
mod tests;
