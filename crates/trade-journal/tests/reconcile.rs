//! Pure reconciliation over a journal snapshot and a broker view, and the
//! exactly-once property of fills under any delivery order.

mod common;

use std::collections::HashMap;

use common::{broker_order, exec, intent};
use proptest::prelude::*;
use trade_core::{Qty, Side, Timestamp};
use trade_journal::{
    BrokerAck, BrokerView, Journal, LocalOrderId, OrderState, Recorded, SqliteJournal, reconcile,
    reconcile_and_apply,
};

fn ts(s: i64) -> Timestamp {
    Timestamp::from_secs(s)
}

#[test]
fn orders_without_our_ref_or_perm_id_are_external() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let a = j.record_intent(&intent(1, 10)).unwrap();
    j.mark_sent(a, ts(2)).unwrap();
    let mut manual = broker_order(a, 777, "Submitted", 3, 0);
    manual.order_ref = None;
    let mut unknown_ref = broker_order(LocalOrderId(999), 778, "Submitted", 3, 0);
    unknown_ref.broker_order_id = Some(8);
    let mut manual_fill = exec("m1", a, 3, 3);
    manual_fill.order_ref = Some("hand".to_owned());
    manual_fill.perm_id = Some(777);
    let view = BrokerView {
        open_orders: vec![
            manual.clone(),
            unknown_ref.clone(),
            broker_order(a, 555, "PreSubmitted", 10, 0),
        ],
        completed_orders: vec![],
        executions: vec![manual_fill],
    };
    let plan = reconcile(&j.snapshot_for(&view).unwrap(), &view);
    assert_eq!(plan.external_orders, vec![manual, unknown_ref]);
    assert_eq!(plan.fills.len(), 1);
    assert_eq!(
        plan.fills[0].local_id, None,
        "a fill of an external order is not ours"
    );
    assert_eq!(plan.states.len(), 1);
    assert_eq!(plan.states[0].state, OrderState::Working);
    assert_eq!(
        plan.states[0].ack,
        BrokerAck {
            broker_order_id: Some(7),
            perm_id: Some(555)
        }
    );
    assert!(plan.unresolved.is_empty());
    j.apply(&plan, ts(4)).unwrap();
    assert_eq!(j.order(a).unwrap().unwrap().filled, Qty::ZERO);
}

#[test]
fn stale_broker_status_does_not_reopen_a_filled_order() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let a = j.record_intent(&intent(1, 10)).unwrap();
    j.record_broker_ack(
        a,
        BrokerAck {
            broker_order_id: Some(7),
            perm_id: Some(555),
        },
        ts(2),
    )
    .unwrap();
    j.record_status(a, OrderState::Filled, ts(3), "Filled")
        .unwrap();
    let view = BrokerView {
        open_orders: vec![broker_order(a, 555, "Submitted", 10, 10)],
        ..BrokerView::default()
    };
    let plan = reconcile(&j.snapshot_for(&view).unwrap(), &view);
    assert!(plan.states.is_empty(), "{plan:?}");
}

#[test]
fn broker_evidence_reopens_an_abandoned_order_and_flags_overfills_and_unknown_statuses() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let a = j.record_intent(&intent(1, 2)).unwrap();
    let b = j.record_intent(&intent(1, 2)).unwrap();
    j.record_status(a, OrderState::Abandoned, ts(2), "operator: not at broker")
        .unwrap();
    let view = BrokerView {
        open_orders: vec![broker_order(b, 2, "Frozen", 2, 0)],
        completed_orders: vec![],
        executions: vec![exec("e1", a, 2, 3), exec("e2", a, 1, 3)],
    };
    let plan = reconcile(&j.snapshot_for(&view).unwrap(), &view);
    assert_eq!(plan.fills.len(), 2);
    assert_eq!(plan.states.len(), 1);
    assert_eq!(
        (plan.states[0].local_id, plan.states[0].state),
        (a, OrderState::Filled)
    );
    assert!(
        plan.anomalies
            .iter()
            .any(|s| s.contains("3 filled exceeds order quantity 2")),
        "{:?}",
        plan.anomalies
    );
    assert!(
        plan.anomalies.iter().any(|s| s.contains("\"Frozen\"")),
        "{:?}",
        plan.anomalies
    );
    // b is listed by the broker, so it is not unresolved, but its state is unknown.
    assert!(plan.unresolved.is_empty());
    assert_eq!(
        j.order(b).unwrap().unwrap().state,
        OrderState::PendingSubmit
    );
}

