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
) -> anyhow::Result<Box<dyn ChainSource>> {
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
    let Some(idx) = data
        .instruments
        .iter()
        .position(|i| i.symbol.as_str() == plan.underlying)
    else {
        bail!("options.underlying {} has no bars", plan.underlying);
    };
    let mut source = chain_source(plan, data, idx)?;
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
    let t1 = Instant::now();
    let underlying: Instrument = data.instruments[idx].clone();
    let (result, ledger, instruments) =
        run_options_backtest(&plan.spec, underlying, &data.series[idx], source.as_mut())
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
    let ledger_json = serde_json::to_vec_pretty(&ledger).context("serialising options.json")?;
    let input = RunInput {
        run_id: run_id.clone(),
        version: crate::VERSION.to_string(),
        git_sha: git_sha(),
        config_toml: cfg.effective_toml.clone(),
        config_hash: cfg.hash.clone(),
        data_files: data.files.clone(),
        instruments,
        strategy_names: vec![plan.spec.strategy.name.clone()],
        benchmark: data.benchmark(cfg.benchmark),
        result: &result,
        metrics_config: trade_metrics::MetricsConfig {
            periods_per_year: cfg.raw.metrics.periods_per_year,
            risk_free_annual: cfg.raw.metrics.risk_free_rate,
        },
        extra_files: vec![ExtraFile {
            name: OPTIONS_FILE.into(),
            bytes: ledger_json,
        }],
    };
    let run_dir = crate::pipeline::write_folder(cfg, opts, &input)?;
    let write_time = t2.elapsed();
    tracing::info!(dir = %run_dir.display(), ms = write_time.as_millis() as u64, "run folder written");
    Ok(RunOutcome {
        run_id,
        run_dir,
        result,
        load_time: std::time::Duration::ZERO,
        engine_time,
        write_time,
    })
}
