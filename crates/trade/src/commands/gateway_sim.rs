//! `trade gateway-sim`: the TWS API gateway simulator as a foreground
//! process, for trying the IB adapter or any TWS API client offline.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use trade_gateway_sim::{ClockMode, GatewaySim, SimConfig};

/// `trade gateway-sim`.
#[derive(Debug, Clone, Args)]
pub struct GatewaySimArgs {
    /// Port on 127.0.0.1 (4002 is IB Gateway's paper port; 0 picks a free
    /// one and prints it).
    #[arg(long, default_value_t = 4002)]
    pub port: u16,
    /// Simulated seconds per wall-clock second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Seed of the generated price paths.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Opening cash of the simulated account (USD).
    #[arg(long, default_value_t = 1_000_000.0)]
    pub cash: f64,
}

/// Runs the simulator until SIGINT/SIGTERM.
///
/// # Errors
/// The port is taken, or the arguments are out of range.
pub fn run(args: &GatewaySimArgs) -> anyhow::Result<String> {
    anyhow::ensure!(
        args.speed.is_finite() && args.speed > 0.0 && args.speed <= 1_000_000.0,
        "--speed must be in (0, 1000000], got {}",
        args.speed
    );
    anyhow::ensure!(
        args.cash.is_finite() && args.cash >= 0.0,
        "--cash must be a number >= 0, got {}",
        args.cash
    );
    let config = SimConfig {
        seed: args.seed,
        starting_cash: args.cash,
        clock: ClockMode::Auto {
            step_every: Duration::from_secs_f64(1.0 / args.speed),
        },
        ..SimConfig::default()
    };
    let rt = super::shutdown::runtime()?;
    rt.block_on(async {
        let addr = format!("127.0.0.1:{}", args.port);
        let sim = GatewaySim::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let handle = sim.start(config)?;
        let shutdown = super::shutdown::Shutdown::install();
        // The one line a script waits for before connecting.
        let mut out = std::io::stdout().lock();
        writeln!(out, "gateway-sim listening on {}", handle.addr())?;
        out.flush()?;
        drop(out);
        tracing::info!(addr = %handle.addr(), "gateway simulator started; Ctrl-C stops it");
        shutdown.wait().await;
        handle.shutdown().await;
        tracing::info!("gateway simulator stopped");
        anyhow::Ok(String::new())
    })
}
