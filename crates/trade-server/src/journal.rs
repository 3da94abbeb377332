//! The order journal seen from the dashboard: orders (with their age),
//! fills with commissions, and the audit trail of decisions, risk
//! verdicts, controls and reconciliation findings, read from the SQLite
//! file (read-only, per request, off the async threads).

use std::path::PathBuf;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use serde::Deserialize;
use serde_json::{Value, json};
use trade_journal::{AuditKind, OrderQuery, OrderState, SqliteJournal};

use crate::error::ApiError;
use crate::routes::AppState;

/// Most rows one request returns.
pub const MAX_ROWS: usize = 1000;

fn journal_path(state: &AppState) -> Result<PathBuf, ApiError> {
    state.journal.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_journal",
            "this server reads no journal (trade serve --journal PATH, or a session with --http)",
        )
    })
}

async fn with_journal<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&SqliteJournal) -> Result<T, trade_journal::JournalError> + Send + 'static,
) -> Result<T, ApiError> {
    let path = journal_path(state)?;
    tokio::task::spawn_blocking(move || {
        let j = SqliteJournal::open_read_only(&path).map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "journal_unavailable",
                format!("opening the journal: {e}"),
            )
        })?;
        f(&j).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "journal_read",
                format!("reading the journal: {e}"),
            )
        })
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("journal task failed: {e}"),
        )
    })?
}

fn limit(l: Option<usize>) -> Result<usize, ApiError> {
    match l {
        None => Ok(100),
        Some(n) if (1..=MAX_ROWS).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!(
            "limit={n}: expected 1 to {MAX_ROWS}"
        ))),
    }
}

/// Query of `/api/journal/orders`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrdersQuery {
    state: Option<String>,
    strategy: Option<String>,
    limit: Option<usize>,
}

fn parse_state(s: &str) -> Result<OrderState, ApiError> {
    OrderState::parse(s).ok_or_else(|| {
        ApiError::bad_request(format!(
            "state={s:?}: expected pending_submit, sent, working, filled, cancelled, rejected or abandoned"
        ))
    })
}

/// `GET /api/journal/orders`: newest first, each with its age in seconds.
pub(crate) async fn orders(
    State(state): State<AppState>,
    q: Result<Query<OrdersQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let query = OrderQuery {
        state: q.state.as_deref().map(parse_state).transpose()?,
        strategy: q.strategy,
        since: None,
        limit: limit(q.limit)?,
    };
    let orders = with_journal(&state, move |j| j.query_orders(&query)).await?;
    let now = now_ns();
    let rows: Vec<Value> = orders
        .iter()
        .map(|o| {
            let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
            v["age_seconds"] = json!((now - o.created.nanos()) as f64 / 1e9);
            v
        })
        .collect();
    Ok(Json(json!({"count": rows.len(), "orders": rows})))
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Query of `/api/journal/fills`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FillsQuery {
    limit: Option<usize>,
}

/// `GET /api/journal/fills`: executions with their order and commission,
/// newest first.
pub(crate) async fn fills(
    State(state): State<AppState>,
    q: Result<Query<FillsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let n = limit(q.limit)?;
    let fills = with_journal(&state, move |j| j.query_fills(None, n)).await?;
    let rows: Vec<Value> = fills
        .iter()
        .map(|f| {
            json!({
                "exec_id": f.execution.exec_id,
                "ts": f.execution.ts,
                "instrument": f.execution.instrument,
                "side": f.execution.side,
                "qty": f.execution.qty,
                "price": f.execution.price,
                "local_id": f.local_id,
                "commission": f.commission,
            })
        })
        .collect();
    Ok(Json(json!({"count": rows.len(), "fills": rows})))
}

/// Query of `/api/journal/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// Comma-separated kinds.
    kind: Option<String>,
    /// Only lines before this sequence number (paging).
    before: Option<i64>,
    limit: Option<usize>,
}

/// `GET /api/journal/audit`: the audit trail newest first (decisions, risk
/// verdicts, controls, reconciliation, ...).
pub(crate) async fn audit(
    State(state): State<AppState>,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let kinds = q
        .kind
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|k| !k.is_empty())
        .map(|k| {
            AuditKind::parse(k).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "kind={k:?}: expected decision, risk_verdict, order, fill, commission, positions, reconcile or control"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let n = limit(q.limit)?;
    let before = q.before;
    let lines = with_journal(&state, move |j| j.audit_recent(&kinds, before, n)).await?;
    let rows: Vec<Value> = lines
        .iter()
        .map(|a| {
            json!({
                "seq": a.seq,
                "ts": a.ts,
                "kind": a.kind.as_str(),
                "local_id": a.local_id,
                "payload": a.payload,
            })
        })
        .collect();
    Ok(Json(json!({"count": rows.len(), "lines": rows})))
}

/// `GET /orders`.
pub(crate) async fn orders_page(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    state.pages.orders().map(Html)
}

/// `GET /decisions`.
pub(crate) async fn decisions_page(
    State(state): State<AppState>,
) -> Result<Html<String>, ApiError> {
    state.pages.decisions().map(Html)
}
