//! The session core against a scripted fake broker: the test holds the
//! adapter ends of the channels and plays the broker and the feed.

mod scripted;

use scripted::*;

use std::time::Duration;

use tokio::sync::oneshot;
use trade_core::{Bar, Money, OrderType, Price, Qty, Side, StrategyId, Timestamp};
use trade_engine::backtest::StrategySlot;
use trade_engine::market_hours::{MarketHours, SessionTimes};
use trade_journal::{
    BrokerOrder, BrokerView, Commission, Journal, LocalOrderId, OrderState, SqliteJournal,
};
use trade_live::adapter::{
    AccountType, BrokerCommand, BrokerEvent, BrokerSnapshot, FeedEvent, broker_channels,
    feed_channels,
};
use trade_live::{
    AlertKind, Connection, ExternalPolicy, LimitPolicy, Mode, Session, SessionConfig, SessionError,
    SessionSetup, SessionStatus,
};

#[tokio::test]
async fn an_intent_is_journaled_before_it_is_sent_and_a_restart_resolves_it_without_resending() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(100)).await;
    let (local, order) = h.place().await;
    assert_eq!(order.intent.qty, Qty::new(10));
    // The Place is on the wire: the journal already holds the intent.
    {
        let j = SqliteJournal::open_read_only(&path).unwrap();
        let o = j.order(local).unwrap().expect("journaled before the send");
        assert_eq!(o.state, OrderState::PendingSubmit);
    }
    // The process dies before the adapter reported `Sent`.
    h.task.abort();
    let _ = h.task.await;

    // Restart A: the broker had the order and filled it.
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    let loaded = h.status.borrow().working_orders.clone();
    assert_eq!(loaded.len(), 1, "the pending intent is loaded as working");
    assert_eq!(loaded[0].state, OrderState::PendingSubmit);
    let view = BrokerView {
        open_orders: Vec::new(),
        completed_orders: vec![BrokerOrder {
            order_ref: Some(local.order_ref()),
            broker_order_id: Some(7),
            perm_id: Some(70),
            status: "Filled".into(),
            instrument: "SPY".into(),
            side: Side::Buy,
            qty: Qty::new(10),
            filled: Qty::new(10),
        }],
        executions: vec![exec(
            "E1",
            Some(&local.order_ref()),
            Side::Buy,
            10,
            px(100),
            1060,
        )],
    };
    let since = h
        .connect(
            0,
            BrokerSnapshot {
                view: view.clone(),
                positions: Vec::new(),
            },
        )
        .await;
    assert_eq!(since, None, "nothing executed before the crash");
    let s = h.instant(px(101)).await;
    assert_eq!(position(&s), 10, "the missed fill is booked once");
    assert!(s.working_orders.is_empty());
    assert!(h.no_cmd().is_none(), "nothing is resubmitted");
    // The same view again (a second reconnect) changes nothing.
    h.send(BrokerEvent::Down(
        trade_live::adapter::LinkDown::Disconnected("test".into()),
    ))
    .await;
    let since = h
        .connect(
            1,
            BrokerSnapshot {
                view,
                positions: Vec::new(),
            },
        )
        .await;
    assert_eq!(since, Some(Timestamp::from_secs(1060)));
    let s = h.instant(px(102)).await;
    assert_eq!(position(&s), 10);
    assert!(h.no_cmd().is_none());
    let out = h.finish().await;
    assert_eq!(out.result.fills.len(), 1);
    let j = SqliteJournal::open_read_only(&path).unwrap();
    assert_eq!(j.order(local).unwrap().unwrap().state, OrderState::Filled);
}

