//! [`Payoff`]: the profit or loss at expiry of a structure opened at given
//! leg prices, as an exact piecewise-linear function of the underlying.
//!
//! Why it is exact: at expiry every leg is worth its intrinsic value, which
//! is linear in the underlying between strikes. With prices in 10^-8
//! dollars and integer `ratio × multiplier × quantity` coefficients, the
//! value at every kink (zero and each strike) is an integer number of
//! 10^-8 dollars and the slope between kinks is an integer number of
//! shares. Extremes are therefore found exactly by looking at the kinks and
//! at the slope beyond the highest strike (the underlying cannot go below
//! zero, so the left end is the value at zero). Breakevens are the roots of
//! each linear piece, rounded to the nearest 10^-8 of the underlying, so
//! the payoff at a reported breakeven is within half a slope step
//! (`|slope| / 2` raw units, well under a cent) of zero.

use serde::{Deserialize, Serialize};
use trade_core::{Money, OptionRight, Price};

use super::{Structure, StructureError};

/// An upper or lower extreme that may be unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// A finite amount.
    Limited(Money),
    /// Grows without limit as the underlying rises.
    Unlimited,
}

impl Bound {
    /// The amount when finite.
    pub fn limited(self) -> Option<Money> {
        match self {
            Bound::Limited(m) => Some(m),
            Bound::Unlimited => None,
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Limited(m) => write!(f, "${m}"),
            Bound::Unlimited => f.write_str("unlimited"),
        }
    }
}

/// One point of a payoff diagram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiagramPoint {
    /// Underlying price.
    pub underlying: Price,
    /// Profit or loss at expiry (exact).
    pub at_expiry: Money,
    /// Model profit or loss now (the "T+0 line"), when model inputs were given.
    pub model: Option<Money>,
}

#[derive(Debug, Clone, PartialEq)]
struct PayoffLeg {
    right: OptionRight,
    strike: i64,
    /// `ratio × multiplier × quantity`: shares per $1 of intrinsic value.
    coef: i128,
}

/// Profit or loss at expiry of a position, per the whole position
/// (multipliers and quantity included), premium included.
#[derive(Debug, Clone, PartialEq)]
pub struct Payoff {
    legs: Vec<PayoffLeg>,
    /// Net premium received (raw 10^-8 dollars; negative for a debit).
    premium: i128,
    /// `(underlying raw, value raw)` at zero and at each distinct strike, ascending.
    kinks: Vec<(i64, i128)>,
    /// Shares per $1 beyond the highest strike.
    right_slope: i128,
}

/// `num / den` rounded half away from zero; `den != 0`.
fn div_round(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den.abs() {
        q + if (num < 0) == (den < 0) { 1 } else { -1 }
    } else {
        q
    }
}

fn to_money(v: i128, what: &'static str) -> Result<Money, StructureError> {
    i64::try_from(v)
        .map(Money::from_raw)
        .map_err(|_| StructureError::Overflow { what })
}

fn to_price(v: i128) -> Result<Price, StructureError> {
    i64::try_from(v)
        .map(Price::from_raw)
        .map_err(|_| StructureError::Overflow { what: "breakeven" })
}

impl Payoff {
    pub(super) fn new(s: &Structure, prices: &[Price]) -> Result<Self, StructureError> {
        s.check_prices("leg prices", prices)?;
        let first = s.legs()[0].terms.expiry;
        if let Some(i) = s.legs().iter().position(|l| l.terms.expiry != first) {
            return Err(StructureError::PayoffNeedsOneExpiry {
                leg: i,
                expected: first,
                found: s.legs()[i].terms.expiry,
            });
        }
        let q = i128::from(s.quantity().get());
        let legs: Vec<PayoffLeg> = s
            .legs()
            .iter()
            .map(|l| PayoffLeg {
                right: l.right(),
                strike: l.strike().raw(),
                coef: i128::from(l.units()) * q,
            })
            .collect();
        let premium: i128 = legs
            .iter()
            .zip(prices)
            .map(|(l, p)| -l.coef * i128::from(p.raw()))
            .sum();
        to_money(premium, "net premium")?;
        let right_slope = legs
            .iter()
            .filter(|l| l.right == OptionRight::Call)
            .map(|l| l.coef)
            .sum();
        let mut xs: Vec<i64> = std::iter::once(0)
            .chain(legs.iter().map(|l| l.strike))
            .collect();
        xs.sort_unstable();
        xs.dedup();
        let mut p = Payoff {
            legs,
            premium,
            kinks: Vec::with_capacity(xs.len()),
            right_slope,
        };
        for x in xs {
            let v = p.value_raw(x);
            to_money(v, "payoff at a strike")?;
            p.kinks.push((x, v));
        }
        Ok(p)
    }

