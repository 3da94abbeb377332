//! The records the journal stores: local order ids, order states, intents,
//! executions, commissions, position snapshots and audit lines.

use std::fmt;

use serde::{Deserialize, Serialize};
use trade_core::{Money, Price, Qty, Side, Timestamp};

/// The journal's own order id. Allocated durably (committed with
/// `synchronous=FULL` before the caller sees it) and strictly increasing;
/// SQLite's `AUTOINCREMENT` guarantees it is never reused, even after a
/// restart or a deleted row. It travels to IB in `orderRef` (see
/// [`LocalOrderId::order_ref`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LocalOrderId(pub i64);

/// Prefix of every `orderRef` this program sends. Orders at the broker without
/// it were placed by someone else (TWS by hand, another program).
pub const ORDER_REF_PREFIX: &str = "trade-";

impl LocalOrderId {
    /// The `orderRef` string sent to IB: `trade-<id>`.
    pub fn order_ref(self) -> String {
        format!("{ORDER_REF_PREFIX}{}", self.0)
    }

    /// The local id inside an `orderRef`, or `None` when the reference was not
    /// written by this program (no prefix, or not a positive decimal number).
    pub fn from_order_ref(order_ref: &str) -> Option<LocalOrderId> {
        let digits = order_ref.strip_prefix(ORDER_REF_PREFIX)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(LocalOrderId)
    }
}

impl fmt::Display for LocalOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where an order stands, as far as the journal knows.
///
/// The order matters: a state never moves back to an earlier rank (IB does
/// deliver `Submitted` after `Filled` on occasion), except that broker evidence
/// overrides [`OrderState::Abandoned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Journaled, not yet handed to the connection. Outcome unknown after a crash.
    PendingSubmit,
    /// Written to the connection; the broker has not acknowledged it. Outcome
    /// unknown after a crash or disconnect.
    Sent,
    /// The broker has the order (PreSubmitted / Submitted / partially filled).
    Working,
    /// Completely filled (terminal).
    Filled,
    /// Cancelled at the broker, including expired (terminal).
    Cancelled,
    /// Rejected by the broker or the exchange (terminal).
    Rejected,
    /// Confirmed by a complete reconciliation never to have reached the broker;
    /// its intent may be replaced by a new one with a new local id (terminal,
    /// but broker evidence to the contrary reopens it).
    Abandoned,
}

impl OrderState {
    /// The text stored in the `orders.state` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderState::PendingSubmit => "pending_submit",
            OrderState::Sent => "sent",
            OrderState::Working => "working",
            OrderState::Filled => "filled",
            OrderState::Cancelled => "cancelled",
            OrderState::Rejected => "rejected",
            OrderState::Abandoned => "abandoned",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<OrderState> {
        Some(match text {
            "pending_submit" => OrderState::PendingSubmit,
            "sent" => OrderState::Sent,
            "working" => OrderState::Working,
            "filled" => OrderState::Filled,
            "cancelled" => OrderState::Cancelled,
            "rejected" => OrderState::Rejected,
            "abandoned" => OrderState::Abandoned,
            _ => return None,
        })
    }

    /// Whether the broker's outcome for this order is unknown: it may or may
    /// not be live at the broker. Such an order must never be resubmitted
    /// until reconciliation resolves it.
    pub const fn outcome_unknown(self) -> bool {
        matches!(self, OrderState::PendingSubmit | OrderState::Sent)
    }

    /// Whether no further broker event is expected.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Filled
                | OrderState::Cancelled
                | OrderState::Rejected
                | OrderState::Abandoned
        )
    }

    const fn rank(self) -> u8 {
        match self {
            OrderState::PendingSubmit => 0,
            OrderState::Sent => 1,
            OrderState::Working => 2,
            OrderState::Filled
            | OrderState::Cancelled
            | OrderState::Rejected
            | OrderState::Abandoned => 3,
        }
    }

    /// Whether moving from `self` to `next` is progress. Equal states, moves
    /// back to an earlier rank and moves between terminal states are stale;
    /// the one exception is leaving `Abandoned` on broker evidence.
    pub const fn accepts(self, next: OrderState) -> bool {
        if matches!(self, OrderState::Abandoned) {
            return matches!(
                next,
                OrderState::Working
                    | OrderState::Filled
                    | OrderState::Cancelled
                    | OrderState::Rejected
            );
        }
        next.rank() > self.rank()
    }

    /// Maps an IB `orderStatus` string. `ApiPending`/`PendingSubmit` mean the
    /// order has not reached IB's servers, so they say nothing beyond `Sent`.
    pub fn from_ib_status(status: &str) -> Option<OrderState> {
        Some(match status {
            "ApiPending" | "PendingSubmit" => OrderState::Sent,
            "PreSubmitted" | "Submitted" | "PendingCancel" | "ApiCancelled" => OrderState::Working,
            "Filled" => OrderState::Filled,
            "Cancelled" => OrderState::Cancelled,
            "Inactive" => OrderState::Rejected,
            _ => return None,
        })
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order the engine is about to send, journaled before it goes out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIntent {
    /// When the decision to send was made.
    pub ts: Timestamp,
    /// The strategy that asked for it.
    pub strategy: String,
    /// The instrument key (symbol or OCC symbol) as the engine names it.
    pub instrument: String,
    /// Buy or sell.
    pub side: Side,
    /// Total quantity.
    pub qty: Qty,
    /// Limit price, if any.
    pub limit_price: Option<Price>,
    /// The full order as the engine built it (type, time in force, legs...),
    /// kept verbatim for the audit trail.
    pub order: serde_json::Value,
}

/// The broker's acknowledgement of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAck {
    /// The TWS API order id (per client id, reused across sessions by IB).
    pub broker_order_id: Option<i64>,
    /// IB's permanent id, unique across sessions.
    pub perm_id: Option<i64>,
}

