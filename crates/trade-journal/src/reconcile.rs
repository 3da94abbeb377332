//! Reconciliation: compare the journal with the broker's view after a start or
//! a reconnect and decide what to apply. [`reconcile`] is pure: it reads a
//! [`JournalSnapshot`] and a [`BrokerView`] and returns a [`ReconcilePlan`];
//! the journal applies the plan in one transaction.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use trade_core::{Qty, Side};

use crate::{BrokerAck, Execution, JournalOrder, LocalOrderId, OrderState};

/// One order as the broker reports it (`openOrder`/`orderStatus` or
/// `completedOrder`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerOrder {
    /// The `orderRef` the order carries, if any.
    pub order_ref: Option<String>,
    /// TWS API order id.
    pub broker_order_id: Option<i64>,
    /// IB permId.
    pub perm_id: Option<i64>,
    /// IB status string (`Submitted`, `Filled`, `Cancelled`, ...).
    pub status: String,
    /// Instrument key.
    pub instrument: String,
    /// Side.
    pub side: Side,
    /// Total quantity.
    pub qty: Qty,
    /// Quantity filled so far.
    pub filled: Qty,
}

/// What the broker reported after a (re)connect: open orders, completed
/// orders and executions since the last one the journal saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerView {
    /// `reqOpenOrders` / `reqAllOpenOrders`.
    pub open_orders: Vec<BrokerOrder>,
    /// `reqCompletedOrders`.
    pub completed_orders: Vec<BrokerOrder>,
    /// `reqExecutions`.
    pub executions: Vec<Execution>,
}

/// The part of the journal reconciliation needs: every order whose outcome is
/// not final plus every order the broker view refers to, and which of the
/// view's execution ids are already journaled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JournalSnapshot {
    /// Orders, any order.
    pub orders: Vec<JournalOrder>,
    /// Execution ids of the view already in the journal.
    pub known_exec_ids: HashSet<String>,
}

/// A fill the journal missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFill {
    /// The journal order it belongs to, `None` for an external order.
    pub local_id: Option<LocalOrderId>,
    /// The execution.
    pub exec: Execution,
}

/// A state the journal should move an order to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedState {
    /// The order.
    pub local_id: LocalOrderId,
    /// Its new state.
    pub state: OrderState,
    /// Broker ids learnt from the view.
    pub ack: BrokerAck,
}

/// What reconciliation decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcilePlan {
    /// Executions not yet journaled, each exactly once.
    pub fills: Vec<PlannedFill>,
    /// State changes (only progress; see [`OrderState::accepts`]).
    pub states: Vec<PlannedState>,
    /// Orders at the broker that this journal did not place.
    pub external_orders: Vec<BrokerOrder>,
    /// Orders whose outcome is unknown and which the broker view does not
    /// mention. They stay pending: never resubmit them; after a *complete*
    /// view an operator (or a policy with a grace period) may mark them
    /// [`OrderState::Abandoned`].
    pub unresolved: Vec<LocalOrderId>,
    /// Inconsistencies an operator should look at (unknown IB status,
    /// instrument or side mismatch, overfill, working orders the broker
    /// does not list).
    pub anomalies: Vec<String>,
}

impl ReconcilePlan {
    /// Whether applying the plan would change nothing and nothing needs a look.
    pub fn is_empty(&self) -> bool {
        self.fills.is_empty()
            && self.states.is_empty()
            && self.external_orders.is_empty()
            && self.unresolved.is_empty()
            && self.anomalies.is_empty()
    }
}

struct Index<'a> {
    by_id: HashMap<LocalOrderId, &'a JournalOrder>,
    by_perm: HashMap<i64, LocalOrderId>,
}

impl<'a> Index<'a> {
    fn new(orders: &'a [JournalOrder]) -> Self {
        let by_id = orders.iter().map(|o| (o.local_id, o)).collect();
        let by_perm = orders
            .iter()
            .filter_map(|o| o.perm_id.map(|p| (p, o.local_id)))
            .collect();
        Index { by_id, by_perm }
    }

    /// orderRef first (it is ours and survives everything), permId second
    /// (covers orders acknowledged before the ref was lost, e.g. modified in TWS).
    fn find(&self, order_ref: Option<&str>, perm_id: Option<i64>) -> Option<LocalOrderId> {
        order_ref
            .and_then(LocalOrderId::from_order_ref)
            .filter(|id| self.by_id.contains_key(id))
            .or_else(|| perm_id.and_then(|p| self.by_perm.get(&p).copied()))
    }
}

