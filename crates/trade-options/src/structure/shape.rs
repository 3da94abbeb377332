//! [`Structure`]: legs, kind and contract count, validated on construction
//! (and on deserialisation) against the rules of its [`StructureKind`].

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_core::{Money, OptionRight, Price, Qty, Symbol};

use super::{Leg, Payoff, StructureError};

/// The four vertical spreads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerticalKind {
    /// Short put, long lower put: a credit, profits when the underlying holds up.
    BullPut,
    /// Short call, long higher call: a credit, profits when it stays down.
    BearCall,
    /// Long call, short higher call: a debit, profits when it rises.
    BullCall,
    /// Long put, short lower put: a debit, profits when it falls.
    BearPut,
}

impl VerticalKind {
    /// The right both legs have.
    pub fn right(self) -> OptionRight {
        match self {
            VerticalKind::BullPut | VerticalKind::BearPut => OptionRight::Put,
            VerticalKind::BearCall | VerticalKind::BullCall => OptionRight::Call,
        }
    }

    /// Whether the spread is opened for a credit (the short leg is nearer
    /// the money).
    pub fn is_credit(self) -> bool {
        matches!(self, VerticalKind::BullPut | VerticalKind::BearCall)
    }

    /// Whether the short leg has the higher strike.
    fn short_strike_is_higher(self) -> bool {
        matches!(self, VerticalKind::BullPut | VerticalKind::BullCall)
    }
}

/// What a structure is; decides which shape rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructureKind {
    /// Long put < short put < short call < long call, equal ratios, one expiry.
    IronCondor,
    /// Two legs of one right, one expiry, opposite equal ratios.
    Vertical(VerticalKind),
    /// Any legs on one underlying (expiries may differ: calendars,
    /// diagonals). With `defined_risk`, more calls sold than bought is
    /// refused.
    Custom {
        /// Whether the maximum loss must be bounded.
        defined_risk: bool,
    },
}

impl StructureKind {
    /// Whether all legs must share one expiry.
    pub fn needs_one_expiry(self) -> bool {
        !matches!(self, StructureKind::Custom { .. })
    }

    /// Whether the maximum loss must be bounded.
    pub fn needs_defined_risk(self) -> bool {
        match self {
            StructureKind::Custom { defined_risk } => defined_risk,
            _ => true,
        }
    }
}

impl fmt::Display for StructureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StructureKind::IronCondor => "iron condor",
            StructureKind::Vertical(VerticalKind::BullPut) => "bull put spread",
            StructureKind::Vertical(VerticalKind::BearCall) => "bear call spread",
            StructureKind::Vertical(VerticalKind::BullCall) => "bull call spread",
            StructureKind::Vertical(VerticalKind::BearPut) => "bear put spread",
            StructureKind::Custom { defined_risk: true } => "custom (defined risk)",
            StructureKind::Custom {
                defined_risk: false,
            } => "custom",
        })
    }
}

/// A multi-leg option position: it owns its legs and a contract count.
///
/// Built only through [`Structure::new`] (deserialisation goes through it
/// too), so a value of this type always satisfies its kind's rules.
/// Leg order is the caller's and is kept: every per-leg input of an
/// analysis (prices, Greeks, marks) is given in this order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawStructure")]
pub struct Structure {
    kind: StructureKind,
    legs: Vec<Leg>,
    quantity: Qty,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStructure {
    kind: StructureKind,
    legs: Vec<Leg>,
    quantity: Qty,
}

impl TryFrom<RawStructure> for Structure {
    type Error = StructureError;
    fn try_from(raw: RawStructure) -> Result<Self, Self::Error> {
        Structure::new(raw.kind, raw.legs, raw.quantity)
    }
}

fn describe_legs(legs: &[Leg]) -> String {
    let parts: Vec<String> = legs.iter().map(Leg::describe).collect();
    format!("[{}]", parts.join(", "))
}

impl Structure {
    /// Validates and builds a structure.
    ///
    /// # Errors
    /// [`StructureError`] naming the leg and the problem: no legs, zero
    /// quantity, zero ratio or multiplier, non-positive strike, mixed
    /// underlyings, mixed expiries (iron condor, verticals), the same
    /// contract twice, a shape that is not the kind's, crossed or equal
    /// strikes, or an unbounded loss where the kind needs defined risk.
    pub fn new(kind: StructureKind, legs: Vec<Leg>, quantity: Qty) -> Result<Self, StructureError> {
        if legs.is_empty() {
            return Err(StructureError::NoLegs { kind });
        }
        if quantity.is_zero() {
            return Err(StructureError::ZeroQuantity { kind });
        }
        let first = &legs[0].terms;
        for (i, leg) in legs.iter().enumerate() {
            if leg.ratio == 0 {
                return Err(StructureError::ZeroRatio {
                    kind,
                    leg: i,
                    desc: leg.describe(),
                });
            }
            if leg.multiplier == 0 {
                return Err(StructureError::ZeroMultiplier {
                    kind,
                    leg: i,
                    desc: leg.describe(),
                });
            }
            if leg.terms.strike <= Price::ZERO {
                return Err(StructureError::NonPositiveStrike {
                    kind,
                    leg: i,
                    strike: leg.terms.strike,
                });
            }
            if leg.terms.underlying != first.underlying {
                return Err(StructureError::MixedUnderlyings {
                    kind,
                    leg: i,
                    expected: first.underlying.clone(),
                    found: leg.terms.underlying.clone(),
                });
            }
            if kind.needs_one_expiry() && leg.terms.expiry != first.expiry {
                return Err(StructureError::MixedExpiries {
                    kind,
                    leg: i,
                    expected: first.expiry,
                    found: leg.terms.expiry,
                });
            }
            if let Some(j) = legs[..i].iter().position(|o| o.terms == leg.terms) {
                return Err(StructureError::DuplicateContract {
                    kind,
                    leg: i,
                    first: j,
                    desc: leg.describe(),
                });
            }
        }
        match kind {
            StructureKind::IronCondor => check_iron_condor(kind, &legs)?,
            StructureKind::Vertical(v) => check_vertical(kind, v, &legs)?,
            StructureKind::Custom { .. } => {}
        }
        let s = Structure {
            kind,
            legs,
            quantity,
        };
        if kind.needs_defined_risk() && !s.has_defined_risk() {
            return Err(StructureError::UndefinedRisk {
                kind,
                net_call_units: s.net_call_units(),
            });
        }
        Ok(s)
    }

