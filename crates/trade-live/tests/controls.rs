//! Operators' controls against a session with a scripted broker: what
//! each control sends (and never sends), what it refuses, and the journal
//! line it leaves.

mod scripted;

use scripted::*;
use serde_json::Value;
use tokio::sync::oneshot;
use trade_core::{Bar, Qty, Side, TimeInForce};
use trade_engine::market_hours::MarketHours;
use trade_engine::strategy::{Context, Strategy};
use trade_journal::{AuditKind, Journal, SqliteJournal};
use trade_live::adapter::{BrokerCommand, BrokerEvent, BrokerSnapshot, FeedEvent};
use trade_live::control::{Control, ControlCommand, ControlError};
use trade_live::{SessionConfig, SessionStatus};

async fn control(h: &Harness, command: ControlCommand) -> Result<Value, ControlError> {
    let (tx, rx) = oneshot::channel();
    h.controls
        .send(Control {
            command,
            actor: "ops".into(),
            reason: "test".into(),
            reply: tx,
        })
        .await
        .unwrap();
    rx.await.unwrap()
}

/// Holds 10 SPY: buys when flat, sells when long (so it has an entry and
/// an exit to make at every bar).
#[derive(Debug)]
struct Flipper;

impl Strategy for Flipper {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let id = bar.instrument;
        if ctx.pending(id) != 0 {
            return;
        }
        let side = if ctx.position(id) == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        ctx.submit(trade_core::OrderIntent {
            instrument: id,
            side,
            qty: Qty::new(10),
            order_type: trade_core::OrderType::Market,
            tif: TimeInForce::Gtc,
            tag: "flip".into(),
        });
    }
}

fn buyer() -> Buyer {
    Buyer {
        qty: 10,
        limit: None,
    }
}

/// Connected, one bar, the buyer's order filled: 10 SPY held.
async fn holding_ten(journal: Box<dyn Journal + Send>, config: SessionConfig) -> Harness {
    let mut h = start(journal, config, buyer());
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(50)).await;
    let (local, _) = h.place().await;
    h.send(BrokerEvent::Execution(exec(
        "E1",
        Some(&local.order_ref()),
        Side::Buy,
        10,
        px(50),
        1100,
    )))
    .await;
    let s = h.instant(px(51)).await;
    assert_eq!(position(&s), 10);
    h
}

fn sell_of(cmd: BrokerCommand) -> (u64, String) {
    match cmd {
        BrokerCommand::Place(o) => {
            assert_eq!(o.order.intent.side, Side::Sell, "{o:?}");
            (o.order.intent.qty.get(), o.order.strategy.0.clone())
        }
        other => panic!("expected a sell, got {other:?}"),
    }
}

