//! `trade journal` over a journal written through the library: what it
//! lists is what was written, filters filter, account ids never appear,
//! and bad input is a clear error with exit code 2.

use trade_core::{Money, Price, Qty, Side, Timestamp};
use trade_journal::{
    BrokerAck, Commission, Execution, Journal, LocalOrderId, NewIntent, OrderState, SqliteJournal,
};

use crate::harness::{Scratch, assert_user_error, stdout, trade};

fn intent(strategy: &str, secs: i64, side: Side, qty: u64) -> NewIntent {
    NewIntent {
        ts: Timestamp::from_secs(secs),
        strategy: strategy.into(),
        instrument: "SPY".into(),
        side,
        qty: Qty::new(qty),
        limit_price: Some("501.25".parse().unwrap()),
        order: serde_json::json!({"tif": "day", "account": "DU1234567"}),
    }
}

/// Order 1 (trend) filled in two executions with commissions; order 2
/// (mean) sent, outcome unknown; order 3 (trend) cancelled.
fn journal(s: &Scratch) -> std::path::PathBuf {
    let path = s.path("j.sqlite");
    let mut j = SqliteJournal::open(&path).unwrap();
    let t = 1_742_304_600; // 2025-03-18 13:30 UTC
    let a = j
        .record_intent(&intent("trend", t, Side::Buy, 100))
        .unwrap();
    j.mark_sent(a, Timestamp::from_secs(t + 1)).unwrap();
    j.record_broker_ack(
        a,
        BrokerAck {
            broker_order_id: Some(7),
            perm_id: Some(900),
        },
        Timestamp::from_secs(t + 1),
    )
    .unwrap();
    for (k, qty, px) in [(1, 60, "501.20"), (2, 40, "501.25")] {
        let exec_id = format!("e{k}");
        j.record_execution(&Execution {
            exec_id: exec_id.clone(),
            order_ref: Some(a.order_ref()),
            perm_id: Some(900),
            ts: Timestamp::from_secs(t + 1 + k),
            instrument: "SPY".into(),
            side: Side::Buy,
            qty: Qty::new(qty),
            price: px.parse::<Price>().unwrap(),
        })
        .unwrap();
        j.record_commission(&Commission {
            exec_id,
            commission: Money::from_dollars(1),
            currency: "USD".into(),
            realized_pnl: None,
            ts: Timestamp::from_secs(t + 1 + k),
        })
        .unwrap();
    }
    j.record_status(a, OrderState::Filled, Timestamp::from_secs(t + 3), "Filled")
        .unwrap();
    let b = j
        .record_intent(&intent("mean", t + 86_400, Side::Sell, 5))
        .unwrap();
    j.mark_sent(b, Timestamp::from_secs(t + 86_401)).unwrap();
    let c = j
        .record_intent(&intent("trend", t + 86_500, Side::Sell, 10))
        .unwrap();
    j.mark_sent(c, Timestamp::from_secs(t + 86_501)).unwrap();
    j.record_status(
        c,
        OrderState::Cancelled,
        Timestamp::from_secs(t + 86_600),
        "Cancelled",
    )
    .unwrap();
    j.record_decision(
        Timestamp::from_secs(t),
        "trend",
        &serde_json::json!({"why": "cross up", "account": "U7654321"}),
    )
    .unwrap();
    assert_eq!(
        (a, b, c),
        (LocalOrderId(1), LocalOrderId(2), LocalOrderId(3))
    );
    path
}

fn run(path: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["journal", "--journal", path.to_str().unwrap()];
    all.extend_from_slice(args);
    trade(&all)
}

#[test]
fn lists_what_was_journaled_with_filters_and_masks_accounts() {
    let s = Scratch::new("journal-cmd");
    let path = journal(&s);

    let o = run(&path, &["orders", "--format", "json"]);
    assert!(o.status.success());
    let orders: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ids: Vec<i64> = orders
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["local_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 2, 1], "newest first");
    assert_eq!(orders[2]["state"], "filled");
    assert_eq!(orders[2]["filled"], 100);
    assert_eq!(orders[2]["broker_order_id"], 7);
    assert_eq!(orders[2]["limit_price"], "501.25");

    let o = run(
        &path,
        &[
            "orders",
            "--strategy",
            "trend",
            "--state",
            "cancelled",
            "--format",
            "csv",
        ],
    );
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.lines().nth(1).unwrap().starts_with("3,"), "{text}");
    let o = run(
        &path,
        &["orders", "--since", "2025-03-19", "--format", "json"],
    );
    let since: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(since.as_array().unwrap().len(), 2);

    let o = run(&path, &["fills", "--format", "json"]);
    let fills: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(fills.as_array().unwrap().len(), 2);
    assert_eq!(fills[0]["exec_id"], "e2");
    assert_eq!(fills[0]["local_id"], 1);
    assert_eq!(fills[1]["price"], "501.20");
    assert_eq!(fills[1]["commission"], "1.00");

    let o = run(&path, &["pending", "--format", "json"]);
    let pending: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["local_id"], 2);
    assert_eq!(pending[0]["state"], "sent");

    let o = run(&path, &["order", "1", "--format", "json"]);
    let one: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(one["executions"].as_array().unwrap().len(), 2);
    let kinds: Vec<&str> = one["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"order") && kinds.contains(&"fill") && kinds.contains(&"commission"),
        "{kinds:?}"
    );

    let o = run(&path, &["audit", "--kind", "decision", "--format", "json"]);
    let audit: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(audit.as_array().unwrap().len(), 1);

    // No account id anywhere, in any format.
    for args in [
        vec!["orders"],
        vec!["orders", "--format", "json"],
        vec!["audit", "--format", "csv"],
        vec!["order", "1"],
    ] {
        let text = stdout(&run(&path, &args));
        assert!(
            !text.contains("DU1234567") && !text.contains("U7654321"),
            "{args:?}: {text}"
        );
    }

    let o = run(&path, &["check"]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("integrity") && text.contains("ok"), "{text}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let s = Scratch::new("journal-bad");
    let path = journal(&s);
    assert_user_error(
        &run(&s.path("missing.sqlite"), &["orders"]),
        &["missing.sqlite", "no such journal"],
    );
    let junk = s.write("junk.sqlite", "not a database at all, just text\n");
    assert_user_error(&run(&junk, &["orders"]), &["junk.sqlite"]);
    assert_user_error(
        &run(&path, &["orders", "--since", "last week"]),
        &["--since", "YYYY-MM-DD"],
    );
    assert_user_error(
        &run(&path, &["orders", "--state", "done"]),
        &["--state", "filled"],
    );
    assert_user_error(
        &run(&path, &["audit", "--kind", "trades"]),
        &["--kind", "risk_verdict"],
    );
    assert_user_error(&run(&path, &["order", "99"]), &["order 99", "not in"]);
}
