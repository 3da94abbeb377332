//! The backtest pipeline shared by `trade backtest`, `trade bench` and the
//! end-to-end tests: validated config → bars → engine → run folder.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use trade_calendar::Nyse;
use trade_engine::market_hours::{MarketHours, SessionTimes};
use trade_engine::strategy::Registry;
use trade_engine::{BacktestResult, BacktestSpec, StrategySlot};

use crate::config::{LoadedConfig, hex};
use crate::data_source::{self, LoadNote, LoadedData};

/// Options that are not part of the config (and not part of its hash).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides `run.output_dir`.
    pub output_dir: Option<PathBuf>,
    /// Overrides the derived run id.
    pub run_id: Option<String>,
    /// Show a progress bar (only if stderr is a terminal).
    pub progress: bool,
}

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run id.
    pub run_id: String,
    /// The run folder.
    pub run_dir: PathBuf,
    /// The engine's result.
    pub result: BacktestResult,
    /// Time to load data.
    pub load_time: Duration,
    /// Time in the engine.
    pub engine_time: Duration,
    /// Time writing artifacts.
    pub write_time: Duration,
}

/// The run id: the config's name and the first 12 hex digits of a hash of
/// the config hash, the program version and every data file's content hash.
/// The same config and data give the same id (and the folder is replaced).
pub fn run_id(cfg: &LoadedConfig, data: &LoadedData) -> String {
    let mut h = Sha256::new();
    h.update(cfg.hash.as_bytes());
    h.update(crate::VERSION.as_bytes());
    for f in &data.files {
        h.update(f.sha256.as_bytes());
    }
    let digest = hex(&h.finalize());
    let name = cfg.raw.run.name.clone().unwrap_or_else(|| {
        cfg.source
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into())
    });
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}-{}", &digest[..12])
}

/// The NYSE sessions covering the data, plus a week after the last bar so
/// DAY orders placed on the last bar get an expiry.
///
/// # Errors
/// If the data lies outside the calendar's years.
pub fn market_hours(data: &LoadedData) -> anyhow::Result<MarketHours> {
    let (Some(first), Some(last)) = (data.first_ts(), data.last_ts()) else {
        return Ok(MarketHours::new(Vec::new()));
    };
    let ny = jiff::tz::TimeZone::get("America/New_York")?;
    let d0 = first.to_jiff().to_zoned(ny.clone()).date().yesterday()?;
    let d1 = last
        .to_jiff()
        .to_zoned(ny)
        .date()
        .checked_add(jiff::Span::new().days(7))?;
    let d1 = d1.min(jiff::civil::date(trade_calendar::LAST_YEAR, 12, 31));
    let sessions = Nyse.sessions_in(d0, d1).context("market calendar")?;
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

/// Builds the engine spec from the config.
pub fn spec(cfg: &LoadedConfig) -> BacktestSpec {
    BacktestSpec {
        account: cfg.raw.account.clone(),
        fill: cfg.raw.fill.clone(),
        commission: cfg.raw.commission.clone(),
        risk: cfg.raw.risk.clone(),
    }
}

/// Builds the strategy instances.
///
/// # Errors
/// If a factory rejects its parameters (already checked at load).
pub fn strategies(cfg: &LoadedConfig, registry: &Registry) -> anyhow::Result<Vec<StrategySlot>> {
    cfg.strategies
        .iter()
        .map(|p| {
            Ok(StrategySlot {
                id: trade_core::StrategyId(p.name.clone()),
                instruments: p.instruments.clone(),
                strategy: registry.build(&p.params, &p.instruments)?,
            })
        })
        .collect()
}

/// Runs the whole backtest and writes the run folder.
///
/// # Errors
/// Data, engine or output errors, with context naming the file or step.
pub fn run(
    cfg: &LoadedConfig,
    opts: &RunOptions,
    registry: &Registry,
) -> anyhow::Result<RunOutcome> {
    let span = tracing::info_span!(
        "run",
        run_id = tracing::field::Empty,
        config_hash = &cfg.hash[..12]
    );
    let _enter = span.enter();
    let t0 = Instant::now();
    // Loading's notes are logged once the run id is on the span (it hashes
    // the data, known only after reading it), so every line of a run names
    // it; a load that fails has no run id and logs them with the error.
    let mut notes = Vec::new();
    let data = match data_source::load(cfg, &mut notes) {
        Ok(d) => d,
        Err(e) => {
            notes.iter().for_each(LoadNote::log);
            return Err(e);
        }
    };
    let load_time = t0.elapsed();
    let run_id = opts.run_id.clone().unwrap_or_else(|| run_id(cfg, &data));
    span.record("run_id", run_id.as_str());
    notes.iter().for_each(LoadNote::log);
    tracing::info!(
        bars = data.total_bars(),
        files = data.files.len(),
        ms = load_time.as_millis() as u64,
        "data loaded"
    );
    if let Some(plan) = &cfg.options {
        let mut out = crate::options_run::run(cfg, plan, &data, run_id, opts)?;
        out.load_time = load_time;
        return Ok(out);
    }
    let hours = market_hours(&data)?;
    let slots = strategies(cfg, registry)?;
    let spec = spec(cfg);
    let t1 = Instant::now();
    let bar = progress_bar(opts.progress, data.total_bars());
    let mut tick = |done: u64, _total: u64| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    };
    let result = trade_engine::run_backtest(
        &spec,
        &data.instruments,
        &data.series,
        &hours,
        slots,
        &mut tick,
    )
    .context("backtest")?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let engine_time = t1.elapsed();
    tracing::info!(
        bars = result.bars,
        orders = result.orders.len(),
        fills = result.fills.len(),
        ms = engine_time.as_millis() as u64,
        "backtest finished"
    );
    if let Some(k) = &result.kill_switch {
        tracing::warn!(rule = k.rule.as_str(), at = %k.ts, "kill switch tripped: {}", k.reason);
    }
    let t2 = Instant::now();
    let benchmark = data.benchmark(cfg.benchmark);
    let input = trade_report::RunInput {
        run_id: run_id.clone(),
        version: crate::VERSION.to_string(),
        git_sha: git_sha(),
        config_toml: cfg.effective_toml.clone(),
        config_hash: cfg.hash.clone(),
        data_files: data.files.clone(),
        instruments: data.instruments.clone(),
        strategy_names: cfg.strategies.iter().map(|s| s.name.clone()).collect(),
        benchmark,
        result: &result,
        metrics_config: trade_metrics::MetricsConfig {
            periods_per_year: cfg.raw.metrics.periods_per_year,
            risk_free_annual: cfg.raw.metrics.risk_free_rate,
        },
        extra_files: Vec::new(),
    };
    let run_dir = write_folder(cfg, opts, &input)?;
    let write_time = t2.elapsed();
    tracing::info!(dir = %run_dir.display(), ms = write_time.as_millis() as u64, "run folder written");
    Ok(RunOutcome {
        run_id,
        run_dir,
        result,
        load_time,
        engine_time,
        write_time,
    })
}