#[tokio::test]
async fn a_sent_order_the_broker_does_not_list_stays_pending_and_is_not_resubmitted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(100)).await;
    let (local, _) = h.place().await;
    // Written to the wire, then the process dies before any ack.
    h.send(BrokerEvent::Sent {
        local_id: local,
        broker_order_id: 1,
        ts: Timestamp::from_secs(1),
    })
    .await;
    h.instant(px(100)).await;
    h.task.abort();
    let _ = h.task.await;

    // Restart B: the broker's view does not mention the order.
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    for p in [101, 102, 103] {
        let s = h.instant(px(p)).await;
        assert_eq!(position(&s), 0);
        assert_eq!(
            s.working_orders.len(),
            1,
            "still pending: {:?}",
            s.working_orders
        );
    }
    assert!(
        h.no_cmd().is_none(),
        "an unknown outcome is never resubmitted blindly"
    );
    let s = h.status.borrow().clone();
    assert!(
        s.alerts
            .iter()
            .any(|a| a.kind == AlertKind::Reconcile && a.message.contains(&local.to_string())),
        "{:?}",
        s.alerts
    );
    let j = SqliteJournal::open_read_only(&path).unwrap();
    assert!(
        j.order(LocalOrderId(local.0 + 1)).unwrap().is_none(),
        "no second intent"
    );
    h.finish().await;
}

/// An intent journaled but never handed over as written (the process died
/// between the journal and the wire) that a complete reconciliation does
/// not find at the broker never reached it: it is abandoned with its
/// reason, and the strategy's next decision is a new intent with a new
/// local id, not a blind resend of the old one.
#[tokio::test]
async fn an_intent_never_sent_that_the_broker_does_not_list_is_abandoned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(100)).await;
    let (local, _) = h.place().await;
    h.task.abort();
    let _ = h.task.await;

    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(101)).await;
    let (again, _) = h.place().await;
    assert!(again.0 > local.0, "a new intent, not the old one resent");
    let j = SqliteJournal::open_read_only(&path).unwrap();
    let old = j.order(local).unwrap().expect("old intent");
    assert_eq!(old.state, trade_journal::OrderState::Abandoned);
    let s = h.status.borrow().clone();
    assert!(
        s.alerts
            .iter()
            .any(|a| a.kind == AlertKind::Reconcile && a.message.contains("never sent")),
        "{:?}",
        s.alerts
    );
    h.finish().await;
}

#[tokio::test]
async fn in_paper_mode_an_intent_from_an_earlier_process_is_abandoned_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(100)).await;
    let (local, _) = h.place().await;
    h.task.abort();
    let _ = h.task.await;
    // A new paper broker knows nothing of it: the intent is abandoned and
    // the strategy, free again, orders anew.
    let mut h = start_in(
        Mode::Paper,
        journal_at(&path),
        config(),
        spec(),
        MarketHours::always_open(),
        Box::new(Buyer {
            qty: 10,
            limit: None,
        }),
        Vec::new(),
    );
    h.connect(0, BrokerSnapshot::default()).await;
    assert!(h.status.borrow().working_orders.is_empty());
    h.instant(px(100)).await;
    let (again, _) = h.place().await;
    assert!(again > local);
    h.finish().await;
    let j = SqliteJournal::open_read_only(&path).unwrap();
    assert_eq!(
        j.order(local).unwrap().unwrap().state,
        OrderState::Abandoned
    );
}

