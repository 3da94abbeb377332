//! The options leg of `trade backtest`: an `[options]` config runs the
//! options desk on its underlying's bars and writes the same run folder as
//! a stock backtest, plus `options.json` (structure positions with their
//! legs and exit rules, the exit-rule journal, refused entries, Greeks over
//! time, and how many quotes were real or modelled).

use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::Deserialize as _;
use trade_core::{Instrument, Price, Symbol};
use trade_engine::options::{ChainSource, RecordedChains, SyntheticChains, run_options_backtest};
use trade_options::chain::{ChainFileSpec, Preset, load_chain_file_with_prices};
use trade_options::synth::{ChainGenerator, VixSeries};
use trade_report::{ExtraFile, RunInput};

use crate::config::{ChainPlan, LoadedConfig, OptionsPlan};
use crate::data_source::LoadedData;
use crate::pipeline::{RunOptions, RunOutcome, git_sha};

/// The artifact holding the options ledger.
pub const OPTIONS_FILE: &str = "options.json";

fn chain_source(
    plan: &OptionsPlan,
    data: &LoadedData,
    underlying: usize,
) -> anyhow::Result<Box<dyn ChainSource + Send>> {
    let symbol = Symbol::new(&plan.underlying)?;
    Ok(match &plan.chains {
        ChainPlan::Synthetic { config, vix } => {
            let generator =
                ChainGenerator::new(symbol, config.clone()).context("options.synthetic")?;
            let series = VixSeries::load(vix).context("options.vix")?;
            Box::new(SyntheticChains::new(
                generator,
                series,
                vix.display().to_string(),
            ))
        }
        ChainPlan::File { path, format, vix } => {
            let preset = Preset::deserialize(toml::Value::String(format.clone()))
                .map_err(|e| anyhow::anyhow!("options.chain_format {format:?}: {e}"))?;
            let ny = jiff::tz::TimeZone::get("America/New_York")?;
            let closes: std::collections::BTreeMap<jiff::civil::Date, Price> = data.series
                [underlying]
                .iter()
                .map(|b| (b.ts.to_jiff().to_zoned(ny.clone()).date(), b.close))
                .collect();
            let loaded = load_chain_file_with_prices(path, &ChainFileSpec::preset(preset), &|d| {
                closes.get(&d).copied()
            })
            .with_context(|| format!("options.chain_file {}", path.display()))?;
            let vix = match vix {
                Some(v) => Some(VixSeries::load(v).context("options.vix")?),
                None => None,
            };
            Box::new(RecordedChains::new(
                loaded.snapshots,
                vix,
                path.display().to_string(),
            ))
        }
    })
}

/// What the options desk runs on: the underlying's index in the data, the
/// chain source and the spec (with the benchmark's closes for beta
/// weighting when the underlying is not the benchmark).
struct Desk {
    idx: usize,
    source: Box<dyn ChainSource + Send>,
    spec: trade_engine::options::OptionsSpec,
}

fn desk(plan: &OptionsPlan, data: &LoadedData) -> anyhow::Result<Desk> {
    let Some(idx) = data
        .instruments
        .iter()
        .position(|i| i.symbol.as_str() == plan.underlying)
    else {
        bail!("options.underlying {} has no bars", plan.underlying);
    };
    let source = chain_source(plan, data, idx)?;
    let mut spec = plan.spec.clone();
    let bench = spec.limits.benchmark.as_str().to_ascii_uppercase();
    if bench != plan.underlying
        && let Some(b) = data
            .instruments
            .iter()
            .position(|i| i.symbol.as_str() == bench)
    {
        spec.benchmark_closes = data.series[b]
            .iter()
            .map(|bar| (bar.ts, bar.close))
            .collect();
    }
    Ok(Desk { idx, source, spec })
}