/// An order as journaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalOrder {
    /// Local id.
    pub local_id: LocalOrderId,
    /// When the intent was journaled.
    pub created: Timestamp,
    /// Last change.
    pub updated: Timestamp,
    /// Strategy.
    pub strategy: String,
    /// Instrument key.
    pub instrument: String,
    /// Side.
    pub side: Side,
    /// Total quantity.
    pub qty: Qty,
    /// Limit price, if any.
    pub limit_price: Option<Price>,
    /// Current state.
    pub state: OrderState,
    /// TWS API order id once acknowledged.
    pub broker_order_id: Option<i64>,
    /// IB permId once acknowledged.
    pub perm_id: Option<i64>,
    /// Sum of the journaled executions' quantities.
    pub filled: Qty,
    /// The full order as sent.
    pub order: serde_json::Value,
}

/// One execution (fill) report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Execution {
    /// IB's execution id: the idempotency key.
    pub exec_id: String,
    /// The `orderRef` the order carried (empty or foreign for external orders).
    pub order_ref: Option<String>,
    /// IB permId of the order.
    pub perm_id: Option<i64>,
    /// Execution time.
    pub ts: Timestamp,
    /// Instrument key.
    pub instrument: String,
    /// Side.
    pub side: Side,
    /// Quantity filled in this execution.
    pub qty: Qty,
    /// Fill price.
    pub price: Price,
}

/// Commission report for one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commission {
    /// The execution it belongs to.
    pub exec_id: String,
    /// Commission charged (positive = cost).
    pub commission: Money,
    /// Currency code.
    pub currency: String,
    /// Realized P&L IB reports with it, if any.
    pub realized_pnl: Option<Money>,
    /// When it arrived.
    pub ts: Timestamp,
}

/// One position line of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionLine {
    /// Instrument key.
    pub instrument: String,
    /// Signed quantity (negative = short).
    pub qty: i64,
    /// Average cost per unit as the broker reports it.
    pub avg_cost: Price,
}

/// The result of an idempotent write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written now.
    New,
    /// The same key was already in the journal; nothing changed.
    AlreadyKnown,
}

/// The result of a state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// The order moved to the new state.
    Applied,
    /// The new state is not progress (duplicate or out-of-order report); kept
    /// in the event log, state unchanged.
    Stale,
}

/// The kind of an audit line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A strategy decision.
    Decision,
    /// A risk gate verdict.
    RiskVerdict,
    /// An order was journaled, sent, acknowledged or changed state.
    Order,
    /// An execution was journaled.
    Fill,
    /// A commission was journaled.
    Commission,
    /// A position snapshot was taken.
    Positions,
    /// Reconciliation found something an operator should see.
    Reconcile,
    /// An operator's control (pause, resume, close, cancel, flatten, alert
    /// acknowledgement, limit change): who, when, why and the outcome.
    Control,
}

impl AuditKind {
    /// The stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditKind::Decision => "decision",
            AuditKind::RiskVerdict => "risk_verdict",
            AuditKind::Order => "order",
            AuditKind::Fill => "fill",
            AuditKind::Commission => "commission",
            AuditKind::Positions => "positions",
            AuditKind::Reconcile => "reconcile",
            AuditKind::Control => "control",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<AuditKind> {
        Some(match text {
            "decision" => AuditKind::Decision,
            "risk_verdict" => AuditKind::RiskVerdict,
            "order" => AuditKind::Order,
            "fill" => AuditKind::Fill,
            "commission" => AuditKind::Commission,
            "positions" => AuditKind::Positions,
            "reconcile" => AuditKind::Reconcile,
            "control" => AuditKind::Control,
            _ => return None,
        })
    }
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the trail (strictly increasing).
    pub seq: i64,
    /// When it happened.
    pub ts: Timestamp,
    /// What kind of line.
    pub kind: AuditKind,
    /// The order it concerns, if any.
    pub local_id: Option<LocalOrderId>,
    /// The details.
    pub payload: serde_json::Value,
}
