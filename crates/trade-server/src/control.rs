//! Controls of a running session over HTTP: login, CSRF tokens, and the
//! state-changing routes (pause, resume, close a position with a confirm
//! step, cancel an order, flatten, change a risk limit, acknowledge or
//! snooze an alert).
//!
//! The server checks who is asking and the request's shape; the session
//! decides (it knows the orders and positions) and journals every control
//! with who, when and why. The two talk over a channel of
//! [`ControlRequest`]s whose command is JSON (`{"action": ..., ...}`), so
//! the server stays independent of the session's types.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::routes::AppState;

/// One control for the session to carry out.
#[derive(Debug)]
pub struct ControlRequest {
    /// `{"action": "pause" | "resume" | "close_position" | "cancel" |
    /// "flatten" | "set_limit" | "ack_alert" | "snooze_alert", ...}`.
    pub command: Value,
    /// Who asked (a user name, or `token`).
    pub actor: String,
    /// Why, in the operator's words (may be empty).
    pub reason: String,
    /// The session's answer.
    pub reply: oneshot::Sender<ControlReply>,
}

/// The session's answer: what it did, or why not.
pub type ControlReply = Result<Value, ControlRefusal>;

/// Why the session refused a control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRefusal {
    /// What kind of refusal.
    pub kind: RefusalKind,
    /// For the operator, with the numbers.
    pub message: String,
}

/// Kinds of refusal, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The command is malformed or names a value out of bounds (400).
    Invalid,
    /// An unknown order, position, strategy, limit or alert (404).
    NotFound,
    /// The state changed or does not allow it (409).
    Conflict,
    /// The session cannot act now (broker down, stopping) (503).
    Unavailable,
}

impl ControlRefusal {
    /// A refusal.
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Self {
        ControlRefusal {
            kind,
            message: message.into(),
        }
    }
}

impl From<ControlRefusal> for ApiError {
    fn from(r: ControlRefusal) -> Self {
        let (status, code) = match r.kind {
            RefusalKind::Invalid => (StatusCode::BAD_REQUEST, "invalid_control"),
            RefusalKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            RefusalKind::Conflict => (StatusCode::CONFLICT, "conflict"),
            RefusalKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        };
        ApiError::new(status, code, r.message)
    }
}

/// The sending side the server holds.
pub type ControlSender = mpsc::Sender<ControlRequest>;

fn json_error(e: &JsonRejection) -> ApiError {
    ApiError::bad_request(format!("request body: {}", e.body_text()))
}

fn client_ip(ext: &Extensions) -> Option<std::net::IpAddr> {
    ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// `POST /api/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    user: Option<String>,
    password: Option<String>,
    token: Option<String>,
}

/// `POST /api/login`: opens a cookie session.
pub(crate) async fn login(
    State(state): State<AppState>,
    ext: Extensions,
    body: Result<Json<Login>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(|e| json_error(&e))?;
    let auth = state.auth.clone();
    let ip = client_ip(&ext);
    // PBKDF2 takes a while on purpose: not on the async threads.
    let (id, user, csrf) = tokio::task::spawn_blocking(move || {
        auth.login(
            ip,
            b.user.as_deref(),
            b.password.as_deref(),
            b.token.as_deref(),
        )
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("login task failed: {e}"),
        )
    })??;
    let mut resp = Json(json!({"user": user, "csrf": csrf})).into_response();
    if let Ok(v) = HeaderValue::from_str(&state.auth.session_cookie(&id)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// `POST /api/logout`.
pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.auth.logout(&headers);
    let mut resp = Json(json!({"logged_out": true})).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("trade_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    resp
}

/// `GET /api/csrf`: a fresh single-use token for the caller's session.
pub(crate) async fn csrf(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"csrf": state.auth.new_csrf(&headers)?})))
}

/// `GET /api/whoami`.
pub(crate) async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let who = state.auth.identify(&headers)?;
    Ok(Json(json!({
        "user": who.as_ref().map(|p| p.name.clone()),
        "controls_enabled": state.auth.config().controls_enabled(),
        "controls_available": state.live.as_ref().is_some_and(|l| l.controls.is_some()),
    })))
}

/// Sends `command` to the session and waits for its answer.
async fn send(
    state: &AppState,
    headers: &HeaderMap,
    command: Value,
    reason: Option<String>,
) -> Result<Json<Value>, ApiError> {
    let who = state.auth.authorize_change(headers)?;
    let tx = state
        .live
        .as_ref()
        .and_then(|l| l.controls.clone())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_session",
                "no paper or live session with controls runs in this server",
            )
        })?;
    let reason = reason.unwrap_or_default();
    if reason.len() > 500 {
        return Err(ApiError::bad_request("reason: at most 500 bytes"));
    }
    let (reply_tx, reply_rx) = oneshot::channel();
    let unavailable = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the session is not running",
        )
    };
    tx.send(ControlRequest {
        command,
        actor: who.name,
        reason,
        reply: reply_tx,
    })
    .await
    .map_err(|_| unavailable())?;
    let answer = reply_rx.await.map_err(|_| unavailable())?;
    answer.map(Json).map_err(ApiError::from)
}

/// Body of pause/resume/flatten/cancel.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scope {
    /// One strategy (default: all trading).
    strategy: Option<String>,
    /// One instrument (resume after an operator's close).
    symbol: Option<String>,
    reason: Option<String>,
    /// Flatten needs it.
    confirm: Option<bool>,
}

/// A JSON body whose every field is optional: an empty body means the
/// defaults.
fn optional_body<T: Default + serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("request body: {e}")))
}

