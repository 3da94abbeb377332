//! `trade paper`: the configured strategies on a wall clock with simulated
//! fills (the backtest's fill model), over a replay of bar files.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use trade_engine::strategy::Registry;
use trade_live::adapter::feed_channels;
use trade_live::paper::{PaperSetup, paper_links};
use trade_live::{Mode, SessionSetup, Speed};

use crate::cli::ConfigArgs;
use crate::config::{self, LoadedConfig, Sources};
use crate::data_source;
use crate::pipeline::{self, RunOptions};

use super::session_run::{self, Tasks};

/// Arguments of `trade paper`.
#[derive(Debug, Args)]
pub struct PaperArgs {
    /// Config and overrides (the backtest's format, plus `[session]`,
    /// `[journal]` and `[paper]`).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Replay these bar files (each matched to its `[data.SYMBOL]` table by
    /// file name, e.g. `SPY.csv` → `[data.SPY]`); with no file, replay the
    /// configured files. Required in this build: a live market-data feed
    /// comes with the Interactive Brokers adapter.
    #[arg(long, num_args = 0..)]
    pub replay: Option<Vec<PathBuf>>,
    /// Replay speed: N times real time, or `max` (as fast as the session
    /// consumes the bars). Default: `[paper] speed`, else 1.
    #[arg(long)]
    pub speed: Option<Speed>,
    /// The SQLite journal (default: `[journal] path`, else `journal.sqlite`).
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Journal intents but send nothing to the (paper) broker.
    #[arg(long)]
    pub dry_run: bool,
    /// Where run folders go (overrides `run.output_dir`).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// Run id (default: `<name>-paper-<UTC time>`).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Serve the dashboard (the session's live page, status API and event
    /// stream, and the run folders) on this address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub http: Option<std::net::SocketAddr>,
}

/// Points each `[data.SYMBOL]` at its replay file.
fn apply_replay(cfg: &mut LoadedConfig, files: &[PathBuf]) -> anyhow::Result<()> {
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_ascii_uppercase())
            .unwrap_or_default();
        let Some(entry) = cfg
            .data
            .iter_mut()
            .find(|d| d.instrument.symbol.as_str().eq_ignore_ascii_case(&stem))
        else {
            let known: Vec<String> = cfg
                .data
                .iter()
                .map(|d| d.instrument.symbol.to_string())
                .collect();
            anyhow::bail!(
                "--replay {}: no [data.{stem}] table in {} (its symbols: {}); name each file after its symbol",
                f.display(),
                cfg.source.display(),
                known.join(", ")
            );
        };
        anyhow::ensure!(f.is_file(), "--replay {}: no such file", f.display());
        entry.spec.path = f.clone();
    }
    Ok(())
}

/// Runs a paper session and renders its summary.
///
/// # Errors
/// Config, data, journal or session errors.
pub fn run(args: &PaperArgs, registry: &Registry) -> anyhow::Result<String> {
    let mut cfg = config::load(
        &args.config.config,
        &Sources::from_process(args.config.sets.clone()),
        registry,
    )?;
    let Some(files) = &args.replay else {
        anyhow::bail!(
            "trade paper needs --replay [FILES...] in this build: the live market-data feed comes with the Interactive Brokers adapter, which is not linked yet"
        );
    };
    apply_replay(&mut cfg, files)?;
    let data = data_source::load_logged(&cfg)?;
    if let Some(plan) = cfg.options.clone() {
        return options_paper(args, &cfg, &plan, &data);
    }
    let hours = pipeline::market_hours(&data)?;
    let spec = pipeline::spec(&cfg);
    let speed = args
        .speed
        .or(cfg.raw.paper.map(|p| p.speed))
        .unwrap_or_default();
    let (journal, journal_path) = session_run::open_journal(&cfg, args.journal.as_deref())?;
    let setup = SessionSetup {
        mode: Mode::Paper,
        dry_run: args.dry_run,
        allow_live_account: false,
        spec: spec.clone(),
        instruments: data.instruments.clone(),
        hours: hours.clone(),
        strategies: pipeline::strategies(&cfg, registry)?,
        config: cfg.raw.session.clone().unwrap_or_default(),
        clock_speed: speed.factor(),
        warmup: Vec::new(),
    };
    tracing::info!(
        journal = %journal_path,
        speed = %speed,
        dry_run = args.dry_run,
        bars = data.total_bars(),
        "paper session starting"
    );
    let (upstream, up_cmds, up_events) = feed_channels();
    let paper = PaperSetup {
        spec,
        instruments: data.instruments.clone(),
        hours,
    };
    let (broker, feed, paper_task) = paper_links(paper, upstream);
    let series = data.series.clone();
    let tasks: Tasks = vec![Box::pin(paper_task)];
    let started = Instant::now();
    let links = async move { Ok((broker, feed)) };
    let runs_dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| cfg.raw.run.output_dir.clone());
    let (dashboard, controls) = session_run::dashboard(&cfg, args.http, runs_dir, &journal_path)?;
    let outcome = session_run::run_session(setup, journal, controls, links, tasks, |status| {
        let mut tasks: Tasks = Vec::new();
        if let Some(d) = dashboard {
            tasks.push(d.task(status.clone()));
        }
        let replay = trade_live::replay::run(series, speed, Some(status), up_cmds, up_events);
        tasks.push(Box::pin(replay));
        tasks
    })
    .context("paper session")?;
    let opts = RunOptions {
        output_dir: args.output_dir.clone(),
        run_id: args.run_id.clone(),
        progress: false,
    };
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| session_run::session_run_id(&cfg, "paper"));
    let opts = RunOptions {
        run_id: Some(run_id.clone()),
        ..opts
    };
    session_run::finish(
        &cfg,
        &opts,
        Some(&data),
        &data.instruments,
        outcome,
        &journal_path,
        started,
    )
}

/// `trade paper` on an `[options]` config: the options desk on a replay of
/// its underlying, journaled, with the backtest's run folder.
fn options_paper(
    args: &PaperArgs,
    cfg: &LoadedConfig,
    plan: &crate::config::OptionsPlan,
    data: &crate::data_source::LoadedData,
) -> anyhow::Result<String> {
    anyhow::ensure!(
        !args.dry_run,
        "--dry-run: the options desk in paper mode fills its combos against the chain it decided on; there is nothing to hold back from a broker"
    );
    let speed = args
        .speed
        .or(cfg.raw.paper.map(|p| p.speed))
        .unwrap_or_default();
    let (journal, journal_path) = session_run::open_journal(cfg, args.journal.as_deref())?;
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| session_run::session_run_id(cfg, "paper"));
    let opts = RunOptions {
        output_dir: args.output_dir.clone(),
        run_id: Some(run_id.clone()),
        progress: false,
    };
    let runs_dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| cfg.raw.run.output_dir.clone());
    let (dashboard, controls) = session_run::dashboard(cfg, args.http, runs_dir, &journal_path)?;
    let run = crate::options_run::PaperRun {
        speed,
        journal,
        journal_path: journal_path.clone(),
        dashboard,
        notifiers: controls.notifiers(),
    };
    let outcome = crate::options_run::paper(cfg, plan, data, run, run_id, &opts)?;
    let summary_path = outcome.run_dir.join(trade_report::SUMMARY_FILE);
    let text = std::fs::read_to_string(&summary_path)
        .with_context(|| format!("reading {}", summary_path.display()))?;
    let summary: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", summary_path.display()))?;
    let mut out = super::backtest::render_summary(&summary, &outcome)?;
    out.push_str(&format!("journal {journal_path}\n"));
    Ok(out)
}