    /// The same legs with another contract count.
    ///
    /// # Errors
    /// [`StructureError::ZeroQuantity`] for zero.
    pub fn with_quantity(&self, quantity: Qty) -> Result<Self, StructureError> {
        if quantity.is_zero() {
            return Err(StructureError::ZeroQuantity { kind: self.kind });
        }
        Ok(Structure {
            quantity,
            ..self.clone()
        })
    }

    /// The kind.
    pub fn kind(&self) -> StructureKind {
        self.kind
    }

    /// The legs, in the order every per-leg input uses.
    pub fn legs(&self) -> &[Leg] {
        &self.legs
    }

    /// Contract count (units of the structure).
    pub fn quantity(&self) -> Qty {
        self.quantity
    }

    /// The underlying all legs share.
    pub fn underlying(&self) -> &Symbol {
        &self.legs[0].terms.underlying
    }

    /// The earliest expiry among the legs (the only one for single-expiry
    /// structures).
    pub fn nearest_expiry(&self) -> Date {
        self.legs
            .iter()
            .map(|l| l.terms.expiry)
            .min()
            .unwrap_or(self.legs[0].terms.expiry)
    }

    /// Indices and legs that are sold.
    pub fn short_legs(&self) -> impl Iterator<Item = (usize, &Leg)> {
        self.legs.iter().enumerate().filter(|(_, l)| l.is_short())
    }

    /// Sum of `ratio * multiplier` over the call legs, per unit: the slope
    /// of the payoff (in shares) far above every strike. Negative means an
    /// unbounded loss on a rally.
    pub fn net_call_units(&self) -> i64 {
        self.legs
            .iter()
            .filter(|l| l.right() == OptionRight::Call)
            .map(Leg::units)
            .sum()
    }

    /// Whether the maximum loss is bounded. Puts cannot lose more than
    /// their strike (the underlying stops at zero), so only uncovered calls
    /// make the loss unbounded.
    pub fn has_defined_risk(&self) -> bool {
        self.net_call_units() >= 0
    }

    /// Distance between the two strikes of a vertical, or the wider wing of
    /// an iron condor; `None` for custom structures.
    pub fn width(&self) -> Option<Price> {
        let span = |a: Price, b: Price| Price::from_raw((a.raw() - b.raw()).abs());
        match self.kind {
            StructureKind::Vertical(_) => Some(span(self.legs[0].strike(), self.legs[1].strike())),
            StructureKind::IronCondor => {
                let side = |right: OptionRight| {
                    let mut ks = self
                        .legs
                        .iter()
                        .filter(|l| l.right() == right)
                        .map(Leg::strike);
                    match (ks.next(), ks.next()) {
                        (Some(a), Some(b)) => span(a, b),
                        _ => Price::ZERO,
                    }
                };
                Some(side(OptionRight::Put).max(side(OptionRight::Call)))
            }
            StructureKind::Custom { .. } => None,
        }
    }

    pub(crate) fn check_prices(
        &self,
        what: &'static str,
        prices: &[Price],
    ) -> Result<(), StructureError> {
        if prices.len() != self.legs.len() {
            return Err(StructureError::LegCount {
                what,
                expected: self.legs.len(),
                found: prices.len(),
            });
        }
        if let Some(leg) = prices.iter().position(|p| *p < Price::ZERO) {
            return Err(StructureError::NegativePrice {
                what,
                leg,
                price: prices[leg],
            });
        }
        Ok(())
    }

