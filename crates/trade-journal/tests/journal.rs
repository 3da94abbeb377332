//! The SQLite journal: durability, idempotency, ordering of states, bad files.

mod common;

use std::fs;

use common::{exec, intent};
use trade_core::{Money, Price, Qty, Timestamp};
use trade_journal::{
    AuditKind, BrokerAck, Commission, Journal, JournalError, LocalOrderId, OrderState,
    PositionLine, Recorded, SCHEMA_VERSION, SqliteJournal, StateChange,
};

fn ts(s: i64) -> Timestamp {
    Timestamp::from_secs(s)
}

#[test]
fn order_lifecycle_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let (a, b) = {
        let mut j = SqliteJournal::open(&path).unwrap();
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
        (a, b)
    };
    let mut j = SqliteJournal::open(&path).unwrap();
    let oa = j.order(a).unwrap().unwrap();
    assert_eq!(oa.state, OrderState::Working);
    assert_eq!(oa.perm_id, Some(9001));
    assert_eq!(oa.broker_order_id, Some(11));
    assert_eq!(oa.filled, Qty::new(4));
    assert_eq!(oa.limit_price, Some(Price::from_cents(50_012)));
    assert_eq!(oa.order["tif"], "day");
    let unknown = j.orders_with_unknown_outcome().unwrap();
    assert_eq!(
        unknown.iter().map(|o| o.local_id).collect::<Vec<_>>(),
        vec![b]
    );
    // Ids keep increasing after a restart and are never reused.
    let c = j.record_intent(&intent(6, 1)).unwrap();
    assert!(c > b, "{c} after {b}");
    assert_eq!(j.last_execution_time().unwrap(), Some(ts(5)));
    // The broker id floor a new process starts above: order a was acked as 11.
    assert_eq!(j.max_broker_order_id().unwrap(), Some(11));
    assert_eq!(
        SqliteJournal::open_in_memory()
            .unwrap()
            .max_broker_order_id()
            .unwrap(),
        None
    );
}

#[test]
fn local_ids_are_never_reused_even_after_rows_vanish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let first = {
        let mut j = SqliteJournal::open(&path).unwrap();
        j.record_intent(&intent(1, 1)).unwrap()
    };
    {
        // A careless operator deletes rows with the sqlite3 shell.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("DELETE FROM audit; DELETE FROM orders;")
            .unwrap();
    }
    let mut j = SqliteJournal::open(&path).unwrap();
    let next = j.record_intent(&intent(2, 1)).unwrap();
    assert!(next > first, "{next} reused or went back from {first}");
}

#[test]
fn order_ref_round_trips_and_rejects_foreign_refs() {
    let id = LocalOrderId(42);
    assert_eq!(id.order_ref(), "trade-42");
    assert_eq!(LocalOrderId::from_order_ref("trade-42"), Some(id));
    for foreign in [
        "",
        "trade-",
        "42",
        "trade--1",
        "trade-0",
        "trade-4x",
        "TRADE-4",
        "trade-99999999999999999999",
    ] {
        assert_eq!(LocalOrderId::from_order_ref(foreign), None, "{foreign:?}");
    }
}

#[test]
fn duplicate_exec_ids_and_commissions_are_no_ops() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let a = j.record_intent(&intent(1, 10)).unwrap();
    assert_eq!(
        j.record_execution(&exec("e1", a, 3, 2)).unwrap(),
        Recorded::New
    );
    assert_eq!(
        j.record_execution(&exec("e1", a, 3, 2)).unwrap(),
        Recorded::AlreadyKnown
    );
    // Same id, different content: the first one stays.
    assert_eq!(
        j.record_execution(&exec("e1", a, 7, 2)).unwrap(),
        Recorded::AlreadyKnown
    );
    assert_eq!(
        j.record_execution(&exec("e2", a, 2, 3)).unwrap(),
        Recorded::New
    );
    let o = j.order(a).unwrap().unwrap();
    assert_eq!(o.filled, Qty::new(5));
    assert_eq!(j.executions_for(a).unwrap().len(), 2);
    let c = Commission {
        exec_id: "e1".to_owned(),
        commission: Money::from_cents(100),
        currency: "USD".to_owned(),
        realized_pnl: None,
        ts: ts(4),
    };
    assert_eq!(j.record_commission(&c).unwrap(), Recorded::New);
    assert_eq!(j.record_commission(&c).unwrap(), Recorded::AlreadyKnown);
    let audit = j.audit_after(0, 1000).unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.kind == AuditKind::Fill).count(),
        2
    );
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.kind == AuditKind::Commission)
            .count(),
        1
    );
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.kind == AuditKind::Reconcile)
            .count(),
        1
    );
}

