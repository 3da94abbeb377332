//! A running paper or live session seen from the server: its published
//! status (any JSON the session serialises), read on demand, streamed as
//! server-sent events on every change, and judged for readiness.
//!
//! The server does not depend on the session's types: the session hands
//! over a `watch` channel of JSON, so `trade serve` and `trade paper/live
//! --http` share one server.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::watch;

use crate::error::ApiError;
use crate::routes::AppState;

/// The status channel of a running session.
#[derive(Debug, Clone)]
pub struct LiveFeed {
    /// The session's latest status as JSON.
    pub status: watch::Receiver<serde_json::Value>,
    /// Where controls go, when the session takes them.
    pub controls: Option<crate::control::ControlSender>,
    /// The session's journal file (SQLite), for its size on `/system`.
    pub journal: Option<std::path::PathBuf>,
}

fn no_session() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_session",
        "no paper or live session runs in this server (start one with trade paper/live --http)",
    )
}

/// `GET /api/live/status`: the latest status.
pub(crate) async fn status(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let live = state.live.as_ref().ok_or_else(no_session)?;
    Ok(Json(live.status.borrow().clone()))
}

/// `GET /api/live/stream`: the status now, then again after every change,
/// as `status` events (with keep-alive comments while quiet).
pub(crate) async fn stream(
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let live = state.live.as_ref().ok_or_else(no_session)?;
    let mut rx = live.status.clone();
    rx.mark_changed();
    let events = stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let v = rx.borrow_and_update().clone();
        let event = Event::default()
            .event("status")
            .json_data(&v)
            .unwrap_or_else(|_| Event::default().comment("status not serialisable"));
        Some((Ok(event), rx))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Why a session is not ready to trade, or `None` when it is: connected and
/// reconciled, not halted, no instrument paused for stale data.
pub fn not_ready(status: &serde_json::Value) -> Option<String> {
    let connection = status["connection"].as_str().unwrap_or("unknown");
    if connection != "up" {
        return Some(format!("broker connection is {connection}"));
    }
    if let Some(h) = status["halted"].as_str() {
        return Some(format!("trading halted: {h}"));
    }
    let stale: Vec<&str> = status["paused"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|p| p["reason"].as_str().is_some_and(|r| r.contains("stale")))
                .filter_map(|p| p["symbol"].as_str())
                .collect()
        })
        .unwrap_or_default();
    (!stale.is_empty()).then(|| format!("market data stale: {}", stale.join(", ")))
}

