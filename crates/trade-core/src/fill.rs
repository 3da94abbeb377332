//! [`Fill`]: one execution of (part of) an order.

use serde::{Deserialize, Serialize};

use crate::{ClientOrderId, InstrumentId, Money, Price, Qty, Side, Timestamp};

/// One execution: `qty` units of an order traded at `price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// The order this fills.
    pub order_id: ClientOrderId,
    /// The instrument.
    pub instrument: InstrumentId,
    /// Direction.
    pub side: Side,
    /// Units traded (positive).
    pub qty: Qty,
    /// Execution price per unit.
    pub price: Price,
    /// Commission charged for this execution (positive = paid).
    pub commission: Money,
    /// When it happened.
    pub ts: Timestamp,
}
