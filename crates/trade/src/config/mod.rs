//! Configuration: TOML or YAML (the file), `.env` and `TRADE_*` environment
//! variables, then `--set` flags; strict about unknown keys and types;
//! validated once into a [`LoadedConfig`] the commands run from; hashed
//! canonically (sorted-key JSON of the effective config, SHA-256).

mod layers;
mod options;
mod raw;
mod validated;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use trade_core::InstrumentId;
use trade_engine::strategy::Registry;

pub use layers::{Override, RESERVED_ENV, env_overrides, parse_set};
pub use options::{ChainPlan, OptionsPlan};
pub use raw::{MetricsSection, RawConfig, RunSection, StrategySection};
pub use validated::{DataEntry, StrategyPlan, resolve};

/// A configuration problem, as one line naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The config file.
    pub source: PathBuf,
    /// The effective raw config (file + overrides, defaults filled).
    pub raw: RawConfig,
    /// The effective config as TOML.
    pub effective_toml: String,
    /// SHA-256 (hex) of the canonical effective config.
    pub hash: String,
    /// Data per symbol, in instrument-id order (sorted by symbol).
    pub data: Vec<DataEntry>,
    /// Strategies in config order.
    pub strategies: Vec<StrategyPlan>,
    /// Benchmark instrument.
    pub benchmark: InstrumentId,
    /// The `[options]` strategy, if configured.
    pub options: Option<OptionsPlan>,
}

/// Where the layers come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--set` overrides, in order.
    pub sets: Vec<String>,
    /// The process environment (name, value).
    pub env: Vec<(String, String)>,
    /// A `.env` file's path and text, if present.
    pub dotenv: Option<(PathBuf, String)>,
}

impl Sources {
    /// The real environment and `./.env`.
    pub fn from_process(sets: Vec<String>) -> Self {
        let env = std::env::vars()
            .filter(|(k, _)| k.starts_with("TRADE_"))
            .collect();
        let dotenv = std::fs::read_to_string(".env")
            .ok()
            .map(|t| (PathBuf::from(".env"), t));
        Sources { sets, env, dotenv }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |p| before.len() - p - 1)
        + 1;
    (line, col)
}

/// The dotted key at `offset`: the `key = ...` on that line, prefixed by
/// the nearest `[table]` header above it. `None` if the line has no key.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |p| p + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let key = line.split_once('=')?.0.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let header = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    Some(match header {
        Some(h) if !h.is_empty() => format!("{h}.{key}"),
        _ => key.to_string(),
    })
}

fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let msg = e.message().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            let key = key_at(text, span.start)
                .filter(|k| !msg.contains(k.rsplit('.').next().unwrap_or(k)));
            let key = key.map(|k| format!(" (key `{k}`)")).unwrap_or_else(|| {
                let start = text[..span.start.min(text.len())]
                    .rfind('\n')
                    .map_or(0, |p| p + 1);
                let near: String = text[start..]
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .chars()
                    .take(60)
                    .collect();
                if near.is_empty() {
                    String::new()
                } else {
                    format!(" (near `{near}`)")
                }
            });
            ConfigError(format!("{}:{line}:{col}: {msg}{key}", path.display()))
        }
        None => ConfigError(format!("{}: {msg}", path.display())),
    }
}

/// Whether a config file is YAML (by its extension); anything else is TOML.
fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Reads a YAML config into the same table a TOML file gives, so that the
/// layers, the validation and the canonical hash are format-blind: the same
/// settings in YAML and TOML hash alike.
fn yaml_table(path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    let yaml_error = |e: serde_norway::Error| {
        let mut msg = e.to_string().replace('\n', " ");
        // The location goes in front, as for TOML; drop serde_norway's copy.
        if let Some(at) = msg.rfind(" at line ") {
            msg.truncate(at);
        }
        match e.location() {
            Some(l) => ConfigError(format!(
                "{}:{}:{}: {msg}",
                path.display(),
                l.line(),
                l.column()
            )),
            None => ConfigError(format!("{}: {msg}", path.display())),
        }
    };
    // Typed first, for errors with a line and the key's path.
    serde_norway::from_str::<RawConfig>(text).map_err(yaml_error)?;
    let value: serde_norway::Value = serde_norway::from_str(text).map_err(yaml_error)?;
    match toml::Value::try_from(value) {
        Ok(toml::Value::Table(t)) => Ok(t),
        Ok(_) => Err(ConfigError(format!(
            "{}: expected a mapping of sections at the top level",
            path.display()
        ))),
        Err(e) => Err(ConfigError(format!(
            "{}: {e} (TOML has no null: remove keys set to `~` or `null`)",
            path.display()
        ))),
    }
}

