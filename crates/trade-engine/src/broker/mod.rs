//! Brokers: the simulated one used by backtest and paper modes, its fill
//! and commission models. The Interactive Brokers adapter implements the
//! same role in its own crate.

mod combo;
mod commission;
pub mod fill;
mod sim;

pub use combo::{
    ComboFillConfig, ComboLeg, ComboMode, ComboOutcome, LegQuote, NoFill, match_combo,
};
pub use commission::CommissionModel;
pub use fill::{FillConfig, MarketFill};
pub use sim::{AccountConfig, BrokerEvents, Execution, FillPhase, SimBroker};
