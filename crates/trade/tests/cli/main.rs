//! End-to-end tests that run the `trade` binary as a user would. All
//! integration tests build into this one binary (one link, not many).

mod accounting;
mod backtest;
mod bad_input;
mod browser;
mod commands;
mod config_props;
mod gateway_sim;
mod harness;
mod journal;
mod live;
mod options;
mod paper;
mod serve;
