//! `trade options chain`: one chain, real (from a chain file) or synthetic
//! (from a spot and a VIX level), as the backtest sees it.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use jiff::civil::Date;
use serde::Deserialize as _;
use trade_core::{Price, Symbol};
use trade_options::chain::{ChainFileSpec, ChainSnapshot, Preset, load_chain_file};
use trade_options::synth::{ChainGenerator, SynthConfig};

use crate::table;

/// `trade options chain`.
#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// Underlying symbol (its listing rules: SPY, QQQ, IWM, others generic).
    #[arg(long, default_value = "SPY")]
    pub underlying: String,
    /// The session.
    #[arg(long)]
    pub date: Date,
    /// Underlying price (synthetic chains).
    #[arg(long, required_unless_present = "file")]
    pub spot: Option<f64>,
    /// VIX level driving the surface (synthetic chains).
    #[arg(long, required_unless_present = "file")]
    pub vix: Option<f64>,
    /// A real chain file instead of a synthetic chain.
    #[arg(long, requires = "file_format")]
    pub file: Option<PathBuf>,
    /// The chain file's format: yfinance, ivolatility_rawiv, cboe_eod, cboe_eod_1545.
    #[arg(long)]
    pub file_format: Option<String>,
    /// New York time of a synthetic chain (time to expiry runs to 16:00).
    #[arg(long, default_value = "10:00")]
    pub time: jiff::civil::Time,
    /// Most calendar days to expiry shown.
    #[arg(long, default_value_t = 7)]
    pub max_dte: i32,
    /// Strikes within this fraction of the spot.
    #[arg(long, default_value_t = 0.03)]
    pub moneyness: f64,
    /// CSV instead of a table.
    #[arg(long)]
    pub csv: bool,
}

fn snapshot(args: &ChainArgs) -> anyhow::Result<ChainSnapshot> {
    let symbol = Symbol::new(&args.underlying)
        .map_err(|e| anyhow::anyhow!("--underlying {:?}: {e}", args.underlying))?;
    if let Some(path) = &args.file {
        let format = args.file_format.clone().unwrap_or_default();
        let preset = Preset::deserialize(toml::Value::String(format.clone()))
            .map_err(|e| anyhow::anyhow!("--file-format {format:?}: {e}"))?;
        let mut spec = ChainFileSpec::preset(preset);
        if matches!(preset, Preset::Yfinance) {
            // A yfinance dump is one snapshot without a date column.
            spec.quote_date = Some(args.date);
        }
        if spec.underlying.is_none() && !matches!(preset, Preset::CboeEod | Preset::CboeEod1545) {
            spec.underlying = Some(symbol.to_string());
        }
        let loaded =
            load_chain_file(path, &spec).with_context(|| format!("--file {}", path.display()))?;
        return loaded
            .snapshots
            .into_iter()
            .find(|s| s.date() == args.date && s.underlying() == &symbol)
            .with_context(|| {
                format!(
                    "--file {}: no {} chain on {}",
                    path.display(),
                    symbol,
                    args.date
                )
            });
    }
    let (Some(spot), Some(vix)) = (args.spot, args.vix) else {
        bail!("give --spot and --vix for a synthetic chain, or --file");
    };
    let spot = Price::from_f64(spot)
        .filter(|p| *p > Price::ZERO)
        .with_context(|| format!("--spot must be a positive price, got {spot}"))?;
    anyhow::ensure!(
        args.moneyness.is_finite() && args.moneyness > 0.0 && args.moneyness <= 1.0,
        "--moneyness must be in (0, 1], got {}",
        args.moneyness
    );
    let mut config = SynthConfig::default();
    config.strikes.moneyness = args.moneyness;
    config.dte.max = args.max_dte.max(0);
    let generator = ChainGenerator::new(symbol, config)?;
    let ts = args
        .date
        .to_datetime(args.time)
        .to_zoned(jiff::tz::TimeZone::get("America/New_York")?)?
        .timestamp();
    let ts = trade_core::Timestamp::from_nanos(ts.as_nanosecond() as i64);
    Ok(generator.generate_at(args.date, ts, spot, vix)?)
}

/// Prints the chain's quotes near the money.
///
/// # Errors
/// Bad arguments, an unreadable file, or a date that is not a session.
pub fn run(args: &ChainArgs) -> anyhow::Result<String> {
    let chain = snapshot(args)?;
    let spot = chain.underlying_price().to_f64();
    let (lo, hi) = (spot * (1.0 - args.moneyness), spot * (1.0 + args.moneyness));
    let rows: Vec<Vec<String>> = chain
        .quotes()
        .iter()
        .filter(|q| chain.dte(q.expiry()) <= args.max_dte)
        .filter(|q| (lo..=hi).contains(&q.strike().to_f64()))
        .map(|q| {
            vec![
                q.expiry().to_string(),
                chain.dte(q.expiry()).to_string(),
                format!("{:.2}", q.strike().to_f64()),
                match q.right() {
                    trade_core::OptionRight::Call => "C".into(),
                    trade_core::OptionRight::Put => "P".into(),
                },
                q.bid.to_string(),
                q.ask.to_string(),
                q.iv.map_or_else(String::new, |v| format!("{:.4}", v)),
                q.greeks
                    .map_or_else(String::new, |g| format!("{:.3}", g.delta)),
                q.source.as_str().to_string(),
            ]
        })
        .collect();
    let header = [
        "expiry", "dte", "strike", "right", "bid", "ask", "iv", "delta", "source",
    ];
    if args.csv {
        let mut s = header.join(",") + "\n";
        for r in &rows {
            s.push_str(&r.join(","));
            s.push('\n');
        }
        return Ok(s);
    }
    let p = chain.provenance();
    Ok(format!(
        "{} {} at {}: {} quotes ({} real, {} modelled), {} shown\n\n{}",
        chain.underlying(),
        chain.date(),
        chain.underlying_price(),
        chain.len(),
        p.real,
        p.modelled,
        rows.len(),
        table::render(&header, &rows, &[1, 2, 4, 5, 6, 7])
    ))
}
