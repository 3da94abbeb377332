//! What the adapter reports about itself, for health checks, the dashboard
//! and metrics.

use serde::Serialize;
use trade_core::Timestamp;
use trade_live::adapter::AccountType;

use crate::circuit::CircuitState;

/// One market-data subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubscriptionStatus {
    /// The instrument's id in the session.
    pub instrument_id: u32,
    /// When data last arrived.
    pub last_data: Option<Timestamp>,
    /// Silent beyond `stale_after` during the session.
    pub stale: bool,
}

/// The connection as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionStatus {
    /// A session with the gateway is up.
    pub connected: bool,
    /// Connections made so far minus one (0 for the first).
    pub generation: u64,
    /// Reconnects since start.
    pub reconnects: u64,
    /// The last successful heartbeat.
    pub last_heartbeat: Option<Timestamp>,
    /// Milliseconds to the next connection attempt, while down.
    pub retry_in_ms: Option<u64>,
    /// Order submission allowed?
    pub circuit: CircuitState,
    /// Why the circuit opened.
    pub circuit_reason: String,
    /// The next order id the adapter will use.
    pub next_order_id: i32,
    /// Paper or live account.
    pub account_type: Option<AccountType>,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// Market-data subscriptions.
    pub subscriptions: Vec<SubscriptionStatus>,
}

impl Default for ConnectionStatus {
    fn default() -> Self {
        ConnectionStatus {
            connected: false,
            generation: 0,
            reconnects: 0,
            last_heartbeat: None,
            retry_in_ms: None,
            circuit: CircuitState::Closed,
            circuit_reason: String::new(),
            next_order_id: 0,
            account_type: None,
            last_error: None,
            subscriptions: Vec::new(),
        }
    }
}
