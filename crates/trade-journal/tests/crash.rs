//! A process SIGKILLed between `record_intent` and `mark_sent` leaves orders
//! whose outcome is unknown; reconciliation resolves them from broker evidence
//! only, without resubmitting and without duplicating fills.
//!
//! The child is this test binary itself, re-run with an environment variable
//! that makes `crash_child` do the work (it is a no-op otherwise).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{broker_order, exec, intent};
use trade_core::{Qty, Timestamp};
use trade_journal::{
    BrokerView, Journal, LocalOrderId, OrderState, SqliteJournal, reconcile_and_apply,
};

const CHILD_ENV: &str = "TRADE_JOURNAL_CRASH_CHILD";

#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut j = SqliteJournal::open(&path).unwrap();
    let a = j.record_intent(&intent(1, 10)).unwrap();
    let b = j.record_intent(&intent(2, 5)).unwrap();
    // Tell the parent the intents are durable, then wait to be killed before
    // ever calling mark_sent.
    std::fs::write(format!("{path}.ready"), format!("{} {}", a.0, b.0)).unwrap();
    loop {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run_child_until_killed(path: &Path) -> (LocalOrderId, LocalOrderId) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = path.with_extension("sqlite.ready");
    let start = Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "child never became ready"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Child::kill is SIGKILL on Unix: no destructor, no checkpoint, no flush.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    let text = std::fs::read_to_string(&ready).unwrap();
    let ids: Vec<i64> = text
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    (LocalOrderId(ids[0]), LocalOrderId(ids[1]))
}

#[test]
fn sigkill_between_intent_and_send_is_resolved_without_duplication() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let (a, b) = run_child_until_killed(&path);

    let mut j = SqliteJournal::open(&path).unwrap();
    let unknown: Vec<_> = j.orders_with_unknown_outcome().unwrap();
    assert_eq!(
        unknown.iter().map(|o| o.local_id).collect::<Vec<_>>(),
        vec![a, b]
    );
    assert!(unknown.iter().all(|o| o.state == OrderState::PendingSubmit));

    // Broker has never heard of either: nothing is applied, both stay pending.
    let t = Timestamp::from_secs(100);
    let (plan, summary) = reconcile_and_apply(&mut j, &BrokerView::default(), t).unwrap();
    assert_eq!(plan.unresolved, vec![a, b]);
    assert!(plan.fills.is_empty() && plan.states.is_empty());
    assert_eq!(summary.states_applied, 0);
    assert_eq!(j.orders_with_unknown_outcome().unwrap().len(), 2);

    // Later the broker shows `a` (the send had gone out before the kill) with
    // a partial fill, delivered twice in the same view.
    let view = BrokerView {
        open_orders: vec![broker_order(a, 555, "Submitted", 10, 4)],
        completed_orders: vec![],
        executions: vec![exec("x1", a, 4, 101), exec("x1", a, 4, 101)],
    };
    let (plan, summary) = reconcile_and_apply(&mut j, &view, t).unwrap();
    assert_eq!(plan.unresolved, vec![b]);
    assert_eq!(summary.fills_applied, 1);
    let oa = j.order(a).unwrap().unwrap();
    assert_eq!(
        (oa.state, oa.perm_id, oa.filled),
        (OrderState::Working, Some(555), Qty::new(4))
    );

    // The same view again (a second reconnect): nothing changes.
    let (_, again) = reconcile_and_apply(&mut j, &view, t).unwrap();
    assert_eq!((again.fills_applied, again.states_applied), (0, 0));

    // Then it completes; the rest of the fill arrives only by reconciliation,
    // matched by permId alone (orderRef missing on that report).
    let mut rest = exec("x2", a, 6, 102);
    rest.order_ref = None;
    rest.perm_id = Some(555);
    let view = BrokerView {
        open_orders: vec![],
        completed_orders: vec![broker_order(a, 555, "Filled", 10, 10)],
        executions: vec![exec("x1", a, 4, 101), rest],
    };
    let (_, s) = reconcile_and_apply(&mut j, &view, t).unwrap();
    assert_eq!(s.fills_applied, 1);
    drop(j);

    let j = SqliteJournal::open(&path).unwrap();
    let oa = j.order(a).unwrap().unwrap();
    assert_eq!((oa.state, oa.filled), (OrderState::Filled, Qty::new(10)));
    assert_eq!(j.executions_for(a).unwrap().len(), 2);
    let still: Vec<_> = j
        .orders_with_unknown_outcome()
        .unwrap()
        .into_iter()
        .map(|o| o.local_id)
        .collect();
    assert_eq!(
        still,
        vec![b],
        "b must stay pending until the broker confirms"
    );
}
