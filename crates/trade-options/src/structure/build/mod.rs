//! Builders that turn a rule ("short put at 16 delta, $5 wings") and the
//! quotes of one expiry into a validated [`Structure`](crate::structure::Structure).
//!
//! Every builder ends in [`Structure::new`](crate::structure::Structure::new), so a
//! built structure has passed the same checks as a hand-written one (no
//! crossed strikes, one expiry, defined risk), and then checks the
//! economics it was asked for (minimum credit, maximum width or debit).
//! Failures say what was wanted and what the quotes offered.

/// Custom structures from leg specs.
mod custom;
/// Why a build failed.
mod error;
/// Iron condors.
mod iron_condor;
/// The quote list of one expiry and the built result.
mod quotes;
/// Picking a strike by delta or by distance from the underlying.
mod select;
/// The four verticals.
mod vertical;

pub use custom::{CustomSpec, LegSpec};
pub use error::BuildError;
pub use iron_condor::IronCondorSpec;
pub use quotes::{BuiltStructure, ExpiryQuotes, PriceBasis, StrikeQuote};
pub use select::{Offset, StrikeRule};
pub use vertical::VerticalSpec;