#[test]
fn executions_alone_complete_an_order_missing_from_the_order_lists() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let a = j.record_intent(&intent(1, 5)).unwrap();
    j.mark_sent(a, ts(2)).unwrap();
    let view = BrokerView {
        executions: vec![exec("e1", a, 2, 3), exec("e2", a, 3, 4)],
        ..BrokerView::default()
    };
    let (plan, s) = reconcile_and_apply(&mut j, &view, ts(5)).unwrap();
    assert!(plan.unresolved.is_empty());
    assert_eq!((s.fills_applied, s.states_applied), (2, 1));
    let o = j.order(a).unwrap().unwrap();
    assert_eq!((o.state, o.filled), (OrderState::Filled, Qty::new(5)));
}

#[test]
fn working_orders_the_broker_does_not_list_are_flagged() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let a = j.record_intent(&intent(1, 5)).unwrap();
    j.record_broker_ack(
        a,
        BrokerAck {
            broker_order_id: Some(1),
            perm_id: Some(2),
        },
        ts(2),
    )
    .unwrap();
    let plan = reconcile(
        &j.snapshot_for(&BrokerView::default()).unwrap(),
        &BrokerView::default(),
    );
    assert!(plan.unresolved.is_empty());
    assert_eq!(plan.anomalies.len(), 1);
    assert!(plan.anomalies[0].contains(&format!("order {a}")));
}

const ORDERS: usize = 3;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any interleaving of live and reconciliation deliveries, with
    /// duplicates and out of order, journals each fill exactly once and each
    /// order's filled quantity is the sum of its distinct fills.
    #[test]
    fn every_fill_is_journaled_exactly_once(
        fills in prop::collection::vec((0..ORDERS, 1u64..5), 1..12),
        extra in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>(), any::<bool>()), 0..30),
        first_via_reconcile in prop::collection::vec(any::<bool>(), 12),
        seed in any::<u64>(),
    ) {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        let ids: Vec<LocalOrderId> = (0..ORDERS)
            .map(|i| j.record_intent(&intent(i as i64, 100)).unwrap())
            .collect();
        for (k, id) in ids.iter().enumerate() {
            j.record_broker_ack(*id, BrokerAck { broker_order_id: None, perm_id: Some(1000 + k as i64) }, ts(0)).unwrap();
        }
        let execs: Vec<_> = fills
            .iter()
            .enumerate()
            .map(|(n, (o, q))| {
                let mut e = exec(&format!("e{n}"), ids[*o], *q, 10 + n as i64);
                // Some reports carry only the permId.
                if n % 3 == 0 {
                    e.order_ref = None;
                    e.perm_id = Some(1000 + *o as i64);
                }
                e
            })
            .collect();
        // Each fill once, plus duplicates, in a shuffled order; `true` = seen
        // by a reconciliation batch, `false` = live callback.
        let mut deliveries: Vec<(usize, bool, bool)> = (0..execs.len())
            .map(|n| (n, first_via_reconcile[n], false))
            .chain(extra.iter().map(|(ix, r, cut)| (ix.index(execs.len()), *r, *cut)))
            .collect();
        let mut state = seed | 1;
        for i in (1..deliveries.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            deliveries.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut batch = BrokerView::default();
        let mut live_new = 0usize;
        let mut recon_new = 0usize;
        for (n, via_reconcile, flush) in deliveries {
            if via_reconcile {
                batch.executions.push(execs[n].clone());
            } else if j.record_execution(&execs[n]).unwrap() == Recorded::New {
                live_new += 1;
            }
            if flush {
                recon_new += reconcile_and_apply(&mut j, &batch, ts(50)).unwrap().1.fills_applied;
                batch = BrokerView::default();
            }
        }
        recon_new += reconcile_and_apply(&mut j, &batch, ts(60)).unwrap().1.fills_applied;
        prop_assert_eq!(live_new + recon_new, execs.len());
        let mut expect: HashMap<LocalOrderId, u64> = HashMap::new();
        for (o, q) in &fills {
            *expect.entry(ids[*o]).or_default() += q;
        }
        for id in &ids {
            let o = j.order(*id).unwrap().unwrap();
            prop_assert_eq!(o.filled.get(), expect.get(id).copied().unwrap_or(0));
            let journaled = j.executions_for(*id).unwrap();
            prop_assert_eq!(journaled.iter().map(|e| e.qty.get()).sum::<u64>(), o.filled.get());
            prop_assert!(journaled.iter().all(|e| e.side == Side::Buy));
        }
    }
}
