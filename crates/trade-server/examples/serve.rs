//! Serves a runs directory until ctrl-c, for trying the server by hand
//! before `trade serve` exists:
//! `cargo run -p trade-server --example serve -- runs 127.0.0.1:8080`

use std::net::SocketAddr;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs = PathBuf::from(args.next().unwrap_or_else(|| "runs".to_owned()));
    let addr: SocketAddr = match args.next() {
        Some(a) => a.parse()?,
        None => trade_server::DEFAULT_ADDR,
    };
    let handle = trade_server::Server::bind(addr, &runs).await?;
    println!(
        "serving {} on http://{}",
        runs.display(),
        handle.local_addr()
    );
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await?;
    Ok(())
}
