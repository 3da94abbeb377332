//! `trade live`: the configured strategies against Interactive Brokers,
//! behind the account guard. The IB adapters are built in ONE place,
//! [`connect_ib`], so the build that links them changes one function.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use trade_core::Instrument;
use trade_engine::market_hours::{MarketHours, SessionTimes};
use trade_engine::strategy::Registry;
use trade_live::adapter::{AccountType, BrokerLink, FeedLink};
use trade_live::config::mask_account;
use trade_live::{LiveConfig, Mode, SessionSetup};

use crate::cli::ConfigArgs;
use crate::config::{self, LoadedConfig, Sources};
use crate::pipeline::{self, RunOptions};

use super::session_run;

/// Arguments of `trade live`.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Config and overrides (needs a `[live]` section).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Journal intents but send no order to the broker.
    #[arg(long)]
    pub dry_run: bool,
    /// Required, with `account_type = "live"` in `[live]`, to trade a live
    /// (real-money) account.
    #[arg(long)]
    pub confirm_live: bool,
    /// The SQLite journal (default: `[journal] path`).
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Where run folders go (overrides `run.output_dir`).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Serve the dashboard (the session's live page, status API and event
    /// stream, and the run folders) on this address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub http: Option<std::net::SocketAddr>,
}

/// The adapter's settings for a session whose bars are `bar_seconds`
/// long, checked before anything is opened.
///
/// # Errors
/// The `[live]` values cannot work (named).
pub fn ib_config(live: &LiveConfig, bar_seconds: u32) -> anyhow::Result<trade_ib::IbConfig> {
    let cfg = trade_ib::IbConfig {
        host: live.host.clone(),
        port: live.port,
        client_id: live.client_id,
        account: live.account.clone(),
        bar_seconds,
        lines: trade_ib::lines::LineBudget {
            lines: live.market_data_lines,
            reserve: live.reserve_lines,
        },
        ..trade_ib::IbConfig::default()
    };
    let problems = cfg.problems();
    anyhow::ensure!(problems.is_empty(), "[live] {}", problems.join("; "));
    Ok(cfg)
}

/// Connects the Interactive Brokers adapter (`trade-ib`); `cfg.min_order_id`
/// is one more than the highest broker id the journal ever saw, so a
/// gateway that comes back with a rolled-back nextValidId cannot make us
/// reuse one.
///
/// # Errors
/// The adapter refuses the settings.
pub async fn connect_ib(cfg: trade_ib::IbConfig) -> anyhow::Result<(BrokerLink, FeedLink)> {
    let (broker, feed, handle) = trade_ib::start(cfg)?;
    // The adapter's status is logged as it changes; the task ends with the links.
    let mut status = handle.status;
    tokio::spawn(async move {
        while status.changed().await.is_ok() {
            let s = status.borrow().clone();
            tracing::debug!(
                connected = s.connected,
                generation = s.generation,
                circuit = ?s.circuit,
                next_order_id = s.next_order_id,
                "IB connection status"
            );
        }
    });
    Ok((broker, feed))
}