/// Loads, layers and validates a config file.
///
/// # Errors
/// [`ConfigError`] naming the file (with line and column for syntax and
/// type errors in the file), the key, and what was expected.
pub fn load(
    path: &Path,
    sources: &Sources,
    registry: &Registry,
) -> Result<LoadedConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{}: cannot read config: {e}", path.display())))?;
    let mut table = if is_yaml(path) {
        yaml_table(path, &text)?
    } else {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| toml_error(path, &text, &e))?;
        // Check the file on its own first, so its errors carry line numbers.
        toml::from_str::<RawConfig>(&text).map_err(|e| toml_error(path, &text, &e))?;
        table
    };
    let mut overrides = env_overrides(
        sources
            .dotenv
            .as_ref()
            .map(|(p, t)| (p.as_path(), t.as_str())),
        &sources.env,
    );
    for s in &sources.sets {
        overrides.push(parse_set(s).map_err(ConfigError)?);
    }
    for ov in &overrides {
        layers::apply(&mut table, ov)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    }
    let raw = RawConfig::deserialize(toml::Value::Table(table)).map_err(|e| {
        let origins: Vec<String> = overrides
            .iter()
            .map(|o| {
                let value = if layers::is_secret_key(&o.key) {
                    "***"
                } else {
                    &o.value
                };
                format!("{}={value} ({})", o.key, o.origin)
            })
            .collect();
        // serde quotes the offending value: never a secret's.
        let mut message = e.message().replace('\n', " ");
        for o in overrides.iter().filter(|o| layers::is_secret_key(&o.key)) {
            if !o.value.is_empty() {
                message = message.replace(&o.value, "***");
            }
        }
        ConfigError(format!(
            "{}: {message} (after overrides: {})",
            path.display(),
            origins.join(", ")
        ))
    })?;
    validated::check_sections(path, &raw)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut data = Vec::new();
    let mut symbols = BTreeMap::new();
    for (i, (sym, t)) in raw.data.iter().enumerate() {
        let entry = validated::data_entry(path, &base, sym, t)?;
        if symbols
            .insert(entry.instrument.symbol.to_string(), InstrumentId(i as u32))
            .is_some()
        {
            return Err(ConfigError(format!(
                "{}: data.{sym}: symbol configured twice (keys differ only in case)",
                path.display()
            )));
        }
        data.push(entry);
    }
    let strategies = raw
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| validated::strategy_plan(path, i, s, &symbols, registry))
        .collect::<Result<Vec<_>, _>>()?;
    let options = match &raw.options {
        Some(t) => {
            if let Some(u) = t.get("underlying").and_then(|v| v.as_str()) {
                let u = u.to_ascii_uppercase();
                if !symbols.contains_key(&u) {
                    return Err(ConfigError(format!(
                        "{}: options.underlying {u:?} has no [data.{u}] table",
                        path.display(),
                    )));
                }
            }
            let mut plan = options::plan(path, &base, t)?;
            plan.spec.initial_cash = raw.account.initial_cash;
            let bench = plan.spec.limits.benchmark.as_str().to_ascii_uppercase();
            if bench != plan.underlying && !symbols.contains_key(&bench) {
                return Err(ConfigError(format!(
                    "{}: options.limits.benchmark {bench:?} needs a [data.{bench}] table: beta-weighted delta converts {} shares into {bench} shares at their price ratio",
                    path.display(),
                    plan.underlying
                )));
            }
            Some(plan)
        }
        None => None,
    };
    let benchmark = match (&raw.run.benchmark, &options, strategies.first()) {
        (Some(b), _, _) => symbols[&b.to_ascii_uppercase()],
        (None, Some(o), _) => symbols[&o.underlying],
        (None, None, Some(s)) => s.instruments[0],
        (None, None, None) => InstrumentId(0),
    };
    let effective_toml = toml::to_string_pretty(&raw).map_err(|e| {
        ConfigError(format!(
            "{}: cannot serialise the effective config: {e}",
            path.display()
        ))
    })?;
    let hash = canonical_hash(&raw)?;
    Ok(LoadedConfig {
        source: path.to_path_buf(),
        raw,
        effective_toml,
        hash,
        data,
        strategies,
        benchmark,
        options,
    })
}

/// SHA-256 of the effective config serialised as JSON with sorted keys.
///
/// # Errors
/// If the config cannot be serialised (non-finite numbers).
pub fn canonical_hash(raw: &RawConfig) -> Result<String, ConfigError> {
    let value =
        serde_json::to_value(raw).map_err(|e| ConfigError(format!("cannot hash config: {e}")))?;
    let text = serde_json::to_string(&value)
        .map_err(|e| ConfigError(format!("cannot hash config: {e}")))?;
    Ok(hex(&Sha256::digest(text.as_bytes())))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