/// Decides what to apply to bring the journal in line with the broker.
///
/// Guarantees: every execution id appears in `fills` at most once and only if
/// it is not in `snapshot.known_exec_ids`; a state change is proposed only if
/// it is progress from the journaled state; an order whose outcome is unknown
/// is resolved only by broker evidence (an order or an execution carrying its
/// `orderRef`/permId), otherwise it is listed in `unresolved`. Nothing here
/// ever proposes sending an order.
pub fn reconcile(snapshot: &JournalSnapshot, view: &BrokerView) -> ReconcilePlan {
    let index = Index::new(&snapshot.orders);
    let mut plan = ReconcilePlan::default();
    // The state each order would reach once the plan is applied.
    let mut state: HashMap<LocalOrderId, (OrderState, BrokerAck)> = snapshot
        .orders
        .iter()
        .map(|o| {
            let ack = BrokerAck {
                broker_order_id: o.broker_order_id,
                perm_id: o.perm_id,
            };
            (o.local_id, (o.state, ack))
        })
        .collect();
    let mut seen: HashSet<LocalOrderId> = HashSet::new();
    let mut perm_to_local: HashMap<i64, LocalOrderId> = index.by_perm.clone();

    // Open orders first, completed second: a completed (terminal) report wins.
    for bo in view.open_orders.iter().chain(&view.completed_orders) {
        let Some(id) = index.find(bo.order_ref.as_deref(), bo.perm_id) else {
            if !plan.external_orders.contains(bo) {
                plan.external_orders.push(bo.clone());
            }
            continue;
        };
        seen.insert(id);
        if let Some(p) = bo.perm_id {
            perm_to_local.insert(p, id);
        }
        if let Some(jo) = index.by_id.get(&id)
            && (jo.instrument != bo.instrument || jo.side != bo.side || jo.qty != bo.qty)
        {
            plan.anomalies.push(format!(
                "order {id}: journal has {} {} {}, broker has {} {} {}",
                jo.side.as_str(),
                jo.qty.get(),
                jo.instrument,
                bo.side.as_str(),
                bo.qty.get(),
                bo.instrument
            ));
        }
        let Some(next) = OrderState::from_ib_status(&bo.status) else {
            plan.anomalies.push(format!(
                "order {id}: unknown IB status {:?}; state left unchanged",
                bo.status
            ));
            continue;
        };
        if let Some((cur, ack)) = state.get_mut(&id) {
            let ack_changed = (bo.perm_id.is_some() && ack.perm_id != bo.perm_id)
                || (bo.broker_order_id.is_some() && ack.broker_order_id != bo.broker_order_id);
            if ack_changed {
                ack.perm_id = bo.perm_id.or(ack.perm_id);
                ack.broker_order_id = bo.broker_order_id.or(ack.broker_order_id);
            }
            // A broker that lists the order has it: an unknown outcome is at
            // least Working now, even if IB still says PendingSubmit.
            let next = if cur.outcome_unknown() && next == OrderState::Sent {
                OrderState::Working
            } else {
                next
            };
            if cur.accepts(next) {
                *cur = next;
            }
        }
    }

    let mut planned_exec: HashSet<&str> = HashSet::new();
    let mut planned_qty: HashMap<LocalOrderId, u64> = HashMap::new();
    for ex in &view.executions {
        if snapshot.known_exec_ids.contains(&ex.exec_id) || !planned_exec.insert(&ex.exec_id) {
            continue;
        }
        let local_id = ex
            .order_ref
            .as_deref()
            .and_then(LocalOrderId::from_order_ref)
            .filter(|id| index.by_id.contains_key(id))
            .or_else(|| ex.perm_id.and_then(|p| perm_to_local.get(&p).copied()));
        if let Some(id) = local_id {
            seen.insert(id);
            *planned_qty.entry(id).or_default() += ex.qty.get();
            if let Some(jo) = index.by_id.get(&id)
                && (jo.instrument != ex.instrument || jo.side != ex.side)
            {
                plan.anomalies.push(format!(
                    "execution {}: order {id} is {} {}, execution is {} {}",
                    ex.exec_id,
                    jo.side.as_str(),
                    jo.instrument,
                    ex.side.as_str(),
                    ex.instrument
                ));
            }
            // An execution proves the order reached the broker.
            if let Some((cur, _)) = state.get_mut(&id)
                && (cur.outcome_unknown() || *cur == OrderState::Abandoned)
            {
                *cur = OrderState::Working;
            }
        }
        plan.fills.push(PlannedFill {
            local_id,
            exec: ex.clone(),
        });
    }

    for jo in &snapshot.orders {
        let id = jo.local_id;
        let planned = planned_qty.get(&id).copied().unwrap_or(0);
        let total = jo.filled.get().saturating_add(planned);
        if total > jo.qty.get() {
            plan.anomalies.push(format!(
                "order {id}: {total} filled exceeds order quantity {}",
                jo.qty.get()
            ));
        }
        if let Some((next, ack)) = state.get(&id).copied() {
            // Executions alone can complete an order the view does not list.
            let next = if next == OrderState::Working && total >= jo.qty.get() {
                OrderState::Filled
            } else {
                next
            };
            let ack_changed =
                ack.perm_id != jo.perm_id || ack.broker_order_id != jo.broker_order_id;
            if jo.state.accepts(next) || (next == jo.state && ack_changed) {
                plan.states.push(PlannedState {
                    local_id: id,
                    state: next,
                    ack,
                });
            }
        }
        if !seen.contains(&id) {
            if jo.state.outcome_unknown() {
                plan.unresolved.push(id);
            } else if jo.state == OrderState::Working {
                plan.anomalies.push(format!(
                    "order {id}: working in the journal but neither open nor completed at the broker"
                ));
            }
        }
    }
    plan.states.sort_by_key(|s| s.local_id);
    plan.unresolved.sort();
    plan
}
