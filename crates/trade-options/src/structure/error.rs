//! [`StructureError`]: why a structure is malformed or cannot be analysed.
//! Every variant names the leg (its index in [`Structure::legs`](super::Structure::legs)
//! order) and the values involved.

use jiff::civil::Date;
use thiserror::Error;
use trade_core::{Price, Symbol};

use super::StructureKind;

/// Why a structure is invalid, or an analysis of it cannot be made.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StructureError {
    /// A structure needs at least one leg.
    #[error("{kind}: a structure needs at least one leg")]
    NoLegs {
        /// The declared kind.
        kind: StructureKind,
    },
    /// The contract count is zero.
    #[error("{kind}: quantity must be at least 1 contract, got 0")]
    ZeroQuantity {
        /// The declared kind.
        kind: StructureKind,
    },
    /// A leg has ratio 0 (it holds nothing).
    #[error("{kind}: leg {leg} ({desc}) has ratio 0; remove it or give it a signed ratio")]
    ZeroRatio {
        /// The declared kind.
        kind: StructureKind,
        /// Leg index.
        leg: usize,
        /// The leg as text.
        desc: String,
    },
    /// A leg has multiplier 0.
    #[error("{kind}: leg {leg} ({desc}) has multiplier 0; US equity options use 100")]
    ZeroMultiplier {
        /// The declared kind.
        kind: StructureKind,
        /// Leg index.
        leg: usize,
        /// The leg as text.
        desc: String,
    },
    /// A strike is zero or negative.
    #[error("{kind}: leg {leg} has strike {strike}; strikes must be positive")]
    NonPositiveStrike {
        /// The declared kind.
        kind: StructureKind,
        /// Leg index.
        leg: usize,
        /// The strike given.
        strike: Price,
    },
    /// Legs on different underlyings.
    #[error(
        "{kind}: leg {leg} is on {found} but leg 0 is on {expected}; all legs must share one underlying"
    )]
    MixedUnderlyings {
        /// The declared kind.
        kind: StructureKind,
        /// Leg index.
        leg: usize,
        /// Leg 0's underlying.
        expected: Symbol,
        /// This leg's underlying.
        found: Symbol,
    },
    /// Legs on different expiries where the kind needs one expiry.
    #[error(
        "{kind}: leg {leg} expires {found} but leg 0 expires {expected}; this kind needs one expiry"
    )]
    MixedExpiries {
        /// The declared kind.
        kind: StructureKind,
        /// Leg index.
        leg: usize,
        /// Leg 0's expiry.
        expected: Date,
        /// This leg's expiry.
        found: Date,
    },
    /// Two legs on the same contract; they should be netted into one.
    #[error(
        "{kind}: leg {leg} ({desc}) is the same contract as leg {first}; net them into one leg"
    )]
    DuplicateContract {
        /// The declared kind.
        kind: StructureKind,
        /// Leg index of the repeat.
        leg: usize,
        /// Leg index of the first occurrence.
        first: usize,
        /// The leg as text.
        desc: String,
    },
    /// The legs do not have the kind's shape (count, rights, long/short, ratios).
    #[error("{kind}: expected {expected}, found {found}")]
    Shape {
        /// The declared kind.
        kind: StructureKind,
        /// What the kind needs.
        expected: &'static str,
        /// What the legs are.
        found: String,
    },
    /// Strikes in the wrong order or equal where the kind needs them apart.
    #[error(
        "{kind}: leg {leg_a} strike {strike_a} and leg {leg_b} strike {strike_b} are crossed or equal: {rule}"
    )]
    CrossedStrikes {
        /// The declared kind.
        kind: StructureKind,
        /// First leg index.
        leg_a: usize,
        /// Its strike.
        strike_a: Price,
        /// Second leg index.
        leg_b: usize,
        /// Its strike.
        strike_b: Price,
        /// The ordering the kind needs.
        rule: &'static str,
    },
    /// The loss is unbounded (more calls sold than bought) but the kind
    /// requires a defined maximum loss.
    #[error(
        "{kind}: max loss is unbounded above the highest strike (net call units {net_call_units} per structure < 0); this kind requires defined risk"
    )]
    UndefinedRisk {
        /// The declared kind.
        kind: StructureKind,
        /// Sum of `ratio * multiplier` over the call legs.
        net_call_units: i64,
    },
    /// An analysis got a price list of the wrong length.
    #[error("{what}: expected {expected} values (one per leg), got {found}")]
    LegCount {
        /// Which input.
        what: &'static str,
        /// Number of legs.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// A leg price is negative.
    #[error("{what}: leg {leg} price {price} is negative")]
    NegativePrice {
        /// Which input.
        what: &'static str,
        /// Leg index.
        leg: usize,
        /// The price given.
        price: Price,
    },
    /// The payoff at expiry needs all legs on one expiry.
    #[error(
        "payoff at expiry needs one expiry, but leg {leg} expires {found} and leg 0 {expected}; use the model value instead"
    )]
    PayoffNeedsOneExpiry {
        /// Leg index.
        leg: usize,
        /// Leg 0's expiry.
        expected: Date,
        /// This leg's expiry.
        found: Date,
    },
    /// The loss is unbounded, so no buying power can cover it.
    #[error("max loss is unbounded: no defined-risk buying power requirement exists")]
    UnboundedLoss,
    /// An amount does not fit the fixed-point range (about ±9.2e10 dollars).
    #[error("{what} overflows the money range (±9.2e10 dollars)")]
    Overflow {
        /// Which amount.
        what: &'static str,
    },
    /// A model input is not a usable number.
    #[error("model input {field} = {value} is invalid: {expected}")]
    ModelInput {
        /// Which input.
        field: String,
        /// The value given.
        value: f64,
        /// What is expected.
        expected: &'static str,
    },
}