/// The session's state in Prometheus exposition format (appended to
/// `/metrics`): connection, trading readiness, equity, cash, day P&L, bars
/// processed, positions, working orders, paused instruments, alerts by
/// kind, kill switch.
pub fn render_metrics(status: &serde_json::Value) -> String {
    use std::fmt::Write as _;
    let num = |v: &serde_json::Value| -> f64 {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(f64::NAN)
    };
    let len = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len);
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    };
    let up = status["connection"].as_str() == Some("up");
    gauge(
        "trade_session_broker_connected",
        "1 when the broker connection is up and reconciled.",
        f64::from(u8::from(up)),
    );
    gauge(
        "trade_session_ready",
        "1 when the session can trade (see /ready).",
        f64::from(u8::from(not_ready(status).is_none())),
    );
    gauge(
        "trade_session_equity_dollars",
        "Account equity as the session marks it.",
        num(&status["equity"]),
    );
    gauge("trade_session_cash_dollars", "Cash.", num(&status["cash"]));
    gauge(
        "trade_session_day_pnl_dollars",
        "Profit or loss since the session day's start.",
        num(&status["day_pnl"]),
    );

    gauge(
        "trade_session_positions",
        "Open positions.",
        len(&status["positions"]) as f64,
    );
    gauge(
        "trade_session_working_orders",
        "Orders not yet final.",
        len(&status["working_orders"]) as f64,
    );
    gauge(
        "trade_session_paused_instruments",
        "Instruments paused (stale data, external trades).",
        len(&status["paused"]) as f64,
    );
    gauge(
        "trade_session_kill_switch_tripped",
        "1 once the kill switch has tripped.",
        f64::from(u8::from(!status["kill_switch"].is_null())),
    );
    gauge(
        "trade_session_halted",
        "1 when trading is halted (e.g. the journal cannot be written).",
        f64::from(u8::from(!status["halted"].is_null())),
    );
    let mut by_kind: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for a in status["alerts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        *by_kind
            .entry(a["kind"].as_str().unwrap_or("unknown").to_string())
            .or_default() += 1;
    }
    let _ = writeln!(
        out,
        "# HELP trade_session_alerts Alerts raised and still listed, by kind.\n# TYPE trade_session_alerts gauge"
    );
    for (kind, n) in by_kind {
        let _ = writeln!(out, "trade_session_alerts{{kind=\"{}\"}} {n}", label(&kind));
    }
    let _ = writeln!(
        out,
        "# HELP trade_session_bars_total Instants (bar closes) processed.\n# TYPE trade_session_bars_total counter\ntrade_session_bars_total {}",
        num(&status["instants"])
    );
    render_counters(&mut out, &status["counters"]);
    let o = &status["options"];
    if o.is_object() {
        let g = &o["greeks"];
        for (name, key, help) in [
            (
                "trade_session_portfolio_delta_shares",
                "delta",
                "Options portfolio delta, in shares of the underlying.",
            ),
            (
                "trade_session_portfolio_gamma",
                "gamma",
                "Options portfolio gamma (shares per dollar).",
            ),
            (
                "trade_session_portfolio_vega_dollars",
                "vega",
                "Options portfolio vega per volatility point.",
            ),
            (
                "trade_session_portfolio_theta_dollars",
                "theta",
                "Options portfolio theta per calendar day.",
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                num(&g[key])
            );
        }
        let _ = writeln!(
            out,
            "# HELP trade_session_option_structures Open option structures.\n# TYPE trade_session_option_structures gauge\ntrade_session_option_structures {}",
            len(&o["structures"])
        );
        let _ = writeln!(
            out,
            "# HELP trade_session_exit_rule_firings_total Exit-rule decisions (a rule fired).\n# TYPE trade_session_exit_rule_firings_total counter\ntrade_session_exit_rule_firings_total {}",
            num(&o["exit_decisions"])
        );
    }
    for (name, help) in [
        (
            "trade_session_journal_write_seconds",
            "Journal write latency (one committed, fsynced transaction).",
        ),
        (
            "trade_session_bar_to_submit_seconds",
            "Bar close (the instant's arrival) to the order handed to the broker adapter.",
        ),
    ] {
        let key = name.trim_start_matches("trade_session_");
        render_histogram(&mut out, name, help, &status[key]);
    }
    let feeds = status["feeds"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "# HELP trade_session_last_bar_timestamp_seconds Wall-clock arrival of the instrument's last bar (Unix seconds).\n# TYPE trade_session_last_bar_timestamp_seconds gauge"
    );
    for f in feeds {
        if let Some(t) = f["last_bar_unix"].as_f64() {
            let _ = writeln!(
                out,
                "trade_session_last_bar_timestamp_seconds{{symbol=\"{}\"}} {t}",
                label(f["symbol"].as_str().unwrap_or(""))
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP trade_session_feed_stale 1 while the instrument's market data is reported stale.\n# TYPE trade_session_feed_stale gauge"
    );
    for f in feeds {
        let _ = writeln!(
            out,
            "trade_session_feed_stale{{symbol=\"{}\"}} {}",
            label(f["symbol"].as_str().unwrap_or("")),
            u8::from(f["stale"].as_bool().unwrap_or(false))
        );
    }
    out
}

/// A label value with Prometheus' escapes.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn render_counters(out: &mut String, c: &serde_json::Value) {
    use std::fmt::Write as _;
    for (key, help) in [
        ("orders_proposed", "Orders the strategies asked for."),
        (
            "orders_approved",
            "Orders the risk gate approved (including resized).",
        ),
        (
            "orders_resized",
            "Orders the risk gate approved with a smaller quantity.",
        ),
        (
            "orders_submitted",
            "Orders written to the broker connection.",
        ),
        ("fills", "Executions booked."),
        (
            "reconnects",
            "Broker reconnections after the first connection.",
        ),
        ("controls", "Operators' controls (carried out or refused)."),
    ] {
        let _ = writeln!(
            out,
            "# HELP trade_session_{key}_total {help}\n# TYPE trade_session_{key}_total counter\ntrade_session_{key}_total {}",
            c[key].as_u64().unwrap_or(0)
        );
    }
    for (key, lab, help) in [
        (
            "orders_rejected",
            "rule",
            "Orders refused, by risk rule (paused: held back by a pause).",
        ),
        (
            "rule_firings",
            "rule",
            "Risk rule firings (refusals, resizes, kill switches, flattens).",
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP trade_session_{key}_total {help}\n# TYPE trade_session_{key}_total counter"
        );
        if let Some(m) = c[key].as_object() {
            for (k, v) in m {
                let _ = writeln!(
                    out,
                    "trade_session_{key}_total{{{lab}=\"{}\"}} {}",
                    label(k),
                    v.as_u64().unwrap_or(0)
                );
            }
        }
    }
}

