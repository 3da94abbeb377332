//! How the adapter connects and how patient it is.

use std::time::Duration;

use crate::backoff::BackoffConfig;
use crate::circuit::CircuitConfig;

/// Connection settings. The host and port come from the `[live]` section;
/// the rest has defaults suited to IB Gateway on the same machine.
#[derive(Debug, Clone, PartialEq)]
pub struct IbConfig {
    /// TWS / IB Gateway host.
    pub host: String,
    /// API port (IB Gateway: 4001 live, 4002 paper; TWS: 7496 / 7497).
    pub port: u16,
    /// API client id.
    pub client_id: i32,
    /// The account orders go to (IB picks the login's only account when
    /// `None`). Never logged unmasked.
    pub account: Option<String>,
    /// How often the connection proves it is alive (`reqCurrentTime`).
    pub heartbeat: Duration,
    /// How long a heartbeat may take before the connection counts as lost.
    pub heartbeat_timeout: Duration,
    /// A subscription silent this long during the NYSE session is stale.
    pub stale_after: Duration,
    /// Watch staleness only during the NYSE regular session (a quiet feed
    /// overnight is normal). Tests on a simulated clock turn it off.
    pub stale_in_session_only: bool,
    /// Reconnect delays.
    pub backoff: BackoffConfig,
    /// Order-submission circuit breaker.
    pub circuit: CircuitConfig,
    /// Messages per second to IB (its limit is 50).
    pub messages_per_second: u32,
    /// The strategy's bar size in seconds (86 400 or more: daily bars).
    pub bar_seconds: u32,
    /// How long after an instrument's bar for `t` the others may still
    /// arrive before `Instant(t)` goes out without them.
    pub instant_grace: Duration,
    /// Streaming quote lines: the first instruments stream level-1 quotes,
    /// the rest are polled with snapshots every `quote_poll`.
    pub lines: crate::lines::LineBudget,
    /// How often polled instruments get a snapshot.
    pub quote_poll: Duration,
    /// The lowest order id to use (one more than the highest the journal
    /// ever sent): a gateway that restarts with a rolled-back nextValidId
    /// must never make the adapter reuse an id.
    pub min_order_id: i32,
}

impl Default for IbConfig {
    fn default() -> Self {
        IbConfig {
            host: "127.0.0.1".into(),
            port: 4002,
            client_id: 1,
            account: None,
            heartbeat: Duration::from_secs(10),
            heartbeat_timeout: Duration::from_secs(5),
            stale_after: Duration::from_secs(30),
            stale_in_session_only: true,
            backoff: BackoffConfig::default(),
            circuit: CircuitConfig::default(),
            messages_per_second: 45,
            bar_seconds: 60,
            instant_grace: Duration::from_secs(2),
            lines: crate::lines::LineBudget::default(),
            quote_poll: Duration::from_secs(10),
            min_order_id: 1,
        }
    }
}

impl IbConfig {
    /// Every problem with the values, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.host.trim().is_empty() {
            out.push("host must not be empty".into());
        }
        if self.port == 0 {
            out.push("port must be 1..65535".into());
        }
        if self.heartbeat.is_zero() || self.heartbeat_timeout.is_zero() {
            out.push("heartbeat and heartbeat_timeout must be positive".into());
        }
        if !(1..=50).contains(&self.messages_per_second) {
            out.push("messages_per_second must be 1..50 (IB's limit is 50)".into());
        }
        if crate::aggregate::BarSize::from_seconds(self.bar_seconds).is_none() {
            out.push(format!(
                "bar size {} s cannot be built from IB's 5-second bars (a multiple of 5 dividing a day, at most an hour, or a day)",
                self.bar_seconds
            ));
        }
        out.extend(self.backoff.problems());
        out.extend(self.circuit.problems());
        out
    }
}