#[tokio::test]
async fn a_crash_between_send_and_ack_books_the_order_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(100)).await;
    let (local, _) = h.place().await;
    h.send(BrokerEvent::Sent {
        local_id: local,
        broker_order_id: 41,
        ts: Timestamp::from_secs(1061),
    })
    .await;
    h.wait("sent", |s| {
        s.working_orders
            .first()
            .is_some_and(|o| o.state == OrderState::Sent)
    })
    .await;
    h.task.abort();
    let _ = h.task.await;
    assert_eq!(
        SqliteJournal::open_read_only(&path)
            .unwrap()
            .order(local)
            .unwrap()
            .unwrap()
            .state,
        OrderState::Sent
    );

    // The broker has it working; it fills after the restart.
    let mut h = start(
        journal_at(&path),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    let r = local.order_ref();
    let open = BrokerOrder {
        order_ref: Some(r.clone()),
        broker_order_id: Some(41),
        perm_id: Some(9041),
        status: "Submitted".into(),
        instrument: "SPY".into(),
        side: Side::Buy,
        qty: Qty::new(10),
        filled: Qty::ZERO,
    };
    h.connect(
        0,
        BrokerSnapshot {
            view: BrokerView {
                open_orders: vec![open],
                ..BrokerView::default()
            },
            positions: Vec::new(),
        },
    )
    .await;
    let s = h.instant(px(100)).await;
    assert_eq!(s.working_orders.len(), 1);
    assert_eq!(s.working_orders[0].state, OrderState::Working);
    assert!(h.no_cmd().is_none(), "a working order is not sent again");
    // The fill names the order by permId only (its orderRef lost in TWS).
    let mut e = exec("F1", None, Side::Buy, 10, px(100), 1200);
    e.perm_id = Some(9041);
    h.send(BrokerEvent::Execution(e)).await;
    let s = h.instant(px(100)).await;
    assert_eq!(position(&s), 10);
    assert!(s.working_orders.is_empty());
    assert!(s.paused.is_empty(), "recognised as ours: {:?}", s.alerts);
    h.finish().await;
}

#[tokio::test]
async fn fills_during_a_disconnect_are_applied_once_after_reconciliation() {
    let mut h = start(
        mem_journal(),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(100)).await;
    let (local, _) = h.place().await;
    let r = local.order_ref();
    h.send(BrokerEvent::Sent {
        local_id: local,
        broker_order_id: 1,
        ts: Timestamp::from_secs(1061),
    })
    .await;
    // First part fills live, then the connection drops.
    h.send(BrokerEvent::Execution(exec(
        "E1",
        Some(&r),
        Side::Buy,
        4,
        px(100),
        1120,
    )))
    .await;
    h.send(BrokerEvent::Commission(commission("E1", 1))).await;
    h.send(BrokerEvent::Down(
        trade_live::adapter::LinkDown::UpstreamLost,
    ))
    .await;
    let s = h.instant(px(100)).await;
    assert_eq!(position(&s), 4);
    assert_eq!(s.connection, Connection::Down);
    // The rest filled while we were away; the reconnect's view has both.
    let view = BrokerView {
        open_orders: Vec::new(),
        completed_orders: Vec::new(),
        executions: vec![
            exec("E1", Some(&r), Side::Buy, 4, px(100), 1120),
            exec("E2", Some(&r), Side::Buy, 6, px(101), 1180),
        ],
    };
    let since = h
        .connect(
            1,
            BrokerSnapshot {
                view,
                positions: Vec::new(),
            },
        )
        .await;
    assert_eq!(since, Some(Timestamp::from_secs(1120)));
    // The adapter replays the missed execution live too: a duplicate.
    h.send(BrokerEvent::Execution(exec(
        "E2",
        Some(&r),
        Side::Buy,
        6,
        px(101),
        1180,
    )))
    .await;
    h.send(BrokerEvent::Commission(commission("E2", 2))).await;
    h.send(BrokerEvent::Commission(commission("E2", 2))).await;
    let s = h.instant(px(110)).await;
    assert_eq!(position(&s), 10, "each execution once");
    assert!(s.working_orders.is_empty());
    // cash = 100000 - 4*100 - 6*101 - 1 - 2
    assert_eq!(s.cash, Money::from_dollars(100_000 - 400 - 606 - 3));
    assert!(h.no_cmd().is_none());
    let out = h.finish().await;
    assert_eq!(out.result.fills.len(), 2);
}