#[test]
fn stale_and_out_of_order_states_do_not_move_an_order_back() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let a = j.record_intent(&intent(1, 10)).unwrap();
    j.mark_sent(a, ts(2)).unwrap();
    assert_eq!(
        j.record_status(a, OrderState::Filled, ts(3), "Filled")
            .unwrap(),
        StateChange::Applied
    );
    assert_eq!(
        j.record_status(a, OrderState::Working, ts(4), "Submitted")
            .unwrap(),
        StateChange::Stale
    );
    assert_eq!(j.mark_sent(a, ts(5)).unwrap(), StateChange::Stale);
    assert_eq!(
        j.record_status(a, OrderState::Cancelled, ts(6), "Cancelled")
            .unwrap(),
        StateChange::Stale
    );
    assert_eq!(j.order(a).unwrap().unwrap().state, OrderState::Filled);
    assert!(matches!(
        j.mark_sent(LocalOrderId(999), ts(7)),
        Err(JournalError::UnknownOrder(LocalOrderId(999)))
    ));
    // Every report, applied or not, is in the audit trail with timestamps.
    let order_lines: Vec<_> = j
        .audit_after(0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::Order && e.local_id == Some(a))
        .collect();
    assert_eq!(order_lines.len(), 6);
    assert_eq!(order_lines[3].payload["applied"], false);
    assert_eq!(order_lines[3].ts, ts(4));
}

#[test]
fn decisions_verdicts_and_positions_are_audited_in_order() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let s1 = j
        .record_decision(ts(1), "sma", &serde_json::json!({"signal": "buy"}))
        .unwrap();
    let a = j.record_intent(&intent(2, 1)).unwrap();
    let s2 = j
        .record_risk_verdict(ts(2), Some(a), &serde_json::json!({"verdict": "accept"}))
        .unwrap();
    let lines = [PositionLine {
        instrument: "SPY".to_owned(),
        qty: -3,
        avg_cost: Price::from_cents(100),
    }];
    j.record_positions(ts(3), &lines).unwrap();
    assert!(s2 > s1);
    let all = j.audit_after(0, 100).unwrap();
    let kinds: Vec<_> = all.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditKind::Decision,
            AuditKind::Order,
            AuditKind::RiskVerdict,
            AuditKind::Positions
        ]
    );
    assert_eq!(all[0].payload["decision"]["signal"], "buy");
    assert_eq!(all[2].local_id, Some(a));
    assert_eq!(j.audit_after(s1, 1).unwrap()[0].kind, AuditKind::Order);
}

#[test]
fn garbage_file_is_a_typed_corruption_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    fs::write(&path, vec![0x5a_u8; 8192]).unwrap();
    let err = SqliteJournal::open(&path).unwrap_err();
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("j.sqlite"), "{err}");
}

fn filled_journal(path: &std::path::Path, n: i64) {
    let mut j = SqliteJournal::open(path).unwrap();
    for i in 0..n {
        let id = j.record_intent(&intent(i, 1)).unwrap();
        j.record_decision(ts(i), "sma", &serde_json::json!({"pad": "x".repeat(500)}))
            .unwrap();
        j.mark_sent(id, ts(i)).unwrap();
    }
}

#[test]
fn truncated_database_is_a_typed_corruption_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    filled_journal(&path, 200);
    let len = fs::metadata(&path).unwrap().len();
    assert!(
        len > 64 * 1024,
        "file too small to truncate meaningfully: {len}"
    );
    let f = fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let err = SqliteJournal::open(&path).unwrap_err();
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err}");
}

