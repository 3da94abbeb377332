//! The `[options]` section: an options strategy on one underlying, the
//! chains it trades against, its exit rules and its portfolio Greeks limits.
//!
//! ```toml
//! [options]
//! underlying = "SPY"          # a [data.SPY] table gives its bars
//! name = "spy_ic45"
//! structure = "iron_condor"   # or bull_put | bear_call | bull_call | bear_put
//! width = 5.0                 # wing (iron condor) or spread width, at least
//! target_dte = 45             # calendar days; the nearest listed expiry the bucket accepts
//! contracts = 1
//! max_open = 3
//! concession = 0.10           # below the mid credit (above the mid debit), at least
//! concession_fraction = 0.5   # ... or this share of the way from mid to natural, if more
//! chains = "synthetic"        # or "file" with chain_file and chain_format
//! vix = "../data/vix/VIX_History_cboe.csv"
//!
//! [options.entry]             # a preset, then any EntryCriteria field
//! preset = "swing"            # zero_dte | one_dte | swing
//! min_credit = 0.50
//!
//! [options.exits]             # trade_options::exits::ExitConfig
//! [options.limits]            # trade_options::portfolio::PortfolioLimits
//! [options.combo]             # fill_fraction, mode
//! [options.commission]        # per contract: model = "per_share", rate = 0.65, min = 1.0
//! [options.synthetic]         # trade_options::synth::SynthConfig
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use trade_core::{ExerciseStyle, Money, Price, Qty, Settlement};
use trade_engine::broker::{ComboFillConfig, CommissionModel};
use trade_engine::options::{ContractSpec, OptionsSpec, OptionsStrategy, StructureChoice};
use trade_options::exits::ExitConfig;
use trade_options::portfolio::PortfolioLimits;
use trade_options::structure::{EntryCriteria, VerticalKind};
use trade_options::synth::SynthConfig;

