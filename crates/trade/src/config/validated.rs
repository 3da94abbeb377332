//! From the raw file to what runs: every key checked, paths resolved
//! against the config file's folder, strategy parameters checked against
//! the registry, risk limits checked for contradictions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use trade_core::{Instrument, InstrumentId, Price, Symbol};
use trade_data::{AdjustMode, BarFileSpec};
use trade_engine::strategy::{ParamValue, Params, Registry};

use super::ConfigError;
use super::raw::{RawConfig, StrategySection};

/// One symbol's data and instrument.
#[derive(Debug, Clone)]
pub struct DataEntry {
    /// The instrument (symbol, kind, tick).
    pub instrument: Instrument,
    /// How to read its bar file (path resolved).
    pub spec: BarFileSpec,
    /// Corporate-action adjustment.
    pub adjust: AdjustMode,
    /// Actions file, if any (path resolved).
    pub actions: Option<PathBuf>,
}

/// A strategy instance ready to build.
#[derive(Debug, Clone)]
pub struct StrategyPlan {
    /// Instance name.
    pub name: String,
    /// Checked parameters (with the type name).
    pub params: Params,
    /// Instruments it trades.
    pub instruments: Vec<InstrumentId>,
}

fn err(source: &Path, msg: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("{}: {msg}", source.display()))
}

/// Splits a `[data.SYM]` table into our keys and the bar-file spec.
pub(super) fn data_entry(
    source: &Path,
    base: &Path,
    symbol: &str,
    table: &toml::Table,
) -> Result<DataEntry, ConfigError> {
    let here = |msg: String| err(source, format!("data.{symbol}: {msg}"));
    let sym = Symbol::new(symbol).map_err(|e| here(e.to_string()))?;
    let mut rest = table.clone();
    let kind = match rest.remove("kind") {
        None => "etf".to_string(),
        Some(toml::Value::String(s)) => s,
        Some(v) => {
            return Err(here(format!(
                "key `kind`: expected \"etf\" or \"stock\", found {v}"
            )));
        }
    };
    let mut instrument = match kind.as_str() {
        "etf" => Instrument::etf(sym),
        "stock" => Instrument::stock(sym),
        other => {
            return Err(here(format!(
                "key `kind`: expected \"etf\" or \"stock\", found {other:?}"
            )));
        }
    };
    if let Some(v) = rest.remove("tick_size") {
        let text = match &v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(here(format!(
                    "key `tick_size`: expected a decimal, found {other}"
                )));
            }
        };
        let tick: Price = text
            .parse()
            .map_err(|e| here(format!("key `tick_size`: {e}")))?;
        if tick.raw() <= 0 {
            return Err(here(format!(
                "key `tick_size`: must be positive, got {tick}"
            )));
        }
        instrument.tick_size = tick;
    }
    let adjust = match rest.remove("adjust") {
        None => AdjustMode::None,
        Some(v) => AdjustMode::deserialize(v.clone()).map_err(|_| {
            here(format!(
                "key `adjust`: expected \"none\", \"splits\" or \"splits_and_dividends\", found {v}"
            ))
        })?,
    };
    let actions = match rest.remove("actions") {
        None => None,
        Some(toml::Value::String(s)) => Some(resolve(base, Path::new(&s))),
        Some(v) => {
            return Err(here(format!(
                "key `actions`: expected a file path, found {v}"
            )));
        }
    };
    let mut spec = BarFileSpec::deserialize(toml::Value::Table(rest))
        .map_err(|e| here(e.message().to_string()))?;
    spec.path = resolve(base, &spec.path);
    if let Some(dir) = &spec.cache_dir {
        spec.cache_dir = Some(resolve(base, dir));
    }
    Ok(DataEntry {
        instrument,
        spec,
        adjust,
        actions,
    })
}

/// `path` relative to `base` unless absolute.
pub fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn param_value(strategy: &str, key: &str, v: &toml::Value) -> Result<ParamValue, String> {
    Ok(match v {
        toml::Value::Integer(i) => ParamValue::Int(*i),
        toml::Value::Float(f) => ParamValue::Float(*f),
        toml::Value::Boolean(b) => ParamValue::Bool(*b),
        toml::Value::String(s) => ParamValue::Str(s.clone()),
        toml::Value::Array(a) => ParamValue::StrList(
            a.iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("strategy `{strategy}`: parameter `{key}`: only lists of strings are supported"))?,
        ),
        other => return Err(format!("strategy `{strategy}`: parameter `{key}`: unsupported value {other}")),
    })
}

