//! The configuration as written (`RawConfig`): serde structs with every
//! default, strict about unknown keys. Validation into what the engine
//! runs happens in [`super::validated`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trade_engine::broker::{AccountConfig, CommissionModel, FillConfig};
use trade_engine::risk::RiskLimits;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Run identity, period and output.
    #[serde(default)]
    pub run: RunSection,
    /// Cash, leverage, shorting.
    #[serde(default)]
    pub account: AccountConfig,
    /// Fill model.
    #[serde(default)]
    pub fill: FillConfig,
    /// Commission model.
    #[serde(default)]
    pub commission: CommissionModel,
    /// Risk limits.
    #[serde(default)]
    pub risk: RiskLimits,
    /// Metric conventions.
    #[serde(default)]
    pub metrics: MetricsSection,
    /// Bar data per symbol: `[data.SPY]` tables.
    #[serde(default)]
    pub data: BTreeMap<String, toml::Table>,
    /// Strategy instances: `[[strategies]]`.
    #[serde(default)]
    pub strategies: Vec<StrategySection>,
    /// An options strategy (see `config::options`); absent from the
    /// effective config (and its hash) when not configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<toml::Table>,
    /// `[session]`: order-manager policies of `trade paper` / `trade live`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<trade_live::SessionConfig>,
    /// `[journal]`: where the order journal lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<trade_live::JournalConfig>,
    /// `[paper]`: the replay clock of `trade paper`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper: Option<trade_live::PaperConfig>,
    /// `[live]`: the Interactive Brokers connection of `trade live`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<trade_live::LiveConfig>,
    /// `[dashboard]`: who may log in to the `--http` dashboard and act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard: Option<DashboardSection>,
    /// `[alerts]`: notifications to Telegram, Discord or a webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<trade_alerts::AlertsConfig>,
}

/// `[dashboard]`. Secrets (the token, password hashes) are never
/// serialised, so they stay out of `trade plan`, run folders and the
/// config hash.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardSection {
    /// API token (`Authorization: Bearer`, or the login form's token
    /// field); `TRADE_DASHBOARD_TOKEN` wins over it. At least 16 characters.
    #[serde(skip_serializing)]
    pub token: Option<String>,
    /// Local users with password hashes from `trade dashboard hash-password`.
    #[serde(skip_serializing)]
    pub users: Vec<DashboardUser>,
    /// Serve pages and read APIs without a login (controls always need one).
    pub public_read: bool,
    /// How long a login lasts, in hours.
    pub session_hours: u32,
}

impl Default for DashboardSection {
    fn default() -> Self {
        DashboardSection {
            token: None,
            users: Vec::new(),
            public_read: true,
            session_hours: 12,
        }
    }
}

impl std::fmt::Debug for DashboardSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardSection")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("users", &self.users)
            .field("public_read", &self.public_read)
            .field("session_hours", &self.session_hours)
            .finish()
    }
}

/// `[[dashboard.users]]`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardUser {
    /// Login name.
    pub name: String,
    /// `pbkdf2-sha256$rounds$salt$hash`.
    #[serde(skip_serializing, default)]
    pub password_hash: String,
}

impl std::fmt::Debug for DashboardUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardUser")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `[run]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSection {
    /// A label that starts the run id.
    pub name: Option<String>,
    /// Where run folders go (relative to the working directory).
    pub output_dir: PathBuf,
    /// First session date to trade (inclusive); earlier bars are dropped.
    pub start: Option<Date>,
    /// Last session date (inclusive).
    pub end: Option<Date>,
    /// Symbol whose buy-and-hold is the benchmark (default: the first symbol).
    pub benchmark: Option<String>,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            name: None,
            output_dir: PathBuf::from("runs"),
            start: None,
            end: None,
            benchmark: None,
        }
    }
}

/// `[metrics]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSection {
    /// Annual risk-free rate for Sharpe and Sortino (e.g. 0.02).
    pub risk_free_rate: f64,
    /// Periods per year for annualisation of daily returns.
    pub periods_per_year: f64,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            risk_free_rate: 0.0,
            periods_per_year: 252.0,
        }
    }
}

/// One `[[strategies]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySection {
    /// Instance name (unique).
    pub name: String,
    /// Registered strategy type (`trade strategies` lists them).
    #[serde(rename = "type")]
    pub kind: String,
    /// Symbols it trades (keys of `[data]`).
    pub symbols: Vec<String>,
    /// Parameters of the type.
    #[serde(default)]
    pub params: toml::Table,
}