use super::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StructureName {
    IronCondor,
    BullPut,
    BearCall,
    BullCall,
    BearPut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Chains {
    Synthetic,
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Preset {
    ZeroDte,
    OneDte,
    Swing,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsSection {
    underlying: String,
    #[serde(default)]
    name: Option<String>,
    structure: StructureName,
    width: Price,
    target_dte: i32,
    #[serde(default = "one")]
    contracts: u64,
    #[serde(default = "one_usize")]
    max_open: usize,
    #[serde(default)]
    concession: Price,
    #[serde(default)]
    concession_fraction: f64,
    chains: Chains,
    #[serde(default)]
    vix: Option<PathBuf>,
    #[serde(default)]
    chain_file: Option<PathBuf>,
    #[serde(default)]
    chain_format: Option<String>,
    #[serde(default = "default_rate")]
    rate: f64,
    #[serde(default = "default_yield")]
    dividend_yield: f64,
    #[serde(default)]
    settlement: Option<Settlement>,
    #[serde(default)]
    entry: toml::Table,
    #[serde(default)]
    exits: ExitConfig,
    #[serde(default)]
    limits: PortfolioLimits,
    #[serde(default)]
    combo: ComboFillConfig,
    #[serde(default = "option_commission")]
    commission: CommissionModel,
    #[serde(default)]
    synthetic: SynthConfig,
}

fn one() -> u64 {
    1
}
fn one_usize() -> usize {
    1
}
fn default_rate() -> f64 {
    0.02
}
fn default_yield() -> f64 {
    0.015
}

/// IB's fixed pricing for US options: $0.65 a contract, $1.00 minimum an
/// order.
fn option_commission() -> CommissionModel {
    CommissionModel::PerShare {
        rate: Money::from_raw(65_000_000),
        min: Money::from_dollars(1),
        max_pct: None,
    }
}

/// Where an options run's chains come from.
#[derive(Debug, Clone)]
pub enum ChainPlan {
    /// Generated per bar from the underlying and the VIX.
    Synthetic {
        /// The generator's configuration.
        config: SynthConfig,
        /// The VIX history file (resolved).
        vix: PathBuf,
    },
    /// Real end-of-day chains from a file.
    File {
        /// The chain file (resolved).
        path: PathBuf,
        /// Its format preset (`yfinance`, `ivolatility_rawiv`, `cboe_eod`, ...).
        format: String,
        /// VIX history for the VIX rules, if configured.
        vix: Option<PathBuf>,
    },
}

/// A validated `[options]` section.
#[derive(Debug, Clone)]
pub struct OptionsPlan {
    /// The underlying's symbol (upper case, has a `[data]` table).
    pub underlying: String,
    /// What the engine runs.
    pub spec: OptionsSpec,
    /// The chains.
    pub chains: ChainPlan,
}

/// Validates the `[options]` table of `source`; `base` resolves paths.
///
/// # Errors
/// A [`ConfigError`] naming `options.<key>` and what was expected.
pub fn plan(source: &Path, base: &Path, table: &toml::Table) -> Result<OptionsPlan, ConfigError> {
    let e = |msg: String| ConfigError(format!("{}: {msg}", source.display()));
    let s = OptionsSection::deserialize(toml::Value::Table(table.clone()))
        .map_err(|err| e(format!("options: {}", err.message().replace('\n', " "))))?;
    let underlying = s.underlying.to_ascii_uppercase();
    let name = s
        .name
        .clone()
        .unwrap_or_else(|| format!("{}_options", underlying.to_ascii_lowercase()));
    let entry = entry_criteria(&s.entry).map_err(|m| e(format!("options.entry: {m}")))?;
    if let Err(errs) = entry.validate() {
        return Err(e(format!("options.entry: {}", errs.join("; "))));
    }
    if s.width <= Price::ZERO {
        return Err(e(format!(
            "options.width must be positive, got {}",
            s.width
        )));
    }
    if s.width > entry.max_width {
        return Err(e(format!(
            "options.width {} is wider than options.entry.max_width {}",
            s.width, entry.max_width
        )));
    }
    if !(0..=1000).contains(&s.target_dte) {
        return Err(e(format!(
            "options.target_dte must be 0..=1000 calendar days, got {}",
            s.target_dte
        )));
    }
    if s.contracts == 0 || s.max_open == 0 {
        return Err(e(
            "options.contracts and options.max_open must be at least 1".into(),
        ));
    }
    if !(s.concession_fraction.is_finite() && (0.0..=1.0).contains(&s.concession_fraction)) {
        return Err(e(format!(
            "options.concession_fraction must be in [0, 1] (of the way from mid to natural), got {}",
            s.concession_fraction
        )));
    }
    if s.concession < Price::ZERO {
        return Err(e(format!(
            "options.concession must be >= 0, got {}",
            s.concession
        )));
    }
    for (v, key) in [(s.rate, "rate"), (s.dividend_yield, "dividend_yield")] {
        if !(v.is_finite() && (-0.5..=1.0).contains(&v)) {
            return Err(e(format!(
                "options.{key} must be an annual fraction in [-0.5, 1], got {v}"
            )));
        }
    }
    s.combo.validate().map_err(|m| e(format!("options.{m}")))?;
    s.commission
        .validate()
        .map_err(|m| e(format!("options.{m}")))?;
    // The exit engine refuses an order that misses an enabled rule.
    if let Err(errs) = trade_options::exits::ExitEngine::new(s.exits.clone()) {
        return Err(e(format!("options.exits: {}", errs.join("; "))));
    }
    if underlying != s.limits.benchmark.as_str()
        && s.limits.default_beta.is_none()
        && !s.limits.betas.keys().any(|k| k.as_str() == underlying)
    {
        return Err(e(format!(
            "options.limits.betas: no beta for {underlying} to weight its delta into {} shares (add betas = {{ {underlying} = 1.0 }} or default_beta)",
            s.limits.benchmark
        )));
    }
    let structure = match s.structure {
        StructureName::IronCondor => StructureChoice::IronCondor { wing: s.width },
        StructureName::BullPut => vertical(VerticalKind::BullPut, s.width),
        StructureName::BearCall => vertical(VerticalKind::BearCall, s.width),
        StructureName::BullCall => vertical(VerticalKind::BullCall, s.width),
        StructureName::BearPut => vertical(VerticalKind::BearPut, s.width),
    };
    let resolve = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        }
    };
    let chains = match s.chains {
        Chains::Synthetic => {
            let vix = s
                .vix
                .as_ref()
                .ok_or_else(|| e("options.vix: synthetic chains need a VIX history file".into()))?;
            ChainPlan::Synthetic {
                config: s.synthetic.clone(),
                vix: resolve(vix),
            }
        }
        Chains::File => {
            let path = s.chain_file.as_ref().ok_or_else(|| {
                e("options.chain_file: chains = \"file\" needs a chain file".into())
            })?;
            let format = s.chain_format.clone().ok_or_else(|| {
                e("options.chain_format: name the file's format (yfinance, ivolatility_rawiv, cboe_eod, cboe_eod_1545)".into())
            })?;
            ChainPlan::File {
                path: resolve(path),
                format,
                vix: s.vix.as_ref().map(resolve),
            }
        }
    };
    let index_like = matches!(underlying.as_str(), "SPX" | "XSP" | "NDX" | "RUT" | "VIX");
    let settlement = s.settlement.unwrap_or(if index_like {
        Settlement::Cash
    } else {
        Settlement::Physical
    });
    let spec = OptionsSpec {
        initial_cash: Money::ZERO, // the account section's, set by the caller
        commission: s.commission,
        stock_commission: CommissionModel::default(),
        combo: s.combo,
        exits: s.exits,
        limits: s.limits,
        contract: ContractSpec {
            multiplier: 100,
            style: if index_like {
                ExerciseStyle::European
            } else {
                ExerciseStyle::American
            },
            settlement,
            tick: Price::from_cents(1),
        },
        rate: s.rate,
        dividend_yield: s.dividend_yield,
        benchmark_closes: Vec::new(), // filled from the benchmark's bars when run
        strategy: OptionsStrategy {
            name,
            structure,
            entry,
            target_dte: s.target_dte,
            contracts: Qty::new(s.contracts),
            max_open: s.max_open,
            concession: s.concession,
            concession_fraction: s.concession_fraction,
        },
    };
    Ok(OptionsPlan {
        underlying,
        spec,
        chains,
    })
}

fn vertical(kind: VerticalKind, width: Price) -> StructureChoice {
    StructureChoice::Vertical { kind, width }
}

/// The entry criteria: a preset (`swing` unless named) with the table's
/// other keys laid over it, each checked by `EntryCriteria`'s own schema.
fn entry_criteria(table: &toml::Table) -> Result<EntryCriteria, String> {
    let mut table = table.clone();
    let preset = match table.remove("preset") {
        None => Preset::Swing,
        Some(v) => Preset::deserialize(v).map_err(|err| format!("preset: {}", err.message()))?,
    };
    let base = match preset {
        Preset::ZeroDte => EntryCriteria::zero_dte(),
        Preset::OneDte => EntryCriteria::one_dte(),
        Preset::Swing => EntryCriteria::swing(),
    };
    let mut merged = toml::Table::try_from(&base).map_err(|err| err.to_string())?;
    for (k, v) in table {
        merged.insert(k, v);
    }
    EntryCriteria::deserialize(toml::Value::Table(merged))
        .map_err(|err| err.message().replace('\n', " "))
}
