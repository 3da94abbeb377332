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
pub mod options_paper;
