//! Helpers shared by the journal tests.
#![allow(dead_code)]

use trade_core::{Price, Qty, Side, Timestamp};
use trade_journal::{BrokerOrder, Execution, LocalOrderId, NewIntent};

pub fn intent(ts: i64, qty: u64) -> NewIntent {
    NewIntent {
        ts: Timestamp::from_secs(ts),
        strategy: "sma".to_owned(),
        instrument: "SPY".to_owned(),
        side: Side::Buy,
        qty: Qty::new(qty),
        limit_price: Some(Price::from_cents(50_012)),
        order: serde_json::json!({"type": "limit", "tif": "day"}),
    }
}

pub fn exec(exec_id: &str, id: LocalOrderId, qty: u64, ts: i64) -> Execution {
    Execution {
        exec_id: exec_id.to_owned(),
        order_ref: Some(id.order_ref()),
        perm_id: None,
        ts: Timestamp::from_secs(ts),
        instrument: "SPY".to_owned(),
        side: Side::Buy,
        qty: Qty::new(qty),
        price: Price::from_cents(50_010),
    }
}

pub fn broker_order(
    id: LocalOrderId,
    perm: i64,
    status: &str,
    qty: u64,
    filled: u64,
) -> BrokerOrder {
    BrokerOrder {
        order_ref: Some(id.order_ref()),
        broker_order_id: Some(7),
        perm_id: Some(perm),
        status: status.to_owned(),
        instrument: "SPY".to_owned(),
        side: Side::Buy,
        qty: Qty::new(qty),
        filled: Qty::new(filled),
    }
}
