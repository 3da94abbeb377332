//! The router: JSON API, HTML pages, report files, health and metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::{Auth, AuthConfig};

use crate::compare::{Comparison, compare};
use crate::error::ApiError;
use crate::live::LiveFeed;
use crate::metrics::{HttpMetrics, UNMATCHED_ROUTE, method_label};
use crate::pages::Pages;
use crate::runs::{REPORT_FILE, RunStore};

/// The OpenAPI 3.1 description of the routes, served at `/api/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// Longest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 4096;
/// Largest request body accepted, in bytes (control bodies are small JSON).
pub const MAX_BODY_BYTES: u64 = 64 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    store: RunStore,
    pub(crate) metrics: Arc<HttpMetrics>,
    pub(crate) pages: Arc<Pages>,
    /// The running session, when the server is embedded in one.
    pub(crate) live: Option<LiveFeed>,
    /// Logins, sessions and CSRF tokens.
    pub(crate) auth: Arc<Auth>,
    /// When the server started (uptime on `/system`).
    pub(crate) started: Instant,
    /// The order journal (SQLite) to read, if any.
    pub(crate) journal: Option<std::path::PathBuf>,
}

/// The complete router over `store` (and a running session's status, when
/// given) with the default authentication (public reads, controls off).
pub fn router(store: RunStore, live: Option<LiveFeed>) -> Router {
    router_with(store, live, AuthConfig::default())
}

/// [`router`] with an authentication configuration (and the journal a
/// session writes, from `live`).
pub fn router_with(store: RunStore, live: Option<LiveFeed>, auth: AuthConfig) -> Router {
    let journal = live.as_ref().and_then(|l| l.journal.clone());
    router_full(store, live, auth, journal)
}

/// [`router_with`] with a journal to read (`trade serve --journal`).
pub fn router_full(
    store: RunStore,
    live: Option<LiveFeed>,
    auth: AuthConfig,
    journal: Option<std::path::PathBuf>,
) -> Router {
    let state = AppState {
        store,
        metrics: Arc::new(HttpMetrics::default()),
        pages: Arc::new(Pages::new()),
        live,
        auth: Arc::new(Auth::new(auth)),
        started: Instant::now(),
        journal,
    };
    use crate::control;
    Router::new()
        .route("/health", get(health))
        .route("/login", get(login_page))
        .route("/api/login", post(control::login))
        .route("/api/logout", post(control::logout))
        .route("/api/csrf", get(control::csrf))
        .route("/api/whoami", get(control::whoami))
        .route("/api/control/pause", post(control::pause))
        .route("/api/control/resume", post(control::resume))
        .route("/api/control/flatten", post(control::flatten))
        .route("/api/orders/{id}/cancel", post(control::cancel))
        .route("/api/positions/{symbol}/close", post(control::close))
        .route("/api/limits/{name}", post(control::set_limit))
        .route("/api/alerts/{id}/ack", post(control::ack_alert))
        .route("/api/alerts/{id}/snooze", post(control::snooze_alert))
        .route("/ready", get(crate::live::ready))
        .route("/live", get(crate::live::page))
        .route("/portfolio", get(crate::live::portfolio_page))
        .route("/api/live/status", get(crate::live::status))
        .route("/api/live/stream", get(crate::live::stream))
        .route("/metrics", get(metrics))
        .route("/system", get(crate::system::page))
        .route("/orders", get(crate::journal::orders_page))
        .route("/decisions", get(crate::journal::decisions_page))
        .route("/api/journal/orders", get(crate::journal::orders))
        .route("/api/journal/fills", get(crate::journal::fills))
        .route("/api/journal/audit", get(crate::journal::audit))
        .route("/api/system", get(crate::system::api))
        .route("/api/openapi.json", get(openapi))
        .route("/api/runs", get(api_runs))
        .route("/api/runs/{id}", get(api_run))
        .route("/api/runs/{a}/compare/{b}", get(api_compare))
        .route("/runs/{id}/report", get(report))
        .route("/", get(index_page))
        .route("/compare", get(compare_page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), read_guard))
        .layer(middleware::from_fn(limits))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let response = next.run(req).await;
    state
        .metrics
        .observe(method, &route, response.status().as_u16(), start.elapsed());
    response
}

