//! The configuration sections of paper and live sessions: `[session]`
//! (policies of the order manager), `[journal]` (where the order journal
//! lives), `[live]` (the Interactive Brokers connection) and `[paper]`
//! (the replay clock). Strict: unknown keys are errors.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::adapter::AccountType;

/// What the session does with orders, executions and positions it did not
/// create (manual trades in TWS, another program on the account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExternalPolicy {
    /// Raise an alert and pause trading on the instrument until an operator
    /// looks (the default: nothing trades against a position nobody planned).
    #[default]
    Flag,
    /// Take the position into the portfolio (owned by no strategy) and keep trading.
    Adopt,
}

/// What happens to a limit order still unfilled after `limit_timeout`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitPolicy {
    /// Cancel it.
    #[default]
    Cancel,
    /// Cancel it and, once the cancel is confirmed, send a market order for
    /// the unfilled rest (through the risk gate again).
    Marketable,
}

/// `[session]`: the order manager's policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Orders and positions created outside this program.
    pub external: ExternalPolicy,
    /// How long a limit order may stay unfilled (`"90s"`, `"5m"`, `"1h"`);
    /// absent: no limit.
    #[serde(with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub limit_timeout: Option<Duration>,
    /// What to do when `limit_timeout` passes.
    pub limit_policy: LimitPolicy,
    /// Cancel working orders when the session stops.
    pub cancel_on_exit: bool,
    /// Allow orders outside the regular session (otherwise the risk gate's
    /// market-hours rule applies whatever `risk.market_hours_only` says).
    pub trade_outside_session: bool,
    /// Reconcile with the broker again this often (wall time) while no
    /// order is working, to catch trades made outside the program while
    /// connected (a manual trade in TWS); absent: only after (re)connects.
    #[serde(with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub reconcile_every: Option<Duration>,
    /// Risk limits an operator may change at run time, with their allowed
    /// `[min, max]` (e.g. `max_position_pct = [0.05, 0.25]`); a limit not
    /// named here cannot be changed from the dashboard.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub limit_bounds: BTreeMap<String, [f64; 2]>,
}

/// The limits `[session.limit_bounds]` may name.
pub const CHANGEABLE_LIMITS: [&str; 6] = [
    "max_position_pct",
    "max_gross_exposure_pct",
    "max_open_positions",
    "daily_loss_limit_pct",
    "max_drawdown_pct",
    "instrument_daily_loss_pct",
];

impl SessionConfig {
    /// What is wrong with the section, one message per problem, naming
    /// the key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, [lo, hi]) in &self.limit_bounds {
            if !CHANGEABLE_LIMITS.contains(&name.as_str()) {
                out.push(format!(
                    "session.limit_bounds.{name}: not a changeable limit; expected one of {}",
                    CHANGEABLE_LIMITS.join(", ")
                ));
            } else if !(lo.is_finite() && hi.is_finite() && *lo >= 0.0 && lo <= hi) {
                out.push(format!(
                    "session.limit_bounds.{name}: expected [min, max] with 0 <= min <= max, got [{lo}, {hi}]"
                ));
            }
        }
        out
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            external: ExternalPolicy::Flag,
            limit_timeout: None,
            limit_policy: LimitPolicy::Cancel,
            cancel_on_exit: true,
            trade_outside_session: false,
            reconcile_every: Some(Duration::from_secs(300)),
            limit_bounds: BTreeMap::new(),
        }
    }
}

/// Journal storage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalBackend {
    /// One SQLite file (WAL, fsync on every write): the default.
    #[default]
    Sqlite,
    /// A PostgreSQL database, for several processes on one account.
    Postgres,
}

/// `[journal]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalConfig {
    /// Backend.
    pub backend: JournalBackend,
    /// SQLite file (relative to the working directory).
    pub path: PathBuf,
    /// PostgreSQL connection URL (`postgres://user@127.0.0.1/db`); never
    /// logged nor written to a run folder's config (it may carry a password).
    #[serde(skip_serializing)]
    pub url: Option<String>,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            backend: JournalBackend::Sqlite,
            path: PathBuf::from("journal.sqlite"),
            url: None,
        }
    }
}

/// `[live]`: the Interactive Brokers connection of `trade live`. Separate
/// from `[paper]` so a paper config can never reach a live port by accident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveConfig {
    /// TWS / IB Gateway host (loopback unless tunnelled).
    pub host: String,
    /// API port (IB Gateway: 4001 live, 4002 paper; TWS: 7496 / 7497).
    pub port: u16,
    /// API client id.
    pub client_id: i32,
    /// The account to trade (required when the login manages several);
    /// masked in logs, never written to a run folder's config.
    #[serde(skip_serializing)]
    pub account: Option<String>,
    /// Which kind of account this config is meant for. `live` also needs
    /// `--confirm-live` on the command line.
    pub account_type: AccountType,
    /// Where the strategies' warm-up history comes from: the configured
    /// bar files, or IB's historical bars (paced).
    pub warmup: WarmupSource,
    /// With `warmup = "ib"`: how many bars per instrument.
    pub warmup_bars: usize,
    /// Concurrent streaming quote lines of the login (IB's default: 100);
    /// instruments beyond them, less `reserve_lines`, are polled.
    pub market_data_lines: usize,
    /// Lines left for other programs on the same login.
    pub reserve_lines: usize,
}