fn render_histogram(out: &mut String, name: &str, help: &str, h: &serde_json::Value) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for b in h["buckets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let (Some(le), Some(n)) = (b[0].as_f64(), b[1].as_u64()) else {
            continue;
        };
        let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {n}");
    }
    let count = h["count"].as_u64().unwrap_or(0);
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(out, "{name}_sum {}", h["sum"].as_f64().unwrap_or(0.0));
    let _ = writeln!(out, "{name}_count {count}");
}

/// `GET /ready`: 200 when the session can trade (or, without a session,
/// when the server can serve its run folders), 503 with the reason otherwise.
pub(crate) async fn ready(State(state): State<AppState>) -> Response {
    let Some(live) = &state.live else {
        return Json(serde_json::json!({"ready": true, "mode": "static"})).into_response();
    };
    let status = live.status.borrow().clone();
    match not_ready(&status) {
        None => Json(serde_json::json!({"ready": true, "mode": status["mode"]})).into_response(),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"ready": false, "reason": reason})),
        )
            .into_response(),
    }
}

/// `GET /portfolio`: exposure, limits in use, equity curve and drawdown.
pub(crate) async fn portfolio_page(
    State(state): State<AppState>,
) -> Result<Html<String>, ApiError> {
    state.live.as_ref().ok_or_else(no_session)?;
    state.pages.portfolio().map(Html)
}

