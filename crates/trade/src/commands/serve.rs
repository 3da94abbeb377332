//! `trade serve`: the web dashboard and JSON API over a runs folder.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use trade_server::Server;

/// `trade serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The run folders to serve (`runs/<run_id>/`).
    #[arg(long, default_value = "runs")]
    pub runs: PathBuf,
    /// Address to listen on (loopback by default; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// An order journal (SQLite) to show on /orders and /decisions
    /// (read-only; a running session may be writing it).
    #[arg(long)]
    pub journal: Option<std::path::PathBuf>,
}

/// Serves until SIGINT/SIGTERM.
///
/// # Errors
/// The runs folder is missing or the address is taken.
pub fn run(args: &ServeArgs) -> anyhow::Result<String> {
    let rt = super::shutdown::runtime()?;
    rt.block_on(async {
        let handle = Server::bind_full(
            args.http,
            &args.runs,
            None,
            trade_server::AuthConfig::default(),
            args.journal.clone(),
        )
        .await
        .with_context(|| format!("serving {} on {}", args.runs.display(), args.http))?;
        let shutdown = super::shutdown::Shutdown::install();
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "serving {} on http://{}",
            args.runs.display(),
            handle.local_addr()
        )?;
        out.flush()?;
        drop(out);
        shutdown.wait().await;
        handle.shutdown().await?;
        tracing::info!("server stopped");
        anyhow::Ok(String::new())
    })
}