#[tokio::test]
async fn duplicate_exec_ids_are_ignored() {
    let mut h = start(
        mem_journal(),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(50)).await;
    let (local, _) = h.place().await;
    let r = local.order_ref();
    for _ in 0..3 {
        h.send(BrokerEvent::Execution(exec(
            "X",
            Some(&r),
            Side::Buy,
            10,
            px(50),
            1100,
        )))
        .await;
        h.send(BrokerEvent::Commission(commission("X", 1))).await;
    }
    let s = h.instant(px(50)).await;
    assert_eq!(position(&s), 10);
    assert_eq!(s.cash, Money::from_dollars(100_000 - 500 - 1));
    h.finish().await;
}

#[tokio::test]
async fn an_execution_for_an_unknown_order_is_flagged_not_booked() {
    let mut h = start(
        mem_journal(),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.send(BrokerEvent::Execution(exec(
        "U1",
        Some("trade-999"),
        Side::Buy,
        5,
        px(10),
        1000,
    )))
    .await;
    // An instrument this session does not trade.
    let mut other = exec("U2", None, Side::Sell, 1, px(10), 1000);
    other.instrument = "ZZZ".into();
    h.send(BrokerEvent::Execution(other)).await;
    h.send(BrokerEvent::Status {
        local_id: LocalOrderId(12345),
        broker_order_id: None,
        perm_id: None,
        state: OrderState::Filled,
        filled: Qty::new(1),
        avg_price: None,
        detail: "Filled".into(),
        ts: Timestamp::from_secs(1000),
    })
    .await;
    // Malformed: no quantity, a negative price.
    h.send(BrokerEvent::Execution(exec(
        "B1",
        None,
        Side::Buy,
        0,
        px(10),
        1000,
    )))
    .await;
    h.send(BrokerEvent::Execution(exec(
        "B2",
        None,
        Side::Buy,
        1,
        px(-10),
        1000,
    )))
    .await;
    let s = h.instant(px(10)).await;
    assert_eq!(position(&s), 0);
    assert_eq!(s.cash, Money::from_dollars(100_000));
    assert!(s.paused.iter().any(|p| p.symbol == "SPY"), "{:?}", s.paused);
    assert!(
        s.halted.is_none(),
        "bad broker input does not break the journal"
    );
    let unknown = s
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::Unknown)
        .count();
    assert_eq!(unknown, 5, "{:?}", s.alerts);
    assert!(h.no_cmd().is_none(), "the paused instrument takes no order");
    h.finish().await;
}

