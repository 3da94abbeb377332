//! [`ExitState`]: what the engine remembers about one position between
//! evaluations. Serialisable, so a restart resumes the trailing stop where
//! it was instead of re-arming it from scratch.

use serde::{Deserialize, Serialize};
use trade_core::{Money, Timestamp};

use super::RuleId;

/// Per-position memory of the exit engine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExitState {
    /// Highest P&L seen since entry (the trailing stop's high-water mark).
    pub high_water: Option<Money>,
    /// When the trailing stop armed (P&L first reached the activation level).
    pub trailing_armed_at: Option<Timestamp>,
    /// Evaluations so far.
    pub evaluations: u64,
    /// The last rule that fired, if any.
    pub last_fired: Option<RuleId>,
}
