//! Domain model of the `trade` platform. No I/O, no clocks, no globals.
//!
//! Money never drifts: [`Price`] and [`Money`] are fixed-point integers
//! (10^-8 dollars, see [`fixed`]) and [`Qty`] is a whole number of units.
//! Floats appear only behind explicit `to_f64` calls, for analytics.
//!
//! The main types, in the order data flows through them:
//! [`Instrument`] → [`Bar`] → [`OrderIntent`] → [`Order`] → [`Fill`] →
//! [`Position`] / [`Portfolio`] → [`PortfolioSnapshot`].
//!
//! ```
//! use trade_core::{Fill, ClientOrderId, InstrumentId, Money, Portfolio, Price, Qty, Side, Timestamp};
//!
//! let mut pf = Portfolio::new(Money::from_dollars(10_000), &[1]);
//! pf.apply_fill(&Fill {
//!     order_id: ClientOrderId(1),
//!     instrument: InstrumentId(0),
//!     side: Side::Buy,
//!     qty: Qty::new(10),
//!     price: "412.37".parse().unwrap(),
//!     commission: Money::from_dollars(1),
//!     ts: Timestamp::from_secs(0),
//! });
//! pf.mark(InstrumentId(0), "420.00".parse().unwrap());
//! assert_eq!(pf.cash().to_string(), "5875.30");
//! assert_eq!(pf.equity().to_string(), "10075.30");
//! ```
#![forbid(unsafe_code)]

/// Bars (OHLCV) and their consistency check.
pub mod bar;
/// Fills (executions).
pub mod fill;
/// The 10^-8 fixed-point representation, parsing and formatting.
pub mod fixed;
/// Identifier newtypes.
pub mod ids;
/// Instruments and their terms.
pub mod instrument;
/// Money amounts.
pub mod money;
/// Orders, intents, sides, types and time in force.
pub mod order;
/// The account: cash, positions, marks.
pub mod portfolio;
/// Signed positions with cost basis and realized P&L.
pub mod position;
/// Per-unit prices and tick rounding.
pub mod price;
/// Whole-unit quantities.
pub mod quantity;
mod serde_decimal;
/// UTC timestamps.
pub mod time;

pub use bar::{Bar, BarProblem};
pub use fill::Fill;
pub use fixed::ParseFixedError;
pub use ids::{BrokerOrderId, ClientOrderId, InstrumentId, InvalidSymbol, StrategyId, Symbol};
pub use instrument::{
    ExerciseStyle, FutureTerms, Instrument, InstrumentKind, OptionRight, OptionTerms, Settlement,
};
pub use money::Money;
pub use order::{Order, OrderIntent, OrderInvalid, OrderStatus, OrderType, Side, TimeInForce};
pub use portfolio::{Portfolio, PortfolioSnapshot};
pub use position::Position;
pub use price::{Price, TickRounding};
pub use quantity::Qty;
pub use time::Timestamp;
