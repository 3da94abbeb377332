//! The inputs and output of the builders: [`ExpiryQuotes`] (one expiry's
//! strikes with bid, ask and delta) and [`BuiltStructure`].

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_core::{ExerciseStyle, OptionRight, OptionTerms, Price, Settlement, Symbol};

use crate::structure::{Leg, Structure};

/// One listed option of an expiry: what a builder needs to choose it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrikeQuote {
    /// Strike.
    pub strike: Price,
    /// Call or put.
    pub right: OptionRight,
    /// Best bid.
    pub bid: Price,
    /// Best ask.
    pub ask: Price,
    /// Delta per unit of the underlying (calls 0..1, puts -1..0).
    pub delta: f64,
}

impl StrikeQuote {
    /// Whether the quote can be traded and ranked: positive strike, bid at
    /// least zero, ask positive and not below the bid, a finite delta.
    /// Builders ignore quotes that are not usable (crossed or empty
    /// markets are common far from the money and must not be chosen).
    pub fn is_usable(&self) -> bool {
        self.strike > Price::ZERO
            && self.bid >= Price::ZERO
            && self.ask > Price::ZERO
            && self.ask >= self.bid
            && self.delta.is_finite()
    }

    /// Midpoint of bid and ask (rounded half away from zero at 10^-8).
    pub fn mid(&self) -> Price {
        let sum = i128::from(self.bid.raw()) + i128::from(self.ask.raw());
        Price::from_raw(((sum + sum.signum()) / 2) as i64)
    }
}

/// The quotes of one expiry of one underlying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryQuotes {
    /// The underlying.
    pub underlying: Symbol,
    /// The expiry date.
    pub expiry: Date,
    /// Exercise style of the contracts.
    pub style: ExerciseStyle,
    /// Settlement of the contracts.
    pub settlement: Settlement,
    /// Contract multiplier (100 for US equity options).
    pub multiplier: u32,
    /// Underlying price now.
    pub spot: Price,
    /// Calls and puts, any order.
    pub quotes: Vec<StrikeQuote>,
}

impl ExpiryQuotes {
    /// The usable quote at exactly this strike and right.
    pub fn find(&self, right: OptionRight, strike: Price) -> Option<&StrikeQuote> {
        self.quotes
            .iter()
            .find(|q| q.right == right && q.strike == strike && q.is_usable())
    }

    /// Usable quotes of one right.
    pub(crate) fn usable(&self, right: OptionRight) -> impl Iterator<Item = &StrikeQuote> {
        self.quotes
            .iter()
            .filter(move |q| q.right == right && q.is_usable())
    }

    /// A leg on the quote's contract.
    pub(crate) fn leg(&self, q: &StrikeQuote, ratio: i32) -> Leg {
        Leg {
            terms: OptionTerms {
                underlying: self.underlying.clone(),
                expiry: self.expiry,
                strike: q.strike,
                right: q.right,
                style: self.style,
                settlement: self.settlement,
            },
            multiplier: self.multiplier,
            ratio,
        }
    }
}

/// Which prices an entry is judged and priced at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// Midpoints: what a patient limit order usually fills near.
    #[default]
    Mid,
    /// Sell at the bid, buy at the ask: the worst case of crossing the spread.
    Natural,
}

/// A structure chosen by a builder, with the quotes of its legs.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltStructure {
    /// The validated structure.
    pub structure: Structure,
    /// The quote of each leg, in leg order.
    pub quotes: Vec<StrikeQuote>,
}

impl BuiltStructure {
    /// Leg prices at a basis: mids, or bid for sold legs and ask for
    /// bought legs.
    pub fn leg_prices(&self, basis: PriceBasis) -> Vec<Price> {
        self.structure
            .legs()
            .iter()
            .zip(&self.quotes)
            .map(|(leg, q)| match basis {
                PriceBasis::Mid => q.mid(),
                PriceBasis::Natural if leg.is_short() => q.bid,
                PriceBasis::Natural => q.ask,
            })
            .collect()
    }

    /// Credit per unit of the structure before multipliers (negative for a
    /// debit): `-Σ ratio × price`.
    pub fn credit(&self, basis: PriceBasis) -> Price {
        let prices = self.leg_prices(basis);
        let sum: i128 = self
            .structure
            .legs()
            .iter()
            .zip(&prices)
            .map(|(l, p)| -i128::from(l.ratio) * i128::from(p.raw()))
            .sum();
        Price::from_raw(i64::try_from(sum).unwrap_or(i64::MIN))
    }

    /// The short legs' deltas, `(leg index, delta)`.
    pub fn short_deltas(&self) -> Vec<(usize, f64)> {
        self.structure
            .short_legs()
            .map(|(i, _)| (i, self.quotes[i].delta))
            .collect()
    }
}

/// Limits on what a built structure costs or pays.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Economics {
    pub basis: PriceBasis,
    pub min_credit: Option<Price>,
    pub max_debit: Option<Price>,
    pub max_width: Option<Price>,
}

impl Economics {
    pub(crate) fn check(&self, built: &BuiltStructure) -> Result<(), super::BuildError> {
        use super::BuildError;
        let credit = built.credit(self.basis);
        if let Some(minimum) = self.min_credit
            && credit < minimum
        {
            return Err(BuildError::CreditBelowMinimum {
                basis: self.basis,
                credit,
                minimum,
            });
        }
        if let Some(maximum) = self.max_debit {
            let debit = Price::from_raw(credit.raw().saturating_neg());
            if debit > maximum {
                return Err(BuildError::DebitAboveMaximum {
                    basis: self.basis,
                    debit,
                    maximum,
                });
            }
        }
        if let (Some(maximum), Some(width)) = (self.max_width, built.structure.width())
            && width > maximum
        {
            return Err(BuildError::WidthAboveMaximum { width, maximum });
        }
        Ok(())
    }
}