    fn value_raw(&self, spot: i64) -> i128 {
        let s = i128::from(spot.max(0));
        self.premium
            + self
                .legs
                .iter()
                .map(|l| {
                    let k = i128::from(l.strike);
                    let intrinsic = match l.right {
                        OptionRight::Call => (s - k).max(0),
                        OptionRight::Put => (k - s).max(0),
                    };
                    l.coef * intrinsic
                })
                .sum::<i128>()
    }

    /// Profit or loss at expiry with the underlying at `spot` (values below
    /// zero are taken as zero).
    ///
    /// # Errors
    /// [`StructureError::Overflow`] when the amount leaves the money range
    /// (only for absurd spots far beyond the strikes).
    pub fn value_at(&self, spot: Price) -> Result<Money, StructureError> {
        to_money(self.value_raw(spot.raw()), "payoff")
    }

    /// Net premium: positive is a credit received, negative a debit paid.
    pub fn net_premium(&self) -> Money {
        // `new` checked that the premium fits.
        Money::from_raw(i64::try_from(self.premium).unwrap_or(i64::MAX))
    }

    /// The kinks: `(underlying, value)` at zero and at each distinct strike.
    pub fn kinks(&self) -> Vec<(Price, Money)> {
        self.kinks
            .iter()
            .map(|&(x, v)| {
                (
                    Price::from_raw(x),
                    Money::from_raw(i64::try_from(v).unwrap_or(0)),
                )
            })
            .collect()
    }

    /// Shares per $1 of the underlying beyond the highest strike (the slope
    /// of the last piece); positive means unlimited profit, negative
    /// unlimited loss.
    pub fn slope_above(&self) -> i128 {
        self.right_slope
    }

    /// The largest profit at expiry.
    pub fn max_profit(&self) -> Bound {
        if self.right_slope > 0 {
            return Bound::Unlimited;
        }
        let v = self.kinks.iter().map(|k| k.1).max().unwrap_or(self.premium);
        Bound::Limited(Money::from_raw(i64::try_from(v).unwrap_or(i64::MAX)))
    }

    /// The largest loss at expiry, as a positive amount (negative if the
    /// position cannot lose, which only mispriced inputs produce).
    pub fn max_loss(&self) -> Bound {
        if self.right_slope < 0 {
            return Bound::Unlimited;
        }
        let v = self.kinks.iter().map(|k| k.1).min().unwrap_or(self.premium);
        Bound::Limited(Money::from_raw(i64::try_from(-v).unwrap_or(i64::MAX)))
    }

    /// Underlying prices at which the payoff is zero, ascending: the roots
    /// of each linear piece (rounded to 10^-8) and any kink where the
    /// payoff is exactly zero.
    pub fn breakevens(&self) -> Vec<Price> {
        let mut out: Vec<i128> = Vec::new();
        for w in self.kinks.windows(2) {
            let ((x0, v0), (x1, v1)) = (w[0], w[1]);
            if v0 == 0 {
                out.push(i128::from(x0));
            }
            if (v0 < 0 && v1 > 0) || (v0 > 0 && v1 < 0) {
                // The slope between kinks is an integer number of shares.
                let slope = (v1 - v0) / (i128::from(x1) - i128::from(x0));
                out.push(i128::from(x0) + div_round(-v0, slope));
            }
        }
        if let Some(&(x, v)) = self.kinks.last() {
            let s = self.right_slope;
            if v == 0 {
                out.push(i128::from(x));
            } else if (v < 0 && s > 0) || (v > 0 && s < 0) {
                out.push(i128::from(x) + div_round(-v, s));
            }
        }
        out.sort_unstable();
        out.dedup();
        out.into_iter().filter_map(|r| to_price(r).ok()).collect()
    }

    /// Points for a payoff diagram between `lo` and `hi`: `steps + 1`
    /// evenly spaced prices plus every strike inside the range, so the
    /// corners are drawn exactly. `model` is left `None`.
    ///
    /// # Errors
    /// [`StructureError::Overflow`] for absurd ranges.
    pub fn points(
        &self,
        lo: Price,
        hi: Price,
        steps: usize,
    ) -> Result<Vec<DiagramPoint>, StructureError> {
        let (lo, hi) = (lo.raw().min(hi.raw()).max(0), hi.raw().max(lo.raw()).max(0));
        let n = steps.max(1) as i128;
        let mut xs: Vec<i64> = (0..=n)
            .map(|i| (i128::from(lo) + div_round((i128::from(hi) - i128::from(lo)) * i, n)) as i64)
            .chain(self.kinks.iter().map(|k| k.0).filter(|&x| x > lo && x < hi))
            .collect();
        xs.sort_unstable();
        xs.dedup();
        xs.into_iter()
            .map(|x| {
                Ok(DiagramPoint {
                    underlying: Price::from_raw(x),
                    at_expiry: to_money(self.value_raw(x), "payoff")?,
                    model: None,
                })
            })
            .collect()
    }
}
