//! Orders: what a strategy asks for ([`OrderIntent`]) and what the order
//! manager tracks once it has an id ([`Order`]).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{
    BrokerOrderId, ClientOrderId, Instrument, InstrumentId, Price, Qty, StrategyId, Timestamp,
};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy (adds to a long, covers a short).
    Buy,
    /// Sell (reduces a long, opens or adds to a short).
    Sell,
}

impl Side {
    /// +1 for a buy, -1 for a sell.
    pub const fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }

    /// The other side.
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// `"buy"` or `"sell"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The order type and its prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrderType {
    /// At whatever the market gives.
    Market,
    /// At `limit` or better.
    Limit {
        /// Worst acceptable price.
        limit: Price,
    },
    /// Becomes a market order once the market trades through `stop`.
    Stop {
        /// Trigger price.
        stop: Price,
    },
    /// Becomes a limit order at `limit` once the market trades through `stop`.
    StopLimit {
        /// Trigger price.
        stop: Price,
        /// Worst acceptable price once triggered.
        limit: Price,
    },
}

impl OrderType {
    /// Short name: `market`, `limit`, `stop`, `stop_limit`.
    pub const fn name(&self) -> &'static str {
        match self {
            OrderType::Market => "market",
            OrderType::Limit { .. } => "limit",
            OrderType::Stop { .. } => "stop",
            OrderType::StopLimit { .. } => "stop_limit",
        }
    }

    /// The limit price, if any.
    pub const fn limit(&self) -> Option<Price> {
        match self {
            OrderType::Limit { limit } | OrderType::StopLimit { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    /// The stop (trigger) price, if any.
    pub const fn stop(&self) -> Option<Price> {
        match self {
            OrderType::Stop { stop } | OrderType::StopLimit { stop, .. } => Some(*stop),
            _ => None,
        }
    }
}

/// How long an order works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TimeInForce {
    /// Until the close of the session in which it can first trade.
    Day,
    /// Until filled or cancelled.
    Gtc,
}

impl TimeInForce {
    /// `DAY` or `GTC`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Day => "DAY",
            TimeInForce::Gtc => "GTC",
        }
    }
}

/// What a strategy wants done, before risk checks and before an id exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderIntent {
    /// Instrument to trade.
    pub instrument: InstrumentId,
    /// Buy or sell.
    pub side: Side,
    /// Units.
    pub qty: Qty,
    /// Type and prices.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Why the strategy wants it (shown in ledgers and reports). Usually a
    /// constant, so it is borrowed rather than allocated per order.
    pub tag: Cow<'static, str>,
}

/// Why an order is invalid on its face (before any risk or cash check).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderInvalid {
    /// Zero quantity.
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    /// A price that is zero or negative.
    #[error("{which} price {price} must be positive")]
    NonPositivePrice {
        /// `limit` or `stop`.
        which: &'static str,
        /// The offending price.
        price: Price,
    },
    /// A price off the instrument's tick grid.
    #[error("{which} price {price} is not a multiple of the tick size {tick} of {symbol}")]
    OffTick {
        /// `limit` or `stop`.
        which: &'static str,
        /// The offending price.
        price: Price,
        /// The instrument's tick.
        tick: Price,
        /// The instrument's symbol.
        symbol: String,
    },
    /// The instrument can't be traded (an index).
    #[error("{0} is not tradeable")]
    NotTradeable(String),
}

impl OrderIntent {
    /// Checks quantity, price signs and the tick grid against `instrument`.
    ///
    /// # Errors
    /// The first [`OrderInvalid`] found.
    pub fn validate(&self, instrument: &Instrument) -> Result<(), OrderInvalid> {
        if !instrument.is_tradeable() {
            return Err(OrderInvalid::NotTradeable(instrument.symbol.to_string()));
        }
        if self.qty.is_zero() {
            return Err(OrderInvalid::ZeroQuantity);
        }
        let prices = [
            ("limit", self.order_type.limit()),
            ("stop", self.order_type.stop()),
        ];
        for (which, price) in prices {
            let Some(price) = price else { continue };
            if price.raw() <= 0 {
                return Err(OrderInvalid::NonPositivePrice { which, price });
            }
            if !price.is_on_tick(instrument.tick_size) {
                return Err(OrderInvalid::OffTick {
                    which,
                    price,
                    tick: instrument.tick_size,
                    symbol: instrument.symbol.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// Lifecycle state of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted and working (possibly partly filled).
    Working,
    /// Completely filled.
    Filled,
    /// Cancelled by us or the strategy.
    Cancelled,
    /// A DAY order that reached the session close.
    Expired,
    /// Refused by the risk gate or the broker.
    Rejected,
}

impl OrderStatus {
    /// Whether no further fills can arrive.
    pub const fn is_final(self) -> bool {
        !matches!(self, OrderStatus::Working)
    }

    /// Snake-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Working => "working",
            OrderStatus::Filled => "filled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
            OrderStatus::Rejected => "rejected",
        }
    }
}

/// An order with an identity, as the order manager tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Our id (travels to IB as `orderRef`).
    pub id: ClientOrderId,
    /// The broker's id once it has one.
    pub broker_id: Option<BrokerOrderId>,
    /// Which strategy asked for it.
    pub strategy: StrategyId,
    /// The request.
    pub intent: OrderIntent,
    /// When it was created (the decision time).
    pub created: Timestamp,
    /// Current state.
    pub status: OrderStatus,
    /// Units filled so far.
    pub filled: Qty,
    /// Whether a stop (or stop-limit) has triggered.
    pub triggered: bool,
    /// When it reached a final state.
    pub closed: Option<Timestamp>,
    /// Why it was rejected, cancelled or expired.
    pub reason: Option<String>,
}

impl Order {
    /// Units still to fill.
    pub fn remaining(&self) -> Qty {
        self.intent.qty.saturating_sub(self.filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Symbol;

    fn intent(order_type: OrderType, qty: u64) -> OrderIntent {
        OrderIntent {
            instrument: InstrumentId(0),
            side: Side::Buy,
            qty: Qty::new(qty),
            order_type,
            tif: TimeInForce::Day,
            tag: Cow::Borrowed(""),
        }
    }

    #[test]
    fn validation_table() {
        let spy = Instrument::etf(Symbol::new("SPY").unwrap());
        let p = |s: &str| s.parse::<Price>().unwrap();
        let cases: Vec<(OrderIntent, Option<&str>)> = vec![
            (intent(OrderType::Market, 10), None),
            (
                intent(OrderType::Market, 0),
                Some("quantity must be at least 1"),
            ),
            (intent(OrderType::Limit { limit: p("412.37") }, 1), None),
            (
                intent(
                    OrderType::Limit {
                        limit: p("412.375"),
                    },
                    1,
                ),
                Some("limit price 412.375 is not a multiple of the tick size 0.01 of SPY"),
            ),
            (
                intent(
                    OrderType::StopLimit {
                        stop: p("400"),
                        limit: p("-1"),
                    },
                    1,
                ),
                Some("limit price -1.00 must be positive"),
            ),
            (
                intent(OrderType::Stop { stop: p("399.999") }, 1),
                Some("stop price 399.999 is not a multiple of the tick size 0.01 of SPY"),
            ),
        ];
        for (i, (it, want)) in cases.iter().enumerate() {
            let got = it.validate(&spy).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), *want, "case {i}");
        }
    }
}
