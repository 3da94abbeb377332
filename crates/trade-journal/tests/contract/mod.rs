//! Behaviour every journal backend must have, as functions over a way to
//! open the journal (again): the SQLite and PostgreSQL tests both run them.
#![allow(dead_code)]

use trade_core::{Money, Price, Qty, Side, Timestamp};
use trade_journal::{
    AuditKind, BrokerAck, BrokerView, Commission, Journal, OrderState, PositionLine, Recorded,
    StateChange, reconcile_and_apply,
};

use crate::common::{broker_order, exec, intent};

fn ts(s: i64) -> Timestamp {
    Timestamp::from_secs(s)
}

/// Intent → sent → ack → fills (a duplicate ignored) → commission (once);
/// everything still there after closing and reopening.
pub fn lifecycle_survives_reopen(open: &dyn Fn() -> Box<dyn Journal>) {
    let (a, b) = {
        let mut j = open();
        let a = j.record_intent(&intent(1, 10)).unwrap();
        let b = j.record_intent(&intent(2, 5)).unwrap();
        assert!(b > a);
        assert_eq!(j.mark_sent(a, ts(3)).unwrap(), StateChange::Applied);
        let ack = BrokerAck {
            broker_order_id: Some(11),
            perm_id: Some(9001),
        };
        assert_eq!(
            j.record_broker_ack(a, ack, ts(4)).unwrap(),
            StateChange::Applied
        );
        assert_eq!(
            j.record_execution(&exec("e1", a, 4, 5)).unwrap(),
            Recorded::New
        );
        assert_eq!(
            j.record_execution(&exec("e1", a, 4, 5)).unwrap(),
            Recorded::AlreadyKnown
        );
        let c = Commission {
            exec_id: "e1".into(),
            commission: Money::from_cents(100),
            currency: "USD".into(),
            realized_pnl: None,
            ts: ts(6),
        };
        assert_eq!(j.record_commission(&c).unwrap(), Recorded::New);
        assert_eq!(j.record_commission(&c).unwrap(), Recorded::AlreadyKnown);
        (a, b)
    };
    let mut j = open();
    let oa = j.order(a).unwrap().unwrap();
    assert_eq!(oa.state, OrderState::Working);
    assert_eq!((oa.broker_order_id, oa.perm_id), (Some(11), Some(9001)));
    assert_eq!(oa.filled, Qty::new(4));
    assert_eq!(oa.limit_price, Some(Price::from_cents(50_012)));
    assert_eq!(oa.order["tif"], "day");
    let ob = j.order(b).unwrap().unwrap();
    assert_eq!(ob.state, OrderState::PendingSubmit);
    let unknown: Vec<_> = j
        .orders_with_unknown_outcome()
        .unwrap()
        .into_iter()
        .map(|o| o.local_id)
        .collect();
    assert_eq!(unknown, vec![b]);
    assert_eq!(j.open_orders().unwrap().len(), 2);
    assert_eq!(j.executions_for(a).unwrap().len(), 1);
    assert_eq!(j.last_execution_time().unwrap(), Some(ts(5)));
    assert_eq!(j.max_broker_order_id().unwrap(), Some(11));
    // A report older than what is known is logged, not applied.
    assert_eq!(
        j.record_status(a, OrderState::Filled, ts(7), "filled")
            .unwrap(),
        StateChange::Applied
    );
    assert_eq!(
        j.record_status(a, OrderState::Working, ts(8), "late")
            .unwrap(),
        StateChange::Stale
    );
    assert_eq!(j.order(a).unwrap().unwrap().state, OrderState::Filled);
    // The next id continues after a reopen.
    let c = j.record_intent(&intent(9, 1)).unwrap();
    assert!(c > b);
}

/// The audit trail keeps every kind in order.
pub fn audit_trail_in_order(j: &mut dyn Journal) {
    let a = j.record_intent(&intent(1, 10)).unwrap();
    j.record_decision(ts(2), "sma", &serde_json::json!({"cross": "up"}))
        .unwrap();
    j.record_risk_verdict(ts(3), Some(a), &serde_json::json!({"verdict": "approved"}))
        .unwrap();
    j.record_control(
        ts(4),
        None,
        &serde_json::json!({"action": "pause", "actor": "ops"}),
    )
    .unwrap();
    j.record_positions(
        ts(5),
        &[
            PositionLine {
                instrument: "SPY".into(),
                qty: 10,
                avg_cost: Price::from_cents(50_000),
            },
            PositionLine {
                instrument: "SPY".into(),
                qty: 5,
                avg_cost: Price::from_cents(50_000),
            },
        ],
    )
    .unwrap();
    let lines = j.audit_after(0, 100).unwrap();
    let kinds: Vec<AuditKind> = lines.iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditKind::Order,
            AuditKind::Decision,
            AuditKind::RiskVerdict,
            AuditKind::Control,
            AuditKind::Positions
        ]
    );
    assert!(lines.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(lines[1].payload["decision"]["cross"], "up");
    assert_eq!(lines[2].local_id, Some(a));
    assert_eq!(j.audit_after(lines[2].seq, 100).unwrap().len(), 2);
}

/// Reconciliation books a fill made while disconnected once, moves the
/// order, and a second pass changes nothing.
pub fn reconciliation_applies_once(j: &mut dyn Journal) {
    let a = j.record_intent(&intent(1, 10)).unwrap();
    j.mark_sent(a, ts(2)).unwrap();
    j.record_broker_ack(
        a,
        BrokerAck {
            broker_order_id: Some(7),
            perm_id: Some(500),
        },
        ts(3),
    )
    .unwrap();
    let mut by_perm = exec("x2", a, 4, 11);
    by_perm.order_ref = None;
    by_perm.perm_id = Some(500);
    let view = BrokerView {
        open_orders: Vec::new(),
        completed_orders: vec![broker_order(a, 500, "Filled", 10, 10)],
        executions: vec![exec("x1", a, 6, 10), by_perm],
    };
    let (_, first) = reconcile_and_apply(j, &view, ts(20)).unwrap();
    assert_eq!(first.fills_applied, 2);
    assert_eq!(first.states_applied, 1);
    let (_, again) = reconcile_and_apply(j, &view, ts(21)).unwrap();
    assert_eq!((again.fills_applied, again.states_applied), (0, 0));
    let o = j.order(a).unwrap().unwrap();
    assert_eq!((o.state, o.filled), (OrderState::Filled, Qty::new(10)));
    assert_eq!(j.executions_for(a).unwrap().len(), 2);
    assert_eq!(Side::Buy, j.executions_for(a).unwrap()[0].side);
}