/// The warm-up history of a live session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WarmupSource {
    /// The `[data]` files.
    #[default]
    Files,
    /// IB's historical bars (TRADES, regular hours) of the strategy's bar size.
    Ib,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            host: "127.0.0.1".into(),
            port: 4002,
            client_id: 1,
            account: None,
            account_type: AccountType::Paper,
            warmup: WarmupSource::Files,
            warmup_bars: 300,
            market_data_lines: 100,
            reserve_lines: 10,
        }
    }
}

/// `[paper]`: the clock of `trade paper` when it replays files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperConfig {
    /// Replay speed when `--speed` is not given.
    pub speed: Speed,
}

/// How fast a replay runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// `N` times real time (1 = real time).
    Times(f64),
    /// As fast as the session consumes the bars.
    Max,
}

impl Default for Speed {
    fn default() -> Self {
        Speed::Times(1.0)
    }
}

impl Speed {
    /// The factor by which session timeouts shrink (`Max`: none is scaled,
    /// since no wall time passes between bars).
    pub fn factor(self) -> f64 {
        match self {
            Speed::Times(n) => n,
            Speed::Max => 1.0,
        }
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Times(n) => write!(f, "{n}"),
            Speed::Max => f.write_str("max"),
        }
    }
}

impl FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 => Ok(Speed::Times(n)),
            _ => Err(format!(
                "speed {s:?}: expected a positive number (times real time) or \"max\""
            )),
        }
    }
}

impl Serialize for Speed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Speed::Times(n) => s.serialize_f64(*n),
            Speed::Max => s.serialize_str("max"),
        }
    }
}

impl<'de> Deserialize<'de> for Speed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(f64),
            S(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::N(n) => n.to_string(),
            Raw::S(s) => s,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses `"90s"`, `"5m"`, `"2h"` or `"250ms"`.
///
/// # Errors
/// A message naming the text and the accepted forms.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| {
        format!(
            "duration {text:?}: expected a whole number with a unit, e.g. \"90s\", \"5m\", \"1h\""
        )
    })?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => {
            return Err(format!(
                "duration {text:?}: unit must be ms, s, m or h, e.g. \"90s\""
            ));
        }
    };
    if d.is_zero() {
        return Err(format!("duration {text:?} must be positive"));
    }
    Ok(d)
}

mod opt_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) if d.subsec_millis() != 0 => s.serialize_str(&format!("{}ms", d.as_millis())),
            Some(d) => s.serialize_str(&format!("{}s", d.as_secs())),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_duration(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// Masks an account id for logs: `DU1234567` → `DU*****67`.
pub fn mask_account(account: &str) -> String {
    let n = account.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    account
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 2 || i >= n - 2 { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "5", "m", "5d", "-5s", "0s", "1.5m"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn speeds_parse_from_numbers_and_max() {
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("60".parse::<Speed>(), Ok(Speed::Times(60.0)));
        assert!("0".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
        assert!("NaN".parse::<Speed>().is_err());
    }

    #[test]
    fn session_config_is_strict_about_keys() {
        let err = toml::from_str::<SessionConfig>("externl = \"adopt\"").unwrap_err();
        assert!(err.to_string().contains("externl"), "{err}");
        let c: SessionConfig = toml::from_str(
            "external = \"adopt\"\nlimit_timeout = \"2m\"\nlimit_policy = \"marketable\"",
        )
        .unwrap();
        assert_eq!(c.external, ExternalPolicy::Adopt);
        assert_eq!(c.limit_timeout, Some(Duration::from_secs(120)));
        assert_eq!(c.limit_policy, LimitPolicy::Marketable);
        assert!(c.cancel_on_exit && !c.trade_outside_session);
    }

    #[test]
    fn paper_speed_reads_numbers_and_max_from_toml() {
        let c: PaperConfig = toml::from_str("speed = 60").unwrap();
        assert_eq!(c.speed, Speed::Times(60.0));
        let c: PaperConfig = toml::from_str("speed = 2.5").unwrap();
        assert_eq!(c.speed, Speed::Times(2.5));
        let c: PaperConfig = toml::from_str("speed = \"max\"").unwrap();
        assert_eq!(c.speed, Speed::Max);
        assert!(toml::from_str::<PaperConfig>("speed = -1").is_err());
    }

    #[test]
    fn account_ids_are_masked_but_recognisable() {
        assert_eq!(mask_account("DU1234567"), "DU*****67");
        assert_eq!(mask_account("U12"), "***");
    }
}
