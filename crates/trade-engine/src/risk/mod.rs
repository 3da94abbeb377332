//! The risk layer: limits from config, the pure pre-trade [gate](check),
//! its typed verdicts, and the state behind the kill switches.

mod gate;
mod limits;
mod state;
mod verdict;

pub use gate::{GateView, check};
pub use limits::RiskLimits;
pub use state::{KillSwitch, RiskState};
pub use verdict::{Approved, Refused, RiskRule, Verdict};
