//! The durable order journal and audit trail.
//!
//! Every order intent gets a [`LocalOrderId`] and is written to the journal
//! before it is sent; the id travels to IB in `orderRef`. Broker
//! acknowledgements, state changes, executions (idempotent by exec id),
//! commissions and position snapshots are journaled as they arrive. After a
//! start or a reconnect, [`reconcile`] compares the journal with the broker's
//! view and returns what to apply; orders whose outcome is unknown are never
//! resubmitted blindly. See the crate README for the schema and guarantees.

mod error;
mod model;
mod postgres;
mod reconcile;
mod schema;
mod sqlite;

pub use error::{JournalError, Result};
pub use model::{
    AuditEntry, AuditKind, BrokerAck, Commission, Execution, JournalOrder, LocalOrderId, NewIntent,
    ORDER_REF_PREFIX, OrderState, PositionLine, Recorded, StateChange,
};
pub use postgres::{PgJournal, mask_url};
pub use reconcile::{
    BrokerOrder, BrokerView, JournalSnapshot, PlannedFill, PlannedState, ReconcilePlan, reconcile,
};
pub use schema::SCHEMA_VERSION;
pub use sqlite::{FillLine, JournalHealth, OrderQuery, SqliteJournal};

use trade_core::Timestamp;

/// What applying a [`ReconcilePlan`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplySummary {
    /// Executions written now.
    pub fills_applied: usize,
    /// Executions that were already journaled (a plan applied twice).
    pub fills_already_known: usize,
    /// Orders whose state moved.
    pub states_applied: usize,
}

/// A durable order journal. Every write is committed (and, for SQLite, fsynced)
/// before the call returns, so whatever the caller does next survives a crash.
///
/// The intended order of calls for one order: [`Journal::record_intent`] →
/// send with `orderRef = id.order_ref()` → [`Journal::mark_sent`] →
/// [`Journal::record_broker_ack`] → [`Journal::record_status`] /
/// [`Journal::record_execution`] / [`Journal::record_commission`].
pub trait Journal {
    /// Allocates a new local id and journals the intent as
    /// [`OrderState::PendingSubmit`]. Call before sending.
    fn record_intent(&mut self, intent: &NewIntent) -> Result<LocalOrderId>;

    /// The order was written to the broker connection.
    fn mark_sent(&mut self, id: LocalOrderId, ts: Timestamp) -> Result<StateChange>;

    /// The broker acknowledged the order (openOrder / orderStatus with ids):
    /// stores the ids and moves the order to [`OrderState::Working`].
    fn record_broker_ack(
        &mut self,
        id: LocalOrderId,
        ack: BrokerAck,
        ts: Timestamp,
    ) -> Result<StateChange>;

    /// A state reported by the broker (or [`OrderState::Abandoned`] decided by
    /// an operator after reconciliation). Stale reports are logged, not applied.
    fn record_status(
        &mut self,
        id: LocalOrderId,
        state: OrderState,
        ts: Timestamp,
        detail: &str,
    ) -> Result<StateChange>;

    /// An execution; a repeated exec id is a no-op returning
    /// [`Recorded::AlreadyKnown`].
    fn record_execution(&mut self, exec: &Execution) -> Result<Recorded>;

    /// A commission report; idempotent by exec id like executions.
    fn record_commission(&mut self, commission: &Commission) -> Result<Recorded>;

    /// A broker position snapshot; returns its id.
    fn record_positions(&mut self, ts: Timestamp, lines: &[PositionLine]) -> Result<i64>;

    /// A strategy decision for the audit trail; returns its sequence number.
    fn record_decision(
        &mut self,
        ts: Timestamp,
        strategy: &str,
        payload: &serde_json::Value,
    ) -> Result<i64>;

    /// A risk gate verdict for the audit trail, tied to an order when there is one.
    fn record_risk_verdict(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64>;

    /// An operator's control for the audit trail (who, why, what it did),
    /// tied to an order when it concerns one; returns its sequence number.
    fn record_control(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64>;

    /// One order.
    fn order(&self, id: LocalOrderId) -> Result<Option<JournalOrder>>;

    /// Orders journaled but not confirmed by the broker
    /// ([`OrderState::PendingSubmit`] or [`OrderState::Sent`]): what
    /// reconciliation must resolve before anything is resubmitted.
    fn orders_with_unknown_outcome(&self) -> Result<Vec<JournalOrder>>;

    /// Orders not in a terminal state.
    fn open_orders(&self) -> Result<Vec<JournalOrder>>;

    /// Executions journaled for an order, in time order.
    fn executions_for(&self, id: LocalOrderId) -> Result<Vec<Execution>>;

    /// The latest execution time journaled: ask the broker for executions since then.
    fn last_execution_time(&self) -> Result<Option<Timestamp>>;

    /// The highest broker (TWS API) order id any journaled order was sent
    /// under: the next process must not use it again, even if a restarted
    /// gateway hands out a lower nextValidId.
    fn max_broker_order_id(&self) -> Result<Option<i64>>;

    /// The journal state [`reconcile`] needs for this broker view.
    fn snapshot_for(&self, view: &BrokerView) -> Result<JournalSnapshot>;

    /// Applies a plan atomically (all or nothing). Applying the same plan twice
    /// changes nothing the second time.
    fn apply(&mut self, plan: &ReconcilePlan, ts: Timestamp) -> Result<ApplySummary>;

    /// Audit lines with `seq > after`, oldest first, at most `limit`.
    fn audit_after(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>>;
}

/// The read side behind `trade journal` and the dashboard, on every
/// backend.
pub trait JournalQueries: Journal {
    /// Orders matching `q`, newest first.
    fn query_orders(&self, q: &OrderQuery) -> Result<Vec<JournalOrder>>;
    /// Executions since `since` with their order and commission, newest
    /// first, at most `limit` (0: all).
    fn query_fills(&self, since: Option<Timestamp>, limit: usize) -> Result<Vec<FillLine>>;
    /// Every audit line of one order, oldest first.
    fn audit_of(&self, id: LocalOrderId) -> Result<Vec<AuditEntry>>;
    /// Schema version, integrity and row counts.
    fn health(&self) -> Result<JournalHealth>;
}

impl JournalQueries for SqliteJournal {
    fn query_orders(&self, q: &OrderQuery) -> Result<Vec<JournalOrder>> {
        SqliteJournal::query_orders(self, q)
    }
    fn query_fills(&self, since: Option<Timestamp>, limit: usize) -> Result<Vec<FillLine>> {
        SqliteJournal::query_fills(self, since, limit)
    }
    fn audit_of(&self, id: LocalOrderId) -> Result<Vec<AuditEntry>> {
        SqliteJournal::audit_of(self, id)
    }
    fn health(&self) -> Result<JournalHealth> {
        SqliteJournal::health(self)
    }
}

/// Reads the journal state for `view`, reconciles and applies the plan; returns
/// the plan (for logging its anomalies, external orders and unresolved intents)
/// and what changed.
pub fn reconcile_and_apply<J: Journal + ?Sized>(
    journal: &mut J,
    view: &BrokerView,
    ts: Timestamp,
) -> Result<(ReconcilePlan, ApplySummary)> {
    let snapshot = journal.snapshot_for(view)?;
    let plan = reconcile(&snapshot, view);
    let summary = journal.apply(&plan, ts)?;
    Ok((plan, summary))
}
