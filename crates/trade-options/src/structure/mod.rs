//! Multi-leg option positions ("structures"): their legs and validation,
//! their payoff at expiry and model value before it, the builders that pick
//! strikes from a quote list, and the entry criteria of the DTE buckets.
//!
//! A [`Structure`](crate::structure::Structure) is a definition: legs (contract terms, multiplier,
//! signed ratio), a [`StructureKind`](crate::structure::StructureKind) and a contract count. Prices are not
//! part of it; analyses take the leg prices as an argument, in the order of
//! [`Structure::legs`](crate::structure::Structure::legs), so the same structure can be looked at with entry
//! fills, current marks or hypothetical prices.
//!
//! Money that is booked (premium, max loss, buying power) is exact
//! fixed-point; only the model ("T+0") value uses `f64`.
//!
//! This module does not know chains, orders or the engine: the builders take
//! their own small quote type ([`ExpiryQuotes`](crate::structure::ExpiryQuotes)) that the engine fills from
//! whatever chain source it has.
//!
//! ```
//! use trade_core::{ExerciseStyle, OptionRight, OptionTerms, Price, Qty, Settlement, Symbol};
//! use trade_options::structure::{Bound, Leg, Structure, StructureKind};
//!
//! let leg = |ratio: i32, strike: &str, right| Leg {
//!     terms: OptionTerms {
//!         underlying: Symbol::new("XYZ").unwrap(),
//!         expiry: jiff::civil::date(2024, 3, 15),
//!         strike: strike.parse().unwrap(),
//!         right,
//!         style: ExerciseStyle::American,
//!         settlement: Settlement::Physical,
//!     },
//!     multiplier: 100,
//!     ratio,
//! };
//! let condor = Structure::new(
//!     StructureKind::IronCondor,
//!     vec![
//!         leg(1, "50", OptionRight::Put),
//!         leg(-1, "55", OptionRight::Put),
//!         leg(-1, "60", OptionRight::Call),
//!         leg(1, "65", OptionRight::Call),
//!     ],
//!     Qty::new(1),
//! )
//! .unwrap();
//! let fills: Vec<Price> = ["0.50", "2.00", "2.00", "0.50"].iter().map(|p| p.parse().unwrap()).collect();
//! let payoff = condor.payoff(&fills).unwrap();
//! assert_eq!(payoff.max_profit(), Bound::Limited("300".parse().unwrap()));
//! assert_eq!(payoff.max_loss(), Bound::Limited("200".parse().unwrap()));
//! assert_eq!(payoff.breakevens(), vec!["52".parse().unwrap(), "63".parse::<Price>().unwrap()]);
//! ```

/// Strike selection from a quote list: iron condors, verticals, custom.
pub mod build;
/// Entry criteria of the 0DTE, 1DTE and 14+ DTE buckets, as pure checks.
pub mod entry;
/// Typed validation and analysis errors.
mod error;
/// One leg: contract terms, multiplier and signed ratio.
mod leg;
/// Model value before expiry (the "T+0 line") with Black-Scholes-Merton.
mod model;
/// The exact piecewise-linear payoff at expiry and its extremes and roots.
mod payoff;
/// The structure itself and its shape rules per kind.
mod shape;

pub use build::{
    BuildError, BuiltStructure, CustomSpec, ExpiryQuotes, IronCondorSpec, LegSpec, Offset,
    PriceBasis, StrikeQuote, StrikeRule, VerticalSpec,
};
pub use entry::{DteBucket, EntryCriteria, EntryMarket, EntryRefusal, VixRegime};
pub use error::StructureError;
pub use leg::Leg;
pub(crate) use model::ny_wall as model_ny_wall;
pub use model::{ModelInputs, expiry_close};
pub use payoff::{Bound, DiagramPoint, Payoff};
pub use shape::{Structure, StructureKind, VerticalKind};