/// Paths anybody may read, whatever `public_read` says: probes and the
/// way in.
const ALWAYS_OPEN: [&str; 4] = ["/health", "/ready", "/login", "/api/login"];

/// When reads are not public, every GET needs a login (changes check
/// their own, stricter, rules).
async fn read_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::GET
        && !ALWAYS_OPEN.contains(&req.uri().path())
        && let Err(e) = state.auth.allow_read(req.headers())
    {
        let wants_html = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
        if wants_html && !req.uri().path().starts_with("/api/") {
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, HeaderValue::from_static("/login"))],
            )
                .into_response();
        }
        return e.into_response();
    }
    next.run(req).await
}

async fn login_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(html_response(Body::from(state.pages.login()?)))
}

/// Refuses oversized requests before any handler runs.
async fn limits(req: Request, next: Next) -> Response {
    let target_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("request target is {target_len} bytes, at most {MAX_URI_BYTES} accepted"),
        )
        .into_response();
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared
        && len > MAX_BODY_BYTES
    {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body is {len} bytes, at most {MAX_BODY_BYTES} accepted"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Runs file-system work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("worker task failed: {e}"),
        )
    })?
}

fn path_error(e: &PathRejection) -> ApiError {
    ApiError::bad_request(format!("path parameter: {}", e.body_text()))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "service": "trade-server",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI_JSON,
    )
        .into_response()
}

async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let runs = blocking(move || store.list()).await?;
    let errors = runs.iter().filter(|r| r.error.is_some()).count();
    let mut text = state.metrics.render(runs.len() - errors, errors);
    if let Some(live) = &state.live {
        let status = live.status.borrow().clone();
        text.push_str(&crate::live::render_metrics(&status));
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response())
}

async fn api_runs(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let runs = blocking(move || state.store.list()).await?;
    Ok(Json(
        serde_json::json!({ "count": runs.len(), "runs": runs }),
    ))
}

async fn api_run(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Path(id) = id.map_err(|e| path_error(&e))?;
    blocking(move || state.store.summary_json(&id))
        .await
        .map(Json)
}

fn load_comparison(store: &RunStore, a: &str, b: &str) -> Result<Comparison, ApiError> {
    let sa = store.summary(a)?;
    let sb = store.summary(b)?;
    Ok(compare(&sa, &sb))
}

async fn api_compare(
    State(state): State<AppState>,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Comparison>, ApiError> {
    let Path((a, b)) = ids.map_err(|e| path_error(&e))?;
    blocking(move || load_comparison(&state.store, &a, &b))
        .await
        .map(Json)
}

async fn report(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| path_error(&e))?;
    let html = blocking(move || state.store.read_file(&id, REPORT_FILE)).await?;
    Ok(html_response(Body::from(html)))
}

fn html_response(body: Body) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn index_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let runs = blocking(move || store.list()).await?;
    let html = state.pages.index(&runs)?;
    Ok(page_response(html))
}

/// Query of `/compare`.
#[derive(Debug, Deserialize)]
struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
}

async fn compare_page(
    State(state): State<AppState>,
    query: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (Some(a), Some(b)) = (q.a, q.b) else {
        return Err(ApiError::bad_request(
            "both query parameters a and b (run ids) are required: /compare?a=<run id>&b=<run id>",
        ));
    };
    let store = state.store.clone();
    let cmp = blocking(move || load_comparison(&store, &a, &b)).await?;
    let html = state.pages.compare(&cmp)?;
    Ok(page_response(html))
}

/// Our own pages fetch nothing: the policy makes the browser enforce it.
fn page_response(html: String) -> Response {
    let mut resp = html_response(Body::from(html));
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    );
    resp
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", req.uri().path()),
    )
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}
