//! The async runtime and clean stops of the long-running commands
//! (`gateway-sim`, `serve`).

use anyhow::Context as _;

/// A two-worker runtime: the machine has two cores, and these commands are
/// I/O-bound servers.
///
/// # Errors
/// The runtime cannot start (threads or the I/O driver).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// SIGINT/SIGTERM, installed before the process announces that it is
/// listening, so a supervisor that signals right after the announcement is
/// never lost.
pub(crate) struct Shutdown {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Shutdown {
    /// Installs the handlers (inside the runtime).
    pub(crate) fn install() -> Self {
        Shutdown {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    /// Resolves on the first SIGINT or SIGTERM.
    pub(crate) async fn wait(self) {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        if let Some(mut term) = self.term {
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}