/// Runs the options backtest of `cfg` on loaded data and writes the run
/// folder.
///
/// # Errors
/// Chain, engine or output errors, with the key or file that caused them.
pub fn run(
    cfg: &LoadedConfig,
    plan: &OptionsPlan,
    data: &LoadedData,
    run_id: String,
    opts: &RunOptions,
) -> anyhow::Result<RunOutcome> {
    let Desk {
        idx,
        mut source,
        spec,
    } = desk(plan, data)?;
    let t1 = Instant::now();
    let underlying: Instrument = data.instruments[idx].clone();
    let (result, ledger, instruments) =
        run_options_backtest(&spec, underlying, &data.series[idx], source.as_mut())
            .context("options backtest")?;
    let engine_time = t1.elapsed();
    tracing::info!(
        bars = result.bars,
        structures = ledger.positions.len(),
        fills = result.fills.len(),
        modelled_quotes = ledger.quotes.modelled,
        real_quotes = ledger.quotes.real,
        ms = engine_time.as_millis() as u64,
        "options backtest finished"
    );
    let t2 = Instant::now();
    let run_dir = write_run(
        cfg,
        opts,
        data,
        &run_id,
        &result,
        &ledger,
        instruments,
        Vec::new(),
    )?;
    let write_time = t2.elapsed();
    Ok(RunOutcome {
        run_id,
        run_dir,
        result,
        load_time: std::time::Duration::ZERO,
        engine_time,
        write_time,
    })
}

/// Writes the run folder of an options run: the account ledgers and report
/// of any run, `options.json`, and `extra` files.
#[allow(clippy::too_many_arguments)]
fn write_run(
    cfg: &LoadedConfig,
    opts: &RunOptions,
    data: &LoadedData,
    run_id: &str,
    result: &trade_engine::BacktestResult,
    ledger: &trade_engine::options::OptionsLedger,
    instruments: Vec<Instrument>,
    mut extra: Vec<ExtraFile>,
) -> anyhow::Result<std::path::PathBuf> {
    let ledger_json = serde_json::to_vec_pretty(ledger).context("serialising options.json")?;
    extra.insert(
        0,
        ExtraFile {
            name: OPTIONS_FILE.into(),
            bytes: ledger_json,
        },
    );
    let input = RunInput {
        run_id: run_id.to_string(),
        version: crate::VERSION.to_string(),
        git_sha: git_sha(),
        config_toml: cfg.effective_toml.clone(),
        config_hash: cfg.hash.clone(),
        data_files: data.files.clone(),
        instruments,
        strategy_names: cfg
            .options
            .iter()
            .map(|p| p.spec.strategy.name.clone())
            .collect(),
        benchmark: data.benchmark(cfg.benchmark),
        result,
        metrics_config: trade_metrics::MetricsConfig {
            periods_per_year: cfg.raw.metrics.periods_per_year,
            risk_free_annual: cfg.raw.metrics.risk_free_rate,
        },
        extra_files: extra,
    };
    let run_dir = crate::pipeline::write_folder(cfg, opts, &input)?;
    tracing::info!(dir = %run_dir.display(), "run folder written");
    Ok(run_dir)
}

/// What an options paper session needs besides the config and data.
pub(crate) struct PaperRun {
    /// Replay speed.
    pub(crate) speed: trade_live::Speed,
    /// The journal every order and fill goes to.
    pub(crate) journal: Box<dyn trade_journal::Journal + Send>,
    /// Its path or URL, for the summary.
    pub(crate) journal_path: String,
    /// The `--http` dashboard, if asked for.
    pub(crate) dashboard: Option<crate::commands::session_run::Dashboard>,
    /// `[alerts]` notifiers (exit rules that fire are sent), and where
    /// their buttons' controls go (the desk takes none: they are logged).
    pub(crate) notifiers: Option<(
        trade_alerts::AlertsConfig,
        trade_live::control::ControlSender,
    )>,
}