/// Writes the run folder under the configured (or overridden) output
/// directory. A derived run id names its content (config, data, version),
/// so the same id may replace its folder; an id the user chose is never
/// overwritten.
///
/// # Errors
/// The folder cannot be written (the error names the directory).
pub(crate) fn write_folder(
    cfg: &LoadedConfig,
    opts: &RunOptions,
    input: &trade_report::RunInput<'_>,
) -> anyhow::Result<PathBuf> {
    let out_dir = opts
        .output_dir
        .clone()
        .unwrap_or_else(|| cfg.raw.run.output_dir.clone());
    let written = if opts.run_id.is_some() {
        trade_report::write_run(&out_dir, input)
    } else {
        trade_report::replace_run(&out_dir, input)
    };
    written.with_context(|| format!("writing run folder under {}", out_dir.display()))
}

fn progress_bar(enabled: bool, total: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if !enabled || !std::io::stderr().is_terminal() || total < 200_000 {
        return None;
    }
    let b = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {bar:40} {pos}/{len} bars ({per_sec}, eta {eta})",
    ) {
        b.set_style(style);
    }
    Some(b)
}

/// The git commit of the working directory, if it is a git checkout:
/// read from `.git/HEAD` without running git.
pub fn git_sha() -> Option<String> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let head = dir.join(".git/HEAD");
        if let Ok(text) = std::fs::read_to_string(&head) {
            let text = text.trim();
            return match text.strip_prefix("ref: ") {
                Some(r) => std::fs::read_to_string(dir.join(".git").join(r))
                    .ok()
                    .map(|s| s.trim().to_string())
                    .or_else(|| {
                        let packed = std::fs::read_to_string(dir.join(".git/packed-refs")).ok()?;
                        packed
                            .lines()
                            .find(|l| l.ends_with(r))
                            .and_then(|l| l.split_whitespace().next())
                            .map(str::to_string)
                    }),
                None => Some(text.to_string()),
            };
        }
        if !dir.pop() {
            return None;
        }
    }
}
