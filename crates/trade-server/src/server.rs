//! Binding, serving and graceful shutdown.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::AuthConfig;
use crate::error::ServerError;
use crate::live::LiveFeed;
use crate::runs::RunStore;

/// Default listening address: loopback only, so nothing is exposed to the
/// network unless asked for.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// Entry point: [`Server::bind`].
#[derive(Debug)]
pub struct Server;

/// A running server. Dropping it shuts the server down gracefully, as
/// [`ServerHandle::shutdown`] does, without waiting.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and serves `runs_dir` in a
    /// task on the current tokio runtime. Returns once the socket is
    /// listening.
    ///
    /// # Errors
    /// [`ServerError::RunsDir`] / [`ServerError::NotADirectory`] if
    /// `runs_dir` is not a readable directory, [`ServerError::Bind`] if the
    /// address cannot be bound.
    pub async fn bind(addr: SocketAddr, runs_dir: &Path) -> Result<ServerHandle, ServerError> {
        Self::bind_with(addr, runs_dir, None, AuthConfig::default()).await
    }

    /// [`Server::bind`] with a running session's status and controls
    /// (`/live`, `/api/live/*`, the control routes and a session-aware
    /// `/ready`) and an authentication configuration.
    ///
    /// # Errors
    /// As [`Server::bind`].
    pub async fn bind_with(
        addr: SocketAddr,
        runs_dir: &Path,
        live: Option<LiveFeed>,
        auth: AuthConfig,
    ) -> Result<ServerHandle, ServerError> {
        let journal = live.as_ref().and_then(|l| l.journal.clone());
        Self::bind_full(addr, runs_dir, live, auth, journal).await
    }

    /// [`Server::bind_with`] with a journal to read (`trade serve
    /// --journal`): adds `/orders`, `/decisions` and `/api/journal/*`.
    ///
    /// # Errors
    /// As [`Server::bind`].
    pub async fn bind_full(
        addr: SocketAddr,
        runs_dir: &Path,
        live: Option<LiveFeed>,
        auth: AuthConfig,
        journal: Option<std::path::PathBuf>,
    ) -> Result<ServerHandle, ServerError> {
        let store = RunStore::open(runs_dir)?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = crate::routes::router_full(store, live, auth, journal)
            .into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    // A dropped sender also ends the server.
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(addr = %local, runs_dir = %runs_dir.display(), "trade-server listening");
        Ok(ServerHandle {
            addr: local,
            stop: Some(stop),
            task,
        })
    }
}

impl ServerHandle {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stops accepting connections, lets in-flight requests finish, and
    /// waits for the server task to end.
    ///
    /// # Errors
    /// [`ServerError::Serve`] if serving failed or the task panicked.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join().await
    }

    /// Waits until the server ends (it only ends on shutdown or error).
    ///
    /// # Errors
    /// As [`ServerHandle::shutdown`].
    pub async fn wait(mut self) -> Result<(), ServerError> {
        self.join().await
    }

    async fn join(&mut self) -> Result<(), ServerError> {
        match (&mut self.task).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ServerError::Serve(e.to_string())),
            Err(e) => Err(ServerError::Serve(e.to_string())),
        }
    }
}
