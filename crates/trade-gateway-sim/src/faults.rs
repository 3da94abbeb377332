//! Fault injection: what the test harness can make the gateway do wrong.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Faults applied to what the gateway sends and how it treats orders.
#[derive(Debug, Clone, Default)]
pub struct FaultState {
    /// Extra latency added to every outgoing frame.
    pub response_delay: Duration,
    /// Next N outgoing frames of a message id (server → client id, e.g.
    /// 49 currentTime) are silently dropped.
    pub drop_next: HashMap<i32, u32>,
    /// Next placed orders are rejected with these (code, message).
    pub reject_next_orders: VecDeque<(i32, String)>,
    /// Historical-data pacing rules (error 162) enforced.
    pub historical_pacing: bool,
}

/// How a simulated gateway restart behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartSpec {
    /// Connections are refused for this long after the restart.
    pub down_for: Duration,
    /// nextValidId of the new session is rolled back by this many ids
    /// (real gateways have handed out already-used ids after a restart).
    pub roll_back_next_id_by: i32,
}

impl Default for RestartSpec {
    fn default() -> Self {
        RestartSpec {
            down_for: Duration::ZERO,
            roll_back_next_id_by: 0,
        }
    }
}

/// Which connected clients an injected message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every client with an API session.
    All,
    /// Clients connected with this client id.
    Client(i32),
}