async fn manual_trade(policy: ExternalPolicy) -> (SessionStatus, Option<BrokerCommand>) {
    let cfg = SessionConfig {
        external: policy,
        ..config()
    };
    let mut h = start(
        mem_journal(),
        cfg,
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    // Someone bought 3 SPY in TWS.
    h.send(BrokerEvent::Execution(exec(
        "M1",
        None,
        Side::Buy,
        3,
        px(20),
        1000,
    )))
    .await;
    let s = h.instant(px(20)).await;
    let cmd = h.no_cmd();
    h.finish().await;
    (s, cmd)
}

#[tokio::test]
async fn a_manual_trade_is_adopted_or_flagged_per_config() {
    let (s, cmd) = manual_trade(ExternalPolicy::Adopt).await;
    assert_eq!(position(&s), 3, "adopted into the portfolio");
    assert!(s.paused.is_empty());
    assert_eq!(s.cash, Money::from_dollars(100_000 - 60));
    // The strategy holds nothing itself, so it still buys its own 10.
    assert!(matches!(cmd, Some(BrokerCommand::Place(_))), "{cmd:?}");

    let (s, cmd) = manual_trade(ExternalPolicy::Flag).await;
    assert_eq!(position(&s), 0, "flagged, not booked");
    assert_eq!(s.paused.len(), 1);
    assert!(
        s.alerts
            .iter()
            .any(|a| a.kind == AlertKind::ExternalExecution)
    );
    assert!(cmd.is_none(), "trading on SPY is paused");
}

#[tokio::test]
async fn a_stale_feed_pauses_its_instrument_until_fresh() {
    let mut h = start(
        mem_journal(),
        config(),
        Buyer {
            qty: 10,
            limit: None,
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.feed
        .send(FeedEvent::Stale {
            instrument: SPY,
            silent_for: Duration::from_secs(120),
        })
        .await
        .unwrap();
    let s = h.instant(px(10)).await;
    assert_eq!(s.paused.len(), 1);
    assert!(s.alerts.iter().any(|a| a.kind == AlertKind::StaleFeed));
    assert!(h.no_cmd().is_none());
    h.feed.send(FeedEvent::Fresh(SPY)).await.unwrap();
    let s = h.instant(px(10)).await;
    assert!(s.paused.is_empty());
    assert!(matches!(h.no_cmd(), Some(BrokerCommand::Place(_))));
    let out = h.finish().await;
    let refused = out
        .result
        .risk_events
        .iter()
        .filter(|e| e.action == "refused")
        .count();
    assert_eq!(refused, 1, "{:?}", out.result.risk_events);
}

async fn limit_timeout(policy: LimitPolicy) -> Vec<BrokerCommand> {
    let cfg = SessionConfig {
        limit_timeout: Some(Duration::from_secs(60)),
        limit_policy: policy,
        ..config()
    };
    let mut h = start(
        mem_journal(),
        cfg,
        Buyer {
            qty: 10,
            limit: Some(px(9)),
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(10)).await;
    let (local, order) = h.place().await;
    assert!(matches!(order.intent.order_type, OrderType::Limit { .. }));
    h.send(BrokerEvent::Sent {
        local_id: local,
        broker_order_id: 5,
        ts: Timestamp::from_secs(0),
    })
    .await;
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert!(h.no_cmd().is_none(), "not before the timeout");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut cmds = vec![h.cmd().await];
    // The broker confirms the cancel; with `marketable` the rest goes out
    // as a market order.
    h.send(BrokerEvent::Status {
        local_id: local,
        broker_order_id: Some(5),
        perm_id: None,
        state: OrderState::Cancelled,
        filled: Qty::ZERO,
        avg_price: None,
        detail: "Cancelled".into(),
        ts: Timestamp::from_secs(0),
    })
    .await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    while let Some(c) = h.no_cmd() {
        cmds.push(c);
    }
    h.finish().await;
    cmds
}

#[tokio::test(start_paused = true)]
async fn an_unfilled_limit_order_is_cancelled_after_its_timeout() {
    let cmds = limit_timeout(LimitPolicy::Cancel).await;
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    assert!(matches!(
        cmds[0],
        BrokerCommand::Cancel {
            broker_order_id: Some(5),
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn an_unfilled_limit_order_is_replaced_by_a_market_order_when_configured() {
    let cmds = limit_timeout(LimitPolicy::Marketable).await;
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert!(matches!(cmds[0], BrokerCommand::Cancel { .. }));
    let BrokerCommand::Place(o) = &cmds[1] else {
        panic!("{cmds:?}")
    };
    assert_eq!(o.order.intent.order_type, OrderType::Market);
    assert_eq!(o.order.intent.qty, Qty::new(10));
}

#[tokio::test]
async fn no_order_leaves_outside_the_session_unless_configured() {
    // One session: (1000, 2000]. The harness's first instant is at 1060.
    let hours = || {
        MarketHours::new(vec![SessionTimes {
            open: Timestamp::from_secs(1000),
            close: Timestamp::from_secs(2000),
        }])
    };
    for (outside, expect_place) in [(false, false), (true, true)] {
        let cfg = SessionConfig {
            trade_outside_session: outside,
            ..config()
        };
        let mut h = start_with(
            mem_journal(),
            cfg,
            spec(),
            hours(),
            Box::new(Buyer {
                qty: 1,
                limit: None,
            }),
            Vec::new(),
        );
        h.clock = 2500; // after the close
        h.connect(0, BrokerSnapshot::default()).await;
        h.instant(px(10)).await;
        let placed = matches!(h.no_cmd(), Some(BrokerCommand::Place(_)));
        assert_eq!(placed, expect_place, "trade_outside_session = {outside}");
        let out = h.finish().await;
        let gated = out
            .result
            .risk_events
            .iter()
            .any(|e| e.rule == trade_engine::risk::RiskRule::MarketHours);
        assert_eq!(gated, !expect_place, "{:?}", out.result.risk_events);
    }
    // Inside the session the same order goes out.
    let mut h = start_with(
        mem_journal(),
        config(),
        spec(),
        hours(),
        Box::new(Buyer {
            qty: 1,
            limit: None,
        }),
        Vec::new(),
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(10)).await;
    assert!(matches!(h.no_cmd(), Some(BrokerCommand::Place(_))));
    h.finish().await;
}

#[tokio::test]
async fn warm_up_bars_reach_the_strategies_but_no_order_leaves_until_live_bars() {
    let history: Vec<Bar> = (1..=5).map(|k| bar(100 * k, px(10 + k))).collect();
    let mut h = start_with(
        mem_journal(),
        config(),
        spec(),
        MarketHours::always_open(),
        Box::new(Buyer {
            qty: 1,
            limit: None,
        }),
        vec![history],
    );
    // `connect` fails if anything but Reconcile comes first: no warm-up order.
    h.connect(0, BrokerSnapshot::default()).await;
    let s = h.status.borrow().clone();
    assert_eq!(s.last_bar_time, Some(Timestamp::from_secs(500)));
    assert_eq!(s.instants, 0, "warm-up instants are not session instants");
    // A live bar older than the history is dropped, not traded on.
    h.feed.send(FeedEvent::Bar(bar(300, px(1)))).await.unwrap();
    let s = h.instant(px(20)).await;
    assert!(
        s.alerts
            .iter()
            .any(|a| a.message.contains("not after the previous bar"))
    );
    let BrokerCommand::Place(o) = h.cmd().await else {
        panic!("the first live bar trades")
    };
    assert_eq!(o.order.created, Timestamp::from_secs(1060));
    assert!(h.no_cmd().is_none());
    let out = h.finish().await;
    assert_eq!(out.result.bars, 1, "only the live bar is in the ledger");
    assert_eq!(out.result.equity.len(), 1);
}

#[tokio::test]
async fn a_live_account_is_refused_without_permission() {
    let mut h = start(
        mem_journal(),
        config(),
        Buyer {
            qty: 1,
            limit: None,
        },
    );
    h.send(BrokerEvent::Connected {
        accounts: vec!["U7654321".into()],
        account_type: AccountType::Live,
        generation: 0,
    })
    .await;
    let err = (&mut h.task).await.unwrap().unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SessionError::LiveAccountRefused { .. }));
    assert!(
        text.contains("U7****21") && !text.contains("7654321"),
        "{text}"
    );
    assert!(matches!(h.cmd().await, BrokerCommand::Shutdown));
}

#[tokio::test]
async fn dry_run_journals_intents_but_sends_nothing() {
    let (broker, mut cmds, events) = broker_channels();
    let (feed_link, _fc, feed) = feed_channels();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let setup = SessionSetup {
        mode: Mode::Live,
        dry_run: true,
        allow_live_account: false,
        spec: spec(),
        instruments: vec![spy()],
        hours: MarketHours::always_open(),
        strategies: vec![StrategySlot {
            id: StrategyId("buyer".into()),
            instruments: vec![SPY],
            strategy: Box::new(Buyer {
                qty: 1,
                limit: None,
            }),
        }],
        config: config(),
        clock_speed: 1.0,
        warmup: Vec::new(),
    };
    let (session, mut status) = Session::new(setup, journal_at(&path), broker, feed_link).unwrap();
    let (stop, stop_rx) = oneshot::channel();
    let task = tokio::spawn(session.run(stop_rx));
    events
        .send(BrokerEvent::Connected {
            accounts: vec![],
            account_type: AccountType::Paper,
            generation: 0,
        })
        .await
        .unwrap();
    assert!(matches!(
        cmds.recv().await,
        Some(BrokerCommand::Reconcile { .. })
    ));
    events
        .send(BrokerEvent::Reconciled(BrokerSnapshot::default()))
        .await
        .unwrap();
    feed.send(FeedEvent::Bar(bar(1060, px(10)))).await.unwrap();
    feed.send(FeedEvent::Instant(Timestamp::from_secs(1060)))
        .await
        .unwrap();
    status.wait_for(|s| s.instants == 1).await.unwrap();
    assert!(cmds.try_recv().is_err(), "nothing sent in a dry run");
    let _ = stop.send(());
    task.await.unwrap().unwrap();
    let j = SqliteJournal::open_read_only(&path).unwrap();
    let o = j.order(LocalOrderId(1)).unwrap().expect("journaled");
    assert_eq!(o.state, OrderState::Abandoned);
    let audit = j.audit_after(0, 100).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.payload.to_string().contains("dry-run")),
        "{audit:?}"
    );
}

mod props {
    use proptest::prelude::{ProptestConfig, prop_assert_eq, proptest};
    use trade_core::{Fill, Portfolio};

    use super::*;

    /// Executions of one order: (side is buy, qty, price in cents).
    fn unique_execs() -> impl proptest::strategy::Strategy<Value = Vec<(u64, i64, i64)>> {
        proptest::collection::vec((1u64..50, 1_000i64..20_000, 0i64..300), 1..8)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Whatever the interleaving and duplication of execution and
        /// commission events, the portfolio equals the one built from the
        /// unique executions.
        #[test]
        fn the_portfolio_depends_only_on_the_unique_executions(
            execs in unique_execs(),
            order in proptest::collection::vec(0usize..100, 0..30),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            rt.block_on(async move {
                let total: u64 = execs.iter().map(|e| e.0).sum();
                let mut h = start(mem_journal(), config(), Buyer { qty: total, limit: None });
                h.connect(0, BrokerSnapshot::default()).await;
                h.instant(px(100)).await;
                let (local, _) = h.place().await;
                let r = local.order_ref();
                // Every event once, then duplicates picked by `order`, shuffled in.
                let mut events: Vec<BrokerEvent> = Vec::new();
                for (k, (qty, cents, fee)) in execs.iter().enumerate() {
                    let id = format!("E{k}");
                    events.push(BrokerEvent::Execution(exec(&id, Some(&r), Side::Buy, *qty, Price::from_cents(*cents), 1100 + k as i64)));
                    events.push(BrokerEvent::Commission(Commission { commission: Money::from_cents(*fee), ..commission(&id, 0) }));
                }
                let n = events.len();
                let mut all = events.clone();
                for (j, pick) in order.iter().enumerate() {
                    let dup = events[pick % n].clone();
                    let at = (pick * 7 + j) % (all.len() + 1);
                    all.insert(at, dup);
                }
                for ev in all {
                    h.send(ev).await;
                }
                let s = h.instant(px(100)).await;
                let mut expected = Portfolio::new(Money::from_dollars(100_000), &[1]);
                for (qty, cents, fee) in &execs {
                    expected.apply_fill(&Fill {
                        order_id: trade_core::ClientOrderId(1),
                        instrument: SPY,
                        side: Side::Buy,
                        qty: Qty::new(*qty),
                        price: Price::from_cents(*cents),
                        commission: Money::from_cents(*fee),
                        ts: Timestamp::from_secs(0),
                    });
                }
                expected.mark(SPY, px(100));
                let out = h.finish().await;
                prop_assert_eq!(position(&s), expected.position(SPY).qty);
                prop_assert_eq!(s.cash, expected.cash());
                prop_assert_eq!(s.equity, expected.equity());
                prop_assert_eq!(out.result.fills.len(), execs.len());
                Ok(())
            })?;
        }
    }
}