/// `POST /api/control/pause`: no new entries (exits still go out), for one
/// strategy or all.
pub(crate) async fn pause(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let b: Scope = optional_body(&body)?;
    if b.symbol.is_some() || b.confirm.is_some() {
        return Err(ApiError::bad_request(
            "pause takes {\"strategy\"?, \"reason\"?}",
        ));
    }
    send(
        &state,
        &headers,
        json!({"action": "pause", "strategy": b.strategy}),
        b.reason,
    )
    .await
}

/// `POST /api/control/resume`.
pub(crate) async fn resume(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let b: Scope = optional_body(&body)?;
    if b.confirm.is_some() {
        return Err(ApiError::bad_request(
            "resume takes {\"strategy\"?, \"symbol\"?, \"reason\"?}",
        ));
    }
    send(
        &state,
        &headers,
        json!({"action": "resume", "strategy": b.strategy, "symbol": b.symbol}),
        b.reason,
    )
    .await
}

/// `POST /api/control/flatten`: the kill switch. Needs `"confirm": true`.
pub(crate) async fn flatten(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let b: Scope = optional_body(&body)?;
    if b.confirm != Some(true) {
        return Err(ApiError::bad_request(
            "flatten cancels every order and closes every position: send {\"confirm\": true, \"reason\": ...}",
        ));
    }
    send(&state, &headers, json!({"action": "flatten"}), b.reason).await
}

/// `POST /api/orders/{local_id}/cancel`.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id.map_err(|e| {
        ApiError::bad_request(format!("order id: {} (expected an integer)", e.body_text()))
    })?;
    let b: Scope = optional_body(&body)?;
    send(
        &state,
        &headers,
        json!({"action": "cancel", "local_id": id}),
        b.reason,
    )
    .await
}

/// Body of a close.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Close {
    confirm: Option<bool>,
    /// The quantity the preview showed: the close is refused if the
    /// position changed since.
    expected_qty: Option<i64>,
    reason: Option<String>,
}

/// `POST /api/positions/{symbol}/close`: without `"confirm": true`, a
/// preview of what would be sent (and the `expected_qty` to confirm with);
/// with it, market orders that bring the position to zero.
pub(crate) async fn close(
    State(state): State<AppState>,
    headers: HeaderMap,
    symbol: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Path(symbol) = symbol.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if symbol.is_empty()
        || symbol.len() > 32
        || !symbol
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._- ".contains(&b))
    {
        return Err(ApiError::bad_request(format!(
            "symbol {symbol:?}: expected 1-32 letters, digits, '.', '-', '_' or spaces"
        )));
    }
    let b: Close = optional_body(&body)?;
    if b.confirm != Some(true) {
        // The preview changes nothing, but it is part of a control: the
        // same authentication applies (it does not consume a CSRF token).
        if state.auth.identify(&headers)?.is_none() || !state.auth.config().controls_enabled() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "controls need a login (POST /api/login) or Authorization: Bearer <token>",
            ));
        }
        let live = state.live.as_ref().ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "no_session", "no session runs here")
        })?;
        let status = live.status.borrow().clone();
        let pos = status["positions"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["symbol"] == symbol.as_str()))
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no open position in {symbol}"),
                )
            })?;
        let qty = pos["qty"].as_i64().unwrap_or(0);
        return Ok(Json(json!({
            "confirm_required": true,
            "symbol": symbol,
            "qty": qty,
            "mark": pos["mark"],
            "market_value": pos["market_value"],
            "would_send": format!("{} {} {symbol} at market", if qty > 0 { "SELL" } else { "BUY" }, qty.unsigned_abs()),
            "confirm_with": {"confirm": true, "expected_qty": qty},
        })));
    }
    let expected = b.expected_qty.ok_or_else(|| {
        ApiError::bad_request("a confirmed close needs expected_qty (from the preview)")
    })?;
    send(
        &state,
        &headers,
        json!({"action": "close_position", "symbol": symbol, "expected_qty": expected}),
        b.reason,
    )
    .await
}

/// Body of a limit change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetLimit {
    value: f64,
    reason: Option<String>,
}

/// `POST /api/limits/{name}`: within the bounds the config allows.
pub(crate) async fn set_limit(
    State(state): State<AppState>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    body: Result<Json<SetLimit>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(name) = name.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let Json(b) = body.map_err(|e| json_error(&e))?;
    if !b.value.is_finite() {
        return Err(ApiError::bad_request("value: expected a finite number"));
    }
    send(
        &state,
        &headers,
        json!({"action": "set_limit", "name": name, "value": b.value}),
        b.reason,
    )
    .await
}

/// Body of an alert action.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertAction {
    /// Snooze only: for how long.
    minutes: Option<u32>,
    reason: Option<String>,
}

/// `POST /api/alerts/{id}/ack`.
pub(crate) async fn ack_alert(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<u64>, PathRejection>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id.map_err(|e| {
        ApiError::bad_request(format!("alert id: {} (expected an integer)", e.body_text()))
    })?;
    let b: AlertAction = optional_body(&body)?;
    send(
        &state,
        &headers,
        json!({"action": "ack_alert", "id": id}),
        b.reason,
    )
    .await
}

/// `POST /api/alerts/{id}/snooze` with `{"minutes": n}` (1 to 1440).
pub(crate) async fn snooze_alert(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<u64>, PathRejection>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id.map_err(|e| {
        ApiError::bad_request(format!("alert id: {} (expected an integer)", e.body_text()))
    })?;
    let b: AlertAction = optional_body(&body)?;
    let minutes = b
        .minutes
        .filter(|m| (1..=1440).contains(m))
        .ok_or_else(|| ApiError::bad_request("minutes: expected 1 to 1440"))?;
    send(
        &state,
        &headers,
        json!({"action": "snooze_alert", "id": id, "minutes": minutes}),
        b.reason,
    )
    .await
}
