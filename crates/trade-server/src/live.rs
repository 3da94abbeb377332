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
