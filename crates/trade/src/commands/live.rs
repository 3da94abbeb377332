//! `trade live`: the configured strategies against Interactive Brokers,
//! behind the account guard. The IB adapters are built in ONE place,
//! [`connect_ib`], so the build that links them changes one function.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use trade_core::{Instrument, InstrumentId};
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
}

/// Connects the Interactive Brokers broker and feed adapters for `live`
/// and the session's instruments, returning the session's links. The one
/// place where the IB crate is wired in; it runs on the command's runtime,
/// so it may spawn the adapters' tasks.
///
/// # Errors
/// Always, in this build: the adapter is not linked yet.
pub async fn connect_ib(
    live: LiveConfig,
    instruments: Vec<(InstrumentId, Instrument)>,
) -> anyhow::Result<(BrokerLink, FeedLink)> {
    let _ = (live, instruments);
    anyhow::bail!("the Interactive Brokers adapter is not linked in this build yet")
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
    let data = crate::data_source::load(&cfg)?;
    let instruments: Vec<Instrument> = data.instruments.clone();
    let ids: Vec<(InstrumentId, Instrument)> = instruments
        .iter()
        .enumerate()
        .map(|(i, ins)| (InstrumentId(i as u32), ins.clone()))
        .collect();
    tracing::info!(
        host = %live.host,
        port = live.port,
        client_id = live.client_id,
        account = %live.account.as_deref().map(mask_account).unwrap_or_default(),
        "connecting to Interactive Brokers"
    );
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
        warmup: data.series,
    };
    let started = Instant::now();
    let links = connect_ib(live, ids);
    let outcome = session_run::run_session(setup, journal, links, Vec::new(), |_| Vec::new())
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
    fn the_ib_links_say_they_are_not_linked() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(connect_ib(LiveConfig::default(), Vec::new()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the Interactive Brokers adapter is not linked in this build yet"
        );
    }
}
