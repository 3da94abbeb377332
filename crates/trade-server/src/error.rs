//! Errors: the server's own ([`ServerError`]) and the JSON body every
//! failed request gets ([`ApiError`]).

use std::io;
use std::path::PathBuf;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The runs directory is missing or not a directory.
    #[error("runs directory {path}: {source}")]
    RunsDir {
        /// The directory given.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The runs directory path exists but is a file.
    #[error("runs directory {path}: expected a directory, found something else")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Binding the listening socket failed.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What went wrong.
        source: io::Error,
    },
    /// The serving task failed or panicked.
    #[error("serving: {0}")]
    Serve(String),
}

/// A failed request: its status and the `{ "error", "detail" }` body.
///
/// `error` is a short stable code a client can match on; `detail` is for
/// a human and names the offending input.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<u64>,
}

/// The JSON body of a failed request.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// Short stable code (`not_found`, `invalid_run_id`, ...).
    pub error: String,
    /// What was wrong, for a human.
    pub detail: String,
}

impl ApiError {
    /// An error with the given status, code and detail.
    pub fn new(status: StatusCode, error: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: error.to_owned(),
                detail: detail.into(),
            },
            retry_after: None,
        }
    }

    /// Adds a `Retry-After` header (seconds).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 400 `invalid_run_id`.
    pub fn invalid_run_id(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_run_id", detail)
    }

    /// 404 `run_not_found`.
    pub fn run_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "run_not_found",
            format!("no run folder named {id:?} in the runs directory"),
        )
    }

    /// 400 `bad_request`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(self.body)).into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        resp
    }
}