#[tokio::test]
async fn closing_a_position_sells_it_for_its_strategy_pauses_entries_and_is_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut h = holding_ten(journal_at(&path), config()).await;
    // The operator confirmed a different quantity: nothing is sent.
    let stale = control(
        &h,
        ControlCommand::ClosePosition {
            symbol: "SPY".into(),
            expected_qty: 7,
        },
    )
    .await;
    assert!(
        matches!(&stale, Err(ControlError::Conflict(m)) if m.contains("is 10 now")),
        "{stale:?}"
    );
    assert!(h.no_cmd().is_none());
    let done = control(
        &h,
        ControlCommand::ClosePosition {
            symbol: "SPY".into(),
            expected_qty: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(done["closing"], -10);
    let (qty, strategy) = sell_of(h.cmd().await);
    assert_eq!((qty, strategy.as_str()), (10, "buyer"));
    let s = h.status.borrow().clone();
    assert!(
        s.paused
            .iter()
            .any(|p| p.symbol == "SPY" && p.reason.starts_with("closed by operator (by ops: test)")),
        "{:?}",
        s.paused
    );
    // Filled: the buyer is flat and would buy again, but entries on SPY
    // wait for the operator.
    let sells = h.status.borrow().working_orders[0].local_id;
    h.send(BrokerEvent::Execution(exec(
        "E2",
        Some(&sells.order_ref()),
        Side::Sell,
        10,
        px(51),
        1200,
    )))
    .await;
    let s = h.instant(px(52)).await;
    assert_eq!(position(&s), 0);
    assert!(h.no_cmd().is_none(), "an entry went out while paused");
    control(
        &h,
        ControlCommand::Resume {
            strategy: None,
            symbol: Some("SPY".into()),
        },
    )
    .await
    .unwrap();
    h.instant(px(52)).await;
    assert!(matches!(h.cmd().await, BrokerCommand::Place(_)));
    h.finish().await;
    let j = SqliteJournal::open_read_only(&path).unwrap();
    let controls: Vec<_> = j
        .audit_after(0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == AuditKind::Control)
        .collect();
    let actions: Vec<(&str, bool)> = controls
        .iter()
        .map(|a| {
            (
                a.payload["action"].as_str().unwrap(),
                a.payload["outcome"].get("ok").is_some(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("close_position", false),
            ("close_position", true),
            ("resume", true)
        ]
    );
    assert!(
        controls
            .iter()
            .all(|a| a.payload["actor"] == "ops" && a.payload["reason"] == "test")
    );
}

#[tokio::test]
async fn a_pause_stops_entries_but_lets_exits_out() {
    let mut h = start_with(
        mem_journal(),
        config(),
        spec(),
        MarketHours::always_open(),
        Box::new(Flipper),
        Vec::new(),
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(50)).await;
    let (local, _) = h.place().await;
    h.send(BrokerEvent::Execution(exec(
        "E1",
        Some(&local.order_ref()),
        Side::Buy,
        10,
        px(50),
        1100,
    )))
    .await;
    control(&h, ControlCommand::Pause { strategy: None })
        .await
        .unwrap();
    // Long 10: the exit goes out although trading is paused.
    let s = h.instant(px(51)).await;
    assert_eq!(s.paused_all.as_deref(), Some("by ops: test"));
    let (qty, _) = sell_of(h.cmd().await);
    assert_eq!(qty, 10);
    let sell = h.status.borrow().working_orders[0].local_id;
    h.send(BrokerEvent::Execution(exec(
        "E2",
        Some(&sell.order_ref()),
        Side::Sell,
        10,
        px(51),
        1200,
    )))
    .await;
    // Flat: the entry is refused.
    h.instant(px(52)).await;
    h.instant(px(53)).await;
    assert!(h.no_cmd().is_none(), "an entry went out while paused");
    assert!(matches!(
        control(
            &h,
            ControlCommand::Pause {
                strategy: Some("nobody".into())
            }
        )
        .await,
        Err(ControlError::NotFound(_))
    ));
    control(
        &h,
        ControlCommand::Resume {
            strategy: None,
            symbol: None,
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        control(
            &h,
            ControlCommand::Resume {
                strategy: None,
                symbol: None
            }
        )
        .await,
        Err(ControlError::Conflict(_))
    ));
    h.instant(px(54)).await;
    assert!(matches!(h.cmd().await, BrokerCommand::Place(_)));
    h.finish().await;
}

#[tokio::test]
async fn flatten_cancels_working_orders_closes_everything_and_refuses_new_entries() {
    let mut h = holding_ten(mem_journal(), config()).await;
    control(&h, ControlCommand::Flatten).await.unwrap();
    let (qty, _) = sell_of(h.cmd().await);
    assert_eq!(qty, 10);
    let s: SessionStatus = h.status.borrow().clone();
    assert_eq!(s.kill_switch.as_deref(), Some("operator: by ops: test"));
    let sell = s.working_orders[0].local_id;
    h.send(BrokerEvent::Execution(exec(
        "E2",
        Some(&sell.order_ref()),
        Side::Sell,
        10,
        px(51),
        1200,
    )))
    .await;
    let s = h.instant(px(52)).await;
    assert_eq!(position(&s), 0);
    h.instant(px(53)).await;
    assert!(
        h.no_cmd().is_none(),
        "an entry went out after the kill switch"
    );
    h.finish().await;
}

#[tokio::test]
async fn cancel_sends_a_cancel_for_a_working_order_and_refuses_unknown_ids() {
    let mut h = start(
        mem_journal(),
        config(),
        Buyer {
            qty: 5,
            limit: Some(px(40)),
        },
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(50)).await;
    let (local, _) = h.place().await;
    // Not acknowledged yet: the broker may not have it.
    let early = control(&h, ControlCommand::Cancel { local_id: local.0 }).await;
    assert!(matches!(early, Err(ControlError::Conflict(_))), "{early:?}");
    let ts = trade_core::Timestamp::from_secs(1100);
    h.send(BrokerEvent::Sent {
        local_id: local,
        broker_order_id: 7,
        ts,
    })
    .await;
    h.send(BrokerEvent::Status {
        local_id: local,
        broker_order_id: Some(7),
        perm_id: Some(70),
        state: trade_journal::OrderState::Working,
        filled: Qty::ZERO,
        avg_price: None,
        detail: "Submitted".into(),
        ts,
    })
    .await;
    h.wait("acknowledged", |s| {
        s.working_orders
            .iter()
            .any(|o| o.state == trade_journal::OrderState::Working)
    })
    .await;
    control(&h, ControlCommand::Cancel { local_id: local.0 })
        .await
        .unwrap();
    match h.cmd().await {
        BrokerCommand::Cancel { local_id, .. } => assert_eq!(local_id, local),
        other => panic!("expected a cancel, got {other:?}"),
    }
    let unknown = control(&h, ControlCommand::Cancel { local_id: 12345 }).await;
    assert!(
        matches!(unknown, Err(ControlError::NotFound(_))),
        "{unknown:?}"
    );
    h.finish().await;
}

#[tokio::test]
async fn limits_change_only_within_their_configured_bounds() {
    let mut cfg = config();
    cfg.limit_bounds
        .insert("max_position_pct".into(), [0.05, 0.5]);
    let h = start(mem_journal(), cfg, buyer());
    let fixed = control(
        &h,
        ControlCommand::SetLimit {
            name: "max_drawdown_pct".into(),
            value: 0.1,
        },
    )
    .await;
    assert!(matches!(fixed, Err(ControlError::Conflict(_))), "{fixed:?}");
    let out = control(
        &h,
        ControlCommand::SetLimit {
            name: "max_position_pct".into(),
            value: 0.9,
        },
    )
    .await;
    assert!(matches!(out, Err(ControlError::Invalid(_))), "{out:?}");
    let unknown = control(
        &h,
        ControlCommand::SetLimit {
            name: "max_fun".into(),
            value: 0.1,
        },
    )
    .await;
    assert!(matches!(unknown, Err(ControlError::NotFound(_))));
    let ok = control(
        &h,
        ControlCommand::SetLimit {
            name: "max_position_pct".into(),
            value: 0.2,
        },
    )
    .await
    .unwrap();
    assert_eq!(ok["to"], 0.2);
    let s = h.status.borrow().clone();
    let l = s
        .limits
        .iter()
        .find(|l| l.name == "max_position_pct")
        .unwrap();
    assert_eq!((l.value, l.bounds), (Some(0.2), Some([0.05, 0.5])));
    h.finish().await;
}

#[tokio::test]
async fn alerts_are_acknowledged_and_snoozed_by_id_and_controls_need_a_broker() {
    let mut h = holding_ten(mem_journal(), config()).await;
    h.feed
        .send(FeedEvent::Stale {
            instrument: trade_core::InstrumentId(0),
            silent_for: std::time::Duration::from_secs(90),
        })
        .await
        .unwrap();
    let s = h
        .wait("a stale alert", |s| !s.active_alerts.is_empty())
        .await;
    let a = &s.active_alerts[0];
    assert_eq!(
        (a.key.as_str(), a.kind.as_str()),
        ("stale:SPY", "stale_data")
    );
    let id = a.id;
    // The same notice again is the same alert, counted.
    h.feed
        .send(FeedEvent::Stale {
            instrument: trade_core::InstrumentId(0),
            silent_for: std::time::Duration::from_secs(120),
        })
        .await
        .unwrap();
    let s = h
        .wait("the repeat", |s| {
            s.active_alerts.first().is_some_and(|a| a.count == 2)
        })
        .await;
    assert_eq!(s.active_alerts.len(), 1);
    control(&h, ControlCommand::AckAlert { id }).await.unwrap();
    control(&h, ControlCommand::SnoozeAlert { id, minutes: 30 })
        .await
        .unwrap();
    let a = h.status.borrow().active_alerts[0].clone();
    assert_eq!(a.acked_by.as_deref(), Some("ops"));
    assert!(a.snoozed_until.is_some());
    assert!(matches!(
        control(&h, ControlCommand::AckAlert { id: 999_999 }).await,
        Err(ControlError::NotFound(_))
    ));
    // Data again: the alert resolves.
    h.feed
        .send(FeedEvent::Fresh(trade_core::InstrumentId(0)))
        .await
        .unwrap();
    h.wait("resolved", |s| s.active_alerts.is_empty()).await;
    // Broker down: an active critical alert, and a close cannot go out.
    h.send(BrokerEvent::Down(
        trade_live::adapter::LinkDown::Disconnected("test".into()),
    ))
    .await;
    let s = h
        .wait("down", |s| s.connection == trade_live::Connection::Down)
        .await;
    assert_eq!(s.active_alerts[0].key, "connection");
    assert_eq!(
        s.active_alerts[0].severity,
        trade_alerts::Severity::Critical
    );
    let r = control(
        &h,
        ControlCommand::ClosePosition {
            symbol: "SPY".into(),
            expected_qty: 10,
        },
    )
    .await;
    assert!(matches!(r, Err(ControlError::Unavailable(_))), "{r:?}");
    assert!(h.no_cmd().is_none());
    h.finish().await;
}

#[tokio::test]
async fn counters_and_latency_histograms_follow_the_orders() {
    let h = holding_ten(mem_journal(), config()).await;
    control(&h, ControlCommand::Pause { strategy: None })
        .await
        .unwrap();
    let s = h.status.borrow().clone();
    let c = &s.counters;
    assert_eq!(
        (c.orders_proposed, c.orders_approved, c.fills, c.controls),
        (1, 1, 1, 1),
        "{c:?}"
    );
    assert_eq!(c.reconnects, 0);
    assert!(c.orders_rejected.is_empty(), "{c:?}");
    // One intent, one decision, one verdict, one execution and one
    // control at least were written, each timed.
    assert!(
        s.journal_write_seconds.count >= 5,
        "{:?}",
        s.journal_write_seconds
    );
    assert_eq!(s.bar_to_submit_seconds.count, 1);
    let inf = s.journal_write_seconds.buckets.last().unwrap().1;
    assert!(inf <= s.journal_write_seconds.count);
    assert!(s.feeds[0].last_bar_unix.is_some_and(|t| t > 1.6e9));
    assert!(!s.feeds[0].stale);
    h.finish().await;
}

#[tokio::test]
async fn the_portfolio_view_shows_exposure_limits_in_use_and_a_thinned_equity_curve() {
    let mut spec = spec();
    spec.risk.max_position_pct = Some(0.5);
    let mut h = start_with(
        mem_journal(),
        config(),
        spec,
        MarketHours::always_open(),
        Box::new(buyer()),
        Vec::new(),
    );
    h.connect(0, BrokerSnapshot::default()).await;
    h.instant(px(50)).await;
    let (local, _) = h.place().await;
    h.send(BrokerEvent::Execution(exec(
        "E1",
        Some(&local.order_ref()),
        Side::Buy,
        10,
        px(50),
        1100,
    )))
    .await;
    let s = h.instant(px(51)).await;
    assert_eq!(s.positions[0].avg_price, Some(50.0));
    assert_eq!(
        s.positions[0].unrealized,
        trade_core::Money::from_dollars(10)
    );
    let p = &s.portfolio;
    // 10 SPY at 51 = 510 of equity 100,000 - 500 + 510 = 100,010.
    assert_eq!(p.gross_exposure, trade_core::Money::from_dollars(510));
    let e = &p.by_instrument[0];
    assert_eq!(e.symbol, "SPY");
    assert!((e.of_equity - 510.0 / 100_010.0).abs() < 1e-12);
    let l = p
        .limits_used
        .iter()
        .find(|l| l.name == "max_position_pct")
        .unwrap();
    assert!((l.used - 510.0 / 100_010.0 / 0.5).abs() < 1e-12, "{l:?}");
    // A 10% fall of SPY: drawdown from the peak equity.
    let s = h.instant(px(45)).await;
    let peak = 100_010.0;
    assert!((s.portfolio.drawdown - (1.0 - 99_950.0 / peak)).abs() < 1e-12);
    assert!((s.portfolio.max_drawdown - s.portfolio.drawdown).abs() < 1e-15);
    // Many bars: the curve stays bounded, starts at the first bar and ends
    // near the last.
    for _ in 0..1200 {
        h.instant(px(45)).await;
    }
    let s = h.status.borrow().clone();
    let c = &s.portfolio.equity_curve;
    assert!(
        c.len() <= trade_live::status::EQUITY_POINTS && c.len() > 256,
        "{}",
        c.len()
    );
    assert_eq!(c[0].0, 1060, "the first bar close");
    assert!(c.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(s.instants as i64 * 60 + 1000 - c.last().unwrap().0 <= 60 * 4);
    h.finish().await;
}

/// A trade made in TWS while connected (no execution event reaches this
/// client): the periodic reconciliation, run while no order is working,
/// finds the position the portfolio does not hold and flags it.
#[tokio::test]
async fn a_periodic_reconciliation_finds_a_manual_trade_made_while_connected() {
    let mut cfg = config();
    cfg.reconcile_every = Some(std::time::Duration::from_millis(150));
    let mut h = holding_ten(mem_journal(), cfg).await;
    // The buyer holds 10 and wants nothing more: the session is quiet, so
    // it asks the broker again.
    let since = match h.cmd().await {
        BrokerCommand::Reconcile { since } => since,
        other => panic!("expected a periodic Reconcile, got {other:?}"),
    };
    assert!(since.is_some(), "asks for executions since the last one");
    // The broker: our 10, plus 5 someone bought in TWS.
    h.send(BrokerEvent::Reconciled(BrokerSnapshot {
        view: Default::default(),
        positions: vec![trade_journal::PositionLine {
            instrument: "SPY".into(),
            qty: 15,
            avg_cost: px(50),
        }],
    }))
    .await;
    let s = h
        .wait("the mismatch flagged", |s| {
            s.alerts
                .iter()
                .any(|a| a.kind == trade_live::AlertKind::PositionMismatch)
        })
        .await;
    assert_eq!(s.connection, trade_live::Connection::Up);
    assert!(
        s.paused.iter().any(|p| p.symbol == "SPY"),
        "flag policy pauses the instrument: {:?}",
        s.paused
    );
    h.finish().await;
}
