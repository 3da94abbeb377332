//! Interactive Brokers adapters for paper and live sessions: the broker
//! and the feed of `trade_live::adapter`, over the TWS API (the `ibapi`
//! crate, pinned), with the connection manager: heartbeat, reconnect with
//! exponential backoff and jitter, a circuit breaker in front of orders,
//! IB's message pacing, order ids never reused across gateway restarts,
//! every subscription re-established after a reconnect, and staleness per
//! subscription during the NYSE session.
#![forbid(unsafe_code)]

pub mod adapter;
pub mod aggregate;
pub mod backoff;
pub mod chains;
pub mod circuit;
pub mod config;
pub mod contracts;
pub mod history;
pub mod lines;
pub mod status;

pub use adapter::{IbError, IbHandle, start};
pub use config::IbConfig;
pub use status::{ConnectionStatus, SubscriptionStatus};