/// The bar length of the warm-up data in seconds: the most common gap
/// between consecutive bars of the first series within one session
/// (86 400 for daily data).
fn bar_seconds(series: &[Vec<trade_core::Bar>]) -> u32 {
    let mut counts: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
    if let Some(s) = series.iter().find(|s| s.len() > 1) {
        for w in s.windows(2) {
            let gap = w[1].ts.secs() - w[0].ts.secs();
            if gap > 0 {
                *counts.entry(gap.min(86_400)).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(gap, n)| (n, -gap))
        .map_or(86_400, |(gap, _)| u32::try_from(gap).unwrap_or(86_400))
}

/// Whether this config may trade a live account (config and flag agree).
///
/// # Errors
/// `account_type = "live"` without `--confirm-live`.
pub fn live_allowed(live: &LiveConfig, confirm_live: bool) -> anyhow::Result<bool> {
    match (live.account_type, confirm_live) {
        (AccountType::Live, true) => Ok(true),
        (AccountType::Live, false) => anyhow::bail!(
            "[live] account_type = \"live\" trades real money: pass --confirm-live to start"
        ),
        (AccountType::Paper, _) => Ok(false),
    }
}

/// NYSE sessions from yesterday to a week ahead (a live session's calendar).
fn hours_around_now() -> anyhow::Result<MarketHours> {
    let ny = jiff::tz::TimeZone::get("America/New_York")?;
    let today = jiff::Timestamp::now().to_zoned(ny).date();
    let d0 = today.yesterday()?;
    let d1 = today.checked_add(jiff::Span::new().days(7))?;
    let sessions = trade_calendar::Nyse
        .sessions_in(d0, d1)
        .context("market calendar")?;
    Ok(MarketHours::new(
        sessions
            .iter()
            .map(|s| SessionTimes {
                open: s.open,
                close: s.close,
            })
            .collect(),
    ))
}

/// The strategies' warm-up bars from IB's history (paced), on a short
/// connection of its own before the session's.
fn ib_warmup(
    ib: &trade_ib::IbConfig,
    instruments: &[Instrument],
    count: usize,
) -> anyhow::Result<Vec<Vec<trade_core::Bar>>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(trade_ib::history::fetch_warmup(ib, instruments, count))
        .map_err(anyhow::Error::msg)
        .context("warm-up history from IB")
}

/// Runs a live session.
///
/// # Errors
/// Config, guard, connection, journal or session errors.
pub fn run(args: &LiveArgs, registry: &Registry) -> anyhow::Result<String> {
    let cfg: LoadedConfig = config::load(
        &args.config.config,
        &Sources::from_process(args.config.sets.clone()),
        registry,
    )?;
    let Some(live) = cfg.raw.live.clone() else {
        anyhow::bail!(
            "{}: no [live] section: trade live needs host, port, client_id and account_type",
            cfg.source.display()
        );
    };
    let allow_live_account = live_allowed(&live, args.confirm_live)?;
    // The configured bar files are the strategies' warm-up history.
    let data = crate::data_source::load_logged(&cfg)?;
    let instruments: Vec<Instrument> = data.instruments.clone();
    // Checked before the journal is opened: a config that cannot connect
    // leaves no file behind.
    let mut ib = ib_config(&live, bar_seconds(&data.series))?;
    tracing::info!(
        host = %live.host,
        port = live.port,
        client_id = live.client_id,
        account = %live.account.as_deref().map(mask_account).unwrap_or_default(),
        "connecting to Interactive Brokers"
    );
    let warmup = match live.warmup {
        trade_live::WarmupSource::Files => data.series,
        trade_live::WarmupSource::Ib => ib_warmup(&ib, &instruments, live.warmup_bars)?,
    };
    let (journal, journal_path) = session_run::open_journal(&cfg, args.journal.as_deref())?;
    let setup = SessionSetup {
        mode: Mode::Live,
        dry_run: args.dry_run,
        allow_live_account,
        spec: pipeline::spec(&cfg),
        instruments: instruments.clone(),
        hours: hours_around_now()?,
        strategies: pipeline::strategies(&cfg, registry)?,
        config: cfg.raw.session.clone().unwrap_or_default(),
        clock_speed: 1.0,
        warmup,
    };
    let started = Instant::now();
    ib.min_order_id = journal
        .max_broker_order_id()
        .context("reading the journal's highest order id")?
        .map_or(1, |m| i32::try_from(m + 1).unwrap_or(i32::MAX));
    let links = connect_ib(ib);
    let runs_dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| cfg.raw.run.output_dir.clone());
    let (dashboard, controls) = session_run::dashboard(&cfg, args.http, runs_dir, &journal_path)?;
    let outcome = session_run::run_session(setup, journal, controls, links, Vec::new(), |status| {
        dashboard.map(|d| d.task(status)).into_iter().collect()
    })
    .context("live session")?;
    let run_id = session_run::session_run_id(&cfg, "live");
    let opts = RunOptions {
        output_dir: args.output_dir.clone(),
        run_id: Some(run_id.clone()),
        progress: false,
    };
    session_run::finish(
        &cfg,
        &opts,
        None,
        &instruments,
        outcome,
        &journal_path,
        started,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_account_type_needs_the_confirmation_flag() {
        let mut live = LiveConfig::default();
        assert!(!live_allowed(&live, false).unwrap());
        assert!(!live_allowed(&live, true).unwrap());
        live.account_type = AccountType::Live;
        let err = live_allowed(&live, false).unwrap_err().to_string();
        assert!(err.contains("--confirm-live"), "{err}");
        assert!(live_allowed(&live, true).unwrap());
    }

    #[test]
    fn bad_live_values_are_refused_before_connecting() {
        let live = LiveConfig {
            port: 0,
            ..LiveConfig::default()
        };
        let err = ib_config(&live, 86_400).unwrap_err().to_string();
        assert!(
            err.starts_with("[live]") && err.contains("port must be 1..65535"),
            "{err}"
        );
        let err = ib_config(&LiveConfig::default(), 7)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bar size 7 s"), "{err}");
        assert!(ib_config(&LiveConfig::default(), 60).is_ok());
    }

    #[test]
    fn the_bar_length_is_the_most_common_gap() {
        use trade_core::InstrumentId;
        let bar = |secs: i64| trade_core::Bar {
            instrument: InstrumentId(0),
            ts: trade_core::Timestamp::from_secs(secs),
            open: trade_core::Price::from_cents(100),
            high: trade_core::Price::from_cents(100),
            low: trade_core::Price::from_cents(100),
            close: trade_core::Price::from_cents(100),
            volume: 1,
        };
        // Minute bars with an overnight gap: 60.
        let minutes: Vec<_> = [0, 60, 120, 180, 80_000, 80_060].map(bar).to_vec();
        assert_eq!(bar_seconds(&[minutes]), 60);
        // Daily bars with weekends: capped at a day.
        let days: Vec<_> = [0, 86_400, 172_800, 432_000].map(bar).to_vec();
        assert_eq!(bar_seconds(&[days]), 86_400);
        assert_eq!(bar_seconds(&[]), 86_400);
    }
}
