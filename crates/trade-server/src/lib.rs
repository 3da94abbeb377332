//! `trade-server`: an HTTP server over a directory of backtest run folders
//! (`runs/<run_id>/` as written by `trade backtest`).
//!
//! Routes: `GET /health`, `/api/runs`, `/api/runs/{id}`,
//! `/api/runs/{a}/compare/{b}`, `/runs/{id}/report`, `/api/openapi.json`,
//! `/metrics`, and the HTML pages `/` and `/compare?a=..&b=..`. Every
//! failed request answers `{ "error": "...", "detail": "..." }` with a 4xx
//! status; run ids are checked before touching the file system and no
//! file outside the runs directory is ever read.
//!
//! ```no_run
//! # async fn demo() -> Result<(), trade_server::ServerError> {
//! let handle = trade_server::Server::bind(trade_server::DEFAULT_ADDR, "runs".as_ref()).await?;
//! println!("http://{}", handle.local_addr());
//! handle.shutdown().await
//! # }
//! ```

pub mod auth;
pub mod compare;
pub mod control;
pub mod error;
pub mod journal;
pub mod live;
pub mod metrics;
pub mod pages;
pub mod routes;
pub mod runs;
pub mod server;
pub mod system;

pub use auth::{AuthConfig, PasswordHash, Secret, User};
pub use control::{ControlRefusal, ControlReply, ControlRequest, ControlSender, RefusalKind};
pub use error::{ApiError, ErrorBody, ServerError};
pub use live::LiveFeed;
pub use routes::{OPENAPI_JSON, router, router_with};
pub use runs::RunStore;
pub use server::{DEFAULT_ADDR, Server, ServerHandle};