    /// The combo price per unit of the structure, before multipliers, in
    /// the exchange convention for combination orders: `Σ ratio × price`,
    /// positive for a debit, negative for a credit.
    ///
    /// # Errors
    /// Wrong number of prices, a negative price, or overflow.
    pub fn combo_price(&self, prices: &[Price]) -> Result<Price, StructureError> {
        self.check_prices("leg prices", prices)?;
        let sum: i128 = self
            .legs
            .iter()
            .zip(prices)
            .map(|(l, p)| i128::from(l.ratio) * i128::from(p.raw()))
            .sum();
        i64::try_from(sum)
            .map(Price::from_raw)
            .map_err(|_| StructureError::Overflow {
                what: "combo price",
            })
    }

    /// Net premium of the whole position at these leg prices, with
    /// multipliers and quantity: positive is a credit received, negative a
    /// debit paid.
    ///
    /// # Errors
    /// Wrong number of prices, a negative price, or overflow.
    pub fn net_premium(&self, prices: &[Price]) -> Result<Money, StructureError> {
        self.check_prices("leg prices", prices)?;
        let q = i128::from(self.quantity.get());
        let sum: i128 = self
            .legs
            .iter()
            .zip(prices)
            .map(|(l, p)| -i128::from(l.units()) * i128::from(p.raw()) * q)
            .sum();
        i64::try_from(sum)
            .map(Money::from_raw)
            .map_err(|_| StructureError::Overflow {
                what: "net premium",
            })
    }

    /// The payoff at expiry of a position opened at these leg prices.
    ///
    /// # Errors
    /// Legs on more than one expiry, wrong number of prices, a negative
    /// price, or overflow.
    pub fn payoff(&self, prices: &[Price]) -> Result<Payoff, StructureError> {
        Payoff::new(self, prices)
    }

    /// Buying power a defined-risk structure ties up: its maximum loss at
    /// expiry (after the premium), never below zero. This is how IB and
    /// Reg-T margin treat spreads: the long legs cap the loss and the
    /// requirement is that cap, per contract times contracts.
    ///
    /// # Errors
    /// [`StructureError::UnboundedLoss`] when the loss is unbounded; the
    /// errors of [`Structure::payoff`].
    pub fn buying_power(&self, prices: &[Price]) -> Result<Money, StructureError> {
        match self.payoff(prices)?.max_loss() {
            super::Bound::Limited(loss) => Ok(loss.max(Money::ZERO)),
            super::Bound::Unlimited => Err(StructureError::UnboundedLoss),
        }
    }
}

fn check_vertical(
    kind: StructureKind,
    v: VerticalKind,
    legs: &[Leg],
) -> Result<(), StructureError> {
    let shape = || StructureError::Shape {
        kind,
        expected: match v.right() {
            OptionRight::Put => "two puts, one long and one short, with opposite equal ratios",
            OptionRight::Call => "two calls, one long and one short, with opposite equal ratios",
        },
        found: describe_legs(legs),
    };
    if legs.len() != 2
        || legs.iter().any(|l| l.right() != v.right())
        || legs[0].ratio != -legs[1].ratio
    {
        return Err(shape());
    }
    let (short_i, long_i) = if legs[0].is_short() { (0, 1) } else { (1, 0) };
    let (ks, kl) = (legs[short_i].strike(), legs[long_i].strike());
    let ordered = if v.short_strike_is_higher() {
        ks > kl
    } else {
        ks < kl
    };
    if !ordered {
        return Err(StructureError::CrossedStrikes {
            kind,
            leg_a: short_i,
            strike_a: ks,
            leg_b: long_i,
            strike_b: kl,
            rule: if v.short_strike_is_higher() {
                "the short leg's strike must be above the long leg's"
            } else {
                "the short leg's strike must be below the long leg's"
            },
        });
    }
    Ok(())
}

fn check_iron_condor(kind: StructureKind, legs: &[Leg]) -> Result<(), StructureError> {
    let shape = || StructureError::Shape {
        kind,
        expected: "four legs: long put, short put, short call, long call with equal absolute ratios",
        found: describe_legs(legs),
    };
    if legs.len() != 4 || legs.iter().any(|l| l.ratio.abs() != legs[0].ratio.abs()) {
        return Err(shape());
    }
    let find = |right: OptionRight, short: bool| {
        let mut it = legs
            .iter()
            .enumerate()
            .filter(|(_, l)| l.right() == right && l.is_short() == short)
            .map(|(i, _)| i);
        match (it.next(), it.next()) {
            (Some(i), None) => Some(i),
            _ => None,
        }
    };
    let (Some(lp), Some(sp), Some(sc), Some(lc)) = (
        find(OptionRight::Put, false),
        find(OptionRight::Put, true),
        find(OptionRight::Call, true),
        find(OptionRight::Call, false),
    ) else {
        return Err(shape());
    };
    let order = [
        (lp, sp, "long put strike < short put strike"),
        (sp, sc, "short put strike < short call strike"),
        (sc, lc, "short call strike < long call strike"),
    ];
    for (a, b, rule) in order {
        if legs[a].strike() >= legs[b].strike() {
            return Err(StructureError::CrossedStrikes {
                kind,
                leg_a: a,
                strike_a: legs[a].strike(),
                leg_b: b,
                strike_b: legs[b].strike(),
                rule,
            });
        }
    }
    Ok(())
}
