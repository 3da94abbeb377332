//! [`BuildError`]: why a builder could not produce a structure.

use thiserror::Error;
use trade_core::{OptionRight, Price};

use super::PriceBasis;
use crate::structure::StructureError;

/// Why a builder could not produce a structure.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BuildError {
    /// A spec field is out of its domain.
    #[error("spec field {field} = {value} is invalid: expected {expected}")]
    BadSpec {
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is expected.
        expected: &'static str,
    },
    /// The spot price of the quote list is not positive.
    #[error("underlying price {0} is not positive")]
    BadSpot(Price),
    /// No usable quote matches the strike rule.
    #[error("no {right:?} strike near the target {wanted}{}", nearest_text(.nearest))]
    NoStrikeNearTarget {
        /// Call or put.
        right: OptionRight,
        /// The rule, as text.
        wanted: String,
        /// The closest usable quote, `(strike, delta)`, if any.
        nearest: Option<(Price, f64)>,
    },
    /// The wing strike (short strike ± width) is not listed or not usable.
    #[error(
        "wing {right:?} strike {wanted} (width {width} from {from}) is not listed with a usable quote"
    )]
    WingMissing {
        /// Call or put.
        right: OptionRight,
        /// The strike the wing is measured from.
        from: Price,
        /// The wing width.
        width: Price,
        /// The strike looked for.
        wanted: Price,
    },
    /// The short put ended at or above the short call.
    #[error("short put strike {put} is not below short call strike {call}: the targets cross")]
    CrossedShorts {
        /// The chosen short put strike.
        put: Price,
        /// The chosen short call strike.
        call: Price,
    },
    /// A custom leg's strike is not listed with a usable quote.
    #[error("leg {leg}: {right:?} strike {strike} is not listed with a usable quote")]
    StrikeNotListed {
        /// Leg index in the spec.
        leg: usize,
        /// Call or put.
        right: OptionRight,
        /// The strike asked for.
        strike: Price,
    },
    /// The credit at the chosen price basis is below the minimum.
    #[error("credit {credit} at {basis:?} is below the minimum {minimum}")]
    CreditBelowMinimum {
        /// Price basis used.
        basis: PriceBasis,
        /// Credit per unit (negative for a debit).
        credit: Price,
        /// The minimum asked for.
        minimum: Price,
    },
    /// The debit at the chosen price basis is above the maximum.
    #[error("debit {debit} at {basis:?} is above the maximum {maximum}")]
    DebitAboveMaximum {
        /// Price basis used.
        basis: PriceBasis,
        /// Debit per unit.
        debit: Price,
        /// The maximum allowed.
        maximum: Price,
    },
    /// The spread is wider than allowed.
    #[error("width {width} is above the maximum {maximum}")]
    WidthAboveMaximum {
        /// The structure's width.
        width: Price,
        /// The maximum allowed.
        maximum: Price,
    },
    /// The legs failed structure validation.
    #[error(transparent)]
    Structure(#[from] StructureError),
}

fn nearest_text(n: &Option<(Price, f64)>) -> String {
    match n {
        Some((k, d)) => format!(" (nearest usable: strike {k} at delta {d:.3})"),
        None => " (no usable quotes of that right)".to_string(),
    }
}
