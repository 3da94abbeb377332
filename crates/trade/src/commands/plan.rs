//! `trade plan`: what a config resolves to, without running it.

use std::fmt::Write as _;

use trade_engine::strategy::Registry;

use crate::cli::ConfigArgs;
use crate::config::{self, Sources};

/// Loads and validates the config, then describes it.
///
/// # Errors
/// Any config error (one line naming the file and key).
pub fn run(args: &ConfigArgs, registry: &Registry) -> anyhow::Result<String> {
    let cfg = config::load(
        &args.config,
        &Sources::from_process(args.sets.clone()),
        registry,
    )?;
    let mut s = String::new();
    writeln!(s, "config       {}", cfg.source.display())?;
    writeln!(s, "config hash  {}", cfg.hash)?;
    writeln!(s, "output dir   {}", cfg.raw.run.output_dir.display())?;
    let period = match (cfg.raw.run.start, cfg.raw.run.end) {
        (None, None) => "all data".to_string(),
        (a, b) => format!(
            "{} .. {}",
            a.map(|d| d.to_string())
                .unwrap_or_else(|| "start of data".into()),
            b.map(|d| d.to_string())
                .unwrap_or_else(|| "end of data".into())
        ),
    };
    writeln!(s, "period       {period}")?;
    writeln!(
        s,
        "benchmark    {}",
        cfg.data[cfg.benchmark.index()].instrument.symbol
    )?;
    writeln!(s, "\ndata:")?;
    for d in &cfg.data {
        let exists = if d.spec.path.exists() {
            ""
        } else {
            "  (MISSING)"
        };
        writeln!(
            s,
            "  {:<6} {}{exists}",
            d.instrument.symbol.as_str(),
            d.spec.path.display()
        )?;
        if let Some(a) = &d.actions {
            writeln!(
                s,
                "         actions {} (adjust: {:?})",
                a.display(),
                d.adjust
            )?;
        }
    }
    writeln!(s, "\nstrategies:")?;
    for p in &cfg.strategies {
        let syms: Vec<String> = p
            .instruments
            .iter()
            .map(|i| cfg.data[i.index()].instrument.symbol.to_string())
            .collect();
        writeln!(
            s,
            "  {} = {} on {}",
            p.name,
            p.params.strategy(),
            syms.join(", ")
        )?;
        for (k, v) in p.params.values() {
            writeln!(s, "      {k} = {v}")?;
        }
    }
    let r = &cfg.raw.risk;
    let pct = |v: Option<f64>| {
        v.map(|x| format!("{:.2}%", x * 100.0))
            .unwrap_or_else(|| "off".into())
    };
    writeln!(s, "\nrisk limits:")?;
    writeln!(
        s,
        "  max position          {} of equity",
        pct(r.max_position_pct)
    )?;
    writeln!(
        s,
        "  max gross exposure    {} of equity",
        pct(r.max_gross_exposure_pct)
    )?;
    writeln!(
        s,
        "  max open positions    {}",
        r.max_open_positions
            .map(|n| n.to_string())
            .unwrap_or_else(|| "off".into())
    )?;
    writeln!(
        s,
        "  daily loss limit      {} (kill switch)",
        pct(r.daily_loss_limit_pct)
    )?;
    writeln!(
        s,
        "  max drawdown          {} (kill switch)",
        pct(r.max_drawdown_pct)
    )?;
    writeln!(
        s,
        "  instrument daily loss {}",
        pct(r.instrument_daily_loss_pct)
    )?;
    writeln!(s, "  flatten on kill       {}", r.flatten_on_kill)?;
    writeln!(s, "  flat at close         {}", r.flat_at_close)?;
    writeln!(s, "  market hours only     {}", r.market_hours_only)?;
    writeln!(s, "\neffective config:\n")?;
    s.push_str(&cfg.effective_toml);
    Ok(s)
}