/// Checks one `[[strategies]]` entry.
pub(super) fn strategy_plan(
    source: &Path,
    index: usize,
    s: &StrategySection,
    symbols: &BTreeMap<String, InstrumentId>,
    registry: &Registry,
) -> Result<StrategyPlan, ConfigError> {
    let here = |msg: String| err(source, format!("strategies[{index}] ({}): {msg}", s.name));
    let mut given = BTreeMap::new();
    for (k, v) in &s.params {
        given.insert(k.clone(), param_value(&s.name, k, v).map_err(here)?);
    }
    let params = registry
        .resolve(&s.kind, &given)
        .map_err(|e| here(e.to_string()))?;
    if s.symbols.is_empty() {
        return Err(here(
            "`symbols` is empty: list at least one symbol from [data]".into(),
        ));
    }
    let mut instruments = Vec::new();
    for sym in &s.symbols {
        let id = symbols.get(&sym.to_ascii_uppercase()).ok_or_else(|| {
            here(format!(
                "symbol {sym:?} has no [data.{sym}] table (configured: {})",
                symbols.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        instruments.push(*id);
    }
    // Let the factory check cross-parameter rules (e.g. fast < slow) now.
    registry
        .build(&params, &instruments)
        .map_err(|e| here(e.to_string()))?;
    Ok(StrategyPlan {
        name: s.name.clone(),
        params,
        instruments,
    })
}

/// Cross-section checks: names unique, period sane, account, fill,
/// commission and risk consistent.
pub(super) fn check_sections(source: &Path, raw: &RawConfig) -> Result<(), ConfigError> {
    let mut errs = Vec::new();
    if let Err(e) = raw.account.validate() {
        errs.push(e);
    }
    if let Err(e) = raw.fill.validate() {
        errs.push(e);
    }
    if let Err(e) = raw.commission.validate() {
        errs.push(e);
    }
    if let Err(es) = raw.risk.validate(raw.account.max_leverage) {
        errs.extend(es);
    }
    if let (Some(s), Some(e)) = (raw.run.start, raw.run.end)
        && s > e
    {
        errs.push(format!("run.start ({s}) is after run.end ({e})"));
    }
    let m = &raw.metrics;
    if !(m.periods_per_year.is_finite() && m.periods_per_year > 0.0) {
        errs.push(format!(
            "metrics.periods_per_year must be positive, got {}",
            m.periods_per_year
        ));
    }
    if !(m.risk_free_rate.is_finite() && (-0.5..=1.0).contains(&m.risk_free_rate)) {
        errs.push(format!(
            "metrics.risk_free_rate must be an annual fraction in [-0.5, 1], got {}",
            m.risk_free_rate
        ));
    }
    if let Some(s) = &raw.session {
        errs.extend(s.problems());
    }
    if let Some(d) = &raw.dashboard {
        errs.extend(dashboard_problems(d));
    }
    if let Some(a) = &raw.alerts {
        errs.extend(a.problems());
    }
    if raw.data.is_empty() {
        errs.push("no [data.SYMBOL] table: configure at least one bar file".into());
    }
    if raw.strategies.is_empty() && raw.options.is_none() {
        errs.push("no [[strategies]] entry and no [options] section: configure a strategy".into());
    }
    let mut names = std::collections::BTreeSet::new();
    for s in &raw.strategies {
        if !names.insert(&s.name) {
            errs.push(format!("strategy name {:?} is used twice", s.name));
        }
    }
    if let Some(b) = &raw.run.benchmark
        && !raw.data.keys().any(|k| k.eq_ignore_ascii_case(b))
    {
        errs.push(format!("run.benchmark {b:?} has no [data.{b}] table"));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(err(source, errs.join("; ")))
    }
}

/// What is wrong with `[dashboard]`, naming each key.
fn dashboard_problems(d: &super::raw::DashboardSection) -> Vec<String> {
    let mut errs = Vec::new();
    if let Some(t) = &d.token
        && t.trim().len() < 16
    {
        errs.push(
            "dashboard.token: expected at least 16 characters (a guessable token guards nothing)"
                .into(),
        );
    }
    if !(1..=720).contains(&d.session_hours) {
        errs.push(format!(
            "dashboard.session_hours: expected 1 to 720, got {}",
            d.session_hours
        ));
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, u) in d.users.iter().enumerate() {
        if u.name.trim().is_empty() || u.name.len() > 64 {
            errs.push(format!(
                "dashboard.users[{i}].name: expected 1 to 64 characters"
            ));
        } else if !names.insert(&u.name) {
            errs.push(format!(
                "dashboard.users[{i}].name: {:?} is used twice",
                u.name
            ));
        }
        if let Err(e) = trade_server::PasswordHash::parse(&u.password_hash) {
            errs.push(format!(
                "dashboard.users[{i}].password_hash: {e} (make one with `trade dashboard hash-password`)"
            ));
        }
    }
    errs
}