#[test]
fn torn_wal_tail_keeps_every_committed_write() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.sqlite");
    let copy = dir.path().join("copy.sqlite");
    let mut j = SqliteJournal::open(&live).unwrap();
    let a = j.record_intent(&intent(1, 10)).unwrap();
    j.mark_sent(a, ts(2)).unwrap();
    // Snapshot the files while the journal is open (as a crash would leave
    // them), then tear the WAL: a half-written frame of garbage at the end.
    fs::copy(&live, &copy).unwrap();
    let mut wal = fs::read(dir.path().join("live.sqlite-wal")).unwrap();
    assert!(!wal.is_empty());
    wal.extend(std::iter::repeat_n(0xa5_u8, 3000));
    fs::write(dir.path().join("copy.sqlite-wal"), wal).unwrap();
    drop(j);
    let j = SqliteJournal::open(&copy).unwrap();
    let o = j.order(a).unwrap().unwrap();
    assert_eq!(o.state, OrderState::Sent);
}

#[test]
fn newer_schema_is_refused_and_the_file_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    filled_journal(&path, 3);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute(
            "UPDATE schema_version SET version = ?1",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
    }
    let before = fs::read(&path).unwrap();
    let err = SqliteJournal::open(&path).unwrap_err();
    match &err {
        JournalError::NewerSchema {
            found, supported, ..
        } => {
            assert_eq!(*found, SCHEMA_VERSION + 1);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected NewerSchema, got {other}"),
    }
    assert_eq!(fs::read(&path).unwrap(), before);
    assert!(!dir.path().join("j.sqlite-wal").exists());
}

#[test]
fn a_foreign_sqlite_file_is_not_taken_for_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE bars (ts INTEGER);").unwrap();
    }
    let err = SqliteJournal::open(&path).unwrap_err();
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err}");
}

#[test]
fn a_second_writer_is_refused_and_a_reader_sees_committed_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut w = SqliteJournal::open(&path).unwrap();
    let a = w.record_intent(&intent(1, 3)).unwrap();
    let err = SqliteJournal::open(&path).unwrap_err();
    assert!(matches!(err, JournalError::Locked { .. }), "{err}");
    let mut r = SqliteJournal::open_read_only(&path).unwrap();
    assert_eq!(
        r.order(a).unwrap().unwrap().state,
        OrderState::PendingSubmit
    );
    assert!(matches!(
        r.mark_sent(a, ts(2)),
        Err(JournalError::Sqlite { .. })
    ));
    w.mark_sent(a, ts(2)).unwrap();
    assert_eq!(r.order(a).unwrap().unwrap().state, OrderState::Sent);
    drop(w);
    // The lock dies with its holder.
    SqliteJournal::open(&path).unwrap();
}

#[test]
fn read_only_open_of_a_missing_or_empty_file_is_an_error_not_a_new_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.sqlite");
    assert!(SqliteJournal::open_read_only(&path).is_err());
    assert!(!path.exists());
    fs::write(&path, b"").unwrap();
    let err = SqliteJournal::open_read_only(&path).unwrap_err();
    assert!(matches!(err, JournalError::Corrupt { .. }), "{err}");
}

#[test]
fn invalid_intents_are_typed_errors_and_journal_nothing() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    let zero = intent(1, 0);
    assert!(matches!(
        j.record_intent(&zero),
        Err(JournalError::Sqlite { .. })
    ));
    let huge = intent(1, u64::MAX);
    assert!(matches!(
        j.record_intent(&huge),
        Err(JournalError::OutOfRange { .. })
    ));
    assert!(j.open_orders().unwrap().is_empty());
    assert!(j.audit_after(0, 10).unwrap().is_empty());
    let mut bad = exec("e1", LocalOrderId(1), 0, 1);
    bad.qty = Qty::new(0);
    assert!(matches!(
        j.record_execution(&bad),
        Err(JournalError::Sqlite { .. })
    ));
}
