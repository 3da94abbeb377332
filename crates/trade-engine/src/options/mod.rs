//! The engine's options desk: the options backtest (chains in, structures
//! opened by entry criteria and closed by the exit rules), combos, and what
//! happens to option positions that no strategy decides — expiration,
//! exercise and assignment.

mod expiry;

mod backtest;
mod records;
mod sources;

pub use backtest::{
    ChainSource, ContractSpec, OpenLeg, OpenStructure, OptionsBacktestError, OptionsDesk,
    OptionsSpec, OptionsStrategy, StructureChoice, run_options_backtest,
};
pub use expiry::{ExpiryAction, ExpiryKind, SettlementPrice, settle_expiring};
pub use records::{
    EntryRefusalRecord, GreeksRow, LegRecord, OptionsLedger, PositionRecord, QuoteUse,
};
pub use sources::{RecordedChains, SyntheticChains};
