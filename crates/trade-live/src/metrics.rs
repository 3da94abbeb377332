//! What a session counts and times for `/metrics`: orders through the
//! gate, fills, rule firings, reconnects, and latency histograms (journal
//! writes; bar close to order handed to the broker). Published inside the
//! [`crate::SessionStatus`] so the server stays independent of the
//! session's types.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use trade_core::Timestamp;
use trade_journal::{
    ApplySummary, AuditEntry, BrokerAck, BrokerView, Commission, Execution, Journal, JournalOrder,
    JournalSnapshot, LocalOrderId, NewIntent, OrderState, PositionLine, ReconcilePlan, Recorded,
    Result, StateChange,
};

/// Upper bounds (seconds) of the latency buckets: 50 µs to 2.5 s.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5,
];

/// A cumulative latency histogram in Prometheus' shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// `(upper bound in seconds, observations at or below it)`, cumulative.
    pub buckets: Vec<(f64, u64)>,
    /// Sum of observations, seconds.
    pub sum: f64,
    /// Observations.
    pub count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: LATENCY_BUCKETS.iter().map(|b| (*b, 0)).collect(),
            sum: 0.0,
            count: 0,
        }
    }
}

impl Histogram {
    /// Adds one observation.
    pub fn observe(&mut self, d: Duration) {
        let s = d.as_secs_f64();
        for (le, n) in &mut self.buckets {
            if s <= *le {
                *n += 1;
            }
        }
        self.sum += s;
        self.count += 1;
    }
}

/// Counters a session keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counters {
    /// Orders the strategies asked for.
    pub orders_proposed: u64,
    /// Approved by the risk gate (including resized).
    pub orders_approved: u64,
    /// Approved with a smaller quantity.
    pub orders_resized: u64,
    /// Refused, by rule (`paused` for held-back entries).
    pub orders_rejected: BTreeMap<String, u64>,
    /// Written to the broker connection.
    pub orders_submitted: u64,
    /// Executions booked.
    pub fills: u64,
    /// Risk rule firings (refusals, resizes, kill switches, flattens), by rule.
    pub rule_firings: BTreeMap<String, u64>,
    /// Broker (re)connections after the first.
    pub reconnects: u64,
    /// Operators' controls carried out or refused.
    pub controls: u64,
}

/// A journal that times its writes into a shared histogram.
pub struct TimedJournal {
    inner: Box<dyn Journal + Send>,
    writes: Arc<Mutex<Histogram>>,
}

impl std::fmt::Debug for TimedJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimedJournal").finish_non_exhaustive()
    }
}

impl TimedJournal {
    /// Wraps `inner`; its write latencies go into `writes`.
    pub fn new(inner: Box<dyn Journal + Send>, writes: Arc<Mutex<Histogram>>) -> Self {
        TimedJournal { inner, writes }
    }

    fn timed<T>(&mut self, f: impl FnOnce(&mut dyn Journal) -> T) -> T {
        let start = Instant::now();
        let out = f(self.inner.as_mut());
        if let Ok(mut h) = self.writes.lock() {
            h.observe(start.elapsed());
        }
        out
    }
}

impl Journal for TimedJournal {
    fn record_intent(&mut self, intent: &NewIntent) -> Result<LocalOrderId> {
        self.timed(|j| j.record_intent(intent))
    }
    fn mark_sent(&mut self, id: LocalOrderId, ts: Timestamp) -> Result<StateChange> {
        self.timed(|j| j.mark_sent(id, ts))
    }
    fn record_broker_ack(
        &mut self,
        id: LocalOrderId,
        ack: BrokerAck,
        ts: Timestamp,
    ) -> Result<StateChange> {
        self.timed(|j| j.record_broker_ack(id, ack, ts))
    }
    fn record_status(
        &mut self,
        id: LocalOrderId,
        state: OrderState,
        ts: Timestamp,
        detail: &str,
    ) -> Result<StateChange> {
        self.timed(|j| j.record_status(id, state, ts, detail))
    }
    fn record_execution(&mut self, exec: &Execution) -> Result<Recorded> {
        self.timed(|j| j.record_execution(exec))
    }
    fn record_commission(&mut self, commission: &Commission) -> Result<Recorded> {
        self.timed(|j| j.record_commission(commission))
    }
    fn record_positions(&mut self, ts: Timestamp, lines: &[PositionLine]) -> Result<i64> {
        self.timed(|j| j.record_positions(ts, lines))
    }
    fn record_decision(
        &mut self,
        ts: Timestamp,
        strategy: &str,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        self.timed(|j| j.record_decision(ts, strategy, payload))
    }
    fn record_risk_verdict(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        self.timed(|j| j.record_risk_verdict(ts, local_id, payload))
    }
    fn record_control(
        &mut self,
        ts: Timestamp,
        local_id: Option<LocalOrderId>,
        payload: &serde_json::Value,
    ) -> Result<i64> {
        self.timed(|j| j.record_control(ts, local_id, payload))
    }
    fn order(&self, id: LocalOrderId) -> Result<Option<JournalOrder>> {
        self.inner.order(id)
    }
    fn orders_with_unknown_outcome(&self) -> Result<Vec<JournalOrder>> {
        self.inner.orders_with_unknown_outcome()
    }
    fn open_orders(&self) -> Result<Vec<JournalOrder>> {
        self.inner.open_orders()
    }
    fn executions_for(&self, id: LocalOrderId) -> Result<Vec<Execution>> {
        self.inner.executions_for(id)
    }
    fn last_execution_time(&self) -> Result<Option<Timestamp>> {
        self.inner.last_execution_time()
    }
    fn max_broker_order_id(&self) -> Result<Option<i64>> {
        self.inner.max_broker_order_id()
    }
    fn snapshot_for(&self, view: &BrokerView) -> Result<JournalSnapshot> {
        self.inner.snapshot_for(view)
    }
    fn apply(&mut self, plan: &ReconcilePlan, ts: Timestamp) -> Result<ApplySummary> {
        self.timed(|j| j.apply(plan, ts))
    }
    fn audit_after(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>> {
        self.inner.audit_after(after, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_sum_counts() {
        let mut h = Histogram::default();
        h.observe(Duration::from_micros(30));
        h.observe(Duration::from_micros(700));
        h.observe(Duration::from_secs(10));
        let at = |le: f64| h.buckets.iter().find(|(b, _)| *b == le).unwrap().1;
        assert_eq!(at(0.000_05), 1);
        assert_eq!(at(0.000_5), 1);
        assert_eq!(at(0.001), 2);
        assert_eq!(at(2.5), 2, "10 s is above every bound (only in +Inf)");
        assert_eq!(h.count, 3);
        assert!((h.sum - 10.000_73).abs() < 1e-9);
    }
}
