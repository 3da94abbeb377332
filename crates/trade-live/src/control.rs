//! An operator's controls of a running session: what can be asked, and the
//! answer. The session carries them out between events (never in the
//! middle of an instant) and journals each one with who, when, why and
//! what it did.

use serde::Deserialize;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

/// What an operator can ask.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ControlCommand {
    /// No new entries (orders that reduce a position still go out), for
    /// one strategy or, without one, for all trading.
    Pause {
        /// Strategy id; `None`: all.
        #[serde(default)]
        strategy: Option<String>,
    },
    /// Undoes a pause: of one strategy, of one instrument (after an
    /// operator's close), or without either, of all trading.
    Resume {
        /// Strategy id.
        #[serde(default)]
        strategy: Option<String>,
        /// Symbol.
        #[serde(default)]
        symbol: Option<String>,
    },
    /// Cancels the instrument's working orders and sends market orders
    /// that bring its position to zero, then pauses new entries on it
    /// (the strategy would otherwise buy it straight back). Refused when
    /// the position is not `expected_qty` any more (the operator confirmed
    /// another quantity).
    ClosePosition {
        /// Symbol.
        symbol: String,
        /// The signed quantity the operator saw and confirmed.
        expected_qty: i64,
    },
    /// Cancels one working order.
    Cancel {
        /// Journal id.
        local_id: i64,
    },
    /// The kill switch: cancels every working order, closes every
    /// position and refuses new entries until the session restarts.
    Flatten,
    /// Changes a risk limit within the bounds `[session.limit_bounds]`
    /// allows.
    SetLimit {
        /// Limit name (`max_position_pct`, `daily_loss_limit_pct`, ...).
        name: String,
        /// New value.
        value: f64,
    },
    /// Marks an alert as seen.
    AckAlert {
        /// Alert id.
        id: u64,
    },
    /// Silences an alert for a while.
    SnoozeAlert {
        /// Alert id.
        id: u64,
        /// For how long (1 to 1440 minutes).
        minutes: u32,
    },
}

impl ControlCommand {
    /// The action's name, as journaled.
    pub fn action(&self) -> &'static str {
        match self {
            ControlCommand::Pause { .. } => "pause",
            ControlCommand::Resume { .. } => "resume",
            ControlCommand::ClosePosition { .. } => "close_position",
            ControlCommand::Cancel { .. } => "cancel",
            ControlCommand::Flatten => "flatten",
            ControlCommand::SetLimit { .. } => "set_limit",
            ControlCommand::AckAlert { .. } => "ack_alert",
            ControlCommand::SnoozeAlert { .. } => "snooze_alert",
        }
    }
}

/// Why a control was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ControlError {
    /// Malformed, or a value out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// Unknown order, position, strategy, limit or alert.
    #[error("{0}")]
    NotFound(String),
    /// The state does not allow it (or changed since the operator looked).
    #[error("{0}")]
    Conflict(String),
    /// The session cannot act now (broker down, journal halted, stopping).
    #[error("{0}")]
    Unavailable(String),
}

/// One control with its answer channel.
#[derive(Debug)]
pub struct Control {
    /// What.
    pub command: ControlCommand,
    /// Who (a dashboard user, `token`, `telegram:<chat>`).
    pub actor: String,
    /// Why, in the operator's words.
    pub reason: String,
    /// What the session did (a JSON summary), or why not.
    pub reply: oneshot::Sender<Result<serde_json::Value, ControlError>>,
}

/// The sending side, for the dashboard and the notifiers.
pub type ControlSender = mpsc::Sender<Control>;

/// A channel for controls (small: an operator is not a firehose).
pub fn control_channel() -> (ControlSender, mpsc::Receiver<Control>) {
    mpsc::channel(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_from_the_dashboards_json_and_reject_unknown_fields() {
        let c: ControlCommand = serde_json::from_value(serde_json::json!({
            "action": "close_position", "symbol": "SPY", "expected_qty": -3
        }))
        .unwrap();
        assert_eq!(
            c,
            ControlCommand::ClosePosition {
                symbol: "SPY".into(),
                expected_qty: -3
            }
        );
        let p: ControlCommand =
            serde_json::from_value(serde_json::json!({"action": "pause", "strategy": null}))
                .unwrap();
        assert_eq!(p, ControlCommand::Pause { strategy: None });
        for bad in [
            serde_json::json!({"action": "explode"}),
            serde_json::json!({"action": "cancel"}),
            serde_json::json!({"action": "cancel", "local_id": 1, "extra": 2}),
            serde_json::json!({"action": "set_limit", "name": "x", "value": "high"}),
        ] {
            assert!(
                serde_json::from_value::<ControlCommand>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