/// `GET /live`: the session's overview page, updated in place from the
/// event stream (no reloads, no external scripts).
pub(crate) async fn page(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    state.live.as_ref().ok_or_else(no_session)?;
    state.pages.live().map(Html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_metrics_follow_the_status() {
        let s = serde_json::json!({
            "connection": "up", "halted": null, "kill_switch": null, "paused": [],
            "equity": "101234.50", "cash": "5000.00", "day_pnl": "-12.25", "instants": 42,
            "positions": [{"symbol": "SPY"}], "working_orders": [],
            "alerts": [{"kind": "connection"}, {"kind": "stale_feed"}, {"kind": "connection"}],
            "counters": {"orders_proposed": 7, "orders_approved": 5, "orders_resized": 1,
                "orders_rejected": {"max_position_pct": 2}, "orders_submitted": 5, "fills": 4,
                "rule_firings": {"max_position_pct": 3}, "reconnects": 1, "controls": 0},
            "journal_write_seconds": {"buckets": [[0.001, 3], [0.01, 4]], "sum": 0.012, "count": 5},
            "bar_to_submit_seconds": {"buckets": [[0.001, 2]], "sum": 0.001, "count": 2},
            "feeds": [{"symbol": "SPY", "last_bar_unix": 1700000000.5, "stale": false},
                      {"symbol": "Q\"Q", "last_bar_unix": null, "stale": true}],
        });
        let m = render_metrics(&s);
        for line in [
            "trade_session_broker_connected 1",
            "trade_session_ready 1",
            "trade_session_equity_dollars 101234.5",
            "trade_session_day_pnl_dollars -12.25",
            "trade_session_bars_total 42",
            "trade_session_positions 1",
            "trade_session_kill_switch_tripped 0",
            "trade_session_alerts{kind=\"connection\"} 2",
            "trade_session_alerts{kind=\"stale_feed\"} 1",
            "trade_session_orders_proposed_total 7",
            "trade_session_orders_rejected_total{rule=\"max_position_pct\"} 2",
            "trade_session_reconnects_total 1",
            "trade_session_journal_write_seconds_bucket{le=\"0.001\"} 3",
            "trade_session_journal_write_seconds_bucket{le=\"+Inf\"} 5",
            "trade_session_journal_write_seconds_count 5",
            "trade_session_bar_to_submit_seconds_sum 0.001",
            "trade_session_last_bar_timestamp_seconds{symbol=\"SPY\"} 1700000000.5",
            "trade_session_feed_stale{symbol=\"Q\\\"Q\"} 1",
        ] {
            assert!(m.lines().any(|l| l == line), "missing {line:?} in\n{m}");
        }
        let down =
            serde_json::json!({"connection": "down", "kill_switch": "daily loss", "paused": []});
        let m = render_metrics(&down);
        assert!(
            m.contains("trade_session_broker_connected 0")
                && m.contains("trade_session_kill_switch_tripped 1"),
            "{m}"
        );
    }

    /// The shipped alert rules only use metrics this module emits
    /// (`promtool check rules` validates the file's syntax).
    #[test]
    fn the_alert_rules_use_only_emitted_metrics() {
        let rules = include_str!("../../../deploy/prometheus/trade-alerts.rules.yml");
        let status = serde_json::json!({
            "connection": "up", "paused": [], "equity": "1", "cash": "1", "day_pnl": "0",
            "instants": 1, "positions": [], "working_orders": [], "kill_switch": null,
            "halted": null, "alerts": [{"kind": "journal"}],
            "feeds": [{"symbol": "SPY", "last_bar_unix": 1.0, "stale": false}],
        });
        let emitted = render_metrics(&status);
        let used: std::collections::BTreeSet<&str> = rules
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("trade_session_"))
            .collect();
        assert!(used.len() >= 5, "{used:?}");
        for name in used {
            assert!(
                emitted.lines().any(|l| l.starts_with(name)),
                "rules use {name}, which /metrics does not emit"
            );
        }
    }

    #[test]
    fn an_options_sessions_greeks_are_gauges() {
        let s = serde_json::json!({
            "connection": "up", "paused": [],
            "options": {"greeks": {"delta": -12.5, "gamma": 0.25, "vega": -3.5, "theta": 1.75},
                        "structures": [{}, {}], "exit_decisions": 7},
        });
        let m = render_metrics(&s);
        for line in [
            "trade_session_portfolio_delta_shares -12.5",
            "trade_session_portfolio_gamma 0.25",
            "trade_session_portfolio_vega_dollars -3.5",
            "trade_session_portfolio_theta_dollars 1.75",
            "trade_session_option_structures 2",
            "trade_session_exit_rule_firings_total 7",
        ] {
            assert!(m.lines().any(|l| l == line), "missing {line:?} in\n{m}");
        }
        assert!(
            !render_metrics(&serde_json::json!({"connection": "up"})).contains("portfolio_delta")
        );
    }

    #[test]
    fn readiness_needs_an_up_connection_no_halt_and_no_stale_instrument() {
        let up = serde_json::json!({"connection": "up", "halted": null, "paused": []});
        assert_eq!(not_ready(&up), None);
        let down = serde_json::json!({"connection": "reconciling", "paused": []});
        assert_eq!(
            not_ready(&down).unwrap(),
            "broker connection is reconciling"
        );
        let halted =
            serde_json::json!({"connection": "up", "halted": "journal write failed", "paused": []});
        assert!(not_ready(&halted).unwrap().contains("journal write failed"));
        let stale = serde_json::json!({"connection": "up", "paused": [
            {"symbol": "SPY", "reason": "market data stale for 31 s"},
            {"symbol": "QQQ", "reason": "external order flagged"}]});
        assert_eq!(not_ready(&stale).unwrap(), "market data stale: SPY");
    }
}
