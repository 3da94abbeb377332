//! Paper and live trading sessions.
//!
//! The session runs the same strategies, risk gate and portfolio as a
//! backtest; only three parts differ (`ARCHITECTURE.md`): the clock, the
//! feed and the broker. Feeds and brokers are tasks that talk to the session
//! over channels ([`adapter`]), so a simulated broker, a replay of files and
//! Interactive Brokers plug into the same loop, and a slow socket never
//! blocks a decision.
#![forbid(unsafe_code)]

pub mod adapter;
/// `[session]`, `[journal]`, `[live]` and `[paper]` configuration sections.
pub mod config;
/// Operators' controls (pause, close, cancel, flatten, limits, alerts).
pub mod control;
/// The end-of-session HTML report.
pub mod daily_report;
/// Counters and latency histograms for `/metrics`.
pub mod metrics;
/// Options in paper mode: the options desk stepped by a feed, journaled.
pub mod options_paper;
/// The paper broker adapter (the backtest's fill model over a live feed).
pub mod paper;
/// The replay feed (recorded bars on an accelerated clock).
pub mod replay;
/// The session core: strategies, risk gate, order manager, reconciliation.
pub mod session;
/// The state a session publishes for the dashboard and health checks.
pub mod status;

pub use config::{
    ExternalPolicy, JournalBackend, JournalConfig, LimitPolicy, LiveConfig, PaperConfig,
    SessionConfig, Speed, WarmupSource,
};
pub use session::{Session, SessionError, SessionOutcome, SessionSetup, spawn};
pub use status::{Alert, AlertKind, Connection, Mode, SessionStatus};
