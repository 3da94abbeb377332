//! The engine's options desk: what happens to option positions that no
//! strategy decides — expiration, exercise and assignment.

mod expiry;

pub use expiry::{ExpiryAction, ExpiryKind, SettlementPrice, settle_expiring};