/// Runs the options desk of `plan` as a paper session: a replay of the
/// data on the wall clock (`speed`), each underlying bar stepping the desk,
/// every order, fill, decision and refusal journaled; SIGINT/SIGTERM stop it
/// cleanly after the bar in hand. Writes the run folder (the backtest's
/// artifacts plus `session.json`).
///
/// # Errors
/// Chain, journal, runtime or output errors.
pub(crate) fn paper(
    cfg: &LoadedConfig,
    plan: &OptionsPlan,
    data: &LoadedData,
    run: PaperRun,
    run_id: String,
    opts: &RunOptions,
) -> anyhow::Result<RunOutcome> {
    use trade_live::adapter::{FeedCommand, feed_channels};
    use trade_live::options_paper::OptionsPaper;

    let Desk {
        idx,
        mut source,
        spec,
    } = desk(plan, data)?;
    let underlying = data.instruments[idx].clone();
    let underlying_id = trade_core::InstrumentId(idx as u32);
    let rt = crate::commands::shutdown::runtime()?;
    let (mut feed, commands, events) = feed_channels();
    // Only the underlying's bars step the desk; the replay carries it alone.
    let series: Vec<Vec<trade_core::Bar>> = vec![data.series[idx].clone()];
    rt.spawn(trade_live::replay::run(
        series, run.speed, None, commands, events,
    ));
    let stop = feed.commands.clone();
    rt.spawn(async move {
        crate::commands::shutdown::Shutdown::install().wait().await;
        tracing::info!("stop requested: the desk stops after the bar in hand");
        let _ = stop.send(FeedCommand::Shutdown).await;
    });
    let t1 = Instant::now();
    let mut desk = OptionsPaper::new(&spec, underlying, source.as_ref(), run.journal)
        .context("options paper session")?;
    tracing::info!(journal = %run.journal_path, speed = %run.speed, underlying = %plan.underlying, "options paper session starting");
    let status = run.dashboard.map(|d| {
        let (tx, rx) = tokio::sync::watch::channel(desk.status_json(spec.initial_cash));
        // The desk takes no controls: it trades its combos within the step.
        rt.spawn(d.serve_json(rx, false));
        tx
    });
    let notifier = run.notifiers.map(|(a, tx)| {
        let _guard = rt.enter();
        crate::commands::session_run::start_notifiers(&a, tx)
    });
    let mut alerts = trade_alerts::AlertManager::new();
    let mut decisions_seen = 0;
    let mut day: Option<(jiff::civil::Date, trade_core::Money)> = None;
    let mut last_equity = spec.initial_cash;
    desk.run_blocking(
        &mut feed,
        underlying_id,
        source.as_mut(),
        |desk, bar, step| {
            if let Some(n) = &notifier {
                let decisions = &desk.desk().ledger().decisions;
                for d in decisions.get(decisions_seen..).unwrap_or_default() {
                    let title = format!("Exit rule {} fired on structure {}", d.rule, d.position.0);
                    let note = alerts.event(
                        &format!("exit_rule:{}:{}", d.position.0, d.evaluation),
                        "exit_rule",
                        trade_alerts::Severity::Warning,
                        &title,
                        &d.reason,
                        bar.ts.nanos() as f64 / 1e9,
                    );
                    n.notify(&note);
                }
                decisions_seen = decisions.len();
            }
            if let Some(tx) = &status {
                let date = bar.ts.to_jiff().to_zoned(jiff::tz::TimeZone::UTC).date();
                if day.is_none_or(|(d, _)| d != date) {
                    day = Some((date, last_equity));
                }
                let start = day.map_or(last_equity, |(_, e)| e);
                tx.send_replace(desk.status_json(start));
                last_equity = desk.desk().portfolio().equity();
            }
            if step.orders > 0 || step.decisions > 0 {
                tracing::info!(
                    ts = %bar.ts,
                    orders = step.orders,
                    fills = step.fills,
                    decisions = step.decisions,
                    open = step.open_positions,
                    "options desk stepped"
                );
            }
        },
    )
    .context("options paper session")?;
    let engine_time = t1.elapsed();
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    let (result, ledger, instruments) = desk.finish();
    let t2 = Instant::now();
    let session = serde_json::to_vec_pretty(&serde_json::json!({
        "mode": "paper",
        "journal": run.journal_path,
        "bars": result.bars,
        "structures": ledger.positions.len(),
        "open_structures": ledger.positions.iter().filter(|p| p.closed.is_none()).count(),
    }))?;
    let run_dir = write_run(
        cfg,
        opts,
        data,
        &run_id,
        &result,
        &ledger,
        instruments,
        vec![ExtraFile {
            name: "session.json".into(),
            bytes: session,
        }],
    )?;
    Ok(RunOutcome {
        run_id,
        run_dir,
        result,
        load_time: std::time::Duration::ZERO,
        engine_time,
        write_time: t2.elapsed(),
    })
}
